package sqlshim

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestLoadMariaDBDump loads a file written by mariadb-dump 10.11 (two
// InnoDB tables with keys, a DEFAULT CURRENT_TIMESTAMP column, NULLs and
// escaped strings; regenerate with any MariaDB and keep the tables) the
// way `blitz sql --force` does. Its /*!40101 SET ... */ lines run (user
// variables, sql_mode, the variables it saves and restores), ENGINE=InnoDB
// becomes BLITZDB with warning 1266 because the dump's sql_mode lacks
// NO_ENGINE_SUBSTITUTION, ALTER TABLE ... DISABLE KEYS is a note; the only
// errors are its LOCK TABLES and UNLOCK TABLES lines (1235), and every
// row arrives.
func TestLoadMariaDBDump(t *testing.T) {
	dump, err := os.ReadFile("../testdata/dump/mariadb-10.11.sql")
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSession(t)
	var out, errs bytes.Buffer
	sh := &Shell{Session: s, Out: &out, Err: &errs, Force: true}
	failed, err := sh.Run(context.Background(), bytes.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(errs.String()), "\n") {
		if !strings.Contains(line, "'LockTables statements'") && !strings.Contains(line, "'UnlockTables statements'") {
			t.Errorf("unexpected error: %s", line)
		}
	}
	if failed != 4 {
		t.Errorf("%d statements failed, want the 4 LOCK/UNLOCK TABLES", failed)
	}
	r := mustRun(t, s, "SELECT id, email, name, score, born IS NULL, created FROM users ORDER BY id")
	if len(r.Rows) != 3 || toString(r.Rows[1][2]) != "Bo'b" || toString(r.Rows[2][2]) != `Cy\n` || r.Rows[1][3] != nil ||
		toString(r.Rows[0][5]) != "2026-11-23 17:27:12" {
		t.Errorf("users: %v", r.Rows)
	}
	r = mustRun(t, s, "SELECT SUM(total), COUNT(note), MAX(id) FROM orders")
	if got := toString(r.Rows[0][0]) + " " + toString(r.Rows[0][1]) + " " + toString(r.Rows[0][2]); got != "110.49 2 3" {
		t.Errorf("orders: %s", got)
	}
	// AUTO_INCREMENT goes on after the dump's values, the unique key holds.
	mustRun(t, s, "INSERT INTO orders (user_id, total) VALUES (2, 1)")
	if id := toInt(mustRun(t, s, "SELECT LAST_INSERT_ID()").Rows[0][0]); id != 4 {
		t.Errorf("next AUTO_INCREMENT: %d, want 4", id)
	}
	if _, err := s.ExecOne(context.Background(), "INSERT INTO users (email) VALUES ('a@x.io')", nil); err == nil {
		t.Error("the dump's unique key on email was not enforced")
	}
	// The dump restored sql_mode at its end: engine substitution is off again.
	if _, err := s.ExecOne(context.Background(), "CREATE TABLE x (a INT) ENGINE=InnoDB", nil); err == nil {
		t.Error("ENGINE=InnoDB accepted after the dump restored sql_mode")
	}
	mustRun(t, s, "SET sql_mode = ''")
	r = mustRun(t, s, "CREATE TABLE x (a INT) ENGINE=MyISAM")
	if len(r.Warnings) != 1 || r.Warnings[0].Code != 1266 {
		t.Errorf("ENGINE=MyISAM with an empty sql_mode: warnings %v, want 1266", r.Warnings)
	}
}

// TestUserVariableLimits: one session's user variables hold at most 64
// MiB; a SET past it fails with a message and leaves the variable as it
// was, and freeing one (SET @v = NULL) makes room again.
func TestUserVariableLimits(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "SET @a = REPEAT('x', 40000000), @b = 'small'")
	if _, err := s.ExecOne(context.Background(), "SET @b = REPEAT('y', 40000000)", nil); err == nil {
		t.Fatal("user variables past 64 MiB were accepted")
	}
	if got := toString(mustRun(t, s, "SELECT @b").Rows[0][0]); got != "small" {
		t.Errorf("@b after the refused SET: %q", got)
	}
	mustRun(t, s, "SET @a = NULL")
	mustRun(t, s, "SET @b = REPEAT('y', 40000000)")
	if n := toInt(mustRun(t, s, "SELECT LENGTH(@b)").Rows[0][0]); n != 40000000 {
		t.Errorf("LENGTH(@b) = %d", n)
	}
}
