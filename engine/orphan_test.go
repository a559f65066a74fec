package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// TestMissingDefinitionKeepsRows: a table closed cleanly with rows whose
// definition file is then deleted is not replaced by CREATE TABLE of its
// name (1005, errno 184, naming the data file and what to do) nor by
// RENAME TABLE ... TO it (1025), and its data file stays as it was: it is
// listed among the damaged tables, answers 1194 saying its definition is
// missing, comes back whole when the definition is restored, and DROP
// TABLE removes its files, after which the name is free. Crash-safe and
// plain tables alike. Before engine/orphan.go, CREATE TABLE replaced the
// data file with an empty one.
func TestMissingDefinitionKeepsRows(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		dir := t.TempDir()
		o := Options{FS: vfs.Default}
		db := mustOpen(t, dir, o)
		for _, name := range []string{"t", "x"} {
			if err := db.CreateTable(bg, accountsDef(name, crashSafe)); err != nil {
				t.Fatal(err)
			}
		}
		insert(t, db, "t", Row{int64(1), "ann", int64(5), nil}, Row{int64(2), "bob", int64(7), nil})
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		defPath, dataPath := filepath.Join(dir, "t.def"), filepath.Join(dir, "t.bdf")
		good, err := os.ReadFile(defPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(defPath); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(dataPath)
		if err != nil {
			t.Fatal(err)
		}

		db = mustOpen(t, dir, o)
		if got := db.DamagedTables(); !slices.Equal(got, []string{"t"}) {
			t.Errorf("crash-safe %v: DamagedTables = %v, want [t]", crashSafe, got)
		}
		err = readOne(db, "t")
		if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "t.def is missing") || !strings.Contains(err.Error(), "restore t.def from a backup") {
			t.Errorf("crash-safe %v: read: %v, want 1194 saying t.def is missing and what to do", crashSafe, err)
		}
		err = db.CreateTable(bg, accountsDef("t", crashSafe))
		if sqlerr.Code(err) != sqlerr.ErrCantCreateTable || !strings.Contains(err.Error(), "errno: 184") || !strings.Contains(err.Error(), "t.bdf") {
			t.Errorf("crash-safe %v: CREATE TABLE t: %v, want 1005 errno 184 naming t.bdf", crashSafe, err)
		}
		err = db.CreateTable(bg, accountsDef("T", crashSafe))
		if sqlerr.Code(err) != sqlerr.ErrCantCreateTable {
			t.Errorf("crash-safe %v: CREATE TABLE T: %v, want 1005", crashSafe, err)
		}
		err = db.RenameTable(bg, "x", "t")
		if sqlerr.Code(err) != sqlerr.ErrErrorOnRename || !strings.Contains(err.Error(), "t.bdf") {
			t.Errorf("crash-safe %v: RENAME TABLE x TO t: %v, want 1025 naming t.bdf", crashSafe, err)
		}
		if got := db.Tables(); !slices.Equal(got, []string{"x"}) {
			t.Errorf("crash-safe %v: Tables = %v, want [x]", crashSafe, got)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(dataPath); err != nil || !bytes.Equal(b, data) {
			t.Fatalf("crash-safe %v: t.bdf changed (%v)", crashSafe, err)
		}

		// The definition restored: the table is back, rows and all.
		if err := os.WriteFile(defPath, good, 0o644); err != nil {
			t.Fatal(err)
		}
		db = mustOpen(t, dir, o)
		if got := ids(t, db, "t", Scan{}); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("crash-safe %v: t after its definition is restored holds %v", crashSafe, got)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		// Lost again, then dropped: every file of t goes.
		if err := os.Remove(defPath); err != nil {
			t.Fatal(err)
		}
		db = mustOpen(t, dir, o)
		if err := db.DropTable(bg, "t"); err != nil {
			t.Fatalf("crash-safe %v: DROP TABLE of a table without its definition: %v", crashSafe, err)
		}
		if left := tableFiles(t, vfs.Default, dir, "t"); len(left) != 0 {
			t.Errorf("crash-safe %v: files of t after DROP TABLE: %v", crashSafe, left)
		}
		if got := db.DamagedTables(); len(got) != 0 {
			t.Errorf("crash-safe %v: DamagedTables after DROP TABLE = %v", crashSafe, got)
		}
		if err := db.CreateTable(bg, accountsDef("t", crashSafe)); err != nil {
			t.Fatalf("crash-safe %v: CREATE TABLE after the drop: %v", crashSafe, err)
		}
		if got := ids(t, db, "t", Scan{}); len(got) != 0 {
			t.Errorf("crash-safe %v: new t holds %v", crashSafe, got)
		}
	}
}

// TestDataFileAppearsWithoutDefinition: a data file holding rows that
// appears while the database is open (copied in by hand) is not replaced
// by CREATE TABLE of its name either; an empty one (a CREATE TABLE cut
// short) is, and is no damaged table at open.
func TestDataFileAppearsWithoutDefinition(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{FS: vfs.Default})
	if err := db.CreateTable(bg, accountsDef("a", false)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{int64(1), "ann", int64(5), nil})
	if err := db.CreateTable(bg, accountsDef("e", false)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"a.bdf", "copy.bdf"}, {"e.bdf", "empty.bdf"}} {
		b, err := os.ReadFile(filepath.Join(dir, c[0]))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c[1]), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db = mustOpen(t, dir, Options{FS: vfs.Default})
	if got := db.DamagedTables(); !slices.Equal(got, []string{"copy"}) {
		t.Errorf("DamagedTables = %v, want [copy] (empty.bdf holds no rows)", got)
	}
	if err := db.CreateTable(bg, accountsDef("empty", false)); err != nil {
		t.Errorf("CREATE TABLE over an empty data file: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "a.bdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "late.bdf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("late", false)); sqlerr.Code(err) != sqlerr.ErrCantCreateTable {
		t.Errorf("CREATE TABLE over a data file with rows copied in while open: %v, want 1005", err)
	}
	if after, err := os.ReadFile(filepath.Join(dir, "late.bdf")); err != nil || !bytes.Equal(after, b) {
		t.Errorf("late.bdf changed (%v)", err)
	}
}

// TestDropTablePowerCut: a power cut at any sync point of DROP TABLE
// leaves the table whole or wholly gone after the next open, never its
// rows in a data file without a definition (which would now be a damaged
// table standing in the way of CREATE TABLE): the marker T.dropping makes
// the open finish a drop past its commit point. Plain and crash-safe.
func TestDropTablePowerCut(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		gone, kept := 0, 0
		for k := 1; k <= 100; k++ {
			fs := vfs.NewCrash()
			dir := t.TempDir()
			if err := fs.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			o := Options{FS: fs, WALSegmentBytes: walSeg}
			db, err := Open(dir, o)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateTable(bg, accountsDef("t", crashSafe)); err != nil {
				t.Fatal(err)
			}
			insert(t, db, "t", Row{int64(1), "ann", int64(5), nil}, Row{int64(2), "bob", int64(7), nil})
			if err := db.Sync(); err != nil {
				t.Fatal(err)
			}
			fs.CutPowerAtSync(k, int64(k))
			db.DropTable(bg, "t")
			db.closeAfterCut()
			if !fs.IsCut() {
				break // DROP TABLE has fewer than k sync points
			}
			fs = fs.AfterCut()
			o.FS, o.AutoRecover = fs, true
			db, err = Open(dir, o)
			if err != nil {
				t.Fatalf("crash-safe %v, k=%d: Open after the cut: %v", crashSafe, k, err)
			}
			if got := db.DamagedTables(); len(got) != 0 {
				t.Fatalf("crash-safe %v, k=%d: damaged tables after the cut: %v", crashSafe, k, got)
			}
			if _, err := db.Status("t"); err == nil {
				kept++
				if got := ids(t, db, "t", Scan{}); !slices.Equal(got, []int64{1, 2}) {
					t.Errorf("crash-safe %v, k=%d: t kept holds %v", crashSafe, k, got)
				}
			} else {
				gone++
				if left := tableFiles(t, fs, dir, "t"); len(left) != 0 {
					t.Errorf("crash-safe %v, k=%d: t dropped, its files left: %v", crashSafe, k, left)
				}
				if err := db.CreateTable(bg, accountsDef("t", crashSafe)); err != nil {
					t.Errorf("crash-safe %v, k=%d: CREATE TABLE after the drop: %v", crashSafe, k, err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if gone == 0 || kept == 0 {
			t.Errorf("crash-safe %v: %d cuts left t, %d dropped it: want some of each", crashSafe, kept, gone)
		}
		t.Logf("crash-safe %v: %d cuts left t, %d dropped it", crashSafe, kept, gone)
	}
}
