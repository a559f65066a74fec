package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// information_schema: the views of the database's tables, columns and
// indexes that ORMs, migration tools and GUI clients query. Each is built
// in memory when a statement reads it (from the same definitions SHOW
// TABLE STATUS, DESCRIBE and SHOW INDEX use) and then joins, filters and
// sorts like a derived table. The columns are MariaDB 10.11's, in its
// order; the database is the one directory blitz has open.

const infoSchemaName = "information_schema"

// isInfoSchema reports whether t names a table of information_schema.
func isInfoSchema(t *ast.TableName) bool { return t.Schema.L == infoSchemaName }

// infoSchemaTable builds the named view (1109 for a name it does not
// have).
func (x *execCtx) infoSchemaTable(name string) (Result, error) {
	switch strings.ToLower(name) {
	case "schemata":
		return x.isSchemata(), nil
	case "tables":
		return x.isTables()
	case "columns":
		return x.isColumns()
	case "statistics":
		return x.isStatistics()
	}
	e := newErr(1109, "Unknown table '%s' in %s", name, infoSchemaName)
	e.State = "42S02"
	return Result{}, e
}

func (x *execCtx) isSchemata() Result {
	cols := textColumns("CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME", "SQL_PATH", "SCHEMA_COMMENT")
	return Result{Columns: cols, Rows: [][]any{{"def", x.s.DBName, "utf8mb4", "utf8mb4_bin", nil, ""}}}
}

func (x *execCtx) isTables() (Result, error) {
	st, err := x.tableStatus(&ast.ShowStmt{Tp: ast.ShowTableStatus})
	if err != nil {
		return Result{}, err
	}
	cols := textColumns("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE", "ENGINE", "VERSION", "ROW_FORMAT", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH", "INDEX_LENGTH", "DATA_FREE", "AUTO_INCREMENT", "CREATE_TIME", "UPDATE_TIME", "CHECK_TIME", "TABLE_COLLATION", "CHECKSUM", "CREATE_OPTIONS", "TABLE_COMMENT", "MAX_INDEX_LENGTH", "TEMPORARY")
	intColumn(cols, "VERSION", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH", "INDEX_LENGTH", "DATA_FREE", "AUTO_INCREMENT", "CHECKSUM", "MAX_INDEX_LENGTH")
	rows := make([][]any, 0, len(st.Rows))
	for _, r := range st.Rows {
		// SHOW TABLE STATUS: Name Engine Version Row_format Rows
		// Avg_row_length Data_length Max_data_length Index_length Data_free
		// Auto_increment Create_time Update_time Check_time Collation
		// Checksum Create_options Comment ...
		rows = append(rows, []any{"def", x.s.DBName, r[0], "BASE TABLE", r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17], nil, "N"})
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// infoTables returns the definitions of the database's tables, in name
// order; a table dropped meanwhile is left out.
func (x *execCtx) infoTables() []*tableInfo {
	var out []*tableInfo
	for _, t := range x.s.db.Tables() {
		def, err := x.s.db.Table(t)
		if err != nil {
			continue
		}
		out = append(out, newTableInfo(def, ""))
	}
	return out
}

func (x *execCtx) isColumns() (Result, error) {
	cols := textColumns("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION", "COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH", "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION", "CHARACTER_SET_NAME", "COLLATION_NAME", "COLUMN_TYPE", "COLUMN_KEY", "EXTRA", "PRIVILEGES", "COLUMN_COMMENT", "IS_GENERATED", "GENERATION_EXPRESSION")
	intColumn(cols, "ORDINAL_POSITION", "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH", "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION")
	rows := [][]any{}
	for _, ti := range x.infoTables() {
		for i := range ti.def.Columns {
			c := &ti.def.Columns[i]
			null, extra := nullExtra(c)
			var def any
			switch {
			case c.DefaultNow:
				def = nowText(c)
			case c.HasDefault && c.Default != nil:
				def = defaultText(c) // SQL text, where DESCRIBE shows the value
			}
			ct := typeText(c)
			dataType := ct
			if j := strings.IndexAny(dataType, "( "); j >= 0 {
				dataType = dataType[:j]
			}
			charLen, octetLen, numPrec, numScale, dtPrec, charset, collation := columnSizes(c)
			rows = append(rows, []any{"def", x.s.DBName, ti.name, c.Name, int64(i + 1), def, null, dataType,
				charLen, octetLen, numPrec, numScale, dtPrec, charset, collation, ct, keyFlag(ti.def, c.Name), extra,
				"select,insert,update,references", c.Comment, "NEVER", nil})
		}
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// columnSizes are the size columns of information_schema.COLUMNS for c, as
// MariaDB reports them (NULL where they do not apply).
func columnSizes(c *engine.Column) (charLen, octetLen, numPrec, numScale, dtPrec, charset, collation any) {
	text := func(chars int64) {
		charLen, octetLen, charset, collation = chars, 4*chars, "utf8mb4", "utf8mb4_bin"
	}
	bytes := func(n int64) { charLen, octetLen = n, n }
	lob := int64(c.Length)
	if lob == 0 {
		lob = 65535
	}
	switch c.Type {
	case engine.TypeTinyInt:
		numPrec, numScale = int64(3), int64(0)
	case engine.TypeSmallInt:
		numPrec, numScale = int64(5), int64(0)
	case engine.TypeMediumInt:
		numPrec, numScale = int64(7), int64(0)
	case engine.TypeInt:
		numPrec, numScale = int64(10), int64(0)
	case engine.TypeBigInt:
		numPrec, numScale = int64(19), int64(0)
		if c.Unsigned {
			numPrec = int64(20)
		}
	case engine.TypeFloat:
		numPrec = int64(12)
	case engine.TypeDouble:
		numPrec = int64(22)
	case engine.TypeDecimal:
		numPrec, numScale = int64(c.Precision), int64(c.Scale)
	case engine.TypeChar, engine.TypeVarChar:
		text(int64(c.Length))
	case engine.TypeText:
		charLen, octetLen, charset, collation = lob, lob, "utf8mb4", "utf8mb4_bin"
	case engine.TypeJSON:
		charLen, octetLen, charset, collation = int64(4294967295), int64(4294967295), "utf8mb4", "utf8mb4_bin"
	case engine.TypeBinary, engine.TypeVarBinary:
		bytes(int64(c.Length))
	case engine.TypeBlob:
		bytes(lob)
	case engine.TypeDateTime, engine.TypeTimestamp:
		dtPrec = int64(c.Scale)
	}
	return
}

func (x *execCtx) isStatistics() (Result, error) {
	cols := textColumns("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "NON_UNIQUE", "INDEX_SCHEMA", "INDEX_NAME", "SEQ_IN_INDEX", "COLUMN_NAME", "COLLATION", "CARDINALITY", "SUB_PART", "PACKED", "NULLABLE", "INDEX_TYPE", "COMMENT", "INDEX_COMMENT", "IGNORED")
	intColumn(cols, "NON_UNIQUE", "SEQ_IN_INDEX", "CARDINALITY", "SUB_PART")
	rows := [][]any{}
	for _, ti := range x.infoTables() {
		// SHOW INDEX: Table Non_unique Key_name Seq_in_index Column_name
		// Collation Cardinality Sub_part Packed Null Index_type Comment
		// Index_comment Ignored
		for _, r := range showIndex(ti).Rows {
			rows = append(rows, []any{"def", x.s.DBName, r[0], r[1], x.s.DBName, r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13]})
		}
	}
	return Result{Columns: cols, Rows: rows}, nil
}
