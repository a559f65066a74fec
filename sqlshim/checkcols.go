package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// checkColumns reports a column that a single-table SELECT names but its
// table does not have, before any row is read. Evaluation finds such a
// column too, but only when there is a row to evaluate: without this,
// SELECT nosuch FROM an_empty_table returned an empty result instead of
// error 1054. Only names the statement itself resolves are checked:
// subqueries (which may name the enclosing query's columns) are skipped,
// and so is a statement that is itself a subquery. A name qualified by
// something other than the table is left to evaluation, which knows the
// qualifiers. GROUP BY, HAVING and ORDER BY may also name select-list
// aliases. The clause names are those evaluation reports. A comparison
// with a subquery in WHERE whose collations do not mix is 1267 here too.
func (x *execCtx) checkColumns(ti *tableInfo, fields []outField, n *ast.SelectStmt) error {
	if ti == nil || ti.join != nil || x.outer != nil {
		return nil
	}
	// A statement run again (prepared, or a cached shape) over the same
	// definition passes again: the check depends on nothing else.
	key := checkedKey{n, ti.def, ti.alias}
	if x.s.checked[key] {
		return nil
	}
	if err := x.checkColumnsOnce(ti, fields, n); err != nil {
		return err
	}
	if x.s.checked == nil || len(x.s.checked) >= stmtCacheSize {
		x.s.checked = map[checkedKey]bool{}
	}
	x.s.checked[key] = true
	return nil
}

// checkedKey is a SELECT that passed checkColumns over a definition
// (DDL replaces a definition, never changes one).
type checkedKey struct {
	n     *ast.SelectStmt
	def   *engine.TableDef
	alias string
}

func (x *execCtx) checkColumnsOnce(ti *tableInfo, fields []outField, n *ast.SelectStmt) error {
	aliases := map[string]bool{}
	for _, f := range fields {
		aliases[strings.ToLower(f.name)] = true
	}
	check := func(e ast.Node, clause string, aliasOK bool) error {
		if e == nil {
			return nil
		}
		v := &columnChecker{ti: ti, aliases: aliases, aliasOK: aliasOK}
		e.Accept(v)
		if v.bad != nil {
			return errUnknownColumn(columnText(v.bad), clause)
		}
		if v.match {
			return errNoFulltextIndex()
		}
		return nil
	}
	for _, f := range fields {
		if err := check(f.expr, "SELECT", false); err != nil {
			return err
		}
	}
	if n.Where != nil {
		if err := check(n.Where, "WHERE", false); err != nil {
			return err
		}
		// A comparison with a subquery whose collations do not mix
		// (collation_subquery.go).
		if err := x.newEval(ti, "WHERE").checkSubqueryColls(n.Where); err != nil {
			return err
		}
	}
	if n.GroupBy != nil {
		for _, it := range n.GroupBy.Items {
			if err := check(it.Expr, "GROUP BY", true); err != nil {
				return err
			}
		}
	}
	if n.Having != nil {
		if err := check(n.Having.Expr, "HAVING", true); err != nil {
			return err
		}
		// Outside aggregate functions HAVING sees only the select list
		// and the GROUP BY columns, as in MariaDB.
		visible := map[string]bool{}
		for k := range aliases {
			visible[k] = true
		}
		if n.GroupBy != nil {
			for _, it := range n.GroupBy.Items {
				if c, ok := it.Expr.(*ast.ColumnNameExpr); ok {
					visible[c.Name.Name.L] = true
				}
			}
		}
		v := &havingChecker{visible: visible}
		n.Having.Expr.Accept(v)
		if v.bad != nil {
			return errUnknownColumn(columnText(v.bad), "HAVING")
		}
	}
	if n.OrderBy != nil {
		for _, it := range n.OrderBy.Items {
			if err := check(it.Expr, "ORDER BY", true); err != nil {
				return err
			}
		}
	}
	return nil
}

// columnChecker finds the first column reference that names neither a
// column of ti nor (where allowed) a select-list alias.
type columnChecker struct {
	ti      *tableInfo
	aliases map[string]bool
	aliasOK bool
	bad     *ast.ColumnName
	match   bool // a MATCH ... AGAINST was seen (no FULLTEXT index can serve it)
}

func (v *columnChecker) Enter(n ast.Node) (ast.Node, bool) {
	if v.bad != nil {
		return n, true
	}
	switch e := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.WindowSpec: // windows: checkWindowNames
		return n, true
	case *ast.MatchAgainst:
		v.match = true // its columns are still checked: 1054 comes first
		for _, c := range e.ColumnNames {
			if v.checkName(c); v.bad != nil {
				return n, true
			}
		}
	case *ast.ColumnNameExpr:
		v.checkName(e.Name)
		return n, true
	}
	return n, false
}

// checkName sets v.bad to c if c names no column of the table (nor an
// allowed alias). A name qualified by something else is left alone.
func (v *columnChecker) checkName(c *ast.ColumnName) {
	if c.Schema.L != "" || (c.Table.L != "" && c.Table.L != strings.ToLower(v.ti.alias)) {
		return
	}
	if v.ti.column(c.Name.O) >= 0 || (c.Table.L == "" && v.aliasOK && v.aliases[c.Name.L]) {
		return
	}
	v.bad = c
}

func (v *columnChecker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// havingChecker finds the first column reference of a HAVING clause,
// outside aggregate functions and subqueries, that is not visible there.
type havingChecker struct {
	visible map[string]bool
	bad     *ast.ColumnName
}

func (v *havingChecker) Enter(n ast.Node) (ast.Node, bool) {
	if v.bad != nil {
		return n, true
	}
	switch e := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.AggregateFuncExpr:
		return n, true
	case *ast.ColumnNameExpr:
		if !v.visible[e.Name.Name.L] {
			v.bad = e.Name
		}
		return n, true
	}
	return n, false
}

func (v *havingChecker) Leave(n ast.Node) (ast.Node, bool) { return n, true }
