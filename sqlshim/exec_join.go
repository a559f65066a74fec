package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// Multi-table SELECTs (FROM with joins, comma lists and derived tables).
//
// A joined row is one flat engine.Row holding every source's columns side
// by side (source k's columns start at its offset). The statement sees it
// through a combined tableInfo whose join field resolves column names
// against the sources: qualified names by alias, unqualified names in the
// one source that has them (1052 when several do), USING/NATURAL columns
// as the coalesce of the columns they merge. selectStmt runs exactly as
// for one table, with the join executor (plan_join.go) producing the rows.

const maxJoinTables = 61

// joinSource is one table of a FROM clause: a base table or a derived
// table materialised in memory.
type joinSource struct {
	id      int
	alias   string // as the statement names it
	ti      *tableInfo
	hints   []*ast.IndexHint
	cols    []engine.Column
	meta    []Column // derived tables: the inner SELECT's column metadata
	classes []string // derived tables: each column's hash-key class (keyClass)
	byName  map[string]int
	off     int
	rows    [][]any // derived tables: the rows
	count   int64   // row count (estimate for base tables)
	outer   bool    // may be NULL-extended by an outer join
}

func (s *joinSource) column(name string) int {
	if i, ok := s.byName[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// colRef is what a column name resolved to: one position of the joined
// row, or several (a USING column: the first non-NULL of them).
type colRef []int

// joinScope holds a statement's sources and resolves names against them.
type joinScope struct {
	srcs   []*joinSource
	width  int
	groups []colRef     // USING/NATURAL coalesced columns, preferred first
	group  map[int]int  // position -> index in groups
	star   []starColumn // SELECT * columns in MySQL's order
	cache  map[*ast.ColumnName]colRef
	recent []cachedRef // the first few names resolved: searched before cache
	fields []outField  // the select list, for ORDER BY/GROUP BY/HAVING names
	root   *joinNode
	plan   *joinPlan
	info   *tableInfo // the combined tableInfo (ti())
	stmt   *ast.SelectStmt
	stats  map[string]*tableStats // ANALYZE TABLE's estimates, nil entry: none
	db     string                 // the current database, lower case (db.t.col)
	x      *execCtx               // the statement's context: a subquery's outer row
}

// outerRef reports whether a name the join's sources do not know (err is
// its 1054) is a column of the enclosing query's row, in a correlated
// subquery: a constant for this join.
func (js *joinScope) outerRef(n *ast.ColumnName, err error) bool {
	if sqlerr.Code(err) != sqlerr.ErrBadField || js.x == nil {
		return false
	}
	_, ok := js.x.outerValue(n)
	return ok
}

// starColumn is one column of SELECT *.
type starColumn struct {
	name string
	ref  colRef
	src  *joinSource
	col  int
}

// joinNode is the FROM clause as a tree.
type joinNode struct {
	src         *joinSource // a leaf
	left, right *joinNode
	outer       bool // LEFT JOIN (RIGHT JOIN is stored swapped)
	on          []ast.ExprNode
	mask        uint64
	star        []starColumn
}

// isMultiSource reports whether a FROM clause needs the join machinery:
// anything but one plain table.
func isMultiSource(refs *ast.TableRefsClause) bool {
	if refs == nil || refs.TableRefs == nil {
		return false
	}
	j := refs.TableRefs
	if j.Right != nil {
		return true
	}
	ts, ok := j.Left.(*ast.TableSource)
	if !ok {
		_, isJoin := j.Left.(*ast.Join)
		return isJoin
	}
	tn, isTable := ts.Source.(*ast.TableName)
	// information_schema views and a recursive CTE's working table run as
	// derived tables
	return !isTable || isInfoSchema(tn) || isRecursiveRef(tn)
}

// joinFrom builds the sources and the tree of a FROM clause and returns
// the combined tableInfo the statement evaluates against.
func (x *execCtx) joinFrom(n *ast.SelectStmt) (*tableInfo, *joinScope, error) {
	js := &joinScope{group: map[int]int{}, cache: map[*ast.ColumnName]colRef{}, stmt: n, db: strings.ToLower(x.s.DBName), x: x}
	aliases := map[string]bool{}
	root, err := x.joinTree(js, n.From.TableRefs, aliases)
	if err != nil {
		return nil, nil, err
	}
	js.root = root
	js.star = root.star
	return js.ti(), js, nil
}

func (x *execCtx) joinTree(js *joinScope, n ast.ResultSetNode, aliases map[string]bool) (*joinNode, error) {
	switch t := n.(type) {
	case *ast.Join:
		if t.Right == nil {
			return x.joinTree(js, t.Left, aliases)
		}
		l, err := x.joinTree(js, t.Left, aliases)
		if err != nil {
			return nil, err
		}
		r, err := x.joinTree(js, t.Right, aliases)
		if err != nil {
			return nil, err
		}
		right := t.Tp == ast.RightJoin
		node := &joinNode{left: l, right: r, outer: t.Tp == ast.LeftJoin || right, mask: l.mask | r.mask}
		if right {
			node.left, node.right = r, l
			markOuter(js, l.mask)
		} else if node.outer {
			markOuter(js, r.mask)
		}
		// USING and NATURAL: merged columns, equality conditions.
		var using []string
		if t.NaturalJoin {
			rn := map[string]bool{}
			for _, c := range r.star {
				rn[strings.ToLower(c.name)] = true
			}
			for _, c := range l.star {
				if rn[strings.ToLower(c.name)] {
					using = append(using, c.name)
				}
			}
		}
		for _, c := range t.Using {
			using = append(using, c.Name.O)
		}
		if len(using) > 0 || t.NaturalJoin {
			if err := js.using(node, using); err != nil {
				return nil, err
			}
		} else {
			node.star = append(append([]starColumn{}, l.star...), r.star...)
		}
		if t.On != nil {
			for _, c := range conjuncts(t.On.Expr) {
				if _, err := js.maskOf(c, node.mask, "ON"); err != nil {
					return nil, err
				}
				node.on = append(node.on, c)
			}
		}
		return node, nil
	case *ast.TableSource:
		if j, ok := t.Source.(*ast.Join); ok {
			return x.joinTree(js, j, aliases)
		}
		if len(js.srcs) >= maxJoinTables {
			return nil, errf(1116, "Too many tables; MariaDB can only use %d tables in a join", maxJoinTables)
		}
		s := &joinSource{id: len(js.srcs), off: js.width, alias: t.AsName.O}
		var derived *Result // a derived table's rows, or an information_schema view's
		switch src := t.Source.(type) {
		case *ast.TableName:
			if isRecursiveRef(src) {
				res, err := x.recursiveFrame(src)
				if err != nil {
					return nil, err
				}
				if s.alias == "" {
					s.alias = src.Name.O
				}
				derived = res
				break
			}
			// A view's rows or an information_schema table's, else a table.
			res, ok, err := x.viewSource(src)
			if !ok && isInfoSchema(src) {
				res, err = x.infoSchemaTable(src.Name.O)
				infoCollation(&res)
				ok = true
			}
			if ok {
				if err != nil {
					return nil, err
				}
				if s.alias == "" {
					s.alias = src.Name.O
				}
				derived = &res
				break
			}
			ti, err := x.tableRead(src, t.AsName.O)
			if err != nil {
				return nil, err
			}
			s.ti, s.hints, s.alias, s.cols = ti, src.IndexHints, ti.alias, ti.def.Columns
			if st, err := x.s.owner(ti.name).Status(ti.name); err == nil {
				s.count = st.Rows
			}
		case *ast.SelectStmt, *ast.SetOprStmt:
			if s.alias == "" {
				e := newErr(1248, "Every derived table must have its own alias")
				e.State = "42000"
				return nil, e
			}
			res, err := x.dml(src.(ast.StmtNode))
			if err != nil {
				return nil, err
			}
			derived = &res
		default:
			return nil, errNotSupported("this FROM clause")
		}
		if res := derived; res != nil {
			seen := map[string]bool{}
			for _, c := range res.Columns {
				if seen[strings.ToLower(c.Name)] {
					return nil, errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", c.Name)
				}
				seen[strings.ToLower(c.Name)] = true
				s.cols = append(s.cols, engine.Column{Name: c.Name, Type: engineType(c.Type), Collation: derivedCollation(c), Charset: derivedCharset(c)})
			}
			s.meta, s.rows, s.count = derivedColumns(res.Columns), res.Rows, int64(len(res.Rows))
			s.classes = valueClasses(len(s.cols), s.rows)
		}
		key := strings.ToLower(s.alias)
		if aliases[key] {
			e := newErr(1066, "Not unique table/alias: '%s'", s.alias)
			e.State = "42000"
			return nil, e
		}
		aliases[key] = true
		s.byName = make(map[string]int, len(s.cols))
		for i, c := range s.cols {
			if _, dup := s.byName[strings.ToLower(c.Name)]; !dup {
				s.byName[strings.ToLower(c.Name)] = i
			}
		}
		js.srcs = append(js.srcs, s)
		js.width += len(s.cols)
		node := &joinNode{src: s, mask: 1 << uint(s.id)}
		for i, c := range s.cols {
			node.star = append(node.star, starColumn{name: c.Name, ref: colRef{s.off + i}, src: s, col: i})
		}
		return node, nil
	}
	return nil, errNotSupported("this FROM clause")
}

func markOuter(js *joinScope, mask uint64) {
	for _, s := range js.srcs {
		if mask&(1<<uint(s.id)) != 0 {
			s.outer = true
		}
	}
}

// using merges the USING columns of a join node: the condition
// left.c = right.c, one coalesced column in SELECT * (first, in the
// preserved side's order), the rest of both sides after it.
func (js *joinScope) using(node *joinNode, names []string) error {
	l, r := node.left, node.right
	first, second := l, r // RIGHT JOIN is stored swapped: the preserved side comes first
	find := func(side *joinNode, name string) (int, error) {
		at := -1
		for i, c := range side.star {
			if strings.EqualFold(c.name, name) {
				if at >= 0 {
					return -1, errf(sqlerr.ErrNonUniq, "Column '%s' in FROM is ambiguous", name)
				}
				at = i
			}
		}
		if at < 0 {
			return -1, errUnknownColumn(name, "FROM")
		}
		return at, nil
	}
	usedL, usedR := map[int]bool{}, map[int]bool{}
	var merged []starColumn
	for _, name := range names {
		li, err := find(first, name)
		if err != nil {
			return err
		}
		ri, err := find(second, name)
		if err != nil {
			return err
		}
		if usedL[li] {
			continue
		}
		usedL[li], usedR[ri] = true, true
		lc, rc := first.star[li], second.star[ri]
		// The preserved side's value first; for an inner join the left's.
		ref := append(append(colRef{}, lc.ref...), rc.ref...)
		node.on = append(node.on, &ast.BinaryOperationExpr{Op: opcode.EQ, L: js.pinned(lc), R: js.pinned(rc)})
		for _, p := range lc.ref {
			delete(js.group, p)
		}
		for _, p := range rc.ref {
			delete(js.group, p)
		}
		js.groups = append(js.groups, ref)
		for _, p := range ref {
			js.group[p] = len(js.groups) - 1
		}
		merged = append(merged, starColumn{name: lc.name, ref: ref, src: lc.src, col: lc.col})
	}
	node.star = merged
	for i, c := range first.star {
		if !usedL[i] {
			node.star = append(node.star, c)
		}
	}
	for i, c := range second.star {
		if !usedR[i] {
			node.star = append(node.star, c)
		}
	}
	return nil
}

// pinned returns a column expression bound to a star column's positions.
func (js *joinScope) pinned(c starColumn) ast.ExprNode {
	cn := &ast.ColumnName{Name: ast.NewCIStr(c.name)}
	js.remember(cn, c.ref)
	return &ast.ColumnNameExpr{Name: cn}
}

type cachedRef struct {
	n   *ast.ColumnName
	ref colRef
}

// cached returns what a column name already resolved to: a statement's
// names are resolved once, then looked up on every row.
func (js *joinScope) cached(n *ast.ColumnName) (colRef, bool) {
	for i := range js.recent {
		if js.recent[i].n == n {
			return js.recent[i].ref, true
		}
	}
	ref, ok := js.cache[n]
	return ref, ok
}

func (js *joinScope) remember(n *ast.ColumnName, ref colRef) {
	if _, ok := js.cached(n); ok {
		return
	}
	if len(js.recent) < 16 {
		js.recent = append(js.recent, cachedRef{n, ref})
		return
	}
	js.cache[n] = ref
}

// resolve finds a column among the sources in mask.
func (js *joinScope) resolve(n *ast.ColumnName, mask uint64, clause string) (colRef, error) {
	if ref, ok := js.cached(n); ok {
		return ref, nil
	}
	var found colRef
	count := 0
	if n.Table.L != "" {
		for _, s := range js.srcs {
			if mask&(1<<uint(s.id)) == 0 || strings.ToLower(s.alias) != n.Table.L {
				continue
			}
			if n.Schema.L != "" && (s.ti == nil || n.Schema.L != js.db) {
				continue
			}
			if i := s.column(n.Name.O); i >= 0 {
				found, count = colRef{s.off + i}, 1
			}
		}
	} else {
		seenGroup := map[int]bool{}
		for _, s := range js.srcs {
			if mask&(1<<uint(s.id)) == 0 {
				continue
			}
			i := s.column(n.Name.O)
			if i < 0 {
				continue
			}
			p := s.off + i
			if g, ok := js.group[p]; ok && groupWithin(js.groups[g], js, mask) {
				if seenGroup[g] {
					continue
				}
				seenGroup[g] = true
				found = js.groups[g]
			} else {
				found = colRef{p}
			}
			count++
		}
	}
	switch {
	case count == 0:
		return nil, errUnknownColumn(columnText(n), clause)
	case count > 1:
		return nil, errf(sqlerr.ErrNonUniq, "Column '%s' in %s is ambiguous", columnText(n), clause)
	}
	if mask == js.all() {
		js.remember(n, found)
	}
	return found, nil
}

func groupWithin(ref colRef, js *joinScope, mask uint64) bool {
	for _, p := range ref {
		if mask&(1<<uint(js.sourceAt(p).id)) == 0 {
			return false
		}
	}
	return true
}

func (js *joinScope) sourceAt(p int) *joinSource {
	for i := len(js.srcs) - 1; i >= 0; i-- {
		if js.srcs[i].off <= p {
			return js.srcs[i]
		}
	}
	return js.srcs[0]
}

func (js *joinScope) all() uint64 {
	if len(js.srcs) >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(len(js.srcs)) - 1
}

// value is evalCtx.column for a joined row.
func (js *joinScope) value(n *ast.ColumnName, row engine.Row, clause string) (any, error) {
	ref, err := js.resolve(n, js.all(), clause)
	if err != nil {
		if f := js.selected(n, clause); f != nil {
			return js.value(f, row, clause)
		}
		if clause == "HAVING" && sqlerrCode(err) == sqlerr.ErrNonUniq {
			return nil, errUnknownColumn(columnText(n), clause)
		}
		return nil, err
	}
	if row == nil {
		return nil, nil
	}
	if len(ref) == 1 {
		return row[ref[0]], nil
	}
	for _, p := range ref {
		if row[p] != nil {
			return row[p], nil
		}
	}
	return nil, nil
}

// selected returns the select-list column an unqualified name in ORDER
// BY, GROUP BY or HAVING stands for when the tables alone cannot resolve
// it (MySQL looks in the select list first there).
func (js *joinScope) selected(n *ast.ColumnName, clause string) *ast.ColumnName {
	if n.Table.L != "" || (clause != "ORDER BY" && clause != "GROUP BY" && clause != "HAVING") {
		return nil
	}
	for _, f := range js.fields {
		if cn, ok := f.expr.(*ast.ColumnNameExpr); ok && cn.Name != n && (strings.EqualFold(cn.Name.Name.O, n.Name.O) || f.alias == n.Name.L) {
			return cn.Name
		}
	}
	return nil
}

// checkClauses resolves the names of GROUP BY, HAVING and ORDER BY before
// any row is read, so that a bad name is reported even on empty tables.
func (js *joinScope) checkClauses() error {
	n := js.stmt
	if n == nil {
		return nil
	}
	check := func(e ast.Node, clause string) error {
		v := &nameChecker{js: js, clause: clause}
		e.Accept(v)
		return v.err
	}
	if n.GroupBy != nil {
		for _, it := range n.GroupBy.Items {
			if err := check(it.Expr, "GROUP BY"); err != nil {
				return err
			}
		}
	}
	if n.Having != nil {
		if err := check(n.Having.Expr, "HAVING"); err != nil {
			return err
		}
	}
	if n.OrderBy != nil {
		for _, it := range n.OrderBy.Items {
			if err := check(it.Expr, "ORDER BY"); err != nil {
				return err
			}
		}
	}
	return nil
}

type nameChecker struct {
	js     *joinScope
	clause string
	err    error
}

func (v *nameChecker) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil {
		return n, true
	}
	switch c := n.(type) {
	case *ast.ColumnNameExpr:
		if c.Name.Table.L == "" {
			for _, f := range v.js.fields {
				if f.alias != "" && f.alias == c.Name.Name.L {
					return n, true
				}
			}
		}
		if _, err := v.js.resolve(c.Name, v.js.all(), v.clause); err != nil && v.js.selected(c.Name, v.clause) == nil && !v.js.outerRef(c.Name, err) {
			v.err = err
			if v.clause == "HAVING" && sqlerrCode(err) == sqlerr.ErrNonUniq {
				v.err = errUnknownColumn(columnText(c.Name), v.clause)
			}
		}
		return n, true
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return n, true
	}
	return n, false
}

func (v *nameChecker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func sqlerrCode(err error) int { return sqlerr.Code(err) }

// maskOf resolves every column of e within mask and returns the sources
// it refers to. A subquery counts as referring to every source.
func (js *joinScope) maskOf(e ast.Node, mask uint64, clause string) (uint64, error) {
	v := &colVisitor{js: js, within: mask, clause: clause}
	e.Accept(v)
	return v.mask, v.err
}

type colVisitor struct {
	js     *joinScope
	within uint64
	clause string
	mask   uint64
	err    error
}

func (v *colVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil {
		return n, true
	}
	switch c := n.(type) {
	case *ast.ColumnNameExpr:
		ref, err := v.js.resolve(c.Name, v.within, v.clause)
		if err != nil {
			if _, all := v.js.resolve(c.Name, v.js.all(), v.clause); all != nil && v.js.outerRef(c.Name, all) {
				return n, true // none of the join's: the outer row's, a constant here
			}
			v.err = err
			return n, true
		}
		for _, p := range ref {
			v.mask |= 1 << uint(v.js.sourceAt(p).id)
		}
		return n, true
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		v.mask |= v.js.all()
		return n, true
	case *ast.WindowSpec: // checkWindowNames, with the window's clause names
		return n, true
	case *ast.FuncCallExpr:
		if volatileCall(c) {
			v.mask |= v.js.all()
		}
	}
	return n, false
}

func (v *colVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// joinFields expands the select list over the sources.
func (x *execCtx) joinFields(js *joinScope, fields *ast.FieldList) ([]outField, error) {
	var out []outField
	for _, f := range fields.Fields {
		if f.WildCard != nil {
			if f.WildCard.Table.L == "" {
				for _, c := range js.star {
					out = append(out, js.starField(c))
				}
				continue
			}
			var src *joinSource
			for _, s := range js.srcs {
				if strings.ToLower(s.alias) == f.WildCard.Table.L {
					src = s
				}
			}
			if src == nil {
				return nil, errf(1051, "Unknown table '%s.%s'", x.s.DBName, f.WildCard.Table.O)
			}
			for i, c := range src.cols {
				out = append(out, js.starField(starColumn{name: c.Name, ref: colRef{src.off + i}, src: src, col: i}))
			}
			continue
		}
		if _, err := js.maskOf(f.Expr, js.all(), "SELECT"); err != nil {
			return nil, err
		}
		of := outField{expr: f.Expr, col: -1}
		if cn, ok := f.Expr.(*ast.ColumnNameExpr); ok {
			if ref, err := js.resolve(cn.Name, js.all(), "SELECT"); err == nil {
				of.col = ref[0]
			}
		}
		if f.AsName.O != "" {
			of.name, of.alias = f.AsName.O, f.AsName.L
		} else {
			of.name = fieldName(f.Expr, f.Text())
		}
		out = append(out, of)
	}
	js.fields = out
	return out, nil
}

func (js *joinScope) starField(c starColumn) outField {
	cn := &ast.ColumnName{Name: ast.NewCIStr(c.name)}
	js.remember(cn, c.ref)
	return outField{name: c.name, expr: &ast.ColumnNameExpr{Name: cn}, col: c.ref[0]}
}

// finish builds the result metadata of a joined SELECT: a plain column
// keeps its source column's type (nullable when an outer join may
// NULL-extend it).
func (js *joinScope) finish(ti *tableInfo, fields []outField, rows [][]any) (Result, error) {
	cols := make([]Column, len(fields))
	for i, f := range fields {
		if f.col >= 0 {
			s := js.sourceAt(f.col)
			k := f.col - s.off
			if s.meta != nil {
				cols[i] = s.meta[k]
				cols[i].Table = s.alias
			} else {
				cols[i] = columnFromDef(s.alias, &s.cols[k])
			}
			cols[i].Name = f.name
			if s.outer {
				cols[i].Flags &^= mysql.NotNullFlag
			}
			continue
		}
		var sample any
		for _, r := range rows {
			if r[i] != nil {
				sample = r[i]
				break
			}
		}
		cols[i] = exprColumn(ti, f, sample)
	}
	if rows == nil {
		rows = [][]any{}
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// engineType maps a result column's MySQL type back to an engine type,
// for what the SQL layer infers from a column's type (DATE arithmetic).
func engineType(t byte) engine.Type {
	switch t {
	case mysql.TypeDate:
		return engine.TypeDate
	case mysql.TypeDatetime:
		return engine.TypeDateTime
	case mysql.TypeTimestamp:
		return engine.TypeTimestamp
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong:
		return engine.TypeBigInt
	case mysql.TypeNewDecimal:
		return engine.TypeDecimal
	case mysql.TypeFloat, mysql.TypeDouble:
		return engine.TypeDouble
	case mysql.TypeDuration:
		return engine.TypeTime
	case mysql.TypeYear:
		return engine.TypeYear
	}
	return engine.TypeVarChar
}
