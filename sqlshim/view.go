package sqlshim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Views. The engine keeps each view's definition (engine/view.go); here a
// view's query is parsed when a statement first uses it (then kept per
// session, keyed by the definition, which a change replaces) and run as a
// derived table wherever a table may appear: FROM, joins, subqueries,
// CTEs, other views. Writes through a view are view_write.go.
//
// Errors are MariaDB's: a view whose table or column went away is 1356
// when used (the outermost view is named), a view that reaches itself
// through others is 1462 (CREATE refuses such a definition with 1146 for
// the view's own name, as MariaDB does).

// maxViewNesting bounds how deeply views may be built on views.
const maxViewNesting = 64

// viewRun is the views a statement is expanding, outermost first.
type viewRun struct {
	chain    []string
	creating string // CREATE/ALTER VIEW: the view being defined (lower case)
	selfErr  error  // the 1146 a reference to creating gave
	// Writes through views (view_write.go): the check option conditions
	// on the rows written, and the view whose CASCADED option applies to
	// every view beneath it.
	checks      []viewCheck
	cascadeFrom string
}

// viewSource runs the view tn names, if it names one (ok false: a table).
func (x *execCtx) viewSource(tn *ast.TableName) (res Result, ok bool, err error) {
	if isInfoSchema(tn) || tn.Schema.L != "" && tn.Schema.L != strings.ToLower(x.s.DBName) || x.s.isTemp(tn.Name.O) {
		return Result{}, false, nil
	}
	if x.view != nil && x.view.creating == tn.Name.L {
		x.view.selfErr = errNoTable(x.s.DBName, tn.Name.O)
		return Result{}, true, x.view.selfErr
	}
	v, err := x.s.db.View(tn.Name.O)
	if err != nil {
		if sqlerr.Code(err) == sqlerr.ErrNoSuchTable {
			return Result{}, false, nil
		}
		return Result{}, true, err
	}
	res, err = x.runView(v)
	return res, true, err
}

// runView returns the rows of view v, its columns named as the view's.
func (x *execCtx) runView(v *engine.ViewDef) (Result, error) { return x.runViewLimit(v, -1) }

// runViewLimit is runView, with at most limit rows if limit >= 0.
func (x *execCtx) runViewLimit(v *engine.ViewDef, limit int64) (Result, error) {
	if x.view == nil {
		x.view = &viewRun{}
	}
	vr := x.view
	for _, n := range vr.chain {
		if strings.EqualFold(n, v.Name) {
			return Result{}, errf(sqlerr.ErrViewRecursive, "`%s`.`%s` contains view recursion", x.s.DBName, v.Name)
		}
	}
	if len(vr.chain) >= maxViewNesting {
		return Result{}, errf(sqlerr.ErrViewRecursive, "`%s`.`%s` contains view recursion (views nest more than %d deep)", x.s.DBName, v.Name, maxViewNesting)
	}
	q, err := x.s.viewQuery(v)
	if err != nil {
		return Result{}, x.viewError(v, err)
	}
	if limit >= 0 {
		q = withLimit(q, limit)
	}
	vr.chain = append(vr.chain, v.Name)
	res, err := x.dml(q)
	vr.chain = vr.chain[:len(vr.chain)-1]
	if err != nil {
		return Result{}, x.viewError(v, err)
	}
	if len(res.Columns) != len(v.Columns) {
		return Result{}, x.viewError(v, errf(sqlerr.ErrViewInvalid, "column count changed"))
	}
	cols := make([]Column, len(res.Columns))
	for i, c := range res.Columns {
		c.Name, c.Table = v.Columns[i], v.Name
		cols[i] = c
	}
	res.Columns = cols
	return res, nil
}

// viewError turns what went wrong inside view v's query into MariaDB's
// 1356 when it is a missing table, column or function (or an inner
// view's 1356); other errors pass.
func (x *execCtx) viewError(v *engine.ViewDef, err error) error {
	if x.view != nil && x.view.selfErr != nil && err == x.view.selfErr {
		return err
	}
	switch sqlerr.Code(err) {
	case sqlerr.ErrNoSuchTable, sqlerr.ErrBadField, sqlerr.ErrViewInvalid, sqlerr.ErrSpDoesNotExist, sqlerr.ErrParse:
		return sqlerr.Wrap(sqlerr.ErrViewInvalid, err, "View '%s.%s' references invalid table(s) or column(s) or function(s) or definer/invoker of view lack rights to use them", x.s.DBName, v.Name)
	}
	return err
}

// viewQuery returns the parsed query of v. The tree is shared by every
// use of v in the session: the executor keeps no state in it (cte.go).
func (s *Session) viewQuery(v *engine.ViewDef) (ast.StmtNode, error) {
	if q, ok := s.viewTrees[v]; ok {
		return q, nil
	}
	if s.viewParser == nil {
		// The stored text is MariaDB's canonical form: read it in the
		// default sql_mode whatever the session's (ANSI_QUOTES, ...).
		s.viewParser = parser.New()
	}
	st, err := parseOne(s.viewParser, v.Query)
	if err != nil {
		return nil, err
	}
	switch st.node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		return nil, errf(sqlerr.ErrViewInvalid, "the query of view %s is not a SELECT", v.Name)
	}
	if s.viewTrees == nil || len(s.viewTrees) >= 256 {
		s.viewTrees = map[*engine.ViewDef]ast.StmtNode{}
	}
	s.viewTrees[v] = st.node
	return st.node, nil
}

// isViewName reports whether tn names a view of the session's database.
func (x *execCtx) isViewName(tn *ast.TableName) bool {
	if isInfoSchema(tn) || tn.Schema.L != "" && tn.Schema.L != strings.ToLower(x.s.DBName) || x.s.isTemp(tn.Name.O) {
		return false // a temporary table shadows a view of its name
	}
	return x.s.db.IsView(tn.Name.O)
}

// singleView reports whether a FROM clause is one table name that names a
// view (selectStmt then takes the join path, which runs views).
func (x *execCtx) singleView(refs *ast.TableRefsClause) bool {
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return false
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return false
	}
	tn, ok := ts.Source.(*ast.TableName)
	return ok && x.isViewName(tn)
}

// createView runs CREATE [OR REPLACE] VIEW and ALTER VIEW.
func (x *execCtx) createView(n *ast.CreateViewStmt, vd *viewDDL) (Result, error) {
	name := n.ViewName
	if name.Schema.L != "" && name.Schema.L != strings.ToLower(x.s.DBName) {
		return Result{}, errUnknownDB(name.Schema.O)
	}
	if vd == nil {
		// Text rewriteViewDDL did not recognise: the parser only tells
		// LOCAL apart (it reports no option as CASCADED).
		vd = &viewDDL{}
		if n.CheckOption == ast.CheckOptionLocal {
			vd.check = "LOCAL"
		}
	}
	if vd.alter && !x.s.db.IsView(name.Name.O) {
		if _, err := x.s.db.TableShared(name.Name.O); err == nil {
			return Result{}, errf(sqlerr.ErrWrongObject, "'%s.%s' is not of type 'VIEW'", x.s.DBName, name.Name.O)
		}
		return Result{}, errNoTable(x.s.DBName, name.Name.O)
	}
	if !n.OrReplace {
		if _, err := x.s.db.TableShared(name.Name.O); err == nil || x.s.db.IsView(name.Name.O) {
			return Result{}, errf(sqlerr.ErrTableExists, "Table '%s' already exists", name.Name.O)
		}
	}
	// Run the query once (without rows: LIMIT 0) to check it and learn
	// its columns; a reference to the view being defined is 1146.
	var cols []Column
	_, err := x.s.autocommit(x, func() (Result, error) {
		x.view = &viewRun{creating: name.Name.L}
		defer func() { x.view = nil }()
		res, err := x.dml(withLimit(n.Select, 0))
		cols = res.Columns
		return Result{}, err
	})
	if err != nil {
		return Result{}, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	if len(n.Cols) > 0 {
		if len(n.Cols) != len(cols) {
			return Result{}, errf(sqlerr.ErrViewWrongList, "View's SELECT and view's field list have different column counts")
		}
		for i, c := range n.Cols {
			names[i] = c.O
		}
	}
	seen := map[string]bool{}
	for _, c := range names {
		if seen[strings.ToLower(c)] {
			return Result{}, errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", c)
		}
		seen[strings.ToLower(c)] = true
	}
	source := strings.TrimSpace(n.Select.Text())
	def := &engine.ViewDef{Name: name.Name.O, Columns: names, Source: source,
		Algorithm: n.Algorithm.String(), Security: n.Security.String(), CheckOption: vd.check,
		Definer: x.definer(n), Charset: "utf8mb4", Collation: "utf8mb4_bin"}
	q, err := x.canonicalViewQuery(n.Select, names)
	if err == nil {
		// The canonical text must read back (it is what runs from now on).
		if _, perr := parseOne(parser.New(), q); perr != nil {
			err = errNotCanonical
		}
	}
	switch {
	case err == nil:
		def.Query = q
	case err == errNotCanonical || sqlerr.Code(err) == 0 || sqlerr.Code(err) == sqlerr.ErrUnknown:
		def.Query, def.ColumnList = source, true
	default:
		return Result{}, err
	}
	if vd.alter {
		err = x.s.db.AlterView(x.ctx, def)
	} else {
		err = x.s.db.CreateView(x.ctx, def, n.OrReplace)
	}
	return Result{}, err
}

// withLimit returns q limited to n rows (a copy of its top node).
func withLimit(q ast.StmtNode, n int64) ast.StmtNode {
	zero := &ast.Limit{Count: ast.NewValueExpr(n, "", "")}
	switch s := q.(type) {
	case *ast.SelectStmt:
		c := *s
		c.Limit = zero
		return &c
	case *ast.SetOprStmt:
		c := *s
		c.Limit = zero
		return &c
	}
	return q
}

// definer is the DEFINER clause as SHOW CREATE VIEW prints it.
func (x *execCtx) definer(n *ast.CreateViewStmt) string {
	user, host := x.s.client.User, x.s.client.AccountHost
	if d := n.Definer; d != nil && !d.CurrentUser {
		user, host = d.Username, d.Hostname
	}
	if user == "" {
		user = "root"
	}
	if host == "" {
		host = "localhost"
	}
	return quoteIdent(user) + "@" + quoteIdent(host)
}

// createViewText is SHOW CREATE VIEW's second column.
func createViewText(v *engine.ViewDef) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE ALGORITHM=%s DEFINER=%s SQL SECURITY %s VIEW %s", v.Algorithm, v.Definer, v.Security, quoteIdent(v.Name))
	if v.ColumnList {
		b.WriteString(" (" + identList(v.Columns) + ")")
	}
	b.WriteString(" AS " + v.Query)
	if v.CheckOption != "" {
		b.WriteString(" WITH " + v.CheckOption + " CHECK OPTION")
	}
	return b.String()
}

// dropViews runs DROP VIEW [IF EXISTS] v, ...: the views that exist are
// dropped even when others are missing (4092 then, a note with IF
// EXISTS), as in MariaDB.
func (x *execCtx) dropViews(n *ast.DropTableStmt) (Result, error) {
	var missing []string
	for _, t := range n.Tables {
		if x.s.otherDB(t.Schema.O) {
			missing = append(missing, t.Schema.O+"."+t.Name.O)
			continue
		}
		if !x.s.db.IsView(t.Name.O) {
			missing = append(missing, x.s.DBName+"."+t.Name.O)
			continue
		}
		if err := x.s.db.DropView(x.ctx, t.Name.O); err != nil {
			return Result{}, err
		}
	}
	if len(missing) > 0 && !n.IfExists {
		return Result{}, errf(sqlerr.ErrUnknownView, "Unknown VIEW: '%s'", strings.Join(missing, ","))
	}
	if len(missing) > 0 { // one note naming them all, as MariaDB writes it
		x.s.addNote(sqlerr.ErrUnknownView, "Unknown VIEW: '%s'", strings.Join(missing, ","))
	}
	return Result{}, nil
}

// viewBaseTables returns names with each view replaced by the tables its
// query reads, through views on views (LOCK TABLES v locks them, as in
// MariaDB), each name once. A view that does not parse is left out.
func (s *Session) viewBaseTables(names []string) []string {
	var out []string
	seen := map[string]bool{}
	var add func(name string, depth int)
	add = func(name string, depth int) {
		if seen[strings.ToLower(name)] {
			return
		}
		seen[strings.ToLower(name)] = true
		v, err := s.db.View(name)
		if err != nil {
			out = append(out, name)
			return
		}
		q, err := s.viewQuery(v)
		if err != nil || depth >= maxViewNesting {
			return
		}
		q.Accept(visitFunc(func(n ast.Node) bool {
			if tn, ok := n.(*ast.TableName); ok && !isInfoSchema(tn) && (tn.Schema.L == "" || tn.Schema.L == strings.ToLower(s.DBName)) {
				add(tn.Name.O, depth+1)
			}
			return true
		}))
	}
	for _, n := range names {
		add(n, 0)
	}
	return out
}

// adminView is CHECK TABLE (the view's query runs: OK, or what it
// references that is missing and Corrupt) and REPAIR TABLE (error 1347) of
// view name, as MariaDB answers them.
func (x *execCtx) adminView(op, name string) [][]any {
	full := x.s.DBName + "." + name
	if op != "check" {
		return [][]any{{full, op, "Error", fmt.Sprintf("'%s' is not of type 'BASE TABLE'", full)}, {full, op, "status", "Operation failed"}}
	}
	v, err := x.s.db.View(name)
	if err == nil {
		_, err = x.runViewLimit(v, 0)
	}
	if err == nil {
		return [][]any{{full, op, "status", "OK"}}
	}
	var rows [][]any
	top := sqlerr.As(err)
	for e := error(top); e != nil; e = errors.Unwrap(e) {
		var se *sqlerr.Error
		if errors.As(e, &se) && se != top && se.Code != sqlerr.ErrViewInvalid {
			rows = append(rows, []any{full, op, "Error", se.Message}) // the deepest cause, named first
			break
		}
	}
	return append(rows, []any{full, op, "Error", top.Message}, []any{full, op, "error", "Corrupt"})
}
