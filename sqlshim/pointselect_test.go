package sqlshim

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestPointSelectSameAsSelect runs statements the point-lookup road takes
// (or considers and turns down) with it and without it, as prepared
// statements with each of a set of arguments and as text, and requires the
// same result: rows, column metadata, warnings and errors.
func TestPointSelectSameAsSelect(t *testing.T) {
	s := newTestSession(t)
	defer s.Close()
	ctx := context.Background()
	setup := []string{
		`CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), d DECIMAL(6,2), ts TIMESTAMP NULL, e ENUM('a','b'), dt DATETIME(3), g INT AS (id * 2) VIRTUAL, n INT)`,
		`INSERT INTO t (id, v, d, ts, e, dt, n) VALUES (1, 'one', 1.50, '2020-01-02 03:04:05', 'b', '2021-02-03 04:05:06.789', NULL), (2, NULL, NULL, NULL, NULL, NULL, 7), (-3, 'minus', -3.25, '1999-12-31 23:59:59', 'a', '0000-00-00 00:00:00', 0)`,
		`CREATE TABLE u (id BIGINT UNSIGNED PRIMARY KEY, v TEXT)`,
		`INSERT INTO u VALUES (18446744073709551615, 'max'), (0, 'zero')`,
		`CREATE TABLE c (a TINYINT, b SMALLINT, v INT, PRIMARY KEY (a, b))`,
		`INSERT INTO c VALUES (1, 1, 11), (1, 2, 12), (2, 1, 21), (127, -32768, 99)`,
		`CREATE TABLE s (k VARCHAR(10) PRIMARY KEY, v INT)`,
		`INSERT INTO s VALUES ('a', 1), ('B', 2)`,
		`CREATE TABLE nopk (id INT, v INT)`,
		`INSERT INTO nopk VALUES (1, 1)`,
		`CREATE VIEW vt AS SELECT id, v FROM t`,
	}
	for _, q := range setup {
		if _, err := s.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	args := [][]any{{int64(1)}, {int64(2)}, {int64(-3)}, {int64(4)}, {nil}, {"1"}, {"1abc"}, {1.0}, {1.5}, {uint64(math.MaxUint64)},
		{int64(math.MinInt64)}, {"x"}, {[]byte("2")}, {time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)}, {true}}
	queries := []string{
		"SELECT v FROM t WHERE id = ?",
		"SELECT * FROM t WHERE id = ?",
		"SELECT id, v, d, ts, e, dt, g, n FROM t WHERE ? = id",
		"SELECT t.v, x.id FROM t x WHERE x.id = ?",
		"SELECT v FROM t x WHERE t.id = ?",
		"SELECT v FROM t WHERE id = ? LIMIT 1",
		"SELECT v FROM t WHERE id = ? LIMIT 0",
		"SELECT v FROM t WHERE id = ? AND n = 7",
		"SELECT v FROM t WHERE id = ? AND n IS NULL",
		"SELECT v FROM t WHERE id = ? AND v = 'ONE'",
		"SELECT v FROM t WHERE id = ? AND id = 1",
		"SELECT CONCAT(v, '!'), d * 2, id + 2147483647, 1/0, n DIV 0, @x := id, CAST(v AS SIGNED) FROM t WHERE id = ?",
		"SELECT nosuch FROM t WHERE id = ?",
		"SELECT v FROM t WHERE nosuch = ?",
		"SELECT v FROM t WHERE id = ? GROUP BY v",
		"SELECT COUNT(*) FROM t WHERE id = ?",
		"SELECT v, (SELECT 1) FROM t WHERE id = ?",
		"SELECT id, v FROM vt WHERE id = ?",
		"SELECT v FROM nosuchtable WHERE id = ?",
		"SELECT v FROM u WHERE id = ?",
		"SELECT v FROM c WHERE a = ? AND b = 1",
		"SELECT v FROM c WHERE b = 2 AND a = ?",
		"SELECT v FROM c WHERE a = ?",
		"SELECT v FROM s WHERE k = ?",
		"SELECT v FROM nopk WHERE id = ?",
		"SELECT v FROM t WHERE id = ? FOR UPDATE",
		"SELECT DISTINCT v FROM t WHERE id = ?",
		"SELECT SQL_CALC_FOUND_ROWS v FROM t WHERE id = ?",
	}
	texts := []string{
		"SELECT v FROM t WHERE id = 1",
		"SELECT v FROM t WHERE id = '1'",
		"SELECT v FROM t WHERE id = 1.0",
		"SELECT v FROM t WHERE id = NULL",
		"SELECT v FROM t WHERE id = -3 LIMIT 5",
		"SELECT v FROM t WHERE (id = 2)",
		"SELECT v FROM c WHERE a = 127 AND b = -32768",
		"SELECT v FROM c WHERE a = 127 AND b = -32769",
		"SELECT v FROM c WHERE a = 300 AND b = 1",
	}
	run := func(fast bool, f func() (Result, error)) (Result, error) {
		pointSelects = fast
		defer func() { pointSelects = true }()
		return f()
	}
	same := func(what string, f func() (Result, error)) {
		t.Helper()
		want, werr := run(false, f)
		wwarn, _ := s.ExecOne(ctx, "SHOW WARNINGS", nil)
		wfound, _ := s.ExecOne(ctx, "SELECT FOUND_ROWS()", nil)
		got, gerr := run(true, f)
		gwarn, _ := s.ExecOne(ctx, "SHOW WARNINGS", nil)
		gfound, _ := s.ExecOne(ctx, "SELECT FOUND_ROWS()", nil)
		if !reflect.DeepEqual(gfound.Rows, wfound.Rows) {
			t.Errorf("%s: FOUND_ROWS() %v, want %v", what, gfound.Rows, wfound.Rows)
		}
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Errorf("%s: error %v, want %v", what, gerr, werr)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
		}
		if !reflect.DeepEqual(gwarn.Rows, wwarn.Rows) {
			t.Errorf("%s: warnings %v, want %v", what, gwarn.Rows, wwarn.Rows)
		}
	}
	before := s.pointLookups
	for _, q := range queries {
		p, err := s.Prepare(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, a := range args {
			same(fmt.Sprintf("%s %v", q, a), func() (Result, error) { return s.ExecPrepared(ctx, p, a) })
		}
	}
	for _, q := range texts {
		same(q, func() (Result, error) { return s.ExecOne(ctx, q, nil) })
	}
	// The road was taken: for the four queries of t, c and u it takes
	// with 1, 2 and -3 (each a hit or miss), and more.
	if n := s.pointLookups - before; n < 20 {
		t.Errorf("%d statements ran as point lookups, want at least 20", n)
	}
	// In a transaction, a row it wrote and one it deleted.
	if _, err := s.Exec(ctx, "BEGIN; INSERT INTO t (id, v) VALUES (10, 'ten'); DELETE FROM t WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT v FROM t WHERE id = 10", "SELECT v FROM t WHERE id = 1"} {
		same(q, func() (Result, error) { return s.ExecOne(ctx, q, nil) })
	}
	if _, err := s.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	// A temporary table shadows the base table of the same name.
	if _, err := s.Exec(ctx, "CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'temp')"); err != nil {
		t.Fatal(err)
	}
	same("temporary", func() (Result, error) { return s.ExecOne(ctx, "SELECT v FROM t WHERE id = 1", nil) })
	r, err := s.ExecOne(ctx, "SELECT v FROM t WHERE id = 1", nil)
	if err != nil || len(r.Rows) != 1 || r.Rows[0][0] != "temp" {
		t.Fatalf("temporary table: %v, %v", r.Rows, err)
	}
}

// TestPointSelectAfterDDL: a prepared point select whose table changes
// under it (a column dropped, the key changed, the table replaced by a
// view) answers from the table as it is now.
func TestPointSelectAfterDDL(t *testing.T) {
	s := newTestSession(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v INT, w INT); INSERT INTO t VALUES (1, 10, 100), (2, 20, 200)"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Prepare("SELECT v FROM t WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	get := func() ([][]any, error) {
		r, err := s.ExecPrepared(ctx, p, []any{int64(1)})
		return r.Rows, err
	}
	if rows, err := get(); err != nil || !reflect.DeepEqual(rows, [][]any{{int64(10)}}) {
		t.Fatalf("before: %v, %v", rows, err)
	}
	steps := []struct {
		ddl  string
		want string
	}{
		{"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (v)", "[[10]]"}, {"UPDATE t SET v = 11 WHERE id = 1", "[[11]]"},
		{"ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, w)", "[[11]]"},
		{"ALTER TABLE t DROP PRIMARY KEY", "[[11]]"},
		{"ALTER TABLE t ADD PRIMARY KEY (id), MODIFY v VARCHAR(5)", "[[11]]"},
		{"ALTER TABLE t DROP COLUMN v", "Error 1054"},
		{"RENAME TABLE t TO t2; CREATE VIEW t AS SELECT id, w AS v FROM t2", "[[100]]"},
	}
	for _, st := range steps {
		if _, err := s.Exec(ctx, st.ddl); err != nil {
			t.Fatalf("%s: %v", st.ddl, err)
		}
		rows, err := get()
		got := fmt.Sprint(rows)
		if err != nil {
			got = fmt.Sprintf("Error %d", sqlerr.Code(err))
		}
		if got != st.want {
			t.Errorf("after %s: %s (%v), want %s", st.ddl, got, err, st.want)
		}
	}
}
