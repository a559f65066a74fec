package txn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// listDir returns the names and contents of the files in dir.
func listDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// TestMissingNewestSegment: deleting the newest segment of a closed log
// (by hand) is refused by OpenWAL as corruption naming the missing file,
// whether older segments are left or none, and the directory is left as it
// is; putting the file back opens the whole log again. Removing NEWEST as
// well gives the segment's commits up.
func TestMissingNewestSegment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		commits int
	}{
		{"several segments", 60},
		{"only segment", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
			for i := 0; i < tc.commits; i++ {
				mustCommit(t, w, put(fmt.Sprint(i), "value"))
			}
			segs := slices.Clone(w.segs)
			if tc.commits > 10 && len(segs) < 3 {
				t.Fatalf("only %d segments", len(segs))
			}
			w.Close()
			path := segs[len(segs)-1].path
			kept, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			before := listDir(t, w.dir)
			_, err = OpenWAL(w.dir, w.opts)
			var ce *CorruptionError
			if !errors.As(err, &ce) || ce.File != path || ce.LSN != segs[len(segs)-1].first {
				t.Fatalf("OpenWAL without the newest segment: %v; want corruption naming %s", err, path)
			}
			for _, want := range []string{filepath.Base(path), "is missing", NewestName} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			t.Log(err)
			if after := listDir(t, w.dir); !mapsEqual(before, after) {
				t.Fatalf("the refused open changed the WAL directory")
			}
			// A copy without NEWEST gives the segment's commits up.
			given := copyWALDir(t, before, func(n string) bool { return n != NewestName })
			g := mustOpen(t, nil, given, Options{SegmentBytes: 1024})
			if got := replayAll(t, g); len(got) >= tc.commits {
				t.Fatalf("without the segment and %s: %d records", NewestName, len(got))
			}
			mustCommit(t, g, put("after", "v"))
			// Put back, the whole log opens.
			if err := os.WriteFile(path, kept, 0o644); err != nil {
				t.Fatal(err)
			}
			w = reopen(t, w)
			if got := replayAll(t, w); len(got) != tc.commits {
				t.Fatalf("with the segment put back: %d records, want %d", len(got), tc.commits)
			}
		})
	}
}

// TestNewestFollowsRotation: NEWEST names the newest segment after each
// rotation and after a reopen, and a log without it (as written before it
// existed) opens and gets one.
func TestNewestFollowsRotation(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
	check := func(when string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(w.dir, NewestName))
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		first, err := parseNewest(b)
		if want := w.segs[len(w.segs)-1].first; err != nil || first != want {
			t.Fatalf("%s: NEWEST names %d (%v), newest segment starts at %d", when, first, err, want)
		}
	}
	check("new log")
	for i := 0; i < 40; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "value"))
		check(fmt.Sprintf("after commit %d", i))
	}
	w.Close()
	if err := os.Remove(filepath.Join(w.dir, NewestName)); err != nil {
		t.Fatal(err)
	}
	w = reopen(t, w)
	check("reopened without NEWEST")
	if got := replayAll(t, w); len(got) != 40 {
		t.Fatalf("%d records", len(got))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// isNewestFile reports whether name is the NEWEST file or its temporary.
func isNewestFile(name string) bool {
	b := filepath.Base(name)
	return b == NewestName || b == NewestName+".tmp"
}

// FuzzParseNewest: parseNewest never panics, accepts only what appendNewest
// writes (a valid file round-trips), and rejects LSN 0.
func FuzzParseNewest(f *testing.F) {
	f.Add(appendNewest(nil, 1))
	f.Add(appendNewest(nil, 1<<40))
	f.Add([]byte("BLITZNEW"))
	f.Fuzz(func(t *testing.T, b []byte) {
		first, err := parseNewest(b)
		if err != nil {
			return
		}
		if first == 0 {
			t.Fatal("accepted LSN 0")
		}
		if again := appendNewest(nil, first); string(again) != string(b) {
			t.Fatalf("accepted %x, which appendNewest writes as %x", b, again)
		}
	})
}

// TestMissingNewestSegmentAndMark: after a checkpoint retired the older
// segments (recycled as FIRST.free), deleting the newest segment and
// NEWEST too is refused, naming the recycled segment that proves the log
// went further, and leaves the directory as it is; removing the recycled
// segments as well gives the lost commits up, and putting the files back
// opens the whole log.
func TestMissingNewestSegmentAndMark(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
	for i := 0; i < 60; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "value"))
	}
	through, err := w.BeginCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		mustCommit(t, w, put(fmt.Sprint("after", i), "value"))
	}
	if len(w.segs) != 1 || len(w.free) == 0 {
		t.Fatalf("%d segments, %d recycled after the checkpoint; want 1 and some", len(w.segs), len(w.free))
	}
	newest := w.segs[0].path
	w.Close()
	kept := map[string][]byte{}
	for _, p := range []string{newest, filepath.Join(w.dir, NewestName)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		kept[p] = b
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	before := listDir(t, w.dir)
	_, err = OpenWAL(w.dir, w.opts)
	var ce *CorruptionError
	if !errors.As(err, &ce) || !strings.HasSuffix(ce.File, FreeSuffix) {
		t.Fatalf("OpenWAL without the newest segment and %s: %v; want corruption naming a recycled segment", NewestName, err)
	}
	for _, want := range []string{"no segment is left", "Put them back", NewestName, "*" + FreeSuffix} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	t.Log(err)
	if after := listDir(t, w.dir); !mapsEqual(before, after) {
		t.Fatalf("the refused open changed the WAL directory")
	}
	// A copy without the recycled segments gives the commits up.
	given := copyWALDir(t, before, func(n string) bool { return !strings.HasSuffix(n, FreeSuffix) })
	g := mustOpen(t, nil, given, Options{SegmentBytes: 1024})
	if got := replayAll(t, g); len(got) != 0 {
		t.Fatalf("without the segment, %s and the recycled segments: %d records", NewestName, len(got))
	}
	// Put back, the whole log opens: the three commits after the checkpoint.
	for p, b := range kept {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w = reopen(t, w)
	if got := replayAll(t, w); len(got) != 3 {
		t.Fatalf("with the files put back: %d records, want 3", len(got))
	}
}

// copyWALDir writes the files of files (a listDir) that keep says to keep
// into a new WAL directory, and returns its path.
func copyWALDir(t *testing.T, files map[string]string, keep func(name string) bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wal")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, b := range files {
		if keep(n) {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}
