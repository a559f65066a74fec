package sqlshim

import (
	"context"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestLockTablesDeadlockVictim: a session holding LOCK TABLES whose
// statement closes a deadlock gets 1213 at once and gives its table locks
// back with its transaction, so the session it deadlocked with goes on at
// once (not after it unlocks, or a lock wait timeout) and its own next
// statements do not close the same cycle again.
func TestLockTablesDeadlockVictim(t *testing.T) {
	a, b := lockTablesCycle(t)
	bdone := make(chan error, 1)
	go func() {
		_, err := b.ExecOne(context.Background(), "UPDATE ta SET n = 2", nil) // waits for a's LOCK TABLES
		bdone <- err
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	_, err := a.ExecOne(context.Background(), "UPDATE tb SET n = 3", nil)
	if sqlerr.Code(err) != sqlerr.ErrLockDeadlock || time.Since(start) > time.Second {
		t.Fatalf("a's UPDATE closing the cycle: %v after %v, want 1213 at once", err, time.Since(start))
	}
	select {
	case err := <-bdone:
		if err != nil {
			t.Fatalf("b's UPDATE after a's 1213: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b still waits for the table a locked after a got 1213")
	}
	mustRun(t, b, "COMMIT")
	// a holds no table lock now: its writes commit one by one, b writes ta.
	mustRun(t, a, "UPDATE tb SET n = n + 10")
	mustRun(t, b, "UPDATE ta SET n = n + 10")
	mustRun(t, a, "UNLOCK TABLES")
	if got := mustRun(t, a, "SELECT (SELECT n FROM ta), (SELECT n FROM tb)").Rows[0]; toInt(got[0]) != 12 || toInt(got[1]) != 11 {
		t.Errorf("ta.n, tb.n = %v, want 12, 11", got)
	}
}

// TestLockTablesDeadlockOther: when the other session closes the cycle,
// it is the victim and the LOCK TABLES session keeps its locks and goes on.
func TestLockTablesDeadlockOther(t *testing.T) {
	a, b := lockTablesCycle(t)
	adone := make(chan error, 1)
	go func() {
		_, err := a.ExecOne(context.Background(), "UPDATE tb SET n = 3", nil) // waits for b
		adone <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := b.ExecOne(context.Background(), "UPDATE ta SET n = 2", nil); sqlerr.Code(err) != sqlerr.ErrLockDeadlock {
		t.Fatalf("b's UPDATE closing the cycle: %v, want 1213", err)
	}
	select {
	case err := <-adone:
		if err != nil {
			t.Fatalf("a's UPDATE after b's 1213: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a still waits after b got 1213")
	}
	// a still holds ta: b's write waits until UNLOCK TABLES.
	bdone := make(chan error, 1)
	go func() {
		_, err := b.ExecOne(context.Background(), "UPDATE ta SET n = n + 10", nil)
		bdone <- err
	}()
	select {
	case err := <-bdone:
		t.Fatalf("b wrote ta while a holds LOCK TABLES (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	mustRun(t, a, "UNLOCK TABLES")
	if err := <-bdone; err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, a, "SELECT (SELECT n FROM ta), (SELECT n FROM tb)").Rows[0]; toInt(got[0]) != 10 || toInt(got[1]) != 3 {
		t.Errorf("ta.n, tb.n = %v, want 10, 3", got)
	}
}

// lockTablesCycle sets up half a deadlock: tables ta and tb of one row,
// session a holding LOCK TABLES ta WRITE, and session b (closed with the
// test) in a transaction that has written tb.
func lockTablesCycle(t *testing.T) (a, b *Session) {
	t.Helper()
	a = newTestSession(t)
	b = NewSession(a.db)
	t.Cleanup(func() { b.Close() })
	mustRun(t, a, "CREATE TABLE ta (id INT PRIMARY KEY, n INT)")
	mustRun(t, a, "CREATE TABLE tb (id INT PRIMARY KEY, n INT)")
	mustRun(t, a, "INSERT INTO ta VALUES (1, 0)")
	mustRun(t, a, "INSERT INTO tb VALUES (1, 0)")
	mustRun(t, a, "LOCK TABLES ta WRITE")
	mustRun(t, b, "BEGIN")
	mustRun(t, b, "UPDATE tb SET n = 1")
	return a, b
}
