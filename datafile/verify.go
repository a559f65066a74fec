package datafile

import (
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
// each record sits in its key's chain exactly once, and that the record
// count in the header matches. A file whose open flag is set (not closed
// cleanly) or whose fatal flag is set is reported as a problem too. The
// error is for a file that could not be opened at all; problems are in the
// report (an unreadable header is both).
func Verify(path string, o Options) (VerifyReport, error) {
	var r VerifyReport
	o.ReadOnly = true
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
	if r.Flags&FlagOpen != 0 {
		r.problem("open flag set: the last writer did not close the file cleanly")
	}
	if r.Flags&FlagFatal != 0 {
		r.problem("fatal flag set: damage was seen in this file")
	}
	m := df.m[:df.hdr.tail]
	bucketBlocks := 0
	for off := int64(headerPage); off < int64(len(m)); {
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
