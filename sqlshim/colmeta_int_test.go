package sqlshim

import (
	"testing"

	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// TestIntExprColumnTypes: the wire type, length and UNSIGNED flag of
// integer-valued expressions are MariaDB's. Each expectation was read
// from MariaDB 10.11 (mariadb --column-type-info) on the same table, so
// a driver that maps LONG to a number and LONGLONG to a string
// (mysql2 with bigNumberStrings) reads the same host type from both.
func TestIntExprColumnTypes(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (c INT, u INT UNSIGNED, b BIGINT, s SMALLINT, v VARCHAR(20), w CHAR(5))")
	mustRun(t, s, "INSERT INTO t VALUES (5, 6, 7, 8, '9', '10')")
	const L, LL = mysql.TypeLong, mysql.TypeLonglong
	for _, tc := range []struct {
		expr     string
		typ      byte
		length   uint32
		unsigned bool
	}{
		{"1 DIV 1", L, 1, false},
		{"5 % 2", L, 2, false},
		{"5 MOD 3", L, 2, false},
		{"CAST(1 AS SIGNED)", L, 2, false},
		{"CAST(1 AS UNSIGNED)", L, 1, true},
		{"CAST(-1 AS UNSIGNED)", LL, 20, true},
		{"CAST(c AS SIGNED)", LL, 11, false},
		{"CAST(c AS UNSIGNED)", LL, 20, true},
		{"CAST(u AS SIGNED)", LL, 10, false},
		{"CAST(s AS SIGNED)", L, 6, false},
		{"CAST(1.5 AS SIGNED)", L, 4, false},
		{"CAST('1' AS SIGNED)", L, 2, false},
		{"CAST(v AS SIGNED)", LL, 20, false},
		{"CAST(w AS SIGNED)", L, 5, false},
		{"-1", L, 2, false},
		{"-(-1)", L, 1, false},
		{"ABS(-1)", L, 2, false},
		{"ABS(c)", LL, 11, false},
		{"ABS(s)", L, 6, false},
		{"2*3", L, 3, false},
		{"1+2+3", L, 4, false},
		{"1-1", L, 3, false},
		{"c DIV 2", LL, 10, false},
		{"c DIV 2.5", LL, 10, false},
		{"7.5 DIV 2", L, 1, false},
		{"s DIV 2", L, 5, false},
		{"u DIV 2", LL, 10, true},
		{"b DIV 2", LL, 19, false},
		{"10000000000 DIV 2", LL, 11, false},
		{"c % 2", LL, 11, false},
		{"MOD(c, 2)", LL, 11, false},
		{"u % 2", LL, 10, true},
		{"-c", LL, 12, false},
		{"-s", L, 7, false},
		{"-u", LL, 11, false},
		{"c*2", LL, 12, false},
		{"c+1", LL, 12, false},
		{"s+1", L, 7, false},
		{"s*2", L, 7, false},
		{"s*s*s", LL, 16, false},
		{"u+1", LL, 11, true},
		{"c+u", LL, 11, true},
		{"b+1", LL, 21, false},
		{"b*b", LL, 39, false},
		{"12345678901 % 2", LL, 12, false},
		{"IF(c > 0, 1, 0)", L, 2, false},
		{"IF(c, b, 1)", LL, 20, false},
		{"COALESCE(c, 0)", L, 11, false},
		{"IFNULL(s, 1)", L, 6, false},
		{"CASE WHEN c THEN 1 ELSE 22 END", L, 3, false},
		{"GREATEST(c, 1)", L, 11, false},
		{"LEAST(1, 2)", L, 2, false},
		{"NULLIF(c, 1)", L, 11, false},
		{"ROUND(c)", L, 11, false},
		{"ROUND(u)", L, 10, true},
		{"ROUND(s, -1)", L, 7, false},
		{"ROUND(99, -1)", L, 3, false},
		{"ROUND(c, s)", LL, 12, false},
		{"FLOOR(c)", L, 11, false},
		{"CEIL(s)", mysql.TypeShort, 6, false},
		{"TRUNCATE(s, -1)", mysql.TypeShort, 6, false},
		{"5 DIV 0", L, 1, false},
		{"COUNT(*)", LL, 21, false},
		{"CRC32('a')", L, 10, true},
		{"DATEDIFF(NOW(), NOW())", L, 8, false},
	} {
		r := mustRun(t, s, "SELECT "+tc.expr+" FROM t")
		c := r.Columns[0]
		if c.Type != tc.typ || c.Length != tc.length || (c.Flags&mysql.UnsignedFlag != 0) != tc.unsigned {
			t.Errorf("%s: type %d length %d unsigned %v, MariaDB: type %d length %d unsigned %v",
				tc.expr, c.Type, c.Length, c.Flags&mysql.UnsignedFlag != 0, tc.typ, tc.length, tc.unsigned)
		}
	}
}
