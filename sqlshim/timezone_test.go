package sqlshim_test

import (
	"context"
	"database/sql"
	"testing"
)

// TestTimeZoneSessions: through database/sql, each connection (session)
// has its own @@time_zone and reads a row's TIMESTAMP in it; SET GLOBAL
// time_zone is the zone the database's new sessions start in, and
// @@global.time_zone says it.
func TestTimeZoneSessions(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	conn := func() *sql.Conn {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	read := func(c *sql.Conn, q string) string {
		t.Helper()
		var s string
		if err := c.QueryRowContext(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	a, b := conn(), conn()
	if _, err := a.ExecContext(ctx, "SET time_zone = '+05:45'"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, ts TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, "INSERT INTO t VALUES (1, FROM_UNIXTIME(86400)), (2, DEFAULT)"); err != nil {
		t.Fatal(err)
	}
	if got := read(a, "SELECT DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') FROM t WHERE id = 1"); got != "1970-01-02 05:45:00.000000" {
		t.Errorf("+05:45 reads %q", got)
	}
	if got := read(b, "SELECT DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f') FROM t WHERE id = 1"); got != "1970-01-02 00:00:00.000000" {
		t.Errorf("SYSTEM reads %q", got)
	}
	// DEFAULT CURRENT_TIMESTAMP stored the instant: both read it as now.
	for _, c := range []*sql.Conn{a, b} {
		if got := read(c, "SELECT ABS(TIMESTAMPDIFF(SECOND, ts, NOW())) < 5 FROM t WHERE id = 2"); got != "1" {
			t.Errorf("DEFAULT CURRENT_TIMESTAMP is not NOW() in the reader's zone")
		}
	}
	if got := read(b, "SELECT @@global.time_zone"); got != "SYSTEM" {
		t.Errorf("@@global.time_zone = %q", got)
	}
	if _, err := b.ExecContext(ctx, "SET GLOBAL time_zone = '-03:00'"); err != nil {
		t.Fatal(err)
	}
	if got := read(b, "SELECT CONCAT(@@global.time_zone, ' ', @@time_zone)"); got != "-03:00 SYSTEM" {
		t.Errorf("after SET GLOBAL: %q, want the session's zone unchanged", got)
	}
	if got := read(conn(), "SELECT CONCAT(@@time_zone, ' ', DATE_FORMAT(ts, '%Y-%m-%d %H:%i')) FROM t WHERE id = 1"); got != "-03:00 1970-01-01 21:00" {
		t.Errorf("a new session after SET GLOBAL: %q", got)
	}
	if _, err := b.ExecContext(ctx, "SET GLOBAL time_zone = DEFAULT"); err != nil {
		t.Fatal(err)
	}
	if got := read(conn(), "SELECT @@time_zone"); got != "SYSTEM" {
		t.Errorf("after SET GLOBAL time_zone = DEFAULT: %q", got)
	}
	if _, err := b.ExecContext(ctx, "SET GLOBAL time_zone = 'Mars/Olympus'"); err == nil {
		t.Error("SET GLOBAL time_zone = 'Mars/Olympus' was taken")
	}
}
