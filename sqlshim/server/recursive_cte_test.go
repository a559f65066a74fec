package server

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSQLShimRecursiveCTE: max_recursive_iterations is the session's
// through the server (SET, @@, SHOW VARIABLES, warning 1931), and KILL
// QUERY stops a runaway recursion with 1317, the connection living on.
func TestSQLShimRecursiveCTE(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "SET max_recursive_iterations = 2"); err != nil {
		t.Fatal(err)
	}
	var v int64
	if err := conn.QueryRowContext(t.Context(), "SELECT @@max_recursive_iterations").Scan(&v); err != nil || v != 2 {
		t.Fatalf("@@max_recursive_iterations = %d (%v), want 2", v, err)
	}
	var n int64
	if err := conn.QueryRowContext(t.Context(), "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT COUNT(*) FROM c").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count under 2 iterations: %d (%v), want 3", n, err)
	}
	var level, msg string
	var code int
	if err := conn.QueryRowContext(t.Context(), "SHOW WARNINGS").Scan(&level, &code, &msg); err != nil || code != 1931 {
		t.Fatalf("warning: %s %d %s (%v), want 1931", level, code, msg, err)
	}

	if _, err := conn.ExecContext(t.Context(), "SET max_recursive_iterations = 4294967295"); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := conn.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- conn.QueryRowContext(t.Context(), "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT COUNT(*) FROM c").Scan(&n)
	}()
	waitQuery(t, db, id, "WITH RECURSIVE")
	start := time.Now()
	if _, err := db.Exec("KILL QUERY " + strconv.FormatInt(id, 10)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if errNumber(err) != 1317 {
			t.Fatalf("killed recursion: %v, want error 1317", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not stop the recursion")
	}
	t.Logf("KILL QUERY stopped the recursion in %v", time.Since(start))
	if err := conn.QueryRowContext(t.Context(), "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10) SELECT SUM(n) FROM c").Scan(&n); err != nil || n != 55 {
		t.Fatalf("after KILL QUERY: sum %d (%v), want 55", n, err)
	}
}

// waitQuery waits until SHOW PROCESSLIST shows connection id running a
// statement that contains text.
func waitQuery(t *testing.T, db *sql.DB, id int64, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		rows, err := db.Query("SHOW PROCESSLIST")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for rows.Next() {
			var rid uint64
			var user, host, command string
			var dbn, state, info sql.NullString
			var secs int64
			if err := rows.Scan(&rid, &user, &host, &dbn, &command, &secs, &state, &info); err != nil {
				t.Fatal(err)
			}
			found = found || int64(rid) == id && strings.Contains(info.String, text)
		}
		rows.Close()
		if found {
			return
		}
	}
	t.Fatalf("connection %d never showed %q in SHOW PROCESSLIST", id, text)
}
