package engine

import "math"

// A primary-key range over a short run of integers is read by looking up
// each key the range can hold instead of walking the data file: the file
// is a hash table, so a range scan visits every record to keep the few in
// range (tens of milliseconds on 100k rows), while a lookup costs about a
// microsecond. pkProbeKeys decides, from the header's record count alone,
// whether the lookups are cheaper, and returns the keys to look up.

// maxPKProbes bounds the lookups of one range: past it the scan's one
// sequential pass is the better plan whatever the table's size.
const maxPKProbes = 1 << 16

// probesPerRecord: one lookup costs about as much as visiting this many
// records in a scan (BenchmarkScanPKRange: about 0.25µs a record visited,
// 1-2µs a lookup), so a range of more than records/probesPerRecord keys
// is scanned.
const probesPerRecord = 8

// pkProbeKeys returns the primary keys, in key order, of every row s can
// select when s is a range on the last column of the primary key, an
// integer column, with equal values for the columns before it, whose
// bounds convert exactly to the column's type, and that holds at most
// limit integers. ok is false otherwise: the caller scans.
func pkProbeKeys(def *TableDef, pos []keyPart, s Scan, limit int64) (keys [][]byte, ok bool) {
	n := len(pos)
	if n == 0 || len(s.Lo.Values) != n || len(s.Hi.Values) != n || limit <= 0 {
		return nil, false
	}
	w, ok := pkWalkOf(def, pos, s) // both bounds on the last column: lo and hi set
	if !ok {
		return nil, false
	}
	key := func(v any) []byte {
		return appendColumnKey(append([]byte(nil), w.prefix...), def, w.last, v)
	}
	switch l := w.lo.(type) {
	case int64:
		if h, same := w.hi.(int64); same {
			return probeRun(l, h, w.loIn, w.hiIn, math.MinInt64, math.MaxInt64, limit, key)
		}
	case uint64:
		if h, same := w.hi.(uint64); same {
			return probeRun(l, h, w.loIn, w.hiIn, 0, math.MaxUint64, limit, key)
		}
	}
	return nil, false
}

// probeRun returns the keys of the integers from lo to hi (each end
// included as loIn and hiIn say) of a type whose range is [least, most],
// or ok false when there are more than limit of them.
func probeRun[T int64 | uint64](lo, hi T, loIn, hiIn bool, least, most T, limit int64, key func(any) []byte) (keys [][]byte, ok bool) {
	lo, hi, empty := closedRange(lo, hi, loIn, hiIn, least, most)
	if empty {
		return nil, true
	}
	if count := uint64(hi-lo) + 1; count == 0 || count > uint64(limit) {
		return nil, false
	}
	keys = make([][]byte, 0, int(hi-lo)+1)
	for v := lo; ; v++ {
		keys = append(keys, key(v))
		if v == hi {
			break
		}
	}
	return keys, true
}

// closedRange turns the integers from lo to hi, each end included as loIn
// and hiIn say, of a type whose range is [least, most], into the same
// range with both ends included; empty when it holds no integer.
func closedRange[T int64 | uint64](lo, hi T, loIn, hiIn bool, least, most T) (T, T, bool) {
	if !loIn {
		if lo == most {
			return lo, hi, true
		}
		lo++
	}
	if !hiIn {
		if hi == least {
			return lo, hi, true
		}
		hi--
	}
	return lo, hi, hi < lo
}

// probeLimit is how many lookups t's primary-key ranges may take instead
// of a scan (see pkProbeKeys).
func (t *table) probeLimit() int64 {
	return min(maxPKProbes, t.walkBudget())
}
