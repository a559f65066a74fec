package engine

import (
	"context"
	"slices"
	"sort"
	"strings"
)

// TableLocks are table write locks held outside any transaction, for SQL's
// LOCK TABLES: while a session holds them no other transaction writes
// those tables, and the session's own transactions (given the locks with
// Tx.UseLocks) write them without taking the locks again and commit one by
// one, each leaving the locks held. Unlock gives them back.
type TableLocks struct {
	list []*table // in locking order
	// lk is the holder of these locks for deadlock detection, shared
	// with the transactions that borrow them (Tx.locker).
	lk locker
}

// has reports whether l holds t's lock (l may be nil).
func (l *TableLocks) has(t *table) bool { return l != nil && slices.Contains(l.list, t) }

// LockTables takes the write lock of each named table (in name order, so
// that two sessions locking overlapping sets cannot deadlock), waiting as
// a transaction's first write would (lock wait timeout, ctx).
func (db *DB) LockTables(ctx context.Context, names []string) (*TableLocks, error) {
	uniq := map[string]bool{}
	var sorted []string
	for _, n := range names {
		if k := strings.ToLower(n); !uniq[k] {
			uniq[k] = true
			sorted = append(sorted, n)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return strings.ToLower(sorted[i]) < strings.ToLower(sorted[j]) })
	if ctx == nil {
		ctx = context.Background()
	}
	l := &TableLocks{}
	db.txGate.RLock() // as a transaction's first lock: a backup waits for these
	defer db.txGate.RUnlock()
	for _, n := range sorted {
		t, err := db.table(n)
		if err == nil {
			err = t.usable()
		}
		if err == nil {
			err = acquire(ctx, t, &l.lk)
		}
		if err != nil {
			l.Unlock()
			return nil, err
		}
		l.list = append(l.list, t)
	}
	return l, nil
}

// Unlock releases the locks. It must not be called while a transaction
// using them is open.
func (l *TableLocks) Unlock() {
	if l == nil {
		return
	}
	for _, t := range l.list {
		release(t)
	}
	l.list = nil
}

// UseLocks lets tx write the tables l holds without taking their locks
// (and leaves them held when tx ends).
func (tx *Tx) UseLocks(l *TableLocks) { tx.locks = l }

// locker returns who tx's locks belong to for deadlock detection: the
// session's LOCK TABLES when tx borrows its locks (the session waits as
// one), else tx itself.
func (tx *Tx) locker() *locker {
	if tx.locks != nil {
		return &tx.locks.lk
	}
	return &tx.lk
}
