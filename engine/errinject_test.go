package engine

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// ioTables creates a crash-safe table a and a plain table p, both with
// secondary indexes, holding ids 0..n-1.
func ioTables(t *testing.T, fs vfs.FS, dir string, n int) {
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "p"} {
		if err := db.CreateTable(bg, accountsDef(name, name == "a")); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			insert(t, db, name, Row{int64(i), fmt.Sprintf("%s%d", name, i), int64(i), nil})
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// ioWork commits rows first..first+n-1 into a and p (one transaction each,
// and a checkpoint half-way), stopping at the first error, and returns the
// ids acknowledged.
func ioWork(db *DB, first, n int) (acked []int64, err error) {
	for i := first; i < first+n; i++ {
		tx, err := db.Begin(bg)
		if err != nil {
			return acked, err
		}
		for _, name := range []string{"a", "p"} {
			if _, _, err := tx.Insert(name, Row{int64(i), fmt.Sprintf("%s%d", name, i), int64(i), nil}); err != nil {
				tx.Rollback()
				return acked, err
			}
		}
		if err := tx.Commit(); err != nil {
			return acked, err
		}
		acked = append(acked, int64(i))
		if i == first+n/2 {
			if err := db.Sync(); err != nil {
				return acked, err
			}
		}
	}
	return acked, nil
}

// checkIO reopens dir on a healthy fs with AutoRecover and checks that both
// tables pass CHECK TABLE and hold the rows in want.
func checkIO(t *testing.T, fs vfs.FS, dir string, want []int64) {
	t.Helper()
	db, err := Open(dir, Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	for _, name := range []string{"a", "p"} {
		rep, err := db.Check(bg, name)
		if err != nil || !rep.OK {
			t.Fatalf("CHECK TABLE %s: %v %v", name, rep.Problems, err)
		}
		tx := mustTx(t, db)
		for _, id := range want {
			if _, r, ok, err := tx.Get(name, []any{id}); err != nil || !ok || r[1] != fmt.Sprintf("%s%d", name, id) {
				t.Fatalf("table %s: acknowledged row %d: %v %v %v", name, id, r, ok, err)
			}
		}
	}
}

// TestIOErrors makes the N-th filesystem call fail, for N = 1, 2, ...,
// once and from then on, during transactions and a checkpoint, until the
// work completes without reaching the fault. Each time the error must reach
// the caller as an error, and after reopening every acknowledged commit is
// there and CHECK TABLE passes.
func TestIOErrors(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			dir := t.TempDir()
			base := vfs.NewMem()
			ioTables(t, base, dir, 5)
			for n := 1; ; n++ {
				if n > 2000 {
					t.Fatal("the work never completed")
				}
				mem := base.Clone()
				resetIndexes(t, dir)
				e := vfs.NewErrorFS(mem)
				db, err := Open(dir, Options{FS: e, WALSegmentBytes: walSeg})
				if err != nil {
					t.Fatal(err)
				}
				e.FailAfter(n, vfs.OpAll, persistent)
				acked, werr := ioWork(db, 100, 6)
				hits := e.Hits()
				if werr != nil && hits == 0 {
					t.Fatalf("N=%d: error without a fault: %v", n, werr)
				}
				db.Close() // may fail too
				e.Disarm()
				t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) { checkIO(t, mem, dir, acked) })
				if t.Failed() {
					t.FailNow()
				}
				if hits == 0 {
					t.Logf("completed at N=%d", n)
					break
				}
			}
		})
	}
}

// TestIOErrorsDuringRecovery does the same while Open recovers a database
// left by a power cut (WAL to replay, a plain table open, indexes stale).
func TestIOErrorsDuringRecovery(t *testing.T) {
	dir := t.TempDir()
	crash := vfs.NewCrash()
	ioTables(t, crash, dir, 5)
	db, err := Open(dir, Options{FS: crash, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	acked, err := ioWork(db, 100, 6)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Sync(); err != nil { // the plain table's rows are durable too
		t.Fatal(err)
	}
	if _, err := ioWork(db, 200, 3); err != nil {
		t.Fatal(err)
	}
	cutPower(db, crash, 1)
	db.Close()
	base := crash.AfterCut()
	for _, persistent := range []bool{false, true} {
		for n := 1; ; n++ {
			if n > 3000 {
				t.Fatal("recovery never completed")
			}
			mem := base.Clone()
			resetIndexes(t, dir)
			e := vfs.NewErrorFS(mem)
			e.FailAfter(n, vfs.OpAll, persistent)
			db, err := Open(dir, Options{FS: e, AutoRecover: true, WALSegmentBytes: walSeg})
			hits := e.Hits()
			if err == nil {
				db.Close()
			} else if hits == 0 {
				t.Fatalf("N=%d: error without a fault: %v", n, err)
			} else if !errors.Is(err, vfs.ErrInjected) {
				t.Logf("N=%d: %v", n, err)
			}
			e.Disarm()
			t.Run(fmt.Sprintf("persistent=%v/N=%d", persistent, n), func(t *testing.T) { checkIO(t, mem, dir, acked) })
			if t.Failed() {
				t.FailNow()
			}
			if hits == 0 {
				t.Logf("persistent=%v: completed at N=%d", persistent, n)
				break
			}
		}
	}
}

// resetIndexes removes the index files the previous run left on the real
// disk (index files are bbolt files outside the vfs), so each run starts
// from the state its in-memory data files imply.
func resetIndexes(t *testing.T, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
