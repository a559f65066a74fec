package datafile

import (
	"context"
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
// reading src, never about damage, which is in the report; but a src with
// neither a valid header nor any block that verifies is no data file at
// all: Salvage then removes dst and returns an error wrapping
// ErrNotDataFile. dst gets its
// header last, once everything else is durable: a salvage cut short leaves
// a dst that does not open as a data file.
func Salvage(src, dst string, o Options) (SalvageReport, error) {
	return SalvageContext(context.Background(), src, dst, o)
}

// SalvageContext is Salvage that stops soon after ctx is done (it looks
// every ctxEvery steps of its scan), removes dst and returns an error
// wrapping ctx.Err(). src is never changed, so a stopped salvage leaves
// things as they were.
func SalvageContext(ctx context.Context, src, dst string, o Options) (SalvageReport, error) {
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
	if fi, err := o.FS.Stat(src); err == nil && !fi.Mode().IsRegular() {
		// A directory opens for reading and fails only at the mapping,
		// whose error ("no such device") names neither.
		return r, fmt.Errorf("blitz/datafile: salvage %s: %w (%s)", src, ErrNotRegular, fi.Mode().Type())
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
	h, r.HeaderValid, _ = bestHeader(m[:min(size, headerPage)])
	// Size the bucket array (and the key index) for the records the header
	// claims, or a guess from the file size: about two buckets per record.
	records := size / 64
	if r.HeaderValid && h.records < uint64(size/blockHeader) {
		records = max(records/4, int64(h.records))
	}

	if err := o.FS.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, err
	}
	if !o.NoLock {
		// Two salvages into one destination would interleave their writes.
		l, err := o.FS.Lock(dst, true)
		if err != nil {
			if errors.Is(err, vfs.ErrLocked) {
				return r, fmt.Errorf("salvage into %s: %w", dst, ErrLocked)
			}
			return r, err
		}
		defer l.Close()
	}
	out, err := o.FS.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return r, fmt.Errorf("blitz/datafile: salvage: %w", err)
	}
	w := newCompactWriter(out, uint64(min(max(2*records, 1024), maxBuckets)))
	err = salvageInto(ctx, w, f, m, records, &r)
	// Before m is unmapped: queued writes may point into it.
	if serr := w.stop(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil && ctx.Err() != nil {
		if rerr := o.FS.Remove(dst); rerr != nil {
			return r, fmt.Errorf("%w (and removing the unfinished %s: %v)", stopped(ctx, "salvage", src), dst, rerr)
		}
		return r, stopped(ctx, "salvage", src)
	}
	if err == nil && !r.HeaderValid && r.Blocks == 0 {
		// Nothing in src is ours: not a data file (or one whose every
		// byte is gone). An empty dst would only look like a result.
		if rerr := o.FS.Remove(dst); rerr != nil {
			return r, rerr
		}
		return r, fmt.Errorf("salvage %s: %w, and no record in it verifies: nothing to salvage", src, ErrNotDataFile)
	}
	if err == nil {
		// dst is new: its directory entry must be durable too.
		err = o.FS.SyncDir(vfs.Dir(dst))
	}
	return r, err
}

// salvageInto scans m, the mapping of the source file f, and writes to w
// every record that verifies, keeping the newest version of each key, then
// finishes w.
func salvageInto(ctx context.Context, w *compactWriter, f vfs.File, m []byte, records int64, r *SalvageReport) error {
	size := int64(len(m))
	adviseSequential(f, m)
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
	// records (the estimate the bucket count came from) is bounded by the
	// file size, so no corrupt length field can inflate this allocation.
	x := newKeyIndex(m, records)
	scan := func(emit func(scanned) bool) error {
		off := int64(headerPage)
		for steps := 0; off+blockHeader <= size; r.Scanned = off - headerPage {
			if steps++; steps%ctxEvery == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
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
				k := off + blockHeader
				if !emit(scanned{off: off, n: blockHeader + int64(h.klen) + int64(h.vlen), hash: hashKey(m[k : k+int64(h.klen)])}) {
					return nil
				}
				maxSeq = max(maxSeq, h.seq)
			}
			off += sz
		}
		if badStart < 0 && off < size && !isZero16(m[off:]) && off > headerPage {
			badStart, badWhy = off, "truncated block header"
		}
		return nil
	}
	// The scan's goroutine writes r's counts and maxSeq; this one reads
	// them only after pipeline returns.
	//
	// Records are written as they are indexed, in the one pass: a key's
	// first version goes straight to w, a version older than one already
	// seen is dropped. Only a version newer than one already written (two
	// versions of a key in the source, the newer later: a torn overwrite)
	// spoils what was written; from then on the scan only indexes, and the
	// file is rewritten from the index once it is complete.
	var dups int64
	writing := true
	index := func(c []scanned) error {
		fresh, d, replaced := x.addBatch(c)
		dups += d
		if writing && replaced {
			writing = false
		}
		if !writing {
			return nil
		}
		return w.addBatch(m, fresh)
	}
	if err := pipeline(scan, func(c []scanned) error { return inBatches(c, index) }); err != nil {
		return err
	}
	r.Superseded = dups
	endBad(size)
	r.Scanned = max(0, size-headerPage)
	if !writing {
		if err := w.reset(); err != nil {
			return err
		}
		if err := x.writeTo(w); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err // the last look before dst is finished: never a header after a stop
	}
	r.Kept = int64(w.records)
	return w.finish(maxSeq, 0)
}
