package datafile

import (
	"errors"
	"fmt"
	"io/fs"

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
	// Size the new file once: remapping while it grows would fault every
	// page in again.
	if err := dst.ensureLocked(int64(dst.hdr.tail) + int64(src.hdr.tail)); err != nil {
		src.mu.RUnlock()
		dst.mu.Unlock()
		dst.Close()
		return err
	}
	bl := bulkLoader{df: dst, offs: make([]int64, 0, src.hdr.records)}
	err = src.iterateBlocksLocked(func(off int64, h *blockHdr, key, value []byte) error {
		return bl.add(key, value, h.seq)
	})
	src.mu.RUnlock()
	if err == nil {
		err = bl.link(lookup)
	}
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

// bulkLoader appends records to a new file without linking them, then links
// them all in one tight pass: the chain heads are read and written in
// random order, and a pass that does nothing else lets the processor overlap
// those cache misses instead of waiting for each.
type bulkLoader struct {
	df   *File
	offs []int64
}

// add appends a record (df.mu held).
func (bl *bulkLoader) add(key, value []byte, seq uint64) error {
	df := bl.df
	need := recordSize(len(key), len(value))
	off, err := df.allocLocked(need)
	if err != nil {
		return err
	}
	writeRecord(df.m[off:off+df.allocSize], key, value, hashKey(key), seq, 0, uint16((df.allocSize-need)/16))
	bl.offs = append(bl.offs, off)
	return nil
}

// link links every added record into its chain. With dedupe, a key seen
// twice keeps the record with the higher sequence number and frees the other.
func (bl *bulkLoader) link(dedupe bool) error {
	df := bl.df
	m, nb, base := df.m, df.hdr.buckets, df.bucketBase
	for _, off := range bl.offs {
		b := m[off:]
		klen := int64(le.Uint32(b[24:]))
		key := b[blockHeader : blockHeader+klen]
		h := hashKey(key)
		if dedupe {
			link, dup, err := df.findLocked(key, h)
			if err != nil {
				return err
			}
			if dup != 0 {
				if le.Uint64(m[dup+16:]) >= le.Uint64(b[16:]) {
					df.freeLocked(off, readBlockSize(b))
					continue
				}
				le.PutUint64(m[link:], le.Uint64(m[dup+8:]))
				df.freeLocked(dup, readBlockSize(m[dup:]))
				df.hdr.records--
			}
		}
		slot := base + 8*int64(bucketOf(h, nb))
		le.PutUint64(b[8:], le.Uint64(m[slot:]))
		le.PutUint64(m[slot:], uint64(off))
		df.hdr.records++
	}
	bl.offs = bl.offs[:0]
	return nil
}

func readBlockSize(b []byte) int64 { h := readBlockHdr(b); return h.size() }
