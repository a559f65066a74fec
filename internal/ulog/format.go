// Package ulog is the update log: every committed change of a database, in
// commit order, as logical records (table, operation, primary key, row
// image) with a sequence number and a commit timestamp. It lives in a
// directory that may be outside the database directory, so that it survives
// losing the database; a backup plus the update log brings a database back
// to any moment after the backup.
//
// # Format (version 1)
//
// A log is a directory of segment files. A segment is named by the sequence
// number of its first frame, as 20 decimal digits and the suffix ".ulog"
// ("00000000000000000001.ulog"), so names sort in log order. Segments are
// rotated when one grows past a size limit; frames never span segments.
//
// Every integer is little-endian. A segment starts with a 16-byte header:
//
//	+----------------+-----------+-----------+
//	| magic (8B)     | ver (4B)  | zero (4B) |
//	| "BLITZULG"     | 1         |           |
//	+----------------+-----------+-----------+
//
// and then holds frames back to back, one per committed transaction:
//
//	+-----------+------------+-----------+-------------+------------------+
//	| CRC (4B)  | Length(4B) | Seq (8B)  | Time (8B)   | Payload (Length) |
//	+-----------+------------+-----------+-------------+------------------+
//
// CRC is the CRC-32C (Castagnoli) of the 20 bytes Length..Time followed by
// the payload. Seq numbers the transactions of the log from 1 with no gaps.
// Time is the commit time in nanoseconds since the Unix epoch, UTC. Length
// is at most MaxPayload.
//
// The payload is a uvarint count of operations, then per operation:
//
//	kind (1B: 1 put, 2 delete, 3 ddl) | uvarint len | table | uvarint len | key | uvarint len | value
//
// For a put, key is the encoded primary key and value the row image; for a
// delete, value is empty; for a ddl, key is empty and value describes the
// change (its encoding belongs to the engine).
//
// Worked example: the first transaction of a log, committed at
// 2026-11-23T00:00:00Z, putting key "k" = "v" into table "t", is the frame
//
//	CRC | 0b 00 00 00 | 01 00.. (8B) | 00 00 e2 7e 3b 9a 79 18 | 01 01 01 74 01 6b 01 76
//
// with an 11-byte payload: 1 op, kind 1, "t", "k", "v".
//
// The writer zero-fills the newest segment ahead of its last frame (so that
// syncing an append need not commit a new file size); zeros after the last
// frame of the newest segment are its end, and are trimmed at rotation,
// Close and Open. A torn frame at the end of the newest segment (a crash
// while appending) is the normal end of the log and is cut when the log is
// opened for writing.
//
// The engine's use of the log (what a transaction's frame holds, when it
// is synced, and the JSON encoding of kind-3 ddl ops) is described in
// engine/ulog.go.
// A frame that fails its checksum anywhere else is damage: readers stop at
// the last good frame and say where, unless asked to skip damage, in which
// case they resynchronise on the next frame that verifies.
package ulog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Wire constants: part of the on-disk format, never change them.
const (
	// Magic opens every segment file.
	Magic = "BLITZULG"
	// Version is the format version written in segment headers.
	Version = 1
	// HeaderSize is the size of a segment header.
	HeaderSize = 16
	// FrameHeaderSize is the size of a frame header (CRC, Length, Seq, Time).
	FrameHeaderSize = 24
	// MaxPayload bounds one frame's payload (one transaction's changes).
	MaxPayload = 1<<31 - 1
	// SegmentSuffix ends every segment file name.
	SegmentSuffix = ".ulog"
)

// OpKind says what an operation does.
type OpKind uint8

// Operation kinds; part of the format.
const (
	OpPut    OpKind = 1
	OpDelete OpKind = 2
	OpDDL    OpKind = 3
)

func (k OpKind) String() string {
	switch k {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpDDL:
		return "ddl"
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op is one logical change.
type Op struct {
	Kind  OpKind
	Table string
	Key   []byte
	Value []byte
}

// Record is one committed transaction.
type Record struct {
	Seq  uint64
	Time int64 // commit time, Unix nanoseconds UTC
	Ops  []Op
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodePayload appends the payload encoding of ops to b.
func encodePayload(b []byte, ops []Op) []byte {
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		b = append(b, byte(op.Kind))
		b = binary.AppendUvarint(b, uint64(len(op.Table)))
		b = append(b, op.Table...)
		b = binary.AppendUvarint(b, uint64(len(op.Key)))
		b = append(b, op.Key...)
		b = binary.AppendUvarint(b, uint64(len(op.Value)))
		b = append(b, op.Value...)
	}
	return b
}

// AppendFrame appends the frame of rec to b.
func AppendFrame(b []byte, rec *Record) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, FrameHeaderSize)...)
	b = encodePayload(b, rec.Ops)
	n := len(b) - start - FrameHeaderSize
	if n > MaxPayload {
		return b[:start], fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	h := b[start : start+FrameHeaderSize]
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint64(h[8:], rec.Seq)
	binary.LittleEndian.PutUint64(h[16:], uint64(rec.Time))
	binary.LittleEndian.PutUint32(h[0:], crc32.Checksum(b[start+4:], castagnoli))
	return b, nil
}

// decodePayload decodes a payload. It never panics and allocates no more
// than the payload's own size.
func decodePayload(p []byte) ([]Op, error) {
	count, n := binary.Uvarint(p)
	if n <= 0 {
		return nil, errors.New("bad operation count")
	}
	p = p[n:]
	// Each operation takes at least 4 bytes, so a count larger than that
	// bound is a lie; checking first keeps the allocation honest.
	if count > uint64(len(p))/4 {
		return nil, fmt.Errorf("operation count %d exceeds payload", count)
	}
	ops := make([]Op, 0, count)
	field := func() ([]byte, error) {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return nil, errors.New("bad field length")
		}
		f := p[n : n+int(l)]
		p = p[n+int(l):]
		return f, nil
	}
	for i := uint64(0); i < count; i++ {
		if len(p) == 0 {
			return nil, errors.New("truncated operation")
		}
		op := Op{Kind: OpKind(p[0])}
		if op.Kind < OpPut || op.Kind > OpDDL {
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
		op.Table = string(t)
		ops = append(ops, op)
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(p))
	}
	return ops, nil
}

// parseFrame checks the frame at the start of b. It returns the record and
// the frame's total size. errShort means b ends inside the frame.
func parseFrame(b []byte) (Record, int, error) {
	if len(b) < FrameHeaderSize {
		return Record{}, 0, errShort
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if n > MaxPayload {
		return Record{}, 0, errors.New("frame length out of range")
	}
	total := FrameHeaderSize + int(n)
	if total > len(b) {
		return Record{}, 0, errShort
	}
	if crc32.Checksum(b[4:total], castagnoli) != binary.LittleEndian.Uint32(b) {
		return Record{}, 0, errors.New("checksum mismatch")
	}
	ops, err := decodePayload(b[FrameHeaderSize:total])
	if err != nil {
		return Record{}, 0, err
	}
	return Record{
		Seq:  binary.LittleEndian.Uint64(b[8:]),
		Time: int64(binary.LittleEndian.Uint64(b[16:])),
		Ops:  ops,
	}, total, nil
}

var errShort = errors.New("frame runs past the end of the segment")

// segmentName returns the file name of the segment starting at seq.
func segmentName(seq uint64) string { return fmt.Sprintf("%020d%s", seq, SegmentSuffix) }

func appendHeader(b []byte) []byte {
	b = append(b, Magic...)
	b = binary.LittleEndian.AppendUint32(b, Version)
	return binary.LittleEndian.AppendUint32(b, 0)
}

func checkHeader(b []byte) error {
	if len(b) < HeaderSize || string(b[:8]) != Magic {
		return errors.New("not an update-log segment (bad magic)")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != Version {
		return fmt.Errorf("unsupported update-log format version %d", v)
	}
	return nil
}

// CompleteLength returns the length of the longest prefix of a segment's
// bytes that holds the header and whole frames that verify and number
// consecutively, with the sequence numbers of its first and last frames (0
// and 0 when it holds no frame). Bytes past that prefix are a frame still
// being appended, a torn tail or damage; the prefix itself never changes
// once written, so tools copying a live log (incremental backups) copy only
// it. Fewer than HeaderSize bytes give 0 and no error (a segment being
// created); a bad header is an error.
func CompleteLength(data []byte) (n int64, first, last uint64, err error) {
	if len(data) < HeaderSize {
		return 0, 0, 0, nil
	}
	if err := checkHeader(data); err != nil {
		return 0, 0, 0, err
	}
	off := HeaderSize
	for off < len(data) {
		rec, size, err := parseFrame(data[off:])
		if err != nil || (last != 0 && rec.Seq != last+1) {
			break
		}
		if first == 0 {
			first = rec.Seq
		}
		last = rec.Seq
		off += size
	}
	return int64(off), first, last, nil
}
