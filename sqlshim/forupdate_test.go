package sqlshim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestSelectForUpdate runs read-modify-write transactions from several
// sessions at once: with FOR UPDATE (and LOCK IN SHARE MODE, and FOR
// UPDATE of a join) no increment is lost. Without the lock this test loses
// some on most runs (the lock is what it checks).
func TestSelectForUpdate(t *testing.T) {
	s0 := newTestSession(t)
	mustRun(t, s0, "CREATE TABLE ctr (id INT PRIMARY KEY, n INT) ENGINE = BLITZDB, CRASH_SAFE")
	mustRun(t, s0, "CREATE TABLE other (id INT PRIMARY KEY, x INT)")
	mustRun(t, s0, "INSERT INTO ctr VALUES (1, 0), (2, 0), (3, 0)")
	mustRun(t, s0, "INSERT INTO other VALUES (3, 1)")
	reads := map[int]string{
		1: "SELECT n FROM ctr WHERE id = 1 FOR UPDATE",
		2: "SELECT n FROM ctr WHERE id = 2 LOCK IN SHARE MODE",
		3: "SELECT c.n FROM other o JOIN ctr c ON c.id = o.id WHERE o.id = 3 FOR UPDATE",
	}
	const workers, rounds = 4, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		s := NewSession(s0.db)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; i < rounds; i++ {
				for id, read := range reads {
					if _, err := s.ExecOne(ctx, "BEGIN", nil); err != nil {
						errs <- err
						return
					}
					r, err := s.ExecOne(ctx, read, nil)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", read, err)
						return
					}
					n := r.Rows[0][0].(int64)
					if _, err := s.ExecOne(ctx, fmt.Sprintf("UPDATE ctr SET n = %d WHERE id = %d", n+1, id), nil); err != nil {
						errs <- err
						return
					}
					if _, err := s.ExecOne(ctx, "COMMIT", nil); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := mustRun(t, s0, "SELECT id, n FROM ctr ORDER BY id")
	for _, row := range r.Rows {
		if row[1].(int64) != workers*rounds {
			t.Errorf("counter %v = %v after %d increments: some were lost", row[0], row[1], workers*rounds)
		}
	}
}

// TestDeadlockEndsTransaction: the session that gets error 1213 is left
// with no transaction and none of its savepoints, as in MariaDB, whether
// it began with BEGIN or with autocommit off (where its next statement
// opens a new transaction); the other session's statement completes.
func TestDeadlockEndsTransaction(t *testing.T) {
	s0 := newTestSession(t)
	mustRun(t, s0, "CREATE TABLE a (id INT PRIMARY KEY, n INT)")
	mustRun(t, s0, "CREATE TABLE b (id INT PRIMARY KEY, n INT) ENGINE = BLITZDB, CRASH_SAFE")
	mustRun(t, s0, "INSERT INTO a VALUES (1, 0)")
	mustRun(t, s0, "INSERT INTO b VALUES (1, 0)")
	s := []*Session{NewSession(s0.db), NewSession(s0.db)}
	mustRun(t, s[0], "BEGIN")
	mustRun(t, s[1], "SET autocommit = 0")
	mustRun(t, s[0], "SAVEPOINT sp")
	mustRun(t, s[1], "SAVEPOINT sp")
	mustRun(t, s[0], "UPDATE a SET n = 1")
	mustRun(t, s[1], "UPDATE b SET n = 2")
	second := []string{"UPDATE b SET n = 1", "SELECT * FROM a FOR UPDATE"}
	errs := make([]chan error, 2)
	for i := range s {
		errs[i] = make(chan error, 1)
		go func() {
			_, err := s[i].ExecOne(context.Background(), second[i], nil)
			errs[i] <- err
		}()
		if i == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	victim := -1
	for i := range errs {
		select {
		case err := <-errs[i]:
			if err == nil {
				continue
			}
			if sqlerr.Code(err) != sqlerr.ErrLockDeadlock || victim >= 0 {
				t.Fatalf("session %d: %s: %v", i, second[i], err)
			}
			victim = i
		case <-time.After(5 * time.Second):
			t.Fatalf("session %d: %s still waiting after 5 s", i, second[i])
		}
	}
	if victim < 0 {
		t.Fatal("no session got 1213")
	}
	v := s[victim]
	if v.InTransaction() {
		t.Error("the deadlock victim is still in a transaction")
	}
	if _, err := v.ExecOne(context.Background(), "ROLLBACK TO SAVEPOINT sp", nil); sqlerr.Code(err) != sqlerr.ErrSpDoesNotExist {
		t.Errorf("ROLLBACK TO SAVEPOINT sp after 1213: %v, want error 1305", err)
	}
	mustRun(t, s[1-victim], "COMMIT")
	mustRun(t, v, "SELECT * FROM a")
	if got, want := v.InTransaction(), victim == 1; got != want {
		t.Errorf("victim (autocommit %v) in a transaction after its next statement: %v", v.Autocommit(), got)
	}
	mustRun(t, v, "COMMIT")
	// Only the winner's writes remain: session 0's a.n = 1 and b.n = 1,
	// or session 1's b.n = 2.
	r := mustRun(t, s0, "SELECT (SELECT n FROM a), (SELECT n FROM b)")
	want := map[int]string{1: "[1 1]", 0: "[0 2]"}[victim]
	if got := fmt.Sprint(r.Rows[0]); got != want {
		t.Errorf("a.n, b.n = %v after session %d lost, want %s", got, victim, want)
	}
}
