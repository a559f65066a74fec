package sqlshim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatsFollowTable: DROP TABLE deletes T.stats; RENAME TABLE and
// ALTER TABLE ... RENAME move it; a table created again under an old name
// finds no statistics.
func TestStatsFollowTable(t *testing.T) {
	s := newTestSession(t)
	dir := s.db.Dir()
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name+statsSuffix))
		return err == nil
	}
	mustExec(t, s, "CREATE TABLE a (id INT PRIMARY KEY, v INT)")
	mustExec(t, s, "INSERT INTO a VALUES (1, 1), (2, 2), (3, 2)")
	mustExec(t, s, "ANALYZE TABLE a")
	if !exists("a") {
		t.Fatal("ANALYZE TABLE wrote no a.stats")
	}
	mustExec(t, s, "RENAME TABLE a TO b")
	if exists("a") || !exists("b") {
		t.Errorf("RENAME TABLE: a.stats %v, b.stats %v", exists("a"), exists("b"))
	}
	mustExec(t, s, "ALTER TABLE b RENAME TO c")
	if exists("b") || !exists("c") {
		t.Errorf("ALTER TABLE RENAME: b.stats %v, c.stats %v", exists("b"), exists("c"))
	}
	mustExec(t, s, "CREATE TABLE b (id INT PRIMARY KEY, v INT)")
	x := &execCtx{s: s}
	if x.loadStats("b") != nil {
		t.Error("a new table b found statistics")
	}
	if x.loadStats("c") == nil {
		t.Error("the renamed table c lost its statistics")
	}
	// A stale file under the new name (left by an older version) goes.
	os.WriteFile(filepath.Join(dir, "d"+statsSuffix), []byte("{}"), 0o644)
	mustExec(t, s, "RENAME TABLE b TO d")
	if exists("d") {
		t.Error("RENAME TABLE kept a stale d.stats")
	}
	mustExec(t, s, "DROP TABLE c, d")
	if exists("c") {
		t.Error("DROP TABLE left c.stats")
	}
}

// TestExplainDerived: EXPLAIN of a query with derived tables shows the
// outer SELECT as PRIMARY with <derivedN> rows, then each derived query's
// rows as DERIVED with id N (numbered as written, nested ones after their
// parent), and a UNION in a derived table as DERIVED, UNION, UNION RESULT.
func TestExplainDerived(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY ka (a))")
	mustExec(t, s, "CREATE TABLE u (k INT, w VARCHAR(10))")
	mustExec(t, s, "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)")
	mustExec(t, s, "INSERT INTO u VALUES (1, 'x'), (2, 'y')")
	cols := func(r Result, n int) string {
		var b strings.Builder
		for _, row := range r.Rows {
			for j := 0; j < n; j++ {
				if row[j] == nil {
					b.WriteString("NULL")
				} else {
					b.WriteString(toString(row[j]))
				}
				b.WriteByte(' ')
			}
			b.WriteByte('|')
		}
		return b.String()
	}
	for _, c := range []struct{ q, want string }{
		{"EXPLAIN SELECT * FROM (SELECT id, a FROM t WHERE a > 1) AS d",
			"1 PRIMARY <derived2> |2 DERIVED t |"},
		{"EXPLAIN SELECT * FROM u JOIN (SELECT id, a FROM t WHERE id = 2) AS d ON d.a = u.k " +
			"JOIN (SELECT x.k FROM (SELECT k FROM u) x JOIN t ON t.a = x.k) e ON e.k = u.k",
			"1 PRIMARY <derived2> |1 PRIMARY u |1 PRIMARY <derived3> |2 DERIVED t |3 DERIVED <derived4> |3 DERIVED t |4 DERIVED u |"},
		{"EXPLAIN SELECT * FROM (SELECT a FROM t UNION SELECT k FROM u) d",
			"1 PRIMARY <derived2> |2 DERIVED t |3 UNION u |NULL UNION RESULT <union2,3> |"},
		{"EXPLAIN SELECT * FROM t JOIN u ON u.k = t.a", "1 SIMPLE u |1 SIMPLE t |"},
		{"EXPLAIN SELECT * FROM t WHERE a = 2", "1 SIMPLE t |"},
	} {
		if got := cols(mustExec(t, s, c.q), 3); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.q, got, c.want)
		}
	}
}

// TestStatsFollowRowCount: ANALYZE TABLE's distinct-value estimates follow
// the live row count: a key-like column grows with the table, a column with
// few values keeps its count, and both stay within 1 and the row count.
func TestStatsFollowRowCount(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE o (id INT PRIMARY KEY, cat INT, KEY kc (cat))")
	insert := func(from, to int) {
		var b strings.Builder
		b.WriteString("INSERT INTO o VALUES ")
		for i := from; i < to; i++ {
			if i > from {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d, %d)", i, i%10)
		}
		mustExec(t, s, b.String())
	}
	insert(0, 1000)
	mustExec(t, s, "ANALYZE TABLE o")
	x := &execCtx{s: s}
	check := func(when string, wantID, wantCat int64) {
		t.Helper()
		js := &joinScope{}
		id, cat := x.distinct(js, "o", []string{"id"}), x.distinct(js, "o", []string{"cat"})
		// KMV estimates: within 10% of the truth.
		if float64(id) < 0.9*float64(wantID) || float64(id) > 1.1*float64(wantID) {
			t.Errorf("%s: distinct(id) = %d, want about %d", when, id, wantID)
		}
		if cat != wantCat {
			t.Errorf("%s: distinct(cat) = %d, want %d", when, cat, wantCat)
		}
	}
	check("after ANALYZE", 1000, 10)
	insert(1000, 4000)
	check("after the table grew fourfold", 4000, 10)
	mustExec(t, s, "DELETE FROM o WHERE id >= 5")
	check("after deleting all but 5 rows", 5, 5)
}

// TestTableReadSeesDDL: the column lookups a session keeps per table
// definition (tableRead) follow ALTER, RENAME, and DROP + CREATE.
func TestTableReadSeesDDL(t *testing.T) {
	s := newTestSession(t)
	cols := func(q string) int {
		t.Helper()
		return len(mustRun(t, s, q).Columns)
	}
	mustExec(t, s, "CREATE TABLE t (a INT PRIMARY KEY)")
	mustExec(t, s, "INSERT INTO t VALUES (1)")
	if n := cols("SELECT * FROM t"); n != 1 {
		t.Fatalf("%d columns, want 1", n)
	}
	mustExec(t, s, "ALTER TABLE t ADD COLUMN b INT")
	if n := cols("SELECT * FROM t"); n != 2 {
		t.Fatalf("after ALTER: %d columns, want 2", n)
	}
	mustExec(t, s, "UPDATE t SET b = 7 WHERE a = 1")
	if r := mustRun(t, s, "SELECT b FROM t WHERE a = 1"); len(r.Rows) != 1 || fmt.Sprint(r.Rows[0][0]) != "7" {
		t.Fatalf("after ALTER: %v", r.Rows)
	}
	mustExec(t, s, "RENAME TABLE t TO u")
	mustExec(t, s, "CREATE TABLE t (x INT PRIMARY KEY, y INT, z INT)")
	mustExec(t, s, "INSERT INTO t VALUES (1, 2, 3)")
	if n := cols("SELECT * FROM t"); n != 3 {
		t.Fatalf("new t: %d columns, want 3", n)
	}
	if _, err := s.ExecOne(context.Background(), "SELECT b FROM t", nil); err == nil {
		t.Fatal("SELECT b from the new t found the old column")
	}
	if n := cols("SELECT * FROM u JOIN t ON u.a = t.x"); n != 5 {
		t.Fatalf("join: %d columns, want 5", n)
	}
}

// TestUnknownColumnEmptyTable: a column the table does not have is an
// error (1054) even when the table has no rows to evaluate; aliases,
// qualified names and a subquery's columns are still accepted. (A
// subquery's own unknown column is still found only when the subquery
// runs.)
func TestUnknownColumnEmptyTable(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE t (x INT PRIMARY KEY, y INT)")
	mustExec(t, s, "CREATE TABLE u (k INT PRIMARY KEY)")
	for _, q := range []string{
		"SELECT b FROM t",
		"SELECT x FROM t WHERE b = 1",
		"SELECT x FROM t ORDER BY b",
		"SELECT x FROM t GROUP BY b",
		"SELECT x FROM t HAVING b > 0",
		"SELECT t.b FROM t",
		"SELECT x AS z FROM t WHERE z = 1",
	} {
		_, err := s.ExecOne(context.Background(), q, nil)
		if err == nil || !strings.Contains(err.Error(), "Unknown column") {
			t.Errorf("%s: %v, want Unknown column", q, err)
		}
	}
	for _, q := range []string{
		"SELECT x AS z FROM t ORDER BY z",
		"SELECT y, COUNT(*) AS c FROM t GROUP BY y HAVING c > 1 ORDER BY c",
		"SELECT a.x FROM t AS a WHERE a.y = 1",
		"SELECT x FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.k = t.x)",
		"SELECT x, (SELECT MAX(k) FROM u WHERE k > y) FROM t",
		"SELECT * FROM t ORDER BY 1",
		"SELECT d.x FROM (SELECT x FROM t) AS d",
	} {
		if _, err := s.ExecOne(context.Background(), q, nil); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}
