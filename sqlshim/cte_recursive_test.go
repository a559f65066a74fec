package sqlshim

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// runaway is a recursion without an end: one row more every iteration.
const runaway = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT COUNT(*) FROM c"

// TestRecursiveCTECancel: a runaway recursion allowed every iteration
// MariaDB allows stops when the statement's context is cancelled (KILL
// QUERY, a client's timeout), with error 1317, and the session works on.
func TestRecursiveCTECancel(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "SET max_recursive_iterations = 4294967295")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.ExecOne(ctx, runaway, nil)
	if sqlerr.Code(err) != sqlerr.ErrQueryInterrupted {
		t.Fatalf("runaway recursion: got %v, want error 1317", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("interrupted after %v", d)
	}
	r := mustRun(t, s, "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100) SELECT SUM(n) FROM c")
	if got := toInt(r.Rows[0][0]); got != 5050 {
		t.Fatalf("after the interruption: sum %d, want 5050", got)
	}
}

// TestRecursiveCTEMemoryBound: the rows a recursive CTE holds are bounded
// by blitz_memory_budget: past it the statement fails with 1114 naming
// the CTE, where MariaDB would fill its disk.
func TestRecursiveCTEMemoryBound(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "SET max_recursive_iterations = 4294967295")
	mustRun(t, s, "SET blitz_memory_budget = 65536")
	_, err := s.ExecOne(context.Background(), runaway, nil)
	if sqlerr.Code(err) != 1114 || !strings.Contains(err.Error(), "'c'") || !strings.Contains(err.Error(), "blitz_memory_budget") {
		t.Fatalf("runaway recursion under a 64 KiB budget: got %v, want error 1114 naming c and the budget", err)
	}
	// UNION DISTINCT's keys count too: a fan-out of distinct rows.
	_, err = s.ExecOne(context.Background(), "WITH RECURSIVE c(n) AS (SELECT 1 UNION SELECT n * 2 + k FROM c, (SELECT 0 k UNION ALL SELECT 1) b WHERE n < 1e15) SELECT COUNT(*) FROM c", nil)
	if sqlerr.Code(err) != 1114 {
		t.Fatalf("distinct fan-out under a 64 KiB budget: got %v, want 1114", err)
	}
	// Within the budget the same shape answers.
	mustRun(t, s, "SET blitz_memory_budget = DEFAULT")
	r := mustRun(t, s, "WITH RECURSIVE c(n) AS (SELECT 1 UNION SELECT n * 2 + k FROM c, (SELECT 0 k UNION ALL SELECT 1) b WHERE n < 512) SELECT COUNT(*), MAX(n) FROM c")
	if n, m := toInt(r.Rows[0][0]), toInt(r.Rows[0][1]); n != 1023 || m != 1023 {
		t.Fatalf("binary tree to 1023: %d rows, max %d", n, m)
	}
}

// TestRecursiveCTEIterations: a long series needs max_recursive_iterations
// raised; the default stops it after 1000 iterations with warning 1931.
func TestRecursiveCTEIterations(t *testing.T) {
	s := newTestSession(t)
	const series = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < ?) SELECT COUNT(*), SUM(n) FROM c"
	r := mustRun(t, s, series, 5000)
	if got := toInt(r.Rows[0][0]); got != 1001 {
		t.Fatalf("default limit: %d rows, want 1001", got)
	}
	if len(s.warnings) != 1 || s.warnings[0].Code != 1931 {
		t.Fatalf("default limit: warnings %+v, want one 1931", s.warnings)
	}
	mustRun(t, s, "SET max_recursive_iterations = 30000")
	start := time.Now()
	r = mustRun(t, s, series, 30000)
	if n, sum := toInt(r.Rows[0][0]), toInt(r.Rows[0][1]); n != 30000 || sum != 30000*30001/2 {
		t.Fatalf("series to 30000: %d rows summing %d", n, sum)
	}
	t.Logf("series of 30000 rows (30000 iterations): %v", time.Since(start))
	if len(s.warnings) != 0 {
		t.Fatalf("within the limit: warnings %+v", s.warnings)
	}
}

// TestRecursiveCTEPrepared: placeholders in the anchor and the recursive
// part, the prepared statement run again with other arguments.
func TestRecursiveCTEPrepared(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE emp (id INT PRIMARY KEY, boss INT, KEY (boss))")
	mustRun(t, s, "INSERT INTO emp VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 4), (6, 3)")
	const q = "WITH RECURSIVE sub(id, d) AS (SELECT id, 0 FROM emp WHERE id = ? UNION ALL SELECT e.id, sub.d + 1 FROM emp e JOIN sub ON e.boss = sub.id WHERE sub.d < ?) SELECT COUNT(*) FROM sub"
	for _, c := range []struct{ root, depth, want int64 }{{1, 10, 6}, {2, 10, 3}, {1, 1, 3}, {1, 0, 1}, {6, 10, 1}, {9, 10, 0}} {
		r := mustRun(t, s, q, c.root, c.depth)
		if got := toInt(r.Rows[0][0]); got != c.want {
			t.Errorf("under %d to depth %d: %d rows, want %d", c.root, c.depth, got, c.want)
		}
	}
}
