package sqlshim_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestDriverDeadlock: two connections each lock one table (one with
// SELECT ... FOR UPDATE, one with UPDATE) and then want the other's. As
// in MariaDB, one of them gets error 1213 at once, its whole transaction
// is rolled back and its connection left in autocommit with no
// transaction, and the other's statement completes and commits.
func TestDriverDeadlock(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE a (id INT PRIMARY KEY, n INT) ENGINE = BLITZDB, CRASH_SAFE")
	mustExec(t, db, "CREATE TABLE b (id INT PRIMARY KEY, n INT)")
	mustExec(t, db, "INSERT INTO a VALUES (1, 0)")
	mustExec(t, db, "INSERT INTO b VALUES (1, 0)")
	ctx := context.Background()
	conns := make([]*sql.Conn, 2)
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	exec := func(i int, q string) error {
		_, err := conns[i].ExecContext(ctx, q)
		return err
	}
	for i, q := range []string{"BEGIN", "BEGIN", "UPDATE a SET n = n + 1 WHERE id = 1", "UPDATE b SET n = n + 10 WHERE id = 1"} {
		if err := exec(i%2, q); err != nil {
			t.Fatalf("conn %d: %s: %v", i%2, q, err)
		}
	}
	// Each now wants the other's table. Conn 0 asks first; which one
	// closes the cycle depends on timing, so either may be the victim.
	second := []string{"UPDATE b SET n = n + 1 WHERE id = 1", "SELECT n FROM a WHERE id = 1 FOR UPDATE"}
	type outcome struct {
		err  error
		took time.Duration
	}
	res := make([]chan outcome, 2)
	for i := range res {
		res[i] = make(chan outcome, 1)
		go func() {
			start := time.Now()
			var err error
			if i == 0 {
				err = exec(0, second[0])
			} else {
				var n int
				err = conns[1].QueryRowContext(ctx, second[1]).Scan(&n)
			}
			res[i] <- outcome{err, time.Since(start)}
		}()
		if i == 0 {
			time.Sleep(100 * time.Millisecond) // let conn 0 start waiting
		}
	}
	var out [2]outcome
	for i := range res {
		select {
		case out[i] = <-res[i]:
		case <-time.After(5 * time.Second):
			t.Fatalf("conn %d: %q still waiting after 5 s", i, second[i])
		}
	}
	victim := -1
	for i, o := range out {
		var e *sqlerr.Error
		switch {
		case o.err == nil:
		case errors.As(o.err, &e) && e.Code == sqlerr.ErrLockDeadlock && e.State == "40001":
			if victim >= 0 {
				t.Fatalf("both connections got 1213")
			}
			victim = i
			t.Logf("conn %d got 1213 after %v", i, o.took)
			if o.took > time.Second {
				t.Errorf("1213 came after %v", o.took)
			}
		default:
			t.Fatalf("conn %d: %q: %v, want success or error 1213", i, second[i], o.err)
		}
	}
	if victim < 0 {
		t.Fatal("no connection got 1213")
	}
	winner := 1 - victim
	if err := exec(winner, "COMMIT"); err != nil {
		t.Fatalf("winner's COMMIT: %v", err)
	}
	// The victim has no transaction: COMMIT is a no-op, a write commits at
	// once and a ROLLBACK does not undo it.
	if err := exec(victim, "COMMIT"); err != nil {
		t.Fatalf("victim's COMMIT after 1213: %v", err)
	}
	if err := exec(victim, "INSERT INTO b VALUES (2, 7)"); err != nil {
		t.Fatal(err)
	}
	if err := exec(victim, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	var an, bn, b2 int
	if err := db.QueryRow("SELECT n FROM a WHERE id = 1").Scan(&an); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT n FROM b WHERE id = 1").Scan(&bn); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT n FROM b WHERE id = 2").Scan(&b2); err != nil {
		t.Fatalf("the victim's write after 1213 was not autocommitted: %v", err)
	}
	// Conn 0 adds 1 to a and b, conn 1 adds 10 to b: only the winner's
	// changes remain.
	wantA, wantB := 1, 1
	if winner == 1 {
		wantA, wantB = 0, 10
	}
	if an != wantA || bn != wantB {
		t.Errorf("a.n = %d, b.n = %d after conn %d won, want %d and %d", an, bn, winner, wantA, wantB)
	}
}
