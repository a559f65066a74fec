package datafile

import "math/bits"

// freePool is the in-memory map of free blocks. It is not stored in the
// file: Open rebuilds it by a scan of the block headers when the header says
// there is free space (or after an unclean shutdown), so it is never leaked.
//
// Blocks are indexed by start and by end offset, so a freed block merges
// with free neighbours, and listed by size class (class c holds blocks of
// 16*[2^c, 2^(c+1)) bytes) for allocation. Class lists are cleaned lazily:
// an entry whose block has since merged or been taken is dropped when met.
type freePool struct {
	classes [40][]freeBlock
	byStart map[int64]int64 // start -> size
	byEnd   map[int64]int64 // end -> start
	bytes   int64           // total bytes in free blocks
}

type freeBlock struct {
	off  int64
	size int64
}

func sizeClass(size int64) int { return bits.Len64(uint64(size/blockAlign)) - 1 }

func (p *freePool) add(off, size int64) {
	if p.byStart == nil {
		p.byStart, p.byEnd = map[int64]int64{}, map[int64]int64{}
	}
	c := sizeClass(size)
	p.classes[c] = append(p.classes[c], freeBlock{off, size})
	p.byStart[off] = size
	p.byEnd[off+size] = off
	p.bytes += size
}

func (p *freePool) remove(off, size int64) {
	delete(p.byStart, off)
	delete(p.byEnd, off+size)
	p.bytes -= size
}

func (p *freePool) live(fb freeBlock) bool {
	s, ok := p.byStart[fb.off]
	return ok && s == fb.size
}

// take removes and returns a free block of at least size bytes: an exact or
// close fit from size's class if one is among the most recent few, else any
// block of a larger class. ok is false if none is free.
func (p *freePool) take(size int64) (fb freeBlock, ok bool) {
	if p.bytes == 0 {
		return fb, false
	}
	c := sizeClass(size)
	l := p.classes[c]
	best := -1
	for i, n := len(l)-1, 0; i >= 0 && n < 16; i, n = i-1, n+1 {
		if !p.live(l[i]) {
			if best == len(l)-1 {
				best = i
			}
			l[i] = l[len(l)-1]
			l = l[:len(l)-1]
			continue
		}
		if s := l[i].size; s >= size && (best < 0 || s < l[best].size) {
			best = i
			if s == size {
				break
			}
		}
	}
	if best >= 0 {
		fb = l[best]
		l[best] = l[len(l)-1]
		p.classes[c] = l[:len(l)-1]
		p.remove(fb.off, fb.size)
		return fb, true
	}
	p.classes[c] = l
	for c++; c < len(p.classes); c++ {
		l := p.classes[c]
		for len(l) > 0 {
			fb = l[len(l)-1]
			l = l[:len(l)-1]
			if p.live(fb) {
				p.classes[c] = l
				p.remove(fb.off, fb.size)
				return fb, true
			}
		}
		p.classes[c] = l
	}
	return fb, false
}

// allocLocked returns the offset of a new block of size bytes (a multiple of
// 16): reused from the free pool when possible, else appended at the tail.
// The block's content is undefined; a remainder of a reused block too small
// to be a free block on its own is left to the caller as slack (the
// returned block is then larger than size: see blockSizeAt).
func (df *File) allocLocked(size int64) (int64, error) {
	if fb, ok := df.free.take(size); ok {
		if rest := fb.size - size; rest >= blockHeader {
			df.writeFreeBlockLocked(fb.off+size, rest)
			df.free.add(fb.off+size, rest)
			df.allocSize = size
		} else {
			df.allocSize = fb.size
		}
		return fb.off, nil
	}
	off := int64(df.hdr.tail)
	if err := df.ensureLocked(off + size); err != nil {
		return 0, err
	}
	df.hdr.tail += uint64(size)
	df.allocSize = size
	return off, nil
}

// writeFreeBlockLocked writes the header of a free block of size bytes at off.
func (df *File) writeFreeBlockLocked(off, size int64) {
	b := df.m[off : off+blockHeader]
	putBlockHdr(b, &blockHdr{kind: kindFree, vlen: uint32(size - blockHeader)})
	sealBlock(b, 0)
}

// freeLocked turns the block at off (size bytes) into a free block by
// rewriting only its CRC and kind (bytes 0..4, inside one 16-byte unit and
// so inside one sector): a torn write leaves the old block or the free one.
//
// It then merges the block with free neighbours (up to maxGapBlock bytes) by
// rewriting the header of the first: whichever of the two writes a power cut
// keeps, a scan never finds the freed record.
func (df *File) freeLocked(off, size int64) {
	b := df.m[off : off+blockHeader]
	b[4] = kindFree
	sealBlock(b, 0)
	p := &df.free
	start, end := off, off+size
	if ps, ok := p.byEnd[start]; ok && end-ps <= maxGapBlock {
		p.remove(ps, start-ps)
		start = ps
	}
	if ns, ok := p.byStart[end]; ok && end+ns-start <= maxGapBlock {
		p.remove(end, ns)
		end += ns
	}
	if start != off || end != off+size {
		df.writeFreeBlockLocked(start, end-start)
	}
	p.add(start, end-start)
}
