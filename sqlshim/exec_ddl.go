package sqlshim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
)

// Local MySQL error numbers of DDL.
const (
	errKeyColumnDoesNotExist = 1072 // Key column '%s' doesn't exist in table
	errTooBigDisplayWidth    = 1439
	errTooBigFieldLength     = 1074 // Column length too big for column '%s' (max = %d); use BLOB or TEXT instead
	errConvertingColumn      = 1246 // Converting column '%s' from %s to %s
)

func lower(s string) string { return strings.ToLower(s) }

// ddl runs a schema statement. DDL is not transactional: each engine call
// is atomic on its own.
func (x *execCtx) ddl(st *statement) (Result, error) {
	switch n := st.node.(type) {
	case *ast.CreateTableStmt:
		return x.createTable(n, st.crashSafe)
	case *ast.DropTableStmt:
		return x.dropTable(n)
	case *ast.CreateViewStmt:
		return x.createView(n, st.view)
	case *ast.CreateIndexStmt:
		return x.alterInfo(x.createIndex(n))
	case *ast.DropIndexStmt:
		return x.alterInfo(x.dropIndex(n.Table, n.IndexName, n.IfExists))
	case *ast.AlterTableStmt:
		for _, sp := range n.Specs {
			if sp.Tp == ast.AlterTableRenameTable && sp.NewTable != nil && x.s.otherDB(sp.NewTable.Schema.O) {
				return Result{}, errUnknownDB(sp.NewTable.Schema.O)
			}
		}
		if renameOnly(n) {
			return x.alterTable(n)
		}
		return x.alterInfo(x.alterTable(n))
	case *ast.RenameTableStmt:
		for _, t := range n.TableToTables {
			if x.s.otherDB(t.OldTable.Schema.O) {
				return Result{}, errNoTable(t.OldTable.Schema.O, t.OldTable.Name.O)
			}
			if x.s.otherDB(t.NewTable.Schema.O) {
				return Result{}, errUnknownDB(t.NewTable.Schema.O)
			}
		}
		if done, err := x.renameBaseTables(n); done || err != nil {
			return Result{}, err
		}
		for _, t := range n.TableToTables {
			if x.isViewName(t.OldTable) {
				if err := x.s.db.RenameTable(x.ctx, t.OldTable.Name.O, t.NewTable.Name.O); err != nil {
					return Result{}, err
				}
				continue
			}
			ti, err := x.table(t.OldTable, "")
			if err != nil {
				return Result{}, err
			}
			if err := x.renameTable(ti.name, t.NewTable.Name.O); err != nil {
				return Result{}, err
			}
		}
		return Result{}, nil
	case *ast.TruncateTableStmt:
		ti, err := x.table(n.Table, "")
		if err != nil {
			return Result{}, err
		}
		if err := x.referencedError(ti.name, true); err != nil { // foreignkey.go
			return Result{}, err
		}
		res, err := x.s.autocommit(x, func() (Result, error) {
			var hs []engine.Handle
			if err := x.tx.Scan(ti.name, engine.Scan{}, func(h engine.Handle, _ engine.Row) (bool, error) {
				hs = append(hs, h)
				return true, nil
			}); err != nil {
				return Result{}, err
			}
			for _, h := range hs {
				if err := x.tx.Delete(ti.name, h); err != nil {
					return Result{}, err
				}
			}
			return Result{}, nil
		})
		if err != nil {
			return res, err
		}
		// As in MariaDB, the emptied table counts AUTO_INCREMENT from 1
		// again (whatever AUTO_INCREMENT = N it was made with).
		return res, x.s.owner(ti.name).SetAutoIncrement(x.ctx, ti.name, 1)
	}
	return Result{}, errNotSupported("this statement")
}

// renameBaseTables runs a RENAME TABLE of several base tables of the
// session's database as one engine operation (engine.DB.RenameTables):
// all of it or, across a crash, none. It reports false, doing nothing,
// for a statement of one pair or one that names a view, a temporary
// table or another schema: those run pair by pair.
func (x *execCtx) renameBaseTables(n *ast.RenameTableStmt) (bool, error) {
	if len(n.TableToTables) < 2 {
		return false, nil
	}
	var pairs []engine.RenamePair
	for _, t := range n.TableToTables {
		for _, tn := range []*ast.TableName{t.OldTable, t.NewTable} {
			// (Another database's names were refused before.)
			if isInfoSchema(tn) || x.s.isTemp(tn.Name.O) || x.s.db.IsView(tn.Name.O) {
				return false, nil
			}
		}
		pairs = append(pairs, engine.RenamePair{From: t.OldTable.Name.O, To: t.NewTable.Name.O})
	}
	if err := x.s.db.RenameTables(x.ctx, pairs); err != nil {
		if sqlerr.Code(err) == sqlerr.ErrNoSuchTable {
			for _, p := range pairs {
				if !x.s.db.HasTable(p.From) {
					return true, errNoTable(x.s.DBName, p.From)
				}
			}
		}
		return true, err
	}
	// The engine made the foreign keys follow, in the same step.
	for _, p := range pairs {
		x.renameStats(x.s.db, p.From, p.To)
	}
	return true, nil
}

// renameTable renames table from to to in the database holding it (a
// temporary table stays one, and may take a base table's name), with its
// statistics.
func (x *execCtx) renameTable(from, to string) error {
	db := x.s.owner(from)
	if err := db.RenameTable(x.ctx, from, to); err != nil {
		return err
	}
	x.renameStats(db, from, to)
	return nil
}

// columnDef translates a column definition. It reports whether the column
// was declared PRIMARY KEY or UNIQUE inline.
// A text column without a collation of its own gets tableColl.
func (x *execCtx) columnDef(cd *ast.ColumnDef, tableColl *collate.Collation, tableCS *charset.Charset) (col engine.Column, pk, unique bool, err error) {
	col.Name = cd.Name.Name.O
	if err := fieldType(&col, cd.Tp); err != nil {
		return col, false, false, err
	}
	if err := x.columnCollation(&col, cd, tableColl, tableCS); err != nil {
		return col, false, false, err
	}
	if err := x.checkLength(&col); err != nil {
		return col, false, false, err
	}
	var defExpr, genExpr ast.ExprNode
	for _, o := range cd.Options {
		switch o.Tp {
		case ast.ColumnOptionPrimaryKey:
			pk = true
			col.NotNull = true
		case ast.ColumnOptionNotNull:
			col.NotNull = true
		case ast.ColumnOptionNull:
			col.NotNull = false
		case ast.ColumnOptionAutoIncrement:
			col.AutoIncrement = true
		case ast.ColumnOptionDefaultValue:
			defExpr = o.Expr
		case ast.ColumnOptionUniqKey:
			unique = true
		case ast.ColumnOptionComment:
			v, err := x.newEval(nil, "field list").eval(o.Expr)
			if err != nil {
				return col, false, false, err
			}
			col.Comment = toString(v)
		case ast.ColumnOptionCollate, ast.ColumnOptionColumnFormat, ast.ColumnOptionStorage:
		case ast.ColumnOptionOnUpdate:
			if !isNowCall(o.Expr) {
				return col, false, false, errf(sqlerr.ErrInvalidOnUpdate, "Invalid ON UPDATE clause for '%s' column", col.Name)
			}
			col.OnUpdateNow = true
		case ast.ColumnOptionGenerated:
			genExpr, col.Stored = o.Expr, o.Stored // gencol.go
		case ast.ColumnOptionReference:
			// Parsed, not enforced (see foreignKeyIndex); createTable
			// adds the index.
		case ast.ColumnOptionCheck:
			// Other CHECK constraints are parsed and not enforced.
			if isJSONCheck(&col, o.Expr) { // funcs_json.go
				// A JSON column is utf8mb4_bin whatever collation the
				// LONGTEXT took from the table: a dump of one in a
				// utf8mb4_unicode_ci table may not say so.
				col.Type, col.Collation = engine.TypeJSON, nil
			}
		}
	}
	if genExpr != nil {
		if err := validGeneratedDef(&col, pk, defExpr != nil); err != nil {
			return col, false, false, err
		}
		col.Generated, err = x.columnExprText(&col, genExpr, true)
		return col, pk, unique, err
	}
	if defExpr != nil {
		defExpr = unwrapDefault(defExpr) // gencol.go
		if !isNowCall(defExpr) && !isLiteralDefault(defExpr) {
			col.DefaultExpr, err = x.defaultExpr(&col, pk, defExpr)
			return col, pk, unique, err
		}
		if isNowCall(defExpr) {
			if !col.Type.IsTime() {
				return col, false, false, errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", col.Name)
			}
			col.HasDefault, col.DefaultNow = true, true
			return col, pk, unique, nil
		}
		v, err := x.newEval(nil, "field list").eval(defExpr)
		if err != nil {
			return col, false, false, err
		}
		if v == nil && (col.NotNull || pk) {
			return col, false, false, errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", col.Name)
		}
		if v != nil {
			cv, err := x.storedDefault(&col, v) // timezone.go
			if err != nil || !x.s.sqlMode.zeroDefaultAllowed(cv) {
				return col, false, false, errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", col.Name)
			}
			v = cv
		}
		col.HasDefault, col.Default = true, v
	}
	return col, pk, unique, nil
}

// isNowCall reports whether e is CURRENT_TIMESTAMP, NOW() or one of their
// synonyms, the only expressions DEFAULT and ON UPDATE take for the time.
func isNowCall(e ast.ExprNode) bool {
	f, ok := e.(*ast.FuncCallExpr)
	if !ok {
		return false
	}
	switch f.FnName.L {
	case "current_timestamp", "now", "localtime", "localtimestamp":
		return true
	}
	return false
}

// fieldType fills the type of col from the parser's field type.
func fieldType(col *engine.Column, tp *types.FieldType) error {
	flen, dec := tp.GetFlen(), tp.GetDecimal()
	binary := mysql.HasBinaryFlag(tp.GetFlag()) && tp.GetCharset() == "binary" || tp.GetCharset() == "binary"
	col.Unsigned = mysql.HasUnsignedFlag(tp.GetFlag())
	intType := func(t engine.Type, width int) {
		col.Type = t
		col.Length = width
		if flen > 0 {
			col.Length = flen
		} else if col.Unsigned && t != engine.TypeBigInt {
			col.Length = width - 1
		}
	}
	switch tp.GetType() {
	case mysql.TypeTiny:
		intType(engine.TypeTinyInt, 4)
	case mysql.TypeShort:
		intType(engine.TypeSmallInt, 6)
	case mysql.TypeInt24:
		intType(engine.TypeMediumInt, 9)
	case mysql.TypeLong:
		intType(engine.TypeInt, 11)
	case mysql.TypeLonglong:
		intType(engine.TypeBigInt, 20)
	case mysql.TypeFloat:
		col.Type = engine.TypeFloat
	case mysql.TypeDouble:
		col.Type = engine.TypeDouble
	case mysql.TypeNewDecimal:
		col.Type = engine.TypeDecimal
		col.Precision, col.Scale = 10, 0
		if flen > 0 {
			col.Precision = flen
		}
		if dec > 0 {
			col.Scale = dec
		}
		switch { // in MariaDB's order
		case col.Scale > maxDecimalScale: // the row and key encodings of DECIMAL have no limit
			return errf(errTooBigScale, "Too big scale specified for '%s'. Maximum is %d", col.Name, maxDecimalScale)
		case col.Precision > 65:
			return errf(errTooBigPrecision, "Too big precision specified for '%s'. Maximum is 65", col.Name)
		case col.Scale > col.Precision:
			return errf(errScaleOverPrecision, "For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '%s')", col.Name)
		}
	case mysql.TypeString:
		col.Type, col.Length = engine.TypeChar, max(flen, 1)
		if binary {
			col.Type = engine.TypeBinary
		}
	case mysql.TypeVarchar, mysql.TypeVarString:
		col.Type, col.Length = engine.TypeVarChar, flen
		if binary {
			col.Type = engine.TypeVarBinary
		}
	case mysql.TypeTinyBlob, mysql.TypeBlob, mysql.TypeMediumBlob, mysql.TypeLongBlob:
		col.Type = engine.TypeText
		if binary {
			col.Type = engine.TypeBlob
		}
		switch tp.GetType() {
		case mysql.TypeTinyBlob:
			col.Length = 255
		case mysql.TypeMediumBlob:
			col.Length = 16777215
		case mysql.TypeLongBlob:
			col.Length = 4294967295
		default:
			col.Length = 65535
		}
	case mysql.TypeDate:
		col.Type = engine.TypeDate
	case mysql.TypeDatetime:
		col.Type, col.Scale = engine.TypeDateTime, max(dec, 0)
		if col.Scale > 6 {
			return errf(errTooBigPrecision, "Too big precision specified for '%s'. Maximum is 6", col.Name)
		}
	case mysql.TypeTimestamp:
		col.Type, col.Scale = engine.TypeTimestamp, max(dec, 0)
		if col.Scale > 6 {
			return errf(errTooBigPrecision, "Too big precision specified for '%s'. Maximum is 6", col.Name)
		}
	case mysql.TypeJSON:
		col.Type = engine.TypeJSON
	case mysql.TypeDuration:
		col.Type, col.Scale = engine.TypeTime, max(dec, 0)
		if col.Scale > 6 {
			return errf(errTooBigPrecision, "Too big precision specified for '%s'. Maximum is 6", col.Name)
		}
	case mysql.TypeYear:
		col.Type, col.Length = engine.TypeYear, 4
	case mysql.TypeBit:
		// BIT is BIT(1); BIT(0) is too, as MariaDB takes it.
		col.Type, col.Length, col.Unsigned = engine.TypeBit, max(flen, 1), false
		if col.Length > engine.MaxBitLength {
			return errf(errTooBigDisplayWidth, "Display width out of range for '%s' (max = %d)", col.Name, engine.MaxBitLength)
		}
	case mysql.TypeEnum, mysql.TypeSet:
		col.Type = engine.TypeEnum
		if tp.GetType() == mysql.TypeSet {
			col.Type = engine.TypeSet
		}
		col.Elems = append([]string(nil), tp.GetElems()...)
	default:
		return errNotSupported("column type " + strings.ToUpper(types.TypeToStr(tp.GetType(), tp.GetCharset())))
	}
	return nil
}

// checkLength applies MariaDB's length limits: CHAR and BINARY at most 255,
// VARCHAR at most 16383 characters (65535 bytes of utf8mb4) and VARBINARY
// 65532 bytes. A longer VARCHAR or VARBINARY is error 1074 in strict mode
// and otherwise becomes the TEXT or BLOB type that holds it, with note
// 1246.
func (x *execCtx) checkLength(col *engine.Column) error {
	limit, bytesPer, to := 0, 1, engine.TypeBlob
	switch col.Type {
	case engine.TypeChar, engine.TypeBinary:
		limit = 255
	case engine.TypeVarChar:
		limit, bytesPer, to = 16383, 4, engine.TypeText
	case engine.TypeVarBinary:
		limit = 65532
	default:
		return nil
	}
	if col.Length <= limit {
		return nil
	}
	tooBig := errf(errTooBigFieldLength, "Column length too big for column '%s' (max = %d); use BLOB or TEXT instead", col.Name, limit)
	if limit == 255 || x.s.sqlMode.strict() {
		return tooBig
	}
	x.s.addNote(errConvertingColumn, "Converting column '%s' from %s to %s", col.Name, col.Type, to)
	n := int64(col.Length) * int64(bytesPer)
	col.Type, col.Length = to, 65535
	if n > 65535 {
		col.Length = 16777215
	}
	if n > 16777215 {
		col.Length = 4294967295
	}
	return nil
}

// createTable runs CREATE [TEMPORARY] TABLE, with LIKE or SELECT too.
func (x *execCtx) createTable(n *ast.CreateTableStmt, crashSafe bool) (Result, error) {
	if n.TemporaryKeyword == ast.TemporaryGlobal {
		return Result{}, errNotSupported("global temporary tables")
	}
	name := n.Table.Name.O
	if isInfoSchema(n.Table) {
		return Result{}, errInfoSchemaDenied()
	}
	if x.s.otherDB(n.Table.Schema.O) {
		return Result{}, errUnknownDB(n.Table.Schema.O)
	}
	innodb, err := x.engineOption(n.Options, name, nil)
	if err != nil {
		return Result{}, err
	}
	crashSafe = crashSafe || innodb
	db, err := x.createTarget(n)
	if db == nil || err != nil {
		return Result{}, err // or IF NOT EXISTS found it
	}
	if n.ReferTable != nil {
		return x.createTableLike(db, name, n.ReferTable)
	}
	var sel *Result // CREATE TABLE ... SELECT (exec_ctas.go)
	if n.Select != nil {
		var err error
		if sel, err = x.ctasQuery(n); err != nil {
			return Result{}, err
		}
	}
	tableColl, _, _, err := x.tableCollation(n.Options)
	if err != nil {
		return Result{}, err
	}
	def := &engine.TableDef{Name: name, CrashSafe: crashSafe, Comment: tableComment(n.Options)}
	if tableColl != nil && !tableColl.IsBin() {
		def.Collation = tableColl
	}
	def.Charset, _ = tableCharset(n.Options)
	seen := map[string]bool{}
	var inlineUnique []string
	for _, cd := range n.Cols {
		col, pk, uniq, err := x.columnDef(cd, tableColl, def.Charset)
		if err != nil {
			return Result{}, err
		}
		if seen[lower(col.Name)] {
			return Result{}, errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", col.Name)
		}
		seen[lower(col.Name)] = true
		if pk {
			if def.PrimaryKey != nil {
				return Result{}, errf(sqlerr.ErrMultiplePriKey, "Multiple primary key defined")
			}
			def.PrimaryKey = []string{col.Name}
		}
		if uniq {
			inlineUnique = append(inlineUnique, col.Name)
		}
		def.Columns = append(def.Columns, col)
	}
	if sel != nil {
		cols, err := ctasColumns(sel, seen)
		if err != nil {
			return Result{}, err
		}
		def.Columns = append(def.Columns, cols...)
	}
	if len(def.Columns) == 0 {
		return Result{}, errf(sqlerr.ErrTableMustHaveCols, "A table must have at least 1 column")
	}
	ti := newTableInfo(def, "")
	for _, c := range inlineUnique {
		def.Indexes = append(def.Indexes, engine.IndexDef{Name: uniqueIndexName(def, c), Columns: []string{c}, Unique: true})
	}
	if err := x.addColumnChecks(def, n.Cols); err != nil { // check.go
		return Result{}, err
	}
	for _, c := range n.Constraints {
		if c.Tp == ast.ConstraintCheck {
			if err := x.addCheck(def, c); err != nil {
				return Result{}, err
			}
			continue
		}
		if c.Tp == ast.ConstraintForeignKey {
			continue // below, once every other key is there
		}
		if err := x.addConstraint(ti, def, c); err != nil {
			return Result{}, err
		}
	}
	if err := x.longKeys(def, nil); err != nil { // prefixkey.go: a column's PRIMARY KEY
		return Result{}, err
	}
	if err := x.createForeignKeys(def, n); err != nil { // foreignkey.go
		return Result{}, err
	}
	// MariaDB keeps keys sorted (exec_show.go, shownIndexes) from the
	// start: later changes sort them again, ties in this order.
	def.Indexes = shownIndexes(def)
	if err := checkColumnExprs(def); err != nil { // gencol.go
		return Result{}, err
	}
	if err := checkAutoIncrement(def); err != nil {
		return Result{}, err
	}
	create := db.CreateTable
	if sel != nil {
		// Dropped at the next open if a crash cuts the fill short: the
		// statement takes effect wholly or not at all (ctasFill).
		create = db.CreateTableProvisional
	}
	if err := create(x.ctx, def); err != nil {
		return Result{}, err
	}
	if err := x.autoIncrementOption(db, name, n.Options); err != nil || sel == nil {
		return Result{}, err
	}
	return x.ctasFill(db, n, sel)
}

// createTableLike creates table name in db (the base database or the
// session's temporary one) with the columns, keys and CRASH_SAFE flag of
// table src (CREATE [TEMPORARY] TABLE name LIKE src), empty and with its
// AUTO_INCREMENT counter at the start, as MariaDB does.
func (x *execCtx) createTableLike(db *engine.DB, name string, src *ast.TableName) (Result, error) {
	ti, err := x.table(src, "")
	if err != nil {
		return Result{}, err
	}
	def := ti.def.Clone()
	def.Name = name
	def.LegacyKeys = false // a new table has the keys of now, whatever src's
	def.ForeignKeys = nil  // as in MariaDB: LIKE copies no foreign key
	return Result{}, db.CreateTable(x.ctx, def)
}

// autoIncrementOption applies the table option AUTO_INCREMENT = N, if
// given, to table of db.
func (x *execCtx) autoIncrementOption(db *engine.DB, table string, opts []*ast.TableOption) error {
	for _, o := range opts {
		if o.Tp == ast.TableOptionAutoIncrement {
			if err := db.SetAutoIncrement(x.ctx, table, o.UintValue); err != nil {
				return err
			}
		}
	}
	return nil
}

// addConstraint adds a PRIMARY KEY, UNIQUE or INDEX clause to def.
func (x *execCtx) addConstraint(ti *tableInfo, def *engine.TableDef, c *ast.Constraint) error {
	var cols []string
	var prefix []int
	for _, k := range c.Keys {
		if k.Expr != nil || k.Column == nil {
			return errNotSupported("functional indexes")
		}
		i := ti.column(k.Column.Name.O)
		if i < 0 {
			return errf(errKeyColumnDoesNotExist, "Key column '%s' doesn't exist in table", k.Column.Name.O)
		}
		cols = append(cols, def.Columns[i].Name)
		n, err := keyPartPrefix(&def.Columns[i], k.Length) // prefixkey.go
		if err != nil {
			return err
		}
		prefix = append(prefix, n)
	}
	// Keys longer than MariaDB's InnoDB takes (prefixkey.go, longKeys): a
	// part of a plain index too long on its own is cut (note 1071); a
	// plain index or primary key still too long is 1071.
	plain := c.Tp == ast.ConstraintKey || c.Tp == ast.ConstraintIndex
	if plain {
		for i, cn := range cols {
			if n, cut := longKeyPrefix(&def.Columns[ti.column(cn)], prefix[i]); cut {
				prefix[i] = n
				x.s.addNote(sqlerr.ErrTooLongKey, "Specified key was too long; max key length is %d bytes", maxKeyBytes)
			}
		}
	}
	prefix = noPrefix(prefix)
	if plain && innodbKeyBytes(def, cols, prefix) > maxKeyBytes || c.Tp == ast.ConstraintPrimaryKey && primaryTooLong(def, cols, prefix) {
		return errKeyTooLong()
	}
	switch c.Tp {
	case ast.ConstraintPrimaryKey:
		if def.PrimaryKey != nil {
			return errf(sqlerr.ErrMultiplePriKey, "Multiple primary key defined")
		}
		def.PrimaryKey, def.PrimaryPrefix = cols, prefix
		for _, cn := range cols {
			def.Columns[ti.column(cn)].NotNull = true
		}
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex, ast.ConstraintKey, ast.ConstraintIndex:
		name := c.Name
		if name == "" {
			name = uniqueIndexName(def, cols[0])
		}
		if strings.EqualFold(name, "PRIMARY") {
			return errf(errWrongIndexName, "Incorrect index name '%s'", name)
		}
		for _, ix := range def.Indexes {
			if !ix.Hidden && strings.EqualFold(ix.Name, name) { // a hidden one gives way (engine: syncKeyIndexes)
				return errf(sqlerr.ErrDupKeyName, "Duplicate key name '%s'", name)
			}
		}
		unique := c.Tp == ast.ConstraintUniq || c.Tp == ast.ConstraintUniqKey || c.Tp == ast.ConstraintUniqIndex
		def.Indexes = append(def.Indexes, engine.IndexDef{Name: name, Columns: cols, Unique: unique, Prefix: prefix})
	case ast.ConstraintCheck, ast.ConstraintForeignKey:
		// Checks: check.go; foreign keys: foreignkey.go.
	case ast.ConstraintFulltext:
		return errNotSupported("FULLTEXT indexes")
	default:
		return errNotSupported("this kind of index")
	}
	return nil
}

// uniqueIndexName is MySQL's name for an unnamed index on column c: the
// column's name, then c_2, c_3, ... on collision.
func uniqueIndexName(def *engine.TableDef, c string) string {
	taken := func(n string) bool {
		if strings.EqualFold(n, "PRIMARY") {
			return true
		}
		for _, ix := range def.Indexes {
			if strings.EqualFold(ix.Name, n) {
				return true
			}
		}
		return false
	}
	if !taken(c) {
		return c
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s_%d", c, i); !taken(n) {
			return n
		}
	}
}

// checkAutoIncrement enforces MySQL's rule: at most one AUTO_INCREMENT
// column, and it must lead a key.
func checkAutoIncrement(def *engine.TableDef) error {
	n := 0
	for _, c := range def.Columns {
		if !c.AutoIncrement {
			continue
		}
		n++
		keyed := len(def.PrimaryKey) > 0 && strings.EqualFold(def.PrimaryKey[0], c.Name)
		for _, ix := range def.Indexes {
			keyed = keyed || strings.EqualFold(ix.Columns[0], c.Name)
		}
		if !keyed || n > 1 {
			return errf(sqlerr.ErrWrongAutoKey, "Incorrect table definition; there can be only one auto column and it must be defined as a key")
		}
	}
	return nil
}

// dropTable runs DROP [TEMPORARY] TABLE. Without TEMPORARY each name
// drops the session's temporary table of that name if it has one, else
// the base table (temptable.go).
func (x *execCtx) dropTable(n *ast.DropTableStmt) (Result, error) {
	if n.IsView {
		return x.dropViews(n)
	}
	if n.TemporaryKeyword == ast.TemporaryLocal {
		return x.dropTemporary(n)
	}
	var missing, views []string
	for _, t := range n.Tables {
		if x.s.otherDB(t.Schema.O) {
			missing = append(missing, t.Schema.O+"."+t.Name.O)
			continue
		}
		db := x.s.owner(t.Name.O)
		if db == x.s.db && x.isViewName(t) { // a temporary table shadows a view
			views = append(views, x.s.DBName+"."+t.Name.O)
			continue
		}
		if _, err := db.Table(t.Name.O); isNoSuchTable(err) {
			missing = append(missing, x.s.DBName+"."+t.Name.O)
		}
	}
	// As in MariaDB, the tables that exist are dropped even when others
	// are missing (an error then, without IF EXISTS). A table marked
	// crashed (1194), its definition file damaged too, is dropped.
	var refErr error
	for _, t := range n.Tables {
		if x.s.otherDB(t.Schema.O) {
			continue
		}
		db := x.s.owner(t.Name.O)
		name := t.Name.O
		def, err := db.Table(name)
		if isNoSuchTable(err) {
			continue
		} else if err == nil {
			name = def.Name
		}
		// A table other tables' keys reference stays (1451), the others
		// go, as in MariaDB (foreignkey.go).
		if err := x.referencedError(name, false); err != nil {
			if refErr == nil {
				refErr = err
			}
			continue
		}
		if err := db.DropTable(x.ctx, t.Name.O); err != nil {
			return Result{}, err
		}
		x.dropStats(db, name)
	}
	// A view named in DROP TABLE is left alone: 1965, a note with IF
	// EXISTS, as in MariaDB.
	if len(views) > 0 && !n.IfExists {
		return Result{}, errf(sqlerr.ErrIsView, "'%s' is a view", views[0])
	}
	for _, v := range views {
		x.s.addNote(sqlerr.ErrIsView, "'%s' is a view", v)
	}
	if refErr != nil {
		return Result{}, refErr
	}
	return Result{}, x.unknownTables(missing, n.IfExists)
}

// isNoSuchTable reports whether err is the engine's 1146 (no such table).
func isNoSuchTable(err error) bool {
	e := sqlerr.As(err)
	return e != nil && e.Code == sqlerr.ErrNoSuchTable
}

// unknownTables answers the names a DROP TABLE did not find (db.table):
// error 1051 naming them all, or with IF EXISTS a note naming them all.
func (x *execCtx) unknownTables(missing []string, ifExists bool) error {
	if len(missing) > 0 && !ifExists {
		return errf(sqlerr.ErrUnknownTable, "Unknown table '%s'", strings.Join(missing, ","))
	}
	if len(missing) == 0 {
		return nil
	}
	// One note naming them all, as MariaDB writes it.
	x.s.addNote(sqlerr.ErrUnknownTable, "Unknown table '%s'", strings.Join(missing, ","))
	return nil
}

func (x *execCtx) createIndex(n *ast.CreateIndexStmt) (Result, error) {
	ti, err := x.table(n.Table, "")
	if err != nil {
		return Result{}, err
	}
	c := &ast.Constraint{Name: n.IndexName, Keys: n.IndexPartSpecifications, Tp: ast.ConstraintIndex}
	switch n.KeyType {
	case ast.IndexKeyTypeUnique:
		c.Tp = ast.ConstraintUniq
	case ast.IndexKeyTypeNone:
	case ast.IndexKeyTypeFulltext:
		return Result{}, errNotSupported("FULLTEXT indexes")
	case ast.IndexKeyTypeSpatial:
		return Result{}, errNotSupported("SPATIAL indexes")
	default:
		return Result{}, errNotSupported("this kind of index")
	}
	return x.addIndex(ti, c, n.IfNotExists)
}

// addIndex builds a new secondary index from the table's rows.
func (x *execCtx) addIndex(ti *tableInfo, c *ast.Constraint, ifNotExists bool) (Result, error) {
	if c.Tp == ast.ConstraintPrimaryKey {
		// The rows are rewritten under their new keys (its columns become
		// NOT NULL: a NULL there is 1265, a repeated key 1062).
		cc := newColChange(ti.def)
		if err := x.addConstraint(ti, cc.def, c); err != nil {
			return Result{}, err
		}
		cc.dirty = true
		return Result{}, x.applyColChange(ti, cc)
	}
	def := *ti.def
	def.Indexes = append([]engine.IndexDef(nil), ti.def.Indexes...)
	before := len(def.Indexes)
	if err := x.addConstraint(ti, &def, c); err != nil {
		if ifNotExists && sqlerr.Code(err) == sqlerr.ErrDupKeyName {
			x.s.addNote(sqlerr.ErrDupKeyName, "%s", sqlerr.As(err).Message)
			return Result{}, nil
		}
		return Result{}, err
	}
	if len(def.Indexes) == before {
		return Result{}, nil
	}
	return Result{}, x.s.owner(ti.name).CreateIndex(x.ctx, ti.name, def.Indexes[before])
}

func (x *execCtx) dropIndex(t *ast.TableName, name string, ifExists bool) (Result, error) {
	ti, err := x.table(t, "")
	if err != nil {
		return Result{}, err
	}
	for _, ix := range ti.def.Indexes {
		if !ix.Hidden && strings.EqualFold(ix.Name, name) {
			if err := x.fkNeedsIndex(ti.def, ix.Name); err != nil { // foreignkey.go
				return Result{}, err
			}
			return Result{}, x.s.owner(ti.name).DropIndex(x.ctx, ti.name, ix.Name)
		}
	}
	if strings.EqualFold(name, "PRIMARY") && len(ti.def.PrimaryKey) > 0 {
		return Result{}, x.dropPrimaryKey(ti) // alter_cols.go
	}
	if ifExists {
		x.s.addNote(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", name)
		return Result{}, nil
	}
	return Result{}, errf(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", name)
}

// alterInfo gives the result of a statement that changes a table's
// definition the info text MariaDB sends for it: "Records: 0  Duplicates:
// 0  Warnings: N" (records are the rows a copying ALTER copied: blitz
// changes a definition without copying rows through the statement).
func (x *execCtx) alterInfo(r Result, err error) (Result, error) {
	if err != nil {
		return r, err
	}
	r.Info = x.recordsInfo(r.AffectedRows, 0)
	return r, nil
}

// renameOnly reports whether n only renames the table: MariaDB sends no
// info text for that.
func renameOnly(n *ast.AlterTableStmt) bool {
	for _, spec := range n.Specs {
		if spec.Tp != ast.AlterTableRenameTable {
			return false
		}
	}
	return len(n.Specs) > 0
}

// dupAddedChecks is 1826 for an ALTER TABLE that adds two CHECK
// constraints of one name, found before anything changes (MariaDB refuses
// the whole statement).
func dupAddedChecks(n *ast.AlterTableStmt) error {
	seen := map[string]bool{}
	for _, spec := range n.Specs {
		if spec.Tp != ast.AlterTableAddConstraint || spec.Constraint.Tp != ast.ConstraintCheck || spec.Constraint.Name == "" {
			continue
		}
		k := strings.ToLower(spec.Constraint.Name)
		if seen[k] {
			return errf(errDupConstraintName, "Duplicate CHECK constraint name '%s'", spec.Constraint.Name)
		}
		seen[k] = true
	}
	return nil
}

func (x *execCtx) alterTable(n *ast.AlterTableStmt) (Result, error) {
	if x.isViewName(n.Table) {
		return Result{}, errf(sqlerr.ErrWrongObject, "'%s.%s' is not of type 'BASE TABLE'", x.s.DBName, n.Table.Name.O)
	}
	ti, err := x.table(n.Table, "")
	if err != nil {
		return Result{}, err
	}
	if n.Specs, err = alterColumnRefs(n.Specs); err != nil { // foreignkey.go
		return Result{}, err
	}
	before := ti.def // the table as the statement found it
	// RENAME TO the table's own name changes nothing (MariaDB answers OK;
	// RENAME TABLE t TO t is still 1050).
	dbOf := func(tn *ast.TableName) string {
		if tn.Schema.O == "" {
			return x.s.DBName
		}
		return tn.Schema.O
	}
	n.Specs = slices.DeleteFunc(n.Specs, func(spec *ast.AlterTableSpec) bool {
		return spec.Tp == ast.AlterTableRenameTable && spec.NewTable.Name.O == ti.name &&
			strings.EqualFold(dbOf(spec.NewTable), dbOf(n.Table))
	})
	if len(n.Specs) == 0 {
		return Result{}, nil
	}
	if err := dupAddedChecks(n); err != nil {
		return Result{}, err
	}
	// Several changes of columns, indexes, CHECK constraints, table
	// options, RENAME TO...: one engine call (alter_cols.go).
	if folded, err := x.alterFolded(ti, n); folded {
		return Result{}, err
	}
	// A change of a kind blitz does not make is refused before any other
	// changes: run one by one, the ones before it would stay made
	// (ALTER TABLE t RENAME TO u, ALGORITHM = COPY renamed t, then failed).
	for _, spec := range n.Specs {
		if err := alterSpecRefused(spec); err != nil {
			return Result{}, err
		}
	}
	// Column changes (alter_cols.go) gather into one engine call, made
	// before any other kind of change and at the end.
	cc := newColChange(ti.def)
	flush := func() error {
		if !cc.dirty {
			return nil
		}
		if err := x.applyColChange(ti, cc); err != nil {
			return err
		}
		var err error
		if ti, err = x.table(n.Table, ""); err != nil {
			return err
		}
		cc = newColChange(ti.def)
		return nil
	}
	for _, spec := range n.Specs {
		if isColumnSpec(spec) {
			if err := x.colSpec(ti, cc, spec); err != nil {
				return Result{}, err
			}
			continue
		}
		if err := flush(); err != nil {
			return Result{}, err
		}
		switch spec.Tp {
		case ast.AlterTableAddColumns:
			for _, cd := range spec.NewColumns {
				col, pk, uniq, err := x.columnDef(cd, ti.def.Collation, ti.def.Charset)
				if err != nil {
					return Result{}, err
				}
				if pk || uniq || col.AutoIncrement {
					return Result{}, errNotSupported("ADD COLUMN with a key or AUTO_INCREMENT")
				}
				if ti.column(col.Name) >= 0 {
					if spec.IfNotExists {
						x.s.addNote(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", col.Name)
						continue
					}
					return Result{}, errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", col.Name)
				}
				if col.NotNull && !col.HasDefault {
					// Existing rows read the default: MySQL uses the type's
					// zero value; we need an explicit one.
					return Result{}, errNotSupported("ADD COLUMN NOT NULL without DEFAULT")
				}
				if col.DefaultNow {
					// Existing rows get the time of the ALTER, as in MySQL.
					col.Default = x.storedNow(&col)
				}
				if err := x.validColumnChecks(ti.def, col, cd); err != nil { // check.go
					return Result{}, err
				}
				if err := x.s.owner(ti.name).AddColumn(x.ctx, ti.name, col); err != nil {
					return Result{}, err
				}
				if ti, err = x.table(n.Table, ""); err != nil {
					return Result{}, err
				}
				if err := x.alterColumnChecks(ti, cd); err != nil { // check.go
					return Result{}, err
				}
				if ti, err = x.table(n.Table, ""); err != nil {
					return Result{}, err
				}
			}
		case ast.AlterTableAddConstraint:
			if spec.Constraint.Tp == ast.ConstraintForeignKey {
				if err := x.alterAddForeignKey(ti, spec.Constraint); err != nil { // foreignkey.go
					return Result{}, err
				}
				break
			}
			if spec.Constraint.Tp == ast.ConstraintCheck {
				if spec.IfNotExists && checkIndex(before, spec.Constraint.Name, true) >= 0 {
					// IF NOT EXISTS looks at the table as it was: a name
					// an earlier specification added is still 1826.
					x.s.addNote(errDupConstraintName, "Duplicate CHECK constraint name '%s'", spec.Constraint.Name)
					break
				}
				if err := x.alterAddCheck(ti, spec.Constraint); err != nil { // check.go
					return Result{}, err
				}
				break
			}
			if _, err := x.addIndex(ti, spec.Constraint, spec.IfNotExists || spec.Constraint.IfNotExists); err != nil {
				return Result{}, err
			}
		case ast.AlterTableDropCheck:
			if err := x.alterDropConstraint(ti, n.Table, spec.Constraint.Name); err != nil { // check.go
				if spec.IfExists && sqlerr.Code(err) == sqlerr.ErrCantDropKey {
					x.s.addNote(sqlerr.ErrCantDropKey, "%s", sqlerr.As(err).Message)
					break
				}
				return Result{}, err
			}
		case ast.AlterTableDropForeignKey:
			if err := x.alterDropForeignKey(ti, spec.Name, spec.IfExists); err != nil { // foreignkey.go
				return Result{}, err
			}
		case ast.AlterTableDropIndex:
			if _, err := x.dropIndex(n.Table, spec.Name, spec.IfExists); err != nil {
				return Result{}, err
			}
		case ast.AlterTableDropPrimaryKey:
			if err := x.dropPrimaryKey(ti); err != nil {
				return Result{}, err
			}
		case ast.AlterTableRenameIndex:
			if err := x.renameIndex(ti, spec.FromKey.O, spec.ToKey.O); err != nil {
				return Result{}, err
			}
		case ast.AlterTableRenameTable:
			if err := x.renameTable(ti.name, spec.NewTable.Name.O); err != nil {
				return Result{}, err
			}
			n.Table = spec.NewTable
		case ast.AlterTableForce:
			// MariaDB rebuilds the table. A table of key format 1
			// (engine.TableDef.LegacyKeys) is rebuilt into key format 2,
			// a change the update log records; any other is rebuilt as
			// OPTIMIZE TABLE does, its keys unchanged.
			if ti.def.LegacyKeys {
				cc.def.LegacyKeys, cc.dirty = false, true
				if err := flush(); err != nil {
					return Result{}, err
				}
			} else if err := x.s.owner(ti.name).Optimize(x.ctx, ti.name); err != nil {
				return Result{}, err
			}
		case ast.AlterTableEnableKeys, ast.AlterTableDisableKeys:
			// mysqldump wraps each table's rows in these; indexes here
			// are always maintained, so they change nothing (MariaDB
			// answers InnoDB tables the same way, with this note).
			x.s.addNote(sqlerr.ErrIllegalHaForCreate, "Table storage engine for '%s' doesn't have this option", ti.name)
		case ast.AlterTableOption:
			if _, err := x.engineOption(spec.Options, ti.name, ti.def); err != nil {
				return Result{}, err
			}
			if err := x.alterCollation(ti, spec.Options); err != nil {
				return Result{}, err
			}
			if err := x.autoIncrementOption(x.s.owner(ti.name), ti.name, spec.Options); err != nil {
				return Result{}, err
			}
			if err := x.commentOption(n.Table, spec.Options); err != nil {
				return Result{}, err
			}
		default:
			return Result{}, errNotSupported("this ALTER TABLE operation")
		}
		if ti, err = x.table(n.Table, ""); err != nil {
			return Result{}, err
		}
		cc = newColChange(ti.def)
	}
	return Result{}, flush()
}

// alterSpecRefused is the error of a change alterTable never makes (1235:
// a kind of change or of index blitz does not have), nil for the others.
func alterSpecRefused(spec *ast.AlterTableSpec) error {
	switch spec.Tp {
	case ast.AlterTableAddConstraint:
		switch spec.Constraint.Tp {
		case ast.ConstraintFulltext:
			return errNotSupported("FULLTEXT indexes")
		case ast.ConstraintPrimaryKey, ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex,
			ast.ConstraintKey, ast.ConstraintIndex, ast.ConstraintCheck, ast.ConstraintForeignKey:
			return nil
		}
		return errNotSupported("this kind of index")
	case ast.AlterTableAddColumns, ast.AlterTableDropCheck, ast.AlterTableDropForeignKey,
		ast.AlterTableDropIndex, ast.AlterTableDropPrimaryKey, ast.AlterTableRenameIndex, ast.AlterTableRenameTable,
		ast.AlterTableForce, ast.AlterTableEnableKeys, ast.AlterTableDisableKeys, ast.AlterTableOption:
		return nil
	}
	if isColumnSpec(spec) {
		return nil
	}
	return errNotSupported("this ALTER TABLE operation")
}

// tableComment is the COMMENT option among a CREATE or ALTER TABLE's
// options ("" without one).
func tableComment(opts []*ast.TableOption) string {
	c := ""
	for _, o := range opts {
		if o.Tp == ast.TableOptionComment {
			c = o.StrValue
		}
	}
	return c
}

// commentOption is ALTER TABLE ... COMMENT = 'text': a change of the
// definition alone.
func (x *execCtx) commentOption(t *ast.TableName, opts []*ast.TableOption) error {
	has := false
	for _, o := range opts {
		has = has || o.Tp == ast.TableOptionComment
	}
	if !has {
		return nil
	}
	ti, err := x.table(t, "")
	if err != nil {
		return err
	}
	cc := newColChange(ti.def)
	cc.def.Comment = tableComment(opts)
	cc.dirty = true
	return x.applyColChange(ti, cc)
}
