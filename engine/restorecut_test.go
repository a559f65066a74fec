package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestoreCutShortIsRefused cuts the power at every sync point of a
// Restore (the copy of a backup of two tables, then the replay of an
// update log of row changes and a DDL) and opens the directory as a user
// would before running the restore again: Open must refuse it with an
// error saying the restore did not finish, or open exactly the database
// the whole restore gives (a cut after the restore finished). A kill -9
// of `blitz restore` used to leave a directory that opened as if it were
// the database: one table of two after a cut in the copy, the backup's
// rows without the log's after a cut in the replay. Running the restore
// again finishes it.
func TestRestoreCutShortIsRefused(t *testing.T) {
	skipUnderRace(t) // a cut reads the mapped data files as they change
	base, db, src, ulogDir, dest := openLoggedPair(t, 10)
	root := filepath.Dir(src)
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	for i := int64(11); i <= 14; i++ { // in the update log only
		for _, n := range []string{"a", "b"} {
			if err := insertShaped(db, n, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.AddColumn(bg, "b", Column{Name: "extra", Type: TypeBigInt}); err != nil {
		t.Fatal(err)
	}
	if err := insertShaped(db, "b", 15); err != nil {
		t.Fatal(err)
	}
	want := dumpDB(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	refusedCopy, refusedReplay, opened := 0, 0, 0
	for k := 1; ; k += cutStep() {
		if k > 500 {
			t.Fatal("the restore never completed")
		}
		restored := filepath.Join(root, fmt.Sprint("r", k))
		os.MkdirAll(restored, 0o755)
		fs := base.Clone()
		fs.CutPowerAtSync(k, int64(k))
		_, rerr := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: fs})
		cut := fs.IsCut()
		if rerr != nil && !cut {
			t.Fatalf("k=%d: restore failed without a cut: %v", k, rerr)
		}
		after := fs.AfterCut()
		if _, err := after.Stat(filepath.Join(restored, RestoreStateFile)); err == nil {
			// The user opens what the cut left.
			rdb, err := Open(restored, Options{FS: after.Clone(), WALSegmentBytes: walSeg, AutoRecover: true})
			switch {
			case err == nil:
				opened++
				compareDumps(t, fmt.Sprintf("k=%d: a restore cut short opened", k), dumpDB(t, rdb), want)
				rdb.Close()
			case strings.Contains(err.Error(), "holds a restore that did not finish: its copy"):
				refusedCopy++
			case strings.Contains(err.Error(), "holds a restore that did not finish: its replay"):
				refusedReplay++
			default:
				t.Fatalf("k=%d: open after the cut: %v", k, err)
			}
			if err != nil && (!strings.Contains(err.Error(), restored) || !strings.Contains(err.Error(), "run the same restore again")) {
				t.Errorf("k=%d: the error names neither the directory nor the way out: %v", k, err)
			}
			os.RemoveAll(restored) // the index files the open may have written
			os.MkdirAll(restored, 0o755)
		}
		if _, err := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: after}); err != nil {
			t.Fatalf("k=%d: restore again after a cut: %v", k, err)
		}
		rdb, err := Open(restored, Options{FS: after, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("k=%d: open after the restore ran again: %v", k, err)
		}
		compareDumps(t, fmt.Sprintf("k=%d: restore cut and run again", k), dumpDB(t, rdb), want)
		rdb.Close()
		os.RemoveAll(restored)
		if t.Failed() {
			return
		}
		if !cut {
			break
		}
	}
	t.Logf("opens after a cut: %d refused in the copy, %d refused in the replay, %d opened the whole restore", refusedCopy, refusedReplay, opened)
	if refusedCopy == 0 || refusedReplay == 0 {
		t.Fatal("no cut landed in the copy or in the replay: the test checks too little")
	}
}
