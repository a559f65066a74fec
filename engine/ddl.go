package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// lockForDDL takes the DDL lock and t's write lock (waiting for the
// transaction that writes t), and checkpoints, so that no WAL record of t
// outlives the change.
func (db *DB) lockForDDL(ctx context.Context, t *table) (func(), error) {
	if err := acquire(ctx, t, nil); err != nil {
		return nil, err
	}
	if err := db.checkpoint(); err != nil {
		release(t)
		return nil, err
	}
	return func() { release(t) }, nil
}

// alterTable takes the DDL mutex and the DDL locks of the named table (see
// lockForDDL) for a change to it; unlock releases both. With usable, a
// table that needs repair is refused (1194).
func (db *DB) alterTable(ctx context.Context, name string, usable bool) (*table, func(), error) {
	db.ddlMu.Lock()
	t, err := db.table(name)
	if err == nil && usable {
		err = t.usable()
	}
	var unlock func()
	if err == nil {
		unlock, err = db.lockForDDL(ctx, t)
	}
	if err != nil {
		db.ddlMu.Unlock()
		return nil, nil, err
	}
	return t, func() { unlock(); db.ddlMu.Unlock() }, nil
}

// CreateTable creates a table. An existing name is MySQL error 1050. The
// table has def's key format: key format 2 unless def.LegacyKeys (which
// only the replay of an update log written before key format 2 asks for).
func (db *DB) CreateTable(ctx context.Context, def *TableDef) error {
	return db.createTable(ctx, def, false)
}

// createTable is CreateTable, of a provisional table if provisional
// (provisional.go).
func (db *DB) createTable(ctx context.Context, def *TableDef, provisional bool) error {
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	def = def.Clone()
	def.syncKeyIndexes()
	if err := def.validate(); err != nil {
		return err
	}
	if err := def.validatePrimaryKeyTypes(); err != nil {
		return err
	}
	key := strings.ToLower(def.Name)
	if err := db.orphanInTheWay("create", "", def.Name); err != nil { // orphan.go
		return err
	}
	db.mu.RLock()
	err := db.nameTakenLocked(def.Name)
	db.mu.RUnlock()
	if err == nil {
		err = db.claimName(def.Name)
	}
	if err != nil {
		return err
	}
	t := newTable(db, def)
	t.provisional = provisional
	if provisional {
		// The marker before any file of the table (provisional.go).
		if err := db.writeCreatingMarker(t.name); err != nil {
			return err
		}
	}
	removeMarker := func() {
		if provisional {
			db.fs.Remove(db.creatingPath(t.name))
		}
	}
	// The data file first, synced, then the definition, the commit point:
	// a crash in between leaves a data file no definition names, holding
	// no record (removed here by the next CREATE of the name, reported by
	// blitz check; one holding records is refused above: orphan.go),
	// never a table without its data file (see openFiles).
	db.fs.Remove(t.dataPath())
	// A plain table starts closed cleanly, so that one created but never
	// written needs no repair after a crash; a crash-safe table's file
	// stays marked open until its first clean close, which is what tells
	// recovery that its WAL (and counters) must be read.
	dfo := t.dfOptions()
	dfo.CreateClean = !def.CrashSafe
	df, err := datafile.Open(t.dataPath(), dfo)
	if err == nil {
		if err = df.Sync(); err != nil {
			df.Close()
		}
	}
	if err != nil {
		db.fs.Remove(t.dataPath())
		removeMarker()
		return fmt.Errorf("blitz/engine: create %s: %w", t.dataPath(), err)
	}
	t.df = df
	intent, err := db.intendRecord(ddlRecord{Op: "create_table"}, def.Name, def)
	if err == nil {
		err = t.writeDef(def, t.autoNext, t.autoReserved, t.rowReserved)
	}
	if err != nil {
		intent.abandon(db)
		t.df = nil
		df.Close()
		db.fs.Remove(t.dataPath())
		removeMarker()
		return err
	}
	t.idx = make([]*index.Index, len(def.Indexes))
	for i, ixd := range def.Indexes {
		var ix *index.Index
		if dfo.CreateClean {
			ix, err = createEmptyIndex(t.indexPath(ixd.Name), df.Generation(), t.indexOptions(ixd))
		} else {
			ix, err = index.Create(t.indexPath(ixd.Name), t.indexOptions(ixd))
		}
		if err != nil {
			t.closeFiles(false)
			// Undone from the commit point down: nothing of the table stays.
			db.fs.Remove(t.defPath())
			db.fs.Remove(t.dataPath())
			for _, done := range def.Indexes[:i+1] {
				db.fs.Remove(t.indexPath(done.Name))
				db.fs.Remove(index.SumPath(t.indexPath(done.Name)))
			}
			removeMarker()
			db.fs.SyncDir(db.dir)
			intent.abandon(db)
			return fmt.Errorf("blitz/engine: create index %s: %w", ixd.Name, err)
		}
		t.idx[i] = ix
	}
	db.mu.Lock()
	db.tables[key] = t
	db.defChanged()
	db.mu.Unlock()
	return intent.commit(db)
}

// DropTable removes a table and its files.
func (db *DB) DropTable(ctx context.Context, name string) error {
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	t, err := db.table(name)
	if err != nil {
		var se *sqlerr.Error
		if errors.As(err, &se) && se.Code == sqlerr.ErrNoSuchTable {
			return sqlerr.New(sqlerr.ErrUnknownTable, "Unknown table '%s.%s'", db.name(), name)
		}
		if errors.As(err, &se) && se.Code == sqlerr.ErrCrashedTable {
			return db.dropBrokenTable(name)
		}
		return err
	}
	// A crashed table (1194) is dropped too, as in MariaDB. A crash-safe
	// one's records stay in the WAL while a crashed crash-safe table keeps
	// it (this one or another): its name waits for a checkpoint before a
	// new table may take it (walorphans.go).
	unlock, err := db.lockForDDL(ctx, t)
	if err != nil {
		return err
	}
	defer unlock()
	def := t.definition()
	intent, err := db.intendRecord(ddlRecord{Op: "drop_table"}, def.Name, def)
	if err != nil {
		return err
	}
	// The marker first (orphan.go): a crash after the definition is
	// removed then finishes the drop at the next open, instead of leaving
	// the rows in a data file no definition names.
	if err := db.writeDropMarker(t.name); err != nil {
		intent.abandon(db)
		return err
	}
	t.closeFiles(false)
	if err := db.fs.Remove(t.defPath()); err != nil {
		db.removeDropMarker(t.name)
		intent.abandon(db)
		return fmt.Errorf("blitz/engine: drop %s: %w", name, err)
	}
	db.fs.Remove(t.dataPath())
	for _, ixd := range def.Indexes {
		db.fs.Remove(t.indexPath(ixd.Name))
		db.fs.Remove(index.SumPath(t.indexPath(ixd.Name)))
	}
	db.fs.Remove(db.creatingPath(t.name)) // a provisional table's (provisional.go)
	db.fs.SyncDir(db.dir)
	db.removeDropMarker(t.name)
	db.mu.Lock()
	delete(db.tables, strings.ToLower(name))
	db.defChanged()
	// With a crashed crash-safe table (this one or another), the
	// checkpoint of lockForDDL did not run: the WAL may hold t's records.
	walKept := def.CrashSafe && db.deferred > 0
	if t.deferredReplay {
		db.deferred--
	}
	if walKept {
		db.noteWALOrphanLocked(def.Name)
	}
	left := db.deferred
	db.mu.Unlock()
	if walKept && left == 0 {
		// That was the last crashed crash-safe table: the WAL can be
		// checkpointed again, which clears the records now.
		if err := db.checkpoint(); err != nil {
			db.log.Warn("checkpoint after DROP TABLE failed (the next one clears the dropped table's WAL records)", "table", def.Name, "err", err)
		}
	}
	return intent.commit(db)
}

// dropBrokenTable drops a table whose definition file is damaged (REPAIR
// cannot rebuild a definition): its files go by name, its index files by
// the pattern name.*.bix since their names are in the lost definition. Its
// WAL records, if it was crash-safe, were skipped at open and kept the WAL
// (keepWALForDamaged); the drop releases it and notes the name as an
// orphan (walorphans.go), so the name waits for a checkpoint like any
// dropped crash-safe table's.
func (db *DB) dropBrokenTable(name string) error {
	key := strings.ToLower(name)
	names, err := db.fs.ReadDir(db.dir)
	if err != nil {
		return fmt.Errorf("blitz/engine: drop %s: %w", name, err)
	}
	var defFile string
	var others []string
	for _, n := range names {
		// name.def, name.bdf, name.<index>.bix[.sum]: the name may hold
		// '.' (table x.y), an index name not (IndexFileName).
		if len(n) <= len(name) || !strings.EqualFold(n[:len(name)], name) {
			continue
		}
		switch rest := n[len(name):]; {
		case rest == defSuffix:
			defFile = n
		case rest == dataSuffix, isIndexFileOf(n, n[:len(name)]):
			others = append(others, n)
		}
	}
	db.mu.RLock()
	md, _ := db.broken[key].(*damagedDef)
	db.mu.RUnlock()
	missing := md != nil && md.missing && defFile == ""
	if defFile == "" && !missing {
		return sqlerr.New(sqlerr.ErrUnknownTable, "Unknown table '%s.%s'", db.name(), name)
	}
	if missing {
		defFile = md.name + defSuffix // gone already: only its other files go
	}
	intent, err := db.intendRecord(ddlRecord{Op: "drop_table"}, strings.TrimSuffix(defFile, defSuffix), nil)
	if err != nil {
		return err
	}
	// The marker, then the definition (the commit point; for a table
	// whose definition is missing, the marker is): a crash after it
	// finishes the drop at the next open (orphan.go).
	stored := strings.TrimSuffix(defFile, defSuffix)
	if err := db.writeDropMarker(stored); err != nil {
		intent.abandon(db)
		return err
	}
	if err := db.fs.Remove(filepath.Join(db.dir, defFile)); err != nil && !missing {
		db.removeDropMarker(stored)
		intent.abandon(db)
		return fmt.Errorf("blitz/engine: drop %s: %w", name, err)
	}
	for _, n := range others {
		db.fs.Remove(filepath.Join(db.dir, n))
	}
	db.fs.SyncDir(db.dir)
	db.removeDropMarker(stored)
	name = stored // as stored, not as typed
	db.mu.Lock()
	d, _ := db.broken[key].(*damagedDef)
	walKept := d != nil && d.walOps > 0
	if walKept {
		db.deferred--
		db.noteWALOrphanLocked(name)
	}
	left := db.deferred
	delete(db.broken, key)
	db.mu.Unlock()
	db.log.Info("dropped a table whose definition file was damaged", "table", name, "files", len(others)+1)
	if walKept && left == 0 {
		// It was the last table keeping the WAL: the checkpoint now
		// covers its records.
		if err := db.checkpoint(); err != nil {
			db.log.Warn("checkpoint after DROP TABLE failed (the next one clears the dropped table's WAL records)", "table", name, "err", err)
		}
	}
	return intent.commit(db)
}

func (db *DB) deferredCount() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.deferred
}

// RenameTable renames a table (or a view) and its files: RenameTables of
// one pair.
func (db *DB) RenameTable(ctx context.Context, from, to string) error {
	return db.RenameTables(ctx, []RenamePair{{From: from, To: to}})
}

// reopenFiles opens t's data file and indexes again after a change that
// closed them (RENAME TABLE, a rebuild), rebuilding the indexes that
// cannot be trusted. A data file that does not open marks the table
// crashed, the reason prefixed by why.
func (t *table) reopenFiles(why string) error {
	df, err := datafile.Open(t.dataPath(), t.dfOptions())
	if err != nil {
		t.setCrashed(why + err.Error())
		return err
	}
	t.mu.Lock()
	t.df = df
	t.mu.Unlock()
	if rebuild, err := t.openIndexes(); err != nil {
		return err
	} else if rebuild {
		return t.rebuildIndexes(context.Background()) // restoring a table: never cut short
	}
	return nil
}

// CreateIndex adds a secondary index, built from the table's rows. An
// index named as a hidden one (IndexDef.Hidden) takes its name, and the
// hidden index is renamed (the table is rebuilt, as by AlterColumns).
func (db *DB) CreateIndex(ctx context.Context, table string, ixd IndexDef) error {
	t, unlock, err := db.alterTable(ctx, table, true)
	if err != nil {
		return err
	}
	defer unlock()
	return db.createIndexLocked(ctx, t, ixd)
}

// createEmptyIndex creates the empty index file of a new table at path,
// closed cleanly (stamped with gen, the generation of the new, unchanged
// data file) and opened again: like the data file, which is created closed
// cleanly (datafile: FlagOpen waits for the first change), a table created
// but never written opens after a kill -9 with nothing to rebuild.
func createEmptyIndex(path string, gen uint64, o index.Options) (*index.Index, error) {
	ix, err := index.Create(path, o)
	if err != nil {
		return nil, err
	}
	if err := ix.Close(gen); err != nil {
		return nil, err
	}
	return index.Open(path, gen, o)
}

// checkEvery is how many rows a long loop of DDL (ALTER TABLE's copy)
// handles between two looks at its context: a look costs nothing next to
// 4096 rows, and 4096 rows take milliseconds.
const checkEvery = 1 << 12

// interrupted returns err, the error of work under ctx, as MariaDB's 1317
// "Query execution was interrupted" when it is ctx's own (KILL QUERY, a
// shutdown), and as it is otherwise.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return sqlerr.Wrap(sqlerr.ErrQueryInterrupted, err, "Query execution was interrupted")
	}
	return err
}

// keyTooLong returns err, an index build's error, as MariaDB's 1071 naming
// index of table when a row's entry is too long for an index file.
func keyTooLong(err error, table, ixName string) error {
	var e *index.KeyTooLargeError
	if !errors.As(err, &e) {
		return err
	}
	return sqlerr.New(sqlerr.ErrTooLongKey, "Specified key was too long; max key length is %d bytes (index '%s' of table '%s': a row needs %d)",
		index.MaxKeySize, ixName, table, e.Len)
}

// createIndexLocked is CreateIndex of t, locked for DDL. When ctx is done
// while the index is built it fails with 1317 (interrupted), leaving the
// table as it was.
func (db *DB) createIndexLocked(ctx context.Context, t *table, ixd IndexDef) error {
	nd := t.definition().Clone()
	nd.Indexes = append(nd.Indexes, ixd.clone())
	if i := nd.indexByName(ixd.Name); !ixd.Hidden && nd.Indexes[i].Hidden {
		// The name of a hidden index (IndexDef.Hidden), which gives way
		// to the user's (syncKeyIndexes): its file is renamed with it,
		// by a rebuild as ALTER TABLE does (and logged as one).
		from := make([]int, len(nd.Columns))
		for i := range from {
			from[i] = i
		}
		return db.alterColumnsLocked(ctx, t, nd, from, 0, nil, false)
	}
	if err := nd.validate(); err != nil {
		return err
	}
	pos := nd.indexParts(&ixd)
	path := t.indexPath(ixd.Name)
	t.mu.RLock()
	df := t.df
	t.mu.RUnlock()
	_, err := index.Build(ctx, func(yield func(pk, row []byte) error) error { return t.scanMergedCtx(ctx, yield) },
		[]index.BuildSpec{{Path: path, Unique: ixd.Unique, Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
			r, err := decodeRow(row, nd)
			if err != nil {
				return dst, err
			}
			return append(dst, encodeCols(nil, nd, r, pos)), nil
		}}}, index.BuildOptions{Stamp: df.Generation(), TempDir: db.dir})
	if err != nil {
		var dup *index.DuplicateError
		if errors.As(err, &dup) {
			vals := dupText(nd, pos, dup.Cols, dup.PK, func(pk []byte) ([]byte, bool) {
				v, ok, err := t.getCommitted(pk)
				return v, ok && err == nil
			})
			return sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key '%s'", vals, ixd.Name)
		}
		return interrupted(ctx, keyTooLong(err, t.name, ixd.Name))
	}
	ix, err := index.Open(path, df.Generation(), t.indexOptions(ixd))
	if err != nil {
		return err
	}
	intent, err := db.intendRecord(ddlRecord{Op: "create_index", Index: ixd.Name}, nd.Name, nd)
	if err == nil {
		t.ctrMu.Lock()
		err = t.writeDef(nd, t.autoNext, t.autoReserved, t.rowReserved)
		t.ctrMu.Unlock()
	}
	if err != nil {
		intent.abandon(db)
		ix.Abandon()
		db.fs.Remove(path)
		return err
	}
	t.mu.Lock()
	t.setDefLocked(nd)
	t.idx = append(t.idx, ix)
	t.mu.Unlock()
	return intent.commit(db)
}

// DropIndex removes a secondary index.
func (db *DB) DropIndex(ctx context.Context, table, name string) error {
	t, unlock, err := db.alterTable(ctx, table, false)
	if err != nil {
		return err
	}
	defer unlock()
	nd := t.definition().Clone()
	i := nd.indexByName(name)
	if i < 0 {
		return sqlerr.New(sqlerr.ErrCantDropKey, "Can't DROP INDEX `%s`; check that it exists", name)
	}
	path := t.indexPath(nd.Indexes[i].Name)
	nd.Indexes = append(nd.Indexes[:i], nd.Indexes[i+1:]...)
	intent, err := db.intendRecord(ddlRecord{Op: "drop_index", Index: name}, nd.Name, nd)
	if err != nil {
		return err
	}
	t.ctrMu.Lock()
	err = t.writeDef(nd, t.autoNext, t.autoReserved, t.rowReserved)
	t.ctrMu.Unlock()
	if err != nil {
		intent.abandon(db)
		return err
	}
	t.mu.Lock()
	if i < len(t.idx) {
		if t.idx[i] != nil {
			t.idx[i].Abandon()
		}
		t.idx = append(t.idx[:i], t.idx[i+1:]...)
	}
	t.setDefLocked(nd)
	t.mu.Unlock()
	db.fs.Remove(path)
	db.fs.Remove(index.SumPath(path))
	if err := intent.commit(db); err != nil {
		return err
	}
	// An index that served a foreign key led by the primary key leaves
	// the key needing a hidden one (TableDef.syncKeyIndexes). Without it
	// the key still works, by scans: a failure to build it fails nothing.
	if t.usable() != nil {
		return nil // REPAIR rebuilds the indexes the definition lists
	}
	sd := nd.Clone()
	sd.syncKeyIndexes()
	for _, ix := range sd.Indexes {
		if ix.Hidden && nd.indexByName(ix.Name) < 0 {
			if err := db.createIndexLocked(context.Background(), t, ix); err != nil {
				db.log.Warn("blitz/engine: index for a foreign key not made", "table", nd.Name, "index", ix.Name, "err", err)
			}
		}
	}
	return nil
}

// AddColumn appends a column. Existing rows are not rewritten: they read
// the column's default.
func (db *DB) AddColumn(ctx context.Context, table string, col Column) error {
	t, unlock, err := db.alterTable(ctx, table, false)
	if err != nil {
		return err
	}
	defer unlock()
	nd := t.definition().Clone()
	if col.AutoIncrement {
		return sqlerr.New(sqlerr.ErrNotSupported, "This version of MySQL doesn't yet support 'ADD COLUMN ... AUTO_INCREMENT'")
	}
	if col.NotNull && (!col.HasDefault || col.Default == nil) {
		// MySQL fills existing rows with the type's implicit default.
		col.HasDefault, col.Default = true, implicitDefault(&col)
	}
	nd.Columns = append(nd.Columns, col)
	if err := nd.validate(); err != nil {
		return err
	}
	intent, err := db.intendRecord(ddlRecord{Op: "add_column", Column: col.Name}, nd.Name, nd)
	if err != nil {
		return err
	}
	t.ctrMu.Lock()
	err = t.writeDef(nd, t.autoNext, t.autoReserved, t.rowReserved)
	t.ctrMu.Unlock()
	if err != nil {
		intent.abandon(db)
		return err
	}
	t.mu.Lock()
	t.setDefLocked(nd)
	t.mu.Unlock()
	return intent.commit(db)
}

func implicitDefault(c *Column) any {
	if c.Type >= TypeTime {
		v, _ := ImplicitDefault(c)
		return v
	}
	var v any
	switch {
	case c.Type.IsInteger() || c.Type == TypeFloat || c.Type == TypeDouble || c.Type == TypeDecimal:
		v = "0"
	case c.Type == TypeTimestamp:
		v = "1970-01-01 00:00:01" // the first second a TIMESTAMP holds
	case c.Type.IsTime():
		v = "1970-01-01 00:00:00"
	default:
		v = ""
	}
	cv, err := Coerce(&Column{Name: c.Name, Type: c.Type, Unsigned: c.Unsigned, Length: c.Length, Precision: c.Precision, Scale: c.Scale}, v, 1)
	if err != nil {
		return nil
	}
	return cv
}

// autoFloor is the AUTO_INCREMENT counter an AUTO_INCREMENT = next option
// sets in t, whose rows are of def (t locked for DDL): next, or one above
// the largest value stored if that is larger; 0 if def has no
// AUTO_INCREMENT column.
func (t *table) autoFloor(def *TableDef, next uint64) (uint64, error) {
	col := -1
	for i := range def.Columns {
		if def.Columns[i].AutoIncrement {
			col = i
		}
	}
	if col < 0 {
		return 0, nil
	}
	next = max(next, 1)
	// No transaction writes t now: the data file and overlay hold every row.
	err := t.scanMerged(func(k, v []byte) error {
		r, err := decodeRow(v, def)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", k, def.Name, err))
		}
		var u uint64
		switch x := r[col].(type) {
		case int64:
			if x > 0 {
				u = uint64(x)
			}
		case uint64:
			u = x
		}
		if u != 0 && u+1 > next {
			next = u + 1
		}
		return nil
	})
	return next, err
}

// SetAutoIncrement is the AUTO_INCREMENT = next table option (CREATE TABLE,
// ALTER TABLE): the next generated value becomes next, or one above the
// largest value stored if that is larger, as in MySQL (the counter may go
// down). next 0 counts as 1. A table without an AUTO_INCREMENT column
// ignores it.
func (db *DB) SetAutoIncrement(ctx context.Context, table string, next uint64) error {
	t, unlock, err := db.alterTable(ctx, table, true)
	if err != nil {
		return err
	}
	defer unlock()
	def := t.definition()
	if next, err = t.autoFloor(def, next); err != nil || next == 0 {
		return err
	}
	// The .def gets next as auto_next even when the reservation covers
	// it (or next is lower): after a crash the counter resumes from there
	// (counters.go), as InnoDB keeps AUTO_INCREMENT = N.
	intent, err := db.intendRecord(ddlRecord{Op: "auto_increment", Next: next}, def.Name, def)
	if err != nil {
		return err
	}
	t.ctrMu.Lock()
	res := t.autoReserved
	if next > res {
		res = next + reserveStep
	}
	if err := t.writeDef(def, next, res, t.rowReserved); err != nil {
		t.ctrMu.Unlock()
		intent.abandon(db)
		return err
	}
	t.autoNext, t.autoReserved = next, res
	t.ctrMu.Unlock()
	return intent.commit(db)
}
