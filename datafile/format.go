// Package datafile is the hash data file: a single-file persistent hash map
// of byte keys to byte values, in the class of Tokyo Cabinet's hash
// database, with a checksum on every record so that any record can be
// verified on its own and a sequential scan can salvage every intact record
// of a damaged file.
//
// # Format (version 1)
//
// Every integer is little-endian, whatever the build. The file is a 4096-byte
// header page followed by the block area, which runs from offset 4096 to the
// logical end of the file (the "tail"). Blocks start at multiples of 16.
//
// The header page holds two copies ("slots") of a 128-byte header, at offsets
// 0 and 512, so that they never share a 512-byte sector. Each header write
// goes to the slot not written last and is followed by a sync, so at every
// moment at least one slot is durable and valid; Open uses the valid slot
// with the higher counter. A slot that does not verify while the other does
// is damage (Verify reports it; a writer's Open rewrites it from the other,
// with the next counter), except the zeros of slot 512 beside a header with
// counter 1: a new file whose creator died before its second header write.
// The rest of the page is zero.
//
//	off size field
//	  0    8 magic "BLITZDF\x00"
//	  8    4 format version (1)
//	 12    4 flags: 1 = open (not closed cleanly), 2 = fatal (damage seen)
//	 16    8 counter: incremented at each header write; picks the newer slot
//	 24    8 generation: incremented at each open for writing
//	 32    8 bucket count
//	 40    8 offset of the bucket-array block
//	 48    8 record count
//	 56    8 tail: the logical end of the block area
//	 64    8 sequence high-water mark: every record's seq is at most this
//	 72    8 free bytes (free blocks in the block area)
//	 80   44 zero
//	124    4 CRC-32C (Castagnoli) of bytes 0..123
//
// Every block starts with a 32-byte block header:
//
//	off size field
//	  0    4 CRC-32C of bytes 4..7, then 16..(32+klen+vlen) for a record,
//	         16..31 only for a free or bucket block
//	  4    1 kind: 0xB1 record, 0xF1 free, 0xB2 bucket array
//	  5    1 low byte of the key's hash (skips most key compares)
//	  6    2 slack: unused 16-byte units after the payload
//	  8    8 chain link: offset of the next record in the bucket's chain, 0 = end
//	 16    8 seq: the record's sequence number (unique, increasing)
//	 24    4 klen
//	 28    4 vlen
//
// followed by klen key bytes and vlen value bytes, then zero padding to a
// multiple of 16, then slack*16 unused bytes. The block size is therefore
// align16(32+klen+vlen) + 16*slack. A free block has kind 0xF1 and the same
// size formula; deleting a record rewrites only its CRC and kind (bytes 0..4,
// which never straddle a sector), so a torn delete leaves either the record
// or a free block, never a half of each that verifies. The bucket array is a
// block of kind 0xB2 with klen 0 and vlen 8*buckets, whose payload is the
// array of 8-byte chain heads.
//
// The chain link is the one field outside the CRC: it is the only field
// rewritten in place when a neighbour in the chain changes, and it is
// rebuilt from scratch by the scan at an unclean open. Links are validated
// on every use (aligned, in range, pointing at a record that verifies).
//
// A key's bucket is hi64(xxhash64(key) * buckets), the high half of the
// 128-bit product (a multiply-shift reduction, uniform for any bucket count).
//
// Worked example: the record key "k", value "v", seq 7, in a file whose
// tail is 4096+32+8*131071 would be the 48-byte block
//
//	CRC | b1 | hash&0xff | 00 00 | next (8B) | 07 00 00 00 00 00 00 00 |
//	01 00 00 00 | 01 00 00 00 | 6b 76 | 14 zero bytes
//
// # Bucket array growth
//
// When the record count passes 4 per bucket (unless Options.NoGrow), Put
// allocates a new bucket block twice the record count in size, relinks every
// record into it in one sequential pass over the block area, points the
// in-memory header at it and frees the old block. The on-disk header follows
// at the next Sync or Close; after a crash in between, the scan at the next
// open rebuilds the chains in whichever bucket block it keeps.
//
// # Rewrites (Optimize, Salvage)
//
// Optimize and Salvage write a new file in the layout above with nothing
// but appends (compact.go): header page, bucket block, then the records in
// scan order, each copied verbatim from the source once its CRC verified
// (only its chain link, outside the CRC, changes). The bucket array is built
// in memory (8 bytes a bucket) and written once at the end; Salvage also
// keeps an in-memory index of the keys it has seen (about 32 bytes a
// record) to keep only the newest version of each. The header page is
// written last: Salvage syncs everything else first, so a salvage cut short
// never leaves a file with a valid header; Optimize's temporary file gets
// one sync for all, as only the rename after it makes it the data file.
package datafile

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// The constants below are part of the file format: they must not change
// without a new format version.
const (
	magic         = "BLITZDF\x00"
	formatVersion = 1

	headerPage  = 4096 // the header page; the block area starts here
	headerSize  = 128  // one header slot
	headerSlot1 = 512  // offset of the second slot (a different sector)
	blockAlign  = 16   // every block starts at a multiple of this
	blockHeader = 32   // size of a block header
	sectorSize  = 512  // appends after a Sync start on a fresh sector

	kindRecord  = 0xB1
	kindFree    = 0xF1
	kindBuckets = 0xB2

	// MaxKeySize is the largest key Put accepts (64 KiB).
	MaxKeySize = 64 << 10
	// MaxValueSize is the largest value Put accepts (256 MiB).
	MaxValueSize = 256 << 20

	// maxBlockSize bounds the size a block header may claim.
	maxBlockSize = blockHeader + MaxKeySize + MaxValueSize + 16*65535 + blockAlign
)

// HeaderBytes is the size of the header page every data file starts with
// (for estimates of the bytes that records take).
const HeaderBytes = headerPage

// Flags are the header flags.
type Flags uint32

const (
	// FlagOpen is set (and synced) while a writer has the file open and
	// cleared by a clean Close: found set at Open, it means the last writer died.
	FlagOpen Flags = 1
	// FlagFatal is set when damage has been seen in the file.
	FlagFatal Flags = 2
)

// String returns "open", "fatal", "open,fatal" or "none".
func (f Flags) String() string {
	switch f & (FlagOpen | FlagFatal) {
	case FlagOpen:
		return "open"
	case FlagFatal:
		return "fatal"
	case FlagOpen | FlagFatal:
		return "open,fatal"
	}
	return "none"
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the decoded header slot.
type header struct {
	version    uint32
	flags      Flags
	counter    uint64
	generation uint64
	buckets    uint64
	bucketOff  uint64
	records    uint64
	tail       uint64
	seq        uint64
	freeBytes  uint64
}

func (h *header) encode(b []byte) {
	clear(b[:headerSize])
	copy(b, magic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], h.version)
	le.PutUint32(b[12:], uint32(h.flags))
	le.PutUint64(b[16:], h.counter)
	le.PutUint64(b[24:], h.generation)
	le.PutUint64(b[32:], h.buckets)
	le.PutUint64(b[40:], h.bucketOff)
	le.PutUint64(b[48:], h.records)
	le.PutUint64(b[56:], h.tail)
	le.PutUint64(b[64:], h.seq)
	le.PutUint64(b[72:], h.freeBytes)
	le.PutUint32(b[124:], crc32.Checksum(b[:124], castagnoli))
}

// decodeHeader decodes one slot; ok is false if it does not verify.
func decodeHeader(b []byte) (h header, ok bool) {
	if len(b) < headerSize || string(b[:8]) != magic {
		return h, false
	}
	le := binary.LittleEndian
	if le.Uint32(b[124:]) != crc32.Checksum(b[:124], castagnoli) {
		return h, false
	}
	h.version = le.Uint32(b[8:])
	h.flags = Flags(le.Uint32(b[12:]))
	h.counter = le.Uint64(b[16:])
	h.generation = le.Uint64(b[24:])
	h.buckets = le.Uint64(b[32:])
	h.bucketOff = le.Uint64(b[40:])
	h.records = le.Uint64(b[48:])
	h.tail = le.Uint64(b[56:])
	h.seq = le.Uint64(b[64:])
	h.freeBytes = le.Uint64(b[72:])
	return h, true
}

// bestHeader returns the valid slot with the higher counter of a header page
// (which may be short or damaged). bad is the offset of the other slot if
// it does not verify, -1 if it does; a slot of zeros beside a header with
// counter 1 is not damage but the slot a new file's creator had not
// written yet when it died.
func bestHeader(page []byte) (h header, ok bool, bad int64) {
	var a, b header
	var aok, bok bool
	if len(page) >= headerSize {
		a, aok = decodeHeader(page[:headerSize])
	}
	if len(page) >= headerSlot1+headerSize {
		b, bok = decodeHeader(page[headerSlot1 : headerSlot1+headerSize])
	}
	unwritten := func(off int) bool {
		return len(page) < off+headerSize || allZero(page[off:off+headerSize])
	}
	switch {
	case aok && bok:
		if b.counter > a.counter {
			return b, true, -1
		}
		return a, true, -1
	case aok:
		if a.counter == 1 && unwritten(headerSlot1) {
			return a, true, -1
		}
		return a, true, headerSlot1
	case bok:
		if b.counter == 1 && unwritten(0) {
			return b, true, -1
		}
		return b, true, 0
	}
	return h, false, -1
}

// slotFor returns the offset of the slot that the header write with this
// counter goes to: they alternate, odd counters in slot 0.
func slotFor(counter uint64) int64 {
	if counter%2 == 0 {
		return headerSlot1
	}
	return 0
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// blockHdr is a decoded block header.
type blockHdr struct {
	crc   uint32
	kind  byte
	hash8 byte
	slack uint16
	next  uint64
	seq   uint64
	klen  uint32
	vlen  uint32
}

func readBlockHdr(b []byte) blockHdr {
	le := binary.LittleEndian
	return blockHdr{
		crc:   le.Uint32(b[0:]),
		kind:  b[4],
		hash8: b[5],
		slack: le.Uint16(b[6:]),
		next:  le.Uint64(b[8:]),
		seq:   le.Uint64(b[16:]),
		klen:  le.Uint32(b[24:]),
		vlen:  le.Uint32(b[28:]),
	}
}

// walkHdr reads the block header at m[off:] for a walk that steps from
// block to block over m (the file up to its tail): ok is false when the
// header is cut short by the end of m, is not plausible, or claims a block
// running past the end of m.
func walkHdr(m []byte, off int64) (h blockHdr, ok bool) {
	if off+blockHeader > int64(len(m)) {
		return h, false
	}
	h = readBlockHdr(m[off:])
	return h, h.plausible() && off+h.size() <= int64(len(m))
}

// size returns the block size the header claims.
func (h *blockHdr) size() int64 {
	return align16(blockHeader+int64(h.klen)+int64(h.vlen)) + 16*int64(h.slack)
}

// payloadLen returns how many bytes after the header the CRC covers.
func (h *blockHdr) payloadLen() int64 {
	if h.kind == kindRecord {
		return int64(h.klen) + int64(h.vlen)
	}
	return 0
}

// plausible reports whether the header's fields are within the format's
// limits, before any checksum is computed.
func (h *blockHdr) plausible() bool {
	switch h.kind {
	case kindRecord:
		return h.klen <= MaxKeySize && h.vlen <= MaxValueSize
	case kindFree:
		// A freed record keeps its lengths; a split-off free block has klen 0.
		return h.klen <= MaxKeySize && int64(h.vlen) <= maxBlockSize
	case kindBuckets:
		return h.klen == 0 && h.vlen%8 == 0
	}
	return false
}

// putBlockHdr writes h (without its CRC) into b.
func putBlockHdr(b []byte, h *blockHdr) {
	le := binary.LittleEndian
	b[4] = h.kind
	b[5] = h.hash8
	le.PutUint16(b[6:], h.slack)
	le.PutUint64(b[8:], h.next)
	le.PutUint64(b[16:], h.seq)
	le.PutUint32(b[24:], h.klen)
	le.PutUint32(b[28:], h.vlen)
}

// blockCRC computes the CRC of the block in b (header plus payloadLen bytes).
func blockCRC(b []byte, payloadLen int64) uint32 {
	c := crc32.Update(0, castagnoli, b[4:8])
	return crc32.Update(c, castagnoli, b[16:blockHeader+payloadLen])
}

// sealBlock computes and stores the CRC of the block in b.
func sealBlock(b []byte, payloadLen int64) {
	binary.LittleEndian.PutUint32(b, blockCRC(b, payloadLen))
}

// checkBlock verifies the block at the start of b (b runs to the end of the
// file). It returns the block header and its size, or a reason why it does
// not verify.
func checkBlock(b []byte) (h blockHdr, size int64, reason string) {
	if len(b) < blockHeader {
		return h, 0, "truncated block header"
	}
	h = readBlockHdr(b)
	if !h.plausible() {
		return h, 0, "bad block header"
	}
	size = h.size()
	if size > int64(len(b)) {
		return h, 0, "block runs past the end of the file"
	}
	if blockCRC(b, h.payloadLen()) != h.crc {
		return h, 0, "checksum mismatch"
	}
	return h, size, ""
}

func align16(n int64) int64 { return (n + blockAlign - 1) &^ (blockAlign - 1) }

// recordSize returns the block size of a record with no slack.
func recordSize(klen, vlen int) int64 { return align16(blockHeader + int64(klen) + int64(vlen)) }

// bucketOf returns the bucket index of hash h among n buckets.
func bucketOf(h, n uint64) uint64 {
	hi, _ := bits.Mul64(h, n)
	return hi
}
