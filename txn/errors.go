package txn

import (
	"errors"
	"fmt"
)

// Errors of Commit, BeginCheckpoint and EndCheckpoint.
var (
	// ErrWALFailed is returned by every call that appends to the WAL after
	// an fsync of it failed (or a failed write could not be cut from the
	// log): the WAL no longer knows what reached the disk, so it
	// acknowledges nothing more until the database is reopened (and
	// recovery has read back what is really there). The error that caused
	// it, naming the file, is wrapped alongside. See writefail.go.
	ErrWALFailed = errors.New("blitz/txn: a WAL fsync failed, so what reached the disk is unknown; the WAL accepts nothing more until the database is reopened (recovery reads back what is there)")
	// ErrWriteFailed is returned by the commits of a group whose write
	// failed (a full disk, say), of the groups formed meanwhile, and by
	// appends made before Resume: the commit failed. Normally the failed
	// group was cut from the log, so it is never replayed; if even that
	// failed, the error says the commit is in doubt until Resume cuts it.
	// The error that caused it, naming the file, is wrapped alongside. See
	// writefail.go.
	ErrWriteFailed = errors.New("blitz/txn: a WAL write failed; the commit failed")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("blitz/txn: WAL is closed")
	// ErrTooLarge is returned by Commit when a transaction's encoding exceeds
	// MaxPayload.
	ErrTooLarge = errors.New("blitz/txn: transaction too large for one WAL frame")
	// ErrNoCheckpoint is returned by EndCheckpoint when no checkpoint through
	// that LSN was begun.
	ErrNoCheckpoint = errors.New("blitz/txn: no such checkpoint in progress")
)

// Errors of Replay.
var (
	// ErrReplayAfterCheckpoint is returned by Replay once a checkpoint has
	// completed since OpenWAL: the segments replay reads may be recycled.
	ErrReplayAfterCheckpoint = errors.New("blitz/txn: Replay called after a checkpoint")
)

// NoSpaceError is returned by OpenWAL (and wrapped by a failed rotation) when
// a new segment file could not be given its SegmentBytes of disk space. The
// file is removed again. It wraps the filesystem's error (syscall.ENOSPC).
type NoSpaceError struct {
	Dir          string // the WAL directory
	SegmentBytes int64  // the space one segment needs
	Free         int64  // free bytes on that filesystem, 0 if unknown
	Err          error
}

func (e *NoSpaceError) Error() string {
	free := ""
	if e.Free > 0 {
		free = fmt.Sprintf(" (%s free)", formatBytes(e.Free))
	}
	return fmt.Sprintf("blitz/txn: no disk space for a WAL segment in %s: each segment file takes %s%s (%v); free some space or make WAL segments smaller",
		e.Dir, formatBytes(e.SegmentBytes), free, e.Err)
}

func (e *NoSpaceError) Unwrap() error { return e.Err }

// formatBytes writes n in the largest binary unit that divides it, for
// messages: "64 MiB", "1536 KiB", "100 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 10<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// CorruptionError says where the WAL is damaged in a way that is not a torn
// tail: a non-final segment that is short or fails its checksums, a bad
// segment header, missing LSNs, or a damaged frame in the newest segment
// that a later group write proves was synced, in frames the last completed
// checkpoint does not cover; or a newest segment that NEWEST names and that
// is missing. The log is left as it is: opening it would drop the committed
// transactions from there on.
// IsCorruption reports whether an error is one.
type CorruptionError struct {
	File   string // segment path
	Offset int64  // offset of the first bad byte
	LSN    LSN    // LSN of the damaged frame, 0 if not known
	Reason string
	// Missing: File, the segment that held the log from LSN on, is gone
	// (Offset is 0).
	Missing bool
}

func (e *CorruptionError) Error() string {
	if e.Missing {
		return fmt.Sprintf("blitz/txn: corrupt WAL: %s is missing (the log went on in it from LSN %d): %s", e.File, e.LSN, e.Reason)
	}
	lsn := ""
	if e.LSN != 0 {
		lsn = fmt.Sprintf(" (frame of LSN %d)", e.LSN)
	}
	return fmt.Sprintf("blitz/txn: corrupt WAL: %s at offset %d%s: %s", e.File, e.Offset, lsn, e.Reason)
}

// IsCorruption reports whether err is (or wraps) a *CorruptionError.
func IsCorruption(err error) bool {
	var c *CorruptionError
	return errors.As(err, &c)
}

// ErrCheckpointInProgress is returned by BeginCheckpoint while an earlier
// checkpoint has begun and not ended.
var ErrCheckpointInProgress = errors.New("blitz/txn: a checkpoint is already in progress")
