package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// The precision, scale and display length of DECIMAL-valued expressions,
// worked out from the expression as MariaDB does, instead of the 66
// characters (the longest DECIMAL) a value alone allows: clients size
// their buffers and columns by them, and CREATE TABLE ... SELECT takes
// the column's precision from the length.
//
// MariaDB's rules, as measured on 10.11 (--column-type-info):
//   - length = precision + 1 for the point if the scale is not 0 + 1 for
//     the sign unless the result is unsigned, precision at most 65 and
//     scale at most 38; CREATE TABLE ... SELECT takes the precision
//     (-a has a's, as a's length + 1 does not say);
//   - a decimal literal has its digits as precision (0.5: 2, 10.25: 4);
//     an integer operand its precision (intExpr.prec), scale 0; a
//     DECIMAL(p,s) column p and s; a temporal operand its digits
//     (DATE 8, DATETIME(n) 14+n, TIME(n) 7+n) and n as scale;
//   - a + b, a - b: the larger integer part + 1, the larger scale;
//     a * b: the sum of precisions and of scales; a / b: a's precision +
//     b's scale + 4 (div_precision_increment), a's scale + 4; a % b: the
//     larger precision and scale, signed as a; unsigned when both are;
//   - -a: a's length + 1 (a temporal's display length: -dt is 20);
//     ABS(a): a's; ROUND(a, n) and TRUNCATE(a, n), n a literal: scale n,
//     precision a's - (a's scale - n), + 1 for rounding when digits go;
//     ROUND(a, x) with x not a literal: a's;
//   - IF, IFNULL, COALESCE, CASE, GREATEST, LEAST, NULLIF of decimal and
//     integer branches (or integers of mixed signedness): the largest
//     integer part + the largest scale, signed unless all are unsigned;
//   - CAST(a AS DECIMAL(p,s)): p and s (DECIMAL alone: 10 and 0);
//   - SUM(a): a's precision + 22, a's scale, signed; AVG(a): a's
//     precision + 4 and scale + 4, signed; MIN(a), MAX(a): a's.
// An integer expression (both operands integers, or a DATETIME without
// fractions + 0) is not a DECIMAL: intInfo describes it.

// decExpr describes a numeric operand or DECIMAL-valued expression.
type decExpr struct {
	prec, scale int
	n           int  // display length
	unsigned    bool // the result is unsigned
	dec         bool // a DECIMAL (else an integer operand)
	lit         bool // a decimal literal, possibly negated
}

// Bounds of MariaDB's DECIMAL.
const (
	decMaxPrec  = 65
	decMaxScale = 38
)

// decOf is the decExpr of a DECIMAL of prec digits, scale of them after
// the point.
func decOf(prec, scale int, unsigned bool) decExpr {
	scale = min(scale, decMaxScale)
	prec = min(max(prec, scale, 1), decMaxPrec)
	return decExpr{prec: prec, scale: scale, n: prec + b2i(scale > 0) + b2i(!unsigned), unsigned: unsigned, dec: true}
}

// intPart is the number of d's digits before the point.
func (d decExpr) intPart() int { return d.prec - d.scale }

// decExprType is the decExpr (precision, scale, display length and
// signedness) MariaDB gives DECIMAL-valued expression e over ti (nil: no
// table); ok is false for an expression that is not a DECIMAL or whose
// type this does not work out.
func decExprType(ti *tableInfo, e ast.ExprNode) (d decExpr, ok bool) {
	d, ok = decInfo(ti, e)
	return d, ok && d.dec
}

// decInfo works out e's decExpr (see the rules above); ok is false when
// e is neither a DECIMAL nor an integer, or not worked out here.
func decInfo(ti *tableInfo, e ast.ExprNode) (decExpr, bool) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return decInfo(ti, x.Expr)
	case *test_driver.ValueExpr:
		if d, ok := x.Datum.GetValue().(*test_driver.MyDecimal); ok {
			// The parser sizes the literal: digits (0.5's 0 too) and point.
			var r decExpr
			if n, sc := x.Type.GetFlen(), x.Type.GetDecimal(); n > 0 && sc >= 0 {
				r = decOf(n-b2i(sc > 0), sc, false)
			} else {
				ip, frac, _ := strings.Cut(strings.TrimPrefix(d.String(), "-"), ".")
				r = decOf(max(len(strings.TrimLeft(ip, "0")), 1)+len(frac), len(frac), false)
			}
			r.lit = true
			return r, true
		}
	case *ast.ColumnNameExpr:
		if c := numColumn(ti, x); c != nil {
			switch {
			case c.Type == engine.TypeDecimal:
				return decOf(c.Precision, c.Scale, c.Unsigned), true
			case c.Type == engine.TypeDate:
				r := decOf(8, 0, false)
				r.n, r.dec = 10, c.Scale > 0
				return r, true
			case c.Type == engine.TypeDateTime || c.Type == engine.TypeTimestamp:
				r := decOf(14+c.Scale, c.Scale, false)
				r.n, r.dec = 19+fracLen(c.Scale), c.Scale > 0
				return r, true
			case c.Type == engine.TypeTime:
				r := decOf(7+c.Scale, c.Scale, false)
				r.n, r.dec = 10+fracLen(c.Scale), c.Scale > 0
				return r, true
			}
		}
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus {
			a, ok := decInfo(ti, x.V)
			switch {
			case !ok:
				return decExpr{}, false
			case a.lit:
				return a, true // MariaDB folds -literal
			case !a.dec && !isTemporalColumn(ti, x.V):
				break // an integer
			default:
				// -dt is a DECIMAL as long as dt's text and a sign; its
				// precision (for CREATE TABLE ... SELECT) is a DECIMAL
				// operand's, or for a temporal one of no fraction, as
				// for an integer, the length without the sign.
				r := decOf(a.prec, a.scale, false)
				r.n = a.n + 1
				if !a.dec {
					r.prec = r.n - 1
				}
				return r, true
			}
		}
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.Mod:
			if r, ok := decArith(ti, x.Op, x.L, x.R); ok {
				return r, true
			}
		}
	case *ast.FuncCallExpr:
		if r, ok := decFunc(ti, x); ok {
			return r, true
		}
	case *ast.CaseExpr:
		if r, ok := decBranches(ti, caseResults(x), true); ok {
			return r, true
		}
	case *ast.FuncCastExpr:
		if x.Tp.GetType() == mysql.TypeNewDecimal {
			// CAST(a AS DECIMAL) is DECIMAL(10,0).
			p, sc := x.Tp.GetFlen(), x.Tp.GetDecimal()
			if p <= 0 {
				p = 10
			}
			return decOf(p, max(sc, 0), false), true
		}
	case *ast.AggregateFuncExpr:
		if len(x.Args) != 1 {
			break
		}
		switch strings.ToLower(x.F) {
		case ast.AggFuncSum:
			if a, ok := decInfo(ti, x.Args[0]); ok {
				return decOf(a.prec+22, a.scale, false), true
			}
		case ast.AggFuncAvg:
			if a, ok := decInfo(ti, x.Args[0]); ok {
				return decOf(a.prec+divPrecisionIncrement, a.scale+divPrecisionIncrement, false), true
			}
		case ast.AggFuncMin, ast.AggFuncMax:
			if a, ok := decInfo(ti, x.Args[0]); ok && a.dec {
				a.lit = false
				return a, true
			}
		}
	}
	if a, ok := intInfo(ti, e); ok {
		return decExpr{prec: a.prec(), n: a.n, unsigned: a.unsigned}, true
	}
	return decExpr{}, false
}

// numColumn is the definition of column x of ti's one table or of its
// join, nil when x names none of them (or an outer query's).
func numColumn(ti *tableInfo, x *ast.ColumnNameExpr) *engine.Column {
	if ti == nil {
		return nil
	}
	if ti.join != nil {
		if p := ti.join.position(x.Name, "field list"); p >= 0 {
			return ti.join.columnAt(p)
		}
		return nil
	}
	if x.Name.Table.L != "" && x.Name.Table.L != lower(ti.alias) {
		return nil
	}
	if i := ti.column(x.Name.Name.O); i >= 0 {
		return &ti.def.Columns[i]
	}
	return nil
}

// isTemporalColumn reports whether e is a DATE, DATETIME, TIMESTAMP or
// TIME column of ti.
func isTemporalColumn(ti *tableInfo, e ast.ExprNode) bool {
	x, ok := unparen(e).(*ast.ColumnNameExpr)
	if !ok {
		return false
	}
	c := numColumn(ti, x)
	if c == nil {
		return false
	}
	switch c.Type {
	case engine.TypeDate, engine.TypeDateTime, engine.TypeTimestamp, engine.TypeTime:
		return true
	}
	return false
}

// decArith is the decExpr of a + b, a - b, a * b, a / b or a % b when it
// is a DECIMAL (a / b always is).
func decArith(ti *tableInfo, op opcode.Op, l, r ast.ExprNode) (decExpr, bool) {
	a, ok := decInfo(ti, l)
	if !ok {
		return decExpr{}, false
	}
	b, ok := decInfo(ti, r)
	if !ok || !a.dec && !b.dec && op != opcode.Div {
		return decExpr{}, false
	}
	uns := a.unsigned && b.unsigned
	switch op {
	case opcode.Plus, opcode.Minus:
		s := max(a.scale, b.scale)
		return decOf(max(a.intPart(), b.intPart())+1+s, s, uns), true
	case opcode.Mul:
		return decOf(a.prec+b.prec, a.scale+b.scale, uns), true
	case opcode.Div:
		return decOf(a.prec+b.scale+divPrecisionIncrement, a.scale+divPrecisionIncrement, uns), true
	}
	return decOf(max(a.prec, b.prec), max(a.scale, b.scale), a.unsigned), true // %
}

// decFunc is the decExpr of a DECIMAL-valued function call.
func decFunc(ti *tableInfo, x *ast.FuncCallExpr) (decExpr, bool) {
	switch x.FnName.L {
	case "mod":
		if len(x.Args) == 2 {
			return decArith(ti, opcode.Mod, x.Args[0], x.Args[1])
		}
	case "abs":
		if len(x.Args) == 1 {
			if a, ok := decInfo(ti, x.Args[0]); ok && a.dec {
				a.lit = false
				return a, true
			}
		}
	case "unix_timestamp":
		// UNIX_TIMESTAMP(dt3) is 17 characters and the fraction's.
		if len(x.Args) == 1 {
			if sc := fracDigits(ti, x.Args[0]); sc > 0 {
				return decOf(16+sc, sc, false), true
			}
		}
	case "floor", "ceil", "ceiling":
		// (up to 18 digits an integer: intFloorDec)
		if a, ok := decInfo(ti, x.Args[0]); ok && a.dec && len(x.Args) == 1 {
			return decOf(a.intPart()+b2i(a.scale > 0 && (x.FnName.L != "floor" || !a.unsigned)), 0, a.unsigned), true
		}
	case "round", "truncate":
		if len(x.Args) == 0 || len(x.Args) > 2 {
			break
		}
		a, ok := decInfo(ti, x.Args[0])
		if !ok || !a.dec {
			break
		}
		if len(x.Args) == 1 {
			return decRound(a, 0, x.FnName.L == "truncate"), true
		}
		n, ok := intInfo(ti, x.Args[1])
		if !ok || !n.lit {
			a.lit = false
			return a, true // places known only at run time: a's type
		}
		return decRound(a, int(max(min(n.val, decMaxScale), 0)), x.FnName.L == "truncate"), true
	}
	if branches, signedNull, ok := resultBranches(x); ok {
		return decBranches(ti, branches, signedNull)
	}
	return decExpr{}, false
}

// resultBranches returns the arguments whose values a call of IF, IFNULL,
// COALESCE, GREATEST, LEAST or NULLIF returns, and whether a NULL literal
// among them counts as signed (mixedSign); ok false for other calls.
func resultBranches(x *ast.FuncCallExpr) (branches []ast.ExprNode, signedNull, ok bool) {
	switch x.FnName.L {
	case "if":
		if len(x.Args) == 3 {
			return x.Args[1:], false, true
		}
	case "ifnull", "coalesce", "greatest", "least":
		return x.Args, true, true
	case "nullif":
		if len(x.Args) == 2 {
			return x.Args[:1], false, true
		}
	}
	return nil, false, false
}

// decRound is the decExpr of ROUND(a, places) or TRUNCATE(a, places).
func decRound(a decExpr, places int, truncate bool) decExpr {
	delta := a.scale - places
	return decOf(a.prec-delta+b2i(delta > 0 && !truncate), places, a.unsigned)
}

// decBranches is the decExpr of a function that returns one of branches
// when it is a DECIMAL: some branch is, the others are integers or NULL,
// or all are integers, some signed and some unsigned (see mixedSign for
// signedNull).
func decBranches(ti *tableInfo, branches []ast.ExprNode, signedNull bool) (decExpr, bool) {
	ip, scale, uns, dec, any := 0, 0, true, false, false
	for _, b := range branches {
		if v, ok := unparen(b).(*test_driver.ValueExpr); ok && v.Datum.GetValue() == nil {
			uns = uns && !signedNull
			continue
		}
		a, ok := decInfo(ti, b)
		if !ok || !a.dec && isTemporalColumn(ti, b) {
			return decExpr{}, false
		}
		any, dec = true, dec || a.dec
		ip, scale = max(ip, a.intPart()), max(scale, a.scale)
		uns = uns && a.unsigned
	}
	if !any || !dec && !mixedSign(ti, branches, signedNull) {
		return decExpr{}, false
	}
	return decOf(ip+scale, scale, uns), true
}

// mixedSign reports whether integer branches mix signed and unsigned; a
// NULL literal counts as signed when signedNull (MariaDB: COALESCE(NULL,
// u), IFNULL(u, NULL), CASE ... ELSE NULL are DECIMALs, IF(x, u, NULL) and
// CASE WHEN x THEN u END are not).
func mixedSign(ti *tableInfo, branches []ast.ExprNode, signedNull bool) bool {
	var s, u bool
	for _, b := range branches {
		if v, ok := unparen(b).(*test_driver.ValueExpr); ok && v.Datum.GetValue() == nil {
			s = s || signedNull
		} else if a, ok := intInfo(ti, b); ok {
			s, u = s || !a.unsigned, u || a.unsigned
		}
	}
	return s && u
}

// decColumnType sets c's type, length, decimals, precision and UNSIGNED
// flag to d's.
func decColumnType(c *Column, d decExpr) {
	c.Type, c.Length, c.Decimals, c.decPrec = mysql.TypeNewDecimal, uint32(d.n), uint8(d.scale), uint8(d.prec)
	c.Flags &^= mysql.UnsignedFlag
	if d.unsigned {
		c.Flags |= mysql.UnsignedFlag
	}
}

// varianceColumn sets c to the type of STD, VARIANCE and their kin over
// arg: a DOUBLE, of arg's scale + 4 fixed decimals when arg is an
// integer or a DECIMAL (26 characters), else not fixed, as MariaDB's.
// Blitz computes them exactly; the value is sent as its text either way.
func varianceColumn(ti *tableInfo, c *Column, arg ast.ExprNode) {
	c.Type, c.Length, c.Decimals = mysql.TypeDouble, 23, notFixed
	if a, ok := decInfo(ti, arg); ok {
		c.Length, c.Decimals = 26, uint8(min(a.scale+4, notFixed-1))
	}
}

// varianceFuncs are the aggregates varianceColumn types.
var varianceFuncs = map[string]bool{
	"std": true, "stddev": true, "stddev_pop": true, "stddev_samp": true,
	"variance": true, "var_pop": true, "var_samp": true,
}
