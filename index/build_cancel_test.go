package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestBuildCancel cancels a Build in each of its phases — while scanning,
// while spilling sorted runs, and after the scan, while writing the files —
// and checks that it stops with an error wrapping context.Canceled, leaves
// the index file it would have replaced as it was, and leaves no temporary
// file behind. A Build whose context is done before it starts does nothing.
func TestBuildCancel(t *testing.T) {
	const n = 5*checkEvery + 123 // not a multiple of checkEvery: see "write"
	rows := &buildRows{}
	for i := 0; i < n; i++ {
		rows.cols = append(rows.cols, colsOf(0, fmt.Sprintf("row-%07d", n-i)))
	}
	id := func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }
	for _, c := range []struct {
		name     string
		mem      int64
		cancelAt int // cancel after yielding this many rows; -1: before Build
	}{
		{"before", 0, -1},
		{"scan", 0, 2 * checkEvery},
		{"spill", 32 << 10, 3 * checkEvery},
		{"write", 0, n}, // the scan ends before it looks again: the writer sees it
		{"write-spilled", 32 << 10, n},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			path := filepath.Join(dir, "a.bix")
			old := []byte("the index this build would replace")
			if err := os.WriteFile(path, old, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancelAt < 0 {
				cancel()
			}
			yielded := 0
			scan := func(yield func(pk, row []byte) error) error {
				return rows.scan(func(pk, row []byte) error {
					if err := yield(pk, row); err != nil {
						return err
					}
					if yielded++; yielded == c.cancelAt {
						cancel()
					}
					return nil
				})
			}
			specs := []BuildSpec{{Path: path, Unique: true, Entries: id}, {Path: filepath.Join(dir, "b.bix"), Entries: id}}
			st, err := Build(ctx, scan, specs, BuildOptions{MemoryBytes: c.mem, TempDir: tmp})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Build = %v, want context.Canceled", err)
			}
			if c.cancelAt >= 0 && c.cancelAt < n && st.Rows > int64(c.cancelAt+checkEvery) {
				t.Errorf("scanned %d rows after a cancel at %d: want at most %d more", st.Rows, c.cancelAt, checkEvery)
			}
			if got, err := os.ReadFile(path); err != nil || string(got) != string(old) {
				t.Errorf("%s after a cancelled build: %q, %v", path, got, err)
			}
			os.Remove(path)
			checkNoFiles(t, dir, tmp)
		})
	}
}
