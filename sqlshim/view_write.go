package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// Writes through a view, as MariaDB's MERGE views take them. A view is
// updatable when its query is one SELECT from one table (or from another
// updatable view) without DISTINCT, GROUP BY, HAVING, aggregates or LIMIT,
// and its algorithm is not TEMPTABLE; its columns that are plain columns
// of that table can be set and inserted into (another one is 1348). Any
// other view is 1288 "The target table v of the UPDATE is not updatable"
// (DELETE too) or 1471 "... of the INSERT is not insertable-into".
//
// The statement is rewritten onto the view's table: a private copy of it
// (restored to text and parsed again, so the cached statement is never
// touched) with the view's columns replaced by their expressions and the
// view's WHERE added to its own, then run as usual; a view on a view is
// rewritten again, down to the table. WITH CHECK OPTION: the rows an
// INSERT or UPDATE writes must satisfy the view's WHERE (LOCAL), and with
// CASCADED those of the views beneath too, else 1369 "CHECK OPTION failed
// `db`.`v`" and the statement changes nothing.

// viewTarget is how an updatable view maps onto the table (or view) it
// selects from.
type viewTarget struct {
	base  *ast.TableName
	alias string                  // what the view's query calls the base
	cols  map[string]ast.ExprNode // view column (lower case) -> expression over the base
	names []string                // the view's columns, in order
	where ast.ExprNode
}

// viewCheck is one WITH CHECK OPTION condition on the rows written.
type viewCheck struct {
	cond ast.ExprNode
	view string
}

// viewUpdatable reports whether view v is updatable by MariaDB's rules
// (information_schema.VIEWS.IS_UPDATABLE): those blitz writes through,
// and views of joins and derived tables, which it refuses with 1235.
func (x *execCtx) viewUpdatable(v *engine.ViewDef) bool {
	_, err := x.viewTargetOf(v, "UPDATE")
	return err == nil || sqlerr.Code(err) == sqlerr.ErrNotSupported
}

// viewTargetOf maps view v onto its base, or returns the error of verb.
func (x *execCtx) viewTargetOf(v *engine.ViewDef, verb string) (*viewTarget, error) {
	notUpdatable := func() error {
		if verb == "INSERT" {
			return errf(sqlerr.ErrNonInsertable, "The target table %s of the INSERT is not insertable-into", v.Name)
		}
		return errf(sqlerr.ErrNonUpdatable, "The target table %s of the %s is not updatable", v.Name, verb)
	}
	if v.Algorithm == "TEMPTABLE" {
		return nil, notUpdatable()
	}
	q, err := x.s.viewQuery(v)
	if err != nil {
		return nil, x.viewError(v, err)
	}
	sel, ok := q.(*ast.SelectStmt)
	if !ok || sel.Distinct || sel.GroupBy != nil || sel.Having != nil || sel.Limit != nil || sel.WindowSpecs != nil || sel.From == nil || sel.From.TableRefs == nil {
		return nil, notUpdatable()
	}
	af := &aggFinder{}
	for _, f := range sel.Fields.Fields {
		if f.Expr != nil {
			f.Expr.Accept(af)
		}
	}
	if len(af.aggs) > 0 {
		return nil, notUpdatable()
	}
	// MariaDB also writes through a view of a join (to one of its
	// tables) or of a derived table; blitz does not yet.
	multi := errNotSupported("writes through a view of a join or of a derived table")
	if sel.From.TableRefs.Right != nil {
		return nil, multi
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, multi
	}
	base, ok := ts.Source.(*ast.TableName)
	if !ok || isInfoSchema(base) {
		return nil, multi
	}
	t := &viewTarget{base: base, alias: ts.AsName.O, cols: map[string]ast.ExprNode{}, names: v.Columns, where: sel.Where}
	if t.alias == "" {
		t.alias = base.Name.O
	}
	var exprs []ast.ExprNode
	for _, f := range sel.Fields.Fields {
		if f.WildCard == nil {
			exprs = append(exprs, f.Expr)
			continue
		}
		cols, err := x.relationColumns(base.Name.O)
		if err != nil {
			return nil, x.viewError(v, err)
		}
		for _, c := range cols {
			exprs = append(exprs, &ast.ColumnNameExpr{Name: &ast.ColumnName{Table: ast.NewCIStr(t.alias), Name: ast.NewCIStr(c)}})
		}
	}
	if len(exprs) != len(v.Columns) {
		return nil, x.viewError(v, errf(sqlerr.ErrViewInvalid, "column count changed"))
	}
	for i, c := range v.Columns {
		t.cols[strings.ToLower(c)] = exprs[i]
	}
	return t, nil
}

// baseColumn returns the base column view column c is, or 1348.
func (t *viewTarget) baseColumn(c string) (*ast.ColumnName, error) {
	e, ok := t.cols[strings.ToLower(c)]
	if !ok {
		return nil, errUnknownColumn(c, "field list")
	}
	e = unparen(e)
	cn, ok := e.(*ast.ColumnNameExpr)
	if !ok {
		return nil, errf(sqlerr.ErrNonUpdatableColumn, "Column '%s' is not updatable", c)
	}
	return &ast.ColumnName{Name: cn.Name.Name}, nil
}

// viewSubst replaces references to a view's columns by their expressions
// (not inside subqueries, which name their own tables).
type viewSubst struct {
	t     *viewTarget
	names map[string]bool // what a qualified reference may call the view (lower case)
}

func (s *viewSubst) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.ValuesExpr:
		return n, true
	}
	return n, false
}

func (s *viewSubst) Leave(n ast.Node) (ast.Node, bool) {
	if ve, ok := n.(*ast.ValuesExpr); ok {
		// VALUES(c) names a column of the row being inserted: the base's.
		if col, err := s.t.baseColumn(ve.Column.Name.Name.O); err == nil {
			ve.Column = &ast.ColumnNameExpr{Name: col}
		}
		return n, true
	}
	cn, ok := n.(*ast.ColumnNameExpr)
	if !ok || cn.Name.Table.L != "" && !s.names[cn.Name.Table.L] {
		return n, true
	}
	if e, ok := s.t.cols[cn.Name.Name.L]; ok {
		return &ast.ParenthesesExpr{Expr: e}, true
	}
	return n, true
}

func (s *viewSubst) expr(e ast.ExprNode) ast.ExprNode {
	if e == nil {
		return nil
	}
	out, _ := e.Accept(s)
	return out.(ast.ExprNode)
}

// reparse returns a private copy of the statement n.
func (x *execCtx) reparse(n ast.StmtNode) (ast.StmtNode, error) {
	var b strings.Builder
	if err := n.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreNameBackQuotes, &b)); err != nil {
		return nil, errNotSupported("this statement on a view")
	}
	st, err := parseOne(parser.New(), b.String())
	if err != nil {
		return nil, err
	}
	return st.node, nil
}

// writeTarget returns the table source of a single-table write and the
// view it names, if it names one.
func (x *execCtx) writeTarget(refs *ast.TableRefsClause) (*ast.TableSource, *engine.ViewDef) {
	if refs == nil || refs.TableRefs == nil || refs.TableRefs.Right != nil {
		return nil, nil
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil, nil
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok || !x.isViewName(tn) {
		return nil, nil
	}
	v, err := x.s.db.View(tn.Name.O)
	if err != nil {
		return nil, nil
	}
	return ts, v
}

// retarget points the copied statement's table source at the view's base
// and returns the substitution of the view's columns.
func (x *execCtx) retarget(refs *ast.TableRefsClause, v *engine.ViewDef, t *viewTarget) *viewSubst {
	ts := refs.TableRefs.Left.(*ast.TableSource)
	names := map[string]bool{strings.ToLower(v.Name): true}
	if ts.AsName.L != "" {
		names = map[string]bool{ts.AsName.L: true}
	}
	base := *t.base
	ts.Source = &base
	ts.AsName = ast.CIStr{}
	if !strings.EqualFold(t.alias, t.base.Name.O) {
		ts.AsName = ast.NewCIStr(t.alias)
	}
	return &viewSubst{t: t, names: names}
}

// addChecks notes view v's WITH CHECK OPTION conditions (already over the
// base), after rewriting those of the views above it with s.
func (x *execCtx) addChecks(v *engine.ViewDef, t *viewTarget, s *viewSubst) {
	if x.view == nil {
		x.view = &viewRun{}
	}
	vr := x.view
	for i := range vr.checks {
		vr.checks[i].cond = s.expr(vr.checks[i].cond)
	}
	name := v.Name
	switch {
	case vr.cascadeFrom != "":
		name = vr.cascadeFrom
	case v.CheckOption == "":
		return
	}
	if v.CheckOption == "CASCADED" && vr.cascadeFrom == "" {
		vr.cascadeFrom = v.Name
	}
	if t.where != nil {
		vr.checks = append(vr.checks, viewCheck{cond: t.where, view: name})
	}
}

// checkViewRow returns 1369 when row, about to be written to ti, fails a
// WITH CHECK OPTION condition of the view the statement writes through.
func (x *execCtx) checkViewRow(ti *tableInfo, row engine.Row) error {
	if x.view == nil || len(x.view.checks) == 0 {
		return nil
	}
	ec := x.newEval(ti, "WHERE")
	ec.row = row
	for _, c := range x.view.checks {
		v, err := ec.eval(c.cond)
		if err != nil {
			return err
		}
		if ok, _ := truthy(v); !ok {
			return errf(sqlerr.ErrViewCheckFailed, "CHECK OPTION failed %s.%s", quoteIdent(x.s.DBName), quoteIdent(c.view))
		}
	}
	return nil
}

// andWhere is the view's WHERE and the statement's, either possibly nil.
func andWhere(view, stmt ast.ExprNode) ast.ExprNode {
	switch {
	case view == nil:
		return stmt
	case stmt == nil:
		return view
	}
	return &ast.BinaryOperationExpr{Op: opcode.LogicAnd, L: &ast.ParenthesesExpr{Expr: view}, R: &ast.ParenthesesExpr{Expr: stmt}}
}

func (x *execCtx) updateView(n *ast.UpdateStmt, v *engine.ViewDef) (Result, error) {
	t, err := x.viewTargetOf(v, "UPDATE")
	if err != nil {
		return Result{}, err
	}
	c, err := x.reparse(n)
	if err != nil {
		return Result{}, err
	}
	u := c.(*ast.UpdateStmt)
	s := x.retarget(u.TableRefs, v, t)
	for _, a := range u.List {
		if a.Column.Table.L != "" && !s.names[a.Column.Table.L] {
			return Result{}, errUnknownColumn(columnText(a.Column), "field list")
		}
		col, err := t.baseColumn(a.Column.Name.O)
		if err != nil {
			return Result{}, err
		}
		a.Column = col
		a.Expr = s.expr(a.Expr)
	}
	u.Where = andWhere(t.where, s.expr(u.Where))
	substOrder(s, u.Order)
	x.addChecks(v, t, s)
	return x.update(u)
}

func (x *execCtx) deleteView(n *ast.DeleteStmt, v *engine.ViewDef) (Result, error) {
	t, err := x.viewTargetOf(v, "DELETE")
	if err != nil {
		return Result{}, err
	}
	c, err := x.reparse(n)
	if err != nil {
		return Result{}, err
	}
	d := c.(*ast.DeleteStmt)
	s := x.retarget(d.TableRefs, v, t)
	d.Where = andWhere(t.where, s.expr(d.Where))
	substOrder(s, d.Order)
	return x.delete(d)
}

func (x *execCtx) insertView(n *ast.InsertStmt, v *engine.ViewDef) (Result, error) {
	t, err := x.viewTargetOf(v, "INSERT")
	if err != nil {
		return Result{}, err
	}
	c, err := x.reparse(n)
	if err != nil {
		return Result{}, err
	}
	in := c.(*ast.InsertStmt)
	s := x.retarget(in.Table, v, t)
	if len(in.Columns) == 0 {
		for _, name := range t.names {
			in.Columns = append(in.Columns, &ast.ColumnName{Name: ast.NewCIStr(name)})
		}
	}
	for i, cn := range in.Columns {
		col, err := t.baseColumn(cn.Name.O)
		if err != nil {
			if sqlerr.Code(err) == sqlerr.ErrNonUpdatableColumn && len(n.Columns) == 0 {
				return Result{}, errf(sqlerr.ErrNonInsertable, "The target table %s of the INSERT is not insertable-into", v.Name)
			}
			return Result{}, err
		}
		in.Columns[i] = col
	}
	for _, a := range in.OnDuplicate {
		col, err := t.baseColumn(a.Column.Name.O)
		if err != nil {
			return Result{}, err
		}
		a.Column = col
		a.Expr = s.expr(a.Expr)
	}
	x.addChecks(v, t, s)
	return x.insert(in)
}

func substOrder(s *viewSubst, o *ast.OrderByClause) {
	if o == nil {
		return
	}
	for _, it := range o.Items {
		it.Expr = s.expr(it.Expr)
	}
}

// mergeViewSelect runs a SELECT whose FROM is one mergeable view (what
// viewTargetOf accepts) as a SELECT from the view's table, its WHERE
// added to the statement's, as MariaDB's MERGE algorithm does: the
// table's indexes then serve the statement's conditions, where a derived
// table would compute every row of the view first. ok is false for any
// other shape (the caller runs the view as a derived table).
func (x *execCtx) mergeViewSelect(n *ast.SelectStmt) (res Result, ok bool, err error) {
	ts, v := x.writeTarget(n.From)
	if v == nil || ts == nil || n.Having != nil || n.GroupBy != nil || n.WindowSpecs != nil || n.LockInfo != nil && n.LockInfo.LockType != ast.SelectLockNone {
		return Result{}, false, nil
	}
	if x.view != nil && len(x.view.chain) > 0 {
		return Result{}, false, nil // inside another view: keep its error naming
	}
	hasSub := false
	n.Accept(visitFunc(func(c ast.Node) bool {
		switch c.(type) {
		case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.WindowFuncExpr, *ast.ValuesExpr, *ast.DefaultExpr:
			hasSub = true
		}
		return !hasSub
	}))
	if hasSub {
		return Result{}, false, nil
	}
	t, err := x.viewTargetOf(v, "SELECT")
	if err != nil {
		return Result{}, false, nil
	}
	c, err := x.reparse(n)
	if err != nil {
		return Result{}, false, nil
	}
	sel, isSel := c.(*ast.SelectStmt)
	if !isSel || len(sel.Fields.Fields) != len(n.Fields.Fields) {
		return Result{}, false, nil
	}
	s := x.retarget(sel.From, v, t)
	var fields []*ast.SelectField
	for i, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			if f.WildCard.Table.L != "" && !s.names[f.WildCard.Table.L] {
				return Result{}, false, nil
			}
			for _, name := range t.names {
				fields = append(fields, &ast.SelectField{Expr: t.cols[strings.ToLower(name)], AsName: ast.NewCIStr(name)})
			}
			continue
		}
		if f.AsName.O == "" {
			// The header the statement as written gives it.
			orig := n.Fields.Fields[i]
			f.AsName = ast.NewCIStr(fieldName(orig.Expr, orig.Text()))
		}
		f.Expr = s.expr(f.Expr)
		if p, ok := f.Expr.(*ast.ParenthesesExpr); ok {
			f.Expr = p.Expr // a whole item needs no parentheses (and its type reads through none)
		}
		fields = append(fields, f)
	}
	sel.Fields.Fields = fields
	sel.Where = andWhere(t.where, s.expr(sel.Where))
	substOrder(s, sel.OrderBy)
	if x.view == nil {
		x.view = &viewRun{}
	}
	x.view.chain = append(x.view.chain, v.Name) // views beneath run as derived tables, recursion caught there
	res, err = x.selectStmt(sel)
	x.view.chain = x.view.chain[:len(x.view.chain)-1]
	if err != nil {
		return Result{}, true, x.viewError(v, err)
	}
	return res, true, nil
}
