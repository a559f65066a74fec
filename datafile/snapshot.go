package datafile

import (
	"fmt"
	"io"
)

// WriteSnapshot writes to w the image of the file that a clean Close would
// leave at this moment: the header page with FlagOpen cleared (the same
// header in both slots), then the block area up to the tail. Opening the
// image needs no recovery scan; its generation is this writer's, so index
// files stamped with Generation match it. Writes wait while it runs
// (readers do not). It returns the bytes written.
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
	h.counter++
	if !df.opts.ReadOnly {
		h.freeBytes = uint64(df.free.bytes)
	}
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
