package sqlshim

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/shopspring/decimal"
)

// This file runs INSERT (with IGNORE, ON DUPLICATE KEY UPDATE), REPLACE,
// UPDATE and DELETE. Every one of them runs inside one transaction (or
// under a savepoint of the open one), so a statement that fails half-way
// changes nothing.

// columnDefault is the value a column takes when an INSERT does not give
// one; in strict mode a NOT NULL column without a default is an error.
func (x *execCtx) columnDefault(c *engine.Column) (any, error) {
	switch {
	case c.AutoIncrement:
		return nil, nil
	case c.DefaultExpr != "":
		return pendingDefault{}, nil // computed with the row: gencol.go
	case c.DefaultNow:
		return nowFor(x.localNow(), c), nil
	case c.HasDefault:
		return x.localDefault(c), nil // timezone.go
	case !c.NotNull:
		return nil, nil
	case c.Type == engine.TypeEnum:
		// An ENUM NOT NULL without a default takes its first member.
		v, _ := engine.ImplicitDefault(c)
		return v, nil
	}
	return nil, errf(sqlerr.ErrNoDefault, "Field '%s' doesn't have a default value", c.Name)
}

// nowFor is the statement's time now as a value of the DATETIME,
// TIMESTAMP or DATE column c (for DEFAULT and ON UPDATE
// CURRENT_TIMESTAMP): cut to the column's fractional digits, as
// CURRENT_TIMESTAMP(n) is, or to the day.
func nowFor(now time.Time, c *engine.Column) any {
	if c.Type == engine.TypeDate {
		return now.Truncate(24 * time.Hour)
	}
	return truncFrac(now, int64(c.Scale))
}

// truncFrac cuts t to digits fractional digits of a second (0 to 6).
func truncFrac(t time.Time, digits int64) time.Time {
	unit := time.Second
	for i := int64(0); i < digits && i < 6; i++ {
		unit /= 10
	}
	return t.Truncate(unit)
}

// coerce converts v for column c of table ti (AUTO_INCREMENT columns take
// NULL as "generate").
func (x *execCtx) coerce(ti *tableInfo, c *engine.Column, v any, rowNum int) (any, error) {
	if v == nil && c.AutoIncrement {
		return nil, nil
	}
	if b, ok := v.(bool); ok {
		v = boolVal(b)
	}
	if v == nil && c.NotNull && x.nullDefault {
		if d, ok := engine.ImplicitDefault(c); ok {
			x.s.addWarning(sqlerr.ErrBadNull, "Column '%s' cannot be null", c.Name)
			return d, nil
		}
	}
	var cv any
	var err error
	var warned bool
	// A TIMESTAMP written in a zone other than UTC is read as a DATETIME
	// and its range checked as an instant (timezone.go).
	ec := c
	if c.Type == engine.TypeTimestamp && x.s.tz.off != 0 {
		dc := *c
		dc.Type = engine.TypeDateTime
		ec = &dc
	}
	if x.loose {
		var warn error
		cv, warn, err = engine.CoerceLoose(ec, v, rowNum)
		if t, ok := cv.(time.Time); ok && err == nil && warn == nil && ec != c {
			if x.stampInRange(c, t, v, rowNum) != nil {
				cv, warn, err = engine.CoerceLoose(c, t.Add(-x.s.tz.off), rowNum) // out of range, as the engine takes it
			}
		}
		if _, ok := cv.(engine.ZeroDate); ok && err == nil && warn == nil && ec != c {
			cv, warn, err = engine.CoerceLoose(c, cv, rowNum) // the zero dates a TIMESTAMP takes
		}
		if err == nil && warn != nil {
			warned = true
			e := sqlerr.As(qualifyColumn(warn, x.s.DBName, ti.name, c.Name, rowNum))
			x.s.addWarning(e.Code, "%s", e.Message)
		}
	} else {
		cv, err = engine.Coerce(ec, v, rowNum)
		if t, ok := cv.(time.Time); ok && err == nil && ec != c {
			err = x.stampInRange(c, t, v, rowNum)
		}
		if _, ok := cv.(engine.ZeroDate); ok && err == nil && ec != c {
			cv, err = engine.Coerce(c, cv, rowNum) // the zero dates a TIMESTAMP takes
		}
	}
	if err != nil && c.Type.IsTime() && x.s.sqlMode.has(modeAllowInvalidDates) {
		if iv, ierr := engine.CoerceInvalidDate(c, v, rowNum); ierr == nil {
			cv, err = iv, nil
		}
	}
	if err == nil {
		cv, err = x.zeroDateMode(ti, c, v, cv, rowNum) // zerodate.go
	}
	if err != nil {
		if t, ok := looseDate(c, v); ok {
			if cv, lerr := x.coerce(ti, c, t, rowNum); lerr == nil {
				return cv, nil
			} // else the first error, which quotes the text as given
		}
		if zv, ok := x.looseZeroDate(c, v, err, rowNum); ok { // zerodate.go
			return zv, nil
		}
		if sqlerr.Code(err) == sqlerr.ErrConstraintFailed {
			x.jsonCheckNote(v) // funcs_json.go
		}
		return nil, qualifyColumn(err, x.s.DBName, ti.name, c.Name, rowNum)
	}
	if !warned && (trailingBlank(c, v) || roundedDecimal(c, v, cv)) {
		// MySQL notes the blanks it drops after a number, and the
		// digits a DECIMAL column rounds away.
		x.s.addNote(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", c.Name, rowNum)
	}
	return cv, nil
}

// roundedDecimal reports whether cv, what DECIMAL column c stores of v, is
// v rounded to the column's scale with a nonzero digit lost (1.005 in a
// DECIMAL(5,2)); zeros dropped (1.000) lose nothing. Integers never round.
func roundedDecimal(c *engine.Column, v, cv any) bool {
	if c.Type != engine.TypeDecimal {
		return false
	}
	stored, ok := cv.(decimal.Decimal)
	if !ok {
		return false
	}
	var d decimal.Decimal
	switch x := v.(type) {
	case decimal.Decimal:
		d = x
	case float64:
		d = decimal.NewFromFloat(x)
	case string, []byte:
		s, _ := engine.TextOf(x)
		s = strings.TrimSpace(s)
		if dot := strings.IndexByte(s, '.'); (dot < 0 || len(s)-dot-1 <= c.Scale) && !strings.ContainsAny(s, "eE") {
			return false // no more digits than the scale: no second parse
		}
		p, err := decimal.NewFromString(s)
		if err != nil {
			return false
		}
		d = p
	default:
		return false
	}
	return d.Exponent() < -int32(c.Scale) && !d.Equal(stored)
}

// trailingBlank reports whether v is text for a numeric column c that
// ends in blanks after something else.
func trailingBlank(c *engine.Column, v any) bool {
	if !c.Type.IsNumeric() {
		return false
	}
	s, ok := engine.TextOf(v)
	if !ok {
		return false
	}
	trimmed := strings.TrimRight(s, " \t\n\r\f\v")
	return len(trimmed) < len(s) && strings.TrimSpace(trimmed) != ""
}

// qualifyColumn gives an "Incorrect ... value" error (1366, 1292) about a
// column MariaDB's wording, which names the column with its database and
// table: "for column `test`.`t1`.`c` at row 1".
func qualifyColumn(err error, db, table, column string, rowNum int) error {
	e := sqlerr.As(err)
	if e != nil && e.Code == sqlerr.ErrConstraintFailed {
		return qualifyConstraint(err, db, table) // funcs_json.go
	}
	if e == nil || e.Code != sqlerr.ErrTruncatedWrong && e.Code != sqlerr.ErrTruncatedValue {
		return err
	}
	plain := fmt.Sprintf(" for column '%s' at row %d", column, rowNum)
	msg, ok := strings.CutSuffix(e.Message, plain)
	if !ok {
		return err
	}
	q := *e
	q.Message = fmt.Sprintf("%s for column %s.%s.%s at row %d", msg, quoteIdent(db), quoteIdent(table), quoteIdent(column), rowNum)
	return &q
}

// qualifyAnyColumn is qualifyColumn of an error that names its column
// and row itself (as ALTER TABLE's conversions do).
func qualifyAnyColumn(err error, db, table string) error {
	e := sqlerr.As(err)
	if e == nil {
		return err
	}
	i := strings.LastIndex(e.Message, " for column '")
	if i < 0 {
		return err
	}
	var rowNum int
	column, rest, ok := strings.Cut(e.Message[i+len(" for column '"):], "' at row ")
	if _, serr := fmt.Sscanf(rest, "%d", &rowNum); !ok || serr != nil {
		return err
	}
	return qualifyColumn(err, db, table, column, rowNum)
}

func (x *execCtx) insert(n *ast.InsertStmt) (Result, error) {
	if _, v := x.writeTarget(n.Table); v != nil {
		return x.insertView(n, v)
	}
	ti, _, err := x.singleTable(n.Table)
	if err != nil {
		return Result{}, err
	}
	cols := make([]int, 0, len(ti.def.Columns))
	if len(n.Columns) == 0 {
		for i := range ti.def.Columns {
			cols = append(cols, i)
		}
	} else {
		seen := map[int]bool{}
		for _, c := range n.Columns {
			i := ti.column(c.Name.O)
			if i < 0 {
				return Result{}, errUnknownColumn(c.Name.O, "INSERT INTO")
			}
			if seen[i] {
				return Result{}, errf(sqlerr.ErrDupFieldName, "Column '%s' specified twice", c.Name.O)
			}
			seen[i] = true
			cols = append(cols, i)
		}
	}
	// The rows to insert, as values before conversion. A one-row INSERT's
	// (most of them) is in listBuf and rowBuf, off the heap: nothing is
	// ever appended to lists, whose contents would then escape.
	var lists, many [][]any
	var listBuf [1][]any
	var rowBuf [8]any
	strict := x.s.sqlMode.strict()
	x.loose = n.IgnoreErr || !strict
	ec := x.newEval(ti, "INSERT INTO")
	ec.strict = !x.loose
	if n.Select != nil {
		if err := odkuAmbiguous(ti, n); err != nil {
			return Result{}, err
		}
		x.storeInner = true // quotients with their inner digits, as MariaDB stores them
		r, err := x.query(n.Select)
		x.storeInner = false
		if err != nil {
			return Result{}, err
		}
		for i, row := range r.Rows {
			if len(row) != len(cols) {
				return Result{}, errf(sqlerr.ErrWrongValueCount, "Column count doesn't match value count at row %d", i+1)
			}
			many = append(many, row)
		}
	}
	var res Result
	firstID := uint64(0)
	autoCol := -1
	for i := range ti.def.Columns {
		if ti.def.Columns[i].AutoIncrement {
			autoCol = i
		}
	}
	// reuse is an AUTO_INCREMENT value generated for a row that was not
	// inserted (ignored duplicate, ON DUPLICATE KEY UPDATE): as in MySQL
	// (handler::restore_auto_increment), the next row needing a generated
	// value takes it.
	var reuse uint64
	keepZero := x.s.sqlMode.has(modeNoAutoValueOnZero)
	x.tx.SetNoAutoValueOnZero(keepZero)
	defer x.tx.SetNoAutoValueOnZero(false)
	for i, exprs := range n.Lists {
		if len(exprs) != len(cols) && !(len(exprs) == 0 && len(n.Columns) == 0) {
			return Result{}, errf(sqlerr.ErrWrongValueCount, "Column count doesn't match value count at row %d", i+1)
		}
		if len(exprs) == 0 {
			many = append(many, nil)
			continue
		}
		if len(n.Lists) == 1 && len(exprs) <= len(rowBuf) {
			one := rowBuf[:len(exprs)]
			if err := x.insertValues(ti, ec, cols, exprs, one); err != nil {
				return Result{}, err
			}
			listBuf[0] = one
			lists = listBuf[:]
			continue
		}
		row := make([]any, len(exprs))
		if err := x.insertValues(ti, ec, cols, exprs, row); err != nil {
			return Result{}, err
		}
		many = append(many, row)
	}
	if lists == nil {
		lists = many
	}
	// Outside strict mode NULL into NOT NULL is an error only for a
	// single-row INSERT (as in MySQL); IGNORE makes it a warning always.
	x.nullDefault = n.IgnoreErr || !strict && len(lists) > 1
	var counts insertCounts
	// lastAuto is the AUTO_INCREMENT column's value of the last row
	// inserted or changed; found counts the rows ON DUPLICATE KEY UPDATE
	// found and left as they were (for CLIENT_FOUND_ROWS).
	var lastAuto, found uint64
rows:
	for i, given := range lists {
		rowNum := i + 1
		row := make(engine.Row, len(ti.def.Columns))
		set := make([]bool, len(row))
		for j := range given {
			set[cols[j]] = true
		}
		// Defaults first: MySQL checks the columns a row leaves out before
		// it converts the values given, and its warnings come in that order.
		for j := range row {
			if set[j] {
				continue
			}
			v, err := x.defaultFor(&ti.def.Columns[j])
			if err != nil {
				return Result{}, err
			}
			row[j] = v
		}
		for j, v := range given {
			if c := &ti.def.Columns[cols[j]]; c.Generated != "" {
				if _, ok := v.(defaultMarker); !ok {
					if err := x.generatedGiven(ti, c); err != nil { // gencol.go
						return Result{}, err
					}
				}
				continue
			}
			if d, ok := v.(defaultMarker); ok {
				row[cols[j]] = d.v
				continue
			}
			cv, err := x.coerce(ti, &ti.def.Columns[cols[j]], v, rowNum)
			if x.skipIgnored(n.IgnoreErr, err) {
				// A value with no non-strict form (a date that is not
				// one): IGNORE skips the row with the warning.
				counts.add(0, false)
				continue rows
			}
			if err != nil {
				return Result{}, err
			}
			row[cols[j]] = cv
		}
		var given uint64
		if autoCol >= 0 && reuse != 0 && needsAuto(row[autoCol], keepZero) {
			given = reuse
			if ti.def.Columns[autoCol].Unsigned {
				row[autoCol] = reuse
			} else {
				row[autoCol] = int64(reuse)
			}
			reuse = 0
		}
		x.lastRow = nil
		affected, id, inserted, err := x.insertRow(ti, n, row, autoCol, rowNum)
		if err != nil {
			return Result{}, err
		}
		if id == 0 {
			id = given
		}
		switch {
		case x.lastRow == nil: // skipped (IGNORE)
		case inserted || affected == 2:
			if autoCol >= 0 {
				lastAuto = autoValue(x.lastRow[autoCol])
			}
		case len(n.OnDuplicate) > 0:
			found++
		}
		res.AffectedRows += affected
		counts.add(affected, inserted)
		switch {
		case !inserted:
			reuse = max(reuse, id)
		case id != 0 && firstID == 0:
			firstID = id
		}
	}
	if firstID != 0 {
		x.s.lastInsertID = firstID
		res.LastInsertID = firstID
	} else if x.lastIDArg {
		res.LastInsertID = x.s.lastInsertID
	} else if n.Select == nil {
		// As MariaDB's INSERT ... VALUES does, the OK packet's insert id
		// is, when no value was generated, the AUTO_INCREMENT value of
		// the last row written: one given explicitly, or the row ON
		// DUPLICATE KEY UPDATE changed (what knex and TypeORM read as
		// the upserted row's id). LAST_INSERT_ID() keeps its value.
		res.LastInsertID = lastAuto
	}
	if len(n.OnDuplicate) > 0 {
		res.AffectedFound = res.AffectedRows + found
	}
	if n.Select != nil || len(n.Lists) > 1 {
		res.Info = counts.info(x, n.IgnoreErr)
	}
	return res, nil
}

// insertValues evaluates the expressions of one VALUES list into row (as
// long as exprs), for the columns of ti at cols: DEFAULT as the column's
// default and a value for a generated column as a marker (defaultMarker).
func (x *execCtx) insertValues(ti *tableInfo, ec *evalCtx, cols []int, exprs []ast.ExprNode, row []any) error {
	for j, e := range exprs {
		if ti.def.Columns[cols[j]].Generated != "" && acceptedForGenerated(e) { // gencol.go
			row[j] = defaultMarker{nil}
			continue
		}
		if d, ok := e.(*ast.DefaultExpr); ok && d.Name == nil {
			v, err := x.columnDefault(&ti.def.Columns[cols[j]])
			if err != nil {
				return err
			}
			row[j] = defaultMarker{v}
			continue
		}
		v, err := ec.storedValue(e)
		if err != nil {
			return err
		}
		row[j] = v
	}
	return nil
}

// ignorable reports whether IGNORE turns err, met while writing a row, into
// a warning and skips the row: a duplicate key, or a value the column
// cannot take even outside strict mode.
func ignorable(err error) bool {
	switch sqlerr.Code(err) {
	case sqlerr.ErrDupEntry, sqlerr.ErrTruncatedValue, sqlerr.ErrTruncatedWrong, sqlerr.ErrBadNull,
		sqlerr.ErrDataTooLong, sqlerr.ErrOutOfRange, sqlerr.ErrNoReferencedRow, sqlerr.ErrRowIsReferenced:
		return true
	}
	return isCheckFailure(err) // check.go
}

// defaultFor is the value a written row gets for column c, which it
// leaves out: c's default. A NOT NULL column without one is error 1364,
// or outside strict mode (x.loose) the type's implicit default with that
// warning, given once per column and statement as MySQL does.
func (x *execCtx) defaultFor(c *engine.Column) (any, error) {
	v, err := x.columnDefault(c)
	if err == nil || !x.loose || sqlerr.Code(err) != sqlerr.ErrNoDefault {
		return v, err
	}
	d, ok := engine.ImplicitDefault(c)
	if !ok {
		return nil, err
	}
	if !x.noDefaultWarned[c.Name] {
		if x.noDefaultWarned == nil {
			x.noDefaultWarned = map[string]bool{}
		}
		x.noDefaultWarned[c.Name] = true
		e := sqlerr.As(err)
		x.s.addWarning(e.Code, "%s", e.Message)
	}
	return d, nil
}

// skipIgnored reports whether IGNORE (ignore) turns err, met while
// writing a row, into a warning that skips the row (see ignorable), and
// if so adds the warning.
func (x *execCtx) skipIgnored(ignore bool, err error) bool {
	if !ignore || !ignorable(err) {
		return false
	}
	e := sqlerr.As(x.s.qualifyFK(err)) // foreignkey.go
	x.s.addWarning(e.Code, "%s", e.Message)
	return true
}

// strictOr reports a condition of a row that is an error in strict mode
// and a warning outside it (x.loose): it returns the error, or adds the
// warning and returns nil.
func (x *execCtx) strictOr(code int, format string, args ...any) error {
	if !x.loose {
		return errf(code, format, args...)
	}
	x.s.addWarning(code, format, args...)
	return nil
}

// assignedValue is the value SET col = expr gives column i of ti: DEFAULT,
// or expr evaluated by ec and converted for the column.
func (x *execCtx) assignedValue(ti *tableInfo, ec *evalCtx, i int, expr ast.ExprNode, rowNum int) (any, error) {
	if d, ok := expr.(*ast.DefaultExpr); ok && d.Name == nil {
		return x.columnDefault(&ti.def.Columns[i])
	}
	v, err := ec.storedValue(expr)
	if err != nil {
		return nil, err
	}
	return x.coerce(ti, &ti.def.Columns[i], v, rowNum)
}

// defaultMarker is a value given as DEFAULT: already the column's type.
type defaultMarker struct{ v any }

// needsAuto reports whether v, given for an AUTO_INCREMENT column, asks for
// a generated value: NULL, or 0 unless keepZero (NO_AUTO_VALUE_ON_ZERO).
func needsAuto(v any, keepZero bool) bool {
	switch x := v.(type) {
	case nil:
		return true
	case int64:
		return x == 0 && !keepZero
	case uint64:
		return x == 0 && !keepZero
	}
	return false
}

// autoValue is an AUTO_INCREMENT column's value as an insert id (0 for
// NULL or a value not above zero).
func autoValue(v any) uint64 {
	switch v := v.(type) {
	case int64:
		if v > 0 {
			return uint64(v)
		}
	case uint64:
		return v
	}
	return 0
}

// insertRow inserts one converted row, resolving a duplicate key as the
// statement says (IGNORE, ON DUPLICATE KEY UPDATE, REPLACE). It returns
// MySQL's affected-row count for the row, the AUTO_INCREMENT value
// generated for it (also when the row ended up not inserted) and whether a
// new row was inserted.
func (x *execCtx) insertRow(ti *tableInfo, n *ast.InsertStmt, row engine.Row, autoCol int, rowNum int) (uint64, uint64, bool, error) {
	var affected, gen uint64
	if err := x.computeColumns(ti, row, rowNum); err != nil { // gencol.go
		if x.skipIgnored(n.IgnoreErr, err) {
			return 0, 0, false, nil
		}
		return 0, 0, false, err
	}
	if err := x.checkViewRow(ti, row); err != nil {
		return 0, 0, false, err
	}
	if err := x.checkRow(ti, row); err != nil { // check.go
		if x.skipIgnored(n.IgnoreErr, err) {
			return 0, 0, false, nil
		}
		return 0, 0, false, err
	}
	for attempt := 0; ; attempt++ {
		id, err := x.insertStored(ti, row) // timezone.go
		if id != 0 && gen == 0 {
			// Retries (REPLACE) and VALUES() see the generated value.
			gen = id
			if autoCol >= 0 {
				if ti.def.Columns[autoCol].Unsigned {
					row[autoCol] = id
				} else {
					row[autoCol] = int64(id)
				}
			}
		}
		if err == nil {
			x.returned(row)
			return affected + 1, gen, true, nil
		}
		if sqlerr.Code(err) == sqlerr.ErrNoReferencedRow && x.skipIgnored(n.IgnoreErr, err) {
			return 0, gen, false, nil // INSERT IGNORE: a row without its parent is skipped
		}
		if sqlerr.Code(err) != sqlerr.ErrDupEntry || attempt > len(ti.def.Indexes)+1 {
			return 0, 0, false, err
		}
		switch {
		case n.IsReplace:
			h, old, found, ferr := x.findConflict(ti, row)
			if ferr != nil {
				return 0, 0, false, ferr
			}
			if !found {
				return 0, 0, false, err
			}
			if onlyUniqueKey(ti.def) && rowsEqual(old, row) {
				// MariaDB replaces a row that collides on the table's
				// only unique key by updating it in place, and an update
				// to the same values changes nothing: the row counts once
				// (affected rows, LOAD DATA's Deleted, the info text's
				// Duplicates).
				x.returned(row)
				return affected + 1, gen, true, nil
			}
			if derr := x.tx.Delete(ti.name, h); derr != nil {
				return 0, 0, false, derr
			}
			affected++
			continue
		case len(n.OnDuplicate) > 0:
			h, old, found, ferr := x.findConflict(ti, row)
			if ferr != nil {
				return 0, 0, false, ferr
			}
			if !found {
				return 0, 0, false, err
			}
			changed, uerr := x.applyAssignments(ti, h, old, row, n.OnDuplicate, rowNum)
			if uerr != nil {
				return 0, 0, false, uerr
			}
			if changed {
				return 2, gen, false, nil
			}
			return 0, gen, false, nil
		case n.IgnoreErr:
			e := sqlerr.As(err)
			x.s.addWarning(e.Code, "%s", e.Message)
			return 0, gen, false, nil
		}
		return 0, 0, false, err
	}
}

// onlyUniqueKey reports whether def has exactly one unique key (its
// primary key or one unique index).
func onlyUniqueKey(def *engine.TableDef) bool {
	n := 0
	if len(def.PrimaryKey) > 0 {
		n++
	}
	for _, ix := range def.Indexes {
		if ix.Unique {
			n++
		}
	}
	return n == 1
}

// findConflict finds the stored row that row collides with on the primary
// key or a unique index.
func (x *execCtx) findConflict(ti *tableInfo, row engine.Row) (engine.Handle, engine.Row, bool, error) {
	key := func(cols []string) ([]any, bool) {
		vals := make([]any, len(cols))
		for i, c := range cols {
			ci := ti.column(c)
			vals[i] = x.storedKey(&ti.def.Columns[ci], row[ci]) // timezone.go
			if vals[i] == nil {
				return nil, false
			}
		}
		return vals, true
	}
	if len(ti.def.PrimaryKey) > 0 {
		if pk, ok := key(ti.def.PrimaryKey); ok {
			h, old, found, err := x.tx.Get(ti.name, pk)
			if found {
				x.shiftRead(ti.def, old)
			}
			if err != nil || found {
				return h, old, found, err
			}
		}
	}
	for _, ix := range ti.def.Indexes {
		if !ix.Unique {
			continue
		}
		vals, ok := key(ix.Columns)
		if !ok {
			continue
		}
		var h engine.Handle
		var old engine.Row
		found := false
		b := engine.Bound{Values: vals, Inclusive: true}
		err := x.tx.Scan(ti.name, engine.Scan{Index: ix.Name, Lo: b, Hi: b}, func(hh engine.Handle, r engine.Row) (bool, error) {
			x.shiftRead(ti.def, r)
			h, old, found = hh, r, true
			return false, nil
		})
		if err != nil || found {
			return h, old, found, err
		}
	}
	return "", nil, false, nil
}

// applyAssignments runs SET a=..., b=... on the stored row old (VALUES(c)
// reading inserted) and writes it back if it changed.
func (x *execCtx) applyAssignments(ti *tableInfo, h engine.Handle, old engine.Row, inserted engine.Row, list []*ast.Assignment, rowNum int) (bool, error) {
	row := append(engine.Row(nil), old...)
	ec := x.newEval(ti, "SET")
	ec.strict = !x.loose
	ec.row = row
	ec.values = inserted
	for _, a := range list {
		i := ti.column(a.Column.Name.O)
		if i < 0 || (a.Column.Table.L != "" && a.Column.Table.L != lower(ti.alias)) {
			return false, errUnknownColumn(columnText(a.Column), "SET")
		}
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
	if changed, err := x.updatedRow(ti, old, row, list, rowNum); !changed || err != nil {
		if err == nil {
			x.returned(row)
		}
		return false, err
	}
	if err := x.checkViewRow(ti, row); err != nil {
		return false, err
	}
	if err := x.checkRow(ti, row); err != nil { // check.go
		return false, err
	}
	if err := x.updateStored(ti, h, row); err != nil { // timezone.go
		return false, err
	}
	x.returned(row)
	return true, nil
}

// assigned reports whether list sets the column named col.
func assigned(list []*ast.Assignment, col string) bool {
	for _, a := range list {
		if strings.EqualFold(a.Column.Name.O, col) {
			return true
		}
	}
	return false
}

// rowsEqual reports whether two rows hold the same values (same types).
func rowsEqual(a, b engine.Row) bool {
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return compareValues(a, b) == 0
}

func (x *execCtx) update(n *ast.UpdateStmt) (Result, error) {
	if n.MultipleTable || isJoin(n.TableRefs) {
		return x.multiUpdate(n) // exec_multiwrite.go
	}
	if _, v := x.writeTarget(n.TableRefs); v != nil {
		return x.updateView(n, v)
	}
	ti, hints, err := x.singleTable(n.TableRefs)
	if err != nil {
		return Result{}, err
	}
	count, _, err := x.limitValues(n.Limit)
	if err != nil {
		return Result{}, err
	}
	// Lock before reading: the rows must not change between the read and
	// the write (a lost update otherwise).
	if err := x.tx.LockForWrite(ti.name); err != nil {
		return Result{}, err
	}
	x.loose = n.IgnoreErr || !x.s.sqlMode.strict()
	x.nullDefault = x.loose
	for _, a := range n.List {
		if ti.column(a.Column.Name.O) < 0 {
			return Result{}, errUnknownColumn(columnText(a.Column), "SET")
		}
	}
	rows, err := x.matchRows(ti, hints, n.Where, n.Order, count)
	if err != nil {
		return Result{}, err
	}
	// Subqueries in SET read the table as it was before the statement.
	pinned, err := x.snapshotSubqueries(ti, rows, n.List)
	if err != nil {
		return Result{}, err
	}
	var res Result
	res.Matched = uint64(len(rows))
	for i, r := range rows {
		x.pinSubqueries(pinned, i)
		changed, err := x.applyAssignments(ti, r.h, r.row, nil, n.List, i+1)
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
	if x.lastIDArg {
		res.LastInsertID = x.s.lastInsertID // SET n = LAST_INSERT_ID(n + 1)
	}
	return res, nil
}

func (x *execCtx) delete(n *ast.DeleteStmt) (Result, error) {
	if n.IsMultiTable || isJoin(n.TableRefs) {
		return x.multiDelete(n) // exec_multiwrite.go
	}
	if _, v := x.writeTarget(n.TableRefs); v != nil {
		return x.deleteView(n, v)
	}
	ti, hints, err := x.singleTable(n.TableRefs)
	if err != nil {
		return Result{}, err
	}
	count, _, err := x.limitValues(n.Limit)
	if err != nil {
		return Result{}, err
	}
	// Lock before reading: the rows must not change between the read and
	// the write (a lost update otherwise).
	if err := x.tx.LockForWrite(ti.name); err != nil {
		return Result{}, err
	}
	rows, err := x.matchRows(ti, hints, n.Where, n.Order, count)
	if err != nil {
		return Result{}, err
	}
	var n64 uint64
	for _, r := range rows {
		if err := x.tx.Delete(ti.name, r.h); err != nil {
			if x.skipIgnored(n.IgnoreErr, err) { // DELETE IGNORE: a row a foreign key keeps stays
				continue
			}
			return Result{}, err
		}
		n64++
		x.returned(r.row)
	}
	return Result{AffectedRows: n64}, nil
}

// looseDate is the time v names when v is text for a DATE, DATETIME or
// TIMESTAMP column c in one of the looser forms MariaDB also reads
// ('2024-3-5', '24/1/2 3:4', '2024.03.05 10.11.12'; parseDelimited) that
// the engine's conversion refused.
func looseDate(c *engine.Column, v any) (time.Time, bool) {
	if !c.Type.IsTime() {
		return time.Time{}, false
	}
	s, ok := engine.TextOf(v)
	if !ok {
		return time.Time{}, false
	}
	t, ok := parseDelimited(strings.TrimSpace(s))
	return t, ok && engine.InCalendar(t)
}
