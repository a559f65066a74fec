package engine

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

var bg = context.Background()

// mustOpen opens dir and, at the end of the test, checks every table and
// closes the database.
func mustOpen(t *testing.T, dir string, o Options) *DB {
	t.Helper()
	db, err := Open(dir, o)
	if err != nil {
		t.Fatalf("Open %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if db.isClosed() {
			return
		}
		for _, name := range db.Tables() {
			rep, err := db.Check(bg, name)
			if err != nil {
				t.Errorf("Check %s: %v", name, err)
			} else if !rep.OK {
				t.Errorf("Check %s: %v", name, rep.Problems)
			}
		}
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func (db *DB) isClosed() bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.closed
}

func accountsDef(name string, crashSafe bool) *TableDef {
	return &TableDef{
		Name: name,
		Columns: []Column{
			{Name: "id", Type: TypeBigInt, NotNull: true},
			{Name: "owner", Type: TypeVarChar, Length: 32, NotNull: true},
			{Name: "balance", Type: TypeBigInt, NotNull: true},
			{Name: "note", Type: TypeText},
		},
		PrimaryKey: []string{"id"},
		Indexes: []IndexDef{
			{Name: "by_owner", Columns: []string{"owner"}, Unique: true},
			{Name: "by_balance", Columns: []string{"balance"}},
		},
		CrashSafe: crashSafe,
	}
}

func insert(t *testing.T, db *DB, table string, rows ...Row) {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, _, err := tx.Insert(table, r); err != nil {
			tx.Rollback()
			t.Fatalf("Insert %v: %v", r, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// ids returns the id column of the rows s visits, in visit order.
func ids(t *testing.T, db *DB, table string, s Scan) []int64 {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var out []int64
	if err := tx.Scan(table, s, func(h Handle, r Row) (bool, error) {
		out = append(out, r[0].(int64))
		return true, nil
	}); err != nil {
		t.Fatalf("Scan %s %+v: %v", table, s, err)
	}
	return out
}

func TestBasicCRUD(t *testing.T) {
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, Options{})
			if err := db.CreateTable(bg, accountsDef("acct", cs)); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateTable(bg, accountsDef("ACCT", cs)); sqlerr.Code(err) != sqlerr.ErrTableExists {
				t.Fatalf("second CREATE: %v", err)
			}
			insert(t, db, "acct",
				Row{int64(1), "ann", int64(100), nil},
				Row{int64(2), "bob", int64(50), "x"},
				Row{int64(3), "cy", int64(75), nil})

			// Uniqueness: primary key and unique index, named in the error.
			tx, _ := db.Begin(bg)
			if _, _, err := tx.Insert("acct", Row{int64(1), "dan", int64(1), nil}); sqlerr.Code(err) != sqlerr.ErrDupEntry {
				t.Fatalf("dup pk: %v", err)
			}
			_, _, err := tx.Insert("acct", Row{int64(9), "bob", int64(1), nil})
			if sqlerr.Code(err) != sqlerr.ErrDupEntry || !containsAll(err.Error(), "bob", "by_owner") {
				t.Fatalf("dup unique: %v", err)
			}
			tx.Rollback()

			// Reads see own writes; rollback discards them.
			tx, _ = db.Begin(bg)
			h, r, ok, err := tx.Get("acct", []any{int64(2)})
			if err != nil || !ok || r[1] != "bob" {
				t.Fatalf("Get: %v %v %v", r, ok, err)
			}
			r[2] = int64(999)
			if _, err := tx.Update("acct", h, r); err != nil {
				t.Fatal(err)
			}
			if _, r2, _, _ := tx.Get("acct", []any{int64(2)}); r2[2] != int64(999) {
				t.Fatalf("own write not seen: %v", r2)
			}
			if got := ids(t, db, "acct", Scan{Index: "by_balance"}); fmt.Sprint(got) != "[2 3 1]" {
				t.Fatalf("other tx saw uncommitted write: %v", got)
			}
			tx.Rollback()
			if _, r2, _, _ := mustTx(t, db).Get("acct", []any{int64(2)}); r2[2] != int64(50) {
				t.Fatalf("rollback kept the write: %v", r2)
			}

			// Update moving the primary key, delete, index scans.
			tx = mustTx(t, db)
			h, r, _, _ = tx.Get("acct", []any{int64(3)})
			r[0] = int64(30)
			if _, err := tx.Update("acct", h, r); err != nil {
				t.Fatal(err)
			}
			h, _, _, _ = tx.Get("acct", []any{int64(1)})
			if err := tx.Delete("acct", h); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := ids(t, db, "acct", Scan{Index: "PRIMARY"}); fmt.Sprint(got) != "[2 30]" {
				t.Fatalf("PRIMARY scan: %v", got)
			}
			if got := ids(t, db, "acct", Scan{Index: "by_balance", Reverse: true}); fmt.Sprint(got) != "[30 2]" {
				t.Fatalf("by_balance reverse: %v", got)
			}
			got := ids(t, db, "acct", Scan{Index: "by_owner", Lo: Bound{Values: []any{"bob"}, Inclusive: false}})
			if fmt.Sprint(got) != "[30]" {
				t.Fatalf("by_owner > bob: %v", got)
			}
			// The freed unique value can be taken again.
			insert(t, db, "acct", Row{int64(4), "ann", int64(5), nil})

			// Everything survives a clean reopen.
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, Options{})
			if got := ids(t, db, "acct", Scan{Index: "by_balance"}); fmt.Sprint(got) != "[4 2 30]" {
				t.Fatalf("after reopen: %v", got)
			}
		})
	}
}

func mustTx(t *testing.T, db *DB) *Tx {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !contains(s, x) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestSecondProcessLocked(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	_ = db
	_, err := Open(dir, Options{})
	if err == nil || !contains(err.Error(), "locked") {
		t.Fatalf("second Open: %v", err)
	}
}

// TestAutoIncrementNeverReused: values handed out are never handed out
// again, even when the process dies without saving its counters.
func TestAutoIncrementNeverReused(t *testing.T) {
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			fs := vfs.NewCrash()
			dir := t.TempDir()
			if err := fs.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			def := &TableDef{Name: "t", Columns: []Column{
				{Name: "id", Type: TypeBigInt, NotNull: true, AutoIncrement: true},
				{Name: "v", Type: TypeInt},
			}, PrimaryKey: []string{"id"}, CrashSafe: cs}
			hidden := &TableDef{Name: "h", Columns: []Column{{Name: "v", Type: TypeInt}}, CrashSafe: cs}
			seen := map[uint64]bool{}
			for round := 0; round < 4; round++ {
				db, err := Open(dir, Options{FS: fs, AutoRecover: true})
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if round == 0 {
					if err := db.CreateTable(bg, def); err != nil {
						t.Fatal(err)
					}
					if err := db.CreateTable(bg, hidden); err != nil {
						t.Fatal(err)
					}
				}
				for i := 0; i < 30; i++ {
					tx := mustTx(t, db)
					_, id, err := tx.Insert("t", Row{nil, int64(i)})
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := tx.Insert("h", Row{int64(i)}); err != nil {
						t.Fatal(err)
					}
					if err := tx.Commit(); err != nil {
						t.Fatal(err)
					}
					if seen[id] {
						t.Fatalf("round %d: id %d handed out twice", round, id)
					}
					seen[id] = true
				}
				// Die without closing: cut the power, go on with what the disk holds.
				cutPower(db, fs, int64(round))
				db.closeAfterCut()
				fs = fs.AfterCut()
			}
		})
	}
}

// cutPower cuts fs's power while no checkpoint runs. A checkpoint writes
// crash-safe rows into the data files' mapped memory, which no filesystem
// call guards, so a cut taken meanwhile reads that memory as it changes
// (a data race, which -race reported). Cuts in the middle of a checkpoint
// are the business of the tests that cut at every sync point.
func cutPower(db *DB, fs *vfs.CrashFS, seed int64) {
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	fs.CutPower(seed)
}

// closeAfterCut releases what a database holds after its filesystem lost
// power, as a dead process would (every call fails; nothing is saved).
func (db *DB) closeAfterCut() {
	db.Close() //nolint: errors are expected
}

func TestTableNames(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	for _, n := range []string{"b", "a", "c"} {
		if err := db.CreateTable(bg, accountsDef(n, n == "b")); err != nil {
			t.Fatal(err)
		}
	}
	got := db.Tables()
	sort.Strings(got)
	if fmt.Sprint(got) != "[a b c]" {
		t.Fatalf("Tables: %v", got)
	}
	if err := db.RenameTable(bg, "a", "z"); err != nil {
		t.Fatal(err)
	}
	if err := db.DropTable(bg, "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Table("c"); sqlerr.Code(err) != sqlerr.ErrNoSuchTable {
		t.Fatalf("dropped table: %v", err)
	}
	insert(t, db, "z", Row{int64(1), "q", int64(1), nil})
	if err := db.CreateIndex(bg, "z", IndexDef{Name: "by_note", Columns: []string{"note"}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, db, "z", Scan{Index: "by_note"}); fmt.Sprint(got) != "[1]" {
		t.Fatalf("new index: %v", got)
	}
	if err := db.DropIndex(bg, "z", "by_note"); err != nil {
		t.Fatal(err)
	}
}
