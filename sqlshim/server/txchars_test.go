package server

import (
	"testing"
)

// TestSQLShimTxChars: the transaction characteristics are the session's
// through the server: SET [SESSION] TRANSACTION and SET tx_isolation show
// in @@tx_isolation and @@transaction_isolation, and READ ONLY refuses
// writes with 1792.
func TestSQLShimTxChars(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	level := func() (string, string) {
		t.Helper()
		var a, b string
		if err := conn.QueryRowContext(t.Context(), "SELECT @@tx_isolation, @@session.transaction_isolation").Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		return a, b
	}
	if a, b := level(); a != "READ-COMMITTED" || b != a {
		t.Fatalf("default: %s %s, want READ-COMMITTED", a, b)
	}
	for _, c := range []struct{ set, want string }{
		{"SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SERIALIZABLE"},
		{"SET tx_isolation = 'REPEATABLE-READ'", "REPEATABLE-READ"},
		{"SET @@session.transaction_isolation = 'READ-UNCOMMITTED'", "READ-UNCOMMITTED"},
		{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "READ-UNCOMMITTED"}, // the next transaction only
	} {
		if _, err := conn.ExecContext(t.Context(), c.set); err != nil {
			t.Fatalf("%s: %v", c.set, err)
		}
		if a, b := level(); a != c.want || b != c.want {
			t.Errorf("after %s: %s %s, want %s", c.set, a, b, c.want)
		}
	}
	if _, err := conn.ExecContext(t.Context(), "SET tx_isolation = 'sometimes'"); errNumber(err) != 1231 {
		t.Errorf("bad level: %v, want error 1231", err)
	}
	if _, err := conn.ExecContext(t.Context(), "CREATE TABLE t (a INT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "SET SESSION TRANSACTION READ ONLY"); err != nil {
		t.Fatal(err)
	}
	var ro int64
	if err := conn.QueryRowContext(t.Context(), "SELECT @@tx_read_only").Scan(&ro); err != nil || ro != 1 {
		t.Errorf("@@tx_read_only = %d (%v), want 1", ro, err)
	}
	if _, err := conn.ExecContext(t.Context(), "INSERT INTO t VALUES (1)"); errNumber(err) != 1792 {
		t.Errorf("INSERT in a read-only session: %v, want error 1792", err)
	}
	if _, err := conn.ExecContext(t.Context(), "SET SESSION TRANSACTION READ WRITE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "INSERT INTO t VALUES (1)"); err != nil {
		t.Errorf("INSERT after READ WRITE: %v", err)
	}
}
