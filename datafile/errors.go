package datafile

import (
	"errors"
	"fmt"

	"github.com/blitzdb/blitz/internal/vfs"
)

// Errors of Open.

// ErrLocked is returned by Open when another process holds a conflicting
// lock on the file. It wraps vfs.ErrLocked (errors.Is matches either).
var ErrLocked error = lockedError{}

// lockedError is ErrLocked: its own text (not vfs.ErrLocked's after it,
// which would say the same thing twice), unwrapping to vfs.ErrLocked.
type lockedError struct{}

func (lockedError) Error() string { return "blitz/datafile: data file is locked by another process" }
func (lockedError) Unwrap() error { return vfs.ErrLocked }

// ErrNotDataFile is returned by Open when the file has no valid header.
var ErrNotDataFile = errors.New("blitz/datafile: not a blitz data file (no valid header)")

// ErrNotRegular is returned by Salvage when the source is not a regular
// file (a directory in its place).
var ErrNotRegular = errors.New("blitz/datafile: not a regular file")

// ErrVersion is returned by Open when the file was written by a format
// version this build does not read.
var ErrVersion = errors.New("blitz/datafile: unsupported format version")

// Errors of reads and writes.

// ErrNotFound is returned by Get and Delete when the key is absent.
var ErrNotFound = errors.New("blitz/datafile: key not found")

// ErrExists is returned by PutIfAbsent when the key is present.
var ErrExists = errors.New("blitz/datafile: key exists")

// ErrKeyTooLarge is returned by Put when the key is longer than MaxKeySize.
var ErrKeyTooLarge = fmt.Errorf("blitz/datafile: key longer than %d bytes", MaxKeySize)

// ErrValueTooLarge is returned by Put when the value is longer than MaxValueSize.
var ErrValueTooLarge = fmt.Errorf("blitz/datafile: value longer than %d bytes", MaxValueSize)

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("blitz/datafile: file is closed")

// ErrReadOnly is returned by writes on a file opened with Options.ReadOnly.
var ErrReadOnly = errors.New("blitz/datafile: file is open read-only")

// ErrFailed is returned by writes after an earlier write, grow or sync
// failed: the file no longer knows what reached the disk, so it takes no
// more writes until it is reopened (the reopen sees the open flag and scans).
var ErrFailed = errors.New("blitz/datafile: an earlier write failed; reopen the file")

// CorruptionError says where a data file is damaged.
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("blitz/datafile: corrupt data file %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// IsCorruption reports whether err is (or wraps) a *CorruptionError.
func IsCorruption(err error) bool {
	var c *CorruptionError
	return errors.As(err, &c)
}
