package txn

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// smallDiskFS reports free bytes of free space, as a small disk would.
type smallDiskFS struct {
	vfs.FS
	free int64
}

func (s smallDiskFS) FreeSpace(string) (int64, error) { return s.free, nil }

// TestSegmentSizeFitsSmallDisk: with SegmentBytes 0, OpenWAL makes segments
// at most a quarter of the free space (not below MinAutoSegmentBytes), and a
// log written with small segments is read back by a WAL with the default.
func TestSegmentSizeFitsSmallDisk(t *testing.T) {
	for _, tc := range []struct {
		free, want int64
	}{
		{1 << 40, DefaultSegmentBytes},
		{4 * DefaultSegmentBytes, DefaultSegmentBytes},
		{20 << 20, 4 << 20},
		{10 << 20, 2 << 20},
		{3 << 20, MinAutoSegmentBytes},
	} {
		fs := smallDiskFS{FS: vfs.NewMem(), free: tc.free}
		w, err := OpenWAL("/wal", Options{FS: fs, Logger: quiet})
		if err != nil {
			t.Fatalf("free %d: %v", tc.free, err)
		}
		if _, err := w.Commit(context.Background(), Batch{{Table: "t", Kind: OpPut, Key: []byte("k"), Value: []byte("v")}}); err != nil {
			t.Fatal(err)
		}
		f, err := vfs.Open(fs, w.fpath)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := f.Size()
		f.Close()
		if size != tc.want {
			t.Errorf("free %d: segment of %d bytes, want %d", tc.free, size, tc.want)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// Reopened on a big disk: the small segment is read back.
		w, err = OpenWAL("/wal", Options{FS: smallDiskFS{FS: fs.FS, free: 1 << 40}, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := w.Replay(func(LSN, Batch) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("free %d: replayed %d commits, want 1", tc.free, n)
		}
		w.Close()
	}
}

// TestNoSpaceForSegment: a segment that cannot get its space fails OpenWAL
// with a *NoSpaceError naming the directory and the size, and leaves no
// partial segment file behind.
func TestNoSpaceForSegment(t *testing.T) {
	mem := vfs.NewMem()
	efs := vfs.NewErrorFS(mem)
	efs.SetError(syscall.ENOSPC)
	efs.FailAfter(1, vfs.OpPreallocate, true)
	_, err := OpenWAL("/db/wal", Options{FS: efs, SegmentBytes: 8 << 20, Logger: quiet})
	var ns *NoSpaceError
	if !errors.As(err, &ns) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("OpenWAL on a full disk: %v, want a *NoSpaceError wrapping ENOSPC", err)
	}
	if ns.Dir != "/db/wal" || ns.SegmentBytes != 8<<20 {
		t.Errorf("NoSpaceError %+v: want Dir /db/wal, SegmentBytes 8 MiB", ns)
	}
	for _, s := range []string{"/db/wal", "8 MiB", "smaller"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	names, err := mem.ReadDir("/db/wal")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("files left in the WAL directory: %v", names)
	}
	// Space again: the WAL opens.
	efs.Disarm()
	w, err := OpenWAL("/db/wal", Options{FS: efs, SegmentBytes: 8 << 20, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}
