package sqlshim

import (
	"sort"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Planning is deliberately simple, and always safe: the access path only
// narrows the rows read, and WHERE is evaluated in full on every row read.
//
//   - equality on every primary-key column: a hash lookup (engine Get);
//   - otherwise equality on a prefix of an index's columns, optionally
//     followed by a range on the next column: a Scan of that index (the
//     primary key's ordered index counts as an index named PRIMARY);
//   - otherwise a full scan in data-file order.
//
// A constant takes part in a key only if converting it to the column's
// type keeps its value (id = 1.5 on an INT column does not use the key).
// USE INDEX limits the candidate indexes, IGNORE INDEX removes some, and
// FORCE INDEX makes a full scan the last resort.

// accessKind names the access paths, with EXPLAIN's words.
const (
	accessConst = "const" // primary-key lookup
	accessRef   = "ref"   // equality on an index prefix
	accessRange = "range" // range on an index
	accessAll   = "ALL"   // full scan
)

// accessPath is how a statement reads its table.
type accessPath struct {
	kind     string
	index    string      // "PRIMARY" or a secondary index; "" for a full scan
	pk       []any       // accessConst: the primary key
	scan     engine.Scan // accessRef, accessRange, accessAll
	possible []string    // indexes the WHERE clause could use
	keyCols  int         // columns of the key used
	// points: col IN (...) on a column of the key's equality prefix reads
	// one key prefix a value (accessRange; scan is then a full scan, the
	// safe reading of a caller that does not know points). pkPoints: each
	// is a whole primary key, read by a lookup.
	points   [][]any
	pkPoints bool
}

// colBounds collects what WHERE says about one column.
type colBounds struct {
	eq       any
	hasEq    bool
	lo, hi   any
	loIncl   bool
	hiIncl   bool
	hasLo    bool
	hasHi    bool
	eqSource bool
	in       []any // col IN (constants, ...): each converted as eq is
}

// planAccess chooses the access path for ti under where and the table's
// index hints.
func (x *execCtx) planAccess(ti *tableInfo, where ast.ExprNode, hints []*ast.IndexHint) (*accessPath, error) {
	allowed, force, err := x.allowedIndexes(ti, hints)
	if err != nil {
		return nil, err
	}
	full := &accessPath{kind: accessAll}
	if where == nil {
		if force && len(allowed) > 0 {
			// FORCE INDEX with no condition: read in that index's order.
			for name := range allowed {
				full.kind, full.index, full.scan = "index", name, engine.Scan{Index: name}
				break
			}
		}
		return full, nil
	}
	bounds := map[int]*colBounds{}
	// ec evaluates the constants, which name no column of ti; cc works
	// out the collation a comparison is made under, which depends on
	// ti's column (without ti, every text column looked utf8mb4_bin and
	// no index over a collated column was ever used).
	ec, cc := x.newEval(nil, "WHERE"), x.newEval(ti, "WHERE")
	for _, c := range conjuncts(where) {
		x.collectBounds(ti, ec, cc, c, bounds)
	}
	get := func(i int) *colBounds { return bounds[i] }

	// Candidate indexes: PRIMARY then secondaries, in definition order.
	type cand struct {
		name   string
		cols   []string
		unique bool
	}
	var cands []cand
	if len(ti.def.PrimaryKey) > 0 {
		cands = append(cands, cand{"PRIMARY", ti.def.PrimaryKey, true})
	}
	for _, ix := range ti.def.Indexes {
		if !ix.Hidden { // MariaDB has none: EXPLAIN would name it
			cands = append(cands, cand{ix.Name, ix.Columns, ix.Unique})
		}
	}
	var best *accessPath
	bestScore := 0
	var possible []string
	for _, cd := range cands {
		if allowed != nil && !allowed[strings.ToLower(cd.name)] {
			continue
		}
		var eqVals []any
		var rangeB *colBounds
		inAt := -1 // the key column read by an IN list, if any
		var inVals []any
		for _, cn := range cd.cols {
			b := get(ti.column(cn))
			if b == nil {
				break
			}
			if b.hasEq {
				eqVals = append(eqVals, b.eq)
				continue
			}
			if b.in != nil && inAt < 0 {
				inAt, inVals = len(eqVals), b.in
				eqVals = append(eqVals, nil) // each value in turn
				continue
			}
			if (b.hasLo || b.hasHi) && inAt < 0 {
				rangeB = b
			}
			break
		}
		if len(eqVals) == 0 && rangeB == nil {
			continue
		}
		possible = append(possible, cd.name)
		score := 2 * len(eqVals)
		if rangeB != nil {
			score++
		}
		if cd.unique && len(eqVals) == len(cd.cols) {
			score += 100
			if inAt >= 0 {
				score -= 50 // a lookup a value: after a single one
			}
		}
		if score <= bestScore {
			continue
		}
		bestScore = score
		p := &accessPath{index: cd.name, keyCols: len(eqVals)}
		if inAt >= 0 {
			p.kind, p.pkPoints = accessRange, cd.name == "PRIMARY" && len(eqVals) == len(cd.cols)
			for _, v := range inVals {
				pt := append([]any(nil), eqVals...)
				pt[inAt] = v
				p.points = append(p.points, pt)
			}
			best = p
			continue
		}
		if cd.name == "PRIMARY" && len(eqVals) == len(cd.cols) {
			p.kind, p.pk = accessConst, eqVals
		} else if rangeB == nil {
			p.kind = accessRef
			p.scan = engine.Scan{Index: cd.name, Lo: engine.Bound{Values: eqVals, Inclusive: true}, Hi: engine.Bound{Values: eqVals, Inclusive: true}}
		} else {
			p.kind = accessRange
			p.keyCols++
			lo := engine.Bound{Values: eqVals, Inclusive: true}
			hi := engine.Bound{Values: eqVals, Inclusive: true}
			if rangeB.hasLo {
				lo = engine.Bound{Values: append(append([]any{}, eqVals...), rangeB.lo), Inclusive: rangeB.loIncl}
			}
			if rangeB.hasHi {
				hi = engine.Bound{Values: append(append([]any{}, eqVals...), rangeB.hi), Inclusive: rangeB.hiIncl}
			}
			if len(eqVals) == 0 {
				if !rangeB.hasLo {
					lo = engine.Bound{}
				}
				if !rangeB.hasHi {
					hi = engine.Bound{}
				}
			}
			p.scan = engine.Scan{Index: cd.name, Lo: lo, Hi: hi}
		}
		best = p
	}
	if best == nil {
		if force && len(allowed) > 0 {
			for _, cd := range cands {
				if allowed[strings.ToLower(cd.name)] {
					full.kind, full.index, full.scan = "index", cd.name, engine.Scan{Index: cd.name}
					break
				}
			}
		}
		full.possible = possible
		return full, nil
	}
	best.possible = possible
	return best, nil
}

// allowedIndexes applies index hints: nil means every index.
func (x *execCtx) allowedIndexes(ti *tableInfo, hints []*ast.IndexHint) (map[string]bool, bool, error) {
	if len(hints) == 0 {
		return nil, false, nil
	}
	all := map[string]bool{}
	if len(ti.def.PrimaryKey) > 0 {
		all["primary"] = true
	}
	for _, ix := range ti.def.Indexes {
		if !ix.Hidden {
			all[strings.ToLower(ix.Name)] = true
		}
	}
	var allowed map[string]bool
	force := false
	ignored := map[string]bool{}
	for _, h := range hints {
		for _, n := range h.IndexNames {
			if !all[n.L] {
				return nil, false, errf(errNoSuchIndex, "Key '%s' doesn't exist in table '%s'", n.O, ti.name)
			}
		}
		switch h.HintType {
		case ast.HintUse, ast.HintForce:
			if h.HintType == ast.HintForce {
				force = true
			}
			if allowed == nil {
				allowed = map[string]bool{}
			}
			for _, n := range h.IndexNames {
				allowed[n.L] = true
			}
		case ast.HintIgnore:
			for _, n := range h.IndexNames {
				ignored[n.L] = true
			}
		}
	}
	if allowed == nil {
		allowed = map[string]bool{}
		for k := range all {
			allowed[k] = true
		}
	}
	for k := range ignored {
		delete(allowed, k)
	}
	return allowed, force, nil
}

// conjuncts splits e at its top-level ANDs.
func conjuncts(e ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicAnd {
			return append(conjuncts(x.L), conjuncts(x.R)...)
		}
	case *ast.ParenthesesExpr:
		return conjuncts(x.Expr)
	}
	return []ast.ExprNode{e}
}

// isConstant reports whether e refers to no column and no aggregate.
// mirrorOp returns the comparison that holds with its operands swapped:
// k < col is col > k.
func mirrorOp(op opcode.Op) opcode.Op {
	switch op {
	case opcode.LT:
		return opcode.GT
	case opcode.LE:
		return opcode.GE
	case opcode.GT:
		return opcode.LT
	case opcode.GE:
		return opcode.LE
	}
	return op
}

// volatileCall reports whether a function call gives a different value at
// each evaluation (so an expression holding it is never a constant).
func volatileCall(x *ast.FuncCallExpr) bool {
	return x.FnName.L == "rand" || x.FnName.L == "uuid" || x.FnName.L == "last_insert_id"
}

func isConstant(e ast.ExprNode) bool {
	f := &constFinder{ok: true}
	e.Accept(f)
	return f.ok
}

type constFinder struct{ ok bool }

func (f *constFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ColumnNameExpr, *ast.AggregateFuncExpr, *ast.ValuesExpr, *ast.DefaultExpr, *ast.SubqueryExpr, *ast.WindowFuncExpr:
		f.ok = false
		return n, true
	case *ast.FuncCallExpr:
		if volatileCall(x) {
			f.ok = false
			return n, true
		}
	}
	return n, false
}

func (f *constFinder) Leave(n ast.Node) (ast.Node, bool) { return n, f.ok }

// keyValue converts a constant to column col's stored type, and reports
// false when that would change its value (so the key cannot be used).
func keyValue(def *engine.TableDef, col *engine.Column, v any) (any, bool) {
	if v == nil {
		return nil, false
	}
	cv, err := engine.Coerce(col, v, 1)
	if err != nil || cv == nil {
		return nil, false
	}
	if compareValues(cv, v) != 0 {
		return nil, false
	}
	// A string key must match byte for byte, except for the trailing
	// spaces that PAD SPACE equality ('a' = 'a ') ignores where the keys
	// do (every table but those of key format 1: engine.TableDef.LegacyKeys).
	if cs, ok := cv.(string); ok {
		if s, ok := v.(string); !ok || cs != s || strings.HasSuffix(s, " ") && !def.KeyIgnoresTrailingSpaces(col) {
			return nil, false
		}
	}
	// A numeric column compared with a string compares as DOUBLE: keep
	// the scan.
	if _, ok := v.(string); ok && isNumeric(cv) {
		return nil, false
	}
	return cv, true
}

// textOrdered reports whether c is an ENUM or SET column: its index keys
// are in member order, while < and > compare its values as text, so only
// equality can use them.
func textOrdered(c *engine.Column) bool {
	return c.Type == engine.TypeEnum || c.Type == engine.TypeSet
}

// collectBounds records what the condition e says about single columns:
// ec evaluates its constants, cc (an evaluator over ti) tells the
// collation a comparison is made under.
func (x *execCtx) collectBounds(ti *tableInfo, ec, cc *evalCtx, e ast.ExprNode, bounds map[int]*colBounds) {
	colOf := func(n ast.ExprNode) int {
		for {
			p, ok := n.(*ast.ParenthesesExpr)
			if !ok {
				break
			}
			n = p.Expr
		}
		c, ok := n.(*ast.ColumnNameExpr)
		if !ok {
			return -1
		}
		if c.Name.Table.L != "" && c.Name.Table.L != strings.ToLower(ti.alias) {
			return -1
		}
		return ti.column(c.Name.Name.O)
	}
	value := func(i int, n ast.ExprNode) (any, bool) {
		if !isConstant(n) && !x.outerConstant(ti, n) {
			return nil, false
		}
		v, err := ec.eval(n)
		if err != nil {
			return nil, false
		}
		if col := &ti.def.Columns[i]; col.Type == engine.TypeYear && isConstant(n) {
			v = asYear(col, v) // y = 99 is y = 1999, as in eval
		}
		if num, ok := numericLiteral(unparen(n), v); ok && numberColumn(&ti.def.Columns[i]) {
			v = num // b = b'11' is b = 3, as in eval
		}
		kv, ok := keyValue(ti.def, &ti.def.Columns[i], v)
		return x.storedKey(&ti.def.Columns[i], kv), ok // timezone.go
	}
	b := func(i int) *colBounds {
		if bounds[i] == nil {
			bounds[i] = &colBounds{}
		}
		return bounds[i]
	}
	switch n := e.(type) {
	case *ast.ParenthesesExpr:
		x.collectBounds(ti, ec, cc, n.Expr, bounds)
	case *ast.BinaryOperationExpr:
		op := n.Op
		i, other := colOf(n.L), n.R
		if i < 0 {
			i, other = colOf(n.R), n.L
			op = mirrorOp(op) // k op col is col op' k
		}
		if i < 0 || !sameColl(cc, &ti.def.Columns[i], opText(n.Op), n.L, n.R) {
			return
		}
		v, ok := value(i, other)
		if !ok {
			return
		}
		if op != opcode.EQ && op != opcode.NullEQ && textOrdered(&ti.def.Columns[i]) {
			return
		}
		cb := b(i)
		coll := ti.def.Columns[i].Collation
		switch op {
		case opcode.EQ, opcode.NullEQ:
			cb.eq, cb.hasEq = v, true
		case opcode.GT, opcode.GE:
			if !cb.hasLo || cmpColl(v, cb.lo, coll) > 0 {
				cb.lo, cb.loIncl, cb.hasLo = v, op == opcode.GE, true
			}
		case opcode.LT, opcode.LE:
			if !cb.hasHi || cmpColl(v, cb.hi, coll) < 0 {
				cb.hi, cb.hiIncl, cb.hasHi = v, op == opcode.LE, true
			}
		}
	case *ast.BetweenExpr:
		if n.Not {
			return
		}
		i := colOf(n.Expr)
		if i < 0 || textOrdered(&ti.def.Columns[i]) || !sameColl(cc, &ti.def.Columns[i], "between", n.Expr, n.Left, n.Right) {
			return
		}
		lo, ok1 := value(i, n.Left)
		hi, ok2 := value(i, n.Right)
		if !ok1 || !ok2 {
			return
		}
		cb := b(i)
		cb.lo, cb.loIncl, cb.hasLo = lo, true, true
		cb.hi, cb.hiIncl, cb.hasHi = hi, true, true
	case *ast.PatternInExpr:
		if n.Not || n.Sel != nil || len(n.List) == 0 {
			return
		}
		i := colOf(n.Expr)
		if i < 0 {
			return
		}
		if len(n.List) == 1 {
			if !sameColl(cc, &ti.def.Columns[i], "in", n.Expr, n.List[0]) {
				return
			}
			if v, ok := value(i, n.List[0]); ok {
				cb := b(i)
				cb.eq, cb.hasEq = v, true
			}
			return
		}
		// col IN (a, b, ...): each value must make a key as col = a
		// would (NULLs match nothing); one that cannot keeps the scan.
		vals := make([]any, 0, len(n.List))
		for _, e := range n.List {
			if !sameColl(cc, &ti.def.Columns[i], "in", n.Expr, e) {
				return
			}
			if ve, ok := e.(*test_driver.ValueExpr); ok && ve.Datum.GetValue() == nil {
				continue
			}
			v, ok := value(i, e)
			if !ok {
				return
			}
			vals = append(vals, v)
		}
		if cb := b(i); cb.in == nil {
			cb.in = sortedKeys(vals, ti.def.Columns[i].Coll())
		}
	}
}

// scanRows reads the rows of the access path, calling fn for each until
// it returns false or an error.
func (x *execCtx) scanRows(ti *tableInfo, p *accessPath, fn func(h engine.Handle, row engine.Row) (bool, error)) error {
	if p.points != nil {
		return x.scanPoints(ti, p, fn)
	}
	if p.kind == accessConst {
		h, row, ok, err := x.tx.Get(ti.name, p.pk)
		if err != nil || !ok {
			return err
		}
		x.shiftRead(ti.def, row) // timezone.go
		_, err = fn(h, row)
		return err
	}
	return x.tx.Scan(ti.name, p.scan, func(h engine.Handle, row engine.Row) (bool, error) {
		if err := x.ctx.Err(); err != nil {
			return false, err
		}
		x.shiftRead(ti.def, row)
		return fn(h, row)
	})
}

// scanPoints reads the key prefixes of an IN list (p.points) in key
// order, each row once (two values equal under a _ci collation find the
// same rows).
func (x *execCtx) scanPoints(ti *tableInfo, p *accessPath, fn func(h engine.Handle, row engine.Row) (bool, error)) error {
	seen := make(map[engine.Handle]struct{}, len(p.points))
	more := true
	each := func(h engine.Handle, row engine.Row) (bool, error) {
		if _, dup := seen[h]; dup {
			return true, nil
		}
		seen[h] = struct{}{}
		x.shiftRead(ti.def, row) // timezone.go
		var err error
		more, err = fn(h, row)
		return more, err
	}
	for _, pt := range p.points {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		if p.pkPoints {
			h, row, ok, err := x.tx.Get(ti.name, pt)
			if err != nil {
				return err
			}
			if ok {
				if _, err := each(h, row); err != nil {
					return err
				}
			}
		} else {
			b := engine.Bound{Values: pt, Inclusive: true}
			if err := x.tx.Scan(ti.name, engine.Scan{Index: p.index, Lo: b, Hi: b}, each); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
	return nil
}

// sortedKeys returns the distinct values of vals (key values of one
// column) in the column's order under coll.
func sortedKeys(vals []any, c *collate.Collation) []any {
	sort.SliceStable(vals, func(i, j int) bool { return cmpColl(vals[i], vals[j], c) < 0 })
	out := vals[:0]
	for i, v := range vals {
		if i > 0 && cmpColl(v, out[len(out)-1], c) == 0 {
			continue
		}
		out = append(out, v)
	}
	return out
}
