package engine

import (
	"path/filepath"
	"testing"
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
