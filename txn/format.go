// Package txn is the redo write-ahead log behind CRASH_SAFE tables: a commit
// appends one record naming every change of the transaction and is
// acknowledged once that record is durable; concurrent commits share one
// write and one fdatasync (group commit). Checkpoints bound the log, and
// recovery replays every committed record after the last completed one.
//
// # Format (version 2)
//
// The log is a directory (DIR/wal/) of segment files. A segment is named by
// the LSN of its first frame, as 20 decimal digits and the suffix ".wal"
// ("00000000000000000001.wal"), so names sort in log order. Files ending in
// ".free" are recycled segments waiting for reuse and are not part of the log.
//
// Every integer is little-endian. A segment starts with a 32-byte header:
//
//	+------------+----------+-----------+--------------+------------+-----------+
//	| magic (8B) | ver (4B) | zero (4B) | first (8B)   | CRC (4B)   | zero (4B) |
//	| "BLITZWAL" | 2        |           | LSN of frame |  of 0..24  |           |
//	+------------+----------+-----------+--------------+------------+-----------+
//
// and then frames back to back:
//
//	+----------+-------------+-----------+----------+-------------------+
//	| CRC (4B) | Length (4B) | Type (1B) | LSN (8B) | Payload (Length)  |
//	+----------+-------------+-----------+----------+-------------------+
//
// CRC is the CRC-32C (Castagnoli) of the 13 bytes Length..LSN followed by the
// payload. LSNs number the frames of the whole log from 1 with no gaps, so the
// frames of a segment carry first, first+1, ...; a group frame (type 4) is the
// exception: it takes no LSN of its own but carries the LSN of the frame that
// follows it. A frame whose LSN is not the next one (a stale frame left in a
// recycled segment) ends the segment just as a zeroed header (preallocated
// space) or the end of the file does. Length is at least 1 and at most
// MaxPayload. A frame never spans segments; a frame larger than the segment
// size gets a segment of its own that grows past it.
//
// Frame types and payloads:
//
//	1 commit            a Batch: uvarint op count, then per op
//	                    kind (1B: 1 put, 2 delete) | uvarint len | table |
//	                    uvarint len | key | uvarint len | value
//	2 checkpoint-begin  through (8B): the LSN through which the checkpoint applies
//	3 checkpoint-end    through (8B): the checkpoint begun with this value is durable
//	4 group             synced (8B): the LSN through which the log was fdatasync'ed
//	                    when this write began; always below the frame's LSN
//
// The frames of every group commit (written with one write call per segment
// they go to, then one fdatasync) start with a group frame, in the same
// segment as the group's first frame; the part of a group that goes on in a
// new segment has none (the rotation synced everything before it). A group
// frame not followed by a frame of its group is part of a torn write: the
// log ends before it.
//
// Worked example: the first commit of a log, putting key "k" = "v" into
// table "t", is the 25-byte frame
//
//	65 60 f0 eb | 08 00 00 00 | 01 | 01 00 00 00 00 00 00 00 | 01 01 01 74 01 6b 01 76
//	CRC           Length 8      commit LSN 1                   1 op, put, "t", "k", "v"
//
// written right after the 25-byte group frame that opens its group write
// (LSN 1 too, nothing synced yet):
//
//	8a 85 7a 2e | 08 00 00 00 | 04 | 01 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00
//	CRC           Length 8      group  LSN 1                   synced through LSN 0
//
// (TestFormatWorkedExample checks these bytes.)
//
// Durability rules that recovery relies on: a segment's header is synced
// before any frame is written into it; a segment is wholly synced before the
// first frame of the next one is written; a checkpoint-end frame is synced
// before any segment it covers is recycled; a group write begins only after
// the fdatasync that covers its group frame's synced value has returned (so
// under SyncOff that value only counts the syncs of rotations). Hence only
// the newest segment can end in a torn frame, and OpenWAL treats that as the
// normal end of the log (cut cleanly, reported in RecoveryInfo); a short or
// damaged non-final segment, a gap in LSNs, or a bad header on an older
// segment is corruption (unless a completed checkpoint covers the LSNs it
// loses, below).
//
// In the newest segment, a bad frame (one that fails its checksum, is cut
// short or is otherwise invalid) where LSN D should be is told apart from a
// torn write by what follows it: if the rest of
// the segment holds a valid group frame of a later write (its LSN above D,
// within the frames that fit between the two, and its synced value at least
// D), frame D was synced before that write began, so it is damage, not a
// torn write, and OpenWAL returns a *CorruptionError naming the segment, the
// offset and D rather than drop acknowledged commits. Stale frames of a
// recycled segment's older life carry LSNs below the segment's first and are
// never taken as such evidence. The bytes of the one unsynced write a power
// cut tears hold a single group frame, at their start, so a torn write alone
// never looks like damage; nor do the leftovers of a write cut back after a
// failure (writefail.go), whose group frame the end mark overwrote.
//
// # The NEWEST file
//
// Since the newest-segment mark was added (the segment format did not
// change: it is still version 2), the WAL directory also holds a file named
// NEWEST, 28 bytes, naming the first LSN of the newest segment:
//
//	+------------+----------+-----------+--------------+------------+
//	| magic (8B) | ver (4B) | zero (4B) | first (8B)   | CRC (4B)   |
//	| "BLITZNEW" | 1        |           | LSN          |  of 0..24  |
//	+------------+----------+-----------+--------------+------------+
//
// It is replaced atomically (written as NEWEST.tmp, synced, renamed, the
// directory synced) each time a segment is started, after that segment is
// durable, so it never names a segment a crash could take away; before a
// failed write's segments are removed (writefail.go) it is made to name
// the segment kept. OpenWAL refuses a log whose segments all start below
// the LSN NEWEST names with a *CorruptionError naming the missing segment:
// without the mark, a newest segment deleted by hand read as a log that
// ended cleanly one segment earlier (or as an empty log), dropping its
// commits without a word. A log without NEWEST (written before it
// existed) is read as before and gets one; a NEWEST that does not decode is
// logged and rewritten. A failure to update it is logged, never fails a
// commit: a mark left naming an older segment only weakens the check.
//
// The names of recycled segments back the mark up: a segment is recycled
// as FIRST.free (FIRST its first LSN, as in its segment name) only once a
// checkpoint-end frame past it is durable, so a log whose last frame is at
// or below the FIRST of a .free file has lost durable frames, and OpenWAL
// refuses it too with a *CorruptionError naming that file. This catches
// the newest segment deleted together with NEWEST (or a wal/ directory
// put back from an older copy) when a recycled segment is left and no
// segment still holds the checkpoint that retired it; a newest segment
// that held only commits after a checkpoint found in an older segment
// stays undetectable without NEWEST. Neither the segment nor the NEWEST
// format changed. Removing NEWEST and the recycled segments (*.free,
// which hold nothing of the log) is how a user gives a lost newest
// segment up.
//
// Damage that the last completed checkpoint makes harmless: a bad frame
// followed in its segment by a valid group frame of a later write (as
// above) is read past, the scan going on from that group frame, and a
// non-final segment that is short, damaged or has a bad header loses the
// LSNs up to the next segment's first. If every LSN so lost is covered by
// the last completed checkpoint found (its changes are in the data files),
// OpenWAL opens the log, skipping them, and says so in the log and in
// RecoveryInfo.SkippedDamage; otherwise it returns the *CorruptionError of
// the first such damage, as before. A checkpoint frame lost to the damage
// is not counted, so the check errs towards refusing.
//
// Limits: damage in the last group write of the log, or in a log written with
// SyncOff (nothing in the newest segment is known synced), still reads as a
// torn tail, and so does a frame header read back as all zeros (it reads as
// the clean end of the log). Version 1 segments, which have no group frames,
// are still read, with the limit that any damage in the newest one reads as
// a torn tail; a version 1 segment is never appended to.
package txn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Wire constants: part of the on-disk format, never change them.
const (
	// Magic opens every segment file.
	Magic = "BLITZWAL"
	// Version is the format version written in segment headers. Version 1
	// had no group frames; its segments are still read.
	Version = 2
	// SegmentHeaderSize is the size of a segment header.
	SegmentHeaderSize = 32
	// FrameHeaderSize is the size of a frame header (CRC, Length, Type, LSN).
	FrameHeaderSize = 17
	// MaxPayload bounds one frame's payload (one transaction's changes).
	MaxPayload = 1 << 30
	// SegmentSuffix ends every segment file name.
	SegmentSuffix = ".wal"
	// FreeSuffix ends a recycled segment file waiting for reuse.
	FreeSuffix = ".free"
)

// frameType says what a frame holds; part of the format.
type frameType uint8

const (
	frameCommit          frameType = 1
	frameCheckpointBegin frameType = 2
	frameCheckpointEnd   frameType = 3
	frameGroup           frameType = 4 // from version 2
)

// groupFrameSize is the size of a group frame, header included.
const groupFrameSize = FrameHeaderSize + 8

// minFrameSize is the size of the smallest frame that takes an LSN.
const minFrameSize = FrameHeaderSize + 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segmentName returns the file name of the segment whose first frame is lsn.
func segmentName(lsn LSN) string { return fmt.Sprintf("%020d%s", uint64(lsn), SegmentSuffix) }

// parseSegmentName returns the first LSN encoded in a segment file name.
func parseSegmentName(name string) (LSN, bool) {
	if len(name) != 20+len(SegmentSuffix) || name[20:] != SegmentSuffix {
		return 0, false
	}
	var v uint64
	for _, c := range name[:20] {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return LSN(v), v != 0
}

// appendSegmentHeader appends the header of a segment starting at first.
func appendSegmentHeader(b []byte, first LSN) []byte {
	b = appendStamp(b, Magic, Version, first)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// appendStamp appends the 28 bytes a segment header and the NEWEST file
// begin with: magic (8 bytes), version, 4 zero bytes, the LSN first, and
// the CRC-32C of those 24 bytes.
func appendStamp(b []byte, magic string, version uint32, first LSN) []byte {
	start := len(b)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(first))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:start+24], castagnoli))
}

// parseSegmentHeader checks a segment header and returns its first LSN and
// its format version (1 or Version).
func parseSegmentHeader(b []byte) (LSN, uint32, error) {
	if len(b) < SegmentHeaderSize {
		return 0, 0, errors.New("segment shorter than its header")
	}
	if string(b[:8]) != Magic {
		return 0, 0, errors.New("not a WAL segment (bad magic)")
	}
	if crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:]) {
		return 0, 0, errors.New("segment header checksum mismatch")
	}
	v := binary.LittleEndian.Uint32(b[8:])
	if v < 1 || v > Version {
		return 0, 0, fmt.Errorf("unsupported WAL format version %d (this blitz reads versions 1 to %d)", v, Version)
	}
	return LSN(binary.LittleEndian.Uint64(b[16:])), v, nil
}

// appendFrameHeader appends a frame header with a zero CRC and length; the
// caller appends the payload and then calls finishFrame(b, start, ...).
func appendFrameHeader(b []byte, t frameType, lsn LSN) []byte {
	var h [FrameHeaderSize]byte
	h[8] = byte(t)
	binary.LittleEndian.PutUint64(h[9:], uint64(lsn))
	return append(b, h[:]...)
}

// finishFrame fills in the length and CRC of the frame starting at b[start:],
// whose payload runs to the end of b. It fails if the payload is empty or
// larger than MaxPayload.
func finishFrame(b []byte, start int) error {
	n := len(b) - start - FrameHeaderSize
	if n < 1 || n > MaxPayload {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, n)
	}
	binary.LittleEndian.PutUint32(b[start+4:], uint32(n))
	binary.LittleEndian.PutUint32(b[start:], crc32.Checksum(b[start+4:], castagnoli))
	return nil
}

// appendGroupFrame appends a group frame for a group whose first frame is
// lsn, its synced value left to sealGroupFrame.
func appendGroupFrame(b []byte, lsn LSN) []byte {
	b = appendFrameHeader(b, frameGroup, lsn)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[len(b)-groupFrameSize+4:], 8)
	return b
}

// sealGroupFrame sets the synced value of the group frame b
// (groupFrameSize bytes, made by appendGroupFrame) and its CRC.
func sealGroupFrame(b []byte, synced LSN) {
	binary.LittleEndian.PutUint64(b[FrameHeaderSize:], uint64(synced))
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:groupFrameSize], castagnoli))
}

// appendFrame appends a whole frame.
func appendFrame(b []byte, t frameType, lsn LSN, payload []byte) ([]byte, error) {
	start := len(b)
	b = appendFrameHeader(b, t, lsn)
	b = append(b, payload...)
	if err := finishFrame(b, start); err != nil {
		return b[:start], err
	}
	return b, nil
}

// frame is one decoded frame. Payload aliases the reader's buffer and is
// valid until the next call to next.
type frame struct {
	Type    frameType
	LSN     LSN
	Payload []byte
	Offset  int64 // offset of the frame in its segment
	Size    int64 // total frame size, header included
	// Group is the size of the group frame read just before this frame
	// (0 if none): it lies at Offset-Group. Group frames are not returned
	// by themselves.
	Group int64
}

// endKind says why a frame reader stopped.
type endKind int

const (
	endClean endKind = iota // end of data, a zeroed header, or a stale frame
	endTorn                 // a frame that is cut short or fails its checksum
)

// frameEnd describes where and why reading stopped.
type frameEnd struct {
	Kind   endKind
	Offset int64 // where the next frame would start: the end of the log in this segment
	// At is where the frame that ended the reading starts: Offset, or past
	// a group frame at Offset that no frame of its group followed.
	At     int64
	Expect LSN // the LSN the next frame had to carry (0 if any)
	Reason string
}

// frameReader reads the frames of one segment body sequentially from an
// io.Reader. It never allocates more than the bytes the segment really has
// left (limit), whatever a corrupt length field says.
type frameReader struct {
	r       *bufio.Reader
	off     int64 // end of the last frame returned: where the log goes on
	pos     int64 // offset of the next byte of r in the segment
	limit   int64 // segment size: no frame extends past it
	expect  LSN   // LSN the next frame must carry; 0 accepts any (first frame)
	version uint32
	buf     []byte
	hdr     [FrameHeaderSize]byte
}

// newFrameReader returns a reader of the frames of a segment of the given
// format version, r holding its bytes from offset off to limit.
func newFrameReader(r io.Reader, off, limit int64, expect LSN, version uint32) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 256<<10), off: off, pos: off, limit: limit, expect: expect, version: version}
}

// next returns the next frame, or ok=false and why reading stopped. A read
// error of the underlying reader is returned as err. A group frame is
// checked and skipped (see frame.Group); one that no frame of its group
// follows ends the log before it.
func (fr *frameReader) next() (f frame, end frameEnd, ok bool, err error) {
	var group int64
	for {
		f, end, ok, err = fr.read(group > 0)
		if err != nil || !ok {
			return f, end, ok, err
		}
		if f.Type != frameGroup {
			f.Group = group
			fr.off = fr.pos
			fr.expect = f.LSN + 1
			return f, frameEnd{}, true, nil
		}
		group = f.Size
	}
}

// read reads the frame at fr.pos; afterGroup says a group frame was just
// read.
func (fr *frameReader) read(afterGroup bool) (f frame, end frameEnd, ok bool, err error) {
	stop := func(k endKind, reason string) (frame, frameEnd, bool, error) {
		return frame{}, frameEnd{Kind: k, Offset: fr.off, At: fr.pos, Expect: fr.expect, Reason: reason}, false, nil
	}
	left := fr.limit - fr.pos
	if left <= 0 {
		return stop(endClean, "end of segment")
	}
	hn := int64(FrameHeaderSize)
	if left < hn {
		hn = left
	}
	if _, err := io.ReadFull(fr.r, fr.hdr[:hn]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return stop(endTorn, "segment ends inside a frame header")
		}
		return frame{}, frameEnd{}, false, err
	}
	if allZero(fr.hdr[:hn]) {
		return stop(endClean, "zeroed frame header")
	}
	if hn < FrameHeaderSize {
		return stop(endTorn, "segment ends inside a frame header")
	}
	n := int64(binary.LittleEndian.Uint32(fr.hdr[4:]))
	if n < 1 || n > MaxPayload {
		return stop(endTorn, fmt.Sprintf("frame length %d out of range", n))
	}
	if n > left-FrameHeaderSize {
		return stop(endTorn, fmt.Sprintf("frame length %d runs past the end of the segment", n))
	}
	if int64(cap(fr.buf)) < n {
		fr.buf = make([]byte, n)
	}
	p := fr.buf[:n]
	if _, err := io.ReadFull(fr.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return stop(endTorn, "segment ends inside a frame")
		}
		return frame{}, frameEnd{}, false, err
	}
	crc := crc32.Update(crc32.Checksum(fr.hdr[4:], castagnoli), castagnoli, p)
	if crc != binary.LittleEndian.Uint32(fr.hdr[:]) {
		return stop(endTorn, "frame checksum mismatch")
	}
	t := frameType(fr.hdr[8])
	lsn := LSN(binary.LittleEndian.Uint64(fr.hdr[9:]))
	if fr.expect != 0 && lsn != fr.expect {
		// A checksummed frame from an earlier life of a recycled segment.
		return stop(endClean, fmt.Sprintf("stale frame (LSN %d, expected %d)", lsn, fr.expect))
	}
	maxType := frameCheckpointEnd
	if fr.version >= 2 {
		maxType = frameGroup
	}
	if t < frameCommit || t > maxType {
		return stop(endTorn, fmt.Sprintf("unknown frame type %d", t))
	}
	if t == frameGroup {
		if afterGroup {
			return stop(endTorn, "a group frame right after another")
		}
		if _, err := parseGroupPayload(p, lsn); err != nil {
			return stop(endTorn, err.Error())
		}
		if fr.expect == 0 {
			fr.expect = lsn // the frame after it must carry its LSN
		}
	}
	f = frame{Type: t, LSN: lsn, Payload: p, Offset: fr.pos, Size: FrameHeaderSize + n}
	fr.pos += f.Size
	return f, frameEnd{}, true, nil
}

// parseGroupPayload decodes the payload of a group frame whose LSN is lsn
// and returns its synced value.
func parseGroupPayload(p []byte, lsn LSN) (LSN, error) {
	if len(p) != 8 {
		return 0, fmt.Errorf("group frame payload of %d bytes, want 8", len(p))
	}
	synced := LSN(binary.LittleEndian.Uint64(p))
	if synced >= lsn {
		return 0, fmt.Errorf("group frame at LSN %d says the log was synced through LSN %d", lsn, synced)
	}
	return synced, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkpointPayload encodes the payload of a checkpoint frame.
func checkpointPayload(through LSN) []byte {
	return binary.LittleEndian.AppendUint64(nil, uint64(through))
}

// parseCheckpointPayload decodes the payload of a checkpoint frame.
func parseCheckpointPayload(p []byte) (LSN, error) {
	if len(p) != 8 {
		return 0, fmt.Errorf("checkpoint payload of %d bytes, want 8", len(p))
	}
	return LSN(binary.LittleEndian.Uint64(p)), nil
}

// durableEvidence is a group frame found past a bad frame that proves the
// bad frame was synced (see findDurableEvidence).
type durableEvidence struct {
	Offset int64 // of the group frame
	LSN    LSN   // its LSN (that of its group's first frame)
	Synced LSN   // its synced value
}

// groupPattern is what bytes 4..8 of every group frame hold: Length 8 and
// type 4.
var groupPattern = []byte{8, 0, 0, 0, byte(frameGroup)}

// findDurableEvidence looks in r, from offset from to limit, for a valid
// group frame showing that the frame with LSN bad, which should start at
// offset at (< from) but is damaged, was synced: a group frame with an LSN
// above bad, at most as many frames above it as fit between at and the
// group frame (LSNs run on without gaps), and a synced value of at least
// bad. The write of that group began after an fdatasync covering frame bad
// returned, so frame bad was durable before being damaged. Stale frames of
// a recycled segment's older life carry LSNs below the segment's first, so
// they never qualify. It reads limit-from bytes at most, in chunks.
func findDurableEvidence(r io.ReaderAt, at, from, limit int64, bad LSN) (durableEvidence, bool, error) {
	const chunk = 1 << 20
	buf := make([]byte, chunk+groupFrameSize)
	for base := from; base < limit; base += chunk {
		n := min(int64(len(buf)), limit-base)
		got, err := r.ReadAt(buf[:n], base)
		if err != nil && !errors.Is(err, io.EOF) {
			return durableEvidence{}, false, err
		}
		b := buf[:got]
		// Frames starting in [base, base+chunk) are wholly in b (or run
		// past limit).
		for i := 0; ; {
			j := bytes.Index(b[i:], groupPattern)
			if j < 0 {
				break
			}
			i += j
			start := i - 4 // the frame's CRC comes first
			i++
			if start < 0 || int64(start) >= chunk || start+groupFrameSize > len(b) {
				continue
			}
			g := b[start : start+groupFrameSize]
			if crc32.Checksum(g[4:], castagnoli) != binary.LittleEndian.Uint32(g) {
				continue
			}
			lsn := LSN(binary.LittleEndian.Uint64(g[9:]))
			synced := LSN(binary.LittleEndian.Uint64(g[FrameHeaderSize:]))
			off := base + int64(start)
			if lsn <= bad || synced < bad || synced >= lsn {
				continue
			}
			if uint64(lsn-bad) > uint64(off-at)/minFrameSize {
				continue // more frames than fit before it: not of this life
			}
			return durableEvidence{Offset: off, LSN: lsn, Synced: synced}, true, nil
		}
	}
	return durableEvidence{}, false, nil
}
