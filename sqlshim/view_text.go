package sqlshim

import (
	"errors"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// A view's query is stored as MariaDB stores it, and that is what SHOW
// CREATE VIEW prints: lower-case keywords, every column qualified by its
// table, `*` expanded to the columns of the moment, each select-list item
// named (`expr AS `name``), joins in parentheses with on(...). So a view
// keeps its columns when a base table gains one, and the dump of a view
// loads into MariaDB and blitz alike.
//
// viewPrinter covers the usual shapes of a SELECT; a construct it does not
// know inside an expression is printed by TiDB's own restorer (valid SQL
// that runs the same in the same scope, only formatted differently from
// MariaDB), and a query shape it does not know (NATURAL joins, USING with
// `*`, ...) makes it give up (errNotCanonical): the view then keeps the
// query as written, with its column list.

var errNotCanonical = errors.New("query shape not printed canonically")

// printSource is one table of a FROM clause as the printer sees it.
type printSource struct {
	alias string   // the name columns are qualified with
	cols  []string // its columns
}

type viewPrinter struct {
	x      *execCtx
	b      strings.Builder
	scopes [][]printSource // innermost last
	check  bool            // a CHECK condition: MariaDB's names for LENGTH and % there (check.go)
}

// canonicalViewQuery prints q with names as its column names (the view's).
func (x *execCtx) canonicalViewQuery(q ast.Node, names []string) (string, error) {
	p := &viewPrinter{x: x}
	if err := p.query(q, names); err != nil {
		return "", err
	}
	return p.b.String(), nil
}

func (p *viewPrinter) w(s string) { p.b.WriteString(s) }

// exprList prints expressions separated by commas.
func (p *viewPrinter) exprList(list []ast.ExprNode) error {
	for i, a := range list {
		if i > 0 {
			p.w(",")
		}
		if err := p.expr(a, 0); err != nil {
			return err
		}
	}
	return nil
}

// query prints a SELECT or a set operation; names (nil: each item's own
// name) become the AS names of the first SELECT; aliased says whether
// items get AS names at all (not in a subquery expression).
func (p *viewPrinter) query(q ast.Node, names []string) error {
	switch s := q.(type) {
	case *ast.SelectStmt:
		return p.selectStmt(s, names, true)
	case *ast.SetOprStmt:
		if s.With != nil || s.SelectList == nil {
			return errNotCanonical
		}
		for i, n := range s.SelectList.Selects {
			sel, ok := n.(*ast.SelectStmt)
			if !ok {
				return errNotCanonical
			}
			if i > 0 {
				if sel.AfterSetOperator == nil {
					return errNotCanonical
				}
				p.w(" " + strings.ToLower(sel.AfterSetOperator.String()) + " ")
			}
			var nm []string
			if i == 0 {
				nm = names
			}
			if err := p.selectStmt(sel, nm, true); err != nil {
				return err
			}
		}
		// ORDER BY of a set operation names result columns.
		p.scopes = append(p.scopes, nil)
		err := p.orderLimit(s.OrderBy, s.Limit)
		p.scopes = p.scopes[:len(p.scopes)-1]
		return err
	}
	return errNotCanonical
}

func (p *viewPrinter) selectStmt(s *ast.SelectStmt, names []string, aliased bool) error {
	if s.With != nil || s.Kind != ast.SelectStmtKindSelect || s.SelectIntoOpt != nil || s.LockInfo != nil && s.LockInfo.LockType != ast.SelectLockNone || s.WindowSpecs != nil {
		return errNotCanonical
	}
	if s.IsInBraces && s.AfterSetOperator != nil {
		return errNotCanonical
	}
	var srcs []printSource
	if s.From != nil && s.From.TableRefs != nil {
		var err error
		if srcs, err = p.sources(s.From.TableRefs, nil); err != nil {
			return err
		}
	}
	p.scopes = append(p.scopes, srcs)
	defer func() { p.scopes = p.scopes[:len(p.scopes)-1] }()
	p.w("select ")
	if s.Distinct {
		p.w("distinct ")
	}
	n := 0
	item := func(expr func() error, name string) error {
		if n > 0 {
			p.w(",")
		}
		if err := expr(); err != nil {
			return err
		}
		if aliased {
			if names != nil {
				if n >= len(names) {
					return errNotCanonical
				}
				name = names[n]
			}
			p.w(" AS " + quoteIdent(name))
		}
		n++
		return nil
	}
	for _, f := range s.Fields.Fields {
		if f.WildCard != nil {
			if f.WildCard.Schema.L != "" && f.WildCard.Schema.L != strings.ToLower(p.x.s.DBName) {
				return errNotCanonical
			}
			matched := false
			for _, src := range srcs {
				if f.WildCard.Table.L != "" && f.WildCard.Table.L != strings.ToLower(src.alias) {
					continue
				}
				matched = true
				for _, c := range src.cols {
					if err := item(func() error { p.w(quoteIdent(src.alias) + "." + quoteIdent(c)); return nil }, c); err != nil {
						return err
					}
				}
			}
			if !matched {
				return errNotCanonical
			}
			continue
		}
		name := f.AsName.O
		if name == "" {
			name = fieldName(f.Expr, f.Text())
		}
		if err := item(func() error { return p.expr(f.Expr, 0) }, name); err != nil {
			return err
		}
	}
	if names != nil && n != len(names) {
		return errNotCanonical
	}
	if s.From != nil && s.From.TableRefs != nil {
		p.w(" from ")
		if err := p.from(s.From.TableRefs, true); err != nil {
			return err
		}
	}
	if s.Where != nil {
		p.w(" where ")
		if err := p.expr(s.Where, 0); err != nil {
			return err
		}
	}
	if s.GroupBy != nil {
		p.w(" group by ")
		for i, it := range s.GroupBy.Items {
			if i > 0 {
				p.w(",")
			}
			if err := p.byItem(it, false); err != nil {
				return err
			}
		}
		if s.GroupBy.Rollup {
			p.w(" with rollup")
		}
	}
	if s.Having != nil {
		p.w(" having ")
		if err := p.expr(s.Having.Expr, 0); err != nil {
			return err
		}
	}
	return p.orderLimit(s.OrderBy, s.Limit)
}

func (p *viewPrinter) orderLimit(o *ast.OrderByClause, l *ast.Limit) error {
	if o != nil {
		p.w(" order by ")
		for i, it := range o.Items {
			if i > 0 {
				p.w(",")
			}
			if err := p.byItem(it, false); err != nil {
				return err
			}
		}
	}
	if l != nil {
		p.w(" limit ")
		if l.Offset != nil {
			if err := p.expr(l.Offset, 0); err != nil {
				return err
			}
			p.w(",")
		}
		if err := p.expr(l.Count, 0); err != nil {
			return err
		}
	}
	return nil
}

func (p *viewPrinter) byItem(it *ast.ByItem, asc bool) error {
	if err := p.expr(it.Expr, 0); err != nil {
		return err
	}
	switch {
	case it.Desc && asc: // GROUP_CONCAT's order, which MariaDB prints in capitals
		p.w(" DESC")
	case it.Desc:
		p.w(" desc")
	case asc:
		p.w(" ASC")
	}
	return nil
}

// sources lists the tables of a FROM clause in order, with their columns.
func (p *viewPrinter) sources(n ast.ResultSetNode, out []printSource) ([]printSource, error) {
	switch t := n.(type) {
	case *ast.Join:
		if t.NaturalJoin {
			return nil, errNotCanonical
		}
		out, err := p.sources(t.Left, out)
		if err != nil || t.Right == nil {
			return out, err
		}
		return p.sources(t.Right, out)
	case *ast.TableSource:
		switch src := t.Source.(type) {
		case *ast.Join:
			return p.sources(src, out)
		case *ast.TableName:
			if isInfoSchema(src) || src.Schema.L != "" && src.Schema.L != strings.ToLower(p.x.s.DBName) {
				return nil, errNotCanonical
			}
			alias := t.AsName.O
			if alias == "" {
				alias = src.Name.O
			}
			cols, err := p.x.relationColumns(src.Name.O)
			if err != nil {
				return nil, err
			}
			return append(out, printSource{alias: alias, cols: cols}), nil
		case *ast.SelectStmt:
			if t.AsName.O == "" {
				return nil, errNotCanonical
			}
			var cols []string
			sub := &viewPrinter{x: p.x}
			srcs, err := sub.sourcesOf(src)
			if err != nil {
				return nil, err
			}
			for _, f := range src.Fields.Fields {
				switch {
				case f.WildCard != nil:
					for _, s := range srcs {
						if f.WildCard.Table.L == "" || f.WildCard.Table.L == strings.ToLower(s.alias) {
							cols = append(cols, s.cols...)
						}
					}
				case f.AsName.O != "":
					cols = append(cols, f.AsName.O)
				default:
					cols = append(cols, fieldName(f.Expr, f.Text()))
				}
			}
			return append(out, printSource{alias: t.AsName.O, cols: cols}), nil
		}
	}
	return nil, errNotCanonical
}

func (p *viewPrinter) sourcesOf(s *ast.SelectStmt) ([]printSource, error) {
	if s.From == nil || s.From.TableRefs == nil {
		return nil, nil
	}
	return p.sources(s.From.TableRefs, nil)
}

// relationColumns returns the column names of a table or view.
func (x *execCtx) relationColumns(name string) ([]string, error) {
	if v, err := x.s.db.View(name); err == nil {
		return v.Columns, nil
	}
	def, err := x.s.db.TableShared(name)
	if err != nil {
		return nil, errNoTable(x.s.DBName, name)
	}
	cols := make([]string, len(def.Columns))
	for i := range def.Columns {
		cols[i] = def.Columns[i].Name
	}
	return cols, nil
}

// from prints a FROM clause: a lone table bare, joins in parentheses.
func (p *viewPrinter) from(n ast.ResultSetNode, top bool) error {
	switch t := n.(type) {
	case *ast.Join:
		if t.Right == nil {
			return p.from(t.Left, top)
		}
		p.w("(")
		if err := p.from(t.Left, false); err != nil {
			return err
		}
		switch t.Tp {
		case ast.LeftJoin:
			p.w(" left join ")
		case ast.RightJoin:
			p.w(" right join ")
		default:
			if t.StraightJoin {
				p.w(" straight_join ")
			} else {
				p.w(" join ")
			}
		}
		if err := p.from(t.Right, false); err != nil {
			return err
		}
		switch {
		case len(t.Using) > 0:
			// USING (c): on(left.c = right.c), as MariaDB stores it.
			l, err := p.sources(t.Left, nil)
			if err != nil {
				return err
			}
			r, err := p.sources(t.Right, nil)
			if err != nil {
				return err
			}
			p.w(" on(")
			for i, c := range t.Using {
				la, lok := owner(l, c.Name.O)
				ra, rok := owner(r, c.Name.O)
				if !lok || !rok {
					return errNotCanonical
				}
				if i > 0 {
					p.w(" and ")
				}
				p.w(quoteIdent(la) + "." + quoteIdent(c.Name.O) + " = " + quoteIdent(ra) + "." + quoteIdent(c.Name.O))
			}
			p.w(")")
		case t.On != nil:
			p.w(" on(")
			if err := p.expr(t.On.Expr, 0); err != nil {
				return err
			}
			p.w(")")
		}
		p.w(")")
		return nil
	case *ast.TableSource:
		switch src := t.Source.(type) {
		case *ast.Join:
			return p.from(src, top)
		case *ast.TableName:
			p.w(quoteIdent(src.Name.O))
			if t.AsName.O != "" {
				p.w(" " + quoteIdent(t.AsName.O))
			}
			return nil
		case *ast.SelectStmt:
			p.w("(")
			sub := &viewPrinter{x: p.x}
			if err := sub.selectStmt(src, nil, true); err != nil {
				return err
			}
			p.w(sub.b.String() + ") " + quoteIdent(t.AsName.O))
			return nil
		}
	}
	return errNotCanonical
}

// owner returns the alias of the first source with column c.
func owner(srcs []printSource, c string) (string, bool) {
	for _, s := range srcs {
		for _, sc := range s.cols {
			if strings.EqualFold(sc, c) {
				return s.alias, true
			}
		}
	}
	return "", false
}

// Operator precedence as MariaDB prints it: an operand of lower
// precedence than its operator is parenthesised.
const (
	precOr = 1 + iota
	precXor
	precAnd
	precNot
	precCmp // = <> < IS LIKE IN BETWEEN
	precBitOr
	precBitAnd
	precShift
	precAdd
	precMul
	precBitXor
	precUnary
	precAtom
)

var binaryOps = map[opcode.Op]struct {
	text string
	prec int
}{
	opcode.LogicOr: {"or", precOr}, opcode.LogicXor: {"xor", precXor}, opcode.LogicAnd: {"and", precAnd},
	opcode.EQ: {"=", precCmp}, opcode.NE: {"<>", precCmp}, opcode.LT: {"<", precCmp}, opcode.LE: {"<=", precCmp},
	opcode.GT: {">", precCmp}, opcode.GE: {">=", precCmp}, opcode.NullEQ: {"<=>", precCmp},
	opcode.Or: {"|", precBitOr}, opcode.And: {"&", precBitAnd}, opcode.LeftShift: {"<<", precShift},
	opcode.RightShift: {">>", precShift}, opcode.Plus: {"+", precAdd}, opcode.Minus: {"-", precAdd},
	opcode.Mul: {"*", precMul}, opcode.Div: {"/", precMul}, opcode.IntDiv: {"DIV", precMul},
	opcode.Mod: {"%", precMul}, opcode.Xor: {"^", precBitXor},
}

// functionNames are the names MariaDB stores for some functions' aliases.
var functionNames = map[string]string{"upper": "ucase", "lower": "lcase", "now": "current_timestamp", "substring": "substr"}

// expr prints e; outer is the precedence of the operator it is an operand
// of (0: none), so that it is parenthesised when it binds less tightly.
func (p *viewPrinter) expr(e ast.ExprNode, outer int) error {
	paren := func(prec int, f func() error) error {
		if prec < outer {
			p.w("(")
			defer p.w(")")
		}
		return f()
	}
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return p.expr(x.Expr, outer)
	case *ast.ColumnNameExpr:
		p.column(x.Name)
		return nil
	case *test_driver.ValueExpr:
		switch v := x.Datum.GetValue().(type) {
		case nil:
			p.w("NULL")
			return nil
		case string:
			p.w(quoteString(v))
			return nil
		}
	case *test_driver.ParamMarkerExpr:
		return errf(1351, "View's SELECT contains a variable or parameter")
	case *ast.VariableExpr:
		if !x.IsSystem {
			return errf(1351, "View's SELECT contains a variable or parameter")
		}
	case *ast.BinaryOperationExpr:
		op, ok := binaryOps[x.Op]
		if !ok {
			break
		}
		return paren(op.prec, func() error {
			if err := p.expr(x.L, op.prec); err != nil {
				return err
			}
			text := op.text
			if p.check && x.Op == opcode.Mod {
				text = "MOD"
			}
			p.w(" " + text + " ")
			return p.expr(x.R, op.prec+1)
		})
	case *ast.UnaryOperationExpr:
		switch x.Op {
		case opcode.Minus:
			return paren(precUnary, func() error { p.w("-"); return p.expr(x.V, precUnary) })
		case opcode.Not, opcode.Not2:
			if neg := negated(x.V); neg != nil {
				return p.expr(neg, outer) // NOT (a BETWEEN ...): a NOT BETWEEN ..., as MariaDB stores it
			}
			p.w("!(")
			if err := p.expr(x.V, 0); err != nil {
				return err
			}
			p.w(")")
			return nil
		}
	case *ast.IsNullExpr:
		return paren(precCmp, func() error {
			if err := p.expr(x.Expr, precCmp+1); err != nil {
				return err
			}
			p.w(map[bool]string{false: " is null", true: " is not null"}[x.Not])
			return nil
		})
	case *ast.PatternLikeOrIlikeExpr:
		if x.Escape != '\\' || !x.IsLike {
			break
		}
		return paren(precCmp, func() error {
			if err := p.expr(x.Expr, precCmp+1); err != nil {
				return err
			}
			p.w(map[bool]string{false: " like ", true: "  not like "}[x.Not])
			return p.expr(x.Pattern, precCmp+1)
		})
	case *ast.PatternInExpr:
		return paren(precCmp, func() error {
			if err := p.expr(x.Expr, precCmp+1); err != nil {
				return err
			}
			p.w(map[bool]string{false: " in (", true: " not in ("}[x.Not])
			if x.Sel != nil {
				sq, ok := x.Sel.(*ast.SubqueryExpr)
				if !ok {
					return errNotCanonical
				}
				if err := p.subquery(sq.Query); err != nil {
					return err
				}
			}
			if err := p.exprList(x.List); err != nil {
				return err
			}
			p.w(")")
			return nil
		})
	case *ast.BetweenExpr:
		return paren(precCmp, func() error {
			if err := p.expr(x.Expr, precCmp+1); err != nil {
				return err
			}
			p.w(map[bool]string{false: " between ", true: " not between "}[x.Not])
			if err := p.expr(x.Left, precCmp+1); err != nil {
				return err
			}
			p.w(" and ")
			return p.expr(x.Right, precCmp+1)
		})
	case *ast.CaseExpr:
		p.w("case ")
		if x.Value != nil {
			if err := p.expr(x.Value, 0); err != nil {
				return err
			}
			p.w(" ")
		}
		for _, wc := range x.WhenClauses {
			p.w("when ")
			if err := p.expr(wc.Expr, 0); err != nil {
				return err
			}
			p.w(" then ")
			if err := p.expr(wc.Result, 0); err != nil {
				return err
			}
			p.w(" ")
		}
		if x.ElseClause != nil {
			p.w("else ")
			if err := p.expr(x.ElseClause, 0); err != nil {
				return err
			}
			p.w(" ")
		}
		p.w("end")
		return nil
	case *ast.FuncCallExpr:
		if x.Schema.L != "" || !plainFunctionCall(x) {
			break
		}
		name := x.FnName.L
		if n, ok := functionNames[name]; ok {
			name = n
		}
		if name == "length" && p.check {
			name = "octet_length"
		}
		p.w(name + "(")
		if err := p.exprList(x.Args); err != nil {
			return err
		}
		p.w(")")
		return nil
	case *ast.AggregateFuncExpr:
		f := strings.ToLower(x.F)
		switch f {
		case "count", "sum", "avg", "min", "max":
		case "group_concat":
			return p.groupConcat(x)
		default:
			return p.restore(e)
		}
		p.w(f + "(")
		if x.Distinct {
			p.w("distinct ")
		}
		for i, a := range x.Args {
			if i > 0 {
				p.w(",")
			}
			if v, ok := a.(*test_driver.ValueExpr); ok && f == "count" && !x.Distinct && v.Datum.GetValue() != nil {
				p.w("0") // COUNT(*) and COUNT(constant): count(0)
				continue
			}
			if err := p.expr(a, 0); err != nil {
				return err
			}
		}
		p.w(")")
		return nil
	case *ast.SubqueryExpr:
		p.w("(")
		if err := p.subquery(x.Query); err != nil {
			return err
		}
		p.w(")")
		return nil
	case *ast.ExistsSubqueryExpr:
		sq, ok := x.Sel.(*ast.SubqueryExpr)
		if !ok {
			break
		}
		if x.Not {
			p.w("!(")
		}
		p.w("exists(")
		if err := p.subquery(sq.Query); err != nil {
			return err
		}
		if sel, ok := sq.Query.(*ast.SelectStmt); ok && sel.Limit == nil {
			p.w(" limit 1")
		}
		p.w(")")
		if x.Not {
			p.w(")")
		}
		return nil
	case *ast.RowExpr:
		p.w("(")
		if err := p.exprList(x.Values); err != nil {
			return err
		}
		p.w(")")
		return nil
	}
	return p.restore(e)
}

// negated returns the predicate e with its NOT flag flipped, for the
// predicates that have one (nil for others).
func negated(e ast.ExprNode) ast.ExprNode {
	e = unparen(e)
	switch x := e.(type) {
	case *ast.BetweenExpr:
		c := *x
		c.Not = !c.Not
		return &c
	case *ast.PatternInExpr:
		c := *x
		c.Not = !c.Not
		return &c
	case *ast.PatternLikeOrIlikeExpr:
		c := *x
		c.Not = !c.Not
		return &c
	case *ast.IsNullExpr:
		c := *x
		c.Not = !c.Not
		return &c
	}
	return nil
}

// plainFunctionCall reports whether f is name(args) with arguments that
// are all expressions (no keyword forms such as CAST ... AS, TRIM(x
// FROM y), DATE_ADD's INTERVAL).
func plainFunctionCall(f *ast.FuncCallExpr) bool {
	for _, a := range f.Args {
		switch a.(type) {
		case *ast.TimeUnitExpr, *ast.TrimDirectionExpr, *ast.GetFormatSelectorExpr:
			return false
		}
	}
	switch f.FnName.L {
	case "date_add", "date_sub", "adddate", "subdate", "timestampadd", "timestampdiff", "extract", "position",
		"trim", "char", "convert", "weight_string", "get_format", "substring", "substr", "cast", "current_user", "interval":
		return false
	}
	return true
}

func (p *viewPrinter) groupConcat(x *ast.AggregateFuncExpr) error {
	if len(x.Args) < 2 {
		return p.restore(x)
	}
	p.w("group_concat(")
	if x.Distinct {
		p.w("distinct ")
	}
	if err := p.exprList(x.Args[:len(x.Args)-1]); err != nil {
		return err
	}
	items, limit := groupConcatOrder(x)
	if len(items) > 0 {
		p.w(" order by ")
		for i, it := range items {
			if i > 0 {
				p.w(",")
			}
			if err := p.byItem(it, true); err != nil {
				return err
			}
		}
	}
	p.w(" separator ")
	if err := p.expr(x.Args[len(x.Args)-1], 0); err != nil {
		return err
	}
	if limit != nil { // MariaDB's form: limit count, or limit offset,count
		offset, count := (&evalCtx{}).groupConcatLimit(limit)
		p.w(" limit ")
		if offset > 0 {
			p.w(strconv.FormatInt(offset, 10) + ",")
		}
		p.w(strconv.FormatInt(count, 10))
	}
	p.w(")")
	return nil
}

// subquery prints a subquery's query without AS names on its items.
func (p *viewPrinter) subquery(q ast.ResultSetNode) error {
	sel, ok := q.(*ast.SelectStmt)
	if !ok {
		return p.restore(q)
	}
	sub := &viewPrinter{x: p.x, scopes: p.scopes}
	if err := sub.selectStmt(sel, nil, false); err != nil {
		return err
	}
	p.w(sub.b.String())
	return nil
}

// column prints a column reference qualified by the innermost table that
// has it (as written when no table in scope has it: an alias of the
// select list, say).
func (p *viewPrinter) column(c *ast.ColumnName) {
	if c.Table.L != "" {
		p.w(quoteIdent(c.Table.O) + "." + quoteIdent(c.Name.O))
		return
	}
	for i := len(p.scopes) - 1; i >= 0; i-- {
		if a, ok := owner(p.scopes[i], c.Name.O); ok {
			p.w(quoteIdent(a) + "." + quoteIdent(c.Name.O))
			return
		}
	}
	p.w(quoteIdent(c.Name.O))
}

// restore prints e with TiDB's restorer.
func (p *viewPrinter) restore(n ast.Node) error {
	if err := n.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordLowercase|format.RestoreNameBackQuotes, &p.b)); err != nil {
		return errNotCanonical
	}
	return nil
}
