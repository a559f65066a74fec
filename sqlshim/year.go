package sqlshim

import (
	"fmt"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A YEAR value is an int64 in a row: a number in arithmetic (y + 0 is 0
// for the year 0000), four digits as a string, as MariaDB shows it
// (CONCAT(y) is '0000').

// yearColumn is the YEAR column e names in the current table, or nil.
func (c *evalCtx) yearColumn(e ast.ExprNode) *engine.Column {
	e = unparen(e)
	cn, ok := e.(*ast.ColumnNameExpr)
	if !ok || c.ti == nil {
		return nil
	}
	if i := c.ti.column(cn.Name.Name.O); i >= 0 && c.ti.def.Columns[i].Type == engine.TypeYear {
		return &c.ti.def.Columns[i]
	}
	return nil
}

// textOf is v, the value of e, as a string function (CONCAT, CAST(...
// AS CHAR), LIKE, GROUP_CONCAT) sees it: the text a client is shown for
// e. That is the type's text for the temporal types and YEAR, which a
// value alone does not carry: a DATE column's value prints without a
// time, a DATETIME(3)'s with three fractional digits (.500), a YEAR's
// as four digits (0000), a BIT(M)'s as its (M+7)/8 big-endian bytes
// (CONCAT(b) of b'1000001' is 'A', as in MariaDB). Any other value is v
// itself.
func (c *evalCtx) textOf(e ast.ExprNode, v any) any {
	switch x := v.(type) {
	case time.Time, time.Duration, engine.ZeroDate:
		s, _ := FormatValue(valueColumn(c.ti, e, v), v)
		return s
	case int64:
		if c.yearColumn(e) != nil {
			return fmt.Sprintf("%04d", x)
		}
	case uint64:
		if col := c.bitColumn(e); col != nil {
			return engine.BitBytes(nil, x, col.Length)
		}
	}
	return v
}

// valueColumn is the result-set metadata of expression e, of value v,
// over ti: a column's own definition, else exprColumn's.
func valueColumn(ti *tableInfo, e ast.ExprNode, v any) Column {
	e = unparen(e)
	if cn, ok := e.(*ast.ColumnNameExpr); ok && ti != nil {
		if ti.join != nil {
			if p := ti.join.position(cn.Name, "field list"); p >= 0 {
				return columnFromDef(ti.join.sourceAt(p).alias, ti.join.columnAt(p))
			}
		} else if col := numColumn(ti, cn); col != nil {
			return columnFromDef(ti.name, col)
		}
	}
	return exprColumn(ti, outField{expr: e, col: -1}, v)
}

// bitColumn is the BIT column e names in the current table, or nil.
func (c *evalCtx) bitColumn(e ast.ExprNode) *engine.Column {
	cn, ok := unparen(e).(*ast.ColumnNameExpr)
	if !ok || c.ti == nil {
		return nil
	}
	if i := c.ti.column(cn.Name.Name.O); i >= 0 && c.ti.def.Columns[i].Type == engine.TypeBit {
		return &c.ti.def.Columns[i]
	}
	return nil
}

// textArgument are the functions that read their arguments as strings:
// a YEAR argument is its four digits there (LENGTH(y) is 4 for 0000).
// Functions that pass a value on (COALESCE, IF) keep the number, as in
// MariaDB.
var textArgument = map[string]bool{
	"concat": true, "concat_ws": true, "length": true, "octet_length": true, "char_length": true,
	"character_length": true, "bit_length": true, "lpad": true, "rpad": true, "left": true,
	"right": true, "substring": true, "substr": true, "mid": true, "upper": true, "lower": true,
	"ucase": true, "lcase": true, "reverse": true, "replace": true, "insert": true, "insert_func": true, "instr": true,
	"locate": true, "position": true, "repeat": true, "trim": true, "ltrim": true, "rtrim": true,
	"quote": true, "md5": true, "sha1": true, "sha": true, "sha2": true, "substring_index": true,
}
