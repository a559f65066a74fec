package sqlshim

import (
	"context"
	"testing"
	"time"
)

// lockValue runs a one-value SELECT in s and returns the value as
// FormatValue prints it ("NULL" for NULL).
func lockValue(t *testing.T, ctx context.Context, s *Session, q string) string {
	t.Helper()
	r, err := s.ExecOne(ctx, q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if r.Rows[0][0] == nil {
		return "NULL"
	}
	v, _ := FormatValue(r.Columns[0], r.Rows[0][0])
	return v
}

// TestUserLockSessions: a named lock keeps other sessions of the database
// out until its holder releases it or ends; a waiter gets it as soon as
// it is released, gives up at its timeout, and returns NULL at once when
// its statement is killed.
func TestUserLockSessions(t *testing.T) {
	a := newTestSession(t)
	b := NewSession(a.db)
	a.SetClient(Client{ID: 7, User: "root", Host: "h", AccountHost: "%"})
	b.SetClient(Client{ID: 8, User: "root", Host: "h", AccountHost: "%"})
	ctx := context.Background()
	get := func(s *Session, q string) string { return lockValue(t, ctx, s, q) }

	if v := get(a, "SELECT GET_LOCK('m', 0)"); v != "1" {
		t.Fatalf("a: GET_LOCK = %s, want 1", v)
	}
	start := time.Now()
	if v := get(b, "SELECT GET_LOCK('m', 0.2)"); v != "0" {
		t.Fatalf("b: GET_LOCK of a held lock = %s, want 0", v)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("b gave up after %v, before its 0.2 s timeout", d)
	}
	if v := get(b, "SELECT IS_USED_LOCK('m')"); v != "7" {
		t.Fatalf("b: IS_USED_LOCK = %s, want a's id 7", v)
	}
	if v := get(b, "SELECT RELEASE_LOCK('m')"); v != "0" {
		t.Fatalf("b: RELEASE_LOCK of a's lock = %s, want 0", v)
	}

	// b waits; a's release hands it over.
	got := make(chan string, 1)
	go func() { got <- get(b, "SELECT GET_LOCK('m', 30)") }()
	time.Sleep(50 * time.Millisecond)
	if v := get(a, "SELECT RELEASE_LOCK('m')"); v != "1" {
		t.Fatalf("a: RELEASE_LOCK = %s, want 1", v)
	}
	select {
	case v := <-got:
		if v != "1" {
			t.Fatalf("b: GET_LOCK after the release = %s, want 1", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b still waits after a released the lock")
	}

	// a waits for b's lock and is killed: NULL, at once.
	kctx, cancel := context.WithCancel(ctx)
	go func() { got <- lockValue(t, kctx, a, "SELECT GET_LOCK('m', 30)") }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case v := <-got:
		if v != "NULL" {
			t.Fatalf("a: killed GET_LOCK = %s, want NULL", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a killed GET_LOCK still waits")
	}

	// The end of b's session gives its locks back.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if v := get(a, "SELECT GET_LOCK('m', 0)"); v != "1" {
		t.Fatalf("a: GET_LOCK after b's session ended = %s, want 1", v)
	}

	// Another database has locks of its own.
	c := newTestSession(t)
	if v := get(c, "SELECT GET_LOCK('m', 0)"); v != "1" {
		t.Fatalf("other database: GET_LOCK = %s, want 1", v)
	}
	a.Close()
	c.Close()
}
