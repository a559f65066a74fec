package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

func viewDef(name, query string, cols ...string) *ViewDef {
	return &ViewDef{Name: name, Columns: cols, Query: query, Source: query, Algorithm: "UNDEFINED",
		Definer: "`root`@`localhost`", Security: "DEFINER", Charset: "utf8mb4", Collation: "utf8mb4_bin"}
}

// viewsOf returns every view's definition as JSON, by name.
func viewsOf(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range db.Views() {
		v, err := db.View(n)
		if err != nil {
			t.Fatalf("View(%s): %v", n, err)
		}
		b, _ := json.Marshal(v)
		out[n] = string(b)
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code int) {
	t.Helper()
	if sqlerr.Code(err) != code {
		t.Fatalf("%s: got %v, want error %d", what, err, code)
	}
}

func TestViewCatalog(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, itemsDef("t", false)); err != nil {
		t.Fatal(err)
	}
	v1 := viewDef("v1", "select `t`.`id` AS `id` from `t`", "id")
	v2 := viewDef("v2", "select `v1`.`id` AS `id` from `v1`", "id")
	v2.CheckOption = "LOCAL"
	for _, v := range []*ViewDef{v1, v2, viewDef("old", "select 1 AS `a`", "a")} {
		if err := db.CreateView(bg, v, false); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "CREATE VIEW over a view", db.CreateView(bg, v1, false), sqlerr.ErrTableExists)
	wantCode(t, "CREATE VIEW over a table", db.CreateView(bg, viewDef("T", "select 1 AS `a`", "a"), false), sqlerr.ErrTableExists)
	wantCode(t, "CREATE OR REPLACE VIEW over a table", db.CreateView(bg, viewDef("t", "select 1 AS `a`", "a"), true), sqlerr.ErrWrongObject)
	wantCode(t, "CREATE TABLE over a view", db.CreateTable(bg, itemsDef("V1", false)), sqlerr.ErrTableExists)
	wantCode(t, "ALTER VIEW of a missing view", db.AlterView(bg, viewDef("nosuch", "select 1 AS `a`", "a")), sqlerr.ErrNoSuchTable)
	wantCode(t, "ALTER VIEW of a table", db.AlterView(bg, viewDef("t", "select 1 AS `a`", "a")), sqlerr.ErrWrongObject)
	wantCode(t, "DROP VIEW of a table", db.DropView(bg, "t"), sqlerr.ErrUnknownView)
	wantCode(t, "duplicate column", db.CreateView(bg, viewDef("d", "select 1 AS `a`,2 AS `A`", "a", "A"), false), sqlerr.ErrDupFieldName)
	wantCode(t, "RENAME onto a table", db.RenameTable(bg, "v1", "t"), sqlerr.ErrTableExists)
	wantCode(t, "RENAME a table onto a view", db.RenameTable(bg, "t", "v2"), sqlerr.ErrTableExists)

	nv := viewDef("v1", "select `t`.`id` AS `n` from `t` where `t`.`id` > 1", "n")
	if err := db.AlterView(bg, nv); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTable(bg, "old", "renamed"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateView(bg, viewDef("gone", "select 2 AS `b`", "b"), false); err != nil {
		t.Fatal(err)
	}
	if err := db.DropView(bg, "GONE"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(db.Tables(), db.Views()); got != "[t] [renamed v1 v2]" {
		t.Fatalf("tables and views: %s", got)
	}
	want := viewsOf(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	names := strings.Join(mustReadDir(t, vfs.Default, dir), " ")
	for _, f := range []string{"v1.view", "v2.view", "renamed.view"} {
		if !strings.Contains(names, f) {
			t.Fatalf("%s missing from %s", f, names)
		}
	}
	if strings.Contains(names, "old.view") || strings.Contains(names, "gone.view") {
		t.Fatalf("files of renamed or dropped views left: %s", names)
	}

	db = mustOpen(t, dir, Options{})
	if got := viewsOf(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after reopen:\n%v\nwant\n%v", got, want)
	}
	if v, _ := db.View("V2"); v == nil || v.CheckOption != "LOCAL" {
		t.Fatalf("v2 after reopen: %+v", v)
	}
	// A base table dropped leaves its views (they fail when used).
	if err := db.DropTable(bg, "t"); err != nil {
		t.Fatal(err)
	}
	if !db.IsView("v1") {
		t.Fatal("DROP TABLE took the view with it")
	}
}

func TestViewFileDamaged(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateView(bg, viewDef("good", "select 1 AS `a`", "a"), false); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for name, body := range map[string]string{
		"torn.view":   `{"format": 1, "view": {"name": "torn", "col`,
		"future.view": `{"format": 9, "view": {"name": "future", "columns": ["a"], "query": "select 1"}}`,
		"empty.view":  `{"format": 1, "view": {"name": "empty", "columns": [], "query": ""}}`,
		// A rename cut short (renameViewLocked) whose new name is taken.
		"clash.view": `{"format": 1, "view": {"name": "good", "columns": ["a"], "query": "select 1 AS ` + "`a`" + `"}}`,
		// One that the open finishes.
		"moved.view": `{"format": 1, "view": {"name": "moved2", "columns": ["a"], "query": "select 1 AS ` + "`a`" + `"}}`,
	} {
		if err := vfs.WriteFileAtomic(vfs.Default, filepath.Join(dir, name), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	// A temporary file a crash left is not a view.
	if err := vfs.WriteFileAtomic(vfs.Default, filepath.Join(dir, "half.view.tmp"), []byte("{")); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if got := fmt.Sprint(db.Views()); got != "[good moved2]" {
		t.Fatalf("views %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "moved2.view")); err != nil {
		t.Fatalf("the cut rename was not finished: %v", err)
	}
	broken := db.BrokenViews()
	if len(broken) != 4 || !strings.Contains(broken["clash"].Error(), "holds view good") || !strings.Contains(broken["future"].Error(), "unsupported format 9") || !strings.Contains(broken["torn"].Error(), "does not decode") {
		t.Fatalf("broken views: %v", broken)
	}
	_, err := db.View("torn")
	wantCode(t, "View of a damaged file", err, sqlerr.ErrViewInvalid)
	wantCode(t, "CREATE TABLE over a damaged view", db.CreateTable(bg, itemsDef("torn", false)), sqlerr.ErrTableExists)
	if _, err := db.Backup(bg, filepath.Join(t.TempDir(), "b")); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("backup with a damaged view: %v", err)
	}
	// Replacing or dropping the view fixes it.
	if err := db.CreateView(bg, viewDef("torn", "select 2 AS `b`", "b"), true); err != nil {
		t.Fatal(err)
	}
	if err := db.DropView(bg, "future"); err != nil {
		t.Fatal(err)
	}
	if err := db.DropView(bg, "empty"); err != nil {
		t.Fatal(err)
	}
	if err := db.DropView(bg, "clash"); err != nil {
		t.Fatal(err)
	}
	if len(db.BrokenViews()) != 0 || fmt.Sprint(db.Views()) != "[good moved2 torn]" {
		t.Fatalf("after the fix: broken %v views %v", db.BrokenViews(), db.Views())
	}
}

// TestViewPowerCut cuts the power at every sync point of CREATE OR
// REPLACE VIEW, DROP VIEW and RENAME TABLE of a view: after it the view is
// the old definition or the new one (none, for the drop; under the new
// name only, for the rename), whole, and no damaged file is left.
func TestViewPowerCut(t *testing.T) {
	dir := t.TempDir()
	base := vfs.NewCrash()
	if err := base.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, Options{FS: base})
	if err != nil {
		t.Fatal(err)
	}
	oldV := viewDef("v", "select 1 AS `a`", "a")
	if err := db.CreateView(bg, oldV, false); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	newV := viewDef("v", "select 2 AS `b`,3 AS `c`", "b", "c")
	for _, op := range []struct {
		name string
		run  func(db *DB) error
		want string // the view after it: "new" or "none"
	}{
		{"replace", func(db *DB) error { return db.CreateView(bg, newV, true) }, "new"},
		{"drop", func(db *DB) error { return db.DropView(bg, "v") }, "none"},
		{"rename", func(db *DB) error { return db.RenameTables(bg, []RenamePair{{From: "v", To: "w"}}) }, "renamed"},
	} {
		t.Run(op.name, func(t *testing.T) {
			probe := base.Clone()
			pdb, err := Open(dir, Options{FS: probe})
			if err != nil {
				t.Fatal(err)
			}
			start := probe.SyncPoints()
			if err := op.run(pdb); err != nil {
				t.Fatal(err)
			}
			points := probe.SyncPoints() - start
			pdb.Close()
			if points < 1 {
				t.Fatalf("no sync point")
			}
			if rdb, err := Open(dir, Options{FS: probe}); err != nil || rdb.IsView("v") != (op.want == "new") || rdb.IsView("w") != (op.want == "renamed") {
				t.Fatalf("without a cut: %v, view there: %v", err, rdb != nil && rdb.IsView("v"))
			} else {
				rdb.Close()
			}
			saw := map[string]bool{}
			for k := 1; k <= points; k++ {
				fs := base.Clone()
				cdb, err := Open(dir, Options{FS: fs})
				if err != nil {
					t.Fatal(err)
				}
				fs.CutPowerAtSync(k, int64(k))
				op.run(cdb)
				cdb.closeAfterCut()
				after := fs.AfterCut()
				rdb, err := Open(dir, Options{FS: after})
				if err != nil {
					t.Fatalf("k=%d: reopen: %v", k, err)
				}
				if len(rdb.BrokenViews()) > 0 {
					t.Fatalf("k=%d: damaged view files: %v", k, rdb.BrokenViews())
				}
				got := "none"
				if w, err := rdb.View("w"); err == nil {
					renamed := oldV.Clone()
					renamed.Name = "w"
					if !viewsEqual(w, renamed) {
						t.Fatalf("k=%d: w is %+v", k, w)
					}
					got = "renamed"
				}
				if v, err := rdb.View("v"); err == nil {
					if got == "renamed" {
						t.Fatalf("k=%d: the view is under both names", k)
					}
					switch {
					case viewsEqual(v, oldV):
						got = "old"
					case viewsEqual(v, newV):
						got = "new"
					default:
						t.Fatalf("k=%d: a mix: %+v", k, v)
					}
				}
				if got != "old" && got != op.want {
					t.Fatalf("k=%d: view is %s", k, got)
				}
				saw[got] = true
				rdb.Close()
			}
			t.Logf("%d sync points; after cuts: %v", points, saw)
		})
	}
}

// TestViewBackupRestoreReplay: a backup carries the views, and a restore
// replays the view DDL of the update log after it; a replay from scratch
// gives the same views.
func TestViewBackupRestoreReplay(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	if err := db.CreateTable(bg, itemsDef("t", false)); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*ViewDef{viewDef("kept", "select 1 AS `a`", "a"), viewDef("replaced", "select 2 AS `b`", "b"),
		viewDef("moved", "select 3 AS `c`", "c"), viewDef("dropped", "select 4 AS `d`", "d")} {
		if err := db.CreateView(bg, v, false); err != nil {
			t.Fatal(err)
		}
	}
	info, err := db.Backup(bg, dest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadBackupManifest(nil, dest)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(m.Views); got != "[dropped kept moved replaced]" {
		t.Fatalf("manifest views %s", got)
	}
	backupViews := viewsOf(t, db)
	rv := viewDef("replaced", "select `t`.`id` AS `id` from `t`", "id")
	rv.CheckOption = "CASCADED"
	if err := db.AlterView(bg, rv); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTable(bg, "moved", "arrived"); err != nil {
		t.Fatal(err)
	}
	if err := db.DropView(bg, "dropped"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateView(bg, viewDef("fresh", "select 5 AS `e`", "e"), false); err != nil {
		t.Fatal(err)
	}
	want := viewsOf(t, db)
	db.Close()

	// The backup alone: the views of its moment.
	plain := filepath.Join(root, "plain")
	if _, err := Restore(plain, dest, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	pdb := mustOpen(t, plain, Options{})
	if got := viewsOf(t, pdb); fmt.Sprint(got) != fmt.Sprint(backupViews) {
		t.Fatalf("backup's views:\n%v\nwant\n%v", got, backupViews)
	}
	pdb.Close()

	r := filepath.Join(root, "r")
	rep, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Applied < 4 || rep.FromSeq != info.ULogSeq {
		t.Fatalf("restore report %+v", rep)
	}
	rdb := mustOpen(t, r, Options{})
	if got := viewsOf(t, rdb); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("restored views:\n%v\nwant\n%v", got, want)
	}
	rdb.Close()
	// Restoring again over the finished restore replays nothing new and
	// keeps the same views; a replay from scratch gives them too.
	if _, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir}); err != nil {
		t.Fatal(err)
	}
	ref := replayInto(t, filepath.Join(root, "ref"), ulogDir, 1<<62)
	if got := viewsOf(t, ref); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replayed views:\n%v\nwant\n%v", got, want)
	}
}
