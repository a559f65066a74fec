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
	for _, p := range pos {
		if p.prefix > 0 {
			return nil, false
		}
	}
	last := &def.Columns[pos[n-1].col]
	if !last.Type.IsInteger() {
		return nil, false
	}
	exact := exactKeyValue
	var prefix []byte
	for i := 0; i < n-1; i++ {
		c := &def.Columns[pos[i].col]
		lv, ok1 := exact(c, s.Lo.Values[i])
		hv, ok2 := exact(c, s.Hi.Values[i])
		if !ok1 || !ok2 || valueText(lv) != valueText(hv) {
			return nil, false
		}
		prefix = appendColumnKey(prefix, def, c, lv)
	}
	lo, ok1 := exact(last, s.Lo.Values[n-1])
	hi, ok2 := exact(last, s.Hi.Values[n-1])
	if !ok1 || !ok2 {
		return nil, false
	}
	key := func(v any) []byte {
		return appendColumnKey(append([]byte(nil), prefix...), def, last, v)
	}
	switch l := lo.(type) {
	case int64:
		if h, same := hi.(int64); same {
			return probeRun(l, h, s.Lo.Inclusive, s.Hi.Inclusive, math.MinInt64, math.MaxInt64, limit, key)
		}
	case uint64:
		if h, same := hi.(uint64); same {
			return probeRun(l, h, s.Lo.Inclusive, s.Hi.Inclusive, 0, math.MaxUint64, limit, key)
		}
	}
	return nil, false
}

// probeRun returns the keys of the integers from lo to hi (each end
// included as loIn and hiIn say) of a type whose range is [least, most],
// or ok false when there are more than limit of them.
func probeRun[T int64 | uint64](lo, hi T, loIn, hiIn bool, least, most T, limit int64, key func(any) []byte) (keys [][]byte, ok bool) {
	if !loIn {
		if lo == most {
			return nil, true
		}
		lo++
	}
	if !hiIn {
		if hi == least {
			return nil, true
		}
		hi--
	}
	if hi < lo {
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

// probeLimit is how many lookups t's primary-key ranges may take instead
// of a scan (see pkProbeKeys).
func (t *table) probeLimit() int64 {
	return min(maxPKProbes, t.walkBudget())
}
