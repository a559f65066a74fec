package datafile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/blitzdb/blitz/internal/vfs"
)

// maxDrops bounds the regions a SalvageReport lists one by one.
const maxDrops = 1000

// Drop is one region Salvage did not keep.
type Drop struct {
	Offset int64  // where the region starts in the source
	Length int64  // its length in bytes
	Reason string // why it was dropped: the first failure seen in it
}

// SalvageReport says what Salvage found.
type SalvageReport struct {
	HeaderValid bool  // a header slot verified (Salvage does not need one)
	Scanned     int64 // bytes of the block area scanned
	Blocks      int64 // blocks that verified (records, free and bucket blocks)
	Kept        int64 // records written to the destination
	Superseded  int64 // records dropped because a newer version of the key was kept
	Damaged     int64 // damaged regions (each skipped up to the next block that verifies)
	DamagedSize int64 // bytes in damaged regions
	Drops       []Drop
}

// Dropped returns the number of things dropped: damaged regions plus
// superseded versions.
func (r *SalvageReport) Dropped() int64 { return r.Damaged + r.Superseded }

// Salvage scans src's block area sequentially and writes every record whose
// checksum verifies to a new data file at dst (replaced if it exists); where
// a key appears twice it keeps the version with the higher sequence number.
// Past a damaged region it resynchronises on the next block that verifies,
// at any 16-byte boundary, so it never stops at the first bad record; zeroed
// space is unused, not damage. It needs neither the header nor the bucket
// array of src, and never modifies src. The error is about dst or about
// reading src, never about damage, which is in the report.
func Salvage(src, dst string, o Options) (SalvageReport, error) {
	var r SalvageReport
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if !o.NoLock {
		l, err := o.FS.Lock(src, false)
		if err != nil {
			if errors.Is(err, vfs.ErrLocked) {
				return r, fmt.Errorf("salvage %s: %w", src, ErrLocked)
			}
			return r, err
		}
		defer l.Close()
	}
	f, err := o.FS.OpenFile(src, os.O_RDONLY, 0)
	if err != nil {
		return r, fmt.Errorf("blitz/datafile: salvage: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return r, err
	}
	var m []byte
	if size > 0 {
		if m, err = f.Map(int(size), false); err != nil {
			return r, err
		}
		defer f.Unmap(m)
	}
	var h header
	h, r.HeaderValid = bestHeader(m[:min(size, headerPage)])
	// Size the destination for the records the header claims (or a guess
	// from the file size), so that it neither regrows its bucket array nor
	// remaps while it fills.
	records := size / 64
	if r.HeaderValid && h.records < uint64(size/blockHeader) {
		records = max(records/4, int64(h.records))
	}

	if err := o.FS.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, err
	}
	out, err := Open(dst, Options{FS: o.FS, Buckets: min(max(2*records, 1024), maxBuckets), NoLock: o.NoLock})
	if err != nil {
		return r, err
	}
	out.mu.Lock()
	err = out.ensureLocked(int64(out.hdr.tail) + size)
	out.mu.Unlock()
	if err != nil {
		out.Close()
		return r, err
	}
	err = salvageInto(out, m, &r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return r, err
}

func salvageInto(out *File, m []byte, r *SalvageReport) error {
	out.mu.Lock()
	defer out.mu.Unlock()
	size := int64(len(m))
	badStart, badWhy := int64(-1), ""
	endBad := func(at int64) {
		if badStart < 0 {
			return
		}
		r.Damaged++
		r.DamagedSize += at - badStart
		if len(r.Drops) < maxDrops {
			r.Drops = append(r.Drops, Drop{Offset: badStart, Length: at - badStart, Reason: badWhy})
		}
		badStart = -1
	}
	var maxSeq uint64
	var seen int64
	bl := bulkLoader{df: out}
	off := int64(headerPage)
	for ; off+blockHeader <= size; r.Scanned = off - headerPage {
		if badStart < 0 && isZero16(m[off:off+16]) {
			off += 16
			continue
		}
		h, sz, why := checkBlock(m[off:])
		if why != "" {
			if badStart < 0 {
				badStart, badWhy = off, why
			}
			off += 16
			continue
		}
		endBad(off)
		r.Blocks++
		if h.kind == kindRecord {
			key := m[off+blockHeader : off+blockHeader+int64(h.klen)]
			val := m[off+blockHeader+int64(h.klen) : off+blockHeader+int64(h.klen)+int64(h.vlen)]
			if err := bl.add(key, val, h.seq); err != nil {
				return err
			}
			seen++
			maxSeq = max(maxSeq, h.seq)
		}
		off += sz
	}
	if badStart < 0 && off < size && !isZero16(m[off:]) && off > headerPage {
		badStart, badWhy = off, "truncated block header"
	}
	endBad(size)
	r.Scanned = max(0, size-headerPage)
	if err := bl.link(true); err != nil {
		return err
	}
	r.Kept = int64(out.hdr.records)
	r.Superseded = seen - r.Kept
	out.hdr.seq = max(out.hdr.seq, maxSeq)
	return nil
}
