package engine

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/blitzdb/blitz/index"
)

// ORDER BY created_at DESC LIMIT 10 over KEY(created_at): the rows are
// wanted in the order of a secondary index, and only the first few of
// them. A scan of the index (scanSorted) reads every entry of its range,
// looks every row up, and sorts them with the transaction's own rows
// before fn sees the first one. A walk instead reads the index in
// pieces in the order asked for, looks each row up by its primary key
// and hands it to fn at once, so that a caller which stops after ten
// rows (Scan.Limit says that it will) costs ten lookups and a piece of
// the index.
//
// The rows and their order are the scan's: the transaction's own rows of
// the range (the write set's view of the index, wsindex.go) are merged in
// by (columns, primary key), the committed entries of rows it wrote or
// deleted are skipped, and ties come in primary-key order (reversed by
// Reverse), as the sort gives them.
//
// Other sessions may commit while a walk goes on: a row is handed over
// only if its index columns, as it is read, are still those of the entry
// that led to it, and at most once, so fn sees rows in index order
// whatever moves. A row that moved behind the walk is not seen, as a
// scan that read the index a moment later would not see it there.
//
// A walk through a range whose rows the caller mostly rejects (a WHERE
// on another column) is bounded as the primary-key walk is (pkwalk.go):
// past a quarter of walkBudget lookups, the rest of the range is read by one pass over
// the data file, keeping the rows whose index columns lie in it, sorted.
// The caller's simple conditions (ReadOptions.Ranges, through ScanReadWith)
// drop rows before they are decoded, in the walk and in that pass: a
// WHERE v = 5 that keeps one row in a thousand costs the pass little more
// than a plain scan with the same conditions. A condition the engine
// cannot judge leaves the pass sorting what it keeps of the range.

// lookupsPerProbe is what a row found through the index costs in
// lookups of a primary key (pkwalk.go's walkBudget): a read of the index
// besides the lookup, a decoding of the whole row to check its columns,
// and a caller that decodes it again when it gives up and the pass goes
// over it. Measured on 500k rows, WHERE v = -1 ORDER BY b LIMIT 10 with
// KEY(b): about the time of the scan that the walk spares, doubled.
const lookupsPerProbe = 4

// ixWalkPiece is how many index entries the first piece of a walk reads
// beyond Limit; each later piece reads twice as many as the one before,
// up to ixWalkMaxPiece.
const (
	ixWalkPiece    = 16
	ixWalkMaxPiece = 4096
)

// ixWalkEntry is one row to hand over: its sort key (the index columns
// then the primary key, the order of the index's entries), row key and,
// for the transaction's own rows, value.
type ixWalkEntry struct {
	sort, key, val []byte
}

// ixWalker is a walk of one secondary index in progress.
type ixWalker struct {
	tx     *Tx
	table  string
	t      *table
	def    *TableDef
	ix     *index.Index
	pos    []keyPart
	ws     *writeSet
	s      Scan
	lo, hi index.Bound
	ranges []ColumnRange // committed rows outside them are skipped undecoded
	// orderLost, if set, is called before the rest of a walk that gives
	// up is handed over in file order (ReadOptions.OrderLost).
	orderLost func()
	need      []bool        // of the rows of that pass, the columns to decode (nil: all)
	reuse     bool          // and whether one Row holds each in turn
	own       []ixWalkEntry // the transaction's rows in range, in walk order
	budget    int64
	lookups   int64
	gaveUp    bool
	seen      map[string]struct{} // row keys handed over
	cols      []byte              // scratch: a row's index columns
}

// walkIndex reads the secondary-index range of s by a walk when s has a
// Limit and the table is large enough for that many lookups to cost less
// than a scan, calling fn as Scan does; done is false, before fn was
// called, when it does not: the caller scans.
func (tx *Tx) walkIndex(table string, t *table, def *TableDef, idx []*index.Index, ixPos [][]keyPart, ws *writeSet, s Scan, o *ReadOptions, fn func(h Handle, row Row) (bool, error)) (done bool, err error) {
	i := def.indexByName(s.Index)
	if i < 0 || i >= len(idx) || idx[i] == nil {
		return false, nil // the scan says what is wrong
	}
	if ws != nil && ws.puts && ws.def != def {
		return false, nil // rows of another definition: the scan decodes each
	}
	budget := t.walkBudget() / lookupsPerProbe
	if int64(s.Limit) > budget {
		return false, nil
	}
	w := ixWalker{tx: tx, table: table, t: t, def: def, ix: idx[i], pos: ixPos[i], ws: ws, s: s, budget: budget}
	if o != nil {
		w.ranges, w.orderLost, w.reuse = rawRanges(def, o.Ranges), o.OrderLost, o.Reuse
		if len(o.Columns) == len(def.Columns) {
			w.need = o.Columns
		}
	}
	w.lo, w.hi = tx.bounds(def, w.pos, s)
	if ws != nil && ws.puts {
		tx.ixRange(ws, i, w.pos, indexRangeOf(w.lo, w.hi), func(k string, val, c []byte) {
			w.own = append(w.own, ixWalkEntry{sort: append(append([]byte(nil), c...), k...), key: []byte(k), val: val})
		})
		w.sortOwn()
	}
	err = w.run(fn)
	if ixWalked != nil {
		ixWalked(w.lookups, w.gaveUp)
	}
	return true, err
}

// sortOwn puts the transaction's rows in walk order.
func (w *ixWalker) sortOwn() {
	sort.Slice(w.own, func(a, b int) bool { return w.before(w.own[a].sort, w.own[b].sort) })
}

// before reports whether sort key a comes before b in the walk.
func (w *ixWalker) before(a, b []byte) bool {
	if w.s.Reverse {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

// run walks the index in pieces, each read without holding the index
// open while fn runs (fn may read the table, and a flush of the index
// waits for its readers).
func (w *ixWalker) run(fn func(h Handle, row Row) (bool, error)) error {
	var last *ixWalkEntry // the last entry read from the index
	piece := int(w.s.Limit) + ixWalkPiece
	type entry struct{ at, cols, pk int } // in buf
	var got []entry
	var buf []byte // the piece's entries, one after the other
	for {
		got, buf = got[:0], buf[:0]
		take := func(c, pk []byte) bool {
			got = append(got, entry{len(buf), len(c), len(pk)})
			buf = append(append(buf, c...), pk...)
			return len(got) < piece
		}
		var err error
		if last == nil {
			err = w.ix.Scan(w.lo, w.hi, w.s.Reverse, take)
		} else {
			err = w.ix.ScanAfter(w.lo, w.hi, w.s.Reverse, last.sort[:len(last.sort)-len(last.key)], last.key, take)
		}
		if err != nil {
			return err // as a scan of the index returns it
		}
		for _, g := range got {
			sk := append([]byte(nil), buf[g.at:g.at+g.cols+g.pk]...)
			e := struct{ cols, pk []byte }{sk[:g.cols], sk[g.cols:]}
			last = &ixWalkEntry{sort: sk, key: e.pk}
			if more, err := w.ownBefore(sk, fn); err != nil || !more {
				return err
			}
			if w.ws != nil && w.ws.m[string(e.pk)] != nil {
				continue // the transaction's own write of the row: w.own has it, if in range
			}
			if w.lookups >= w.budget {
				return w.scanRest(last, fn)
			}
			if w.lookups++; w.lookups%checkEvery == 0 && w.tx.ctx.Err() != nil {
				return w.tx.ctx.Err()
			}
			v, found, err := w.t.getCommitted(e.pk)
			if err != nil {
				return err
			}
			if !found || len(w.ranges) > 0 && !rowInRanges(v, w.def, w.ranges) {
				continue // deleted since the index was read, or one the caller rejects
			}
			if more, err := w.hand(e.cols, e.pk, v, fn); err != nil || !more {
				return err
			}
		}
		if len(got) < piece {
			_, err := w.ownBefore(nil, fn) // the index is done
			return err
		}
		piece = min(2*piece, ixWalkMaxPiece)
	}
}

// ownBefore hands fn the transaction's rows that come before sort key sk
// in the walk (nil: all that are left).
func (w *ixWalker) ownBefore(sk []byte, fn func(h Handle, row Row) (bool, error)) (bool, error) {
	for len(w.own) > 0 && (sk == nil || w.before(w.own[0].sort, sk)) {
		e := w.own[0]
		w.own = w.own[1:]
		row, err := decodeRow(e.val, w.def)
		if err != nil {
			return false, w.t.dataErr(fmt.Errorf("row %x of %s: %w", e.key, w.table, err))
		}
		if more, err := fn(Handle(e.key), row); err != nil || !more {
			return false, err
		}
	}
	return true, nil
}

// hand decodes the committed row v of key pk, found by the index entry
// with columns cols, and hands it to fn unless it no longer has those
// columns (changed since the index was read) or was handed over already.
func (w *ixWalker) hand(cols, pk, v []byte, fn func(h Handle, row Row) (bool, error)) (bool, error) {
	row, err := decodeRow(v, w.def)
	if err != nil {
		return false, w.t.dataErr(fmt.Errorf("row %x of %s: %w", pk, w.table, err))
	}
	w.cols = encodeCols(w.cols[:0], w.def, row, w.pos)
	if !bytes.Equal(w.cols, cols) {
		return true, nil // moved: its new entry, if ahead, leads to it
	}
	if w.seen == nil {
		w.seen = make(map[string]struct{})
	}
	if _, dup := w.seen[string(pk)]; dup {
		return true, nil
	}
	w.seen[string(pk)] = struct{}{}
	return fn(Handle(pk), row)
}

// rest returns a filter of the rows in the rest of the walk, the entries
// at or after last, and of the caller's ranges: key nil judges by the
// index columns alone (at or after last's). Each filter has its own
// scratch space: one runs under the file's lock in a scan's copier, one
// beside it.
func (w *ixWalker) rest(last *ixWalkEntry) func(k, v []byte) bool {
	r := indexRangeOf(w.lo, w.hi)
	need := make([]bool, len(w.def.Columns))
	for _, p := range w.pos {
		need[p.col] = true
	}
	scratch := make(Row, len(w.def.Columns))
	var in interner
	var cols []byte
	lastCols := last.sort[:len(last.sort)-len(last.key)]
	return func(k, v []byte) bool {
		if k != nil && w.ws != nil && w.ws.m[string(k)] != nil || len(w.ranges) > 0 && !rowInRanges(v, w.def, w.ranges) {
			return false
		}
		if err := decodeRowInto(scratch, v, w.def, need, &in); err != nil {
			return true // the caller decodes it again and reports it
		}
		cols = encodeCols(cols[:0], w.def, scratch, w.pos)
		if !r.contains(cols) {
			return false
		}
		var c int
		if k == nil {
			c = bytes.Compare(cols, lastCols)
		} else {
			c = bytes.Compare(append(cols, k...), last.sort)
		}
		if w.s.Reverse {
			return c <= 0
		}
		return c >= 0
	}
}

// streamRest hands over the rest of the walk, the entries after last
// (whose row was not looked up yet: last itself included), in file
// order, after calling w.orderLost: one streamed pass over the data
// file, then the transaction's rows left.
func (w *ixWalker) streamRest(last *ixWalkEntry, fn func(h Handle, row Row) (bool, error)) error {
	w.gaveUp = true
	w.orderLost()
	byCols, exact := w.rest(last), w.rest(last)
	stop := errStopScan
	var buf Row
	var in interner
	err := w.t.scanMergedStream(func(v []byte) bool { return byCols(nil, v) }, func(k, v []byte) error {
		if !exact(k, v) { // the file's rows at last's columns, and the overlay's
			return nil
		}
		if _, dup := w.seen[string(k)]; dup {
			return nil
		}
		row := buf
		if row == nil || !w.reuse {
			row = make(Row, len(w.def.Columns))
			if w.reuse {
				buf = row
			}
		}
		if err := decodeRowInto(row, v, w.def, w.need, &in); err != nil {
			return w.t.dataErr(fmt.Errorf("row %x of %s: %w", k, w.table, err))
		}
		more, err := fn(Handle(k), row)
		if err == nil && !more {
			err = stop
		}
		return err
	})
	if err == stop {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = w.ownBefore(nil, fn)
	return err
}

// scanRest reads the rest of the walk, the entries after last (whose
// row was not looked up yet: last itself included), by one pass over the
// data file, and merges the transaction's rows left.
func (w *ixWalker) scanRest(last *ixWalkEntry, fn func(h Handle, row Row) (bool, error)) error {
	if w.orderLost != nil {
		return w.streamRest(last, fn)
	}
	w.gaveUp = true
	rest := w.rest(last)
	var rows []ixWalkEntry
	var mem byteArena
	err := w.t.scanMergedKeep(w.tx.ctx, rest, func(k, v []byte) error {
		if !rest(k, v) { // overlay rows: keep saw only the file's
			return nil
		}
		row, err := decodeRow(v, w.def)
		if err != nil {
			return w.t.dataErr(fmt.Errorf("row %x of %s: %w", k, w.table, err))
		}
		c := encodeCols(nil, w.def, row, w.pos)
		rows = append(rows, ixWalkEntry{sort: append(c, k...), key: mem.copy(k), val: mem.copy(v)})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(rows, func(a, b int) bool { return w.before(rows[a].sort, rows[b].sort) })
	for _, e := range rows {
		if more, err := w.ownBefore(e.sort, fn); err != nil || !more {
			return err
		}
		if _, dup := w.seen[string(e.key)]; dup {
			continue
		}
		row, err := decodeRow(e.val, w.def)
		if err != nil {
			return w.t.dataErr(fmt.Errorf("row %x of %s: %w", e.key, w.table, err))
		}
		if more, err := fn(Handle(e.key), row); err != nil || !more {
			return err
		}
	}
	_, err = w.ownBefore(nil, fn)
	return err
}

// ixWalked, when set by a test, is called after each walk with the
// lookups it made and whether it left the rest of its range to a scan.
var ixWalked func(lookups int64, gaveUp bool)

// movedCols returns a check of a committed row v found by an index entry
// with columns c (key parts pos, range r): the row's columns as it is
// now, and false when they left r. The columns are c itself unless the
// row changed since the entry was read.
func movedCols(d *TableDef, pos []keyPart, r keyRange) func(v, c []byte) ([]byte, bool) {
	need := make([]bool, len(d.Columns))
	for _, p := range pos {
		need[p.col] = true
	}
	scratch := make(Row, len(d.Columns))
	var in interner
	var cur []byte
	return func(v, c []byte) ([]byte, bool) {
		if err := decodeRowInto(scratch, v, d, need, &in); err != nil {
			return c, true // the caller decodes it again and reports it
		}
		cur = encodeCols(cur[:0], d, scratch, pos)
		if bytes.Equal(cur, c) {
			return c, true
		}
		return append([]byte(nil), cur...), r.contains(cur)
	}
}
