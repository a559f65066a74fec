package engine

import (
	"fmt"
	"testing"
)

// fkCascadeTables creates parent p (id) with n rows and children cc (ON
// DELETE CASCADE) and cn (ON DELETE SET NULL), each with per rows per
// parent and an index on its key column.
func fkCascadeTables(tb testing.TB, db *DB, n, per int, crashSafe bool) {
	tb.Helper()
	p := &TableDef{Name: "p", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}}, PrimaryKey: []string{"id"}, CrashSafe: crashSafe}
	child := func(name string, onDelete RefAction) *TableDef {
		return &TableDef{Name: name, Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}, {Name: "pid", Type: TypeInt}},
			PrimaryKey: []string{"id"}, Indexes: []IndexDef{{Name: "k", Columns: []string{"pid"}}}, CrashSafe: crashSafe,
			ForeignKeys: []ForeignKeyDef{{Name: name + "_fk", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: onDelete, OnUpdate: RefNoAction}}}
	}
	for _, d := range []*TableDef{p, child("cc", RefCascade), child("cn", RefSetNull)} {
		if err := db.CreateTable(bg, d); err != nil {
			tb.Fatal(err)
		}
	}
	tx, err := db.Begin(bg)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, _, err := tx.Insert("p", Row{int64(i)}); err != nil {
			tb.Fatal(err)
		}
		for j := 0; j < per; j++ {
			id := int64((i-1)*per + j + 1)
			for _, c := range []string{"cc", "cn"} {
				if _, _, err := tx.Insert(c, Row{id, int64(i)}); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// fkDeleteParents deletes, in one transaction, the parents with id > from.
func fkDeleteParents(tb testing.TB, db *DB, from int64) int {
	tb.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		tb.Fatal(err)
	}
	var hs []Handle
	if err := tx.Scan("p", Scan{Index: "PRIMARY", Lo: Bound{Values: []any{from}}}, func(h Handle, r Row) (bool, error) {
		hs = append(hs, h)
		return true, nil
	}); err != nil {
		tb.Fatal(err)
	}
	for _, h := range hs {
		if err := tx.Delete("p", h); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return len(hs)
}

// BenchmarkFKCascadeDelete deletes three quarters of n parents, each with
// two rows in a CASCADE and two in a SET NULL child table, in one
// transaction. ns/row is per cascaded child row: it should stay flat as n
// grows.
func BenchmarkFKCascadeDelete(b *testing.B) {
	for _, crashSafe := range []bool{false, true} {
		for _, n := range []int{1000, 2000, 4000, 8000} {
			b.Run(fmt.Sprintf("crashsafe=%v/parents=%d", crashSafe, n), func(b *testing.B) {
				var rows int
				for b.Loop() {
					b.StopTimer()
					db, err := Open(b.TempDir(), Options{})
					if err != nil {
						b.Fatal(err)
					}
					fkCascadeTables(b, db, n, 2, crashSafe)
					b.StartTimer()
					rows += 4 * fkDeleteParents(b, db, int64(n/4))
					b.StopTimer()
					db.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
			})
		}
	}
}
