package datafile

import (
	"fmt"
	"io"

	"github.com/cespare/xxhash/v2"
)

// WriteSnapshot writes to w the image of the file that a clean Close would
// leave at this moment: the header page with FlagOpen cleared (the same
// header in both slots), then the block area up to the tail. Opening the
// image needs no recovery scan. Its generation is not this writer's but a
// hash of the block area (see snapshotGeneration), and its header-slot
// counter is 1: two snapshots of the same content are the same bytes,
// whatever opens came between, so an incremental backup store holds an
// unchanged table once. Index files for the image are built from it and
// stamped when it is opened. Writes wait while it runs (readers do not).
// It returns the bytes written.
func (df *File) WriteSnapshot(w io.Writer) (int64, error) {
	df.mu.RLock()
	defer df.mu.RUnlock()
	if df.closed {
		return 0, ErrClosed
	}
	if df.failed != nil {
		return 0, fmt.Errorf("%w: %v", ErrFailed, df.failed)
	}
	if df.m == nil || int64(len(df.m)) < int64(df.hdr.tail) {
		return 0, fmt.Errorf("blitz/datafile: snapshot of %s: file not mapped", df.path)
	}
	h := df.hdr
	h.flags &^= FlagOpen
	h.generation = snapshotGeneration(df.m[headerPage:h.tail])
	h.counter = 1
	h.freeBytes = df.freeBytesLocked()
	page := make([]byte, headerPage)
	h.encode(page[:headerSize])
	h.encode(page[headerSlot1 : headerSlot1+headerSize])
	n, err := w.Write(page)
	total := int64(n)
	if err != nil {
		return total, err
	}
	const chunk = 4 << 20
	for off := int64(headerPage); off < int64(h.tail); off += chunk {
		end := min(off+chunk, int64(h.tail))
		n, err := w.Write(df.m[off:end])
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// snapshotGeneration is the generation a snapshot image carries: a 64-bit
// hash of its block area, never 0. A generation only has to tell apart the
// contents an index stamp could be checked against; a content hash does,
// and is the same for the same content.
func snapshotGeneration(area []byte) uint64 {
	g := xxhash.Sum64(area)
	if g == 0 {
		g = 1
	}
	return g
}
