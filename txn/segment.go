package txn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

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
		// The file holds no frame yet: remove it rather than leave a
		// partly allocated file taking the space a smaller one needs.
		if rerr := w.fs.Remove(path); rerr != nil {
			w.log.Warn("blitz/txn: could not remove a WAL segment that failed to be created", "path", path, "err", rerr)
		}
		if errors.Is(err, syscall.ENOSPC) {
			free, _ := vfs.FreeSpace(w.fs, w.dir)
			return nil, "", &NoSpaceError{Dir: w.dir, SegmentBytes: w.segBytes, Free: free, Err: err}
		}
		return nil, "", fmt.Errorf("create segment %s: %w", path, err)
	}
	if err := w.syncDir(); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, path, nil
}

// fitSegmentsToDisk makes segBytes at most a quarter of the free space of the
// WAL's filesystem, halving it down to MinAutoSegmentBytes (see there). A
// filesystem that cannot tell its free space keeps segBytes.
func (w *WAL) fitSegmentsToDisk() {
	free, ok := vfs.FreeSpace(w.fs, w.dir)
	if !ok {
		return
	}
	n := w.segBytes
	for n > MinAutoSegmentBytes && n > free/4 {
		n /= 2
	}
	if n != w.segBytes {
		w.log.Info("blitz/txn: little free disk space: WAL segments made smaller", "dir", w.dir, "free_bytes", free, "segment_bytes", n)
		w.segBytes = n
	}
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

// prepareMinBytes is the segment size from which the next segment is
// prepared in the background; smaller segments are cheap to zero inline
// (and tests that count filesystem calls stay deterministic).
const prepareMinBytes = 1 << 20

// prepareLocked starts preparing a free segment in the background when the
// current one is half full and none is waiting, so that rotation does not
// zero SegmentBytes on the commit path. Called with mu held.
func (w *WAL) prepareLocked() {
	if w.segBytes < prepareMinBytes || w.preparing || len(w.free) > 0 || w.closed || w.failed != nil {
		return
	}
	w.preparing = true
	w.prepWG.Add(1)
	path := filepath.Join(w.dir, fmt.Sprintf("prep-%020d%s", uint64(w.nextLSN), FreeSuffix))
	go func() {
		defer w.prepWG.Done()
		err := w.prepareFree(path)
		w.mu.Lock()
		w.preparing = false
		if err == nil {
			w.free = append(w.free, path)
		}
		w.mu.Unlock()
		if err != nil {
			w.log.Warn("blitz/txn: could not prepare the next WAL segment; it will be made at rotation", "path", path, "err", err)
			w.fs.Remove(path)
		}
	}()
}

// prepareFree creates path as a zero-filled, synced free segment.
func (w *WAL) prepareFree(path string) error {
	f, err := w.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	// A zero header: a free file is never read as a segment.
	if err := w.initSegment(f, make([]byte, SegmentHeaderSize), true); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return w.syncDir()
}
