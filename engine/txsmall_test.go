package engine

import (
	"fmt"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// TestTxManyTables writes more tables in one transaction than Tx finds by
// a look through its list (wsMapMin), crash-safe and plain ones mixed,
// with a savepoint rolled back half-way and a duplicate key met in a
// table written before: each table then holds exactly the rows that were
// not rolled back, after the commit and after a reopen.
func TestTxManyTables(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{Sync: SyncOff})
	const tables = 2*wsMapMin + 1
	for i := range tables {
		def := &TableDef{Name: fmt.Sprintf("t%d", i), Columns: []Column{
			{Name: "id", Type: TypeBigInt, NotNull: true},
			{Name: "v", Type: TypeVarChar, Length: 20},
		}, PrimaryKey: []string{"id"}, CrashSafe: i%3 != 0}
		if err := db.CreateTable(bg, def); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	var sp int
	for i := range tables {
		if i == tables/2 {
			sp = tx.Savepoint()
		}
		for _, id := range []int64{1, 2} {
			if _, _, err := tx.Insert(fmt.Sprintf("t%d", i), Row{id, "a"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range tables { // every table's write set is found again
		if _, _, err := tx.Insert(fmt.Sprintf("t%d", i), Row{int64(1), "dup"}); sqlerr.Code(err) != sqlerr.ErrDupEntry {
			t.Fatalf("t%d: second id 1: %v, want 1062", i, err)
		}
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	for i := range tables / 2 {
		if _, _, err := tx.Insert(fmt.Sprintf("t%d", i), Row{int64(3), "b"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check := func(db *DB) {
		t.Helper()
		for i := range tables {
			want := int64(0)
			if i < tables/2 {
				want = 3
			}
			st, err := db.Status(fmt.Sprintf("t%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows != want {
				t.Errorf("t%d: %d rows, want %d", i, st.Rows, want)
			}
		}
	}
	check(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{Sync: SyncOff})
	check(db)
}

// TestCoerceKeepsValue: a value Coerce leaves as it is comes back as the
// very value given (no new box), and one it changes does not.
func TestCoerceKeepsValue(t *testing.T) {
	for _, tc := range []struct {
		col  Column
		v    any
		want any
	}{
		{Column{Name: "c", Type: TypeBigInt}, int64(1) << 40, int64(1) << 40},
		{Column{Name: "c", Type: TypeInt}, int64(-5), int64(-5)},
		{Column{Name: "c", Type: TypeBigInt, Unsigned: true}, uint64(1) << 63, uint64(1) << 63},
		{Column{Name: "c", Type: TypeBigInt, Unsigned: true}, int64(7), uint64(7)},
		{Column{Name: "c", Type: TypeBigInt}, 12, int64(12)},
		{Column{Name: "c", Type: TypeVarChar, Length: 10}, "payload", "payload"},
		{Column{Name: "c", Type: TypeText}, "payload", "payload"},
		{Column{Name: "c", Type: TypeChar, Length: 10}, "pad  ", "pad"},
		{Column{Name: "c", Type: TypeVarChar, Length: 10}, []byte("bytes"), "bytes"},
	} {
		got, err := Coerce(&tc.col, tc.v, 1)
		if err != nil {
			t.Fatalf("%v %#v: %v", tc.col.Type, tc.v, err)
		}
		if got != tc.want {
			t.Errorf("%v %#v: %#v, want %#v", tc.col.Type, tc.v, got, tc.want)
		}
	}
	if _, err := Coerce(&Column{Name: "c", Type: TypeTinyInt}, int64(300), 1); sqlerr.Code(err) != sqlerr.ErrOutOfRange {
		t.Errorf("300 into TINYINT: %v, want 1264", err)
	}
	big := Column{Name: "c", Type: TypeBigInt}
	if n := testing.AllocsPerRun(100, func() { Coerce(&big, int64(1)<<40, 1) }); n != 0 {
		t.Errorf("Coerce of an int64 BIGINT keeps: %v allocations, want 0", n)
	}
}

// TestCommitOneRowAfterRollbackTo: a transaction whose last change was
// rolled back to a savepoint, leaving one change of an earlier row,
// commits that row (Commit and apply find the one change without walking
// the write set): it is there after the commit and after a power cut that
// leaves only the WAL to replay it.
func TestCommitOneRowAfterRollbackTo(t *testing.T) {
	fs := vfs.NewCrash()
	dir := t.TempDir()
	db, err := Open(dir, Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	def := &TableDef{Name: "t", Columns: []Column{
		{Name: "id", Type: TypeBigInt, NotNull: true},
		{Name: "v", Type: TypeVarChar, Length: 20},
	}, PrimaryKey: []string{"id"}, CrashSafe: true}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tx.Insert("t", Row{int64(1), "kept"}); err != nil {
		t.Fatal(err)
	}
	sp := tx.Savepoint()
	if _, _, err := tx.Insert("t", Row{int64(2), "undone"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	ws := tx.wsl[0]
	if k, p := ws.onlyKey(); len(ws.m) != 1 || p == nil || p.del || ws.m[k] != p {
		t.Fatalf("onlyKey after RollbackTo: %q %+v (%d changes)", k, p, len(ws.m))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check := func(db *DB) {
		t.Helper()
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, r, ok, err := tx.Get("t", []any{int64(1)}); err != nil || !ok || r[1] != "kept" {
			t.Errorf("row 1: %v %v %v, want kept", r, ok, err)
		}
		if _, _, ok, err := tx.Get("t", []any{int64(2)}); err != nil || ok {
			t.Errorf("row 2: found %v (%v), want none", ok, err)
		}
	}
	check(db)
	after := fs.AfterCut() // no checkpoint ran: the row is only in the WAL
	db.Close()
	db2 := mustOpen(t, dir, Options{FS: after, AutoRecover: true})
	check(db2)
}
