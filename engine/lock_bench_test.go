package engine

import (
	"fmt"
	"testing"

	"github.com/blitzdb/blitz/internal/benchcpu"
)

// BenchmarkCommit measures a one-row transaction (Begin, Insert, Commit)
// with no other writer: the uncontended path a table write lock takes.
func BenchmarkCommit(b *testing.B) {
	for _, cs := range []bool{false, true} {
		b.Run(fmt.Sprintf("crashsafe=%v", cs), func(b *testing.B) {
			db, err := Open(b.TempDir(), Options{Sync: SyncOff})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			def := &TableDef{Name: "t", Columns: []Column{
				{Name: "id", Type: TypeBigInt, NotNull: true},
				{Name: "v", Type: TypeBigInt},
			}, PrimaryKey: []string{"id"}, CrashSafe: cs}
			if err := db.CreateTable(bg, def); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchcpu.Now()
			for i := 0; i < b.N; i++ {
				tx, err := db.Begin(bg)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := tx.Insert("t", Row{int64(i), int64(i)}); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			benchcpu.Report(b, cpu)
			st, err := db.Status("t")
			if err != nil {
				b.Fatal(err)
			}
			if st.Rows != int64(b.N) {
				b.Fatalf("%d rows after %d commits", st.Rows, b.N)
			}
		})
	}
}

// BenchmarkLockUncontended measures taking and giving back a free table
// write lock, the cost every transaction pays once per table it writes.
func BenchmarkLockUncontended(b *testing.B) {
	db, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateTable(bg, &TableDef{Name: "t", Columns: []Column{{Name: "v", Type: TypeInt}}}); err != nil {
		b.Fatal(err)
	}
	t, err := db.table("t")
	if err != nil {
		b.Fatal(err)
	}
	var lk locker
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := acquire(bg, t, &lk); err != nil {
			b.Fatal(err)
		}
		release(t)
	}
}
