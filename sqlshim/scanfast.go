package sqlshim

import (
	"math"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// Cheaper full scans for SELECT: what a statement needs from each row is
// worked out once, before the scan, so that the engine decodes only the
// columns the statement names (engine.ReadOptions.Columns), skips rows
// that a simple WHERE/ON conjunct rejects before decoding them at all
// (engine.ReadOptions.Ranges), and the conditions themselves run as
// compiled comparisons (compileCond) instead of walking the expression
// tree and resolving column names on every row.

// condScope resolves a column name of a condition to a position of the
// row buffer the compiled condition reads: the one table's row, or a
// join's combined row.
type condScope interface {
	// position returns the row position of n, or -1 when n is not a
	// plain column of the scope (then the condition is evaluated in
	// full, which knows about outer references, USING columns, etc.).
	position(n *ast.ColumnName, clause string) int
	// columnAt describes the column at a row position.
	columnAt(pos int) *engine.Column
}

func (js *joinScope) position(n *ast.ColumnName, clause string) int {
	ref, err := js.resolve(n, js.all(), clause)
	if err != nil || len(ref) != 1 {
		return -1
	}
	return ref[0]
}

func (js *joinScope) columnAt(pos int) *engine.Column {
	s := js.sourceAt(pos)
	return &s.cols[pos-s.off]
}

// tableScope is a condScope over one table's rows, resolving names the way
// evalCtx.column does for a table without a join.
type tableScope struct{ ti *tableInfo }

func (ts tableScope) position(n *ast.ColumnName, _ string) int {
	if n.Schema.L != "" || (n.Table.L != "" && n.Table.L != strings.ToLower(ts.ti.alias)) {
		return -1
	}
	return ts.ti.column(n.Name.O)
}

func (ts tableScope) columnAt(pos int) *engine.Column { return &ts.ti.def.Columns[pos] }

// columnConstant evaluates n once if it is a constant, for comparison with
// column c: a string compared with a DATE/DATETIME/TIMESTAMP column is
// parsed as a time here rather than on every row (compareValues would
// parse it the same way each time). ok is false for non-constants and
// NULL.
func (x *execCtx) columnConstant(c *engine.Column, n ast.ExprNode, clause string) (any, bool) {
	if !isConstant(n) {
		return nil, false
	}
	cc := x.newEval(nil, clause)
	warned := false // evaluated per row, it would warn per row: leave it to eval
	cc.warn = func(int, string, ...any) { warned = true }
	v, err := cc.eval(n)
	if err != nil || v == nil || warned {
		return nil, false
	}
	if num, ok := numericLiteral(unparen(n), v); ok && numberColumn(c) {
		return num, true // i = 0x03 and b = b'11' compare numbers, as in eval
	}
	if c.Type.IsTime() {
		if str, ok := v.(string); ok {
			if t, ok := parseTime(str); ok {
				return t, true
			}
		}
	}
	switch c.Type {
	case engine.TypeYear:
		return asYear(c, v), true // y = 99 is y = 1999, as in eval
	case engine.TypeTime:
		if str, ok := v.(string); ok {
			if d, ok := engine.ParseTime(str); ok {
				return d, true
			}
		}
	}
	return v, true
}

// numberColumn reports whether c's values compare as numbers with a 0x...
// or b'...' literal: numeric, BIT and YEAR columns.
func numberColumn(c *engine.Column) bool {
	return c.Type.IsNumeric() || c.Type == engine.TypeBit || c.Type == engine.TypeYear
}

// neededColumns marks the columns of cols that stmt may read: every column
// whose name appears anywhere in the statement (any qualifier, subqueries
// included, so a correlated subquery's reference to this row counts). It
// returns nil (read everything) when the statement has a wildcard or a
// NATURAL join, whose columns are not spelled out. Matching by bare name
// over-approximates, which only costs decoding a column for nothing.
func neededColumns(stmt ast.Node, cols []engine.Column) []bool {
	v := &nameCollector{names: map[string]bool{}}
	stmt.Accept(v)
	if v.all {
		return nil
	}
	need := make([]bool, len(cols))
	for i, c := range cols {
		need[i] = v.names[strings.ToLower(c.Name)]
	}
	return need
}

type nameCollector struct {
	names map[string]bool
	all   bool
}

func (v *nameCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ColumnName:
		v.names[x.Name.L] = true
	case *ast.ColumnNameExpr:
		v.names[x.Name.Name.L] = true
	case *ast.SelectField:
		if x.WildCard != nil {
			v.all = true
		}
	case *ast.Join:
		if x.NaturalJoin {
			v.all = true
		}
		for _, c := range x.Using {
			v.names[c.Name.L] = true
		}
	case *ast.DefaultExpr:
		if x.Name != nil {
			v.names[x.Name.Name.L] = true
		}
	}
	return n, false
}

func (v *nameCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// scanRanges turns the conjuncts among conds that compare a column of
// table (through sc; positions from off on are the table's columns) with
// constants into pre-filters for the engine: a row outside a range fails
// that conjunct (NULL included), so skipping it early changes nothing.
// Only signed integer columns against integer constants and time columns
// against times (or strings that parse as times) qualify: their stored
// form compares as a plain int64.
//
// Skipping a row must also skip nothing observable: the conjuncts before
// the one pushed down must have a fast form (they never warn or fail, so
// not evaluating them is invisible). With nullStops false (a one-table
// WHERE, evaluated as eval evaluates AND: past a NULL conjunct), so must
// every conjunct after it, unless its column is NOT NULL.
func (x *execCtx) scanRanges(sc condScope, conds []ast.ExprNode, off, width int, clause string, nullStops bool) []engine.ColumnRange {
	var out []engine.ColumnRange
	dummy := x.newEval(nil, clause) // fastCond only compiles: no row is read
	fast := make([]bool, len(conds)+1)
	fast[len(conds)] = true
	for i, e := range conds {
		fast[i] = x.fastCond(sc, dummy, e, clause) != nil
	}
	suffix := make([]bool, len(conds)+1) // suffix[i]: conds[i:] all fast
	suffix[len(conds)] = true
	for i := len(conds) - 1; i >= 0; i-- {
		suffix[i] = fast[i] && suffix[i+1]
	}
	prefix := true // conds[:i] all fast
	push := func(i int, c *engine.Column) bool {
		return nullStops || suffix[i+1] || c.NotNull
	}
	column := func(e ast.ExprNode) (int, *engine.Column) {
		cn, ok := unparen(e).(*ast.ColumnNameExpr)
		if !ok {
			return -1, nil
		}
		pos := sc.position(cn.Name, clause)
		if pos < off || pos >= off+width {
			return -1, nil
		}
		c := sc.columnAt(pos)
		if !(c.Type.IsInteger() && !c.Unsigned) && !c.Type.IsTime() {
			return -1, nil
		}
		return pos - off, c
	}
	// bound returns a constant as the stored int64, rounded toward the
	// inside of the range (up for a lower bound) for times finer than a
	// microsecond.
	bound := func(c *engine.Column, e ast.ExprNode, up bool) (int64, bool) {
		v, ok := x.columnConstant(c, e, clause)
		if !ok {
			return 0, false
		}
		switch k := x.storedKey(c, v).(type) { // the engine compares stored values (timezone.go)
		case int64:
			return k, c.Type.IsInteger()
		case time.Time:
			if !c.Type.IsTime() {
				return 0, false
			}
			us := k.UnixMicro() // truncated toward zero: make it the floor
			if time.UnixMicro(us).After(k) {
				us--
			}
			if up && time.UnixMicro(us).Before(k) {
				us++
			}
			return us, true
		}
		return 0, false
	}
	for i, e := range conds {
		if !prefix {
			break
		}
		prefix = fast[i]
		switch c := unparen(e).(type) {
		case *ast.BetweenExpr:
			if c.Not {
				continue
			}
			col, def := column(c.Expr)
			if col < 0 {
				continue
			}
			lo, ok1 := bound(def, c.Left, true)
			hi, ok2 := bound(def, c.Right, false)
			if ok1 && ok2 && push(i, def) {
				out = append(out, engine.ColumnRange{Col: col, Lo: lo, Hi: hi})
			}
		case *ast.BinaryOperationExpr:
			op := c.Op
			col, def := column(c.L)
			other := c.R
			if col < 0 {
				col, def = column(c.R)
				other = c.L
				op = mirrorOp(op) // k op col is col op' k
			}
			if col < 0 {
				continue
			}
			rg := engine.ColumnRange{Col: col, Lo: math.MinInt64, Hi: math.MaxInt64}
			var ok bool
			switch op {
			case opcode.EQ:
				if rg.Lo, ok = bound(def, other, true); ok {
					rg.Hi, ok = bound(def, other, false)
				}
			case opcode.GE:
				rg.Lo, ok = bound(def, other, true)
			case opcode.LE:
				rg.Hi, ok = bound(def, other, false)
			case opcode.GT:
				var k int64
				// k itself fails; for a time finer than a microsecond
				// the rounded-up bound already lies above it.
				if k, ok = bound(def, other, false); ok {
					if ok = k < math.MaxInt64; ok {
						rg.Lo = k + 1
					}
				}
			case opcode.LT:
				var k int64
				if k, ok = bound(def, other, true); ok {
					if ok = k > math.MinInt64; ok {
						rg.Hi = k - 1
					}
				}
			}
			if ok && push(i, def) {
				out = append(out, rg)
			}
		}
	}
	return out
}

// whereConds is a one-table WHERE split into its conjuncts, each compiled
// when it has a fast form (fastCond). pass evaluates them in order the
// way eval evaluates the AND of them: it stops at the first conjunct that
// is false, but goes on past one that is NULL (the rest may still make
// the whole false, and eval would evaluate them, with their warnings and
// errors).
type whereConds struct {
	ec    *evalCtx
	conds []ast.ExprNode
	fast  []condFn // nil where there is none
	pure  []bool   // pure[i]: every conjunct from i on has a fast form
}

func (x *execCtx) compileWhere(sc condScope, ec *evalCtx, where ast.ExprNode) *whereConds {
	w := &whereConds{ec: ec, conds: conjuncts(where)}
	w.fast = make([]condFn, len(w.conds))
	w.pure = make([]bool, len(w.conds)+1)
	w.pure[len(w.conds)] = true
	for i, e := range w.conds {
		w.fast[i] = x.fastCond(sc, ec, e, "WHERE")
	}
	for i := len(w.conds) - 1; i >= 0; i-- {
		w.pure[i] = w.fast[i] != nil && w.pure[i+1]
	}
	return w
}

// pass reports whether the row in ec.row satisfies the WHERE clause.
func (w *whereConds) pass() (bool, error) {
	ok := true
	for i, e := range w.conds {
		if f := w.fast[i]; f != nil {
			b, err := f()
			if err != nil {
				return false, err
			}
			if b {
				continue
			}
			if w.pure[i+1] {
				return false, nil // the rest cannot warn or fail: no need to tell false from NULL
			}
		}
		w.ec.clause = "WHERE"
		v, err := w.ec.eval(e)
		if err != nil {
			return false, err
		}
		b, known := truthy(v)
		if known && !b {
			return false, nil
		}
		ok = ok && b
	}
	return ok, nil
}
