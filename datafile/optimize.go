package datafile

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/cespare/xxhash/v2"
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
	tmp := path + ".optimize"
	if err := o.FS.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dst, err := Open(tmp, Options{FS: o.FS, Buckets: buckets, NoLock: true, NoGrow: o.NoGrow})
	if err != nil {
		return err
	}
	// A file not closed cleanly may hold two versions of a key: look each
	// key up then; a clean file holds each key once.
	lookup := src.foundFlags&FlagOpen != 0
	dst.mu.Lock()
	src.mu.RLock()
	dst.hdr.seq = src.hdr.seq
	err = src.iterateBlocksLocked(func(off int64, h *blockHdr, key, value []byte) error {
		if lookup {
			return dst.salvagePutLocked(key, value, h.seq)
		}
		return dst.putLocked(key, value, xxhash.Sum64(key), h.seq, false, false)
	})
	src.mu.RUnlock()
	dst.hdr.flags |= src.hdr.flags & FlagFatal
	dst.mu.Unlock()
	if cerr := dst.Close(); err == nil {
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

// iterateBlocksLocked calls fn for every record of the block area, in file
// order, verifying each block.
func (df *File) iterateBlocksLocked(fn func(off int64, h *blockHdr, key, value []byte) error) error {
	m := df.m[:df.hdr.tail]
	for off := int64(headerPage); off < int64(len(m)); {
		h, size, why := checkBlock(m[off:])
		if why != "" {
			return df.corrupt(off, why)
		}
		if h.kind == kindRecord {
			k := off + blockHeader
			v := k + int64(h.klen)
			if err := fn(off, &h, m[k:v:v], m[v:v+int64(h.vlen):v+int64(h.vlen)]); err != nil {
				return err
			}
		}
		off += size
	}
	return nil
}
