package sqlshim

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func mustExec(t *testing.T, s *Session, sql string) Result {
	t.Helper()
	rs, err := s.Exec(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rs[len(rs)-1]
}

// rowStrings renders rows as sorted strings (join output order is free).
func rowStrings(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			if v == nil {
				parts[j] = "NULL"
			} else {
				parts[j] = toString(v)
			}
		}
		out[i] = strings.Join(parts, ",")
	}
	sort.Strings(out)
	return out
}

type jrow struct{ id, k, v *int64 }

// TestJoinMethodsAgree joins random tables (NULLs and duplicate keys
// included) with every join kind, once through the primary key or an
// index (eq_ref/ref), once without any index (hash join), once with a
// non-equi condition (nested loop), and checks each against a nested-loop
// join computed here from the same rows.
func TestJoinMethodsAgree(t *testing.T) {
	s := newTestSession(t)
	rng := rand.New(rand.NewSource(7))
	gen := func(n int) []jrow {
		var rows []jrow
		for i := 1; i <= n; i++ {
			id := int64(i)
			r := jrow{id: &id}
			if rng.Intn(6) > 0 {
				k := int64(rng.Intn(8))
				r.k = &k
			}
			if rng.Intn(6) > 0 {
				v := int64(rng.Intn(20))
				r.v = &v
			}
			rows = append(rows, r)
		}
		return rows
	}
	a, b := gen(40), gen(25)
	lit := func(p *int64) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprint(*p)
	}
	load := func(name, ddl string, rows []jrow) {
		mustExec(t, s, "CREATE TABLE "+name+" "+ddl)
		var vals []string
		for _, r := range rows {
			vals = append(vals, "("+lit(r.id)+","+lit(r.k)+","+lit(r.v)+")")
		}
		mustExec(t, s, "INSERT INTO "+name+" VALUES "+strings.Join(vals, ","))
	}
	load("ai", "(id INT PRIMARY KEY, k INT, v INT, KEY (k))", a)
	load("bi", "(id INT PRIMARY KEY, k INT, v INT, KEY (k))", b)
	load("an", "(id INT, k INT, v INT)", a)
	load("bn", "(id INT, k INT, v INT)", b)

	type pred func(x, y jrow) bool
	eq := func(f func(r jrow) *int64) pred {
		return func(x, y jrow) bool { return f(x) != nil && f(y) != nil && *f(x) == *f(y) }
	}
	kOf := func(r jrow) *int64 { return r.k }
	vOfIDs := func(x, y jrow) bool { return x.v != nil && *x.v == *y.id }
	less := func(x, y jrow) bool { return x.k != nil && y.k != nil && *x.k < *y.k }
	// want computes `SELECT x.id, y.id FROM x <kind> JOIN y ON p`.
	want := func(kind string, p pred) []string {
		var rows [][]any
		matchedB := map[int64]bool{}
		for _, x := range a {
			m := false
			for _, y := range b {
				if p(x, y) {
					rows = append(rows, []any{*x.id, *y.id})
					m = true
					matchedB[*y.id] = true
				}
			}
			if !m && kind == "LEFT" {
				rows = append(rows, []any{*x.id, nil})
			}
		}
		if kind == "RIGHT" {
			for _, y := range b {
				if !matchedB[*y.id] {
					rows = append(rows, []any{nil, *y.id})
				}
			}
		}
		return rowStrings(rows)
	}
	cases := []struct {
		on string
		p  pred
	}{
		{"x.k = y.k", eq(kOf)},
		{"x.v = y.id", vOfIDs},
		{"x.k < y.k", less},
	}
	for _, kind := range []string{"INNER", "LEFT", "RIGHT"} {
		for _, c := range cases {
			exp := want(kind, c.p)
			for _, tabs := range [][2]string{{"ai", "bi"}, {"an", "bn"}, {"ai", "bn"}, {"an", "bi"}} {
				q := fmt.Sprintf("SELECT x.id, y.id FROM %s x %s JOIN %s y ON %s", tabs[0], kind, tabs[1], c.on)
				got := rowStrings(mustExec(t, s, q).Rows)
				if strings.Join(got, ";") != strings.Join(exp, ";") {
					t.Errorf("%s:\n got %v\nwant %v", q, got, exp)
				}
			}
		}
	}
	// The same through comma syntax and WHERE.
	exp := want("INNER", eq(kOf))
	for _, tabs := range [][2]string{{"ai", "bi"}, {"an", "bn"}} {
		q := fmt.Sprintf("SELECT x.id, y.id FROM %s x, %s y WHERE y.k = x.k", tabs[0], tabs[1])
		if got := rowStrings(mustExec(t, s, q).Rows); strings.Join(got, ";") != strings.Join(exp, ";") {
			t.Errorf("%s:\n got %v\nwant %v", q, got, exp)
		}
	}
}

// TestJoinPlanMethods checks that EXPLAIN shows the method the cost model
// should pick: an index lookup when the inner table has one on the join
// key, a hash join when it has none, a nested loop for a non-equi join.
func TestJoinPlanMethods(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE big (id INT PRIMARY KEY, c INT, KEY (c))")
	mustExec(t, s, "CREATE TABLE small (id INT PRIMARY KEY, name VARCHAR(10))")
	mustExec(t, s, "CREATE TABLE plain (id INT, name VARCHAR(10))")
	var vals []string
	for i := 1; i <= 300; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d)", i, i%20))
	}
	mustExec(t, s, "INSERT INTO big VALUES "+strings.Join(vals, ","))
	vals = vals[:0]
	for i := 0; i < 20; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 'n%d')", i, i))
	}
	mustExec(t, s, "INSERT INTO small VALUES "+strings.Join(vals, ","))
	mustExec(t, s, "INSERT INTO plain VALUES "+strings.Join(vals, ","))
	methods := func(q string) string {
		r := mustExec(t, s, "EXPLAIN "+q)
		var parts []string
		for _, row := range r.Rows {
			m := toString(row[3])
			if row[9] != nil && strings.Contains(toString(row[9]), "hash") {
				m = "hash"
			} else if row[9] != nil && strings.Contains(toString(row[9]), "Nested Loop") {
				m = "loop"
			}
			parts = append(parts, toString(row[2])+":"+m)
		}
		return strings.Join(parts, " ")
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT * FROM big JOIN small ON big.c = small.id WHERE big.id = 7", "big:const small:eq_ref"},
		{"SELECT * FROM big JOIN small ON big.c = small.id WHERE big.id < 1000", "big:range small:hash"},
		{"SELECT * FROM big JOIN plain ON big.c = plain.id WHERE plain.name = 'n3'", "plain:ALL big:ref"},
		{"SELECT * FROM big JOIN plain ON big.c = plain.id", "big:ALL plain:hash"},
		{"SELECT * FROM big b1 JOIN big b2 ON b1.id = b2.c WHERE b2.id = 5", "b2:const b1:eq_ref"},
		{"SELECT * FROM big IGNORE INDEX (c) JOIN plain ON big.c = plain.id", "big:ALL plain:hash"},
		{"SELECT * FROM big JOIN small ON big.c < small.id", "small:ALL big:loop"},
		{"SELECT * FROM small LEFT JOIN big ON big.c = small.id WHERE small.id < 3", "small:range big:ref"},
		{"SELECT * FROM small LEFT JOIN big ON big.c = small.id", "small:ALL big:hash"},
	} {
		if got := methods(c.q); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.q, got, c.want)
		}
	}
}

// TestJoinErrors checks the MySQL errors of bad multi-table queries.
func TestJoinErrors(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE a (id INT, x INT)")
	mustExec(t, s, "CREATE TABLE b (id INT, y INT)")
	for _, c := range []struct {
		q    string
		code int
	}{
		{"SELECT id FROM a, b", 1052},
		{"SELECT a.id FROM a JOIN b ON id = 1", 1052},
		{"SELECT a.x FROM a JOIN b ON a.id = b.id GROUP BY id", 1052},
		{"SELECT a.x FROM a JOIN b ON a.id = b.id ORDER BY id", 1052},
		{"SELECT a.x FROM a JOIN b ON a.id = b.id GROUP BY a.x HAVING id > 1", 1054},
		{"SELECT z FROM a, b", 1054},
		{"SELECT 1 FROM a JOIN b ON a.id = c.id JOIN a c ON 1", 1054},
		{"SELECT 1 FROM a, a", 1066},
		{"SELECT 1 FROM a JOIN b USING (x)", 1054},
		{"SELECT 1 FROM (SELECT 1 AS q, 2 AS q) d", 1060},
		{"SELECT q.* FROM a, b", 1051},
	} {
		_, err := s.Exec(context.Background(), c.q)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(c.code)) {
			t.Errorf("%s: got %v, want error %d", c.q, err, c.code)
		}
	}
}

// TestOrderByLimitTopN checks that ORDER BY ... LIMIT (kept in a top-n
// heap) returns exactly the slice of the fully sorted result, ties in the
// same order, for single tables, joins and groups.
func TestOrderByLimitTopN(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE t (id INT PRIMARY KEY, g INT, h VARCHAR(3))")
	mustExec(t, s, "CREATE TABLE u (id INT PRIMARY KEY, g INT)")
	rng := rand.New(rand.NewSource(3))
	var vals []string
	for i := 1; i <= 200; i++ {
		h := "NULL"
		if rng.Intn(5) > 0 {
			h = fmt.Sprintf("'%c'", 'a'+rng.Intn(4))
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, %s)", i, rng.Intn(10), h))
	}
	mustExec(t, s, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	mustExec(t, s, "INSERT INTO u VALUES (1, 1), (2, 2), (3, 3), (4, 1)")
	for _, base := range []string{
		"SELECT id, g, h FROM t ORDER BY g DESC",
		"SELECT id, g, h FROM t ORDER BY h, g",
		"SELECT t.id, u.id FROM t JOIN u ON t.g = u.g ORDER BY u.id DESC",
		"SELECT g, COUNT(*) FROM t GROUP BY g ORDER BY COUNT(*), g DESC",
	} {
		full := mustExec(t, s, base).Rows
		for _, lim := range [][2]int{{0, 0}, {1, 0}, {7, 3}, {50, 20}, {1000, 0}, {5, 1000}} {
			got := mustExec(t, s, fmt.Sprintf("%s LIMIT %d OFFSET %d", base, lim[0], lim[1])).Rows
			lo, hi := min(lim[1], len(full)), min(lim[1]+lim[0], len(full))
			want := full[lo:hi]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s LIMIT %d OFFSET %d:\n got %v\nwant %v", base, lim[0], lim[1], got, want)
			}
		}
	}
}

// TestJoinCancel checks that a huge cross join stops when its context
// ends instead of running on.
func TestJoinCancel(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE t (id INT)")
	var vals []string
	for i := 0; i < 1000; i++ {
		vals = append(vals, fmt.Sprintf("(%d)", i))
	}
	mustExec(t, s, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Exec(ctx, "SELECT COUNT(*) FROM t a, t b, t c WHERE a.id + b.id < c.id")
	if err == nil {
		t.Fatal("a 10^9-row join finished within its timeout")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled join took %v to stop", d)
	}
	t.Log(err)
}

// TestSumIntOverflow checks SUM/AVG's integer fast path against exact
// big-integer arithmetic, across int64 overflow in both directions.
func TestSumIntOverflow(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE s (g INT, v BIGINT, d DECIMAL(10,2))")
	vals := []int64{math.MaxInt64, math.MaxInt64, -5, math.MinInt64, math.MinInt64, math.MinInt64, 7, 1 << 40}
	var rows []string
	for i, v := range vals {
		rows = append(rows, fmt.Sprintf("(%d, %d, %d.25)", i%2, v, i))
	}
	mustExec(t, s, "INSERT INTO s VALUES "+strings.Join(rows, ","))
	for g := 0; g < 2; g++ {
		sum := new(big.Int)
		for i, v := range vals {
			if i%2 == g {
				sum.Add(sum, big.NewInt(v))
			}
		}
		r := mustExec(t, s, fmt.Sprintf("SELECT SUM(v), SUM(v) + SUM(d) - SUM(d) FROM s WHERE g = %d", g))
		if got := toString(r.Rows[0][0]); got != sum.String() {
			t.Errorf("group %d: SUM = %s, want %s", g, got, sum)
		}
		if got := toString(r.Rows[0][1]); !strings.HasPrefix(got, sum.String()) {
			t.Errorf("group %d: SUM mixed = %s, want %s", g, got, sum)
		}
	}
}

// TestJoinSpill runs the join differential test and a join over every
// value type with a hash-join memory budget small enough that every
// build side spills to partition files, and checks the files are gone
// afterwards.
func TestJoinSpill(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := defaultMemoryBudget
	defaultMemoryBudget = 300
	defer func() { defaultMemoryBudget = old }()
	before := joinSpills.Load()
	TestJoinMethodsAgree(t)
	if joinSpills.Load() == before {
		t.Fatal("no hash join spilled")
	}

	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE a (k INT, d DECIMAL(8,2), f DOUBLE, s VARCHAR(10), b VARBINARY(4), t DATETIME, u BIGINT UNSIGNED)")
	mustExec(t, s, "CREATE TABLE b (k INT, w INT)")
	var av, bv []string
	for i := 0; i < 60; i++ {
		av = append(av, fmt.Sprintf("(%d, %d.50, %d.25, 's%d', 'b%d', '2024-01-%02d 10:00:00', %d)", i%13, i, i, i, i%10, i%28+1, uint64(1)<<63+uint64(i)))
		bv = append(bv, fmt.Sprintf("(%d, %d)", i%17, i))
	}
	av = append(av, "(NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
	bv = append(bv, "(NULL, 99)")
	mustExec(t, s, "INSERT INTO a VALUES "+strings.Join(av, ","))
	mustExec(t, s, "INSERT INTO b VALUES "+strings.Join(bv, ","))
	q := "SELECT a.k, a.d, a.f, a.s, a.b, a.t, a.u, b.w FROM b LEFT JOIN a ON a.k = b.k ORDER BY b.w, a.s"
	spilled := rowStrings(mustExec(t, s, q).Rows)
	s.memBudget = old
	inMemory := rowStrings(mustExec(t, s, q).Rows)
	s.memBudget = 300
	if strings.Join(spilled, ";") != strings.Join(inMemory, ";") {
		t.Errorf("spilled join differs from the in-memory one:\n%v\n%v", spilled, inMemory)
	}
	if len(spilled) < 60 {
		t.Errorf("only %d rows", len(spilled))
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "blitz-join-*"))
	if len(left) > 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

// TestJoinParams checks placeholders in ON, WHERE and a derived table.
func TestJoinParams(t *testing.T) {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE a (id INT PRIMARY KEY, v INT)")
	mustExec(t, s, "CREATE TABLE b (id INT PRIMARY KEY, a INT)")
	mustExec(t, s, "INSERT INTO a VALUES (1, 10), (2, 20), (3, 30)")
	mustExec(t, s, "INSERT INTO b VALUES (7, 1), (8, 2), (9, 2)")
	r, err := s.ExecOne(context.Background(),
		"SELECT a.id, b.id FROM a JOIN b ON b.a = a.id AND b.id > ? JOIN (SELECT id FROM a WHERE v >= ?) d ON d.id = a.id WHERE a.v < ? ORDER BY b.id",
		[]any{int64(7), int64(15), int64(25)})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Rows); got != "[[2 8] [2 9]]" {
		t.Errorf("got %s", got)
	}
}
