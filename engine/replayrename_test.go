package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// TestReplayRenameTwice: replaying an update log that renames tables
// (and reuses the old names) a second time, as a restore that restarts
// from an earlier record does, ends in the same state: no table comes
// back under a name it was renamed away from.
func TestReplayRenameTwice(t *testing.T) {
	root := t.TempDir()
	src, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	for _, crashSafe := range []bool{false, true} {
		a, b := "a", "b"
		if crashSafe {
			a, b = "ca", "cb"
		}
		if err := db.CreateTable(bg, itemsDef(a, crashSafe)); err != nil {
			t.Fatal(err)
		}
		insert(t, db, a, Row{nil, int64(1), "first a"})
		if err := db.RenameTable(bg, a, b); err != nil {
			t.Fatal(err)
		}
		insert(t, db, b, Row{nil, int64(2), "in b"})
		// The old name again, for a table that is renamed in turn.
		if err := db.CreateTable(bg, itemsDef(a, crashSafe)); err != nil {
			t.Fatal(err)
		}
		insert(t, db, a, Row{nil, int64(3), "second a"})
		if err := db.RenameTable(bg, a, a+"2"); err != nil {
			t.Fatal(err)
		}
	}
	want := dumpDB(t, db)
	db.Close()
	r := filepath.Join(root, "r")
	rdb := replayInto(t, r, ulogDir, 1<<62)
	compareDumps(t, "replayed", dumpDB(t, rdb), want)
	rdb.Close()
	rdb = replayInto(t, r, ulogDir, 1<<62)
	compareDumps(t, "replayed twice", dumpDB(t, rdb), want)
	rdb.Close()
	// Every restart point: replay through k, then all of it again from
	// the start.
	for k := uint64(1); k < 20; k += 2 {
		rk := filepath.Join(root, "k", string(rune('a'+k)))
		replayInto(t, rk, ulogDir, k).Close()
		rdb = replayInto(t, rk, ulogDir, 1<<62)
		compareDumps(t, "replayed again after a stop", dumpDB(t, rdb), want)
		rdb.Close()
	}
}

// TestRestoreCrashAroundDDL cuts the power at every sync point (cutStep) of a
// restore whose update log drops a table and renames another to its name,
// then runs the restore again: it always ends in the source's state. (A
// restart from a progress point before the DROP re-ran it after the RENAME
// had been applied, and dropped the renamed table.)
func TestRestoreCrashAroundDDL(t *testing.T) {
	src, dir := t.TempDir(), t.TempDir()
	base := vfs.NewCrash()
	ulogDir, dest := filepath.Join(src, "ulog"), t.TempDir() // the backup's index files: on the real disk, outside the vfs
	db, err := Open(src, Options{FS: base, ULogDir: ulogDir})
	if err != nil {
		t.Fatal(err)
	}
	// c is in the backup; a is created and dropped after it, and c
	// renamed to its name.
	for _, name := range []string{"c", "a"} {
		if err := db.CreateTable(bg, itemsDef(name, name == "c")); err != nil {
			t.Fatal(err)
		}
		insert(t, db, name, Row{nil, int64(1), name + " row"})
		if name == "c" {
			if _, err := db.Backup(bg, dest); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.DropTable(bg, "a"); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTable(bg, "c", "a"); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{nil, int64(2), "after the rename"})
	want := dumpDB(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	restored := dir // index files (bbolt, outside the vfs) go to the real directory
	for k := 1; ; k += cutStep() {
		if k > 500 {
			t.Fatal("the restore never completed")
		}
		resetIndexes(t, dir)
		fs := base.Clone()
		fs.CutPowerAtSync(k, int64(k))
		_, rerr := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: fs})
		cut := fs.IsCut()
		if rerr != nil && !cut {
			t.Fatalf("k=%d: restore failed without a cut: %v", k, rerr)
		}
		after := fs.AfterCut()
		if _, err := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: after}); err != nil {
			t.Fatalf("k=%d: restore again after a cut: %v", k, err)
		}
		rdb, err := Open(restored, Options{FS: after})
		if err != nil {
			t.Fatalf("k=%d: open: %v", k, err)
		}
		compareDumps(t, fmt.Sprintf("k=%d: restore cut and run again", k), dumpDB(t, rdb), want)
		rdb.Close()
		if t.Failed() || !cut {
			return
		}
	}
}
