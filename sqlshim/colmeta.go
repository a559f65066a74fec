package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Result-set metadata of expressions that MariaDB derives from the
// expression rather than from a value it produced, where a client sees
// the difference: the NOT NULL flag (drivers' nullability; the mariadb
// client keeps four characters for "NULL" in a nullable column) and the
// type of MIN/MAX over a column (drivers pick a Go or Java type by it).

// neverNull reports whether expression e, evaluated over ti (nil: no
// table), can never be NULL as MariaDB works it out, for the cases it
// flags NOT NULL that clients meet most: literals, COUNT, the clock and
// session functions, IS [NOT] NULL, <=>, arithmetic (not division) and
// comparisons of such operands, COALESCE/IFNULL with such an argument,
// LENGTH, integer CASTs, ABS, FLOOR, ROUND, GREATEST and the like of
// such operands. A column counts when the query reads
// one table only (an outer join can make any column NULL). Anything else
// is reported as possibly NULL, which is never wrong.
func neverNull(ti *tableInfo, e ast.ExprNode) bool {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return neverNull(ti, x.Expr)
	case *test_driver.ValueExpr:
		return x.Datum.GetValue() != nil
	case *ast.ColumnNameExpr:
		if ti == nil || ti.join != nil || x.Name.Table.L != "" && x.Name.Table.L != lower(ti.alias) {
			return false
		}
		i := ti.column(x.Name.Name.O)
		return i >= 0 && ti.def.Columns[i].NotNull
	case *ast.IsNullExpr, *ast.IsTruthExpr, *ast.ExistsSubqueryExpr:
		return true
	case *ast.PatternLikeOrIlikeExpr:
		return neverNull(ti, x.Expr) && neverNull(ti, x.Pattern)
	case *ast.PatternRegexpExpr:
		return neverNull(ti, x.Expr) && neverNull(ti, x.Pattern)
	case *ast.BetweenExpr:
		return neverNull(ti, x.Expr) && neverNull(ti, x.Left) && neverNull(ti, x.Right)
	case *ast.PatternInExpr:
		if x.Sel != nil || !neverNull(ti, x.Expr) {
			return false
		}
		for _, v := range x.List {
			if !neverNull(ti, v) {
				return false
			}
		}
		return true
	case *ast.UnaryOperationExpr:
		return neverNull(ti, x.V)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.NullEQ:
			return true
		case opcode.Div, opcode.IntDiv, opcode.Mod:
			return false // NULL when dividing by zero
		}
		return neverNull(ti, x.L) && neverNull(ti, x.R)
	case *ast.AggregateFuncExpr:
		switch strings.ToLower(x.F) {
		case ast.AggFuncCount, ast.AggFuncBitAnd, ast.AggFuncBitOr, ast.AggFuncBitXor:
			return true // (0, or all bits set, of no rows)
		}
	case *ast.SubqueryExpr:
		// (SELECT 1): a subquery of no table always has its one row.
		sel, ok := x.Query.(*ast.SelectStmt)
		return ok && sel.From == nil && sel.Where == nil && sel.Having == nil && sel.Limit == nil &&
			len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].Expr != nil && neverNull(nil, sel.Fields.Fields[0].Expr)
	case *ast.FuncCastExpr:
		switch x.Tp.GetType() {
		case mysql.TypeLonglong, mysql.TypeLong, mysql.TypeNewDecimal:
			return neverNull(ti, x.Expr)
		}
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "now", "current_timestamp", "localtime", "localtimestamp", "sysdate", "curdate", "current_date",
			"curtime", "current_time", "utc_date", "utc_time", "utc_timestamp",
			"connection_id", "row_count", "found_rows", "version", "pi", "rand":
			return true
		case "last_insert_id":
			return len(x.Args) == 0
		case "coalesce", "ifnull":
			for _, a := range x.Args {
				if neverNull(ti, a) {
					return true
				}
			}
		case "length", "char_length", "character_length", "octet_length", "ascii":
			return len(x.Args) == 1 && neverNull(ti, x.Args[0])
		case "isnull":
			return true
		case "abs", "floor", "ceil", "ceiling", "round", "truncate", "sign", "greatest", "least",
			"locate", "instr", "strcmp", "find_in_set", "bit_count", "crc32":
			for _, a := range x.Args {
				if !neverNull(ti, a) {
					return false
				}
			}
			return len(x.Args) > 0
		}
	}
	return false
}

// intFuncWidth is the display width of MariaDB's INT-typed functions.
var intFuncWidth = map[string]uint32{
	"length": 10, "char_length": 10, "character_length": 10, "octet_length": 10, "json_length": 10,
	"locate": 11, "instr": 11, "position": 11, "crc32": 10, "datediff": 8,
	"year": 4, "ascii": 3, "find_in_set": 3,
	"month": 2, "day": 2, "dayofmonth": 2, "hour": 2, "minute": 2, "second": 2,
	"strcmp": 2, "sign": 2, "bit_count": 2,
	"week": 2, "weekofyear": 2, "dayofyear": 3, "to_days": 6, "microsecond": 6, "period_add": 6, "period_diff": 6,
	"dayofweek": 1, "weekday": 1, "quarter": 1, "isnull": 1, "json_valid": 1, "json_contains": 1,
	"is_free_lock": 1,
}

// minMaxColumn is the metadata of MIN(col) or MAX(col) over a column of
// ti: the column's type, length and decimals, as MariaDB sends them,
// without the column's NOT NULL, key and AUTO_INCREMENT flags (no row, no
// value) or its table.
func minMaxColumn(ti *tableInfo, e *ast.AggregateFuncExpr, name string) (Column, bool) {
	if ti == nil || ti.join != nil || len(e.Args) != 1 || e.Distinct {
		return Column{}, false
	}
	if !strings.EqualFold(e.F, ast.AggFuncMin) && !strings.EqualFold(e.F, ast.AggFuncMax) {
		return Column{}, false
	}
	cn, ok := unparen(e.Args[0]).(*ast.ColumnNameExpr)
	if !ok || cn.Name.Table.L != "" && cn.Name.Table.L != lower(ti.alias) {
		return Column{}, false
	}
	i := ti.column(cn.Name.Name.O)
	if i < 0 || ti.def.Columns[i].Type == engine.TypeBit {
		// MIN and MAX of a BIT column are its number, as MariaDB sends
		// them (in decimal, though it calls the column BIT).
		return Column{}, false
	}
	c := columnFromDef("", &ti.def.Columns[i])
	c.Name, c.def = name, nil
	c.Flags &^= mysql.NotNullFlag | mysql.PriKeyFlag | mysql.AutoIncrementFlag | mysql.UniqueKeyFlag | mysql.MultipleKeyFlag
	if n, ok := columnTextLen(ti, cn); ok && ti.def.Columns[i].Type.IsString() {
		c.textChars = uint32(n) + 1
	}
	return c, true
}

// hasNull reports whether column i of rows holds a NULL.
func hasNull(rows [][]any, i int) bool {
	for _, r := range rows {
		if r[i] == nil {
			return true
		}
	}
	return false
}
