package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/blitzdb/blitz/txn"
)

const (
	defSuffix   = ".def"
	dataSuffix  = ".bdf"
	indexSuffix = ".bix"
	lockName    = "LOCK"
	walDir      = "wal"

	defaultCheckpointBytes = 64 << 20
	lockTimeout            = 10 * time.Second
)

// DB is an open database directory. It is safe for concurrent use.
//
// Lock order: ddlMu, then a table's write lock, then ckptMu, then commitMu,
// then a table's mu.
type DB struct {
	dir  string
	fs   vfs.FS
	opts Options
	log  *slog.Logger
	lock io.Closer
	wal  *txn.WAL
	ulog *ulog.Log // nil without Options.ULogDir

	ddlMu    sync.Mutex   // serialises DDL
	ckptMu   sync.Mutex   // one checkpoint (or check/repair) at a time
	commitMu sync.RWMutex // crash-safe commits hold it shared; a checkpoint's cut holds it exclusively
	// txGate: a transaction takes its first table write lock holding it
	// shared; a backup holds it exclusively while it gathers every table's
	// write lock, so that no new transaction starts meanwhile and those
	// already holding locks drain.
	txGate sync.RWMutex
	// waitMu serialises lock waits' deadlock checks (lock.go); it
	// protects every locker's waitsFor and waiters, the number of lockers
	// waiting. It is taken with no other lock held.
	waitMu  sync.Mutex
	waiters int

	// parent is the database a temporary database (OpenTemp, temp.go)
	// belongs to; nil for a database opened with Open.
	parent *DB
	// tempMu protects temps, tempSeq and the existence of DIR/#temp. It
	// is taken before mu.
	tempMu  sync.Mutex
	temps   map[*DB]struct{} // the temporary databases open on this one
	tempSeq uint64           // temporary databases opened so far: names their directories

	mu     sync.RWMutex // protects the fields below
	tables map[string]*table
	broken map[string]error    // definitions that could not be read, by lower-case name (a *damagedDef)
	views  map[string]*ViewDef // by lower-case name (view.go)
	// brokenViews: view files that could not be read, by lower-case name
	brokenViews map[string]error
	deferred    int // crash-safe tables awaiting REPAIR: no checkpoint may drop WAL they need
	// walOrphans: lower-case names of dropped tables whose records the WAL
	// may still hold (walorphans.go)
	walOrphans map[string]bool
	closed     bool
	// provDropped: the provisional tables open dropped (provisional.go),
	// for the update log; used only during Open.
	provDropped []string
	// renamed: the pairs of the RENAME TABLE open finished, whose intent
	// stays until the update log is settled (rename.go); used only during
	// Open.
	renamed []RenamePair

	ckptReq  chan struct{}
	ckptDone chan struct{} // closed by Close: the checkpoint loop stops
	loopDone chan struct{} // closed by the checkpoint loop when it has stopped

	cnt counters // see Stats

	fk    fkState   // the reverse map of foreign keys (foreignkey.go)
	fills fillState // definitions with Fill (fill.go)

	// inflightMu protects inflight: the CRASH_SAFE commits applied and not
	// yet durable, by LSN (walfail.go). Taken after commitMu.
	inflightMu sync.Mutex
	inflight   map[txn.LSN]*inflightCommit
}

// Open opens the database in dir, creating it if missing. A second process
// gets an error saying the database is locked. Tables an unclean shutdown
// left behind are repaired when o.AutoRecover is set; otherwise they answer
// every call with MySQL error 1194 until Repair.
func Open(dir string, o Options) (*DB, error) {
	return OpenContext(context.Background(), dir, o)
}

// OpenContext is Open whose recovery (the verification and salvage of
// data files, the index rebuilds) stops soon after ctx is done: Open then
// fails with an error wrapping ctx.Err() and MySQL error 1317, having
// closed what it opened. Nothing is lost: a salvage replaces a data file
// only once it is complete, and index files are stamped only at a clean
// close, so the next open recovers again what this one did not finish.
func OpenContext(ctx context.Context, dir string, o Options) (*DB, error) {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.CheckpointBytes <= 0 {
		o.CheckpointBytes = defaultCheckpointBytes
	}
	db := &DB{dir: dir, fs: o.FS, opts: o, log: o.Logger, tables: map[string]*table{}, broken: map[string]error{}, views: map[string]*ViewDef{}, brokenViews: map[string]error{},
		ckptReq: make(chan struct{}, 1), ckptDone: make(chan struct{}), loopDone: make(chan struct{})}
	if err := o.FS.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blitz/engine: create database directory: %w", err) // err names it
	}
	if err := vfs.CheckWritable(o.FS, dir); err != nil {
		// Refused here rather than half way: a session in such a
		// directory reads, and its first write succeeds, but the index
		// stamps its close writes, an index rebuild and any DDL cannot
		// create their files, and the tables are left marked crashed.
		return nil, fmt.Errorf("blitz/engine: database directory %s is not writable (%w): blitz creates and replaces files in it (index stamps, rebuilt indexes, definitions, the WAL); make it writable, or work on a copy (blitz file reads one data file without writing)", dir, err)
	}
	lk, err := o.FS.Lock(filepath.Join(dir, lockName), true)
	if err != nil {
		if errors.Is(err, vfs.ErrLocked) {
			return nil, sqlerr.Wrap(sqlerr.ErrCantLock, err, "database %s is locked by another process", dir)
		}
		return nil, fmt.Errorf("blitz/engine: lock %s: %w", dir, err)
	}
	db.lock = lk
	if !o.restoring {
		if err := checkRestoreFinished(o.FS, dir); err != nil { // restore.go
			lk.Close()
			return nil, err
		}
		if err := checkBackupFinished(o.FS, dir); err != nil { // backup.go
			lk.Close()
			return nil, err
		}
	}
	if err := db.open(ctx); err != nil {
		db.closeFiles(false)
		lk.Close()
		return nil, err
	}
	if err := db.openULog(); err != nil {
		db.closeFiles(true)
		lk.Close()
		return nil, err
	}
	if err := db.resolveDDLIntent(); err != nil {
		if db.ulog != nil {
			db.ulog.Close()
		}
		db.closeFiles(true)
		lk.Close()
		return nil, err
	}
	if db.renamed != nil {
		if err := db.removeRenameIntent(); err != nil {
			db.log.Warn("a finished RENAME TABLE's intent file stays (the next open removes it)", "err", err)
		}
		db.renamed = nil
	}
	if err := db.logProvisionalDrops(db.provDropped); err != nil {
		db.log.Warn("the update log could not record the drop of tables a CREATE TABLE ... SELECT cut short by a crash left", "tables", db.provDropped, "err", err)
	}
	db.provDropped = nil
	if o.noCheckpointLoop {
		close(db.loopDone)
	} else {
		go db.checkpointLoop()
	}
	return db, nil
}

func (db *DB) open(ctx context.Context) (err error) {
	start := time.Now()
	if err := db.removeTempLeftovers(); err != nil {
		return err
	}
	if err := db.finishRename(); err != nil {
		return err
	}
	if err := db.finishRebuilds(); err != nil {
		return err
	}
	if db.provDropped, err = db.finishCreates(); err != nil {
		return err
	}
	if err := db.finishDrops(); err != nil { // orphan.go
		return err
	}
	names, err := db.fs.ReadDir(db.dir)
	if err != nil {
		return fmt.Errorf("blitz/engine: list %s: %w", db.dir, err)
	}
	db.loadViews(names)
	for _, n := range names {
		if !strings.HasSuffix(n, defSuffix) {
			continue
		}
		path := filepath.Join(db.dir, n)
		// A definition that cannot be read (permission denied, a directory
		// in its place, an I/O error) leaves its table unusable, like one
		// that does not decode, and the rest of the database usable.
		b, err := vfs.ReadFile(db.fs, path)
		unreadable := err != nil
		var def *TableDef
		var ctr defCounters
		if err == nil {
			def, ctr, err = decodeDef(b, path)
		}
		if err != nil {
			base := strings.TrimSuffix(n, defSuffix)
			db.broken[strings.ToLower(base)] = &damagedDef{name: base, err: err, unreadable: unreadable}
			db.log.Error("table definition unreadable", "file", path, "err", err)
			continue
		}
		t := newTable(db, def)
		t.autoNext, t.autoReserved, t.autoSaved = ctr.autoRes, ctr.autoRes, ctr.autoNext
		t.rowNext, t.rowReserved = ctr.rowRes, ctr.rowRes
		db.tables[strings.ToLower(def.Name)] = t
		db.defChanged()
	}
	db.findOrphanData(names) // orphan.go
	db.wal, err = txn.OpenWAL(filepath.Join(db.dir, walDir), txn.Options{FS: db.fs, Sync: txn.SyncMode(db.opts.Sync), Logger: db.log, SegmentBytes: db.opts.WALSegmentBytes})
	if err != nil {
		return fmt.Errorf("blitz/engine: open WAL: %w", err)
	}
	info := db.wal.Recovery()
	if info.CheckpointInterrupted {
		db.log.Warn("a checkpoint was cut short: crash-safe data files will be verified", "through", info.InterruptedThrough)
	}
	var rebuild []*table
	for _, t := range db.sortedTables() {
		need, err := t.openFiles(ctx, info.CheckpointInterrupted)
		if err != nil {
			return err
		}
		if need {
			rebuild = append(rebuild, t)
		}
	}
	replayed := 0
	replayedInto := map[*table]bool{}
	orphans := map[string]bool{} // names found to be dropped tables
	err = db.wal.Replay(func(lsn txn.LSN, b txn.Batch) error {
		for _, op := range b {
			t := db.tables[strings.ToLower(op.Table)]
			if t == nil {
				key := strings.ToLower(op.Table)
				if db.broken[key] == nil && !orphans[key] {
					if d := db.missingDef(op.Table); d != nil {
						db.broken[key] = d
					}
				}
				if d, ok := db.broken[key].(*damagedDef); ok {
					// Committed changes of a table whose definition
					// is damaged or missing: the WAL keeps them
					// (keepWALForDamaged) until the definition is
					// restored, when an open replays them, or the
					// table is dropped.
					d.walOps++
					continue
				}
				// A table dropped while a crashed crash-safe table kept
				// the WAL: its name waits for a checkpoint (walorphans.go).
				orphans[key] = true
				db.noteWALOrphan(op.Table)
				continue
			}
			e := ovEntry{del: op.Kind == txn.OpDelete}
			if !e.del {
				e.val = append([]byte(nil), op.Value...)
				t.noteReplayedAuto(e.val)
			}
			if !replayedInto[t] {
				// The indexes of a table the WAL still had records for
				// cannot be trusted to hold them (a commit whose WAL write
				// reached the disk but whose sync failed was never applied
				// to them): rebuild them, stamp or no stamp.
				replayedInto[t] = true
				t.invalidateKeyBoundsLocked() // nothing runs beside the open
				if !t.deferredReplay && !slices.Contains(rebuild, t) {
					rebuild = append(rebuild, t)
				}
			}
			if t.deferredReplay {
				t.pendingReplay = append(t.pendingReplay, pendingOp{key: string(op.Key), e: e})
			} else {
				t.overlay[string(op.Key)] = e
			}
			replayed++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("blitz/engine: replay WAL: %w", err)
	}
	db.keepWALForDamaged()
	db.cnt.replayed.Add(int64(info.Records))
	if replayed > 0 {
		db.log.Info("WAL replayed", "operations", replayed, "records", info.Records)
	}
	for _, t := range rebuild {
		if err := t.rebuildIndexes(ctx); err != nil {
			if ctx.Err() != nil {
				return recoveryStopped(t.name, err)
			}
			t.setCrashed(fmt.Sprintf("index rebuild failed: %v", err))
			db.log.Error("index rebuild failed", "table", t.name, "err", err)
		}
	}
	for _, t := range db.sortedTables() {
		if t.autoRecover && !t.deferredReplay && t.crashed == "" {
			if err := t.recoverAuto(); err != nil {
				t.setCrashed(fmt.Sprintf("AUTO_INCREMENT recovery failed: %v", err))
				db.log.Error("AUTO_INCREMENT recovery failed", "table", t.name, "err", err)
			}
		}
	}
	if db.wal.Size() > 0 {
		// What the WAL replayed is in the overlays and stays in the WAL
		// until a checkpoint writes it into the data files: the checkpoint
		// loop does that right after Open returns, so the database is
		// usable without waiting for those writes and their fsync (a
		// crash meanwhile replays the same WAL again).
		select {
		case db.ckptReq <- struct{}{}:
		default:
		}
	}
	if len(rebuild) > 0 || replayed > 0 {
		db.log.Info("recovery finished", "tables", len(rebuild), "seconds", time.Since(start).Seconds())
	}
	return nil
}

// recoveryStopped is the error of an Open whose recovery of table name
// stopped because ctx ended.
func recoveryStopped(name string, err error) error {
	why := ""
	if sqlerr.Code(err) != sqlerr.ErrQueryInterrupted { // its text says only "interrupted"
		why = fmt.Sprintf(" (%v)", err)
	}
	return sqlerr.Wrap(sqlerr.ErrQueryInterrupted, err, "recovery of table %s interrupted%s: nothing is lost, the next open recovers it again", name, why)
}

func (db *DB) sortedTables() []*table {
	db.mu.RLock()
	defer db.mu.RUnlock()
	// Sorted by the map's key, not t.name: RENAME TABLE changes t.name
	// under t.mu, which this does not hold.
	keys := make([]string, 0, len(db.tables))
	for k := range db.tables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ts := make([]*table, len(keys))
	for i, k := range keys {
		ts[i] = db.tables[k]
	}
	return ts
}

// Dir returns the database directory.
func (db *DB) Dir() string { return db.dir }

// name is the database's name in messages: its directory's base name (a
// temporary database's is its parent's).
func (db *DB) name() string {
	if db.parent != nil {
		return db.parent.name()
	}
	return filepath.Base(db.dir)
}

// markClosed marks db closed, reporting whether this call did (a second
// Close does nothing).
func (db *DB) markClosed() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return false
	}
	db.closed = true
	return true
}

// Close checkpoints and closes every file cleanly, so that the next Open
// needs no recovery. Transactions still open are rolled back by the caller.
func (db *DB) Close() error {
	if db.parent != nil {
		return db.closeTemp()
	}
	if !db.markClosed() {
		return nil
	}
	terr := db.closeTemps() // no more can open: db is closed
	close(db.ckptDone)
	<-db.loopDone // a checkpoint it started must not run while the files close
	err := db.checkpoint()
	// Without a final checkpoint (the WAL failed, say) the indexes of
	// crash-safe tables may hold in-doubt commits the log never made
	// durable: leave them unstamped, so the next open rebuilds them.
	if cerr := db.closeFilesExcept(true, err != nil); err == nil {
		err = cerr
	}
	if cerr := db.lock.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = terr
	}
	return err
}

func (db *DB) closeFiles(clean bool) error { return db.closeFilesExcept(clean, false) }

// closeFilesExcept closes every table's files, cleanly if clean, except
// that crash-safe tables are closed uncleanly if dirtyCrashSafe.
func (db *DB) closeFilesExcept(clean, dirtyCrashSafe bool) error {
	var first error
	for _, t := range db.sortedTables() {
		if err := t.closeFiles(clean && !(dirtyCrashSafe && t.isCrashSafe())); err != nil && first == nil {
			first = err
		}
	}
	if db.wal != nil {
		if err := db.wal.Close(); err != nil && first == nil {
			first = err
		}
	}
	if db.ulog != nil {
		if err := db.ulog.Close(); err != nil && first == nil {
			first = fmt.Errorf("blitz/engine: close update log: %w", err)
		}
	}
	return first
}

// table returns the named table, or 1146.
func (db *DB) table(name string) (*table, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, errors.New("blitz/engine: database is closed")
	}
	t := db.tables[strings.ToLower(name)]
	if t == nil {
		if err := db.broken[strings.ToLower(name)]; err != nil {
			reason := "its definition file is damaged: " + err.Error()
			if d, ok := err.(*damagedDef); ok {
				reason = d.reason()
			}
			return nil, sqlerr.Wrap(sqlerr.ErrCrashedTable, err, "Table '%s' is marked as crashed and should be repaired (%s)", name, reason)
		}
		return nil, sqlerr.New(sqlerr.ErrNoSuchTable, "Table '%s.%s' doesn't exist", db.name(), name)
	}
	return t, nil
}

// damagedDef is why a table's or view's definition file could not be read
// at Open, with the name as its file spells it (the maps that hold it are
// keyed by the lower-case name).
type damagedDef struct {
	name string
	err  error
	// unreadable: the file could not be read at all (err is the I/O
	// error), rather than read and found not to decode.
	unreadable bool
	// missing: the definition file is gone, found by the WAL holding
	// changes of a table whose data file is still there (missingDef).
	missing bool
	// walOps counts the operations of this table the WAL holds (a table's
	// only; set during Open): while it is above 0 the table holds the WAL
	// as a crashed crash-safe table does (keepWALForDamaged).
	walOps int
}

func (d *damagedDef) Error() string { return d.err.Error() }

// missingDef returns a damagedDef for the table name that the WAL holds
// committed changes of, when its definition file is gone but its data file
// is still there: the definition was deleted (by hand, say), not the table
// dropped, since DROP TABLE removes the data file too. Without this the
// first checkpoint would cover those changes as a dropped table's, losing
// them without a word. It returns nil when there is no such data file (a
// dropped table, walorphans.go) or its presence cannot be told.
func (db *DB) missingDef(name string) *damagedDef {
	data := filepath.Join(db.dir, name+dataSuffix)
	if _, err := db.fs.Stat(data); err != nil {
		return nil
	}
	def := name + defSuffix
	db.log.Error("table definition missing while the WAL holds committed changes of the table and its data file is still there",
		"file", filepath.Join(db.dir, def), "data", data)
	return &damagedDef{name: name, missing: true,
		err: fmt.Errorf("blitz/engine: %s is missing (its data file %s is still there)", def, filepath.Base(data))}
}

// reason says what is wrong with the definition file, for messages:
// "its definition file is damaged: ...", with what the WAL keeps.
func (d *damagedDef) reason() string {
	s := "its definition file is damaged: " + d.err.Error()
	if d.unreadable {
		s = "its definition file cannot be read: " + d.err.Error()
	}
	if d.missing {
		s = "its definition file " + strings.TrimPrefix(d.err.Error(), "blitz/engine: ")
		if d.walOps == 0 {
			s += ": " + orphanAdvice(d.name) // orphan.go
		}
	}
	if d.walOps > 0 {
		s += fmt.Sprintf("; the WAL keeps %d of its committed changes (no checkpoint runs meanwhile), replayed at the first open after its definition file is restored from a backup, or discarded by DROP TABLE", d.walOps)
	}
	return s
}

// keepWALForDamaged makes each table whose definition is damaged and whose
// changes the WAL still holds keep the WAL, as a crashed crash-safe table
// awaiting REPAIR does (markCrashed): no checkpoint runs while any does,
// so that restoring the definition file and reopening brings those
// committed changes back. Without it the first checkpoint would cover
// them as if the table had been dropped. DROP TABLE releases the WAL
// (dropBrokenTable). Called by Open after the replay.
func (db *DB) keepWALForDamaged() {
	for _, err := range db.broken {
		if d, ok := err.(*damagedDef); ok && d.walOps > 0 {
			db.deferred++
			db.log.Warn("the WAL holds committed changes of a table whose definition file is damaged: it is kept, and no checkpoint runs, until the definition is restored (then reopen) or the table is dropped",
				"table", d.name, "operations", d.walOps, "err", d.err)
		}
	}
}
func (d *damagedDef) Unwrap() error { return d.err }

// damagedNames returns the names, as their files spell them, of the
// definitions in m (db.broken or db.brokenViews), sorted.
func (db *DB) damagedNames(m map[string]error) []string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	names := make([]string, 0, len(m))
	for k, err := range m {
		if d, ok := err.(*damagedDef); ok {
			k = d.name
		}
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// DamagedTables returns the tables whose definition file could not be read
// at Open, sorted: they answer error 1194 and can only be dropped, and are
// not in Tables.
func (db *DB) DamagedTables() []string { return db.damagedNames(db.broken) }

// DamagedViews is DamagedTables for views (BrokenViews says why).
func (db *DB) DamagedViews() []string { return db.damagedNames(db.brokenViews) }

// Tables returns the table names, sorted.
func (db *DB) Tables() []string {
	var names []string
	for _, t := range db.sortedTables() {
		names = append(names, t.definition().Name)
	}
	return names
}

// Table returns a copy of the named table's definition.
func (db *DB) Table(name string) (*TableDef, error) {
	t, err := db.table(name)
	if err != nil {
		return nil, err
	}
	return t.definition().Clone(), nil
}

// TableShared is Table without the copy, for the statements that run many
// times a second (a point SELECT through the server): it returns the
// table's current definition itself, which the caller must not modify.
// DDL replaces a table's definition and never changes one in place, so a
// definition seen once stays as it was, and a different pointer from a
// later call means the table changed.
func (db *DB) TableShared(name string) (*TableDef, error) {
	t, err := db.table(name)
	if err != nil {
		return nil, err
	}
	return t.definition(), nil
}

// Sync makes every committed change durable now: crash-safe tables are
// checkpointed (their data files written and synced, the WAL marked
// covered) and the data files of the other tables are synced, so that after
// a crash they hold at least everything committed before Sync returned.
func (db *DB) Sync() error {
	if err := db.checkpoint(); err != nil {
		return err
	}
	for _, t := range db.sortedTables() {
		if t.isCrashSafe() {
			continue
		}
		t.mu.RLock() // keeps DDL from swapping the file while it syncs
		var err error
		if t.df != nil {
			err = t.df.Sync()
		}
		t.mu.RUnlock()
		if err != nil {
			return fmt.Errorf("blitz/engine: sync table %s: %w", t.definition().Name, err)
		}
	}
	return nil
}

// checkpointLoop runs checkpoints asked for by commits.
func (db *DB) checkpointLoop() {
	defer close(db.loopDone)
	for {
		select {
		case <-db.ckptDone:
			return
		case <-db.ckptReq:
			if err := db.checkpoint(); err != nil {
				db.log.Error("checkpoint failed", "err", err)
			}
		}
	}
}

// maybeCheckpoint asks for a checkpoint when the WAL has grown enough.
func (db *DB) maybeCheckpoint() {
	if db.wal.Size() >= db.opts.CheckpointBytes {
		select {
		case db.ckptReq <- struct{}{}:
		default:
		}
	}
}

// checkpoint writes every crash-safe table's overlay into its data file,
// syncs the data files and then marks the WAL covered.
func (db *DB) checkpoint() error {
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	return db.checkpointLocked()
}

func (db *DB) checkpointLocked() error {
	db.mu.RLock()
	deferred := db.deferred
	db.mu.RUnlock()
	if db.wal == nil || deferred > 0 {
		return nil // crashed crash-safe tables still need the WAL: keep it all
	}
	orphans := db.walOrphanSnapshot() // covered by this checkpoint if it ends
	var ts []*table
	for _, t := range db.sortedTables() {
		t.mu.RLock()
		open := t.df != nil
		t.mu.RUnlock()
		if open && t.isCrashSafe() {
			ts = append(ts, t)
		}
	}
	db.commitMu.Lock()
	dirty := false
	for _, t := range ts {
		t.mu.RLock()
		dirty = dirty || len(t.overlay) > 0
		t.mu.RUnlock()
	}
	if !dirty && db.wal.Size() == 0 {
		db.commitMu.Unlock()
		db.forgetWALOrphans(orphans)
		return nil
	}
	through, err := db.wal.BeginCheckpoint()
	if errors.Is(err, txn.ErrWriteFailed) && db.undoFailedWriteLocked() == nil {
		through, err = db.wal.BeginCheckpoint() // rolled back: space may be back
	}
	if err != nil {
		if errors.Is(err, txn.ErrWriteFailed) {
			db.undoFailedWriteLocked()
		}
		db.commitMu.Unlock()
		return fmt.Errorf("blitz/engine: begin checkpoint: %w", err)
	}
	for _, t := range ts {
		t.mu.Lock()
		t.frozen, t.overlay = t.overlay, map[string]ovEntry{}
		t.mu.Unlock()
	}
	db.commitMu.Unlock()
	for _, t := range ts {
		if err := t.applyFrozen(); err != nil {
			// Every table gets its frozen changes back (those written
			// already are written again by the next checkpoint), and
			// the WAL forgets this checkpoint, so that the next one may
			// begin once space is back.
			for _, u := range ts {
				u.unfreeze()
			}
			if aerr := db.wal.AbandonCheckpoint(through); aerr != nil {
				db.log.Warn("abandoning a failed checkpoint", "err", aerr)
			}
			return fmt.Errorf("blitz/engine: checkpoint of table %s: %w", t.definition().Name, err)
		}
	}
	for _, t := range ts {
		t.saveAutoAtCheckpoint() // before the WAL that holds the values goes
	}
	if err := db.wal.EndCheckpoint(through); err != nil {
		for _, t := range ts {
			t.unfreeze()
		}
		db.settleWAL(err)
		return fmt.Errorf("blitz/engine: end checkpoint: %w", err)
	}
	db.cnt.checkpoints.Add(1)
	db.forgetWALOrphans(orphans)
	for _, t := range ts {
		t.mu.Lock()
		t.frozen = nil
		t.mu.Unlock()
	}
	return nil
}

// Status returns what SHOW TABLE STATUS shows for the named table.
func (db *DB) Status(name string) (TableStatus, error) {
	t, err := db.table(name)
	if err != nil {
		return TableStatus{}, err
	}
	return t.status(), nil
}

func fileSize(fs vfs.FS, path string) int64 {
	fi, err := fs.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

var _ = index.ErrStale
var _ = datafile.ErrNotFound
