package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// LSN (log sequence number) numbers the frames of the WAL from 1 with no
// gaps: commits and checkpoint markers alike. 0 means "none".
type LSN uint64

// OpKind says what an operation does; its values are part of the format.
type OpKind uint8

// Operation kinds.
const (
	OpPut    OpKind = 1 // set Key to Value
	OpDelete OpKind = 2 // remove Key; Value is empty
)

func (k OpKind) String() string {
	switch k {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one change of a transaction: a put or delete of Key in Table. The
// engine decides what Key and Value hold (encoded primary key, row image).
type Op struct {
	Table string
	Kind  OpKind
	Key   []byte
	Value []byte
}

// Batch is the changes of one transaction, in order; it is logged as one
// frame and replayed all or nothing.
type Batch []Op

// minOpSize is the fewest bytes one encoded op takes (kind and three empty
// length prefixes); it bounds a decoded count before anything is allocated.
const minOpSize = 4

// AppendEncoded appends the payload encoding of b to dst.
func (b Batch) AppendEncoded(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	for _, op := range b {
		dst = append(dst, byte(op.Kind))
		dst = binary.AppendUvarint(dst, uint64(len(op.Table)))
		dst = append(dst, op.Table...)
		dst = binary.AppendUvarint(dst, uint64(len(op.Key)))
		dst = append(dst, op.Key...)
		dst = binary.AppendUvarint(dst, uint64(len(op.Value)))
		dst = append(dst, op.Value...)
	}
	return dst
}

// EncodedSize returns the length of b's payload encoding.
func (b Batch) EncodedSize() int {
	n := uvarintLen(uint64(len(b)))
	for _, op := range b {
		n += 1 + uvarintLen(uint64(len(op.Table))) + len(op.Table) +
			uvarintLen(uint64(len(op.Key))) + len(op.Key) +
			uvarintLen(uint64(len(op.Value))) + len(op.Value)
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// DecodeBatch decodes a commit payload. Keys and values alias p (they are
// valid as long as p is); table names are copied. It never panics, and it
// allocates in proportion to the ops really present, not to a count or a
// length read from p. It returns an error for any malformed payload.
func DecodeBatch(p []byte) (Batch, error) {
	count, n := binary.Uvarint(p)
	if n <= 0 {
		return nil, errors.New("bad operation count")
	}
	p = p[n:]
	if count > uint64(len(p))/minOpSize {
		return nil, fmt.Errorf("operation count %d exceeds payload", count)
	}
	b := make(Batch, 0, count)
	field := func() ([]byte, error) {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return nil, errors.New("bad field length")
		}
		f := p[n : n+int(l) : n+int(l)]
		p = p[n+int(l):]
		return f, nil
	}
	var lastTable string
	for i := uint64(0); i < count; i++ {
		if len(p) == 0 {
			return nil, errors.New("truncated operation")
		}
		op := Op{Kind: OpKind(p[0])}
		if op.Kind != OpPut && op.Kind != OpDelete {
			return nil, fmt.Errorf("unknown operation kind %d", p[0])
		}
		p = p[1:]
		t, err := field()
		if err != nil {
			return nil, err
		}
		if op.Key, err = field(); err != nil {
			return nil, err
		}
		if op.Value, err = field(); err != nil {
			return nil, err
		}
		if string(t) != lastTable { // consecutive ops on one table share the string
			lastTable = string(t)
		}
		op.Table = lastTable
		b = append(b, op)
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(p))
	}
	return b, nil
}
