package sqlshim

import (
	"strings"
	"testing"
	"time"

	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// TestIntExprColumnTypes: the wire type, length and UNSIGNED flag of
// integer-valued expressions are MariaDB's. Each expectation was read
// from MariaDB 10.11 (mariadb --column-type-info) on the same table, so
// a driver that maps LONG to a number and LONGLONG to a string
// (mysql2 with bigNumberStrings) reads the same host type from both.
func TestIntExprColumnTypes(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (c INT, u INT UNSIGNED, b BIGINT, s SMALLINT, v VARCHAR(20), w CHAR(5), d DECIMAL(10,2), da DATE, dt DATETIME, dt3 DATETIME(3))")
	mustRun(t, s, "INSERT INTO t VALUES (5, 6, 7, 8, '9', '10', 12.34, '2020-02-03', '2020-01-01 10:11:12', '2020-01-01 10:11:12.345')")
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
		{"c % u", LL, 11, false},
		{"TRUE", L, 5, false},
		{"FALSE", L, 5, false},
		{"FLOOR(2.5)", L, 3, false},
		{"CEIL(-2.5)", L, 3, false},
		{"FLOOR(d)", L, 10, false},
		{"7.5 DIV 2", L, 1, false},
		{"d DIV 1", L, 8, false},
		{"LAST_INSERT_ID()", LL, 21, true},
		{"UNIX_TIMESTAMP()", LL, 17, false},
		{"BIT_OR(c)", LL, 21, true},
		{"BIT_XOR(u)", LL, 21, true},
		{"MIN(c+1)", LL, 12, false},
		{"MAX(c)+1", LL, 12, false},
		{"COALESCE(u, u)", L, 10, true},
		{"IF(c, u, NULL)", L, 10, true},
		{"CASE WHEN c THEN u END", L, 10, true},
		{"WEEK(da)", L, 2, false},
		{"DAYOFYEAR(da)", L, 3, false},
		{"TO_DAYS(da)", L, 6, false},
		{"MICROSECOND(dt3)", L, 6, false},
		{"EXTRACT(YEAR FROM dt)", L, 4, false},
		{"EXTRACT(MONTH FROM dt)", L, 2, false},
		{"CONVERT(v, SIGNED)", LL, 20, false},
		{"CONNECTION_ID()", L, 10, true},
		{"NOW()+0", LL, 16, false},
		{"MAX(dt)+0", LL, 16, false},
	} {
		r := mustRun(t, s, "SELECT "+tc.expr+" FROM t")
		c := r.Columns[0]
		if c.Type != tc.typ || c.Length != tc.length || (c.Flags&mysql.UnsignedFlag != 0) != tc.unsigned {
			t.Errorf("%s: type %d length %d unsigned %v, MariaDB: type %d length %d unsigned %v",
				tc.expr, c.Type, c.Length, c.Flags&mysql.UnsignedFlag != 0, tc.typ, tc.length, tc.unsigned)
		}
	}
}

// TestDecimalExprColumnTypes: the length, decimals and UNSIGNED flag of
// DECIMAL-valued expressions are MariaDB's (colmeta_dec.go), and so is
// the precision CREATE TABLE ... SELECT gives them. Each expectation was
// read from MariaDB 10.11 (mariadb --column-type-info, SHOW CREATE
// TABLE) on the same table; blitz said 66 (the longest DECIMAL) for all
// of them, and decimal(17,3) for dt3 + 0.
func TestDecimalExprColumnTypes(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (c INT, u INT UNSIGNED, b BIGINT, d DECIMAL(10,2), da DATE, dt DATETIME, dt3 DATETIME(3))")
	mustRun(t, s, "INSERT INTO t VALUES (5, 6, 7, 12.34, '2020-02-03', '2020-01-01 10:11:12', '2020-01-01 10:11:12.345')")
	for _, tc := range []struct {
		expr     string
		length   uint32
		decimals uint8
		unsigned bool
		ctas     string // the column CREATE TABLE ... SELECT makes, "" not checked
	}{
		{"0.5", 4, 1, false, ""},
		{"-2.0", 4, 1, false, ""},
		{"10.25", 6, 2, false, ""},
		{"0.05", 5, 2, false, ""},
		{"c % 2.0", 12, 1, false, "decimal(10,1)"},
		{"dt3 + 0", 20, 3, false, "decimal(18,3)"},
		{"dt3 * 2", 20, 3, false, ""},
		{"dt3 / 2", 23, 7, false, ""},
		{"-dt", 20, 0, false, "decimal(19,0)"},
		{"-dt3", 24, 3, false, "decimal(17,3)"},
		{"-da", 11, 0, false, ""},
		{"-d", 13, 2, false, "decimal(10,2)"},
		{"d + 1", 13, 2, false, ""},
		{"d * d", 22, 4, false, ""},
		{"d / 3", 16, 6, false, ""},
		{"d % 3", 12, 2, false, ""},
		{"1.5 + c", 14, 1, false, ""},
		{"u + 1.5", 14, 1, false, ""},
		{"u * 1.5", 14, 1, false, ""},
		{"c / 2", 16, 4, false, "decimal(14,4)"},
		{"c / u", 16, 4, false, ""},
		{"1 / 3", 7, 4, false, ""},
		{"ABS(d)", 12, 2, false, ""},
		{"ABS(-1.5)", 4, 1, false, ""},
		{"ROUND(d)", 10, 0, false, ""},
		{"ROUND(d, 1)", 12, 1, false, "decimal(10,1)"},
		{"ROUND(d, 4)", 14, 4, false, ""},
		{"ROUND(d, -1)", 10, 0, false, ""},
		{"ROUND(d, c)", 12, 2, false, ""},
		{"ROUND(1.55, 1)", 5, 1, false, ""},
		{"TRUNCATE(d, 1)", 11, 1, false, ""},
		{"COALESCE(u, c)", 11, 0, false, ""},
		{"COALESCE(u, 1)", 11, 0, false, "decimal(10,0)"},
		{"IF(c, u, 1)", 11, 0, false, ""},
		{"COALESCE(NULL, u)", 11, 0, false, ""},
		{"IFNULL(u, NULL)", 11, 0, false, ""},
		{"CASE WHEN c THEN u ELSE NULL END", 11, 0, false, ""},
		{"COALESCE(c, 1.5)", 13, 1, false, ""},
		{"COALESCE(c, d)", 14, 2, false, ""},
		{"IFNULL(c, 2.25)", 14, 2, false, ""},
		{"IF(c, d, 1)", 12, 2, false, ""},
		{"CASE WHEN c THEN 1 ELSE 2.5 END", 4, 1, false, ""},
		{"CASE WHEN c THEN c ELSE d END", 14, 2, false, ""},
		{"NULLIF(d, 1)", 12, 2, false, ""},
		{"GREATEST(c, 1.5)", 13, 1, false, ""},
		{"LEAST(d, 2)", 12, 2, false, ""},
		{"SUM(c)", 33, 0, false, "decimal(32,0)"},
		{"SUM(u)", 33, 0, false, ""},
		{"SUM(b)", 42, 0, false, ""},
		{"SUM(d)", 34, 2, false, ""},
		{"AVG(c)", 16, 4, false, ""},
		{"AVG(u)", 16, 4, false, ""},
		{"AVG(d)", 16, 6, false, "decimal(14,6)"},
		{"MAX(d * 2)", 13, 2, false, ""},
		{"UNIX_TIMESTAMP(dt3)", 21, 3, false, "decimal(19,3)"},
		{"(c + 1) / 2", 17, 4, false, ""},
		{"AVG(c + 1)", 17, 4, false, ""},
		{"CAST(d AS DECIMAL(5,1))", 7, 1, false, "decimal(5,1)"},
		{"CAST(c AS DECIMAL)", 11, 0, false, "decimal(10,0)"},
		{"CAST(1.5 AS DECIMAL(10,3))", 12, 3, false, ""},
	} {
		r := mustRun(t, s, "SELECT "+tc.expr+" FROM t")
		c := r.Columns[0]
		if c.Type != mysql.TypeNewDecimal || c.Length != tc.length || c.Decimals != tc.decimals || (c.Flags&mysql.UnsignedFlag != 0) != tc.unsigned {
			t.Errorf("%s: type %d length %d decimals %d unsigned %v, MariaDB: DECIMAL length %d decimals %d unsigned %v",
				tc.expr, c.Type, c.Length, c.Decimals, c.Flags&mysql.UnsignedFlag != 0, tc.length, tc.decimals, tc.unsigned)
		}
		wantCTASColumn(t, s, tc.expr, tc.ctas)
	}
}

// TestExprColumnFlags: result flags and CREATE TABLE ... SELECT columns
// of expressions whose values alone mislead, each as MariaDB 10.11 has
// them.
func TestExprColumnFlags(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (c INT, u INT UNSIGNED)")
	mustRun(t, s, "INSERT INTO t VALUES (5, 6)")
	for _, tc := range []struct {
		expr    string
		notNull bool
		ctas    string
	}{
		{"(SELECT 1)", true, "int(1) NOT NULL"},
		{"(SELECT c FROM t)", false, ""},
		{"LAST_INSERT_ID()", true, "bigint(21) unsigned NOT NULL"},
		{"BIT_OR(c)", true, "bigint(21) unsigned NOT NULL"},
		{"TRUE", true, "int(5) NOT NULL"},
		{"c % u", false, "bigint(11) DEFAULT NULL"},
		{"FLOOR(2.5)", true, "int(3) NOT NULL"},
		{"RAND()", true, ""},
		{"PI()", true, ""},
		{"CAST(1.5 AS DECIMAL(10,3))", true, ""},
	} {
		r := mustRun(t, s, "SELECT "+tc.expr+" FROM t")
		if nn := r.Columns[0].Flags&mysql.NotNullFlag != 0; nn != tc.notNull {
			t.Errorf("%s: NOT NULL %v, MariaDB %v", tc.expr, nn, tc.notNull)
		}
		wantCTASColumn(t, s, tc.expr, tc.ctas)
	}
}

// TestTemporalAndVarianceColumnTypes: STD and VARIANCE are DOUBLEs of
// fixed decimals, DATE_ADD of a DATETIME(3) keeps its 3 digits,
// UNIX_TIMESTAMP is BIGINT(17), each as MariaDB 10.11 sends them.
func TestTemporalAndVarianceColumnTypes(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (c INT, d DECIMAL(10,2), f DOUBLE, dt DATETIME, dt3 DATETIME(3))")
	mustRun(t, s, "INSERT INTO t VALUES (5, 12.34, 1.5, '2020-01-01 10:11:12', '2020-01-01 10:11:12.345')")
	for _, tc := range []struct {
		expr     string
		typ      byte
		length   uint32
		decimals uint8
	}{
		{"STD(c)", mysql.TypeDouble, 26, 4},
		{"STD(d)", mysql.TypeDouble, 26, 6},
		{"STD(f)", mysql.TypeDouble, 23, 31},
		{"VARIANCE(c)", mysql.TypeDouble, 26, 4},
		{"VAR_SAMP(d)", mysql.TypeDouble, 26, 6},
		{"STDDEV_SAMP(c)", mysql.TypeDouble, 26, 4},
		{"DATE_SUB(dt3, INTERVAL 1 DAY)", mysql.TypeDatetime, 23, 3},
		{"DATE_ADD(dt3, INTERVAL 1 HOUR)", mysql.TypeDatetime, 23, 3},
		{"DATE_ADD(dt, INTERVAL 1 DAY)", mysql.TypeDatetime, 19, 0},
		{"UNIX_TIMESTAMP(dt)", mysql.TypeLonglong, 17, 0},
		{"UNIX_TIMESTAMP()", mysql.TypeLonglong, 17, 0},
	} {
		r := mustRun(t, s, "SELECT "+tc.expr+" FROM t")
		c := r.Columns[0]
		if c.Type != tc.typ || c.Length != tc.length || c.Decimals != tc.decimals {
			t.Errorf("%s: type %d length %d decimals %d, MariaDB: type %d length %d decimals %d",
				tc.expr, c.Type, c.Length, c.Decimals, tc.typ, tc.length, tc.decimals)
		}
	}
	r := mustRun(t, s, "SELECT DATE_SUB(dt3, INTERVAL 1 DAY) FROM t")
	if got, ok := r.Rows[0][0].(time.Time); !ok || got.Nanosecond() != 345e6 {
		t.Errorf("DATE_SUB(dt3, INTERVAL 1 DAY) = %v, want its .345", r.Rows[0][0])
	}
}

// TestUnionColumnTypes: a UNION's column type, length, decimals and
// flags, and the column CREATE TABLE ... SELECT makes of it, are
// MariaDB's (MariaDB 10.11, --column-type-info and SHOW CREATE TABLE).
func TestUnionColumnTypes(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE t (c INT, u INT UNSIGNED, n INT NOT NULL, d DECIMAL(10,2))")
	mustRun(t, s, "INSERT INTO t VALUES (5, 6, 7, 12.34)")
	const L, D = mysql.TypeLong, mysql.TypeNewDecimal
	for _, tc := range []struct {
		query             string
		typ               byte
		length            uint32
		decimals          uint8
		unsigned, notNull bool
		ctas              string
	}{
		{"SELECT 10 UNION SELECT 2.5", D, 5, 1, false, true, "decimal(3,1) NOT NULL"},
		{"SELECT 2.5 UNION SELECT 100", D, 6, 1, false, true, ""},
		{"SELECT c FROM t UNION SELECT 1.5", D, 13, 1, false, false, "decimal(11,1)"},
		{"SELECT u FROM t UNION SELECT 1.5", D, 13, 1, false, false, ""},
		{"SELECT d FROM t UNION ALL SELECT c FROM t", D, 14, 2, false, false, ""},
		{"SELECT 1.5 UNION SELECT NULL", D, 4, 1, false, false, ""},
		{"SELECT 1 UNION SELECT 2", L, 2, 0, false, true, "int(2) NOT NULL"},
		{"SELECT 1 UNION SELECT NULL", L, 2, 0, false, false, ""},
		{"SELECT n FROM t UNION SELECT c FROM t", L, 11, 0, false, false, ""},
		{"SELECT n FROM t UNION SELECT n FROM t", L, 11, 0, false, true, ""},
		{"SELECT u FROM t UNION SELECT u FROM t", L, 10, 0, true, false, ""},
		{"SELECT c FROM t UNION SELECT u FROM t", D, 11, 0, false, false, "decimal(10,0)"},
	} {
		r := mustRun(t, s, tc.query)
		c := r.Columns[0]
		if c.Type != tc.typ || c.Length != tc.length || c.Decimals != tc.decimals ||
			(c.Flags&mysql.UnsignedFlag != 0) != tc.unsigned || (c.Flags&mysql.NotNullFlag != 0) != tc.notNull {
			t.Errorf("%s: type %d length %d decimals %d flags %#x, MariaDB: type %d length %d decimals %d unsigned %v not null %v",
				tc.query, c.Type, c.Length, c.Decimals, c.Flags, tc.typ, tc.length, tc.decimals, tc.unsigned, tc.notNull)
		}
		if tc.ctas == "" {
			continue
		}
		mustRun(t, s, "DROP TABLE IF EXISTS x")
		mustRun(t, s, "CREATE TABLE x AS "+tc.query)
		sc := mustRun(t, s, "SHOW CREATE TABLE x")
		if text := sc.Rows[0][1].(string); !strings.Contains(text, " "+tc.ctas) {
			t.Errorf("CREATE TABLE x AS %s: %s, MariaDB: %s", tc.query, text, tc.ctas)
		}
	}
}

// wantCTASColumn requires CREATE TABLE x AS SELECT expr AS a FROM t to give
// column a the definition want (MariaDB's), up to its end; want ""
// checks nothing.
func wantCTASColumn(t *testing.T, s *Session, expr, want string) {
	t.Helper()
	if want == "" {
		return
	}
	mustRun(t, s, "DROP TABLE IF EXISTS x")
	mustRun(t, s, "CREATE TABLE x AS SELECT "+expr+" AS a FROM t")
	text := mustRun(t, s, "SHOW CREATE TABLE x").Rows[0][1].(string)
	_, rest, ok := strings.Cut(text, "`a` "+want)
	if !ok || rest != "" && !strings.ContainsRune(" ,\n", rune(rest[0])) {
		t.Errorf("CREATE TABLE x AS SELECT %s: %s, MariaDB: %s", expr, text, want)
	}
}
