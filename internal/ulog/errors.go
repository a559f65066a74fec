package ulog

import (
	"errors"
	"fmt"
)

// ErrTooLarge is returned by Append when one transaction's changes exceed
// MaxPayload.
var ErrTooLarge = errors.New("blitz/ulog: transaction too large for one update-log frame")

// ErrClosed is returned by Append and Sync after Close.
var ErrClosed = errors.New("blitz/ulog: update log is closed")

// ErrFailed is returned by Append and the flushes after an fsync of the log
// failed: the log no longer knows what reached the disk, so it takes
// nothing more until it is reopened. (A failed write is not final: its
// records stay in memory and the next flush writes them again.)
var ErrFailed = errors.New("blitz/ulog: an fsync of the update log failed, so what reached the disk is unknown; it accepts nothing more until the database is reopened")

// IsFinal reports whether err, from a flush of the log, means the log takes
// nothing more until it is reopened (an fsync failed), rather than a
// failed write whose records wait in memory for the next flush.
func IsFinal(err error) bool {
	var se *syncError
	return errors.Is(err, ErrFailed) || errors.As(err, &se)
}

// DamageError says where a log is damaged. IsDamage reports whether an error
// is one.
type DamageError struct {
	File   string // segment path
	Offset int64  // offset of the first bad byte (the start of the bad frame)
	Reason string
	// LastGood is the sequence number of the last record that verified
	// before the damage (0 if none).
	LastGood uint64
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("blitz/ulog: damaged update log: %s at offset %d (after record %d): %s", e.File, e.Offset, e.LastGood, e.Reason)
}

// IsDamage reports whether err is (or wraps) a *DamageError.
func IsDamage(err error) bool {
	var d *DamageError
	return errors.As(err, &d)
}
