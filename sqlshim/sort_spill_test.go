package sqlshim

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// orderedStrings prints rows in their order (rowStrings sorts them).
func orderedStrings(rows [][]any) string {
	var b strings.Builder
	for _, r := range rows {
		for j, v := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			if v == nil {
				b.WriteString("NULL")
			} else {
				b.WriteString(toString(v))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// noSpillFiles fails if a spill directory is left in dir.
func noSpillFiles(t *testing.T, dir string) {
	t.Helper()
	left, _ := filepath.Glob(filepath.Join(dir, "blitz-*"))
	if len(left) > 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

// sortTable creates t (3000 rows: duplicates, NULLs, strings, numbers,
// decimals, dates) and u (a join partner) in a new session.
func sortTable(t *testing.T) *Session {
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c DOUBLE, d DECIMAL(8,2), e DATETIME)")
	mustExec(t, s, "CREATE TABLE u (k INT, w VARCHAR(10))")
	rng := rand.New(rand.NewSource(3))
	lit := func(null bool, s string) string {
		if null {
			return "NULL"
		}
		return s
	}
	var rows []string
	for i := 1; i <= 3000; i++ {
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, %s, %s, %s)", i,
			lit(rng.Intn(10) == 0, fmt.Sprint(rng.Intn(50)-10)),
			lit(rng.Intn(12) == 0, fmt.Sprintf("'s%d'", rng.Intn(300))),
			lit(rng.Intn(9) == 0, fmt.Sprintf("%d.5", rng.Intn(100))),
			lit(rng.Intn(8) == 0, fmt.Sprintf("%d.25", rng.Intn(40))),
			lit(rng.Intn(7) == 0, fmt.Sprintf("'2024-%02d-%02d 10:00:00'", rng.Intn(12)+1, rng.Intn(28)+1))))
	}
	mustExec(t, s, "INSERT INTO t VALUES "+strings.Join(rows, ","))
	var us []string
	for i := 0; i < 200; i++ {
		us = append(us, fmt.Sprintf("(%d, 'w%d')", i%45-10, i))
	}
	us = append(us, "(NULL, 'wnull')")
	mustExec(t, s, "INSERT INTO u VALUES "+strings.Join(us, ","))
	return s
}

// TestSortSpill runs ORDER BY queries with the default memory budget and
// with the smallest one, which makes them sort in runs on disk, and
// checks the results are the same, in the same order (the sort is
// stable), that the sorts did spill, and that no file is left.
func TestSortSpill(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := sortTable(t)
	queries := []string{
		"SELECT * FROM t ORDER BY a",
		"SELECT * FROM t ORDER BY a DESC",
		"SELECT id, b, a FROM t ORDER BY b, a DESC",
		"SELECT * FROM t ORDER BY c DESC, d, e",
		"SELECT id, e FROM t ORDER BY e DESC, b",
		"SELECT id, a, d FROM t WHERE a > 5 OR d IS NULL ORDER BY d, 3",
		"SELECT * FROM t ORDER BY b DESC LIMIT 1000000 OFFSET 17",
		"SELECT DISTINCT a, b FROM t ORDER BY b, a",
		"SELECT DISTINCT a FROM t ORDER BY a DESC LIMIT 5",
		"SELECT a, b, COUNT(*), MIN(c) FROM t GROUP BY b, a ORDER BY 3 DESC, 4, 1",
		"SELECT t.id, t.a, u.w FROM t JOIN u ON u.k = t.a ORDER BY u.w, t.b",
		"SELECT t.id, u.w FROM t LEFT JOIN u ON u.k = t.a WHERE t.c > 20 ORDER BY t.c DESC, u.w LIMIT 100000 OFFSET 3",
		"SELECT a AS x, b FROM t WHERE id < 1500 UNION ALL SELECT k, w FROM u ORDER BY x DESC, b LIMIT 1000000 OFFSET 2",
		"SELECT b FROM t UNION SELECT w FROM u ORDER BY 1",
	}
	checkSpills(t, s, tmp, queries, 5)
	// The hash join keeps to the session's budget too.
	q := "SELECT COUNT(*), SUM(x.id * 2 - y.id) FROM t x JOIN t y ON x.b = y.b"
	mustExec(t, s, "SET blitz_memory_budget = DEFAULT")
	before := joinSpills.Load()
	want := orderedStrings(mustExec(t, s, q).Rows)
	if joinSpills.Load() != before {
		t.Errorf("%s: spilled with the default budget", q)
	}
	mustExec(t, s, "SET blitz_memory_budget = 65536")
	if got := orderedStrings(mustExec(t, s, q).Rows); got != want {
		t.Errorf("%s: %s, want %s", q, got, want)
	}
	if joinSpills.Load() == before {
		t.Errorf("%s: the hash join did not spill", q)
	}
	noSpillFiles(t, tmp)
	r := mustExec(t, s, "SHOW STATUS LIKE 'Blitz_%_spills'")
	if len(r.Rows) != 2 || r.Rows[1][0] != "Blitz_sort_spills" || r.Rows[1][1] == "0" {
		t.Errorf("SHOW STATUS: %v", r.Rows)
	}
}

// TestSortSpillError fails a query on a row near the end of the scan,
// after the sort has written runs, and checks the runs are removed.
func TestSortSpillError(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := sortTable(t)
	scan := mustExec(t, s, "SELECT id FROM t")
	last := scan.Rows[len(scan.Rows)-10][0]
	mustExec(t, s, fmt.Sprintf("UPDATE t SET a = 5000 WHERE id = %v", last))
	mustExec(t, s, "SET blitz_memory_budget = 65536")
	for _, q := range []string{
		"SELECT id, b, a * 9223372036854775 FROM t ORDER BY b",
		"SELECT t.id, a * 9223372036854775 FROM t JOIN u ON u.k = t.a % 7 ORDER BY t.b",
	} {
		before := sortSpills.Load()
		_, err := s.ExecOne(context.Background(), q, nil)
		if sqlerr.Code(err) != 1690 {
			t.Fatalf("%s: got %v, want error 1690", q, err)
		}
		if sortSpills.Load() == before {
			t.Errorf("%s: the sort had not spilled when the error came", q)
		}
		noSpillFiles(t, tmp)
	}
}

// TestExtSortMerge sorts rows one run each (more runs than one merge
// takes) and checks the order against a stable in-memory sort.
func TestExtSortMerge(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	defer func(n int) { mergeFanIn = n }(mergeFanIn)
	mergeFanIn = 4
	items := []*ast.ByItem{{Desc: true}, {}}
	rng := rand.New(rand.NewSource(5))
	var rows []sortRow
	for i := 0; i < 150; i++ {
		var k0 any = int64(rng.Intn(20))
		if rng.Intn(10) == 0 {
			k0 = nil
		}
		rows = append(rows, sortRow{vals: []any{int64(i)}, keys: []any{k0, fmt.Sprint(rng.Intn(5))}})
	}
	for _, limit := range []int{-1, 10} {
		es := newExtSort(items, 1)
		for _, r := range rows {
			if err := es.add(r.vals, r.keys); err != nil {
				t.Fatal(err)
			}
		}
		var got []any
		err := es.each(func(vals []any) (bool, error) {
			got = append(got, vals[0])
			return limit < 0 || len(got) < limit, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(es.runs) > mergeFanIn {
			t.Errorf("%d runs after the merge passes", len(es.runs))
		}
		es.close()
		want := append([]sortRow(nil), rows...)
		sort.SliceStable(want, func(i, j int) bool { return lessKeys(want[i].keys, want[j].keys, items) })
		if limit >= 0 {
			want = want[:limit]
		}
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].vals[0] {
				t.Fatalf("row %d: %v, want %v", i, got[i], want[i].vals[0])
			}
		}
		noSpillFiles(t, tmp)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf("left in TMPDIR: %v", ents)
	}
}

// TestMemoryBudgetVariable covers SET, SELECT @@ and SHOW VARIABLES of
// blitz_memory_budget and its errors.
func TestMemoryBudgetVariable(t *testing.T) {
	s := newTestSession(t)
	get := func() string {
		return fmt.Sprint(mustExec(t, s, "SELECT @@blitz_memory_budget").Rows[0][0])
	}
	if v := get(); v != "268435456" {
		t.Errorf("default %s", v)
	}
	for _, c := range []struct{ set, want string }{
		{"SET blitz_memory_budget = 1048576", "1048576"},
		{"SET SESSION blitz_memory_budget = 2 * 1048576", "2097152"},
		{"SET @@blitz_memory_budget = 3000000", "3000000"},
		{"SET @@session.blitz_memory_budget = 4000000", "4000000"},
		{"SET blitz_memory_budget = DEFAULT", "268435456"},
		{"SET blitz_memory_budget = 100", "65536"}, // below the minimum: raised, warning 1292,
	} {
		mustExec(t, s, c.set)
		if w := s.Warnings(); strings.Contains(c.set, "100") != (len(w) == 1 && w[0].Code == 1292 && strings.Contains(w[0].Message, "blitz_memory_budget")) {
			t.Errorf("%s: warnings %v", c.set, w)
		}
		if v := get(); v != c.want {
			t.Errorf("%s: %s, want %s", c.set, v, c.want)
		}
	}
	r := mustExec(t, s, "SHOW VARIABLES LIKE 'blitz_memory%'")
	if fmt.Sprint(r.Rows) != "[[blitz_memory_budget 65536]]" {
		t.Errorf("SHOW VARIABLES: %v", r.Rows)
	}
	for _, c := range []struct {
		set  string
		code int
	}{
		{"SET blitz_memory_budget = -1", 1231},
		{"SET blitz_memory_budget = NULL", 1231},
		{"SET blitz_memory_budget = 'big'", 1232},
		{"SET blitz_memory_budget = 1.5", 1232},
		{"SET GLOBAL blitz_memory_budget = 1048576", 1228},
	} {
		_, err := s.ExecOne(context.Background(), c.set, nil)
		if sqlerr.Code(err) != c.code || !strings.Contains(err.Error(), "blitz_memory_budget") {
			t.Errorf("%s: %v, want error %d naming the variable", c.set, err, c.code)
		}
	}
	if v := get(); v != "65536" {
		t.Errorf("after failed SETs: %s", v)
	}
	if err := s.SetMemoryBudget(-5); err == nil {
		t.Error("SetMemoryBudget(-5) accepted")
	}
	for in, want := range map[string]int64{"65536": 65536, "64K": 64 << 10, "64k": 64 << 10, "3M": 3 << 20, "1G": 1 << 30, "2MiB": 2 << 20, "5MB": 5 << 20} {
		if n, err := ParseSize(in); err != nil || n != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"", "-1", "M", "12Q", "1.5M", "99999999999999999999", "9999999999G"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// checkSpills runs each query with the default memory budget (it must not
// spill) and with a 64 KiB one (it must), and checks both give the same
// rows in the same order, at least minRows of them, and leave no file in
// tmp.
func checkSpills(t *testing.T, s *Session, tmp string, queries []string, minRows int) {
	t.Helper()
	for _, q := range queries {
		s.memBudget = DefaultMemoryBudget
		before := sortSpills.Load()
		want := orderedStrings(mustExec(t, s, q).Rows)
		if sortSpills.Load() != before {
			t.Errorf("%s: spilled with the default budget", q)
		}
		mustExec(t, s, "SET blitz_memory_budget = 65536")
		got := orderedStrings(mustExec(t, s, q).Rows)
		if sortSpills.Load() == before {
			t.Errorf("%s: no sort spilled", q)
		}
		if got != want {
			t.Errorf("%s: spilled result differs:\n%.300s\nwant\n%.300s", q, got, want)
		}
		if strings.Count(want, "\n") < minRows {
			t.Errorf("%s: only %d rows", q, strings.Count(want, "\n"))
		}
		noSpillFiles(t, tmp)
	}
}
