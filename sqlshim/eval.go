package sqlshim

import (
	"math"
	"math/big"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/like"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// divPrecisionIncrement is MySQL's div_precision_increment: the digits a
// division adds to the scale of its dividend (1/3 = 0.3333).
const divPrecisionIncrement = 4

// tableInfo is a table definition with its columns indexed by name
// (case-insensitive, as MySQL column names are).
type tableInfo struct {
	name  string // the table's name
	alias string // the name the statement refers to it by
	def   *engine.TableDef
	cols  map[string]int
	join  *joinScope // a joined row's sources (exec_join.go), nil for one table
}

func newTableInfo(def *engine.TableDef, alias string) *tableInfo {
	ti := &tableInfo{name: def.Name, alias: alias, def: def, cols: make(map[string]int, len(def.Columns))}
	if ti.alias == "" {
		ti.alias = def.Name
	}
	for i, c := range def.Columns {
		ti.cols[strings.ToLower(c.Name)] = i
	}
	return ti
}

// column returns the index of a column, or -1.
func (ti *tableInfo) column(name string) int {
	if i, ok := ti.cols[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// evalCtx is what an expression sees while it is evaluated: the current
// row of the table, the statement's parameters, aggregate results of the
// current group, and the session for LAST_INSERT_ID() and warnings.
type evalCtx struct {
	s       *Session
	ti      *tableInfo // nil without FROM
	row     engine.Row
	params  []any
	clause  string                         // for "Unknown column 'x' in '<clause>'"
	aggs    map[*ast.AggregateFuncExpr]any // results of the current group, nil outside aggregation
	aliases map[string]any                 // select-list values by alias (ORDER BY, HAVING)
	values  engine.Row                     // the row an INSERT tried to insert: VALUES(col)
	strict  bool                           // INSERT/UPDATE: division by zero is an error
	now     time.Time                      // the statement's NOW()
	warn    func(code int, format string, args ...any)
	x       *execCtx      // the statement (subqueries run in it)
	outer   *evalCtx      // the enclosing query's context, in a subquery
	win     *windowRecord // window function values of the row being output (window.go)
	// defn: evaluating an expression of a table's definition (DEFAULT,
	// generated column, CHECK), whose string literals are utf8mb4_bin
	// whatever the session's connection collation (conncoll.go), so that
	// what a row stores does not depend on the session that wrote it.
	defn bool
}

func (c *evalCtx) warning(code int, format string, args ...any) {
	if c.warn != nil {
		c.warn(code, format, args...)
	}
}

// eval evaluates e to a value.
func (c *evalCtx) eval(e ast.ExprNode) (any, error) {
	switch x := e.(type) {
	case *test_driver.ParamMarkerExpr:
		if x.Order >= len(c.params) {
			return nil, errf(errParamCount, "Incorrect arguments to EXECUTE")
		}
		return c.params[x.Order], nil
	case *test_driver.ValueExpr:
		return literal(x), nil
	case *ast.ParenthesesExpr:
		return c.eval(x.Expr)
	case *ast.SetCollationExpr:
		if _, ok := collate.ByName(x.Collate); !ok {
			return nil, errf(sqlerr.ErrUnknownCollation, "Unknown collation: '%s'", x.Collate)
		}
		return c.eval(x.Expr)
	case *ast.ColumnNameExpr:
		return c.column(x.Name)
	case *ast.BinaryOperationExpr:
		return c.binary(x)
	case *ast.UnaryOperationExpr:
		return c.unary(x)
	case *ast.IsNullExpr:
		v, err := c.eval(x.Expr)
		if err != nil {
			return nil, err
		}
		return boolVal((v == nil || c.zeroDateIsNull(x, v)) != x.Not), nil
	case *ast.IsTruthExpr:
		v, err := c.eval(x.Expr)
		if err != nil {
			return nil, err
		}
		b, ok := truthy(v)
		is := ok && (b == (x.True != 0))
		return boolVal(is != x.Not), nil
	case *ast.BetweenExpr:
		return c.between(x)
	case *ast.PatternInExpr:
		return c.in(x)
	case *ast.PatternLikeOrIlikeExpr:
		return c.like(x)
	case *ast.PatternRegexpExpr:
		return c.regexp(x)
	case *ast.CaseExpr:
		return c.caseExpr(x)
	case *ast.FuncCallExpr:
		return c.call(x)
	case *ast.FuncCastExpr:
		return c.cast(x)
	case *ast.AggregateFuncExpr:
		v, err := c.aggregate(x)
		if notFinite(v) { // SUM, AVG or a variance of doubles past a double's range
			return nil, c.outOfRange("DOUBLE", x)
		}
		return shown(v), err
	case *ast.WindowFuncExpr:
		v, err := c.windowValue(x)
		if notFinite(v) {
			return nil, c.outOfRange("DOUBLE", x)
		}
		return v, err
	case *ast.ValuesExpr:
		if c.values == nil || c.ti == nil {
			return nil, nil
		}
		i := c.ti.column(x.Column.Name.Name.O)
		if i < 0 {
			return nil, errUnknownColumn(x.Column.Name.Name.O, "field list")
		}
		return c.values[i], nil
	case *ast.DefaultExpr:
		if x.Name == nil || c.ti == nil {
			return nil, errNotSupported("DEFAULT here")
		}
		i := c.ti.column(x.Name.Name.O)
		if i < 0 {
			return nil, errUnknownColumn(x.Name.Name.O, "field list")
		}
		if col := &c.ti.def.Columns[i]; col.DefaultNow {
			return nowFor(c.localNow(), col), nil
		} else if col.DefaultExpr != "" && c.row != nil {
			e, err := checkExpr(col.DefaultExpr) // gencol.go
			if err != nil {
				return nil, err
			}
			d := *c
			d.defn = true
			return d.eval(e)
		}
		if c.x != nil {
			return c.x.localDefault(&c.ti.def.Columns[i]), nil // timezone.go
		}
		return c.ti.def.Columns[i].Default, nil
	case *ast.VariableExpr:
		return c.variable(x)
	case *ast.SubqueryExpr:
		return c.scalarSubquery(x)
	case *ast.ExistsSubqueryExpr:
		return c.existsSubquery(x)
	case *ast.CompareSubqueryExpr:
		return c.compareSubquery(x)
	case *ast.RowExpr:
		return nil, errf(sqlerr.ErrOperandColumns, "Operand should contain 1 column(s)")
	case *ast.MatchAgainst:
		return nil, errNoFulltextIndex()
	}
	return nil, errNotSupported("expression " + exprText(e))
}

// MariaDB has three literals of bytes: X'41' is a string; 0x41 and b'101'
// are numbers in a numeric context (arithmetic, bit operations, comparison
// with a number) and strings elsewhere. The parser makes X'41' and 0x41
// the same HexLiteral; this hook, which the parser calls with the literal's
// text, makes X'41' a plain BinaryLiteral (KindBinaryLiteral of type BIT),
// so that numericLiteral can tell them apart. Values are unchanged: all
// three evaluate to their bytes.
func init() {
	hex := ast.NewHexLiteral
	ast.NewHexLiteral = func(s string) (any, error) {
		v, err := hex(s)
		if h, ok := v.(test_driver.HexLiteral); ok && err == nil && s != "" && (s[0] == 'x' || s[0] == 'X') {
			return test_driver.BinaryLiteral(h), nil
		}
		return v, err
	}
}

// numericLiteral returns the number a 0x... or b'...' literal e stands
// for in a numeric context, with its last eight bytes as MariaDB reads a
// longer one; ok is false for anything else, X'...' included.
func numericLiteral(e ast.ExprNode, v any) (n uint64, ok bool) {
	lit, isLit := e.(*test_driver.ValueExpr)
	b, isBytes := v.([]byte)
	if !isLit || !isBytes || lit.Datum.Kind() != test_driver.KindBinaryLiteral || lit.Type.GetType() == mysql.TypeBit {
		return 0, false
	}
	for _, c := range b[max(len(b)-8, 0):] {
		n = n<<8 | uint64(c)
	}
	return n, true
}

// warnNumericText adds warning 1292 for text that arithmetic reads as a
// number (as typ, "DOUBLE" or "DECIMAL") when the text is not all number:
// a Note when only blanks follow it, as MariaDB does.
func (c *evalCtx) warnNumericText(v any, typ string) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case []byte:
		s = string(t)
	default:
		return
	}
	p := engine.NumberPrefix(s)
	rest := strings.TrimLeft(s, " \t\n\r\f\v")[len(p):]
	_, inRange := parseNumberPrefixExact(p) // past it: a warning, as MariaDB
	switch {
	case p != "" && inRange && rest == "":
	case p != "" && inRange && strings.TrimRight(rest, " \t\n\r\f\v") == "":
		if c.warn == nil || c.s == nil {
			return // warnings are off here (a constant evaluated for its type)
		}
		c.s.addNote(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%s'", typ, s)
	default:
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%s'", typ, s)
	}
}

// literal converts a parser literal to a value.
func literal(x *test_driver.ValueExpr) any {
	switch v := x.Datum.GetValue().(type) {
	case *test_driver.MyDecimal:
		d, err := decimal.NewFromString(v.String())
		if err != nil {
			return v.String()
		}
		return d
	case test_driver.BinaryLiteral:
		return []byte(v)
	case float32:
		return float64(v)
	default:
		return v
	}
}

func boolVal(b bool) any {
	if b {
		return int64(1)
	}
	return int64(0)
}

func (c *evalCtx) column(n *ast.ColumnName) (v any, err error) {
	if c.outer != nil {
		// Not a column of this query: the enclosing query's (correlated
		// subquery).
		defer func() {
			if err != nil {
				v, err = c.outerColumn(n, err)
			}
		}()
	}
	name := n.Name.O
	if n.Table.L == "" && c.aliases != nil {
		if v, ok := c.aliases[strings.ToLower(name)]; ok {
			return v, nil
		}
	}
	if c.ti == nil {
		return nil, errUnknownColumn(columnText(n), c.clause)
	}
	if c.ti.join != nil {
		return c.ti.join.value(n, c.row, c.clause)
	}
	if n.Table.L != "" && n.Table.L != strings.ToLower(c.ti.alias) {
		return nil, errUnknownColumn(columnText(n), c.clause)
	}
	i := c.ti.column(name)
	if i < 0 {
		return nil, errUnknownColumn(columnText(n), c.clause)
	}
	if c.row == nil {
		return nil, nil
	}
	return c.row[i], nil
}

func columnText(n *ast.ColumnName) string {
	if n.Table.O != "" {
		return n.Table.O + "." + n.Name.O
	}
	return n.Name.O
}

// exprText is an expression's SQL text as MariaDB quotes it in messages
// ("a + 1": binary operators spaced).
func exprText(e ast.Node) string {
	if b, ok := e.(*ast.BinaryOperationExpr); ok {
		return exprText(b.L) + " " + opText(b.Op) + " " + exprText(b.R)
	}
	var b strings.Builder
	if err := e.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordLowercase|format.RestoreNameBackQuotes, &b)); err != nil {
		return "?"
	}
	return b.String()
}

func (c *evalCtx) binary(x *ast.BinaryOperationExpr) (any, error) {
	switch x.Op {
	case opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor:
		return c.logic(x)
	}
	if isRowOperand(x.L) || isRowOperand(x.R) {
		return c.rowCompare(x)
	}
	switch x.Op {
	case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod:
		// The result shows its declared scale; inside, a quotient keeps
		// more digits (arithExact).
		v, scale, err := c.arithExact(x)
		if d, ok := v.(decimal.Decimal); ok && scale >= 0 {
			v = d.Round(scale)
		}
		return v, err
	}
	l, err := c.eval(x.L)
	if err != nil {
		return nil, err
	}
	r, err := c.eval(x.R)
	if err != nil {
		return nil, err
	}
	l, r = c.numericOperands(x, l, r)
	switch x.Op {
	case opcode.NullEQ, opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		l, r = c.bytesOperands(x.L, x.R, l, r)
		l, r = c.yearConstant(x.L, x.R, l, r)
		l, r = c.jsonOperands(x.L, x.R, l, r) // funcs_json.go
	}
	var coll *collate.Collation
	if _, _, ok := collTexts(l, r); ok {
		if coll, err = c.compareColl(opText(x.Op), x.L, x.R); err != nil {
			return nil, err
		}
	}
	switch x.Op {
	case opcode.NullEQ:
		if l == nil || r == nil {
			return boolVal(l == nil && r == nil), nil
		}
		return boolVal(cmpColl(l, r, coll) == 0), nil
	case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		if l == nil || r == nil {
			return nil, nil
		}
		cmp := cmpColl(l, r, coll)
		var b bool
		switch x.Op {
		case opcode.EQ:
			b = cmp == 0
		case opcode.NE:
			b = cmp != 0
		case opcode.LT:
			b = cmp < 0
		case opcode.LE:
			b = cmp <= 0
		case opcode.GT:
			b = cmp > 0
		case opcode.GE:
			b = cmp >= 0
		}
		return boolVal(b), nil
	}
	if l == nil || r == nil {
		return nil, nil
	}
	l, r = c.numberOperand(x.L, l), c.numberOperand(x.R, r)
	switch x.Op {
	case opcode.And, opcode.Or, opcode.Xor, opcode.LeftShift, opcode.RightShift:
		a, b := uint64(toInt(l)), uint64(toInt(r))
		if u, ok := l.(uint64); ok {
			a = u
		}
		if u, ok := r.(uint64); ok {
			b = u
		}
		switch x.Op {
		case opcode.And:
			return a & b, nil
		case opcode.Or:
			return a | b, nil
		case opcode.Xor:
			return a ^ b, nil
		case opcode.LeftShift:
			if b >= 64 {
				return uint64(0), nil
			}
			return a << b, nil
		default:
			if b >= 64 {
				return uint64(0), nil
			}
			return a >> b, nil
		}
	}
	return nil, errNotSupported("operator " + x.Op.String())
}

func (c *evalCtx) logic(x *ast.BinaryOperationExpr) (any, error) {
	l, err := c.eval(x.L)
	if err != nil {
		return nil, err
	}
	lb, lok := truthy(l)
	// Short-circuit where the answer is known, as MySQL does.
	if x.Op == opcode.LogicAnd && lok && !lb {
		return int64(0), nil
	}
	if x.Op == opcode.LogicOr && lok && lb {
		return int64(1), nil
	}
	r, err := c.eval(x.R)
	if err != nil {
		return nil, err
	}
	rb, rok := truthy(r)
	switch x.Op {
	case opcode.LogicAnd:
		if rok && !rb {
			return int64(0), nil
		}
		if !lok || !rok {
			return nil, nil
		}
		return int64(1), nil
	case opcode.LogicOr:
		if rok && rb {
			return int64(1), nil
		}
		if !lok || !rok {
			return nil, nil
		}
		return int64(0), nil
	default:
		if !lok || !rok {
			return nil, nil
		}
		return boolVal(lb != rb), nil
	}
}

// numericOperands converts the operands of a binary operator for a
// numeric context: 0x... and b'...' literals are numbers in arithmetic, bit
// operations and comparison with a number (0x41 = 65 compares numbers,
// 0x41 = 'A' strings); text in arithmetic that is not all number warns.
func (c *evalCtx) numericOperands(x *ast.BinaryOperationExpr, l, r any) (any, any) {
	switch x.Op {
	case opcode.NullEQ, opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE:
		// 0x41 = 65 compares numbers, 0x41 = 'A' strings.
		if n, ok := numericLiteral(x.L, l); ok && isNumeric(r) {
			l = n
		}
		if n, ok := numericLiteral(x.R, r); ok && isNumeric(l) {
			r = n
		}
	case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod,
		opcode.And, opcode.Or, opcode.Xor, opcode.LeftShift, opcode.RightShift:
		if n, ok := numericLiteral(x.L, l); ok {
			l = n
		}
		if n, ok := numericLiteral(x.R, r); ok {
			r = n
		}
		if l != nil && r != nil && x.Op != opcode.And && x.Op != opcode.Or && x.Op != opcode.Xor &&
			x.Op != opcode.LeftShift && x.Op != opcode.RightShift {
			typ := "DOUBLE"
			if x.Op == opcode.IntDiv {
				typ = "DECIMAL"
			}
			c.warnNumericText(l, typ)
			c.warnNumericText(r, typ)
		}
	}
	return l, r
}

// exactOperand evaluates an operand of + - * /: a division, or arithmetic
// over one, gives its quotient with the digits MariaDB keeps inside
// (decimalQuotient), unrounded, and scale the result's declared scale; any
// other expression its value, and scale -1. So 1/3*3 is 0.333333333*3,
// shown as 1.0000, where the rounded 0.3333*3 would be 0.9999.
func (c *evalCtx) exactOperand(e ast.ExprNode) (v any, scale int32, err error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return c.exactOperand(x.Expr)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.Plus, opcode.Minus, opcode.Mul, opcode.Div, opcode.IntDiv, opcode.Mod:
			if !isRowOperand(x.L) && !isRowOperand(x.R) {
				return c.arithExact(x)
			}
		}
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus {
			v, scale, err := c.exactOperand(x.V)
			if err != nil || v == nil {
				return nil, -1, err
			}
			if d, ok := v.(decimal.Decimal); ok && scale >= 0 {
				return d.Neg(), scale, nil
			}
			v, err = c.unaryValue(x, v)
			return v, -1, err
		}
	default:
		if v, scale, ok, err := c.exactPassThrough(e); ok {
			return v, scale, err
		}
	}
	v, err = c.eval(e)
	return v, -1, err
}

// arithExact evaluates + - * / with exactOperand's operands. A DECIMAL
// result that involves a division comes back unrounded with its declared
// scale (MariaDB's: the larger operand scale for + and -, their sum for *,
// the dividend's plus div_precision_increment for /); other results with
// scale -1, to be used as they are.
func (c *evalCtx) arithExact(x *ast.BinaryOperationExpr) (v any, scale int32, err error) {
	l, ls, err := c.exactOperand(x.L)
	if err != nil {
		return nil, -1, err
	}
	r, rs, err := c.exactOperand(x.R)
	if err != nil {
		return nil, -1, err
	}
	l, r = c.numberOperand(x.L, l), c.numberOperand(x.R, r)
	l, r = c.numericOperands(x, l, r)
	if l == nil || r == nil {
		return nil, -1, nil
	}
	switch x.Op {
	case opcode.Div:
		v, err = c.divide(x, l, r)
	case opcode.IntDiv:
		v, err = c.intDiv(x, l, r)
	case opcode.Mod:
		v, err = c.mod(l, r)
	default:
		v, err = c.arith(x, l, r)
	}
	if _, isDec := v.(decimal.Decimal); err != nil || !isDec || ls < 0 && rs < 0 && x.Op != opcode.Div {
		return v, -1, err
	}
	lsd, rsd := declaredScale(l, ls), declaredScale(r, rs)
	switch x.Op {
	case opcode.Plus, opcode.Minus, opcode.Mod:
		scale = max(lsd, rsd)
	case opcode.Mul:
		scale = lsd + rsd
	default:
		scale = lsd + divPrecisionIncrement
	}
	return v, min(scale, maxDecimalScale), nil
}

// maxDecimalScale is the most digits after the point a DECIMAL result
// shows (MariaDB's DECIMAL_MAX_SCALE).
const maxDecimalScale = 38

// declaredScale is the scale an operand shows: scale when exactOperand
// gave one, else a decimal's own (an integer's is 0).
func declaredScale(v any, scale int32) int32 {
	if scale >= 0 {
		return scale
	}
	if d, ok := v.(decimal.Decimal); ok && d.Exponent() < 0 {
		return -d.Exponent()
	}
	return 0
}

// decimalQuotient is a/b as MariaDB computes a DECIMAL division: in whole
// words of nine digits, the operands' fractions rounded up to words, and
// at least div_precision_increment digits more than the dividend's, cut
// (not rounded) after the last word. 1/3 is 0.333333333 inside, shown
// rounded to its declared scale (0.3333).
func decimalQuotient(a, b decimal.Decimal) decimal.Decimal {
	frac := func(d decimal.Decimal) int32 { return max(-d.Exponent(), 0) }
	words := func(n int32) int32 { return (n + 8) / 9 * 9 }
	f1, f2 := frac(a), frac(b)
	w1, w2 := words(f1), words(f2)
	incr := max(divPrecisionIncrement-(w1-f1)-(w2-f2), 0)
	q, _ := a.QuoRem(b, min(words(w1+w2+incr), 81))
	return q
}

// numKind classifies the operands of arithmetic: 'f' double, 'd' decimal,
// 'u' unsigned, 'i' signed.
func numKind(l, r any) byte {
	isF := func(v any) bool {
		switch v.(type) {
		case float64, string, []byte, time.Time:
			return true
		}
		return false
	}
	switch {
	case isF(l) || isF(r):
		return 'f'
	case isDec(l) || isDec(r):
		return 'd'
	}
	_, lu := l.(uint64)
	_, ru := r.(uint64)
	if lu || ru {
		return 'u'
	}
	return 'i'
}

func isDec(v any) bool { _, ok := v.(decimal.Decimal); return ok }

// yearConstant converts the constant side of a comparison with a YEAR
// column to a year, as MariaDB does: y = 99 and y = '99' mean 1999. A
// constant that is no year is left as it is.
func (c *evalCtx) yearConstant(le, re ast.ExprNode, l, r any) (any, any) {
	if c.ti == nil || l == nil || r == nil {
		return l, r
	}
	yearCol := func(e ast.ExprNode) *engine.Column {
		if cn, ok := e.(*ast.ColumnNameExpr); ok {
			if i := c.ti.column(cn.Name.Name.O); i >= 0 && c.ti.def.Columns[i].Type == engine.TypeYear {
				return &c.ti.def.Columns[i]
			}
		}
		return nil
	}
	if col := yearCol(le); col != nil && isConstant(re) {
		r = asYear(col, r)
	} else if col := yearCol(re); col != nil && isConstant(le) {
		l = asYear(col, l)
	}
	return l, r
}

// asYear is v, an integer or the text of one, as a value of the YEAR
// column col (99 is 1999, 0 is 0000, '0' is 2000); anything else is v.
func asYear(col *engine.Column, v any) any {
	switch x := v.(type) {
	case string:
		if _, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err != nil {
			return v
		}
	case int64, uint64:
	default:
		return v
	}
	if y, err := engine.Coerce(col, v, 1); err == nil {
		return y
	}
	return v
}

// numberOperand is v, the value of e, as an operand of arithmetic: a TIME
// is its HHMMSS number (with the fractional digits of its column when e
// is a TIME column), a DATE or DATETIME its temporalNumber, an ENUM its
// member index, a SET its bit mask; other values are themselves.
func (c *evalCtx) numberOperand(e ast.ExprNode, v any) any {
	switch x := v.(type) {
	case time.Time:
		return c.temporalNumber(e, x, true)
	case time.Duration:
		scale := timeScale(x)
		if cn, ok := e.(*ast.ColumnNameExpr); ok && c.ti != nil {
			if i := c.ti.column(cn.Name.Name.O); i >= 0 && c.ti.def.Columns[i].Type == engine.TypeTime {
				scale = c.ti.def.Columns[i].Scale
			}
		}
		return engine.TimeNumber(x, scale)
	case engine.Enum:
		return int64(x.Index)
	case engine.Set:
		return x.Bits
	case engine.ZeroDate:
		return x.Number()
	}
	return v
}

// temporalNumber is t, the value of e, as MariaDB reads a DATE or a
// DATETIME in a numeric context: YYYYMMDD for a DATE, YYYYMMDDhhmmss for
// a DATETIME or TIMESTAMP (an int64), and, with frac, a DECIMAL with the
// type's fractional digits after the point when it has any
// ('2020-01-01 01:02:03.456' of a DATETIME(3) is 20200101010203.456).
// Whether e is a DATE comes from e (isDateExpr, a DATETIME column, a
// CAST, NOW()); for an expression this cannot tell, a value at midnight
// counts as a DATE.
func (c *evalCtx) temporalNumber(e ast.ExprNode, t time.Time, frac bool) any {
	date, scale := c.temporalShape(e, t)
	ymd := int64(t.Year())*10000 + int64(t.Month())*100 + int64(t.Day())
	if date {
		return ymd
	}
	n := ymd*1000000 + int64(t.Hour())*10000 + int64(t.Minute())*100 + int64(t.Second())
	if scale <= 0 || !frac {
		return n
	}
	f := int64(t.Nanosecond())
	for i := scale; i < 9; i++ {
		f /= 10
	}
	return decimal.New(n, 0).Add(decimal.New(f, int32(-scale)))
}

// temporalShape tells whether e, of value t, is a DATE, and else how
// many fractional digits its type has.
func (c *evalCtx) temporalShape(e ast.ExprNode, t time.Time) (date bool, scale int) {
	e = unparen(e)
	if isDateExpr(c.ti, e) {
		return true, 0
	}
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		if c.ti != nil {
			if i := c.ti.column(x.Name.Name.O); i >= 0 {
				switch col := &c.ti.def.Columns[i]; col.Type {
				case engine.TypeDateTime, engine.TypeTimestamp:
					return false, col.Scale
				}
			}
		}
	case *ast.FuncCastExpr:
		if x.Tp.GetType() == mysql.TypeDatetime {
			return false, min(max(x.Tp.GetDecimal(), 0), 6)
		}
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "now", "current_timestamp", "sysdate", "localtime", "localtimestamp", "utc_timestamp":
			if len(x.Args) == 1 {
				if v, ok := x.Args[0].(*test_driver.ValueExpr); ok {
					return false, min(max(int(toInt(v.Datum.GetValue())), 0), 6)
				}
			}
			return false, 0
		case timestampLiteralFn:
			return false, timeScale(time.Duration(t.Nanosecond()))
		}
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return true, 0
	}
	return false, timeScale(time.Duration(t.Nanosecond()))
}

func (c *evalCtx) outOfRange(typ string, x ast.Node) error {
	return errf(errDataOutOfRange, "%s value is out of range in '%s'", typ, itemText(x, c.qualifiedColumn))
}

func (c *evalCtx) arith(x *ast.BinaryOperationExpr, l, r any) (any, error) {
	switch numKind(l, r) {
	case 'f':
		a, b := toFloat(l), toFloat(r)
		var v float64
		switch x.Op {
		case opcode.Plus:
			v = a + b
		case opcode.Minus:
			v = a - b
		default:
			v = a * b
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, c.outOfRange("DOUBLE", x)
		}
		return v, nil
	case 'd':
		a, b := toDecimal(l), toDecimal(r)
		switch x.Op {
		case opcode.Plus:
			return a.Add(b), nil
		case opcode.Minus:
			return a.Sub(b), nil
		default:
			return a.Mul(b), nil
		}
	case 'u':
		// Unsigned arithmetic: a negative signed operand takes part as
		// its value, the result must fit in BIGINT UNSIGNED.
		a, b := toDecimal(l), toDecimal(r)
		var v decimal.Decimal
		switch x.Op {
		case opcode.Plus:
			v = a.Add(b)
		case opcode.Minus:
			v = a.Sub(b)
		default:
			v = a.Mul(b)
		}
		if v.Sign() < 0 || v.Cmp(decimal.NewFromUint64(math.MaxUint64)) > 0 {
			return nil, c.outOfRange("BIGINT UNSIGNED", x)
		}
		return v.BigInt().Uint64(), nil
	}
	a, b := l.(int64), r.(int64)
	switch x.Op {
	case opcode.Plus:
		s := a + b
		if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
			return nil, c.outOfRange("BIGINT", x)
		}
		return s, nil
	case opcode.Minus:
		s := a - b
		if (a >= 0) != (b >= 0) && (s >= 0) != (a >= 0) {
			return nil, c.outOfRange("BIGINT", x)
		}
		return s, nil
	default:
		hi, lo := bits.Mul64(uint64(abs64(a)), uint64(abs64(b)))
		neg := (a < 0) != (b < 0)
		if hi != 0 || (!neg && lo > math.MaxInt64) || (neg && lo > 1<<63) || a == math.MinInt64 && b != 1 && b != 0 || b == math.MinInt64 && a != 1 && a != 0 {
			return nil, c.outOfRange("BIGINT", x)
		}
		return a * b, nil
	}
}

func abs64(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// divByZero returns NULL with warning 1365, or the error in strict
// INSERT/UPDATE; with neither when sql_mode lacks ERROR_FOR_DIVISION_BY_ZERO.
func (c *evalCtx) divByZero() (any, error) {
	if !c.s.sqlMode.has(modeErrorForDivByZero) {
		return nil, nil // MySQL is silent about it without ERROR_FOR_DIVISION_BY_ZERO
	}
	if c.strict {
		return nil, errf(sqlerr.ErrDivByZero, "Division by 0")
	}
	c.warning(sqlerr.ErrDivByZero, "Division by 0")
	return nil, nil
}

func (c *evalCtx) divide(x *ast.BinaryOperationExpr, l, r any) (any, error) {
	if numKind(l, r) == 'f' {
		b := toFloat(r)
		if b == 0 {
			return c.divByZero()
		}
		v := toFloat(l) / b
		if math.IsInf(v, 0) {
			return nil, c.outOfRange("DOUBLE", x)
		}
		return v, nil
	}
	a, b := toDecimal(l), toDecimal(r)
	if b.IsZero() {
		return c.divByZero()
	}
	return decimalQuotient(a, b), nil
}

func (c *evalCtx) intDiv(x *ast.BinaryOperationExpr, l, r any) (any, error) {
	switch numKind(l, r) {
	case 'i':
		a, b := l.(int64), r.(int64)
		if b == 0 {
			return c.divByZero()
		}
		if a == math.MinInt64 && b == -1 {
			return nil, c.outOfRange("BIGINT", x)
		}
		return a / b, nil
	case 'u':
		a, b := toDecimal(l), toDecimal(r)
		if b.IsZero() {
			return c.divByZero()
		}
		q := a.Div(b).Truncate(0)
		if q.Sign() < 0 {
			return nil, c.outOfRange("BIGINT UNSIGNED", x)
		}
		return q.BigInt().Uint64(), nil
	}
	a, b := toDecimal(l), toDecimal(r)
	if b.IsZero() {
		return c.divByZero()
	}
	q := a.DivRound(b, 20).Truncate(0)
	if !q.BigInt().IsInt64() {
		return nil, c.outOfRange("BIGINT", x)
	}
	return q.IntPart(), nil
}

func (c *evalCtx) mod(l, r any) (any, error) {
	switch numKind(l, r) {
	case 'i':
		a, b := l.(int64), r.(int64)
		if b == 0 {
			return c.divByZero()
		}
		if b == -1 {
			return int64(0), nil
		}
		return a % b, nil
	case 'u':
		a, b := toDecimal(l), toDecimal(r)
		if b.IsZero() {
			return c.divByZero()
		}
		m := a.Mod(b)
		if m.Sign() < 0 {
			return m.IntPart(), nil
		}
		return m.BigInt().Uint64(), nil
	case 'd':
		a, b := toDecimal(l), toDecimal(r)
		if b.IsZero() {
			return c.divByZero()
		}
		return a.Mod(b), nil
	}
	b := toFloat(r)
	if b == 0 {
		return c.divByZero()
	}
	return math.Mod(toFloat(l), b), nil
}

func (c *evalCtx) unary(x *ast.UnaryOperationExpr) (any, error) {
	if x.Op == opcode.Minus {
		v, scale, err := c.exactOperand(x)
		if d, ok := v.(decimal.Decimal); ok && scale >= 0 {
			v = d.Round(scale)
		}
		return v, err
	}
	v, err := c.eval(x.V)
	if err != nil || v == nil {
		return nil, err
	}
	return c.unaryValue(x, v)
}

// unaryValue applies the unary operator x to v, its operand's value.
func (c *evalCtx) unaryValue(x *ast.UnaryOperationExpr, v any) (any, error) {
	if x.Op == opcode.Minus || x.Op == opcode.BitNeg {
		if n, ok := numericLiteral(x.V, v); ok {
			v = n
		} else if x.Op == opcode.Minus {
			c.warnNumericText(v, "DOUBLE")
		}
	}
	switch x.Op {
	case opcode.Not, opcode.Not2:
		b, _ := truthy(v)
		return boolVal(!b), nil
	case opcode.Plus:
		return v, nil
	case opcode.BitNeg:
		if u, ok := v.(uint64); ok {
			return ^u, nil
		}
		return ^uint64(toInt(v)), nil
	case opcode.Minus:
		if t, ok := v.(time.Time); ok {
			v = c.temporalNumber(x.V, t, true)
		}
		switch n := v.(type) {
		case int64:
			if n == math.MinInt64 {
				return nil, c.outOfRange("BIGINT", x)
			}
			return -n, nil
		case uint64:
			if n > 1<<63 {
				if isConstant(x.V) {
					// -(18446744073709551615) is a DECIMAL, as in
					// MariaDB; only a value read at run time is 1690.
					return decimal.NewFromUint64(n).Neg(), nil
				}
				return nil, c.outOfRange("BIGINT", x)
			}
			return -int64(n), nil
		case decimal.Decimal:
			return n.Neg(), nil
		default:
			return -toFloat(v), nil
		}
	}
	return nil, errNotSupported("operator " + x.Op.String())
}

func (c *evalCtx) between(x *ast.BetweenExpr) (any, error) {
	v, err := c.eval(x.Expr)
	if err != nil {
		return nil, err
	}
	lo, err := c.eval(x.Left)
	if err != nil {
		return nil, err
	}
	hi, err := c.eval(x.Right)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	_, lo = c.yearConstant(x.Expr, x.Left, v, lo)
	_, hi = c.yearConstant(x.Expr, x.Right, v, hi)
	var coll *collate.Collation
	if _, ok := v.(string); ok {
		if coll, err = c.compareColl("between", x.Expr, x.Left, x.Right); err != nil {
			return nil, err
		}
	}
	var ge, le any
	if lo != nil {
		ge = boolVal(cmpColl(v, lo, coll) >= 0)
	}
	if hi != nil {
		le = boolVal(cmpColl(v, hi, coll) <= 0)
	}
	var res any
	switch {
	case ge == int64(0) || le == int64(0):
		res = int64(0)
	case ge == nil || le == nil:
		return nil, nil
	default:
		res = int64(1)
	}
	if x.Not {
		return boolVal(res == int64(0)), nil
	}
	return res, nil
}

func (c *evalCtx) in(x *ast.PatternInExpr) (any, error) {
	if x.Sel != nil {
		return c.inSubquery(x)
	}
	if isRowOperand(x.Expr) {
		return c.rowInList(x)
	}
	v, err := c.eval(x.Expr)
	if err != nil {
		return nil, err
	}
	if l := c.constInList(x); l != nil { // inlist.go
		return l.test(c, x, v)
	}
	sawNull := false
	found := false
	var coll *collate.Collation
	if _, _, ok := collTexts(v, ""); ok { // text, ENUM or SET: under the collation
		if coll, err = c.compareColl("in", append([]ast.ExprNode{x.Expr}, x.List...)...); err != nil {
			return nil, err
		}
	}
	for _, e := range x.List {
		w, err := c.eval(e)
		if err != nil {
			return nil, err
		}
		if w == nil {
			sawNull = true
			continue
		}
		_, w = c.yearConstant(x.Expr, e, v, w)
		if v != nil && cmpColl(v, w, coll) == 0 {
			found = true
			break
		}
	}
	if v == nil || (!found && sawNull) {
		return nil, nil
	}
	return boolVal(found != x.Not), nil
}

func (c *evalCtx) like(x *ast.PatternLikeOrIlikeExpr) (any, error) {
	v, err := c.eval(x.Expr)
	if err != nil {
		return nil, err
	}
	p, err := c.eval(x.Pattern)
	if err != nil {
		return nil, err
	}
	if v == nil || p == nil {
		return nil, nil
	}
	s, pat := toString(c.textOf(x.Expr, v)), toString(p)
	if !x.IsLike {
		s, pat = strings.ToLower(s), strings.ToLower(pat)
	}
	esc := rune(x.Escape)
	if esc == 0 {
		esc = '\\'
	}
	if _, _, ok := collTexts(v, p); ok {
		coll, err := c.compareColl("like", x.Expr, x.Pattern)
		if err != nil {
			return nil, err
		}
		if coll != nil && !coll.IsBinary() {
			return boolVal(like.MatchFunc(s, pat, esc, coll.EqualRune) != x.Not), nil
		}
	}
	return boolVal(like.Match(s, pat, esc) != x.Not), nil
}

func (c *evalCtx) regexp(x *ast.PatternRegexpExpr) (any, error) {
	v, err := c.eval(x.Expr)
	if err != nil {
		return nil, err
	}
	p, err := c.eval(x.Pattern)
	if err != nil {
		return nil, err
	}
	if v == nil || p == nil {
		return nil, nil
	}
	coll, err := c.compareColl("regexp", x.Expr, x.Pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(ciPattern(toString(p), coll)) // funcs_regexp.go
	if err != nil {
		return nil, errf(sqlerr.ErrWrongArguments, "Incorrect arguments to REGEXP")
	}
	return boolVal(re.MatchString(toString(v)) != x.Not), nil
}

func (c *evalCtx) caseExpr(x *ast.CaseExpr) (any, error) {
	branch, err := c.caseBranch(x)
	if err != nil || branch == nil {
		return nil, err
	}
	v, err := c.eval(branch)
	return c.inBranchType(x, v, nil), err // branchtype.go
}

// caseBranch evaluates the conditions of CASE x and returns the result
// expression they choose: nil when none matches and there is no ELSE.
func (c *evalCtx) caseBranch(x *ast.CaseExpr) (ast.ExprNode, error) {
	var v any
	var err error
	if x.Value != nil {
		if v, err = c.eval(x.Value); err != nil {
			return nil, err
		}
	}
	for _, w := range x.WhenClauses {
		cond, err := c.eval(w.Expr)
		if err != nil {
			return nil, err
		}
		var hit bool
		if _, _, ok := collTexts(v, cond); ok && x.Value != nil {
			coll, err := c.compareColl("case", x.Value, w.Expr)
			if err != nil {
				return nil, err
			}
			hit = cmpColl(v, cond, coll) == 0
		} else if x.Value != nil {
			hit = v != nil && cond != nil && compareValues(v, cond) == 0
		} else {
			hit, _ = truthy(cond)
		}
		if hit {
			return w.Result, nil
		}
	}
	return x.ElseClause, nil
}

func (c *evalCtx) variable(x *ast.VariableExpr) (any, error) {
	if !x.IsSystem {
		// A user variable (@name): NULL until set; @name := expr sets it.
		if c.s == nil {
			return nil, errNotSupported("user variables here")
		}
		if x.Value != nil {
			// The variable keeps a quotient's inner digits (exact.go).
			v, _, err := c.exactOperand(x.Value)
			if err != nil {
				return nil, err
			}
			if err := c.s.setUserVar(x.Name, v, c.collOf(x.Value).coll); err != nil {
				return nil, err
			}
			return v, nil
		}
		return c.s.userVars[strings.ToLower(x.Name)], nil
	}
	if err := checkInstanceVarScope(x); err != nil {
		return nil, err // @@SESSION.datadir (sysvars.go)
	}
	if v, ok := c.externalVar(strings.ToLower(x.Name)); ok {
		return v, nil // a server's variable (sysvars.go)
	}
	if c.s != nil && strings.EqualFold(x.Name, "secure_file_priv") {
		return c.s.secureFilePriv(), nil
	}
	if c.s != nil {
		if v, ok := InstanceVar(c.s.db, strings.ToLower(x.Name)); ok {
			return v, nil // where blitz runs (sysvars.go)
		}
	}
	switch strings.ToLower(x.Name) {
	case "version":
		return serverVersion, nil
	case "autocommit":
		if c.s != nil && c.s.noAutocommit {
			return int64(0), nil
		}
		return int64(1), nil
	case "sql_mode":
		if c.s == nil {
			return defaultSQLMode.String(), nil
		}
		return c.s.sqlMode.String(), nil
	case "collation_connection", "character_set_connection":
		cc := defaultConnColl
		if c.s != nil {
			cc = c.s.conn
		}
		return cc.varValue(strings.ToLower(x.Name)), nil // conncoll.go
	case "collation_database", "collation_server":
		return "utf8mb4_bin", nil
	case "character_set_client", "character_set_results", "character_set_server", "character_set_database":
		return "utf8mb4", nil
	case "max_allowed_packet":
		return int64(maxStringResult), nil
	case "div_precision_increment":
		return int64(divPrecisionIncrement), nil
	case "tx_isolation", "transaction_isolation":
		if c.s == nil {
			return defaultIsolation, nil
		}
		return c.s.isolation(), nil // txchars.go
	case "tx_read_only", "transaction_read_only":
		if c.s != nil && c.s.txReadOnly {
			return int64(1), nil
		}
		return int64(0), nil
	case "version_comment":
		return "blitz", nil
	case "lower_case_table_names":
		return int64(LowerCaseTableNames), nil
	case "lower_case_file_system":
		return int64(b2i(LowerCaseFileSystem)), nil
	case fkCheckVar:
		if c.s != nil && c.s.noFKChecks {
			return int64(0), nil
		}
		return int64(1), nil
	case "sql_notes":
		if c.s != nil && c.s.noNotes {
			return int64(0), nil
		}
		return int64(1), nil
	case safeUpdatesVar:
		return int64(b2i(c.s != nil && c.s.safeUpdates)), nil
	case "unique_checks", "sql_quote_show_create":
		// Reported for scripts that save and restore them (mysqldump);
		// SET accepts them and changes nothing: unique keys are always
		// checked.
		return int64(1), nil
	case "time_zone":
		if c.s == nil {
			return "SYSTEM", nil
		}
		if x.IsGlobal {
			return defaultTimeZone(c.s.db).String(), nil
		}
		return c.s.tz.String(), nil
	case "system_time_zone":
		return "UTC", nil // blitz's SYSTEM zone (timezone.go)
	case memoryBudgetVar:
		return c.s.memBudget, nil
	case selectLimitVar:
		if c.s == nil {
			return uint64(noSelectLimit), nil
		}
		return c.s.selectLimit, nil
	case maxRecursiveIterationsVar:
		if c.s == nil {
			return int64(DefaultMaxRecursiveIterations), nil
		}
		return int64(c.s.maxRecursiveIterations), nil
	case "warning_count", "error_count":
		// Of the statement before this one, as SHOW COUNT(*) WARNINGS,
		// in a statement that reads no table; one that does starts
		// the diagnostics afresh, so 0 (diagnostics.go).
		if c.s == nil || !c.s.keepsDiag {
			return int64(0), nil
		}
		n := int64(0)
		for _, w := range c.s.prevWarnings {
			if strings.EqualFold(x.Name, "warning_count") || w.Level == "Error" {
				n++
			}
		}
		return n, nil
	}
	return nil, errf(sqlerr.ErrUnknownSystemVar, "Unknown system variable '%s'", x.Name)
}

// castTextInt is CAST(text AS SIGNED | UNSIGNED) as MySQL does it: the
// leading integer of the text (a fraction is cut, not rounded), warning
// 1292 for what follows it or for a value past the type's range (clipped;
// a negative value AS UNSIGNED wraps, as in MySQL).
// castNumberInt is CAST(v AS SIGNED | UNSIGNED) of a DECIMAL or DOUBLE
// v: rounded to an integer, and past the type's range (a negative value
// for UNSIGNED) the nearest end of it, with warning 1916, as MariaDB does.
func (c *evalCtx) castNumberInt(v any, unsigned bool) any {
	var d decimal.Decimal
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return int64(0)
		}
		// A DOUBLE rounds half to even (rint), then converts exactly:
		// 1.5e0 * 9223372036854775807 is 13835058055282163712, not the
		// shortest decimal that reads back as the double.
		n, _ := big.NewFloat(math.RoundToEven(x)).Int(nil)
		d = decimal.NewFromBigInt(n, 0)
	case decimal.Decimal:
		d = x.Round(0) // a DECIMAL half away from zero
	}
	typ := "INT"
	if unsigned {
		typ = "UNSIGNED INT"
	}
	overflow := func(to any) any {
		c.warning(errCastOverflow, "Got overflow when converting '%s' to %s. Value truncated", toString(v), typ)
		return to
	}
	n := d.BigInt()
	switch {
	case unsigned && n.Sign() < 0:
		return overflow(uint64(0))
	case unsigned && !n.IsUint64():
		return overflow(uint64(math.MaxUint64))
	case unsigned:
		return n.Uint64()
	case !n.IsInt64() && n.Sign() < 0:
		return overflow(int64(math.MinInt64))
	case !n.IsInt64():
		return overflow(int64(math.MaxInt64))
	}
	return n.Int64()
}

// errCastOverflow is MariaDB's ER_DATA_OVERFLOW: a number past the range
// of the integer type a CAST asks for.
const errCastOverflow = 1916

func (c *evalCtx) castTextInt(s string, unsigned bool) any {
	t := strings.TrimLeft(s, " \t\n\r")
	i := 0
	if i < len(t) && (t[i] == '-' || t[i] == '+') {
		i++
	}
	j := i
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		j++
	}
	n, ok := new(big.Int).SetString(strings.TrimPrefix(t[:j], "+"), 10)
	if !ok {
		n = new(big.Int)
	}
	if j == i || strings.TrimRight(t[j:], " \t\n\r") != "" {
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
	}
	maxU := new(big.Int).SetUint64(math.MaxUint64)
	if unsigned {
		switch {
		case n.Cmp(maxU) > 0:
			c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
			return uint64(math.MaxUint64)
		case n.Sign() < 0:
			if !n.IsInt64() {
				c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
				return uint64(1) << 63
			}
			return uint64(n.Int64())
		}
		return n.Uint64()
	}
	switch {
	case n.Sign() < 0 && !n.IsInt64():
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
		return int64(math.MinInt64)
	case n.Cmp(maxU) > 0:
		// MySQL reads it as the largest unsigned value, which as a
		// signed one is -1.
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
		return int64(-1)
	case !n.IsInt64():
		return int64(n.Uint64()) // wraps, as MySQL's unsigned-to-signed does
	}
	return n.Int64()
}

func (c *evalCtx) cast(x *ast.FuncCastExpr) (any, error) {
	v, err := c.eval(x.Expr)
	if err != nil || v == nil {
		return nil, err
	}
	tp := x.Tp
	switch tp.GetType() {
	case mysql.TypeLonglong:
		if t, ok := v.(time.Time); ok {
			v = c.temporalNumber(x.Expr, t, false) // the fraction is cut
		}
		switch t := v.(type) {
		case string:
			return c.castTextInt(t, mysql.HasUnsignedFlag(tp.GetFlag())), nil
		case []byte:
			return c.castTextInt(string(t), mysql.HasUnsignedFlag(tp.GetFlag())), nil
		case decimal.Decimal, float64:
			return c.castNumberInt(t, mysql.HasUnsignedFlag(tp.GetFlag())), nil
		}
		if mysql.HasUnsignedFlag(tp.GetFlag()) {
			if u, ok := v.(uint64); ok {
				return u, nil
			}
			return uint64(toInt(v)), nil
		}
		if u, ok := v.(uint64); ok {
			return int64(u), nil
		}
		return toInt(v), nil
	case mysql.TypeNewDecimal:
		if _, exact := x.Expr.(*ast.BinaryOperationExpr); exact {
			// A quotient's inner digits, not its shown ones.
			if v, _, err = c.exactOperand(x.Expr); err != nil || v == nil {
				return nil, err
			}
		}
		return c.castDecimal(x, toDecimal(v), tp.GetFlen(), tp.GetDecimal()), nil
	case mysql.TypeDouble:
		c.warnNumericText(v, "DOUBLE")
		return toFloat(v), nil
	case mysql.TypeFloat:
		// A FLOAT: single precision, clamped to its range with note 1264
		// (naming the expression as written), as MariaDB.
		c.warnNumericText(v, "DOUBLE")
		f := toFloat(v)
		if math.Abs(f) > math.MaxFloat32 {
			f = math.Copysign(math.MaxFloat32, f)
			if c.s != nil && c.warn != nil {
				c.s.addNote(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row 1", itemText(x, c.qualifiedColumn))
			}
		}
		return float64(float32(f)), nil
	case mysql.TypeDate:
		t, ok := toTime(v)
		if !ok {
			t, ok = c.timePrefix(v)
		}
		if !ok {
			if z, ok := c.castZeroDate(v, true, 0); ok {
				return z, nil
			}
			return c.castNoTime(v), nil
		}
		return t.Truncate(24 * time.Hour), nil
	case mysql.TypeDatetime:
		// DATETIME(n) keeps n fractional digits, cut (not rounded) as
		// MariaDB does; DATETIME none.
		t, ok := toTime(v)
		if !ok {
			t, ok = c.timePrefix(v)
		}
		if !ok {
			if z, ok := c.castZeroDate(v, false, tp.GetDecimal()); ok {
				return z, nil
			}
			return c.castNoTime(v), nil
		}
		return truncFrac(t, int64(tp.GetDecimal())), nil
	case mysql.TypeDuration:
		// TIME(n) keeps n fractional digits, cut; a time past the range
		// is clipped and what is no time is NULL, each with warning
		// 1292, as in MariaDB.
		col := engine.Column{Name: "time", Type: engine.TypeTime, Scale: min(max(tp.GetDecimal(), 0), 6)}
		if d, done := c.castBigNumberTime(v); done {
			return d, nil
		}
		d, err := engine.Coerce(&col, v, 1)
		if err == nil {
			return d, nil
		}
		text := toString(c.textOf(x.Expr, v))
		if d, warn, _ := engine.CoerceLoose(&col, v, 1); sqlerr.Code(warn) == sqlerr.ErrOutOfRange {
			c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect time value: '%s'", text)
			return d, nil
		}
		if s, isText := v.(string); isText {
			// '12abc' is 00:00:12: the time the text starts with.
			if _, _, _, ok := engine.ParseTimePrefix(s); ok {
				if d, _, _ := engine.CoerceLoose(&col, strings.TrimSpace(s), 1); d != nil {
					c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect time value: '%s'", text)
					return d, nil
				}
			}
		}
		c.warning(sqlerr.ErrTruncatedValue, "Incorrect time value: '%s'", text)
		return nil, nil
	default:
		v = c.textOf(x.Expr, v)
		if mysql.HasBinaryFlag(tp.GetFlag()) || tp.GetCharset() == "binary" {
			b := []byte(c.inCharset(x.Expr, toString(v))) // a latin1 column's bytes are latin1's
			if n := tp.GetFlen(); n >= 0 && len(b) > n {
				c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect BINARY(%d) value: '%s'", n, b)
				b = b[:n]
			}
			return b, nil
		}
		if cs := c.collOf(x).cs; cs != nil {
			// AS CHAR CHARACTER SET latin1: a character the set does
			// not have is '?', as CONVERT(... USING latin1) makes it.
			v = cs.Keep(toString(v))
		}
		s := toString(v)
		// CHAR(n) keeps the first n characters, with warning 1292.
		if n := tp.GetFlen(); n >= 0 && len(s) > n && utf8.RuneCountInString(s) > n {
			c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect CHAR(%d) value: '%s'", n, s)
			i := 0
			for k := range s {
				if i == n {
					s = s[:k]
					break
				}
				i++
			}
		}
		return s, nil
	}
}

// castBigNumberTime is CAST(n AS TIME) for an integer of more than seven
// digits, as MariaDB reads one: a positive one up to 99991231235959 as a
// DATETIME (its time of day; NULL if no DATETIME), anything larger, or
// negative, clipped to ±838:59:59 with a warning. done is false for
// anything else.
func (c *evalCtx) castBigNumberTime(v any) (any, bool) {
	var neg bool
	var n uint64
	switch x := v.(type) {
	case int64:
		neg, n = x < 0, uint64(x)
		if neg {
			n = uint64(-(x + 1)) + 1
		}
	case uint64:
		n = x
	default:
		return nil, false
	}
	if n <= 9999999 {
		return nil, false
	}
	if !neg && n <= 99991231235959 {
		t, ok := numberDatetime(int64(n))
		if !ok || t.Nanosecond() == 999999999 { // (no date, or a zero day or month)
			c.warning(sqlerr.ErrTruncatedValue, "Incorrect time value: '%s'", toString(v))
			return nil, true
		}
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second, true
	}
	c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect time value: '%s'", toString(v))
	if neg {
		return -maxClippedTime, true
	}
	return maxClippedTime, true
}

// timePrefix is the DATE or DATETIME text v starts with, when other text
// follows it ('2024-02-29 junk'), with the warning MariaDB gives when
// CAST drops that text; ok is false when v is no such text.
func (c *evalCtx) timePrefix(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '-' || r == ':' || r == '.' || r == '/' || r == ' ')
	})
	if end <= 0 {
		return time.Time{}, false
	}
	p := strings.TrimRight(s[:end], " ")
	t, ok := parseTime(p)
	if ok {
		typ := "date"
		if strings.ContainsRune(p, ':') {
			typ = "datetime"
		}
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%s'", typ, s)
	}
	return t, ok
}

// castNoTime is CAST(v AS DATE or DATETIME) of v that reads as no date
// at all: NULL, with MariaDB's warning for text.
func (c *evalCtx) castNoTime(v any) any {
	switch v.(type) {
	case string, []byte:
		c.warning(sqlerr.ErrTruncatedValue, "Incorrect datetime value: '%s'", toString(v))
	}
	return nil
}

// toTime converts a value to a time (strings are parsed).
func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		return parseTime(x)
	case []byte:
		return parseTime(string(x))
	case int64:
		return parseTime(toString(x))
	}
	return time.Time{}, false
}

// castDecimal is CAST(... AS DECIMAL(prec, scale)) of d: rounded to scale
// digits and, beyond what prec digits hold, clipped to the largest value
// of that sign with warning 1264, as MariaDB does (DECIMAL alone is
// DECIMAL(10,0)).
func (c *evalCtx) castDecimal(x *ast.FuncCastExpr, d decimal.Decimal, prec, scale int) decimal.Decimal {
	if scale < 0 {
		scale = 0
	}
	if prec <= 0 {
		prec = 10
	}
	d = d.Round(int32(scale))
	if prec < scale || prec-scale > 65 {
		return d
	}
	limit := decimal.New(1, int32(prec-scale)).Sub(decimal.New(1, -int32(scale)))
	if d.Abs().Cmp(limit) <= 0 {
		return d
	}
	c.warning(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row 1", exprText(x))
	if d.Sign() < 0 {
		return limit.Neg()
	}
	return limit
}

// notFinite reports whether v is an infinite or NaN double: a result
// past a double's range, which MariaDB refuses (1690).
func notFinite(v any) bool {
	f, ok := v.(float64)
	return ok && (math.IsInf(f, 0) || math.IsNaN(f))
}

// itemText prints x as MariaDB quotes an expression in a message such as
// 1690's: operators spaced, function calls in lower case with their
// arguments separated by bare commas (pow(10,1e10)), float literals in
// exponent form (floatLiteralText), columns as col prints them (when it
// returns ""), the rest as exprText restores it.
func itemText(x ast.Node, col func(*ast.ColumnName) string) string {
	switch e := x.(type) {
	case *ast.BinaryOperationExpr:
		return itemText(e.L, col) + " " + opText(e.Op) + " " + itemText(e.R, col)
	case *ast.UnaryOperationExpr:
		if e.Op == opcode.Minus {
			return "-" + itemText(e.V, col)
		}
	case *test_driver.ValueExpr:
		if e.Kind() == test_driver.KindFloat64 {
			return floatLiteralText(e.GetFloat64())
		}
	case *ast.ColumnNameExpr:
		if t := col(e.Name); t != "" {
			return t
		}
	case *ast.FuncCastExpr:
		// exprText's cast(<operand> as <type>) with the operand as here.
		full, inner := exprText(e), exprText(e.Expr)
		if rest, ok := strings.CutPrefix(full, "cast("+inner); ok {
			return "cast(" + itemText(e.Expr, col) + rest
		}
		return full
	case *ast.AggregateFuncExpr:
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = itemText(a, col)
		}
		distinct := ""
		if e.Distinct {
			distinct = "distinct "
		}
		return strings.ToLower(e.F) + "(" + distinct + strings.Join(args, ",") + ")"
	case *ast.FuncCallExpr:
		name := e.FnName.L
		if name == "power" {
			name = "pow"
		}
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			args[i] = itemText(a, col)
		}
		return name + "(" + strings.Join(args, ",") + ")"
	}
	return exprText(x)
}

// qualifiedColumn names the column n refers to as MariaDB prints a
// resolved column, `db`.`table`.`col` (the table by the name the statement
// gives it), or "" when n is not a column of c's table or join.
func (c *evalCtx) qualifiedColumn(n *ast.ColumnName) string {
	ti := c.ti
	if ti == nil || c.s == nil {
		return ""
	}
	table, name := ti.alias, n.Name.O
	if js := ti.join; js != nil {
		ref, err := js.resolve(n, js.all(), c.clause)
		if err != nil || len(ref) == 0 {
			return ""
		}
		table = js.sourceAt(ref[0]).alias
	} else if i := ti.column(n.Name.O); i >= 0 {
		name = ti.def.Columns[i].Name
	} else {
		return ""
	}
	return quoteIdent(c.s.DBName) + "." + quoteIdent(table) + "." + quoteIdent(name)
}

// floatLiteralText prints a float literal the way MariaDB quotes one in
// a message: in exponent form without a plus sign or leading zeros in the
// exponent (1e308, 1.5e-7), the shortest text that reads back as f. The
// parser keeps only the value, so 1E308 and 10e307 print as 1e308.
func floatLiteralText(f float64) string {
	s := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "e" + exp
}
