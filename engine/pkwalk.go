package engine

import (
	"bytes"
	"context"
	"fmt"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/keyenc"
)

// Keyset pagination (WHERE id > 1234 ORDER BY id LIMIT 20) and its
// relatives (ORDER BY id DESC LIMIT 1, the first page) read a primary-key
// range, most often open on the side it is read towards, and want its
// first few rows in key order. The data file is a hash table: a scan
// reads the whole range, every row above 1234, to sort it and keep 20. A
// walk instead looks the integers up one by one from the start of the
// range, as pkprobe.go does for every key of a short closed range, and
// stops as soon as the caller has its rows (Scan.Limit says that it will
// stop). Any range with a Limit is walked, a closed one too: its keys are
// looked up only until the caller stops.
//
// A walk needs an end: the table keeps the smallest and the largest key
// it holds (keyBounds), so a walk past the last row stops there, and a
// range without a start (the first page, ORDER BY id DESC) starts at the
// first row. And a walk through a sparse run of keys (ids with large
// gaps, a WHERE that rejects most rows) is bounded by a budget of lookups
// that costs about a scan (probesPerRecord); past it, the rest of the
// range is read by the scan and sort the walk would have spared. The rows
// and their order are the scan's either way, the transaction's own writes
// included.

// keyBounds is the smallest and the largest primary key (bytewise, the
// key order) a table's committed rows can have. Every commit widens it to
// its keys (apply, under t.mu, before a plain table's rows reach the
// file), whether it is known yet or not; it becomes known by one pass
// over the keys when a walk first needs it, which adds what the pass saw
// to what the commits meanwhile (or in flight when it started) put. A
// deletion leaves it as it is, so lo and hi are bounds, not always keys
// present. It belongs to one data file (df): a table whose file is
// replaced (TRUNCATE, ALTER, OPTIMIZE, REPAIR, under the table's locks)
// starts over, and so does one whose rows come back by another way than
// a commit (WAL replay, a failed commit taken back: invalidate).
type keyBounds struct {
	state  uint8 // kbUnknown, kbCollecting or kbKnown
	has    bool  // lo and hi hold a key
	epoch  uint64
	df     *datafile.File
	lo, hi string
}

const (
	kbUnknown    = iota
	kbCollecting // a pass is under way
	kbKnown
)

// widenKeyBoundsLocked widens t's key bounds to the keys from first to
// last of a commit; t.mu is held. It costs two comparisons a commit and
// no allocation: the bounds keep the write set's key strings.
func (t *table) widenKeyBoundsLocked(first, last string) {
	if t.kb.df != t.df {
		t.kb = keyBounds{epoch: t.kb.epoch + 1, df: t.df}
	}
	t.kb.widen(first)
	t.kb.widen(last)
}

// widen widens kb to key k.
func (kb *keyBounds) widen(k string) {
	if !kb.has {
		kb.lo, kb.hi, kb.has = k, k, true
		return
	}
	if k < kb.lo {
		kb.lo = k
	}
	if k > kb.hi {
		kb.hi = k
	}
}

// invalidateKeyBoundsLocked forgets t's key bounds, and makes a pass
// under way come to nothing: rows came back by another way than a
// commit. t.mu is held.
func (t *table) invalidateKeyBoundsLocked() {
	t.kb = keyBounds{epoch: t.kb.epoch + 1}
}

// keyBounds returns the bounds of t's committed keys (has false: t has no
// row), working them out by a pass over the keys the first time. ok is
// false when another pass is under way: the caller scans.
func (t *table) keyBounds(ctx context.Context) (lo, hi string, has, ok bool, err error) {
	t.mu.Lock()
	if t.df == nil {
		t.mu.Unlock()
		return "", "", false, false, nil
	}
	if t.kb.df != t.df {
		t.kb = keyBounds{epoch: t.kb.epoch + 1, df: t.df}
	}
	switch t.kb.state {
	case kbKnown:
		kb := t.kb
		t.mu.Unlock()
		return kb.lo, kb.hi, kb.has, true, nil
	case kbCollecting:
		t.mu.Unlock()
		return "", "", false, false, nil
	}
	t.kb.state = kbCollecting
	epoch, df := t.kb.epoch, t.df
	t.mu.Unlock()
	// The pass sees every row committed before it started, but for those
	// of plain tables' commits still writing the file, whose keys widened
	// t.kb already.
	var kb keyBounds
	seen := func(k, _ []byte) bool {
		if !kb.has || bytes.Compare(k, []byte(kb.lo)) < 0 {
			kb.lo = string(k)
		}
		if !kb.has || bytes.Compare(k, []byte(kb.hi)) > 0 {
			kb.hi = string(k)
		}
		kb.has = true
		return false // nothing is copied
	}
	err = t.scanMergedKeep(ctx, seen, func(k, v []byte) error {
		seen(k, v) // the overlay's rows, which keep does not see
		return nil
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.kb.state != kbCollecting || t.kb.epoch != epoch || t.kb.df != df || t.df != df {
		return "", "", false, false, err // started over meanwhile: scan
	}
	if err != nil {
		t.kb.state = kbUnknown
		return "", "", false, false, err
	}
	if kb.has {
		t.kb.widen(kb.lo)
		t.kb.widen(kb.hi)
	}
	t.kb.state = kbKnown
	return t.kb.lo, t.kb.hi, t.kb.has, true, nil
}

// walkBudget is how many lookups a walk of t may take before it leaves
// the rest of its range to a scan: about what a scan costs.
func (t *table) walkBudget() int64 {
	t.mu.RLock()
	df, extra := t.df, len(t.overlay)+len(t.frozen)
	t.mu.RUnlock()
	if df == nil {
		return 0
	}
	return (df.HeaderStats().Records + int64(extra)) / probesPerRecord
}

// pkWalkRange is a range of the last column of the primary key, an
// integer column, with equal values for the columns before it: the key
// prefix of those, and the last column's bounds (nil: open).
type pkWalkRange struct {
	prefix     []byte
	last       *Column
	lo, hi     any // int64 or uint64 as the column is signed or not; nil: open
	loIn, hiIn bool
}

// pkWalkOf returns the range of s in the terms of a walk, ok false when s
// is no such range or a bound does not convert exactly to its column.
func pkWalkOf(def *TableDef, pos []keyPart, s Scan) (w pkWalkRange, ok bool) {
	n := len(pos)
	if n == 0 {
		return w, false
	}
	for _, p := range pos {
		if p.prefix > 0 {
			return w, false
		}
	}
	w.last = &def.Columns[pos[n-1].col]
	if !w.last.Type.IsInteger() {
		return w, false
	}
	// side returns a bound's value on the last column, nil when the
	// bound names only the equal columns (or nothing: open).
	side := func(b Bound) (v any, incl, ok bool) {
		switch len(b.Values) {
		case n:
			v, ok = exactKeyValue(w.last, b.Values[n-1])
			return v, b.Inclusive, ok
		case n - 1:
			return nil, true, n == 1 || b.Inclusive
		}
		return nil, false, false
	}
	var ok1, ok2 bool
	w.lo, w.loIn, ok1 = side(s.Lo)
	w.hi, w.hiIn, ok2 = side(s.Hi)
	if !ok1 || !ok2 {
		return w, false
	}
	for i := 0; i < n-1; i++ {
		c := &def.Columns[pos[i].col]
		lv, ok1 := exactKeyValue(c, s.Lo.Values[i])
		hv, ok2 := exactKeyValue(c, s.Hi.Values[i])
		if !ok1 || !ok2 || valueText(lv) != valueText(hv) {
			return w, false
		}
		w.prefix = appendColumnKey(w.prefix, def, c, lv)
	}
	return w, true
}

// walkPK reads the primary-key range of s by a walk when s is one it can
// walk (pkWalkOf) and the table is large enough for s.Limit lookups to
// cost less than a scan, calling fn as Scan does; done is false, before
// fn was called, when it does not: the caller scans.
func (tx *Tx) walkPK(table string, t *table, def *TableDef, idx []*index.Index, ixPos [][]keyPart, ws *writeSet, s Scan, fn func(h Handle, row Row) (bool, error)) (done bool, err error) {
	pos := def.primaryParts()
	w, ok := pkWalkOf(def, pos, s)
	if !ok {
		return false, nil
	}
	budget := t.walkBudget()
	if int64(s.Limit) > budget {
		return false, nil // a scan costs less than the lookups the rows need
	}
	lo, hi, has, ok, err := t.keyBounds(tx.ctx)
	if err != nil || !ok {
		return false, err
	}
	floor, ceil := []byte(lo), []byte(hi)
	if ws != nil && ws.puts {
		// The transaction's own rows in range widen the walk.
		r := indexRangeOf(tx.bounds(def, pos, s))
		widen := func(k string) {
			if !has || k < string(floor) {
				floor = []byte(k)
			}
			if !has || k > string(ceil) {
				ceil = []byte(k)
			}
			has = true
		}
		if ws.def == def {
			tx.pkRange(ws, r, func(k string, _ []byte) { widen(k) })
		} else {
			for k, p := range ws.m {
				tx.wsVisits++
				if !p.del && r.contains([]byte(k)) {
					widen(k)
				}
			}
		}
	}
	if !has {
		return true, nil // no row at all
	}
	wk := pkWalker{tx: tx, table: table, t: t, def: def, idx: idx, ixPos: ixPos, ws: ws, s: s, w: &w,
		floor: floor, ceil: ceil, budget: budget}
	least, most := intRange(w.last.Type, w.last.Unsigned)
	if w.last.Unsigned {
		return true, walkRun(&wk, w.lo, w.hi, uint64(least), most, keyenc.AppendUint, fn)
	}
	return true, walkRun(&wk, w.lo, w.hi, least, int64(most), keyenc.AppendInt, fn)
}

// pkWalker holds what walkRun needs besides the integers and the
// caller's fn (apart, so that fn, whose pointees the fields' leak with
// them, stays off the heap: a point SELECT's closure goes through Scan).
type pkWalker struct {
	tx           *Tx
	table        string
	t            *table
	def          *TableDef
	idx          []*index.Index
	ixPos        [][]keyPart
	ws           *writeSet
	s            Scan
	w            *pkWalkRange
	floor, ceil  []byte // bounds of the keys present, the write set's included
	budget       int64
	lookups      int64 // made so far (tests)
	leftToScanAt []byte
}

// walkLookups, when set by a test, receives the lookups of each walk and
// the key from which it left the rest to a scan (nil: none).
var walkLookups func(n int64, scanFrom []byte)

// walkRun walks the integers of w's range for a column whose values are
// T, from least to most, each appended to a key by enc.
func walkRun[T int64 | uint64](wk *pkWalker, loV, hiV any, least, most T, enc func([]byte, T) []byte, fn func(h Handle, row Row) (bool, error)) error {
	w := wk.w
	lo, hi, loIn, hiIn := least, most, true, true
	if loV != nil {
		lo, loIn = loV.(T), w.loIn
	}
	if hiV != nil {
		hi, hiIn = hiV.(T), w.hiIn
	}
	lo, hi, empty := closedRange(lo, hi, loIn, hiIn, least, most)
	if empty {
		return nil
	}
	key := make([]byte, len(w.prefix), len(w.prefix)+9)
	copy(key, w.prefix)
	keyOf := func(v T) []byte { return enc(key[:len(w.prefix)], v) }
	// The keys present narrow the walk: no row of the range lies beyond
	// them, and one of the same prefix says where the rows start or end.
	if bytes.Compare(wk.floor, keyOf(hi)) > 0 || bytes.Compare(wk.ceil, keyOf(lo)) < 0 {
		return nil
	}
	if v, ok := lastOf[T](wk.floor, w.prefix); ok && v > lo {
		lo = v
	}
	if v, ok := lastOf[T](wk.ceil, w.prefix); ok && v < hi {
		hi = v
	}
	v, end := lo, hi
	if wk.s.Reverse {
		v, end = hi, lo
	}
	defer func() {
		if walkLookups != nil {
			walkLookups(wk.lookups, wk.leftToScanAt)
		}
	}()
	for {
		if wk.lookups >= wk.budget {
			return wk.scanRest(keyOf(v), fn)
		}
		if wk.lookups++; wk.lookups%checkEvery == 0 && wk.tx.ctx.Err() != nil {
			return wk.tx.ctx.Err()
		}
		k := keyOf(v)
		var val []byte
		var found bool
		if p := wk.own(k); p != nil {
			val, found = p.new, !p.del // the transaction's own write
		} else {
			var err error
			if val, found, err = wk.t.getCommitted(k); err != nil {
				return err
			}
		}
		if found {
			row, err := decodeRow(val, wk.def)
			if err != nil {
				return wk.t.dataErr(fmt.Errorf("row %x of %s: %w", k, wk.table, err))
			}
			more, err := fn(Handle(k), row)
			if err != nil || !more {
				return err
			}
		}
		if v == end {
			return nil
		}
		if wk.s.Reverse {
			v--
		} else {
			v++
		}
	}
}

// own returns the transaction's own change of key k, nil if none.
func (wk *pkWalker) own(k []byte) *pending {
	if wk.ws == nil {
		return nil
	}
	return wk.ws.m[string(k)]
}

// scanRest reads the rest of the walk's range, from the key from (not
// yet looked up) on in the walk's direction, by a scan and sort.
func (wk *pkWalker) scanRest(from []byte, fn func(h Handle, row Row) (bool, error)) error {
	wk.leftToScanAt = append([]byte(nil), from...)
	lo, hi := wk.tx.bounds(wk.def, wk.def.primaryParts(), wk.s)
	at := index.Bound{Key: wk.leftToScanAt, Inclusive: true}
	if wk.s.Reverse {
		hi = at
	} else {
		lo = at
	}
	rest := [2]index.Bound{lo, hi}
	return wk.tx.scanSorted(wk.table, wk.t, wk.def, wk.idx, wk.ixPos, wk.ws, wk.s, &rest, fn)
}

// lastOf returns the last column's value of key k when k is a key of the
// prefix with an integer last column, ok false otherwise.
func lastOf[T int64 | uint64](k, prefix []byte) (v T, ok bool) {
	if len(k) != len(prefix)+9 || !bytes.HasPrefix(k, prefix) {
		return 0, false
	}
	e, rest, err := keyenc.Decode(k[len(prefix):])
	if err != nil || len(rest) != 0 || e.After {
		return 0, false
	}
	switch p := any(&v).(type) {
	case *int64:
		if e.Kind != keyenc.KindInt {
			return 0, false
		}
		*p = e.I
	case *uint64:
		if e.Kind == keyenc.KindInt && e.I < 0 || e.Kind != keyenc.KindInt && e.Kind != keyenc.KindUint {
			return 0, false
		}
		*p = e.U
	}
	return v, true
}

// exactKeyValue converts v to column c's type, refusing any value the
// conversion changes (the caller's scan then widens and re-checks).
func exactKeyValue(c *Column, v any) (any, bool) {
	if v == nil {
		return nil, false
	}
	cc := *c
	cc.NotNull = false
	cv, err := Coerce(&cc, v, 1)
	if err != nil || cv == nil || valueText(cv) != valueText(v) {
		return nil, false
	}
	return cv, true
}
