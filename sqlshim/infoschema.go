package sqlshim

import (
	"slices"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
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

// errInfoSchemaDenied is MariaDB's answer to a write or DDL on
// information_schema.
func errInfoSchemaDenied() error {
	e := newErr(1044, "Access denied for user 'root'@'localhost' to database '%s'", infoSchemaName)
	e.State = "42000"
	return e
}

// infoCollation gives the text columns of an information_schema view the
// case-insensitive collation MariaDB's have (utf8mb3_general_ci; ASCII
// names compare alike under utf8mb4_general_ci): they sort 'PRIMARY'
// between 'kn' and 'uq', and TABLE_NAME = 'T' finds table t.
func infoCollation(res *Result) {
	for i := range res.Columns {
		c := &res.Columns[i]
		if c.Type == mysql.TypeVarString && c.Collation == nil {
			c.Collation = collate.GeneralCI
		}
	}
}

// infoSchemaTable builds the named view (1109 for a name it does not
// have).
func (x *execCtx) infoSchemaTable(name string) (Result, error) {
	if name == showTableName && x.showRes != nil {
		return *x.showRes, nil
	}
	switch strings.ToLower(name) {
	case "schemata":
		return x.isSchemata(), nil
	case "tables":
		return x.isTables()
	case "columns":
		return x.isColumns()
	case "statistics":
		return x.isStatistics()
	case "table_constraints":
		return x.isTableConstraints(), nil
	case "key_column_usage":
		return x.isKeyColumnUsage(), nil
	case "referential_constraints":
		return x.isReferentialConstraints(), nil
	case "check_constraints":
		return x.isCheckConstraints(), nil // check.go
	case "views":
		return x.isViews(), nil
	case "processlist":
		return x.isProcessList(), nil // processlist.go
	case "engines":
		r, err := x.showRows(&ast.ShowStmt{Tp: ast.ShowEngines})
		return renameColumns(r, "ENGINE", "SUPPORT", "COMMENT", "TRANSACTIONS", "XA", "SAVEPOINTS"), err
	case "character_sets":
		cols := textColumns("CHARACTER_SET_NAME", "DEFAULT_COLLATE_NAME", "DESCRIPTION", "MAXLEN")
		intColumn(cols, "MAXLEN")
		rows := [][]any{}
		for _, c := range charsets {
			rows = append(rows, []any{c.name, c.collation, c.description, c.maxLen})
		}
		return Result{Columns: cols, Rows: rows}, nil
	case "collations":
		r, err := x.showRows(&ast.ShowStmt{Tp: ast.ShowCollation})
		return renameColumns(r, "COLLATION_NAME", "CHARACTER_SET_NAME", "ID", "IS_DEFAULT", "IS_COMPILED", "SORTLEN"), err
	// The server's side (infoschema_server.go).
	case "global_variables", "session_variables":
		return isNameValue(x.showVariables(&ast.ShowStmt{Tp: ast.ShowVariables}))
	case "global_status", "session_status":
		return isNameValue(x.showStatus(&ast.ShowStmt{Tp: ast.ShowStatus}))
	case "partitions":
		return x.isPartitions()
	case "plugins":
		return isPlugins(), nil
	case "user_privileges":
		return x.isUserPrivileges(), nil
	case "enabled_roles":
		return Result{Columns: textColumns("ROLE_NAME"), Rows: [][]any{{nil}}}, nil
	}
	if cols, ok := emptyInfoViews[strings.ToLower(name)]; ok {
		return Result{Columns: textColumns(strings.Split(cols, ",")...), Rows: [][]any{}}, nil
	}
	e := newErr(1109, "Unknown table '%s' in %s", name, infoSchemaName)
	e.State = "42S02"
	return Result{}, e
}

// infoSchemaViews names the views infoSchemaTable builds (besides
// emptyInfoViews'), for SHOW TABLES FROM information_schema.
var infoSchemaViews = []string{
	"schemata", "tables", "columns", "statistics", "table_constraints", "key_column_usage",
	"referential_constraints", "check_constraints", "views", "processlist", "engines",
	"character_sets", "collations", "global_variables", "session_variables", "global_status",
	"session_status", "partitions", "plugins", "user_privileges", "enabled_roles",
}

// infoSchemaNames returns the names of information_schema's views as
// MariaDB spells them (upper case), sorted.
func infoSchemaNames() []string {
	names := make([]string, 0, len(infoSchemaViews)+len(emptyInfoViews))
	for _, n := range infoSchemaViews {
		names = append(names, strings.ToUpper(n))
	}
	for n := range emptyInfoViews {
		if !slices.Contains(infoSchemaViews, n) {
			names = append(names, strings.ToUpper(n))
		}
	}
	slices.Sort(names)
	return names
}

// showInfoSchemaTables answers SHOW [FULL] TABLES and SHOW TABLE STATUS
// FROM information_schema: its views, SYSTEM VIEWs of engine MEMORY as in
// MariaDB (whose sizes and times, which describe its own memory tables,
// are NULL here).
func (x *execCtx) showInfoSchemaTables(n *ast.ShowStmt) (Result, error) {
	pat, err := x.showPattern(n)
	if err != nil {
		return Result{}, err
	}
	var names []string
	for _, name := range infoSchemaNames() {
		if pat == nil || likeMatch(name, *pat) {
			names = append(names, name)
		}
	}
	rows := [][]any{}
	if n.Tp == ast.ShowTableStatus {
		cols := tableStatusColumns()
		for _, name := range names {
			row := make([]any, len(cols))
			row[0], row[1], row[2], row[3] = name, "MEMORY", int64(11), "Fixed"
			row[14], row[17], row[19] = "utf8mb3_general_ci", "", "Y"
			rows = append(rows, row)
		}
		return Result{Columns: cols, Rows: rows}, nil
	}
	cols := textColumns("Tables_in_" + n.DBName)
	if n.Full {
		cols = textColumns("Tables_in_"+n.DBName, "Table_type")
	}
	if pat != nil {
		cols[0].Name += " (" + *pat + ")"
	}
	for _, name := range names {
		if n.Full {
			rows = append(rows, []any{name, "SYSTEM VIEW"})
		} else {
			rows = append(rows, []any{name})
		}
	}
	return Result{Columns: cols, Rows: rows}, nil
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
		if r[17] == "VIEW" && r[1] == nil {
			rows = append(rows, []any{"def", x.s.DBName, r[0], "VIEW", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "VIEW", nil, nil})
			continue
		}
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
	for _, ti := range append(x.infoTables(), x.viewTableInfos()...) {
		def := x.shownDef(ti.def) // timezone.go
		for i := range def.Columns {
			c := &def.Columns[i]
			null, extra := nullExtra(c)
			var def any
			switch {
			case c.DefaultExpr != "":
				def = c.DefaultExpr
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
			isGen, genExpr := isGenerated(c) // gencol.go
			rows = append(rows, []any{"def", x.s.DBName, ti.name, c.Name, int64(i + 1), def, null, dataType,
				charLen, octetLen, numPrec, numScale, dtPrec, charset, collation, ct, keyFlag(ti.def, c.Name), extra,
				"select,insert,update,references", c.Comment, isGen, genExpr})
		}
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// columnSizes are the size columns of information_schema.COLUMNS for c, as
// MariaDB reports them (NULL where they do not apply).
func columnSizes(c *engine.Column) (charLen, octetLen, numPrec, numScale, dtPrec, charset, collation any) {
	text := func(chars int64) {
		charLen, octetLen = chars, 4*chars
		if c.Charset != nil {
			octetLen = chars * int64(c.Charset.MaxLen)
		}
		charset, collation = columnCharset(c)
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
		charLen, octetLen = lob, lob
		charset, collation = columnCharset(c)
	case engine.TypeJSON:
		charLen, octetLen, charset, collation = int64(4294967295), int64(4294967295), "utf8mb4", "utf8mb4_bin"
	case engine.TypeBinary, engine.TypeVarBinary:
		bytes(int64(c.Length))
	case engine.TypeBlob:
		bytes(lob)
	case engine.TypeDateTime, engine.TypeTimestamp, engine.TypeTime:
		dtPrec = int64(c.Scale)
	case engine.TypeEnum, engine.TypeSet:
		text(int64(elemsLen(c)))
	case engine.TypeBit:
		numPrec = int64(c.Length)
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
		for _, r := range showIndex(ti, x.cardinality(ti.name)).Rows {
			rows = append(rows, []any{"def", x.s.DBName, r[0], r[1], x.s.DBName, r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13]})
		}
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// emptyInfoViews are the information_schema views of things blitz has
// none of (triggers, routines, events, grants below the global level,
// roles, tablespace files), with MariaDB 10.11's columns.
var emptyInfoViews = map[string]string{
	"triggers":          "TRIGGER_CATALOG,TRIGGER_SCHEMA,TRIGGER_NAME,EVENT_MANIPULATION,EVENT_OBJECT_CATALOG,EVENT_OBJECT_SCHEMA,EVENT_OBJECT_TABLE,ACTION_ORDER,ACTION_CONDITION,ACTION_STATEMENT,ACTION_ORIENTATION,ACTION_TIMING,ACTION_REFERENCE_OLD_TABLE,ACTION_REFERENCE_NEW_TABLE,ACTION_REFERENCE_OLD_ROW,ACTION_REFERENCE_NEW_ROW,CREATED,SQL_MODE,DEFINER,CHARACTER_SET_CLIENT,COLLATION_CONNECTION,DATABASE_COLLATION",
	"routines":          "SPECIFIC_NAME,ROUTINE_CATALOG,ROUTINE_SCHEMA,ROUTINE_NAME,ROUTINE_TYPE,DATA_TYPE,CHARACTER_MAXIMUM_LENGTH,CHARACTER_OCTET_LENGTH,NUMERIC_PRECISION,NUMERIC_SCALE,DATETIME_PRECISION,CHARACTER_SET_NAME,COLLATION_NAME,DTD_IDENTIFIER,ROUTINE_BODY,ROUTINE_DEFINITION,EXTERNAL_NAME,EXTERNAL_LANGUAGE,PARAMETER_STYLE,IS_DETERMINISTIC,SQL_DATA_ACCESS,SQL_PATH,SECURITY_TYPE,CREATED,LAST_ALTERED,SQL_MODE,ROUTINE_COMMENT,DEFINER,CHARACTER_SET_CLIENT,COLLATION_CONNECTION,DATABASE_COLLATION",
	"parameters":        "SPECIFIC_CATALOG,SPECIFIC_SCHEMA,SPECIFIC_NAME,ORDINAL_POSITION,PARAMETER_MODE,PARAMETER_NAME,DATA_TYPE,CHARACTER_MAXIMUM_LENGTH,CHARACTER_OCTET_LENGTH,NUMERIC_PRECISION,NUMERIC_SCALE,DATETIME_PRECISION,CHARACTER_SET_NAME,COLLATION_NAME,DTD_IDENTIFIER,ROUTINE_TYPE",
	"views":             "TABLE_CATALOG,TABLE_SCHEMA,TABLE_NAME,VIEW_DEFINITION,CHECK_OPTION,IS_UPDATABLE,DEFINER,SECURITY_TYPE,CHARACTER_SET_CLIENT,COLLATION_CONNECTION,ALGORITHM",
	"schema_privileges": "GRANTEE,TABLE_CATALOG,TABLE_SCHEMA,PRIVILEGE_TYPE,IS_GRANTABLE",
	"table_privileges":  "GRANTEE,TABLE_CATALOG,TABLE_SCHEMA,TABLE_NAME,PRIVILEGE_TYPE,IS_GRANTABLE",
	"column_privileges": "GRANTEE,TABLE_CATALOG,TABLE_SCHEMA,TABLE_NAME,COLUMN_NAME,PRIVILEGE_TYPE,IS_GRANTABLE",
	"applicable_roles":  "GRANTEE,ROLE_NAME,IS_GRANTABLE,IS_DEFAULT",
	"files":             "FILE_ID,FILE_NAME,FILE_TYPE,TABLESPACE_NAME,TABLE_CATALOG,TABLE_SCHEMA,TABLE_NAME,LOGFILE_GROUP_NAME,LOGFILE_GROUP_NUMBER,ENGINE,FULLTEXT_KEYS,DELETED_ROWS,UPDATE_COUNT,FREE_EXTENTS,TOTAL_EXTENTS,EXTENT_SIZE,INITIAL_SIZE,MAXIMUM_SIZE,AUTOEXTEND_SIZE,CREATION_TIME,LAST_UPDATE_TIME,LAST_ACCESS_TIME,RECOVER_TIME,TRANSACTION_COUNTER,VERSION,ROW_FORMAT,TABLE_ROWS,AVG_ROW_LENGTH,DATA_LENGTH,MAX_DATA_LENGTH,INDEX_LENGTH,DATA_FREE,CREATE_TIME,UPDATE_TIME,CHECK_TIME,CHECKSUM,STATUS,EXTRA",
	"events":            "EVENT_CATALOG,EVENT_SCHEMA,EVENT_NAME,DEFINER,TIME_ZONE,EVENT_BODY,EVENT_DEFINITION,EVENT_TYPE,EXECUTE_AT,INTERVAL_VALUE,INTERVAL_FIELD,SQL_MODE,STARTS,ENDS,STATUS,ON_COMPLETION,CREATED,LAST_ALTERED,LAST_EXECUTED,EVENT_COMMENT,ORIGINATOR,CHARACTER_SET_CLIENT,COLLATION_CONNECTION,DATABASE_COLLATION",
}

// renameColumns gives r's columns the names an information_schema view
// has for what a SHOW prints.
func renameColumns(r Result, names ...string) Result {
	cols := append([]Column(nil), r.Columns...)
	for i := range cols {
		cols[i].Name = names[i]
	}
	r.Columns = cols
	return r
}

// tableKeys calls fn for each PRIMARY and UNIQUE key of ti, in SHOW INDEX
// order.
func tableKeys(ti *tableInfo, fn func(name string, cols []string)) {
	if len(ti.def.PrimaryKey) > 0 {
		fn("PRIMARY", ti.def.PrimaryKey)
	}
	for _, ix := range ti.def.Indexes {
		if ix.Unique {
			fn(ix.Name, ix.Columns)
		}
	}
}

func (x *execCtx) isTableConstraints() Result {
	cols := textColumns("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "TABLE_SCHEMA", "TABLE_NAME", "CONSTRAINT_TYPE")
	rows := [][]any{}
	for _, ti := range x.infoTables() {
		tableKeys(ti, func(name string, _ []string) {
			typ := "UNIQUE"
			if name == "PRIMARY" {
				typ = "PRIMARY KEY"
			}
			rows = append(rows, []any{"def", x.s.DBName, name, x.s.DBName, ti.name, typ})
		})
		for _, fk := range ti.def.ForeignKeys {
			rows = append(rows, []any{"def", x.s.DBName, fk.Name, x.s.DBName, ti.name, "FOREIGN KEY"})
		}
		for _, r := range checkConstraintRows(x.s.DBName, ti.def) { // check.go
			rows = append(rows, []any{"def", x.s.DBName, r[3], x.s.DBName, ti.name, "CHECK"})
		}
	}
	return Result{Columns: cols, Rows: rows}
}

func (x *execCtx) isKeyColumnUsage() Result {
	cols := textColumns("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION", "POSITION_IN_UNIQUE_CONSTRAINT", "REFERENCED_TABLE_SCHEMA", "REFERENCED_TABLE_NAME", "REFERENCED_COLUMN_NAME")
	intColumn(cols, "ORDINAL_POSITION", "POSITION_IN_UNIQUE_CONSTRAINT")
	rows := [][]any{}
	for _, ti := range x.infoTables() {
		tableKeys(ti, func(name string, kc []string) {
			for i, c := range kc {
				rows = append(rows, []any{"def", x.s.DBName, name, "def", x.s.DBName, ti.name, c, int64(i + 1), nil, nil, nil, nil})
			}
		})
		for _, fk := range ti.def.ForeignKeys {
			for i, c := range fk.Columns {
				rows = append(rows, []any{"def", x.s.DBName, fk.Name, "def", x.s.DBName, ti.name, c, int64(i + 1), int64(i + 1), x.s.DBName, fk.RefTable, fk.RefColumns[i]})
			}
		}
	}
	return Result{Columns: cols, Rows: rows}
}

// isReferentialConstraints is information_schema.REFERENTIAL_CONSTRAINTS:
// one row per foreign key, naming the referenced table's key that it uses
// (NULL while that table is missing: foreign_key_checks = 0).
func (x *execCtx) isReferentialConstraints() Result {
	cols := textColumns("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "UNIQUE_CONSTRAINT_CATALOG", "UNIQUE_CONSTRAINT_SCHEMA",
		"UNIQUE_CONSTRAINT_NAME", "MATCH_OPTION", "UPDATE_RULE", "DELETE_RULE", "TABLE_NAME", "REFERENCED_TABLE_NAME")
	rows := [][]any{}
	for _, ti := range x.infoTables() {
		for _, fk := range ti.def.ForeignKeys {
			var key any
			if pd, err := x.s.db.TableShared(fk.RefTable); err == nil {
				if k := supportingIndex(pd, fk.RefColumns, ""); k != "" { // foreignkey.go
					key = k
				}
			}
			rows = append(rows, []any{"def", x.s.DBName, fk.Name, "def", x.s.DBName, key, "NONE",
				fk.OnUpdate.String(), fk.OnDelete.String(), ti.name, fk.RefTable})
		}
	}
	return Result{Columns: cols, Rows: rows}
}
