package sqlshim

import (
	"context"
	"sync"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Named locks: GET_LOCK, RELEASE_LOCK, RELEASE_ALL_LOCKS, IS_FREE_LOCK and
// IS_USED_LOCK, as MariaDB has them. Migration tools take one so that two
// of them never migrate one database at once (Rails' db:migrate, Flyway).
// A lock belongs to the session that got it, which may take it again
// (each GET_LOCK needs its RELEASE_LOCK); it is shared by every session
// of one open database, and the session's end gives back all it holds.
// Names are compared byte for byte ('a' and 'A' are two locks, as in
// MariaDB). Locks are not checked for deadlocks: a wait ends at its
// timeout or when the statement is killed.

// userLockKey names one lock of one database.
type userLockKey struct {
	db   *engine.DB
	name string
}

// userLock is a held lock.
type userLock struct {
	owner *Session
	id    uint64        // the owner's connection id (IS_USED_LOCK)
	count int           // GET_LOCKs not yet released
	freed chan struct{} // closed when the lock is given back
}

// userLocks holds every named lock of the process.
var userLocks struct {
	sync.Mutex // protects held
	held       map[userLockKey]*userLock
}

// errWrongTimeout is MariaDB's ER_WRONG_VALUE_FOR_TYPE, a warning here.
const errWrongTimeout = 1411

// getLock is GET_LOCK(name, timeout): 1 when the session holds the lock,
// 0 when timeout seconds passed while another session held it, NULL when
// the statement was killed while waiting, the name is NULL or the
// timeout is -1 or less (warning 1411, as in MariaDB).
func (c *evalCtx) getLock(args []any) (any, error) {
	if args[0] == nil {
		return nil, nil
	}
	key := userLockKey{c.s.db, toString(args[0])}
	secs := 0.0
	if args[1] != nil {
		secs = toFloat(args[1])
	}
	if secs <= -1 || secs != secs {
		c.warning(errWrongTimeout, "Incorrect timeout value: '%s' for function get_lock", toString(args[1]))
		return nil, nil
	}
	t := time.NewTimer(time.Duration(min(max(secs, 0), 365*24*3600) * float64(time.Second)))
	defer t.Stop()
	ctx := context.Background()
	if c.x != nil && c.x.ctx != nil {
		ctx = c.x.ctx
	}
	for {
		userLocks.Lock()
		l := userLocks.held[key]
		if l == nil || l.owner == c.s {
			if l == nil {
				if userLocks.held == nil {
					userLocks.held = map[userLockKey]*userLock{}
				}
				l = &userLock{owner: c.s, id: c.s.client.ID, freed: make(chan struct{})}
				userLocks.held[key] = l
			}
			l.count++
			userLocks.Unlock()
			return int64(1), nil
		}
		freed := l.freed
		userLocks.Unlock()
		select {
		case <-freed:
		case <-t.C:
			return int64(0), nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// releaseLock is RELEASE_LOCK(name): 1 when the session held the lock
// (it is given back once every GET_LOCK of it is released), 0 when
// another session holds it, NULL when nobody does.
func (c *evalCtx) releaseLock(args []any) (any, error) {
	if args[0] == nil {
		return nil, nil
	}
	key := userLockKey{c.s.db, toString(args[0])}
	userLocks.Lock()
	defer userLocks.Unlock()
	l := userLocks.held[key]
	switch {
	case l == nil:
		return nil, nil
	case l.owner != c.s:
		return int64(0), nil
	}
	if l.count--; l.count == 0 {
		delete(userLocks.held, key)
		close(l.freed)
	}
	return int64(1), nil
}

// lockState is IS_FREE_LOCK(name) (used: false), 1 or 0, and
// IS_USED_LOCK(name) (used: true), the holder's connection id or NULL.
func (c *evalCtx) lockState(args []any, used bool) (any, error) {
	if args[0] == nil {
		return nil, nil
	}
	userLocks.Lock()
	l := userLocks.held[userLockKey{c.s.db, toString(args[0])}]
	var id uint64
	if l != nil {
		id = l.id
	}
	userLocks.Unlock()
	switch {
	case !used && l == nil:
		return int64(1), nil
	case !used:
		return int64(0), nil
	case l == nil:
		return nil, nil
	}
	return id, nil
}

// releaseUserLocks gives back every named lock s holds, and returns how
// many GET_LOCKs that released (RELEASE_ALL_LOCKS()).
func (s *Session) releaseUserLocks() int64 {
	userLocks.Lock()
	defer userLocks.Unlock()
	var n int64
	for k, l := range userLocks.held {
		if l.owner == s {
			n += int64(l.count)
			delete(userLocks.held, k)
			close(l.freed)
		}
	}
	return n
}

// userLockFunc evaluates the named-lock function name.
func (c *evalCtx) userLockFunc(name string, x *ast.FuncCallExpr, args []any) (any, error) {
	n := 1
	switch name {
	case "get_lock":
		n = 2
	case "release_all_locks":
		n = 0
	}
	if err := argCount(x.FnName.O, x.Args, n, n); err != nil {
		return nil, err
	}
	if c.s == nil {
		return nil, errNotSupported(x.FnName.O + " here")
	}
	switch name {
	case "get_lock":
		return c.getLock(args)
	case "release_lock":
		return c.releaseLock(args)
	case "is_free_lock", "is_used_lock":
		return c.lockState(args, name == "is_used_lock")
	}
	return c.s.releaseUserLocks(), nil
}
