package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// ovEntry is a committed change not yet in the data file: a value, or a
// deletion.
type ovEntry struct {
	val []byte
	del bool
}

type pendingOp struct {
	key string
	e   ovEntry
}

// table is one open table.
type table struct {
	db   *DB
	name string

	wlock  chan struct{}          // the write lock: one Tx holds it from its first write to its end (lock.go)
	holder atomic.Pointer[locker] // who holds wlock, if a locker (deadlock detection, lock.go)

	mu      sync.RWMutex // protects the fields below
	def     *TableDef
	pkPos   []keyPart // parts of the primary key; nil: hidden row id
	ixPos   [][]keyPart
	ixLong  []bool // ixLong[i]: index i's entries can outgrow index.MaxKeySize (longKey)
	df      *datafile.File
	idx     []*index.Index
	overlay map[string]ovEntry // crash-safe: committed, not yet checkpointed
	frozen  map[string]ovEntry // crash-safe: being written by a checkpoint
	crashed string             // why the table needs REPAIR; "" when it is fine
	kb      keyBounds          // the smallest and largest primary key (pkwalk.go)
	// access: crashed says that the process cannot use the data file
	// (permission denied, a directory in its place): not damage, which
	// REPAIR cannot mend. Guarded like crashed.
	access bool
	// deferredReplay: crash-safe table left crashed without auto-recovery; its
	// WAL operations wait in pendingReplay for REPAIR.
	deferredReplay bool
	pendingReplay  []pendingOp

	// provisional: created by CreateTableProvisional and not yet
	// confirmed (provisional.go). Protected by db.mu.
	provisional bool

	// undone counts the rollbacks of failed commits' rows in this table
	// (walfail.go); a write set records it when it takes the write lock.
	undone atomic.Uint64

	ctrMu        sync.Mutex // protects the counters (counters.go)
	autoNext     uint64     // next AUTO_INCREMENT value
	autoReserved uint64     // no value >= this has been handed out (persisted in the .def)
	rowNext      uint64     // next hidden row id
	rowReserved  uint64
	// autoSaved is the auto_next the .def holds (0: none; see writeDef).
	// Only holders of the table's write lock write the .def, so besides
	// ctrMu it changes under that lock (or at open and close, when nothing
	// else runs).
	autoSaved uint64
	// autoRecover is set at open for a crash-safe table an unclean
	// shutdown left behind, whose counter recoverAuto sets once the WAL is
	// replayed (at open, or by REPAIR for a table left crashed); walAuto is
	// one past the largest AUTO_INCREMENT value the replayed WAL puts carry
	// (0: none). Both belong to open and Repair.
	autoRecover bool
	walAuto     uint64
}

func newTable(db *DB, def *TableDef) *table {
	t := &table{db: db, name: def.Name, wlock: make(chan struct{}, 1), overlay: map[string]ovEntry{}}
	t.setDefLocked(def)
	if t.autoNext == 0 {
		t.autoNext, t.autoReserved = 1, 1
	}
	return t
}

func (t *table) setDefLocked(def *TableDef) {
	t.def = def
	t.name = def.Name
	if t.db != nil {
		t.db.defChanged()
	}
	t.pkPos = def.primaryParts()
	t.ixPos = make([][]keyPart, len(def.Indexes))
	t.ixLong = make([]bool, len(def.Indexes))
	for i := range def.Indexes {
		t.ixPos[i] = def.indexParts(&def.Indexes[i])
		t.ixLong[i] = def.longKey(t.ixPos[i])
	}
}

func (t *table) definition() *TableDef {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.def
}

func (t *table) isCrashSafe() bool { return t.definition().CrashSafe }

func (t *table) dataPath() string { return filepath.Join(t.db.dir, t.name+dataSuffix) }
func (t *table) defPath() string  { return filepath.Join(t.db.dir, t.name+defSuffix) }
func (t *table) indexPath(name string) string {
	return filepath.Join(t.db.dir, IndexFileName(t.name, name))
}

func (t *table) setCrashed(reason string) {
	t.mu.Lock()
	t.crashed, t.access = reason, false
	t.mu.Unlock()
}

// accessErr is the error of a table whose data file the process cannot
// use (table.access): MySQL's 1016, naming the file and the problem.
func (t *table) accessErr(reason string) error {
	return sqlerr.New(sqlerr.ErrCantOpenFile,
		"Can't open the data file of table '%s': %s (not damage: REPAIR TABLE cannot help; fix the file, then reopen the database)", t.name, reason)
}

// dataFileAccess returns an error naming the data file at path and the
// problem if the process cannot use it as one: a directory or other
// non-regular file in its place, or no permission to read and write it.
// A missing file is not its business (nil).
func dataFileAccess(fsys vfs.FS, path string) error {
	fi, err := fsys.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return err
		}
		return nil
	}
	if !fi.Mode().IsRegular() {
		what := "not a regular file"
		if fi.IsDir() {
			what = "a directory"
		}
		return fmt.Errorf("%s is %s, not a data file: move it away, and restore the data file from a backup", path, what)
	}
	f, err := fsys.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("%w: the user running blitz must be able to read and write it", err)
		}
		return nil
	}
	f.Close()
	return nil
}

// markUnavailable is markCrashed for a data file the process cannot use
// (dataFileAccess's err).
func (t *table) markUnavailable(err error) {
	t.markCrashed(err.Error())
	t.access = true
	t.db.log.Error("table data file cannot be used", "table", t.name, "err", err)
}

// crashedErr is MySQL's 1194 for this table.
func (t *table) crashedErr(reason string) error {
	return sqlerr.New(sqlerr.ErrCrashedTable,
		"Table '%s' is marked as crashed and should be repaired (%s; run REPAIR TABLE %s, or open the database with the auto-recover option)",
		t.name, reason, t.name)
}

// usable returns 1194 if the table needs repair.
func (t *table) usable() error {
	t.mu.RLock()
	reason, access := t.crashed, t.access
	t.mu.RUnlock()
	if access {
		return t.accessErr(reason)
	}
	if reason != "" {
		return t.crashedErr(reason)
	}
	return nil
}

func (t *table) dfOptions() datafile.Options { return datafile.Options{FS: t.db.fs} }

// openFiles opens the data file and the index files at database open,
// detecting an unclean shutdown. It reports whether the indexes must be
// rebuilt.
func (t *table) openFiles(ctx context.Context, ckptInterrupted bool) (rebuild bool, err error) {
	fs, path := t.db.fs, t.dataPath()
	if _, err := fs.Stat(path); isNotExist(err) {
		// CREATE TABLE makes the data file durable before the definition
		// (its commit point), so a definition without its data file is a
		// file lost to something else, not a crash: the table says so
		// until the file is restored or REPAIR TABLE starts it empty.
		// (Databases of builds before that order could also show this
		// after a crash during CREATE TABLE; REPAIR serves them too.)
		t.db.log.Warn("data file missing: restore it from a backup, or REPAIR TABLE to start the table empty (its rows are lost)",
			"table", t.name, "file", path)
		t.markCrashed(fmt.Sprintf("its data file %s is missing: restore it from a backup, or REPAIR TABLE to start the table empty (its rows are lost)", filepath.Base(path)))
		return false, nil
	}
	if err := dataFileAccess(fs, path); err != nil {
		// Not damage, and nothing to recover: REPAIR or a salvage
		// would only fail on it too.
		t.markUnavailable(err)
		return false, nil
	}
	ro, err := datafile.Open(path, datafile.Options{FS: fs, ReadOnly: true})
	var flags datafile.Flags
	reason := ""
	if err != nil {
		reason = fmt.Sprintf("its data file cannot be opened: %v", err)
		flags = datafile.FlagFatal
	} else {
		flags = ro.FoundFlags()
		ro.Close()
		switch {
		case flags&datafile.FlagFatal != 0:
			reason = "damage was seen in its data file"
		case flags&datafile.FlagOpen != 0:
			reason = "it was not closed cleanly"
		}
	}
	// A crash-safe table whose data file is only flagged open, with no
	// checkpoint cut short, lost nothing: the file holds every completed
	// (synced) checkpoint and the WAL replays the rest. It recovers at
	// every open, AutoRecover or not.
	walOnly := reason != "" && t.def.CrashSafe && flags&datafile.FlagFatal == 0 && !ckptInterrupted
	if reason != "" && !t.db.opts.AutoRecover && !walOnly {
		t.markCrashed(reason)
		t.db.log.Warn("table needs repair", "table", t.name, "reason", reason)
		return false, nil
	}
	if reason != "" {
		damaged := flags&datafile.FlagFatal != 0 || !t.def.CrashSafe || ckptInterrupted
		salvaged := false
		if damaged {
			var what string
			if what, err = t.verifyAndSalvage(ctx); err != nil {
				if ctx.Err() != nil {
					return false, recoveryStopped(t.name, err)
				}
				// markCrashed: a crash-safe table keeps the WAL its
				// REPAIR will replay (a checkpoint would skip a table
				// whose file is not open, and count its changes written).
				t.markCrashed(fmt.Sprintf("salvage failed: %v", err))
				t.db.log.Error("salvage failed: the table needs REPAIR", "table", t.name, "err", err)
				return false, nil
			}
			salvaged = what != ""
		}
		t.autoRecover = t.def.CrashSafe && !salvaged
	}
	df, err := datafile.Open(path, t.dfOptions())
	if err != nil {
		if errors.Is(err, datafile.ErrLocked) {
			return false, fmt.Errorf("blitz/engine: %w", err)
		}
		t.markCrashed(fmt.Sprintf("its data file cannot be opened: %v", err)) // as above
		return false, nil
	}
	t.df = df
	if off := df.DamagedHeaderSlot(); off >= 0 {
		t.db.log.Warn("data file header slot rewritten (it did not verify; the other copy did)", "table", t.name, "offset", off)
	}
	if reason != "" {
		t.db.cnt.recovered.Add(1)
		t.db.log.Info("table recovered from an unclean shutdown", "table", t.name, "reason", reason, "records", df.HeaderStats().Records)
		return len(t.def.Indexes) > 0, nil
	}
	return t.openIndexes()
}

// openIndexes opens every index file; a missing, stale or damaged one is
// marked for rebuild.
func (t *table) openIndexes() (rebuild bool, err error) {
	t.idx = make([]*index.Index, len(t.def.Indexes))
	for i, ixd := range t.def.Indexes {
		ix, err := index.Open(t.indexPath(ixd.Name), t.df.FoundGeneration(), t.indexOptions(ixd))
		if err != nil {
			if errors.Is(err, index.ErrStale) {
				t.db.log.Info("index file stale or missing: rebuilding", "table", t.name, "index", ixd.Name, "reason", err)
				rebuild = true
				continue
			}
			return false, fmt.Errorf("blitz/engine: open index %s of %s: %w", ixd.Name, t.name, err)
		}
		t.idx[i] = ix
	}
	return rebuild, nil
}

func (t *table) indexOptions(ixd IndexDef) index.Options {
	return index.Options{Unique: ixd.Unique, BufferBytes: t.db.opts.IndexBufferBytes}
}

// markCrashed leaves the table, at open, refusing use (1194) until REPAIR:
// a crash-safe one keeps the WAL it still needs for the repair to replay.
func (t *table) markCrashed(reason string) {
	t.crashed = reason
	if t.def.CrashSafe {
		t.deferredReplay = true
		t.autoRecover = true // by REPAIR
		t.db.deferred++
	}
	t.db.cnt.crashed.Add(1)
}

// verifyAndSalvage verifies the (closed) data file and, if damaged,
// salvages it: the damaged original is kept as T.bdf.crashed-<UTC time>.
func (t *table) verifyAndSalvage(ctx context.Context) (salvaged string, err error) {
	fs, path := t.db.fs, t.dataPath()
	rep, err := datafile.VerifyCrashedContext(ctx, path, datafile.Options{FS: fs, ReadOnly: true})
	if err != nil && ctx.Err() != nil {
		return "", err
	}
	if err == nil && !rep.NeedsSalvage() {
		// A crashed file with nothing damaged: the writer's reopen
		// rebuilds its chains, count and free pool in place.
		return "", nil
	}
	start := time.Now()
	tmp := path + ".salvage"
	srep, err := datafile.SalvageContext(ctx, path, tmp, datafile.Options{FS: fs})
	if err != nil {
		return "", err
	}
	keep := path + ".crashed-" + time.Now().UTC().Format("20060102T150405.000Z")
	if err := copyFile(fs, path, keep); err != nil {
		return "", fmt.Errorf("keep damaged original: %w", err)
	}
	if err := fs.Rename(tmp, path); err != nil {
		return "", err
	}
	if err := fs.SyncDir(t.db.dir); err != nil {
		return "", err
	}
	attrs := []any{"table", t.name, "kept", srep.Kept, "dropped_regions", srep.Damaged, "dropped_bytes", srep.DamagedSize,
		"superseded", srep.Superseded, "original", keep, "seconds", time.Since(start).Seconds()}
	for i, d := range srep.Drops {
		if i == 10 {
			break
		}
		attrs = append(attrs, fmt.Sprintf("drop%d", i), fmt.Sprintf("offset %d length %d: %s", d.Offset, d.Length, d.Reason))
	}
	t.db.cnt.salvaged.Add(1)
	t.db.log.Warn("data file salvaged", attrs...)
	what := fmt.Sprintf("data file salvaged: %d rows kept", srep.Kept)
	if srep.Damaged > 0 {
		what += fmt.Sprintf(", %d damaged regions (%d bytes) dropped: rows in them are lost", srep.Damaged, srep.DamagedSize)
	}
	return what + "; the damaged original is kept as " + filepath.Base(keep), nil
}

func copyFile(fs vfs.FS, src, dst string) error {
	in, err := vfs.Open(fs, src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := vfs.Create(fs, dst)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, rerr := in.ReadAt(buf, off)
		if n > 0 {
			if _, err := out.WriteAt(buf[:n], off); err != nil {
				out.Close()
				return err
			}
			off += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// closeFiles closes the table's files; clean closes stamp the indexes.
//
// A clean close writes the exact counters into the definition before it
// marks the data file clean: a data file found clean is opened without
// recovery, with the counters the definition holds, so with the other
// order a power cut between the two brought AUTO_INCREMENT back at the end
// of its reservation (up to reserveStep above the last value). In this
// order a cut between them leaves the data file unclean, and recovery
// (recoverAuto) or, for a plain table, the reservation now equal to the
// exact counter, resumes at the exact value.
func (t *table) closeFiles(clean bool) error {
	var err error
	if clean {
		err = t.saveCounters(true)
	}
	if cerr := t.closeFilesLocked(clean); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func (t *table) closeFilesLocked(clean bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var first error
	for _, ix := range t.idx {
		if ix == nil {
			continue
		}
		var err error
		if clean && t.df != nil {
			err = ix.Close(t.df.Generation())
		} else {
			err = ix.Abandon()
		}
		if err != nil && first == nil {
			first = err
		}
	}
	t.idx = nil
	if t.df != nil {
		if clean && len(t.overlay) > 0 {
			// Overlay rows live only in the WAL (the checkpoint was skipped
			// for a crashed table): the file is fine, the next open replays.
		}
		if err := t.df.Close(); err != nil && first == nil {
			first = err
		}
		t.df = nil
	}
	return first
}

// scanMerged calls fn with every committed (key, value): the data file
// merged with the overlays. fn's arguments are valid only during the call.
// The data file is read in one pass and copied first, so fn may read the
// table.
func (t *table) scanMerged(fn func(key, val []byte) error) error {
	return t.scanMergedKeep(context.Background(), nil, fn)
}

// scanMergedCtx is scanMerged that stops, with ctx.Err(), soon after ctx
// is done, the copy included (it looks every checkEvery records): the
// scan of long DDL (CREATE INDEX, ALTER TABLE's copy, REPAIR).
func (t *table) scanMergedCtx(ctx context.Context, fn func(key, val []byte) error) error {
	return t.scanMergedKeep(ctx, nil, fn)
}

// scanMergedKeep is scanMerged that leaves out the data file's records
// whose key and value keep rejects before copying them (keep runs under
// the file's read lock: it must only look at its arguments). A selective
// pre-filter then spares the copy of most of the table.
func (t *table) scanMergedKeep(ctx context.Context, keep func(key, val []byte) bool, fn func(key, val []byte) error) error {
	df, over, err := t.mergeSources()
	if err != nil {
		return err
	}
	// The records are copied under the file's lock into one buffer of
	// length-prefixed (key, value) pairs, then handed to fn without the
	// lock. One pointer-free buffer instead of a slice of slice pairs: a
	// million rows used to cost a 48-byte pointer-holding header each,
	// which the garbage collector had to scan on every cycle of the scan.
	size := df.RecordBytes() // not Stats, which reads the whole bucket array
	if keep != nil {
		// A guess: append grows it if the filter keeps more. A narrow
		// range of keys keeps next to nothing of a big table.
		size = min(size/4, 64<<10)
	}
	buf := make([]byte, 0, size)
	n := 0
	err = df.Iterate(func(k, v []byte) error {
		if n++; n%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if _, ok := over[string(k)]; ok {
			return nil
		}
		if keep != nil && !keep(k, v) {
			return nil
		}
		buf = appendKV(buf, k, v)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return err
		}
		return t.dataErr(err)
	}
	if err := eachKV(buf, fn); err != nil {
		return err
	}
	return overlayRows(over, fn)
}

// mergeSources returns what a merged scan reads: the data file and a copy
// of the overlays (frozen first, the live overlay winning).
func (t *table) mergeSources() (*datafile.File, map[string]ovEntry, error) {
	t.mu.RLock()
	df, over := t.df, t.overlayCopyLocked()
	t.mu.RUnlock()
	if df == nil {
		return nil, nil, t.crashedErr("its data file is not open")
	}
	return df, over, nil
}

// overlayCopyLocked returns a copy of the committed rows not yet in the
// data file: the frozen overlay of a running checkpoint, then the live
// overlay over it. The caller holds t.mu.
func (t *table) overlayCopyLocked() map[string]ovEntry {
	over := make(map[string]ovEntry, len(t.overlay)+len(t.frozen))
	for k, e := range t.frozen {
		over[k] = e
	}
	for k, e := range t.overlay {
		over[k] = e
	}
	return over
}

// overlayRows calls fn with the overlay's live rows in key order: the rows
// a merged scan adds after the data file's.
func overlayRows(over map[string]ovEntry, fn func(key, val []byte) error) error {
	keys := make([]string, 0, len(over))
	for k, e := range over {
		if !e.del {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), over[k].val); err != nil {
			return err
		}
	}
	return nil
}

// appendKV appends one (key, value) pair, each length-prefixed, to the
// copy buffers of merged scans; eachKV reads them back.
func appendKV(buf, k, v []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(k)))
	buf = append(buf, k...)
	buf = binary.AppendUvarint(buf, uint64(len(v)))
	return append(buf, v...)
}

// eachKV calls fn with every pair appendKV wrote to p, until fn fails.
func eachKV(p []byte, fn func(key, val []byte) error) error {
	for len(p) > 0 {
		kl, n := binary.Uvarint(p)
		k := p[n : n+int(kl) : n+int(kl)]
		p = p[n+int(kl):]
		vl, n := binary.Uvarint(p)
		v := p[n : n+int(vl) : n+int(vl)]
		p = p[n+int(vl):]
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// dataErr turns a data-file error into what a client should see: damage
// marks the file fatal and the table crashed.
func (t *table) dataErr(err error) error {
	if datafile.IsCorruption(err) {
		t.mu.Lock()
		if t.df != nil {
			t.df.MarkFatal(err.Error())
		}
		t.crashed = fmt.Sprintf("damage found: %v", err)
		t.mu.Unlock()
		return t.crashedErr(fmt.Sprintf("damage found: %v", err))
	}
	return err
}

// getCommitted returns the committed value of key.
func (t *table) getCommitted(key []byte) ([]byte, bool, error) {
	t.mu.RLock()
	if e, ok := t.overlay[string(key)]; ok {
		t.mu.RUnlock()
		return e.val, !e.del, nil
	}
	if e, ok := t.frozen[string(key)]; ok {
		t.mu.RUnlock()
		return e.val, !e.del, nil
	}
	df := t.df
	t.mu.RUnlock()
	if df == nil {
		return nil, false, t.crashedErr("its data file is not open")
	}
	v, err := df.Get(key)
	if errors.Is(err, datafile.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, t.dataErr(err)
	}
	return v, true, nil
}

// indexesBuiltHook, when set by a test, is called by rebuildIndexes between
// building the new index files and opening them: a test runs there what
// may run beside a rebuild (a checkpoint). Tests that set it do not run in
// parallel.
var indexesBuiltHook func(t *table)

// rebuildIndexes discards every index file of the table and builds them
// again from the data, in parallel. The old indexes stay in use until the
// new files are built: when the build fails, or ctx is done first (1317,
// interrupted), the table keeps them.
func (t *table) rebuildIndexes(ctx context.Context) error {
	t.mu.RLock()
	def, df := t.def, t.df
	old := t.idx
	t.mu.RUnlock()
	if df == nil {
		return fmt.Errorf("cannot rebuild the indexes of %s: its data file is not open", t.name)
	}
	// The old indexes are closed only once the new files are in place
	// (Build renames them over the old ones, which stay open on their own
	// inodes meanwhile): a build that fails or is interrupted leaves them.
	abandonOld := func() {
		for _, ix := range old {
			if ix != nil {
				ix.Abandon()
			}
		}
	}
	if len(def.Indexes) == 0 {
		abandonOld()
		t.mu.Lock()
		t.idx = nil
		t.mu.Unlock()
		return nil
	}
	start := time.Now()
	specs := make([]index.BuildSpec, len(def.Indexes))
	// Build asks every spec for the entries of one row in turn: decode
	// the row once for all of them.
	var lastPK []byte
	var lastRow Row
	var lastErr error
	decode := func(pk, row []byte) (Row, error) {
		if lastPK == nil || !bytes.Equal(pk, lastPK) {
			lastPK = append(lastPK[:0], pk...)
			lastRow, lastErr = decodeRow(row, def)
		}
		return lastRow, lastErr
	}
	for i, ixd := range def.Indexes {
		pos := def.indexParts(&ixd)
		specs[i] = index.BuildSpec{Path: t.indexPath(ixd.Name), Unique: ixd.Unique,
			Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
				r, err := decode(pk, row)
				if err != nil {
					return dst, fmt.Errorf("row with key %x does not decode: %w", pk, err)
				}
				return append(dst, encodeCols(nil, def, r, pos)), nil
			}}
	}
	var progress func(int64, int64)
	if p := t.db.opts.Progress; p != nil {
		total := df.HeaderStats().Records
		progress = func(rows, entries int64) { p("rebuild indexes of "+t.name, rows, total) }
	}
	// The files are stamped with, and opened at, one reading of the
	// generation. It may move on meanwhile: a checkpoint running beside
	// the rebuild (the one an auto-recovering Open asks for, while REPAIR
	// holds the table but not ckptMu) writes the overlay the WAL replay
	// left into the data file, and that first write of the session bumps
	// the generation. Reading it again for Open made Open refuse the
	// files just built ("stamped 2, want 3"). The rows do not change (the
	// caller holds the table, or Open runs alone), and a file stamped with
	// the generation before is never trusted wrongly: the data file is
	// flagged open from its first write until a clean close, which
	// restamps every index with the generation it closes at.
	gen := df.Generation()
	st, err := index.Build(ctx, func(yield func(pk, row []byte) error) error {
		return t.scanMergedCtx(ctx, yield)
	}, specs, index.BuildOptions{Stamp: gen, TempDir: t.db.dir, Progress: progress})
	if err != nil {
		var dup *index.DuplicateError
		if errors.As(err, &dup) {
			return sqlerr.Wrap(sqlerr.ErrDupEntry, err, "Duplicate entry found while building an index of %s: %v", t.name, err)
		}
		return interrupted(ctx, err)
	}
	abandonOld()
	if h := indexesBuiltHook; h != nil {
		h(t)
	}
	idx := make([]*index.Index, len(def.Indexes))
	for i, ixd := range def.Indexes {
		ix, err := index.Open(specs[i].Path, gen, t.indexOptions(ixd))
		if err != nil {
			return fmt.Errorf("open rebuilt index %s: %w", ixd.Name, err)
		}
		idx[i] = ix
	}
	t.mu.Lock()
	t.idx = idx
	t.mu.Unlock()
	var entries int64
	for _, e := range st.Entries {
		entries += e
	}
	t.db.cnt.rebuilds.Add(1)
	t.db.log.Info("indexes rebuilt", "table", t.name, "indexes", len(idx), "rows", st.Rows, "entries", entries,
		"seconds", time.Since(start).Seconds())
	return nil
}

// applyFrozen writes a checkpoint's frozen overlay into the data file and
// syncs it. A table with nothing frozen is not touched: DDL may be closing
// its files (it holds the table's write lock, so no commit can have put
// anything in its overlay since its own checkpoint).
func (t *table) applyFrozen() error {
	t.mu.RLock()
	frozen, df := t.frozen, t.df
	t.mu.RUnlock()
	if len(frozen) == 0 {
		return nil
	}
	if df == nil {
		return fmt.Errorf("the data file of %s was closed with %d changes not yet written to it", t.name, len(frozen))
	}
	keys := make([]string, 0, len(frozen))
	for k := range frozen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := frozen[k]
		var err error
		if e.del {
			if err = df.Delete([]byte(k)); errors.Is(err, datafile.ErrNotFound) {
				err = nil
			}
		} else {
			err = df.Put([]byte(k), e.val)
		}
		if err != nil {
			return err
		}
	}
	return df.Sync()
}

// unfreeze puts a failed checkpoint's frozen overlay back (newer overlay
// entries win).
func (t *table) unfreeze() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.frozen {
		if _, ok := t.overlay[k]; !ok {
			t.overlay[k] = e
		}
	}
	t.frozen = nil
}

// status is SHOW TABLE STATUS for the table.
func (t *table) status() TableStatus {
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := TableStatus{CrashSafe: t.def.CrashSafe, Crashed: t.crashed != ""}
	t.ctrMu.Lock()
	st.AutoIncrement = t.autoNext
	t.ctrMu.Unlock()
	if t.df != nil {
		s := t.df.HeaderStats()
		st.Rows, st.DataLength, st.DataFree = s.Records, s.FileSize, s.FreeBytes
		// Record bytes: the file's blocks less header, bucket array and
		// free space, plus the rows a crash-safe table holds in its
		// overlay until the next checkpoint.
		bytes := max(s.FileSize-s.FreeBytes-s.Buckets*8-datafile.HeaderBytes, 0)
		if s.Records == 0 {
			bytes = 0
		}
		for _, m := range []map[string]ovEntry{t.frozen, t.overlay} {
			for k, e := range m {
				_, err := t.df.Get([]byte(k))
				in := err == nil
				switch {
				case e.del && in:
					st.Rows--
				case !e.del && !in:
					st.Rows++
					bytes += int64(len(k) + len(e.val))
				}
			}
		}
		if st.Rows > 0 {
			st.AvgRowLength = bytes / st.Rows
		}
	}
	for _, ixd := range t.def.Indexes {
		st.IndexLength += fileSize(t.db.fs, t.indexPath(ixd.Name))
	}
	if st.Rows < 0 {
		st.Rows = 0
	}
	return st
}

// writeDef replaces the definition file atomically, with the counters
// autoNext (the AUTO_INCREMENT counter now), autoRes and rowRes (the
// reservations): see "Definition file" in schema.go.
func (t *table) writeDef(def *TableDef, autoNext, autoRes, rowRes uint64) error {
	if err := t.writeDefFile(def, autoNext, autoRes, rowRes); err != nil {
		return err
	}
	t.autoSaved = autoNext
	return nil
}

func (t *table) writeDefFile(def *TableDef, autoNext, autoRes, rowRes uint64) error {
	b, err := encodeDef(def, autoNext, autoRes, rowRes)
	if err != nil {
		return err
	}
	path := filepath.Join(t.db.dir, def.Name+defSuffix)
	if err := vfs.WriteFileAtomic(t.db.fs, path, b); err != nil {
		return fmt.Errorf("blitz/engine: write %s: %w", path, err)
	}
	return nil
}

// encodeKey returns the data-file key of r (its primary key); tables
// without one get a new hidden row id.
func (t *table) encodeKey(def *TableDef, pkPos []keyPart, r Row) ([]byte, error) {
	if pkPos == nil {
		id, err := t.nextRowID()
		if err != nil {
			return nil, err
		}
		return appendKeyValue(nil, id), nil
	}
	// Room for an integer key without growing; a longer one grows.
	return encodeCols(make([]byte, 0, 16*len(pkPos)), def, r, pkPos), nil
}

func eqFold(a, b string) bool { return strings.EqualFold(a, b) }

var _ = bytes.Equal
