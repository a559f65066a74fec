package sqlshim

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestShapeOf(t *testing.T) {
	cases := []struct {
		sql, shape string
		vals       []any
	}{
		{"SELECT v FROM t WHERE id = 42", "SELECT v FROM t WHERE id = ?", []any{int64(42)}},
		{"select * from t x where a > 1.50 and b = 'x y' limit 3", "select * from t x where a > ? and b = ? limit 3", []any{"1.5", "x y"}},
		{"SELECT 1 FROM db.t WHERE id IN (1, 2,3) ORDER BY 1", "SELECT 1 FROM db.t WHERE id IN (?, ?,?) ORDER BY 1", []any{int64(1), int64(2), int64(3)}},
		{"SELECT a FROM t AS u WHERE id = -7 /* c */", "SELECT a FROM t AS u WHERE id = -? /* c */", []any{int64(7)}},
		{"SELECT a FROM t WHERE id = 18446744073709551615", "SELECT a FROM t WHERE id = ?", []any{uint64(18446744073709551615)}},
		{"UPDATE t SET v = 1 WHERE id = 2 LIMIT 1", "UPDATE t SET v = ? WHERE id = ? LIMIT 1", []any{int64(1), int64(2)}},
		{"DELETE FROM t WHERE s = 'x'", "DELETE FROM t WHERE s = ?", []any{"x"}},
		{"INSERT INTO t (a, `b`) VALUES (1, 'x'), (2, NULL) ON DUPLICATE KEY UPDATE b = 'y'",
			"INSERT INTO t (a, `b`) VALUES (?, ?), (?, NULL) ON DUPLICATE KEY UPDATE b = 'y'", []any{int64(1), "x", int64(2)}},
		{"replace into t value (3.25)", "replace into t value (?)", []any{"3.25"}},
	}
	for _, c := range cases {
		shape, vals, ok := shapeOf(c.sql)
		if !ok || shape != c.shape {
			t.Errorf("shapeOf(%q) = %q, %v; want %q", c.sql, shape, ok, c.shape)
			continue
		}
		got := fmt.Sprint(vals)
		if want := fmt.Sprint(c.vals); got != want {
			t.Errorf("shapeOf(%q) values %s, want %s", c.sql, got, want)
		}
	}
	for _, sql := range []string{
		"SELECT 1",
		"SELECT v FROM t",
		"INSERT INTO t SELECT * FROM u WHERE id = 1",
		"INSERT INTO t (a, b) VALUES (1, NOW() - INTERVAL 1 DAY)",
		"UPDATE t JOIN u ON t.id = u.id SET t.v = 1",
		"INSERT INTO t VALUES (1, 'x') ON DUPLICATE KEY UPDATE v = ?",
		"SELECT v FROM t WHERE id = ?",
		"SELECT v FROM a JOIN b ON a.x = b.y WHERE a.id = 1",
		"SELECT v FROM a, b WHERE a.id = 1",
		"SELECT v FROM t WHERE id IN (SELECT id FROM u WHERE k = 1)",
		"SELECT v FROM t WHERE b = x'41'",
		"SELECT v FROM t WHERE b = _utf8mb4'a'",
		"SELECT v FROM t WHERE s = 'it''s'",
		`SELECT v FROM t WHERE s = 'a\'b'`,
		"SELECT v FROM t WHERE d > NOW() - INTERVAL 1 DAY",
		"SELECT v FROM t WHERE CAST(a AS DECIMAL(5,2)) = 1",
		"SELECT v FROM t WHERE a = 1e5",
		"SELECT v FROM t WHERE a = 0x10",
		"SELECT v FROM t WHERE a = .5",
		"SELECT v FROM t WHERE d = DATE '2024-01-01'",
		"SELECT v FROM t WHERE s LIKE 'a|%' ESCAPE '|'",
		"SELECT v FROM t WHERE a = 99999999999999999999999",
		"SELECT v FROM t WHERE s = \"dq\"",
		"SELECT v FROM t USE INDEX (k) WHERE a = 1",
	} {
		if shape, _, ok := shapeOf(sql); ok {
			t.Errorf("shapeOf(%q) = %q: want the ordinary path", sql, shape)
		}
	}
}

// TestStatementCacheSameResults runs one script of reads and writes on two
// databases: through the session (which uses the shape cache) and through
// a parse of each statement as written, and compares every result,
// warning and error, then the tables.
func TestStatementCacheSameResults(t *testing.T) {
	ctx := context.Background()
	cached, plain := newTestSession(t), newTestSession(t)
	asWritten := func(q string) (Result, error) {
		st, err := parseOne(plain.parser, q)
		if err != nil {
			return Result{}, err
		}
		plain.mu.Lock()
		defer plain.mu.Unlock()
		r, err := plain.runLocked(ctx, st, nil)
		if err != nil {
			plain.noteError(err) // as ExecOne does
		}
		return r, err
	}
	script := []string{
		"CREATE TABLE t (id BIGINT PRIMARY KEY, u BIGINT UNSIGNED, d DECIMAL(6,2), s VARCHAR(20), dt DATE, n INT NOT NULL DEFAULT 7, KEY ks (s), KEY kd (d))",
		"INSERT INTO t (id, u, d, s, dt) VALUES (1, 1, 1.50, 'abc', '2024-01-01'), (2, 18446744073709551615, -2.25, 'b%c', '2024-02-29')",
		"INSERT INTO t (id, u, d, s, dt) VALUES (3, NULL, NULL, NULL, NULL), (-4, 4, 100.00, '', '1999-12-31')",
		"INSERT INTO t (id, u, d, s, dt) VALUES (5, 5, 1.005, 'x', '2024-13-01')", // rounding, bad date
		"INSERT INTO t (id, u, d, s, dt) VALUES (6, -1, 1, 'y', '2024-01-02')",    // out of range
		"INSERT INTO t (id, s) VALUES (1, 'dup')",
		"INSERT IGNORE INTO t (id, s) VALUES (1, 'dup'), (7, 'seven')",
		"INSERT INTO t (id, s) VALUES (8, 'eight') ON DUPLICATE KEY UPDATE s = 'again'",
		"INSERT INTO t (id, s) VALUES (8, 'eight') ON DUPLICATE KEY UPDATE s = 'again'",
		"INSERT INTO t (id, n) VALUES (9, NULL)",
		"INSERT INTO t (id, s) VALUES (10, 'a string that is far too long for the column')",
		"REPLACE INTO t (id, s, d) VALUES (7, 'replaced', 3.5)",
		"UPDATE t SET d = d + 1.25, s = 'upd' WHERE id = 1",
		"UPDATE t SET n = 'abc' WHERE id = 2",
		"UPDATE t SET u = u - 5 WHERE id = -4",
		"DELETE FROM t WHERE s = ''",
		"DELETE FROM t WHERE id > 100",
		"SELECT * FROM t WHERE id = 1", "SELECT * FROM t WHERE id = 2", "SELECT * FROM t WHERE id = -4",
		"SELECT * FROM t WHERE id = 9", "SELECT id FROM t WHERE id = '2'", "SELECT id FROM t WHERE id = '2x'",
		"SELECT id FROM t WHERE u = 18446744073709551615", "SELECT id FROM t WHERE d = 1.5", "SELECT id FROM t WHERE d = 2.75",
		"SELECT id FROM t WHERE d > -3 ORDER BY id", "SELECT id FROM t WHERE d BETWEEN 1 AND 100.00 ORDER BY id",
		"SELECT id FROM t WHERE s = 'abc'", "SELECT id FROM t WHERE s LIKE 'b%' ORDER BY id", "SELECT id FROM t WHERE s = ''",
		"SELECT id FROM t WHERE dt = '2024-02-29'", "SELECT id FROM t WHERE dt < '2024-01-02' ORDER BY id",
		"SELECT id FROM t WHERE id IN (1, 3, 7) ORDER BY id", "SELECT id FROM t WHERE id / 0 = 1",
		"SELECT id FROM t WHERE s = 1", "SELECT COUNT(*) FROM t WHERE id > 0", "SELECT id FROM t WHERE id = 1 LIMIT 1",
		"SELECT nosuch FROM t WHERE id = 1", "SELECT id FROM t WHERE nosuch = 1", "SELECT id FROM nosuch WHERE id = 1",
		"INSERT INTO nosuch VALUES (1)", "INSERT INTO t (nosuch) VALUES (1)", "INSERT INTO t (id) VALUES (1, 2)",
		"SELECT * FROM t ORDER BY id",
	}
	for round := 0; round < 2; round++ { // the second round runs from the cache
		for _, q := range script {
			if round == 1 && strings.HasPrefix(q, "CREATE") {
				continue
			}
			got, gerr := cached.ExecOne(ctx, q, nil)
			want, werr := asWritten(q)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("%s: error %v via the cache, %v parsed as written", q, gerr, werr)
			}
			if !reflect.DeepEqual(got.Rows, want.Rows) || !reflect.DeepEqual(got.Columns, want.Columns) ||
				got.AffectedRows != want.AffectedRows || got.LastInsertID != want.LastInsertID || got.Matched != want.Matched {
				t.Fatalf("%s: %+v via the cache, %+v parsed as written", q, got, want)
			}
			if gw, ww := cached.Warnings(), plain.Warnings(); fmt.Sprint(gw) != fmt.Sprint(ww) {
				t.Fatalf("%s: warnings %v via the cache, %v parsed as written", q, gw, ww)
			}
		}
	}
	if len(cached.shapes) < 10 {
		t.Fatalf("only %d statement shapes were cached", len(cached.shapes))
	}
}
