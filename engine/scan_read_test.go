package engine

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
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

// padDef is a table of (id, pad): rows of about 200 bytes.
func padDef(name string) *TableDef {
	return &TableDef{Name: name, Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "pad", Type: TypeVarChar, Length: 255}},
		PrimaryKey: []string{"id"}}
}

func loadPad(t testing.TB, db *DB, name string, n int) {
	t.Helper()
	if err := db.CreateTable(bg, padDef(name)); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("p", 190)
	for i := 0; i < n; {
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 10000 && i < n; j, i = j+1, i+1 {
			if _, _, err := tx.Insert(name, Row{int64(i), pad}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScanReadBoundedMemory: a full scan whose consumer is slower than the
// copy holds a few chunks of the table, not a copy of it. The consumer
// sleeps at its first row, long enough for a copier that does not wait to
// copy the whole table; the live heap then is measured.
func TestScanReadBoundedMemory(t *testing.T) {
	const n = 100000 // ~22 MB of records
	db := mustOpen(t, t.TempDir(), Options{})
	loadPad(t, db, "big", n)
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	live := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	before := live()
	var during int64
	rows := 0
	err = tx.ScanRead("big", Scan{}, func(h Handle, r Row) (bool, error) {
		if rows++; rows == 1 {
			time.Sleep(300 * time.Millisecond)
			during = live()
		}
		return true, nil
	})
	if err != nil || rows != n {
		t.Fatalf("scan: %d rows, %v", rows, err)
	}
	grew := during - before
	t.Logf("live heap grew by %d KB during the scan of %d rows", grew>>10, n)
	if limit := int64(scanStreamAhead+3) * scanStreamChunk; grew > limit {
		t.Errorf("live heap grew by %d bytes during the scan, want at most %d (the queue, not the table)", grew, limit)
	}
}

// TestScanReadWriterWaits: a slow full scan whose consumer reads the table
// while other transactions write it finishes, and so do the writers: the
// copier stops waiting for the consumer once a writer waits behind its
// read lock.
func TestScanReadWriterWaits(t *testing.T) {
	const n = 30000
	db := mustOpen(t, t.TempDir(), Options{})
	loadPad(t, db, "w", n)
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	wrote := make(chan error, 1)
	rows := 0
	scanned := make(chan error, 1)
	go func() {
		scanned <- tx.ScanRead("w", Scan{}, func(h Handle, r Row) (bool, error) {
			if rows++; rows == 1 {
				go func() {
					wrote <- fkExec(t, db, func(w *Tx) error {
						_, _, err := w.Insert("w", Row{int64(n + 1), "x"})
						return err
					})
				}()
				time.Sleep(50 * time.Millisecond) // let the writer queue up
			}
			if rows%1000 == 0 {
				// A read of the table: queued behind the writer.
				if _, _, _, err := tx.Get("w", []any{int64(rows)}); err != nil {
					return false, err
				}
			}
			return true, nil
		})
	}()
	timeout := time.After(30 * time.Second)
	for i := 0; i < 2; i++ {
		select {
		case err := <-scanned:
			if err != nil || rows < n {
				t.Fatalf("scan: %d rows, %v", rows, err)
			}
		case err := <-wrote:
			if err != nil {
				t.Fatalf("writer: %v", err)
			}
		case <-timeout:
			t.Fatalf("scan and writer still waiting after 30s (%d rows scanned)", rows)
		}
	}
}
