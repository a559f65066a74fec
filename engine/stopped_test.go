package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// stopRows is enough rows for the walks of a verification and a salvage
// to look at their context a few times (datafile's ctxEvery is 1<<14).
const stopRows = 40000

func stopDef(name string, crashSafe bool) *TableDef {
	return &TableDef{Name: name, PrimaryKey: []string{"id"}, CrashSafe: crashSafe,
		Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "v", Type: TypeBigInt}},
		Indexes: []IndexDef{{Name: "byv", Columns: []string{"v"}}}}
}

func fillStop(t *testing.T, db *DB, name string, from, n int) {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		if _, _, err := tx.Insert(name, Row{int64(i), int64(i % 100)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func stoppedCtx(after int64) context.Context {
	ctx := &doneAfter{Context: bg}
	ctx.after.Store(after)
	return ctx
}

// TestOpenRecoveryStopped: an Open whose recovery (the verification of a
// data file its writer left open, the index rebuild) is interrupted fails
// with 1317 wrapping context.Canceled and loses nothing: the next Open
// recovers the table, every row in place. And CHECK TABLE of the table
// left crashed stops in its verification.
func TestOpenRecoveryStopped(t *testing.T) {
	fs, dir, db := openCrashFS(t, Options{})
	if err := db.CreateTable(bg, stopDef("r", false)); err != nil {
		t.Fatal(err)
	}
	fillStop(t, db, "r", 0, stopRows)
	killed := fs.Clone() // what kill -9 leaves: every write, nothing closed
	db.Close()

	// Not recovered: CHECK reads the crashed file, and stops when asked.
	db2, err := Open(dir, Options{FS: killed.Clone()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db2.Check(stoppedCtx(1), "r"); sqlerr.Code(err) != sqlerr.ErrQueryInterrupted {
		t.Errorf("CHECK of a crashed table, interrupted: %v, want 1317", err)
	}
	if rep, err := db2.Check(bg, "r"); err != nil || rep.OK {
		t.Errorf("CHECK of a crashed table: %+v %v, want problems", rep, err)
	}
	db2.Close()

	for _, after := range []int64{1, 2, 4} {
		_, err := OpenContext(stoppedCtx(after), dir, Options{FS: killed, AutoRecover: true})
		if sqlerr.Code(err) != sqlerr.ErrQueryInterrupted || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "table r") {
			t.Fatalf("Open interrupted at check %d: %v, want 1317 naming the table", after, err)
		}
	}
	db3 := mustOpen(t, dir, Options{FS: killed, AutoRecover: true})
	if got := ids(t, db3, "r", Scan{}); len(got) != stopRows {
		t.Fatalf("%d rows after the interrupted recoveries, want %d", len(got), stopRows)
	}
	if got := ids(t, db3, "r", Scan{Index: "byv", Lo: Bound{Values: []any{int64(7)}, Inclusive: true}, Hi: Bound{Values: []any{int64(7)}, Inclusive: true}}); len(got) != stopRows/100 {
		t.Fatalf("%d rows through byv = 7, want %d", len(got), stopRows/100)
	}
}

// TestRepairStopped: a REPAIR interrupted in its verification or its
// salvage fails with 1317 and leaves the table crashed, to be repaired
// again, and no worse: the data file byte for byte as it was, no salvage
// file, no copy of the original; a crash-safe table's committed rows that
// were only in the WAL still reach the data file. The REPAIR run again
// then does its work.
func TestRepairStopped(t *testing.T) {
	t.Run("damaged", func(t *testing.T) {
		dir := t.TempDir()
		db := mustOpen(t, dir, Options{})
		if err := db.CreateTable(bg, stopDef("r", false)); err != nil {
			t.Fatal(err)
		}
		fillStop(t, db, "r", 0, stopRows)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "r"+dataSuffix)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mid := len(b) / 2 &^ 15
		copy(b[mid:mid+16], bytes.Repeat([]byte{0xa5}, 16)) // a record in the middle no longer verifies
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		db, err = Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, after := range []int64{1, 2, 3} {
			_, err := db.Repair(stoppedCtx(after), "r", false)
			if sqlerr.Code(err) != sqlerr.ErrQueryInterrupted {
				t.Fatalf("REPAIR interrupted at check %d: %v, want 1317", after, err)
			}
			if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, b) {
				t.Fatalf("after REPAIR interrupted at check %d the data file changed (%v)", after, err)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), ".salvage") || strings.Contains(e.Name(), ".crashed-") {
					t.Errorf("after REPAIR interrupted at check %d: %s in the directory", after, e.Name())
				}
			}
			tx, _ := db.Begin(bg)
			_, _, _, err = tx.Get("r", []any{int64(1)})
			tx.Rollback()
			if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "interrupted") {
				t.Fatalf("table after REPAIR interrupted at check %d: %v, want 1194 saying so", after, err)
			}
		}
		rep, err := db.Repair(bg, "r", false)
		if err != nil || !strings.Contains(fmt.Sprint(rep.Actions), "salvaged") {
			t.Fatalf("REPAIR: %v %v, want a salvage", rep.Actions, err)
		}
		if got := ids(t, db, "r", Scan{}); len(got) < stopRows-2 {
			t.Fatalf("%d rows after REPAIR, want at least %d", len(got), stopRows-2)
		}
		if rep, err := db.Check(bg, "r"); err != nil || !rep.OK {
			t.Errorf("CHECK after REPAIR: %+v %v", rep, err)
		}
	})
	t.Run("crash-safe", func(t *testing.T) {
		dir := t.TempDir()
		db, err := Open(dir, Options{noCheckpointLoop: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateTable(bg, stopDef("c", true)); err != nil {
			t.Fatal(err)
		}
		fillStop(t, db, "c", 0, stopRows)
		if err := db.checkpoint(); err != nil {
			t.Fatal(err)
		}
		fillStop(t, db, "c", stopRows, 100) // in the WAL and the overlay only
		for _, after := range []int64{1, 2} {
			if _, err := db.Repair(stoppedCtx(after), "c", false); sqlerr.Code(err) != sqlerr.ErrQueryInterrupted {
				t.Fatalf("REPAIR interrupted at check %d: %v, want 1317", after, err)
			}
		}
		tx, _ := db.Begin(bg)
		err = tx.Scan("c", Scan{}, func(Handle, Row) (bool, error) { return true, nil })
		tx.Rollback()
		if sqlerr.Code(err) != sqlerr.ErrCrashedTable {
			t.Fatalf("scan of a table whose REPAIR stopped: %v, want 1194", err)
		}
		if err := db.Close(); err != nil { // its checkpoint writes the overlay
			t.Fatal(err)
		}
		db = mustOpen(t, dir, Options{})
		if got := ids(t, db, "c", Scan{}); len(got) != stopRows+100 {
			t.Fatalf("%d rows after the stopped REPAIRs and a reopen, want %d", len(got), stopRows+100)
		}
	})
}

// TestDataFileUnusable: a data file the process cannot open (permission
// denied, played by ErrorFS since tests may run as root) or a directory in
// its place is not damage: the table answers 1016 naming the file and the
// problem, CHECK says the same, REPAIR refuses without touching anything,
// and once the file is usable again the next open serves every row.
func TestDataFileUnusable(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"p", "q"} {
		if err := db.CreateTable(bg, stopDef(name, name == "q")); err != nil {
			t.Fatal(err)
		}
		fillStop(t, db, name, 0, 100)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "p"+dataSuffix)
	efs := vfs.NewErrorFS(vfs.Default)
	efs.SetError(&os.PathError{Op: "open", Path: path, Err: syscall.EACCES})
	efs.Only(func(name string) bool { return name == path })
	efs.FailAfter(1, vfs.OpOpen, true)
	want := func(what string, err error, problem string) {
		t.Helper()
		if sqlerr.Code(err) != sqlerr.ErrCantOpenFile || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), problem) ||
			strings.Contains(err.Error(), "marked as crashed") {
			t.Errorf("%s: %v, want 1016 naming %s and %q", what, err, path, problem)
		}
	}
	for _, autoRecover := range []bool{false, true} {
		db, err := Open(dir, Options{FS: efs, AutoRecover: autoRecover})
		if err != nil {
			t.Fatal(err)
		}
		tx, _ := db.Begin(bg)
		_, _, _, err = tx.Get("p", []any{int64(1)})
		tx.Rollback()
		want("read", err, "permission denied")
		_, err = db.Repair(bg, "p", false)
		want("REPAIR", err, "permission denied")
		if rep, err := db.Check(bg, "p"); err != nil || rep.OK || !strings.Contains(fmt.Sprint(rep.Problems), "permission denied") {
			t.Errorf("CHECK: %+v %v, want the permission problem", rep, err)
		}
		if got := ids(t, db, "q", Scan{}); len(got) != 100 {
			t.Errorf("the other table: %d rows", len(got))
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// A directory in its place.
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := db.Begin(bg)
	_, _, _, err = tx.Get("p", []any{int64(1)})
	tx.Rollback()
	want("read", err, "is a directory")
	_, err = db.Repair(bg, "p", false)
	want("REPAIR", err, "is a directory")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "p", Scan{}); len(got) != 100 {
		t.Fatalf("%d rows once the file is back, want 100", len(got))
	}
}

// TestSalvageFailedAtOpenKeepsWAL: a crash-safe table whose salvage fails
// at an auto-recovering open is left crashed, and the WAL keeps its
// committed changes not yet in the data file until REPAIR replays them:
// a checkpoint meanwhile must not count them as written (it did, and the
// REPAIR that followed lost them).
func TestSalvageFailedAtOpenKeepsWAL(t *testing.T) {
	fs, dir, db := openCrashFS(t, Options{noCheckpointLoop: true})
	if err := db.CreateTable(bg, stopDef("c", true)); err != nil {
		t.Fatal(err)
	}
	fillStop(t, db, "c", 0, 100)
	if err := db.checkpoint(); err != nil {
		t.Fatal(err)
	}
	fillStop(t, db, "c", 100, 10) // in the WAL only
	killed := fs.Clone()
	db.Close()
	path := filepath.Join(dir, "c"+dataSuffix)
	df, err := datafile.Open(path, datafile.Options{FS: killed})
	if err != nil {
		t.Fatal(err)
	}
	if err := df.MarkFatal("test"); err != nil { // damage seen: recovery salvages
		t.Fatal(err)
	}
	df.Close()
	efs := vfs.NewErrorFS(killed)
	efs.Only(func(name string) bool { return strings.HasSuffix(name, ".salvage") })
	efs.FailAfter(1, vfs.OpOpen, true)
	db2, err := Open(dir, Options{FS: efs, AutoRecover: true, noCheckpointLoop: true})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := db2.Begin(bg)
	_, _, _, err = tx.Get("c", []any{int64(1)})
	tx.Rollback()
	if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "salvage failed") {
		t.Fatalf("table whose salvage failed: %v, want 1194", err)
	}
	if err := db2.checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	efs.Disarm()
	db3 := mustOpen(t, dir, Options{FS: killed})
	if _, err := db3.Repair(bg, "c", false); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, db3, "c", Scan{}); len(got) != 110 {
		t.Fatalf("%d rows after REPAIR, want 110 (the 10 only in the WAL lost?)", len(got))
	}
}
