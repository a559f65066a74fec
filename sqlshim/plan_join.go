package sqlshim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/shopspring/decimal"
)

// Join planning and execution.
//
// The FROM tree is flattened into a left-deep list of units: base tables,
// derived tables, and (for `a LEFT JOIN (b JOIN c ...)`) whole subtrees
// planned on their own and materialised once. Inner-join conditions and
// WHERE form one pool of conjuncts; each is evaluated at the first step
// where every table it names is bound. An outer join's ON conditions
// decide its matches instead, and the WHERE conditions on its tables are
// applied after NULL-extension, so WHERE vs ON keep MySQL's meaning.
//
// Runs of inner-joined units are ordered by a small cost model: every
// unit is tried as the driver, the others are added greedily by least
// cost, and the cheapest whole order wins. For each unit after the first
// the method is the cheapest of:
//
//   - eq_ref: primary-key lookups with the key taken from the outer row;
//   - ref: a secondary-index scan on an equality prefix, likewise;
//   - hash: the unit's rows (filtered by its own conditions) hashed once
//     on the equi-join columns, probed per outer row;
//   - loop: the unit's filtered rows buffered once and compared with
//     every outer row (non-equi conditions only).
//
// Like plan.go, every method only narrows the candidates: the conditions
// are evaluated in full on each joined row.

const (
	costRow    = 1.0  // reading one row in a scan
	costBuild  = 1.5  // reading and hashing one build-side row
	costProbe  = 0.2  // one hash probe
	costLookup = 3.0  // one primary-key or index lookup
	costPair   = 0.05 // comparing one pair of rows in a nested loop
	costRefRow = 2.0  // each row an index lookup returns (a random read)
)

type joinCond struct {
	e    ast.ExprNode
	mask uint64
}

// joinUnit is one step's input before ordering.
type joinUnit struct {
	src   *joinSource
	sub   *joinPlan // an outer join's right side that is itself a join
	mask  uint64
	outer bool
	on    []joinCond
}

type joinStep struct {
	joinUnit
	method  string // scan, eq_ref, ref, hash, loop
	path    *accessPath
	filters []ast.ExprNode
	local   []ast.ExprNode // conditions on the unit alone: filter its rows before joining
	// eq_ref / ref / hash
	index     string
	keyCols   []int          // eq_ref/ref: the unit's key columns (source column indexes)
	probe     []ast.ExprNode // values from the outer row, one per key column
	buildKeys []ast.ExprNode // hash: the unit's side of each equality
	keyConds  []ast.ExprNode // hash: the equalities themselves
	// intProbe: the current probe found its candidates by integer key
	// (intKey): a one-column equality between plain columns is then known
	// true for them and is not evaluated again (see runJoin).
	intProbe bool
	// estimates
	read    float64 // rows read from the unit to scan, build or buffer it
	rows    float64 // rows per outer row
	outRows float64 // joined rows after this step
	// run-time state
	positions []int
	built     bool
	hashed    map[string][][]any
	intHashed map[int64][][]any // one-column keys with integral values
	dense     [][][]any         // intHashed as a slice when its keys are dense
	denseMin  int64
	// denseOne replaces dense when no key has two rows (a join on a
	// unique id): the rows side by side, width len(positions) each, with
	// denseHas saying which keys have one. A probe then reads one
	// contiguous row instead of chasing three slice headers through the
	// heap, each a likely cache miss on a large build side.
	denseOne []any
	denseHas []bool
	memBytes int64      // estimated size of the build rows held
	buildFn  []valueFn  // the build keys over scratch
	scratch  engine.Row // the row buffer the build's conditions see
	spill    *joinSpill // the build side went over the session's memory budget
	buffer   [][]any
	probeBuf []any
	keyBuf   []byte
	onFn     []condFn
	filterFn []condFn
	localFn  []condFn
	probeFn  []valueFn
}

// joinPlan is an ordered list of steps over one row buffer.
type joinPlan struct {
	js    *joinScope
	steps []*joinStep
	mask  uint64
	est   float64
}

// planJoin plans the statement's FROM tree under where.
func (x *execCtx) planJoin(js *joinScope, where ast.ExprNode) (*joinPlan, error) {
	var pool []joinCond
	if where != nil {
		for _, c := range conjuncts(where) {
			m, err := js.maskOf(c, js.all(), "WHERE")
			if err != nil {
				return nil, err
			}
			pool = append(pool, joinCond{c, m})
		}
	}
	if err := js.checkClauses(); err != nil {
		return nil, err
	}
	p, err := x.planTree(js, js.root, pool)
	if err != nil {
		return nil, err
	}
	js.plan = p
	return p, nil
}

func (x *execCtx) planTree(js *joinScope, root *joinNode, pool []joinCond) (*joinPlan, error) {
	var units []joinUnit
	var flatten func(n *joinNode) error
	flatten = func(n *joinNode) error {
		if n.src != nil {
			units = append(units, joinUnit{src: n.src, mask: n.mask})
			return nil
		}
		if err := flatten(n.left); err != nil {
			return err
		}
		var on []joinCond
		for _, c := range n.on {
			m, err := js.maskOf(c, n.mask, "ON")
			if err != nil {
				return err
			}
			on = append(on, joinCond{c, m})
		}
		if !n.outer {
			if err := flatten(n.right); err != nil {
				return err
			}
			pool = append(pool, on...)
			return nil
		}
		u := joinUnit{mask: n.right.mask, outer: true, on: on}
		if n.right.src != nil {
			u.src = n.right.src
		} else {
			sub, err := x.planTree(js, n.right, nil)
			if err != nil {
				return err
			}
			u.sub = sub
		}
		units = append(units, u)
		return nil
	}
	if err := flatten(root); err != nil {
		return nil, err
	}
	p := &joinPlan{js: js, mask: root.mask}
	var bound uint64
	outRows := 1.0
	for i := 0; i < len(units); {
		if units[i].outer {
			st := x.chooseAccess(js, units[i], bound, pool, outRows)
			p.steps = append(p.steps, st)
			bound |= st.mask
			outRows = math.Max(1, st.outRows)
			i++
			continue
		}
		j := i
		for j < len(units) && !units[j].outer {
			j++
		}
		steps := x.orderRun(js, units[i:j], bound, pool, outRows)
		for _, st := range steps {
			bound |= st.mask
			outRows = math.Max(1, st.outRows)
		}
		p.steps = append(p.steps, steps...)
		i = j
	}
	p.est = outRows
	// Each pool condition goes to the first step that binds all it names.
	assigned := make([]bool, len(pool))
	bound = 0
	for _, st := range p.steps {
		bound |= st.mask
		for k, c := range pool {
			if !assigned[k] && c.mask&^bound == 0 {
				assigned[k] = true
				st.filters = append(st.filters, c.e)
			}
		}
		for _, s := range js.srcs {
			if st.mask&(1<<uint(s.id)) != 0 {
				for c := range s.cols {
					st.positions = append(st.positions, s.off+c)
				}
			}
		}
	}
	return p, nil
}

// orderRun orders a run of inner-joined units: each tried as the driver,
// the rest added greedily; the cheapest order wins.
func (x *execCtx) orderRun(js *joinScope, units []joinUnit, bound uint64, pool []joinCond, outRows float64) []*joinStep {
	var best []*joinStep
	bestCost := math.Inf(1)
	for first := range units {
		var steps []*joinStep
		used := make([]bool, len(units))
		b, rows, cost := bound, outRows, 0.0
		next := first
		for range units {
			if next < 0 {
				nc := math.Inf(1)
				for k, u := range units {
					if used[k] {
						continue
					}
					st := x.chooseAccess(js, u, b, pool, rows)
					if c := stepCost(st, rows); c < nc {
						nc, next = c, k
					}
				}
			}
			st := x.chooseAccess(js, units[next], b, pool, rows)
			cost += stepCost(st, rows)
			used[next] = true
			steps = append(steps, st)
			b |= st.mask
			rows = math.Max(1, st.outRows)
			next = -1
		}
		if cost < bestCost {
			best, bestCost = steps, cost
		}
		if len(units) > 12 {
			break // many tables: the written order drives
		}
	}
	return best
}

func stepCost(st *joinStep, outer float64) float64 {
	switch st.method {
	case "eq_ref":
		return outer * costLookup
	case "ref":
		return outer * (costLookup + st.rows*costRefRow)
	case "hash":
		return st.read*costBuild + outer*costProbe + st.outRows*costPair
	case "loop":
		return st.read*costRow + outer*st.rows*costPair
	}
	return st.read*costRow + st.outRows*costPair // scan: the driver
}

// chooseAccess decides how a unit is read after the sources in bound,
// with outer rows arriving.
func (x *execCtx) chooseAccess(js *joinScope, u joinUnit, bound uint64, pool []joinCond, outer float64) *joinStep {
	st := &joinStep{joinUnit: u}
	conds := u.on
	if !u.outer {
		for _, c := range pool {
			if c.mask&u.mask != 0 && c.mask&^(bound|u.mask) == 0 {
				conds = append(conds, c)
			}
		}
	}
	type equi struct {
		col   int // source column (base/derived units)
		inner ast.ExprNode
		outer ast.ExprNode
		cond  ast.ExprNode // the equality itself
	}
	var eqs []equi
	nonEqui := false
	for _, c := range conds {
		if c.mask != 0 && c.mask&^u.mask == 0 {
			st.local = append(st.local, c.e)
			continue
		}
		if c.mask&u.mask == 0 {
			continue
		}
		b, ok := c.e.(*ast.BinaryOperationExpr)
		if !ok || b.Op != opcode.EQ {
			nonEqui = true
			continue
		}
		lm, _ := js.maskOf(b.L, js.all(), "ON")
		rm, _ := js.maskOf(b.R, js.all(), "ON")
		in, out := b.L, b.R
		if lm&^u.mask != 0 || lm == 0 {
			in, out, lm, rm = b.R, b.L, rm, lm
		}
		if lm == 0 || lm&^u.mask != 0 || rm == 0 || rm&^bound != 0 {
			nonEqui = true
			continue
		}
		col := -1
		if cn, ok := unparen(in).(*ast.ColumnNameExpr); ok && u.src != nil {
			if ref, err := js.resolve(cn.Name, js.all(), "ON"); err == nil && len(ref) == 1 {
				col = ref[0] - u.src.off
			}
		}
		eqs = append(eqs, equi{col, in, out, c.e})
	}
	// Rows of the unit after its own conditions.
	total := 1.0
	switch {
	case u.src != nil:
		total = math.Max(1, float64(u.src.count))
	case u.sub != nil:
		total = math.Max(1, u.sub.est)
	}
	local := total
	read := total
	if u.src != nil && u.src.ti != nil {
		path, err := x.planAccess(u.src.ti, andAll(st.local), u.src.hints)
		if err != nil {
			path = &accessPath{kind: accessAll}
		}
		st.path = path
		switch path.kind {
		case accessConst:
			local = 1
		case accessRef:
			local = math.Max(1, total/10)
		case accessRange:
			local = math.Max(1, total/3)
		}
		read = local
		if path.kind == accessAll || path.kind == "index" {
			for range st.local {
				local = math.Max(1, local/2)
			}
		}
	} else {
		for range st.local {
			local = math.Max(1, local/2)
		}
	}
	if bound == 0 {
		st.method, st.rows, st.outRows, st.read = "scan", local, local, read
		return st
	}
	unique := func(cols []string) bool {
		for _, cn := range cols {
			found := false
			for _, e := range eqs {
				if e.col >= 0 && strings.EqualFold(u.src.cols[e.col].Name, cn) {
					found = true
				}
			}
			if !found {
				return false
			}
		}
		return len(cols) > 0
	}
	type option struct {
		st   joinStep
		cost float64
	}
	var opts []option
	// Index lookups on the base table.
	if u.src != nil && u.src.ti != nil && len(eqs) > 0 {
		ti := u.src.ti
		allowed, _, _ := x.allowedIndexes(ti, u.src.hints)
		try := func(name string, cols []string, uniq bool) {
			if allowed != nil && !allowed[strings.ToLower(name)] {
				return
			}
			var keyCols []int
			var probe []ast.ExprNode
			for _, cn := range cols {
				ci := ti.column(cn)
				k := -1
				for i, e := range eqs {
					if e.col == ci {
						k = i
						break
					}
				}
				if k < 0 {
					break
				}
				keyCols = append(keyCols, ci)
				probe = append(probe, eqs[k].outer)
			}
			if len(keyCols) == 0 {
				return
			}
			o := joinStep{joinUnit: u, index: name, keyCols: keyCols, probe: probe, local: st.local, path: st.path}
			full := len(keyCols) == len(cols)
			if name == "PRIMARY" && full {
				o.method, o.rows = "eq_ref", 1
			} else {
				o.method = "ref"
				// Without ANALYZE TABLE: a non-unique key is taken to have
				// sqrt(rows) distinct values, erring towards reading the
				// table once over many random lookups.
				o.rows = math.Max(1, math.Sqrt(total))
				if uniq && full {
					o.rows = 1
				} else if n := x.distinct(js, ti.name, cols[:len(keyCols)]); n > 0 {
					o.rows = math.Max(1, total/float64(n))
				}
			}
			o.outRows = outer * o.rows * (local / total)
			opts = append(opts, option{o, stepCost(&o, outer)})
		}
		if len(ti.def.PrimaryKey) > 0 {
			try("PRIMARY", ti.def.PrimaryKey, true)
		}
		for _, ix := range ti.def.Indexes {
			if !ix.Hidden {
				try(ix.Name, ix.Columns, ix.Unique)
			}
		}
	}
	// Hash join on the equalities whose both sides have comparable types.
	var hk, hp, hc []ast.ExprNode
	for _, e := range eqs {
		if sameKeyClass(js, e.inner, e.outer) {
			hk = append(hk, e.inner)
			hp = append(hp, e.outer)
			hc = append(hc, e.cond)
		}
	}
	if len(hk) > 0 {
		o := joinStep{joinUnit: u, method: "hash", buildKeys: hk, probe: hp, keyConds: hc, local: st.local, path: st.path, rows: local, read: read}
		// Without statistics, a foreign-key join is assumed: the smaller
		// table's key is unique, so each row of the other side matches
		// about one row of the smaller, and a row of the smaller matches
		// (larger / smaller) rows of the larger.
		ndv := total
		for _, e := range hp {
			if cn, ok := unparen(e).(*ast.ColumnNameExpr); ok {
				if ref, err := js.resolve(cn.Name, js.all(), "ON"); err == nil {
					ndv = math.Max(1, math.Min(ndv, float64(js.sourceAt(ref[0]).count)))
				}
			}
		}
		fan := local / ndv
		if u.src != nil && u.src.ti != nil {
			var cols []string
			for _, e := range eqs {
				if e.col >= 0 {
					cols = append(cols, u.src.cols[e.col].Name)
				}
			}
			if len(u.src.ti.def.PrimaryKey) > 0 && unique(u.src.ti.def.PrimaryKey) {
				fan = local / total
			} else if n := x.distinct(js, u.src.ti.name, cols); n > 0 {
				fan = local / float64(n)
			}
		}
		o.outRows = outer * math.Max(fan, 1/total)
		opts = append(opts, option{o, stepCost(&o, outer)})
	}
	{
		o := joinStep{joinUnit: u, method: "loop", local: st.local, path: st.path, rows: local, read: read}
		o.outRows = outer * local
		if len(eqs) > 0 {
			o.outRows = outer * math.Min(local, 10)
		} else if nonEqui {
			o.outRows = outer * math.Max(1, local/2)
		}
		opts = append(opts, option{o, stepCost(&o, outer)})
	}
	bi := 0
	for i := range opts {
		if opts[i].cost < opts[bi].cost {
			bi = i
		}
	}
	out := opts[bi].st
	if u.outer {
		out.outRows = math.Max(out.outRows, outer)
	}
	return &out
}

// unparen returns e without the parentheses around it.
func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

func andAll(es []ast.ExprNode) ast.ExprNode {
	var out ast.ExprNode
	for _, e := range es {
		if out == nil {
			out = e
		} else {
			out = &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: out, R: e}
		}
	}
	return out
}

// keyClass groups column types whose equal values have the same hash key.
func keyClass(js *joinScope, e ast.ExprNode) string {
	cn, ok := unparen(e).(*ast.ColumnNameExpr)
	if !ok {
		return ""
	}
	ref, err := js.resolve(cn.Name, js.all(), "ON")
	if err != nil || len(ref) != 1 {
		return ""
	}
	s := js.sourceAt(ref[0])
	if c := s.cols[ref[0]-s.off].Collation; c != nil && !c.IsBin() {
		return "" // hashKey keys text by its bytes: no hash join on collated text
	}
	if s.meta != nil {
		return s.classes[ref[0]-s.off] // a derived column: what its values are
	}
	switch s.cols[ref[0]-s.off].Type {
	case engine.TypeTinyInt, engine.TypeSmallInt, engine.TypeMediumInt, engine.TypeInt, engine.TypeBigInt, engine.TypeDecimal:
		return "exact"
	case engine.TypeChar, engine.TypeVarChar, engine.TypeText:
		return "string"
	case engine.TypeDate, engine.TypeDateTime, engine.TypeTimestamp:
		return "time"
	}
	return ""
}

// valueClasses returns the key class of each column of derived rows from
// the values themselves ("" when they are mixed or of another kind).
func valueClasses(width int, rows [][]any) []string {
	out := make([]string, width)
	for c := range out {
		class := ""
		for _, r := range rows {
			var k string
			switch r[c].(type) {
			case nil:
				continue
			case int64, uint64, decimal.Decimal:
				k = "exact"
			case string:
				k = "string"
			case time.Time:
				k = "time"
			default:
				k = "-"
			}
			if class == "" {
				class = k
			} else if class != k {
				class = "-"
			}
		}
		if class == "-" {
			class = ""
		}
		out[c] = class
	}
	return out
}

func sameKeyClass(js *joinScope, a, b ast.ExprNode) bool {
	ca := keyClass(js, a)
	return ca != "" && ca == keyClass(js, b)
}

// hashKey encodes values so that values equal under compareValues (for
// one key class) get the same key.
func hashKey(b []byte, vals []any) []byte {
	for _, v := range vals {
		switch n := v.(type) {
		case int64:
			b = append(b, 'D')
			b = strconv.AppendInt(b, n, 10)
		case uint64:
			b = append(b, 'D')
			b = strconv.AppendUint(b, n, 10)
		default:
			b = append(b, groupKey([]any{v})...)
			continue
		}
		b = append(b, 0)
	}
	return b
}

// intKey returns a one-value key as an int64 when it is integral (an
// integer, or a DECIMAL without a fraction), so that both sides of a hash
// join put equal numbers in the same map.
func intKey(vals []any) (int64, bool) {
	if len(vals) != 1 {
		return 0, false
	}
	switch n := vals[0].(type) {
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case decimal.Decimal:
		if n.IsInteger() {
			if i := n.IntPart(); decimal.NewFromInt(i).Equal(n) {
				return i, true
			}
		}
	}
	return 0, false
}

// errStopJoin ends a join early when the consumer wants no more rows.
var errStopJoin = errors.New("stop")

// runJoin produces the joined rows, calling fn with each (the row buffer
// is reused: fn copies what it keeps).
func (x *execCtx) runJoin(p *joinPlan, ti *tableInfo, fn func(row engine.Row) (bool, error)) error {
	row := make(engine.Row, p.js.width)
	ec := x.newEval(ti, "WHERE")
	ec.row = row
	for _, st := range p.steps {
		st.onFn = x.compileConds(p.js, ec, onExprs(st.on), "ON")
		st.filterFn = x.compileConds(p.js, ec, st.filters, "WHERE")
		st.intProbe = false
		if st.method == "hash" && !st.outer && len(st.keyConds) == 1 && plainEquality(p.js, st.keyConds[0]) {
			// Candidates found by integer key have an integer key equal
			// to the probe's, so the equality they were found by holds
			// (compareValues says 0 for equal integral numbers of any
			// numeric type): skip re-reading both columns per joined row.
			for k, e := range st.filters {
				if e == st.keyConds[0] {
					f, st := st.filterFn[k], st
					st.filterFn[k] = func() (bool, error) {
						if st.intProbe {
							return true, nil
						}
						return f()
					}
				}
			}
		}
		st.probeFn = st.probeFn[:0]
		for _, e := range st.probe {
			st.probeFn = append(st.probeFn, compileValue(p.js, ec, e, "ON"))
		}
	}
	n, tried := 0, 0
	var run func(i int) error
	var step func(i int, each func(try func([]any) error) error) error
	run = func(i int) error {
		if i == len(p.steps) {
			n++
			if n&1023 == 0 {
				if err := x.ctx.Err(); err != nil {
					return err
				}
			}
			more, err := fn(row)
			if err != nil {
				return err
			}
			if !more {
				return errStopJoin
			}
			return nil
		}
		st := p.steps[i]
		if st.method == "hash" && !st.built {
			if err := x.buildHash(p, st); err != nil {
				return err
			}
		}
		if st.spill != nil {
			st.intProbe = false // candidates come from the spill files
			return st.spill.deferRow(i, row, step)
		}
		return step(i, func(try func([]any) error) error {
			return x.stepRows(p, st, ec, row, i == 0, try)
		})
	}
	// step joins the current row with the candidates each yields: the
	// step's conditions decide, an outer step NULL-extends when none
	// matched, and each joined row goes on to the next step.
	step = func(i int, each func(try func([]any) error) error) error {
		st := p.steps[i]
		matched := false
		try := func(vals []any) error {
			if tried++; tried&4095 == 0 {
				if err := x.ctx.Err(); err != nil {
					return err
				}
			}
			for k, pos := range st.positions {
				row[pos] = vals[k]
			}
			if st.outer {
				ok, err := allConds(st.onFn)
				if err != nil || !ok {
					return err
				}
				matched = true
			}
			ok, err := allConds(st.filterFn)
			if err != nil || !ok {
				return err
			}
			return run(i + 1)
		}
		if err := each(try); err != nil {
			return err
		}
		if st.outer && !matched {
			for _, pos := range st.positions {
				row[pos] = nil
			}
			ok, err := allConds(st.filterFn)
			if err != nil || !ok {
				return err
			}
			return run(i + 1)
		}
		return nil
	}
	defer func() {
		for _, st := range p.steps {
			if st.spill != nil {
				st.spill.close()
				st.spill, st.built = nil, false
			}
		}
	}()
	err := run(0)
	// Spilled hash joins: the rows deferred to their partitions now meet
	// the build rows of the same partition, step by step.
	for i := 0; err == nil && i < len(p.steps); i++ {
		if sp := p.steps[i].spill; sp != nil {
			err = sp.drain(i, row, step)
		}
	}
	if err == errStopJoin {
		return nil
	}
	return err
}

// valueFn is a compiled expression on the join's row buffer.
type valueFn func() (any, error)

// compileValue reads a plain column straight from the row buffer; other
// expressions are evaluated by ec.
func compileValue(sc condScope, ec *evalCtx, e ast.ExprNode, clause string) valueFn {
	row := ec.row
	if cn, ok := unparen(e).(*ast.ColumnNameExpr); ok {
		if pos := sc.position(cn.Name, clause); pos >= 0 {
			return func() (any, error) { return row[pos], nil }
		}
	}
	return func() (any, error) {
		ec.clause = clause
		return ec.eval(e)
	}
}

// condFn is a compiled condition on the join's row buffer.
type condFn func() (bool, error)

func allConds(fs []condFn) (bool, error) {
	for _, f := range fs {
		ok, err := f()
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// compileConds prepares conditions for evaluation on every joined row. A
// comparison or BETWEEN of a plain column with constants is compiled to a
// direct comparison with the constants evaluated once (a date string
// against a DATE column is parsed once, not per row); anything else is
// evaluated by ec as written.
func (x *execCtx) compileConds(sc condScope, ec *evalCtx, es []ast.ExprNode, clause string) []condFn {
	out := make([]condFn, len(es))
	for i, e := range es {
		out[i] = x.compileCond(sc, ec, e, clause)
	}
	return out
}

func (x *execCtx) compileCond(sc condScope, ec *evalCtx, e ast.ExprNode, clause string) condFn {
	if f := x.fastCond(sc, ec, e, clause); f != nil {
		return f
	}
	return func() (bool, error) {
		ec.clause = clause
		v, err := ec.eval(e)
		if err != nil {
			return false, err
		}
		b, _ := truthy(v)
		return b, nil
	}
}

// fastCond compiles e to a direct comparison if it is one of the shapes
// compileConds knows, else returns nil. A compiled condition never warns
// or fails: it is true exactly when eval would say true.
func (x *execCtx) fastCond(sc condScope, ec *evalCtx, e ast.ExprNode, clause string) condFn {
	var generic condFn // nil: "no fast path"
	column := func(n ast.ExprNode) int {
		cn, ok := unparen(n).(*ast.ColumnNameExpr)
		if !ok {
			return -1
		}
		return sc.position(cn.Name, clause)
	}
	constant := func(pos int, n ast.ExprNode) (any, bool) {
		return x.columnConstant(sc.columnAt(pos), n, clause)
	}
	row := ec.row
	switch c := unparen(e).(type) {
	case *ast.BetweenExpr:
		pos := column(c.Expr)
		if pos < 0 || c.Not || ec.collated("between", c.Expr, c.Left, c.Right) {
			return generic
		}
		lo, ok1 := constant(pos, c.Left)
		hi, ok2 := constant(pos, c.Right)
		if !ok1 || !ok2 {
			return generic
		}
		tlo, ok1 := lo.(time.Time)
		thi, ok2 := hi.(time.Time)
		if ok1 && ok2 {
			return func() (bool, error) { // DATE/DATETIME BETWEEN constants
				if t, ok := row[pos].(time.Time); ok {
					return !t.Before(tlo) && !t.After(thi), nil
				}
				v := row[pos]
				return v != nil && compareValues(v, lo) >= 0 && compareValues(v, hi) <= 0, nil
			}
		}
		return func() (bool, error) {
			v := row[pos]
			return v != nil && compareValues(v, lo) >= 0 && compareValues(v, hi) <= 0, nil
		}
	case *ast.BinaryOperationExpr:
		op := c.Op
		pos, other := column(c.L), c.R
		if pos < 0 {
			pos, other = column(c.R), c.L
			op = mirrorOp(op) // k op col is col op' k
		}
		if pos < 0 {
			return generic
		}
		switch op {
		case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		default:
			return generic
		}
		if ec.collated(opText(c.Op), c.L, c.R) {
			return generic // eval compares under the collation (or reports the mix)
		}
		if q := column(other); q >= 0 {
			// Column against column (a join's ON a.x = b.y, evaluated on
			// every joined row): what eval does, without walking the
			// expression and resolving both names per row.
			p := column(c.L)
			return func() (bool, error) {
				a, b := row[p], row[q]
				if a == nil || b == nil {
					return false, nil
				}
				return compareOp(c.Op, compareValues(a, b))
			}
		}
		k, ok := constant(pos, other)
		if !ok {
			return generic
		}
		return func() (bool, error) {
			v := row[pos]
			if v == nil {
				return false, nil
			}
			return compareOp(op, compareValues(v, k))
		}
	}
	return generic
}

// plainEquality reports whether e is column = column (both plain columns
// of the join's row): evaluating it can neither warn nor fail.
func plainEquality(js *joinScope, e ast.ExprNode) bool {
	b, ok := unparen(e).(*ast.BinaryOperationExpr)
	if !ok || b.Op != opcode.EQ {
		return false
	}
	for _, side := range []ast.ExprNode{b.L, b.R} {
		cn, ok := unparen(side).(*ast.ColumnNameExpr)
		if !ok || js.position(cn.Name, "ON") < 0 {
			return false
		}
	}
	return true
}

func onExprs(cs []joinCond) []ast.ExprNode {
	out := make([]ast.ExprNode, len(cs))
	for i, c := range cs {
		out[i] = c.e
	}
	return out
}

// stepRows calls try with each candidate row of a step (values for the
// step's positions) given the outer row in row.
func (x *execCtx) stepRows(p *joinPlan, st *joinStep, ec *evalCtx, row engine.Row, first bool, try func([]any) error) error {
	switch st.method {
	case "scan":
		if first && st.src != nil && st.src.ti != nil {
			// try copies the values into the joined row, so the scan may
			// reuse its row. The step's WHERE conjuncts decide each row
			// of the first step (no outer join NULL-extends it), so those
			// on this table alone may skip rows in the engine.
			var conds []ast.ExprNode
			if !st.outer {
				conds = st.filters
			}
			return x.readRows(st.src.ti, st.path, x.readOptions(p, st, conds, "WHERE", true), func(r engine.Row) error { return try(r) })
		}
	case "eq_ref", "ref":
		vals, null, err := st.probeValues()
		if err != nil || null {
			return err
		}
		for k, v := range vals {
			cv, ok := keyValue(st.src.ti.def, &st.src.cols[st.keyCols[k]], v)
			if !ok {
				return x.loopRows(p, st, try) // not representable in the key: compare every row
			}
			vals[k] = x.storedKey(&st.src.cols[st.keyCols[k]], cv) // timezone.go
		}
		ti := st.src.ti
		if st.method == "eq_ref" {
			pk := make([]any, len(ti.def.PrimaryKey))
			for k, c := range st.keyCols {
				for j, cn := range ti.def.PrimaryKey {
					if ti.column(cn) == c {
						pk[j] = vals[k]
					}
				}
			}
			_, r, found, err := x.tx.Get(ti.name, pk)
			if err != nil || !found {
				return err
			}
			x.shiftRead(ti.def, r) // timezone.go
			return try(r)
		}
		b := engine.Bound{Values: vals, Inclusive: true}
		return x.tx.Scan(ti.name, engine.Scan{Index: st.index, Lo: b, Hi: b}, func(_ engine.Handle, r engine.Row) (bool, error) {
			x.shiftRead(ti.def, r)
			return true, try(r)
		})
	case "hash":
		if !st.built {
			if err := x.buildHash(p, st); err != nil {
				return err
			}
		}
		vals, null, err := st.probeValues()
		if err != nil || null {
			return err
		}
		var cands [][]any
		i, ok := intKey(vals)
		st.intProbe = ok
		if ok {
			if st.denseHas != nil {
				if d := uint64(i - st.denseMin); i >= st.denseMin && d < uint64(len(st.denseHas)) && st.denseHas[d] {
					w := uint64(len(st.positions))
					return try(st.denseOne[d*w : (d+1)*w : (d+1)*w])
				}
				return nil
			} else if st.dense != nil {
				if d := uint64(i - st.denseMin); i >= st.denseMin && d < uint64(len(st.dense)) {
					cands = st.dense[d]
				}
			} else {
				cands = st.intHashed[i]
			}
		} else {
			st.keyBuf = hashKey(st.keyBuf[:0], vals)
			cands = st.hashed[string(st.keyBuf)]
		}
		for _, r := range cands {
			if err := try(r); err != nil {
				return err
			}
		}
		return nil
	}
	return x.loopRows(p, st, try)
}

// probeValues evaluates the step's probe expressions for the current outer
// row into its reused buffer; null is set when one is NULL (which no
// equality matches).
func (st *joinStep) probeValues() (vals []any, null bool, err error) {
	if st.probeBuf == nil {
		st.probeBuf = make([]any, len(st.probe))
	}
	vals = st.probeBuf
	for k, f := range st.probeFn {
		v, err := f()
		if err != nil {
			return nil, false, err
		}
		if v == nil {
			return nil, true, nil
		}
		vals[k] = v
	}
	return vals, false, nil
}

func (x *execCtx) loopRows(p *joinPlan, st *joinStep, try func([]any) error) error {
	if !st.built {
		if err := x.buildHash(p, st); err != nil {
			return err
		}
	}
	for _, r := range st.buffer {
		if err := try(r); err != nil {
			return err
		}
	}
	return nil
}

// buildHash reads a step's unit once, keeps the rows that pass its own
// conditions, and hashes them on the build keys (if any).
func (x *execCtx) buildHash(p *joinPlan, st *joinStep) error {
	st.built = true
	st.dense, st.denseOne, st.denseHas = nil, nil, nil // a rebuild starts afresh
	scratch := make(engine.Row, p.js.width)
	ec := x.newEval(p.js.ti(), "ON")
	ec.row = scratch
	clause := "WHERE"
	if st.outer {
		clause = "ON"
	}
	st.localFn = x.compileConds(p.js, ec, st.local, clause)
	var buildFn []valueFn
	for _, e := range st.buildKeys {
		buildFn = append(buildFn, compileValue(p.js, ec, e, clause))
	}
	st.buildFn, st.scratch = buildFn, scratch
	kv := make([]any, len(st.buildKeys))
	if st.method == "hash" {
		st.hashed = map[string][][]any{}
		st.intHashed = map[int64][][]any{}
	}
	var key []byte
	add := func(vals []any) error {
		for k, pos := range st.positions {
			scratch[pos] = vals[k]
		}
		ok, err := allConds(st.localFn)
		if err != nil || !ok {
			return err
		}
		if st.method != "hash" {
			st.buffer = append(st.buffer, vals)
			return nil
		}
		for k, f := range buildFn {
			v, err := f()
			if err != nil {
				return err
			}
			if v == nil {
				return nil
			}
			kv[k] = v
		}
		if st.spill != nil {
			key = hashKey(key[:0], kv)
			return st.spill.addBuild(key, vals)
		}
		if st.memBytes += rowBytes(vals); st.memBytes > x.s.memBudget {
			return errSpillBuild
		}
		if i, ok := intKey(kv); ok {
			st.intHashed[i] = append(st.intHashed[i], vals)
		} else {
			key = hashKey(key[:0], kv)
			st.hashed[string(key)] = append(st.hashed[string(key)], vals)
		}
		return nil
	}
	fill := func() error {
		switch {
		case st.sub != nil:
			sub := st.sub
			ti := p.js.ti()
			return x.runJoin(sub, ti, func(row engine.Row) (bool, error) {
				vals := make([]any, len(st.positions))
				for k, pos := range st.positions {
					vals[k] = row[pos]
				}
				return true, add(vals)
			})
		case st.src.ti == nil:
			for _, r := range st.src.rows {
				if err := add(r); err != nil {
					return err
				}
			}
			return nil
		default:
			path := st.path
			if path == nil {
				path = &accessPath{kind: accessAll}
			}
			// The build keeps its rows (no reuse); its local conditions
			// drop a row before it is kept, so they may drop it earlier.
			return x.readRows(st.src.ti, path, x.readOptions(p, st, st.local, clause, false), func(r engine.Row) error { return add(r) })
		}
	}
	err := fill()
	if err == errSpillBuild {
		// Over budget: read the build side again into partition files.
		st.hashed, st.intHashed, st.memBytes = nil, nil, 0
		if st.spill, err = newJoinSpill(x, st); err == nil {
			if err = fill(); err == nil {
				err = st.spill.endBuild()
			}
		}
	}
	if err != nil {
		return err
	}
	st.densify()
	return nil
}

// densify turns an integer-keyed hash table whose keys fill most of
// their range (ids, say) into a slice indexed by key - min: a probe is
// then an index, not a hash lookup.
func (st *joinStep) densify() {
	if len(st.hashed) > 0 || len(st.intHashed) == 0 {
		return
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for k := range st.intHashed {
		lo, hi = min(lo, k), max(hi, k)
	}
	span := uint64(hi - lo)
	if hi-lo < 0 || span >= uint64(4*len(st.intHashed)+1024) {
		return
	}
	st.denseMin = lo
	w := len(st.positions)
	unique := true
	for _, rows := range st.intHashed {
		if len(rows) != 1 || len(rows[0]) != w {
			unique = false
			break
		}
	}
	if unique {
		st.denseOne = make([]any, (span+1)*uint64(w))
		st.denseHas = make([]bool, span+1)
		for k, rows := range st.intHashed {
			copy(st.denseOne[uint64(k-lo)*uint64(w):], rows[0])
			st.denseHas[k-lo] = true
		}
		st.intHashed = nil
		return
	}
	st.dense = make([][][]any, span+1)
	for k, rows := range st.intHashed {
		st.dense[k-lo] = rows
	}
	st.intHashed = nil
}

// readRows reads the rows of an access path for a join or a SELECT, which
// never write while they read: full scans stream (engine.Tx.ScanReadWith,
// narrowed by o), and so does a walk of an index given o.Ranges or
// o.OrderLost (engine/ixwalk.go); other paths ignore o.
func (x *execCtx) readRows(ti *tableInfo, p *accessPath, o engine.ReadOptions, fn func(engine.Row) error) error {
	return x.readRowsH(ti, p, o, func(_ engine.Handle, r engine.Row) (bool, error) {
		if err := fn(r); err != nil {
			return false, err
		}
		return true, nil
	})
}

// readRowsH is readRows for a caller that wants each row's handle, and
// may stop the read (fn returns false).
func (x *execCtx) readRowsH(ti *tableInfo, p *accessPath, o engine.ReadOptions, fn func(engine.Handle, engine.Row) (bool, error)) error {
	if p.kind == accessAll && p.scan.Index == "" || p.scan.Limit > 0 && (len(o.Ranges) > 0 || o.OrderLost != nil) && p.points == nil {
		n := 0
		return x.tx.ScanReadWith(ti.name, p.scan, o, func(h engine.Handle, r engine.Row) (bool, error) {
			if n++; n&4095 == 0 {
				if err := x.ctx.Err(); err != nil {
					return false, err
				}
			}
			x.shiftRead(ti.def, r) // timezone.go
			return fn(h, r)
		})
	}
	return x.scanRows(ti, p, fn)
}

// readOptions narrows a full scan of step st's table: only the columns
// the statement names are decoded, and conds (conditions on that table
// alone, each of which a row must pass, in the order allConds evaluates
// them) pre-filter rows in the engine.
// reuse: the caller copies what it keeps of a row.
func (x *execCtx) readOptions(p *joinPlan, st *joinStep, conds []ast.ExprNode, clause string, reuse bool) engine.ReadOptions {
	o := engine.ReadOptions{Reuse: reuse}
	if p.js.stmt != nil {
		o.Columns = neededColumns(p.js.stmt, st.src.cols)
	}
	// allConds stops at the first conjunct that is not true, NULL included.
	o.Ranges = x.scanRanges(p.js, conds, st.src.off, len(st.src.cols), clause, true)
	return o
}

// ti returns the combined tableInfo of the scope.
func (js *joinScope) ti() *tableInfo {
	if js.info == nil {
		def := &engine.TableDef{}
		for _, s := range js.srcs {
			def.Columns = append(def.Columns, s.cols...)
		}
		js.info = newTableInfo(def, "")
		js.info.alias = ""
		js.info.join = js
	}
	return js.info
}

// explainJoin returns EXPLAIN's rows for a joined SELECT, one per table in
// execution order.
func (x *execCtx) explainJoin(n *ast.SelectStmt, id int64, selectType string, next *int) ([][]any, error) {
	_, js, err := x.joinFrom(n)
	if err != nil {
		return nil, err
	}
	if _, err := x.joinFields(js, n.Fields); err != nil {
		return nil, err
	}
	p, err := x.planJoin(js, n.Where)
	if err != nil {
		return nil, err
	}
	// The derived tables, numbered as written, each followed by its own
	// (nested) ones; their rows come after this SELECT's, which is then
	// the PRIMARY one.
	derivedNum := map[string]int{}
	var derivedRows [][]any
	for _, ts := range derivedSources(n.From.TableRefs, nil) {
		num := *next
		*next++
		derivedNum[strings.ToLower(ts.AsName.O)] = num
		rows, err := x.explainDerived(ts.Source.(ast.StmtNode), num, next)
		if err != nil {
			return nil, err
		}
		derivedRows = append(derivedRows, rows...)
	}
	if len(derivedNum) > 0 && selectType == "SIMPLE" {
		selectType = "PRIMARY"
	}
	var out [][]any
	var add func(p *joinPlan)
	add = func(p *joinPlan) {
		for _, st := range p.steps {
			if st.sub != nil {
				add(st.sub)
				continue
			}
			table := any(st.src.alias)
			if st.src.ti == nil {
				table = fmt.Sprintf("<derived%d>", derivedNum[strings.ToLower(st.src.alias)])
			}
			var possible, key, keyLen, ref, extra any
			typ := "ALL"
			var extras []string
			if st.path != nil && len(st.path.possible) > 0 {
				possible = strings.Join(st.path.possible, ",")
			}
			switch st.method {
			case "scan", "hash", "loop":
				if st.path != nil && st.src.ti != nil {
					typ = st.path.kind
					if st.path.index != "" {
						key = st.path.index
						if st.path.kind != "index" {
							keyLen = fmt.Sprint(keyBytes(st.src.ti, st.path.index, st.path.keyCols))
						}
						if st.path.kind == accessRef || st.path.kind == accessConst {
							ref = strings.TrimSuffix(strings.Repeat("const,", st.path.keyCols), ",")
						}
					}
				}
			case "eq_ref", "ref":
				typ = st.method
				key = st.index
				if possible == nil {
					possible = st.index
				} else if !strings.Contains(","+possible.(string)+",", ","+st.index+",") {
					possible = possible.(string) + "," + st.index
				}
				var refs []string
				for k := range st.keyCols {
					refs = append(refs, refText(x, st.probe[k]))
				}
				keyLen = fmt.Sprint(keyBytes(st.src.ti, st.index, len(st.keyCols)))
				ref = strings.Join(refs, ",")
			}
			switch st.method {
			case "hash":
				extras = append(extras, "Using join buffer (hash join)")
			case "loop":
				extras = append(extras, "Using join buffer (Block Nested Loop)")
			}
			if len(st.filters) > 0 || len(st.on) > 0 || len(st.local) > 0 {
				if !(st.method == "eq_ref" && len(st.filters) <= len(st.keyCols) && len(st.on) == 0) {
					extras = append([]string{"Using where"}, extras...)
				}
			}
			if len(extras) > 0 {
				extra = strings.Join(extras, "; ")
			}
			out = append(out, []any{id, selectType, table, typ, possible, key, keyLen, ref, int64(math.Max(1, math.Round(st.rows))), extra})
		}
	}
	add(p)
	return append(out, derivedRows...), nil
}

// derivedSources appends the derived tables of a FROM clause to out in
// the order they are written.
func derivedSources(n ast.ResultSetNode, out []*ast.TableSource) []*ast.TableSource {
	switch t := n.(type) {
	case *ast.Join:
		out = derivedSources(t.Left, out)
		if t.Right != nil {
			out = derivedSources(t.Right, out)
		}
	case *ast.TableSource:
		switch t.Source.(type) {
		case *ast.Join:
			out = derivedSources(t.Source, out)
		case *ast.SelectStmt, *ast.SetOprStmt:
			out = append(out, t)
		}
	}
	return out
}

func refText(x *execCtx, e ast.ExprNode) string {
	if cn, ok := unparen(e).(*ast.ColumnNameExpr); ok {
		return x.s.DBName + "." + columnText(cn.Name)
	}
	return "func"
}
