package sqlshim

import (
	"math"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// IF, IFNULL, COALESCE and CASE have one result type for all their
// branches, as in MariaDB: the branch taken is shown in it. IF(1, 1, 2.5)
// is 1.0 (a DECIMAL with the largest scale of the branches), IF(1, 2.50,
// 1e0) is 2.5 (a DOUBLE as soon as one branch is). The type is read from
// the branch expressions, never by evaluating a branch not taken; a
// branch whose type is not known here (a function, a subquery, a date)
// leaves the value as it is.

// numType is the static numeric type of an expression: kind 'i'
// (integer), 'd' (DECIMAL of scale), 'f' (DOUBLE), 's' (text), 'n' (the
// NULL literal), or 0 when not known.
type numType struct {
	kind  byte
	scale int32
}

// staticType is e's numType, from its literals, its columns' types and
// the arithmetic over them.
func (c *evalCtx) staticType(e ast.ExprNode) numType {
	switch x := e.(type) {
	case *test_driver.ValueExpr:
		return valueType(x.Datum.GetValue(), c)
	case *ast.ParenthesesExpr:
		return c.staticType(x.Expr)
	case *ast.ColumnNameExpr:
		if col := numColumn(c.ti, x); col != nil {
			return columnType(col)
		}
		return numType{}
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus {
			return c.staticType(x.V)
		}
	case *ast.BinaryOperationExpr:
		return c.arithType(x)
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "if":
			if len(x.Args) == 3 {
				return c.branchesType(x.Args[1:])
			}
		case "ifnull", "coalesce":
			return c.branchesType(x.Args)
		}
	case *ast.CaseExpr:
		return c.branchesType(caseResults(x))
	}
	// ROUND, TRUNCATE, ABS, CAST AS DECIMAL...: colmeta_dec.go's rules.
	if d, ok := decExprType(c.ti, e); ok {
		return numType{kind: 'd', scale: int32(d.scale)}
	}
	return numType{}
}

// valueType is the numType of a literal's value.
func valueType(v any, c *evalCtx) numType {
	switch x := v.(type) {
	case nil:
		return numType{kind: 'n'}
	case int64, uint64:
		return numType{kind: 'i'}
	case float64, float32:
		return numType{kind: 'f'}
	case string, []byte:
		return numType{kind: 's'}
	case *test_driver.MyDecimal:
		d, err := decimal.NewFromString(x.String())
		if err != nil {
			return numType{}
		}
		return numType{kind: 'd', scale: max(-d.Exponent(), 0)}
	}
	return numType{}
}

// columnType is the numType of a table column.
func columnType(col *engine.Column) numType {
	switch {
	case col.Type.IsInteger():
		return numType{kind: 'i'}
	case col.Type == engine.TypeDecimal:
		return numType{kind: 'd', scale: int32(col.Scale)}
	case col.Type == engine.TypeFloat || col.Type == engine.TypeDouble:
		return numType{kind: 'f'}
	case col.Type.IsString():
		return numType{kind: 's'}
	}
	return numType{}
}

// arithType is the numType of + - * / DIV %.
func (c *evalCtx) arithType(x *ast.BinaryOperationExpr) numType {
	switch x.Op {
	case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod:
	default:
		return numType{}
	}
	l, r := c.staticType(x.L), c.staticType(x.R)
	if x.Op == opcode.Div {
		// NULL / x and x / NULL are DECIMALs all the same (the NULL
		// counts as an integer): IFNULL(NULL / 0, 1) / 3 has 8 digits.
		if l.kind == 'n' {
			l = numType{kind: 'i'}
		}
		if r.kind == 'n' {
			r = numType{kind: 'i'}
		}
	}
	if l.kind == 0 || r.kind == 0 || l.kind == 'n' || r.kind == 'n' {
		return numType{}
	}
	switch {
	case x.Op == opcode.IntDiv:
		return numType{kind: 'i'}
	case l.kind == 'f' || r.kind == 'f' || l.kind == 's' || r.kind == 's':
		return numType{kind: 'f'}
	case x.Op == opcode.Div:
		return numType{kind: 'd', scale: min(l.scale+divPrecisionIncrement, maxDecimalScale)}
	case l.kind == 'i' && r.kind == 'i':
		return numType{kind: 'i'}
	case x.Op == opcode.Mul:
		return numType{kind: 'd', scale: min(l.scale+r.scale, maxDecimalScale)}
	}
	return numType{kind: 'd', scale: max(l.scale, r.scale)}
}

// branchesType is the one type of the branches es: DOUBLE if one is, else
// DECIMAL of the largest scale if one is, else integer; text beside
// numbers, or a branch of unknown type, gives 0 (values left as they are).
func (c *evalCtx) branchesType(es []ast.ExprNode) numType {
	out := numType{kind: 'n'}
	for _, e := range es {
		t := c.staticType(e)
		switch {
		case t.kind == 0 || t.kind == 's':
			return numType{}
		case t.kind == 'n':
		case out.kind == 'n' || t.kind == 'f' || out.kind == 'f':
			if out.kind == 'd' || t.kind == 'd' {
				out.scale = max(out.scale, t.scale)
			}
			if out.kind != 'f' {
				out.kind = t.kind
			}
		case t.kind == 'd' || out.kind == 'd':
			out = numType{kind: 'd', scale: max(out.scale, t.scale)}
		}
	}
	return out
}

// caseResults are the result expressions of CASE x, ELSE included.
func caseResults(x *ast.CaseExpr) []ast.ExprNode {
	var es []ast.ExprNode
	for _, w := range x.WhenClauses {
		es = append(es, w.Result)
	}
	if x.ElseClause != nil {
		es = append(es, x.ElseClause)
	}
	return es
}

// inBranchType is v, the value of the branch taken among es (those of
// node, an IF, IFNULL, COALESCE or CASE; nil for a CASE: its results), in
// the type of all of them. The type is worked out once per node and
// statement.
func (c *evalCtx) inBranchType(node ast.ExprNode, v any, es []ast.ExprNode) any {
	switch v.(type) {
	case int64, uint64, decimal.Decimal, float64, time.Duration:
	case engine.Enum, engine.Set:
		return enumText(v)
	default:
		return v // NULL, text, dates: as they are
	}
	typeOf := func() numType {
		if ce, ok := node.(*ast.CaseExpr); ok && es == nil {
			es = caseResults(ce)
		}
		if len(es) < 2 {
			return numType{}
		}
		if textBranches(node) != nil {
			return numType{kind: 's'}
		}
		t := c.branchesType(es)
		if t.kind == 'i' && c.ti != nil {
			// Signed and unsigned integers together make a DECIMAL
			// (colmeta_dec.go): CASE WHEN a THEN -1 ELSE u END * -2 is
			// no BIGINT UNSIGNED overflow.
			fn, isFunc := node.(*ast.FuncCallExpr)
			if mixedSign(c.ti, es, isFunc && (fn.FnName.L == "ifnull" || fn.FnName.L == "coalesce")) {
				return numType{kind: 'd'}
			}
		}
		return t
	}
	var t numType
	if c.x == nil {
		t = typeOf()
	} else if known, ok := c.x.branchTypes[node]; ok {
		t = known
	} else {
		t = typeOf()
		if c.x.branchTypes == nil {
			c.x.branchTypes = map[ast.ExprNode]numType{}
		}
		c.x.branchTypes[node] = t
	}
	if d, ok := v.(time.Duration); ok {
		if t.kind == 's' {
			// A TIME beside text is text: it sorts as text, as in
			// MariaDB (IFNULL(tm, '-01:00:00') puts -01:00:00 before
			// -838:59:59).
			return toString(d)
		}
		return v
	}
	switch t.kind {
	case 'f':
		if f := toFloat(v); !math.IsInf(f, 0) {
			return f
		}
	case 'd':
		if _, isFloat := v.(float64); isFloat {
			return v
		}
		return toDecimal(v).Round(t.scale)
	}
	return v
}

// enumText is v, a value IF, IFNULL, COALESCE or CASE passes on, with an
// ENUM or SET replaced by its text, as in MariaDB: their result is a
// string, so IFNULL(e, 'x') sorts and compares as text (not by the
// member's number) and is 0 in a sum.
func enumText(v any) any {
	switch x := v.(type) {
	case engine.Enum:
		return x.Name
	case engine.Set:
		return x.Text
	}
	return v
}

// notFixed is MariaDB's "decimals" of a DOUBLE shown with as many digits
// as it needs.
const notFixed = 31

// doubleDecimals is the number of digits after the point MariaDB shows a
// DOUBLE expression with: PI() has 6, ROUND(x, 2) 2, and arithmetic keeps
// the most of its operands' (a division adds div_precision_increment), so
// PI()*2 shows 6.283185; a DOUBLE literal or column has notFixed, which
// wins. ok is false when e is not one of these forms.
func doubleDecimals(ti *tableInfo, e ast.ExprNode) (dec int, ok bool) {
	switch x := e.(type) {
	case *test_driver.ValueExpr:
		switch t := valueType(x.Datum.GetValue(), nil); t.kind {
		case 'i':
			return 0, true
		case 'd':
			return int(t.scale), true
		case 'f', 's':
			return notFixed, true
		}
	case *ast.ParenthesesExpr:
		return doubleDecimals(ti, x.Expr)
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus {
			return doubleDecimals(ti, x.V)
		}
	case *ast.ColumnNameExpr:
		c := &evalCtx{ti: ti}
		switch t := c.staticType(x); t.kind {
		case 'i':
			return 0, true
		case 'd':
			return int(t.scale), true
		case 'f':
			return notFixed, true
		}
	case *ast.BinaryOperationExpr:
		l, ok1 := doubleDecimals(ti, x.L)
		r, ok2 := doubleDecimals(ti, x.R)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch x.Op {
		case opcode.Plus, opcode.Minus, opcode.Mul:
			return max(l, r), true
		case opcode.Div:
			if l >= notFixed || r >= notFixed {
				return notFixed, true
			}
			return min(l+divPrecisionIncrement, notFixed), true
		}
	case *ast.AggregateFuncExpr:
		switch strings.ToLower(x.F) {
		case ast.AggFuncSum, ast.AggFuncMin, ast.AggFuncMax:
			if len(x.Args) == 1 {
				return doubleDecimals(ti, x.Args[0])
			}
		}
	case *ast.FuncCallExpr:
		return callDecimals(ti, x)
	}
	return 0, false
}

// callDecimals is doubleDecimals of a function call.
func callDecimals(ti *tableInfo, x *ast.FuncCallExpr) (int, bool) {
	most := func(es []ast.ExprNode) (int, bool) {
		d := 0
		for _, a := range es {
			if v, ok := a.(*test_driver.ValueExpr); ok && v.Datum.GetValue() == nil {
				continue
			}
			n, ok := doubleDecimals(ti, a)
			if !ok {
				return 0, false
			}
			d = max(d, n)
		}
		return d, true
	}
	switch x.FnName.L {
	case "pi":
		return 6, true
	case "abs":
		if len(x.Args) == 1 {
			return doubleDecimals(ti, x.Args[0])
		}
	case "round", "truncate":
		if len(x.Args) == 1 {
			return 0, true
		}
		if v, ok := x.Args[1].(*test_driver.ValueExpr); ok && len(x.Args) == 2 {
			switch n := v.Datum.GetValue().(type) {
			case int64:
				return int(min(max(n, 0), notFixed)), true
			case uint64:
				return int(min(n, notFixed)), true
			}
		}
	case "if":
		if len(x.Args) == 3 {
			return most(x.Args[1:])
		}
	case "ifnull", "coalesce", "greatest", "least":
		return most(x.Args)
	}
	return 0, false
}
