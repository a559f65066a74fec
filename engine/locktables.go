package engine

import (
	"context"
	"sort"
	"strings"
)

// TableLocks are table write locks held outside any transaction, for SQL's
// LOCK TABLES: while a session holds them no other transaction writes
// those tables, and the session's own transactions (given the locks with
// Tx.UseLocks) write them without taking the locks again and commit one by
// one, each leaving the locks held. Unlock gives them back.
type TableLocks struct {
	db   *DB
	held map[*table]bool
	list []*table
}

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
	l := &TableLocks{db: db, held: map[*table]bool{}}
	db.txGate.RLock() // as a transaction's first lock: a backup waits for these
	defer db.txGate.RUnlock()
	for _, n := range sorted {
		t, err := db.table(n)
		if err == nil {
			err = t.usable()
		}
		if err == nil {
			if ctx == nil {
				ctx = context.Background()
			}
			err = acquire(ctx, t)
		}
		if err != nil {
			l.Unlock()
			return nil, err
		}
		l.held[t] = true
		l.list = append(l.list, t)
	}
	return l, nil
}

// Holds reports whether l holds the named table's lock.
func (l *TableLocks) Holds(name string) bool {
	if l == nil {
		return false
	}
	t, err := l.db.table(name)
	return err == nil && l.held[t]
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
	l.held, l.list = nil, nil
}

// UseLocks lets tx write the tables l holds without taking their locks
// (and leaves them held when tx ends).
func (tx *Tx) UseLocks(l *TableLocks) { tx.locks = l }
