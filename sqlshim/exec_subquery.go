package sqlshim

import (
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/shopspring/decimal"
)

// This file runs subqueries inside expressions: scalar subqueries, IN and
// NOT IN, EXISTS and NOT EXISTS, and comparisons with ANY/SOME/ALL.
//
// A subquery runs as a statement of its own (a child execCtx sharing the
// transaction) whose evaluation contexts point at the evalCtx of the
// enclosing query (evalCtx.outer): a column its own FROM does not have is
// looked up there, then further out (evalCtx.column's fallback). Every such
// outer reference is recorded in the subquery's frame, which is how a
// correlated subquery is told from one that is not:
//
//   - a run that read no outer column is the answer for the whole
//     statement: it is cached and never run again;
//   - a correlated subquery is cached by the values of the outer columns
//     its first run read (a later run reading the same columns with the
//     same values takes the same path, so gets the same rows).
//
// Evaluation is synchronous: the outer evalCtx holds the outer row while
// the subquery runs.

// maxSubqueryDepth bounds the nesting of subqueries (MySQL's limit of 63
// nested levels), so no statement can recurse without end.
const maxSubqueryDepth = 63

// maxCachedRuns bounds the results kept per correlated subquery, and
// maxCachedRows the rows of all of them in one statement.
const (
	maxCachedRuns = 4096
	maxCachedRows = 1 << 18
)

// errTooHighNesting is MySQL's ER_TOO_HIGH_LEVEL_OF_NESTING_FOR_SELECT.
const errTooHighNesting = 1473

// subqState is shared by a statement and all its subqueries.
type subqState struct {
	cache  map[*ast.SubqueryExpr]*subqCache
	rows   int                           // rows held by the correlated results cached
	pinned map[*ast.SubqueryExpr]*Result // UPDATE: the current row's results, read before any write
	// enclosing holds the aggregates inside subqueries that an enclosing
	// query computes (they read only its columns): enclosedAggregates.
	enclosing map[*ast.AggregateFuncExpr]bool
}

// subqFrame is one run of a subquery: its depth and what it read of the
// enclosing queries (*ast.ColumnName columns, *ast.AggregateFuncExpr
// aggregates), in the order of first use.
type subqFrame struct {
	depth int
	refs  []ast.Node
}

func (f *subqFrame) use(n ast.Node) {
	for _, r := range f.refs {
		if r == n {
			return
		}
	}
	f.refs = append(f.refs, n)
}

// subqCache holds the results of one subquery of the statement.
type subqCache struct {
	cols  []Column
	fixed *Result    // not correlated: the one answer
	index *inIndex   // a hash of fixed's values for IN, built on first use
	refs  []ast.Node // correlated: what the first run read outside
	byKey map[string]*Result
}

// state returns the statement's subquery state, creating it.
func (x *execCtx) state() *subqState {
	if x.subq == nil {
		x.subq = &subqState{cache: map[*ast.SubqueryExpr]*subqCache{}}
	}
	return x.subq
}

// query runs a SELECT or a set operation (UNION) and returns its rows.
func (x *execCtx) query(n ast.Node) (Result, error) {
	switch q := n.(type) {
	case *ast.SelectStmt:
		return x.selectStmt(q)
	case *ast.SetOprStmt:
		return x.union(q)
	case *ast.SubqueryExpr:
		return x.query(q.Query)
	}
	return Result{}, errNotSupported("this kind of query")
}

// outerColumn resolves n in the enclosing queries after this query failed
// to (err). The original error stands if no enclosing query has it.
func (c *evalCtx) outerColumn(n *ast.ColumnName, err error) (any, error) {
	if c.outer == nil || c.x == nil || sqlerr.Code(err) != sqlerr.ErrBadField {
		return nil, err
	}
	if v, ok := c.x.outerValue(n); ok { // c.outer is c.x.outer (newEval)
		return v, nil
	}
	return nil, err
}

// outerValue resolves n in the queries enclosing the subquery x runs (the
// current row of each), and records it as an outer reference of the
// subquery; false if x is no subquery or no enclosing query has n. Name
// resolution of this query's own FROM (one table or several) calls it
// when the name is none of its columns, before reporting error 1054.
func (x *execCtx) outerValue(n *ast.ColumnName) (any, bool) {
	if x.outer == nil {
		return nil, false
	}
	v, err := x.outer.column(n)
	if err != nil {
		return nil, false
	}
	if x.frame != nil {
		x.frame.use(n)
	}
	return v, true
}

// subquery returns the rows of sq for the current row of c.
func (c *evalCtx) subquery(sq *ast.SubqueryExpr) (*Result, error) {
	return c.runSubquery(sq, sq.Query)
}

// runSubquery returns the rows of sq, running q (sq's query, or a cheaper
// equivalent) when they are not cached.
func (c *evalCtx) runSubquery(sq *ast.SubqueryExpr, q ast.Node) (*Result, error) {
	x := c.x
	if x == nil {
		return nil, errNotSupported("subqueries here")
	}
	if x.ctx != nil {
		if err := x.ctx.Err(); err != nil {
			return nil, err
		}
	}
	if x.tx == nil {
		return nil, errNotSupported("subqueries here")
	}
	st := x.state()
	if r, ok := st.pinned[sq]; ok {
		return r, nil
	}
	e := st.cache[sq]
	if e != nil {
		if e.fixed != nil {
			return e.fixed, nil
		}
		if e.byKey != nil {
			if key, ok := c.refsKey(e.refs); ok {
				if r, ok := e.byKey[key]; ok {
					return r, nil
				}
			}
		}
	}
	depth := 1
	if x.frame != nil {
		depth = x.frame.depth + 1
	}
	if depth > maxSubqueryDepth {
		return nil, errf(errTooHighNesting, "Too high level of nesting for select")
	}
	frame := &subqFrame{depth: depth}
	child := new(execCtx)
	*child = *x // the statement's session, transaction, parameters, NOW()
	child.subq, child.outer, child.frame = st, c, frame
	child.keepInner = true
	if e == nil {
		if err := child.checkOuterAggregates(sq.Query); err != nil {
			return nil, err
		}
	}
	r, err := child.query(q)
	if err != nil {
		return nil, err
	}
	res := &r
	if e == nil {
		e = &subqCache{cols: r.Columns}
		st.cache[sq] = e
		if len(frame.refs) == 0 {
			// Nothing outside was read: the same rows for every outer row.
			e.fixed = res
			return res, nil
		}
		e.refs, e.byKey = frame.refs, map[string]*Result{}
	}
	switch {
	case e.byKey != nil && sameRefs(e.refs, frame.refs) && len(e.byKey) < maxCachedRuns && st.rows+len(r.Rows) <= maxCachedRows:
		if key, ok := c.refsKey(frame.refs); ok {
			e.byKey[key] = res
			st.rows += len(r.Rows)
		}
	}
	return res, nil
}

func sameRefs(a, b []ast.Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// refsKey is the cache key of a correlated subquery for the current row of
// c: the values of the outer columns and aggregates it reads, types
// included.
func (c *evalCtx) refsKey(refs []ast.Node) (string, bool) {
	var b strings.Builder
	for _, n := range refs {
		var v any
		switch r := n.(type) {
		case *ast.ColumnName:
			var err error
			if v, err = c.column(r); err != nil {
				return "", false
			}
		case *ast.AggregateFuncExpr:
			var ok bool
			if v, ok = c.enclosingAggregate(r); !ok {
				return "", false
			}
		}
		b.WriteString(exactKey(v))
		b.WriteByte(0)
	}
	return b.String(), true
}

// exactKey renders a value with its type, so that equal keys mean values
// no expression can tell apart (1 and 1.0 differ; so do 'a' and 'a ').
func exactKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "N"
	case int64:
		return "i" + strconv.FormatInt(x, 10)
	case uint64:
		return "u" + strconv.FormatUint(x, 10)
	case float64:
		return "f" + strconv.FormatFloat(x, 'g', -1, 64)
	case decimal.Decimal:
		return "d" + x.String() + "e" + strconv.Itoa(int(x.Exponent()))
	case string:
		return "s" + strconv.Quote(x)
	case []byte:
		return "b" + strconv.Quote(string(x))
	case time.Time:
		return "t" + x.Format(time.RFC3339Nano)
	}
	return "?" + toString(v)
}

func errOperandColumns(n int) error {
	return errf(sqlerr.ErrOperandColumns, "Operand should contain %d column(s)", n)
}

// scalarSubquery is (SELECT ...) as a value: NULL without rows, an error
// with more than one.
func (c *evalCtx) scalarSubquery(sq *ast.SubqueryExpr) (any, error) {
	v, _, err := c.scalarSubqueryInner(sq)
	return v, err
}

// scalarSubqueryInner is scalarSubquery with, when its value involved a
// quotient, the inner digits (exact.go) of the value: inner is an exactDec,
// or nil.
func (c *evalCtx) scalarSubqueryInner(sq *ast.SubqueryExpr) (v, inner any, err error) {
	r, err := c.subquery(sq)
	if err != nil {
		return nil, nil, err
	}
	if len(r.Columns) != 1 {
		return nil, nil, errOperandColumns(1)
	}
	switch len(r.Rows) {
	case 0:
		return nil, nil, nil
	case 1:
		return r.Rows[0][0], r.inner, nil
	}
	return nil, nil, errf(sqlerr.ErrSubqueryNo1Row, "Subquery returns more than 1 row")
}

func (c *evalCtx) existsSubquery(x *ast.ExistsSubqueryExpr) (any, error) {
	sq, ok := unparen(x.Sel).(*ast.SubqueryExpr)
	if !ok {
		return nil, errNotSupported("EXISTS without a subquery")
	}
	r, err := c.runSubquery(sq, firstRowOnly(sq.Query))
	if err != nil {
		return nil, err
	}
	return boolVal((len(r.Rows) > 0) != x.Not), nil
}

// firstRowOnly returns a SELECT without LIMIT as the same SELECT with
// LIMIT 1, which stops reading at the first row that qualifies: all EXISTS
// needs. (A copy: the statement's tree is not changed.)
func firstRowOnly(q ast.Node) ast.Node {
	sel, ok := q.(*ast.SelectStmt)
	if !ok || sel.Limit != nil {
		return q
	}
	cp := *sel
	cp.Limit = &ast.Limit{Count: ast.NewValueExpr(int64(1), "", "")}
	return &cp
}

// listSubquery returns the subquery of IN/ANY/ALL, which MariaDB does not
// allow a LIMIT in.
func listSubquery(e ast.ExprNode, what string) (*ast.SubqueryExpr, error) {
	sq, ok := unparen(e).(*ast.SubqueryExpr)
	if !ok {
		return nil, errNotSupported(what + " without a subquery")
	}
	limited := false
	switch q := sq.Query.(type) {
	case *ast.SelectStmt:
		limited = q.Limit != nil
	case *ast.SetOprStmt:
		limited = q.Limit != nil
	}
	if limited {
		return nil, errNotSupported("LIMIT & IN/ALL/ANY/SOME subquery")
	}
	return sq, nil
}

// operand evaluates the left side of IN: a value, or a row (a, b).
func (c *evalCtx) operand(e ast.ExprNode) ([]any, error) {
	if r, ok := unparen(e).(*ast.RowExpr); ok {
		vals := make([]any, len(r.Values))
		for i, v := range r.Values {
			if _, nested := unparen(v).(*ast.RowExpr); nested {
				return nil, errOperandColumns(1)
			}
			w, err := c.eval(v)
			if err != nil {
				return nil, err
			}
			vals[i] = w
		}
		return vals, nil
	}
	v, err := c.eval(e)
	if err != nil {
		return nil, err
	}
	return []any{v}, nil
}

// rowsEqualSQL compares two rows as SQL's = does: 0 if some pair differs,
// NULL if none differs but some pair is NULL, else 1. Text compares under
// colls[i] (pairColls; nil: utf8mb4_bin throughout).
func rowsEqualSQL(a, b []any, colls []*collate.Collation) any {
	null := false
	for i := range a {
		if a[i] == nil || b[i] == nil {
			null = true
			continue
		}
		if cmpColl(a[i], b[i], pairColl(colls, i)) != 0 {
			return int64(0)
		}
	}
	if null {
		return nil
	}
	return int64(1)
}

// pairColl is colls[i], nil (utf8mb4_bin) when colls is nil.
func pairColl(colls []*collate.Collation, i int) *collate.Collation {
	if colls == nil {
		return nil
	}
	return colls[i]
}

// inSubquery is x [NOT] IN (SELECT ...) with SQL's three-valued logic:
// TRUE if some row equals x; else NULL if x or some compared value was
// NULL; else FALSE. An empty subquery gives FALSE (NOT IN: TRUE) even for
// a NULL x. Text compares as = compares it: under the combination of x's
// collation and the subquery column's (a literal's is the connection's,
// coercible: 'a' IN (SELECT 'A') is 1 under utf8mb4_general_ci), two
// implicit ones that do not combine being 1267.
func (c *evalCtx) inSubquery(x *ast.PatternInExpr) (any, error) {
	sq, err := listSubquery(x.Sel, "IN")
	if err != nil {
		return nil, err
	}
	left, err := c.operand(x.Expr)
	if err != nil {
		return nil, err
	}
	r, err := c.subquery(sq)
	if err != nil {
		return nil, err
	}
	if len(r.Columns) != len(left) {
		return nil, errOperandColumns(len(left))
	}
	if len(r.Rows) == 0 {
		return boolVal(x.Not), nil
	}
	colls, err := pairColls("=", c.rowColls(x.Expr, nil), c.rowColls(nil, r))
	if err != nil {
		return nil, err
	}
	if e := c.x.state().cache[sq]; len(left) == 1 && e != nil && e.fixed == r && len(r.Rows) >= minIndexRows {
		if e.index == nil {
			e.index = newInIndex(r, pairColl(colls, 0))
		}
		if found, ok := e.index.lookup(left[0]); ok {
			switch {
			case found:
				return boolVal(!x.Not), nil
			case left[0] == nil || e.index.hasNull:
				return nil, nil
			}
			return boolVal(x.Not), nil
		}
	}
	sawNull := false
	for _, row := range r.Rows {
		switch rowsEqualSQL(left, row, colls) {
		case int64(1):
			return boolVal(!x.Not), nil
		case nil:
			sawNull = true
		}
	}
	if sawNull {
		return nil, nil
	}
	return boolVal(x.Not), nil
}

// compareSubquery is x op ANY|SOME|ALL (SELECT ...). ANY: TRUE if the
// comparison holds for some row, else NULL if some comparison was NULL,
// else FALSE (so FALSE without rows). ALL: FALSE if it fails for some row,
// else NULL if some comparison was NULL, else TRUE (so TRUE without rows).
func (c *evalCtx) compareSubquery(x *ast.CompareSubqueryExpr) (any, error) {
	what := "ANY"
	if x.All {
		what = "ALL"
	}
	sq, err := listSubquery(x.R, what)
	if err != nil {
		return nil, err
	}
	if _, ok := unparen(x.L).(*ast.RowExpr); ok {
		return nil, errOperandColumns(1)
	}
	l, err := c.eval(x.L)
	if err != nil {
		return nil, err
	}
	r, err := c.subquery(sq)
	if err != nil {
		return nil, err
	}
	if len(r.Columns) != 1 {
		return nil, errOperandColumns(1)
	}
	var coll *collate.Collation
	if len(r.Rows) > 0 {
		colls, err := pairColls(anyAllOpText(x.Op, x.All), c.rowColls(x.L, nil), c.rowColls(nil, r))
		if err != nil {
			return nil, err
		}
		coll = pairColl(colls, 0)
	}
	sawNull := false
	for _, row := range r.Rows {
		v := row[0]
		if l == nil || v == nil {
			sawNull = true
			continue
		}
		holds, err := compareOp(x.Op, cmpColl(l, v, coll))
		if err != nil {
			return nil, err
		}
		if x.All && !holds {
			return int64(0), nil
		}
		if !x.All && holds {
			return int64(1), nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return boolVal(x.All), nil
}

// anyAllOpText names comparison op of ANY (all false) or ALL as MariaDB's
// message 1267 does: x op ALL is NOT (x negated-op ANY) there.
func anyAllOpText(op opcode.Op, all bool) string {
	if all {
		switch op {
		case opcode.EQ:
			op = opcode.NE
		case opcode.NE:
			op = opcode.EQ
		case opcode.LT:
			op = opcode.GE
		case opcode.LE:
			op = opcode.GT
		case opcode.GT:
			op = opcode.LE
		case opcode.GE:
			op = opcode.LT
		}
	}
	return opText(op)
}

// compareOp applies a comparison operator to the result of compareValues.
func compareOp(op opcode.Op, cmp int) (bool, error) {
	switch op {
	case opcode.EQ:
		return cmp == 0, nil
	case opcode.NE:
		return cmp != 0, nil
	case opcode.LT:
		return cmp < 0, nil
	case opcode.LE:
		return cmp <= 0, nil
	case opcode.GT:
		return cmp > 0, nil
	case opcode.GE:
		return cmp >= 0, nil
	}
	return false, errNotSupported("operator " + op.String() + " with ANY/ALL")
}

// subqueryColumn describes a select-list scalar subquery by the column it
// returns (a DATE stays a DATE), named as the select list names it.
func (x *execCtx) subqueryColumn(f outField) (Column, bool) {
	sq, ok := unparen(f.expr).(*ast.SubqueryExpr)
	if !ok || x.subq == nil {
		return Column{}, false
	}
	e := x.subq.cache[sq]
	if e == nil || len(e.cols) != 1 {
		return Column{}, false
	}
	col := e.cols[0]
	col.Name, col.Table = f.name, ""
	col.Flags &^= mysql.NotNullFlag | mysql.PriKeyFlag | mysql.AutoIncrementFlag | mysql.UniqueKeyFlag | mysql.MultipleKeyFlag
	return col, true
}

// outerConstant reports whether e, in the WHERE of a subquery reading ti,
// is a constant for one run of the subquery: it reads columns of the
// enclosing queries only (no column of ti, no aggregate, no subquery), so
// the planner may use its value as a key (u.id = t.tid finds u's row by
// its primary key rather than scanning u for every row of t).
func (x *execCtx) outerConstant(ti *tableInfo, e ast.ExprNode) bool {
	if x.outer == nil {
		return false
	}
	f := &outerRefFinder{ok: true, own: x.newEval(ti, "WHERE")}
	f.own.outer = nil // this query's own columns only
	e.Accept(f)
	return f.ok && f.refs > 0
}

// outerRefFinder checks that every column of an expression belongs to an
// enclosing query.
type outerRefFinder struct {
	own  *evalCtx
	ok   bool
	refs int
}

func (f *outerRefFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		if _, err := f.own.column(x.Name); err == nil || sqlerr.Code(err) != sqlerr.ErrBadField {
			f.ok = false // a column of this query's table
		}
		f.refs++
		return n, true
	case *ast.AggregateFuncExpr, *ast.ValuesExpr, *ast.DefaultExpr, *ast.SubqueryExpr, *ast.WindowFuncExpr:
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

func (f *outerRefFinder) Leave(n ast.Node) (ast.Node, bool) { return n, f.ok }

// checkOuterAggregates refuses an aggregate of a subquery that reads only
// columns of an enclosing query which does not compute it (one in the
// WHERE of the enclosing query, or of an UPDATE): running it as the
// subquery's own would give a wrong answer. (Those in a SELECT's select
// list, HAVING or ORDER BY are computed there: enclosedAggregates.)
func (x *execCtx) checkOuterAggregates(q ast.Node) error {
	switch n := q.(type) {
	case *ast.SetOprStmt:
		if n.SelectList == nil {
			return nil
		}
		for _, sel := range n.SelectList.Selects {
			if err := x.checkOuterAggregates(sel); err != nil {
				return err
			}
		}
		return nil
	case *ast.SelectStmt:
		af := &aggFinder{}
		if n.Fields != nil {
			for _, f := range n.Fields.Fields {
				if f.Expr != nil {
					f.Expr.Accept(af)
				}
			}
		}
		if n.Where != nil {
			n.Where.Accept(af)
		}
		if n.Having != nil && n.Having.Expr != nil {
			n.Having.Expr.Accept(af)
		}
		if n.OrderBy != nil {
			for _, it := range n.OrderBy.Items {
				it.Expr.Accept(af)
			}
		}
		if len(af.aggs) == 0 {
			return nil
		}
		ti, _, err := x.singleTable(n.From)
		if err != nil {
			return nil // the run reports it
		}
		own := x.newEval(ti, "field list")
		own.outer = nil
		for _, a := range af.aggs {
			if x.state().enclosing[a] {
				continue // computed by the enclosing query
			}
			f := &columnCollector{}
			for _, arg := range a.Args {
				arg.Accept(f)
			}
			local := len(f.cols) == 0
			for _, cn := range f.cols {
				if _, err := own.column(cn); err == nil {
					local = true
				}
			}
			if !local {
				return errNotSupported("aggregates of an enclosing query in a subquery")
			}
		}
	}
	return nil
}

// columnCollector collects the column references of an expression outside
// its subqueries.
type columnCollector struct{ cols []*ast.ColumnName }

func (f *columnCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		f.cols = append(f.cols, x.Name)
		return n, true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, false
}

func (f *columnCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// isRowOperand reports a row constructor (a, b) as an operand.
func isRowOperand(e ast.ExprNode) bool {
	_, ok := unparen(e).(*ast.RowExpr)
	return ok
}

// rowValue evaluates one side of a row comparison: a row constructor, a
// subquery (one row: its values; none: NULLs) or a single value. With the
// values come their collations (rowColls).
func (c *evalCtx) rowValue(e ast.ExprNode) ([]any, []exprColl, error) {
	if sq, ok := unparen(e).(*ast.SubqueryExpr); ok {
		r, err := c.subquery(sq)
		if err != nil {
			return nil, nil, err
		}
		switch len(r.Rows) {
		case 0:
			return make([]any, len(r.Columns)), c.rowColls(e, r), nil
		case 1:
			return r.Rows[0], c.rowColls(e, r), nil
		}
		return nil, nil, errf(sqlerr.ErrSubqueryNo1Row, "Subquery returns more than 1 row")
	}
	v, err := c.operand(e)
	if err != nil {
		return nil, nil, err
	}
	return v, c.rowColls(e, nil), nil
}

// rowCompare compares (a, b, ...) with a row of as many values: = and <>
// pairwise, <=> NULL-safe, and < <= > >= in order, the first pair that
// differs deciding. A NULL met before the answer is known makes it NULL.
func (c *evalCtx) rowCompare(x *ast.BinaryOperationExpr) (any, error) {
	l, lc, err := c.rowValue(x.L)
	if err != nil {
		return nil, err
	}
	r, rc, err := c.rowValue(x.R)
	if err != nil {
		return nil, err
	}
	if len(l) != len(r) {
		return nil, errOperandColumns(len(l))
	}
	op := "="
	switch x.Op {
	case opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		op = opText(x.Op)
	}
	colls, err := pairColls(op, lc, rc)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case opcode.EQ:
		return rowsEqualSQL(l, r, colls), nil
	case opcode.NE:
		switch rowsEqualSQL(l, r, colls) {
		case nil:
			return nil, nil
		case int64(1):
			return int64(0), nil
		}
		return int64(1), nil
	case opcode.NullEQ:
		for i := range l {
			if (l[i] == nil) != (r[i] == nil) || l[i] != nil && cmpColl(l[i], r[i], pairColl(colls, i)) != 0 {
				return int64(0), nil
			}
		}
		return int64(1), nil
	case opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		for i := range l {
			if l[i] == nil || r[i] == nil {
				return nil, nil
			}
			if cmp := cmpColl(l[i], r[i], pairColl(colls, i)); cmp != 0 {
				b, err := compareOp(x.Op, cmp)
				return boolVal(b), err
			}
		}
		b, err := compareOp(x.Op, 0)
		return boolVal(b), err
	}
	return nil, errOperandColumns(1)
}

// snapshotSubqueries runs the subqueries of UPDATE's SET list for every
// matched row before any row changes, as MariaDB does (a subquery reading
// the updated table sees it as it was). It returns, per row, the results
// pinSubqueries makes the subqueries return; nil if SET has none.
func (x *execCtx) snapshotSubqueries(ti *tableInfo, rows []matchedRow, list []*ast.Assignment) ([]map[*ast.SubqueryExpr]*Result, error) {
	f := &subqueryCollector{}
	for _, a := range list {
		if a.Expr != nil {
			a.Expr.Accept(f)
		}
	}
	if len(f.subs) == 0 {
		return nil, nil
	}
	out := make([]map[*ast.SubqueryExpr]*Result, len(rows))
	ec := x.newEval(ti, "SET")
	for i, r := range rows {
		ec.row = r.row
		out[i] = make(map[*ast.SubqueryExpr]*Result, len(f.subs))
		for _, sq := range f.subs {
			res, err := ec.subquery(sq)
			if err != nil {
				return nil, err
			}
			out[i][sq] = res
		}
	}
	return out, nil
}

// pinSubqueries makes the subqueries of the statement return the results
// snapshotSubqueries read for row i.
func (x *execCtx) pinSubqueries(pinned []map[*ast.SubqueryExpr]*Result, i int) {
	if pinned != nil {
		x.state().pinned = pinned[i]
	}
}

// subqueryCollector collects the outermost subqueries of an expression.
type subqueryCollector struct{ subs []*ast.SubqueryExpr }

func (f *subqueryCollector) Enter(n ast.Node) (ast.Node, bool) {
	if sq, ok := n.(*ast.SubqueryExpr); ok {
		f.subs = append(f.subs, sq)
		return n, true
	}
	return n, false
}

func (f *subqueryCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// minIndexRows is the size from which an uncorrelated IN subquery's values
// are hashed rather than compared one by one.
const minIndexRows = 16

// inIndex hashes the values of a one-column result when they are all
// integers or all strings, the cases where equal under SQL's = means equal
// keys (strings by strKey under the comparison's collation).
type inIndex struct {
	kind    byte // 'i' integers, 's' strings, 0: not indexable
	keys    map[string]bool
	hasNull bool
	coll    *collate.Collation // the strings' (nil: utf8mb4_bin)
}

func newInIndex(r *Result, coll *collate.Collation) *inIndex {
	ix := &inIndex{keys: make(map[string]bool, len(r.Rows)), coll: coll}
	for _, row := range r.Rows {
		k, kind := indexKey(row[0], coll)
		switch {
		case row[0] == nil:
			ix.hasNull = true
			continue
		case kind == 0 || (ix.kind != 0 && kind != ix.kind):
			ix.kind = 0
			ix.keys = nil
			return ix
		}
		ix.kind = kind
		ix.keys[k] = true
	}
	return ix
}

func indexKey(v any, coll *collate.Collation) (string, byte) {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), 'i'
	case uint64:
		return strconv.FormatUint(x, 10), 'i'
	case string:
		return strKey(x, coll), 's'
	}
	return "", 0
}

// lookup reports whether v is among the values; ok is false when the index
// cannot answer (v of another kind, values not indexable) and the caller
// must compare.
func (ix *inIndex) lookup(v any) (found, ok bool) {
	if v == nil {
		return false, true // NULL IN (non-empty set) is NULL
	}
	k, kind := indexKey(v, ix.coll)
	if ix.kind == 0 || kind != ix.kind {
		return false, false
	}
	return ix.keys[k], true
}

// rowInList is (a, b) [NOT] IN ((1, 2), (3, 4), ...), three-valued like
// IN over a subquery.
func (c *evalCtx) rowInList(x *ast.PatternInExpr) (any, error) {
	left, err := c.operand(x.Expr)
	if err != nil {
		return nil, err
	}
	sawNull := false
	lc := c.rowColls(x.Expr, nil)
	for _, e := range x.List {
		r, rc, err := c.rowValue(e)
		if err != nil {
			return nil, err
		}
		if len(r) != len(left) {
			return nil, errOperandColumns(len(left))
		}
		colls, err := pairColls("=", lc, rc)
		if err != nil {
			return nil, err
		}
		switch rowsEqualSQL(left, r, colls) {
		case int64(1):
			return boolVal(!x.Not), nil
		case nil:
			sawNull = true
		}
	}
	if sawNull {
		return nil, nil
	}
	return boolVal(x.Not), nil
}

// enclosingAggregates returns the aggregates of the statement's subqueries
// that an enclosing query computes (nil if none).
func (x *execCtx) enclosingAggregates() map[*ast.AggregateFuncExpr]bool {
	if x.subq == nil {
		return nil
	}
	return x.subq.enclosing
}

// enclosedAggregates returns the aggregates inside subs (subqueries of the
// select list, HAVING or ORDER BY of a SELECT reading ti) that belong to
// that SELECT, as MySQL decides: an aggregate is computed by the innermost
// query one of its columns belongs to, so SUM(t.a) in (SELECT ... FROM u
// WHERE u.x < SUM(t.a)) is an aggregate of the query reading t. The SELECT
// adds them to its own; the subqueries read their values (eval,
// enclosingAggregate).
func (x *execCtx) enclosedAggregates(ti *tableInfo, subs []*ast.SubqueryExpr) []*ast.AggregateFuncExpr {
	if len(subs) == 0 {
		return nil
	}
	w := &enclosedWalker{x: x}
	scope := []*evalCtx{x.probe(ti)}
	for _, sq := range subs {
		w.query(sq.Query, scope)
	}
	if len(w.found) > 0 {
		st := x.state()
		if st.enclosing == nil {
			st.enclosing = map[*ast.AggregateFuncExpr]bool{}
		}
		for _, a := range w.found {
			st.enclosing[a] = true
		}
	}
	return w.found
}

// probe returns an evaluation context that tells whether a name is a
// column of ti (and of nothing further out).
func (x *execCtx) probe(ti *tableInfo) *evalCtx {
	c := x.newEval(ti, "field list")
	c.outer = nil
	return c
}

// enclosedWalker finds the aggregates of subqueries whose columns all
// belong to the outermost scope (scopes[0]).
type enclosedWalker struct {
	x      *execCtx
	scopes []*evalCtx // the query of the aggregates, then each subquery inward
	found  []*ast.AggregateFuncExpr
}

// query walks a subquery's SELECT (or each SELECT of its UNION) with its
// FROM as the innermost scope.
func (w *enclosedWalker) query(q ast.Node, outer []*evalCtx) {
	switch n := q.(type) {
	case *ast.SetOprStmt:
		if n.SelectList != nil {
			w.query(n.SelectList, outer)
		}
	case *ast.SetOprSelectList:
		for _, s := range n.Selects {
			w.query(s, outer)
		}
	case *ast.SelectStmt:
		ti, _, err := w.x.singleTable(n.From)
		if err != nil {
			return // not resolvable here: its aggregates stay its own
		}
		saved := w.scopes
		w.scopes = append(append([]*evalCtx(nil), outer...), w.x.probe(ti))
		if n.Fields != nil {
			n.Fields.Accept(w)
		}
		if n.Where != nil {
			n.Where.Accept(w)
		}
		if n.GroupBy != nil {
			n.GroupBy.Accept(w)
		}
		if n.Having != nil {
			n.Having.Accept(w)
		}
		if n.OrderBy != nil {
			n.OrderBy.Accept(w)
		}
		w.scopes = saved
	}
}

func (w *enclosedWalker) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		w.query(x.Query, w.scopes)
		return n, true
	case *ast.AggregateFuncExpr:
		f := &columnCollector{}
		for _, arg := range x.Args {
			arg.Accept(f)
		}
		owner := -1 // the innermost scope any of its columns belongs to
		for _, cn := range f.cols {
			for i := len(w.scopes) - 1; i > owner; i-- {
				if _, err := w.scopes[i].column(cn); err == nil {
					owner = i
					break
				}
			}
		}
		if owner == 0 && len(f.cols) > 0 {
			w.found = append(w.found, x)
		}
		return n, true
	}
	return n, false
}

func (w *enclosedWalker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// enclosingAggregate returns the value of an aggregate an enclosing query
// computes for its current group (false if a is not one), and records it
// as read from outside by every subquery in between.
func (c *evalCtx) enclosingAggregate(a *ast.AggregateFuncExpr) (any, bool) {
	if c.x == nil || !c.x.enclosingAggregates()[a] {
		return nil, false
	}
	for e := c; e != nil; e = e.outer {
		v, ok := e.aggs[a]
		if !ok {
			continue
		}
		for f := c; f != e; f = f.outer {
			if f.x != nil && f.x.frame != nil {
				f.x.frame.use(a)
			}
		}
		return v, true
	}
	return nil, false
}
