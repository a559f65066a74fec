package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/blitzdb/blitz/txn"
)

// walSegments returns the WAL segment files of the database in dir, oldest
// first.
func walSegments(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.ReadDir(filepath.Join(dir, walDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, txn.SegmentSuffix) {
			out = append(out, filepath.Join(dir, walDir, n))
		}
	}
	sort.Strings(out)
	return out
}

// TestMissingNewestWALSegment: after a crash, with committed rows only in
// the WAL, the newest WAL segment is deleted by hand. Open (and so blitz
// check) refuses the database with a corruption error naming the missing
// file, instead of opening the tables without those rows, and changes
// nothing; with the file put back every row is there.
func TestMissingNewestWALSegment(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir) // t, u, v crash-safe: row 4 is only in the WAL
	segs := walSegments(t, fs, dir)
	newest := segs[len(segs)-1]
	kept, err := vfs.ReadFile(fs, newest)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Remove(newest); err != nil {
		t.Fatal(err)
	}
	o := Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg}
	for _, auto := range []bool{true, false} {
		o.AutoRecover = auto
		db, err := Open(dir, o)
		if err == nil {
			got := ids(t, db, "t", Scan{})
			db.Close()
			t.Fatalf("opened without the newest WAL segment (t holds %v)", got)
		}
		if !txn.IsCorruption(err) || !strings.Contains(err.Error(), filepath.Base(newest)) || !strings.Contains(err.Error(), "is missing") {
			t.Fatalf("Open without the newest WAL segment (auto-recover %v): %v; want corruption naming %s", auto, err, filepath.Base(newest))
		}
		t.Log(err)
	}
	if now := walSegments(t, fs, dir); !slices.Equal(now, segs[:len(segs)-1]) {
		t.Fatalf("the refused open changed the WAL: %v", now)
	}
	writeFS(t, fs, newest, kept)
	o.AutoRecover = true
	db := mustOpen(t, dir, o)
	for _, name := range []string{"t", "u", "v"} {
		if got := ids(t, db, name, Scan{}); !slices.Equal(got, []int64{1, 2, 3, 4}) {
			t.Fatalf("%s with the segment put back: %v", name, got)
		}
	}
}

// TestMissingDefinitionKeepsWAL: the definition file of a crash-safe
// table is deleted outright (its data file left) while the WAL still holds
// committed changes of the table. The table answers 1194 saying its
// definition file is missing and that the WAL keeps its changes; the WAL
// is kept through checkpoints and a clean close, so that restoring the
// definition brings every committed row back. DROP TABLE drops what is
// left and releases the WAL; a new table of the name starts empty.
func TestMissingDefinitionKeepsWAL(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir) // t, u, v crash-safe: row 4 is only in the WAL
	defPath := filepath.Join(dir, "t"+defSuffix)
	good, err := vfs.ReadFile(fs, defPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Remove(defPath); err != nil {
		t.Fatal(err)
	}
	// No background checkpoint: one between the insert of row 6 and the
	// cut below would write it to t.bdf, and t, deleted again, would then
	// have nothing in the WAL to be reported by (the race run of CI).
	o := Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg, noCheckpointLoop: true}
	db := mustOpen(t, dir, o)
	err = readOne(db, "t")
	if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "t.def is missing") || !strings.Contains(err.Error(), "the WAL keeps 1 of its committed changes") {
		t.Errorf("t without its definition: %v, want 1194 saying t.def is missing and the WAL keeps its change", err)
	}
	t.Log(err)
	if got := db.DamagedTables(); !slices.Equal(got, []string{"t"}) {
		t.Errorf("DamagedTables = %v", got)
	}
	db = restoreKeptDef(t, db, fs, dir, o, defPath, good)
	insert(t, db, "t", Row{int64(6), "t6", int64(6), nil})
	cutPower(db, fs, 2)
	db.closeAfterCut()
	fs = fs.AfterCut()

	// Deleted again, then dropped.
	if err := fs.Remove(defPath); err != nil {
		t.Fatal(err)
	}
	o.FS = fs
	db = mustOpen(t, dir, o)
	if err := readOne(db, "t"); sqlerr.Code(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("t without its definition again: %v", err)
	}
	if err := db.DropTable(bg, "t"); err != nil {
		t.Fatalf("DROP TABLE of a table whose definition is missing: %v", err)
	}
	if left := tableFiles(t, fs, dir, "t"); len(left) != 0 {
		t.Fatalf("files of t left after DROP TABLE: %v", left)
	}
	if err := db.CreateTable(bg, accountsDef("t", true)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, o)
	if got := ids(t, db, "t", Scan{}); len(got) != 0 {
		t.Fatalf("new t holds %v", got)
	}
}

// TestCheckpointedWALDamageOpens: after a crash, damage to WAL frames that a
// completed checkpoint already wrote into the data files does not keep the
// database from opening: every committed row is there, the rows only in
// the WAL included, and the WAL says what it skipped.
func TestCheckpointedWALDamageOpens(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir) // t, u, v crash-safe: row 4 is only in the WAL
	segs := walSegments(t, fs, dir)
	// The first frame of the oldest segment: a commit of rows 1-3, which
	// the checkpoint of crashedDB covers.
	f, err := fs.OpenFile(segs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	const off = txn.SegmentHeaderSize + 1
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db := mustOpen(t, dir, Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg})
	if skipped := db.wal.Recovery().SkippedDamage; len(skipped) != 1 || !strings.Contains(skipped[0], filepath.Base(segs[0])) {
		t.Fatalf("SkippedDamage = %q, want the damage in %s", skipped, segs[0])
	}
	for _, name := range []string{"t", "u", "v"} {
		if got := ids(t, db, name, Scan{}); !slices.Equal(got, []int64{1, 2, 3, 4}) {
			t.Fatalf("%s: %v", name, got)
		}
	}
}

// TestAutoIncrementPowerCutInClose cuts the power at every sync point of
// DB.Close after ten AUTO_INCREMENT inserts: the next value after the
// restart is 11, as after a clean close, wherever the cut fell (it was the
// reservation's end, 4107, when the cut fell after the data file was marked
// clean and before the definition got the exact counter). A plain table
// whose data file the cut left unclean may resume higher, never lower.
func TestAutoIncrementPowerCutInClose(t *testing.T) {
	for _, crashSafe := range []bool{true, false} {
		t.Run(fmt.Sprint("crash_safe=", crashSafe), func(t *testing.T) {
			cuts := 0
			for k := 1; k <= 100; k++ {
				fs := vfs.NewCrash()
				o := Options{FS: fs, AutoRecover: true}
				dir, db := newAutoTable(t, o, crashSafe)
				insertAuto(t, db, 10)
				fs.CutPowerAtSync(k, int64(k))
				db.Close()
				if !fs.IsCut() {
					break // Close finished before the k-th sync point
				}
				cuts++
				o.FS = fs.AfterCut()
				db = mustOpen(t, dir, o)
				recovered := db.Stats().TablesRecovered > 0
				got := insertAuto(t, db, 1)[0]
				switch {
				case got == 11:
				case !crashSafe && recovered && got > 11:
					// Resumes at the reservation: no log says what
					// was handed out.
				default:
					t.Errorf("k=%d: next AUTO_INCREMENT after a power cut in Close = %d, want 11 (table recovered: %v)", k, got, recovered)
				}
				db.Close()
			}
			if cuts < 3 {
				t.Fatalf("only %d cuts inside Close", cuts)
			}
			t.Logf("%d cuts", cuts)
		})
	}
}

// TestMissingNewestWALSegmentAndMark: after a checkpoint recycled the
// older WAL segments, a power cut leaves a committed row only in the
// newest segment; that segment and wal/NEWEST are then both deleted by
// hand. Open refuses the database (with or without auto-recover) naming
// a recycled segment that proves the log went further, instead of opening
// without the row, and changes nothing; with the files put back the row
// is there.
func TestMissingNewestWALSegmentAndMark(t *testing.T) {
	dir := t.TempDir()
	fs := vfs.NewCrash()
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("t", true)); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 300; i++ { // several segments
		insert(t, db, "t", Row{i, fmt.Sprint("t", i), i, nil})
	}
	if err := db.Sync(); err != nil { // a checkpoint: the older segments recycled
		t.Fatal(err)
	}
	insert(t, db, "t", Row{int64(301), "t301", int64(301), nil}) // WAL only
	cutPower(db, fs, 1)
	db.closeAfterCut()
	after := fs.AfterCut()
	segs := walSegments(t, after, dir)
	names, err := after.ReadDir(filepath.Join(dir, walDir))
	if err != nil {
		t.Fatal(err)
	}
	free := 0
	for _, n := range names {
		if strings.HasSuffix(n, txn.FreeSuffix) {
			free++
		}
	}
	if len(segs) != 1 || free == 0 {
		t.Fatalf("%d segments and %d recycled ones after the checkpoint; want 1 and some", len(segs), free)
	}
	kept := map[string][]byte{}
	for _, p := range []string{segs[0], filepath.Join(dir, walDir, txn.NewestName)} {
		b, err := vfs.ReadFile(after, p)
		if err != nil {
			t.Fatal(err)
		}
		kept[p] = b
		if err := after.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	before, err := after.ReadDir(filepath.Join(dir, walDir))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{FS: after, WALSegmentBytes: walSeg}
	for _, auto := range []bool{true, false} {
		o.AutoRecover = auto
		db, err := Open(dir, o)
		if err == nil {
			got := ids(t, db, "t", Scan{})
			db.Close()
			t.Fatalf("opened without the newest WAL segment and NEWEST (t holds %d rows)", len(got))
		}
		if !txn.IsCorruption(err) || !strings.Contains(err.Error(), txn.FreeSuffix) {
			t.Fatalf("Open without the newest WAL segment and NEWEST (auto-recover %v): %v; want corruption naming a recycled segment", auto, err)
		}
		t.Log(err)
	}
	if now, _ := after.ReadDir(filepath.Join(dir, walDir)); !slices.Equal(now, before) {
		t.Fatalf("the refused open changed the WAL: %v", now)
	}
	for p, b := range kept {
		writeFS(t, after, p, b)
	}
	o.AutoRecover = true
	db = mustOpen(t, dir, o)
	if got := ids(t, db, "t", Scan{}); len(got) != 301 || got[300] != 301 {
		t.Fatalf("with the files put back: %d rows", len(got))
	}
}
