package engine

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Foreign keys.
//
// A table's definition lists its foreign keys (TableDef.ForeignKeys); the
// SQL layer validates them when they are defined (referenced table and
// columns, types, the supporting index) and the engine enforces them on
// every write of a transaction, as InnoDB does:
//
//   - a row written into a child table (Insert, or an Update that changes
//     the key's columns) whose key is all non-NULL must find a parent row
//     with those values in the referenced columns (MariaDB's 1452 if not);
//   - a parent row deleted, or updated so that its referenced columns
//     change, takes its child rows with it according to the key's action:
//     RESTRICT and NO ACTION refuse (1451), CASCADE deletes them or gives
//     them the new values, SET NULL sets the key's columns to NULL. The
//     changes to child rows are writes of the same transaction: they
//     commit, go through the WAL and roll back with it.
//
// Lookups use keys: the parent row is found by its primary key or by an
// index whose leading columns are the referenced ones, the child rows by
// the child's supporting index (the SQL layer makes sure there is one).
//
// Concurrency. A write lock per table serialises writers (lock.go), and
// reads see committed rows plus the transaction's own. A check reads the
// other table only after taking that table's write lock, held to the end
// of the transaction: a child insert locks the parent table before looking
// its row up, a parent delete locks the child table before looking for
// children. Whichever transaction locks second sees the other's committed
// result, so a child row can never commit pointing at a parent row another
// transaction deleted meanwhile. The cost is that writers of a child and
// of its parent table serialise (InnoDB locks only the parent row); two
// transactions taking the two locks in opposite orders are a deadlock the
// lock manager answers with 1213.
//
// Tx.SetForeignKeyChecks(false) (foreign_key_checks = 0, which dumps set)
// turns both checks and actions off, as in MariaDB.

// RefAction is what a foreign key does to child rows when their parent row
// is deleted or its referenced columns change.
type RefAction uint8

// The referential actions. RefRestrict is also what a key without ON
// DELETE / ON UPDATE gets; it and RefNoAction act alike (InnoDB checks
// at once either way) and differ only in how the definition is shown.
const (
	RefRestrict RefAction = iota
	RefCascade
	RefSetNull
	RefNoAction
)

var refActionNames = [...]string{"RESTRICT", "CASCADE", "SET NULL", "NO ACTION"}

// String returns the action as SQL spells it.
func (a RefAction) String() string {
	if int(a) < len(refActionNames) {
		return refActionNames[a]
	}
	return fmt.Sprintf("RefAction(%d)", a)
}

// ParseRefAction returns the action SQL text s names ("" is RESTRICT).
func ParseRefAction(s string) (RefAction, bool) {
	if s == "" {
		return RefRestrict, true
	}
	for i, n := range refActionNames {
		if strings.EqualFold(n, s) {
			return RefAction(i), true
		}
	}
	return 0, false
}

// ForeignKeyDef is a FOREIGN KEY constraint of a table.
type ForeignKeyDef struct {
	// Name is the constraint's name, as given or generated (t_ibfk_<n>).
	Name string
	// Columns are the child table's key columns, RefColumns the parent's
	// referenced ones, as many.
	Columns    []string
	RefTable   string
	RefColumns []string
	OnDelete   RefAction
	OnUpdate   RefAction
}

// clone returns a copy of fk that shares no slice with it.
func (fk ForeignKeyDef) clone() ForeignKeyDef {
	fk.Columns = append([]string(nil), fk.Columns...)
	fk.RefColumns = append([]string(nil), fk.RefColumns...)
	return fk
}

// quoteName quotes an identifier with backticks, doubling those in it.
func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteName(n)
	}
	return strings.Join(q, ", ")
}

// Clause returns the constraint as SHOW CREATE TABLE prints it, and as
// MariaDB's errors 1451 and 1452 quote it: "CONSTRAINT `fk` FOREIGN KEY
// (`pid`) REFERENCES `p` (`id`) ON DELETE CASCADE". RESTRICT, the
// default, is not printed; NO ACTION is.
func (fk *ForeignKeyDef) Clause() string {
	var b strings.Builder
	b.WriteString("CONSTRAINT " + quoteName(fk.Name) + " FOREIGN KEY (" + quoteNames(fk.Columns) + ") REFERENCES " +
		quoteName(fk.RefTable) + " (" + quoteNames(fk.RefColumns) + ")")
	if fk.OnDelete != RefRestrict {
		b.WriteString(" ON DELETE " + fk.OnDelete.String())
	}
	if fk.OnUpdate != RefRestrict {
		b.WriteString(" ON UPDATE " + fk.OnUpdate.String())
	}
	return b.String()
}

// ForeignKeyError is error 1451 or 1452: a write would break a foreign key
// of table Table. Its message names the table with the database the
// engine knows (its directory's name); a SQL layer that reports another
// database name rewrites it with Qualified.
type ForeignKeyError struct {
	Code  int    // sqlerr.ErrRowIsReferenced, sqlerr.ErrNoReferencedRow or ErrFKDepth
	Table string // the child table
	FK    ForeignKeyDef
	err   *sqlerr.Error
}

func (e *ForeignKeyError) Error() string { return e.err.Error() }

// Unwrap returns the error as a *sqlerr.Error.
func (e *ForeignKeyError) Unwrap() error { return e.err }

// Qualified returns the error as a *sqlerr.Error whose message names the
// child table as db.table.
func (e *ForeignKeyError) Qualified(db string) *sqlerr.Error {
	return fkSQLErr(e.Code, db, e.Table, &e.FK)
}

func fkSQLErr(code int, db, table string, fk *ForeignKeyDef) *sqlerr.Error {
	if code == ErrFKDepth {
		return sqlerr.New(code, "Got error 193 '%s.%s, %s' from InnoDB", quoteName(db), quoteName(table), fk.Clause())
	}
	what := "Cannot add or update a child row"
	if code == sqlerr.ErrRowIsReferenced {
		what = "Cannot delete or update a parent row"
	}
	return sqlerr.New(code, "%s: a foreign key constraint fails (%s.%s, %s)", what, quoteName(db), quoteName(table), fk.Clause())
}

func (db *DB) fkError(code int, table string, fk *ForeignKeyDef) error {
	return &ForeignKeyError{Code: code, Table: table, FK: fk.clone(), err: fkSQLErr(code, db.name(), table, fk)}
}

// generatedFKInfix is in the name InnoDB gives a key without one:
// <table>_ibfk_<n>. RENAME TABLE renames such keys with their table.
const generatedFKInfix = "_ibfk_"

// fkMaxDepth bounds cascades: a delete or update that cascades deeper
// than InnoDB's limit fails as it does there.
const fkMaxDepth = 15

// ErrFKDepth is the error number of a cascade deeper than InnoDB allows
// (MariaDB's "Got error 193 '...' from InnoDB"); its ForeignKeyError names
// the key that would have cascaded further.
const ErrFKDepth = 1296

// SetForeignKeyChecks sets whether the transaction's writes check and
// apply foreign keys (on, the default) or ignore them (foreign_key_checks
// = 0). It applies to the writes made after the call.
func (tx *Tx) SetForeignKeyChecks(on bool) { tx.fkOff = !on }

// fkRef is one foreign key of a child table that references some table.
type fkRef struct {
	child string // the child table's name
	fk    string // the constraint's name
}

// fkRefs is the database's reverse map of foreign keys: by the lower-case
// name of a referenced table, the keys that reference it. gen is the
// DB.fkGen it was built at.
type fkRefs struct {
	gen uint64
	by  map[string][]fkRef
}

// fkState is the DB's cache of fkRefs.
type fkState struct {
	gen  atomic.Uint64 // bumped by every definition change, create, drop and rename
	refs atomic.Pointer[fkRefs]
}

// defChanged records that some table's definition changed, so that the
// reverse map is built again on its next use.
func (db *DB) defChanged() { db.fk.gen.Add(1) }

// referencing returns the foreign keys that reference table name.
func (db *DB) referencing(name string) []fkRef {
	gen := db.fk.gen.Load()
	r := db.fk.refs.Load()
	if r == nil || r.gen != gen {
		r = &fkRefs{gen: gen, by: map[string][]fkRef{}}
		db.mu.RLock()
		ts := make([]*table, 0, len(db.tables))
		for _, t := range db.tables {
			ts = append(ts, t)
		}
		db.mu.RUnlock()
		for _, t := range ts { // no table lock under db.mu
			d := t.definition()
			for _, fk := range d.ForeignKeys {
				k := strings.ToLower(fk.RefTable)
				r.by[k] = append(r.by[k], fkRef{child: d.Name, fk: fk.Name})
			}
		}
		for _, l := range r.by { // by constraint name, as InnoDB keeps them
			sort.Slice(l, func(i, j int) bool { return l[i].fk < l[j].fk })
		}
		db.fk.refs.Store(r)
	}
	return r.by[strings.ToLower(name)]
}

// ReferencedBy returns, for each foreign key of another table that
// references table name, the child table's name and the key (a copy).
// Keys of name referencing itself are left out.
func (db *DB) ReferencedBy(name string) ([]string, []ForeignKeyDef) {
	var tables []string
	var fks []ForeignKeyDef
	for _, r := range db.referencing(name) {
		if strings.EqualFold(r.child, name) {
			continue
		}
		d, err := db.TableShared(r.child)
		if err != nil {
			continue
		}
		for _, fk := range d.ForeignKeys {
			if fk.Name == r.fk && strings.EqualFold(fk.RefTable, name) {
				tables, fks = append(tables, d.Name), append(fks, fk.clone())
			}
		}
	}
	return tables, fks
}

// renamedColumns returns the columns an ALTER from old to nd (with source
// positions from, as AlterColumns takes them) renames: by the lower-case
// old name, the new one. Nil if it renames none.
func renamedColumns(old, nd *TableDef, from []int) map[string]string {
	var ren map[string]string
	for i, f := range from {
		if f >= 0 && f < len(old.Columns) && i < len(nd.Columns) && old.Columns[f].Name != nd.Columns[i].Name {
			if ren == nil {
				ren = map[string]string{}
			}
			ren[strings.ToLower(old.Columns[f].Name)] = nd.Columns[i].Name
		}
	}
	return ren
}

// followColumns returns keyed (the foreign keys of the tables of ts that
// a statement changes, as followRename returns them) with the keys of the
// tables other than t that reference t (named oldName, or newName after
// the statement) following the columns ren renames (renamedColumns), as
// MariaDB's references follow a column rename. Nil ren changes nothing.
func followColumns(ts []*table, keyed map[*table][]ForeignKeyDef, t *table, oldName, newName string, ren map[string]string) map[*table][]ForeignKeyDef {
	if len(ren) == 0 {
		return keyed
	}
	for _, c := range ts {
		if c == t {
			continue // its own keys are the ALTER's to say (the SQL layer follows them)
		}
		fks, ok := keyed[c]
		if !ok {
			fks = c.definition().ForeignKeys
		}
		var out []ForeignKeyDef
		for j, fk := range fks {
			if !strings.EqualFold(fk.RefTable, oldName) && !strings.EqualFold(fk.RefTable, newName) {
				continue
			}
			for k, col := range fk.RefColumns {
				to, ok := ren[strings.ToLower(col)]
				if !ok {
					continue
				}
				if out == nil {
					out = make([]ForeignKeyDef, len(fks))
					for i := range fks {
						out[i] = fks[i].clone()
					}
				}
				out[j].RefColumns[k] = to
			}
		}
		if out != nil {
			if keyed == nil {
				keyed = map[*table][]ForeignKeyDef{}
			}
			keyed[c] = out
		}
	}
	return keyed
}

// followsColumns reports whether an ALTER of t from old to nd renames a
// column that another table's foreign key references (its definition
// then changes in the ALTER's step: DB.Alter).
func (db *DB) followsColumns(t *table, old, nd *TableDef, from []int) bool {
	if db.parent != nil {
		return false
	}
	keyed := followColumns(db.sortedTables(), nil, t, old.Name, old.Name, renamedColumns(old, nd, from))
	return len(keyed) > 0
}

// fkValues returns the values of the named columns of r (a row of d), and
// whether they are all non-NULL.
func fkValues(d *TableDef, r Row, cols []string) ([]any, bool) {
	vals := make([]any, len(cols))
	for i, c := range cols {
		j := d.ColumnIndex(c)
		if j < 0 || r[j] == nil {
			return nil, false
		}
		vals[i] = r[j]
	}
	return vals, true
}

// sameKey reports whether rows a and b of d have equal values in cols, as
// the columns' keys compare them (collation and all).
func sameKey(d *TableDef, a, b Row, cols []string) bool {
	p := keyParts(d, cols, nil)
	for _, kp := range p {
		if kp.col < 0 {
			return false
		}
		if (a[kp.col] == nil) != (b[kp.col] == nil) {
			return false
		}
	}
	return bytes.Equal(encodeCols(nil, d, a, p), encodeCols(nil, d, b, p))
}

// LedBy reports whether key columns have (with prefix lengths prefix)
// start with cols, whole values, names compared case-insensitively: an
// index on have can look up keys on cols.
func LedBy(have []string, prefix []int, cols []string) bool {
	if len(have) < len(cols) {
		return false
	}
	for i, c := range cols {
		if !strings.EqualFold(have[i], c) || i < len(prefix) && prefix[i] != 0 {
			return false
		}
	}
	return true
}

// hiddenIndexPrefix starts the name of a hidden index (IndexDef.Hidden).
const hiddenIndexPrefix = "#pk"

// syncKeyIndexes gives d the hidden indexes its foreign keys need and
// takes away those none needs: one on the first n primary-key columns
// for each key on exactly those columns (n shorter than the primary key)
// that no other index is led by. One still needed stays where it is (a
// rename of its columns follows the primary key's), so that a change
// that needs none rewrites no index; a new one comes last. CreateTable
// and AlterColumns call it, so the indexes follow every change of the
// keys, the primary key and the other indexes, and DropIndex makes the
// one a dropped index leaves needed; CreateIndex leaves one it makes
// redundant until the next change (it costs writes, not answers).
func (d *TableDef) syncKeyIndexes() {
	var want []int
	for i := range d.ForeignKeys {
		cols := d.ForeignKeys[i].Columns
		n := len(cols)
		if n == 0 || n >= len(d.PrimaryKey) || slices.Contains(want, n) || !LedBy(d.PrimaryKey, d.PrimaryPrefix, cols) {
			continue
		}
		if !slices.ContainsFunc(d.Indexes, func(ix IndexDef) bool { return !ix.Hidden && LedBy(ix.Columns, ix.Prefix, cols) }) {
			want = append(want, n)
		}
	}
	if len(want) == 0 && !slices.ContainsFunc(d.Indexes, func(ix IndexDef) bool { return ix.Hidden }) {
		return
	}
	slices.Sort(want)
	ixs := make([]IndexDef, 0, len(d.Indexes)+len(want))
	for _, ix := range d.Indexes {
		if ix.Hidden {
			k := slices.Index(want, len(ix.Columns))
			if k < 0 {
				continue
			}
			want = slices.Delete(want, k, k+1)
			ix.Columns = append([]string(nil), d.PrimaryKey[:len(ix.Columns)]...)
			ix.Prefix = nil
			if d.visibleIndexNamed(ix.Name) {
				// A user's index took the name (users may name an
				// index "#pk1"): the hidden one gives way, which
				// renames its file (AlterColumns rebuilds).
				ix.Name = d.freeHiddenName(ix.Name, ixs)
			}
		}
		ixs = append(ixs, ix)
	}
	for _, n := range want {
		name := d.freeHiddenName(hiddenIndexPrefix+strconv.Itoa(n), ixs)
		ixs = append(ixs, IndexDef{Name: name, Columns: append([]string(nil), d.PrimaryKey[:n]...), Hidden: true})
	}
	d.Indexes = ixs
}

// visibleIndexNamed reports whether d has an index other than a hidden
// one named name (case-insensitively).
func (d *TableDef) visibleIndexNamed(name string) bool {
	return slices.ContainsFunc(d.Indexes, func(ix IndexDef) bool { return !ix.Hidden && strings.EqualFold(ix.Name, name) })
}

// freeHiddenName is name, with "_" appended as often as needed to be the
// name of no visible index of d and of no index in ixs.
func (d *TableDef) freeHiddenName(name string, ixs []IndexDef) string {
	for d.visibleIndexNamed(name) || slices.ContainsFunc(ixs, func(ix IndexDef) bool { return strings.EqualFold(ix.Name, name) }) {
		name += "_"
	}
	return name
}

// keyScan returns how to find the rows of d whose cols equal vals through
// a key: by the whole primary key (get), else a scan of an index or of
// the primary key led by cols, else (no key led by them) a full scan;
// the caller compares the rows a scan returns.
func keyScan(d *TableDef, cols []string, vals []any) (s Scan, get bool) {
	if len(d.PrimaryKey) == len(cols) && LedBy(d.PrimaryKey, d.PrimaryPrefix, cols) {
		return Scan{}, true
	}
	b := Bound{Values: vals, Inclusive: true}
	for _, ix := range d.Indexes {
		if LedBy(ix.Columns, ix.Prefix, cols) {
			return Scan{Index: ix.Name, Lo: b, Hi: b}, false
		}
	}
	if LedBy(d.PrimaryKey, d.PrimaryPrefix, cols) {
		return Scan{Index: "PRIMARY", Lo: b, Hi: b}, false
	}
	return Scan{}, false
}

// errStopFK stops a scan that found what it looked for.
var errStopFK = errors.New("found")

// findRows calls fn for the rows of table (definition d) whose cols equal
// vals (converted to those columns' types), as the transaction sees them,
// until fn returns false.
func (tx *Tx) findRows(table string, d *TableDef, cols []string, vals []any, fn func(Handle, Row) bool) error {
	s, get := keyScan(d, cols, vals)
	if get {
		pk := make([]any, len(d.PrimaryKey))
		for i, c := range d.PrimaryKey {
			for j, fc := range cols {
				if strings.EqualFold(c, fc) {
					pk[i] = vals[j]
				}
			}
		}
		h, r, ok, err := tx.Get(table, pk)
		if err != nil || !ok {
			return err
		}
		fn(h, r)
		return nil
	}
	// The key's bound may be wider than the values (a value the column
	// cannot hold exactly): compare each row found.
	want := make(Row, len(d.Columns))
	parts := keyParts(d, cols, nil)
	for i, kp := range parts {
		if kp.col < 0 {
			return nil
		}
		cv, err := Coerce(&d.Columns[kp.col], vals[i], 1)
		if err != nil {
			return nil // a value the column cannot hold matches no row
		}
		want[kp.col] = cv
	}
	wantKey := encodeCols(nil, d, want, parts)
	err := tx.Scan(table, s, func(h Handle, r Row) (bool, error) {
		for _, kp := range parts {
			if r[kp.col] == nil {
				return true, nil
			}
		}
		if !bytes.Equal(encodeCols(nil, d, r, parts), wantKey) {
			return true, nil
		}
		if !fn(h, r) {
			return false, errStopFK
		}
		return true, nil
	})
	if errors.Is(err, errStopFK) {
		err = nil
	}
	return err
}

// checkParents checks the foreign keys of the table of ws for r, a row
// about to be written (old: its values before an update, nil for an
// insert): 1452 for the first key whose values are all non-NULL, changed,
// and found in no row of the referenced table.
func (tx *Tx) checkParents(ws *writeSet, old, r Row) error {
	d := ws.def
	for i := range d.ForeignKeys {
		fk := &d.ForeignKeys[i]
		if old != nil && sameKey(d, old, r, fk.Columns) {
			continue
		}
		if err := tx.checkParent(d, fk, r); err != nil {
			return err
		}
	}
	return nil
}

// selfReferenced reports whether fk is a key of d that references d
// itself and r, the row being written, is its own parent: its referenced
// columns hold vals (the values of its key columns), as the referenced
// columns' keys compare them. InnoDB checks a row's keys once it is
// written, so such a row is accepted (MariaDB: INSERT INTO e VALUES (1, 1)
// with FOREIGN KEY (m) REFERENCES e (id)); the row is not in the table yet
// when blitz checks it.
func selfReferenced(d *TableDef, fk *ForeignKeyDef, r Row, vals []any) bool {
	if !strings.EqualFold(fk.RefTable, d.Name) {
		return false
	}
	parts := keyParts(d, fk.RefColumns, nil)
	want := make(Row, len(d.Columns))
	for i, kp := range parts {
		if kp.col < 0 || r[kp.col] == nil {
			return false
		}
		cv, err := Coerce(&d.Columns[kp.col], vals[i], 1)
		if err != nil {
			return false
		}
		want[kp.col] = cv
	}
	return bytes.Equal(encodeCols(nil, d, want, parts), encodeCols(nil, d, r, parts))
}

// CheckReference checks one foreign key fk of table d for r, a row of d,
// as a write does whatever SetForeignKeyChecks says: error 1452 if its
// values are all non-NULL and no row of the referenced table has them.
// It takes the referenced table's write lock (see the top of the file).
func (tx *Tx) CheckReference(d *TableDef, fk *ForeignKeyDef, r Row) error {
	return tx.checkParent(d, fk, r)
}

func (tx *Tx) checkParent(d *TableDef, fk *ForeignKeyDef, r Row) error {
	vals, ok := fkValues(d, r, fk.Columns)
	if !ok || selfReferenced(d, fk, r, vals) {
		return nil
	}
	// The referenced table is the base table of that name, even when the
	// session has a temporary table shadowing it, as in MariaDB.
	tx.fkBase++
	defer func() { tx.fkBase-- }()
	// The parent's lock first, so that no other transaction can delete
	// the row found before this one commits (see the top).
	pws, err := tx.writeSet(fk.RefTable)
	if err != nil {
		if sqlerr.Code(err) == sqlerr.ErrNoSuchTable {
			return tx.db.fkError(sqlerr.ErrNoReferencedRow, d.Name, fk)
		}
		return err
	}
	for _, c := range fk.RefColumns {
		if pws.def.ColumnIndex(c) < 0 {
			return tx.db.fkError(sqlerr.ErrNoReferencedRow, d.Name, fk)
		}
	}
	found := false
	if err := tx.findRows(fk.RefTable, pws.def, fk.RefColumns, vals, func(Handle, Row) bool {
		found = true
		return false
	}); err != nil {
		return err
	}
	if !found {
		return tx.db.fkError(sqlerr.ErrNoReferencedRow, d.Name, fk)
	}
	return nil
}

// parentChanged applies the foreign keys that reference the table of ws
// to its row old, just deleted (r nil) or updated to r: their child rows
// are refused (1451), deleted, updated or set to NULL.
func (tx *Tx) parentChanged(ws *writeSet, old, r Row) error {
	if ws.temp {
		return nil
	}
	refs := tx.db.referencing(ws.def.Name)
	if len(refs) == 0 {
		return nil
	}
	// Child tables are base tables, whatever temporary tables the
	// session has (see checkParent).
	tx.fkDepth++
	tx.fkBase++
	defer func() { tx.fkDepth--; tx.fkBase-- }()
	d := ws.def
	for _, ref := range refs {
		// Lock the child table before reading it (see the top); its
		// definition is then stable until the transaction ends.
		cws, err := tx.writeSet(ref.child)
		if err != nil {
			if sqlerr.Code(err) == sqlerr.ErrNoSuchTable {
				continue // dropped meanwhile
			}
			return err
		}
		cd := cws.def
		for i := range cd.ForeignKeys {
			fk := &cd.ForeignKeys[i]
			if fk.Name != ref.fk || !strings.EqualFold(fk.RefTable, d.Name) {
				continue
			}
			if err := tx.applyRef(d, old, r, cd, fk); err != nil {
				return err
			}
		}
	}
	return nil
}

// applyRef applies fk, a key of child table cd referencing table d, to
// the change of d's row old to r (nil: deleted).
func (tx *Tx) applyRef(d *TableDef, old, r Row, cd *TableDef, fk *ForeignKeyDef) error {
	if len(fk.RefColumns) == 0 {
		return nil
	}
	for _, c := range fk.RefColumns {
		if d.ColumnIndex(c) < 0 {
			return nil // the key names a column the parent no longer has (foreign_key_checks = 0)
		}
	}
	vals, ok := fkValues(d, old, fk.RefColumns)
	if !ok || r != nil && sameKey(d, old, r, fk.RefColumns) {
		return nil
	}
	action := fk.OnDelete
	var newVals []any
	if r != nil {
		action = fk.OnUpdate
		newVals, _ = fkValues(d, r, fk.RefColumns)
	}
	type hit struct {
		h   Handle
		row Row
	}
	var hits []hit
	if err := tx.findRows(cd.Name, cd, fk.Columns, vals, func(h Handle, row Row) bool {
		hits = append(hits, hit{h, row})
		return action == RefCascade || action == RefSetNull
	}); err != nil {
		return err
	}
	if len(hits) == 0 {
		return nil
	}
	switch action {
	case RefCascade, RefSetNull:
		if tx.fkDepth >= fkMaxDepth {
			return tx.db.fkError(ErrFKDepth, cd.Name, fk)
		}
	default:
		return tx.db.fkError(sqlerr.ErrRowIsReferenced, cd.Name, fk)
	}
	for _, ht := range hits {
		if r == nil && action == RefCascade {
			if err := tx.Delete(cd.Name, ht.h); err != nil {
				return err
			}
			continue
		}
		nr := append(Row(nil), ht.row...)
		for i, c := range fk.Columns {
			j := cd.ColumnIndex(c)
			if action == RefSetNull || newVals == nil {
				nr[j] = nil
			} else {
				nr[j] = newVals[i]
			}
		}
		if _, err := tx.Update(cd.Name, ht.h, nr); err != nil {
			return err
		}
	}
	return nil
}
