package sqlshim

import (
	"strings"
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Collations in expressions, as MariaDB derives them. Every string
// expression has a collation and a derivation (how strongly it holds it):
// COLLATE is explicit, a column implicit, a literal or a parameter
// coercible (the connection's collation, @@collation_connection:
// utf8mb4_bin unless SET NAMES or the server's handshake says otherwise,
// conncoll.go), NULL ignorable. An operation on two strings uses the
// collation of the stronger; two different collations of equal strength
// are error 1267 "Illegal mix of collations", except that utf8mb4_bin
// wins over another implicit one. String functions (CONCAT, UPPER,
// COALESCE, ...) pass the combination of their arguments on; the others
// that return text (HEX, DATE_FORMAT, ...) give the connection's
// collation, coercible, and CAST gives it implicit. A literal with an
// introducer has its set's default collation (_utf8mb4'a':
// utf8mb4_general_ci), a binary string (_binary'a', X'61') and
// JSON_UNQUOTE utf8mb4_bin. A user variable keeps the collation of the
// text it was set to, implicit. A scalar subquery passes on the
// collation of its one item when that is a constant, or a column of the
// one table it reads; other subqueries are utf8mb4_bin, implicit (MariaDB
// passes any item's on: a difference). IN, ANY/ALL and a row compared
// with a subquery take the subquery's side from its result columns
// (resultColl), so those have any item's. CONVERT(x USING cs) has cs's
// default collation (a stand-in for latin1's), implicit. A table definition's expressions
// (DEFAULT, generated columns, CHECK) have utf8mb4_bin literals
// (evalCtx.defn).
//
// Under the connection collation utf8mb4_bin (blitz sql's), a statement
// compares strings under utf8mb4_bin, as before collations existed,
// until a string comparison finds a collated operand: the
// derivation is worked out once per expression node and statement
// (execCtx.colls), so a table of utf8mb4_bin columns pays one map look-up
// per string comparison.

// errCantAggregate2Collations is MariaDB's 1267, Illegal mix of
// collations (SQLSTATE HY000).
const errCantAggregate2Collations = 1267

// derivation is MariaDB's coercibility: lower is stronger.
type derivation uint8

const (
	derivExplicit  derivation = 0
	derivNone      derivation = 1 // a conflict: comparing is error 1267
	derivImplicit  derivation = 2
	derivSysconst  derivation = 3 // USER(), COLLATION(), ...
	derivCoercible derivation = 4
	derivNumeric   derivation = 5
	derivIgnorable derivation = 6
)

var derivNames = [...]string{"EXPLICIT", "NONE", "IMPLICIT", "SYSCONST", "COERCIBLE", "NUMERIC", "IGNORABLE"}

// exprColl is a collation with its derivation, and the character set
// of the text when it is not utf8mb4.
type exprColl struct {
	coll  *collate.Collation
	deriv derivation
	// cs is the set the text is in when it is not utf8mb4 (a latin1
	// column, CONVERT(x USING latin1)), nil for utf8mb4 and its subsets
	// that need no conversion. The value is UTF-8 text all the same: the
	// set gives its bytes as LENGTH counts them and HEX shows them
	// (evalCtx.octets, evalCtx.inCharset).
	cs *charset.Charset
}

// binColl is a literal's under the connection collation utf8mb4_bin.
var binColl = exprColl{collate.Bin, derivCoercible, nil}

// combine is MariaDB's aggregation of two collations.
func combine(a, b exprColl) exprColl {
	switch {
	case a.deriv == derivNone || b.deriv == derivNone:
		return exprColl{a.coll, derivNone, nil}
	case a.deriv < b.deriv:
		return a
	case b.deriv < a.deriv:
		return b
	case a.coll == b.coll || a.deriv != derivExplicit && (a.cs == nil) != (b.cs == nil):
		// Of two equally strong sides in different sets, utf8mb4's
		// wins: the other's text converts to it (MariaDB's superset
		// conversion; blitz's stand-ins give latin1's collation that
		// of a utf8mb4 one).
		if a.cs == nil && b.cs != nil {
			return a
		}
		return b
	case a.deriv == derivExplicit:
		return exprColl{a.coll, derivNone, nil}
	case a.coll.IsBinary() && !b.coll.IsBinary():
		return a
	case b.coll.IsBinary() && !a.coll.IsBinary():
		return b
	}
	return exprColl{a.coll, derivNone, nil}
}

// mixError is 1267 for combining a and b in operation op.
func mixError(a, b exprColl, op string) error {
	e := newErr(errCantAggregate2Collations, "Illegal mix of collations (%s,%s) and (%s,%s) for operation '%s'",
		setCollationName(a.cs, a.coll), derivNames[a.deriv], setCollationName(b.cs, b.coll), derivNames[b.deriv], op)
	return e
}

// errCantAggregate3Collations is MariaDB's 1270, Illegal mix of
// collations for an operation of three or more operands, which it names.
const errCantAggregate3Collations = 1270

// checkLiterals is the error MariaDB gives when a text literal (or a
// parameter's text) among es, the operands of operation op, has a
// character that set, the one they combine into, lacks: the literal,
// coercible, would convert to set, and cannot ('中' = a latin1 column,
// CONCAT(CONVERT(x USING latin1), '中')): 1267 for two operands, 1270
// naming each for more. nil when every literal converts; an all-ASCII one
// always does, and costs one pass over its bytes.
func (c *evalCtx) checkLiterals(op string, set *charset.Charset, es []ast.ExprNode) error {
	if set == nil {
		return nil
	}
	bad := false
	for _, e := range es {
		var v any
		switch x := unparen(e).(type) {
		case *test_driver.ValueExpr:
			v = x.Datum.GetValue()
		case *test_driver.ParamMarkerExpr:
			if x.Order < len(c.params) {
				v = c.params[x.Order]
			}
		}
		if s, ok := v.(string); ok && asciiLen(s) < len(s) && set.Fits(s) >= 0 {
			bad = true
			break
		}
	}
	if !bad {
		return nil
	}
	if len(es) == 2 {
		return mixError(c.collOf(es[0]), c.collOf(es[1]), op)
	}
	parts := make([]string, len(es))
	for i, e := range es {
		ec := c.collOf(e)
		parts[i] = "(" + setCollationName(ec.cs, ec.coll) + "," + derivNames[ec.deriv] + ")"
	}
	return newErr(errCantAggregate3Collations, "Illegal mix of collations %s for operation '%s'", strings.Join(parts, ", "), op)
}

// asciiLen is the length of s's leading ASCII bytes, text every set
// spells alike.
func asciiLen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return i
		}
	}
	return len(s)
}

// collOf returns e's collation and derivation.
func (c *evalCtx) collOf(e ast.ExprNode) exprColl {
	switch e.(type) {
	case *test_driver.ValueExpr, *test_driver.ParamMarkerExpr, *ast.ColumnNameExpr:
		return c.deriveColl(e) // cheap: not worth a cache entry (a point query's `id = ?`)
	}
	if c.x != nil {
		if ec, ok := c.x.colls[e]; ok {
			return ec
		}
	}
	ec := c.deriveColl(e)
	if c.x != nil {
		if c.x.colls == nil {
			c.x.colls = map[ast.ExprNode]exprColl{}
		}
		c.x.colls[e] = ec
	}
	return ec
}

// deriveColl works collOf out.
func (c *evalCtx) deriveColl(e ast.ExprNode) exprColl {
	switch x := e.(type) {
	case *ast.SetCollationExpr:
		if coll, ok := collate.ByName(x.Collate); ok {
			return exprColl{coll, derivExplicit, nil}
		}
		return exprColl{collate.Bin, derivExplicit, nil}
	case *ast.ParenthesesExpr:
		return c.collOf(x.Expr)
	case *test_driver.ValueExpr:
		switch x.Datum.GetValue().(type) {
		case nil:
			return exprColl{collate.Bin, derivIgnorable, nil}
		case string:
			if x.Type.GetFlag()&mysql.UnderScoreCharsetFlag != 0 {
				return introducerColl(x.Type.GetCharset(), c.litColl())
			}
			return c.litColl()
		}
		return exprColl{collate.Bin, derivNumeric, nil}
	case *test_driver.ParamMarkerExpr:
		if x.Order < len(c.params) {
			switch c.params[x.Order].(type) {
			case nil:
				return exprColl{collate.Bin, derivIgnorable, nil}
			case string:
				return c.litColl()
			}
		}
		return exprColl{collate.Bin, derivNumeric, nil}
	case *ast.ColumnNameExpr:
		if col := c.columnDef(x.Name); col != nil {
			return columnColl(col)
		}
		return exprColl{collate.Bin, derivImplicit, nil}
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "concat", "concat_ws", "upper", "lower", "ucase", "lcase", "substring", "substr", "mid", "left", "right",
			"trim", "ltrim", "rtrim", "replace", "lpad", "rpad", "reverse", "repeat", "insert", "insert_func", "ifnull", "coalesce",
			"nullif", "greatest", "least", "elt", "substring_index":
			args := x.Args
			if x.FnName.L == "elt" && len(args) > 0 {
				args = args[1:]
			}
			return c.collOfList(args)
		case "if":
			if len(x.Args) == 3 {
				return c.collOfList(x.Args[1:])
			}
		case "collation", "charset":
			return exprColl{collate.Bin, derivSysconst, nil} // utf8mb3_general_ci in MariaDB
		case "json_unquote":
			return binColl // as MariaDB's, whatever the connection's
		case "convert": // CONVERT(x USING cs): cs's default collation (its stand-in), implicit
			if cs := convertCharset(x); cs != nil {
				if cs == charset.Binary {
					return exprColl{collate.Bin, derivImplicit, nil} // bytes, as CAST(x AS BINARY)
				}
				return exprColl{connCollFor(cs.Collation), derivImplicit, textCharset(cs)}
			}
		}
		return c.litColl()
	case *ast.CaseExpr:
		var list []ast.ExprNode
		for _, w := range x.WhenClauses {
			list = append(list, w.Result)
		}
		if x.ElseClause != nil {
			list = append(list, x.ElseClause)
		}
		return c.collOfList(list)
	case *ast.AggregateFuncExpr:
		switch strings.ToLower(x.F) {
		case ast.AggFuncMin, ast.AggFuncMax, ast.AggFuncGroupConcat:
			return c.collOfList(x.Args)
		}
		return exprColl{collate.Bin, derivNumeric, nil}
	case *ast.FuncCastExpr:
		if x.Tp != nil && x.Tp.GetCharset() == "binary" { // CAST(... AS BINARY), CONVERT(..., BINARY)
			return exprColl{collate.Bin, derivImplicit, nil}
		}
		var cs *charset.Charset
		if x.Tp != nil && x.Tp.GetCharset() != "" {
			cs, _ = charset.Lookup(x.Tp.GetCharset())
		}
		return exprColl{c.litColl().coll, derivImplicit, textCharset(cs)}
	case *ast.VariableExpr:
		if x.IsSystem {
			return exprColl{collate.Bin, derivImplicit, nil}
		}
		if x.Value != nil { // @v := expr
			return exprColl{c.collOf(x.Value).coll, derivImplicit, nil}
		}
		return exprColl{c.s.userVarColl(x.Name), derivImplicit, nil}
	case *ast.SubqueryExpr:
		return c.subqueryColl(x)
	}
	return exprColl{collate.Bin, derivNumeric, nil}
}

// textCharset is cs as exprColl holds it: nil for the sets that need no
// conversion.
func textCharset(cs *charset.Charset) *charset.Charset {
	if cs == nil || cs.Identity() {
		return nil
	}
	return cs
}

// introducerColl is the collation of a literal with a character set
// introducer (_utf8mb4'a', _binary'a'): the set's default, coercible;
// conn (the connection's) for a set blitz has no collation of.
func introducerColl(cs string, conn exprColl) exprColl {
	if cs == "binary" {
		return binColl
	}
	if coll, _, ok := collate.ForCharset(cs); ok {
		return exprColl{coll, derivCoercible, nil}
	}
	return conn
}

// subqueryColl is the collation of scalar subquery x's one select item,
// as MariaDB passes it on: a constant's as it is ((SELECT 'a') is the
// connection's, coercible), a column of the one table the subquery reads
// its column's, implicit. Anything else is utf8mb4_bin, implicit.
func (c *evalCtx) subqueryColl(x *ast.SubqueryExpr) exprColl {
	other := exprColl{collate.Bin, derivImplicit, nil}
	sel, ok := x.Query.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.Fields.Fields[0].WildCard != nil {
		return other
	}
	e := sel.Fields.Fields[0].Expr
	columns := false
	e.Accept(&columnVisitor{fn: func(*ast.ColumnName) { columns = true }})
	if !columns {
		return c.collOf(e)
	}
	cn, ok := unparen(e).(*ast.ColumnNameExpr)
	if !ok || c.x == nil || sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return other
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return other
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok || cn.Name.Table.L != "" && cn.Name.Table.L != tn.Name.L && cn.Name.Table.L != ts.AsName.L {
		return other
	}
	def, err := c.x.tableDef(tn, true)
	if err != nil {
		return other
	}
	if i := def.ColumnIndex(cn.Name.Name.O); i >= 0 {
		return columnColl(&def.Columns[i])
	}
	return other
}

// columnColl is column col's collation, implicit, or numeric for a
// column that is not text.
func columnColl(col *engine.Column) exprColl {
	if col.Type.IsString() || col.Type == engine.TypeEnum || col.Type == engine.TypeSet {
		return exprColl{col.Coll(), derivImplicit, col.Charset}
	}
	return exprColl{collate.Bin, derivNumeric, nil}
}

// resultColl is the collation and derivation of column col of a
// subquery's result, as an IN, ANY/ALL or row comparison with it sees
// them: a literal's (collWeak) coercible, a column's or any other text's
// implicit; numeric for a column that is not text.
func resultColl(col Column) exprColl {
	switch col.Type {
	case mysql.TypeVarchar, mysql.TypeVarString, mysql.TypeString, mysql.TypeTinyBlob, mysql.TypeBlob,
		mysql.TypeMediumBlob, mysql.TypeLongBlob, mysql.TypeEnum, mysql.TypeSet:
	default:
		return exprColl{collate.Bin, derivNumeric, nil}
	}
	ec := exprColl{col.Collation, derivImplicit, nil}
	if ec.coll == nil {
		ec.coll = collate.Bin
	}
	if col.collWeak {
		ec.deriv = derivCoercible
	}
	if col.collExplicit {
		ec.deriv = derivExplicit
	}
	return ec
}

// pairColls returns the collation each pair (l[i], r[i]) compares under
// in operation op (nil for utf8mb4_bin), or 1267; nil when all are
// utf8mb4_bin, the common case, which then costs no allocation.
func pairColls(op string, l, r []exprColl) ([]*collate.Collation, error) {
	var out []*collate.Collation
	for i := range l {
		if i >= len(r) {
			break
		}
		m := combine(l[i], r[i])
		if m.deriv == derivNone {
			return nil, mixError(l[i], r[i], op)
		}
		if m.coll.IsBin() {
			continue
		}
		if out == nil {
			out = make([]*collate.Collation, len(l))
		}
		out[i] = m.coll
	}
	return out, nil
}

// rowColls returns the collations of the values of e, one side of a row
// comparison or of IN: a row constructor's by element, a subquery's by
// the columns of its result r (nil: e is no subquery), a single
// expression's own.
func (c *evalCtx) rowColls(e ast.ExprNode, r *Result) []exprColl {
	if r != nil {
		out := make([]exprColl, len(r.Columns))
		for i, col := range r.Columns {
			out[i] = resultColl(col)
		}
		return out
	}
	if row, ok := unparen(e).(*ast.RowExpr); ok {
		out := make([]exprColl, len(row.Values))
		for i, v := range row.Values {
			out[i] = c.collOf(v)
		}
		return out
	}
	return []exprColl{c.collOf(e)}
}

// collOfList combines the collations of es, skipping numbers and NULLs
// (which convert to the others' collation).
func (c *evalCtx) collOfList(es []ast.ExprNode) exprColl {
	out := exprColl{collate.Bin, derivIgnorable, nil}
	for _, e := range es {
		out = combine(out, c.collOf(e))
	}
	if out.deriv == derivIgnorable || out.deriv == derivNumeric {
		out = c.litColl()
	}
	return out
}

// columnDef returns the definition of the column n names in c, or nil.
func (c *evalCtx) columnDef(n *ast.ColumnName) *engine.Column {
	for ec := c; ec != nil; ec = ec.outer {
		ti := ec.ti
		if ti == nil {
			continue
		}
		if ti.join != nil {
			if p := ti.join.position(n, ec.clause); p >= 0 {
				return ti.join.columnAt(p)
			}
			continue
		}
		if n.Table.L != "" && n.Table.L != strings.ToLower(ti.alias) {
			continue
		}
		if i := ti.column(n.Name.O); i >= 0 {
			return &ti.def.Columns[i]
		}
	}
	return nil
}

// compareColl returns the collation two or more operands compare under
// in operation op (nil for utf8mb4_bin, whose comparisons compareValues
// makes), or error 1267.
func (c *evalCtx) compareColl(op string, es ...ast.ExprNode) (*collate.Collation, error) {
	out := exprColl{collate.Bin, derivIgnorable, nil}
	for _, e := range es {
		next := combine(out, c.collOf(e))
		if next.deriv == derivNone {
			return nil, mixError(out, c.collOf(e), op)
		}
		out = next
	}
	if out.cs != nil {
		if err := c.checkLiterals(op, out.cs, es); err != nil {
			return nil, err
		}
	}
	if out.coll.IsBin() {
		return nil, nil
	}
	return out.coll, nil
}

// collated reports whether strings compared in operation op between es
// compare under a collation other than utf8mb4_bin, or cannot be compared
// (1267): then only eval may compare them.
func (c *evalCtx) collated(op string, es ...ast.ExprNode) bool {
	coll, err := c.compareColl(op, es...)
	return coll != nil || err != nil
}

// sameColl reports whether a comparison (op, es) of column col compares
// under the column's own collation, the one its index keys are in, so
// that an index over it can answer the comparison.
func sameColl(c *evalCtx, col *engine.Column, op string, es ...ast.ExprNode) bool {
	coll, err := c.compareColl(op, es...)
	if err != nil {
		return false
	}
	if coll == nil {
		coll = collate.Bin
	}
	return !col.Type.IsString() || coll == col.Coll()
}

// cmpColl compares two non-NULL values under coll: strings by the
// collation, anything else (and everything under nil) by compareValues.
func cmpColl(a, b any, coll *collate.Collation) int {
	if coll != nil {
		if x, y, ok := collTexts(a, b); ok {
			return coll.Compare(x, y)
		}
	}
	return compareValues(a, b)
}

// collTexts returns a and b as the text a collation compares: both
// strings, or an ENUM or SET value (its text) and a string, as MariaDB
// compares 'EDITOR' with an ENUM column. Two ENUM or SET values compare by
// number instead, and a number with one by its number (compareValues).
func collTexts(a, b any) (string, string, bool) {
	x, xs := a.(string)
	y, ys := b.(string)
	switch {
	case xs && ys:
		return x, y, true
	case xs:
		if t, ok := enumSetText(b); ok {
			return x, t, true
		}
	case ys:
		if t, ok := enumSetText(a); ok {
			return t, y, true
		}
	}
	return "", "", false
}

// enumSetText is the text of an ENUM or SET value.
func enumSetText(v any) (string, bool) {
	switch x := v.(type) {
	case engine.Enum:
		return x.Name, true
	case engine.Set:
		return x.Text, true
	}
	return "", false
}

// bothStrings reports whether a and b are both text, the only values a
// collation decides between.
func bothStrings(a, b any) bool {
	_, ok1 := a.(string)
	_, ok2 := b.(string)
	return ok1 && ok2
}

// collKey returns v as it sorts and groups under coll: a string's weight
// string (as []byte, which compareValues and groupKey take bytewise)
// under a collation other than utf8mb4_bin, v itself otherwise.
func collKey(v any, coll *collate.Collation) any {
	if s, ok := v.(string); ok && coll != nil && !coll.IsBin() {
		return coll.AppendKey(nil, s)
	}
	return v
}

// collKeys returns vals with collKey applied under colls (by position):
// vals itself when colls is nil, else a new slice.
func collKeys(vals []any, colls []*collate.Collation) []any {
	if colls == nil {
		return vals
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		if i < len(colls) {
			v = collKey(v, colls[i])
		}
		out[i] = v
	}
	return out
}

// sortColls returns the collation of each expression (nil for
// utf8mb4_bin), or nil when all are utf8mb4_bin.
func (c *evalCtx) sortColls(es []ast.ExprNode) []*collate.Collation {
	var out []*collate.Collation
	for i, e := range es {
		ec := c.collOf(e)
		if ec.coll.IsBin() {
			continue
		}
		if out == nil {
			out = make([]*collate.Collation, len(es))
		}
		out[i] = ec.coll
	}
	return out
}

// opText is a binary operator as MariaDB prints it between its operands
// (1690's expression) and names it (1267's comparison).
func opText(op opcode.Op) string {
	switch op {
	case opcode.Plus:
		return "+"
	case opcode.Minus:
		return "-"
	case opcode.Mul:
		return "*"
	case opcode.Div:
		return "/"
	case opcode.Mod:
		return "%"
	case opcode.IntDiv:
		return "DIV"
	case opcode.EQ:
		return "="
	case opcode.NE:
		return "<>"
	case opcode.LT:
		return "<"
	case opcode.LE:
		return "<="
	case opcode.GT:
		return ">"
	case opcode.GE:
		return ">="
	case opcode.NullEQ:
		return "<=>"
	}
	return op.String()
}

// byColls returns the collation of each ORDER BY or GROUP BY item (a
// position or an alias standing for its select-list expression), nil when
// all are utf8mb4_bin.
func byColls(ec *evalCtx, items []*ast.ByItem, fields []outField, ti *tableInfo) []*collate.Collation {
	es := make([]ast.ExprNode, len(items))
	for i, it := range items {
		e := it.Expr
		if pos, ok := positionRef(e); ok && pos >= 1 && pos <= len(fields) {
			e = fields[pos-1].expr
		} else if a := aliasRef(e, fields); a != nil && (ti == nil || ti.column(a.Name.Name.O) < 0) {
			e = fields[aliasIndex(a, fields)].expr
		}
		es[i] = e
	}
	return ec.sortColls(es)
}

// fieldExprs returns the expressions of a select list.
func fieldExprs(fields []outField) []ast.ExprNode {
	es := make([]ast.ExprNode, len(fields))
	for i, f := range fields {
		es[i] = f.expr
	}
	return es
}

// compareArg orders two values of aggregate a's argument as MIN and MAX
// do: text under the argument's collation, anything else by
// compareForSort.
func (c *evalCtx) compareArg(a *ast.AggregateFuncExpr, v, w any) int {
	if bothStrings(v, w) && len(a.Args) == 1 {
		if coll := c.collOf(a.Args[0]).coll; !coll.IsBin() {
			return coll.Compare(v.(string), w.(string))
		}
	}
	return compareForSort(v, w)
}

// colColls returns the collations of result columns, nil when all are
// utf8mb4_bin.
func colColls(cols []Column) []*collate.Collation {
	var out []*collate.Collation
	for i, c := range cols {
		if c.Collation == nil || c.Collation.IsBin() {
			continue
		}
		if out == nil {
			out = make([]*collate.Collation, len(cols))
		}
		out[i] = c.Collation
	}
	return out
}

// unionOrderColls returns the collation of each ORDER BY item of a set
// operation, whose items name result columns by position or name; nil
// when all are utf8mb4_bin.
func unionOrderColls(items []*ast.ByItem, cols []Column) []*collate.Collation {
	var out []*collate.Collation
	for i, it := range items {
		col := -1
		if pos, ok := positionRef(it.Expr); ok && pos >= 1 && pos <= len(cols) {
			col = pos - 1
		} else if cn, ok := it.Expr.(*ast.ColumnNameExpr); ok {
			for j := range cols {
				if strings.EqualFold(cols[j].Name, cn.Name.Name.O) {
					col = j
					break
				}
			}
		}
		if col < 0 || cols[col].Collation == nil || cols[col].Collation.IsBin() {
			continue
		}
		if out == nil {
			out = make([]*collate.Collation, len(items))
		}
		out[i] = cols[col].Collation
	}
	return out
}

// derivedCollation is the collation a derived table's column keeps from
// the result column c it is made of.
func derivedCollation(c Column) *collate.Collation {
	if c.Collation == nil || c.Collation.IsBin() || engineType(c.Type) != engine.TypeVarChar {
		return nil
	}
	return c.Collation
}

// derivedCharset is the character set a derived table's or CREATE TABLE
// ... SELECT's text column keeps from the result column c it is made of:
// a table column's, an expression's (nil: utf8mb4).
func derivedCharset(c Column) *charset.Charset {
	if c.def != nil {
		return c.def.Charset
	}
	if c.csID == 0 {
		return nil
	}
	cs, _, _ := charset.ByID(c.csID)
	return textCharset(cs)
}

// argsColl returns the collation function call x compares its arguments
// under when they are all text (args are their values), else nil.
func (c *evalCtx) argsColl(x *ast.FuncCallExpr, args []any) (*collate.Collation, error) {
	for _, a := range args {
		switch a.(type) {
		case nil, string, engine.Enum, engine.Set: // ENUM and SET by their text (collTexts)
		default:
			return nil, nil
		}
	}
	return c.compareColl(x.FnName.L, x.Args...)
}

// errCantAggregateNCollations is MariaDB's 1271, Illegal mix of
// collations for an operation of more than two operands (SQLSTATE HY000).
const errCantAggregateNCollations = 1271

// unionCollation is the collation of column i of a set operation: the
// operands' combined as comparisons combine them (resultColl), or error
// 1271 when two do not combine, which MariaDB names 'UNION' for every
// set operation (INTERSECT and EXCEPT too), whether or not rows come.
func unionCollation(parts []unionPart, i int) (*collate.Collation, error) {
	out := exprColl{collate.Bin, derivIgnorable, nil}
	for _, p := range parts {
		if out = combine(out, resultColl(p.cols[i])); out.deriv == derivNone {
			return nil, newErr(errCantAggregateNCollations, "Illegal mix of collations for operation 'UNION'")
		}
	}
	if out.coll.IsBin() {
		return nil, nil
	}
	return out.coll, nil
}

// collIndex returns the position, in characters, of the first occurrence
// of sub in s under collation coll (nil: utf8mb4_bin), -1 if there is
// none, as MariaDB's LOCATE and INSTR search: at each character of s,
// the bytes as long as sub are compared with sub, so that 'B' is found in
// 'abc' under a case-insensitive collation, while a match of another
// length in bytes ('ß' for 'ss') is not.
func collIndex(s, sub string, coll *collate.Collation) int {
	if coll == nil || sub == "" {
		return runeIndex(s, sub)
	}
	n := 0
	for i := range s {
		if len(s)-i < len(sub) {
			break
		}
		if coll.Equal(s[i:i+len(sub)], sub) {
			return n
		}
		n++
	}
	return -1
}

// collationFunc is COLLATION(x), CHARSET(x) and COERCIBILITY(x): what
// collation x compares under and how strongly it holds it; a number or
// NULL is binary.
func (c *evalCtx) collationFunc(x *ast.FuncCallExpr) (any, error) {
	if err := argCount(x.FnName.O, x.Args, 1, 1); err != nil {
		return nil, err
	}
	ec := c.collOf(x.Args[0])
	if _, err := c.eval(x.Args[0]); err != nil {
		return nil, err // an unknown column is an error here too
	}
	binary := false // a binary string: X'41', _binary'a', CAST(... AS BINARY)
	switch a := unparen(x.Args[0]).(type) {
	case *test_driver.ValueExpr:
		binary = a.Type.GetCharset() == "binary"
	case *ast.FuncCastExpr:
		binary = a.Tp != nil && a.Tp.GetCharset() == "binary"
	}
	cs, conv := ec.cs, convertCharset(x.Args[0])
	if conv != nil {
		cs = conv
	}
	if cs != nil && ec.deriv < derivNumeric {
		// The set's own names, which blitz's stand-in for its collation
		// (deriveColl) does not carry.
		switch x.FnName.L {
		case "charset":
			return cs.Name, nil
		case "collation":
			if conv != nil {
				return cs.Collation, nil
			}
			return setCollationName(cs, ec.coll), nil // a latin1 VARCHAR(n) BINARY: latin1_bin
		}
	}
	switch x.FnName.L {
	case "coercibility":
		return int64(ec.deriv), nil
	case "charset":
		if ec.deriv >= derivNumeric || binary {
			return "binary", nil
		}
		return "utf8mb4", nil
	}
	if ec.deriv >= derivNumeric || binary {
		return "binary", nil
	}
	return ec.coll.Name, nil
}
