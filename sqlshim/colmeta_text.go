package sqlshim

import (
	"strconv"
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// This file works out the longest text a string expression can produce,
// in characters, from its operands' types rather than from the rows it
// happened to produce, as MariaDB does (Item::max_char_length): CREATE
// TABLE ... SELECT CONCAT(b, 'x') makes a VARCHAR(n+1) for a VARCHAR(n) b,
// even when the table is empty or its values are short, so that a longer
// value inserted later fits. MariaDB's own arithmetic is kept where it
// differs from the true maximum (SUBSTRING with a start position counts
// its argument's bytes), so that the tables it makes and blitz makes agree.

// textUnbounded stands for a length no VARCHAR or TEXT holds (LONGTEXT):
// REPEAT or LPAD with a count that is not a constant.
const textUnbounded = 1 << 30

// textLen is the most characters expression e can produce, and whether that
// is known. Only a single table's columns are resolved (ti); an expression
// it cannot tell about is not known, and CREATE TABLE ... SELECT then sizes
// the column from the values.
func exprTextLen(ti *tableInfo, e ast.ExprNode) (int, bool) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return exprTextLen(ti, x.Expr)
	case *test_driver.ValueExpr:
		switch v := x.Datum.GetValue().(type) {
		case nil:
			return 0, true
		case string:
			return utf8.RuneCountInString(v), true
		case int64:
			return len(strconv.FormatInt(v, 10)), true
		case uint64:
			return len(strconv.FormatUint(v, 10)), true
		case *test_driver.MyDecimal:
			n, _, ok := castArgLen(ti, x)
			return n, ok
		}
	case *ast.ColumnNameExpr:
		return columnTextLen(ti, x)
	case *ast.FuncCastExpr:
		if x.Tp.GetType() != mysql.TypeVarString || x.FunctionType != ast.CastFunction && x.FunctionType != ast.CastConvertFunction {
			return 0, false
		}
		if n := x.Tp.GetFlen(); n >= 0 {
			return n, true
		}
		return exprTextLen(ti, x.Expr)
	case *ast.CaseExpr:
		branches := make([]ast.ExprNode, 0, len(x.WhenClauses)+1)
		for _, w := range x.WhenClauses {
			branches = append(branches, w.Result)
		}
		if x.ElseClause != nil {
			branches = append(branches, x.ElseClause)
		}
		return exprTextLenMax(ti, branches)
	case *ast.AggregateFuncExpr:
		if (x.F == ast.AggFuncMax || x.F == ast.AggFuncMin) && len(x.Args) == 1 {
			return exprTextLen(ti, x.Args[0])
		}
	case *ast.FuncCallExpr:
		return textFuncLen(ti, x)
	}
	return 0, false
}

// textLenMax is the longest of es, known only if each is.
func exprTextLenMax(ti *tableInfo, es []ast.ExprNode) (int, bool) {
	n := 0
	for _, e := range es {
		m, ok := exprTextLen(ti, e)
		if !ok {
			return 0, false
		}
		n = max(n, m)
	}
	return n, true
}

// textLenSum is the total of es, known only if each is.
func exprTextLenSum(ti *tableInfo, es []ast.ExprNode) (int, bool) {
	n := 0
	for _, e := range es {
		m, ok := exprTextLen(ti, e)
		if !ok {
			return 0, false
		}
		n = min(n+m, textUnbounded)
	}
	return n, true
}

// constInt is e's value when it is an integer literal (signed: -2 too).
func constInt(e ast.ExprNode) (int64, bool) {
	switch x := unparen(e).(type) {
	case *test_driver.ValueExpr:
		switch v := x.Datum.GetValue().(type) {
		case int64:
			return v, true
		case uint64:
			return int64(min(v, 1<<62)), true
		}
	case *ast.UnaryOperationExpr:
		if n, ok := constInt(x.V); ok && x.Op == opcode.Minus {
			return -n, true
		}
	}
	return 0, false
}

// textBytesPerChar is the most bytes a character of e's text takes in its
// character set: 1 for a latin1 or ascii column, 4 (utf8mb4) otherwise.
func textBytesPerChar(ti *tableInfo, e ast.ExprNode) int {
	if cn, ok := unparen(e).(*ast.ColumnNameExpr); ok {
		if c := stringColumn(ti, cn); c != nil && c.Charset != nil {
			return 1 // the single-byte sets are the only others a column has
		}
	}
	return 4
}

// textFuncLen is textLen of a function call.
func textFuncLen(ti *tableInfo, x *ast.FuncCallExpr) (int, bool) {
	args := x.Args
	arg0 := func() (int, bool) {
		if len(args) == 0 {
			return 0, false
		}
		return exprTextLen(ti, args[0])
	}
	if branches, _, ok := resultBranches(x); ok {
		return exprTextLenMax(ti, branches)
	}
	switch x.FnName.L {
	case "concat":
		return exprTextLenSum(ti, args)
	case "concat_ws":
		if len(args) < 2 {
			return 0, false
		}
		sep, ok := exprTextLen(ti, args[0])
		n, ok2 := exprTextLenSum(ti, args[1:])
		return min(n+sep*(len(args)-2), textUnbounded), ok && ok2
	case "upper", "ucase", "lower", "lcase", "trim", "ltrim", "rtrim", "reverse", "substring_index":
		return arg0()
	case "convert":
		if len(args) == 2 { // CONVERT(x USING cs)
			return arg0()
		}
	case "soundex":
		n, ok := arg0()
		return max(n, 4), ok
	case "left", "right":
		n, ok := arg0()
		if k, isConst := constInt(args[len(args)-1]); isConst && len(args) == 2 {
			n = int(max(min(int64(n), k), 0))
		}
		return n, ok
	case "substring", "substr", "mid":
		if len(args) < 2 {
			return 0, false
		}
		n, ok := arg0()
		if !ok {
			return 0, false
		}
		// MariaDB counts the argument's bytes here, then takes the
		// start and the length off as characters.
		n = min(n*textBytesPerChar(ti, args[0]), textUnbounded)
		if start, isConst := constInt(args[1]); isConst {
			if start < 0 {
				n = int(min(int64(n), -start))
			} else if start > 0 {
				n -= int(min(int64(n), start-1))
			}
		}
		if len(args) == 3 {
			if k, isConst := constInt(args[2]); isConst {
				n = int(max(min(int64(n), k), 0))
			}
		}
		return n, true
	case "repeat":
		n, ok := arg0()
		if len(args) != 2 || !ok {
			return 0, false
		}
		if k, isConst := constInt(args[1]); isConst {
			return int(min(int64(n)*max(k, 0), textUnbounded)), true
		}
		return textUnbounded, true
	case "lpad", "rpad":
		if len(args) != 3 {
			return 0, false
		}
		if k, isConst := constInt(args[1]); isConst {
			return int(min(max(k, 0), textUnbounded)), true
		}
		return textUnbounded, true
	case "space":
		if k, isConst := constInt(args[0]); isConst && len(args) == 1 {
			return int(min(max(k, 0), textUnbounded)), true
		}
	case "replace":
		if len(args) != 3 {
			return 0, false
		}
		n, ok := arg0()
		to, ok2 := exprTextLen(ti, args[2])
		if !ok || !ok2 {
			return 0, false
		}
		if to > 1 { // as MariaDB: each character may become the whole replacement
			n = min(n*to, textUnbounded)
		}
		return n, true
	case "insert_func": // INSERT(str, pos, len, newstr)
		if len(args) != 4 {
			return 0, false
		}
		n, ok := arg0()
		m, ok2 := exprTextLen(ti, args[3])
		return n + m, ok && ok2
	case "elt":
		if len(args) < 2 {
			return 0, false
		}
		return exprTextLenMax(ti, args[1:])
	case "quote":
		n, ok := arg0()
		return 2*n + 2, ok
	case "hex":
		if cn, isCol := unparen(args[0]).(*ast.ColumnNameExpr); isCol && stringColumn(ti, cn) == nil {
			if _, isInt := intColumnExpr(ti, cn); isInt {
				return 16, true // a number's 64 bits
			}
			return 0, false
		}
		n, ok := arg0()
		return min(2*n*textBytesPerChar(ti, args[0]), textUnbounded), ok
	case "md5":
		return 32, true
	case "sha", "sha1":
		return 40, true
	case "sha2":
		return 128, true
	case "uuid":
		return 36, true
	}
	return 0, false
}

// columnTextLen is the most characters column x of ti's table shows as
// text: its declared length for CHAR and VARCHAR, a TEXT's bytes over four,
// a number's or a date's display width.
func columnTextLen(ti *tableInfo, x *ast.ColumnNameExpr) (int, bool) {
	if ti == nil || ti.join != nil || x.Name.Table.L != "" && x.Name.Table.L != lower(ti.alias) {
		return 0, false
	}
	i := ti.column(x.Name.Name.O)
	if i < 0 {
		return 0, false
	}
	c := &ti.def.Columns[i]
	switch c.Type {
	case engine.TypeChar, engine.TypeVarChar:
		return c.Length, true
	case engine.TypeText:
		switch c.Length {
		case 255:
			return 255 / 4, true
		case 16777215:
			return 16777215 / 4, true
		case 4294967295:
			return textUnbounded, true
		}
		return 65535 / 4, true
	case engine.TypeEnum:
		n := 0
		for _, m := range c.Elems {
			n = max(n, utf8.RuneCountInString(m))
		}
		return n, true
	case engine.TypeSet:
		n := 0
		for _, m := range c.Elems {
			n += utf8.RuneCountInString(m) + 1
		}
		return max(n-1, 0), true
	case engine.TypeDecimal:
		n := c.Precision + 1 // and the sign
		if c.Scale > 0 {
			n++ // the point
		}
		if c.Unsigned {
			n--
		}
		return n, true
	case engine.TypeDouble:
		return 22, true
	case engine.TypeFloat:
		return 12, true
	case engine.TypeDate:
		return 10, true
	case engine.TypeDateTime, engine.TypeTimestamp:
		return 19 + fracLen(c.Scale), true
	case engine.TypeTime:
		return 10 + fracLen(c.Scale), true
	case engine.TypeYear:
		return 4, true
	}
	if a, ok := intColumnExpr(ti, x); ok && !a.temporal {
		return a.n, true
	}
	return 0, false
}
