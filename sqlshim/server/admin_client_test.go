package server

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

const mariadbAdmin = "/usr/bin/mariadb-admin"

// TestMariaDBAdmin runs the stock mariadb-admin against a server over
// sqlshim: ping, status (COM_STATISTICS, which vitess does not route to
// the handler: the server answers it under vitess), version (whose
// Uptime line comes from the same reply), processlist, variables, and
// refresh, flush-threads and debug (COM_REFRESH, COM_DEBUG: refresh.go).
func TestMariaDBAdmin(t *testing.T) {
	if _, err := exec.LookPath(mariadbAdmin); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", mariadbAdmin, err)
	}
	s := startSQLShim(t, Options{})
	mustExecS(t, sqlshimDB(t, s, ""), "CREATE TABLE a (id INT PRIMARY KEY)")
	host, port, _ := strings.Cut(s.Addr().String(), ":")
	admin := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		all := append([]string{"--no-defaults", "--protocol=tcp", "-h", host, "-P", port, "-u", "root"}, args...)
		out, err := exec.CommandContext(ctx, mariadbAdmin, all...).CombinedOutput()
		if err != nil {
			t.Fatalf("mariadb-admin %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if out := admin("ping"); out != "mysqld is alive\n" {
		t.Errorf("ping: %q", out)
	}
	stat := regexp.MustCompile(`^Uptime: \d+  Threads: \d+  Questions: \d+  Slow queries: 0  Opens: 1  Open tables: 1  Queries per second avg: \d+\.\d{3}\n$`)
	if out := admin("status"); !stat.MatchString(out) {
		t.Errorf("status: %q, want MariaDB's form", out)
	}
	// Twice in one connection: the reply leaves the protocol in step.
	if out := admin("status", "status", "ping"); strings.Count(out, "Uptime: ") != 2 || !strings.HasSuffix(out, "mysqld is alive\n") {
		t.Errorf("status status ping: %q", out)
	}
	if out := admin("version"); !regexp.MustCompile(`\nUptime:\t+\d+ sec\n\nThreads: \d+  Questions: `).MatchString(out) {
		t.Errorf("version lacks the uptime and status lines:\n%s", out)
	}
	if out := admin("processlist"); !regexp.MustCompile(`\| Id +\| User +\| Host +\| db +\| Command +\| Time +\| State +\| Info`).MatchString(out) ||
		!strings.Contains(out, "| root ") {
		t.Errorf("processlist:\n%s", out)
	}
	if out := admin("variables"); !regexp.MustCompile(`\| max_allowed_packet +\| \d+ +\|`).MatchString(out) {
		t.Errorf("variables lacks max_allowed_packet:\n%s", out)
	}
	// COM_REFRESH and COM_DEBUG (refresh.go), then a command that shows
	// the connection is still in step.
	if out := admin("refresh", "flush-threads", "debug", "ping"); out != "mysqld is alive\n" {
		t.Errorf("refresh flush-threads debug ping: %q", out)
	}
	// The FLUSH kinds and replica controls TiDB's parser does not read
	// (show_replication.go, exec_flush.go), as a MariaDB that is no
	// replica answers them. (Seeing a server version that is not
	// MariaDB's, mariadb-admin sends START SLAVE for start-all-slaves
	// too, which is 1200 here as on a MySQL that is no replica.)
	if out := admin("flush-all-statistics", "flush-all-status", "flush-relay-log", "flush-user-resources",
		"stop-slave", "stop-all-slaves", "ping"); out != "mysqld is alive\n" {
		t.Errorf("flush-all-statistics ... stop-all-slaves: %q", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, mariadbAdmin, "--no-defaults", "--protocol=tcp", "-h", host, "-P", port, "-u", "root", "start-slave").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Misconfigured slave: MASTER_HOST was not set") {
		t.Errorf("start-slave: %v %q", err, out)
	}
}

// TestMariaDBAdminShutdown: mariadb-admin shutdown (COM_SHUTDOWN) stops
// the server as SIGTERM does, for a logged-in client only: a wrong
// password gets 1045 and leaves the server serving.
func TestMariaDBAdminShutdown(t *testing.T) {
	if _, err := exec.LookPath(mariadbAdmin); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", mariadbAdmin, err)
	}
	s := startSQLShim(t, Options{User: "u", Password: "pw"})
	host, port, _ := strings.Cut(s.Addr().String(), ":")
	admin := func(password string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		all := append([]string{"--no-defaults", "--protocol=tcp", "-h", host, "-P", port, "-u", "u", "-p" + password}, args...)
		out, err := exec.CommandContext(ctx, mariadbAdmin, all...).CombinedOutput()
		return string(out), err
	}
	if out, err := admin("wrong", "shutdown"); err == nil || !strings.Contains(out, "Access denied") {
		t.Fatalf("shutdown with a wrong password: %v\n%s", err, out)
	}
	if out, err := admin("pw", "ping"); err != nil || out != "mysqld is alive\n" {
		t.Fatalf("ping after a refused shutdown: %v %q", err, out)
	}
	// mariadb-admin password sets sql_log_off, then sends SET
	// password='...', sql_log_off=0: refused by name, and the password
	// stays what --password says (as SET PASSWORD and ALTER USER).
	if out, err := admin("pw", "password", "new"); err == nil ||
		!strings.HasSuffix(out, "mariadb-admin: unable to change password; error: 'This version of MySQL doesn't yet support 'SET PASSWORD''\n") {
		t.Errorf("password: %v %q", err, out)
	}
	db := openDB(t, strings.Replace(dsn(s, "u:pw", ""), "/testdb?", "/e2e?", 1))
	for _, q := range []string{"SET PASSWORD = PASSWORD('new')", "SET PASSWORD FOR u = 'x'", "ALTER USER u IDENTIFIED BY 'new'"} {
		if _, err := db.Exec(q); errNumber(err) != 1235 || !strings.Contains(err.Error(), "support '"+strings.Join(strings.Fields(q)[:2], " ")+"'") {
			t.Errorf("%s: %v, want 1235 naming the statement", q, err)
		}
	}
	if out, err := admin("pw", "ping"); err != nil || out != "mysqld is alive\n" {
		t.Fatalf("ping after a refused password change: %v %q", err, out)
	}
	if out, err := admin("pw", "shutdown"); err != nil || out != "" {
		t.Fatalf("shutdown: %v\n%s", err, out)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not shut down after COM_SHUTDOWN")
	}
	if s.shutdownErr != nil {
		t.Errorf("closing the database: %v", s.shutdownErr)
	}
	if out, err := admin("pw", "ping"); err == nil {
		t.Errorf("ping after shutdown answered: %q", out)
	}
}
