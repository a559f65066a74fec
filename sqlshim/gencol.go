package sqlshim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Generated columns and DEFAULT (expression), as MariaDB 10.11 has them.
//
// b INT AS (a*2) [VIRTUAL | STORED | PERSISTENT] (also GENERATED ALWAYS AS)
// is computed from the row each time a row is written: INSERT, UPDATE,
// REPLACE, LOAD DATA, INSERT ... SELECT, ON DUPLICATE KEY UPDATE, and
// the rows already there when ALTER TABLE adds one or changes a column.
// A value given for it other than DEFAULT (or a NULL literal, which
// MariaDB lets through) is error 1906 in strict mode and warning 1906
// otherwise, and is ignored; LOAD DATA ignores it silently, as MariaDB does.
//
// c INT DEFAULT (expr) is evaluated for each written row that leaves c
// out (or gives DEFAULT), after the values given, in column order. A
// DEFAULT whose expression is a literal is an ordinary default.
//
// Both expressions are kept in the table's definition as MariaDB prints
// them (engine.Column.Generated, .DefaultExpr; definition format 5) and
// parsed again from that text when rows are written (parsed once per
// text, shared with CHECK conditions: checkExpr).
//
// VIRTUAL columns are stored in the row like STORED ones, where MariaDB
// computes them on each read. The engine rebuilds index files from the
// data file alone, without the SQL layer (after a crash, REPAIR, blitz
// check), and knows no SQL expressions: a stored value is what makes an
// index over a virtual column rebuildable there, and reads need no
// evaluation. What it costs is the disk space of the values, and one
// difference: a virtual column whose value would change on every read
// (RAND(), NOW(), a variable), which MariaDB allows when no index covers
// it, is refused with 1901 like a stored one.

// Error codes of generated columns and default expressions.
const (
	errGeneratedIgnored   = 1906 // The value specified for generated column '%s' in table '%s' has been ignored
	errGeneratedPK        = 1903 // Primary key cannot be defined upon a generated column
	errExprUninitialized  = 4029 // Expression for field %`s is referring to uninitialized field %`s (01000)
	generatedClause       = "GENERATED ALWAYS AS"
	defaultClause         = "DEFAULT"
	errExprUninitializedS = "01000"
)

// pendingDefault stands, in a row being written, for the value of a
// column whose default is an expression: computeColumns evaluates it once
// the row's other values are known. It never reaches the engine.
type pendingDefault struct{}

// hasColumnExprs reports whether def has a generated column or a default
// expression.
func hasColumnExprs(def *engine.TableDef) bool {
	for i := range def.Columns {
		if def.Columns[i].Generated != "" || def.Columns[i].DefaultExpr != "" {
			return true
		}
	}
	return false
}

// computeColumns fills in row, about to be written to ti, the columns
// whose default is an expression (those holding pendingDefault) and then
// every generated column, each in column order, converted for its column
// (as an INSERT converts, strict or not: x.loose).
func (x *execCtx) computeColumns(ti *tableInfo, row engine.Row, rowNum int) error {
	if !hasColumnExprs(ti.def) {
		return nil
	}
	var pending []int
	for i, v := range row {
		if _, ok := v.(pendingDefault); ok {
			pending = append(pending, i)
			row[i] = nil
		}
	}
	eval := func(i int, text, clause string) error {
		e, err := checkExpr(text)
		if err != nil {
			return err
		}
		ec := x.newEval(ti, clause)
		ec.row, ec.defn = row, true
		v, err := ec.eval(e)
		if err != nil {
			return err
		}
		cv, err := x.coerce(ti, &ti.def.Columns[i], v, rowNum)
		if err != nil {
			return err
		}
		row[i] = cv
		return nil
	}
	for _, i := range pending {
		if err := eval(i, ti.def.Columns[i].DefaultExpr, defaultClause); err != nil {
			return err
		}
	}
	for i := range ti.def.Columns {
		if g := ti.def.Columns[i].Generated; g != "" {
			if err := eval(i, g, generatedClause); err != nil {
				return err
			}
		}
	}
	return nil
}

// generatedGiven reports a value a statement gives generated column c of
// ti: error 1906 in strict mode, else warning 1906 (the value is ignored).
func (x *execCtx) generatedGiven(ti *tableInfo, c *engine.Column) error {
	return x.strictOr(errGeneratedIgnored, "The value specified for generated column '%s' in table '%s' has been ignored", c.Name, ti.def.Name)
}

// generatedAssigned reports whether SET col = expr (UPDATE, ON DUPLICATE
// KEY UPDATE) assigns column i of ti, a generated column, and is to be
// skipped: DEFAULT and NULL silently, any other value with 1906 (an error
// in strict mode).
func (x *execCtx) generatedAssigned(ti *tableInfo, i int, expr ast.ExprNode) (bool, error) {
	c := &ti.def.Columns[i]
	if c.Generated == "" {
		return false, nil
	}
	if acceptedForGenerated(expr) {
		return true, nil
	}
	return true, x.generatedGiven(ti, c)
}

// updatedRow finishes row, the stored row old with the assignments of
// list made: its computed columns, and ON UPDATE CURRENT_TIMESTAMP if it
// changed. It reports whether the row changed.
func (x *execCtx) updatedRow(ti *tableInfo, old, row engine.Row, list []*ast.Assignment, rowNum int) (bool, error) {
	if err := x.computeColumns(ti, row, rowNum); err != nil {
		return false, err
	}
	if rowsEqual(old, row) {
		return false, nil
	}
	onUpdate := false
	for i := range ti.def.Columns {
		c := &ti.def.Columns[i]
		if c.OnUpdateNow && !assigned(list, c.Name) {
			row[i], onUpdate = nowFor(x.localNow(), c), true
		}
	}
	if onUpdate {
		return true, x.computeColumns(ti, row, rowNum)
	}
	return true, nil
}

// acceptedForGenerated reports whether e, given for a generated column,
// is DEFAULT or a NULL literal, the two values MariaDB takes silently.
func acceptedForGenerated(e ast.ExprNode) bool {
	if d, ok := e.(*ast.DefaultExpr); ok && d.Name == nil {
		return true
	}
	v, ok := e.(*test_driver.ValueExpr)
	return ok && v.Datum.GetValue() == nil
}

// unwrapDefault returns the expression of a DEFAULT option, without the
// call rewriteColumnExprs wrapped a DEFAULT (expr) in, and without
// parentheses.
func unwrapDefault(e ast.ExprNode) ast.ExprNode {
	if f, ok := e.(*ast.FuncCallExpr); ok && f.FnName.L == defaultExprFunc && len(f.Args) == 1 {
		e = f.Args[0]
	}
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// isLiteralDefault reports whether e (unwrapped) is a literal, the kind of
// DEFAULT MariaDB keeps as a value rather than an expression: 5, -3,
// 'abc', NULL, DATE '2024-01-01'.
func isLiteralDefault(e ast.ExprNode) bool {
	switch v := e.(type) {
	case *test_driver.ValueExpr:
		return true
	case *ast.UnaryOperationExpr:
		_, ok := v.V.(*test_driver.ValueExpr)
		return ok
	case *ast.FuncCallExpr:
		switch v.FnName.L {
		case ast.DateLiteral, ast.TimeLiteral, ast.TimestampLiteral:
			return true
		}
	}
	return false
}

// columnExprText validates e, the expression of a generated column
// (generated) or a DEFAULT of column c, on its own (the columns it names
// are checked against the table by checkColumnExprs), and returns it as
// MariaDB prints it.
func (x *execCtx) columnExprText(c *engine.Column, e ast.ExprNode, generated bool) (string, error) {
	clause := defaultClause
	if generated {
		clause = generatedClause
	}
	v := &columnExprValidator{generated: generated}
	e.Accept(v)
	if v.bad != "" {
		return "", errf(errBadCheckFunction, "Function or expression '%s' cannot be used in the %s clause of %s", v.bad, clause, quoteIdent(c.Name))
	}
	p := &viewPrinter{x: x, check: true}
	if err := p.expr(e, 0); err != nil {
		return "", errNotSupported("this " + clause + " expression")
	}
	text := p.b.String()
	if !generated && needsParens(text) {
		text = "(" + text + ")"
	}
	if _, err := checkExpr(text); err != nil {
		return "", errNotSupported("this " + clause + " expression")
	}
	return text, nil
}

// needsParens reports whether MariaDB prints a DEFAULT expression in
// parentheses: all but a column name and a function call (other than
// CAST and CONVERT) do.
func needsParens(text string) bool {
	if strings.HasPrefix(text, "`") && skipQuoted(text, 0) == len(text) {
		return false
	}
	toks := tokenize(text)
	if len(toks) < 3 || toks[0].kind != 'w' || toks[1].text != "(" || toks[1].start != toks[0].end {
		return true
	}
	if w := strings.ToLower(toks[0].text); w == "cast" || w == "convert" {
		return true
	}
	return matchParens(toks)[1] != len(toks)-1
}

// columnExprValidator finds what a generated column's expression or a
// DEFAULT expression may not hold, as MariaDB's 1901 names it: a
// subquery ('select ...'), an aggregate or window function, and for a
// generated column a function or variable whose value is not the row's.
type columnExprValidator struct {
	generated bool
	bad       string
}

func (v *columnExprValidator) Enter(n ast.Node) (ast.Node, bool) {
	if v.bad != "" {
		return n, true
	}
	switch e := n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr:
		v.bad = "select ..."
	case *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
		v.bad = refusedText(e.(ast.ExprNode))
	case *ast.VariableExpr:
		if v.generated {
			v.bad = refusedText(e)
		}
	case *ast.FuncCallExpr:
		if v.generated && uncheckable[e.FnName.L] && !(e.FnName.L == "unix_timestamp" && len(e.Args) > 0) {
			v.bad = refusedText(e)
		}
	}
	return n, v.bad != ""
}

func (v *columnExprValidator) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// exprColumns returns the columns the stored expression text names.
func exprColumns(text string) ([]string, error) {
	e, err := checkExpr(text)
	if err != nil {
		return nil, err
	}
	var names []string
	e.Accept(&columnVisitor{fn: func(c *ast.ColumnName) { names = append(names, c.Name.O) }})
	return names, nil
}

// checkColumnExprs checks the generated columns and default expressions
// of def against its columns, as MariaDB does when a table is created or
// altered: an unknown column (1054, also for one an ALTER drops), a
// reference to a value not computed yet (4029: a default expression
// naming itself, a generated column or a later default expression; a
// generated column naming itself or a later generated column), a primary
// key over a generated column (1903). A generated column over an
// AUTO_INCREMENT one is not supported (its value is known only once the
// engine has inserted the row).
func checkColumnExprs(def *engine.TableDef) error {
	for i := range def.Columns {
		c := &def.Columns[i]
		text, clause := c.Generated, generatedClause
		if text == "" {
			text, clause = c.DefaultExpr, defaultClause
		}
		if text == "" {
			continue
		}
		names, err := exprColumns(text)
		if err != nil {
			return err
		}
		for _, name := range names {
			j := def.ColumnIndex(name)
			if j < 0 {
				return errUnknownColumn(name, clause)
			}
			r := &def.Columns[j]
			early := j == i || r.Generated != "" && (c.Generated == "" || j > i) || c.Generated == "" && r.DefaultExpr != "" && j > i
			if early {
				e := newErr(errExprUninitialized, "Expression for field %s is referring to uninitialized field %s", quoteIdent(c.Name), quoteIdent(r.Name))
				e.State = errExprUninitializedS
				return e
			}
			if c.Generated != "" && r.AutoIncrement {
				return errNotSupported("a generated column over an AUTO_INCREMENT column")
			}
		}
	}
	for _, p := range def.PrimaryKey {
		if j := def.ColumnIndex(p); j >= 0 && def.Columns[j].Generated != "" {
			return errf(errGeneratedPK, "Primary key cannot be defined upon a generated column")
		}
	}
	return nil
}

// renameExprRefs renames column from to to in the generated columns and
// default expressions of def (CHANGE, RENAME COLUMN), as MariaDB does.
func renameExprRefs(def *engine.TableDef, from, to string) {
	for i := range def.Columns {
		c := &def.Columns[i]
		if c.Generated != "" {
			c.Generated = renameInExpr(c.Generated, from, to, false)
		}
		if c.DefaultExpr != "" {
			c.DefaultExpr = renameInExpr(c.DefaultExpr, from, to, true)
		}
	}
}

// renameInExpr returns the stored expression text with column from
// renamed to to (text itself if it does not name from).
func renameInExpr(text, from, to string, isDefault bool) string {
	// checkExpr's trees are shared: rename in a parse of our own.
	st, err := parser.New().ParseOneStmt("SELECT "+text, "", "")
	if err != nil {
		return text // cannot happen for a stored expression; checkColumnExprs reports it
	}
	sel := st.(*ast.SelectStmt)
	renamed := false
	sel.Accept(&columnVisitor{fn: func(c *ast.ColumnName) {
		if c.Name.L == strings.ToLower(from) {
			c.Name, renamed = ast.NewCIStr(to), true
		}
	}})
	if !renamed {
		return text
	}
	p := &viewPrinter{check: true}
	if p.expr(unwrapDefault(sel.Fields.Fields[0].Expr), 0) != nil {
		return text
	}
	out := p.b.String()
	if isDefault && needsParens(out) {
		out = "(" + out + ")"
	}
	return out
}

// recomputeRows writes the values of ti's generated columns, and of the
// columns newDefault marks (added with a default expression), into every
// row of ti that needs it: after an ALTER TABLE that added such a column
// or changed the columns they are computed from. With dryRun it only
// computes them, reporting the first row that fails (before the ALTER
// changes anything). It runs as one transaction, logged like any other
// (so blitz restore replays the values).
func (x *execCtx) recomputeRows(ti *tableInfo, newDefault []bool) error {
	if !hasColumnExprs(ti.def) {
		return nil
	}
	_, err := x.s.autocommit(x, func() (Result, error) {
		type stored struct {
			h   engine.Handle
			row engine.Row
		}
		var rows []stored
		if err := x.tx.Scan(ti.name, engine.Scan{}, func(h engine.Handle, r engine.Row) (bool, error) {
			x.shiftRead(ti.def, r) // timezone.go
			rows = append(rows, stored{h, r})
			return true, nil
		}); err != nil {
			return Result{}, err
		}
		x.loose = false
		for n, r := range rows {
			row := append(engine.Row(nil), r.row...)
			for i, nd := range newDefault {
				if nd && i < len(row) {
					row[i] = pendingDefault{}
				}
			}
			if err := x.computeColumns(ti, row, n+1); err != nil {
				return Result{}, err
			}
			if rowsEqual(r.row, row) {
				continue
			}
			if err := x.checkRow(ti, row); err != nil {
				return Result{}, err
			}
			if err := x.updateStored(ti, r.h, row); err != nil { // timezone.go
				return Result{}, err
			}
		}
		return Result{}, nil
	})
	return err
}

// columnExprSQL is what SHOW CREATE TABLE prints for a generated column
// after its type ("" for another column).
func columnExprSQL(c *engine.Column) string {
	if c.Generated == "" {
		return ""
	}
	kind := "VIRTUAL"
	if c.Stored {
		kind = "STORED"
	}
	return " GENERATED ALWAYS AS (" + c.Generated + ") " + kind
}

// generatedExtra is the Extra of DESCRIBE and information_schema.COLUMNS
// for a generated column ("" for another column).
func generatedExtra(c *engine.Column) string {
	switch {
	case c.Generated == "":
		return ""
	case c.Stored:
		return "STORED GENERATED"
	}
	return "VIRTUAL GENERATED"
}

// isGenerated is information_schema.COLUMNS' IS_GENERATED and
// GENERATION_EXPRESSION for c.
func isGenerated(c *engine.Column) (string, any) {
	if c.Generated == "" {
		return "NEVER", nil
	}
	return "ALWAYS", c.Generated
}

// validGeneratedDef refuses what MariaDB's grammar does not let a
// generated column have: NOT NULL, a DEFAULT, AUTO_INCREMENT, PRIMARY KEY.
func validGeneratedDef(c *engine.Column, pk bool, hasDefault bool) error {
	switch {
	case pk:
		return errf(errGeneratedPK, "Primary key cannot be defined upon a generated column")
	case c.NotNull || hasDefault || c.AutoIncrement:
		return errf(sqlerr.ErrParse, "You have an error in your SQL syntax; a generated column (%s) takes no NOT NULL, DEFAULT or AUTO_INCREMENT", c.Name)
	}
	return nil
}

// defaultExpr validates e, the expression of a DEFAULT (expr) of column c
// (pk: c is declared PRIMARY KEY), and returns its stored text. An
// expression of no column and no function whose value changes is
// evaluated once here, as MariaDB does: a value the column cannot take is
// 1067.
func (x *execCtx) defaultExpr(c *engine.Column, pk bool, e ast.ExprNode) (string, error) {
	text, err := x.columnExprText(c, e, false)
	if err != nil {
		return "", err
	}
	names, err := exprColumns(text)
	if err != nil || len(names) > 0 {
		return text, err
	}
	v := &columnExprValidator{generated: true}
	e.Accept(v)
	if v.bad != "" {
		return text, nil // RAND(), NOW(): a value per row
	}
	ec := x.newEval(nil, "field list")
	ec.defn = true
	val, err := ec.eval(e)
	if err != nil {
		return "", err
	}
	invalid := errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", c.Name)
	if val == nil && (c.NotNull || pk) {
		return "", invalid
	}
	if val != nil {
		if _, err := engine.Coerce(c, val, 1); err != nil {
			return "", invalid
		}
	}
	return text, nil
}

// addsComputed reports whether ALTER TABLE ... ADD COLUMN of cds adds a
// generated column or one whose default is an expression: the rows there
// get their values (recomputeAltered), so the column goes through colSpec.
func addsComputed(cds []*ast.ColumnDef) bool {
	for _, cd := range cds {
		for _, o := range cd.Options {
			switch o.Tp {
			case ast.ColumnOptionGenerated:
				return true
			case ast.ColumnOptionDefaultValue:
				if e := unwrapDefault(o.Expr); !isNowCall(e) && !isLiteralDefault(e) {
					return true
				}
			}
		}
	}
	return false
}

// recomputeAltered gives the rows of ti, just altered by cc in db, the
// values of its generated columns and of the columns cc added with a
// default expression. If that fails (a value the column cannot take) and
// no column was dropped, the table gets its old definition back.
func (x *execCtx) recomputeAltered(db *engine.DB, ti *tableInfo, cc *colChange) error {
	if !hasColumnExprs(cc.def) {
		return nil
	}
	newDefault := make([]bool, len(cc.def.Columns))
	for i, f := range cc.from {
		newDefault[i] = f < 0 && cc.def.Columns[i].DefaultExpr != ""
	}
	err := x.recomputeRows(newTableInfo(cc.def, ""), newDefault)
	if err == nil {
		return nil
	}
	back := make([]int, len(ti.def.Columns))
	for k := range back {
		back[k] = slices.Index(cc.from, k)
		if back[k] < 0 {
			return err // a dropped column cannot come back
		}
	}
	if rerr := db.AlterColumnsInZone(x.ctx, ti.name, ti.def, back, x.s.tz.off); rerr != nil {
		return fmt.Errorf("%w (and the table keeps its new definition: %v)", err, rerr)
	}
	return err
}

// fillColumns is TableDef.Fill for the ALTER cc: the columns
// recomputeAltered gives values, the generated ones and those cc adds with
// a DEFAULT expression.
func fillColumns(cc *colChange) []string {
	var names []string
	for i, c := range cc.def.Columns {
		if c.Generated != "" || cc.from[i] < 0 && c.DefaultExpr != "" {
			names = append(names, c.Name)
		}
	}
	return names
}

// clearFill writes table name's definition again without its Fill mark
// (a change of the definition alone): its rows have their values.
func (x *execCtx) clearFill(db *engine.DB, name string) error {
	def, err := db.Table(name)
	if err != nil || len(def.Fill) == 0 {
		return err
	}
	def.Fill = nil
	from := make([]int, len(def.Columns))
	for i := range from {
		from[i] = i
	}
	return db.AlterColumnsInZone(x.ctx, name, def, from, 0)
}

// finishFills finishes the ALTER TABLEs a crash cut short between their
// new definition and the values of its computed columns (TableDef.Fill):
// the rows get the values of the marked columns, computed as the ALTER
// would have, and the mark goes. The session's statement runs next; a
// table that cannot be finished gets a warning and is not tried again
// by this process.
func (s *Session) finishFills(ctx context.Context, names []string) {
	for _, name := range names {
		release, ok := s.db.ClaimFill(name)
		if !ok {
			continue
		}
		if err := s.finishFill(ctx, name); err != nil {
			s.addWarning(sqlerr.ErrUnknown, "Table '%s.%s': an ALTER TABLE cut short by a crash could not finish computing its columns: %v", s.DBName, name, err)
			continue // the claim stays: no retry before the next open
		}
		release()
	}
}

func (s *Session) finishFill(ctx context.Context, name string) error {
	def, err := s.db.Table(name)
	if err != nil || len(def.Fill) == 0 {
		return err
	}
	x := &execCtx{s: s, ctx: ctx, now: time.Now().UTC(), calcFound: -1}
	newDefault := make([]bool, len(def.Columns))
	for i, c := range def.Columns {
		newDefault[i] = c.Generated == "" && c.DefaultExpr != "" && slices.ContainsFunc(def.Fill, func(n string) bool { return strings.EqualFold(n, c.Name) })
	}
	if err := x.recomputeRows(newTableInfo(def, ""), newDefault); err != nil {
		return err
	}
	return x.clearFill(s.db, name)
}
