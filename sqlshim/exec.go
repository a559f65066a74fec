package sqlshim

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// execCtx is the state of one statement's execution.
type execCtx struct {
	s      *Session
	ctx    context.Context
	tx     *engine.Tx // nil for DDL
	params []any
	now    time.Time

	// Subqueries (exec_subquery.go): the statement's shared state, the
	// enclosing query's evaluation context and this subquery's frame.
	subq  *subqState
	outer *evalCtx
	frame *subqFrame

	// showRes is the rows of a SHOW whose WHERE is being applied (see
	// filterShow).
	showRes *Result

	// How a writing statement converts values (see coerce). loose: MySQL's
	// non-strict rules (engine.CoerceLoose: clip, cut, warn), for INSERT and
	// UPDATE IGNORE, LOAD DATA LOCAL or IGNORE, and a sql_mode without
	// STRICT_*. nullDefault: NULL into a NOT NULL column stores the type's
	// implicit default with warning 1048 instead of failing.
	loose, nullDefault bool
	// lastRow is the row the last written or ON DUPLICATE KEY UPDATE
	// found row ended as (set by returned, returning.go): INSERT reads
	// its AUTO_INCREMENT value for the OK packet.
	lastRow engine.Row
	// lastIDArg: LAST_INSERT_ID(expr) ran in the statement. As in
	// MariaDB, an INSERT that generated no value and an UPDATE then report
	// that value as the OK packet's insert id (the idiom ON DUPLICATE KEY
	// UPDATE id = LAST_INSERT_ID(id) reads the upserted row's id so).
	lastIDArg bool
	// noDefaultWarned: the columns defaultFor has warned about (1364).
	noDefaultWarned map[string]bool
	// calcFound is what SELECT SQL_CALC_FOUND_ROWS counted without its
	// LIMIT (for FOUND_ROWS()), -1 when the statement did not ask.
	calcFound int64
	// text is the statement's text, as SHOW PROCESSLIST shows it.
	text string
	// inLists: long constant IN lists evaluated for the statement
	// (inlist.go); nil entries are lists that are not constant.
	inLists map[*ast.PatternInExpr]*inList
	// view: the views the statement is expanding (view.go); nil if none.
	view *viewRun
	// ret collects the rows written under RETURNING (returning.go); nil
	// otherwise.
	ret *returnCapture
	// colls caches the collation of expressions (collation_expr.go).
	colls map[ast.ExprNode]exprColl
	// keepInner: this SELECT is a subquery, whose one value may be used as
	// a scalar: a quotient keeps its inner digits in Result.inner.
	keepInner bool
	// storeInner: this SELECT feeds INSERT ... SELECT, whose select list
	// gives a quotient with its inner digits, as MariaDB stores it
	// (exact.go storedValue). Only the top SELECT: selectStmt clears it
	// before running anything nested.
	storeInner bool
	// sink: this SELECT's rows go to the sink as they are produced
	// instead of into Result.Rows (SELECT ... INTO OUTFILE, outfile.go).
	// Only the top SELECT: selectStmt clears it before running anything
	// nested; one that cannot stream leaves it unused and returns its rows.
	sink *fileSink
	// rands: the sequences of the statement's RAND(N) calls with a
	// constant seed (funcs_rand.go).
	rands map[*ast.FuncCallExpr]*seededRand
	// branchTypes: the one type of the branches of each IF, IFNULL,
	// COALESCE and CASE the statement evaluated (branchtype.go).
	branchTypes map[ast.ExprNode]numType
	// recFrames: the working tables of the recursive CTEs whose
	// iterations are running, innermost last (cte_recursive.go).
	recFrames []*recFrame
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func (x *execCtx) newEval(ti *tableInfo, clause string) *evalCtx {
	if x.s.warnFn == nil {
		x.s.warnFn = x.s.addWarning // one method value per session, not per evaluation
	}
	return &evalCtx{s: x.s, ti: ti, params: x.params, clause: clause, now: x.now, warn: x.s.warnFn, x: x, outer: x.outer}
}

// table returns the definition of the table n names.
func (x *execCtx) table(n *ast.TableName, alias string) (*tableInfo, error) {
	def, err := x.tableDef(n, false)
	if err != nil {
		return nil, err
	}
	return newTableInfo(def, alias), nil
}

// tableDef looks up the table n names in the session's database: the
// engine's shared definition (read-only) if shared, else a copy.
func (x *execCtx) tableDef(n *ast.TableName, shared bool) (*engine.TableDef, error) {
	if isInfoSchema(n) {
		// Reads of its views go through the FROM clause (infoschema.go):
		// what arrives here is a write, DDL or a table-only statement.
		return nil, errInfoSchemaDenied()
	}
	if n.Schema.L != "" && n.Schema.L != strings.ToLower(x.s.DBName) {
		return nil, errNoTable(n.Schema.O, n.Name.O)
	}
	db := x.s.owner(n.Name.O)
	get := db.Table
	if shared {
		get = db.TableShared
	}
	def, err := get(n.Name.O)
	if err != nil {
		if sqlerr.Code(err) == sqlerr.ErrNoSuchTable {
			return nil, errNoTable(x.s.DBName, n.Name.O)
		}
		return nil, err
	}
	return def, nil
}

// tableRead is table for statements that only read the definition (the
// SELECT and DML of one table, the tables of a join): it takes the
// engine's shared definition instead of a copy and reuses the column
// lookup built for it, so a point query pays for neither. The caller must
// not modify ti.def.
func (x *execCtx) tableRead(n *ast.TableName, alias string) (*tableInfo, error) {
	def, err := x.tableDef(n, true)
	if err != nil {
		return nil, err
	}
	cols, ok := x.s.colMaps[def]
	if !ok {
		if x.s.colMaps == nil || len(x.s.colMaps) >= 256 {
			x.s.colMaps = map[*engine.TableDef]map[string]int{}
		}
		cols = newTableInfo(def, "").cols
		x.s.colMaps[def] = cols
	}
	ti := &tableInfo{name: def.Name, alias: alias, def: def, cols: cols}
	if ti.alias == "" {
		ti.alias = def.Name
	}
	return ti, nil
}

// singleTable returns the one table of a FROM clause with its index
// hints. Joins and derived tables are not supported.
func (x *execCtx) singleTable(refs *ast.TableRefsClause) (*tableInfo, []*ast.IndexHint, error) {
	if refs == nil || refs.TableRefs == nil {
		return nil, nil, nil
	}
	j := refs.TableRefs
	if j.Right != nil {
		return nil, nil, errNotSupported("joins")
	}
	ts, ok := j.Left.(*ast.TableSource)
	if !ok {
		if _, isJoin := j.Left.(*ast.Join); isJoin {
			return nil, nil, errNotSupported("joins")
		}
		return nil, nil, errNotSupported("subqueries")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, nil, errNotSupported("subqueries")
	}
	ti, err := x.tableRead(tn, ts.AsName.O)
	if err != nil {
		return nil, nil, err
	}
	return ti, tn.IndexHints, nil
}

// dml runs the statements that read or write rows in a transaction.
func (x *execCtx) dml(n ast.StmtNode) (Result, error) {
	switch st := n.(type) {
	case *ast.SelectStmt:
		return x.selectStmt(st)
	case *ast.InsertStmt:
		return x.insert(st)
	case *ast.UpdateStmt:
		return x.update(st)
	case *ast.DeleteStmt:
		return x.delete(st)
	case *ast.LoadDataStmt:
		return x.loadData(st)
	case *ast.ShowStmt:
		return x.show(st)
	case *ast.ExplainStmt:
		return x.explain(st)
	case *ast.SetOprStmt:
		return x.union(st)
	case *ast.AnalyzeTableStmt:
		return x.analyze(st)
	case *ast.DoStmt:
		return x.doStmt(st) // exec_flush.go
	}
	return Result{}, errNotSupported(stmtName(n))
}

// stmtName names a statement blitz does not run for error 1235 in SQL's
// words: *ast.CreateSequenceStmt is "CREATE SEQUENCE", *ast.GrantStmt
// "GRANT".
func stmtName(n ast.StmtNode) string {
	if _, ok := n.(*ast.SetPwdStmt); ok {
		return "SET PASSWORD" // not "SET PWD"
	}
	name := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."), "Stmt")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// matchedRow is a row that satisfied WHERE.
type matchedRow struct {
	h   engine.Handle
	row engine.Row
}

// matchRows reads the rows of ti that satisfy where, in ORDER BY order if
// given, at most limit of them (limit < 0: all). UPDATE and DELETE use it
// to find their rows before changing any.
func (x *execCtx) matchRows(ti *tableInfo, hints []*ast.IndexHint, where ast.ExprNode, order *ast.OrderByClause, limit int64) ([]matchedRow, error) {
	path, err := x.planAccess(ti, where, hints)
	if err != nil {
		return nil, err
	}
	if err := x.checkSafeUpdate(path, limit); err != nil { // safeupdates.go
		return nil, err
	}
	// ORDER BY the primary key LIMIT n: the rows come in that order
	// (plan_keyset.go), so the first n that pass WHERE are the ones.
	inOrder := order != nil && limit > 0 && x.keysetOrder(ti, path, where, order, nil, hints, limit)
	ec := x.newEval(ti, "WHERE")
	var rows []matchedRow
	// A walk of a secondary index that gives up hands the rest over
	// unordered (engine.ReadOptions.OrderLost): then every row is read
	// and sorted below.
	read := x.scanRows
	if inOrder && path.index != "PRIMARY" {
		o := engine.ReadOptions{OrderLost: func() { inOrder = false }}
		read = func(ti *tableInfo, p *accessPath, fn func(engine.Handle, engine.Row) (bool, error)) error {
			return x.readRowsH(ti, p, o, fn)
		}
	}
	err = read(ti, path, func(h engine.Handle, row engine.Row) (bool, error) {
		if where != nil {
			ec.row = row
			v, err := ec.eval(where)
			if err != nil {
				return false, err
			}
			if b, _ := truthy(v); !b {
				return true, nil
			}
		}
		rows = append(rows, matchedRow{h, row})
		return order != nil && !inOrder || limit < 0 || int64(len(rows)) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	if order != nil {
		oc := x.newEval(ti, "ORDER BY")
		colls := byColls(oc, order.Items, nil, ti)
		keys := make([][]any, len(rows))
		for i, r := range rows {
			oc.row = r.row
			for k, it := range order.Items {
				v, err := oc.eval(it.Expr)
				if err != nil {
					return nil, err
				}
				if colls != nil {
					v = collKey(v, colls[k])
				}
				keys[i] = append(keys[i], v)
			}
		}
		idx := make([]int, len(rows))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool {
			return lessKeys(keys[idx[a]], keys[idx[b]], order.Items)
		})
		sorted := make([]matchedRow, len(rows))
		for i, j := range idx {
			sorted[i] = rows[j]
		}
		rows = sorted
		if limit >= 0 && int64(len(rows)) > limit {
			rows = rows[:limit]
		}
	}
	return rows, nil
}

// lessKeys orders two sort keys by the ORDER BY items' directions.
func lessKeys(a, b []any, items []*ast.ByItem) bool {
	for i, it := range items {
		c := compareForSort(a[i], b[i])
		if c == 0 {
			continue
		}
		if it.Desc {
			return c > 0
		}
		return c < 0
	}
	return false
}

// limitValues evaluates LIMIT count [OFFSET n]; count < 0 means none.
func (x *execCtx) limitValues(l *ast.Limit) (count, offset int64, err error) {
	if l == nil {
		return -1, 0, nil
	}
	ec := x.newEval(nil, "LIMIT")
	// LIMIT takes unsigned 64-bit counts; 18446744073709551615 is the
	// documented "to the end", and anything past an int64 is as good.
	limitInt := func(v any) int64 {
		const most = math.MaxInt64 / 4 // offset + count must not overflow
		if u, ok := v.(uint64); ok && u > most {
			return most
		}
		return min(toInt(v), most)
	}
	if l.Count != nil {
		v, err := ec.eval(l.Count)
		if err != nil {
			return 0, 0, err
		}
		count = limitInt(v)
	}
	if l.Offset != nil {
		v, err := ec.eval(l.Offset)
		if err != nil {
			return 0, 0, err
		}
		offset = limitInt(v)
	}
	if count < 0 || offset < 0 {
		return 0, 0, errf(sqlerr.ErrWrongArguments, "Incorrect arguments to LIMIT")
	}
	return count, offset, nil
}

// engineOption checks the ENGINE = name of a CREATE or ALTER TABLE of
// table: BLITZDB (or nothing) is blitz's only engine, and it reports
// whether the name asks for a CRASH_SAFE table.
//
// InnoDB (and its old name XtraDB), which ORMs and dumps write, is taken
// under any sql_mode as a BLITZDB CRASH_SAFE table, with Note 1266 saying
// so: InnoDB is durable and transactional, and its users expect committed
// rows to survive a crash. Another name is error 1286 while sql_mode has
// NO_ENGINE_SUBSTITUTION (the default); without it, as MariaDB does, the
// table gets plain BLITZDB and warning 1266 says so.
//
// For an ALTER TABLE, current is the table's definition: blitz cannot
// switch crash-safety on an existing table, so ENGINE=InnoDB leaves it as
// it is and the note names what the table stays.
func (x *execCtx) engineOption(opts []*ast.TableOption, table string, current *engine.TableDef) (crashSafe bool, err error) {
	for _, o := range opts {
		if o.Tp != ast.TableOptionEngine || o.StrValue == "" || strings.EqualFold(o.StrValue, "blitzdb") {
			continue
		}
		if strings.EqualFold(o.StrValue, "innodb") || strings.EqualFold(o.StrValue, "xtradb") {
			crashSafe = current == nil || current.CrashSafe
			if crashSafe {
				x.s.addNote(sqlerr.ErrUsingOtherHandler, "Using storage engine BLITZDB, CRASH_SAFE for table '%s'", table)
			} else {
				x.s.addNote(sqlerr.ErrUsingOtherHandler, "Using storage engine BLITZDB for table '%s'", table)
			}
			continue
		}
		if x.s.sqlMode.has(modeNoEngineSubstitution) {
			return false, errf(sqlerr.ErrUnknownStorage, "Unknown storage engine '%s'", o.StrValue)
		}
		x.s.addWarning(sqlerr.ErrUsingOtherHandler, "Using storage engine BLITZDB for table '%s'", table)
	}
	return crashSafe, nil
}

// set accepts the SET statements clients send on connect (names,
// sql_mode) and ignores them. SET autocommit = 0 turns on implicit
// transactions (Session.noAutocommit); = 1 commits the open one and turns
// them off.
// SET blitz_memory_budget sets the session's memory budget (membudget.go).
func (x *execCtx) set(n *ast.SetStmt) (Result, error) {
	for _, v := range n.Variables {
		if v.Name == ast.SetNames || v.Name == ast.SetCharset {
			if _, err := x.setExternalVar(v); err != nil {
				return Result{}, err // SET NAMES, SET CHARACTER SET (sysvars.go)
			}
			continue
		}
		if !v.IsSystem {
			// The variable keeps a quotient's inner digits (exact.go).
			ec := x.newEval(nil, "field list")
			val, _, err := ec.exactOperand(v.Value)
			if err != nil {
				return Result{}, err
			}
			if err := x.s.setUserVar(v.Name, val, ec.collOf(v.Value).coll); err != nil {
				return Result{}, err
			}
			continue
		}
		if strings.EqualFold(v.Name, "sql_mode") && !v.IsGlobal {
			if _, ok := v.Value.(*ast.DefaultExpr); ok || v.Value == nil {
				x.s.setSQLMode(defaultSQLMode)
				continue
			}
			val, err := x.newEval(nil, "field list").eval(v.Value)
			if err != nil {
				return Result{}, err
			}
			if val == nil {
				return Result{}, errf(sqlerr.ErrWrongValueForVar, "Variable 'sql_mode' can't be set to the value of 'NULL'")
			}
			mode, err := parseSQLMode(val)
			if err != nil {
				return Result{}, err
			}
			x.s.setSQLMode(mode)
			continue
		}
		if strings.EqualFold(v.Name, "time_zone") {
			if err := x.setTimeZone(v); err != nil { // timezone.go
				return Result{}, err
			}
			continue
		}
		if v.IsSystem && strings.EqualFold(v.Name, selectLimitVar) {
			if err := x.setSelectLimit(v); err != nil { // selectlimit.go
				return Result{}, err
			}
			continue
		}
		if v.IsSystem && strings.EqualFold(v.Name, maxRecursiveIterationsVar) {
			if err := x.setMaxRecursiveIterations(v); err != nil {
				return Result{}, err
			}
			continue
		}
		if v.IsSystem && strings.EqualFold(v.Name, memoryBudgetVar) {
			if err := x.setMemoryBudget(v); err != nil {
				return Result{}, err
			}
			continue
		}
		if strings.EqualFold(v.Name, "sql_notes") && !v.IsGlobal {
			on, err := x.boolVarValue(v, "sql_notes") // foreignkey.go
			if err != nil {
				return Result{}, err
			}
			x.s.noNotes = !on
			continue
		}
		if err := checkInstanceVarSet(v.Name); err != nil { // sysvars.go
			return Result{}, err
		}
		if strings.EqualFold(v.Name, safeUpdatesVar) && !v.IsGlobal {
			if err := x.setSafeUpdates(v); err != nil { // safeupdates.go
				return Result{}, err
			}
			continue
		}
		if strings.EqualFold(v.Name, fkCheckVar) && !v.IsGlobal {
			if err := x.setFKChecks(v); err != nil { // foreignkey.go
				return Result{}, err
			}
			continue
		}
		if strings.EqualFold(v.Name, "autocommit") && v.Value != nil {
			val, err := x.newEval(nil, "field list").eval(v.Value)
			if err != nil {
				return Result{}, err
			}
			on, ok := truthy(val)
			if str, isStr := val.(string); isStr {
				on, ok = strings.EqualFold(str, "on"), strings.EqualFold(str, "on") || strings.EqualFold(str, "off")
			}
			if !ok || val == nil {
				return Result{}, errf(sqlerr.ErrWrongValueForVar, "Variable 'autocommit' can't be set to the value of '%s'", toString(val))
			}
			if on && x.s.noAutocommit {
				// Turning autocommit on commits the open transaction.
				if err := x.s.commitLocked(); err != nil {
					return Result{}, err
				}
			}
			x.s.noAutocommit = !on
			continue
		}
		if name := strings.ToLower(v.Name); txCharVar(name) || name == txReadOnlyOneShot {
			if err := x.setTxChar(v); err != nil { // txchars.go
				return Result{}, err
			}
			continue
		}
		if handled, err := x.setExternalVar(v); err != nil || handled {
			if err != nil {
				return Result{}, err // a server's variable (sysvars.go)
			}
			continue
		}
		if _, err := x.setConnVar(v); err != nil {
			return Result{}, err // collation_connection without a server (conncoll.go)
		}
	}
	return Result{}, nil
}
