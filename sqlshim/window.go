package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// This file holds the window functions: ROW_NUMBER, RANK, DENSE_RANK,
// PERCENT_RANK, CUME_DIST, NTILE, LAG, LEAD, FIRST_VALUE, LAST_VALUE,
// NTH_VALUE and the aggregates (COUNT, SUM, AVG, MIN, MAX, the variances)
// OVER (PARTITION BY ... ORDER BY ... [frame]) or OVER a named window of
// the WINDOW clause, as MariaDB 10.11 computes them.
//
// A SELECT with window functions (selectStmt) reads, joins, groups and
// filters (WHERE, GROUP BY, HAVING) its rows as any other, but instead of
// turning each row or group into an output row it captures it as a
// record: every window function's argument values, every window's sort
// keys, the group's aggregate values and the row itself. The records go
// through one sort per distinct window (PARTITION BY then ORDER BY: the
// ORDER BY sort of sort_spill.go, which spills past the memory budget);
// read back in that order, each partition is held in memory, the
// functions of that window are computed for its rows, and the records
// move on to the next window's sort. After the last one each record is
// turned into its output row with the window values in place, and only
// then do the query's ORDER BY, DISTINCT and LIMIT apply. Without ORDER
// BY the rows come out in the last window's order.
//
// A partition is the one thing held whole: one larger than the memory
// budget (blitz_memory_budget) fails the statement with error 1038
// rather than growing without bound.

// MariaDB's error numbers for window functions; part of the protocol.
const (
	errWindowUndefined     = 4009 // Window specification with name '%s' is not defined
	errWindowDuplicate     = 4010 // Multiple window specifications with the same name '%s'
	errWindowRefPartition  = 4011 // Window specification referencing another one '%s' cannot contain partition list
	errWindowRefOrder      = 4012 // Referenced window specification '%s' already contains order list
	errWindowRefFrame      = 4013 // Referenced window specification '%s' cannot contain window frame
	errWindowBounds        = 4014 // Unacceptable combination of window frame bound specifications
	errWindowPlace         = 4015 // Window function is allowed only in SELECT list and ORDER BY clause
	errWindowFrameNotAllow = 4017 // Window frame is not allowed with '%s'
	errWindowNoOrder       = 4018 // No order list in window specification for '%s'
	errWindowRangeKeys     = 4019 // RANGE-type frame requires ORDER BY clause with single sort key
	errWindowRowsInteger   = 4020 // Integer is required for ROWS-type frame
	errWindowRangeNumeric  = 4021 // Numeric datatype is required for RANGE-type frame
	errWindowNtile         = 4024 // Argument of NTILE must be greater than 0
	errWindowInAggregate   = 4074 // Window functions can not be used as arguments to group functions.
	errOutOfSortMemory     = 1038 // Out of sort memory (SQLSTATE HY001)
)

func errWindowNotYet(what string) error {
	return newErr(sqlerr.ErrNotSupported, "This version of MariaDB doesn't yet support '%s'", what)
}

func errWindowMisplaced() error {
	return errf(errWindowPlace, "Window function is allowed only in SELECT list and ORDER BY clause")
}

// windowFinder collects the window function calls of expressions (not
// those of subqueries, which are theirs) and refuses the nestings MariaDB
// refuses: a window function among the arguments of an aggregate or of
// another window function (4074), or in a window's PARTITION BY or ORDER
// BY (4015).
type windowFinder struct {
	calls []*ast.WindowFuncExpr
	inArg int // depth inside aggregate or window function arguments
	inWin int // depth inside window specifications
	err   error
}

func (f *windowFinder) Enter(n ast.Node) (ast.Node, bool) {
	if f.err != nil {
		return n, true
	}
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.WindowFuncExpr:
		switch {
		case f.inArg > 0:
			f.err = errf(errWindowInAggregate, "Window functions can not be used as arguments to group functions.")
			return n, true
		case f.inWin > 0:
			f.err = errWindowMisplaced()
			return n, true
		}
		f.calls = append(f.calls, x)
		f.inArg++
		for _, a := range x.Args {
			a.Accept(f)
		}
		f.inArg--
		f.inWin++
		x.Spec.Accept(f)
		f.inWin--
		return n, true
	case *ast.AggregateFuncExpr:
		f.inArg++
		for _, a := range x.Args {
			a.Accept(f)
		}
		f.inArg--
		return n, true
	}
	return n, false
}

func (f *windowFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// findWindows returns the window function calls of e.
func findWindows(e ast.Node) ([]*ast.WindowFuncExpr, error) {
	if e == nil {
		return nil, nil
	}
	f := &windowFinder{}
	e.Accept(f)
	return f.calls, f.err
}

// windowPlan is how one SELECT computes its window functions. A record
// is laid out as: the functions' results (one each, in funcs order), the
// functions' argument values, each window's sort keys, the values of the
// query's aggregates, then the row.
type windowPlan struct {
	funcs   []*winFunc
	index   map[*ast.WindowFuncExpr]int
	specs   []*winSpec
	aggs    []*ast.AggregateFuncExpr // the query's aggregates, saved with each group
	grouped bool
	aggOff  int
	fixed   int // where the row starts
}

// winSpec is one window after names are resolved: the functions sharing
// its PARTITION BY and ORDER BY share its sort.
type winSpec struct {
	partition []ast.ExprNode
	order     []*ast.ByItem
	items     []*ast.ByItem // the sort: partition (ascending), then order
	keyOff    int           // the record offset of its sort keys
	funcs     []*winFunc
	numeric   bool // a function has a RANGE frame with an offset: the ORDER BY key must be a number
}

// winFunc is one window function call.
type winFunc struct {
	call   *ast.WindowFuncExpr
	name   string // lower case
	slot   int    // its result's record offset
	argOff int    // its arguments' record offset
	nargs  int
	frame  winFrame
	agg    *ast.AggregateFuncExpr // an aggregate: the same call reading its arguments from the record
}

// winFrame is a function's frame: ROWS (positions) or RANGE (values of
// the one ORDER BY key; CURRENT ROW: the row's peers).
type winFrame struct {
	rows       bool
	start, end winBound
}

type winBound struct {
	typ       ast.BoundType // ast.Preceding, ast.Following or ast.CurrentRow
	unbounded bool
	off       any // the offset: an int64 for ROWS, a number for RANGE
}

// Which functions take what (MariaDB's rules).
var (
	windowRanking = map[string]bool{"row_number": true, "rank": true, "dense_rank": true,
		"percent_rank": true, "cume_dist": true, "ntile": true} // no frame (4017)
	windowNeedsOrder = map[string]bool{"rank": true, "dense_rank": true, "percent_rank": true,
		"cume_dist": true, "lag": true, "lead": true} // ORDER BY required (4018)
	windowAggregates = map[string]bool{ast.AggFuncCount: true, ast.AggFuncSum: true, ast.AggFuncAvg: true,
		ast.AggFuncMin: true, ast.AggFuncMax: true, ast.AggFuncVarPop: true, ast.AggFuncVarSamp: true,
		ast.AggFuncStddevPop: true, ast.AggFuncStddevSamp: true}
)

// planWindows resolves the window function calls of SELECT n (in the
// order found) against its WINDOW clause and checks them as MariaDB does.
// aliasExpr maps a window key naming a select-list alias (and no column)
// to the alias's expression; colType gives the type of a key that is a
// plain column (ok false for others).
func planWindows(x *execCtx, n *ast.SelectStmt, calls []*ast.WindowFuncExpr, aggs []*ast.AggregateFuncExpr, grouped bool,
	aliasExpr func(ast.ExprNode) ast.ExprNode, colType func(ast.ExprNode) (engine.Type, bool)) (*windowPlan, error) {
	named, err := namedWindows(n.WindowSpecs)
	if err != nil {
		return nil, err
	}
	p := &windowPlan{index: map[*ast.WindowFuncExpr]int{}, aggs: aggs, grouped: grouped}
	bySort := map[string]*winSpec{}
	nargs := 0
	for _, c := range calls {
		if _, dup := p.index[c]; dup {
			continue
		}
		w, err := resolveWindow(named, &c.Spec)
		if err != nil {
			return nil, err
		}
		f := &winFunc{call: c, name: strings.ToLower(c.Name), slot: len(p.funcs), nargs: len(c.Args)}
		if err := f.check(w); err != nil {
			return nil, err
		}
		if f.frame, err = windowFrame(x, w); err != nil {
			return nil, err
		}
		var part []ast.ExprNode
		var order []*ast.ByItem
		if w.PartitionBy != nil {
			for _, it := range w.PartitionBy.Items {
				part = append(part, aliasExpr(it.Expr))
			}
		}
		if w.OrderBy != nil {
			for _, it := range w.OrderBy.Items {
				order = append(order, &ast.ByItem{Expr: aliasExpr(it.Expr), Desc: it.Desc, NullOrder: it.NullOrder})
			}
		}
		key := sortText(part, order)
		sp := bySort[key]
		if sp == nil {
			sp = &winSpec{partition: part, order: order}
			for _, e := range part {
				sp.items = append(sp.items, &ast.ByItem{Expr: e})
			}
			sp.items = append(sp.items, order...)
			bySort[key] = sp
			p.specs = append(p.specs, sp)
		}
		if f.rangeOffsets() {
			// Checked before any row is read when the key is a column;
			// an expression's values are checked as they come (add).
			if t, ok := colType(order[0].Expr); ok && !t.IsNumeric() {
				return nil, errf(errWindowRangeNumeric, "Numeric datatype is required for RANGE-type frame")
			}
			sp.numeric = true
		}
		sp.funcs = append(sp.funcs, f)
		p.index[c] = f.slot
		p.funcs = append(p.funcs, f)
		f.argOff = nargs // made absolute below
		nargs += f.nargs
	}
	off := len(p.funcs)
	for _, f := range p.funcs {
		f.argOff += off
		if windowAggregates[f.name] {
			// The aggregate of aggregate.go, reading each argument from
			// the record (a parameter of the evaluation) unless constant.
			f.agg = &ast.AggregateFuncExpr{F: f.name, Args: make([]ast.ExprNode, f.nargs)}
			for j, a := range f.call.Args {
				if _, lit := a.(*test_driver.ValueExpr); lit {
					f.agg.Args[j] = a
				} else {
					f.agg.Args[j] = &test_driver.ParamMarkerExpr{Order: j}
				}
			}
		}
	}
	off += nargs
	for _, sp := range p.specs {
		sp.keyOff = off
		off += len(sp.items)
	}
	p.aggOff = off
	p.fixed = off + len(aggs)
	return p, nil
}

// sortText identifies a window's sort, so that windows differing only in
// their frames share it.
func sortText(part []ast.ExprNode, order []*ast.ByItem) string {
	var b strings.Builder
	for _, e := range part {
		b.WriteString(exprText(e))
		b.WriteByte(',')
	}
	b.WriteByte('|')
	for _, it := range order {
		b.WriteString(exprText(it.Expr))
		if it.Desc {
			b.WriteString(" DESC")
		}
		b.WriteByte(',')
	}
	return b.String()
}

// namedWindows resolves the WINDOW clause: each definition may build on
// one defined before it.
func namedWindows(defs []ast.WindowSpec) (map[string]*ast.WindowSpec, error) {
	named := map[string]*ast.WindowSpec{}
	for i := range defs {
		d := &defs[i]
		if _, dup := named[d.Name.L]; dup {
			return nil, errf(errWindowDuplicate, "Multiple window specifications with the same name '%s'", d.Name.O)
		}
		r, err := resolveWindow(named, &ast.WindowSpec{Ref: d.Ref, PartitionBy: d.PartitionBy, OrderBy: d.OrderBy, Frame: d.Frame})
		if err != nil {
			return nil, err
		}
		named[d.Name.L] = r
	}
	return named, nil
}

// resolveWindow returns the window s stands for: a named one (OVER w),
// one building on a named one (OVER (w ORDER BY ...)), or s itself.
func resolveWindow(named map[string]*ast.WindowSpec, s *ast.WindowSpec) (*ast.WindowSpec, error) {
	if s.OnlyAlias {
		w := named[s.Name.L]
		if w == nil {
			return nil, errf(errWindowUndefined, "Window specification with name '%s' is not defined", s.Name.O)
		}
		return w, nil
	}
	if s.Ref.L == "" {
		return s, nil
	}
	base := named[s.Ref.L]
	switch {
	case base == nil:
		return nil, errf(errWindowUndefined, "Window specification with name '%s' is not defined", s.Ref.O)
	case s.PartitionBy != nil:
		return nil, errf(errWindowRefPartition, "Window specification referencing another one '%s' cannot contain partition list", s.Ref.O)
	case s.OrderBy != nil && base.OrderBy != nil:
		return nil, errf(errWindowRefOrder, "Referenced window specification '%s' already contains order list", s.Ref.O)
	case base.Frame != nil:
		return nil, errf(errWindowRefFrame, "Referenced window specification '%s' cannot contain window frame", s.Ref.O)
	}
	r := &ast.WindowSpec{PartitionBy: base.PartitionBy, OrderBy: base.OrderBy, Frame: s.Frame}
	if s.OrderBy != nil {
		r.OrderBy = s.OrderBy
	}
	return r, nil
}

// check refuses a call MariaDB refuses over window w.
func (f *winFunc) check(w *ast.WindowSpec) error {
	switch {
	case f.call.IgnoreNull:
		return errWindowNotYet("IGNORE NULLS")
	case f.call.FromLast:
		return errWindowNotYet("NTH_VALUE ... FROM LAST")
	case windowRanking[f.name] && w.Frame != nil:
		return errf(errWindowFrameNotAllow, "Window frame is not allowed with '%s'", f.name)
	case windowNeedsOrder[f.name] && (w.OrderBy == nil || len(w.OrderBy.Items) == 0):
		return errf(errWindowNoOrder, "No order list in window specification for '%s'", f.name)
	case windowAggregates[f.name]:
		if f.call.Distinct && f.name != ast.AggFuncMin && f.name != ast.AggFuncMax {
			return errWindowNotYet(strings.ToUpper(f.name) + "(DISTINCT) aggregate as window function")
		}
	case windowRanking[f.name], windowNeedsOrder[f.name], f.name == "first_value", f.name == "last_value", f.name == "nth_value":
	default:
		return errWindowNotYet(strings.ToUpper(f.name) + "() aggregate as window function")
	}
	return nil
}

// windowFrame returns the frame of window w (the default one if it has
// none: RANGE UNBOUNDED PRECEDING to CURRENT ROW with ORDER BY, the whole
// partition without), checked as MariaDB checks it.
func windowFrame(x *execCtx, w *ast.WindowSpec) (winFrame, error) {
	ordered := w.OrderBy != nil && len(w.OrderBy.Items) > 0
	fc := w.Frame
	if fc == nil {
		if ordered {
			return winFrame{start: winBound{typ: ast.Preceding, unbounded: true}, end: winBound{typ: ast.CurrentRow}}, nil
		}
		return winFrame{rows: true, start: winBound{typ: ast.Preceding, unbounded: true}, end: winBound{typ: ast.Following, unbounded: true}}, nil
	}
	if fc.Type == ast.Groups {
		return winFrame{}, errWindowNotYet("GROUPS frames")
	}
	s, e := fc.Extent.Start, fc.Extent.End
	if s.UnBounded && s.Type == ast.Following || e.UnBounded && e.Type == ast.Preceding ||
		s.Type == ast.CurrentRow && e.Type == ast.Preceding || e.Type == ast.CurrentRow && s.Type == ast.Following {
		return winFrame{}, errf(errWindowBounds, "Unacceptable combination of window frame bound specifications")
	}
	fr := winFrame{rows: fc.Type == ast.Rows}
	for i, b := range []ast.FrameBound{s, e} {
		wb := winBound{typ: b.Type, unbounded: b.UnBounded}
		if b.Type != ast.CurrentRow && !b.UnBounded {
			if b.Unit != ast.TimeUnitInvalid {
				return winFrame{}, errWindowNotYet("INTERVAL in a window frame")
			}
			v, err := x.newEval(nil, "field list").eval(b.Expr)
			if err != nil {
				return winFrame{}, err
			}
			if fr.rows {
				n, ok := v.(int64)
				if u, isU := v.(uint64); isU {
					n, ok = int64(min(u, 1<<62)), true
				}
				if !ok || n < 0 {
					return winFrame{}, errf(errWindowRowsInteger, "Integer is required for ROWS-type frame")
				}
				wb.off = n
			} else {
				if !ordered || len(w.OrderBy.Items) != 1 {
					return winFrame{}, errf(errWindowRangeKeys, "RANGE-type frame requires ORDER BY clause with single sort key")
				}
				if !isNumber(v) {
					return winFrame{}, errf(errWindowRangeNumeric, "Numeric datatype is required for RANGE-type frame")
				}
				wb.off = v
			}
		}
		if i == 0 {
			fr.start = wb
		} else {
			fr.end = wb
		}
	}
	return fr, nil
}

// isNumber reports whether v is a numeric value (what RANGE frames
// offset).
func isNumber(v any) bool {
	switch v.(type) {
	case int64, uint64, float64, decimal.Decimal:
		return true
	}
	return false
}

// rangeOffsets reports whether f's frame is RANGE with an offset (whose
// ORDER BY key must be numeric).
func (f *winFunc) rangeOffsets() bool {
	return !f.frame.rows && (f.frame.start.off != nil || f.frame.end.off != nil)
}

// selectWindows finds the window function calls of SELECT n (in its
// select list and ORDER BY; anywhere else they are error 4015), checks
// the names its windows use, and plans them; nil without any. winField
// reports which select-list fields hold one.
func (x *execCtx) selectWindows(n *ast.SelectStmt, ti *tableInfo, js *joinScope, fields []outField, aggs []*ast.AggregateFuncExpr, grouped bool) (w *windowRun, winField []bool, err error) {
	misplaced := []ast.Node{}
	if n.Where != nil {
		misplaced = append(misplaced, n.Where)
	}
	if n.GroupBy != nil {
		misplaced = append(misplaced, n.GroupBy)
	}
	if n.Having != nil {
		misplaced = append(misplaced, n.Having)
	}
	for _, e := range misplaced {
		c, err := findWindows(e)
		if err != nil {
			return nil, nil, err
		}
		if len(c) > 0 {
			return nil, nil, errWindowMisplaced()
		}
	}
	var calls []*ast.WindowFuncExpr
	winField = make([]bool, len(fields))
	for i, f := range fields {
		c, err := findWindows(f.expr)
		if err != nil {
			return nil, nil, err
		}
		winField[i] = len(c) > 0
		calls = append(calls, c...)
	}
	if n.OrderBy != nil {
		for _, it := range n.OrderBy.Items {
			c, err := findWindows(it.Expr)
			if err != nil {
				return nil, nil, err
			}
			calls = append(calls, c...)
		}
	}
	if len(calls) == 0 && len(n.WindowSpecs) == 0 {
		return nil, winField, nil
	}
	if n.Having != nil {
		// HAVING runs before the window functions: an alias of one is
		// out of its reach, as in MariaDB.
		v := &aliasUse{fields: fields, bad: winField}
		n.Having.Expr.Accept(v)
		if v.found {
			return nil, nil, errWindowMisplaced()
		}
	}
	if err := x.checkWindowNames(n, ti, js, fields, calls); err != nil {
		return nil, nil, err
	}
	if len(calls) == 0 {
		_, err := namedWindows(n.WindowSpecs) // checked even when unused, as in MariaDB
		return nil, winField, err
	}
	if n.GroupBy != nil && n.GroupBy.Rollup {
		return nil, nil, errWindowNotYet("window functions with ROLLUP")
	}
	// A window's key naming a select-list alias (and no column) is the
	// alias's expression, as MariaDB resolves it.
	aliasExpr := func(e ast.ExprNode) ast.ExprNode {
		cn, ok := e.(*ast.ColumnNameExpr)
		if !ok || cn.Name.Table.L != "" {
			return e
		}
		i := aliasIndex(cn, fields)
		if i < 0 || winField[i] {
			return e
		}
		if js != nil {
			if _, err := js.resolve(cn.Name, js.all(), "ORDER BY"); err == nil {
				return e
			}
		} else if ti != nil && ti.column(cn.Name.Name.O) >= 0 {
			return e
		}
		return fields[i].expr
	}
	colType := func(e ast.ExprNode) (engine.Type, bool) {
		cn, ok := e.(*ast.ColumnNameExpr)
		switch {
		case !ok:
		case js != nil:
			if ref, err := js.resolve(cn.Name, js.all(), "ORDER BY"); err == nil && len(ref) == 1 {
				src := js.sourceAt(ref[0])
				return src.cols[ref[0]-src.off].Type, true
			}
		case ti != nil:
			if i := ti.column(cn.Name.Name.O); i >= 0 {
				return ti.def.Columns[i].Type, true
			}
		}
		return 0, false
	}
	p, err := planWindows(x, n, calls, aggs, grouped, aliasExpr, colType)
	if err != nil {
		return nil, nil, err
	}
	return newWindowRun(x, p), winField, nil
}

// aliasUse finds a column reference naming the alias of a select-list
// field marked bad.
type aliasUse struct {
	fields []outField
	bad    []bool
	found  bool
}

func (v *aliasUse) Enter(n ast.Node) (ast.Node, bool) {
	switch c := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.ColumnNameExpr:
		if c.Name.Table.L == "" {
			if i := aliasIndex(c, v.fields); i >= 0 && v.bad[i] {
				v.found = true
			}
		}
		return n, true
	}
	return n, false
}

func (v *aliasUse) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// checkWindowNames reports a column that a window's PARTITION BY or
// ORDER BY names but the query does not have, before any row is read
// (with MariaDB's clause names: 'GROUP BY' for PARTITION BY, 'ORDER BY'),
// for the windows of the calls and of the WINDOW clause.
func (x *execCtx) checkWindowNames(n *ast.SelectStmt, ti *tableInfo, js *joinScope, fields []outField, calls []*ast.WindowFuncExpr) error {
	specs := make([]*ast.WindowSpec, 0, len(calls)+len(n.WindowSpecs))
	for i := range n.WindowSpecs {
		specs = append(specs, &n.WindowSpecs[i])
	}
	for _, c := range calls {
		specs = append(specs, &c.Spec)
	}
	var check func(e ast.Node, clause string) error
	switch {
	case js != nil:
		check = func(e ast.Node, clause string) error {
			v := &nameChecker{js: js, clause: clause}
			e.Accept(v)
			return v.err
		}
	case ti != nil && x.outer == nil:
		aliases := map[string]bool{}
		for _, f := range fields {
			aliases[strings.ToLower(f.name)] = true
		}
		check = func(e ast.Node, clause string) error {
			v := &columnChecker{ti: ti, aliases: aliases, aliasOK: true}
			e.Accept(v)
			if v.bad != nil {
				return errUnknownColumn(columnText(v.bad), clause)
			}
			return nil
		}
	default:
		return nil // evaluation reports them
	}
	for _, s := range specs {
		if s.PartitionBy != nil {
			for _, it := range s.PartitionBy.Items {
				if err := check(it.Expr, "GROUP BY"); err != nil {
					return err
				}
			}
		}
		if s.OrderBy != nil {
			for _, it := range s.OrderBy.Items {
				if err := check(it.Expr, "ORDER BY"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// windowColumn describes a window function's result column as MariaDB
// does: BIGINT NOT NULL for the numbering functions and COUNT, DOUBLE
// with 10 decimals for PERCENT_RANK and CUME_DIST, the argument column's
// type (nullable) for the functions returning one of its values; SUM and
// AVG as their values say (DECIMAL or DOUBLE), DECIMAL without a value.
func windowColumn(ti *tableInfo, e *ast.WindowFuncExpr, c Column) Column {
	switch strings.ToLower(e.Name) {
	case "row_number", "rank", "dense_rank", "ntile", ast.AggFuncCount:
		c.Type, c.Length, c.Decimals, c.Flags = mysql.TypeLonglong, 21, 0, mysql.NotNullFlag
	case "percent_rank", "cume_dist":
		c.Type, c.Length, c.Decimals, c.Flags = mysql.TypeDouble, 17, 10, 0
	case "lag", "lead", "first_value", "last_value", "nth_value", ast.AggFuncMin, ast.AggFuncMax:
		cn, ok := e.Args[0].(*ast.ColumnNameExpr)
		if !ok || ti == nil || ti.join != nil {
			break
		}
		if i := ti.column(cn.Name.Name.O); i >= 0 {
			name := c.Name
			c = columnFromDef("", &ti.def.Columns[i])
			c.Name = name
			c.Flags &^= mysql.NotNullFlag | mysql.AutoIncrementFlag
		}
	case ast.AggFuncSum, ast.AggFuncAvg:
		if c.Type == mysql.TypeNull {
			c.Type, c.Length = mysql.TypeNewDecimal, 66
		}
	}
	return c
}

// windowNullable marks the columns of a SELECT with window functions and
// without grouping nullable, but for those of the window functions that
// never return NULL, as MariaDB describes them (its rows pass through a
// temporary table whose columns allow NULL; a grouped query's keep their
// flags).
func windowNullable(cols []Column, fields []outField) {
	for i, f := range fields {
		if _, ok := f.expr.(*ast.WindowFuncExpr); !ok && i < len(cols) {
			cols[i].Flags &^= mysql.NotNullFlag
		}
	}
}
