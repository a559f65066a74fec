package sqlshim

import (
	"strconv"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// The wire type and display length of integer-valued expressions, worked
// out from the expression as MariaDB does (its max_length and type
// handler rules), because clients pick a host type by them: mysql2 with
// bigNumberStrings (TypeORM's default) hands a BIGINT over as a string, so
// SELECT 2*3, SELECT c DIV 2 or SELECT IF(x, 1, 0) read "6" where MariaDB
// gives 6.
//
// MariaDB's rules, as measured on 10.11 (--column-type-info):
//   - an integer literal is as long as its digits (and sign: -1 is 2);
//   - a column is as long as its type's display width (INT 11, INT
//     UNSIGNED 10, BIGINT 20);
//   - a + b and a - b: max(precision) + 1 digits, a * b: the sum of the
//     precisions, a % b: the larger precision, each plus a sign unless
//     the result is unsigned; a DIV b: a's integer digits, no sign;
//   - -a: a's length + 1; ABS(a): a's length;
//   - CAST(a AS SIGNED): a's length, at least 2; CAST(a AS UNSIGNED):
//     a's length if a cannot be negative, else 20;
//   - IF, IFNULL, COALESCE, CASE, GREATEST, LEAST, NULLIF: the largest
//     integer precision of the branches plus a sign, typed as the widest
//     branch type, unless they mix signed and unsigned (a DECIMAL then:
//     mixedSign); FLOOR, CEIL, ROUND, TRUNCATE of an integer keep it;
//   - FLOOR and CEIL of a DECIMAL: its integer digits (+ 1 when rounding
//     can carry), INT up to 9 digits, BIGINT up to 18 (intFloorDec);
//   - TRUE and FALSE are INT(5); a % b is signed as a;
//   - COUNT is BIGINT(21), BIT_AND/OR/XOR and LAST_INSERT_ID() BIGINT(21)
//     UNSIGNED, UNIX_TIMESTAMP() BIGINT(17); MIN and MAX keep their
//     argument's type; NOW() + 0 is a DATETIME's 14 digits + 1 + sign;
//   - a computed result (arithmetic, ABS, CAST) is INT when it is at
//     most 9 characters long, else BIGINT.
// Precision is the length without the sign (a literal's: its digits).

// intExpr describes an integer-valued expression for its metadata.
type intExpr struct {
	typ      byte  // wire type: mysql.TypeTiny ... TypeLonglong
	n        int   // display length (MariaDB's max_length)
	unsigned bool  // the result is unsigned
	lit      bool  // an integer literal, possibly negated: val holds it
	val      int64 // the literal's value
	temporal bool  // a DATE, DATETIME or TIME column read as a number
}

// prec is e's precision: its length without a sign position.
func (e intExpr) prec() int {
	switch {
	case e.lit:
		return len(strconv.FormatInt(e.val, 10)) - b2i(e.val < 0)
	case e.unsigned:
		return e.n
	}
	return max(e.n-1, 0)
}

// computed is the intExpr of a computed result of n characters: INT up
// to 9, BIGINT past them.
func computed(n int, unsigned bool) intExpr {
	if n <= 9 {
		return intExpr{typ: mysql.TypeLong, n: n, unsigned: unsigned}
	}
	return intExpr{typ: mysql.TypeLonglong, n: n, unsigned: unsigned}
}

func intLiteral(v int64) intExpr {
	e := computed(len(strconv.FormatInt(v, 10)), false)
	e.lit, e.val = true, v
	return e
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// intTypeRank orders the integer wire types by width, for the type of a
// function that returns one of its arguments.
func intTypeRank(t byte) int {
	switch t {
	case mysql.TypeTiny:
		return 1
	case mysql.TypeShort:
		return 2
	case mysql.TypeInt24:
		return 3
	case mysql.TypeLong:
		return 4
	}
	return 5
}

// intInfo works out e's intExpr (see the rules above).
func intInfo(ti *tableInfo, e ast.ExprNode) (intExpr, bool) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return intInfo(ti, x.Expr)
	case *test_driver.ValueExpr:
		switch v := x.Datum.GetValue().(type) {
		case int64:
			if mysql.HasIsBooleanFlag(x.Type.GetFlag()) {
				r := intLiteral(v)
				r.n = 5 // TRUE and FALSE are INT(5) in MariaDB
				return r, true
			}
			return intLiteral(v), true
		case uint64:
			return intExpr{typ: mysql.TypeLonglong, n: len(strconv.FormatUint(v, 10)), unsigned: true}, true
		}
	case *ast.ColumnNameExpr:
		return intColumnExpr(ti, x)
	case *ast.UnaryOperationExpr:
		switch x.Op {
		case opcode.Not, opcode.Not2:
			return intExpr{typ: mysql.TypeLong, n: 1}, true
		case opcode.Minus:
			a, ok := intInfo(ti, x.V)
			if !ok || a.temporal {
				return intExpr{}, false // -dt is a DECIMAL (decInfo)
			}
			if a.lit && a.val != -1<<63 {
				return intLiteral(-a.val), true // MariaDB folds -literal
			}
			return computed(a.n+1, false), true
		}
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE, opcode.NullEQ,
			opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor:
			return intExpr{typ: mysql.TypeLong, n: 1}, true
		case opcode.IntDiv:
			p, ok := intDigits(ti, x.L)
			if !ok {
				return intExpr{}, false
			}
			b, ok := intInfo(ti, x.R)
			uns := ok && b.unsigned
			if a, ok := intInfo(ti, x.L); ok && a.unsigned {
				uns = true
			}
			return computed(min(p, 21), uns), true
		case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Mod:
			return intArith(ti, x.Op, x.L, x.R)
		}
	case *ast.IsNullExpr, *ast.IsTruthExpr, *ast.PatternLikeOrIlikeExpr, *ast.PatternRegexpExpr,
		*ast.PatternInExpr, *ast.BetweenExpr, *ast.ExistsSubqueryExpr:
		return intExpr{typ: mysql.TypeLong, n: 1}, true
	case *ast.FuncCastExpr:
		if x.Tp.GetType() != mysql.TypeLonglong || x.FunctionType != ast.CastFunction && x.FunctionType != ast.CastConvertFunction {
			return intExpr{}, false
		}
		n, neg, ok := castArgLen(ti, x.Expr)
		if !ok {
			return intExpr{}, false
		}
		if mysql.HasUnsignedFlag(x.Tp.GetFlag()) {
			if neg {
				n = 20
			}
			return computed(max(min(n, 21), 1), true), true
		}
		return computed(max(min(n, 21), 2), false), true
	case *ast.FuncCallExpr:
		return intFunc(ti, x)
	case *ast.CaseExpr:
		return intBranches(ti, caseResults(x), true)
	case *ast.AggregateFuncExpr:
		return intAggregate(ti, x)
	}
	return intExpr{}, false
}

// intAggregate is the intExpr of an integer-valued aggregate: COUNT
// (BIGINT(21)), BIT_AND, BIT_OR, BIT_XOR (BIGINT(21) UNSIGNED), MIN and
// MAX of an integer expression (its type).
func intAggregate(ti *tableInfo, x *ast.AggregateFuncExpr) (intExpr, bool) {
	switch strings.ToLower(x.F) {
	case ast.AggFuncCount:
		return intExpr{typ: mysql.TypeLonglong, n: 21}, true
	case ast.AggFuncBitAnd, ast.AggFuncBitOr, ast.AggFuncBitXor:
		return intExpr{typ: mysql.TypeLonglong, n: 21, unsigned: true}, true
	case ast.AggFuncMin, ast.AggFuncMax:
		if len(x.Args) == 1 {
			a, ok := intInfo(ti, x.Args[0])
			a.lit = false
			return a, ok // (MIN(dt) temporal: a DATETIME, a number in MAX(dt) + 0)
		}
	}
	return intExpr{}, false
}

// intColumnExpr is the intExpr of an integer column of ti's one table
// or its join.
func intColumnExpr(ti *tableInfo, x *ast.ColumnNameExpr) (intExpr, bool) {
	c := numColumn(ti, x)
	if c == nil {
		return intExpr{}, false
	}
	if p := temporalDigits(c); p > 0 {
		e := computed(p+1, false)
		e.temporal = true
		return e, true
	}
	if c.Type == engine.TypeBit {
		// BIT(M) as a number: M characters, unsigned (b + 0 of a
		// BIT(8) is INT(9), of a BIT(10) BIGINT(11), as in MariaDB).
		return intExpr{typ: mysql.TypeLonglong, n: c.Length, unsigned: true}, true
	}
	for _, it := range intTypes {
		if it.eng == c.Type {
			n := it.width
			if c.Unsigned && n < 20 {
				n-- // no sign
			}
			return intExpr{typ: it.wire, n: n, unsigned: c.Unsigned}, true
		}
	}
	return intExpr{}, false
}

// temporalDigits is the number of digits of a DATE (8), DATETIME or
// TIMESTAMP (14) or TIME (7) column of no fractional digits read as a
// number (arithmetic on one is integer arithmetic); 0 for other columns.
func temporalDigits(c *engine.Column) int {
	switch {
	case c.Type == engine.TypeDate:
		return 8
	case c.Scale > 0:
	case c.Type == engine.TypeDateTime, c.Type == engine.TypeTimestamp:
		return 14
	case c.Type == engine.TypeTime:
		return 7
	}
	return 0
}

// stringColumn is column x of ti's one table or its join if it holds
// strings.
func stringColumn(ti *tableInfo, x *ast.ColumnNameExpr) *engine.Column {
	if c := numColumn(ti, x); c != nil && c.Type.IsString() {
		return c
	}
	return nil
}

// intArith is the intExpr of a + b, a - b, a * b or a % b over integers.
func intArith(ti *tableInfo, op opcode.Op, l, r ast.ExprNode) (intExpr, bool) {
	a, ok := intInfo(ti, l)
	if !ok {
		return intExpr{}, false
	}
	b, ok := intInfo(ti, r)
	if !ok {
		return intExpr{}, false
	}
	uns := a.unsigned || b.unsigned
	var p int
	switch op {
	case opcode.Plus, opcode.Minus:
		p = max(a.prec(), b.prec()) + 1
	case opcode.Mul:
		p = a.prec() + b.prec()
	case opcode.Mod:
		p, uns = max(a.prec(), b.prec()), a.unsigned
	}
	return computed(p+b2i(!uns), uns), true
}

// intDigits is the number of integer digits of e, an integer expression
// or a decimal literal (a DIV b's length is a's).
func intDigits(ti *tableInfo, e ast.ExprNode) (int, bool) {
	if v, ok := unparen(e).(*test_driver.ValueExpr); ok {
		if d, isDec := v.Datum.GetValue().(*test_driver.MyDecimal); isDec {
			s := strings.TrimPrefix(d.String(), "-")
			ip, _, _ := strings.Cut(s, ".")
			return max(len(strings.TrimLeft(ip, "0")), 1), true
		}
	}
	if d, ok := decInfo(ti, e); ok && d.dec {
		return max(d.intPart(), 1), true
	}
	a, ok := intInfo(ti, e)
	return a.prec(), ok
}

// castArgLen is the length MariaDB gives the argument of an integer CAST
// (an integer expression, a decimal or string literal, a CHAR or
// VARCHAR column, a DATE, DATETIME or TIME column), and whether it
// can be negative.
func castArgLen(ti *tableInfo, e ast.ExprNode) (n int, neg, ok bool) {
	if v, isLit := unparen(e).(*test_driver.ValueExpr); isLit {
		switch d := v.Datum.GetValue().(type) {
		case *test_driver.MyDecimal:
			s := d.String()
			return len(strings.TrimPrefix(s, "-")) + 1, true, true // digits, point, sign
		case string:
			return len([]rune(d)), true, true
		}
	}
	if cn, isCol := unparen(e).(*ast.ColumnNameExpr); isCol {
		if c := stringColumn(ti, cn); c != nil && (c.Type == engine.TypeChar || c.Type == engine.TypeVarChar) {
			return c.Length, true, true
		}
		if a, ok := intColumnExpr(ti, cn); ok && a.temporal {
			if a.n-1 == 14 {
				return 19, true, true // a DATETIME's display length
			}
			return 10, true, true // a DATE's or TIME's
		}
	}
	a, ok := intInfo(ti, e)
	if !ok {
		return 0, false, false
	}
	return a.n, a.lit && a.val < 0 || !a.lit && !a.unsigned, true
}

// intFunc is the intExpr of an integer-valued function call.
func intFunc(ti *tableInfo, x *ast.FuncCallExpr) (intExpr, bool) {
	if n, known := intFuncWidth[x.FnName.L]; known {
		return intExpr{typ: mysql.TypeLong, n: int(n), unsigned: x.FnName.L == "crc32"}, true
	}
	switch x.FnName.L {
	case "now", "current_timestamp", "localtime", "localtimestamp", "sysdate", "utc_timestamp":
		if len(x.Args) == 0 {
			// (a DATETIME; NOW() + 0 is BIGINT(16))
			e := computed(15, false)
			e.temporal = true
			return e, true
		}
	case "curdate", "current_date", "utc_date":
		e := computed(9, false)
		e.temporal = true
		return e, true
	case "last_insert_id":
		return intExpr{typ: mysql.TypeLonglong, n: 21, unsigned: true}, true
	case "connection_id":
		return intExpr{typ: mysql.TypeLong, n: 10, unsigned: true}, true
	case "extract":
		if len(x.Args) == 2 {
			if u, ok := x.Args[0].(*ast.TimeUnitExpr); ok {
				if n, known := extractWidth[u.Unit]; known {
					return intExpr{typ: mysql.TypeLong, n: n}, true
				}
			}
		}
	case "unix_timestamp":
		// (of a DATETIME(n) a DECIMAL of n places in MariaDB)
		if len(x.Args) == 0 || len(x.Args) == 1 && isTemporalColumn(ti, x.Args[0]) && !hasFraction(ti, x.Args[0]) {
			return intExpr{typ: mysql.TypeLonglong, n: 17}, true
		}
	case "mod":
		if len(x.Args) == 2 {
			return intArith(ti, opcode.Mod, x.Args[0], x.Args[1])
		}
	case "abs":
		if len(x.Args) == 1 {
			a, ok := intInfo(ti, x.Args[0])
			if !ok {
				return intExpr{}, false
			}
			return computed(a.n, a.unsigned), true
		}
	case "floor", "ceil", "ceiling", "round", "truncate":
		if len(x.Args) == 0 {
			return intExpr{}, false
		}
		a, ok := intInfo(ti, x.Args[0])
		if a.temporal {
			return intExpr{}, false // FLOOR(dt) is a DATETIME
		}
		if !ok && len(x.Args) == 1 && x.FnName.L != "round" && x.FnName.L != "truncate" {
			return intFloorDec(ti, x)
		}
		a.lit = false
		if ok && x.FnName.L == "round" && len(x.Args) == 2 {
			// Rounding to tens or more (or to a number of places known
			// only at run time) can carry into one more digit.
			if d, isLit := intInfo(ti, x.Args[1]); !isLit || !d.lit || d.val < 0 {
				return computed(a.n+1, a.unsigned), true
			}
		}
		return a, ok
	}
	if branches, signedNull, ok := resultBranches(x); ok {
		return intBranches(ti, branches, signedNull)
	}
	return intExpr{}, false
}

// hasFraction reports whether e is a column with fractional seconds.
func hasFraction(ti *tableInfo, e ast.ExprNode) bool { return fracDigits(ti, e) > 0 }

// fracDigits is the number of fractional-second digits of e if it is a
// DATETIME, TIMESTAMP or TIME column of ti, else 0.
func fracDigits(ti *tableInfo, e ast.ExprNode) int {
	x, ok := unparen(e).(*ast.ColumnNameExpr)
	if !ok || !isTemporalColumn(ti, e) {
		return 0
	}
	return numColumn(ti, x).Scale
}

// extractWidth is MariaDB's display width of EXTRACT(unit FROM ...).
var extractWidth = map[ast.TimeUnitType]int{
	ast.TimeUnitYear: 4, ast.TimeUnitQuarter: 1, ast.TimeUnitMonth: 2, ast.TimeUnitWeek: 2,
	ast.TimeUnitDay: 2, ast.TimeUnitHour: 2, ast.TimeUnitMinute: 2, ast.TimeUnitSecond: 2,
}

// intFloorDec is the intExpr of FLOOR(a) or CEIL(a) of a DECIMAL a: an
// INT up to 9 digits, a BIGINT up to 18, with one more digit than a's
// integer part when rounding can carry into it (FLOOR(-9.5) is -10),
// signed as a. ok is false past 18 digits (a DECIMAL then, decFunc).
func intFloorDec(ti *tableInfo, x *ast.FuncCallExpr) (intExpr, bool) {
	a, ok := decInfo(ti, x.Args[0])
	if !ok || !a.dec {
		return intExpr{}, false
	}
	p := max(a.intPart()+b2i(a.scale > 0 && (x.FnName.L != "floor" || !a.unsigned)), 1)
	switch {
	case p <= 9:
		return intExpr{typ: mysql.TypeLong, n: p + b2i(!a.unsigned), unsigned: a.unsigned}, true
	case p <= 18:
		return intExpr{typ: mysql.TypeLonglong, n: p + b2i(!a.unsigned), unsigned: a.unsigned}, true
	}
	return intExpr{}, false
}

// intBranches is the intExpr of a function that returns one of
// branches, all integers or NULL.
func intBranches(ti *tableInfo, branches []ast.ExprNode, signedNull bool) (intExpr, bool) {
	var r intExpr
	p, uns, any := 0, true, false
	for _, b := range branches {
		if v, ok := unparen(b).(*test_driver.ValueExpr); ok && v.Datum.GetValue() == nil {
			continue
		}
		a, ok := intInfo(ti, b)
		if !ok || a.temporal {
			return intExpr{}, false
		}
		if !any || intTypeRank(a.typ) > intTypeRank(r.typ) {
			r.typ = a.typ
		}
		any = true
		p, uns = max(p, a.prec()), uns && a.unsigned
	}
	if !any || mixedSign(ti, branches, signedNull) {
		return intExpr{}, false // a DECIMAL (decBranches)
	}
	r.n, r.unsigned = p+b2i(!uns), uns
	return r, true
}
