package command

import (
	"github.com/spf13/pflag"

	"github.com/blitzdb/blitz/sqlshim"
)

// walSegmentUsage is the help of --wal-segment-size, a flag of every
// command that opens a database for writing.
const walSegmentUsage = "size of each WAL segment file, preallocated on disk (K, M, G suffixes; at least 64K; default 64M, less on a disk with under 256M free)"

// minWALSegment is the smallest --wal-segment-size accepted: smaller
// segments only rotate more often.
const minWALSegment = 64 << 10

// addWALSegmentFlag registers --wal-segment-size on f, stored in p.
func addWALSegmentFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "wal-segment-size", "", walSegmentUsage)
}

// walSegmentFlag reads --wal-segment-size: 0 (the engine's choice) when not
// given.
func walSegmentFlag(cmd, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := sqlshim.ParseSize(v)
	if err != nil || n < minWALSegment {
		return 0, usagef("%s: --wal-segment-size %q: want a size in bytes with an optional K, M or G suffix, at least 64K", cmd, v)
	}
	return n, nil
}
