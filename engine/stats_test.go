package engine

import (
	"fmt"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// openCrashFS opens a new database with options o on a CrashFS of its
// own, in a temporary directory made on the real disk too (index files,
// bbolt, live there).
func openCrashFS(t *testing.T, o Options) (*vfs.CrashFS, string, *DB) {
	t.Helper()
	fs := vfs.NewCrash()
	dir := t.TempDir()
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o.FS = fs
	db, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return fs, dir, db
}

// TestRecoveryStats kills a database with a plain and a crash-safe table
// the way kill -9 does (every write the process made is kept, nothing was
// closed) and checks what the next Open did and reports: the plain table
// is recovered by reopening its data file, not salvaged (nothing in it is
// damaged), both tables get their indexes rebuilt, the WAL is replayed.
func TestRecoveryStats(t *testing.T) {
	fs, dir, db := openCrashFS(t, Options{})
	for _, d := range []*TableDef{accountsDef("p", false), accountsDef("c", true)} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	const n = 300
	for i := 0; i < n; i++ {
		for _, tbl := range []string{"p", "c"} {
			insert(t, db, tbl, Row{int64(i), fmt.Sprintf("o%d", i), int64(i % 7), nil})
		}
	}
	st := db.Stats()
	if st.WALCommits < n || st.WALSyncs == 0 || st.WALBytes == 0 {
		t.Fatalf("WAL counters after %d crash-safe commits: %+v", n, st)
	}
	killed := fs.Clone() // what kill -9 leaves: every write, nothing closed
	db.Close()

	// Without AutoRecover the plain table is marked as crashed.
	db2, err := Open(dir, Options{FS: killed.Clone()})
	if err != nil {
		t.Fatal(err)
	}
	if st := db2.Stats(); st.TablesCrashed != 1 || st.TablesSalvaged != 0 {
		t.Fatalf("without AutoRecover: %+v", st)
	}
	db2.Close()

	db3 := mustOpen(t, dir, Options{FS: killed, AutoRecover: true})
	st = db3.Stats()
	if st.TablesRecovered != 2 || st.TablesSalvaged != 0 || st.TablesCrashed != 0 || st.IndexRebuilds != 2 || st.WALReplayed == 0 {
		t.Fatalf("after AutoRecover: %+v", st)
	}
	for _, tbl := range []string{"p", "c"} {
		if got := ids(t, db3, tbl, Scan{}); len(got) != n {
			t.Fatalf("table %s holds %d rows after recovery, want %d", tbl, len(got), n)
		}
	}
	names, _ := killed.ReadDir(dir)
	for _, nm := range names {
		if len(nm) > 12 && nm[len(nm)-12:len(nm)-4] == "crashed-" {
			t.Fatalf("a salvage left %s behind although nothing was damaged", nm)
		}
	}
}

// TestUniqueWithinTransaction checks unique keys against the rows one
// transaction wrote: after updates, deletes and a rollback to a savepoint,
// and over many rows (the check indexes them once instead of rescanning).
func TestUniqueWithinTransaction(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	if err := db.CreateTable(bg, accountsDef("u", false)); err != nil { // by_owner is unique
		t.Fatal(err)
	}
	tx := mustTx(t, db)
	ins := func(id int64, owner string) error {
		_, _, err := tx.Insert("u", Row{id, owner, int64(0), nil})
		return err
	}
	if err := ins(1, "x"); err != nil {
		t.Fatal(err)
	}
	h, r, _, _ := tx.Get("u", []any{int64(1)})
	r[1] = "y"
	if _, err := tx.Update("u", h, r); err != nil {
		t.Fatal(err)
	}
	if err := ins(2, "x"); err != nil {
		t.Fatalf("x is free again after the update: %v", err)
	}
	if err := ins(3, "y"); err == nil || !contains(err.Error(), "Duplicate entry 'y'") {
		t.Fatalf("duplicate y: %v", err)
	}
	h2, _, _, _ := tx.Get("u", []any{int64(2)})
	if err := tx.Delete("u", h2); err != nil {
		t.Fatal(err)
	}
	if err := ins(4, "x"); err != nil {
		t.Fatalf("x is free after the delete: %v", err)
	}
	sp := tx.Savepoint()
	if err := ins(5, "z"); err != nil {
		t.Fatal(err)
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	if err := ins(6, "z"); err != nil {
		t.Fatalf("z is free after the rollback: %v", err)
	}
	for i := int64(100); i < 20100; i++ {
		if err := ins(i, fmt.Sprint("o", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ins(30000, "o20000"); err == nil {
		t.Fatal("a duplicate among 20,000 rows written by the transaction was accepted")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
