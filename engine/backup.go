package engine

// Hot backup.
//
// (*DB).Backup copies every table as of one moment while writes continue.
//
//  1. It takes the DDL mutex until the copies are done (DDL waits) and
//     checks that no table needs repair.
//  2. The moment: it takes the write lock of every table (so no
//     transaction is between its update-log append and its early lock
//     release), the checkpoint mutex (held until the copies are done, so
//     no checkpoint rewrites a CRASH_SAFE data file meanwhile), then the
//     commit mutex exclusively; it copies each CRASH_SAFE table's overlay
//     (committed rows not yet checkpointed) and the counters, notes the
//     update log's last sequence number and the time, and releases the
//     commit mutex and the CRASH_SAFE tables' write locks at once.
//  3. CRASH_SAFE tables' data files only change at checkpoints, so they are
//     copied without any table lock. Plain tables' data files are written in
//     place by commits, so each is copied while its write lock is still held
//     (from the moment on) and released right after its copy: a plain
//     table's writers wait for that table's copy. Plain tables are copied
//     into memory first (up to backupMemBytes in all), so their writers wait
//     for a memory copy; a plain table beyond the budget is written to dest
//     under its lock, and its writers wait for the disk copy (its size over
//     the write rate). MaxPause reports the longest such wait.
//  4. A live data file's header is stale and flagged open: the copy is
//     datafile.(*File).WriteSnapshot, the image a clean Close would leave.
//  5. In dest, each copied CRASH_SAFE file gets its overlay snapshot
//     applied, and every table's indexes are rebuilt from the copied rows,
//     stamped and with their checksum sidecars, so that Open(dest) needs no
//     recovery and CHECK TABLE says OK. Definitions are written with the
//     counters of the moment. Views' .view files are written from the
//     definitions of the moment (the DDL mutex keeps them from changing).
//  6. BACKUP.json is written last and synced (with the directory): a
//     directory without it is not a backup.
//
// Before it copies anything, Backup writes BACKUP.partial (text: the
// source directory and the start time, for a person reading it) into
// dest, and removes it after BACKUP.json. Open refuses a directory that
// holds BACKUP.partial without BACKUP.json: a backup killed or cut short,
// which would otherwise open as a database with tables missing.
//
// # BACKUP.json (format version 1)
//
//	{
//	  "format": 1,
//	  "time": "2026-11-23T11:00:00.123456789Z",  // the moment (UTC)
//	  "ulog_seq": 42,        // last update-log record in the backup (0: no log)
//	  "tables": [{"name": "t", "crash_safe": true, "rows": 10}],
//	  "views": ["v"],        // the views (V.view files; absent when none)
//	  "files": [{"name": "t.bdf", "size": 8192}, ...],  // every file but BACKUP.json
//	  "bytes": 123456,       // sum of the file sizes
//	  "crc32c": "9d1e0b7a"   // optional, last (filesum.go): manifests without it read unchecked
//	}

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// BackupFormat is the version of BACKUP.json.
const BackupFormat = 1

// BackupManifest is the name of the manifest file of a backup directory.
const BackupManifest = "BACKUP.json"

// backupPartial marks a backup directory being written (see the top of
// the file).
const backupPartial = "BACKUP.partial"

// checkBackupFinished returns an error if dir holds a backup that did not
// finish: BACKUP.partial without BACKUP.json.
func checkBackupFinished(fs vfs.FS, dir string) error {
	if _, err := fs.Stat(filepath.Join(dir, backupPartial)); err != nil {
		return nil
	}
	if _, err := fs.Stat(filepath.Join(dir, BackupManifest)); err == nil {
		return nil
	}
	return fmt.Errorf("blitz/engine: %s holds a backup that did not finish (%s is there, %s is not): it is not a database; remove the directory and take the backup again",
		dir, backupPartial, BackupManifest)
}

// BackupInfo describes a finished backup.
type BackupInfo struct {
	Time     time.Time     // the moment the backup shows
	ULogSeq  uint64        // last update-log record it contains (0 without a log)
	Files    int           // files written, BACKUP.json included
	Bytes    int64         // bytes written, BACKUP.json included
	MaxPause time.Duration // longest time a writer of some table was held up by the backup
}

// BackupManifestFile is the decoded BACKUP.json.
type BackupManifestFile struct {
	Format  int           `json:"format"`
	Time    time.Time     `json:"time"`
	ULogSeq uint64        `json:"ulog_seq"`
	Tables  []BackupTable `json:"tables"`
	Views   []string      `json:"views,omitempty"`
	Files   []BackupFile  `json:"files"`
	Bytes   int64         `json:"bytes"`
	// Checksum is "crc32c", the last member (filesum.go): a flipped digit
	// of ulog_seq would otherwise make a restore replay the update log
	// from the wrong record.
	Checksum string `json:"crc32c,omitempty"`
}

// BackupTable is one table of a backup.
type BackupTable struct {
	Name      string `json:"name"`
	CrashSafe bool   `json:"crash_safe"`
	Rows      int64  `json:"rows"`
}

// BackupFile is one file of a backup.
type BackupFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// ReadBackupManifest reads and checks dir/BACKUP.json.
func ReadBackupManifest(fs vfs.FS, dir string) (*BackupManifestFile, error) {
	if fs == nil {
		fs = vfs.Default
	}
	path := filepath.Join(dir, BackupManifest)
	b, err := vfs.ReadFile(fs, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := fs.Stat(dir); serr != nil {
				return nil, fmt.Errorf("blitz/engine: backup %s: %w", dir, serr)
			}
			return nil, fmt.Errorf("blitz/engine: %s is not a backup (no %s; an interrupted backup has none)", dir, BackupManifest)
		}
		return nil, fmt.Errorf("blitz/engine: read %s: %w", path, err)
	}
	var m BackupManifestFile
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("blitz/engine: backup manifest %s is damaged: %v", path, err)
	}
	if err := verifyFileChecksum(b); err != nil {
		return nil, fmt.Errorf("blitz/engine: backup manifest %s is damaged: %v", path, err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("blitz/engine: backup manifest %s has unsupported format %d (this build reads %d)", path, m.Format, BackupFormat)
	}
	if m.Time.IsZero() {
		return nil, fmt.Errorf("blitz/engine: backup manifest %s has no time", path)
	}
	for _, f := range m.Files {
		if f.Name == "" || f.Name != filepath.Base(f.Name) || f.Name == BackupManifest || f.Size < 0 {
			return nil, fmt.Errorf("blitz/engine: backup manifest %s lists a bad file name %q", path, f.Name)
		}
	}
	return &m, nil
}

// emptyOrMissing reports whether dir is missing or an empty directory.
func emptyOrMissing(fs vfs.FS, dir string) (bool, error) {
	fi, err := fs.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, nil
	}
	names, err := fs.ReadDir(dir)
	return len(names) == 0, err
}

// lockAllTables takes the write lock of every table in ts, with db.txGate
// held so that no new transaction takes a first lock. A transaction already
// holding one lock may wait for another: on a short wait the locks taken
// are given back (letting it finish) and the round starts again, until ctx
// ends or lockTimeout passes.
func lockAllTables(ctx context.Context, ts []*table) error {
	deadline := time.Now().Add(lockTimeout)
	for {
		n := 0
		timer := time.NewTimer(50 * time.Millisecond)
	round:
		for _, t := range ts {
			select {
			case t.wlock <- struct{}{}:
				n++
			case <-ctx.Done():
				break round
			case <-timer.C:
				break round
			}
		}
		timer.Stop()
		if n == len(ts) {
			return nil
		}
		for _, t := range ts[:n] {
			release(t)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blitz/engine: backup: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("blitz/engine: backup: could not lock every table within %v (a long transaction holds one)", lockTimeout)
		}
	}
}

// offsetWriter adapts a vfs.File to io.Writer.
type offsetWriter struct {
	f   vfs.File
	off int64
}

func (w *offsetWriter) Write(b []byte) (int, error) {
	n, err := w.f.WriteAt(b, w.off)
	w.off += int64(n)
	return n, err
}

type backupTable struct {
	t        *table
	def      *TableDef
	df       *datafile.File
	overlay  map[string]ovEntry
	autoNext uint64
	rowNext  uint64
	locked   bool
	image    []byte // the data file's snapshot, when copied into memory
}

// backupMemBytes bounds the memory Backup uses to copy plain tables' data
// files while their writers wait (beyond it they wait for the disk copy).
var backupMemBytes int64 = 256 << 20

// CrashedTablesError is returned by Backup when tables are marked as crashed
// (error 1194, which it wraps): a backup copies every table as of one
// moment, and a crashed table has no state to copy until it is repaired, so
// no backup is made. Tables names them all, sorted.
type CrashedTablesError struct {
	Tables []string
	err    *sqlerr.Error
}

// newCrashedTablesError says that the tables ts are crashed; last is the
// 1194 error of the last of them, which names its reason.
func newCrashedTablesError(ts []*table, last error) *CrashedTablesError {
	e := &CrashedTablesError{}
	for _, t := range ts {
		e.Tables = append(e.Tables, t.name)
	}
	if len(ts) == 1 {
		e.err = sqlerr.New(sqlerr.ErrCrashedTable, "%s; a backup copies every table, so none was made", sqlerr.As(last).Message)
		return e
	}
	e.err = sqlerr.New(sqlerr.ErrCrashedTable,
		"Tables '%s' are marked as crashed and should be repaired (run REPAIR TABLE %s, or open the database with the auto-recover option); a backup copies every table, so none was made",
		strings.Join(e.Tables, "', '"), strings.Join(e.Tables, ", "))
	return e
}

func (e *CrashedTablesError) Error() string { return "blitz/engine: backup: " + e.err.Error() }
func (e *CrashedTablesError) Unwrap() error { return e.err }

// Backup writes a consistent copy of every table, as of one moment, into
// dest (which must be missing or empty) while writes continue. See the
// comment at the top of backup.go for the procedure and BACKUP.json.
func (db *DB) Backup(ctx context.Context, dest string) (info BackupInfo, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	fs := db.fs
	db.mu.RLock()
	closed := db.closed
	var brokenNames []string
	for n := range db.broken {
		brokenNames = append(brokenNames, n)
	}
	for n := range db.brokenViews {
		brokenNames = append(brokenNames, n)
	}
	db.mu.RUnlock()
	if closed {
		return info, errors.New("blitz/engine: backup: database is closed")
	}
	if abs, err := filepath.Abs(dest); err == nil {
		if dabs, err := filepath.Abs(db.dir); err == nil && abs == dabs {
			return info, fmt.Errorf("blitz/engine: backup destination %s is the database directory", dest)
		}
	}
	ok, err := emptyOrMissing(fs, dest)
	if err == nil && !ok {
		return info, fmt.Errorf("blitz/engine: backup destination %s exists and is not empty", dest)
	}
	if err != nil {
		return info, fmt.Errorf("blitz/engine: backup destination %s: %w", dest, err)
	}
	if len(brokenNames) > 0 {
		sort.Strings(brokenNames)
		return info, fmt.Errorf("blitz/engine: backup: no backup made: the definition file of table or view %s is damaged, missing or cannot be read (blitz check says why), and a backup copies every table; REPAIR cannot rebuild a definition: restore the file from an earlier backup, or DROP it, then back up again", brokenNames[0])
	}
	made := vfs.MissingDirs(fs.Stat, dest)
	if err := fs.MkdirAll(dest, 0o755); err != nil {
		return info, fmt.Errorf("blitz/engine: create backup destination %s: %w", dest, err)
	}
	defer func() {
		if err != nil {
			// dest was missing or empty: leave it as it was, so that
			// the backup can be retried there and a failed one leaves
			// no empty directory that looks like a backup.
			names, _ := fs.ReadDir(dest)
			for _, n := range names {
				fs.Remove(filepath.Join(dest, n))
			}
			for _, d := range made {
				if fs.Remove(d) != nil {
					break
				}
			}
		}
	}()

	marker := filepath.Join(dest, backupPartial)
	if err := vfs.WriteFileAtomic(fs, marker, fmt.Appendf(nil, "a backup of %s started at %s and not finished\n", db.dir, time.Now().UTC().Format(time.RFC3339))); err != nil {
		return info, fmt.Errorf("blitz/engine: backup: write %s: %w", marker, err)
	}

	db.ddlMu.Lock()
	ddlHeld := true
	defer func() {
		if ddlHeld {
			db.ddlMu.Unlock()
		}
	}()
	var bts []*backupTable
	var ts []*table
	var crashed []*table
	var crashedErr error
	for _, t := range db.sortedTables() {
		db.mu.RLock()
		prov := t.provisional
		db.mu.RUnlock()
		if prov {
			// A CREATE TABLE ... SELECT still filling it: the statement
			// has not taken effect (provisional.go).
			continue
		}
		if err := t.usable(); err != nil {
			crashed = append(crashed, t)
			crashedErr = err
			continue
		}
		bts = append(bts, &backupTable{t: t})
		ts = append(ts, t)
	}
	if len(crashed) > 0 {
		return info, newCrashedTablesError(crashed, crashedErr)
	}
	releaseAll := func() {
		for _, bt := range bts {
			if bt.locked {
				release(bt.t)
				bt.locked = false
			}
		}
	}
	defer releaseAll()

	// Memory for the plain tables' copies (step 3), allocated and touched
	// now so that page faults do not lengthen their writers' wait.
	var mem int64
	for _, bt := range bts {
		t := bt.t
		t.mu.RLock()
		df, crashSafe := t.df, t.def.CrashSafe
		t.mu.RUnlock()
		if crashSafe || df == nil {
			continue
		}
		size := df.HeaderStats().FileSize
		size += size/8 + 1<<20 // room for the writes until the moment
		if mem+size > backupMemBytes {
			continue
		}
		bt.image = make([]byte, size)
		for i := 0; i < len(bt.image); i += 4096 {
			bt.image[i] = 1
		}
		mem += size
	}

	// The moment.
	pauseStart := time.Now()
	db.txGate.Lock()
	err = lockAllTables(ctx, ts)
	db.txGate.Unlock()
	if err != nil {
		return info, err
	}
	for _, bt := range bts {
		bt.locked = true
	}
	db.ckptMu.Lock()
	ckptHeld := true
	defer func() {
		if ckptHeld {
			db.ckptMu.Unlock()
		}
	}()
	db.commitMu.Lock()
	for _, bt := range bts {
		t := bt.t
		t.mu.RLock()
		bt.def, bt.df = t.def, t.df
		if t.def.CrashSafe {
			bt.overlay = t.overlayCopyLocked()
		}
		t.mu.RUnlock()
		t.ctrMu.Lock()
		bt.autoNext, bt.rowNext = t.autoNext, t.rowNext
		t.ctrMu.Unlock()
	}
	info.ULogSeq = db.ULogSeq()
	info.Time = time.Now().UTC()
	db.commitMu.Unlock()
	for _, bt := range bts {
		if bt.def.CrashSafe {
			release(bt.t)
			bt.locked = false
		}
	}
	info.MaxPause = time.Since(pauseStart)
	moment := info.MaxPause

	// The copies. First the plain tables that fit the memory budget are
	// copied into memory, each under its write lock, released at once: their
	// writers wait for a memory copy, not for the disk.
	for _, bt := range bts {
		if !bt.locked || bt.df == nil || bt.image == nil {
			bt.image = nil
			continue
		}
		b := bytes.NewBuffer(bt.image[:0]) // grows if the table did
		_, err := bt.df.WriteSnapshot(b)
		release(bt.t)
		bt.locked = false
		info.MaxPause = max(info.MaxPause, time.Since(pauseStart))
		if err != nil {
			return info, fmt.Errorf("blitz/engine: backup: copy table %s: %w", bt.def.Name, err)
		}
		bt.image = b.Bytes()
	}
	var files []BackupFile
	addFile := func(name string, size int64) {
		files = append(files, BackupFile{Name: name, Size: size})
		info.Files++
		info.Bytes += size
	}
	for _, bt := range bts {
		if bt.df == nil {
			return info, fmt.Errorf("blitz/engine: backup: table %s has no open data file", bt.def.Name)
		}
		name := bt.def.Name + dataSuffix
		path := filepath.Join(dest, name)
		f, err := vfs.Create(fs, path)
		if err != nil {
			return info, fmt.Errorf("blitz/engine: backup: create %s: %w", path, err)
		}
		var n int64
		if bt.image != nil {
			var k int
			k, err = f.WriteAt(bt.image, 0)
			n, bt.image = int64(k), nil
		} else {
			n, err = bt.df.WriteSnapshot(&offsetWriter{f: f})
		}
		if bt.locked {
			release(bt.t)
			bt.locked = false
			info.MaxPause = max(info.MaxPause, time.Since(pauseStart))
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return info, fmt.Errorf("blitz/engine: backup: copy table %s to %s: %w", bt.def.Name, path, err)
		}
		_ = n
		if err := ctx.Err(); err != nil {
			return info, fmt.Errorf("blitz/engine: backup: %w", err)
		}
	}
	db.ckptMu.Unlock()
	ckptHeld = false
	views, err := db.backupViews(dest)
	if err != nil {
		return info, err
	}
	// The copies are done: DDL may go on (its update-log frames come after
	// info.ULogSeq); dest is finished from the copies and bt's snapshots.
	db.ddlMu.Unlock()
	ddlHeld = false

	copied := time.Now()
	// Make dest a clean database: overlays applied, indexes built (two
	// tables at a time: index builds are CPU-bound).
	tables := make([]BackupTable, len(bts))
	errs := make([]error, len(bts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, bt := range bts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rows, err := finishBackupTable(ctx, fs, dest, bt)
			if err != nil {
				errs[i] = fmt.Errorf("blitz/engine: backup: table %s: %w", bt.def.Name, err)
			}
			tables[i] = BackupTable{Name: bt.def.Name, CrashSafe: bt.def.CrashSafe, Rows: rows}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return info, err
	}
	for _, bt := range bts {
		b, err := encodeDef(bt.def, bt.autoNext, bt.autoNext, bt.rowNext)
		if err != nil {
			return info, err
		}
		if err := vfs.WriteFileAtomic(fs, filepath.Join(dest, bt.def.Name+defSuffix), b); err != nil {
			return info, fmt.Errorf("blitz/engine: backup: write definition of %s: %w", bt.def.Name, err)
		}
	}
	info.Files, info.Bytes = 0, 0
	names, err := fs.ReadDir(dest)
	if err != nil {
		return info, err
	}
	for _, n := range names {
		fi, err := fs.Stat(filepath.Join(dest, n))
		if err != nil {
			return info, err
		}
		if fi.IsDir() || n == BackupManifest || n == backupPartial {
			continue
		}
		addFile(n, fi.Size())
	}
	m := BackupManifestFile{Format: BackupFormat, Time: info.Time, ULogSeq: info.ULogSeq, Tables: tables, Views: views, Files: files, Bytes: info.Bytes}
	if m.Tables == nil {
		m.Tables = []BackupTable{}
	}
	sum, err := fileChecksum(&m)
	if err != nil {
		return info, err
	}
	m.Checksum = sum
	b, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return info, err
	}
	b = append(b, '\n')
	if err := vfs.WriteFileAtomic(fs, filepath.Join(dest, BackupManifest), b); err != nil {
		return info, fmt.Errorf("blitz/engine: backup: write %s: %w", BackupManifest, err)
	}
	if err := fs.SyncDir(dest); err != nil {
		return info, fmt.Errorf("blitz/engine: backup: sync %s: %w", dest, err)
	}
	// The backup is whole from here: a marker left by a failure to
	// remove it does no harm (BACKUP.json is there).
	if fs.Remove(marker) == nil {
		fs.SyncDir(dest)
	}
	info.Files++
	info.Bytes += int64(len(b))
	db.log.Info("backup written", "dest", dest, "time", info.Time, "ulog_seq", info.ULogSeq, "files", info.Files,
		"bytes", info.Bytes, "max_pause", info.MaxPause, "moment_seconds", moment.Seconds(), "copy_seconds", copied.Sub(pauseStart).Seconds(),
		"finish_seconds", time.Since(copied).Seconds())
	return info, nil
}

// finishBackupTable applies the overlay snapshot to the copied data file in
// dir and builds the table's indexes from it, stamped with the file's
// generation; it returns the row count.
func finishBackupTable(ctx context.Context, fs vfs.FS, dir string, bt *backupTable) (int64, error) {
	def := bt.def
	path := filepath.Join(dir, def.Name+dataSuffix)
	df, err := datafile.Open(path, datafile.Options{FS: fs})
	if err != nil {
		return 0, err
	}
	keys := make([]string, 0, len(bt.overlay))
	for k := range bt.overlay {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := bt.overlay[k]
		if e.del {
			err = df.Delete([]byte(k))
			if errors.Is(err, datafile.ErrNotFound) {
				err = nil
			}
		} else {
			err = df.Put([]byte(k), e.val)
		}
		if err != nil {
			df.Close()
			return 0, fmt.Errorf("apply committed rows to %s: %w", path, err)
		}
	}
	if err := buildIndexesOf(ctx, dir, def, df); err != nil {
		df.Close()
		return 0, err
	}
	rows := df.HeaderStats().Records
	return rows, df.Close()
}

// buildIndexesOf builds every index of def in dir from df, stamped with
// df's generation (which its clean Close keeps).
func buildIndexesOf(ctx context.Context, dir string, def *TableDef, df *datafile.File) error {
	if len(def.Indexes) == 0 {
		return nil
	}
	specs := make([]index.BuildSpec, len(def.Indexes))
	for i, ixd := range def.Indexes {
		pos := def.indexParts(&ixd)
		specs[i] = index.BuildSpec{Path: filepath.Join(dir, IndexFileName(def.Name, ixd.Name)), Unique: ixd.Unique,
			Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
				r, err := decodeRow(row, def)
				if err != nil {
					return dst, fmt.Errorf("row with key %x does not decode: %w", pk, err)
				}
				return append(dst, encodeCols(nil, def, r, pos)), nil
			}}
	}
	_, err := index.Build(ctx, func(yield func(pk, row []byte) error) error { return df.Iterate(yield) },
		specs, index.BuildOptions{Stamp: df.Generation(), TempDir: dir})
	if err != nil {
		return fmt.Errorf("build indexes: %w", err)
	}
	return nil
}

// acquireFor takes t's write lock for tx. A transaction's first lock is
// taken through db.txGate (see Backup).
func (tx *Tx) acquireFor(t *table) error {
	if len(tx.wsl) > 0 {
		return acquire(tx.ctx, t, tx.locker())
	}
	tx.db.txGate.RLock()
	defer tx.db.txGate.RUnlock()
	return acquire(tx.ctx, t, tx.locker())
}
