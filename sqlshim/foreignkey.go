package sqlshim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// FOREIGN KEY constraints, as MariaDB 10.11 with InnoDB has them. The
// constraint is kept in the child table's definition
// (engine.ForeignKeyDef) and enforced by the engine on every write
// (engine/foreignkey.go), unless the session sets foreign_key_checks = 0.
// Here: defining them (CREATE TABLE, ALTER TABLE ADD/DROP FOREIGN KEY),
// the errors MariaDB gives for a bad one, the index that supports one,
// and what other DDL does to them (DROP INDEX, DROP TABLE, TRUNCATE,
// column changes; RENAME TABLE and a referenced column renamed make the
// references follow in the engine, engine.DB.RenameTables and
// engine.DB.Alter, in the same step).
//
// A constraint without a name is named <table>_ibfk_<n>. Its child
// columns need an index led by them: an existing one (the primary key
// too) serves, else one is made, named after the constraint if it has a
// name, else after its first column. The referenced table needs an index
// (or primary key) led by the referenced columns, of the same types.

// fkErrno150 is InnoDB's "Foreign key constraint is incorrectly formed".
const (
	fkErrno150       = 150
	fkErrno121       = 121 // a constraint name taken in the database
	errFKWrongDef    = 1239
	errFKDropColumn  = 1828 // Cannot drop column '%s': needed in a foreign key constraint '%s'
	fkCheckVar       = "foreign_key_checks"
	fkGeneratedInfix = "_ibfk_"
)

// refAction converts the parser's ON DELETE / ON UPDATE option. SET
// DEFAULT is accepted and kept as RESTRICT, as MariaDB 10.11 with InnoDB
// does: no error, no warning, and SHOW CREATE TABLE and
// information_schema show the key as RESTRICT (InnoDB has no SET DEFAULT
// action; checked against MariaDB 10.11.19).
func refAction(o ast.ReferOptionType) (engine.RefAction, error) {
	switch o {
	case ast.ReferOptionNoOption, ast.ReferOptionRestrict, ast.ReferOptionSetDefault:
		return engine.RefRestrict, nil
	case ast.ReferOptionCascade:
		return engine.RefCascade, nil
	case ast.ReferOptionSetNull:
		return engine.RefSetNull, nil
	case ast.ReferOptionNoAction:
		return engine.RefNoAction, nil
	}
	return 0, errNotSupported(fmt.Sprintf("ON DELETE/ON UPDATE option %d", o))
}

// fkClause is one FOREIGN KEY clause of a CREATE or ALTER TABLE.
type fkClause struct {
	name string // as given, "" for none
	keys []*ast.IndexPartSpecification
	ref  *ast.ReferenceDef
}

// foreignKeyOf builds the key of clause c on the columns of def (its name
// left empty when c has none).
func (x *execCtx) foreignKeyOf(def *engine.TableDef, c fkClause) (engine.ForeignKeyDef, error) {
	fk := engine.ForeignKeyDef{Name: c.name}
	for _, k := range c.keys {
		if k.Column == nil {
			return fk, errNotSupported("a FOREIGN KEY on an expression")
		}
		i := def.ColumnIndex(k.Column.Name.O)
		if i < 0 {
			return fk, errf(errKeyColumnDoesNotExist, "Key column '%s' doesn't exist in table", k.Column.Name.O)
		}
		fk.Columns = append(fk.Columns, def.Columns[i].Name)
	}
	if c.ref == nil || c.ref.Table == nil {
		return fk, errNotSupported("a FOREIGN KEY without REFERENCES")
	}
	if s := c.ref.Table.Schema.L; s != "" && s != lower(x.s.DBName) {
		return fk, errNotSupported("a FOREIGN KEY referencing another database")
	}
	fk.RefTable = c.ref.Table.Name.O
	for _, k := range c.ref.IndexPartSpecifications {
		if k.Column == nil {
			return fk, errNotSupported("a FOREIGN KEY on an expression")
		}
		fk.RefColumns = append(fk.RefColumns, k.Column.Name.O)
	}
	if len(fk.RefColumns) != len(fk.Columns) {
		name := c.name
		if name == "" {
			name = "foreign key without name"
		}
		return fk, errf(errFKWrongDef, "Incorrect foreign key definition for '%s': Key reference and table reference don't match", name)
	}
	var err error
	if c.ref.OnDelete != nil {
		if fk.OnDelete, err = refAction(c.ref.OnDelete.ReferOpt); err != nil {
			return fk, err
		}
	}
	if c.ref.OnUpdate != nil {
		if fk.OnUpdate, err = refAction(c.ref.OnUpdate.ReferOpt); err != nil {
			return fk, err
		}
	}
	return fk, nil
}

// nextFKName is InnoDB's name for an unnamed constraint of def:
// <table>_ibfk_<n>, n one more than the highest such name has.
func nextFKName(def *engine.TableDef) string {
	prefix := def.Name + fkGeneratedInfix
	n := 0
	for _, fk := range def.ForeignKeys {
		if rest, ok := strings.CutPrefix(strings.ToLower(fk.Name), strings.ToLower(prefix)); ok {
			if k, err := strconv.Atoi(rest); err == nil && k > n {
				n = k
			}
		}
	}
	return prefix + strconv.Itoa(n+1)
}

// supportingIndex is the index of def that supports a key on cols:
// "PRIMARY" for the primary key, "" when there is none.
func supportingIndex(def *engine.TableDef, cols []string, skip string) string {
	if engine.LedBy(def.PrimaryKey, def.PrimaryPrefix, cols) {
		return "PRIMARY"
	}
	for _, ix := range def.Indexes {
		// A hidden index follows the primary key (engine.IndexDef.Hidden):
		// never a support of its own.
		if !ix.Hidden && !strings.EqualFold(ix.Name, skip) && engine.LedBy(ix.Columns, ix.Prefix, cols) {
			return ix.Name
		}
	}
	return ""
}

// addFKIndex gives fk an index in def, unless one is led by its columns
// (see the top). As in MariaDB, an index made for an earlier key
// (engine.IndexDef.ForForeignKey) does not count when it is no longer
// than the new key's: it goes, and the new key gets its own. It returns
// the name of the index it made ("" for none) and of those it removed.
func addFKIndex(def *engine.TableDef, fk *engine.ForeignKeyDef, given string) (string, []string) {
	if engine.LedBy(def.PrimaryKey, def.PrimaryPrefix, fk.Columns) {
		return "", nil
	}
	for _, ix := range def.Indexes {
		if !ix.Hidden && engine.LedBy(ix.Columns, ix.Prefix, fk.Columns) && (!ix.ForForeignKey || len(ix.Columns) > len(fk.Columns)) {
			return "", nil
		}
	}
	var removed []string
	kept := def.Indexes[:0:0]
	for _, ix := range def.Indexes {
		if ix.ForForeignKey && engine.LedBy(fk.Columns, nil, ix.Columns) {
			removed = append(removed, ix.Name)
			continue
		}
		kept = append(kept, ix)
	}
	def.Indexes = kept
	name := given
	if name == "" || strings.EqualFold(name, "PRIMARY") {
		name = uniqueIndexName(def, fk.Columns[0])
	} else {
		for _, ix := range def.Indexes {
			if strings.EqualFold(ix.Name, name) {
				name = uniqueIndexName(def, fk.Columns[0])
				break
			}
		}
	}
	def.Indexes = append(def.Indexes, engine.IndexDef{Name: name, Columns: append([]string(nil), fk.Columns...), ForForeignKey: true})
	return name, removed
}

// fkChecks reports whether the session checks foreign keys.
func (s *Session) fkChecks() bool { return !s.noFKChecks }

// fkFormedError is MariaDB's 1005 errno 150 for a key that cannot be
// made, with the warnings it gives beside it: 150 saying why, then 1215.
func (x *execCtx) fkFormedError(verb, table string, fk *engine.ForeignKeyDef, given bool, why string) error {
	what := "with foreign key"
	switch {
	case fk == nil:
	case given:
		what += " " + quoteIdent(fk.Name)
	default:
		what += " (" + strings.Join(fk.Columns, ", ") + ")"
	}
	if strings.HasPrefix(why, "Column ") {
		what = strings.TrimPrefix(what, "with ")
	}
	x.s.addWarning(fkErrno150, "%s  table %s.%s %s constraint failed. %s", verb, quoteIdent(x.s.DBName), quoteIdent(table), what, why)
	x.s.addCondition("Error", sqlerr.ErrCantCreateTable, "Can't create table %s.%s (errno: 150 \"Foreign key constraint is incorrectly formed\")", quoteIdent(x.s.DBName), quoteIdent(table))
	x.s.addWarning(sqlerr.ErrCannotAddForeign, "Cannot add foreign key constraint for %s", quoteIdent(table))
	// The session does not record the error again (Session.noteError).
	return errf(sqlerr.ErrCantCreateTable, "Can't create table %s.%s (errno: 150 \"Foreign key constraint is incorrectly formed\")", quoteIdent(x.s.DBName), quoteIdent(table))
}

// sameKeyType reports whether a child column can reference a parent one:
// InnoDB wants the same type (integers: the same size and sign; strings:
// the same collation, any length; DECIMAL: the same precision and scale).
func sameKeyType(a, b *engine.Column) bool {
	if a.Type.IsString() && b.Type.IsString() {
		return (a.Type == engine.TypeChar || a.Type == engine.TypeVarChar) == (b.Type == engine.TypeChar || b.Type == engine.TypeVarChar) &&
			a.Coll() == b.Coll()
	}
	if a.Type != b.Type || a.Unsigned != b.Unsigned {
		return false
	}
	switch a.Type {
	case engine.TypeDecimal:
		return a.Precision == b.Precision && a.Scale == b.Scale
	case engine.TypeBinary, engine.TypeVarBinary:
		return true
	case engine.TypeEnum, engine.TypeSet:
		return strings.Join(a.Elems, "\x00") == strings.Join(b.Elems, "\x00")
	}
	return a.Type.IsString() || a.Length == b.Length || a.Type.IsInteger() || a.Type.IsTime()
}

// validateFK checks fk, a key of def (the table as it will be), against
// the table it references: verb is "Create" or "Alter" for the messages.
// A key of def that references def's own table looks for the referenced
// columns and their index in self: def itself for CREATE TABLE, the table
// as the statement found it for ALTER TABLE (as InnoDB does, so a column
// or unique key the same ALTER adds is not there yet: 1005 errno 150,
// whatever the rows). Without foreign_key_checks a missing referenced
// table is accepted (a dump creates tables in name order), as in MariaDB.
func (x *execCtx) validateFK(verb string, def, self *engine.TableDef, fk *engine.ForeignKeyDef, given bool) error {
	for _, c := range fk.Columns {
		if def.ColumnIndex(c) < 0 {
			return errf(errKeyColumnDoesNotExist, "Key column '%s' doesn't exist in table", c)
		}
	}
	var parent *engine.TableDef
	if strings.EqualFold(fk.RefTable, def.Name) {
		parent = self
		fk.RefTable = def.Name
	} else {
		p, err := x.s.db.TableShared(fk.RefTable)
		if isNoSuchTable(err) || x.isViewName(&ast.TableName{Name: ast.NewCIStr(fk.RefTable)}) {
			if !x.s.fkChecks() {
				return nil
			}
			return x.fkFormedError(verb, def.Name, fk, given, fmt.Sprintf("Referenced table %s.%s not found in the data dictionary.", quoteIdent(x.s.DBName), quoteIdent(fk.RefTable)))
		} else if err != nil {
			return err
		}
		parent = p
		fk.RefTable = p.Name
	}
	for i, rc := range fk.RefColumns {
		j := parent.ColumnIndex(rc)
		if j < 0 {
			return x.fkFormedError(verb, def.Name, fk, given, fmt.Sprintf("Column %s was not found.", rc))
		}
		fk.RefColumns[i] = parent.Columns[j].Name
	}
	if supportingIndex(parent, fk.RefColumns, "") == "" {
		return x.fkFormedError(verb, def.Name, fk, given, "There is no index in the referenced table where the referenced columns appear as the first columns.")
	}
	for i, rc := range fk.RefColumns {
		pc := &parent.Columns[parent.ColumnIndex(rc)]
		c := &def.Columns[def.ColumnIndex(fk.Columns[i])]
		if !sameKeyType(c, pc) || c.Generated != "" && !c.Stored {
			return x.fkFormedError(verb, def.Name, fk, given, fmt.Sprintf("Field type or character set for column '%s' does not match referenced column '%s'.", c.Name, pc.Name))
		}
		if c.NotNull && (fk.OnDelete == engine.RefSetNull || fk.OnUpdate == engine.RefSetNull) {
			return x.fkFormedError(verb, def.Name, fk, given, fmt.Sprintf("You have defined a SET NULL condition but column '%s' is defined as NOT NULL.", c.Name))
		}
	}
	return nil
}

// fkNameTaken reports 1005 errno 121 when another table of the database
// has a constraint named name: InnoDB's names are the database's.
func (x *execCtx) fkNameTaken(def *engine.TableDef, name string, except string) error {
	for _, t := range x.s.db.Tables() {
		if strings.EqualFold(t, def.Name) || strings.EqualFold(t, except) {
			continue
		}
		d, err := x.s.db.TableShared(t)
		if err != nil {
			continue
		}
		for _, fk := range d.ForeignKeys {
			if strings.EqualFold(fk.Name, name) {
				return errf(sqlerr.ErrCantCreateTable, "Can't create table %s.%s (errno: 121 \"Duplicate key on write or update\")", quoteIdent(x.s.DBName), quoteIdent(def.Name))
			}
		}
	}
	return nil
}

// createForeignKeys adds the FOREIGN KEY clauses of a CREATE TABLE (table
// level, then column-level REFERENCES) to def, with their indexes.
func (x *execCtx) createForeignKeys(def *engine.TableDef, n *ast.CreateTableStmt) error {
	var clauses []fkClause
	for _, c := range n.Constraints {
		if c.Tp == ast.ConstraintForeignKey {
			clauses = append(clauses, fkClause{name: c.Name, keys: c.Keys, ref: c.Refer})
		}
	}
	for _, cd := range n.Cols {
		for _, o := range cd.Options {
			if o.Tp == ast.ColumnOptionReference && o.Refer != nil {
				clauses = append(clauses, fkClause{keys: []*ast.IndexPartSpecification{{Column: cd.Name}}, ref: o.Refer})
			}
		}
	}
	if len(clauses) == 0 {
		return nil
	}
	if n.TemporaryKeyword != ast.TemporaryNone {
		// InnoDB refuses them on a temporary table.
		return x.fkFormedError("Create", def.Name, nil, false, "Temporary tables can't have foreign key constraints.")
	}
	given := map[string]bool{}
	for _, c := range clauses {
		fk, err := x.foreignKeyOf(def, c)
		if err != nil {
			return err
		}
		if fk.Name == "" {
			fk.Name = nextFKName(def)
		} else {
			given[lower(fk.Name)] = true
			for _, have := range def.ForeignKeys {
				if strings.EqualFold(have.Name, fk.Name) {
					return errf(sqlerr.ErrDupKeyName, "Duplicate key name '%s'", fk.Name)
				}
			}
		}
		addFKIndex(def, &fk, c.name)
		def.ForeignKeys = append(def.ForeignKeys, fk)
	}
	for i := range def.ForeignKeys {
		fk := &def.ForeignKeys[i]
		if err := x.fkNameTaken(def, fk.Name, ""); err != nil {
			return err
		}
		if err := x.validateFK("Create", def, def, fk, given[lower(fk.Name)]); err != nil {
			return err
		}
	}
	return nil
}

// alterAddForeignKey is ALTER TABLE ... ADD [CONSTRAINT name] FOREIGN KEY
// alone, where alterFolded does not run (RENAME TO the same name): the key
// and its index in one step, as there.
func (x *execCtx) alterAddForeignKey(ti *tableInfo, c *ast.Constraint) error {
	cc := newColChange(ti.def)
	if err := x.addForeignKeyIn(ti, cc, c); err != nil {
		return err
	}
	if err := x.checkConverted(ti, cc, false, ""); err != nil { // check.go
		return err
	}
	return x.applyColChange(ti, cc)
}

// addForeignKeyIn adds the FOREIGN KEY constraint c to cc's definition (of
// ti), with the index that supports it if one must be made (addFKIndex),
// for alterFolded: the key, its index and the rest of the ALTER are one
// engine step. The rows are checked against it as the change converts
// them (checkConverted, before the step) and again after the step
// (checkAddedKeys).
func (x *execCtx) addForeignKeyIn(ti *tableInfo, cc *colChange, c *ast.Constraint) error {
	if x.s.owner(ti.name) != x.s.db {
		return x.fkFormedError("Alter", ti.name, nil, false, "Temporary tables can't have foreign key constraints.")
	}
	def := cc.def
	fk, err := x.foreignKeyOf(def, fkClause{name: c.Name, keys: c.Keys, ref: c.Refer})
	if err != nil {
		return err
	}
	given := fk.Name != ""
	if !given {
		fk.Name = nextFKName(def)
	}
	for _, have := range def.ForeignKeys {
		if strings.EqualFold(have.Name, fk.Name) {
			x.s.addWarning(fkErrno121, "CREATE or ALTER TABLE %s.%s failed: duplicate name, %s", quoteIdent(x.s.DBName), quoteIdent(def.Name), fk.Clause())
			return errf(sqlerr.ErrCantCreateTable, "Can't create table %s.%s (errno: 121 \"Duplicate key on write or update\")", quoteIdent(x.s.DBName), quoteIdent(def.Name))
		}
	}
	if err := x.fkNameTaken(def, fk.Name, ""); err != nil {
		return err
	}
	before := slices.Clone(def.Indexes)
	made, replaced := addFKIndex(def, &fk, c.Name)
	if err := x.validateFK("Alter", def, ti.def, &fk, given); err != nil {
		return err
	}
	for _, name := range replaced {
		if made == "" || !strings.EqualFold(name, made) {
			continue
		}
		// The new index takes the name of one it replaces: the same
		// index again stays as it is, where it is; a different one gets
		// another name (MariaDB rebuilds the table and reuses the name).
		old := before[slices.IndexFunc(before, func(ix engine.IndexDef) bool { return ix.Name == name })]
		if slices.EqualFunc(old.Columns, fk.Columns, strings.EqualFold) && noPrefix(old.Prefix) == nil {
			def.Indexes = slices.DeleteFunc(before, func(ix engine.IndexDef) bool {
				return ix.Name != name && slices.Contains(replaced, ix.Name)
			})
		} else {
			j := slices.IndexFunc(def.Indexes, func(ix engine.IndexDef) bool { return ix.Name == made })
			def.Indexes[j].Name = uniqueIndexName(def, fk.Columns[0])
		}
		break
	}
	def.ForeignKeys = append(def.ForeignKeys, fk)
	cc.addedFKs = append(cc.addedFKs, fk.Name)
	cc.dirty = true
	return nil
}

// checkAddedKeys checks the rows of ti (altered by cc) against the
// foreign keys cc added, after the change, under the table's lock: a
// write that committed between checkConverted and the change escaped
// both, one after it was checked by the key itself. Such a row (1452)
// takes the keys away again, in a step of their own.
func (x *execCtx) checkAddedKeys(ti *tableInfo, cc *colChange) error {
	if len(cc.addedFKs) == 0 || !x.s.fkChecks() {
		return nil
	}
	var err error
	for _, fk := range cc.def.ForeignKeys {
		if slices.Contains(cc.addedFKs, fk.Name) {
			if err = x.checkChildRows(ti, cc.def, &fk); err != nil {
				break
			}
		}
	}
	if err == nil {
		return nil
	}
	ti2, terr := x.table(&ast.TableName{Name: ast.NewCIStr(ti.name)}, "")
	if terr != nil {
		return err
	}
	undo := newColChange(ti2.def)
	for _, name := range cc.addedFKs {
		if derr := x.dropForeignKeyIn(undo, name, true); derr != nil {
			return err
		}
	}
	if derr := x.applyColChange(ti2, undo); derr != nil {
		return fmt.Errorf("%w (and the keys %s stay: %v)", err, strings.Join(cc.addedFKs, ", "), derr)
	}
	return err
}

// checkChildRows is 1452 when a row of ti has no parent row for fk. It
// holds ti's write lock while it reads, and each check takes the
// referenced table's (engine.Tx.CheckReference).
func (x *execCtx) checkChildRows(ti *tableInfo, def *engine.TableDef, fk *engine.ForeignKeyDef) error {
	_, err := x.s.autocommit(x, func() (Result, error) {
		if err := x.tx.LockForWrite(ti.name); err != nil {
			return Result{}, err
		}
		return Result{}, x.tx.Scan(ti.name, engine.Scan{}, func(_ engine.Handle, row engine.Row) (bool, error) {
			return true, x.tx.CheckReference(def, fk, row)
		})
	})
	return err
}

// alterDropForeignKey is ALTER TABLE ... DROP FOREIGN KEY name: its index
// stays, as in MariaDB.
func (x *execCtx) alterDropForeignKey(ti *tableInfo, name string, ifExists bool) error {
	cc := newColChange(ti.def)
	if err := x.dropForeignKeyIn(cc, name, ifExists); err != nil || !cc.dirty {
		return err
	}
	return x.applyColChange(ti, cc)
}

// dropForeignKeyIn removes foreign key name from cc's definition (for
// alterDropForeignKey and alterFolded): a missing one is 1091, or a note
// with ifExists.
func (x *execCtx) dropForeignKeyIn(cc *colChange, name string, ifExists bool) error {
	i := slices.IndexFunc(cc.def.ForeignKeys, func(fk engine.ForeignKeyDef) bool { return strings.EqualFold(fk.Name, name) })
	if i >= 0 {
		cc.def.ForeignKeys = append(cc.def.ForeignKeys[:i:i], cc.def.ForeignKeys[i+1:]...)
		cc.dirty = true
		return nil
	}
	if ifExists {
		x.s.addNote(sqlerr.ErrCantDropKey, "Can't DROP FOREIGN KEY `%s`; check that it exists", name)
		return nil
	}
	return errf(sqlerr.ErrCantDropKey, "Can't DROP FOREIGN KEY `%s`; check that it exists", name)
}

// fkNeedsIndex is 1553 when index ix of table def is the one a foreign
// key needs: a key of def, or one referencing def, with no other index
// led by its columns.
func (x *execCtx) fkNeedsIndex(def *engine.TableDef, ix string) error {
	err := errf(sqlerr.ErrDropIndexFK, "Cannot drop index '%s': needed in a foreign key constraint", ix)
	for _, fk := range def.ForeignKeys {
		if strings.EqualFold(supportingIndex(def, fk.Columns, ""), ix) && supportingIndex(def, fk.Columns, ix) == "" {
			return err
		}
	}
	if x.s.owner(def.Name) != x.s.db {
		return nil
	}
	_, refs := x.s.db.ReferencedBy(def.Name)
	for _, fk := range refs {
		if strings.EqualFold(supportingIndex(def, fk.RefColumns, ""), ix) && supportingIndex(def, fk.RefColumns, ix) == "" {
			return err
		}
	}
	return nil
}

// fkIndexesKept is 1553 when an ALTER TABLE that changes several indexes
// at once (alterFolded) turns def into next without an index some foreign
// key needs, of next's own keys or of those referencing it: the error
// names an index that went. Another index led by the key's columns,
// added by the same statement, keeps the key supported, as in MariaDB.
func (x *execCtx) fkIndexesKept(def, next *engine.TableDef) error {
	gone := ""
	for _, ix := range def.Indexes {
		if !ix.Hidden && !slices.ContainsFunc(next.Indexes, func(nx engine.IndexDef) bool { return strings.EqualFold(nx.Name, ix.Name) }) {
			gone = ix.Name
			break
		}
	}
	if gone == "" {
		return nil
	}
	err := errf(sqlerr.ErrDropIndexFK, "Cannot drop index '%s': needed in a foreign key constraint", gone)
	for _, fk := range next.ForeignKeys {
		if supportingIndex(next, fk.Columns, "") == "" {
			return err
		}
	}
	if x.s.owner(def.Name) != x.s.db {
		return nil
	}
	_, refs := x.s.db.ReferencedBy(def.Name)
	for _, fk := range refs {
		if supportingIndex(next, fk.RefColumns, "") == "" {
			return err
		}
	}
	return nil
}

// referencedError is what DROP TABLE or TRUNCATE of a table that other
// tables' foreign keys reference answers (foreign_key_checks on): nil if
// none does.
func (x *execCtx) referencedError(name string, truncate bool) error {
	if !x.s.fkChecks() || x.s.owner(name) != x.s.db {
		return nil
	}
	tables, fks := x.s.db.ReferencedBy(name)
	for i, t := range tables {
		if truncate {
			// MariaDB names the referenced table with its database here,
			// and leaves the actions out.
			fk := fks[i]
			return errf(sqlerr.ErrTruncateReferenced, "Cannot truncate a table referenced in a foreign key constraint (%s.%s, CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s.%s (%s))",
				quoteIdent(x.s.DBName), quoteIdent(t), quoteIdent(fk.Name), quoteIdents(fk.Columns), quoteIdent(x.s.DBName), quoteIdent(fk.RefTable), quoteIdents(fk.RefColumns))
		}
		return errf(sqlerr.ErrRowIsReferenced, "Cannot delete or update a parent row: a foreign key constraint fails")
	}
	return nil
}

// keptForeignKeys checks what the column changes of cc (an ALTER TABLE of
// ti) do to foreign keys: a key's column dropped is 1553 (its index is
// needed) or 1828, retyped 1832 (the table's own keys) or 1833 (a
// referenced column); renamed columns are followed.
func (x *execCtx) keptForeignKeys(ti *tableInfo, cc *colChange) error {
	// The new column of each old one, by old position.
	newOf := make([]int, len(ti.def.Columns))
	for i := range newOf {
		newOf[i] = -1
	}
	for i, f := range cc.from {
		if f >= 0 {
			newOf[f] = i
		}
	}
	changed := func(name string) (nc *engine.Column, gone, retyped bool) {
		o := ti.def.ColumnIndex(name)
		if o < 0 {
			return nil, false, false
		}
		j := newOf[o]
		if j < 0 {
			return nil, true, false
		}
		oc, nc := &ti.def.Columns[o], &cc.def.Columns[j]
		return nc, false, !sameKeyType(oc, nc) || oc.Length != nc.Length && !oc.Type.IsString() && !oc.Type.IsBinary()
	}
	for i := range cc.def.ForeignKeys {
		fk := &cc.def.ForeignKeys[i]
		var old *engine.ForeignKeyDef
		for j := range ti.def.ForeignKeys {
			if ti.def.ForeignKeys[j].Name == fk.Name {
				old = &ti.def.ForeignKeys[j]
			}
		}
		if old == nil {
			continue // added by this change
		}
		for k, c := range old.Columns {
			nc, gone, retyped := changed(c)
			switch {
			case gone:
				if ix := supportingIndex(ti.def, old.Columns, ""); ix != "" && ix != "PRIMARY" {
					return errf(sqlerr.ErrDropIndexFK, "Cannot drop index '%s': needed in a foreign key constraint", ix)
				}
				return errf(errFKDropColumn, "Cannot drop column '%s': needed in a foreign key constraint '%s'", c, fk.Name)
			case retyped && x.s.fkChecks():
				return errf(sqlerr.ErrFKColumnChange, "Cannot change column '%s': used in a foreign key constraint '%s'", c, fk.Name)
			case nc != nil:
				fk.Columns[k] = nc.Name
			}
		}
		if strings.EqualFold(fk.RefTable, ti.def.Name) {
			for k, c := range old.RefColumns {
				if nc, gone, _ := changed(c); !gone && nc != nil {
					fk.RefColumns[k] = nc.Name
				}
			}
		}
	}
	if x.s.owner(ti.name) != x.s.db {
		return nil
	}
	tables, fks := x.s.db.ReferencedBy(ti.def.Name)
	for i, fk := range fks {
		for _, c := range fk.RefColumns {
			_, gone, retyped := changed(c)
			switch {
			case gone:
				return errf(errFKDropColumn, "Cannot drop column '%s': needed in a foreign key constraint '%s' of table '%s'", c, fk.Name, tables[i])
			case retyped && x.s.fkChecks():
				return errf(sqlerr.ErrFKRefColumnChange, "Cannot change column '%s': used in a foreign key constraint '%s' of table '%s'", c, fk.Name, x.s.DBName+"."+tables[i])
			}
		}
	}
	return nil
}

// alterColumnRefs rewrites the specs of an ALTER TABLE for the
// REFERENCES clauses of its column definitions: ADD COLUMN c ...
// REFERENCES t (k) adds the foreign key after the column, as MariaDB
// does; MariaDB refuses one in MODIFY or CHANGE (1064), and so does blitz
// rather than drop it.
func alterColumnRefs(specs []*ast.AlterTableSpec) ([]*ast.AlterTableSpec, error) {
	var out []*ast.AlterTableSpec
	for _, spec := range specs {
		out = append(out, spec)
		for _, cd := range spec.NewColumns {
			for _, o := range cd.Options {
				if o.Tp != ast.ColumnOptionReference || o.Refer == nil {
					continue
				}
				if spec.Tp != ast.AlterTableAddColumns {
					var b strings.Builder
					_ = o.Refer.Restore(format.NewRestoreCtx(format.RestoreNameBackQuotes, &b))
					return nil, errf(sqlerr.ErrParse, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '%s' at line 1", b.String())
				}
				out = append(out, &ast.AlterTableSpec{Tp: ast.AlterTableAddConstraint, Constraint: &ast.Constraint{
					Tp: ast.ConstraintForeignKey, Keys: []*ast.IndexPartSpecification{{Column: cd.Name}}, Refer: o.Refer}})
			}
		}
	}
	return out, nil
}

// quoteIdents quotes each name, joined with ", ".
func quoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// foreignKeyLines are the CONSTRAINT ... FOREIGN KEY lines SHOW CREATE
// TABLE prints after the keys, before the checks.
// They are in the order of their names (byte order), as InnoDB keeps
// them.
func foreignKeyLines(def *engine.TableDef) []string {
	fks := slices.Clone(def.ForeignKeys)
	slices.SortStableFunc(fks, func(a, b engine.ForeignKeyDef) int { return strings.Compare(a.Name, b.Name) })
	var lines []string
	for i := range fks {
		lines = append(lines, "  "+fks[i].Clause())
	}
	return lines
}

// qualifyFK gives error 1451 or 1452 of the engine the session's database
// name.
func (s *Session) qualifyFK(err error) error {
	var fe *engine.ForeignKeyError
	if !errors.As(err, &fe) {
		return err
	}
	if fe.Code == engine.ErrFKDepth {
		s.addWarning(152, "InnoDB: Cannot delete/update rows with cascading foreign key constraints that exceed max depth of 15. Please drop extra constraints and try again")
	}
	return fe.Qualified(s.DBName)
}

// ForeignKeyChecks reports @@foreign_key_checks: false after SET
// foreign_key_checks = 0, when writes neither check nor act on foreign
// keys and a key may reference a table not created yet.
func (s *Session) ForeignKeyChecks() bool { return !s.noFKChecks }

// SQLNotes reports @@sql_notes: false after SET sql_notes = 0, when notes
// (level Note) are not recorded: SHOW WARNINGS and the warning count
// leave them out, as in MariaDB.
func (s *Session) SQLNotes() bool { return !s.noNotes }

// setFKChecks is SET foreign_key_checks = v.
func (x *execCtx) setFKChecks(v *ast.VariableAssignment) error {
	on, err := x.boolVarValue(v, fkCheckVar)
	if err != nil {
		return err
	}
	x.s.noFKChecks = !on
	if x.s.tx != nil {
		x.s.tx.SetForeignKeyChecks(on)
	}
	if x.tx != nil {
		x.tx.SetForeignKeyChecks(on)
	}
	return nil
}

// boolVarValue is the value SET assigns to the boolean session variable
// name: 0, 1, ON or OFF, as MariaDB reads them (TRUE and FALSE are 1 and
// 0, DEFAULT is ON); other numbers and NULL are 1231, a fraction 1232.
func (x *execCtx) boolVarValue(v *ast.VariableAssignment, name string) (bool, error) {
	on := true
	if _, ok := v.Value.(*ast.DefaultExpr); !ok && v.Value != nil {
		var val any
		if c, ok := v.Value.(*ast.ColumnNameExpr); ok && c.Name.Table.L == "" {
			val = c.Name.Name.O
		} else {
			var err error
			if val, err = x.newEval(nil, "field list").eval(v.Value); err != nil {
				return false, err
			}
		}
		var ok bool
		switch x := val.(type) {
		case int64:
			on, ok = x == 1, x == 0 || x == 1
		case uint64:
			on, ok = x == 1, x == 0 || x == 1
		case string:
			on, ok = strings.EqualFold(x, "on"), strings.EqualFold(x, "on") || strings.EqualFold(x, "off")
		case nil:
		default:
			return false, errf(sqlerr.ErrWrongTypeForVar, "Incorrect argument type to variable '%s'", name)
		}
		if !ok {
			text := "NULL"
			if val != nil {
				text = toString(val)
			}
			return false, errf(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of '%s'", name, text)
		}
	}
	return on, nil
}
