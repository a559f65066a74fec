package engine

import (
	"context"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Table write locks and deadlock detection.
//
// Each table has one write lock, a one-slot channel (table.wlock). It is
// held by a transaction from its first write (or SELECT ... FOR UPDATE) of
// the table to its end, by a session's LOCK TABLES (TableLocks) until
// UNLOCK TABLES, and briefly by DDL, CHECK/REPAIR and a backup. A waiter
// gives up after lockTimeout (MySQL error 1205) or when its context ends.
//
// Transactions and LOCK TABLES may hold one lock while they wait for
// another, so two of them can wait for each other. Such holders are
// lockers, and the wait-for graph between them is kept so that a cycle is
// answered at once with MySQL error 1213 instead of a lock wait timeout:
//
//   - table.holder names the locker holding the table's lock (nil when the
//     lock is free or held by DDL, CHECK/REPAIR or a backup: those never
//     wait for a lock while holding one, a backup's round gives back what
//     it took instead, so they never close a cycle);
//   - locker.waitsFor names the table a locker waits for, under
//     DB.waitMu.
//
// A locker about to wait walks, under waitMu, from the table it wants to
// the table's holder, to the table that holder waits for, to its holder,
// and so on. If the walk comes back to the locker itself, the wait would
// never end: acquire refuses with 1213, and the caller rolls the
// transaction back (Tx.writeSet), which frees its locks so that the
// others go on. Otherwise it registers its wait and waits as before.
//
// Why every cycle is found: a cycle only closes when a locker starts to
// wait (a locker that gets a lock stops waiting, so a hand-over makes no
// cycle, and a locker's holdings only grow while it is not waiting).
// Registrations are serialised by waitMu, and a locker stores holder for
// each lock it takes before it can register a wait, so the last member of
// a cycle to register sees every other member's wait and holdings, and is
// refused. The victim is thus the transaction that closes the cycle (InnoDB
// picks the one that changed fewest rows; picking the requester keeps the
// check local and leaves the others untouched). State read during the walk
// may be a moment stale (a waiter that just got its lock has not yet
// dropped waitsFor); that can only make the walk loop among others, which
// its step bound stops, never point at the walker.
//
// The uncontended path, a free lock, costs one atomic store on acquire and
// one on release: no timer, no waitMu.

// locker is one holder of table write locks that may wait for another
// lock meanwhile: a transaction, or a session's LOCK TABLES together with
// the transactions that borrow its locks (Tx.locker).
type locker struct {
	waitsFor *table // the table whose lock it waits for, nil if none; guarded by DB.waitMu
}

// acquire takes t's write lock for lk, waiting at most lockTimeout (MySQL
// error 1205 then). lk is nil for holders that never wait while holding a
// lock (DDL, CHECK, REPAIR). If lk waiting for t would close a cycle of
// waits, acquire returns error 1213 at once, without waiting.
func acquire(ctx context.Context, t *table, lk *locker) error {
	select {
	case t.wlock <- struct{}{}: // free: no timer needed (they cost a few percent of a commit)
		t.holder.Store(lk)
		return nil
	default:
	}
	if lk != nil {
		if err := t.db.startWait(lk, t); err != nil {
			return err
		}
		defer t.db.endWait(lk)
	}
	timer := time.NewTimer(lockTimeout)
	defer timer.Stop()
	select {
	case t.wlock <- struct{}{}:
		t.holder.Store(lk) // before endWait: see "Why every cycle is found"
		return nil
	case <-ctx.Done():
		return sqlerr.Wrap(sqlerr.ErrQueryInterrupted, ctx.Err(), "Query execution was interrupted")
	case <-timer.C:
		return sqlerr.New(sqlerr.ErrLockWaitTimeout, "Lock wait timeout exceeded; try restarting transaction")
	}
}

// release gives back t's write lock.
func release(t *table) {
	t.holder.Store(nil)
	<-t.wlock
}

// startWait registers that lk is about to wait for t's lock, or returns
// error 1213 if t's holder waits, directly or through others, for a lock
// lk holds.
func (db *DB) startWait(lk *locker, t *table) error {
	db.waitMu.Lock()
	defer db.waitMu.Unlock()
	// A chain of distinct waiters is at most db.waiters long: a longer
	// walk is going round a loop that does not include lk.
	for next, steps := t, 0; next != nil && steps <= db.waiters; steps++ {
		h := next.holder.Load()
		if h == nil {
			break
		}
		if h == lk {
			db.cnt.deadlocks.Add(1)
			return sqlerr.New(sqlerr.ErrLockDeadlock, "Deadlock found when trying to get lock; try restarting transaction")
		}
		next = h.waitsFor
	}
	lk.waitsFor = t
	db.waiters++
	return nil
}

// endWait records that lk no longer waits.
func (db *DB) endWait(lk *locker) {
	db.waitMu.Lock()
	lk.waitsFor = nil
	db.waiters--
	db.waitMu.Unlock()
}
