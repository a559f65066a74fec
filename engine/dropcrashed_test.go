package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// crashedDB builds crash-safe tables t, u and v (and plain table p), each
// with rows that only the WAL holds, cuts the power, removes the data files
// of the tables named in lose, and returns the filesystem found after the
// cut. Opened without AutoRecover, every table in lose is crashed (1194)
// and keeps the WAL from being checkpointed.
func crashedDB(t *testing.T, dir string, lose ...string) *vfs.CrashFS {
	t.Helper()
	fs := vfs.NewCrash()
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t", "u", "v", "p"} {
		if err := db.CreateTable(bg, accountsDef(name, name != "p")); err != nil {
			t.Fatal(err)
		}
		for i := int64(1); i <= 3; i++ {
			insert(t, db, name, Row{i, name + string(rune('0'+i)), i, nil})
		}
	}
	if err := db.Sync(); err != nil { // p's rows durable; a checkpoint
		t.Fatal(err)
	}
	for _, name := range []string{"t", "u", "v"} {
		insert(t, db, name, Row{int64(4), name + "4", int64(4), nil}) // WAL only
	}
	cutPower(db, fs, 1)
	db.closeAfterCut()
	after := fs.AfterCut()
	for _, name := range lose {
		if err := after.Remove(filepath.Join(dir, name+dataSuffix)); err != nil {
			t.Fatal(err)
		}
	}
	return after
}

// tableFiles lists the files of dir that belong to table name.
func tableFiles(t *testing.T, fs vfs.FS, dir, name string) []string {
	t.Helper()
	names, err := fs.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, name+".") {
			out = append(out, n)
		}
	}
	return out
}

// TestDropCrashedCrashSafeTable: a crash-safe table left crashed (1194) by
// an open without AutoRecover can be dropped, as MariaDB drops a crashed
// table: its files go, and its WAL records, which the other crashed table
// still keeps in the WAL, never reach a later table of the same name.
func TestDropCrashedCrashSafeTable(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir, "t", "v")
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	if err := readOne(db, "t"); sqlerr.Code(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("t before DROP: %v, want 1194", err)
	}
	if err := db.DropTable(bg, "t"); err != nil {
		t.Fatalf("DROP TABLE of a crashed crash-safe table: %v", err)
	}
	if files := tableFiles(t, fs, dir, "t"); len(files) > 0 {
		t.Fatalf("files of t left after DROP: %v", files)
	}
	// v is still crashed, so the WAL keeps t's records: a new t must not
	// take them. It is refused, saying why, until v is repaired.
	err = db.CreateTable(bg, accountsDef("t", true))
	if err == nil || !containsAll(err.Error(), "t", "v", "REPAIR") {
		t.Fatalf("CREATE TABLE t while the WAL holds the dropped t's records: %v", err)
	}
	// u, healthy, still works and can be dropped too (its WAL records
	// stay behind v's as well).
	insert(t, db, "u", Row{int64(5), "u5", int64(5), nil})
	if err := db.DropTable(bg, "u"); err != nil {
		t.Fatalf("DROP TABLE u while v is crashed: %v", err)
	}
	if err := db.RenameTable(bg, "p", "u"); err == nil || !strings.Contains(err.Error(), "REPAIR") {
		t.Fatalf("RENAME p TO u while the WAL holds the dropped u's records: %v", err)
	}
	db.Close()

	// A reopen finds the same: t and u gone, their names still refused.
	db, err = Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(db.Tables(), ","); got != "p,v" {
		t.Fatalf("tables after reopen: %s", got)
	}
	if err := db.CreateTable(bg, accountsDef("u", true)); err == nil {
		t.Fatal("CREATE TABLE u after reopen: no error while v is crashed")
	}
	// Dropping the last crashed table frees the WAL: the names work again.
	if err := db.DropTable(bg, "v"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"t", "u"} {
		if err := db.CreateTable(bg, accountsDef(name, true)); err != nil {
			t.Fatalf("CREATE TABLE %s after the crashed tables are gone: %v", name, err)
		}
		insert(t, db, name, Row{int64(100), name + "100", int64(100), nil})
	}
	// A crash now replays the WAL: the new tables hold their one row each.
	cutPower(db, fs, 2)
	db.closeAfterCut()
	fs = fs.AfterCut()
	db = mustOpen(t, dir, Options{FS: fs, WALSegmentBytes: walSeg, AutoRecover: true})
	for _, name := range []string{"t", "u"} {
		if got := ids(t, db, name, Scan{}); len(got) != 1 || got[0] != 100 {
			t.Errorf("%s after a crash: ids %v, want [100] (rows of the dropped table came back)", name, got)
		}
	}
}

// TestDropCrashedPlainTable: a plain table marked crashed is dropped, its
// files with it, and the name can be used again.
func TestDropCrashedPlainTable(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir)
	db := mustOpen(t, dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err := readOne(db, "p"); sqlerr.Code(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("p before DROP: %v, want 1194", err)
	}
	// TRUNCATE (delete every row) and RENAME answer 1194 naming the table.
	tx := mustTx(t, db)
	err := tx.Scan("p", Scan{}, func(Handle, Row) (bool, error) { return true, nil })
	tx.Rollback()
	if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "'p'") {
		t.Fatalf("scan of crashed p: %v", err)
	}
	if err := db.RenameTable(bg, "p", "q"); sqlerr.Code(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("RENAME of crashed p: %v, want 1194", err)
	}
	if err := db.DropTable(bg, "p"); err != nil {
		t.Fatalf("DROP TABLE of a crashed plain table: %v", err)
	}
	if files := tableFiles(t, fs, dir, "p"); len(files) > 0 {
		t.Fatalf("files of p left after DROP: %v", files)
	}
	if err := db.CreateTable(bg, accountsDef("p", false)); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, db, "p", Scan{}); len(got) != 0 {
		t.Fatalf("new p holds %v", got)
	}
}

// readOne reads one row of table name, returning the error.
func readOne(db *DB, name string) error {
	tx, err := db.Begin(bg)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	_, _, _, err = tx.Get(name, []any{int64(1)})
	return err
}

// TestRenameCrashSafeWhileWALKept: RENAME TABLE of a crash-safe table
// whose committed rows only the WAL holds (a crashed crash-safe table
// keeps checkpoints from running) loses none of them after a crash.
func TestRenameCrashSafeWhileWALKept(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir, "v")
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	insert(t, db, "u", Row{int64(5), "u5", int64(5), nil})
	// Refused: a crash would replay rows 4 and 5 under the old name.
	if err := db.RenameTable(bg, "u", "w"); err == nil || !containsAll(err.Error(), "u", "v", "REPAIR") {
		t.Fatalf("RENAME u TO w while v is crashed and u's rows are only in the WAL: %v", err)
	}
	cutPower(db, fs, 3)
	db.closeAfterCut()
	fs = fs.AfterCut()
	db = mustOpen(t, dir, Options{FS: fs, WALSegmentBytes: walSeg, AutoRecover: true})
	if err := db.DropTable(bg, "v"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(t, db, "u", Scan{})); got != "[1 2 3 4 5]" {
		t.Fatalf("u after a crash: %s", got)
	}
	// With the WAL free again, the rename works.
	if err := db.RenameTable(bg, "u", "w"); err != nil {
		t.Fatal(err)
	}
}

// TestDropCrashedTableULog: the DROP of a crashed crash-safe table goes
// into the update log like any other, so a restore from a backup taken
// before it replays the drop, and a backup taken after it holds no trace
// of the table.
func TestDropCrashedTableULog(t *testing.T) {
	root := t.TempDir()
	src, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	for _, name := range []string{"t", "u"} {
		if err := db.CreateTable(bg, accountsDef(name, true)); err != nil {
			t.Fatal(err)
		}
		insert(t, db, name, Row{int64(1), name + "1", int64(1), nil})
	}
	before := filepath.Join(root, "before")
	if _, err := db.Backup(bg, before); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "t", Row{int64(2), "t2", int64(2), nil})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := vfs.Default.Remove(filepath.Join(src, "t"+dataSuffix)); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, src, Options{ULogDir: ulogDir})
	if err := readOne(db, "t"); sqlerr.Code(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("t: %v, want 1194", err)
	}
	if err := db.DropTable(bg, "t"); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "u", Row{int64(2), "u2", int64(2), nil})
	after := filepath.Join(root, "after")
	if _, err := db.Backup(bg, after); err != nil {
		t.Fatal(err)
	}
	want := dumpDB(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r1 := filepath.Join(root, "r1")
	if _, err := Restore(r1, before, RestoreOptions{ULogDir: ulogDir}); err != nil {
		t.Fatal(err)
	}
	rdb := mustOpen(t, r1, Options{})
	compareDumps(t, "backup before the drop + update log", dumpDB(t, rdb), want)
	rdb.Close()
	r2 := filepath.Join(root, "r2")
	if _, err := Restore(r2, after, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if files := tableFiles(t, vfs.Default, r2, "t"); len(files) > 0 {
		t.Fatalf("backup after the drop holds %v", files)
	}
	rdb = mustOpen(t, r2, Options{})
	compareDumps(t, "backup after the drop", dumpDB(t, rdb), want)
}

// TestDropDamagedDefinition: a table whose definition file is damaged
// (1194, and REPAIR cannot rebuild a definition) is dropped by DROP TABLE:
// all its files go, the name is free for a new table, a second DROP is
// 1051, and the update log records the drop so that a restore from a
// backup taken before it ends with the same tables.
func TestDropDamagedDefinition(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		root := t.TempDir()
		src, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
		db := mustOpen(t, src, Options{ULogDir: ulogDir})
		for _, name := range []string{"t", "u"} {
			if err := db.CreateTable(bg, accountsDef(name, crashSafe)); err != nil {
				t.Fatal(err)
			}
			insert(t, db, name, Row{int64(1), name + "1", int64(1), nil})
		}
		before := filepath.Join(root, "before")
		if _, err := db.Backup(bg, before); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if len(tableFiles(t, vfs.Default, src, "t")) < 3 {
			t.Fatalf("t has files %v, want its definition, data and index files", tableFiles(t, vfs.Default, src, "t"))
		}
		if err := os.WriteFile(filepath.Join(src, "t"+defSuffix), []byte("garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
		db = mustOpen(t, src, Options{ULogDir: ulogDir})
		if err := readOne(db, "t"); sqlerr.Code(err) != sqlerr.ErrCrashedTable {
			t.Fatalf("crashSafe=%v: t: %v, want 1194", crashSafe, err)
		}
		if err := db.DropTable(bg, "T"); err != nil {
			t.Fatalf("crashSafe=%v: DROP TABLE of a damaged definition: %v", crashSafe, err)
		}
		if files := tableFiles(t, vfs.Default, src, "t"); len(files) > 0 {
			t.Fatalf("crashSafe=%v: after the drop t has files %v", crashSafe, files)
		}
		if err := db.DropTable(bg, "t"); sqlerr.Code(err) != sqlerr.ErrUnknownTable {
			t.Fatalf("crashSafe=%v: second drop: %v, want 1051", crashSafe, err)
		}
		if err := db.CreateTable(bg, accountsDef("t", crashSafe)); err != nil {
			t.Fatalf("crashSafe=%v: CREATE TABLE after the drop: %v", crashSafe, err)
		}
		insert(t, db, "t", Row{int64(7), "new", int64(7), nil})
		want := dumpDB(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = mustOpen(t, src, Options{})
		compareDumps(t, "reopened after the drop", dumpDB(t, db), want)
		db.Close()
		r := filepath.Join(root, "r")
		if _, err := Restore(r, before, RestoreOptions{ULogDir: ulogDir}); err != nil {
			t.Fatalf("crashSafe=%v: restore: %v", crashSafe, err)
		}
		rdb := mustOpen(t, r, Options{})
		compareDumps(t, "backup before the drop + update log", dumpDB(t, rdb), want)
		rdb.Close()
	}
}
