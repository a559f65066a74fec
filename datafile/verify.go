package datafile

import (
	"context"
	"fmt"
)

// maxProblems bounds the problems a VerifyReport lists.
const maxProblems = 100

// VerifyReport is what Verify found.
type VerifyReport struct {
	Flags     Flags // header flags as found
	Buckets   int64
	Records   int64 // records that verify in the block area
	Reachable int64 // records reachable from the bucket array
	FreeBytes int64
	Problems  []string // empty when the file is sound; at most maxProblems

	// Unclean is set when the open flag was found: the file was checked
	// as the last writer's crash left it (see verifyUnclean).
	Unclean bool
	// Damaged is set when bytes that do not verify lie before intact
	// blocks: something a reopen cannot repair without dropping data, so
	// the file should be salvaged (keeping the original as evidence).
	Damaged bool
	// LostTail counts the bytes after the last block that verifies that
	// are neither zero nor a block: appends the crash cut short.
	LostTail int64
	// DamagedSlot is set when one header slot does not verify while the
	// other does, so the file opens from the other (and, if this was the
	// newer one, as of the header write before). It is a problem, but not
	// one that needs a salvage: a writer's Open rewrites the slot.
	DamagedSlot bool
	// DamagedSlotOffset is the offset of that slot (0 or 512).
	DamagedSlotOffset int64
}

// NeedsSalvage reports whether the file should be salvaged rather than
// just reopened. A file closed cleanly needs it for any problem at all. A
// file left open by a crash (Unclean) is repaired by the writer's reopen
// (which rebuilds chains, the record count and the free pool from a
// sequential scan) unless bytes before intact blocks fail to verify or the
// fatal flag is set: a stale header, a short tail and broken chains are
// the normal state of a file whose writer died.
func (r *VerifyReport) NeedsSalvage() bool {
	if !r.Unclean {
		n := len(r.Problems)
		if r.DamagedSlot {
			n-- // its problem: rewritten by the writer's Open, no salvage
		}
		return n > 0
	}
	return r.Damaged || r.Flags&FlagFatal != 0
}

// OK reports whether Verify found no problem.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

func (r *VerifyReport) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Verify checks the file at path without changing it (it opens it
// read-only, with a shared lock unless o.NoLock): every block's checksum,
// the block structure up to the tail, that every chain link is valid and
// each record sits in its key's chain exactly once, that the record count
// in the header matches, and that both header slots verify. A file whose
// open flag is set (not closed cleanly) or whose fatal flag is set is
// reported as a problem too. The error is for a file that could not be
// opened at all; problems are in the report (an unreadable header is both).
func Verify(path string, o Options) (VerifyReport, error) {
	return verify(context.Background(), path, o, false)
}

// VerifyContext is Verify that stops soon after ctx is done (it looks
// every ctxEvery blocks or links), returning the report so far and an
// error wrapping ctx.Err(). The file is only read, so a stopped
// verification leaves nothing behind.
func VerifyContext(ctx context.Context, path string, o Options) (VerifyReport, error) {
	return verify(ctx, path, o, false)
}

// VerifyCrashed is Verify for recovery: a file whose open flag is set (its
// writer died) is checked the way the writer's reopen will read it, by a
// scan of the whole file that tells damage (bytes that do not verify
// before intact blocks) from what a crash normally leaves (a stale header,
// chains and record count, a cut tail); see VerifyReport.NeedsSalvage. A
// file closed cleanly gets the full Verify.
func VerifyCrashed(path string, o Options) (VerifyReport, error) {
	return verify(context.Background(), path, o, true)
}

// VerifyCrashedContext is VerifyCrashed that stops soon after ctx is done,
// as VerifyContext does.
func VerifyCrashedContext(ctx context.Context, path string, o Options) (VerifyReport, error) {
	return verify(ctx, path, o, true)
}

// ctxEvery is how many blocks, links or 16-byte steps the long walks of
// Verify and Salvage take between two looks at their context.
const ctxEvery = 1 << 14

// stopped wraps ctx's error for the walk what of path.
func stopped(ctx context.Context, what, path string) error {
	return fmt.Errorf("blitz/datafile: %s of %s stopped: %w", what, path, ctx.Err())
}

func verify(ctx context.Context, path string, o Options, crashed bool) (VerifyReport, error) {
	var r VerifyReport
	o.ReadOnly, o.rawCrashed = true, crashed
	df, err := Open(path, o)
	if err != nil {
		if IsCorruption(err) {
			r.problem("%v", err)
		}
		return r, err
	}
	defer df.Close()
	df.mu.RLock()
	defer df.mu.RUnlock()
	r.Flags = df.foundFlags
	r.Buckets = int64(df.hdr.buckets)
	if df.badSlot >= 0 {
		r.DamagedSlot, r.DamagedSlotOffset = true, df.badSlot
		r.problem("header slot at offset %d does not verify (its copy at offset %d does, and the file opens from it): a writer's open rewrites it",
			df.badSlot, headerSlot1-df.badSlot)
	}
	if r.Flags&FlagOpen != 0 {
		r.problem("open flag set: the last writer did not close the file cleanly")
	}
	if r.Flags&FlagFatal != 0 {
		r.problem("fatal flag set: damage was seen in this file")
	}
	if crashed && r.Flags&FlagOpen != 0 {
		if err := verifyUnclean(ctx, &r, df.m); err != nil {
			return r, stopped(ctx, "verification", path)
		}
		return r, nil
	}
	m := df.m[:df.hdr.tail]
	bucketBlocks := 0
	steps := 0
	for off := int64(headerPage); off < int64(len(m)); {
		if steps++; steps%ctxEvery == 0 && ctx.Err() != nil {
			return r, stopped(ctx, "verification", path)
		}
		h, size, why := checkBlock(m[off:])
		if why != "" {
			r.problem("offset %d: %s", off, why)
			break
		}
		switch h.kind {
		case kindRecord:
			r.Records++
		case kindFree:
			r.FreeBytes += size
		case kindBuckets:
			bucketBlocks++
			if uint64(off) != df.hdr.bucketOff {
				r.problem("offset %d: a bucket array the header does not use", off)
			}
		}
		off += size
	}
	if bucketBlocks == 0 {
		r.problem("no bucket array in the block area")
	}
	if uint64(r.Records) != df.hdr.records {
		r.problem("header says %d records, the block area holds %d", df.hdr.records, r.Records)
	}
	// Chains hold each record once, so more links than records means a
	// cycle or chains that merge: stop there rather than walk them forever.
	budget := r.Records + 1
	for i := uint64(0); i < df.hdr.buckets && budget >= 0; i++ {
		link := df.bucketBase + 8*int64(i)
		off := int64(le.Uint64(m[link:]))
		for ; off != 0; budget-- {
			if steps++; steps%ctxEvery == 0 && ctx.Err() != nil {
				return r, stopped(ctx, "verification", path)
			}
			if budget <= 0 {
				r.problem("bucket %d: the chains hold more links than there are records (a cycle)", i)
				break
			}
			if off < headerPage || off%blockAlign != 0 || off+blockHeader > int64(len(m)) {
				r.problem("bucket %d: bad chain link %d at offset %d", i, off, link)
				break
			}
			h, _, why := checkBlock(m[off:])
			if why != "" || h.kind != kindRecord {
				r.problem("bucket %d: chain reaches offset %d, not a record that verifies", i, off)
				break
			}
			key := m[off+blockHeader : off+blockHeader+int64(h.klen)]
			if hb := bucketOf(hashKey(key), df.hdr.buckets); hb != i {
				r.problem("offset %d: record in bucket %d's chain belongs to bucket %d", off, i, hb)
			}
			r.Reachable++
			link, off = off+8, int64(h.next)
		}
	}
	if r.Reachable != r.Records {
		r.problem("%d records reachable from the bucket array, %d in the block area", r.Reachable, r.Records)
	}
	return r, nil
}

// verifyUnclean checks a file whose writer died, the way the writer's
// reopen will read it (rebuildLocked): the header's tail, record count and
// the bucket chains may all be stale, so the whole mapped file is scanned
// in 16-byte steps. Zero runs are skipped (space reserved but never
// written). A run of bytes that do not verify followed by a block that
// does is damage; such a run after the last good block is a lost tail.
// It returns ctx's error if ctx ends first.
func verifyUnclean(ctx context.Context, r *VerifyReport, m []byte) error {
	r.Unclean = true
	buckets := 0
	blocks := 0
	_, tailBad, err := scanBlocks(m, func(off int64, h *blockHdr, sz, _, bad int64) error {
		if blocks++; blocks%ctxEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if bad >= 0 {
			r.Damaged = true
			r.problem("offset %d: %d bytes that do not verify before an intact block at %d", bad, off-bad, off)
		}
		switch h.kind {
		case kindRecord:
			r.Records++
		case kindFree:
			r.FreeBytes += sz
		case kindBuckets:
			buckets++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if tailBad >= 0 {
		r.LostTail = int64(len(m)) - tailBad
	}
	if buckets == 0 && r.Records > 0 {
		// The reopen would make a new bucket array and relink every
		// record, but a lost bucket block is damage, not a torn append.
		r.Damaged = true
		r.problem("no bucket array survives in the block area")
	}
	return nil
}
