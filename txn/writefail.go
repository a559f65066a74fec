package txn

// What a failed group write or sync leaves, and how the WAL gets going again.
//
// A group flush can fail in two ways, and they are handled differently:
//
//   - A write failed (WriteAt, creating or preparing the next segment: a
//     full disk, an I/O error on write). The kernel refused the call, so
//     the pages it did accept are still dirty in the page cache and a later
//     fsync reports honestly whether they reached the disk. The WAL then
//     cuts the failed group from the log (cutBack): it drops any segment
//     the group rotated into, writes a zeroed frame header (the end mark)
//     where the group started, and fsyncs. Whatever bytes of the group
//     reached the file, replay now stops before them, so the group's
//     commits are definitely not committed: they get ErrWriteFailed. Frames
//     appended after the failed group (the next group, formed while it was
//     being written) may depend on it (the engine releases its locks before
//     the flush), so they fail the same way, and the WAL refuses appends
//     (stalled) until its owner has undone the failed commits' effects in
//     memory and calls Resume. Resume reuses the failed LSNs, so the log
//     stays gapless, and later commits succeed once space is back. If
//     writing the end mark fails too (on a real disk it overwrites
//     preallocated blocks, so a full disk does not stop it, but an I/O
//     error may), the failed commits are in doubt (their error says so)
//     until Resume manages the cut-back, which it retries; until then a
//     crash may replay them.
//
//   - An fsync of a segment holding frames failed. After a failed fsync
//     Linux may have dropped the dirty pages (marking them clean) and
//     cleared the error, so a retried fsync can succeed without the data
//     ever reaching the disk ("fsyncgate", PostgreSQL 2018); the page cache
//     no longer tells what is on disk. Neither retrying nor cutting back
//     can be trusted then, so the WAL fails for good (ErrWALFailed, naming
//     the segment): commits are refused until the database is reopened,
//     and recovery at reopen reads back what really is on disk. The
//     commits of the failed group are in doubt (replayed after the reopen
//     or not, never partly). The same holds when cutting back itself fails.
//
// Reads never go through the WAL, so they keep working in both cases.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// syncError marks the failure of an fsync of a segment that holds frames.
type syncError struct {
	path string
	err  error
}

func (e *syncError) Error() string { return fmt.Sprintf("fsync of WAL segment %s: %v", e.path, e.err) }
func (e *syncError) Unwrap() error { return e.err }

// flushStart is where a group flush started: the newest segment and the
// offset in it of the group's first frame.
type flushStart struct {
	seg LSN // first LSN of the newest segment
	off int64
}

// failFlush handles the failure err of the flush of g that started at
// start, and returns the error g's members get. The caller owns the flush.
func (w *WAL) failFlush(g *group, start flushStart, err error) error {
	var se *syncError
	if errors.As(err, &se) {
		return w.setFailed(fmt.Errorf("%w: %w", ErrWALFailed, err))
	}
	stall := fmt.Errorf("%w (cut from the log: it will never be replayed): %w", ErrWriteFailed, err)
	cerr := w.cutBack(start)
	if errors.As(cerr, &se) {
		return w.setFailed(fmt.Errorf("%w: a write failed (%w), then %w", ErrWALFailed, err, cerr))
	}
	if cerr != nil {
		// Writing the end mark failed too (the disk is still full, say):
		// bytes of the group may reach the disk and be replayed if the
		// process dies before Resume manages the cut.
		stall = fmt.Errorf("%w (in doubt: cutting it from the log failed too (%v); Resume retries): %w", ErrWriteFailed, cerr, err)
	}
	w.mu.Lock()
	if w.stalled == nil {
		w.stalled = stall
	}
	if cerr != nil {
		w.cutDue = &start
	}
	w.mu.Unlock()
	w.log.Warn("blitz/txn: WAL write failed; its commits failed, and the WAL takes none until Resume",
		"dir", w.dir, "first_lsn", g.last-LSN(g.n)+1, "last_lsn", g.last, "err", err, "cut_err", cerr)
	return stall
}

// setFailed makes err the WAL's permanent failure (unless it has one) and
// returns it.
func (w *WAL) setFailed(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed == nil {
		w.failed = err
		w.log.Error("blitz/txn: WAL failed; refusing commits until the database is reopened", "dir", w.dir, "err", err)
	}
	return w.failed
}

// cutBack makes sure no frame written by a failed flush that started at
// start can be replayed: it removes every segment file newer than the
// segment the flush started in (segments the flush rotated into, or one it
// was making), reopens that segment if the flush had left it, writes
// endMark at start.off and syncs. The caller owns the flush; on success the
// next write goes to start.off. A failed fsync is returned as a
// *syncError; any other failure may be retried.
func (w *WAL) cutBack(start flushStart) error {
	w.mu.Lock()
	var keep []segment
	for _, s := range w.segs {
		if s.first <= start.seg {
			keep = append(keep, s)
		}
	}
	rotated := len(keep) < len(w.segs)
	w.mu.Unlock()
	if len(keep) == 0 || keep[len(keep)-1].first != start.seg {
		return fmt.Errorf("segment %d is no longer in the log", start.seg) // cannot happen: the newest is never retired
	}
	seg := keep[len(keep)-1]
	if rotated || w.f == nil {
		if w.f != nil {
			w.f.Close()
			w.f = nil
		}
		// The newest-segment mark first: it must never name a segment
		// that is gone (newest.go).
		if err := w.lowerNewest(seg.first); err != nil {
			return err
		}
		names, err := w.fs.ReadDir(w.dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			if first, ok := parseSegmentName(n); ok && first > seg.first {
				if err := w.fs.Remove(filepath.Join(w.dir, n)); err != nil {
					return fmt.Errorf("remove segment of the failed write: %w", err)
				}
			}
		}
		if err := w.syncDir(); err != nil {
			return err
		}
		f, err := w.fs.OpenFile(seg.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("reopen segment: %w", err)
		}
		w.f, w.fpath = f, seg.path
	}
	// At the end of a full segment no frame of the group can start at
	// start.off (it went to the next segment, removed above).
	if start.off+FrameHeaderSize <= w.segBytes {
		if _, err := w.f.WriteAt(endMark[:], start.off); err != nil {
			return fmt.Errorf("write end mark in %s at %d: %w", seg.path, start.off, err)
		}
	}
	if err := failpoint("beforeCutBackSync"); err != nil {
		return &syncError{path: seg.path, err: err}
	}
	if err := w.f.Sync(); err != nil {
		return &syncError{path: seg.path, err: err}
	}
	w.writeOff = start.off
	w.mu.Lock()
	w.segs = keep
	// The sync above made every frame before start.off durable, and
	// none after it is in the log anymore: a rotation by the failed
	// flush may have counted some as synced, whose LSNs get reused.
	w.synced = w.durable
	w.mu.Unlock()
	return nil
}

// Resume lets the WAL take commits again after a failed write. The caller
// must then undo, in memory, every commit with an LSN above durable: those
// all failed (with ErrWriteFailed). Resume waits for the groups still in
// flight (they fail too), cuts the failed write from the log if that failed
// before, and reopens the log to appends at durable+1. stalled is false
// when no write had failed (or another caller resumed already): there is
// nothing to undo then, and durable means nothing (later commits may be in
// flight). With stalled true and an error wrapping ErrWriteFailed, cutting
// back failed again: undo all the same, and call Resume later. An error
// wrapping ErrWALFailed (or ErrClosed) means the WAL takes no commits
// anymore.
func (w *WAL) Resume() (durable LSN, stalled bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stalled == nil && w.failed == nil {
		return 0, false, nil // (a steady load may keep a flush going: do not wait for it)
	}
	for w.flushing {
		w.idle.Wait()
	}
	switch {
	case w.failed != nil:
		return 0, false, w.failed
	case w.closed:
		return 0, false, ErrClosed
	case w.stalled == nil:
		return 0, false, nil
	}
	// Not flushing, and appends are refused while stalled: take the flush
	// (its fields are ours) to cut back.
	if start := w.cutDue; start != nil {
		w.flushing = true
		w.mu.Unlock()
		err := w.cutBack(*start)
		w.mu.Lock()
		w.flushing = false
		w.idle.Broadcast()
		var se *syncError
		switch {
		case errors.As(err, &se):
			w.mu.Unlock()
			err = w.setFailed(fmt.Errorf("%w: %w", ErrWALFailed, err))
			w.mu.Lock()
			return 0, false, err
		case err != nil:
			return w.durable, true, fmt.Errorf("%w: cutting the failed write from the log failed again: %w", ErrWriteFailed, err)
		}
		w.cutDue = nil
	}
	w.stalled = nil
	w.nextLSN = w.durable + 1
	w.appendOff = w.writeOff
	w.bytes -= w.lostBytes
	w.lostBytes = 0
	w.log.Info("blitz/txn: WAL takes commits again after a failed write", "dir", w.dir, "next_lsn", w.nextLSN)
	return w.durable, true, nil
}

// Stalled returns the error of the failed write that the WAL waits for
// Resume after, or nil.
func (w *WAL) Stalled() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled
}
