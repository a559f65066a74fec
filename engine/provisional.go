package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// Provisional tables: CREATE TABLE ... SELECT as one crash-safe step.
//
// CREATE TABLE ... SELECT creates a table and then fills it in a
// transaction of its own; a crash in between would leave the table
// created and empty (or, plain, partly filled), neither the statement's
// effect nor its absence. So such a table is created provisional: a
// marker file is written, synced, before anything of the table, and
// removed, synced, once the rows are committed (ConfirmTable):
//
//	DIR/T.creating       empty; T is the table's name as its files spell it
//
// At open (finishCreates, before any definition is read) a marker means
// the statement never finished: the table is dropped, its definition
// first (the commit point of the drop), then its data and index files,
// then the marker. Rows a crash-safe fill committed to the WAL name a
// table that is gone: the replay skips them and the name waits for a
// checkpoint as a dropped table's does (walorphans.go). With an update
// log, the drop is appended to it once it is open, since the log has the
// CREATE and the rows; until then the marker stays (the table's other
// files gone), so that a crash before the drop is logged drops it again
// at the next open, which logs it then (a drop logged twice is harmless:
// the replay skips the drop of a missing table).

// creatingSuffix names the marker of a provisional table.
const creatingSuffix = ".creating"

func (db *DB) creatingPath(name string) string {
	return filepath.Join(db.dir, name+creatingSuffix)
}

// CreateTableProvisional creates a table as CreateTable does, but
// provisional: until ConfirmTable returns, a crash drops it at the next
// open. It is for CREATE TABLE ... SELECT, which fills the table after
// creating it.
func (db *DB) CreateTableProvisional(ctx context.Context, def *TableDef) error {
	return db.createTable(ctx, def, true)
}

// ConfirmTable makes a table created by CreateTableProvisional permanent.
// A table that is not provisional is left as it is. If it fails, the
// table is still provisional.
func (db *DB) ConfirmTable(name string) error {
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	t, err := db.table(name)
	if err != nil {
		return err
	}
	db.mu.RLock()
	prov := t.provisional
	db.mu.RUnlock()
	if !prov {
		return nil
	}
	p := db.creatingPath(t.name)
	if err := db.fs.Remove(p); err != nil && !isNotExist(err) {
		return fmt.Errorf("blitz/engine: confirm the creation of %s: %w", t.name, err)
	}
	if err := db.fs.SyncDir(db.dir); err != nil {
		return fmt.Errorf("blitz/engine: confirm the creation of %s: %w", t.name, err)
	}
	db.mu.Lock()
	t.provisional = false
	db.mu.Unlock()
	return nil
}

// writeCreatingMarker writes and syncs the marker of provisional table
// name, before any file of the table.
func (db *DB) writeCreatingMarker(name string) error {
	p := db.creatingPath(name)
	if err := db.writeMarker(p); err != nil {
		return fmt.Errorf("blitz/engine: create %s: %w", p, err)
	}
	return nil
}

// writeMarker creates the empty file path (only its name counts, so no
// rename is needed), syncs it and the directory; on failure it removes
// what it wrote. The markers of provisional tables (T.creating) and of
// drops in progress (T.dropping, orphan.go) are written so.
func (db *DB) writeMarker(path string) error {
	f, err := vfs.Create(db.fs, path)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = db.fs.SyncDir(db.dir)
	}
	if err != nil {
		db.fs.Remove(path)
	}
	return err
}

// refuseProvisional answers a change a provisional table cannot take
// (RENAME TABLE: the marker names it) while its CREATE ... SELECT runs.
func (db *DB) refuseProvisional(t *table) error {
	db.mu.RLock()
	prov := t.provisional
	db.mu.RUnlock()
	if prov {
		return sqlerr.New(sqlerr.ErrLockWaitTimeout, "Table '%s' is being created by CREATE TABLE ... SELECT", t.name)
	}
	return nil
}

// finishCreates drops the provisional tables a crash left (see the top of
// the file), before the definitions are read, and returns their names.
func (db *DB) finishCreates() ([]string, error) {
	names, err := db.fs.ReadDir(db.dir)
	if err != nil {
		return nil, fmt.Errorf("blitz/engine: list %s: %w", db.dir, err)
	}
	var dropped []string
	for _, n := range names {
		base, ok := strings.CutSuffix(n, creatingSuffix)
		if !ok || base == "" {
			continue
		}
		def := filepath.Join(db.dir, base+defSuffix)
		if err := db.fs.Remove(def); err != nil && !isNotExist(err) {
			return nil, fmt.Errorf("blitz/engine: drop %s, whose CREATE TABLE ... SELECT a crash cut short: %w", base, err)
		} else if err == nil || db.opts.ULogDir != "" {
			dropped = append(dropped, base)
		}
		if err := db.fs.SyncDir(db.dir); err != nil {
			return nil, err
		}
		db.fs.Remove(filepath.Join(db.dir, base+dataSuffix))
		for _, m := range names {
			if isIndexFileOf(m, base) {
				db.fs.Remove(filepath.Join(db.dir, m))
			}
		}
		if db.opts.ULogDir == "" {
			// Nothing to log: the marker goes now (else once the drop is
			// logged: logProvisionalDrops).
			if err := db.fs.Remove(filepath.Join(db.dir, n)); err != nil && !isNotExist(err) {
				return nil, fmt.Errorf("blitz/engine: remove %s: %w", n, err)
			}
		}
		if err := db.fs.SyncDir(db.dir); err != nil {
			return nil, err
		}
		db.log.Warn("CREATE TABLE ... SELECT cut short by a crash: its table is dropped", "table", base)
	}
	return dropped, nil
}

// logProvisionalDrops appends to the update log, as one frame, the drops
// finishCreates did (the log holds the tables' CREATE and maybe their
// rows), then removes their markers, whether or not the log took the
// frame: a marker left would drop a new table of its name at the next
// open.
func (db *DB) logProvisionalDrops(names []string) error {
	if len(names) == 0 {
		return nil
	}
	var err error
	if db.ulog != nil {
		ops := make([]ulog.Op, 0, len(names))
		for _, n := range names {
			op, oerr := ddlOp(ddlRecord{Op: "drop_table"}, n, nil)
			if oerr != nil {
				err = oerr
				break
			}
			ops = append(ops, op)
		}
		if err == nil {
			var seq uint64
			if seq, err = db.ulog.Append(ops, time.Time{}); err == nil {
				err = db.ulog.SyncThrough(seq)
			}
		}
	}
	for _, n := range names {
		if rerr := db.fs.Remove(db.creatingPath(n)); rerr != nil && !isNotExist(rerr) && err == nil {
			err = rerr
		}
	}
	if serr := db.fs.SyncDir(db.dir); err == nil {
		err = serr
	}
	return err
}
