package engine

import (
	"fmt"
	"strings"
	"testing"
)

// benchScanTx opens a database with table t of n rows of about 200 bytes
// (id, pad) and returns a transaction on it, rolled back when b ends, with
// the timer reset and allocations reported.
func benchScanTx(b *testing.B, n int) *Tx {
	b.Helper()
	tx, err := benchScanTable(b, n).Begin(bg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tx.Rollback() })
	b.ReportAllocs()
	b.ResetTimer()
	return tx
}

// benchScanTable opens a database with table t of n rows of about 200
// bytes (id, pad).
func benchScanTable(b *testing.B, n int) *DB {
	b.Helper()
	db, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	def := &TableDef{Name: "t", Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "pad", Type: TypeVarChar, Length: 255}},
		PrimaryKey: []string{"id"}}
	if err := db.CreateTable(bg, def); err != nil {
		b.Fatal(err)
	}
	pad := strings.Repeat("p", 190)
	tx, err := db.Begin(bg)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, _, err := tx.Insert("t", Row{int64(i), pad}); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkScanRead is a full scan (SELECT COUNT(*) or an aggregate of a
// whole table) through ScanReadWith, small and large tables.
func BenchmarkScanRead(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			tx := benchScanTx(b, n)
			b.SetBytes(int64(n) * 200)
			got := 0
			for i := 0; i < b.N; i++ {
				got = 0
				if err := tx.ScanReadWith("t", Scan{}, ReadOptions{Reuse: true}, func(h Handle, r Row) (bool, error) {
					got++
					return true, nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got != n {
				b.Fatalf("%d rows, want %d", got, n)
			}
		})
	}
}

// BenchmarkScanPKRange is a primary-key range of 100 rows (WHERE id
// BETWEEN a AND a+99), small and large tables.
func BenchmarkScanPKRange(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			tx := benchScanTx(b, n)
			got := 0
			for i := 0; i < b.N; i++ {
				got = 0
				lo := int64(i % max(n-100, 1))
				if err := tx.Scan("t", Scan{Index: "PRIMARY", Lo: Bound{Values: []any{lo}, Inclusive: true}, Hi: Bound{Values: []any{lo + 99}, Inclusive: true}},
					func(h Handle, r Row) (bool, error) { got++; return true, nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got != 100 {
				b.Fatalf("%d rows, want 100", got)
			}
		})
	}
}

// BenchmarkTxGet is a point read by primary key.
func BenchmarkTxGet(b *testing.B) {
	const n = 100000
	tx := benchScanTx(b, n)
	hits := 0
	for i := 0; i < b.N; i++ {
		if _, _, ok, err := tx.Get("t", []any{int64(i % n)}); err != nil {
			b.Fatal(err)
		} else if ok {
			hits++
		}
	}
	b.StopTimer()
	if hits != b.N {
		b.Fatalf("%d hits of %d", hits, b.N)
	}
}
