package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/keyenc"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/txn"
)

// Tx is a transaction over any number of tables. It is not safe for
// concurrent use.
type Tx struct {
	db   *DB
	ctx  context.Context
	done bool
	// wsVisits counts the written rows index scans looked at (wsindex.go),
	// for tests; it shares done's word, so Tx stays in its size class.
	wsVisits uint32
	// ws finds a table's write set once the transaction writes more than
	// wsMapMin tables (wsOf): below that a look through wsl is cheaper
	// than a map made for every transaction.
	ws  map[*table]*writeSet
	wsl []*writeSet // in first-write order
	// wslBuf and undoBuf back wsl and undo while they are short: most
	// transactions write one row of one table.
	wslBuf  [1]*writeSet
	undoBuf [1]undoRec
	locks   *TableLocks // LOCK TABLES locks this transaction borrows (UseLocks)
	lk      locker      // the holder of its locks for deadlock detection (lock.go), unless it borrows
	undo    []undoRec
	temp    *DB // the session's temporary tables (UseTemp, temp.go), nil if none
	// keepZero is SetNoAutoValueOnZero: Insert stores a 0 given for an
	// AUTO_INCREMENT column instead of generating a value.
	keepZero bool
	// fkOff is SetForeignKeyChecks(false); fkDepth counts the cascades
	// under way (foreignkey.go); fkBase is > 0 while a foreign key is
	// checked or applied, when names resolve to base tables only (a
	// temporary table never takes part in a foreign key).
	fkOff   bool
	fkDepth int
	fkBase  int
}

// wsMapMin is the number of write sets from which Tx.ws indexes them.
const wsMapMin = 8

// wsOf returns t's write set, nil if the transaction has not written t.
func (tx *Tx) wsOf(t *table) *writeSet {
	if tx.ws != nil {
		return tx.ws[t]
	}
	for _, ws := range tx.wsl {
		if ws.t == t {
			return ws
		}
	}
	return nil
}

// addWriteSet records ws, the write set of a table the transaction had
// not written.
func (tx *Tx) addWriteSet(ws *writeSet) {
	if tx.wsl == nil {
		tx.wsl = tx.wslBuf[:0]
	}
	tx.wsl = append(tx.wsl, ws)
	if tx.ws != nil {
		tx.ws[ws.t] = ws
	} else if len(tx.wsl) >= wsMapMin {
		tx.ws = make(map[*table]*writeSet, len(tx.wsl))
		for _, w := range tx.wsl {
			tx.ws[w.t] = w
		}
	}
}

// SetNoAutoValueOnZero sets whether Insert takes a 0 given for an
// AUTO_INCREMENT column as the value to store (on: sql_mode
// NO_AUTO_VALUE_ON_ZERO, which dumps set so that a row with id 0 loads
// as itself) or as "generate one" (off, the default). NULL always
// generates.
func (tx *Tx) SetNoAutoValueOnZero(on bool) { tx.keepZero = on }

// writeSet is a transaction's changes to one table.
type writeSet struct {
	t        *table
	borrowed bool // the lock is the session's (TableLocks): not released at the end
	// wal: the changes go through the WAL (a CRASH_SAFE base table); temp:
	// t is a temporary table (temp.go), left out of the update log.
	wal, temp bool
	def       *TableDef
	pkPos     []keyPart
	ixPos     [][]keyPart
	ixLong    []bool
	m         map[string]*pending
	gen       uint64 // t.undone when the write lock was taken (walfail.go)
	// first is the first pending change record makes (firstUsed): held
	// here, it costs no allocation of its own. Like every pending it is
	// never changed once in m.
	first     pending
	firstUsed bool
	// puts is set by the first change that writes a row (not a deletion)
	// and never cleared: while it is false every pending change is a
	// deletion, which Scan's filter of the committed rows already applies,
	// so Scan need not walk m (a cascade deleting many child rows looks
	// children up once per parent row). Next to firstUsed, so that the
	// two share a word (a writeSet stays in a 256-byte size class).
	puts bool
	// lastKey is the key record last changed: m's only key when m holds
	// one and holds that one (onlyKey).
	lastKey string

	// For unique checks against the rows this transaction wrote (see
	// checkUnique): uniq[i] maps index i's encoded columns to the keys of
	// rows written with them. Entries are only added, and every candidate
	// is verified against m, so rollbacks and later changes need no
	// bookkeeping; unindexed lists the keys set since the last check.
	uniq      []map[string][]string
	unindexed []string
	// views are the rows written in the order of the indexes scanned, for
	// Scan (wsindex.go); nil until the first scan of an index that has
	// written rows to add.
	views *wsViews
}

// pending is a transaction's change to one row.
type pending struct {
	old    []byte // committed value before the transaction (nil if none)
	hadOld bool
	new    []byte // the transaction's value; nil with del
	del    bool
}

type undoRec struct {
	ws   *writeSet
	key  string
	prev *pending // nil: the key was not in the write set
}

// Begin starts a transaction.
func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return nil, errors.New("blitz/engine: database is closed")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	tx := &Tx{db: db, ctx: ctx}
	tx.undo = tx.undoBuf[:0]
	return tx, nil
}

// SetContext replaces the context the transaction's lock waits and its
// commit observe (Begin's, until then). A SQL session sets each
// statement's own, so that interrupting one statement (KILL QUERY) does
// not outlive it, and a transaction spanning statements is not bound to
// the one that began it.
func (tx *Tx) SetContext(ctx context.Context) {
	if ctx != nil {
		tx.ctx = ctx
	}
}

// Savepoint returns a mark RollbackTo can return to.
func (tx *Tx) Savepoint() int { return len(tx.undo) }

// RollbackTo undoes every change made since the savepoint sp.
func (tx *Tx) RollbackTo(sp int) error {
	if sp < 0 || sp > len(tx.undo) {
		return fmt.Errorf("blitz/engine: no savepoint %d", sp)
	}
	for i := len(tx.undo) - 1; i >= sp; i-- {
		u := tx.undo[i]
		if u.prev == nil {
			delete(u.ws.m, u.key)
		} else {
			u.ws.m[u.key] = u.prev
			u.ws.queueIx(u.key, u.prev)
		}
	}
	tx.undo = tx.undo[:sp]
	return nil
}

// Ended reports whether the transaction has ended: committed, rolled
// back, or rolled back by the engine because a lock wait of it would have
// closed a deadlock (MySQL error 1213, after which every call but Rollback
// fails and Rollback does nothing).
func (tx *Tx) Ended() bool { return tx.done }

// Rollback discards the transaction.
func (tx *Tx) Rollback() error {
	if tx.done {
		return nil
	}
	tx.finish()
	return nil
}

func (tx *Tx) finish() {
	tx.done = true
	for _, ws := range tx.wsl {
		if !ws.borrowed {
			release(ws.t)
		}
	}
	tx.ws, tx.wsl, tx.undo = nil, nil, nil
}

// readTable returns a usable table for reading.
func (tx *Tx) readTable(name string) (*table, error) {
	if tx.done {
		return nil, errors.New("blitz/engine: transaction has ended")
	}
	var t *table
	if tx.temp != nil && tx.fkBase == 0 {
		t = tx.temp.lookup(name) // a temporary table shadows a base table
	}
	if t == nil {
		var err error
		if t, err = tx.db.table(name); err != nil {
			return nil, err
		}
	}
	if err := t.usable(); err != nil {
		return nil, err
	}
	return t, nil
}

// writeSet returns the table's write set, taking its write lock on first use.
func (tx *Tx) writeSet(name string) (*writeSet, error) {
	t, err := tx.readTable(name)
	if err != nil {
		return nil, err
	}
	if ws := tx.wsOf(t); ws != nil {
		return ws, nil
	}
	borrowed := tx.locks.has(t)
	if !borrowed {
		if err := tx.acquireFor(t); err != nil {
			if sqlerr.Code(err) == sqlerr.ErrLockDeadlock {
				// A deadlock victim loses its whole transaction, as in
				// InnoDB: its locks go now, so the others go on.
				tx.finish()
			}
			return nil, err
		}
	}
	if err := t.usable(); err != nil { // it may have been found damaged while we waited
		if !borrowed {
			release(t)
		}
		return nil, err
	}
	t.mu.RLock()
	temp := t.db != tx.db
	ws := &writeSet{t: t, borrowed: borrowed, wal: t.def.CrashSafe && !temp, temp: temp, def: t.def, pkPos: t.pkPos, ixPos: t.ixPos, ixLong: t.ixLong, m: map[string]*pending{}, gen: t.undone.Load()}
	t.mu.RUnlock()
	tx.addWriteSet(ws)
	return ws, nil
}

// LockForWrite takes the table's write lock now (it is otherwise taken at
// the first write) and holds it until the transaction ends. A statement
// that reads rows to compute their new values (UPDATE t SET n = n + 1)
// must call it before reading: rows read before the lock may be changed by
// another transaction's commit in between, and the write would lose it.
func (tx *Tx) LockForWrite(table string) error {
	_, err := tx.writeSet(table)
	return err
}

// current returns the row stored under key as the transaction sees it.
func (tx *Tx) current(t *table, key []byte) ([]byte, bool, error) {
	if ws := tx.wsOf(t); ws != nil {
		if p := ws.m[string(key)]; p != nil {
			return p.new, !p.del, nil
		}
	}
	return t.getCommitted(key)
}

// set records the transaction's new state of key.
func (tx *Tx) set(ws *writeSet, key string, val []byte, del bool) error {
	p := ws.m[key]
	if p == nil {
		old, had, err := ws.t.getCommitted([]byte(key))
		if err != nil {
			return err
		}
		return tx.setCommitted(ws, key, val, del, old, had)
	}
	c := *p
	tx.record(ws, key, &c, p.old, p.hadOld, val, del)
	return nil
}

// setCommitted is set for a key the write set does not hold, whose
// committed value old (had: there is one) the caller read under the
// table's write lock, so that it still holds.
func (tx *Tx) setCommitted(ws *writeSet, key string, val []byte, del bool, old []byte, had bool) error {
	if ws.m[key] != nil {
		return tx.set(ws, key, val, del)
	}
	tx.record(ws, key, nil, old, had, val, del)
	return nil
}

// record makes key's pending change val (del: a deletion) over the
// committed value old (had: there is one), and keeps prev, the key's
// change before it (nil: none), for RollbackTo.
func (tx *Tx) record(ws *writeSet, key string, prev *pending, old []byte, had bool, val []byte, del bool) {
	np := &ws.first
	if ws.firstUsed {
		np = &pending{}
	}
	ws.firstUsed = true
	*np = pending{old: old, hadOld: had, new: val, del: del}
	ws.m[key] = np
	ws.lastKey = key
	ws.puts = ws.puts || !del
	if !del && ws.uniq != nil {
		ws.unindexed = append(ws.unindexed, key)
	}
	ws.queueIx(key, np)
	tx.undo = append(tx.undo, undoRec{ws: ws, key: key, prev: prev})
}

// prepareRow coerces every value, fills AUTO_INCREMENT (on insert: for
// NULL, and for 0 unless keepZero), and checks NOT NULL.
func (tx *Tx) prepareRow(ws *writeSet, row Row, insert bool) (Row, uint64, error) {
	def := ws.def
	if len(row) != len(def.Columns) {
		return nil, 0, sqlerr.New(sqlerr.ErrWrongValueCount, "Column count doesn't match value count at row 1")
	}
	r := make(Row, len(row))
	var auto uint64
	for i := range def.Columns {
		c := &def.Columns[i]
		v := row[i]
		if c.AutoIncrement {
			if insert && (v == nil || (!tx.keepZero && isZero(v))) {
				n, err := ws.t.nextAuto()
				if err != nil {
					return nil, 0, err
				}
				if c.Unsigned {
					v = n
				} else {
					v = int64(n)
				}
				auto = n
			}
		}
		cv, err := Coerce(c, v, 1)
		if err != nil {
			return nil, 0, err
		}
		if c.AutoIncrement && cv != nil {
			var u uint64
			switch x := cv.(type) {
			case int64:
				if x > 0 {
					u = uint64(x)
				}
			case uint64:
				u = x
			}
			if u > 0 {
				if err := ws.t.seenAuto(u); err != nil {
					return nil, 0, err
				}
			}
		}
		r[i] = cv
	}
	return r, auto, nil
}

func isZero(v any) bool {
	switch x := v.(type) {
	case int64:
		return x == 0
	case uint64:
		return x == 0
	case int:
		return x == 0
	}
	return false
}

// uniqueCandidates returns the keys of rows this transaction wrote that
// may hold cols in unique index i (they must still be verified against
// ws.m). It first indexes the rows set since the last call, decoding each
// once: checking every insert against every row written before it made a
// 10,000-row transaction quadratic.
func (ws *writeSet) uniqueCandidates(i int, cols []byte) []string {
	if ws.uniq == nil {
		ws.uniq = make([]map[string][]string, len(ws.def.Indexes))
		for j, ixd := range ws.def.Indexes {
			if ixd.Unique {
				ws.uniq[j] = map[string][]string{}
			}
		}
		for k, p := range ws.m {
			if !p.del {
				ws.unindexed = append(ws.unindexed, k)
			}
		}
	}
	for _, k := range ws.unindexed {
		p := ws.m[k]
		if p == nil || p.del {
			continue
		}
		pr, err := decodeRow(p.new, ws.def)
		if err != nil {
			continue
		}
		for j, m := range ws.uniq {
			if m != nil {
				c := string(encodeCols(nil, ws.def, pr, ws.ixPos[j]))
				m[c] = append(m[c], k)
			}
		}
	}
	ws.unindexed = ws.unindexed[:0]
	return ws.uniq[i][string(cols)]
}

// checkUnique returns 1062 if r collides on a unique index with a row other
// than self and old (the row an Update replaces: its primary key may
// differ from self, and its index entries go away with it).
//
// It also returns 1071 if r's entry in an index would be longer than an
// index can hold (index.MaxKeySize): checked here, before anything is
// written, the row is refused whole; found at commit, when the indexes are
// updated after the data file, it would leave the table crashed.
func (tx *Tx) checkUnique(ws *writeSet, self, old []byte, r Row) error {
	t := ws.t
	t.mu.RLock()
	idx := t.idx
	t.mu.RUnlock()
	for i, ixd := range ws.def.Indexes {
		long := i < len(ws.ixLong) && ws.ixLong[i]
		if !ixd.Unique && !long {
			continue
		}
		cols := encodeCols(nil, ws.def, r, ws.ixPos[i])
		if long {
			n := len(cols)
			if !ixd.Unique || keyenc.HasNull(cols) {
				n += len(self) // keyed by the columns and the primary key
			}
			if n > index.MaxKeySize {
				return sqlerr.New(sqlerr.ErrTooLongKey, "Specified key was too long; max key length is %d bytes (index '%s' of table '%s' would need %d)",
					index.MaxKeySize, ixd.Name, t.name, n)
			}
		}
		if !ixd.Unique || keyenc.HasNull(cols) {
			continue
		}
		dup := func() error {
			return sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key '%s'", showValues(ws.def, r, ws.ixPos[i]), ixd.Name)
		}
		// Rows this transaction has written.
		for _, k := range ws.uniqueCandidates(i, cols) {
			if k == string(self) || (old != nil && k == string(old)) {
				continue
			}
			p := ws.m[k]
			if p == nil || p.del {
				continue
			}
			pr, err := decodeRow(p.new, ws.def)
			if err == nil && bytes.Equal(encodeCols(nil, ws.def, pr, ws.ixPos[i]), cols) {
				return dup()
			}
		}
		if i >= len(idx) || idx[i] == nil {
			return t.crashedErr("an index is not open")
		}
		var pks [][]byte
		if err := idx[i].Lookup(cols, func(pk []byte) bool {
			pks = append(pks, append([]byte(nil), pk...))
			return true
		}); err != nil {
			return err
		}
		for _, pk := range pks {
			if bytes.Equal(pk, self) || (old != nil && bytes.Equal(pk, old)) {
				continue
			}
			if p := ws.m[string(pk)]; p != nil {
				continue // changed by this transaction: checked above
			}
			return dup()
		}
	}
	return nil
}

// Insert adds row to the table and returns its handle and the
// AUTO_INCREMENT value it was given (0 if none). A duplicate primary or
// unique key is MySQL error 1062; the AUTO_INCREMENT value generated for
// the row is returned with it too, so that the caller can give it to the
// next row (as MySQL does for INSERT IGNORE and ON DUPLICATE KEY UPDATE)
// or retry with it (REPLACE).
func (tx *Tx) Insert(table string, row Row) (Handle, uint64, error) {
	ws, err := tx.writeSet(table)
	if err != nil {
		return "", 0, err
	}
	r, auto, err := tx.prepareRow(ws, row, true)
	if err != nil {
		return "", 0, err
	}
	key, err := ws.t.encodeKey(ws.def, ws.pkPos, r)
	if err != nil {
		return "", 0, err
	}
	// The row the key holds as the transaction sees it (tx.current), its
	// committed value kept for set.
	k := string(key)
	var old []byte
	var had bool
	if p := ws.m[k]; p != nil {
		had = !p.del
	} else if old, had, err = ws.t.getCommitted(key); err != nil {
		return "", 0, err
	}
	if had {
		return "", auto, sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key 'PRIMARY'", showValues(ws.def, r, ws.pkPos))
	}
	if err := tx.checkUnique(ws, key, nil, r); err != nil {
		if sqlerr.Code(err) == sqlerr.ErrDupEntry {
			return "", auto, err
		}
		return "", 0, err
	}
	if !tx.fkOff && len(ws.def.ForeignKeys) > 0 {
		if err := tx.checkParents(ws, nil, r); err != nil {
			return "", 0, err
		}
	}
	val, err := encodeRow(make([]byte, 0, rowSizeHint(r)), ws.def, r)
	if err != nil {
		return "", 0, err
	}
	if err := tx.setCommitted(ws, k, val, false, old, had); err != nil {
		return "", 0, err
	}
	return Handle(k), auto, nil
}

// Get looks a row up by its whole primary key. With a prefix part in the
// primary key (TableDef.PrimaryPrefix) it finds the row whose key holds
// the same prefix, the one a row with pk would collide with: its full
// value may differ from pk's, and a caller that needs equality compares.
func (tx *Tx) Get(table string, pk []any) (Handle, Row, bool, error) {
	t, err := tx.readTable(table)
	if err != nil {
		return "", nil, false, err
	}
	t.mu.RLock()
	def, pkPos := t.def, t.pkPos
	t.mu.RUnlock()
	if pkPos == nil || len(pk) != len(pkPos) {
		return "", nil, false, fmt.Errorf("blitz/engine: Get on %s needs the %d primary-key values", table, len(pkPos))
	}
	var key []byte
	for i, v := range pk {
		c := &def.Columns[pkPos[i].col]
		cv, err := Coerce(c, v, 1)
		if err != nil {
			return "", nil, false, nil // a value the column cannot hold matches no row
		}
		cv, _ = pkPos[i].cut(c, cv) // a prefix key: the row found holds a value that starts so
		key = appendColumnKey(key, def, c, cv)
	}
	val, ok, err := tx.current(t, key)
	if err != nil || !ok {
		return "", nil, false, err
	}
	r, err := decodeRow(val, def)
	if err != nil {
		return "", nil, false, t.dataErr(fmt.Errorf("row %x of %s: %w", key, table, err))
	}
	return Handle(key), r, true, nil
}

// Update replaces the row h with row (whose primary key may differ) and
// returns the row's handle afterwards.
func (tx *Tx) Update(table string, h Handle, row Row) (Handle, error) {
	ws, err := tx.writeSet(table)
	if err != nil {
		return "", err
	}
	oldVal, ok, err := tx.current(ws.t, []byte(h))
	if err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("blitz/engine: update of a row of %s that does not exist", table)
	}
	r, _, err := tx.prepareRow(ws, row, false)
	if err != nil {
		return "", err
	}
	key := []byte(h)
	if ws.pkPos != nil {
		key = encodeCols(nil, ws.def, r, ws.pkPos)
	}
	if !bytes.Equal(key, []byte(h)) {
		if _, ok, err := tx.current(ws.t, key); err != nil {
			return "", err
		} else if ok {
			return "", sqlerr.New(sqlerr.ErrDupEntry, "Duplicate entry '%s' for key 'PRIMARY'", showValues(ws.def, r, ws.pkPos))
		}
	}
	if err := tx.checkUnique(ws, key, []byte(h), r); err != nil {
		return "", err
	}
	var old Row
	if !tx.fkOff {
		if old, err = tx.fkOld(ws, h, oldVal); err != nil {
			return "", err
		}
		if old != nil && len(ws.def.ForeignKeys) > 0 {
			if err := tx.checkParents(ws, old, r); err != nil {
				return "", err
			}
		}
	}
	val, err := encodeRow(nil, ws.def, r)
	if err != nil {
		return "", err
	}
	sp := tx.Savepoint()
	if !bytes.Equal(key, []byte(h)) {
		if err := tx.set(ws, string(h), nil, true); err != nil {
			return "", err
		}
	}
	if err := tx.set(ws, string(key), val, false); err != nil {
		return "", err
	}
	if old != nil {
		if err := tx.parentChanged(ws, old, r); err != nil {
			return "", tx.undoTo(sp, err)
		}
	}
	return Handle(key), nil
}

// fkOld returns the row h (stored as val) for the foreign keys that
// reference its table, nil when none does.
func (tx *Tx) fkOld(ws *writeSet, h Handle, val []byte) (Row, error) {
	if len(ws.def.ForeignKeys) == 0 && (ws.temp || len(tx.db.referencing(ws.def.Name)) == 0) {
		return nil, nil
	}
	r, err := decodeRow(val, ws.def)
	if err != nil {
		return nil, ws.t.dataErr(fmt.Errorf("row %x of %s: %w", []byte(h), ws.def.Name, err))
	}
	return r, nil
}

// undoTo rolls the transaction back to sp after err, a failed cascade, so
// that the write that started it changes nothing; it returns err.
func (tx *Tx) undoTo(sp int, err error) error {
	if tx.done {
		return err // a deadlock victim: rolled back already
	}
	if rerr := tx.RollbackTo(sp); rerr != nil {
		return rerr
	}
	return err
}

// Delete removes the row h.
func (tx *Tx) Delete(table string, h Handle) error {
	ws, err := tx.writeSet(table)
	if err != nil {
		return err
	}
	val, ok, err := tx.current(ws.t, []byte(h))
	if err != nil || !ok {
		return err
	}
	var old Row
	if !tx.fkOff {
		if old, err = tx.fkOld(ws, h, val); err != nil {
			return err
		}
	}
	sp := tx.Savepoint()
	if err := tx.set(ws, string(h), nil, true); err != nil {
		return err
	}
	if old != nil {
		if err := tx.parentChanged(ws, old, nil); err != nil {
			return tx.undoTo(sp, err)
		}
	}
	return nil
}

// Count returns how many rows Scan would visit.
func (tx *Tx) Count(table string, s Scan) (int64, error) {
	var n int64
	err := tx.Scan(table, s, func(Handle, Row) (bool, error) { n++; return true, nil })
	return n, err
}

type scanRow struct {
	sort []byte // sort key: index columns + pk, or pk
	key  []byte
	val  []byte
}

// Scan calls fn for the rows s selects, as this transaction sees them. fn
// may read and write through tx.
func (tx *Tx) Scan(table string, s Scan, fn func(h Handle, row Row) (bool, error)) error {
	return tx.scan(table, s, nil, fn)
}

// scan is Scan with the read options o (nil: none) for a walk of a
// secondary index (ixwalk.go, ReadOptions).
func (tx *Tx) scan(table string, s Scan, o *ReadOptions, fn func(h Handle, row Row) (bool, error)) error {
	t, err := tx.readTable(table)
	if err != nil {
		return err
	}
	t.mu.RLock()
	def, idx, ixPos := t.def, t.idx, t.ixPos
	t.mu.RUnlock()
	ws := tx.wsOf(t)
	if s.Limit > 0 && eqFold(s.Index, "PRIMARY") && def.PrimaryKey != nil {
		if done, err := tx.walkPK(table, t, def, idx, ixPos, ws, s, fn); done || err != nil {
			return err
		}
	} else if s.Limit > 0 && s.Index != "" && !eqFold(s.Index, "PRIMARY") {
		if done, err := tx.walkIndex(table, t, def, idx, ixPos, ws, s, o, fn); done || err != nil {
			return err
		}
	}
	return tx.scanSorted(table, t, def, idx, ixPos, ws, s, nil, fn)
}

// scanSorted is Scan by one pass over the rows s selects (or a lookup of
// each key of a short primary-key range), sorted when s reads an index.
// rest, when set, replaces the primary-key bounds of s: the part of the
// range that a walk (pkwalk.go) left to read.
func (tx *Tx) scanSorted(table string, t *table, def *TableDef, idx []*index.Index, ixPos [][]keyPart, ws *writeSet, s Scan, rest *[2]index.Bound, fn func(h Handle, row Row) (bool, error)) error {
	var err error
	var rows []scanRow
	var pos []keyPart // key of the ordering, nil for file order
	switch {
	case s.Index == "":
		var mem byteArena
		err = t.scanMerged(func(k, v []byte) error {
			if ws != nil && ws.m[string(k)] != nil {
				return nil
			}
			rows = append(rows, scanRow{key: mem.copy(k), val: mem.copy(v)})
			return nil
		})
	case eqFold(s.Index, "PRIMARY"):
		if def.PrimaryKey == nil {
			return sqlerr.New(sqlerr.ErrKeyDoesNotExist, "Key 'PRIMARY' doesn't exist in table '%s'", table)
		}
		pos = def.primaryParts()
		if rest == nil {
			if keys, ok := pkProbeKeys(def, pos, s, t.probeLimit()); ok {
				err = tx.probeKeys(t, ws, keys, func(k, v []byte) {
					rows = append(rows, scanRow{sort: k, key: k, val: v})
				})
				break
			}
		}
		r := indexRangeOf(tx.pkBounds(def, pos, s, rest))
		// Only the rows in range are copied out of the file.
		err = t.scanMergedKeep(tx.ctx, func(k, _ []byte) bool { return r.contains(k) }, func(k, v []byte) error {
			if ws != nil && ws.m[string(k)] != nil {
				return nil
			}
			if r.contains(k) { // overlay rows: the filter saw only the file's
				k := append([]byte(nil), k...)
				rows = append(rows, scanRow{sort: k, key: k, val: append([]byte(nil), v...)})
			}
			return nil
		})
	default:
		i := def.indexByName(s.Index)
		if i < 0 {
			return sqlerr.New(sqlerr.ErrKeyDoesNotExist, "Key '%s' doesn't exist in table '%s'", s.Index, table)
		}
		if i >= len(idx) || idx[i] == nil {
			return t.crashedErr("an index is not open")
		}
		pos = ixPos[i]
		lo, hi := tx.bounds(def, pos, s)
		var pks [][]byte
		var cols [][]byte
		err = idx[i].Scan(lo, hi, false, func(c, pk []byte) bool {
			cols = append(cols, append([]byte(nil), c...))
			pks = append(pks, append([]byte(nil), pk...))
			return true
		})
		if err == nil {
			// A caller with a Limit takes the rows to come in index
			// order (plan_order.go stops reading once it has its rows):
			// a row changed since its entry was read sorts by its
			// columns as read, and is left out once they leave the range.
			var moved func(v, c []byte) ([]byte, bool)
			if s.Limit > 0 {
				moved = movedCols(def, pos, indexRangeOf(lo, hi))
			}
			for j, pk := range pks {
				if ws != nil && ws.m[string(pk)] != nil {
					continue
				}
				v, ok, gerr := t.getCommitted(pk)
				if gerr != nil {
					return gerr
				}
				if !ok {
					continue // deleted since the index was read
				}
				c := cols[j]
				if moved != nil {
					if c, ok = moved(v, c); !ok {
						continue
					}
				}
				rows = append(rows, scanRow{sort: append(c, pk...), key: pk, val: v})
			}
		}
		if err == nil && ws != nil && ws.puts && ws.def == def {
			tx.ixRange(ws, i, pos, indexRangeOf(lo, hi), func(k string, val, c []byte) {
				rows = append(rows, scanRow{sort: append(append([]byte(nil), c...), k...), key: []byte(k), val: val})
			})
		} else if err == nil && ws != nil && ws.puts {
			r := indexRangeOf(lo, hi)
			for k, p := range ws.m {
				tx.wsVisits++
				if p.del {
					continue
				}
				pr, derr := decodeRow(p.new, def)
				if derr != nil {
					continue
				}
				c := encodeCols(nil, def, pr, pos)
				if r.contains(c) {
					rows = append(rows, scanRow{sort: append(c, k...), key: []byte(k), val: p.new})
				}
			}
		}
	}
	if err != nil {
		return err
	}
	if ws != nil && ws.puts && pos == nil {
		for k, p := range ws.m {
			if !p.del {
				rows = append(rows, scanRow{key: []byte(k), val: p.new})
			}
		}
	}
	if ws != nil && ws.puts && eqFold(s.Index, "PRIMARY") {
		r := indexRangeOf(tx.pkBounds(def, pos, s, rest))
		if ws.def == def {
			tx.pkRange(ws, r, func(k string, val []byte) {
				rows = append(rows, scanRow{sort: []byte(k), key: []byte(k), val: val})
			})
		} else {
			for k, p := range ws.m {
				tx.wsVisits++
				if !p.del && r.contains([]byte(k)) {
					rows = append(rows, scanRow{sort: []byte(k), key: []byte(k), val: p.new})
				}
			}
		}
	}
	if pos != nil {
		sort.Slice(rows, func(i, j int) bool { return bytes.Compare(rows[i].sort, rows[j].sort) < 0 })
		if s.Reverse {
			for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
				rows[i], rows[j] = rows[j], rows[i]
			}
		}
	}
	for _, r := range rows {
		row, err := decodeRow(r.val, def)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", r.key, table, err))
		}
		more, err := fn(Handle(r.key), row)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// probeKeys looks each of keys up in t's committed rows and calls fn for
// those found, skipping the keys ws (the transaction's own writes, which
// the caller adds) holds.
func (tx *Tx) probeKeys(t *table, ws *writeSet, keys [][]byte, fn func(k, v []byte)) error {
	for i, k := range keys {
		if i%checkEvery == checkEvery-1 && tx.ctx.Err() != nil {
			return tx.ctx.Err()
		}
		if ws != nil && ws.m[string(k)] != nil {
			continue
		}
		v, ok, err := t.getCommitted(k)
		if err != nil {
			return err
		}
		if ok {
			fn(k, v)
		}
	}
	return nil
}

// pkBounds returns the primary-key bounds of s, or rest when set.
func (tx *Tx) pkBounds(def *TableDef, pos []keyPart, s Scan, rest *[2]index.Bound) (lo, hi index.Bound) {
	if rest != nil {
		return rest[0], rest[1]
	}
	return tx.bounds(def, pos, s)
}

// bounds converts a Scan's bounds on the columns at pos to index bounds.
// A value that does not convert exactly to the column type widens the
// bound (the caller re-checks its conditions on every row).
func (tx *Tx) bounds(def *TableDef, pos []keyPart, s Scan) (lo, hi index.Bound) {
	conv := func(b Bound) index.Bound {
		if b.Values == nil {
			return index.Bound{Unbounded: true}
		}
		var key []byte
		incl := b.Inclusive
		for i, v := range b.Values {
			if i >= len(pos) {
				break
			}
			c := def.Columns[pos[i].col]
			c.NotNull = false
			cv, err := Coerce(&c, v, 1)
			if err != nil {
				if i == 0 {
					return index.Bound{Unbounded: true}
				}
				incl = true
				break
			}
			if valueText(cv) != valueText(v) && !(v == nil) {
				incl = true // rounded or converted: keep the neighbours, the caller filters
			}
			cv, full := pos[i].cut(&c, cv)
			key = appendColumnKey(key, def, &c, cv)
			if full {
				// A prefix part that holds all its length: longer values
				// share this key, whatever the parts after it say.
				incl = true
				break
			}
		}
		return index.Bound{Key: key, Inclusive: incl}
	}
	return conv(s.Lo), conv(s.Hi)
}

// keyRange mirrors the index package's bound semantics for in-memory rows.
type keyRange struct{ start, end []byte }

func indexRangeOf(lo, hi index.Bound) keyRange {
	var r keyRange
	if !lo.Unbounded {
		if lo.Inclusive {
			r.start = lo.Key
		} else if r.start = keyenc.PrefixEnd(lo.Key); r.start == nil {
			r.start = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		}
	}
	if !hi.Unbounded {
		if hi.Inclusive {
			r.end = keyenc.PrefixEnd(hi.Key)
		} else {
			r.end = hi.Key
			if len(r.end) == 0 {
				r.end = []byte{}
			}
		}
	}
	return r
}

func (r keyRange) contains(k []byte) bool {
	if r.start != nil && bytes.Compare(k, r.start) < 0 {
		return false
	}
	if r.end != nil && bytes.Compare(k, r.end) >= 0 {
		return false
	}
	return true
}

// Commit makes the transaction's changes durable (crash-safe tables: the
// WAL record is synced) and visible. If the WAL write fails (a full disk),
// the commit fails and nothing of it stays, and commits go through again
// once the WAL can be written; if the WAL's fsync fails, the commit is in
// doubt and CRASH_SAFE commits are refused until the database is reopened
// (walfail.go).
func (tx *Tx) Commit() error {
	if tx.done {
		return errors.New("blitz/engine: transaction has ended")
	}
	defer tx.finish()
	if err := tx.ulogReady(); err != nil {
		return err
	}
	// walSets is tx.wsl itself when every write set goes through the WAL
	// (finish leaves its array as it is).
	allWAL := true
	for _, ws := range tx.wsl {
		allWAL = allWAL && ws.wal
	}
	var walSets []*writeSet
	if allWAL {
		walSets = tx.wsl
	} else {
		for _, ws := range tx.wsl {
			if ws.wal {
				walSets = append(walSets, ws)
			}
		}
	}
	var batch txn.Batch
	var one [1]txn.Op // the batch of a one-row commit: on the stack, its key too
	if len(walSets) == 1 && len(walSets[0].m) == 1 {
		ws := walSets[0]
		key, p := ws.onlyKey()
		if !p.del || p.hadOld {
			one[0] = walOp(ws, []byte(key), p) // converted outside the loop, so on the stack
			batch = one[:]
		}
	} else {
		var many txn.Batch // not batch: appending to it would put one on the heap
		if len(walSets) == 1 {
			many = make(txn.Batch, 0, len(walSets[0].m))
		}
		for _, ws := range walSets {
			for k, p := range ws.m {
				if !p.del || p.hadOld {
					many = append(many, walOp(ws, []byte(k), p))
				}
			}
		}
		batch = many
	}
	if len(batch) == 0 {
		return tx.commitPlain()
	}
	db := tx.db
	mixed := len(walSets) < len(tx.wsl)
	lsn, wait, ulogSync, err := tx.appendWAL(batch, walSets, !mixed)
	if err != nil {
		return err
	}
	if mixed {
		// The plain rows (and the update-log frame) only once the WAL
		// record is durable, so that a failed write leaves none of
		// them: the locks stay held meanwhile (walfail.go).
		if err := wait.Wait(); err != nil {
			return db.walError(err)
		}
		db.commitDone(lsn)
		err := tx.commitPlain()
		db.maybeCheckpoint()
		return err
	}
	// Early lock release: the record has its place in the log, so any
	// transaction that now takes these locks and reads these rows commits
	// after it and can only be durable if this one is. Waiting for the
	// fdatasync without the locks lets concurrent committers of one table
	// share it.
	tx.finish()
	if err := wait.Wait(); err != nil {
		return db.walError(err)
	}
	db.commitDone(lsn)
	if err := ulogSync(); err != nil {
		return db.ulogErr(err)
	}
	db.maybeCheckpoint()
	return nil
}

// walOp is the WAL operation of p, ws's change to the row at key.
func walOp(ws *writeSet, key []byte, p *pending) txn.Op {
	if p.del {
		return txn.Op{Table: ws.def.Name, Kind: txn.OpDelete, Key: key}
	}
	return txn.Op{Table: ws.def.Name, Kind: txn.OpPut, Key: key, Value: p.new}
}

// appendWAL appends batch to the WAL and applies walSets to the overlays
// and indexes, holding commitMu shared; with logged it appends the
// update-log frame there too (under the write locks: see ulog.go). The
// commit stays registered as in flight until the caller's commitDone
// (walfail.go). A commit refused because an earlier write failed and was
// not yet rolled back rolls it back and tries once more (space may be
// back).
func (tx *Tx) appendWAL(batch txn.Batch, walSets []*writeSet, logged bool) (txn.LSN, txn.Waiter, func() error, error) {
	db := tx.db
	var lsn txn.LSN
	var wait txn.Waiter
	for retried := false; ; retried = true {
		db.commitMu.RLock()
		if err := tx.staleRead(); err != nil {
			db.commitMu.RUnlock()
			return 0, txn.Waiter{}, nil, err
		}
		var err error
		lsn, wait, err = db.wal.CommitAsync(tx.ctx, batch)
		if err == nil {
			break
		}
		db.commitMu.RUnlock()
		if errors.Is(err, txn.ErrWriteFailed) && !retried && db.undoFailedWrite() == nil {
			continue
		}
		if errors.Is(err, txn.ErrWriteFailed) {
			return 0, txn.Waiter{}, nil, db.walError(err)
		}
		if errors.Is(err, txn.ErrWALFailed) {
			return 0, txn.Waiter{}, nil, fmt.Errorf("blitz/engine: commit refused, nothing of it done: %w", err)
		}
		return 0, txn.Waiter{}, nil, fmt.Errorf("blitz/engine: commit: %w", err)
	}
	var first error
	for _, ws := range walSets {
		if err := tx.apply(ws); err != nil && first == nil {
			first = err
		}
	}
	c := &inflightCommit{lsn: lsn, wsl: walSets}
	ulogSync := noSync
	if first == nil && logged {
		ulogSync, first = tx.logCommit()
		c.ulog = first == nil && db.ulog != nil
	}
	db.register(c)
	db.commitMu.RUnlock()
	if first != nil {
		if err := wait.Wait(); err != nil {
			db.walError(err)
		} else {
			db.commitDone(lsn)
		}
		return 0, txn.Waiter{}, nil, first
	}
	return lsn, wait, ulogSync, nil
}

// commitPlain writes the update-log frame and the rows of the tables that
// do not go through the WAL (all of them when the transaction has no
// CRASH_SAFE change, or the rest once its WAL record is durable), releases
// the locks and makes the frame durable.
func (tx *Tx) commitPlain() error {
	ulogSync, err := tx.logCommit() // update log: under the write locks (see ulog.go)
	if err != nil {
		return err
	}
	for _, ws := range tx.wsl {
		if !ws.wal {
			if err := tx.apply(ws); err != nil {
				tx.db.logTakenBack(ws)
				return err
			}
		}
	}
	tx.finish()
	if err := ulogSync(); err != nil {
		return tx.db.ulogErr(err)
	}
	return nil
}

// apply makes a write set's changes visible: the overlay (crash-safe) or
// the data file, then the indexes (deletions first, so values may move
// between rows within one transaction).
func (tx *Tx) apply(ws *writeSet) error {
	t := ws.t
	var buf [1]string // the keys of a one-row change, off the heap
	keys := ws.appendSortedKeys(buf[:0])
	t.mu.Lock()
	df, idx, crashSafe := t.df, t.idx, ws.wal
	if len(keys) > 0 {
		t.widenKeyBoundsLocked(keys[0], keys[len(keys)-1]) // keys are in order (pkwalk.go)
	}
	if crashSafe {
		for _, k := range keys {
			p := ws.m[k]
			if p.del && !p.hadOld {
				continue
			}
			t.overlay[k] = ovEntry{val: p.new, del: p.del}
		}
	}
	t.mu.Unlock()
	if !crashSafe && df == nil {
		return fmt.Errorf("blitz/engine: write %s: the table was closed (database closed or table dropped meanwhile)", t.name)
	}
	if !crashSafe {
		for i, k := range keys {
			if err := writeRow(df, k, ws.m[k], false); err != nil {
				err = t.dataErr(fmt.Errorf("blitz/engine: write %s: %w", t.name, err))
				return t.takeBack(df, ws, keys[:i], err)
			}
		}
	}
	return updateIndexes(ws, idx, keys, false)
}

// sortedKeys returns the keys of ws's changes in order.
func (ws *writeSet) sortedKeys() []string {
	return ws.appendSortedKeys(make([]string, 0, len(ws.m)))
}

// onlyKey returns the key of ws's one change and the change; ws must hold
// exactly one. It spares a walk through m, which costs more than a lookup.
func (ws *writeSet) onlyKey() (string, *pending) {
	if p := ws.m[ws.lastKey]; p != nil {
		return ws.lastKey, p
	}
	for k, p := range ws.m { // the last change was rolled back (RollbackTo)
		return k, p
	}
	return "", nil
}

// appendSortedKeys appends the keys of ws's changes to keys, in order.
func (ws *writeSet) appendSortedKeys(keys []string) []string {
	if len(ws.m) == 1 {
		k, _ := ws.onlyKey()
		return append(keys, k)
	}
	n := len(keys)
	for k := range ws.m {
		keys = append(keys, k)
	}
	sort.Strings(keys[n:])
	return keys
}

// updateIndexes moves the index entries of ws's rows at keys from the rows
// ws replaced to its new rows (deletions first, so values may move between
// rows within one transaction), or back when undo (walfail.go). A failed
// index update marks the table crashed.
func updateIndexes(ws *writeSet, idx []*index.Index, keys []string, undo bool) error {
	t := ws.t
	if len(ws.def.Indexes) == 0 {
		return nil // no index to maintain: spare decoding every row twice
	}
	for pass := 0; pass < 2; pass++ {
		for _, k := range keys {
			p := ws.m[k]
			var oldR, newR Row
			if p.hadOld {
				oldR, _ = decodeRow(p.old, ws.def)
			}
			if !p.del {
				newR, _ = decodeRow(p.new, ws.def)
			}
			if undo {
				oldR, newR = newR, oldR
			}
			for i := range ws.def.Indexes {
				if i >= len(idx) || idx[i] == nil {
					continue
				}
				var oc, nc []byte
				if oldR != nil {
					oc = encodeCols(nil, ws.def, oldR, ws.ixPos[i])
				}
				if newR != nil {
					nc = encodeCols(nil, ws.def, newR, ws.ixPos[i])
				}
				if oldR != nil && newR != nil && bytes.Equal(oc, nc) {
					continue
				}
				var err error
				if pass == 0 && oldR != nil {
					err = idx[i].Delete(oc, []byte(k))
				}
				if pass == 1 && newR != nil {
					err = idx[i].Insert(nc, []byte(k))
				}
				if err != nil {
					t.setCrashed(fmt.Sprintf("index %s could not be updated: %v", ws.def.Indexes[i].Name, err))
					return fmt.Errorf("blitz/engine: update index %s of %s: %w", ws.def.Indexes[i].Name, t.name, err)
				}
			}
		}
	}
	return nil
}
