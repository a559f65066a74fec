package sqlshim

import (
	"slices"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// errCantRemoveAllFields is MySQL's 1090, You can't delete all columns
// with ALTER TABLE; use DROP TABLE instead. (1091, a column that is not
// there, shares its number with a key that is not: sqlerr.ErrCantDropKey.)
const errCantRemoveAllFields = 1090

// colChange gathers the column operations of one ALTER TABLE (DROP,
// MODIFY, CHANGE, RENAME COLUMN, ALTER COLUMN ... DEFAULT, ADD COLUMN
// FIRST/AFTER) into one new definition for engine.DB.AlterColumns, which
// rewrites the rows only when the change needs it.
type colChange struct {
	def     *engine.TableDef
	from    []int // for each column of def, its position in the table now, -1 for a new one
	dirty   bool
	dropped map[string]bool // the columns DROP COLUMN removed, lower case
	// autoNext, if not nil, is an AUTO_INCREMENT = N option the change
	// makes with it (engine.AlterOptions.AutoIncrement).
	autoNext *uint64
	// force rebuilds the table whether or not the change needs it
	// (FORCE: engine.AlterOptions.Rebuild).
	force bool
	// addedFKs names the foreign keys the change adds (addForeignKeyIn),
	// whose rows are checked before and after it.
	addedFKs []string
}

func newColChange(def *engine.TableDef) *colChange {
	cc := &colChange{def: def.Clone(), from: make([]int, len(def.Columns))}
	for i := range cc.from {
		cc.from[i] = i
	}
	return cc
}

// isColumnSpec reports whether spec is a column change colSpec handles.
func isColumnSpec(spec *ast.AlterTableSpec) bool {
	switch spec.Tp {
	case ast.AlterTableDropColumn, ast.AlterTableModifyColumn, ast.AlterTableChangeColumn,
		ast.AlterTableRenameColumn, ast.AlterTableAlterColumn:
		return true
	case ast.AlterTableAddColumns:
		if spec.Position != nil && spec.Position.Tp != ast.ColumnPositionNone {
			return true
		}
		if addsComputed(spec.NewColumns) { // gencol.go: the rows there get their values
			return true
		}
		// A NOT NULL column without a default: existing rows get the
		// type's implicit default, written into them. A UNIQUE column
		// (ALTER TABLE t ADD sku VARCHAR(30) UNIQUE, as Sequelize's
		// sync({alter: true}) adds one) gets its index built with them.
		for _, cd := range spec.NewColumns {
			notNull, def := false, false
			for _, o := range cd.Options {
				if o.Tp == ast.ColumnOptionUniqKey {
					return true
				}
				notNull = notNull || o.Tp == ast.ColumnOptionNotNull
				def = def || o.Tp == ast.ColumnOptionDefaultValue
			}
			if notNull && !def {
				return true
			}
		}
	}
	return false
}

// column returns the position of the named column in cc's definition, or
// the error MySQL gives for an unknown one.
func (cc *colChange) column(name string) (int, error) {
	if i := cc.def.ColumnIndex(name); i >= 0 {
		return i, nil
	}
	return -1, errf(sqlerr.ErrBadField, "Unknown column '%s' in '%s'", name, cc.def.Name)
}

// remove takes column i out, returning it and its source position.
func (cc *colChange) remove(i int) (engine.Column, int) {
	c, f := cc.def.Columns[i], cc.from[i]
	cc.def.Columns = append(cc.def.Columns[:i:i], cc.def.Columns[i+1:]...)
	cc.from = append(cc.from[:i:i], cc.from[i+1:]...)
	return c, f
}

// insert puts c at pos (nil: where it was, at old, or last when old < 0).
func (cc *colChange) insert(c engine.Column, f, old int, pos *ast.ColumnPosition) error {
	at := old
	if at < 0 {
		at = len(cc.def.Columns)
	}
	if pos != nil {
		switch pos.Tp {
		case ast.ColumnPositionFirst:
			at = 0
		case ast.ColumnPositionAfter:
			i, err := cc.column(pos.RelativeColumn.Name.O)
			if err != nil {
				return err
			}
			at = i + 1
		}
	}
	cc.def.Columns = append(cc.def.Columns[:at], append([]engine.Column{c}, cc.def.Columns[at:]...)...)
	cc.from = append(cc.from[:at], append([]int{f}, cc.from[at:]...)...)
	return nil
}

// renameRefs makes the primary key and the indexes follow a column rename.
func (cc *colChange) renameRefs(from, to string) {
	for i, p := range cc.def.PrimaryKey {
		if strings.EqualFold(p, from) {
			cc.def.PrimaryKey[i] = to
		}
	}
	for _, ix := range cc.def.Indexes {
		for i, c := range ix.Columns {
			if strings.EqualFold(c, from) {
				ix.Columns[i] = to
			}
		}
	}
	renameCheckRefs(cc.def, from, to) // check.go
	renameExprRefs(cc.def, from, to)  // gencol.go
}

func (cc *colChange) isPrimaryKey(name string) bool {
	for _, p := range cc.def.PrimaryKey {
		if strings.EqualFold(p, name) {
			return true
		}
	}
	return false
}

// colSpec adds one column operation to cc.
func (x *execCtx) colSpec(ti *tableInfo, cc *colChange, spec *ast.AlterTableSpec) error {
	cc.dirty = true
	switch spec.Tp {
	case ast.AlterTableDropColumn:
		name := spec.OldColumnName.Name.O
		i := cc.def.ColumnIndex(name)
		if i < 0 {
			if spec.IfExists {
				x.s.addNote(sqlerr.ErrCantDropKey, "Can't DROP COLUMN `%s`; check that it exists", name)
				return nil
			}
			return errf(sqlerr.ErrCantDropKey, "Can't DROP COLUMN `%s`; check that it exists", name)
		}
		if len(cc.def.Columns) == 1 {
			return errf(errCantRemoveAllFields, "You can't delete all columns with ALTER TABLE; use DROP TABLE instead")
		}
		cc.remove(i)
		if cc.dropped == nil {
			cc.dropped = map[string]bool{}
		}
		cc.dropped[strings.ToLower(name)] = true
		// As in MariaDB, the primary key and an index lose the column, and
		// go with their last one (keptKeys refuses a unique key that would
		// lose only some of its columns).
		cc.def.PrimaryKey, cc.def.PrimaryPrefix = dropKeyColumn(cc.def.PrimaryKey, cc.def.PrimaryPrefix, name) // prefixkey.go
		var keep []engine.IndexDef
		for _, ix := range cc.def.Indexes {
			if ix.Columns, ix.Prefix = dropKeyColumn(ix.Columns, ix.Prefix, name); len(ix.Columns) > 0 {
				keep = append(keep, ix)
			}
		}
		cc.def.Indexes = keep
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		cd := spec.NewColumns[0]
		old := cd.Name.Name.O
		if spec.Tp == ast.AlterTableChangeColumn {
			old = spec.OldColumnName.Name.O
		}
		i, err := cc.column(old)
		if err != nil {
			if spec.IfExists && sqlerr.Code(err) == sqlerr.ErrBadField {
				x.s.addNote(sqlerr.ErrBadField, "%s", sqlerr.As(err).Message) // MODIFY/CHANGE COLUMN IF EXISTS
				return nil
			}
			return err
		}
		col, pk, uniq, err := x.columnDef(cd, cc.def.Collation, cc.def.Charset)
		if err != nil {
			return err
		}
		wasPK := cc.isPrimaryKey(old)
		if pk && !(wasPK && len(cc.def.PrimaryKey) == 1) {
			return errf(sqlerr.ErrMultiplePriKey, "Multiple primary key defined")
		}
		if wasPK {
			col.NotNull = true // a key column is NOT NULL, as in MySQL
		}
		if col.DefaultNow {
			col.Default = x.storedNow(&col)
		}
		oldName := cc.def.Columns[i].Name
		if !strings.EqualFold(oldName, col.Name) && cc.def.ColumnIndex(col.Name) >= 0 {
			return errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", col.Name)
		}
		_, f := cc.remove(i)
		if err := cc.insert(col, f, i, spec.Position); err != nil {
			return err
		}
		cc.renameRefs(oldName, col.Name)
		if err := x.replaceColumnCheck(cc.def, col.Name, cd); err != nil { // check.go
			return err
		}
		if uniq {
			cc.def.Indexes = append(cc.def.Indexes, engine.IndexDef{Name: uniqueIndexName(cc.def, col.Name), Columns: []string{col.Name}, Unique: true})
		}
	case ast.AlterTableRenameColumn:
		from, to := spec.OldColumnName.Name.O, spec.NewColumnName.Name.O
		i, err := cc.column(from)
		if err != nil {
			return err
		}
		if j := cc.def.ColumnIndex(to); j >= 0 && j != i {
			return errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", to)
		}
		oldName := cc.def.Columns[i].Name
		cc.def.Columns[i].Name = to
		cc.renameRefs(oldName, to)
	case ast.AlterTableAlterColumn:
		cd := spec.NewColumns[0]
		i, err := cc.column(cd.Name.Name.O)
		if err != nil {
			return err
		}
		c := &cc.def.Columns[i]
		c.DefaultExpr = ""
		if len(cd.Options) == 0 {
			c.HasDefault, c.Default, c.DefaultNow = false, nil, false
			return nil
		}
		e := unwrapDefault(cd.Options[0].Expr)
		if !isNowCall(e) && !isLiteralDefault(e) {
			c.HasDefault, c.Default, c.DefaultNow = false, nil, false
			c.DefaultExpr, err = x.defaultExpr(c, cc.isPrimaryKey(c.Name), e) // gencol.go
			return err
		}
		if isNowCall(e) {
			if !c.Type.IsTime() {
				return errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", c.Name)
			}
			c.HasDefault, c.DefaultNow, c.Default = true, true, x.storedNow(c)
			return nil
		}
		v, err := x.newEval(nil, "field list").eval(e)
		if err != nil {
			return err
		}
		if v == nil && c.NotNull {
			return errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", c.Name)
		}
		if v != nil {
			cv, err := x.storedDefault(&engine.Column{Name: c.Name, Type: c.Type, Unsigned: c.Unsigned, Length: c.Length,
				Precision: c.Precision, Scale: c.Scale}, v) // timezone.go
			if err != nil {
				return errf(sqlerr.ErrInvalidDefault, "Invalid default value for '%s'", c.Name)
			}
			v = cv
		}
		c.HasDefault, c.Default, c.DefaultNow = true, v, false
	case ast.AlterTableAddColumns:
		pos := spec.Position
		for _, cd := range spec.NewColumns {
			col, pk, uniq, err := x.columnDef(cd, cc.def.Collation, cc.def.Charset)
			if err != nil {
				return err
			}
			if pk || col.AutoIncrement {
				return errNotSupported("ADD COLUMN with a primary key or AUTO_INCREMENT")
			}
			if cc.def.ColumnIndex(col.Name) >= 0 {
				if spec.IfNotExists {
					x.s.addNote(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", col.Name)
					continue
				}
				return errf(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", col.Name)
			}
			if col.DefaultNow {
				// Existing rows get the time of the ALTER, as in MySQL.
				col.Default = x.storedNow(&col)
			}
			if err := cc.insert(col, -1, -1, pos); err != nil {
				return err
			}
			if err := x.addColumnChecks(cc.def, []*ast.ColumnDef{cd}); err != nil { // check.go
				return err
			}
			if uniq {
				cc.def.Indexes = append(cc.def.Indexes, engine.IndexDef{Name: uniqueIndexName(cc.def, col.Name), Columns: []string{col.Name}, Unique: true})
			}
			// The next column of the list goes after this one.
			pos = &ast.ColumnPosition{Tp: ast.ColumnPositionAfter, RelativeColumn: &ast.ColumnName{Name: cd.Name.Name}}
		}
	}
	return nil
}

// keptKeys is MariaDB's 1072 for an ALTER that drops some but not all
// of the columns of the primary key or a UNIQUE key of ti (it would no
// longer mean what it did); dropping all of them drops the key.
func (cc *colChange) keptKeys(ti *tableInfo) error {
	check := func(cols []string) error {
		var gone []string
		for _, c := range cols {
			if cc.dropped[strings.ToLower(c)] {
				gone = append(gone, c)
			}
		}
		if len(gone) > 0 && len(gone) < len(cols) {
			return errf(errKeyColumnDoesNotExist, "Key column '%s' doesn't exist in table", gone[0])
		}
		return nil
	}
	if err := check(ti.def.PrimaryKey); err != nil {
		return err
	}
	for _, ix := range ti.def.Indexes {
		if ix.Unique {
			if err := check(ix.Columns); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyColChange makes the gathered column changes in one engine call.
func (x *execCtx) applyColChange(ti *tableInfo, cc *colChange) error {
	return x.applyColChangeAs(ti, cc, "")
}

// applyColChangeAs is applyColChange that also renames the table to
// newName (not "") in the same engine step (ALTER TABLE ... RENAME TO:
// engine.AlterOptions.RenameTo). The AUTO_INCREMENT counter cc sets and
// a FORCE are made in that step too; so are the other tables' foreign
// keys that follow a column cc renames (engine.DB.Alter). Computed
// columns get their values after it, under the new name (TableDef.Fill).
func (x *execCtx) applyColChangeAs(ti *tableInfo, cc *colChange, newName string) error {
	if err := cc.keptKeys(ti); err != nil {
		return err
	}
	if err := checkAutoIncrement(cc.def); err != nil {
		return err
	}
	if err := keptChecks(cc.def); err != nil { // check.go
		return err
	}
	if err := x.keptForeignKeys(ti, cc); err != nil { // foreignkey.go
		return err
	}
	if err := checkColumnExprs(cc.def); err != nil { // gencol.go
		return err
	}
	fitPrefixes(cc.def) // prefixkey.go
	was := func(name string) int {
		if strings.EqualFold(name, "PRIMARY") {
			return innodbKeyBytes(ti.def, ti.def.PrimaryKey, ti.def.PrimaryPrefix)
		}
		for _, ix := range ti.def.Indexes {
			if strings.EqualFold(ix.Name, name) {
				return innodbKeyBytes(ti.def, ix.Columns, ix.Prefix)
			}
		}
		return 0
	}
	if err := x.longKeys(cc.def, was); err != nil { // prefixkey.go: keys a column change lengthened
		return err
	}
	db := x.s.owner(ti.name)
	if hasColumnExprs(cc.def) {
		// The rows get computed values after the new definition is in
		// place: mark it until they have them (TableDef.Fill, gencol.go).
		// Under either name, no other session finishes it meanwhile.
		for _, name := range []string{ti.name, newName} {
			if name == "" {
				continue
			}
			if release, ok := db.ClaimFill(name); ok {
				defer release()
			}
		}
		cc.def.Fill = fillColumns(cc)
	}
	// Values changing to or from TIMESTAMP convert in the session's zone
	// (timezone.go).
	o := engine.AlterOptions{Zone: x.s.tz.off, RenameTo: newName, AutoIncrement: cc.autoNext, Rebuild: cc.force}
	if err := db.Alter(x.ctx, ti.name, cc.def, cc.from, o); err != nil {
		return qualifyConstraint(qualifyAnyColumn(err, x.s.DBName, ti.name), x.s.DBName, ti.name)
	}
	if newName != "" {
		x.renameStats(db, ti.name, newName)
		def := ti.def.Clone()
		def.Name = newName
		ti = newTableInfo(def, "")
		cc.def.Name = newName
	}
	if err := x.recomputeAltered(db, ti, cc); err != nil { // gencol.go
		return qualifyConstraint(err, x.s.DBName, ti.name)
	}
	if len(cc.def.Fill) > 0 {
		if err := x.clearFill(db, ti.name); err != nil {
			return err
		}
	}
	if err := x.checkAddedKeys(newTableInfo(cc.def, ""), cc); err != nil { // foreignkey.go
		return err
	}
	// Column statistics are by position and name: gather them again.
	x.dropStats(db, ti.name)
	return nil
}

// renameIndex is ALTER TABLE ... RENAME INDEX|KEY from TO to.
func (x *execCtx) renameIndex(ti *tableInfo, from, to string) error {
	cc := newColChange(ti.def)
	if err := cc.renameIndex(ti.name, from, to); err != nil || !cc.dirty {
		return err
	}
	return x.applyColChange(ti, cc)
}

// dropPrimaryKey is ALTER TABLE ... DROP PRIMARY KEY (and DROP INDEX
// `PRIMARY`): the rows get hidden row ids (engine.DB.AlterColumns); the
// key's columns stay NOT NULL, as in MariaDB.
func (x *execCtx) dropPrimaryKey(ti *tableInfo) error {
	if len(ti.def.PrimaryKey) == 0 {
		return errf(sqlerr.ErrCantDropKey, "Can't DROP INDEX `PRIMARY`; check that it exists")
	}
	cc := newColChange(ti.def)
	cc.def.PrimaryKey = nil
	cc.dirty = true
	return x.applyColChange(ti, cc)
}

// foldable reports whether alterFolded can make spec part of one new
// definition: a change of columns, indexes, CHECK constraints, foreign
// keys, an index rename, table options, RENAME TO, FORCE.
func foldable(spec *ast.AlterTableSpec) bool {
	switch spec.Tp {
	case ast.AlterTableAddColumns, ast.AlterTableDropIndex, ast.AlterTableDropPrimaryKey, ast.AlterTableDropCheck,
		ast.AlterTableDropForeignKey, ast.AlterTableRenameIndex, ast.AlterTableEnableKeys, ast.AlterTableDisableKeys,
		ast.AlterTableRenameTable, ast.AlterTableForce:
		return true
	case ast.AlterTableAddConstraint:
		switch spec.Constraint.Tp {
		case ast.ConstraintPrimaryKey, ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex,
			ast.ConstraintKey, ast.ConstraintIndex, ast.ConstraintCheck, ast.ConstraintForeignKey:
			return true
		}
		return false
	case ast.AlterTableOption:
		return true
	}
	return isColumnSpec(spec)
}

// addsSeveral reports whether spec is a change alterTable would make in
// more than one engine call: an ADD COLUMN of several columns (ADD COLUMN
// (a INT, b INT)) or of a column with a CHECK constraint, table options
// with AUTO_INCREMENT among others, ADD FOREIGN KEY (the key and the
// index it needs).
func addsSeveral(spec *ast.AlterTableSpec) bool {
	if spec.Tp == ast.AlterTableAddConstraint && spec.Constraint.Tp == ast.ConstraintForeignKey {
		return true
	}
	if spec.Tp == ast.AlterTableOption && len(spec.Options) > 1 {
		return slices.ContainsFunc(spec.Options, func(o *ast.TableOption) bool { return o.Tp == ast.TableOptionAutoIncrement })
	}
	if spec.Tp != ast.AlterTableAddColumns {
		return false
	}
	if len(spec.NewColumns) > 1 {
		return true
	}
	for _, cd := range spec.NewColumns {
		for _, o := range cd.Options {
			if o.Tp == ast.ColumnOptionCheck {
				return true
			}
		}
	}
	return false
}

// alterFolded runs an ALTER TABLE of several changes as one engine step
// (engine.DB.Alter: a rebuild when the rows or an index change), so that a
// crash leaves the table, and every other table the statement reaches,
// with all of them or none, as MariaDB's ALTER TABLE does: changes to
// columns and secondary indexes (ADD/DROP/MODIFY/CHANGE/RENAME/ALTER
// COLUMN, ADD INDEX/KEY/UNIQUE/PRIMARY KEY, DROP INDEX, RENAME INDEX),
// CHECK constraints (ADD, DROP), foreign keys (ADD with the index it
// needs, DROP), table options (COMMENT, ENGINE, [DEFAULT] CHARSET, CONVERT
// TO, AUTO_INCREMENT), RENAME TO, FORCE; the other tables' foreign keys
// follow a referenced column renamed (in the engine). The changes apply
// in order, each to the definition the ones before it made; the rows
// there are checked against the CHECK constraints and foreign keys the
// statement adds as the change leaves them, computed columns computed
// (checkConverted), before anything changes. Computed columns get their
// values after the step, marked until they have them (TableDef.Fill). It
// returns false, having done nothing, for a statement of one change
// (alterTable runs it) or with a change of another kind. An ADD COLUMN of
// several columns, or of one with a CHECK constraint, and an ADD FOREIGN
// KEY are folded on their own too (addsSeveral).
func (x *execCtx) alterFolded(ti *tableInfo, n *ast.AlterTableStmt) (bool, error) {
	if len(n.Specs) < 2 && (len(n.Specs) == 0 || !addsSeveral(n.Specs[0])) {
		return false, nil
	}
	newName := ""
	for _, spec := range n.Specs {
		if !foldable(spec) {
			return false, nil
		}
		if spec.Tp == ast.AlterTableRenameTable {
			newName = spec.NewTable.Name.O
		}
	}
	if newName == ti.name {
		return false, nil // RENAME TO the same name: alterTable drops it
	}
	before := ti.def
	cc := newColChange(ti.def)
	addsChecks := false
	for _, spec := range n.Specs {
		switch spec.Tp {
		case ast.AlterTableAddConstraint:
			if spec.Constraint.Tp == ast.ConstraintCheck {
				if spec.IfNotExists && checkIndex(before, spec.Constraint.Name, true) >= 0 {
					// IF NOT EXISTS looks at the table as it was
					// (alterTable).
					x.s.addNote(errDupConstraintName, "Duplicate CHECK constraint name '%s'", spec.Constraint.Name)
					continue
				}
				if err := x.addCheck(cc.def, spec.Constraint); err != nil { // check.go
					return true, err
				}
				cc.dirty, addsChecks = true, true
				continue
			}
			if spec.Constraint.Tp == ast.ConstraintForeignKey {
				if err := x.addForeignKeyIn(ti, cc, spec.Constraint); err != nil { // foreignkey.go
					return true, err
				}
				continue
			}
			if err := x.addConstraint(newTableInfo(cc.def, ""), cc.def, spec.Constraint); err != nil {
				if (spec.IfNotExists || spec.Constraint.IfNotExists) && sqlerr.Code(err) == sqlerr.ErrDupKeyName {
					x.s.addNote(sqlerr.ErrDupKeyName, "%s", sqlerr.As(err).Message)
					continue
				}
				return true, err
			}
			cc.dirty = true
		case ast.AlterTableDropIndex:
			if strings.EqualFold(spec.Name, "PRIMARY") {
				if len(cc.def.PrimaryKey) == 0 {
					if spec.IfExists {
						x.s.addNote(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", spec.Name)
						continue
					}
					return true, errf(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", spec.Name)
				}
				cc.def.PrimaryKey, cc.def.PrimaryPrefix = nil, nil
				cc.dirty = true
				continue
			}
			at := cc.indexAt(spec.Name)
			if at < 0 {
				if spec.IfExists {
					x.s.addNote(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", spec.Name)
					continue
				}
				return true, errf(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", spec.Name)
			}
			cc.def.Indexes = append(cc.def.Indexes[:at:at], cc.def.Indexes[at+1:]...)
			cc.dirty = true
		case ast.AlterTableDropPrimaryKey:
			if len(cc.def.PrimaryKey) == 0 {
				return true, errf(sqlerr.ErrCantDropKey, "Can't DROP INDEX `PRIMARY`; check that it exists")
			}
			cc.def.PrimaryKey, cc.def.PrimaryPrefix = nil, nil
			cc.dirty = true
		case ast.AlterTableDropCheck:
			// A table-level check or, as in MariaDB, a unique key of that
			// name (alterDropConstraint).
			name := spec.Constraint.Name
			if i := checkIndex(cc.def, name, true); i >= 0 {
				cc.def.Checks = append(cc.def.Checks[:i:i], cc.def.Checks[i+1:]...)
				cc.dirty = true
				continue
			}
			if at := cc.indexAt(name); at >= 0 && cc.def.Indexes[at].Unique {
				cc.def.Indexes = append(cc.def.Indexes[:at:at], cc.def.Indexes[at+1:]...)
				cc.dirty = true
				continue
			}
			if spec.IfExists {
				x.s.addNote(sqlerr.ErrCantDropKey, "Can't DROP CONSTRAINT `%s`; check that it exists", name)
				continue
			}
			return true, errf(sqlerr.ErrCantDropKey, "Can't DROP CONSTRAINT `%s`; check that it exists", name)
		case ast.AlterTableDropForeignKey:
			if err := x.dropForeignKeyIn(cc, spec.Name, spec.IfExists); err != nil { // foreignkey.go
				return true, err
			}
		case ast.AlterTableRenameIndex:
			if err := cc.renameIndex(ti.name, spec.FromKey.O, spec.ToKey.O); err != nil {
				return true, err
			}
		case ast.AlterTableRenameTable:
			// alterFolded makes it with the rest (engine.AlterOptions.RenameTo).
		case ast.AlterTableForce:
			// MariaDB rebuilds the table; one of key format 1 is rebuilt
			// into key format 2 (alterTable).
			cc.def.LegacyKeys, cc.force, cc.dirty = false, true, true
		case ast.AlterTableEnableKeys, ast.AlterTableDisableKeys:
			x.s.addNote(sqlerr.ErrIllegalHaForCreate, "Table storage engine for '%s' doesn't have this option", ti.name)
		case ast.AlterTableOption:
			if _, err := x.engineOption(spec.Options, ti.name, ti.def); err != nil {
				return true, err
			}
			if err := x.foldCollation(cc, spec.Options); err != nil { // collation.go
				return true, err
			}
			for _, o := range spec.Options {
				switch o.Tp {
				case ast.TableOptionComment:
					cc.def.Comment, cc.dirty = o.StrValue, true
				case ast.TableOptionAutoIncrement:
					next := o.UintValue
					cc.autoNext = &next
				}
			}
		default:
			if err := x.colSpec(ti, cc, spec); err != nil {
				return true, err
			}
		}
	}
	if !cc.dirty && newName == "" && cc.autoNext == nil {
		return true, nil
	}
	if err := x.fkIndexesKept(ti.def, cc.def); err != nil { // foreignkey.go
		return true, err
	}
	if err := x.checkConverted(ti, cc, addsChecks, newName); err != nil { // check.go
		return true, err
	}
	return true, x.applyColChangeAs(ti, cc, newName)
}

// indexAt is the position of the secondary index called name in cc's
// definition (a hidden one left out), -1 if there is none.
func (cc *colChange) indexAt(name string) int {
	at := -1
	for i, ix := range cc.def.Indexes {
		if !ix.Hidden && strings.EqualFold(ix.Name, name) {
			at = i
		}
	}
	return at
}

// renameIndex renames index from of cc's definition (of table) to to:
// RENAME INDEX|KEY from TO to.
func (cc *colChange) renameIndex(table, from, to string) error {
	if strings.EqualFold(from, "PRIMARY") {
		return errf(errWrongIndexName, "Incorrect index name '%s'", from)
	}
	at := cc.indexAt(from)
	if at < 0 {
		return errf(errNoSuchIndex, "Key '%s' doesn't exist in table '%s'", from, table)
	}
	if strings.EqualFold(to, "PRIMARY") {
		return errf(errWrongIndexName, "Incorrect index name '%s'", to)
	}
	for i, ix := range cc.def.Indexes {
		if i != at && !ix.Hidden && strings.EqualFold(ix.Name, to) { // a hidden one gives way (engine: syncKeyIndexes)
			return errf(sqlerr.ErrDupKeyName, "Duplicate key name '%s'", to)
		}
	}
	if cc.def.Indexes[at].Name != to {
		cc.def.Indexes[at].Name = to
		cc.dirty = true
	}
	return nil
}
