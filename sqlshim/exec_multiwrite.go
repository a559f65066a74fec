package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Multi-table UPDATE and DELETE: UPDATE a JOIN b ON ... SET a.x = b.y,
// UPDATE a, b SET ... WHERE ..., DELETE a FROM a LEFT JOIN b ... and
// DELETE FROM a USING a JOIN b ....
//
// The FROM clause runs as the SELECT * of a join would (exec_join.go,
// plan_join.go), and every joined row is kept before anything is written,
// so the writes never feed the join that finds them. Each row of a target
// table is then written once, for the first joined row it appears in (as
// MariaDB does), found again by its primary key, or, in a table without
// one, by its values (rows equal in every column join alike, so all of
// them are written alike). A target that is NULL-extended by an outer join
// has no row there.

// isJoin reports whether a FROM clause joins tables.
func isJoin(refs *ast.TableRefsClause) bool {
	if refs == nil || refs.TableRefs == nil {
		return false
	}
	if refs.TableRefs.Right != nil {
		return true
	}
	_, nested := refs.TableRefs.Left.(*ast.Join)
	return nested
}

// multiTarget is one table a multi-table UPDATE or DELETE writes.
type multiTarget struct {
	src     *joinSource
	assigns []*ast.Assignment // UPDATE: its SET items, in statement order
	cols    []int             // their columns in the table
	done    map[string]bool   // the rows already written, by key
	byValue map[string][]engine.Handle
}

// joinedRows runs the FROM clause and WHERE of a multi-table statement and
// returns its scope and every joined row (copies).
func (x *execCtx) joinedRows(refs *ast.TableRefsClause, where ast.ExprNode) (*tableInfo, *joinScope, []engine.Row, error) {
	ti, js, err := x.joinFrom(joinSelect(refs, where))
	if err != nil {
		return nil, nil, nil, err
	}
	for _, s := range js.srcs {
		if s.ti != nil {
			// Lock before reading: the rows must not change between the
			// read and the write.
			if err := x.tx.LockForWrite(s.ti.name); err != nil {
				return nil, nil, nil, err
			}
		}
	}
	p, err := x.planJoin(js, where)
	if err != nil {
		return nil, nil, nil, err
	}
	var rows []engine.Row
	err = x.runJoin(p, ti, func(row engine.Row) (bool, error) {
		rows = append(rows, append(engine.Row(nil), row...))
		return true, nil
	})
	return ti, js, rows, err
}

// joinSelect is SELECT * FROM refs WHERE where: the rows a multi-table
// UPDATE or DELETE writes (and what EXPLAIN of one describes).
func joinSelect(refs *ast.TableRefsClause, where ast.ExprNode) *ast.SelectStmt {
	return &ast.SelectStmt{
		SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true},
		Kind:           ast.SelectStmtKindSelect,
		Fields:         &ast.FieldList{Fields: []*ast.SelectField{{WildCard: &ast.WildCardField{}}}},
		From:           refs,
		Where:          where,
	}
}

// newMultiTarget prepares src as a table the statement writes (what, for
// error 1288: "UPDATE" or "DELETE").
func (x *execCtx) newMultiTarget(src *joinSource, what string) (*multiTarget, error) {
	if src.ti == nil {
		return nil, errf(sqlerr.ErrNonUpdatable, "The target table %s of the %s is not updatable", src.alias, what)
	}
	t := &multiTarget{src: src, done: map[string]bool{}}
	if len(src.ti.def.PrimaryKey) > 0 {
		return t, nil
	}
	t.byValue = map[string][]engine.Handle{}
	err := x.tx.Scan(src.ti.name, engine.Scan{}, func(h engine.Handle, row engine.Row) (bool, error) {
		x.shiftRead(src.ti.def, row) // as the joined rows show it (timezone.go)
		k := groupKey(row)
		t.byValue[k] = append(t.byValue[k], h)
		return true, nil
	})
	return t, err
}

// rowsOf returns the stored rows of t that the joined row stands for, each
// once per statement: none when t is NULL-extended there or its rows were
// written already.
func (x *execCtx) rowsOf(t *multiTarget, joined engine.Row) ([]engine.Handle, []engine.Row, error) {
	s := t.src
	vals := joined[s.off : s.off+len(s.cols)]
	if t.byValue == nil {
		pk := make([]any, len(s.ti.def.PrimaryKey))
		for i, name := range s.ti.def.PrimaryKey {
			pk[i] = vals[s.ti.column(name)]
			if pk[i] == nil {
				return nil, nil, nil // NULL-extended: a key column is never NULL
			}
		}
		k := groupKey(pk)
		if t.done[k] {
			return nil, nil, nil
		}
		t.done[k] = true
		for i, name := range s.ti.def.PrimaryKey {
			pk[i] = x.storedKey(&s.ti.def.Columns[s.ti.column(name)], pk[i]) // timezone.go
		}
		h, row, ok, err := x.tx.Get(s.ti.name, pk)
		if err != nil || !ok {
			return nil, nil, err
		}
		x.shiftRead(s.ti.def, row)
		return []engine.Handle{h}, []engine.Row{row}, nil
	}
	k := groupKey(vals)
	if t.done[k] {
		return nil, nil, nil
	}
	t.done[k] = true
	allNull := true
	for _, v := range vals {
		allNull = allNull && v == nil
	}
	if allNull && s.outer {
		return nil, nil, nil
	}
	hs := t.byValue[k]
	rows := make([]engine.Row, len(hs))
	for i := range hs {
		rows[i] = append(engine.Row(nil), vals...)
	}
	return hs, rows, nil
}

// multiUpdate is UPDATE with several tables.
func (x *execCtx) multiUpdate(n *ast.UpdateStmt) (Result, error) {
	if n.Order != nil {
		return Result{}, errf(errWrongUsage, "Incorrect usage of UPDATE and ORDER BY")
	}
	if n.Limit != nil {
		return Result{}, errf(errWrongUsage, "Incorrect usage of UPDATE and LIMIT")
	}
	if err := x.checkSafeMultiUpdate(n.Where); err != nil { // safeupdates.go
		return Result{}, err
	}
	x.loose = n.IgnoreErr || !x.s.sqlMode.strict()
	x.nullDefault = x.loose
	ti, js, joined, err := x.joinedRows(n.TableRefs, n.Where)
	if err != nil {
		return Result{}, err
	}
	// Each SET item names a column of one table: its target.
	var targets []*multiTarget
	bySrc := map[*joinSource]*multiTarget{}
	for _, a := range n.List {
		ref, err := js.resolve(a.Column, js.all(), "SET")
		if err != nil {
			return Result{}, err
		}
		src := js.sourceAt(ref[0])
		t := bySrc[src]
		if t == nil {
			if t, err = x.newMultiTarget(src, "UPDATE"); err != nil {
				return Result{}, err
			}
			bySrc[src] = t
			targets = append(targets, t)
		}
		t.assigns = append(t.assigns, a)
		t.cols = append(t.cols, ref[0]-src.off)
	}
	var res Result
	ec := x.newEval(ti, "SET")
	ec.strict = !x.loose
	for rowNum, row := range joined {
		ec.row = row
		for _, t := range targets {
			hs, rows, err := x.rowsOf(t, row)
			if err != nil {
				return Result{}, err
			}
			for i, h := range hs {
				res.Matched++
				changed, err := x.updateTarget(t, ec, h, rows[i], rowNum+1)
				if err != nil {
					if x.skipIgnored(n.IgnoreErr, err) {
						continue
					}
					return Result{}, err
				}
				if changed {
					res.AffectedRows++
				}
			}
		}
	}
	return res, nil
}

// updateTarget applies t's SET items, evaluated on the joined row in ec,
// to the stored row old of handle h. Every item sees the joined row as it
// was read, as in MariaDB: SET a.v = 5, a.w = a.v gives w the old v. It
// reports whether the row changed.
func (x *execCtx) updateTarget(t *multiTarget, ec *evalCtx, h engine.Handle, old engine.Row, rowNum int) (bool, error) {
	ti := t.src.ti
	row := append(engine.Row(nil), old...)
	for k, a := range t.assigns {
		i := t.cols[k]
		if skip, err := x.generatedAssigned(ti, i, a.Expr); skip || err != nil { // gencol.go
			if err != nil {
				return false, err
			}
			continue
		}
		v, err := x.assignedValue(ti, ec, i, a.Expr, rowNum)
		if err != nil {
			return false, err
		}
		row[i] = v
	}
	if changed, err := x.updatedRow(ti, old, row, t.assigns, rowNum); !changed || err != nil {
		return false, err
	}
	if err := x.checkRow(ti, row); err != nil { // check.go
		return false, err
	}
	err := x.updateStored(ti, h, row) // timezone.go
	return err == nil, err
}

// multiDelete is DELETE with several tables: DELETE t1, t2 FROM ... and
// DELETE FROM t1, t2 USING ....
func (x *execCtx) multiDelete(n *ast.DeleteStmt) (Result, error) {
	if n.Order != nil {
		return Result{}, errf(errWrongUsage, "Incorrect usage of DELETE and ORDER BY")
	}
	if n.Limit != nil {
		return Result{}, errf(errWrongUsage, "Incorrect usage of DELETE and LIMIT")
	}
	if err := x.checkSafeMultiUpdate(n.Where); err != nil { // safeupdates.go
		return Result{}, err
	}
	_, js, joined, err := x.joinedRows(n.TableRefs, n.Where)
	if err != nil {
		return Result{}, err
	}
	var targets []*multiTarget
	if n.Tables != nil {
		for _, tn := range n.Tables.Tables {
			var src *joinSource
			for _, s := range js.srcs {
				if strings.EqualFold(s.alias, tn.Name.O) {
					src = s
				}
			}
			if src == nil {
				e := newErr(1109, "Unknown table '%s' in MULTI DELETE", tn.Name.O)
				e.State = "42S02"
				return Result{}, e
			}
			t, err := x.newMultiTarget(src, "DELETE")
			if err != nil {
				return Result{}, err
			}
			targets = append(targets, t)
		}
	}
	if err := subqueryReads(n.Where, targets); err != nil {
		return Result{}, err
	}
	var res Result
	for _, row := range joined {
		for _, t := range targets {
			hs, _, err := x.rowsOf(t, row)
			if err != nil {
				return Result{}, err
			}
			for _, h := range hs {
				if err := x.tx.Delete(t.src.ti.name, h); err != nil {
					if x.skipIgnored(n.IgnoreErr, err) {
						continue
					}
					return Result{}, err
				}
				res.AffectedRows++
			}
		}
	}
	return res, nil
}

// odkuAmbiguous is MariaDB's 1052 for INSERT INTO t ... SELECT ... FROM t
// ... ON DUPLICATE KEY UPDATE c = t.x: the name t stands for both the
// inserted table and the SELECT's.
func odkuAmbiguous(ti *tableInfo, n *ast.InsertStmt) error {
	sel, ok := n.Select.(*ast.SelectStmt)
	if !ok || len(n.OnDuplicate) == 0 || sel.From == nil {
		return nil
	}
	names := map[string]bool{}
	for _, ts := range tableSources(sel.From.TableRefs, nil) {
		if ts.AsName.L != "" {
			names[ts.AsName.L] = true
		} else if tn, ok := ts.Source.(*ast.TableName); ok {
			names[tn.Name.L] = true
		}
	}
	if !names[strings.ToLower(ti.name)] {
		return nil
	}
	v := &qualifiedRefs{table: strings.ToLower(ti.name)}
	for _, a := range n.OnDuplicate {
		a.Expr.Accept(v)
		if v.found != nil {
			return errf(sqlerr.ErrNonUniq, "Column '%s' in UPDATE is ambiguous", columnText(v.found))
		}
	}
	return nil
}

// tableSources appends the tables and derived tables of a FROM clause.
func tableSources(n ast.ResultSetNode, out []*ast.TableSource) []*ast.TableSource {
	switch t := n.(type) {
	case *ast.Join:
		out = tableSources(t.Left, out)
		if t.Right != nil {
			out = tableSources(t.Right, out)
		}
	case *ast.TableSource:
		if j, ok := t.Source.(*ast.Join); ok {
			return tableSources(j, out)
		}
		out = append(out, t)
	}
	return out
}

// qualifiedRefs finds the first column name qualified by table, outside
// subqueries.
type qualifiedRefs struct {
	table string
	found *ast.ColumnName
}

func (v *qualifiedRefs) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		return n, true
	case *ast.ColumnName:
		if v.found == nil && x.Table.L == v.table {
			v.found = x
		}
	}
	return n, v.found != nil
}

func (v *qualifiedRefs) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// subqueryReads is MariaDB's 1093 for a multi-table DELETE whose WHERE has
// a subquery reading a table it deletes from.
func subqueryReads(where ast.ExprNode, targets []*multiTarget) error {
	if where == nil {
		return nil
	}
	v := &subqueryTables{names: map[string]bool{}}
	where.Accept(v)
	for _, t := range targets {
		if v.names[strings.ToLower(t.src.ti.name)] {
			return errf(errUpdateTableUsed, "Table '%s' is specified twice, both as a target for 'DELETE' and as a separate source for data", t.src.ti.name)
		}
	}
	return nil
}

// subqueryTables collects the names of the tables read inside subqueries.
type subqueryTables struct {
	depth int
	names map[string]bool
}

func (v *subqueryTables) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		v.depth++
	case *ast.TableName:
		if v.depth > 0 {
			v.names[x.Name.L] = true
		}
	}
	return n, false
}

func (v *subqueryTables) Leave(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.SubqueryExpr); ok {
		v.depth--
	}
	return n, true
}
