package sqlshim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// CHECK constraints, as MariaDB 10.11 enforces them. A column-level check
// (c INT CHECK (c > 0)) is named after its column, and its failure names
// it table.column; a table-level one (CONSTRAINT name CHECK (...), or
// CHECK (...) named CONSTRAINT_1, CONSTRAINT_2, ...) is named as it is. A
// written row (INSERT, UPDATE, REPLACE, LOAD DATA, ON DUPLICATE KEY
// UPDATE) whose condition is false is refused with error 4025; a NULL
// condition passes; IGNORE turns the error into a warning and skips the
// row. ALTER TABLE ADD CONSTRAINT ... CHECK first checks the rows there.
//
// The condition is kept in the table's definition (engine.CheckDef) as
// MariaDB prints it (SHOW CREATE TABLE, information_schema), and parsed
// again from that text when a table's rows are written (parsed once per
// text: checkExprs).

// Error codes of CHECK definitions.
const (
	errDupConstraintName = 1826 // Duplicate CHECK constraint name '%s'
	errBadCheckFunction  = 1901 // Function or expression '%s' cannot be used in the CHECK clause of %s
	errCheckSubquery     = 1970 // CHECK does not support subqueries or stored functions (42000)
)

const (
	checkConstraintPrefix = "CONSTRAINT_" // of the names of unnamed table-level checks
	checkClause           = "CHECK"       // the clause errors name (1054: Unknown column 'x' in 'CHECK')
	checkExprsMax         = 4096          // parsed conditions kept before checkExprs starts again
)

// uncheckable are the functions MariaDB refuses in a CHECK condition:
// their result depends on something other than the row (the time, the
// session, chance). UNIX_TIMESTAMP(x) of a value is allowed.
var uncheckable = map[string]bool{
	"rand": true, "uuid": true, "uuid_short": true, "sys_guid": true,
	"now": true, "current_timestamp": true, "localtime": true, "localtimestamp": true, "sysdate": true,
	"curdate": true, "current_date": true, "curtime": true, "current_time": true,
	"utc_date": true, "utc_time": true, "utc_timestamp": true, "unix_timestamp": true,
	"connection_id": true, "user": true, "current_user": true, "current_role": true, "session_user": true, "system_user": true,
	"database": true, "schema": true, "last_insert_id": true, "found_rows": true, "row_count": true,
	"sleep": true, "benchmark": true, "get_lock": true, "release_lock": true, "is_free_lock": true,
	"is_used_lock": true, "load_file": true, "version": true, "nextval": true, "lastval": true, "setval": true,
}

// checkExprs holds each condition text parsed, shared by all sessions:
// the trees are only read after parsing.
var checkExprs struct {
	sync.Mutex // protects following fields
	p          *parser.Parser
	m          map[string]ast.ExprNode
}

// checkExpr returns the condition text as a tree, parsed once per text.
func checkExpr(text string) (ast.ExprNode, error) {
	checkExprs.Lock()
	defer checkExprs.Unlock()
	if e, ok := checkExprs.m[text]; ok {
		return e, nil
	}
	if checkExprs.p == nil || len(checkExprs.m) >= checkExprsMax {
		checkExprs.p, checkExprs.m = parser.New(), map[string]ast.ExprNode{}
	}
	st, err := checkExprs.p.ParseOneStmt("SELECT "+text, "", "")
	sel, ok := st.(*ast.SelectStmt)
	if err != nil || !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		return nil, fmt.Errorf("blitz: stored CHECK condition %q does not parse: %v", text, err)
	}
	e := sel.Fields.Fields[0].Expr
	checkExprs.m[text] = e
	return e, nil
}

// checkShownName is the constraint's name as its failure gives it:
// table.column for a column-level check.
func checkShownName(table string, ck *engine.CheckDef) string {
	if ck.Column != "" {
		return table + "." + ck.Name
	}
	return ck.Name
}

// checkRow evaluates ti's CHECK constraints on row, a row about to be
// written: error 4025 naming the first whose condition is false.
func (x *execCtx) checkRow(ti *tableInfo, row engine.Row) error {
	if len(ti.def.Checks) == 0 {
		return nil
	}
	ec := x.newEval(ti, checkClause)
	ec.row, ec.defn = row, true
	for i := range ti.def.Checks {
		ck := &ti.def.Checks[i]
		e, err := checkExpr(ck.Expr)
		if err != nil {
			return err
		}
		v, err := ec.eval(e)
		if err != nil {
			return err
		}
		if v == nil {
			continue
		}
		if ok, _ := truthy(v); !ok {
			return checkFailure{newErr(sqlerr.ErrConstraintFailed, "CONSTRAINT `%s` failed for %s.%s",
				checkShownName(ti.def.Name, ck), quoteIdent(x.s.DBName), quoteIdent(ti.def.Name))}
		}
	}
	return nil
}

// checkFailure is error 4025 from a CHECK constraint, which IGNORE turns
// into a warning that skips the row (see ignorable). A JSON column's
// check fails with a plain 4025, which MariaDB keeps an error even under
// IGNORE.
type checkFailure struct{ e *sqlerr.Error }

func (c checkFailure) Error() string { return c.e.Error() }
func (c checkFailure) Unwrap() error { return c.e }

// isCheckFailure reports whether err is a CHECK constraint's 4025.
func isCheckFailure(err error) bool {
	var c checkFailure
	return errors.As(err, &c)
}

// newCheck validates the condition e of a CHECK constraint named name
// (column: the column of a column-level check, else "") on the columns
// of def, and returns it in MariaDB's printed form.
func (x *execCtx) newCheck(def *engine.TableDef, name, column string, e ast.ExprNode) (engine.CheckDef, error) {
	ck := engine.CheckDef{Name: name, Column: column}
	v := &checkValidator{ti: newTableInfo(def, "")}
	e.Accept(v)
	if v.err != nil {
		return ck, v.err
	}
	if v.badFunc != nil {
		return ck, errf(errBadCheckFunction, "Function or expression '%s' cannot be used in the CHECK clause of %s", refusedText(v.badFunc), quoteIdent(name))
	}
	p := &viewPrinter{x: x, check: true}
	if err := p.expr(e, 0); err != nil {
		return ck, errNotSupported("this CHECK condition")
	}
	ck.Expr = p.b.String()
	if _, err := checkExpr(ck.Expr); err != nil {
		return ck, errNotSupported("this CHECK condition")
	}
	return ck, nil
}

// checkValidator finds what a CHECK condition may not hold: a column the
// table does not have (1054), a subquery (1970), a function whose result
// is not the row's (1901).
type checkValidator struct {
	ti      *tableInfo
	err     error
	badFunc ast.ExprNode
}

func (v *checkValidator) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil || v.badFunc != nil {
		return n, true
	}
	switch e := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr:
		err := newErr(errCheckSubquery, "CHECK does not support subqueries or stored functions")
		err.State = "42000"
		v.err = err
		return n, true
	case *ast.ColumnNameExpr:
		c := e.Name
		if c.Schema.L != "" || (c.Table.L != "" && !strings.EqualFold(c.Table.O, v.ti.def.Name)) || v.ti.column(c.Name.O) < 0 {
			v.err = errUnknownColumn(columnText(c), checkClause)
		}
		return n, true
	case *ast.FuncCallExpr:
		if uncheckable[e.FnName.L] && !(e.FnName.L == "unix_timestamp" && len(e.Args) > 0) {
			v.badFunc = e
			return n, true
		}
	case *ast.VariableExpr, *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
		v.badFunc = e.(ast.ExprNode)
		return n, true
	}
	return n, false
}

func (v *checkValidator) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// refusedText names e, a function or variable a CHECK may not use, as
// MariaDB's error 1901 does: name() without the arguments, @var, @@var.
func refusedText(e ast.ExprNode) string {
	switch f := e.(type) {
	case *ast.FuncCallExpr:
		name := f.FnName.L
		if n, ok := functionNames[name]; ok {
			name = n
		}
		return name + "()"
	case *ast.VariableExpr:
		if f.IsSystem {
			return "@@" + f.Name
		}
		return "@" + f.Name
	case *ast.AggregateFuncExpr:
		return strings.ToLower(f.F) + "()"
	case *ast.WindowFuncExpr:
		return strings.ToLower(f.Name) + "()"
	}
	return "?"
}

// checkName is the name a table-level CHECK without one gets: the first
// CONSTRAINT_<n> no constraint of def has.
func checkName(def *engine.TableDef) string {
	for n := 1; ; n++ {
		name := fmt.Sprintf("%s%d", checkConstraintPrefix, n)
		if checkIndex(def, name, false) < 0 {
			return name
		}
	}
}

// checkIndex is the position in def.Checks of the constraint named name
// (case-insensitive; tableOnly: table-level ones only), or -1.
func checkIndex(def *engine.TableDef, name string, tableOnly bool) int {
	for i, ck := range def.Checks {
		if strings.EqualFold(ck.Name, name) && (!tableOnly || ck.Column == "") {
			return i
		}
	}
	return -1
}

// addCheck adds to def the table-level CHECK constraint c (named as
// given, or CONSTRAINT_<n>): 1826 if def has a constraint of that name,
// a column's check (named after its column) included, as in MariaDB.
func (x *execCtx) addCheck(def *engine.TableDef, c *ast.Constraint) error {
	name := c.Name
	if name == "" {
		name = checkName(def)
	} else if checkIndex(def, name, false) >= 0 { // a column's check has its column's name
		return errf(errDupConstraintName, "Duplicate CHECK constraint name '%s'", name)
	}
	ck, err := x.newCheck(def, name, "", c.Expr)
	if err != nil {
		return err
	}
	def.Checks = append(def.Checks, ck)
	return nil
}

// addColumnChecks adds to def the column-level CHECK constraints of the
// column definitions cds (their columns already in def).
func (x *execCtx) addColumnChecks(def *engine.TableDef, cds []*ast.ColumnDef) error {
	for _, cd := range cds {
		for _, o := range cd.Options {
			if o.Tp != ast.ColumnOptionCheck {
				continue
			}
			i := def.ColumnIndex(cd.Name.Name.O)
			if i < 0 || isOwnJSONCheck(&def.Columns[i], o.Expr) {
				continue // a JSON column's own check (funcs_json.go)
			}
			name := def.Columns[i].Name
			ck, err := x.newCheck(def, name, name, o.Expr)
			if err != nil {
				return err
			}
			if j := checkIndex(def, name, false); j >= 0 && def.Checks[j].Column != "" {
				def.Checks[j] = ck // MariaDB keeps one check per column: the last
				continue
			}
			def.Checks = append(def.Checks, ck)
		}
	}
	return nil
}

// checkExisting runs def's constraints on the rows ti has (ALTER TABLE
// ADD CONSTRAINT ... CHECK): 4025 for the first row that fails.
func (x *execCtx) checkExisting(ti *tableInfo, def *engine.TableDef) error {
	nti := newTableInfo(def, "")
	_, err := x.s.autocommit(x, func() (Result, error) {
		return Result{}, x.tx.Scan(ti.name, engine.Scan{}, func(_ engine.Handle, row engine.Row) (bool, error) {
			return true, x.checkRow(nti, row)
		})
	})
	return err
}

// checkConverted checks each row of ti as the change cc leaves it, before
// the change (alterFolded): against the CHECK constraints of cc's
// definition when checks is set (checkExisting of an ALTER TABLE that
// changes columns too), and against the foreign keys cc adds
// (addForeignKeyIn) while the session checks foreign keys. The values of
// computed columns are computed first, as the change will give them
// (recomputeAltered), so that a constraint on a column the change adds
// with them is checked too. A row the change cannot convert fails the
// change itself, with the engine's error; one whose computed value fails
// fails it here, before anything changed. A failed CHECK names the table
// newName when the change renames it (RENAME TO), as MariaDB does; ""
// keeps ti's name.
func (x *execCtx) checkConverted(ti *tableInfo, cc *colChange, checks bool, newName string) error {
	var fks []*engine.ForeignKeyDef
	if x.s.fkChecks() {
		for i := range cc.def.ForeignKeys {
			if slices.Contains(cc.addedFKs, cc.def.ForeignKeys[i].Name) {
				fks = append(fks, &cc.def.ForeignKeys[i])
			}
		}
	}
	if !checks && len(fks) == 0 {
		return nil
	}
	nti := newTableInfo(cc.def, "")
	if newName != "" {
		renamed := *cc.def
		renamed.Name = newName
		nti = newTableInfo(&renamed, "")
	}
	computed := hasColumnExprs(cc.def)
	newDefault := make([]bool, len(cc.def.Columns))
	for i, f := range cc.from {
		newDefault[i] = f < 0 && cc.def.Columns[i].DefaultExpr != ""
	}
	n := 0
	_, err := x.s.autocommit(x, func() (Result, error) {
		if len(fks) > 0 {
			// The rows stay as they are while the referenced tables are
			// read (CheckReference takes their locks).
			if err := x.tx.LockForWrite(ti.name); err != nil {
				return Result{}, err
			}
		}
		return Result{}, x.tx.Scan(ti.name, engine.Scan{}, func(_ engine.Handle, row engine.Row) (bool, error) {
			n++
			nr, err := engine.ConvertRow(row, ti.def, cc.def, cc.from, x.s.tz.off, n)
			if err != nil {
				return false, nil // AlterColumns says so
			}
			if computed {
				// As recomputeRows computes them: from the row as the
				// session reads it.
				shifted := append(engine.Row(nil), nr...)
				x.shiftRead(cc.def, shifted)
				for i, nd := range newDefault {
					if nd {
						shifted[i] = pendingDefault{}
					}
				}
				if err := x.computeColumns(nti, shifted, n); err != nil {
					return false, err
				}
				for i := range cc.def.Columns {
					if c := &cc.def.Columns[i]; c.Generated != "" || newDefault[i] {
						nr[i] = shifted[i]
					}
				}
			}
			if checks {
				if err := x.checkRow(nti, nr); err != nil {
					return false, err
				}
			}
			for _, fk := range fks {
				if err := x.tx.CheckReference(cc.def, fk, nr); err != nil {
					return false, err
				}
			}
			return true, nil
		})
	})
	return err
}

// alterAddCheck is ALTER TABLE ... ADD [CONSTRAINT name] CHECK (...).
func (x *execCtx) alterAddCheck(ti *tableInfo, c *ast.Constraint) error {
	cc := newColChange(ti.def)
	if err := x.addCheck(cc.def, c); err != nil {
		return err
	}
	if err := x.checkExisting(ti, cc.def); err != nil {
		return err
	}
	cc.dirty = true
	return x.applyColChange(ti, cc)
}

// alterDropConstraint is ALTER TABLE t ... DROP CONSTRAINT name: a
// table-level check or, as in MariaDB, a unique key of that name (a
// column's check cannot be dropped by name: 1091).
func (x *execCtx) alterDropConstraint(ti *tableInfo, t *ast.TableName, name string) error {
	i := checkIndex(ti.def, name, true)
	if i < 0 {
		for _, ix := range ti.def.Indexes {
			if ix.Unique && strings.EqualFold(ix.Name, name) {
				_, err := x.dropIndex(t, name, false)
				return err
			}
		}
		return errf(sqlerr.ErrCantDropKey, "Can't DROP CONSTRAINT `%s`; check that it exists", name)
	}
	cc := newColChange(ti.def)
	cc.def.Checks = append(cc.def.Checks[:i:i], cc.def.Checks[i+1:]...)
	cc.dirty = true
	return x.applyColChange(ti, cc)
}

// keptChecks fits def's checks to its columns after an ALTER TABLE
// changed them: a check of dropped columns only goes with them (as in
// MariaDB), one that names a dropped column beside kept ones is 1054.
func keptChecks(def *engine.TableDef) error {
	ti := newTableInfo(def, "")
	kept := def.Checks[:0:0]
	for _, ck := range def.Checks {
		if ck.Column != "" && ti.column(ck.Column) < 0 {
			continue
		}
		e, err := checkExpr(ck.Expr)
		if err != nil {
			return err
		}
		var missing, present []string
		e.Accept(&columnVisitor{fn: func(c *ast.ColumnName) {
			if ti.column(c.Name.O) < 0 {
				missing = append(missing, c.Name.O)
			} else {
				present = append(present, c.Name.O)
			}
		}})
		switch {
		case len(missing) == 0:
			kept = append(kept, ck)
		case len(present) > 0 || ck.Column != "":
			return errUnknownColumn(missing[0], checkClause)
		}
	}
	def.Checks = kept
	return nil
}

// columnVisitor calls fn for each column a tree names.
type columnVisitor struct{ fn func(*ast.ColumnName) }

func (v *columnVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if c, ok := n.(*ast.ColumnNameExpr); ok {
		v.fn(c.Name)
	}
	return n, false
}

func (v *columnVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// checkConstraintRows are the rows of information_schema.CHECK_CONSTRAINTS
// for table def: catalog, schema, table, name, level, clause.
func checkConstraintRows(db string, def *engine.TableDef) [][]any {
	var rows [][]any
	for _, c := range def.Columns {
		if c.Type == engine.TypeJSON {
			rows = append(rows, []any{"def", db, def.Name, c.Name, "Column", "json_valid(" + quoteIdent(c.Name) + ")"})
		}
	}
	for _, ck := range def.Checks {
		level := "Table"
		if ck.Column != "" {
			level = "Column"
		}
		rows = append(rows, []any{"def", db, def.Name, ck.Name, level, ck.Expr})
	}
	return rows
}

// isCheckConstraints is information_schema.CHECK_CONSTRAINTS.
func (x *execCtx) isCheckConstraints() Result {
	cols := textColumns("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "TABLE_NAME", "CONSTRAINT_NAME", "LEVEL", "CHECK_CLAUSE")
	rows := [][]any{}
	for _, ti := range x.infoTables() {
		rows = append(rows, checkConstraintRows(x.s.DBName, ti.def)...)
	}
	return Result{Columns: cols, Rows: rows}
}

// columnCheckText is the " CHECK (...)" SHOW CREATE TABLE prints after
// column c ("" without one).
func columnCheckText(def *engine.TableDef, c *engine.Column) string {
	for _, ck := range def.Checks {
		if ck.Column != "" && strings.EqualFold(ck.Column, c.Name) {
			return " CHECK (" + ck.Expr + ")"
		}
	}
	return ""
}

// tableCheckLines are the CONSTRAINT lines SHOW CREATE TABLE prints
// after the keys.
func tableCheckLines(def *engine.TableDef) []string {
	var lines []string
	for _, ck := range def.Checks {
		if ck.Column == "" {
			lines = append(lines, "  CONSTRAINT "+quoteIdent(ck.Name)+" CHECK ("+ck.Expr+")")
		}
	}
	return lines
}

// alterColumnChecks adds the column-level CHECK constraints of cd, a
// column ALTER TABLE ... ADD COLUMN has just added to ti.
func (x *execCtx) alterColumnChecks(ti *tableInfo, cd *ast.ColumnDef) error {
	cc := newColChange(ti.def)
	if err := x.addColumnChecks(cc.def, []*ast.ColumnDef{cd}); err != nil {
		return err
	}
	if len(cc.def.Checks) == len(ti.def.Checks) {
		return nil
	}
	// The rows there are not checked: MariaDB adds the column without
	// reading them, whatever its default.
	cc.dirty = true
	return x.applyColChange(ti, cc)
}

// isOwnJSONCheck reports whether e, a CHECK of column c, is the check that
// made c a JSON column (see isJSONCheck): the column's type enforces it.
func isOwnJSONCheck(c *engine.Column, e ast.ExprNode) bool {
	if c.Type != engine.TypeJSON {
		return false
	}
	text := *c
	text.Type, text.Length = engine.TypeText, 4294967295
	return isJSONCheck(&text, e)
}

// validColumnChecks reports what is wrong with the column-level checks of
// cd, the definition of col, before ALTER TABLE ... ADD COLUMN adds it to
// a table of definition def.
func (x *execCtx) validColumnChecks(def *engine.TableDef, col engine.Column, cd *ast.ColumnDef) error {
	scratch := def.Clone()
	scratch.Columns = append(scratch.Columns, col)
	return x.addColumnChecks(scratch, []*ast.ColumnDef{cd})
}

// replaceColumnCheck gives column name of def the checks of cd, its new
// definition (MODIFY, CHANGE): the column's old check goes, with or
// without a new one, as in MariaDB, which does not check the rows there
// against the new one.
func (x *execCtx) replaceColumnCheck(def *engine.TableDef, name string, cd *ast.ColumnDef) error {
	kept := def.Checks[:0:0]
	for _, ck := range def.Checks {
		if ck.Column == "" || !strings.EqualFold(ck.Column, name) {
			kept = append(kept, ck)
		}
	}
	def.Checks = kept
	return x.addColumnChecks(def, []*ast.ColumnDef{cd})
}

// renameCheckRefs renames column from to to in def's checks (CHANGE,
// RENAME COLUMN), as MariaDB does: the conditions name the new column, a
// column-level check goes with its column.
func renameCheckRefs(def *engine.TableDef, from, to string) {
	for i := range def.Checks {
		ck := &def.Checks[i]
		if strings.EqualFold(ck.Column, from) {
			ck.Column, ck.Name = to, to
		}
		e, err := parser.New().ParseOneStmt("SELECT "+ck.Expr, "", "")
		if err != nil {
			continue // cannot happen for a stored condition; keptChecks reports it
		}
		sel := e.(*ast.SelectStmt)
		renamed := false
		sel.Accept(&columnVisitor{fn: func(c *ast.ColumnName) {
			if c.Name.L == strings.ToLower(from) {
				c.Name, renamed = ast.NewCIStr(to), true
			}
		}})
		if !renamed {
			continue
		}
		p := &viewPrinter{check: true}
		if p.expr(sel.Fields.Fields[0].Expr, 0) == nil {
			ck.Expr = p.b.String()
		}
	}
}
