package sqlshim

import (
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/shopspring/decimal"
)

// This file runs CREATE TABLE ... [AS] SELECT. As in MySQL, the table has
// the columns the statement defines, then every column of the SELECT whose
// name is not among them, typed after the SELECT's result (a table
// column's definition as it is, default included; an expression's type
// wide enough for the values it produced); the SELECT's rows are inserted by column
// name. A duplicate key is an error (the table is dropped again), or with
// IGNORE / REPLACE skips or replaces the row.
//
// DDL is not transactional: the SELECT runs in a transaction of its own
// (CREATE TEMPORARY TABLE ... SELECT: in the session's open transaction, if
// any), then the table is created, then the rows are inserted in another.
// The statement is still atomic across a crash: the table is created
// provisional (engine.DB.CreateTableProvisional) and confirmed once its
// rows are committed; a crash before that drops it at the next open.

// ctasQuery runs the SELECT of CREATE TABLE ... SELECT.
func (x *execCtx) ctasQuery(n *ast.CreateTableStmt) (*Result, error) {
	var res Result
	_, err := x.s.autocommit(x, func() (Result, error) {
		var err error
		res, err = x.query(n.Select)
		return Result{}, err
	})
	x.tx = nil
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// ctasColumns returns the table columns for the SELECT's columns whose
// names the statement does not define (seen holds those, lower case).
func ctasColumns(r *Result, seen map[string]bool) ([]engine.Column, error) {
	var cols []engine.Column
	mine := map[string]bool{}
	for i, c := range r.Columns {
		if mine[lower(c.Name)] {
			return nil, errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", c.Name)
		}
		mine[lower(c.Name)] = true
		if seen[lower(c.Name)] {
			continue
		}
		seen[lower(c.Name)] = true
		vals := make([]any, len(r.Rows))
		for j, row := range r.Rows {
			vals[j] = row[i]
		}
		col := ctasColumn(c, vals)
		if t := col.Type; t == engine.TypeChar || t == engine.TypeVarChar || t == engine.TypeText {
			col.Collation = derivedCollation(c) // the selected text's collation, as MariaDB keeps it
			col.Charset = derivedCharset(c)
		}
		cols = append(cols, col)
	}
	return cols, nil
}

// ctasColumn derives a table column from a result column and its values.
// A table column shown as it is keeps its definition, as in MariaDB:
// type (ENUM and SET members too), NOT NULL (unless an outer join may
// NULL-extend it), default, ON UPDATE and comment; not AUTO_INCREMENT
// (such a column gets DEFAULT 0) and not a generation expression.
func ctasColumn(c Column, vals []any) engine.Column {
	if c.def != nil {
		col := *c.def
		col.Name = c.Name
		col.NotNull = c.Flags&mysql.NotNullFlag != 0 // not after an outer join
		if col.AutoIncrement && !col.HasDefault && col.Type.IsInteger() {
			col.HasDefault, col.Default = true, int64(0)
			if col.Unsigned {
				col.Default = uint64(0)
			}
		}
		col.AutoIncrement = false
		if col.Generated != "" {
			// A generated column's values are copied into a plain
			// column, NULL DEFAULT NULL as MariaDB makes it.
			col.Generated, col.Stored, col.NotNull = "", false, false
		}
		return col
	}
	col := engine.Column{Name: c.Name, Unsigned: c.Flags&mysql.UnsignedFlag != 0, NotNull: c.Flags&mysql.NotNullFlag != 0}
	fromTable := c.Table != ""
	binary := c.Flags&mysql.BinaryFlag != 0
	maxLen := 0 // characters (bytes for binary strings)
	intDigits, scale := 1, int(c.Decimals)
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			maxLen = max(maxLen, utf8.RuneCountInString(x))
		case []byte:
			maxLen = max(maxLen, len(x))
		case decimal.Decimal:
			d := len(x.Abs().Truncate(0).String())
			intDigits = max(intDigits, d)
			if e := int(-x.Exponent()); e > scale {
				scale = e
			}
		}
	}
	for _, it := range intTypes {
		if it.wire == c.Type {
			col.Type, col.Length = it.eng, it.width
		}
	}
	if col.Unsigned && col.Type.IsInteger() && col.Type != engine.TypeBigInt {
		col.Length-- // display width without the sign, as a definition gives it
	}
	if c.Type == mysql.TypeLong && c.Length > 0 || c.Type == mysql.TypeLonglong && c.Length > 0 {
		// An integer expression's own width (intInfo): int(1) for
		// a comparison, bigint(10) for the literal 1234567890, bigint(21)
		// for COUNT(*) or b + b, as MariaDB's.
		col.Length = int(c.Length)
	}
	typ := c.Type
	if typ == mysql.TypeNull && c.textChars > 0 {
		typ = mysql.TypeVarString // a string expression of no rows, or only NULLs
	}
	switch typ {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong:
		// above
	case mysql.TypeFloat:
		col.Type = engine.TypeFloat
	case mysql.TypeDouble:
		col.Type = engine.TypeDouble
	case mysql.TypeNewDecimal:
		col.Type = engine.TypeDecimal
		scale = min(scale, 30)
		switch {
		case fromTable:
			col.Precision, col.Scale = int(c.Length)-2, int(c.Decimals)
		case c.decPrec > 0:
			// The expression's own precision (decExprType), as
			// MariaDB's (dt3 + 0 is decimal(18,3)); never fewer digits
			// than the values have.
			scale = int(c.Decimals)
			col.Precision, col.Scale = min(max(int(c.decPrec), intDigits+scale), 65), scale
		default:
			col.Precision, col.Scale = min(intDigits+scale, 65), scale
		}
	case mysql.TypeString, mysql.TypeVarString, mysql.TypeVarchar:
		switch {
		case fromTable && binary:
			col.Length = int(c.Length)
		case fromTable:
			col.Length = int(c.Length) / 4
		case c.textChars > 0:
			// The expression's own length (exprTextLen), as MariaDB's,
			// never shorter than its values.
			col.Length = max(maxLen, int(c.textChars)-1)
			if col.Length > maxVarcharExprChars {
				col.Type, col.Length = engine.TypeText, textColumnLength(col.Length)
				return col
			}
		default:
			col.Length = max(maxLen, 1)
		}
		switch {
		case c.Type == mysql.TypeString && fromTable && binary:
			col.Type = engine.TypeBinary
		case c.Type == mysql.TypeString && (fromTable || c.textChars > 0):
			col.Type = engine.TypeChar // (MIN or MAX of a CHAR column too)
		case binary:
			col.Type = engine.TypeVarBinary
		default:
			col.Type = engine.TypeVarChar
		}
		if col.Length > 16383 {
			col.Type, col.Length = engine.TypeText, 0
			if binary {
				col.Type = engine.TypeBlob
			}
		}
	case mysql.TypeBlob, mysql.TypeTinyBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob:
		col.Type = engine.TypeText
		if binary {
			col.Type = engine.TypeBlob
		}
		if fromTable && c.Length < 65535 {
			col.Length = int(c.Length)
		}
	case mysql.TypeDate:
		col.Type = engine.TypeDate
	case mysql.TypeDatetime:
		col.Type, col.Scale = engine.TypeDateTime, int(min(c.Decimals, 6))
	case mysql.TypeTimestamp:
		col.Type, col.Scale = engine.TypeTimestamp, int(min(c.Decimals, 6))
	case mysql.TypeJSON:
		col.Type = engine.TypeJSON
	case mysql.TypeDuration:
		col.Type, col.Scale = engine.TypeTime, int(min(c.Decimals, 6))
	case mysql.TypeYear:
		col.Type, col.Length, col.Unsigned = engine.TypeYear, 4, false
	default: // NULL only: MariaDB makes it BINARY(0); a short string here
		col.Type, col.Length = engine.TypeVarChar, 1
	}
	return col
}

// maxVarcharExprChars is the longest string expression CREATE TABLE ...
// SELECT makes a VARCHAR for; a longer one is a TEXT, as in MariaDB.
const maxVarcharExprChars = 512

// textColumnLength is the TEXT column Length (exec_show.go names it) that
// holds chars characters of utf8mb4: TEXT up to 65,535 bytes, MEDIUMTEXT up
// to 16 MiB, LONGTEXT beyond.
func textColumnLength(chars int) int {
	switch bytes := int64(chars) * 4; {
	case bytes <= 65535:
		return 0
	case bytes <= 16777215:
		return 16777215
	}
	return 4294967295
}

// ctasFill inserts the SELECT's rows into the table just created in db
// (the base database or the session's temporary one), provisional, and
// confirms it; it drops the table again if that fails, as MySQL does. A
// crash before the confirmation drops the table at the next open.
func (x *execCtx) ctasFill(db *engine.DB, n *ast.CreateTableStmt, r *Result) (Result, error) {
	res, err := x.ctasInsert(db, n, r)
	if err == nil {
		err = db.ConfirmTable(n.Table.Name.O)
	}
	if err != nil {
		if derr := db.DropTable(x.ctx, n.Table.Name.O); derr != nil {
			return Result{}, derr
		}
		return Result{}, err
	}
	return res, nil
}

// ctasInsert inserts the SELECT's rows into the new table of db by column
// name.
func (x *execCtx) ctasInsert(db *engine.DB, n *ast.CreateTableStmt, r *Result) (Result, error) {
	def, err := db.Table(n.Table.Name.O)
	if err != nil {
		return Result{}, err
	}
	ti := newTableInfo(def, "")
	target := make([]int, len(r.Columns))
	for i, c := range r.Columns {
		target[i] = ti.column(c.Name)
	}
	autoCol := -1
	for i := range def.Columns {
		if def.Columns[i].AutoIncrement {
			autoCol = i
		}
	}
	ins := &ast.InsertStmt{
		IgnoreErr: n.OnDuplicate == ast.OnDuplicateKeyHandlingIgnore,
		IsReplace: n.OnDuplicate == ast.OnDuplicateKeyHandlingReplace,
	}
	// The rows commit at once, in a transaction of their own: a base
	// table's DDL committed the session's transaction already, and a
	// temporary table keeps them even if that transaction (open across
	// CREATE TEMPORARY TABLE) rolls back, as in MariaDB. The transaction
	// sees the temporary tables only when the new table is one: a new base
	// table is written even where a temporary table shadows its name.
	tx, err := x.s.db.Begin(x.ctx)
	if err != nil {
		return Result{}, mapErr(err)
	}
	if db.IsTemp() {
		tx.UseTemp(db)
	}
	return x.s.inOwnTx(x, tx, func() (Result, error) {
		var res Result
		var counts insertCounts
		for k, given := range r.Rows {
			rowNum := k + 1
			row := make(engine.Row, len(def.Columns))
			set := make([]bool, len(row))
			for i, v := range given {
				j := target[i]
				if j < 0 || set[j] {
					continue // a duplicate name: the first one's value
				}
				cv, err := x.coerce(ti, &def.Columns[j], v, rowNum)
				if err != nil {
					return Result{}, err
				}
				row[j], set[j] = cv, true
			}
			for j := range row {
				if !set[j] {
					v, err := x.columnDefault(&def.Columns[j])
					if err != nil {
						return Result{}, err
					}
					row[j] = v
				}
			}
			affected, _, inserted, err := x.insertRow(ti, ins, row, autoCol, rowNum)
			if err != nil {
				return Result{}, err
			}
			res.AffectedRows += affected
			counts.add(affected, inserted)
		}
		res.Info = counts.info(x, ins.IgnoreErr)
		return res, nil
	})
}

// derivedColumns is the metadata of a derived table's columns: its
// SELECT's, a table column's definition without its default (a derived
// table is a temporary table whose columns have none, as in MariaDB:
// CREATE TABLE ... SELECT from it gets no DEFAULT clauses). cols is not
// changed.
func derivedColumns(cols []Column) []Column {
	out := make([]Column, len(cols))
	for i, c := range cols {
		if c.def != nil {
			def := *c.def
			def.HasDefault, def.Default, def.DefaultNow, def.OnUpdateNow = false, nil, false, false
			def.AutoIncrement = false
			c.def = &def
		}
		out[i] = c
	}
	return out
}
