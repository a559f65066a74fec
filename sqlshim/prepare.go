package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// SQL-level prepared statements: PREPARE name FROM 'text' | @var, EXECUTE
// name [USING expr, ...], DEALLOCATE | DROP PREPARE name. They live in the
// session, by case-insensitive name, beside the protocol's prepared
// statements (Session.Prepare), and are gone with it.

// maxSQLStmts is MariaDB's default max_prepared_stmt_count, applied per
// session.
const maxSQLStmts = 16382

const (
	errUnknownStmtHandler = 1243 // Unknown prepared statement handler (%s) given to %s
	errMaxPreparedStmts   = 1461 // Can't create more than max_prepared_stmt_count statements
)

// sqlPrepare parses the statement text and keeps it under its name,
// replacing (first dropping) one of the same name, as MariaDB does.
func (x *execCtx) sqlPrepare(n *ast.PrepareStmt) (Result, error) {
	s := x.s
	key := lower(n.Name)
	delete(s.sqlStmts, key)
	text := n.SQLText
	if n.SQLVar != nil {
		v, err := x.newEval(nil, "PREPARE").eval(n.SQLVar)
		if err != nil {
			return Result{}, err
		}
		if v == nil {
			return Result{}, errParse("NULL", 1)
		}
		text = toString(v)
	}
	st, err := parseOne(s.parser, text)
	if err != nil {
		return Result{}, err
	}
	switch st.node.(type) {
	case *ast.PrepareStmt, *ast.ExecuteStmt, *ast.DeallocateStmt, *ast.LoadDataStmt:
		return Result{}, errf(sqlerr.ErrUnsupportedPS, "This command is not supported in the prepared statement protocol yet")
	}
	if err := x.checkPrepared(st); err != nil {
		return Result{}, err
	}
	if len(s.sqlStmts) >= maxSQLStmts {
		return Result{}, errf(errMaxPreparedStmts, "Can't create more than max_prepared_stmt_count statements (current value: %d)", maxSQLStmts)
	}
	if s.sqlStmts == nil {
		s.sqlStmts = map[string]*statement{}
	}
	s.sqlStmts[key] = st
	return Result{Info: "Statement prepared"}, nil // MariaDB's OK info text
}

// checkPrepared reports, as MariaDB does at PREPARE, a missing table or
// column of a one-table SELECT; the rest is found when the statement runs.
func (x *execCtx) checkPrepared(st *statement) error {
	n, ok := st.node.(*ast.SelectStmt)
	if !ok || isMultiSource(n.From) || x.singleView(n.From) {
		return nil
	}
	err := func() error {
		ti, _, err := x.singleTable(n.From)
		if err != nil || ti == nil {
			return err
		}
		fields, err := selectFields(ti, n.Fields)
		if err != nil {
			return err
		}
		return x.checkColumns(ti, fields, n)
	}()
	if c := sqlerr.Code(err); c == sqlerr.ErrNoSuchTable || c == sqlerr.ErrBadField {
		return err
	}
	return nil
}

// sqlExecute runs a statement PREPARE kept, with the USING values for its
// placeholders.
func (x *execCtx) sqlExecute(n *ast.ExecuteStmt) (Result, error) {
	st := x.s.sqlStmts[lower(n.Name)]
	if st == nil {
		return Result{}, errf(errUnknownStmtHandler, "Unknown prepared statement handler (%s) given to EXECUTE", n.Name)
	}
	if len(n.UsingVars) != st.nparams {
		return Result{}, errf(errParamCount, "Incorrect arguments to EXECUTE")
	}
	args := make([]any, len(n.UsingVars))
	ec := x.newEval(nil, "EXECUTE")
	for i, e := range n.UsingVars {
		v, err := ec.eval(e)
		if err != nil {
			return Result{}, err
		}
		args[i] = v
	}
	// The statement runs as if in EXECUTE's place: SHOW WARNINGS (and
	// @@warning_count) see the diagnostics of the statement before the
	// EXECUTE, and one that keeps them (keepsDiagnostics) keeps those,
	// as in MariaDB.
	x.s.warnings = x.s.prevWarnings
	return x.s.runLocked(x.ctx, st, args)
}

// sqlDeallocate drops a statement PREPARE kept.
func (x *execCtx) sqlDeallocate(n *ast.DeallocateStmt) (Result, error) {
	key := lower(n.Name)
	if x.s.sqlStmts[key] == nil {
		return Result{}, errf(errUnknownStmtHandler, "Unknown prepared statement handler (%s) given to DEALLOCATE PREPARE", n.Name)
	}
	delete(x.s.sqlStmts, key)
	return Result{}, nil
}

// parseExecute parses EXECUTE name [USING expr, ...] itself (ok false:
// not one, or not one it can read, which the parser then reports): MariaDB
// takes any expressions after USING, TiDB's parser only user variables.
// The expressions are parsed as the select list of a SELECT.
func parseExecute(p *parser.Parser, sql string) (_ *statement, ok bool, _ error) {
	if w, sure := leadingWord(sql); !sure || !strings.EqualFold(w, "EXECUTE") {
		return nil, false, nil
	}
	toks := tokenize(sql)
	if len(toks) < 2 || toks[1].kind != 'w' && toks[1].kind != 'q' {
		return nil, false, nil
	}
	n := &ast.ExecuteStmt{Name: toks[1].text}
	if toks[1].kind == 'q' {
		n.Name = strings.ReplaceAll(n.Name[1:len(n.Name)-1], "``", "`")
	}
	if len(toks) > 2 {
		if len(toks) == 3 || !strings.EqualFold(toks[2].text, "USING") {
			return nil, false, nil
		}
		rest := sql[toks[3].start:]
		nodes, _, err := p.Parse("SELECT "+rest, "", "")
		if err != nil {
			return nil, true, mapParseError(err, rest)
		}
		sel, isSel := nodes[0].(*ast.SelectStmt)
		if len(nodes) != 1 || !isSel || sel.From != nil || sel.Where != nil || sel.GroupBy != nil || sel.Having != nil ||
			sel.OrderBy != nil || sel.Limit != nil || sel.Distinct || sel.LockInfo != nil {
			return nil, true, errParse(rest, 1)
		}
		for _, f := range sel.Fields.Fields {
			if f.WildCard != nil || f.AsName.L != "" {
				return nil, true, errParse(rest, 1)
			}
			n.UsingVars = append(n.UsingVars, f.Expr)
		}
	}
	return &statement{text: sql, node: n}, true, nil
}
