package sqlshim

import (
	"sort"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/shopspring/decimal"
)

// This file runs a windowPlan (window.go): it captures the rows, sorts
// them once per window, and computes the functions one partition at a
// time.

// windowRecord is what evaluation reads window function values from: the
// current output row's record.
type windowRecord struct {
	index map[*ast.WindowFuncExpr]int
	rec   []any
}

// windowValue is a window function call's value for the row being
// output; outside the select list and ORDER BY there is none (4015).
func (c *evalCtx) windowValue(x *ast.WindowFuncExpr) (any, error) {
	if c.win != nil {
		if i, ok := c.win.index[x]; ok {
			return shown(c.win.rec[i]), nil // an aggregate over the window: its shown digits
		}
	}
	return nil, errWindowMisplaced()
}

// windowRun runs a windowPlan over one execution of its SELECT.
type windowRun struct {
	*windowPlan
	x      *execCtx
	budget int64
	sorts  []*extSort // one per window, in specs order
	aggEC  *evalCtx   // evaluates the aggregates over the records' arguments
}

func newWindowRun(x *execCtx, p *windowPlan) *windowRun {
	w := &windowRun{windowPlan: p, x: x, budget: x.s.memBudget, sorts: make([]*extSort, len(p.specs))}
	for i, sp := range p.specs {
		w.sorts[i] = newExtSort(sp.items, w.budget)
	}
	w.aggEC = x.newEval(nil, "field list")
	return w
}

// close removes the sorts' temporary files.
func (w *windowRun) close() {
	for _, s := range w.sorts {
		if s != nil {
			s.close()
		}
	}
}

// keys returns the sort keys of window i in rec.
func (w *windowRun) keys(i int, rec []any) []any {
	sp := w.specs[i]
	return rec[sp.keyOff : sp.keyOff+len(sp.items)]
}

// add captures the current row or group of ec.
func (w *windowRun) add(ec *evalCtx) error {
	rec := make([]any, w.fixed, w.fixed+len(ec.row))
	ec.clause = "field list"
	for _, f := range w.funcs {
		for j, a := range f.call.Args {
			v, err := ec.eval(a)
			if err != nil {
				return err
			}
			rec[f.argOff+j] = v
		}
	}
	for _, sp := range w.specs {
		for k, it := range sp.items {
			ec.clause = "ORDER BY"
			if k < len(sp.partition) {
				ec.clause = "GROUP BY"
			}
			v, err := ec.eval(it.Expr)
			if err != nil {
				return err
			}
			if sp.numeric && k >= len(sp.partition) && v != nil && !isNumber(v) {
				return errf(errWindowRangeNumeric, "Numeric datatype is required for RANGE-type frame")
			}
			rec[sp.keyOff+k] = v
		}
	}
	if w.grouped {
		for i, a := range w.aggs {
			rec[w.aggOff+i] = ec.aggs[a]
		}
	}
	rec = append(rec, ec.row...)
	return w.sorts[0].add(rec, w.keys(0, rec))
}

// finish computes the window functions over every captured record and
// calls out with each, restored into ec (its row, aggregates and window
// values), in the last window's order.
func (w *windowRun) finish(ec *evalCtx, out func() error) error {
	wr := &windowRecord{index: w.index}
	final := func(rec []any) error {
		ec.row = rec[w.fixed:]
		if w.grouped {
			m := make(map[*ast.AggregateFuncExpr]any, len(w.aggs))
			for i, a := range w.aggs {
				m[a] = rec[w.aggOff+i]
			}
			ec.aggs = m
		}
		wr.rec = rec
		ec.win = wr
		err := out()
		ec.win = nil
		return err
	}
	for i, sp := range w.specs {
		next := final
		if i+1 < len(w.specs) {
			ns, k := w.sorts[i+1], i+1
			next = func(rec []any) error { return ns.add(rec, w.keys(k, rec)) }
		}
		if err := w.partitions(sp, w.sorts[i], next); err != nil {
			return err
		}
		w.sorts[i].close()
		w.sorts[i] = nil
	}
	return nil
}

// partitions reads sort s back, computes window sp's functions one
// partition at a time and passes each record on to next.
func (w *windowRun) partitions(sp *winSpec, s *extSort, next func([]any) error) error {
	var part [][]any
	var mem int64
	np := len(sp.partition)
	flush := func() error {
		if len(part) == 0 {
			return nil
		}
		if err := w.compute(sp, part); err != nil {
			return err
		}
		for _, r := range part {
			if err := next(r); err != nil {
				return err
			}
		}
		clear(part)
		part, mem = part[:0], 0
		return nil
	}
	err := s.each(func(rec []any) (bool, error) {
		if len(part) > 0 {
			a, b := part[0][sp.keyOff:sp.keyOff+np], rec[sp.keyOff:sp.keyOff+np]
			for k := range a {
				if compareForSort(a[k], b[k]) != 0 {
					if err := flush(); err != nil {
						return false, err
					}
					break
				}
			}
		}
		part = append(part, rec)
		mem += rowBytes(rec) + 48
		if mem > w.budget {
			e := errf(errOutOfSortMemory, "Out of sort memory: a window partition holds more than blitz_memory_budget (%d bytes); raise it with SET blitz_memory_budget", w.budget)
			e.(*sqlerr.Error).State = "HY001"
			return false, e
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// peers returns, for each row of a sorted partition, the first and last
// position of its peers (the rows with equal ORDER BY keys; all rows are
// peers without ORDER BY).
func (sp *winSpec) peers(part [][]any) (first, last []int) {
	n := len(part)
	first, last = make([]int, n), make([]int, n)
	lo, hi := sp.keyOff+len(sp.partition), sp.keyOff+len(sp.items)
	start := 0
	for i := 1; i <= n; i++ {
		if i < n && equalKeys(part[i][lo:hi], part[start][lo:hi]) {
			continue
		}
		for j := start; j < i; j++ {
			first[j], last[j] = start, i-1
		}
		start = i
	}
	return first, last
}

func equalKeys(a, b []any) bool {
	for i := range a {
		if compareForSort(a[i], b[i]) != 0 {
			return false
		}
	}
	return true
}

// compute sets the results of window sp's functions in the records of
// one partition, sorted.
func (w *windowRun) compute(sp *winSpec, part [][]any) error {
	n := len(part)
	first, last := sp.peers(part)
	for _, f := range sp.funcs {
		arg := func(row, j int) any { return part[row][f.argOff+j] }
		set := func(row int, v any) { part[row][f.slot] = v }
		switch f.name {
		case "row_number":
			for i := range part {
				set(i, int64(i+1))
			}
		case "rank":
			for i := range part {
				set(i, int64(first[i]+1))
			}
		case "dense_rank":
			r := int64(0)
			for i := range part {
				if first[i] == i {
					r++
				}
				set(i, r)
			}
		case "percent_rank":
			for i := range part {
				v := 0.0
				if n > 1 {
					v = float64(first[i]) / float64(n-1)
				}
				set(i, v)
			}
		case "cume_dist":
			for i := range part {
				set(i, float64(last[i]+1)/float64(n))
			}
		case "ntile":
			for i := range part {
				v := arg(i, 0)
				k := toInt(v)
				if v == nil || k <= 0 {
					return errf(errWindowNtile, "Argument of NTILE must be greater than 0")
				}
				set(i, ntile(i, n, k))
			}
		case "lag", "lead":
			for i := range part {
				off := int64(1)
				if f.nargs > 1 {
					off = toInt(arg(i, 1)) // NULL: 0, the row itself, as MariaDB
				}
				if f.name == "lag" {
					off = -off
				}
				var v any
				if j := int64(i) + off; j >= 0 && j < int64(n) {
					v = arg(int(j), 0)
				} else if f.nargs > 2 {
					v = arg(i, 2)
				}
				set(i, v)
			}
		default:
			starts, ends, err := w.bounds(f, sp, part, first, last)
			if err != nil {
				return err
			}
			if f.agg != nil {
				if err := w.aggregate(f, part, starts, ends); err != nil {
					return err
				}
				continue
			}
			for i := range part {
				s, e := starts[i], ends[i]
				var v any
				switch f.name {
				case "first_value":
					if s <= e {
						v = arg(s, 0)
					}
				case "last_value":
					if s <= e {
						v = arg(e, 0)
					}
				case "nth_value":
					nth := arg(i, 1)
					if k := toInt(nth); nth != nil && k > 0 && k-1 <= int64(e-s) {
						v = arg(s+int(k)-1, 0)
					}
				}
				set(i, v)
			}
		}
	}
	return nil
}

// ntile is NTILE(k)'s bucket of row i (from 0) of n: the first n%k
// buckets have one row more than the others.
func ntile(i, n int, k int64) int64 {
	if k >= int64(n) {
		return int64(i + 1)
	}
	size, extra := int64(n)/k, int64(n)%k
	r := int64(i)
	if r < extra*(size+1) {
		return r/(size+1) + 1
	}
	return (r-extra*(size+1))/size + extra + 1
}

// bounds returns, for each row of a sorted partition, the first and last
// position of its frame under f (start > end: an empty frame).
func (w *windowRun) bounds(f *winFunc, sp *winSpec, part [][]any, first, last []int) (starts, ends []int, err error) {
	n := len(part)
	starts, ends = make([]int, n), make([]int, n)
	keyAt := sp.keyOff + len(sp.partition) // the one ORDER BY key of a RANGE frame with offsets
	var desc bool
	if len(sp.order) > 0 {
		desc = sp.order[0].Desc
	}
	for i := range part {
		for side, b := range []winBound{f.frame.start, f.frame.end} {
			var p int
			switch {
			case b.unbounded && b.typ == ast.Preceding:
				p = 0
			case b.unbounded:
				p = n - 1
			case b.typ == ast.CurrentRow && f.frame.rows:
				p = i
			case b.typ == ast.CurrentRow && side == 0:
				p = first[i]
			case b.typ == ast.CurrentRow:
				p = last[i]
			case f.frame.rows:
				off := int(min(b.off.(int64), int64(n)))
				if b.typ == ast.Preceding {
					p = i - off
				} else {
					p = i + off
				}
			default:
				if p, err = rangeBound(part, keyAt, i, b, side == 0, desc, first[i], last[i]); err != nil {
					return nil, nil, err
				}
			}
			if side == 0 {
				starts[i] = max(p, 0)
			} else {
				ends[i] = min(p, n-1)
			}
		}
	}
	return starts, ends, nil
}

// rangeBound is the position a RANGE frame bound with an offset reaches
// from row i: the first row (start) or last row (end) whose key lies
// within the offset of row i's key. A row whose key is NULL has its NULL
// peers (from peerFirst to peerLast) as its frame; NULL keys are never
// within an offset of a number.
func rangeBound(part [][]any, keyAt, i int, b winBound, start, desc bool, peerFirst, peerLast int) (int, error) {
	key := part[i][keyAt]
	if key == nil {
		if start {
			return peerFirst, nil
		}
		return peerLast, nil
	}
	if !isNumber(key) {
		return 0, errf(errWindowRangeNumeric, "Numeric datatype is required for RANGE-type frame")
	}
	// The value the bound reaches: PRECEDING is toward the start of the
	// sort order (smaller keys ascending, larger descending).
	var v any
	up := (b.typ == ast.Following) != desc
	_, kf := key.(float64)
	_, of := b.off.(float64)
	if kf || of {
		if up {
			v = toFloat(key) + toFloat(b.off)
		} else {
			v = toFloat(key) - toFloat(b.off)
		}
	} else {
		d := toDecimal(key).Add(toDecimal(b.off))
		if !up {
			d = toDecimal(key).Sub(toDecimal(b.off))
		}
		// MariaDB computes the bound in the key's type: rounded (half
		// away from zero) to the key's scale, an integer key's to a
		// whole number (k RANGE 1.5 PRECEDING from 2 reaches 1).
		scale := int32(0)
		if kd, ok := key.(decimal.Decimal); ok && kd.Exponent() < 0 {
			scale = -kd.Exponent()
		}
		v = d.Round(scale)
	}
	// NULL keys sort first ascending, last descending: the numbers lie in
	// between lo and hi.
	lo, hi := 0, len(part)
	for lo < hi && part[lo][keyAt] == nil {
		lo++
	}
	for hi > lo && part[hi-1][keyAt] == nil {
		hi--
	}
	// before(j): row j's key sorts before v.
	before := func(j int) bool {
		c := compareForSort(part[j][keyAt], v)
		return c < 0 && !desc || c > 0 && desc
	}
	if start {
		return lo + sort.Search(hi-lo, func(k int) bool { return !before(lo + k) }), nil
	}
	// The last row not after v: one before the first row after v.
	after := func(j int) bool {
		c := compareForSort(part[j][keyAt], v)
		return c > 0 && !desc || c < 0 && desc
	}
	return lo + sort.Search(hi-lo, func(k int) bool { return after(lo + k) }) - 1, nil
}

// aggregate computes aggregate f over each row's frame: with frames that
// start at the partition's start (the default) or end at its end as one
// running aggregate, others afresh for each row (a row whose frame is its
// predecessor's reuses the result, as peers do).
func (w *windowRun) aggregate(f *winFunc, part [][]any, starts, ends []int) error {
	ec := w.aggEC
	aggs := []*ast.AggregateFuncExpr{f.agg}
	add := func(g *group, j int) error {
		ec.params = part[j][f.argOff : f.argOff+f.nargs]
		return g.add(ec)
	}
	result := func(g *group) any { return g.results(ec)[f.agg] }
	n := len(part)
	switch {
	case f.frame.start.unbounded:
		g, next := newGroup(aggs), 0
		for i := range part {
			for ; next <= ends[i]; next++ {
				if err := add(g, next); err != nil {
					return err
				}
			}
			part[i][f.slot] = result(g)
		}
	case f.frame.end.unbounded:
		g, next := newGroup(aggs), n-1
		for i := n - 1; i >= 0; i-- {
			for ; next >= starts[i]; next-- {
				if err := add(g, next); err != nil {
					return err
				}
			}
			part[i][f.slot] = result(g)
		}
	default:
		ps, pe := -1, -1
		var prev any
		for i := range part {
			s, e := starts[i], ends[i]
			if i == 0 || s != ps || e != pe {
				g := newGroup(aggs)
				for j := s; j <= e; j++ {
					if err := add(g, j); err != nil {
						return err
					}
				}
				prev, ps, pe = result(g), s, e
			}
			part[i][f.slot] = prev
		}
	}
	return nil
}
