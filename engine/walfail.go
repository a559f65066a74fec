package engine

// Rolling back the commits of a failed WAL write.
//
// A CRASH_SAFE commit appends its WAL record, applies its rows to the
// table overlays and indexes, appends its update-log frame, releases its
// locks (early lock release) and only then waits for the group write and
// fsync. When that write fails (a full disk), the WAL cuts the group from
// the log (txn/writefail.go): its commits, and those of every group formed
// meanwhile, fail with txn.ErrWriteFailed, and the WAL takes no record
// until Resume. What they applied must then be taken back in memory, or
// readers would see rows that are not committed and a later checkpoint
// would write them to the data files.
//
// So each commit registers its applied write sets (inflight) between
// CommitAsync and the end of its wait; all of that happens under commitMu
// held shared, together with the update-log append. The first commit that
// sees ErrWriteFailed (or the checkpointer) calls undoFailedWrite, which
// takes commitMu exclusively (no commit appends or applies meanwhile),
// lets the WAL settle and cut back (Resume), and undoes, newest first,
// every registered commit past the last durable LSN: each overlay entry
// goes back to the row the transaction replaced (a deletion marker where
// there was none: a checkpoint deleting a missing key does nothing), each
// index entry back to the old row's, and the update log gets one frame
// with the inverse changes (the failed commits' frames may already be in
// it; replaying both gives the state before them). Every write set of a
// table touched is stamped with the table's undo generation when it takes
// the table's write lock: a transaction that took the lock before an undo
// of that table may have read the undone rows, so its commit is refused
// with 1213 (restart the transaction) rather than building on them.
//
// A transaction writing both CRASH_SAFE and plain tables waits for its WAL
// record before writing its plain rows and its update-log frame (holding
// its locks), so a failed write leaves nothing of it in the data files.
//
// After a failed fsync (txn.ErrWALFailed) nothing is undone: the commits
// of the group are in doubt (recovery at the next open replays them or
// not), the database refuses CRASH_SAFE commits until it is reopened, and
// reads go on seeing the rows they applied.

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/txn"
)

// inflightCommit is a CRASH_SAFE commit whose record is appended and
// applied but not yet known durable.
type inflightCommit struct {
	lsn  txn.LSN
	wsl  []*writeSet // its WAL write sets, applied to overlays and indexes
	ulog bool        // its update-log frame was appended
}

// register records c until commitDone; the caller holds commitMu shared.
func (db *DB) register(c *inflightCommit) {
	db.inflightMu.Lock()
	if db.inflight == nil {
		db.inflight = map[txn.LSN]*inflightCommit{}
	}
	db.inflight[c.lsn] = c
	db.inflightMu.Unlock()
}

// commitDone forgets the commit at lsn once it is durable.
func (db *DB) commitDone(lsn txn.LSN) {
	db.inflightMu.Lock()
	delete(db.inflight, lsn)
	db.inflightMu.Unlock()
}

// walError words the error of a CRASH_SAFE commit whose WAL append or wait
// failed with err, after undoing what a failed write left (see above).
func (db *DB) walError(err error) error {
	if !errors.Is(err, txn.ErrWriteFailed) {
		return fmt.Errorf("blitz/engine: commit (in doubt: %w)", err)
	}
	if uerr := db.undoFailedWrite(); uerr != nil && !errors.Is(uerr, txn.ErrWriteFailed) {
		db.log.Error("after a failed WAL write", "err", uerr)
	}
	return fmt.Errorf("blitz/engine: commit failed and was rolled back; commits go through again once the WAL can be written: %w", err)
}

// settleWAL rolls back what a failed WAL write took with it when err (of
// a checkpoint's append) says one failed, so that commits go on.
func (db *DB) settleWAL(err error) {
	if errors.Is(err, txn.ErrWriteFailed) {
		db.undoFailedWrite()
	}
}

// undoFailedWrite undoes every registered commit that a failed WAL write
// took with it and lets the WAL take commits again. It returns the error of
// Resume: nil once commits can go on.
func (db *DB) undoFailedWrite() error {
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	return db.undoFailedWriteLocked()
}

// undoFailedWriteLocked is undoFailedWrite for a caller holding commitMu.
func (db *DB) undoFailedWriteLocked() error {
	durable, stalled, rerr := db.wal.Resume()
	if !stalled {
		// No write failed, or another caller rolled back already (commits
		// appended since may be in flight: durable means nothing), or the
		// WAL failed for good (the commits are in doubt) or is closing.
		return rerr
	}
	db.inflightMu.Lock()
	var failed []*inflightCommit
	for lsn, c := range db.inflight {
		if lsn > durable {
			failed = append(failed, c)
			delete(db.inflight, lsn)
		}
	}
	db.inflightMu.Unlock()
	if len(failed) == 0 {
		return rerr
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].lsn > failed[j].lsn })
	var inverse []ulog.Op
	for _, c := range failed {
		for i := len(c.wsl) - 1; i >= 0; i-- {
			ws := c.wsl[i]
			ws.t.undone.Add(1)
			if err := undoApplied(ws); err != nil {
				db.log.Error("undoing a failed commit", "table", ws.t.name, "err", err)
			}
			if c.ulog {
				inverse = appendInverse(inverse, ws)
			}
		}
	}
	db.log.Warn("rolled back the commits of a failed WAL write", "commits", len(failed), "durable_lsn", durable)
	if len(inverse) > 0 && db.ulog != nil {
		seq, err := db.ulog.Append(inverse, time.Time{})
		if err == nil {
			err = db.ulog.SyncThrough(seq)
		}
		if err != nil {
			db.log.Error("the update log could not record the rollback of commits whose WAL write failed; take a new backup", "err", err)
		}
	}
	return rerr
}

// undoApplied takes back what apply did for the WAL write set ws: every
// overlay entry goes back to the row ws replaced, every index entry to
// that row's.
func undoApplied(ws *writeSet) error {
	t := ws.t
	keys := ws.sortedKeys()
	t.mu.Lock()
	t.invalidateKeyBoundsLocked() // a pass under way may have missed a row put back
	for _, k := range keys {
		p := ws.m[k]
		if p.del && !p.hadOld {
			continue
		}
		t.overlay[k] = ovEntry{val: p.old, del: !p.hadOld}
	}
	idx := t.idx
	t.mu.Unlock()
	return updateIndexes(ws, idx, keys, true)
}

// appendInverse appends to ops the update-log ops that take back ws's
// changes (logCommit logged them).
func appendInverse(ops []ulog.Op, ws *writeSet) []ulog.Op {
	for _, k := range ws.sortedKeys() {
		p := ws.m[k]
		if p.del && !p.hadOld {
			continue
		}
		op := ulog.Op{Kind: ulog.OpPut, Table: ws.def.Name, Key: []byte(k), Value: p.old}
		if !p.hadOld {
			op.Kind, op.Value = ulog.OpDelete, nil
		}
		ops = append(ops, op)
	}
	return ops
}

// staleRead returns 1213 if a failed commit's rows were undone in a table
// tx writes since it took that table's lock. The caller holds commitMu
// shared (no undo runs meanwhile).
func (tx *Tx) staleRead() error {
	for _, ws := range tx.wsl {
		if ws.wal && ws.gen != ws.t.undone.Load() {
			return sqlerr.New(sqlerr.ErrLockDeadlock,
				"Deadlock found when trying to get lock; try restarting transaction (rows of table %s it may have read were rolled back: the commit that wrote them failed to reach the WAL)", ws.t.name)
		}
	}
	return nil
}

// A failed data-file write of a table without CRASH_SAFE (a full disk:
// the data file could not grow) leaves the rows the transaction wrote
// before it in the file, with no index entry yet (apply writes the rows,
// then the indexes). They are taken back, newest first (takeBack): a
// deleted row's block is free and an updated row's old block was freed by
// its new one, so putting the old rows back needs no new space as a rule.
// The statement then fails with nothing of that table changed (tables of
// the transaction written before it keep their rows, as MyISAM would),
// and the update log, whose frame already holds the whole transaction,
// gets the inverse of that table's changes (logTakenBack). If taking back
// fails too, the table is marked crashed: REPAIR TABLE rebuilds its
// indexes from the rows.

// writeRow writes p's change of key to df (p's old row when back).
func writeRow(df *datafile.File, k string, p *pending, back bool) error {
	val, del, had := p.new, p.del, p.hadOld
	if back {
		val, del, had = p.old, !p.hadOld, !p.del
	}
	switch {
	case del && had:
		return df.Delete([]byte(k))
	case !del:
		return df.Put([]byte(k), val)
	}
	return nil
}

// takeBack restores the rows at keys (written by apply before the write
// that failed with cause) to what ws replaced, and returns cause.
func (t *table) takeBack(df *datafile.File, ws *writeSet, keys []string, cause error) error {
	t.mu.Lock()
	t.invalidateKeyBoundsLocked() // a pass under way may have missed a row put back
	t.mu.Unlock()
	for i := len(keys) - 1; i >= 0; i-- {
		if err := writeRow(df, keys[i], ws.m[keys[i]], true); err != nil {
			t.setCrashed(fmt.Sprintf("a failed write (%v) could not be taken back (%v): rows of it are in the data file without index entries", cause, err))
			return fmt.Errorf("%w (and taking back its first %d rows failed: the table needs REPAIR TABLE: %v)", cause, len(keys), err)
		}
	}
	return fmt.Errorf("%w (nothing of table %s changed)", cause, t.name)
}

// logTakenBack appends to the update log the inverse of ws's changes,
// whose apply failed and was taken back (logCommit logged them).
func (db *DB) logTakenBack(ws *writeSet) {
	if db.ulog == nil || ws.temp {
		return
	}
	ops := appendInverse(nil, ws)
	if len(ops) == 0 {
		return
	}
	if _, err := db.ulog.Append(ops, time.Time{}); err != nil {
		db.log.Error("the update log could not record that a failed commit was taken back; take a new backup", "table", ws.t.name, "err", err)
	}
}
