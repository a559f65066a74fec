package engine

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

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
		if !txn.IsCorruption(err) || !strings.Contains(err.Error(), filepath.Base(newest)) || !strings.Contains(err.Error(), "segment missing") {
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
