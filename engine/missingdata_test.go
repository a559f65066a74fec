package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// TestMissingDataFile: a table whose data file is gone is refused with
// 1194 naming the file, with or without AutoRecover (no open creates an
// empty one in its place and so hides the loss); REPAIR TABLE starts it
// empty, saying so.
func TestMissingDataFile(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		for _, auto := range []bool{false, true} {
			dir, db := newAutoTable(t, Options{FS: vfs.Default}, crashSafe)
			insertAuto(t, db, 5)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "t"+dataSuffix)
			if err := vfs.Default.Remove(data); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{AutoRecover: auto})
			if err != nil {
				t.Fatalf("crashSafe=%v auto=%v: Open: %v", crashSafe, auto, err)
			}
			tx := mustTx(t, db)
			_, _, _, err = tx.Get("t", []any{int64(1)})
			tx.Rollback()
			if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "t.bdf is missing") {
				t.Errorf("crashSafe=%v auto=%v: read = %v, want 1194 naming t.bdf", crashSafe, auto, err)
			}
			if _, err := vfs.Default.Stat(data); err == nil {
				t.Errorf("crashSafe=%v auto=%v: open created %s", crashSafe, auto, data)
			}
			rep, err := db.Repair(bg, "t", false)
			if err != nil || !strings.Contains(strings.Join(rep.Actions, "; "), "data file was missing") {
				t.Fatalf("crashSafe=%v auto=%v: Repair = %v, %v", crashSafe, auto, rep.Actions, err)
			}
			ids := insertAuto(t, db, 1)
			if ids[0] <= 5 {
				t.Errorf("crashSafe=%v auto=%v: id after REPAIR = %d, repeats a used value", crashSafe, auto, ids[0])
			}
			if rep, err := db.Check(bg, "t"); err != nil || !rep.OK {
				t.Errorf("crashSafe=%v auto=%v: Check after REPAIR: %v %v", crashSafe, auto, rep.Problems, err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCreateTableCrashOrder: a power cut at any sync point of CREATE TABLE
// leaves either no table (and the next CREATE of the name works) or a
// usable empty one (after auto-recovery), never one without its data file.
func TestCreateTableCrashOrder(t *testing.T) {
	cuts := 0
	for k := 1; k <= 200; k++ {
		fs := vfs.NewCrash()
		dir := t.TempDir()
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatal(err)
		}
		fs.CutPowerAtSync(k, int64(k))
		err = db.CreateTable(bg, accountsDef("a", false))
		db.closeAfterCut()
		if !fs.IsCut() {
			break // CREATE TABLE has fewer than k sync points
		}
		cuts++
		db, err = Open(dir, Options{FS: fs.AfterCut(), AutoRecover: true, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("k=%d: Open after the cut: %v", k, err)
		}
		if _, serr := db.Status("a"); serr != nil {
			if err := db.CreateTable(bg, accountsDef("a", false)); err != nil {
				t.Fatalf("k=%d: CREATE TABLE again: %v", k, err)
			}
		}
		insert(t, db, "a", Row{int64(1), "ann", int64(5), nil})
		if rep, err := db.Check(bg, "a"); err != nil || !rep.OK {
			t.Errorf("k=%d: Check: %v %v", k, rep.Problems, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if cuts == 200 {
		t.Fatal("every one of 200 sync points cut: raise the bound")
	}
	if cuts == 0 {
		t.Fatal("no cut happened: the test checks nothing")
	}
}

// TestMissingDataFileDrop: a table refused for a missing data file can be
// dropped (a crash-safe one too, without REPAIR), and its name reused.
func TestMissingDataFileDrop(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		dir, db := newAutoTable(t, Options{FS: vfs.Default}, crashSafe)
		insertAuto(t, db, 3)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := vfs.Default.Remove(filepath.Join(dir, "t"+dataSuffix)); err != nil {
			t.Fatal(err)
		}
		db = mustOpen(t, dir, Options{})
		if err := db.DropTable(bg, "t"); err != nil {
			t.Fatalf("crashSafe=%v: DROP TABLE of a table without its data file: %v", crashSafe, err)
		}
		if err := db.CreateTable(bg, autoDef(crashSafe)); err != nil {
			t.Fatalf("crashSafe=%v: CREATE TABLE after the drop: %v", crashSafe, err)
		}
		insertAuto(t, db, 1)
	}
}

// TestRenameTableCrash: a power cut at any sync point of RENAME TABLE
// leaves the table under exactly one of its names, with all its rows and
// its indexes answering, and the name it does not have free.
func TestRenameTableCrash(t *testing.T) {
	base := vfs.NewCrash()
	dir := t.TempDir()
	if err := base.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, Options{FS: base, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "c"} {
		if err := db.CreateTable(bg, accountsDef(name, name == "c")); err != nil {
			t.Fatal(err)
		}
		insert(t, db, name, Row{int64(1), "ann", int64(5), nil}, Row{int64(2), "bob", int64(7), nil})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	cuts, renamed := 0, 0
	for k := 1; k <= 200; k++ {
		fs := base.Clone()
		db, err = Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatal(err)
		}
		fs.CutPowerAtSync(k, int64(k))
		db.RenameTable(bg, "a", "b")
		db.RenameTable(bg, "c", "d")
		db.closeAfterCut()
		if !fs.IsCut() {
			break
		}
		cuts++
		db, err = Open(dir, Options{FS: fs.AfterCut(), AutoRecover: true, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("k=%d: Open after the cut: %v", k, err)
		}
		for _, pair := range [][2]string{{"a", "b"}, {"c", "d"}} {
			_, errFrom := db.Status(pair[0])
			_, errTo := db.Status(pair[1])
			if (errFrom == nil) == (errTo == nil) {
				t.Fatalf("k=%d: after the cut %s exists: %v, %s exists: %v; want exactly one", k, pair[0], errFrom == nil, pair[1], errTo == nil)
			}
			name := pair[0]
			if errTo == nil {
				name = pair[1]
				renamed++
			}
			tx := mustTx(t, db)
			_, row, found, err := tx.Get(name, []any{int64(2)})
			tx.Rollback()
			if err != nil || !found || row[1] != "bob" {
				t.Errorf("k=%d: row 2 of %s = %v, %v, %v", k, name, row, found, err)
			}
			if rep, err := db.Check(bg, name); err != nil || !rep.OK {
				t.Errorf("k=%d: Check %s: %v %v", k, name, rep.Problems, err)
			}
		}
		if _, err := fs.Stat(filepath.Join(dir, renameIntentName)); err == nil {
			t.Errorf("k=%d: %s left after open", k, renameIntentName)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if cuts == 200 {
		t.Fatal("every one of 200 sync points cut: raise the bound")
	}
	t.Logf("%d cuts, %d renames found done", cuts, renamed)
	if cuts == 0 || renamed == 0 {
		t.Fatalf("cuts %d, renames seen done %d: the test checks too little", cuts, renamed)
	}
}
