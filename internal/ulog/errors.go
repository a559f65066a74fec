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

// ErrFailed is returned by Append after an earlier write or sync failed: the
// log no longer knows what reached the disk, so it takes nothing more until
// it is reopened.
var ErrFailed = errors.New("blitz/ulog: an earlier write to the update log failed; it accepts nothing more until the database is reopened")

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
