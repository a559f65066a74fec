package txn

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/blitzdb/blitz/internal/vfs"
)

// zeros is the source for zero-filling new segments.
var zeros = make([]byte, 1<<20)

// createSegment makes the segment whose first frame is first durable and
// ready for frames at offset SegmentHeaderSize: its header is synced and its
// directory entry too. It reuses a recycled segment if one is free (rewrite
// the header, sync, rename, sync the directory: a crash before the rename is
// durable leaves a free file, which the log ignores); otherwise it creates the
// file and fills it with zeros, so that the data blocks exist and the
// fdatasync of a commit writes no metadata.
func (w *WAL) createSegment(first LSN) (vfs.File, string, error) {
	path := filepath.Join(w.dir, segmentName(first))
	hdr := appendSegmentHeader(nil, first)
	w.mu.Lock()
	var free string
	if n := len(w.free); n > 0 {
		free = w.free[n-1]
		w.free = w.free[:n-1]
	}
	w.mu.Unlock()
	if free != "" {
		f, err := w.fs.OpenFile(free, os.O_RDWR, 0)
		if err != nil {
			return nil, "", fmt.Errorf("reuse segment %s: %w", free, err)
		}
		if err := w.initSegment(f, hdr, false); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("reuse segment %s: %w", free, err)
		}
		if err := failpoint("beforeSegmentRename"); err != nil {
			f.Close()
			return nil, "", err
		}
		if err := w.fs.Rename(free, path); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("reuse segment %s: %w", free, err)
		}
		if err := w.syncDir(); err != nil {
			f.Close()
			return nil, "", err
		}
		return f, path, nil
	}
	f, err := w.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("create segment: %w", err)
	}
	if err := w.initSegment(f, hdr, true); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("create segment %s: %w", path, err)
	}
	if err := w.syncDir(); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, path, nil
}

// initSegment writes the header (zero-filling the rest if fill) and syncs.
func (w *WAL) initSegment(f vfs.File, hdr []byte, fill bool) error {
	if fill {
		if err := f.Preallocate(w.segBytes); err != nil {
			return err
		}
		for off := int64(0); off < w.segBytes; off += int64(len(zeros)) {
			n := min(int64(len(zeros)), w.segBytes-off)
			if _, err := f.WriteAt(zeros[:n], off); err != nil {
				return err
			}
		}
	}
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return err
	}
	if err := failpoint("beforeSegmentSync"); err != nil {
		return err
	}
	return f.Sync()
}

func (w *WAL) syncDir() error {
	if err := failpoint("beforeSyncDir"); err != nil {
		return err
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		return fmt.Errorf("sync WAL directory: %w", err)
	}
	return nil
}

// retire takes a segment wholly covered by a completed checkpoint out of the
// log: renamed to a free file for reuse when fewer than maxFreeSegments wait,
// removed otherwise. The directory is synced after each one, so segments
// leave the log oldest first even across a crash.
func (w *WAL) retire(s segment) error {
	w.mu.Lock()
	keep := len(w.free) < maxFreeSegments
	w.mu.Unlock()
	if keep {
		free := filepath.Join(w.dir, fmt.Sprintf("%020d%s", uint64(s.first), FreeSuffix))
		if err := failpoint("beforeSegmentRename"); err != nil {
			return err
		}
		if err := w.fs.Rename(s.path, free); err != nil {
			return fmt.Errorf("recycle segment %s: %w", s.path, err)
		}
		if err := w.syncDir(); err != nil {
			return err
		}
		w.mu.Lock()
		w.free = append(w.free, free)
		w.mu.Unlock()
		return nil
	}
	if err := w.fs.Remove(s.path); err != nil {
		return fmt.Errorf("remove segment %s: %w", s.path, err)
	}
	return w.syncDir()
}
