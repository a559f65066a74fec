package sqlshim

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

func newTestSession(t testing.TB) *Session {
	t.Helper()
	db, err := engine.Open(filepath.Join(t.TempDir(), "test"), engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewSession(db)
}

func mustRun(t *testing.T, s *Session, sql string, args ...any) Result {
	t.Helper()
	r, err := s.ExecOne(context.Background(), sql, args)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}

// ints reads a one-column result of integers (NULL as -1).
func ints(t *testing.T, r Result) []int64 {
	t.Helper()
	out := make([]int64, len(r.Rows))
	for i, row := range r.Rows {
		if row[0] == nil {
			out[i] = -1
			continue
		}
		out[i] = toInt(row[0])
	}
	return out
}

// fillRandom creates t(id, a) and u(id, tid, a) with random values (NULLs
// included) and returns them as Go maps for computing expected answers.
func fillRandom(t *testing.T, s *Session, rng *rand.Rand, nt, nu int) (ta map[int64]*int64, ua [][3]*int64) {
	mustRun(t, s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	mustRun(t, s, "CREATE TABLE u (id INT PRIMARY KEY, tid INT, a INT, KEY (tid))")
	val := func(n int) *int64 {
		if rng.Intn(6) == 0 {
			return nil
		}
		v := int64(rng.Intn(n))
		return &v
	}
	sqlv := func(p *int64) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprint(*p)
	}
	ta = map[int64]*int64{}
	var b strings.Builder
	for i := 1; i <= nt; i++ {
		ta[int64(i)] = val(20)
		fmt.Fprintf(&b, ",(%d,%s)", i, sqlv(ta[int64(i)]))
	}
	mustRun(t, s, "INSERT INTO t VALUES "+b.String()[1:])
	b.Reset()
	for i := 1; i <= nu; i++ {
		id := int64(i)
		row := [3]*int64{&id, val(nt + 3), val(20)}
		ua = append(ua, row)
		fmt.Fprintf(&b, ",(%d,%s,%s)", i, sqlv(row[1]), sqlv(row[2]))
	}
	mustRun(t, s, "INSERT INTO u VALUES "+b.String()[1:])
	return ta, ua
}

// TestSubqueryRandom checks correlated and uncorrelated subqueries against
// answers computed in Go from the same random data.
func TestSubqueryRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	s := newTestSession(t)
	ta, ua := fillRandom(t, s, rng, 60, 150)

	// Correlated COUNT and EXISTS per row of t.
	r := mustRun(t, s, "SELECT id, (SELECT COUNT(*) FROM u WHERE u.tid = t.id), EXISTS (SELECT 1 FROM u WHERE u.tid = t.id AND u.a > t.a) FROM t ORDER BY id")
	if len(r.Rows) != len(ta) {
		t.Fatalf("%d rows, want %d", len(r.Rows), len(ta))
	}
	for _, row := range r.Rows {
		id := toInt(row[0])
		var n, ex int64
		for _, u := range ua {
			if u[1] != nil && *u[1] == id {
				n++
				if u[2] != nil && ta[id] != nil && *u[2] > *ta[id] {
					ex = 1
				}
			}
		}
		if toInt(row[1]) != n || toInt(row[2]) != ex {
			t.Fatalf("id %d: got count %v exists %v, want %d %d", id, row[1], row[2], n, ex)
		}
	}

	// NOT IN with NULLs: three-valued, per row of t.
	r = mustRun(t, s, "SELECT id, a NOT IN (SELECT a FROM u WHERE u.tid = t.id) FROM t ORDER BY id")
	for _, row := range r.Rows {
		id := toInt(row[0])
		var want any = int64(1)
		sawNull, found, any := false, false, false
		for _, u := range ua {
			if u[1] == nil || *u[1] != id {
				continue
			}
			any = true
			if u[2] == nil || ta[id] == nil {
				sawNull = true
			} else if *u[2] == *ta[id] {
				found = true
			}
		}
		switch {
		case !any:
			want = int64(1)
		case found:
			want = int64(0)
		case sawNull:
			want = nil
		}
		if row[1] != want {
			t.Fatalf("id %d: NOT IN = %v, want %v", id, row[1], want)
		}
	}

	// > ALL over a correlated set.
	r = mustRun(t, s, "SELECT id FROM t WHERE a > ALL (SELECT a FROM u WHERE u.tid = t.id) ORDER BY id")
	var want []int64
	for id := int64(1); id <= int64(len(ta)); id++ {
		ok := true
		for _, u := range ua {
			if u[1] == nil || *u[1] != id {
				continue
			}
			if u[2] == nil || ta[id] == nil || *ta[id] <= *u[2] {
				ok = false
			}
		}
		if ok {
			want = append(want, id)
		}
	}
	if got := ints(t, r); fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("> ALL: got %v, want %v", got, want)
	}
}

// TestSubqueryCacheByOuterValues runs a correlated subquery whose outer
// values repeat and checks every row still gets its own answer.
func TestSubqueryCacheByOuterValues(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (id INT PRIMARY KEY, k INT, m INT)")
	mustRun(t, s, "CREATE TABLE u (id INT PRIMARY KEY, k INT)")
	mustRun(t, s, "INSERT INTO t VALUES (1, 1, 0), (2, 2, 0), (3, 1, 1), (4, 2, 1), (5, NULL, 0), (6, 1, 0)")
	mustRun(t, s, "INSERT INTO u VALUES (1, 1), (2, 1), (3, 2)")
	// The answer depends on k, and (through CASE) on m only when k = 1.
	r := mustRun(t, s, "SELECT id, (SELECT CASE WHEN t.k = 1 THEN COUNT(*) + t.m ELSE COUNT(*) END FROM u WHERE u.k = t.k) FROM t ORDER BY id")
	want := []any{int64(2), int64(1), int64(3), int64(1), int64(0), int64(2)}
	for i, row := range r.Rows {
		if toString(row[1]) != toString(want[i]) {
			t.Fatalf("row %d: got %v, want %v (all %v)", i+1, row[1], want[i], r.Rows)
		}
	}
}

// TestSubqueryErrors: bad subqueries fail with MySQL's errors, no panic.
func TestSubqueryErrors(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	mustRun(t, s, "INSERT INTO t VALUES (1, 1), (2, 2)")
	cases := []struct {
		sql  string
		code int
	}{
		{"SELECT (SELECT a FROM t)", sqlerr.ErrSubqueryNo1Row},
		{"SELECT (SELECT id, a FROM t WHERE id = 1)", sqlerr.ErrOperandColumns},
		{"SELECT 1 IN (SELECT id, a FROM t)", sqlerr.ErrOperandColumns},
		{"SELECT (1, 2) IN (SELECT id FROM t)", sqlerr.ErrOperandColumns},
		{"SELECT 1 = ALL (SELECT id, a FROM t)", sqlerr.ErrOperandColumns},
		{"SELECT 1 IN (SELECT id FROM t LIMIT 1)", sqlerr.ErrNotSupported},
		{"SELECT id FROM t UNION SELECT id, a FROM t", errWrongColumnCount},
		{"SELECT (SELECT nosuch FROM t WHERE id = 1)", sqlerr.ErrBadField},
		{"SELECT id FROM t WHERE a = (SELECT t.nosuch)", sqlerr.ErrBadField},
		{"SELECT id FROM t UNION SELECT 1 ORDER BY 7", sqlerr.ErrBadField},
		{"SET autocommit = (SELECT a FROM t WHERE id = 1)", sqlerr.ErrNotSupported},
		{"SELECT a FROM t UNION SELECT a FROM t ORDER BY t.a", errTableInOrder},
		{"UPDATE t SET a = (SELECT SUM(t.a))", sqlerr.ErrNotSupported},
		{"SELECT id FROM t WHERE a > (SELECT COUNT(*) FROM t AS t2 HAVING MAX(t.a) > 0)", sqlerr.ErrNotSupported},
	}
	for _, c := range cases {
		_, err := s.ExecOne(context.Background(), c.sql, nil)
		if sqlerr.Code(err) != c.code {
			t.Errorf("%s: got %v, want error %d", c.sql, err, c.code)
		}
	}
	// Nesting deeper than MySQL's 63 levels.
	q := "1"
	for i := 0; i < 70; i++ {
		q = "SELECT (" + q + ")"
	}
	if _, err := s.ExecOne(context.Background(), q, nil); sqlerr.Code(err) != errTooHighNesting {
		t.Errorf("70 nested subqueries: got %v, want error %d", err, errTooHighNesting)
	}
	q = "1"
	for i := 0; i < 20; i++ {
		q = "SELECT (" + q + ")"
	}
	if r := mustRun(t, s, q); toInt(r.Rows[0][0]) != 1 {
		t.Errorf("20 nested subqueries: %v", r.Rows)
	}
}

// TestSubqueryParams: placeholders inside subqueries of a prepared
// statement, run twice with different values.
func TestSubqueryParams(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	mustRun(t, s, "INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)")
	p, err := s.Prepare("SELECT id FROM t WHERE a > (SELECT a FROM t WHERE id = ?) UNION SELECT ? ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, extra int64
		want      string
	}{{1, 9, "[2 3 9]"}, {2, 1, "[1 3]"}} {
		r, err := s.ExecPrepared(context.Background(), p, []any{c.id, c.extra})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ints(t, r)); got != c.want {
			t.Errorf("id=%d extra=%d: got %s, want %s", c.id, c.extra, got, c.want)
		}
	}
}

// TestCorrelatedUsesIndex: a correlated subquery on the inner table's key
// reads that key, so a large correlated query finishes quickly; a
// cancelled context stops a slow one.
func TestCorrelatedUsesIndex(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	mustRun(t, s, "CREATE TABLE u (id INT PRIMARY KEY, a INT)")
	const n = 3000
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ",(%d,%d)", i, i%7)
	}
	mustRun(t, s, "INSERT INTO t VALUES "+b.String()[1:])
	mustRun(t, s, "INSERT INTO u VALUES "+b.String()[1:])
	start := time.Now()
	r := mustRun(t, s, "SELECT COUNT(*) FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id + 1 AND u.a = 0)")
	// u.id = t.id + 1 with u.a = 0: u.id a multiple of 7, u.id <= n.
	if got, want := toInt(r.Rows[0][0]), int64(n/7); got != want {
		t.Fatalf("count %d, want %d", got, want)
	}
	// A scan of u per row of t takes seconds (9M rows); the key, ms.
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("%d correlated lookups took %v: the key of u was not used", n, d)
	}

	// EXISTS reads until the first row (LIMIT 1), which must not change
	// its answer.
	r = mustRun(t, s, "SELECT COUNT(*) FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id AND u.a + t.id * 0 >= 3) AND NOT EXISTS (SELECT a FROM u WHERE u.id = t.id + 1 GROUP BY a HAVING a = 0)")
	want := int64(0)
	for i := int64(1); i <= n; i++ {
		if i%7 >= 3 && !((i+1)%7 == 0 && i+1 <= n) {
			want++
		}
	}
	if got := toInt(r.Rows[0][0]); got != want {
		t.Fatalf("EXISTS count %d, want %d", got, want)
	}

	// Without a usable key (a is not indexed) every row scans u: stop it.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := s.ExecOne(ctx, "SELECT COUNT(*) FROM t WHERE a + id IN (SELECT a + id + t.id * 0 + 1 FROM u)", nil)
	if err == nil || ctx.Err() == nil {
		t.Fatalf("9M-row correlated query: got %v, want it interrupted", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("interrupted after %v", d)
	}
}

// TestCreateTableSelectIgnore: IGNORE keeps the first row of each key
// (MySQL's documented rule), REPLACE the last; a failed CREATE ... SELECT
// leaves no table behind.
func TestCreateTableSelectIgnore(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE u (id INT PRIMARY KEY, k INT, v INT)")
	mustRun(t, s, "INSERT INTO u VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30), (4, 2, NULL)")
	for _, c := range []struct{ mode, want string }{{"IGNORE", "[[1 10] [2 30]]"}, {"REPLACE", "[[1 20] [2 <nil>]]"}} {
		mustRun(t, s, "CREATE TABLE c_"+c.mode+" (k INT PRIMARY KEY) "+c.mode+" SELECT k, v FROM u ORDER BY id")
		r := mustRun(t, s, "SELECT k, v FROM c_"+c.mode+" ORDER BY k")
		if got := fmt.Sprint(r.Rows); got != c.want {
			t.Errorf("%s: got %s, want %s", c.mode, got, c.want)
		}
	}
	_, err := s.ExecOne(context.Background(), "CREATE TABLE bad (k INT PRIMARY KEY) SELECT k FROM u", nil)
	if sqlerr.Code(err) != sqlerr.ErrDupEntry {
		t.Fatalf("duplicate key: got %v", err)
	}
	if _, err := s.ExecOne(context.Background(), "SELECT * FROM bad", nil); sqlerr.Code(err) != sqlerr.ErrNoSuchTable {
		t.Fatalf("table of a failed CREATE ... SELECT: %v", err)
	}
}

// TestRowCompareOrder checks (a, b) < (SELECT ...) against the
// lexicographic order computed in Go, NULLs included.
func TestRowCompareOrder(t *testing.T) {
	s := newTestSession(t)
	vals := []string{"NULL", "1", "2"}
	for _, a1 := range vals {
		for _, a2 := range vals {
			for _, b1 := range vals {
				for _, b2 := range vals {
					q := fmt.Sprintf("SELECT (%s, %s) < (SELECT %s, %s), (%s, %s) = (SELECT %s, %s)", a1, a2, b1, b2, a1, a2, b1, b2)
					r := mustRun(t, s, q)
					var lt, eq any
					switch {
					case a1 == "NULL" || b1 == "NULL":
						lt = nil
					case a1 != b1:
						lt = boolVal(a1 < b1)
					case a2 == "NULL" || b2 == "NULL":
						lt = nil
					default:
						lt = boolVal(a2 < b2)
					}
					switch {
					case a1 != "NULL" && b1 != "NULL" && a1 != b1, a2 != "NULL" && b2 != "NULL" && a2 != b2:
						eq = int64(0)
					case a1 == "NULL" || b1 == "NULL" || a2 == "NULL" || b2 == "NULL":
						eq = nil
					default:
						eq = int64(1)
					}
					if r.Rows[0][0] != lt || r.Rows[0][1] != eq {
						t.Errorf("%s: got %v, want [%v %v]", q, r.Rows[0], lt, eq)
					}
				}
			}
		}
	}
}

// TestInIndexMatchesScan compares IN over an uncorrelated subquery (whose
// values are hashed) with the same IN made correlated (compared one by
// one), for values of several types, NULLs and trailing spaces included.
func TestInIndexMatchesScan(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE l (id INT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, d DECIMAL(6,2), f DOUBLE, s VARCHAR(10))")
	mustRun(t, s, "CREATE TABLE r (id INT PRIMARY KEY, i BIGINT, u BIGINT UNSIGNED, d DECIMAL(6,2), f DOUBLE, s VARCHAR(10))")
	rng := rand.New(rand.NewSource(3))
	row := func(id int) string {
		n := func(f string) string {
			if rng.Intn(8) == 0 {
				return "NULL"
			}
			return f
		}
		k := rng.Intn(30) - 5
		return fmt.Sprintf("(%d,%s,%s,%s,%s,%s)", id, n(fmt.Sprint(k)), n(fmt.Sprint(k+5)), n(fmt.Sprintf("%d.%d", k, rng.Intn(2)*5)),
			n(fmt.Sprintf("%d.0", k)), n(fmt.Sprintf("'%d%s'", k, strings.Repeat(" ", rng.Intn(2)))))
	}
	for _, tbl := range []string{"l", "r"} {
		var rows []string
		for id := 1; id <= 40; id++ {
			rows = append(rows, row(id))
		}
		mustRun(t, s, "INSERT INTO "+tbl+" VALUES "+strings.Join(rows, ","))
	}
	cols := []string{"i", "u", "d", "f", "s"}
	for _, lc := range cols {
		for _, rc := range cols {
			for _, v := range []struct{ not, cond string }{{"", "TRUE"}, {"NOT ", "TRUE"}, {"", "%s IS NOT NULL"}, {"NOT ", "%s IS NOT NULL"}} {
				not, cond := v.not, strings.ReplaceAll(v.cond, "%s", rc)
				q := fmt.Sprintf("SELECT id, %s %sIN (SELECT %s FROM r WHERE %s) FROM l ORDER BY id", lc, not, rc, cond)
				slow := fmt.Sprintf("SELECT id, %s %sIN (SELECT %s FROM r WHERE %s AND l.id = l.id) FROM l ORDER BY id", lc, not, rc, cond)
				a, b := mustRun(t, s, q), mustRun(t, s, slow)
				if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
					t.Fatalf("%s\n got %v\nscan %v", q, a.Rows, b.Rows)
				}
			}
		}
	}
}

// TestSubqueryRandomNoPanic runs random, often invalid, statements built
// of nested subqueries, set operations, row constructors and aggregates:
// each must succeed or fail with a MySQL error, never panic.
func TestSubqueryRandomNoPanic(t *testing.T) {
	s := newTestSession(t)
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, a INT, c VARCHAR(5), d DATE)",
		"CREATE TABLE u (id INT PRIMARY KEY, a INT, c VARCHAR(5), d DATE)",
		"INSERT INTO t VALUES (1, 1, 'x', '2024-01-01'), (2, NULL, NULL, NULL), (3, 3, 'y', '2024-02-02')",
		"INSERT INTO u VALUES (1, 1, 'x', '2024-01-01'), (2, 2, 'z', NULL), (3, NULL, 'y', '2024-02-02')",
	} {
		mustRun(t, s, q)
	}
	rng := rand.New(rand.NewSource(1))
	atoms := []string{"a", "t.a", "u.a", "c", "d", "id", "1", "NULL", "'x'", "2.5", "(1, 2)", "ROW(a, c)", "?",
		"MAX(a)", "COUNT(*)", "SUM(t.a)", "MIN(u.id)", "t.nosuch", "x.a"}
	var expr func(d int) string
	var query func(d int) string
	expr = func(d int) string {
		if d <= 0 {
			return atoms[rng.Intn(len(atoms))]
		}
		switch rng.Intn(9) {
		case 0:
			return "(" + query(d-1) + ")"
		case 1:
			return expr(d-1) + []string{" IN (", " NOT IN ("}[rng.Intn(2)] + query(d-1) + ")"
		case 2:
			return "EXISTS (" + query(d-1) + ")"
		case 3:
			return expr(d-1) + []string{" = ", " < ", " <> "}[rng.Intn(3)] + []string{"ANY", "ALL", "SOME"}[rng.Intn(3)] + " (" + query(d-1) + ")"
		case 4:
			return "(" + expr(d-1) + ", " + expr(d-1) + ") = (" + query(d-1) + ")"
		case 5:
			return "(" + expr(d-1) + ", " + expr(d-1) + ") IN ((1, 2), (" + expr(d-1) + ", 3))"
		case 6:
			return expr(d-1) + " + " + expr(d-1)
		default:
			return expr(d-1) + " AND " + expr(d-1)
		}
	}
	query = func(d int) string {
		q := "SELECT " + expr(d-1)
		if rng.Intn(3) == 0 {
			q += ", " + expr(d-1)
		}
		q += []string{"", " FROM t", " FROM u", " FROM t AS x", " FROM u AS t"}[rng.Intn(5)]
		if rng.Intn(2) == 0 {
			q += " WHERE " + expr(d-1)
		}
		if rng.Intn(4) == 0 {
			q += " GROUP BY 1 HAVING " + expr(d-1)
		}
		if rng.Intn(4) == 0 {
			q += " ORDER BY " + expr(d-1)
		}
		if rng.Intn(4) == 0 {
			q += " LIMIT 2"
		}
		if rng.Intn(4) == 0 {
			q += []string{" UNION ", " UNION ALL ", " EXCEPT ", " INTERSECT ALL "}[rng.Intn(4)] + query(d-1)
		}
		return q
	}
	ok := 0
	for i := 0; i < 2000; i++ {
		q := query(rng.Intn(4) + 1)
		if rng.Intn(5) == 0 {
			q = []string{"UPDATE t SET a = ", "DELETE FROM t WHERE ", "CREATE TABLE z AS SELECT "}[rng.Intn(3)] + expr(2)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic %v on %s", r, q)
				}
			}()
			_, err := s.ExecOne(context.Background(), q, []any{int64(1)})
			if err == nil {
				ok++
			} else if e := sqlerr.As(err); e.Code == sqlerr.ErrUnknown {
				t.Fatalf("%s: error without a MySQL number: %v", q, err)
			}
			if _, err := s.ExecOne(context.Background(), "DROP TABLE IF EXISTS z", nil); err != nil {
				t.Fatal(err)
			}
		}()
	}
	if ok < 100 {
		t.Fatalf("only %d of 2000 random statements ran: the generator is broken", ok)
	}
}
