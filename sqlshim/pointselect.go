package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Point selects: SELECT list FROM t WHERE pk = ? [AND col = ?]... [LIMIT n]
// is most of the statements a server runs (bench/serve's select load is
// nothing else), and selectStmt, built for every SELECT, plans the access
// path, compiles WHERE and sets up grouping, sorting and window machinery
// on each execution. A statement of that form takes a shorter road that
// gives the same result:
//
//   - what the text says is worked out once, when it is parsed
//     (pointShapeOf): one base table with no index hints, a select list of
//     plain expressions (no aggregate, window function or subquery), no
//     GROUP BY, HAVING, ORDER BY, DISTINCT, locking clause, INTO or
//     SQL_CALC_FOUND_ROWS, a LIMIT of a positive literal at most, and a
//     WHERE clause that is only column = constant conjuncts (a ? or a
//     literal);
//   - at each execution (pointSelect), those conjuncts must name every
//     column of the table's primary key, each an integer column, and each
//     constant must convert to its column's type unchanged (keyValue, the
//     planner's own rule); then the row is read by key (the planner would
//     choose the same lookup), WHERE is evaluated in full on it, and the
//     select list is evaluated as selectStmt evaluates it.
//
// Anything else, including every error (an unknown column, a view, a
// missing table), goes to selectStmt, so messages and warnings are its
// own.

// pointSelects turns the point-lookup road on; tests turn it off to
// compare its results with selectStmt's.
var pointSelects = true

// pointShape is a SELECT that may run as a point lookup.
type pointShape struct {
	table *ast.TableName
	alias string
	conds []pointCond
}

// pointCond is one column = constant conjunct of WHERE.
type pointCond struct {
	col *ast.ColumnName
	val ast.ExprNode // a ? or a literal
}

// pointShapeOf returns n's shape when n may run as a point lookup, else
// nil.
func pointShapeOf(n *ast.SelectStmt) *pointShape {
	if n.Kind != ast.SelectStmtKindSelect || n.With != nil || n.SelectIntoOpt != nil || n.GroupBy != nil ||
		n.Having != nil || n.OrderBy != nil || n.Distinct || n.WindowSpecs != nil || n.Where == nil ||
		(n.LockInfo != nil && n.LockInfo.LockType != ast.SelectLockNone) ||
		(n.SelectStmtOpts != nil && n.SelectStmtOpts.CalcFoundRows) {
		return nil
	}
	if n.Limit != nil {
		if n.Limit.Offset != nil {
			return nil
		}
		v, ok := n.Limit.Count.(*test_driver.ValueExpr)
		if !ok {
			return nil
		}
		switch c := v.Datum.GetValue().(type) {
		case int64:
			if c < 1 {
				return nil
			}
		case uint64:
			if c < 1 {
				return nil
			}
		default:
			return nil
		}
	}
	if n.From == nil || n.From.TableRefs == nil || n.From.TableRefs.Right != nil {
		return nil
	}
	ts, ok := n.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok || isInfoSchema(tn) || len(tn.IndexHints) > 0 || len(tn.PartitionNames) > 0 || tn.TableSample != nil {
		return nil
	}
	if n.Fields == nil {
		return nil
	}
	for _, f := range n.Fields.Fields {
		if f.WildCard != nil {
			continue
		}
		v := &plainExprCheck{ok: true}
		f.Expr.Accept(v)
		if !v.ok {
			return nil
		}
	}
	sh := &pointShape{table: tn, alias: ts.AsName.O}
	for _, c := range conjuncts(n.Where) {
		b, ok := c.(*ast.BinaryOperationExpr)
		if !ok || b.Op != opcode.EQ {
			return nil
		}
		col, val := b.L, b.R
		if _, ok := col.(*ast.ColumnNameExpr); !ok {
			col, val = val, col
		}
		cn, ok := col.(*ast.ColumnNameExpr)
		if !ok || cn.Name.Schema.L != "" {
			return nil
		}
		switch val.(type) {
		case *test_driver.ParamMarkerExpr, *test_driver.ValueExpr:
		default:
			return nil
		}
		sh.conds = append(sh.conds, pointCond{col: cn.Name, val: val})
	}
	return sh
}

// plainExprCheck finds what a point lookup does not evaluate: aggregates
// (they make one row of no rows), window functions and subqueries.
type plainExprCheck struct{ ok bool }

func (v *plainExprCheck) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.AggregateFuncExpr, *ast.WindowFuncExpr, *ast.SubqueryExpr, *ast.ExistsSubqueryExpr,
		*ast.CompareSubqueryExpr, *ast.DefaultExpr, *ast.ValuesExpr:
		v.ok = false
		return n, true
	}
	return n, false
}

func (v *plainExprCheck) Leave(n ast.Node) (ast.Node, bool) { return n, v.ok }

// pointSelect runs n, whose shape is sh, as a point lookup, or reports
// false when selectStmt must run it.
func (x *execCtx) pointSelect(n *ast.SelectStmt, sh *pointShape) (Result, bool, error) {
	ti, err := x.tableRead(sh.table, sh.alias)
	if err != nil {
		return Result{}, false, nil
	}
	def := ti.def
	if len(def.PrimaryKey) == 0 || len(def.PrimaryKey) > len(sh.conds) {
		return Result{}, false, nil
	}
	var pkBuf [4]any
	pk := pkBuf[:0]
	ec := x.newEval(ti, "WHERE") // the constants name no column: no row needed yet
	for _, name := range def.PrimaryKey {
		ci := ti.column(name)
		if ci < 0 || !def.Columns[ci].Type.IsInteger() {
			return Result{}, false, nil
		}
		var cond *pointCond
		for i := range sh.conds {
			c := &sh.conds[i]
			if c.col.Table.L != "" && c.col.Table.L != strings.ToLower(ti.alias) {
				return Result{}, false, nil
			}
			if strings.EqualFold(c.col.Name.O, name) {
				if cond != nil {
					return Result{}, false, nil // id = 1 AND id = ?: left to the planner
				}
				cond = c
			}
		}
		if cond == nil {
			return Result{}, false, nil
		}
		v, err := ec.eval(cond.val)
		if err != nil {
			return Result{}, false, nil
		}
		kv, ok := keyValue(def, &def.Columns[ci], v)
		if !ok {
			return Result{}, false, nil
		}
		pk = append(pk, x.storedKey(&def.Columns[ci], kv)) // timezone.go
	}
	fields, err := selectFields(ti, n.Fields)
	if err != nil {
		return Result{}, false, nil
	}
	if err := x.checkColumns(ti, fields, n); err != nil {
		return Result{}, false, nil
	}
	var out [][]any
	// scanRows reads the row by key as the planner's path would (and in
	// the session's time zone).
	err = x.scanRows(ti, &accessPath{kind: accessConst, pk: pk}, func(_ engine.Handle, row engine.Row) (bool, error) {
		ec.row, ec.clause = row, "WHERE"
		v, err := ec.eval(n.Where)
		if err != nil {
			return false, err
		}
		if b, _ := truthy(v); b {
			vals := make([]any, len(fields))
			ec.clause = "SELECT"
			for i, f := range fields {
				if vals[i], err = ec.eval(f.expr); err != nil {
					return false, err
				}
			}
			out = [][]any{vals}
		}
		return false, nil
	})
	if err != nil {
		return Result{}, true, err
	}
	x.s.pointLookups++
	r, err := x.finishSelect(ti, fields, out)
	return r, true, err
}
