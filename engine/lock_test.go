package engine

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// openLockTables opens a database with one plain table per name, each
// with a BIGINT primary key id and a BIGINT v.
func openLockTables(t *testing.T, names ...string) *DB {
	t.Helper()
	db := mustOpen(t, t.TempDir(), Options{})
	for _, n := range names {
		def := &TableDef{Name: n, Columns: []Column{
			{Name: "id", Type: TypeBigInt, NotNull: true},
			{Name: "v", Type: TypeBigInt},
		}, PrimaryKey: []string{"id"}}
		if err := db.CreateTable(bg, def); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// waitForWaiters waits until n lockers wait for a table lock (so that the
// next wait is decided against those), failing the test after 5 s.
func waitForWaiters(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		db.waitMu.Lock()
		w := db.waiters
		db.waitMu.Unlock()
		if w == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lock waiters, want %d", w, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// insertAsync inserts (id, id) into table in tx on a goroutine; the
// channel gets the result. A test that fails early waits at its end for
// the goroutine (bounded by the lock wait timeout) before its
// transactions are rolled back, as a Tx is not for concurrent use.
func insertAsync(t *testing.T, tx *Tx, table string, id int64) <-chan error {
	ch := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, err := tx.Insert(table, Row{id, id})
		ch <- err
	}()
	t.Cleanup(func() { <-done })
	return ch
}

func mustInsert(t *testing.T, tx *Tx, table string, id int64) {
	t.Helper()
	if _, _, err := tx.Insert(table, Row{id, id}); err != nil {
		t.Fatalf("insert %d into %s: %v", id, table, err)
	}
}

// recv returns what ch gets within 5 s, failing the test otherwise.
func recv(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after 5 s", what)
		return nil
	}
}

// wantDeadlock checks that err is MySQL error 1213 with SQLSTATE 40001,
// that it came well before the lock wait timeout, and that the victim's
// transaction was rolled back.
func wantDeadlock(t *testing.T, err error, took time.Duration, victim *Tx) {
	t.Helper()
	e := sqlerr.As(err)
	if err == nil || e.Code != sqlerr.ErrLockDeadlock || e.State != "40001" ||
		e.Message != "Deadlock found when trying to get lock; try restarting transaction" {
		t.Fatalf("got %v, want error 1213 (40001) Deadlock found ...", err)
	}
	if took > lockTimeout/10 {
		t.Errorf("deadlock reported after %v (lock wait timeout %v)", took, lockTimeout)
	}
	if victim != nil && !victim.Ended() {
		t.Errorf("the deadlock victim's transaction is still open")
	}
}

// rowsOf returns the ids in table, in key order.
func rowsOf(t *testing.T, db *DB, table string) []int64 {
	t.Helper()
	got := ids(t, db, table, Scan{})
	slices.Sort(got)
	return got
}

func checkNoWaiters(t *testing.T, db *DB) {
	t.Helper()
	db.waitMu.Lock()
	defer db.waitMu.Unlock()
	if db.waiters != 0 {
		t.Errorf("%d lock waiters left registered", db.waiters)
	}
}

// TestDeadlockTwoTransactions: tx1 holds a and waits for b, tx2 holds b
// and asks for a. tx2 gets error 1213 at once and is rolled back, which
// lets tx1 take b and commit.
func TestDeadlockTwoTransactions(t *testing.T) {
	db := openLockTables(t, "a", "b")
	tx1, tx2 := mustTx(t, db), mustTx(t, db)
	mustInsert(t, tx1, "a", 1)
	mustInsert(t, tx2, "b", 2)
	tx1b := insertAsync(t, tx1, "b", 1)
	waitForWaiters(t, db, 1)

	start := time.Now()
	_, _, err := tx2.Insert("a", Row{int64(2), int64(2)})
	took := time.Since(start)
	wantDeadlock(t, err, took, tx2)
	t.Logf("1213 after %v", took)

	if err := recv(t, tx1b, "tx1's insert into b"); err != nil {
		t.Fatalf("tx1's insert into b after tx2's deadlock: %v", err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, db, "a"); fmt.Sprint(got) != "[1]" {
		t.Errorf("a holds %v, want [1]", got)
	}
	if got := rowsOf(t, db, "b"); fmt.Sprint(got) != "[1]" {
		t.Errorf("b holds %v, want [1] (tx2's row 2 was rolled back)", got)
	}
	if err := tx2.Commit(); err == nil {
		t.Error("Commit of the deadlock victim succeeded")
	}
	if err := tx2.Rollback(); err != nil {
		t.Errorf("Rollback of the deadlock victim: %v", err)
	}
	if n := db.Stats().Deadlocks; n != 1 {
		t.Errorf("Stats().Deadlocks = %d, want 1", n)
	}
	checkNoWaiters(t, db)
}

// TestDeadlockThreeTransactions: tx1 holds a and waits for b, tx2 holds b
// and waits for c, tx3 holds c and asks for a: tx3 closes the cycle and is
// the victim; then tx2 and tx1 finish in turn.
func TestDeadlockThreeTransactions(t *testing.T) {
	db := openLockTables(t, "a", "b", "c")
	tx1, tx2, tx3 := mustTx(t, db), mustTx(t, db), mustTx(t, db)
	mustInsert(t, tx1, "a", 1)
	mustInsert(t, tx2, "b", 2)
	mustInsert(t, tx3, "c", 3)
	tx1b := insertAsync(t, tx1, "b", 1)
	waitForWaiters(t, db, 1)
	tx2c := insertAsync(t, tx2, "c", 2)
	waitForWaiters(t, db, 2)

	start := time.Now()
	_, _, err := tx3.Insert("a", Row{int64(3), int64(3)})
	wantDeadlock(t, err, time.Since(start), tx3)

	if err := recv(t, tx2c, "tx2's insert into c"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-tx1b:
		t.Fatalf("tx1 got b while tx2 holds it: %v", err)
	default:
	}
	if err := tx2.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, tx1b, "tx1's insert into b"); err != nil {
		t.Fatal(err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]string{"a": "[1]", "b": "[1 2]", "c": "[2]"} {
		if got := rowsOf(t, db, table); fmt.Sprint(got) != want {
			t.Errorf("%s holds %v, want %s", table, got, want)
		}
	}
	checkNoWaiters(t, db)
}

// TestLockWaitWithoutCycle: a chain of waits that is no cycle (tx3 waits
// for tx2, which waits for tx1) is not refused: each waits until the one
// before it ends.
func TestLockWaitWithoutCycle(t *testing.T) {
	db := openLockTables(t, "a", "b")
	tx1, tx2, tx3 := mustTx(t, db), mustTx(t, db), mustTx(t, db)
	mustInsert(t, tx1, "a", 1)
	mustInsert(t, tx2, "b", 2)
	tx2a := insertAsync(t, tx2, "a", 2)
	waitForWaiters(t, db, 1)
	tx3b := insertAsync(t, tx3, "b", 3)
	waitForWaiters(t, db, 2)
	// Both still wait a while later: neither was refused.
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-tx2a:
		t.Fatalf("tx2 stopped waiting for a while tx1 holds it: %v", err)
	case err := <-tx3b:
		t.Fatalf("tx3 stopped waiting for b while tx2 holds it: %v", err)
	default:
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, tx2a, "tx2's insert into a"); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, tx3b, "tx3's insert into b"); err != nil {
		t.Fatal(err)
	}
	if err := tx3.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, db, "b"); fmt.Sprint(got) != "[2 3]" {
		t.Errorf("b holds %v, want [2 3]", got)
	}
	if n := db.Stats().Deadlocks; n != 0 {
		t.Errorf("Stats().Deadlocks = %d, want 0", n)
	}
	checkNoWaiters(t, db)
}

// TestLockWaitCanceled: a waiter whose context ends stops waiting and
// leaves the wait-for graph, so a later wait is not refused because of it.
func TestLockWaitCanceled(t *testing.T) {
	db := openLockTables(t, "a", "b")
	tx1 := mustTx(t, db)
	mustInsert(t, tx1, "a", 1)
	ctx, cancel := context.WithCancel(bg)
	tx2, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback()
	mustInsert(t, tx2, "b", 2)
	tx2a := insertAsync(t, tx2, "a", 2)
	waitForWaiters(t, db, 1)
	cancel()
	if err := recv(t, tx2a, "tx2's insert into a"); sqlerr.Code(err) != sqlerr.ErrQueryInterrupted {
		t.Fatalf("canceled wait: %v, want error 1317", err)
	}
	checkNoWaiters(t, db)
	// tx2 still holds b, but waits for nothing: tx1 waiting for b is
	// no deadlock, and gets it once tx2 ends.
	tx1b := insertAsync(t, tx1, "b", 1)
	waitForWaiters(t, db, 1)
	tx2.Rollback()
	if err := recv(t, tx1b, "tx1's insert into b"); err != nil {
		t.Fatal(err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestDeadlockWithLockTables: a session's LOCK TABLES locks and its
// transaction's own are one holder: the session holding a (LOCK TABLES)
// and waiting for b in its transaction, and a transaction holding b that
// asks for a, is a deadlock.
func TestDeadlockWithLockTables(t *testing.T) {
	db := openLockTables(t, "a", "b")
	l, err := db.LockTables(bg, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	txL := mustTx(t, db)
	txL.UseLocks(l)
	mustInsert(t, txL, "a", 1) // borrowed
	tx2 := mustTx(t, db)
	mustInsert(t, tx2, "b", 2)
	txLb := insertAsync(t, txL, "b", 1)
	waitForWaiters(t, db, 1)
	start := time.Now()
	_, _, err = tx2.Insert("a", Row{int64(2), int64(2)})
	wantDeadlock(t, err, time.Since(start), tx2)
	if err := recv(t, txLb, "the LOCK TABLES session's insert into b"); err != nil {
		t.Fatal(err)
	}
	if err := txL.Commit(); err != nil {
		t.Fatal(err)
	}
	// LOCK TABLES a waiting for a table that a transaction holding b
	// wants is a deadlock too, and LockTables gives back what it took.
	l.Unlock()
	tx3 := mustTx(t, db)
	mustInsert(t, tx3, "b", 3)
	l2, err := db.LockTables(bg, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	tx3a := insertAsync(t, tx3, "a", 3)
	waitForWaiters(t, db, 1)
	start = time.Now()
	tx4 := mustTx(t, db)
	tx4.UseLocks(l2)
	_, _, err = tx4.Insert("b", Row{int64(4), int64(4)})
	wantDeadlock(t, err, time.Since(start), tx4)
	// tx4 borrowed a from l2: its rollback leaves a locked until UNLOCK.
	l2.Unlock()
	if err := recv(t, tx3a, "tx3's insert into a"); err != nil {
		t.Fatal(err)
	}
	if err := tx3.Commit(); err != nil {
		t.Fatal(err)
	}
	checkNoWaiters(t, db)
}

// TestDeadlockStress runs transactions that each write two of three
// tables in a random order from several goroutines. Every one either
// commits or is a deadlock victim; none waits for the lock wait timeout.
// The seed is printed; BLITZ_DEADLOCK_SEED replays one.
func TestDeadlockStress(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("BLITZ_DEADLOCK_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (BLITZ_DEADLOCK_SEED replays it)", seed)
	tables := []string{"a", "b", "c"}
	db := openLockTables(t, tables...)
	const workers, rounds = 4, 60
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex // protects the following
		commits, deadlocks int
		firstErr           error
		slowest            time.Duration
		nextID             int64
		committedPerTable  = map[string]int{}
	)
	start := time.Now()
	for w := 0; w < workers; w++ {
		rng := rand.New(rand.NewSource(seed + int64(w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				mu.Lock()
				stop := firstErr != nil
				mu.Unlock()
				if stop {
					return
				}
				perm := rng.Perm(len(tables))[:2]
				tx, err := db.Begin(bg)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				var failed error
				for _, i := range perm {
					mu.Lock()
					nextID++
					id := nextID
					mu.Unlock()
					t0 := time.Now()
					_, _, err := tx.Insert(tables[i], Row{id, id})
					d := time.Since(t0)
					mu.Lock()
					slowest = max(slowest, d)
					mu.Unlock()
					if err != nil {
						failed = err
						break
					}
					if rng.Intn(4) == 0 {
						time.Sleep(time.Duration(rng.Intn(200)) * time.Microsecond)
					}
				}
				mu.Lock()
				switch {
				case failed == nil:
					if err := tx.Commit(); err != nil && firstErr == nil {
						firstErr = err
					}
					commits++
					for _, i := range perm {
						committedPerTable[tables[i]]++
					}
				case sqlerr.Code(failed) == sqlerr.ErrLockDeadlock && tx.Ended():
					deadlocks++
				default:
					tx.Rollback()
					if firstErr == nil {
						firstErr = failed
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	t.Logf("%d commits, %d deadlocks in %v; slowest insert %v", commits, deadlocks, time.Since(start), slowest)
	if firstErr == nil && commits+deadlocks != workers*rounds {
		t.Errorf("%d commits + %d deadlocks, want %d transactions", commits, deadlocks, workers*rounds)
	}
	if slowest >= lockTimeout {
		t.Errorf("an insert waited %v: a deadlock went unnoticed until the lock wait timeout", slowest)
	}
	if int64(deadlocks) != db.Stats().Deadlocks {
		t.Errorf("%d deadlock victims, Stats().Deadlocks = %d", deadlocks, db.Stats().Deadlocks)
	}
	for _, name := range tables {
		if got := len(rowsOf(t, db, name)); got != committedPerTable[name] {
			t.Errorf("%s holds %d rows, committed transactions wrote %d", name, got, committedPerTable[name])
		}
	}
	checkNoWaiters(t, db)
}
