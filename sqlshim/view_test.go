package sqlshim

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestViewReopen: views survive a close and reopen, keep the columns they
// had when created after a base table gains one, and a view whose table
// was dropped answers 1356 until the table is back.
func TestViewReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test")
	ctx := context.Background()
	open := func() (*engine.DB, *Session) {
		db, err := engine.Open(dir, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return db, NewSession(db)
	}
	exec := func(s *Session, sql string) Result {
		t.Helper()
		r, err := s.ExecOne(ctx, sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return r
	}
	db, s := open()
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT)",
		"INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)",
		"CREATE VIEW big AS SELECT * FROM t WHERE v > 10 WITH CHECK OPTION",
		"CREATE VIEW total (n, s) AS SELECT COUNT(*), SUM(v) FROM big",
	} {
		exec(s, q)
	}
	db.Close()

	db, s = open()
	if r := exec(s, "SELECT * FROM total"); fmt.Sprint(r.Rows) != "[[2 50]]" {
		t.Fatalf("total after reopen: %v", r.Rows)
	}
	exec(s, "ALTER TABLE t ADD COLUMN w INT DEFAULT 7")
	if r := exec(s, "SELECT * FROM big ORDER BY id"); len(r.Columns) != 2 || fmt.Sprint(r.Rows) != "[[2 20] [3 30]]" {
		t.Fatalf("big after ADD COLUMN: %d columns %v", len(r.Columns), r.Rows)
	}
	if _, err := s.ExecOne(ctx, "UPDATE big SET v = 5 WHERE id = 2", nil); sqlerr.Code(err) != sqlerr.ErrViewCheckFailed {
		t.Fatalf("update against the check option: %v", err)
	}
	exec(s, "DROP TABLE t")
	db.Close()

	db, s = open()
	defer db.Close()
	if _, err := s.ExecOne(ctx, "SELECT * FROM total", nil); sqlerr.Code(err) != sqlerr.ErrViewInvalid {
		t.Fatalf("view of a dropped table: %v", err)
	}
	exec(s, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	exec(s, "INSERT INTO big VALUES (9, 90)")
	if r := exec(s, "SELECT * FROM total"); fmt.Sprint(r.Rows) != "[[1 90]]" {
		t.Fatalf("total with the table back: %v", r.Rows)
	}
}

// TestRewriteViewDDL: ALTER VIEW becomes CREATE OR REPLACE, a bare WITH
// CHECK OPTION gets its CASCADED, the option is noted however it is
// written (in a dump's versioned comment too), and other statements pass
// untouched.
func TestRewriteViewDDL(t *testing.T) {
	for _, c := range []struct {
		in, out string
		alter   bool
		check   string
	}{
		{"ALTER VIEW v AS SELECT 1", "CREATE OR REPLACE VIEW v AS SELECT 1", true, ""},
		{"alter algorithm=merge definer=`a`@`b` sql security invoker view v as select 1 with check option",
			"CREATE OR REPLACE algorithm=merge definer=`a`@`b` sql security invoker view v as select 1 with CASCADED check option", true, "CASCADED"},
		{"-- note\nCREATE VIEW v AS SELECT 1 WITH LOCAL CHECK OPTION;", "-- note\nCREATE VIEW v AS SELECT 1 WITH LOCAL CHECK OPTION;", false, "LOCAL"},
		{"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50001 VIEW `v` AS select 1 AS `a` WITH CASCADED CHECK OPTION */", "", false, "CASCADED"},
		{"CREATE VIEW v AS SELECT 'with check option'", "", false, ""},
	} {
		out, vd := rewriteViewDDL(c.in)
		if c.out == "" {
			c.out = c.in
		}
		if out != c.out || vd == nil || vd.alter != c.alter || vd.check != c.check {
			t.Errorf("%q: got %q %+v, want %q alter=%v check=%q", c.in, out, vd, c.out, c.alter, c.check)
		}
	}
	for _, in := range []string{"ALTER TABLE t ADD COLUMN view INT", "ALTER DATABASE d CHARACTER SET utf8mb4", "SELECT 1 WITH CHECK OPTION", "CREATE TABLE view_log (a INT)"} {
		if out, vd := rewriteViewDDL(in); out != in || vd != nil && vd.alter {
			t.Errorf("%q: rewritten to %q %+v", in, out, vd)
		}
	}
}
