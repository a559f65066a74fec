package sqlshim

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// The fractional digits a DATETIME or TIME expression is shown with, as
// MariaDB works them out from the expression's type (never from the
// value): CASE WHEN c THEN dt3 END shows 2024-01-15 10:20:30.120,
// ADDTIME(dt3, t0) three digits, TIMEDIFF(dt3, dt3) 00:00:00.000,
// SEC_TO_TIME(7.5e0) six.

// temporalScaleFuncs are the functions whose result's digits
// temporalScale gives exprColumn: those that pass a value on or combine
// temporal arguments.
var temporalScaleFuncs = map[string]bool{
	"if": true, "ifnull": true, "coalesce": true, "greatest": true, "least": true, "nullif": true,
	"addtime": true, "subtime": true, "timediff": true, "timestamp": true, "time": true, "sec_to_time": true,
	"date_add": true, "date_sub": true, "adddate": true, "subdate": true,
}

// applyTemporalScale sets c's decimals (and length) for e, a CASE or one
// of temporalScaleFuncs whose value is a DATETIME or a TIME.
func applyTemporalScale(ti *tableInfo, c *Column, e ast.ExprNode) {
	if !isDatetimeType(c.Type) && c.Type != mysql.TypeDuration {
		return
	}
	switch x := e.(type) {
	case *ast.CaseExpr:
	case *ast.FuncCallExpr:
		if !temporalScaleFuncs[x.FnName.L] {
			return
		}
	case *ast.AggregateFuncExpr: // MIN and MAX
	default:
		return
	}
	if x, ok := e.(*ast.FuncCallExpr); ok && (x.FnName.L == "addtime" || x.FnName.L == "subtime") && len(x.Args) == 2 {
		if _, text := stringConstant(x.Args[0]); text || textBranches(x.Args[0]) != nil {
			// ADDTIME of text is text of no fixed digits: each value
			// shows six if it has a fraction, else none (FormatValue).
			c.Decimals = notFixed
			return
		}
	}
	n, ok := temporalScale(ti, e)
	if !ok {
		return
	}
	c.Decimals = uint8(n)
	if c.Type == mysql.TypeDuration {
		c.Length = uint32(10 + fracLen(n))
	} else {
		c.Length = uint32(19 + fracLen(n))
	}
}

// temporalScale is the number of fractional digits (0 to 6) of e's type
// when e is a DATE, DATETIME or TIME expression of a form it knows, or a
// constant: a string constant with a fraction counts 6, as MariaDB reads
// it. ok is false for anything else.
func temporalScale(ti *tableInfo, e ast.ExprNode) (int, bool) {
	switch x := unparen(e).(type) {
	case *ast.ColumnNameExpr:
		c := valueColumn(ti, x, nil)
		switch c.Type {
		case mysql.TypeDatetime, mysql.TypeTimestamp, mysql.TypeDuration:
			return min(int(c.Decimals), 6), true
		case mysql.TypeDate:
			return 0, true
		}
	case *test_driver.ValueExpr:
		switch v := x.Datum.GetValue().(type) {
		case nil:
			return 0, true
		case string:
			// Text beside a DATETIME in IF or CASE makes a string; only
			// ADDTIME and its kin read it as a time (timeArgScale).
			_ = v
		}
	case *ast.FuncCastExpr:
		switch x.Tp.GetType() {
		case mysql.TypeDatetime, mysql.TypeDuration:
			return min(max(x.Tp.GetDecimal(), 0), 6), true
		case mysql.TypeDate:
			return 0, true
		}
	case *ast.CaseExpr:
		return maxTemporalScale(ti, caseResults(x))
	case *ast.AggregateFuncExpr:
		if (strings.EqualFold(x.F, ast.AggFuncMin) || strings.EqualFold(x.F, ast.AggFuncMax)) && len(x.Args) == 1 {
			return temporalScale(ti, x.Args[0])
		}
	case *ast.FuncCallExpr:
		args := x.Args
		switch x.FnName.L {
		case timestampLiteralFn, timeLiteralFn:
			if v, ok := args[0].(*test_driver.ValueExpr); ok && len(args) == 1 {
				_, frac, _ := strings.Cut(toString(v.Datum.GetValue()), ".")
				return min(len(strings.TrimSpace(frac)), 6), true
			}
		case dateLiteralFn, "date", "curdate", "current_date", "from_days", "makedate", "last_day":
			return 0, true
		case "if":
			if len(args) == 3 {
				return maxTemporalScale(ti, args[1:])
			}
		case "ifnull", "coalesce", "greatest", "least":
			return maxTemporalScale(ti, args)
		case "addtime", "subtime":
			if len(args) == 2 {
				if s, ok := stringConstant(args[0]); ok {
					// ADDTIME of text is text, shown with six digits
					// when it has a fraction.
					b, ok := timeArgScale(ti, args[1])
					if strings.Contains(s[strings.LastIndexByte(s, ':')+1:], ".") {
						return 6, ok
					}
					return b, ok
				}
			}
			return maxScale(ti, args, timeArgScale)
		case "timediff", "timestamp", "time":
			return maxScale(ti, args, timeArgScale)
		case "nullif":
			if len(args) == 2 {
				return temporalScale(ti, args[0])
			}
		case "date_add", "date_sub", "adddate", "subdate":
			if len(args) == 3 {
				if u, ok := args[2].(*ast.TimeUnitExpr); ok && microUnit(u.Unit) {
					return 6, true
				}
				if textBranches(args[0]) != nil && !isConstant(args[0]) {
					return 6, true // text of no fixed digits, read as a DATETIME
				}
				return temporalScale(ti, args[0])
			}
		case "sec_to_time":
			if len(args) == 1 {
				return secondsScale(ti, args[0])
			}
		}
	}
	return 0, false
}

// maxTemporalScale is the most digits of any of es (all must be known).
func maxTemporalScale(ti *tableInfo, es []ast.ExprNode) (int, bool) {
	return maxScale(ti, es, temporalScale)
}

// maxScale is the most digits scale gives any of es, ok false when it
// knows those of one not (or es is empty).
func maxScale(ti *tableInfo, es []ast.ExprNode, scale func(*tableInfo, ast.ExprNode) (int, bool)) (int, bool) {
	n := 0
	for _, e := range es {
		s, ok := scale(ti, e)
		if !ok {
			return 0, false
		}
		n = max(n, s)
	}
	return n, len(es) > 0
}

// timeArgScale is temporalScale of an argument of ADDTIME, SUBTIME,
// TIMEDIFF, TIME or TIMESTAMP, which read text as a time: a string
// constant counts the fractional digits it is written with
// ('10:20:30.50': two; none in '2024.01.02 03.04.05'), as MariaDB reads
// a constant; an IF, IFNULL, COALESCE or CASE with a string constant
// among its results is a string of no fixed digits, and counts six
// unless it is a constant (then its branches' most). A NULL constant is
// not known.
func timeArgScale(ti *tableInfo, e ast.ExprNode) (int, bool) {
	if v, ok := unparen(e).(*test_driver.ValueExpr); ok {
		switch s := v.Datum.GetValue().(type) {
		case string:
			if i := strings.LastIndexByte(s, ':'); i >= 0 {
				if _, frac, ok := strings.Cut(s[i:], "."); ok {
					n := 0
					for n < len(frac) && frac[n] >= '0' && frac[n] <= '9' {
						n++
					}
					return min(n, 6), true
				}
			}
			return 0, true
		case nil:
			return 0, false
		}
	}
	if n, ok := temporalScale(ti, e); ok {
		return n, true
	}
	if branches := textBranches(e); branches != nil {
		if !isConstant(e) {
			return 6, true
		}
		// A constant is read as the time it is: its digits.
		n := 0
		for _, b := range branches {
			if d, ok := timeArgScale(ti, b); ok {
				n = max(n, d)
			}
		}
		return n, true
	}
	return 0, false
}

// stringConstant is e's text when e is a string literal.
func stringConstant(e ast.ExprNode) (string, bool) {
	if v, ok := unparen(e).(*test_driver.ValueExpr); ok {
		s, ok := v.Datum.GetValue().(string)
		return s, ok
	}
	return "", false
}

// textBranches are the results of e, an IF, IFNULL, COALESCE or CASE one
// of whose results is a string constant (so that its result is a
// string); nil for any other e.
func textBranches(e ast.ExprNode) []ast.ExprNode {
	var branches []ast.ExprNode
	switch x := unparen(e).(type) {
	case *ast.CaseExpr:
		branches = caseResults(x)
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "if", "ifnull", "coalesce":
			branches, _, _ = resultBranches(x)
		}
	}
	for _, b := range branches {
		if v, ok := unparen(b).(*test_driver.ValueExpr); ok {
			if _, ok := v.Datum.GetValue().(string); ok {
				return branches
			}
		} else if textBranches(b) != nil {
			return branches
		}
	}
	return nil
}

// secondsScale is the digits of SEC_TO_TIME(e): none for an integer, a
// DECIMAL's scale (up to 6), 6 for a DOUBLE; ok is false when e's type
// is not known here.
func secondsScale(ti *tableInfo, e ast.ExprNode) (int, bool) {
	if ie, ok := intInfo(ti, e); ok && !ie.temporal {
		return 0, true
	}
	if d, ok := decInfo(ti, e); ok && !isTemporalColumn(ti, e) {
		return min(d.scale, 6), true
	}
	if t := (&evalCtx{ti: ti}).staticType(e); t.kind == 'f' {
		return 6, true
	}
	return 0, false
}
