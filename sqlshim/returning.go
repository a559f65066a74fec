package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// INSERT, REPLACE and single-table DELETE ... RETURNING select_list
// (MariaDB 10.5+): the statement answers with a result set of the rows it
// wrote, as they were stored (generated AUTO_INCREMENT values, defaults,
// an ON DUPLICATE KEY UPDATE's new values) or, for DELETE, as they were
// before it, through the select list evaluated on each.
//
// TiDB's parser has no RETURNING, so parseOne cuts the clause off the text
// (RETURNING is a reserved word in MariaDB, so the first one outside
// parentheses, strings and comments starts it), parses the rest as usual
// and the list as "SELECT list". The writing statement captures its rows
// in execCtx.returned while returningDML runs it.

// stripReturning splits an INSERT, REPLACE or DELETE statement at its
// RETURNING clause: the statement without it, and the select list after
// it. ok is false when sql is not such a statement or has no RETURNING.
func stripReturning(sql string) (rest, list string, ok bool) {
	w, sure := leadingWord(sql)
	if sure && !strings.EqualFold(w, "INSERT") && !strings.EqualFold(w, "REPLACE") && !strings.EqualFold(w, "DELETE") {
		return sql, "", false
	}
	if !containsFold(sql, "RETURNING") {
		return sql, "", false // spares a bulk INSERT's text a tokenizing
	}
	toks := tokenize(sql)
	if len(toks) == 0 || toks[0].kind != 'w' {
		return sql, "", false
	}
	switch strings.ToUpper(toks[0].text) {
	case "INSERT", "REPLACE", "DELETE":
	default:
		return sql, "", false
	}
	depth := 0
	for _, t := range toks {
		switch {
		case t.text == "(":
			depth++
		case t.text == ")":
			depth--
		case depth == 0 && t.kind == 'w' && strings.EqualFold(t.text, "RETURNING"):
			return sql[:t.start], strings.TrimRight(sql[t.end:], "; \t\r\n"), true // the list keeps its leading space
		}
	}
	return sql, "", false
}

// parseReturning parses the select list of a RETURNING clause cut off st
// and numbers its ? placeholders after the statement's.
func parseReturning(p *parser.Parser, st *statement, list string) error {
	bad := func() error { return errParse(strings.TrimSpace("RETURNING"+list), 1) }
	switch n := st.node.(type) {
	case *ast.InsertStmt:
	case *ast.DeleteStmt:
		if n.IsMultiTable || isJoin(n.TableRefs) {
			return bad() // MariaDB has RETURNING for one table only
		}
	default:
		return bad()
	}
	if strings.TrimSpace(list) == "" {
		return errParse("", 1)
	}
	nodes, _, err := p.Parse("SELECT "+list, "", "")
	if err != nil {
		return mapParseError(err, "SELECT "+list)
	}
	sel, ok := nodes[0].(*ast.SelectStmt)
	if len(nodes) != 1 || !ok || sel.From != nil || sel.Where != nil || sel.GroupBy != nil || sel.OrderBy != nil || sel.Limit != nil {
		return bad()
	}
	n, with, tooDeep := countParams(sel)
	if tooDeep {
		return errTooDeep()
	}
	if with {
		return errNotSupported("WITH in a RETURNING list")
	}
	if n > 0 {
		sel.Accept(visitFunc(func(c ast.Node) bool {
			if m, ok := c.(*test_driver.ParamMarkerExpr); ok {
				m.SetOrder(m.Order + st.nparams)
			}
			return true
		}))
		st.nparams += n
	}
	st.returning = sel.Fields
	return nil
}

// returnCapture collects the rows a writing statement stored or deleted.
type returnCapture struct {
	rows []engine.Row
}

// returned records row as one of the statement's results when it runs
// under RETURNING.
func (x *execCtx) returned(row engine.Row) {
	x.lastRow = row
	if x.ret != nil {
		x.ret.rows = append(x.ret.rows, append(engine.Row(nil), row...))
	}
}

// returningDML runs an INSERT, REPLACE or DELETE with a RETURNING list.
// The list is checked against the table before anything is written (an
// unknown column, 1054, or an aggregate, 1111, writes nothing).
func (x *execCtx) returningDML(st *statement) (Result, error) {
	var refs *ast.TableRefsClause
	switch n := st.node.(type) {
	case *ast.InsertStmt:
		refs = n.Table
	case *ast.DeleteStmt:
		refs = n.TableRefs
	}
	if _, v := x.writeTarget(refs); v != nil {
		return Result{}, errNotSupported("RETURNING on a view")
	}
	ti, _, err := x.singleTable(refs)
	if err != nil {
		return Result{}, err
	}
	fields, err := selectFields(ti, st.returning)
	if err != nil {
		return Result{}, err
	}
	for _, f := range fields {
		af := &aggFinder{}
		f.expr.Accept(af)
		if len(af.aggs) > 0 {
			return Result{}, errf(sqlerr.ErrInvalidGroupFunc, "Invalid use of group function")
		}
	}
	ec := x.newEval(ti, "RETURNING")
	ec.warn = nil
	ec.row = make(engine.Row, len(ti.def.Columns))
	for _, f := range fields {
		if _, err := ec.eval(f.expr); err != nil && sqlerr.Code(err) == sqlerr.ErrBadField {
			return Result{}, err
		}
	}

	x.ret = &returnCapture{}
	defer func() { x.ret = nil }()
	r, err := x.dml(st.node)
	if err != nil {
		return Result{}, err
	}
	ec = x.newEval(ti, "RETURNING")
	rows := make([][]any, 0, len(x.ret.rows))
	for _, row := range x.ret.rows {
		ec.row = row
		out := make([]any, len(fields))
		for i, f := range fields {
			if f.col >= 0 {
				out[i] = row[f.col]
				continue
			}
			if out[i], err = ec.eval(f.expr); err != nil {
				return Result{}, err
			}
		}
		rows = append(rows, out)
	}
	res, err := x.finishSelect(ti, fields, rows)
	if err != nil {
		return Result{}, err
	}
	res.AffectedRows, res.LastInsertID, res.Info = r.AffectedRows, r.LastInsertID, r.Info
	return res, nil
}
