package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// mustOpenTemp opens a temporary database on db.
func mustOpenTemp(t *testing.T, db *DB) *DB {
	t.Helper()
	td, err := db.OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	if !td.IsTemp() || db.IsTemp() {
		t.Fatal("IsTemp is wrong")
	}
	return td
}

// tempTx begins a transaction of db that sees td's tables.
func tempTx(t *testing.T, db, td *DB) *Tx {
	t.Helper()
	tx := mustTx(t, db)
	tx.UseTemp(td)
	return tx
}

// A temporary table shadows the base table of its name for the
// transactions given it, and no other transaction sees it; its rows never
// reach the WAL or the update log, CRASH_SAFE or not.
func TestTempTableShadowsBaseTable(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{ULogDir: filepath.Join(t.TempDir(), "ulog")})
	if err := db.CreateTable(bg, accountsDef("a", true)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{int64(1), "base", int64(10), nil})
	td := mustOpenTemp(t, db)
	if err := td.CreateTable(bg, accountsDef("a", true)); err != nil {
		t.Fatal(err)
	}
	walBefore, seqBefore := db.wal.Size(), db.ULogSeq()

	tx := tempTx(t, db, td)
	for i := int64(1); i <= 3; i++ {
		if _, _, err := tx.Insert("A", Row{i, "temp" + string(rune('0'+i)), i, nil}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, db, "a", Scan{}); len(got) != 1 {
		t.Errorf("base table a seen without the temporary database: ids %v, want [1]", got)
	}
	tx = tempTx(t, db, td)
	n, err := tx.Count("a", Scan{})
	tx.Rollback()
	if err != nil || n != 3 {
		t.Errorf("temporary a: %d rows, %v; want 3", n, err)
	}
	if db.wal.Size() != walBefore {
		t.Errorf("WAL grew from %d to %d bytes for a temporary table", walBefore, db.wal.Size())
	}
	if db.ULogSeq() != seqBefore {
		t.Errorf("update log went from record %d to %d for a temporary table", seqBefore, db.ULogSeq())
	}
	if _, err := os.Stat(filepath.Join(dir, tempDir, "s1", "a.bdf")); err != nil {
		t.Errorf("temporary table's data file: %v", err)
	}
	if names := db.Tables(); len(names) != 1 {
		t.Errorf("base database lists %v", names)
	}
	if err := td.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, tempDir)); !os.IsNotExist(err) {
		t.Errorf("%s after the temporary database closed: %v", tempDir, err)
	}
	// A transaction given a closed temporary database sees the base table.
	tx = tempTx(t, db, td)
	n, _ = tx.Count("a", Scan{})
	tx.Rollback()
	if n != 1 {
		t.Errorf("after Close the name reads %d rows, want the base table's 1", n)
	}
	// The update log holds only the base table's row.
	var ops int
	_, err = ulog.Read(db.opts.ULogDir, ulog.ReadOptions{}, func(r *ulog.Record) error {
		for _, op := range r.Ops {
			if op.Table == "a" && op.Kind != ulog.OpDDL {
				ops++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ops != 1 {
		t.Errorf("update log has %d row operations on a, want 1 (the base table's)", ops)
	}
}

// Writes to a temporary table obey ROLLBACK and savepoints; Forget drops
// a transaction's writes to one so that it can be dropped without waiting
// for the transaction's own lock.
func TestTempTableTransactions(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	td := mustOpenTemp(t, db)
	defer td.Close()
	if err := td.CreateTable(bg, accountsDef("tt", false)); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		tx := tempTx(t, db, td)
		defer tx.Rollback()
		n, err := tx.Count("tt", Scan{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tx := tempTx(t, db, td)
	tx.Insert("tt", Row{int64(1), "x", int64(1), nil})
	tx.Rollback()
	if n := count(); n != 0 {
		t.Errorf("rolled-back insert left %d rows", n)
	}

	tx = tempTx(t, db, td)
	tx.Insert("tt", Row{int64(1), "x", int64(1), nil})
	sp := tx.Savepoint()
	tx.Insert("tt", Row{int64(2), "y", int64(2), nil})
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("after ROLLBACK TO the savepoint and COMMIT: %d rows, want 1", n)
	}

	tx = tempTx(t, db, td)
	defer tx.Rollback()
	if _, _, err := tx.Insert("tt", Row{int64(3), "z", int64(3), nil}); err != nil {
		t.Fatal(err)
	}
	sp = tx.Savepoint()
	tx.Forget("tt")
	tx.Forget("no_such_table") // nothing to do
	if err := td.DropTable(bg, "tt"); err != nil {
		t.Fatalf("DropTable after Forget: %v", err)
	}
	if err := tx.RollbackTo(sp - 1); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit after the table went: %v", err)
	}
	if _, err := td.Table("tt"); sqlerr.Code(err) != sqlerr.ErrNoSuchTable {
		t.Errorf("dropped temporary table: %v", err)
	}
}

// The base database closes the temporary databases still open, and the
// next Open removes what a dead process left in #temp.
func TestTempLeftovers(t *testing.T) {
	t.Run("close", func(t *testing.T) {
		dir := t.TempDir()
		db, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		td := mustOpenTemp(t, db)
		if err := td.CreateTable(bg, accountsDef("x", false)); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, tempDir)); !os.IsNotExist(err) {
			t.Errorf("%s after Close: %v", tempDir, err)
		}
		if err := td.Close(); err != nil {
			t.Errorf("second Close of the temporary database: %v", err)
		}
		if _, err := db.OpenTemp(); err == nil {
			t.Error("OpenTemp on a closed database succeeded")
		}
	})
	t.Run("kill", func(t *testing.T) {
		// kill -9: every file stays as the process left it (a copy of
		// the directory taken while it runs), index files included.
		dir := t.TempDir()
		db := mustOpen(t, dir, Options{})
		if err := db.CreateTable(bg, accountsDef("x", false)); err != nil {
			t.Fatal(err)
		}
		insert(t, db, "x", Row{int64(1), "kept", int64(1), nil})
		td := mustOpenTemp(t, db)
		if err := td.CreateTable(bg, accountsDef("x", false)); err != nil {
			t.Fatal(err)
		}
		tx := tempTx(t, db, td)
		tx.Insert("x", Row{int64(7), "temp", int64(7), nil})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		copyDir := t.TempDir()
		copyTree(t, dir, copyDir)
		if _, err := os.Stat(filepath.Join(copyDir, tempDir, "s1", "x.by_owner.bix")); err != nil {
			t.Fatalf("the copy lacks the temporary table's index file: %v", err)
		}
		db2 := mustOpen(t, copyDir, Options{AutoRecover: true}) // x was open: recovered
		if _, err := os.Stat(filepath.Join(copyDir, tempDir)); !os.IsNotExist(err) {
			t.Errorf("%s after reopening: %v", tempDir, err)
		}
		if got := ids(t, db2, "x", Scan{}); len(got) != 1 || got[0] != 1 {
			t.Errorf("base table x after reopening: ids %v, want [1]", got)
		}
	})
	t.Run("crashfs", func(t *testing.T) {
		fs := vfs.NewCrash()
		dir := t.TempDir()
		fs.MkdirAll(dir, 0o755)
		db, err := Open(dir, Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		td := mustOpenTemp(t, db)
		if err := td.CreateTable(bg, autoDef(true)); err != nil {
			t.Fatal(err)
		}
		after := crashKinds[0].crash(db, fs)
		db2 := mustOpen(t, dir, Options{FS: after})
		if _, err := after.Stat(filepath.Join(dir, tempDir)); !isNotExist(err) {
			t.Errorf("%s after reopening: %v", tempDir, err)
		}
		if len(db2.Tables()) != 0 {
			t.Errorf("tables after reopening: %v", db2.Tables())
		}
	})
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// A backup taken while a session holds temporary tables (one of them with
// a write lock held by an open transaction) copies the base tables only.
func TestTempTablesNotInBackup(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, accountsDef("a", false)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{int64(1), "base", int64(1), nil})
	td := mustOpenTemp(t, db)
	defer td.Close()
	for _, name := range []string{"a", "scratch"} {
		if err := td.CreateTable(bg, accountsDef(name, true)); err != nil {
			t.Fatal(err)
		}
	}
	tx := tempTx(t, db, td)
	defer tx.Rollback()
	if _, _, err := tx.Insert("scratch", Row{int64(5), "t", int64(5), nil}); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "backup")
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	m, err := ReadBackupManifest(vfs.Default, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 1 || m.Tables[0].Name != "a" || m.Tables[0].Rows != 1 {
		t.Errorf("backup tables %+v, want the base table a with its 1 row", m.Tables)
	}
	for _, f := range m.Files {
		if filepath.Base(f.Name) != f.Name || f.Name == tempDir {
			t.Errorf("backup file %q", f.Name)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, tempDir)); !os.IsNotExist(err) {
		t.Errorf("backup has %s: %v", tempDir, err)
	}
}
