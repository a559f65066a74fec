package sqlshim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/shopspring/decimal"
)

// textColumns returns result-set columns of VARCHAR type named names.
func textColumns(names ...string) []Column {
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n, Type: mysql.TypeVarString, Length: 256}
	}
	return cols
}

// intColumn turns column i of cols into a BIGINT column.
func intColumn(cols []Column, names ...string) {
	for i := range cols {
		for _, n := range names {
			if cols[i].Name == n {
				cols[i].Type, cols[i].Length = mysql.TypeLonglong, 21
			}
		}
	}
}

// show answers a SHOW statement, its WHERE clause included.
func (x *execCtx) show(n *ast.ShowStmt) (Result, error) {
	res, err := x.showRows(n)
	if err != nil || n.Where == nil {
		return res, err
	}
	return x.filterShow(res, n.Where)
}

// showRows answers a SHOW statement but for its WHERE clause.
func (x *execCtx) showRows(n *ast.ShowStmt) (Result, error) {
	if x.s.otherDB(n.DBName) {
		switch n.Tp {
		case ast.ShowTables, ast.ShowTableStatus:
			return Result{}, errUnknownDB(n.DBName)
		case ast.ShowColumns, ast.ShowIndex:
			if n.Table != nil && n.Table.Schema.O == "" {
				return Result{}, errNoTable(n.DBName, n.Table.Name.O)
			}
		}
	}
	if res, ok, err := x.viewShow(n); ok {
		return res, err
	}
	if x.s.infoSchemaDB(n.DBName) {
		switch n.Tp {
		case ast.ShowTables, ast.ShowTableStatus:
			return x.showInfoSchemaTables(n) // infoschema.go
		}
	}
	if res, ok, err := x.catalogShow(n); ok {
		return res, err
	}
	switch n.Tp {
	case ast.ShowTables:
		col := "Tables_in_" + x.s.DBName
		full := n.Full
		cols := textColumns(col)
		if full {
			cols = textColumns(col, "Table_type")
		}
		pat, err := x.showPattern(n)
		if err != nil {
			return Result{}, err
		}
		if pat != nil {
			cols[0].Name += " (" + *pat + ")"
		}
		rows := [][]any{}
		for _, r := range x.relations() {
			if pat != nil && !tableNameLike(r.name, *pat) {
				continue
			}
			switch {
			case !full:
				rows = append(rows, []any{r.name})
			case r.view:
				rows = append(rows, []any{r.name, "VIEW"})
			default:
				rows = append(rows, []any{r.name, "BASE TABLE"})
			}
		}
		return Result{Columns: cols, Rows: rows}, nil
	case ast.ShowDatabases:
		pat, err := x.showPattern(n)
		if err != nil {
			return Result{}, err
		}
		cols := textColumns("Database")
		if pat != nil {
			cols[0].Name += " (" + *pat + ")"
			if !likeMatch(x.s.DBName, *pat) {
				return Result{Columns: cols, Rows: [][]any{}}, nil
			}
		}
		return Result{Columns: cols, Rows: [][]any{{x.s.DBName}}}, nil
	case ast.ShowCreateTable:
		ti, err := x.table(n.Table, "")
		if err != nil {
			return Result{}, err
		}
		db := x.s.owner(ti.name)
		st, _ := db.Status(ti.name)
		text := createTableText(x.shownDef(ti.def), st) // timezone.go
		if db.IsTemp() {
			text = "CREATE TEMPORARY TABLE" + strings.TrimPrefix(text, "CREATE TABLE")
		}
		return Result{Columns: textColumns("Table", "Create Table"), Rows: [][]any{{ti.name, text}}}, nil
	case ast.ShowColumns:
		ti, err := x.table(n.Table, "")
		if err != nil {
			return Result{}, err
		}
		pat, err := x.showPattern(n)
		if err != nil {
			return Result{}, err
		}
		if n.Column != nil { // DESCRIBE t col: col is a LIKE pattern too
			p := n.Column.Name.O
			pat = &p
		}
		return describeColumns(newTableInfo(x.shownDef(ti.def), ti.alias), n.Full, pat), nil // timezone.go
	case ast.ShowIndex:
		ti, err := x.table(n.Table, "")
		if err != nil {
			return Result{}, err
		}
		return showIndex(ti, x.cardinality(ti.name)), nil
	case ast.ShowTableStatus:
		return x.tableStatus(n)
	case ast.ShowProcessList:
		return x.showProcessList(n.Full), nil // processlist.go
	case ast.ShowWarnings, ast.ShowErrors:
		return x.showDiagnostics(n)
	case ast.ShowVariables:
		return x.showVariables(n)
	case ast.ShowStatus:
		return x.showStatus(n)
	case ast.ShowEngines:
		return Result{Columns: textColumns("Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"),
			Rows: [][]any{{"BLITZDB", "DEFAULT", "hash data files, disposable indexes, CRASH_SAFE tables", "YES", "NO", "YES"}}}, nil
	}
	return Result{}, errNotSupported("this SHOW statement")
}

// typeText is a column's type as SHOW CREATE TABLE and DESCRIBE print it.
func typeText(c *engine.Column) string {
	var s string
	switch c.Type {
	case engine.TypeTinyInt:
		s = fmt.Sprintf("tinyint(%d)", c.Length)
	case engine.TypeSmallInt:
		s = fmt.Sprintf("smallint(%d)", c.Length)
	case engine.TypeMediumInt:
		s = fmt.Sprintf("mediumint(%d)", c.Length)
	case engine.TypeInt:
		s = fmt.Sprintf("int(%d)", c.Length)
	case engine.TypeBigInt:
		s = fmt.Sprintf("bigint(%d)", c.Length)
	case engine.TypeFloat:
		s = "float"
	case engine.TypeDouble:
		s = "double"
	case engine.TypeDecimal:
		s = fmt.Sprintf("decimal(%d,%d)", c.Precision, c.Scale)
	case engine.TypeChar:
		s = fmt.Sprintf("char(%d)", c.Length)
	case engine.TypeVarChar:
		s = fmt.Sprintf("varchar(%d)", c.Length)
	case engine.TypeBinary:
		s = fmt.Sprintf("binary(%d)", c.Length)
	case engine.TypeVarBinary:
		s = fmt.Sprintf("varbinary(%d)", c.Length)
	case engine.TypeText, engine.TypeBlob:
		base := "text"
		if c.Type == engine.TypeBlob {
			base = "blob"
		}
		switch {
		case c.Length == 255:
			s = "tiny" + base
		case c.Length == 16777215:
			s = "medium" + base
		case c.Length == 4294967295:
			s = "long" + base
		default:
			s = base
		}
	case engine.TypeDate:
		s = "date"
	case engine.TypeDateTime, engine.TypeTimestamp, engine.TypeTime:
		s = strings.ToLower(c.Type.String())
		if c.Scale > 0 {
			s += fmt.Sprintf("(%d)", c.Scale)
		}
	case engine.TypeJSON:
		s = "longtext"
	case engine.TypeYear:
		s = "year(4)"
	case engine.TypeBit:
		s = fmt.Sprintf("bit(%d)", c.Length)
	case engine.TypeEnum, engine.TypeSet:
		s = "enum("
		if c.Type == engine.TypeSet {
			s = "set("
		}
		for i, e := range c.Elems {
			if i > 0 {
				s += ","
			}
			s += quoteString(e)
		}
		s += ")"
	default:
		s = fmt.Sprintf("type%d", c.Type)
	}
	if c.Unsigned {
		s += " unsigned"
	}
	return s
}

// defaultText is a column default as SHOW CREATE TABLE prints it.
func defaultText(c *engine.Column) string {
	if c.Default == nil {
		return "NULL"
	}
	col := columnFromDef("", c)
	if x, ok := c.Default.(uint64); ok && c.Type == engine.TypeBit {
		return "b'" + strconv.FormatUint(x, 2) + "'" // as MariaDB prints it
	}
	switch c.Default.(type) {
	case int64, uint64, float64, decimal.Decimal:
		if c.Type == engine.TypeYear {
			s, _ := FormatValue(col, c.Default) // 0 is 0000
			return s
		}
		return toString(c.Default)
	}
	s, _ := FormatValue(col, c.Default)
	return quoteString(s)
}

// nowText is CURRENT_TIMESTAMP as MariaDB's SHOW CREATE TABLE and
// DESCRIBE print it for column c.
func nowText(c *engine.Column) string {
	if c.Scale > 0 {
		return fmt.Sprintf("current_timestamp(%d)", c.Scale)
	}
	return "current_timestamp()"
}

func quoteString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func identList(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
	}
	return strings.Join(q, ",")
}

// createTableText is SHOW CREATE TABLE's text; it reads back through
// CREATE TABLE (CRASH_SAFE included).
func createTableText(def *engine.TableDef, st engine.TableStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", quoteIdent(def.Name))
	var lines []string
	for i := range def.Columns {
		c := &def.Columns[i]
		l := "  " + quoteIdent(c.Name) + " " + typeText(c) + collationText(c, def)
		if c.NotNull {
			l += " NOT NULL"
		} else if c.Type == engine.TypeTimestamp && c.Generated == "" {
			// MariaDB spells out a nullable TIMESTAMP's NULL: with
			// explicit_defaults_for_timestamp off, a TIMESTAMP declared
			// without it is NOT NULL, so a dump reloaded there would
			// lose the NULLs.
			l += " NULL"
		}
		switch {
		case c.Generated != "":
			l += columnExprSQL(c) // gencol.go
		case c.DefaultExpr != "":
			l += " DEFAULT " + c.DefaultExpr
		case c.AutoIncrement:
			l += " AUTO_INCREMENT"
		case c.DefaultNow:
			l += " DEFAULT " + nowText(c)
		case c.HasDefault:
			l += " DEFAULT " + defaultText(c)
		case !c.NotNull:
			l += " DEFAULT NULL"
		}
		if c.OnUpdateNow {
			l += " ON UPDATE " + nowText(c)
		}
		if c.Comment != "" {
			l += " COMMENT " + quoteString(c.Comment)
		}
		if c.Type == engine.TypeJSON {
			l += " CHECK (json_valid(" + quoteIdent(c.Name) + "))" // MariaDB's JSON: LONGTEXT with this check
		}
		l += columnCheckText(def, c) // check.go
		lines = append(lines, l)
	}
	if len(def.PrimaryKey) > 0 {
		lines = append(lines, "  PRIMARY KEY ("+keyPartsText(def.PrimaryKey, def.PrimaryPrefix)+")")
	}
	for _, ix := range shownIndexes(def) {
		kind := "KEY"
		if ix.Unique {
			kind = "UNIQUE KEY"
		}
		lines = append(lines, fmt.Sprintf("  %s %s (%s)", kind, quoteIdent(ix.Name), keyPartsText(ix.Columns, ix.Prefix)))
	}
	lines = append(lines, foreignKeyLines(def)...) // foreignkey.go
	lines = append(lines, tableCheckLines(def)...) // check.go
	b.WriteString(strings.Join(lines, ",\n"))
	b.WriteString("\n) ENGINE=BLITZDB")
	if st.AutoIncrement > 1 {
		fmt.Fprintf(&b, " AUTO_INCREMENT=%d", st.AutoIncrement)
	}
	tableCS, tableColl := tableCharsetNames(def)
	b.WriteString(" DEFAULT CHARSET=" + tableCS + " COLLATE=" + tableColl)
	if def.Comment != "" {
		b.WriteString(" COMMENT=" + quoteString(def.Comment))
	}
	if def.CrashSafe {
		b.WriteString(" " + crashSafeComment) // lex.go
	}
	return b.String()
}

// shownIndexes are def's secondary indexes in the order MariaDB keeps and
// shows keys in (SHOW CREATE TABLE, SHOW INDEX): unique ones first, those
// of NOT NULL columns only before the others, then the rest; each group in
// the order the indexes were made. The engine's hidden indexes
// (engine.IndexDef.Hidden) are left out.
func shownIndexes(def *engine.TableDef) []engine.IndexDef {
	rank := func(ix engine.IndexDef) int {
		if !ix.Unique {
			return 2
		}
		for _, c := range ix.Columns {
			if i := def.ColumnIndex(c); i >= 0 && !def.Columns[i].NotNull {
				return 1
			}
		}
		return 0
	}
	out := make([]engine.IndexDef, 0, len(def.Indexes))
	for _, ix := range def.Indexes {
		if !ix.Hidden {
			out = append(out, ix)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return rank(out[a]) < rank(out[b]) })
	return out
}

// keyFlag is DESCRIBE's Key for column c: PRI, UNI, MUL or "".
func keyFlag(def *engine.TableDef, c string) string {
	for _, p := range def.PrimaryKey {
		if strings.EqualFold(p, c) {
			return "PRI"
		}
	}
	for _, ix := range def.Indexes {
		if ix.Unique && len(ix.Columns) == 1 && strings.EqualFold(ix.Columns[0], c) {
			return "UNI"
		}
	}
	for _, ix := range def.Indexes {
		if strings.EqualFold(ix.Columns[0], c) {
			return "MUL"
		}
	}
	return ""
}

// nullExtra is what DESCRIBE (Null, Extra) and information_schema.COLUMNS
// (IS_NULLABLE, EXTRA) say of column c.
func nullExtra(c *engine.Column) (null, extra string) {
	null = "YES"
	if c.NotNull {
		null = "NO"
	}
	if c.AutoIncrement {
		extra = "auto_increment"
	}
	if c.OnUpdateNow {
		extra = "on update " + nowText(c)
	}
	if c.Generated != "" {
		extra = generatedExtra(c) // gencol.go
	}
	return null, extra
}

func describe(ti *tableInfo) Result { return describeColumns(ti, false, nil) }

// describeColumns is SHOW [FULL] COLUMNS: with full, each column's
// collation (NULL for a column without text), privileges and comment too;
// with a pattern, only the columns whose names match it (LIKE, case
// insensitive as MariaDB's column names are).
func describeColumns(ti *tableInfo, full bool, pattern *string) Result {
	rows := [][]any{}
	for i := range ti.def.Columns {
		c := &ti.def.Columns[i]
		if pattern != nil && !likeMatch(strings.ToLower(c.Name), strings.ToLower(*pattern)) {
			continue
		}
		null, extra := nullExtra(c)
		var def any
		if c.DefaultExpr != "" {
			def = c.DefaultExpr
		} else if c.DefaultNow {
			def = nowText(c)
		} else if c.HasDefault && c.Default != nil && c.Type == engine.TypeBit {
			def = defaultText(c) // b'101', as MariaDB shows it
		} else if c.HasDefault && c.Default != nil {
			def, _ = FormatValue(columnFromDef("", c), c.Default)
		}
		if !full {
			rows = append(rows, []any{c.Name, typeText(c), null, keyFlag(ti.def, c.Name), def, extra})
			continue
		}
		_, _, _, _, _, _, coll := columnSizes(c) // infoschema.go
		rows = append(rows, []any{c.Name, typeText(c), coll, null, keyFlag(ti.def, c.Name), def, extra,
			"select,insert,update,references", c.Comment})
	}
	if full {
		return Result{Columns: textColumns("Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"), Rows: rows}
	}
	return Result{Columns: textColumns("Field", "Type", "Null", "Key", "Default", "Extra"), Rows: rows}
}

// showIndex is SHOW INDEX of ti. Index_type says how blitz keeps each
// key: the primary key is the key of the hash data file (HASH), every
// other index a B+tree file (BTREE), a long UNIQUE key too (MariaDB makes
// that a hash of the value, USING HASH; blitz keys the whole value).
// Cardinality, the distinct values of the key's first Seq_in_index
// columns, comes from card (nil: NULL throughout).
func showIndex(ti *tableInfo, card func(columns []string, unique bool, n int) any) Result {
	cols := textColumns("Table", "Non_unique", "Key_name", "Seq_in_index", "Column_name", "Collation", "Cardinality", "Sub_part", "Packed", "Null", "Index_type", "Comment", "Index_comment", "Ignored")
	intColumn(cols, "Non_unique", "Seq_in_index", "Cardinality", "Sub_part")
	rows := [][]any{}
	add := func(name string, unique bool, columns []string, prefix []int, typ string) {
		nu := int64(1)
		if unique {
			nu = 0
		}
		for i, c := range columns {
			null := ""
			if j := ti.column(c); j >= 0 && !ti.def.Columns[j].NotNull {
				null = "YES"
			}
			var cardinality any
			if card != nil {
				cardinality = card(columns, unique, i+1)
			}
			rows = append(rows, []any{ti.name, nu, name, int64(i + 1), c, "A", cardinality, subPart(prefix, i), nil, null, typ, "", "", "NO"})
		}
	}
	if len(ti.def.PrimaryKey) > 0 {
		add("PRIMARY", true, ti.def.PrimaryKey, ti.def.PrimaryPrefix, "HASH")
	}
	for _, ix := range shownIndexes(ti.def) {
		add(ix.Name, ix.Unique, ix.Columns, ix.Prefix, "BTREE")
	}
	return Result{Columns: cols, Rows: rows}
}

// cardinality returns SHOW INDEX's Cardinality for the keys of table:
// the first n of columns of a unique key has as many values as the table
// has rows when n is all of them; otherwise the estimate ANALYZE TABLE
// keeps (exec_analyze.go), kept in step with the row count; NULL when
// there is none. MariaDB's InnoDB shows estimates too, refreshed on its
// own.
func (x *execCtx) cardinality(table string) func(columns []string, unique bool, n int) any {
	st, err := x.s.owner(table).Status(table)
	if err != nil {
		return nil
	}
	stats := x.loadStats(table)
	return func(columns []string, unique bool, n int) any {
		if unique && n == len(columns) {
			return st.Rows
		}
		if stats != nil {
			if d := stats.estimate(strings.ToLower(strings.Join(columns[:n], ","))); d > 0 {
				return d
			}
		}
		return nil
	}
}

// tableStatus is SHOW TABLE STATUS with MariaDB's 20 columns (so that a
// tool reading them by position finds them where MariaDB has them;
// Max_index_length 0 and Temporary N, as InnoDB shows them) and then two
// of blitz's: Crash_safe (YES/NO) and State (ok, or crashed when the table
// needs recovery).
func (x *execCtx) tableStatus(n *ast.ShowStmt) (Result, error) {
	cols := tableStatusColumns()
	pat, err := x.showPattern(n)
	if err != nil {
		return Result{}, err
	}
	rows := [][]any{}
	for _, r := range x.relations() {
		t := r.name
		if pat != nil && !tableNameLike(t, *pat) {
			continue
		}
		if r.view {
			// As MariaDB: every column NULL but the comment.
			row := make([]any, len(cols))
			row[0], row[17] = t, "VIEW"
			rows = append(rows, row)
			continue
		}
		st, err := x.s.db.Status(t)
		if err != nil && sqlerr.Code(err) != sqlerr.ErrCrashedTable {
			return Result{}, err
		}
		tableColl, comment := collate.Bin.Name, ""
		if def, err := x.s.db.Table(t); err == nil {
			_, tableColl = tableCharsetNames(def)
			comment = def.Comment
		}
		state, crashSafe, opts := "ok", "NO", ""
		if st.Crashed || sqlerr.Code(err) == sqlerr.ErrCrashedTable {
			state = "crashed"
		}
		if st.CrashSafe {
			crashSafe, opts = "YES", "CRASH_SAFE"
		}
		avg := st.AvgRowLength
		// Auto_increment is NULL for a table without an AUTO_INCREMENT column.
		var auto any
		if st.AutoIncrement > 0 && hasAutoColumn(x.s.db, t) {
			auto = int64(st.AutoIncrement)
		}
		rows = append(rows, []any{t, "BLITZDB", int64(10), "Dynamic", st.Rows, avg, st.DataLength, nil, st.IndexLength, st.DataFree, auto, nil, nil, nil, tableColl, nil, opts, comment, int64(0), "N", crashSafe, state})
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// tableStatusColumns are SHOW TABLE STATUS's columns: MariaDB's, then
// blitz's Crash_safe and State.
func tableStatusColumns() []Column {
	cols := textColumns("Name", "Engine", "Version", "Row_format", "Rows", "Avg_row_length", "Data_length", "Max_data_length", "Index_length", "Data_free", "Auto_increment", "Create_time", "Update_time", "Check_time", "Collation", "Checksum", "Create_options", "Comment", "Max_index_length", "Temporary", "Crash_safe", "State")
	intColumn(cols, "Version", "Rows", "Avg_row_length", "Data_length", "Max_data_length", "Index_length", "Data_free", "Auto_increment", "Checksum", "Max_index_length")
	return cols
}

// hasAutoColumn reports whether table has an AUTO_INCREMENT column.
func hasAutoColumn(db *engine.DB, table string) bool {
	def, err := db.Table(table)
	if err != nil || def == nil {
		return false
	}
	for i := range def.Columns {
		if def.Columns[i].AutoIncrement {
			return true
		}
	}
	return false
}

// explain shows the access path of a SELECT, UPDATE or DELETE in MySQL's
// EXPLAIN shape; DESCRIBE t arrives here too.
func (x *execCtx) explain(n *ast.ExplainStmt) (Result, error) {
	if sh, ok := n.Stmt.(*ast.ShowStmt); ok {
		return x.show(sh)
	}
	if n.Analyze {
		return Result{}, errNotSupported("EXPLAIN ANALYZE")
	}
	var refs *ast.TableRefsClause
	var where ast.ExprNode
	multi := false
	selectType := "SIMPLE"
	switch st := n.Stmt.(type) {
	case *ast.SelectStmt:
		refs, where = st.From, st.Where
	case *ast.UpdateStmt:
		refs, where = st.TableRefs, st.Where
		multi = st.MultipleTable || isJoin(refs)
	case *ast.DeleteStmt:
		refs, where = st.TableRefs, st.Where
		multi = st.IsMultiTable || isJoin(refs)
	case *ast.InsertStmt:
		refs = st.Table
		selectType = "INSERT"
	default:
		return Result{}, errNotSupported("EXPLAIN of this statement")
	}
	cols := textColumns("id", "select_type", "table", "type", "possible_keys", "key", "key_len", "ref", "rows", "Extra")
	intColumn(cols, "id", "rows")
	var rows [][]any
	var err error
	if st, ok := n.Stmt.(*ast.SelectStmt); ok {
		next := 2
		rows, err = x.explainSelect(st, 1, selectType, &next)
	} else if multi { // a multi-table UPDATE or DELETE: its join (exec_multiwrite.go)
		next := 2
		rows, err = x.explainJoin(joinSelect(refs, where), 1, selectType, &next)
	} else {
		var o explainOrder
		switch st := n.Stmt.(type) {
		case *ast.UpdateStmt:
			o, err = x.writeOrder(st.Order, st.Limit)
		case *ast.DeleteStmt:
			o, err = x.writeOrder(st.Order, st.Limit)
		}
		if err == nil {
			rows, err = x.explainTable(refs, where, o, 1, selectType)
		}
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// explainSelect returns EXPLAIN's rows for a SELECT numbered id, then
// those of its derived tables, numbered from *next on in the order they
// are written (MySQL's select numbers).
func (x *execCtx) explainSelect(st *ast.SelectStmt, id int64, selectType string, next *int) ([][]any, error) {
	if isMultiSource(st.From) || x.singleView(st.From) {
		return x.explainJoin(st, id, selectType, next)
	}
	o, err := x.selectOrder(st)
	if err != nil {
		return nil, err
	}
	return x.explainTable(st.From, st.Where, o, id, selectType)
}

// explainOrder is what EXPLAIN needs of a statement's ORDER BY to say
// whether the rows are sorted (Using filesort) or read in the order of an
// index (plan_keyset.go, plan_order.go).
type explainOrder struct {
	by     *ast.OrderByClause // nil: no ORDER BY, or one the statement does not sort rows by
	limit  int64              // the rows LIMIT keeps (offset + count); 0: no LIMIT, or the rows are not read in order
	fields *ast.FieldList     // the select list, whose aliases ORDER BY may name
}

// selectOrder returns the explainOrder of a SELECT on one table: its rows
// come in index order only as exec_select.go reads them so (a LIMIT kept
// by topN, no DISTINCT, SQL_CALC_FOUND_ROWS, grouping or window). A
// grouped SELECT sorts its groups, not rows: EXPLAIN says nothing of it.
func (x *execCtx) selectOrder(st *ast.SelectStmt) (explainOrder, error) {
	if st.OrderBy == nil || st.GroupBy != nil || groupsOrWindows(st) {
		return explainOrder{}, nil
	}
	o := explainOrder{by: st.OrderBy, fields: st.Fields}
	calc := st.SelectStmtOpts != nil && st.SelectStmtOpts.CalcFoundRows
	if st.Limit != nil && !st.Distinct && !calc {
		count, offset, err := x.limitValues(st.Limit)
		if err != nil {
			return o, err
		}
		if count >= 0 && offset+count <= maxTopN {
			o.limit = offset + count
		}
	}
	return o, nil
}

// writeOrder returns the explainOrder of an UPDATE or DELETE on one
// table (matchRows).
func (x *execCtx) writeOrder(order *ast.OrderByClause, limit *ast.Limit) (explainOrder, error) {
	o := explainOrder{by: order}
	if order != nil && limit != nil {
		count, _, err := x.limitValues(limit)
		if err != nil {
			return o, err
		}
		o.limit = max(count, 0)
	}
	return o, nil
}

// groupsOrWindows reports whether st's select list, HAVING or ORDER BY
// holds an aggregate or a window function (outside subqueries).
func groupsOrWindows(st *ast.SelectStmt) bool {
	f := &groupFinder{}
	if st.Fields != nil {
		st.Fields.Accept(f)
	}
	if st.Having != nil {
		st.Having.Accept(f)
	}
	st.OrderBy.Accept(f)
	return f.found
}

type groupFinder struct{ found bool }

func (f *groupFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
		f.found = true
		return n, true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, false
}

func (f *groupFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// explainDerived returns EXPLAIN's rows for the query of a derived table
// numbered id: DERIVED, and for a UNION of plain SELECTs each further
// SELECT as UNION (numbered on from *next) and a UNION RESULT row.
func (x *execCtx) explainDerived(n ast.StmtNode, id int, next *int) ([][]any, error) {
	switch q := n.(type) {
	case *ast.SelectStmt:
		return x.explainSelect(q, int64(id), "DERIVED", next)
	case *ast.SetOprStmt:
		if q.SelectList == nil || q.With != nil {
			return nil, nil
		}
		var out, later [][]any
		ids := []string{fmt.Sprint(id)}
		for i, sel := range q.SelectList.Selects {
			ss, ok := sel.(*ast.SelectStmt)
			if !ok {
				return out, nil // a nested set operation: not described
			}
			if i == 0 {
				rows, err := x.explainSelect(ss, int64(id), "DERIVED", next)
				if err != nil {
					return nil, err
				}
				out = append(out, rows...)
				continue
			}
			uid := *next
			*next++
			ids = append(ids, fmt.Sprint(uid))
			rows, err := x.explainSelect(ss, int64(uid), "UNION", next)
			if err != nil {
				return nil, err
			}
			later = append(later, rows...)
		}
		out = append(out, later...)
		return append(out, []any{nil, "UNION RESULT", "<union" + strings.Join(ids, ",") + ">", "ALL", nil, nil, nil, nil, nil, nil}), nil
	}
	return nil, nil
}

// explainTable returns EXPLAIN's row for a statement on one table (or
// none) numbered id.
func (x *execCtx) explainTable(refs *ast.TableRefsClause, where ast.ExprNode, o explainOrder, id int64, selectType string) ([][]any, error) {
	ti, hints, err := x.singleTable(refs)
	if err != nil {
		return nil, err
	}
	if ti == nil {
		return [][]any{{id, selectType, nil, nil, nil, nil, nil, nil, nil, "No tables used"}}, nil
	}
	if selectType == "INSERT" {
		return [][]any{{id, selectType, ti.alias, "ALL", nil, nil, nil, nil, nil, nil}}, nil
	}
	p, err := x.planAccess(ti, where, hints)
	if err != nil {
		return nil, err
	}
	inOrder := false
	if o.by != nil && o.limit > 0 {
		var fields []outField
		if o.fields != nil {
			if fields, err = selectFields(ti, o.fields); err != nil {
				return nil, err
			}
		}
		inOrder = x.keysetOrder(ti, p, where, o.by, fields, hints, o.limit)
		p.scan.Limit = 0 // the rows counted below: all of the range
	}
	var possible, key, keyLen, ref any
	if len(p.possible) > 0 {
		possible = strings.Join(p.possible, ",")
	}
	var rows int64
	switch p.kind {
	case accessConst:
		key, ref = "PRIMARY", strings.TrimSuffix(strings.Repeat("const,", len(p.pk)), ",")
		keyLen = fmt.Sprint(keyBytes(ti, "PRIMARY", len(p.pk)))
		if _, _, found, err := x.tx.Get(ti.name, p.pk); err != nil {
			return nil, err
		} else if found {
			rows = 1
		}
	default:
		if p.index != "" {
			key = p.index
			if p.kind != "index" {
				keyLen = fmt.Sprint(keyBytes(ti, p.index, p.keyCols))
			} else {
				keyLen = fmt.Sprint(keyBytes(ti, p.index, len(indexColumns(ti, p.index))))
			}
			if p.kind == accessRef {
				ref = strings.TrimSuffix(strings.Repeat("const,", p.keyCols), ",")
			}
		}
		switch {
		case p.pkPoints:
			rows = int64(len(p.points)) // a lookup a value, as MariaDB counts them
		case p.points != nil:
			for _, pt := range p.points {
				b := engine.Bound{Values: pt, Inclusive: true}
				n, err := x.tx.Count(ti.name, engine.Scan{Index: p.index, Lo: b, Hi: b})
				if err != nil {
					return nil, err
				}
				rows += n
			}
		case p.kind == "index" && inOrder:
			// Read in index order until LIMIT has its rows: MariaDB's
			// estimate is the LIMIT; the table may have fewer.
			if rows, err = x.tx.Count(ti.name, engine.Scan{}); err != nil {
				return nil, err
			}
			rows = min(rows, o.limit)
		default:
			if rows, err = x.tx.Count(ti.name, p.scan); err != nil {
				return nil, err
			}
		}
	}
	var notes []string
	if where != nil && p.kind != accessConst {
		notes = append(notes, "Using where")
	}
	if o.by != nil && !inOrder && p.kind != accessConst {
		notes = append(notes, "Using filesort")
	}
	var extra any
	if len(notes) > 0 {
		extra = strings.Join(notes, "; ")
	}
	return [][]any{{id, selectType, ti.alias, p.kind, possible, key, keyLen, ref, rows, extra}}, nil
}

func indexColumns(ti *tableInfo, name string) []string {
	if name == "PRIMARY" {
		return ti.def.PrimaryKey
	}
	for _, ix := range ti.def.Indexes {
		if ix.Name == name {
			return ix.Columns
		}
	}
	return nil
}

// keyBytes is EXPLAIN's key_len: the bytes of the first n columns of the
// key named name, as MySQL counts them (4 bytes a character, 2 more for a
// length, 1 more for a nullable column; a prefix part counts its prefix).
func keyBytes(ti *tableInfo, name string, used int) int {
	n := 0
	prefix := keyPrefix(ti.def, name)
	for k, cn := range indexColumns(ti, name)[:used] {
		i := ti.column(cn)
		if i < 0 {
			continue
		}
		c := &ti.def.Columns[i]
		if k < len(prefix) && prefix[k] > 0 {
			n += prefixBytes(c, prefix[k])
			continue
		}
		switch c.Type {
		case engine.TypeTinyInt:
			n++
		case engine.TypeSmallInt:
			n += 2
		case engine.TypeMediumInt:
			n += 3
		case engine.TypeInt, engine.TypeFloat, engine.TypeDate:
			n += 4
		case engine.TypeBigInt, engine.TypeDouble, engine.TypeDateTime, engine.TypeTimestamp:
			n += 8
		case engine.TypeDecimal:
			n += (c.Precision + 1) / 2
		case engine.TypeChar:
			n += 4 * c.Length
		case engine.TypeBinary:
			n += c.Length
		case engine.TypeVarChar:
			n += 4*c.Length + 2
		case engine.TypeVarBinary:
			n += c.Length + 2
		case engine.TypeYear:
			n++
		case engine.TypeBit:
			n += (c.Length + 7) / 8
		case engine.TypeTime:
			n += 3 + (c.Scale+1)/2
		case engine.TypeEnum:
			n += 1 + len(c.Elems)/256
		case engine.TypeSet:
			if b := (len(c.Elems) + 7) / 8; b <= 4 {
				n += b
			} else {
				n += 8
			}
		default:
			n += 257
		}
		if !c.NotNull {
			n++
		}
	}
	return n
}
