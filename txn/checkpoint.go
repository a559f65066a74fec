package txn

import (
	"errors"
	"fmt"
)

// BeginCheckpoint starts a checkpoint: it appends a checkpoint-begin frame
// and returns, once that frame is durable, the LSN through which the
// checkpoint applies: through is the LSN just before the begin frame, so
// every record with LSN <= through is durable when BeginCheckpoint returns.
// The engine then writes into its data files exactly the changes of records
// with LSN <= through (a commit racing with BeginCheckpoint may have an LSN
// on either side, so the engine must order the two, for example by holding
// its commit lock across BeginCheckpoint), syncs them, and calls
// EndCheckpoint(through). It returns ErrCheckpointInProgress if a checkpoint
// has begun and not ended, and the append errors of Commit.
func (w *WAL) BeginCheckpoint() (LSN, error) {
	w.mu.Lock()
	if w.ckpt.active {
		w.mu.Unlock()
		return 0, ErrCheckpointInProgress
	}
	w.ckpt.active = true
	w.mu.Unlock()
	var through LSN
	lsn, err := w.append(frameCheckpointBegin, 8, func(dst []byte, lsn LSN) []byte {
		through = lsn - 1
		return append(dst, checkpointPayload(through)...)
	})
	w.mu.Lock()
	if err != nil {
		w.ckpt.active = false
	} else {
		w.ckpt.through = through
	}
	w.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("begin checkpoint: %w", err)
	}
	_ = lsn
	return through, nil
}

// AbandonCheckpoint gives up the checkpoint BeginCheckpoint returned
// through for, when the engine could not write or sync its data files (a
// full disk): nothing is appended, so its begin frame without an end reads
// as interrupted (recovery replays from the last completed checkpoint, as
// after a crash in the middle of one) until a later checkpoint completes,
// and the next BeginCheckpoint may start one. It returns ErrNoCheckpoint if
// no checkpoint through that LSN is in progress.
func (w *WAL) AbandonCheckpoint(through LSN) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ckpt.active || w.ckpt.through != through {
		return fmt.Errorf("abandon checkpoint through %d: %w", through, ErrNoCheckpoint)
	}
	w.ckpt.active = false
	return nil
}

// EndCheckpoint completes the checkpoint BeginCheckpoint returned through
// for, once the engine has synced its data files: it appends a
// checkpoint-end frame, waits until it is durable, and then retires the
// segments holding only records with LSN <= through (recycling a few for
// reuse). If retiring a segment fails the checkpoint still counts (the error
// is returned wrapped; the segment is simply kept). It returns
// ErrNoCheckpoint if no checkpoint through that LSN is in progress; if the
// end frame cannot be made durable it returns the append error: after
// ErrWriteFailed the checkpoint is abandoned (a later one may begin after
// Resume), after ErrWALFailed it stays in progress; either way, if no
// later checkpoint completes, reopening reports it interrupted.
func (w *WAL) EndCheckpoint(through LSN) error {
	w.mu.Lock()
	if !w.ckpt.active || w.ckpt.through != through {
		w.mu.Unlock()
		return fmt.Errorf("end checkpoint through %d: %w", through, ErrNoCheckpoint)
	}
	w.mu.Unlock()
	if _, err := w.append(frameCheckpointEnd, 8, func(dst []byte, _ LSN) []byte {
		return append(dst, checkpointPayload(through)...)
	}); err != nil {
		if errors.Is(err, ErrWriteFailed) {
			// The end frame was cut from the log: the checkpoint is
			// abandoned (its begin frame without an end reads as
			// interrupted until a later one completes), so that the
			// next one can begin after Resume.
			w.mu.Lock()
			w.ckpt.active = false
			w.mu.Unlock()
		}
		return fmt.Errorf("end checkpoint: %w", err)
	}
	w.mu.Lock()
	w.ckpt.active = false
	w.ckpt.completed = true
	w.ckpt.base = w.ckpt.beginByte
	// segs[i] holds LSNs [segs[i].first, segs[i+1].first); the newest is never retired.
	var old []segment
	for len(w.segs) > 1 && w.segs[1].first <= through+1 {
		old = append(old, w.segs[0])
		w.segs = w.segs[1:]
	}
	w.mu.Unlock()
	for i, s := range old {
		if err := w.retire(s); err != nil {
			// Keep the rest in the log, oldest first, so it stays contiguous.
			w.mu.Lock()
			w.segs = append(append([]segment(nil), old[i:]...), w.segs...)
			w.mu.Unlock()
			w.log.Warn("blitz/txn: could not retire WAL segment; keeping it", "segment", s.path, "err", err)
			return fmt.Errorf("end checkpoint: %w", err)
		}
	}
	if len(old) > 0 {
		w.log.Debug("blitz/txn: checkpoint complete", "through", through, "retired", len(old))
	}
	return nil
}
