package server

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The stock MariaDB tools against the server, where they send what no
// other test's client sends.

const mariadbSlap = "/usr/bin/mariadb-slap"

// TestQueryTrailingNUL: a query whose text ends in one NUL byte, as
// mariadb-slap sends its statements, runs as MariaDB runs it: the NUL is
// the end of the text. Two NULs, or one before more text, are a syntax
// error there (1064) and here.
func TestQueryTrailingNUL(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	for _, q := range []string{"SELECT 7\x00", "SELECT 7;\x00", "SELECT 7 \x00"} {
		var v int
		if err := db.QueryRow(q).Scan(&v); err != nil || v != 7 {
			t.Errorf("%q: %d, %v; want 7", q, v, err)
		}
	}
	// Prepared (the driver prepares a query with arguments).
	var v int
	if err := db.QueryRow("SELECT ? + 1\x00", 6).Scan(&v); err != nil || v != 7 {
		t.Errorf("prepared SELECT ? + 1 NUL: %d, %v; want 7", v, err)
	}
	for _, q := range []string{"SELECT 7\x00\x00", "SELECT 7\x00 + 1"} {
		if err := db.QueryRow(q).Scan(&v); errNumber(err) != 1064 {
			t.Errorf("%q: %v; want error 1064", q, err)
		}
	}
	// A NUL inside a string is the string's.
	var str string
	if err := db.QueryRow("SELECT 'a\x00'\x00").Scan(&str); err != nil || str != "a\x00" {
		t.Errorf("SELECT 'a NUL' NUL: %q, %v", str, err)
	}
}

// TestMariaDBSlap runs small mariadb-slap loads with the SQL it makes up
// itself. Its schema must be the served database (--create-schema=e2e:
// it drops and creates the schema, that is every table of the database,
// as it would on MariaDB); its default schema, mysqlslap, is another
// database, which blitz refuses by name.
func TestMariaDBSlap(t *testing.T) {
	if _, err := exec.LookPath(mariadbSlap); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", mariadbSlap, err)
	}
	s := startSQLShim(t, Options{})
	host, port, _ := strings.Cut(s.Addr().String(), ":")
	slap := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		all := append([]string{"--no-defaults", "--protocol=tcp", "-h", host, "-P", port, "-u", "root",
			"--concurrency=4", "--iterations=2", "--number-of-queries=200", "--auto-generate-sql"}, args...)
		out, err := exec.CommandContext(ctx, mariadbSlap, all...).CombinedOutput()
		return string(out), err
	}
	for _, load := range []string{"mixed", "key", "update", "read"} {
		args := []string{"--create-schema=e2e", "--auto-generate-sql-load-type=" + load}
		if load == "key" || load == "update" {
			args = append(args, "--auto-generate-sql-add-autoincrement")
		}
		out, err := slap(args...)
		if err != nil || !strings.Contains(out, "Average number of queries per client: 50") {
			t.Errorf("mariadb-slap %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	out, err := slap()
	if err == nil || !strings.Contains(out, "Cannot create schema mysqlslap") || !strings.Contains(out, "CREATE DATABASE of another database than the open one") {
		t.Errorf("mariadb-slap into schema mysqlslap: %v\n%s", err, out)
	}
	// The server is still serving, and its database is there, empty.
	db := sqlshimDB(t, s, "")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'e2e'").Scan(&n); err != nil || n != 0 {
		t.Errorf("tables left after mariadb-slap: %d, %v", n, err)
	}
}

// TestComRefreshAndDebug: COM_REFRESH (mariadb-admin refresh, flush-threads;
// mariadb-dump --flush-logs) and COM_DEBUG (mariadb-admin debug), which
// vitess answers with error 1047, are answered with an OK packet, with or
// without COM_REFRESH's option byte, and the connection goes on in step.
func TestComRefreshAndDebug(t *testing.T) {
	s := startSQLShim(t, Options{})
	rc := rawDial(t, s.Addr().String(), "e2e", false)
	rc.query(t, "CREATE TABLE t (id INT PRIMARY KEY)", nil)
	for _, cmd := range [][]byte{
		{comRefresh, refreshTables | 0x02}, // refresh: tables and logs
		{comRefresh, 0x02},                 // flush-logs
		{comRefresh, 0x20},                 // flush-threads
		{comRefresh},                       // no options
		{comDebug},
	} {
		rc.write(t, 0, cmd)
		p, _ := rc.read(t)
		if len(p) == 0 || p[0] != 0x00 {
			t.Fatalf("% x: answered % x %q, want an OK packet", cmd, p, p)
		}
		if ok, err := parseOK(p); err != nil || ok.status&serverStatusAutocommit == 0 {
			t.Errorf("% x: OK packet %v, %v: want the autocommit status", cmd, ok, err)
		}
	}
	// Two commands in one write, each answered.
	if _, err := rc.c.Write([]byte{2, 0, 0, 0, comRefresh, refreshTables, 1, 0, 0, 0, comDebug}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if p, _ := rc.read(t); len(p) == 0 || p[0] != 0x00 {
			t.Fatalf("COM_REFRESH and COM_DEBUG in one write: answered % x %q", p, p)
		}
	}
	rc.query(t, "INSERT INTO t VALUES (1)", nil)
	// The table and its row are there after FLUSH TABLES.
	db := sqlshimDB(t, s, "")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Errorf("after COM_REFRESH: %d rows, %v", n, err)
	}
}

// TestDBDroppedStatus: the reply to DROP DATABASE of the current database
// carries SERVER_STATUS_DB_DROPPED, on which the interactive mariadb
// client asks DATABASE() again, so that its prompt's \d says (none) as
// against MariaDB; the next statement's reply does not.
func TestDBDroppedStatus(t *testing.T) {
	s := startSQLShim(t, Options{})
	rc := rawDial(t, s.Addr().String(), "e2e", false)
	rc.query(t, "CREATE TABLE t (id INT PRIMARY KEY)", nil)
	status := func(q string) uint16 {
		t.Helper()
		ok, err := parseOK(rc.query(t, q, nil))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return ok.status
	}
	if st := status("DROP DATABASE IF EXISTS other"); st&serverStatusDBDropped != 0 {
		t.Errorf("DROP DATABASE of a database that is not there: status %#x has DB_DROPPED", st)
	}
	if st := status("DROP DATABASE e2e"); st&serverStatusDBDropped == 0 {
		t.Errorf("DROP DATABASE of the current database: status %#x lacks DB_DROPPED (%#x)", st, serverStatusDBDropped)
	}
	if st := status("CREATE DATABASE e2e"); st&serverStatusDBDropped != 0 {
		t.Errorf("the statement after DROP DATABASE: status %#x still has DB_DROPPED", st)
	}
	status("USE e2e")
	if st := status("DROP DATABASE e2e"); st&serverStatusDBDropped == 0 {
		t.Errorf("DROP DATABASE again after CREATE DATABASE and USE: status %#x lacks DB_DROPPED", st)
	}
}
