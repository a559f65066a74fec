package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

var swapPairs = []RenamePair{{From: "a", To: "tmp"}, {From: "b", To: "a"}, {From: "tmp", To: "b"}}

// swapSetup creates a (accounts: 4 columns, rows 1..5) and b (items: 3
// columns, rows 1..3), each with a secondary index, and c, untouched.
func swapSetup(t *testing.T, db *DB) {
	t.Helper()
	for _, d := range []*TableDef{accountsDef("a", false), itemsDef("b", true), heapDef("c")} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(1); i <= 5; i++ {
		insert(t, db, "a", Row{i, fmt.Sprint("o", i), i * 10, nil})
		if i <= 3 {
			insert(t, db, "b", Row{nil, i * 100, "x"})
		}
	}
	insert(t, db, "c", Row{int64(1), "c"})
}

// swapState says which way round a and b are: "old" (a is the accounts
// table), "new" (a is the items table), or what is wrong. Every table is
// checked (CHECK TABLE, its index scans) and no file of a staging name is
// left.
func swapState(t *testing.T, fs vfs.FS, dir string, db *DB) string {
	t.Helper()
	names := db.Tables()
	sort.Strings(names)
	if fmt.Sprint(names) != "[a b c]" {
		return fmt.Sprintf("tables %v", names)
	}
	for _, n := range names {
		if rep, err := db.Check(bg, n); err != nil || !rep.OK {
			return fmt.Sprintf("CHECK TABLE %s: %v %v", n, rep.Problems, err)
		}
	}
	files, _ := fs.ReadDir(dir)
	for _, f := range files {
		if strings.HasPrefix(f, renameStagePrefix) || f == renameIntentName || f == ulogIntentName {
			return "file left: " + f
		}
	}
	a, _ := db.Table("a")
	b, _ := db.Table("b")
	ra, rb := ids(t, db, "a", Scan{}), ids(t, db, "b", Scan{})
	ia := ids(t, db, "a", Scan{Index: a.Indexes[0].Name})
	ib := ids(t, db, "b", Scan{Index: b.Indexes[0].Name})
	switch {
	case len(a.Columns) == 4 && len(b.Columns) == 3 && len(ra) == 5 && len(rb) == 3 && len(ia) == 5 && len(ib) == 3:
		return "old"
	case len(a.Columns) == 3 && len(b.Columns) == 4 && len(ra) == 3 && len(rb) == 5 && len(ia) == 3 && len(ib) == 5:
		return "new"
	}
	return fmt.Sprintf("a: %d columns, rows %v (index %v); b: %d columns, rows %v (index %v)", len(a.Columns), ra, ia, len(b.Columns), rb, ib)
}

// TestRenameTablesSwap: the swap and the errors that leave everything as
// it was.
func TestRenameTablesSwap(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	swapSetup(t, db)
	for _, bad := range []struct {
		pairs []RenamePair
		code  int
	}{
		{[]RenamePair{{"a", "x"}, {"nosuch", "y"}}, sqlerr.ErrNoSuchTable},
		{[]RenamePair{{"a", "x"}, {"b", "x"}}, sqlerr.ErrTableExists},
		{[]RenamePair{{"a", "x"}, {"b", "c"}}, sqlerr.ErrTableExists},
		{[]RenamePair{{"a", "x"}, {"a", "y"}}, sqlerr.ErrNoSuchTable},
	} {
		if err := db.RenameTables(bg, bad.pairs); sqlerr.Code(err) != bad.code {
			t.Errorf("RenameTables(%v): %v, want error %d", bad.pairs, err, bad.code)
		}
		if s := swapState(t, vfs.Default, dir, db); s != "old" {
			t.Fatalf("after the failed RenameTables(%v): %s", bad.pairs, s)
		}
	}
	if err := db.RenameTables(bg, swapPairs); err != nil {
		t.Fatal(err)
	}
	if s := swapState(t, vfs.Default, dir, db); s != "new" {
		t.Fatalf("after the swap: %s", s)
	}
	insert(t, db, "a", Row{nil, int64(7), "after"})
	db.Close()
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "a", Scan{Index: "by_v"}); len(got) != 4 {
		t.Fatalf("a after reopening: %v", got)
	}
}

// TestRenameTablesPowerCut cuts the power at every sync point of a
// three-pair swap, then at every sync point of the open that finishes it:
// the database always has a and b the old way round or the new one
// (never tmp, never half), the new one if RenameTables returned, and
// every table checks.
func TestRenameTablesPowerCut(t *testing.T) {
	dir, base, o := swapSetupCrash(t)
	renameCutLoop(t, dir, base, o, swapPairs,
		func(fs vfs.FS, db *DB) string { return swapState(t, fs, dir, db) },
		func(s string, intent []byte) bool {
			// Before the version-2 intent, a cut open could leave the old
			// names; from it on, only the new ones.
			var in renameIntent
			json.Unmarshal(intent, &in)
			return s == "new" || s == "old" && in.Version < 2
		})
}

// renameCutLoop cuts the power at every sync point (cutStep) of
// RenameTables(pairs) on a copy of base, and then at every sync point of
// the open that finishes the rename, if the cut left one to finish. state
// tells what an opened database holds: "old" or "new", anything else
// fails. After a cut in the finishing open, openOK judges the state, given
// the intent the cut rename left. After a cut in the rename, the state
// must be old or new, and new if RenameTables returned or left an intent.
func renameCutLoop(t *testing.T, dir string, base *vfs.CrashFS, o Options, pairs []RenamePair,
	state func(fs vfs.FS, db *DB) string, openOK func(s string, intent []byte) bool) {
	t.Helper()
	seen := map[string]int{}
	recoveryCuts := 0
	for k := 1; ; k += cutStep() {
		if k > 300 {
			t.Fatal("the rename never ran to its end")
		}
		resetIndexes(t, dir)
		fs := base.Clone()
		o.FS = fs
		db, err := Open(dir, o)
		if err != nil {
			t.Fatal(err)
		}
		fs.CutPowerAtSync(k, int64(k))
		done := db.RenameTables(bg, pairs) == nil
		db.closeAfterCut()
		last := !fs.IsCut()
		crashed := fs.AfterCut()
		var intent []byte
		if b, err := vfs.ReadFile(crashed, filepath.Join(dir, renameIntentName)); err == nil {
			intent = b
		}
		for j := 1; intent != nil && j <= 40; j++ {
			ofs := crashed.Clone()
			ofs.CutPowerAtSync(j, int64(j))
			o.FS = ofs
			if db, err := Open(dir, o); err == nil {
				db.closeAfterCut()
			}
			if !ofs.IsCut() {
				break
			}
			recoveryCuts++
			o.FS = ofs.AfterCut()
			db, err := Open(dir, o)
			if err != nil {
				t.Fatalf("k=%d j=%d: open after a cut in the open: %v", k, j, err)
			}
			s := state(o.FS, db)
			db.Close()
			if !openOK(s, intent) {
				t.Fatalf("k=%d j=%d (intent %s): %s", k, j, intent, s)
			}
		}
		o.FS = crashed
		db, err = Open(dir, o)
		if err != nil {
			t.Fatalf("k=%d: open after the cut: %v", k, err)
		}
		s := state(crashed, db)
		db.Close()
		if s != "old" && s != "new" || done && s != "new" || intent != nil && s != "new" {
			t.Fatalf("k=%d (RenameTables returned %v, intent %s): %s", k, done, intent, s)
		}
		seen[s]++
		if last {
			break
		}
	}
	if seen["old"] == 0 || seen["new"] == 0 {
		t.Fatalf("the cuts found only %v: the test checks too little", seen)
	}
	t.Logf("cuts in the rename, by outcome: %v; cuts in the open that finished it: %d", seen, recoveryCuts)
}

// TestRestoreSwapPowerCut: the update log holds a three-pair swap as one
// frame of three renames; a restore cut at every sync point and run
// again ends in the source's state (a swap replayed again from its first
// rename would swap back: Restore notes its progress inside the frame).
func TestRestoreSwapPowerCut(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	os.MkdirAll(src, 0o755)
	os.MkdirAll(dest, 0o755)
	base := vfs.NewCrash()
	db, err := Open(src, Options{FS: base, ULogDir: ulogDir, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	swapSetup(t, db)
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTables(bg, swapPairs); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{nil, int64(9), "after the swap"})
	want := dumpDB(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	frames := 0
	for k := 1; ; k += cutStep() {
		if k > 500 {
			t.Fatal("the restore never completed")
		}
		restored := filepath.Join(root, fmt.Sprint("r", k))
		os.MkdirAll(restored, 0o755)
		fs := base.Clone()
		fs.CutPowerAtSync(k, int64(k))
		_, rerr := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: fs})
		cut := fs.IsCut()
		if rerr != nil && !cut {
			t.Fatalf("k=%d: restore failed without a cut: %v", k, rerr)
		}
		after := fs.AfterCut()
		if b, err := vfs.ReadFile(after, filepath.Join(restored, RestoreStateFile)); err == nil && strings.Contains(string(b), "applied_ops") {
			frames++
		}
		if _, err := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: after}); err != nil {
			t.Fatalf("k=%d: restore again after a cut: %v", k, err)
		}
		rdb, err := Open(restored, Options{FS: after, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("k=%d: open: %v", k, err)
		}
		compareDumps(t, fmt.Sprintf("k=%d: restore cut and run again", k), dumpDB(t, rdb), want)
		rdb.Close()
		os.RemoveAll(restored)
		if t.Failed() {
			return
		}
		if !cut {
			break
		}
	}
	if frames == 0 {
		t.Fatal("no cut stopped a restore inside the swap's frame: the test checks too little")
	}
	t.Logf("cuts that stopped the restore inside the swap's frame: %d", frames)
}

// FuzzIntentFiles opens a database whose RENAME.pending and ULOG.pending
// hold arbitrary bytes: Open either fails with an error or opens (and
// closes); it never panics.
func FuzzIntentFiles(f *testing.F) {
	f.Add([]byte(`{"version":2,"pairs":[{"from":"a","to":"t"},{"from":"b","to":"a"},{"from":"t","to":"b"}],"moves":[{"from":"a","to":"b"},{"from":"b","to":"a"}],"phase":1}`),
		[]byte(`{"version":1,"seq":0,"ops":[{"table":"a","ddl":{"v":1,"op":"rename_table","def":null,"to":"t"}}]}`))
	f.Add([]byte(`{"version":2,"pairs":[{"from":"a","to":"c"}],"moves":[{"from":"a","to":"c"}],"phase":2}`), []byte(`{"version":1,"seq":9,"ops":[]}`))
	f.Add([]byte(`{"version":1,"from":"a","to":"c"}`), []byte(`{"version":1,"seq":0,"ops":[{"table":"zz","ddl":{"v":1,"op":"drop_table","def":null}}]}`))
	f.Add([]byte(`{"version":3,"pairs":[{"from":"a","to":"c"}],"moves":[{"from":"a","to":"c"}],"keys":[{"table":"c","foreign_keys":[{"name":"c_ibfk_1","columns":["id"],"ref_table":"b","ref_columns":["id"]}]},{"table":"b","foreign_keys":[]}],"phase":1}`), []byte{})
	f.Add([]byte(`{"version":3,"pairs":[{"from":"a","to":"c"}],"moves":[{"from":"a","to":"c"}],"keys":[{"table":"../b","foreign_keys":[{"name":""}]}],"phase":2}`), []byte{})
	f.Add([]byte(`{"version":4}`), []byte(`not json`))
	f.Add([]byte{}, []byte{})
	root := f.TempDir()
	dir, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	base := vfs.NewCrash()
	o := Options{FS: base, ULogDir: ulogDir, WALSegmentBytes: walSeg}
	db, err := Open(dir, o)
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if err := db.CreateTable(bg, heapDef(n)); err != nil {
			f.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rename, ulogIntent []byte) {
		fs := base.Clone()
		for name, b := range map[string][]byte{renameIntentName: rename, ulogIntentName: ulogIntent} {
			if len(b) > 0 {
				if err := vfs.WriteFileAtomic(fs, filepath.Join(dir, name), b); err != nil {
					t.Fatal(err)
				}
			}
		}
		o := o
		o.FS = fs
		db, err := Open(dir, o)
		if err != nil {
			if !strings.Contains(err.Error(), "blitz/") {
				t.Fatalf("error without a package prefix: %v", err)
			}
			return
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

// fkRenameSetup creates parent p, whose generated key p_ibfk_1 references
// itself, and children c1..c3 referencing it (c3 twice, one key with a
// generated name of p's that is not p's: it stays), with rows.
func fkRenameSetup(t *testing.T, db *DB) {
	t.Helper()
	col := func(n string) Column { return Column{Name: n, Type: TypeInt} }
	p := &TableDef{Name: "p", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}, col("up")}, PrimaryKey: []string{"id"},
		Indexes:     []IndexDef{{Name: "up", Columns: []string{"up"}, ForForeignKey: true}},
		ForeignKeys: []ForeignKeyDef{{Name: "p_ibfk_1", Columns: []string{"up"}, RefTable: "p", RefColumns: []string{"id"}}}}
	if err := db.CreateTable(bg, p); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"c1", "c2", "c3"} {
		d := &TableDef{Name: n, Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}, col("pid"), col("q")}, PrimaryKey: []string{"id"},
			Indexes:     []IndexDef{{Name: "pid", Columns: []string{"pid"}, ForForeignKey: true}, {Name: "q", Columns: []string{"q"}, ForForeignKey: true}},
			ForeignKeys: []ForeignKeyDef{{Name: n + "_ibfk_1", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: RefCascade}},
			CrashSafe:   i == 1}
		if n == "c3" {
			d.ForeignKeys = append(d.ForeignKeys, ForeignKeyDef{Name: "p_ibfk_7", Columns: []string{"q"}, RefTable: "c1", RefColumns: []string{"id"}})
		}
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	insert(t, db, "p", Row{int64(1), nil})
	insert(t, db, "p", Row{int64(2), int64(1)})
	for _, n := range []string{"c1", "c2", "c3"} {
		insert(t, db, n, Row{int64(1), int64(1), nil})
		insert(t, db, n, Row{int64(2), int64(2), nil})
	}
}

// fkRenameState says whether p is renamed to np with every reference
// following ("new"), not renamed at all ("old"), or what is mixed. The
// cascade from the parent checks that the engine's reverse map agrees.
func fkRenameState(t *testing.T, db *DB) string {
	t.Helper()
	var parts []string
	for _, n := range []string{"p", "np", "c1", "c2", "c3"} {
		d, err := db.Table(n)
		if err != nil {
			continue
		}
		var fks []string
		for _, fk := range d.ForeignKeys {
			fks = append(fks, fk.Name+">"+fk.RefTable)
		}
		parts = append(parts, n+"["+strings.Join(fks, " ")+"]")
	}
	s := strings.Join(parts, " ")
	switch s {
	case "p[p_ibfk_1>p] c1[c1_ibfk_1>p] c2[c2_ibfk_1>p] c3[c3_ibfk_1>p p_ibfk_7>c1]":
		s = "old"
	case "np[np_ibfk_1>np] c1[c1_ibfk_1>np] c2[c2_ibfk_1>np] c3[c3_ibfk_1>np p_ibfk_7>c1]":
		s = "new"
	default:
		return s
	}
	parent := map[string]string{"old": "p", "new": "np"}[s]
	for _, n := range []string{parent, "c1", "c2", "c3"} {
		if rep, err := db.Check(bg, n); err != nil || !rep.OK {
			return fmt.Sprintf("CHECK TABLE %s: %v %v", n, rep.Problems, err)
		}
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	h, _, ok, err := tx.Get(parent, []any{int64(1)})
	if err != nil || !ok {
		return fmt.Sprintf("%s row 1: %v %v", parent, ok, err)
	}
	// p_ibfk_1 is RESTRICT and row 2 refers to row 1.
	var fe *ForeignKeyError
	if err := tx.Delete(parent, h); asFK(err, &fe) && fe.Code == sqlerr.ErrRowIsReferenced && fe.Table == parent {
		return s + " refused"
	} else {
		return fmt.Sprintf("%s, but delete from %s: %v", s, parent, err)
	}
}

// TestRenameParentPowerCut: RENAME TABLE of a parent table rewrites the
// definitions of its children in the same all-or-nothing step as its own
// files (the intent's "keys"). Cut at every sync point of the rename, and
// then at every sync point of the open that finishes it, the database is
// either wholly before the rename or wholly after it: never a child
// referencing the old name beside a renamed parent.
func TestRenameParentPowerCut(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "db")
	os.MkdirAll(dir, 0o755)
	base := vfs.NewCrash()
	o := Options{FS: base, WALSegmentBytes: walSeg, AutoRecover: true, noCheckpointLoop: true}
	db, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	fkRenameSetup(t, db)
	if s := fkRenameState(t, db); s != "old refused" {
		t.Fatalf("before the rename: %s", s)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	pairs := []RenamePair{{From: "p", To: "np"}}
	// Uncut, the open database has it all at once.
	resetIndexes(t, dir)
	o.FS = base.Clone()
	if db, err = Open(dir, o); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTables(bg, pairs); err != nil {
		t.Fatal(err)
	}
	if s := fkRenameState(t, db); s != "new refused" {
		t.Fatalf("after the rename, in memory: %s", s)
	}
	db.Close()
	renameCutLoop(t, dir, base, o, pairs,
		func(_ vfs.FS, db *DB) string { return outcome(fkRenameState(t, db)) },
		func(s string, _ []byte) bool { return s == "new" })
}

// outcome maps fkRenameState's answer for a consistent database, whose
// parent refuses the delete (1451), to "old" or "new".
func outcome(s string) string {
	if st, ok := strings.CutSuffix(s, " refused"); ok {
		return st
	}
	return s
}

// TestRenameIntentVersion2: an intent of format version 2 (no "keys"),
// as a build before version 3 left it when a crash cut its RENAME TABLE
// short, is still finished at open.
func TestRenameIntentVersion2(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	for _, n := range []string{"a", "b"} {
		if err := db.CreateTable(bg, heapDef(n)); err != nil {
			t.Fatal(err)
		}
	}
	insert(t, db, "a", Row{int64(7), "seven"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	in := `{"version":2,"pairs":[{"from":"a","to":"c"}],"moves":[{"from":"a","to":"c"}],"phase":1}`
	if err := os.WriteFile(filepath.Join(dir, renameIntentName), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	defer db.Close()
	names := db.Tables()
	sort.Strings(names)
	if fmt.Sprint(names) != "[b c]" {
		t.Fatalf("tables after the open: %v, want [b c]", names)
	}
	if got := ids(t, db, "c", Scan{}); len(got) != 1 {
		t.Fatalf("rows of c: %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, renameIntentName)); !os.IsNotExist(err) {
		t.Fatalf("%s left: %v", renameIntentName, err)
	}
}

// swapSetupCrash makes swapSetup's database on a crash FS and closes it:
// the start of a power-cut loop over renames.
func swapSetupCrash(t *testing.T) (dir string, base *vfs.CrashFS, o Options) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "db")
	os.MkdirAll(dir, 0o755) // index files live outside the vfs
	base = vfs.NewCrash()
	o = Options{FS: base, WALSegmentBytes: walSeg, AutoRecover: true}
	db, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	swapSetup(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, base, o
}
