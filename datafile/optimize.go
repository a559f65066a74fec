package datafile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/blitzdb/blitz/internal/vfs"
)

// Optimize rewrites the file at path compactly, with no free space, and
// with buckets buckets (0 picks twice the record count). It writes
// path+".optimize" under the exclusive lock of path, syncs it, and renames
// it over path (then syncs the directory): after a crash path holds either
// the old file or the new one. Records keep their sequence numbers.
func Optimize(path string, buckets int64, o Options) error {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if !o.NoLock {
		l, err := o.FS.Lock(path, true)
		if err != nil {
			if errors.Is(err, vfs.ErrLocked) {
				return fmt.Errorf("optimize %s: %w", path, ErrLocked)
			}
			return err
		}
		defer l.Close()
	}
	src, err := Open(path, Options{FS: o.FS, ReadOnly: true, NoLock: true})
	if err != nil {
		return err
	}
	defer src.Close()
	if buckets <= 0 {
		buckets = max(2*int64(src.hdr.records), 1024)
	}
	buckets = min(buckets, maxBuckets)
	tmp := path + ".optimize"
	if err := o.FS.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := o.FS.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("blitz/datafile: optimize %s: %w", path, err)
	}
	w := newCompactWriter(f, uint64(buckets))
	w.private = true // only the rename below makes it the data file
	err = optimizeInto(src, w)
	// Before src is unmapped: queued writes may point into it.
	if serr := w.stop(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		o.FS.Remove(tmp)
		return fmt.Errorf("optimize %s: %w", path, err)
	}
	if err := o.FS.Rename(tmp, path); err != nil {
		return err
	}
	return o.FS.SyncDir(vfs.Dir(path))
}

// optimizeInto writes every record of src to w and finishes w. Records
// keep their sequence numbers, and the new file keeps src's sequence
// high-water mark and fatal flag.
func optimizeInto(src *File, w *compactWriter) error {
	src.mu.RLock()
	defer src.mu.RUnlock()
	m := src.m[:src.hdr.tail]
	adviseSequential(src.f, m)
	// A file not closed cleanly may hold two versions of a key: index the
	// keys first then, keeping the newest version of each; a clean file
	// holds each key once, so its records go straight to the new file.
	var x *keyIndex
	if src.foundFlags&FlagOpen != 0 {
		x = newKeyIndex(m, int64(min(src.hdr.records, uint64(len(m))/blockHeader)))
	}
	scan := func(emit func(scanned) bool) error {
		for off := int64(headerPage); off < int64(len(m)); {
			h, size, why := checkBlock(m[off:])
			if why != "" {
				return src.corrupt(off, why)
			}
			if h.kind == kindRecord {
				k := off + blockHeader
				if !emit(scanned{off: off, n: blockHeader + int64(h.klen) + int64(h.vlen), hash: hashKey(m[k : k+int64(h.klen)])}) {
					return nil
				}
			}
			off += size
		}
		return nil
	}
	place := func(c []scanned) error {
		if x != nil {
			x.addBatch(c)
			return nil
		}
		return w.addBatch(m, c)
	}
	if err := pipeline(scan, func(c []scanned) error { return inBatches(c, place) }); err != nil {
		return err
	}
	if x != nil {
		if err := x.writeTo(w); err != nil {
			return err
		}
	}
	return w.finish(src.hdr.seq, src.hdr.flags&FlagFatal)
}
