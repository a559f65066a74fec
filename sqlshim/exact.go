package sqlshim

import (
	"github.com/blitzdb/blitz/internal/collate"
	"math"
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// This file carries a quotient's inner digits through the expressions
// that pass a value on (IF, IFNULL, COALESCE, NULLIF, GREATEST, LEAST,
// CASE, ABS), user variables and aggregates, as MariaDB does: 1/3 shows
// 0.3333 but is 0.333333333 inside, so ABS(1/3)*3, IF(c, 1/3, 0)*3 and
// SUM(1/3)*3 are 1.0000 where the shown digits would give 0.9999.
// exactOperand (eval.go) is the entry point; a value shows its declared
// scale only when it leaves an expression.

// storedValue is the value of e as INSERT and UPDATE store it: a quotient
// with its inner digits, as MariaDB stores them (1/3 into a DOUBLE is
// 0.333333333, not the 0.3333 a SELECT shows). A literal, placeholder or
// column, the common cases, is evaluated directly.
func (c *evalCtx) storedValue(e ast.ExprNode) (any, error) {
	switch e.(type) {
	case *test_driver.ValueExpr, *test_driver.ParamMarkerExpr, *ast.ColumnNameExpr:
		return c.eval(e)
	}
	v, _, err := c.exactOperand(e)
	return v, err
}

// exactDec is an aggregate result that involved a quotient: d unrounded,
// shown with scale digits after the point.
type exactDec struct {
	d     decimal.Decimal
	scale int32
}

// shown is v as a result shows it: an exactDec rounded to its scale, any
// other value itself.
func shown(v any) any {
	if e, ok := v.(exactDec); ok {
		return e.d.Round(e.scale)
	}
	return v
}

// exactPassThrough is exactOperand for the expressions that pass a value
// on: the value with its inner digits and its declared scale (-1 when no
// quotient is involved). ok is false for any other expression, or a call
// with the wrong number of arguments (eval reports that).
func (c *evalCtx) exactPassThrough(e ast.ExprNode) (v any, scale int32, ok bool, err error) {
	switch x := e.(type) {
	case *ast.CaseExpr:
		branch, err := c.caseBranch(x)
		if err != nil || branch == nil {
			return nil, -1, true, err
		}
		v, scale, err = c.exactOperand(branch)
		v = c.typedBranch(x, v, scale, nil)
		return enumText(v), scale, true, err
	case *ast.VariableExpr:
		if x.IsSystem || x.Value != nil || c.s == nil {
			return nil, -1, false, nil
		}
		// A DECIMAL user variable counts as having MariaDB's largest
		// scale in arithmetic: SET @a = 1.5; SELECT @a*2 shows 38 digits.
		v = c.s.userVars[strings.ToLower(x.Name)]
		if _, isDec := v.(decimal.Decimal); isDec {
			return v, maxDecimalScale, true, nil
		}
		return v, -1, true, nil
	case *ast.AggregateFuncExpr:
		v, err := c.aggregate(x)
		if e, isExact := v.(exactDec); isExact {
			return e.d, e.scale, true, err
		}
		return v, -1, true, err
	case *ast.FuncCallExpr:
		return c.exactCall(x)
	case *ast.SubqueryExpr:
		v, inner, err := c.scalarSubqueryInner(x)
		if e, isExact := inner.(exactDec); isExact {
			return e.d, e.scale, true, err
		}
		return v, -1, true, err
	}
	return nil, -1, false, nil
}

// innerValue is the value of a subquery's select-list expression e and,
// when it involved a quotient, the value with its inner digits (an
// exactDec) for Result.inner; inner is nil otherwise.
func (c *evalCtx) innerValue(e ast.ExprNode) (v, inner any, err error) {
	v, scale, err := c.exactOperand(e)
	if err != nil {
		return nil, nil, err
	}
	if d, ok := v.(decimal.Decimal); ok && scale >= 0 {
		return d.Round(scale), exactDec{d, scale}, nil
	}
	return shown(v), nil, nil
}

// exactCall is exactPassThrough for a function call.
func (c *evalCtx) exactCall(x *ast.FuncCallExpr) (v any, scale int32, ok bool, err error) {
	name := x.FnName.L
	args := x.Args
	switch {
	case name == "if" && len(args) == 3:
		branch, err := c.ifBranch(x)
		if err != nil {
			return nil, -1, true, err
		}
		v, scale, err = c.exactOperand(branch)
		v = c.typedBranch(x, v, scale, args[1:])
		return enumText(v), scale, true, err
	case (name == "coalesce" && len(args) > 0) || (name == "ifnull" && len(args) == 2):
		for _, a := range args {
			if v, scale, err = c.exactOperand(a); err != nil || v != nil {
				v = c.typedBranch(x, v, scale, args)
				return enumText(v), scale, true, err
			}
		}
		return nil, -1, true, nil
	case name == "nullif" && len(args) == 2:
		if v, scale, err = c.exactOperand(args[0]); err != nil {
			return nil, -1, true, err
		}
		w, err := c.eval(args[1])
		if err != nil {
			return nil, -1, true, err
		}
		if v != nil && w != nil && compareValues(v, w) == 0 {
			return nil, -1, true, nil
		}
		return v, scale, true, nil
	case name == "abs" && len(args) == 1:
		if v, scale, err = c.exactOperand(args[0]); err != nil || v == nil {
			return nil, -1, true, err
		}
		v, err = c.absValue(x, v)
		return v, scale, true, err
	case (name == "greatest" || name == "least") && len(args) >= 2:
		vals := make([]any, len(args))
		scales := make([]int32, len(args))
		exact := false
		for i, a := range args {
			if vals[i], scales[i], err = c.exactOperand(a); err != nil || vals[i] == nil {
				return nil, -1, true, err
			}
			exact = exact || scales[i] >= 0
		}
		i := extremeOf(name, vals, nil)
		if _, isDec := vals[i].(decimal.Decimal); !isDec || !exact {
			return c.typedBranch(x, vals[i], scales[i], args), -1, true, nil
		}
		scale = 0
		for j := range vals {
			scale = max(scale, declaredScale(vals[j], scales[j]))
		}
		return vals[i], scale, true, nil
	}
	return nil, -1, false, nil
}

// typedBranch is inBranchType for v, the value of a branch of node, as
// an operand: an integer or DECIMAL in the branches' type (a DECIMAL of
// their largest scale: CASE WHEN c THEN d3 ELSE 3.14159 END / 1.5 has
// nine digits; a DECIMAL when signed and unsigned integers mix:
// IFNULL(i, 18446744073709551615) * b is no BIGINT overflow). A quotient
// keeping its inner digits (scale >= 0) and other values are left as
// they are.
func (c *evalCtx) typedBranch(node ast.ExprNode, v any, scale int32, es []ast.ExprNode) any {
	switch v.(type) {
	case int64, uint64:
		return c.inBranchType(node, v, es)
	case decimal.Decimal:
		if scale < 0 {
			return c.inBranchType(node, v, es)
		}
	}
	return v
}

// ifBranch evaluates the condition of IF(cond, a, b) and returns a or b.
func (c *evalCtx) ifBranch(x *ast.FuncCallExpr) (ast.ExprNode, error) {
	if err := argCount(x.FnName.O, x.Args, 3, 3); err != nil {
		return nil, err
	}
	cond, err := c.eval(x.Args[0])
	if err != nil {
		return nil, err
	}
	if b, _ := truthy(cond); b {
		return x.Args[1], nil
	}
	return x.Args[2], nil
}

// extremeOf is the index of the largest (GREATEST) or smallest (LEAST)
// of args, none NULL; the first of equals.
func extremeOf(name string, args []any, coll *collate.Collation) int {
	best := 0
	for i, a := range args[1:] {
		cmp := cmpColl(a, args[best], coll)
		if (name == "greatest" && cmp > 0) || (name == "least" && cmp < 0) {
			best = i + 1
		}
	}
	return best
}

// absValue is ABS(v), v not NULL.
func (c *evalCtx) absValue(x *ast.FuncCallExpr, v any) (any, error) {
	switch n := v.(type) {
	case int64:
		if n == math.MinInt64 {
			return nil, c.outOfRange("BIGINT", x)
		}
		return abs64(n), nil
	case uint64:
		return n, nil
	case decimal.Decimal:
		return n.Abs(), nil
	}
	return math.Abs(toFloat(v)), nil
}

// aggregate is the value of aggregate a in the current group: an exactDec
// when it involved a quotient.
func (c *evalCtx) aggregate(a *ast.AggregateFuncExpr) (any, error) {
	if v, ok := c.enclosingAggregate(a); ok {
		return v, nil
	}
	if c.aggs == nil {
		return nil, errf(sqlerr.ErrInvalidGroupFunc, "Invalid use of group function")
	}
	return c.aggs[a], nil
}
