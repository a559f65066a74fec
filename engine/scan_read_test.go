package engine

import (
	"fmt"
	"sort"
	"testing"
)

// TestScanReadMatchesScan checks that the streaming full scan sees exactly
// what Scan sees: committed rows, and in an open transaction its own
// inserts, updates and deletes; and that it stops when fn says so.
func TestScanReadMatchesScan(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	defer db.Close()
	if err := db.CreateTable(bg, accountsDef("acc", false)); err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for i := int64(1); i <= 300; i++ {
		rows = append(rows, Row{i, fmt.Sprintf("o%d", i), i * 10, nil})
	}
	insert(t, db, "acc", rows...)
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	collect := func(read bool) []string {
		var out []string
		fn := func(h Handle, r Row) (bool, error) {
			out = append(out, fmt.Sprint(r))
			return true, nil
		}
		var err error
		if read {
			err = tx.ScanRead("acc", Scan{}, fn)
		} else {
			err = tx.Scan("acc", Scan{}, fn)
		}
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return out
	}
	check := func(when string) {
		a, b := collect(false), collect(true)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s: Scan and ScanRead differ: %d vs %d rows", when, len(a), len(b))
		}
	}
	check("committed")
	if _, _, err := tx.Insert("acc", Row{int64(1000), "new", int64(5), nil}); err != nil {
		t.Fatal(err)
	}
	h, _, ok, err := tx.Get("acc", []any{int64(7)})
	if err != nil || !ok {
		t.Fatal(err, ok)
	}
	if err := tx.Delete("acc", h); err != nil {
		t.Fatal(err)
	}
	h, _, ok, err = tx.Get("acc", []any{int64(8)})
	if err != nil || !ok {
		t.Fatal(err, ok)
	}
	if _, err := tx.Update("acc", h, Row{int64(8), "o8", int64(-1), "changed"}); err != nil {
		t.Fatal(err)
	}
	check("own writes")
	n := 0
	if err := tx.ScanRead("acc", Scan{}, func(Handle, Row) (bool, error) { n++; return n < 5, nil }); err != nil || n != 5 {
		t.Fatalf("stop after 5: n = %d, err = %v", n, err)
	}
}
