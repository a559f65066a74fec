package index

import (
	"errors"
	"fmt"

	"github.com/blitzdb/blitz/internal/keyenc"
)

// Errors of Open.
var (
	// ErrStale is returned (wrapped) by Open when the index file cannot be
	// used: it is missing, damaged (not a bbolt file, truncated, torn), or its
	// stamp is missing or names another generation of the data file. The
	// caller rebuilds the index; a stale file is never read.
	ErrStale = errors.New("blitz/index: index file is stale")
)

// Errors of writes.
var (
	// ErrDuplicate is returned (wrapped, as a *DuplicateError) by Insert on a
	// unique index when another primary key already has the same columns, and
	// by Build when the rows hold such a pair.
	ErrDuplicate = errors.New("blitz/index: duplicate key in unique index")

	// ErrKeyTooLarge is returned by Insert when an entry's key does not fit
	// in an index file (bbolt's key limit, MaxKeySize), and by Build (as a
	// *KeyTooLargeError) when a row's does.
	ErrKeyTooLarge = errors.New("blitz/index: key too large")
)

// Errors of every method.
var (
	// ErrClosed is returned by every method of an Index after Close or
	// Abandon.
	ErrClosed = errors.New("blitz/index: index is closed")

	// ErrBacklog is returned (wrapped, with the flush's error) by Insert and
	// Delete when flushes keep failing (a full disk) and the buffer holds
	// backlogFactor times its size: the write was not made.
	ErrBacklog = errors.New("blitz/index: too many writes wait for a failed flush")
)

// DuplicateError describes a unique-index violation. errors.Is(err,
// ErrDuplicate) holds for it.
type DuplicateError struct {
	Index   string // file of the index, empty when not known
	Cols    []byte // the encoded columns both entries share
	PK      []byte // the primary key being added
	OtherPK []byte // the primary key that already has Cols
}

func (e *DuplicateError) Error() string {
	where := ""
	if e.Index != "" {
		where = fmt.Sprintf(" %s", e.Index)
	}
	return fmt.Sprintf("%v%s: columns %s of primary key %s already belong to primary key %s",
		ErrDuplicate, where, fmtKey(e.Cols), fmtKey(e.PK), fmtKey(e.OtherPK))
}

// Is reports whether target is ErrDuplicate.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// KeyTooLargeError is Build's error for an entry whose key is longer than
// MaxKeySize. errors.Is(err, ErrKeyTooLarge) holds for it.
type KeyTooLargeError struct {
	Index string // file of the index
	Len   int    // the key's length in bytes
	PK    []byte // the row's primary key
}

func (e *KeyTooLargeError) Error() string {
	return fmt.Sprintf("blitz/index: build %s: %v: %d bytes (limit %d) for primary key %s", e.Index, ErrKeyTooLarge, e.Len, MaxKeySize, fmtKey(e.PK))
}

// Is reports whether target is ErrKeyTooLarge.
func (e *KeyTooLargeError) Is(target error) bool { return target == ErrKeyTooLarge }

// fmtKey shows an encoded tuple decoded when it is well formed, in hex
// otherwise.
func fmtKey(b []byte) string {
	vs, err := keyenc.DecodeAll(b)
	if err != nil {
		return fmt.Sprintf("%x", b)
	}
	s := "("
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		switch v.Kind {
		case keyenc.KindNull:
			s += "NULL"
		case keyenc.KindInt:
			s += fmt.Sprint(v.I)
		case keyenc.KindUint:
			s += fmt.Sprint(v.U)
		case keyenc.KindFloat:
			s += fmt.Sprint(v.F)
		case keyenc.KindDecimal:
			s += v.D.String()
		default:
			s += fmt.Sprintf("%q", v.B)
		}
	}
	return s + ")"
}
