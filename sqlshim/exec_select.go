package sqlshim

import (
	"sort"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// outField is one column of a SELECT's result.
type outField struct {
	name  string
	alias string // AS name, lower case ("" if none)
	expr  ast.ExprNode
	col   int // index of the table column for a plain column reference, else -1
}

// selectFields expands the select list (* included).
func selectFields(ti *tableInfo, fields *ast.FieldList) ([]outField, error) {
	var out []outField
	for _, f := range fields.Fields {
		if f.WildCard != nil {
			if ti == nil {
				return nil, errf(1096, "No tables used")
			}
			if f.WildCard.Table.L != "" && f.WildCard.Table.L != strings.ToLower(ti.alias) {
				return nil, errf(1051, "Unknown table '%s'", f.WildCard.Table.O)
			}
			for i, c := range ti.def.Columns {
				out = append(out, outField{name: c.Name, col: i, expr: &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(c.Name)}}})
			}
			continue
		}
		of := outField{expr: f.Expr, col: -1}
		if cn, ok := f.Expr.(*ast.ColumnNameExpr); ok && ti != nil {
			if cn.Name.Table.L == "" || cn.Name.Table.L == strings.ToLower(ti.alias) {
				of.col = ti.column(cn.Name.Name.O)
			}
		}
		switch {
		case f.AsName.O != "":
			of.name, of.alias = f.AsName.O, f.AsName.L
		default:
			of.name = fieldName(f.Expr, f.Text())
		}
		out = append(out, of)
	}
	return out, nil
}

// fieldName is the column header MySQL gives an expression without an
// alias: the column's name, a string literal's value, else the text as
// written.
func fieldName(e ast.ExprNode, text string) string {
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		return x.Name.Name.O
	case *test_driver.ValueExpr:
		if s, ok := x.Datum.GetValue().(string); ok {
			return s
		}
		if x.Datum.GetValue() == nil {
			return "NULL"
		}
	}
	if t := trimTrailingComments(text); t != "" {
		return t
	}
	return exprText(e)
}

// trimTrailingComments drops the comments and spaces the parser leaves at
// the end of a select-list item's text (`SELECT 1 /* c */` is headed 1, as
// in MariaDB, whose item names end with the expression's last token).
func trimTrailingComments(text string) string {
	t := strings.TrimSpace(text)
	for {
		switch {
		case strings.HasSuffix(t, "*/"):
			i := strings.LastIndex(t[:len(t)-2], "/*")
			if i < 0 || inQuotes(t[:i]) {
				return t
			}
			t = strings.TrimSpace(t[:i])
		default:
			// A -- or # comment runs to the end of its line.
			nl := strings.LastIndexByte(t, '\n')
			line := t[nl+1:]
			j := strings.Index(line, "-- ")
			if k := strings.IndexByte(line, '#'); k >= 0 && (j < 0 || k < j) {
				j = k
			}
			if j < 0 || inQuotes(t[:nl+1+j]) {
				return t
			}
			t = strings.TrimSpace(t[:nl+1+j])
		}
	}
}

// inQuotes reports whether the end of s lies inside a quoted string or
// identifier (so a comment marker after it is text, not a comment).
func inQuotes(s string) bool {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0 && c == '\\' && q != '`':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '\'' || c == '"' || c == '`'):
			q = c
		}
	}
	return q != 0
}

// aggFinder collects the aggregate calls of an expression.
type aggFinder struct {
	aggs []*ast.AggregateFuncExpr
	// Subqueries: those met (their aggregates of this query are
	// enclosedAggregates'), and aggregates an enclosing query computes.
	subqueries []*ast.SubqueryExpr
	enclosing  map[*ast.AggregateFuncExpr]bool
}

func (f *aggFinder) Enter(n ast.Node) (ast.Node, bool) {
	if a, ok := n.(*ast.AggregateFuncExpr); ok {
		if !f.enclosing[a] {
			f.aggs = append(f.aggs, a)
		}
		return n, true
	}
	if sq, ok := n.(*ast.SubqueryExpr); ok {
		f.subqueries = append(f.subqueries, sq)
		return n, true // a subquery's aggregates are its own, but see enclosedAggregates
	}
	return n, false
}

func (f *aggFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// maxTopN is the most rows ORDER BY ... LIMIT keeps in its in-memory
// heap; a larger offset plus count sorts like ORDER BY without LIMIT, which
// spills past the memory budget.
const maxTopN = 1 << 20

// lockSelected takes, for SELECT ... FOR UPDATE or LOCK IN SHARE MODE,
// the write lock of each table the SELECT reads (those of FOR UPDATE OF
// when it names them) before reading: until the transaction ends no other
// transaction writes them, and the rows read are the newest committed
// ones, so a value read to compute an update is not lost. The lock is the
// table's, coarser than InnoDB's row locks, and NOWAIT / SKIP LOCKED wait
// like a plain FOR UPDATE (up to the lock wait timeout, then 1205).
func (x *execCtx) lockSelected(n *ast.SelectStmt) error {
	if x.tx == nil {
		return nil
	}
	names := n.LockInfo.Tables
	if len(names) == 0 && n.From != nil {
		var walk func(r ast.ResultSetNode)
		walk = func(r ast.ResultSetNode) {
			switch v := r.(type) {
			case *ast.Join:
				walk(v.Left)
				if v.Right != nil {
					walk(v.Right)
				}
			case *ast.TableSource:
				if tn, ok := v.Source.(*ast.TableName); ok {
					names = append(names, tn)
				}
			}
		}
		walk(n.From.TableRefs)
	}
	for _, tn := range names {
		if isInfoSchema(tn) {
			continue
		}
		def, err := x.tableDef(tn, true)
		if err != nil {
			return err
		}
		if err := x.tx.LockForWrite(def.Name); err != nil {
			return err
		}
	}
	return nil
}

func (x *execCtx) selectStmt(n *ast.SelectStmt) (Result, error) {
	storeInner := x.storeInner
	x.storeInner = false // derived tables and subqueries show their digits
	sink := x.sink
	x.sink = nil // derived tables and subqueries return their rows
	if n.SelectIntoOpt != nil {
		return Result{}, errNotSupported("SELECT INTO")
	}
	if n.With != nil {
		return Result{}, errNotSupported("WITH")
	}
	if n.Kind != ast.SelectStmtKindSelect {
		return Result{}, errNotSupported("TABLE and VALUES statements")
	}
	withRollup := n.GroupBy != nil && n.GroupBy.Rollup
	if withRollup && n.OrderBy != nil {
		return Result{}, errf(errWrongUsage, "Incorrect usage of CUBE/ROLLUP and ORDER BY")
	}
	if n.LockInfo != nil && n.LockInfo.LockType != ast.SelectLockNone {
		if err := x.lockSelected(n); err != nil {
			return Result{}, err
		}
	}
	var ti *tableInfo
	var hints []*ast.IndexHint
	var js *joinScope // joins and derived tables (exec_join.go)
	var err error
	if isMultiSource(n.From) {
		ti, js, err = x.joinFrom(n)
	} else {
		ti, hints, err = x.singleTable(n.From)
		if err != nil && x.singleView(n.From) {
			x.sink = sink // the view's query merged with this one is the top SELECT
			res, ok, merr := x.mergeViewSelect(n)
			x.sink = nil
			if ok {
				return res, merr
			}
			ti, js, err = x.joinFrom(n) // a view runs as a derived table
		}
	}
	if err != nil {
		return Result{}, err
	}
	if withRollup && ti == nil {
		return Result{}, errNotSupported("GROUP BY ... WITH ROLLUP without a table")
	}
	var fields []outField
	if js != nil {
		fields, err = x.joinFields(js, n.Fields)
	} else {
		fields, err = selectFields(ti, n.Fields)
		if err == nil {
			err = x.checkColumns(ti, fields, n)
		}
	}
	if err != nil {
		return Result{}, err
	}
	// Aggregates anywhere in the select list, HAVING or ORDER BY.
	af := &aggFinder{enclosing: x.enclosingAggregates()}
	for _, f := range fields {
		f.expr.Accept(af)
	}
	if n.Having != nil {
		n.Having.Expr.Accept(af)
	}
	if n.OrderBy != nil {
		for _, it := range n.OrderBy.Items {
			it.Expr.Accept(af)
		}
	}
	af.aggs = append(af.aggs, x.enclosedAggregates(ti, af.subqueries)...)
	if n.Where != nil {
		wf := &aggFinder{enclosing: x.enclosingAggregates()}
		n.Where.Accept(wf)
		if len(wf.aggs) > 0 {
			return Result{}, errf(sqlerr.ErrInvalidGroupFunc, "Invalid use of group function")
		}
	}
	grouped := n.GroupBy != nil || len(af.aggs) > 0
	if err := checkGroupPositions(n, fields); err != nil {
		return Result{}, err
	}
	count, offset, err := x.limitValues(n.Limit)
	if err != nil {
		return Result{}, err
	}
	// Window functions (window.go): computed over the rows or groups
	// that pass WHERE, GROUP BY and HAVING, before ORDER BY, DISTINCT
	// and LIMIT.
	wr, winField, err := x.selectWindows(n, ti, js, fields, af.aggs, grouped)
	if err != nil {
		return Result{}, err
	}
	if wr != nil {
		defer wr.close()
	}

	type outRow struct {
		vals []any
		keys []any
	}
	var rows []outRow
	// SQL_CALC_FOUND_ROWS: every row is read and counted (rowTaker.found),
	// past the LIMIT too.
	calc := n.SelectStmtOpts != nil && n.SelectStmtOpts.CalcFoundRows
	var top *topN   // ORDER BY ... LIMIT: keep only the first offset+count rows
	var es *extSort // ORDER BY otherwise: a sort that spills past the memory budget
	if n.OrderBy != nil && count >= 0 && offset+count <= maxTopN && !n.Distinct && !calc {
		top = newTopN(offset+count, n.OrderBy.Items)
	} else if n.OrderBy != nil {
		es = newExtSort(n.OrderBy.Items, x.s.memBudget)
	}
	defer func() {
		if es != nil {
			es.close() // its temporary files, however the statement ends
		}
	}()
	ec := x.newEval(ti, "SELECT")
	// Collated text sorts, groups and dedups by its weight strings.
	var orderColls, groupColls, fieldColls []*collate.Collation
	if n.OrderBy != nil {
		orderColls = byColls(ec, n.OrderBy.Items, fields, ti)
	}
	if n.GroupBy != nil {
		groupColls = byColls(ec, n.GroupBy.Items, fields, ti)
	}
	if n.Distinct {
		fieldColls = ec.sortColls(fieldExprs(fields))
	}
	// DISTINCT, then OFFSET, then LIMIT (rowTaker). With a sink (SELECT
	// ... INTO OUTFILE) the rows taken go to it, from emit as they come
	// when no sort holds them back (stream): a taker of its own, on the
	// heap, so that the one of every other SELECT stays on the stack.
	tk := rowTaker{count: count, skip: offset, calc: calc, distinct: n.Distinct, fieldColls: fieldColls}
	var stream *rowTaker
	if sink != nil {
		stream = &rowTaker{}
		*stream = tk
		stream.sink = sink
		stream.colsOf = func(row []any) ([]Column, error) {
			var r Result
			var err error
			if js != nil {
				r, err = js.finish(ti, fields, [][]any{row})
			} else {
				r, err = x.finishSelect(ti, fields, [][]any{row})
			}
			return r.Columns, err
		}
	}
	// emit computes the output row (and its ORDER BY keys) for the
	// current row or group in ec.
	var nullFields []bool // the output fields a WITH ROLLUP super-aggregate row has NULL
	// having reports whether the current row or group passes HAVING,
	// which sees the select list's values by alias.
	having := func(aliases map[string]any) (bool, error) {
		ec.clause, ec.aliases = "HAVING", aliases
		v, err := ec.eval(n.Having.Expr)
		ec.aliases = nil
		if err != nil {
			return false, err
		}
		b, _ := truthy(v)
		return b, nil
	}
	// A scalar subquery's value keeps a quotient's inner digits (exact.go):
	// (SELECT 1/3)*3 is 1.0000.
	keepInner := x.keepInner && len(fields) == 1 && wr == nil
	var inner any    // the current row's, when keepInner
	var inners []any // those of rows, when keepInner
	emit := func() error {
		if stream != nil && stream.done {
			return nil
		}
		vals := make([]any, len(fields))
		aliases := map[string]any{}
		for i, f := range fields {
			ec.clause = "SELECT"
			var v any
			var err error
			switch {
			case keepInner:
				v, inner, err = ec.innerValue(f.expr)
			case storeInner && wr == nil:
				v, err = ec.storedValue(f.expr)
			default:
				v, err = ec.eval(f.expr)
			}
			if err != nil {
				return err
			}
			if nullFields != nil && nullFields[i] {
				v, inner = nil, nil
			}
			vals[i] = v
			if f.alias != "" {
				aliases[f.alias] = v
			}
		}
		if n.Having != nil && wr == nil { // with window functions HAVING ran before them (produce)
			if ok, err := having(aliases); !ok {
				return err
			}
		}
		var keys []any
		if n.OrderBy != nil {
			ec.clause, ec.aliases = "ORDER BY", aliases
			for _, it := range n.OrderBy.Items {
				var v any
				if pos, ok := positionRef(it.Expr); ok {
					if pos < 1 || pos > len(fields) {
						ec.aliases = nil
						return errUnknownColumn(sprintf("%d", pos), "ORDER BY")
					}
					v = vals[pos-1]
				} else {
					var err error
					if v, err = ec.eval(it.Expr); err != nil {
						ec.aliases = nil
						return err
					}
				}
				if orderColls != nil {
					v = collKey(v, orderColls[len(keys)])
				}
				keys = append(keys, v)
			}
			ec.aliases = nil
		}
		if top != nil {
			top.add(vals, keys)
			if top.mem <= x.s.memBudget {
				if top.full() {
					// The rows come in order (plan_keyset.go): no
					// later one can take a place. The read stops.
					return errStopJoin
				}
				return nil
			}
			// A LIMIT too large for the budget: the rows kept so far
			// go, in order, to a sort that can spill; OFFSET and LIMIT
			// then apply as the sort's rows are read back.
			es = newExtSort(n.OrderBy.Items, x.s.memBudget)
			kept := top.sorted()
			top = nil
			for _, r := range kept {
				if err := es.add(r.vals, r.keys); err != nil {
					return err
				}
			}
			return nil
		}
		if es != nil {
			return es.add(vals, keys)
		}
		if stream != nil {
			// No sort holds the row back: it goes to the sink now.
			more, err := stream.take(vals)
			stream.done = !more
			return err
		}
		rows = append(rows, outRow{vals, keys})
		if keepInner {
			inners = append(inners, inner)
		}
		return nil
	}
	// produce is emit, or with window functions the capture of the row
	// or group for them, after HAVING (which sees the select list's
	// aliases, none of a window function).
	produce := emit
	if wr != nil {
		produce = func() error {
			if n.Having != nil {
				aliases := map[string]any{}
				for i, f := range fields {
					if f.alias == "" || winField[i] {
						continue
					}
					ec.clause = "SELECT"
					v, err := ec.eval(f.expr)
					if err != nil {
						return err
					}
					aliases[f.alias] = v
				}
				if ok, err := having(aliases); !ok {
					return err
				}
			}
			return wr.add(ec)
		}
	}
	// Without ORDER BY, DISTINCT, grouping or window functions, reading
	// stops at the limit.
	stopAt := int64(-1)
	if count >= 0 && n.OrderBy == nil && !n.Distinct && !grouped && !calc && wr == nil {
		stopAt = offset + count
	}

	if ti == nil {
		if n.Where != nil {
			v, err := ec.eval(n.Where)
			if err != nil {
				return Result{}, err
			}
			if b, _ := truthy(v); !b && !grouped {
				return x.finishSelect(ti, fields, nil)
			}
		}
		if grouped {
			ec.aggs = map[*ast.AggregateFuncExpr]any{}
			g := newGroup(af.aggs)
			if err := g.add(ec); err != nil {
				return Result{}, err
			}
			ec.aggs = g.results(ec)
		}
		if err := produce(); err != nil {
			return Result{}, err
		}
	} else {
		var groups map[string]*group
		var order []string
		if grouped {
			groups = map[string]*group{}
		}
		where := n.Where
		if js != nil {
			where = nil // the join applies WHERE itself
		}
		// gbPos: the row position of each GROUP BY item that is a plain
		// column of the table(s), resolved once (eval would resolve its
		// name on every row); -1 for the others.
		var gbPos []int
		if n.GroupBy != nil {
			var sc condScope = tableScope{ti}
			if ti.join != nil {
				sc = ti.join
			}
			for _, it := range n.GroupBy.Items {
				p := -1
				cn, isCol := it.Expr.(*ast.ColumnNameExpr)
				if a := aliasRef(it.Expr, fields); isCol && (a == nil || ti.column(a.Name.Name.O) >= 0) {
					p = sc.position(cn.Name, "GROUP BY")
				}
				gbPos = append(gbPos, p)
			}
		}
		var ru *rollup
		if withRollup {
			ru = newRollup(n.GroupBy.Items, gbPos, fields, af.aggs)
		}
		var keyBuf []any // the current row's GROUP BY values (copied into a new group)
		var kb []byte    // their groupKey
		wc := x.newEval(ti, "WHERE")
		// The WHERE conjuncts of a one-table SELECT, compiled once against
		// a row buffer the scan's rows are copied into (compileCond reads
		// positions of it): a column compared with a constant costs a
		// comparison per row, not an expression walk.
		var wh *whereConds
		var wrow engine.Row
		if where != nil {
			wrow = make(engine.Row, len(ti.def.Columns))
			wc.row = wrow
			wh = x.compileWhere(tableScope{ti}, wc, where)
		}
		each := func(row engine.Row) (bool, error) {
			if where != nil {
				copy(wrow, row)
				ok, err := wh.pass()
				if err != nil {
					return false, err
				}
				if !ok {
					return true, nil
				}
			}
			ec.row = row
			if !grouped {
				if err := produce(); err != nil {
					return false, err
				}
				return (stream == nil || !stream.done) && (stopAt < 0 || int64(len(rows)) < stopAt), nil
			}
			key := keyBuf[:0]
			if n.GroupBy != nil {
				ec.clause = "GROUP BY"
				for k, it := range n.GroupBy.Items {
					var v any
					if pos, ok := positionRef(it.Expr); ok && pos >= 1 && pos <= len(fields) {
						var err error
						if v, err = ec.eval(fields[pos-1].expr); err != nil {
							return false, err
						}
					} else if a := aliasRef(it.Expr, fields); a != nil && ti.column(a.Name.Name.O) < 0 {
						idx := aliasIndex(a, fields)
						var err error
						if v, err = ec.eval(fields[idx].expr); err != nil {
							return false, err
						}
					} else if p := gbPos[k]; p >= 0 {
						v = ec.row[p]
					} else {
						var err error
						if v, err = ec.eval(it.Expr); err != nil {
							return false, err
						}
					}
					if groupColls != nil {
						v = collKey(v, groupColls[k])
					}
					key = append(key, v)
				}
			}
			keyBuf = key
			kb = appendGroupKey(kb[:0], key)
			g := groups[string(kb)] // no string allocated for the lookup
			if g == nil {
				k := string(kb)
				g = newGroup(af.aggs)
				g.first = append(engine.Row(nil), row...)
				g.key = append([]any(nil), key...)
				groups[k] = g
				order = append(order, k)
			}
			if ru != nil {
				if err := ru.add(ec, key, row); err != nil {
					return false, err
				}
			}
			return true, g.add(ec)
		}
		if js != nil {
			var p *joinPlan
			if p, err = x.planJoin(js, n.Where); err == nil {
				err = x.runJoin(p, ti, each)
			}
		} else {
			var path *accessPath
			if path, err = x.planAccess(ti, n.Where, hints); err == nil {
				if top != nil && !grouped && wr == nil {
					top.inOrder = x.keysetOrder(ti, path, n.Where, n.OrderBy, fields, hints, offset+count)
				}
				// SELECT only reads, so a full scan streams its rows
				// (readRows) instead of collecting the table first, decodes
				// only the columns the statement names into one reused row
				// (each copies what it keeps: a group's first row), and
				// lets the engine drop rows that a simple WHERE conjunct
				// rejects before they are decoded.
				// The options serve only a full scan: a lookup by key
				// reads a row or a few (most statements a second are
				// those, so the work is not done for them).
				// A walk of a secondary index in ORDER BY order
				// (plan_order.go) takes the ranges too: its lookups and,
				// if it gives up, its pass over the file skip the rows
				// they reject. And once it gives up it hands the rest
				// over as it reads it: the heap then keeps the first
				// rows of the order itself.
				o := engine.ReadOptions{Reuse: true}
				fullScan := path.kind == accessAll && path.scan.Index == ""
				walk := top != nil && top.inOrder && path.index != "PRIMARY"
				if walk {
					o.OrderLost = func() { top.inOrder = false }
				}
				if fullScan || walk {
					var conds []ast.ExprNode
					if n.Where != nil {
						conds = conjuncts(n.Where)
					}
					o.Columns = neededColumns(n, ti.def.Columns)
					o.Ranges = x.scanRanges(tableScope{ti}, conds, 0, len(ti.def.Columns), "WHERE", false)
				}
				err = x.readRows(ti, path, o, func(row engine.Row) error {
					more, err := each(row)
					if err == nil && !more {
						err = errStopJoin
					}
					return err
				})
				if err == errStopJoin {
					err = nil
				}
			}
		}
		if err != nil {
			return Result{}, err
		}
		if grouped {
			if n.GroupBy == nil && len(order) == 0 {
				groups[""] = newGroup(af.aggs)
				order = append(order, "")
			}
			// MariaDB returns groups in GROUP BY order.
			if n.GroupBy != nil {
				sort.SliceStable(order, func(a, b int) bool {
					ka, kb := groups[order[a]].key, groups[order[b]].key
					for i := range ka {
						c := compareForSort(ka[i], kb[i])
						if c != 0 {
							if n.GroupBy.Items[i].Desc {
								return c > 0
							}
							return c < 0
						}
					}
					return false
				})
			}
			for i, k := range order {
				g := groups[k]
				ec.row = g.first
				ec.aggs = g.results(ec)
				if err := produce(); err != nil {
					return Result{}, err
				}
				if ru == nil {
					continue
				}
				var next []any
				if i+1 < len(order) {
					next = groups[order[i+1]].key
				}
				for _, L := range ru.after(g.key, next) {
					rg, row := ru.group(L, g.key)
					ec.row, nullFields = row, ru.nulls[L]
					ec.aggs = rg.results(ec)
					err := emit()
					nullFields = nil
					if err != nil {
						return Result{}, err
					}
				}
			}
		}
	}

	if wr != nil {
		if err := wr.finish(ec, emit); err != nil {
			return Result{}, err
		}
	}
	if top != nil {
		for _, r := range top.sorted() {
			rows = append(rows, outRow{r.vals, r.keys})
		}
	}
	tp := &tk
	if stream != nil {
		tp = stream
	} else {
		tk.out = make([][]any, 0, len(rows))
	}
	if es != nil {
		if err := es.each(tp.take); err != nil {
			return Result{}, err
		}
	}
	var innerOut any // inner of the one row of out, when it came from rows
	for i, r := range rows {
		before := len(tp.out)
		more, _ := tp.take(r.vals)
		if len(tp.out) > before && inners != nil {
			innerOut = inners[i]
		}
		if !more {
			break
		}
	}
	if calc {
		x.calcFound = tp.found
	}
	out := tp.out
	var res Result
	if js != nil {
		res, err = js.finish(ti, fields, out)
	} else {
		res, err = x.finishSelect(ti, fields, out)
	}
	if wr != nil && !grouped && err == nil {
		windowNullable(res.Columns, fields)
	}
	if len(out) == 1 {
		res.inner = innerOut
	}
	return res, err
}

// checkGroupPositions refuses GROUP BY n where n is no position of the
// select list (1054) or that of an aggregate (1056), as MariaDB does
// before reading a row.
func checkGroupPositions(n *ast.SelectStmt, fields []outField) error {
	if n.GroupBy == nil {
		return nil
	}
	for _, it := range n.GroupBy.Items {
		pos, ok := positionRef(it.Expr)
		if !ok {
			continue
		}
		if pos < 1 || pos > len(fields) {
			return errUnknownColumn(sprintf("%d", pos), "GROUP BY")
		}
		if f := fields[pos-1]; f.expr != nil {
			af := &aggFinder{}
			f.expr.Accept(af)
			if len(af.aggs) > 0 {
				return errf(sqlerr.ErrWrongGroupField, "Can't group on '%s'", f.name)
			}
		}
	}
	return nil
}

// positionRef recognises ORDER BY 2 / GROUP BY 2.
func positionRef(e ast.ExprNode) (int, bool) {
	if p, ok := e.(*ast.PositionExpr); ok {
		return p.N, true
	}
	if v, ok := e.(*test_driver.ValueExpr); ok {
		switch n := v.Datum.GetValue().(type) {
		case int64:
			return int(n), true
		case uint64:
			return int(n), true
		}
	}
	return 0, false
}

// aliasRef returns e as a column reference that names a select alias.
func aliasRef(e ast.ExprNode, fields []outField) *ast.ColumnNameExpr {
	c, ok := e.(*ast.ColumnNameExpr)
	if !ok || c.Name.Table.L != "" || aliasIndex(c, fields) < 0 {
		return nil
	}
	return c
}

func aliasIndex(c *ast.ColumnNameExpr, fields []outField) int {
	for i, f := range fields {
		if f.alias != "" && f.alias == c.Name.Name.L {
			return i
		}
	}
	return -1
}

// finishSelect builds the result set's column metadata.
func (x *execCtx) finishSelect(ti *tableInfo, fields []outField, rows [][]any) (Result, error) {
	cols := make([]Column, len(fields))
	for i, f := range fields {
		var sample any
		for _, r := range rows {
			if r[i] != nil {
				sample = r[i]
				break
			}
		}
		if sample == nil && len(rows) == 0 && isConstant(f.expr) {
			// No row to show the type: a constant's own value does
			// (SELECT 2.5 FROM t WHERE FALSE is still DECIMAL(2,1)).
			ec := x.newEval(nil, "SELECT")
			ec.warn = nil
			sample, _ = ec.eval(f.expr)
		}
		cols[i] = exprColumn(ti, f, sample)
		if c, ok := x.subqueryColumn(f); ok {
			cols[i] = c
		}
		if f.col < 0 && cols[i].Type == mysql.TypeNewDecimal && cols[i].decPrec > 0 {
			padDecimals(rows, i, int32(cols[i].Decimals))
		}
		if f.col < 0 {
			widenTemporalDigits(&cols[i], rows, i)
		}
		if f.col < 0 && neverNull(ti, f.expr) && !hasNull(rows, i) {
			// (a NULL shows anyway: a WITH ROLLUP row's)
			cols[i].Flags |= mysql.NotNullFlag
		}
		if _, text := sample.(string); (text || sample == nil && cols[i].textChars > 0) && cols[i].Collation == nil && f.col < 0 {
			// (no row: a string expression's collation all the same)
			ec := x.newEval(ti, "SELECT").collOf(f.expr)
			if !ec.coll.IsBin() {
				cols[i].Collation = ec.coll
			}
			if ec.cs != nil {
				cols[i].csID = ec.cs.ID
			}
			cols[i].collWeak = ec.deriv >= derivCoercible
			cols[i].collExplicit = ec.deriv == derivExplicit
		}
	}
	if rows == nil {
		rows = [][]any{}
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// padDecimals shows the DECIMAL values of column i of rows with scale
// digits, the scale of the expression's type (decExprType), as MariaDB
// does: CASE WHEN c THEN 1.5 ELSE 3.14159 END is 1.50000. A value of
// more digits is left as it is: the type only widens what a value shows.
func padDecimals(rows [][]any, i int, scale int32) {
	for _, r := range rows {
		if d, ok := r[i].(decimal.Decimal); ok && -d.Exponent() < scale {
			r[i] = d.Round(scale)
		}
	}
}

// widenTemporalDigits gives c, a DATETIME or TIME expression column, as
// many fractional digits as the values of column i of rows need, when
// its type (worked out from the expression, or from the first value)
// gives fewer: a value is never shown cut (COALESCE(IFNULL(ts, 'x'), ts)
// whose first row has no fraction still shows 23:59:59.999 in another).
func widenTemporalDigits(c *Column, rows [][]any, i int) {
	text := c.Type == mysql.TypeVarString || c.Type == mysql.TypeString || c.Type == mysql.TypeVarchar
	if !isDatetimeType(c.Type) && c.Type != mysql.TypeDuration && !text || c.Decimals >= 6 {
		return // (text: a string-valued first row, DATETIMEs in others)
	}
	n := int(c.Decimals)
	for _, r := range rows {
		switch v := r[i].(type) {
		case time.Time:
			n = max(n, timeScale(time.Duration(v.Nanosecond())))
		case time.Duration:
			n = max(n, timeScale(v))
		}
	}
	if n > int(c.Decimals) {
		c.Decimals = uint8(n)
		if text {
			return
		}
		if c.Type == mysql.TypeDuration {
			c.Length = uint32(10 + fracLen(n))
		} else {
			c.Length = uint32(19 + fracLen(n))
		}
	}
}

// exprColumn describes an output column: a table column's own metadata,
// else what the expression's kind or its first value says.
func exprColumn(ti *tableInfo, f outField, sample any) Column {
	if f.col >= 0 && ti != nil {
		c := columnFromDef(ti.name, &ti.def.Columns[f.col])
		c.Name = f.name
		return c
	}
	c := columnFromValue(f.name, sample)
	switch c.Type {
	case mysql.TypeLonglong, mysql.TypeNull, mysql.TypeNewDecimal:
		// (an integer or decimal value, or none: a value of another type
		// means the expression is not what these took it for)
		if ie, ok := intInfo(ti, f.expr); ok && !ie.temporal && c.Type != mysql.TypeNewDecimal {
			c.Type, c.Length, c.decPrec = ie.typ, uint32(ie.n), uint8(min(ie.prec(), 255))
			c.Flags &^= mysql.UnsignedFlag
			if ie.unsigned {
				c.Flags |= mysql.UnsignedFlag
			}
		} else if d, ok := decExprType(ti, f.expr); ok {
			// (-dt and COALESCE(u, c) are DECIMALs of integer values)
			decColumnType(&c, d)
		}
	}
	switch e := f.expr.(type) {
	case *ast.FuncCallExpr:
		switch e.FnName.L {
		case "date", "curdate", "current_date", "utc_date", "last_day", "makedate", "from_days", dateLiteralFn:
			c.Type, c.Length = mysql.TypeDate, 10
		case timeLiteralFn:
			// TIME '... .ffffff' too.
			if v, ok := e.Args[0].(*test_driver.ValueExpr); ok && len(e.Args) == 1 && c.Type == mysql.TypeDuration {
				if _, frac, ok := strings.Cut(toString(v.Datum.GetValue()), "."); ok {
					n := min(len(strings.TrimSpace(frac)), 6)
					c.Decimals, c.Length = uint8(n), uint32(10+fracLen(n))
				}
			}
		case timestampLiteralFn:
			// TIMESTAMP '... .ffffff' shows the digits it was written with.
			if v, ok := e.Args[0].(*test_driver.ValueExpr); ok && len(e.Args) == 1 {
				if _, frac, ok := strings.Cut(toString(v.Datum.GetValue()), "."); ok {
					n := min(len(strings.TrimSpace(frac)), 6)
					c.Decimals, c.Length = uint8(n), uint32(20+n)
				}
			}
		case "str_to_date":
			if len(e.Args) == 2 {
				strToDateColumn(&c, e.Args[1])
			}
		case "from_unixtime":
			if len(e.Args) == 1 && c.Type == mysql.TypeDatetime {
				n := fromUnixtimeDecimals(ti, e.Args[0])
				c.Length, c.Decimals = uint32(19+fracLen(n)), uint8(n)
			}
		case "now", "current_timestamp", "sysdate", "localtime", "localtimestamp":
			// NOW(n) shows n fractional digits.
			if len(e.Args) == 1 {
				if v, ok := e.Args[0].(*test_driver.ValueExpr); ok {
					if n := toInt(v.Datum.GetValue()); n > 0 && n <= 6 {
						c.Decimals, c.Length = uint8(n), uint32(20+n)
					}
				}
			}
		}
		if branches, _, ok := resultBranches(e); ok {
			if c.Type == mysql.TypeDatetime && dateOrTextBranches(ti, branches, true) {
				c.Type, c.Length, c.Decimals = mysql.TypeDate, 10, 0
			}
			temporalBranches(ti, &c, branches, sample)
		}
		if e.FnName.L == "timestampadd" && len(e.Args) == 3 {
			if u, ok := e.Args[0].(*ast.TimeUnitExpr); ok && dateOnlyUnit(u.Unit) && isDateExpr(ti, e.Args[2]) {
				c.Type, c.Length = mysql.TypeDate, 10
			}
		}
		if e.FnName.L == "date_add" || e.FnName.L == "date_sub" || e.FnName.L == "adddate" || e.FnName.L == "subdate" {
			if len(e.Args) == 3 {
				if u, ok := e.Args[2].(*ast.TimeUnitExpr); ok && dateOnlyUnit(u.Unit) && dateLikeExpr(ti, e.Args[0]) {
					c.Type, c.Length = mysql.TypeDate, 10
				} else if ok && microUnit(u.Unit) {
					c.Type, c.Length, c.Decimals = mysql.TypeDatetime, 26, 6
				} else if ok && c.Type == mysql.TypeDatetime {
					// DATE_ADD(dt3, INTERVAL 1 DAY) keeps dt3's fraction.
					if a := valueColumn(ti, e.Args[0], sample); isDatetimeType(a.Type) && a.Decimals > 0 {
						c.Length, c.Decimals = uint32(19+fracLen(int(a.Decimals))), a.Decimals
					}
				}
			}
		}
	case *ast.CaseExpr:
		if c.Type == mysql.TypeDatetime && dateOrTextBranches(ti, caseResults(e), true) {
			c.Type, c.Length, c.Decimals = mysql.TypeDate, 10, 0
		}
	case *ast.FuncCastExpr:
		switch e.Tp.GetType() {
		case mysql.TypeFloat:
			c.Type, c.Length, c.Decimals = mysql.TypeFloat, 12, notFixed
		case mysql.TypeDate:
			c.Type, c.Length = mysql.TypeDate, 10
		case mysql.TypeDatetime:
			fsp := min(max(e.Tp.GetDecimal(), 0), 6)
			c.Type, c.Length, c.Decimals = mysql.TypeDatetime, uint32(19+fracLen(fsp)), uint8(fsp)
		case mysql.TypeDuration:
			fsp := min(max(e.Tp.GetDecimal(), 0), 6)
			c.Type, c.Length, c.Decimals = mysql.TypeDuration, uint32(10+fracLen(fsp)), uint8(fsp)
		}
	case *ast.WindowFuncExpr:
		c = windowColumn(ti, e, c)
	case *ast.AggregateFuncExpr:
		if mc, ok := minMaxColumn(ti, e, f.name); ok {
			return mc
		}
		if len(e.Args) == 1 && varianceFuncs[strings.ToLower(e.F)] {
			varianceColumn(ti, &c, e.Args[0])
		}
		if (strings.EqualFold(e.F, ast.AggFuncMin) || strings.EqualFold(e.F, ast.AggFuncMax)) && len(e.Args) == 1 && isDateExpr(ti, e.Args[0]) {
			c.Type, c.Length = mysql.TypeDate, 10
		}
	}
	applyTemporalScale(ti, &c, f.expr) // colmeta_time.go
	if c.Type == mysql.TypeDouble && c.Decimals == notFixed {
		// PI() shows 3.141593, ROUND(x, 2) two digits (branchtype.go).
		if d, ok := doubleDecimals(ti, f.expr); ok && d < notFixed {
			c.Decimals = uint8(d)
		}
	}
	if c.Type == mysql.TypeVarString && c.Flags&mysql.BinaryFlag == 0 || c.Type == mysql.TypeNull {
		if n, ok := exprTextLen(ti, f.expr); ok && (n > 0 || c.Type != mysql.TypeNull) {
			c.textChars = uint32(n) + 1
		}
	}
	return c
}

// fromUnixtimeDecimals is the number of fractional digits of
// FROM_UNIXTIME(e): none for an integer, a DECIMAL's scale (up to 6),
// 6 for a DOUBLE or text, as in MariaDB.
func fromUnixtimeDecimals(ti *tableInfo, e ast.ExprNode) int {
	if ie, ok := intInfo(ti, e); ok && !ie.temporal {
		return 0
	}
	if d, ok := decInfo(ti, e); ok && !isTemporalColumn(ti, e) {
		return min(d.scale, 6)
	}
	return 6
}

// isDatetimeType reports whether t is DATETIME or TIMESTAMP.
func isDatetimeType(t byte) bool { return t == mysql.TypeDatetime || t == mysql.TypeTimestamp }

// temporalBranches gives c, the metadata of a function that returns one
// of branches (IF, IFNULL, COALESCE, GREATEST, LEAST, NULLIF) and whose
// value sample is a DATETIME or a TIME, the fractional digits of its
// branches when all (NULL aside) are of that type, the most of any, as
// MariaDB does: IFNULL(dt3, dt3) shows .000.
func temporalBranches(ti *tableInfo, c *Column, branches []ast.ExprNode, sample any) {
	if c.Type != mysql.TypeDatetime && c.Type != mysql.TypeDuration {
		return
	}
	dec, any := uint8(0), false
	for _, b := range branches {
		if v, ok := unparen(b).(*test_driver.ValueExpr); ok && v.Datum.GetValue() == nil {
			continue
		}
		a := valueColumn(ti, b, sample)
		if a.Type == mysql.TypeDate && isDatetimeType(c.Type) {
			continue // (COALESCE(d, dt3): a DATETIME(3))
		}
		if a.Type != c.Type && !(isDatetimeType(a.Type) && isDatetimeType(c.Type)) {
			return
		}
		dec, any = max(dec, a.Decimals), true
	}
	if !any {
		return
	}
	c.Decimals = dec
	if c.Type == mysql.TypeDuration {
		c.Length = uint32(10 + fracLen(int(dec)))
	} else {
		c.Length = uint32(19 + fracLen(int(dec)))
	}
}

func dateOnlyUnit(u ast.TimeUnitType) bool {
	switch u {
	case ast.TimeUnitDay, ast.TimeUnitWeek, ast.TimeUnitMonth, ast.TimeUnitQuarter, ast.TimeUnitYear, ast.TimeUnitYearMonth:
		return true
	}
	return false
}

// microUnit reports whether an INTERVAL in unit u has microseconds: the
// result of DATE_ADD then shows six fractional digits.
func microUnit(u ast.TimeUnitType) bool {
	switch u {
	case ast.TimeUnitMicrosecond, ast.TimeUnitSecondMicrosecond, ast.TimeUnitMinuteMicrosecond,
		ast.TimeUnitHourMicrosecond, ast.TimeUnitDayMicrosecond:
		return true
	}
	return false
}

// isDateExpr reports whether e yields a DATE (a DATE column or a date
// literal, a function of dates, IF, IFNULL, COALESCE, CASE... whose
// branches all are).
func isDateExpr(ti *tableInfo, e ast.ExprNode) bool {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return isDateExpr(ti, x.Expr)
	case *ast.ColumnNameExpr:
		if ti != nil && ti.join != nil {
			if p := ti.join.position(x.Name, "field list"); p >= 0 {
				return ti.join.columnAt(p).Type == engine.TypeDate
			}
			return false
		}
		if ti != nil {
			if i := ti.column(x.Name.Name.O); i >= 0 {
				return ti.def.Columns[i].Type == engine.TypeDate
			}
		}
	case *ast.CaseExpr:
		return dateBranches(ti, caseResults(x))
	case *test_driver.ValueExpr:
		if s, ok := x.Datum.GetValue().(string); ok {
			return len(strings.TrimSpace(s)) == 10
		}
	case *ast.FuncCastExpr:
		return x.Tp.GetType() == mysql.TypeDate
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "curdate", "current_date", "date", "utc_date", "last_day", "makedate", "from_days", dateLiteralFn:
			return true
		case "str_to_date":
			if len(x.Args) == 2 {
				var c Column
				strToDateColumn(&c, x.Args[1])
				return c.Type == mysql.TypeDate
			}
		case "date_add", "date_sub", "adddate", "subdate":
			// A DATE plus whole days (or weeks, months...) stays a DATE.
			if len(x.Args) == 3 {
				u, ok := x.Args[2].(*ast.TimeUnitExpr)
				return ok && dateOnlyUnit(u.Unit) && isDateExpr(ti, x.Args[0])
			}
		default:
			if branches, _, ok := resultBranches(x); ok {
				return dateBranches(ti, branches)
			}
		}
	}
	return false
}

// dateBranches reports whether a function returning one of branches (IF,
// IFNULL, COALESCE, CASE, GREATEST, LEAST, NULLIF) yields a DATE: all its
// branches but NULL are DATEs, and none is text (a date-shaped string
// beside a DATE makes the result a string).
func dateBranches(ti *tableInfo, branches []ast.ExprNode) bool {
	return dateOrTextBranches(ti, branches, false)
}

// dateOrTextBranches is dateBranches, with text literals allowed beside
// the DATEs when text is set: the result is then a string, but a DATE
// taken shows as a DATE does (COALESCE(d, 'x') shows 2024-01-15).
func dateOrTextBranches(ti *tableInfo, branches []ast.ExprNode, text bool) bool {
	some := false
	for _, b := range branches {
		b = unparen(b)
		if v, ok := b.(*test_driver.ValueExpr); ok {
			if _, isText := v.Datum.GetValue().(string); v.Datum.GetValue() == nil || text && isText {
				continue
			}
			return false
		}
		if !isDateExpr(ti, b) && !(text && dateOrTextExpr(ti, b)) {
			return false
		}
		some = true
	}
	return some
}

// dateOrTextExpr reports whether e shows a DATE it yields as a DATE
// though its result may be a string: a DATE expression, an IF, IFNULL,
// COALESCE, CASE, GREATEST, LEAST or NULLIF of such expressions and text
// literals (dateOrTextBranches), or DATE_ADD of one by days, months or
// years (DATE_ADD(IF(c, '2024-02-29', d), INTERVAL 1 YEAR) shows
// 2025-02-28).
func dateOrTextExpr(ti *tableInfo, e ast.ExprNode) bool {
	if isDateExpr(ti, e) {
		return true
	}
	switch x := unparen(e).(type) {
	case *ast.CaseExpr:
		return dateOrTextBranches(ti, caseResults(x), true)
	case *ast.FuncCallExpr:
		if branches, _, ok := resultBranches(x); ok {
			return dateOrTextBranches(ti, branches, true)
		}
		switch x.FnName.L {
		case "date_add", "date_sub", "adddate", "subdate":
			if len(x.Args) == 3 {
				u, ok := x.Args[2].(*ast.TimeUnitExpr)
				return ok && dateOnlyUnit(u.Unit) && dateLikeExpr(ti, x.Args[0])
			}
		}
	}
	return false
}

// dateLikeExpr reports whether e yields only DATEs, text of a DATE's
// length or NULL: a DATE expression, or an IF, IFNULL, COALESCE, CASE,
// GREATEST, LEAST or NULLIF of such expressions. DATE_ADD reads such
// text as a DATE, and shows its result as one.
func dateLikeExpr(ti *tableInfo, e ast.ExprNode) bool {
	if isDateExpr(ti, e) {
		return true
	}
	var branches []ast.ExprNode
	switch x := unparen(e).(type) {
	case *ast.CaseExpr:
		branches = caseResults(x)
	case *ast.FuncCallExpr:
		branches, _, _ = resultBranches(x)
	}
	some := false
	for _, b := range branches {
		if v, ok := unparen(b).(*test_driver.ValueExpr); ok && v.Datum.GetValue() == nil {
			continue
		}
		if !dateLikeExpr(ti, b) {
			return false
		}
		some = true
	}
	return some
}

// rowTaker applies DISTINCT, then OFFSET, then LIMIT to a SELECT's output
// rows, in order, and keeps those it takes in out, or gives them to sink.
type rowTaker struct {
	count, skip int64 // the LIMIT (< 0: none), the OFFSET rows left to skip
	calc        bool  // SQL_CALC_FOUND_ROWS: read and count past the LIMIT
	distinct    bool
	fieldColls  []*collate.Collation // DISTINCT compares text by these
	seen        map[string]bool      // DISTINCT: the rows seen
	found       int64                // the rows counted (SQL_CALC_FOUND_ROWS)
	n           int64                // the rows taken
	out         [][]any
	sink        *fileSink
	colsOf      func(row []any) ([]Column, error) // the result's columns, for sink
	done        bool                              // (sink) it has all the rows it takes
}

// take takes one row and reports whether more rows are wanted.
func (t *rowTaker) take(vals []any) (bool, error) {
	if t.count >= 0 && t.n >= t.count && !t.calc {
		return false, nil
	}
	if t.distinct {
		if t.seen == nil {
			t.seen = map[string]bool{}
		}
		k := groupKey(collKeys(vals, t.fieldColls))
		if t.seen[k] {
			return true, nil
		}
		t.seen[k] = true
	}
	t.found++
	if t.skip > 0 {
		t.skip--
		return true, nil
	}
	if t.count < 0 || t.n < t.count {
		t.n++
		if t.sink != nil {
			if err := t.sink.row(vals, t.colsOf); err != nil {
				return false, err
			}
		} else {
			t.out = append(t.out, vals)
		}
	}
	return t.calc || t.count < 0 || t.n < t.count, nil
}
