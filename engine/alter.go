package engine

// ALTER TABLE on columns: AlterColumns, and the table rebuild it uses
// when the rows must be rewritten.
//
// # Rebuild files and their recovery
//
// A rebuild writes the converted rows to T.bdf.rebuild and the new
// indexes to T.<index>.bix.rebuild, then, with the old files closed and
// the old index files removed, the new definition to T.def.rebuild
// (atomically). The rename of T.bdf.rebuild over T.bdf is the commit
// point; T.def.rebuild is then renamed over T.def and the new index files
// into place. At open (finishRebuilds), before any definition is read:
//
//   - T.def.rebuild with T.bdf.rebuild still there: the commit point was
//     not reached; both are removed and the old table stays (its indexes,
//     removed before the commit point, are rebuilt from its rows);
//   - T.def.rebuild alone: the commit point was passed; it is renamed over
//     T.def (its indexes are rebuilt from the new rows);
//   - T.bdf.rebuild or T.<index>.bix.rebuild alone: leftovers of a rebuild
//     that never wrote its definition; removed.
//
// An ALTER that renames the table too (AlterOptions.RenameTo), or whose
// column renames other tables' foreign keys follow (DB.Alter), has
// another commit point, written right before the rename of T.bdf.rebuild:
// the RENAME.pending of rename.go, whose completion puts the rebuild files
// in place first.
//
// The old index files go before the commit point because a new data file
// starts its generation count afresh: an old index file stamped with the
// same generation could otherwise pass for the new table's.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// rebuildSuffix marks the files of a table rebuild in progress.
const rebuildSuffix = ".rebuild"

// AlterColumns gives a table a new definition newDef (same name; whether
// it is CRASH_SAFE does not change) whose columns may be dropped,
// reordered, added anywhere, renamed, retyped or have new defaults or
// NULL-ability. from[i] is the position, in the current definition, of
// the column newDef.Columns[i] comes from, or -1 for a new column, which
// existing rows get with its Default (the type's implicit default for a
// NOT NULL column without one). Values are converted with Coerce (strict
// mode): a value that does not fit fails the change with an error naming
// the row (1265 for a NULL in a column becoming NOT NULL), and the table
// is left as it was.
//
// A change that leaves every stored row valid as it is (column renames,
// defaults, comments, relaxing NOT NULL, renamed index columns) rewrites
// only the definition; any other rebuilds the table: rows, primary keys
// and indexes (see the top of this file for its crash safety). So does a
// change of newDef.LegacyKeys when a key has utf8mb4_bin text: the keys
// are rebuilt in the new key format, and values that become duplicates
// there ('a' and 'a ' under key format 2) fail the change with error 1062,
// the table left as it was.
func (db *DB) AlterColumns(ctx context.Context, name string, newDef *TableDef, from []int) error {
	return db.AlterColumnsInZone(ctx, name, newDef, from, 0)
}

// AlterColumnsInZone is AlterColumns for a session whose wall clock is
// zone east of UTC, as MariaDB converts in the session's zone: a
// TIMESTAMP value (an instant, stored in UTC) that becomes a DATETIME,
// DATE, TIME, text or number becomes that instant's wall-clock time in
// zone, and a value that becomes a TIMESTAMP is read as a wall-clock time
// in zone (one outside the TIMESTAMP range there fails the change with
// 1292). The update log records zone with the change (format version 2 of
// the ddl op, ulog.go).
func (db *DB) AlterColumnsInZone(ctx context.Context, name string, newDef *TableDef, from []int, zone time.Duration) error {
	return db.Alter(ctx, name, newDef, from, AlterOptions{Zone: zone})
}

// AlterOptions are the parts of an ALTER TABLE that DB.Alter makes in the
// same step as its change of columns, indexes and constraints. The zero
// value adds nothing.
type AlterOptions struct {
	// Zone is the session's zone, east of UTC (AlterColumnsInZone).
	Zone time.Duration
	// RenameTo, if not "", is the table's new name (ALTER TABLE ...
	// RENAME TO): the commit point of both is the rename's intent
	// (rename.go, "altered"), and the update-log frame holds the rename
	// and then the change.
	RenameTo string
	// AutoIncrement, if not nil, is an AUTO_INCREMENT = N the change
	// sets, as SetAutoIncrement does (one above the largest value stored
	// if that is larger; nothing without an AUTO_INCREMENT column). The
	// update-log frame holds an auto_increment op after the change.
	AutoIncrement *uint64
	// Rebuild rewrites the rows and indexes even when the change does not
	// need it (ALTER TABLE ... FORCE).
	Rebuild bool
}

// Alter gives table name the new definition newDef, as AlterColumnsInZone
// does, with the options o, in one step: a crash leaves the table, and
// any other table the change reaches, wholly as before or wholly as
// after. A column that another table's foreign key references and that
// the change renames is renamed in that key too, in the same step (the
// RENAME.pending intent of rename.go, without a move, commits both); so
// is a RENAME TO.
func (db *DB) Alter(ctx context.Context, name string, newDef *TableDef, from []int, o AlterOptions) error {
	if o.RenameTo != "" && strings.EqualFold(name, o.RenameTo) {
		// Another case of the name is a rename (RenameTables); the same
		// name is no rename.
		if t, err := db.table(name); err == nil && t.definition().Name == o.RenameTo {
			return fmt.Errorf("blitz/engine: alter and rename %s: the new name is the same", name)
		}
	}
	var next *uint64
	if o.AutoIncrement != nil {
		n := *o.AutoIncrement
		next = &n
	}
	alt := &renameAlter{name: name, nd: newDef, from: from, zone: o.Zone, next: next, force: o.Rebuild}
	if o.RenameTo != "" {
		return db.renameTables(ctx, []RenamePair{{From: name, To: o.RenameTo}}, alt)
	}
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	t, err := db.table(name)
	if err == nil {
		err = t.usable()
	}
	if err != nil {
		return err
	}
	if len(from) == len(newDef.Columns) && db.followsColumns(t, t.definition(), newDef, from) {
		return db.renameTablesLocked(ctx, nil, alt)
	}
	unlock, err := db.lockForDDL(ctx, t)
	if err != nil {
		return err
	}
	defer unlock()
	return db.alterColumnsLocked(ctx, t, newDef, from, o.Zone, next, o.Rebuild)
}

// AlterColumnsAuto is AlterColumnsInZone that also sets the table's
// AUTO_INCREMENT counter to next as SetAutoIncrement does (one above the
// largest value stored if that is larger; nothing without an
// AUTO_INCREMENT column), in the same step: ALTER TABLE t MODIFY id INT
// AUTO_INCREMENT, AUTO_INCREMENT = 100, as dumps write it. The update-log
// frame holds the alter_columns op and then an auto_increment op.
func (db *DB) AlterColumnsAuto(ctx context.Context, name string, newDef *TableDef, from []int, zone time.Duration, next uint64) error {
	return db.Alter(ctx, name, newDef, from, AlterOptions{Zone: zone, AutoIncrement: &next})
}

// alterColumnsLocked is AlterColumnsInZone of t, locked for DDL, with
// next AlterColumnsAuto, with force a rebuild whether or not the change
// needs one (AlterOptions.Rebuild).
func (db *DB) alterColumnsLocked(ctx context.Context, t *table, newDef *TableDef, from []int, zone time.Duration, next *uint64, force bool) error {
	old := t.definition()
	nd, rewrite, err := t.prepareAlter(old, newDef, from)
	if err != nil {
		return err
	}
	rewrite = rewrite || force
	// A change that only adds secondary indexes (ADD FOREIGN KEY with the
	// index it needs, with a COMMENT...) builds them beside the rows, as
	// CreateIndex does, and commits with the definition.
	var added []*index.Index
	if rewrite && !force {
		if ixs, err := t.indexesOnly(old, nd, from); err != nil {
			return err
		} else if ixs != nil {
			if added, err = t.buildIndexes(ctx, nd, ixs); err != nil {
				return err
			}
			rewrite = false
		}
	}
	// The update-log intent goes right before the commit point (the
	// definition's rename, or the rebuilt data file's: ulogintent.go).
	// *next is then the counter the change sets, 0 for none.
	var intent *ddlIntent
	intend := func() error {
		if db.ulog == nil {
			return nil
		}
		op, err := ddlOp(ddlRecord{Op: "alter_columns", From: from, Zone: zoneSeconds(zone, old, nd, from)}, nd.Name, nd)
		if err != nil {
			return err
		}
		ops := []ulog.Op{op}
		if next != nil && *next != 0 {
			op, err := ddlOp(ddlRecord{Op: "auto_increment", Next: *next}, nd.Name, nd)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
		intent, err = db.intendDDL(ops...)
		return err
	}
	if rewrite {
		err = db.rebuildTable(ctx, t, old, nd, from, zone, next, intend)
	} else {
		if next != nil {
			if *next, err = t.autoFloor(nd, *next); err != nil {
				return err
			}
		}
		if err = intend(); err != nil {
			abandonIndexes(added)
			return err
		}
		t.ctrMu.Lock()
		autoNext, autoRes := t.autoNext, t.autoReserved
		if next != nil && *next != 0 {
			autoNext = *next
			if autoNext > autoRes {
				autoRes = autoNext + reserveStep
			}
		}
		err = t.writeDef(nd, autoNext, autoRes, t.rowReserved)
		if err == nil {
			t.autoNext, t.autoReserved = autoNext, autoRes
		}
		t.ctrMu.Unlock()
		if err == nil {
			t.mu.Lock()
			t.setDefLocked(nd)
			t.idx = append(t.idx, added...)
			t.mu.Unlock()
		} else {
			intent.abandon(db)
			abandonIndexes(added)
		}
	}
	if err != nil {
		return err
	}
	return intent.commit(db)
}

// prepareAlter checks newDef, the new definition of t (whose definition
// is old) an ALTER gives it with source positions from (AlterColumns), and
// returns it as the table will have it, and whether the rows must be
// rewritten.
func (t *table) prepareAlter(old, newDef *TableDef, from []int) (nd *TableDef, rewrite bool, err error) {
	nd = newDef.Clone()
	if !strings.EqualFold(nd.Name, old.Name) {
		return nil, false, fmt.Errorf("blitz/engine: alter columns of %s: the new definition is of table %s", old.Name, nd.Name)
	}
	nd.Name, nd.CrashSafe = old.Name, old.CrashSafe
	if len(from) != len(nd.Columns) {
		return nil, false, fmt.Errorf("blitz/engine: alter columns of %s: %d source positions for %d columns", old.Name, len(from), len(nd.Columns))
	}
	used := make([]bool, len(old.Columns))
	for i, f := range from {
		if f < -1 || f >= len(old.Columns) || f >= 0 && used[f] {
			return nil, false, fmt.Errorf("blitz/engine: alter columns of %s: column %s has a bad source position %d", old.Name, nd.Columns[i].Name, f)
		}
		if f >= 0 {
			used[f] = true
		}
	}
	nd.syncKeyIndexes()
	if err := nd.validate(); err != nil {
		return nil, false, err
	}
	if old.validatePrimaryKeyTypes() == nil {
		if err := nd.validatePrimaryKeyTypes(); err != nil {
			return nil, false, err
		}
	}
	rewrite, err = t.needsRewrite(old, nd, from)
	if err != nil {
		return nil, false, err
	}
	return nd, rewrite, nil
}

// indexesOnly returns the indexes nd adds to old when that is all the
// change does to the rows and keys (nd's indexes are old's, in order, and
// then these), nil otherwise.
func (t *table) indexesOnly(old, nd *TableDef, from []int) ([]IndexDef, error) {
	n := len(old.Indexes)
	if len(nd.Indexes) <= n {
		return nil, nil
	}
	for _, ixd := range nd.Indexes[n:] {
		if ixd.Hidden {
			return nil, nil
		}
	}
	less := *nd
	less.Indexes = nd.Indexes[:n]
	if rewrite, err := t.needsRewrite(old, &less, from); err != nil || rewrite {
		return nil, err
	}
	return nd.Indexes[n:], nil
}

// buildIndexes builds the files of the indexes ixs of nd, t's next
// definition, from t's rows and opens them (DDL lock held). Until nd is
// t's definition they are leftovers a crash leaves for the next open to
// remove; abandonIndexes removes them.
func (t *table) buildIndexes(ctx context.Context, nd *TableDef, ixs []IndexDef) ([]*index.Index, error) {
	t.mu.RLock()
	df := t.df
	t.mu.RUnlock()
	specs := make([]index.BuildSpec, len(ixs))
	for i, ixd := range ixs {
		pos := nd.indexParts(&ixd)
		specs[i] = index.BuildSpec{Path: t.indexPath(ixd.Name), Unique: ixd.Unique,
			Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
				r, err := decodeRow(row, nd)
				if err != nil {
					return dst, err
				}
				return append(dst, encodeCols(nil, nd, r, pos)), nil
			}}
	}
	var out []*index.Index
	fail := func(err error) ([]*index.Index, error) {
		abandonIndexes(out)
		for _, s := range specs {
			removeIndexFiles(s.Path)
		}
		return nil, err
	}
	_, err := index.Build(ctx, func(yield func(pk, row []byte) error) error { return t.scanMergedCtx(ctx, yield) },
		specs, index.BuildOptions{Stamp: df.Generation(), TempDir: filepath.Dir(t.dataPath())})
	if err != nil {
		var dup *index.DuplicateError
		if errors.As(err, &dup) {
			for i, s := range specs {
				if s.Path == dup.Index {
					pos := nd.indexParts(&ixs[i])
					vals := dupText(nd, pos, dup.Cols, dup.PK, func(pk []byte) ([]byte, bool) {
						v, ok, err := t.getCommitted(pk)
						return v, ok && err == nil
					})
					err = sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key '%s'", vals, ixs[i].Name)
				}
			}
			return fail(err)
		}
		var long *index.KeyTooLargeError
		if errors.As(err, &long) {
			for i, s := range specs {
				if s.Path == long.Index {
					err = keyTooLong(err, t.name, ixs[i].Name)
				}
			}
		}
		return fail(interrupted(ctx, err))
	}
	for _, ixd := range ixs {
		ix, err := index.Open(t.indexPath(ixd.Name), df.Generation(), t.indexOptions(ixd))
		if err != nil {
			return fail(err)
		}
		out = append(out, ix)
	}
	return out, nil
}

// abandonIndexes closes the indexes buildIndexes made and removes their
// files.
func abandonIndexes(ixs []*index.Index) {
	for _, ix := range ixs {
		path := ix.Path()
		ix.Abandon()
		removeIndexFiles(path)
	}
}

// needsRewrite reports whether the rows of t must be rewritten to go from
// old to nd.
func (t *table) needsRewrite(old, nd *TableDef, from []int) (bool, error) {
	if old.LegacyKeys != nd.LegacyKeys && (old.hasPaddedTextKey() || nd.hasPaddedTextKey()) {
		return true, nil // the keys change format (see TableDef.LegacyKeys)
	}
	if len(old.Columns) != len(nd.Columns) {
		return true, nil
	}
	firstDefault := -1 // first column whose default changes
	for i, f := range from {
		if f != i {
			return true, nil
		}
		o, n := &old.Columns[i], &nd.Columns[i]
		if o.Type != n.Type || o.Unsigned != n.Unsigned || o.Length != n.Length || o.Precision != n.Precision ||
			o.Scale != n.Scale || o.AutoIncrement != n.AutoIncrement || n.NotNull && !o.NotNull || o.Coll() != n.Coll() {
			return true, nil
		}
		if firstDefault < 0 && (o.HasDefault != n.HasDefault || (o.Default == nil) != (n.Default == nil) ||
			o.Default != nil && valueText(o.Default) != valueText(n.Default)) {
			firstDefault = i
		}
	}
	if !slices.Equal(old.primaryParts(), nd.primaryParts()) || len(old.Indexes) != len(nd.Indexes) {
		return true, nil
	}
	for i := range old.Indexes {
		o, n := old.Indexes[i], nd.Indexes[i]
		if o.Name != n.Name || o.Unique != n.Unique || !slices.Equal(old.indexParts(&o), nd.indexParts(&n)) {
			return true, nil
		}
	}
	if firstDefault < 0 {
		return false, nil
	}
	// A row written before a column was added reads the column's default:
	// if some row is that short, a new default would change it.
	short := false
	err := t.scanMerged(func(k, v []byte) error {
		n, err := rowColumns(v)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", k, t.name, err))
		}
		if n <= firstDefault {
			short = true
			return errStopScan
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		return false, err
	}
	return short, nil
}

// rowColumns returns the number of columns a stored row was written with.
func rowColumns(b []byte) (int, error) {
	if len(b) < 2 || b[0] != rowFormat {
		return 0, errRowCorrupt
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return 0, errRowCorrupt
	}
	return int(n), nil
}

// zoneSeconds is zone in seconds for the update-log record of a change
// from od to nd, 0 when no column changes to or from TIMESTAMP (the zone
// then changes nothing, and the record keeps format version 1).
func zoneSeconds(zone time.Duration, od, nd *TableDef, from []int) int64 {
	for i, f := range from {
		if f >= 0 && f < len(od.Columns) && (od.Columns[f].Type == TypeTimestamp) != (nd.Columns[i].Type == TypeTimestamp) {
			return int64(zone / time.Second)
		}
	}
	return 0
}

// ConvertRow is the row of nd that AlterColumnsInZone(..., nd, from, zone)
// makes of r, a row of od, the rowNum-th it converts (counting from 1): the
// SQL layer checks the rows against constraints an ALTER TABLE adds with
// it. The error is the one that fails the ALTER.
func ConvertRow(r Row, od, nd *TableDef, from []int, zone time.Duration, rowNum int) (Row, error) {
	return convertRow(r, od, nd, from, zone, rowNum)
}

// convertRow builds the row of nd from r, a row of the old definition
// (see AlterColumnsInZone, for zone). rowNum counts from 1 in scan order.
func convertRow(r Row, od, nd *TableDef, from []int, zone time.Duration, rowNum int) (Row, error) {
	nr := make(Row, len(nd.Columns))
	for i, f := range from {
		c := &nd.Columns[i]
		var v any
		if f < 0 {
			v = c.Default
			if v == nil && c.NotNull {
				v = implicitDefault(c)
			}
		} else {
			v = r[f]
			if t, ok := v.(time.Time); ok && zone != 0 && od.Columns[f].Type == TypeTimestamp && c.Type != TypeTimestamp {
				v = t.Add(zone) // the instant on the session's wall clock
			}
			// BIT to text is its number in decimal (b'1000001' is '65'), as
			// in MariaDB: the value as it is.
			if v != nil && od.Columns[f].Type >= TypeTime && od.Columns[f].Type != TypeBit && (c.Type.IsString() || c.Type.IsBinary()) {
				v = columnText(&od.Columns[f], v) // TIME(2) as text keeps its two digits, YEAR 0 is 0000
			}
		}
		if c.Type == TypeBit {
			// Text into BIT is read as an integer, not as its bytes
			// ('65' is 65), as MariaDB's ALTER does; other text is 1292.
			if s, ok := TextOf(v); ok {
				if !integerText(s) {
					return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
				}
				d, err := decimal.NewFromString(strings.TrimSpace(s))
				if err != nil {
					return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
				}
				v = d
			}
		}
		if s, ok := v.(string); ok && c.Type.IsInteger() && !integerText(s) {
			if _, err := Coerce(c, v, rowNum); err == nil {
				// Coerce rounds '1.5' to 2, as INSERT does; ALTER refuses it.
				return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: '%s'", s)
			}
		}
		if v == nil && c.NotNull {
			return nil, sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", c.Name, rowNum)
		}
		cv, err := Coerce(c, v, rowNum)
		if err != nil {
			return nil, alterConvError(c, v, rowNum, err)
		}
		if t, ok := cv.(time.Time); ok && zone != 0 && c.Type == TypeTimestamp && f >= 0 && od.Columns[f].Type != TypeTimestamp {
			// A wall-clock time in the session's zone: its instant,
			// which must be one a TIMESTAMP holds.
			if cv, err = Coerce(c, t.Add(-zone), rowNum); err != nil {
				return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect datetime value: '%s' for column '%s' at row %d",
					t.Format("2006-01-02 15:04:05"), c.Name, rowNum)
			}
		}
		nr[i] = cv
	}
	return nr, nil
}

// rebuildTable rewrites t's rows from old to nd (t is locked for DDL).
// beforeCommit, if not nil, runs right before the commit point; its error
// fails the rebuild, the table unchanged.
//
// When ctx is done while the rows are copied or the indexes built (the
// long part, before the commit point) it fails with 1317 (interrupted)
// and the table is unchanged; past the commit point it finishes.
//
// With autoSet (AlterColumnsAuto), the AUTO_INCREMENT counter becomes
// *autoSet, or one above the largest value the rows have if that is
// larger, and *autoSet is set to it (0 without an AUTO_INCREMENT column)
// before beforeCommit runs.
func (db *DB) rebuildTable(ctx context.Context, t *table, old, nd *TableDef, from []int, zone time.Duration, autoSet *uint64, beforeCommit func() error) error {
	if old.CrashSafe && db.deferredCount() > 0 {
		return fmt.Errorf("blitz/engine: repair the crashed crash-safe tables before rebuilding %s (their WAL must be kept): %s", old.Name, strings.Join(db.deferredNames(), ", "))
	}
	t.mu.RLock()
	pending := len(t.overlay) + len(t.frozen)
	t.mu.RUnlock()
	if pending > 0 {
		return fmt.Errorf("blitz/engine: rebuild %s: %d committed changes are not yet in its data file", old.Name, pending)
	}
	fs := db.fs
	dataTmp, defTmp := t.dataPath()+rebuildSuffix, t.defPath()+rebuildSuffix
	ixTmp := func(ixd IndexDef) string { return t.indexPath(ixd.Name) + rebuildSuffix }
	removeTmp := func() {
		fs.Remove(dataTmp)
		fs.Remove(defTmp)
		fs.Remove(defTmp + ".tmp")
		for _, ixd := range nd.Indexes {
			removeIndexFiles(ixTmp(ixd))
		}
	}
	removeTmp()
	ndf, err := datafile.Open(dataTmp, t.dfOptions())
	if err != nil {
		return fmt.Errorf("blitz/engine: rebuild %s: create %s: %w", old.Name, dataTmp, err)
	}
	fail := func(err error) error {
		ndf.Close()
		removeTmp()
		return interrupted(ctx, err)
	}
	pkPos := nd.primaryParts()
	// Dropping the primary key: the rows get hidden row ids 1, 2, ... in
	// the order of their old keys, and the counter goes on from there, so
	// that the update log, whose later changes name rows by these ids,
	// replays the change to the same ids.
	var rowIDs map[string]uint64
	if pkPos == nil && len(old.PrimaryKey) > 0 {
		var keys []string
		if err := t.scanMergedCtx(ctx, func(k, _ []byte) error {
			keys = append(keys, string(k))
			return nil
		}); err != nil {
			return fail(err)
		}
		slices.Sort(keys)
		rowIDs = make(map[string]uint64, len(keys))
		for i, k := range keys {
			rowIDs[k] = uint64(i + 1)
		}
	}
	autoCol := -1
	for i := range nd.Columns {
		if nd.Columns[i].AutoIncrement {
			autoCol = i
		}
	}
	var maxAuto uint64
	rowNum := 0
	err = t.scanMergedCtx(ctx, func(k, v []byte) error {
		if rowNum++; rowNum%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r, err := decodeRow(v, old)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", k, old.Name, err))
		}
		nr, err := convertRow(r, old, nd, from, zone, rowNum)
		if err != nil {
			return err
		}
		key := k
		if rowIDs != nil {
			key = appendKeyValue(nil, rowIDs[string(k)])
		}
		if pkPos != nil {
			key = encodeCols(nil, nd, nr, pkPos)
			if _, err := ndf.Get(key); err == nil {
				return sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key 'PRIMARY'", showValues(nd, nr, pkPos))
			} else if !errors.Is(err, datafile.ErrNotFound) {
				return err
			}
		}
		if autoCol >= 0 {
			switch x := nr[autoCol].(type) {
			case int64:
				if x > 0 {
					maxAuto = max(maxAuto, uint64(x))
				}
			case uint64:
				maxAuto = max(maxAuto, x)
			}
		}
		enc, err := encodeRow(nil, nd, nr)
		if err != nil {
			return err
		}
		return ndf.Put(key, enc)
	})
	if err != nil {
		return fail(err)
	}
	if err := ndf.Sync(); err != nil {
		return fail(err)
	}
	if len(nd.Indexes) > 0 {
		specs := make([]index.BuildSpec, len(nd.Indexes))
		for i, ixd := range nd.Indexes {
			pos := nd.indexParts(&ixd)
			specs[i] = index.BuildSpec{Path: ixTmp(ixd), Unique: ixd.Unique,
				Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
					r, err := decodeRow(row, nd)
					if err != nil {
						return dst, err
					}
					return append(dst, encodeCols(nil, nd, r, pos)), nil
				}}
		}
		_, err := index.Build(ctx, func(yield func(pk, row []byte) error) error { return ndf.Iterate(yield) },
			specs, index.BuildOptions{Stamp: ndf.Generation(), TempDir: db.dir})
		if err != nil {
			var dup *index.DuplicateError
			if errors.As(err, &dup) {
				name, vals := "", ""
				for i, s := range specs {
					if s.Path == dup.Index {
						name = nd.Indexes[i].Name
						vals = dupText(nd, nd.indexParts(&nd.Indexes[i]), dup.Cols, dup.PK, func(pk []byte) ([]byte, bool) {
							v, err := ndf.Get(pk)
							return v, err == nil
						})
					}
				}
				err = sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key '%s'", vals, name)
			}
			var long *index.KeyTooLargeError
			if errors.As(err, &long) {
				for i, s := range specs {
					if s.Path == long.Index {
						err = keyTooLong(err, nd.Name, nd.Indexes[i].Name)
					}
				}
			}
			return fail(err)
		}
	}
	if err := ndf.Close(); err != nil {
		removeTmp()
		return err
	}
	// Past the old table's last use: close it, drop its index files (see
	// the top of the file) and stage the new definition.
	if err := t.closeFiles(true); err != nil {
		removeTmp()
		t.reopenAfterFailedRebuild()
		return err
	}
	for _, ixd := range old.Indexes {
		removeIndexFiles(t.indexPath(ixd.Name))
	}
	t.ctrMu.Lock()
	autoNext, autoRes, rowRes := t.autoNext, t.autoReserved, t.rowReserved
	if rowIDs != nil {
		rowRes = uint64(len(rowIDs)) + 1 // exact: the next open resumes at the next id
	}
	if autoCol >= 0 && maxAuto+1 > autoRes {
		autoRes = maxAuto + 1 + reserveStep
	}
	if autoCol >= 0 && maxAuto+1 > autoNext {
		autoNext = maxAuto + 1
	}
	if autoSet != nil {
		// As SetAutoIncrement: the counter may go down.
		if autoCol < 0 {
			*autoSet = 0
		} else {
			*autoSet = max(*autoSet, maxAuto+1, 1)
			autoNext = *autoSet
			if autoNext > autoRes {
				autoRes = autoNext + reserveStep
			}
		}
	}
	t.ctrMu.Unlock()
	b, err := encodeDef(nd, autoNext, autoRes, rowRes)
	if err == nil {
		err = vfs.WriteFileAtomic(fs, defTmp, b)
	}
	if err == nil {
		err = fs.SyncDir(db.dir)
	}
	if err == nil && beforeCommit != nil {
		if err = beforeCommit(); err != nil {
			err = fmt.Errorf("blitz/engine: rebuild %s (the table is unchanged): %w", old.Name, err)
		}
	}
	if err == nil {
		err = fs.Rename(dataTmp, t.dataPath()) // the commit point
	}
	if err != nil {
		removeTmp()
		t.reopenAfterFailedRebuild()
		return fmt.Errorf("blitz/engine: rebuild %s (the table is unchanged): %w", old.Name, err)
	}
	t.mu.Lock()
	t.setDefLocked(nd)
	t.mu.Unlock()
	t.ctrMu.Lock()
	t.autoReserved, t.rowReserved, t.autoSaved = autoRes, rowRes, autoNext
	if rowIDs != nil {
		t.rowNext = rowRes
	}
	if autoCol >= 0 && maxAuto+1 > t.autoNext {
		t.autoNext = maxAuto + 1
	}
	if autoSet != nil && *autoSet != 0 {
		t.autoNext = *autoSet
	}
	t.ctrMu.Unlock()
	err = fs.SyncDir(db.dir)
	if err == nil {
		err = fs.Rename(defTmp, t.defPath())
	}
	if err == nil {
		err = fs.SyncDir(db.dir)
	}
	if err != nil {
		// The new table is in place on disk; the next open finishes it.
		t.setCrashed(fmt.Sprintf("its rebuild was cut short: %v; reopen the database to finish it", err))
		for _, ixd := range nd.Indexes {
			removeIndexFiles(ixTmp(ixd))
		}
		return fmt.Errorf("blitz/engine: rebuild %s: %w", old.Name, err)
	}
	for _, ixd := range nd.Indexes {
		p := t.indexPath(ixd.Name)
		os.Rename(ixTmp(ixd), p)
		os.Rename(index.SumPath(ixTmp(ixd)), index.SumPath(p))
	}
	return t.reopenFiles("its rebuilt data file cannot be opened: ")
}

// reopenAfterFailedRebuild reopens the old table's files after a rebuild
// that closed them failed before its commit point.
func (t *table) reopenAfterFailedRebuild() {
	t.mu.RLock()
	open := t.df != nil
	t.mu.RUnlock()
	if open {
		return
	}
	if err := t.reopenFiles("its data file cannot be reopened after a failed rebuild: "); err != nil && t.usable() == nil {
		t.setCrashed(err.Error())
	}
}

// removeIndexFiles removes an index file and its checksum. Index files
// are always on the operating system's filesystem (package index uses os).
func removeIndexFiles(path string) {
	os.Remove(path)
	os.Remove(index.SumPath(path))
}

// finishRebuilds settles the rebuilds a crash cut short (see the top of
// the file), before the definitions are read.
func (db *DB) finishRebuilds() error {
	names, err := db.fs.ReadDir(db.dir)
	if err != nil {
		return fmt.Errorf("blitz/engine: list %s: %w", db.dir, err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	changed := false
	for _, n := range names {
		if !strings.HasSuffix(n, defSuffix+rebuildSuffix) {
			continue
		}
		base := strings.TrimSuffix(n, defSuffix+rebuildSuffix)
		p := filepath.Join(db.dir, n)
		if have[base+dataSuffix+rebuildSuffix] {
			db.log.Warn("table rebuild cut short before it took effect: the old table stays", "table", base)
			if err := db.fs.Remove(p); err != nil {
				return fmt.Errorf("blitz/engine: remove %s: %w", p, err)
			}
		} else {
			db.log.Warn("table rebuild cut short after it took effect: finishing it", "table", base)
			if err := db.fs.Rename(p, filepath.Join(db.dir, base+defSuffix)); err != nil {
				return fmt.Errorf("blitz/engine: finish the rebuild of %s: %w", base, err)
			}
		}
		changed = true
	}
	for _, n := range names {
		if strings.HasSuffix(n, dataSuffix+rebuildSuffix) || strings.HasSuffix(n, defSuffix+rebuildSuffix+".tmp") {
			db.fs.Remove(filepath.Join(db.dir, n))
			changed = true
		}
	}
	if ents, err := os.ReadDir(db.dir); err == nil {
		builds := 0
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, indexSuffix+rebuildSuffix) || strings.HasSuffix(n, index.SumPath(indexSuffix+rebuildSuffix)) {
				os.Remove(filepath.Join(db.dir, n))
			}
			// An index build cut short (a rebuild's, CREATE INDEX's, a
			// recovery's) leaves its temporary files, each as large as
			// its index: no build runs yet.
			if ix, ok := index.BuildTemp(n); ok && e.Type().IsRegular() &&
				(ix == "" || strings.HasSuffix(ix, indexSuffix) || strings.HasSuffix(ix, indexSuffix+rebuildSuffix)) {
				os.Remove(filepath.Join(db.dir, n))
				builds++
			}
		}
		if builds > 0 {
			db.log.Info("removed the temporary files of index builds a crash cut short", "files", builds)
		}
	}
	if changed {
		return db.fs.SyncDir(db.dir)
	}
	return nil
}

// alterConvError words a failed conversion of an existing value the way
// MariaDB's ALTER TABLE does, which differs from INSERT's: a value too
// long is 1265 (data truncated), and a string that is not a number of the
// new numeric type is 1292 naming the value, as is one with a fraction
// going into an integer column (INSERT would round it).
func alterConvError(c *Column, v any, rowNum int, err error) error {
	if c.Type == TypeBit {
		return err // a BIT too narrow is 1406, as INSERT's
	}
	word := ""
	switch {
	case c.Type.IsInteger():
		word = "INTEGER"
	case c.Type == TypeDecimal:
		word = "DECIMAL"
	case c.Type == TypeFloat || c.Type == TypeDouble:
		word = "DOUBLE"
	}
	switch sqlerr.Code(err) {
	case sqlerr.ErrDataTooLong:
		return sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", c.Name, rowNum)
	case sqlerr.ErrTruncatedWrong:
		if s, ok := v.(string); ok && word != "" {
			return sqlerr.New(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%s'", word, s)
		}
	}
	return err
}

// integerText reports whether s (spaces around it aside) is an integer
// literal: what ALTER TABLE converts to an integer column without error.
func integerText(s string) bool {
	s = strings.TrimSpace(s)
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
