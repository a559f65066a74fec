package datafile

import (
	"bytes"

	"github.com/cespare/xxhash/v2"
)

// maxGapBlock bounds the free blocks made from gaps found by the rebuild
// scan (the size field of a free block is 32 bits).
const maxGapBlock = 128 << 20

// loadFreeLocked fills the free pool from the block headers of a cleanly
// closed file: one pass over [headerPage, tail) reading 32 bytes per block.
func (df *File) loadFreeLocked() error {
	m := df.m[:df.hdr.tail]
	for off := int64(headerPage); off < int64(len(m)); {
		h, ok := walkHdr(m, off)
		if !ok {
			return df.corrupt(off, "bad block header")
		}
		if h.kind == kindFree {
			df.free.add(off, h.size())
		}
		off += h.size()
	}
	return nil
}

// rebuildLocked runs after an unclean shutdown, for a writer. It scans the
// whole mapped file in 16-byte steps, keeps every block that verifies,
// turns the gaps between them (bytes a power cut dropped or garbled) into
// free blocks, cuts the tail after the last block that verifies, and rebuilds
// the bucket chains, the record count, the sequence high-water mark and the
// free pool from what it kept. Where two records hold one key (a torn
// overwrite), the higher sequence number wins. Damage before the last good
// block sets FlagFatal; garbage only after it is the normal result of losing
// unsynced appends. Gaps are overwritten by free-block headers: a caller that
// wants the damaged bytes as evidence copies the file (or Salvages it) before
// opening it for writing.
func (df *File) rebuildLocked() error {
	m := df.m
	size := int64(len(m))
	var recs, bucketBlocks []int64
	var maxSeq uint64
	prev := int64(0) // offset of the last good block
	damaged := false
	end, _, err := scanBlocks(m[:size], func(off int64, h *blockHdr, sz, gapFrom, bad int64) error {
		if off > gapFrom {
			damaged = damaged || bad >= 0
			if err := df.fillGapLocked(prev, gapFrom, off); err != nil {
				return err
			}
		}
		switch h.kind {
		case kindRecord:
			recs = append(recs, off)
			maxSeq = max(maxSeq, h.seq)
		case kindFree:
			df.free.add(off, sz)
		case kindBuckets:
			bucketBlocks = append(bucketBlocks, off)
		}
		prev = off
		return nil
	})
	if err != nil {
		return err
	}
	df.hdr.tail = uint64(end)
	df.hdr.seq = max(df.hdr.seq, maxSeq)
	if damaged {
		df.hdr.flags |= FlagFatal
	}

	// Keep the bucket block the header names if it survived, else the
	// largest; free the others, or make one if none survived.
	keep := int64(-1)
	for _, off := range bucketBlocks {
		if uint64(off) == df.hdr.bucketOff {
			keep = off
		}
	}
	if keep < 0 {
		for _, off := range bucketBlocks {
			if keep < 0 || le.Uint32(m[off+28:]) > le.Uint32(m[keep+28:]) {
				keep = off
			}
		}
	}
	for _, off := range bucketBlocks {
		if off != keep {
			h := readBlockHdr(m[off:])
			df.freeLocked(off, h.size())
		}
	}
	var nb uint64
	if keep >= 0 {
		h := readBlockHdr(m[keep:])
		nb = uint64(h.vlen) / 8
		df.writeBucketBlockLocked(keep, nb, h.slack)
	} else {
		nb = max(uint64(len(recs)), DefaultBuckets)
		off, err := df.allocLocked(recordSize(0, int(8*nb)))
		if err != nil {
			return err
		}
		df.writeBucketBlockLocked(off, nb, uint16((df.allocSize-recordSize(0, int(8*nb)))/16))
		keep = off
	}
	m = df.m // allocLocked may have remapped
	df.hdr.buckets, df.hdr.bucketOff, df.bucketBase = nb, uint64(keep), keep+blockHeader
	df.hdr.records = 0

	for _, off := range recs {
		b := m[off:]
		key := b[blockHeader : blockHeader+le.Uint32(b[24:])]
		hash := xxhash.Sum64(key)
		link, dup, err := df.findLocked(key, hash)
		if err != nil {
			return err
		}
		if dup != 0 {
			older, olderLink := off, int64(-1)
			if le.Uint64(m[dup+16:]) < le.Uint64(b[16:]) {
				older, olderLink = dup, link
			}
			oh := readBlockHdr(m[older:])
			if olderLink >= 0 {
				le.PutUint64(m[olderLink:], oh.next) // unlink the older one
				df.hdr.records--
			}
			df.freeLocked(older, oh.size())
			if older == off {
				continue
			}
		}
		slot := df.bucketBase + 8*int64(bucketOf(hash, nb))
		le.PutUint64(b[8:], le.Uint64(m[slot:]))
		le.PutUint64(m[slot:], uint64(off))
		df.hdr.records++
	}
	return nil
}

// scanBlocks walks m the way a reopen after a crash reads a file: from the
// first block, in 16-byte steps, skipping zero runs (space reserved but
// never written) and bytes that do not verify. visit gets each block that
// verifies, with gapFrom, the end of the previous good block (off when
// nothing lies between), and bad, the first offset in that gap holding
// bytes that are neither zero nor a block (-1 if none). scanBlocks returns
// the end of the last good block and, likewise, the first such offset
// after it (-1 if none). m must not change during the walk.
func scanBlocks(m []byte, visit func(off int64, h *blockHdr, size, gapFrom, bad int64) error) (end, tailBad int64, err error) {
	size := int64(len(m))
	end, bad := int64(headerPage), int64(-1)
	for off := int64(headerPage); off+blockHeader <= size; {
		if isZero16(m[off : off+16]) {
			off += 16
			continue
		}
		h, sz, why := checkBlock(m[off:])
		if why != "" {
			if bad < 0 {
				bad = off
			}
			off += 16
			continue
		}
		if err := visit(off, &h, sz, end, bad); err != nil {
			return end, bad, err
		}
		bad, end = -1, off+sz
		off = end
	}
	return end, bad, nil
}

// fillGapLocked makes [from, to) a run of free blocks. A 16-byte gap cannot
// be a block: it becomes slack of the block before it (at prev).
func (df *File) fillGapLocked(prev, from, to int64) error {
	if to-from < blockHeader {
		if prev == 0 {
			return df.corrupt(from, "16-byte gap before the first block")
		}
		b := df.m[prev:]
		h := readBlockHdr(b)
		le.PutUint16(b[6:], h.slack+uint16((to-from)/16))
		sealBlock(b, h.payloadLen())
		return nil
	}
	for from < to {
		n := min(to-from, maxGapBlock)
		if rest := to - from - n; rest > 0 && rest < blockHeader {
			n -= blockHeader
		}
		df.writeFreeBlockLocked(from, n)
		df.free.add(from, n)
		from += n
	}
	return nil
}

var zero16 [16]byte

func isZero16(b []byte) bool { return bytes.Equal(b, zero16[:]) }
