package sqlshim

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// fuzzFixture is the database every FuzzExec input runs against: a plain
// and a crash-safe table with an index, NULLs and duplicates, and an empty
// one, so that joins, subqueries and writes have something to work on.
const fuzzFixture = `
CREATE TABLE t1 (a INT PRIMARY KEY, b VARCHAR(20), c DOUBLE, d DATETIME, KEY kb (b));
CREATE TABLE t2 (x INT, y VARCHAR(10), z DECIMAL(10,2), KEY kx (x)) ENGINE = BLITZDB, CRASH_SAFE;
CREATE TABLE t3 (p INT AUTO_INCREMENT PRIMARY KEY, q TEXT);
INSERT INTO t1 VALUES (1,'one',1.5,'2024-01-02 03:04:05'),(2,'two',NULL,NULL),(3,NULL,-2,'1999-12-31 23:59:59'),(4,'two',0,NULL);
INSERT INTO t2 VALUES (1,'a',1.25),(1,'b',NULL),(NULL,'c',3),(5,NULL,-4.5);
`

// FuzzExec runs arbitrary SQL text, statement by statement as the shell
// does with --force, against a small fixture database on an in-memory
// filesystem. Malformed SQL, wrong types and absurd sizes must come back
// as errors: nothing may panic, and every input must finish (the fuzzer
// reports an input that does not). Afterwards the session must still answer
// a query, and CHECK TABLE must find every table that is left intact.
func FuzzExec(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > 4096 {
			return // long inputs only slow the fuzzer down
		}
		fuzzExec(t, sql)
	})
}

// fuzzSeeds is the statements of the SQL corpus, plus a few inputs for
// the size limits.
func fuzzSeeds(tb testing.TB) []string {
	seeds := []string{
		"SELECT REPEAT('ab', 4611686018427387904)",
		"SELECT LPAD('a', 1000000000000, 'xy'), RPAD('a', 1000000000000, 'xy')",
		"SELECT SPACE(9223372036854775807)",
		"SELECT * FROM t1 a JOIN t2 b ON a.a = b.x LEFT JOIN t3 c ON c.p = a.a ORDER BY 1 LIMIT 2",
		"UPDATE t1 SET b = CONCAT(b, b) WHERE a IN (SELECT x FROM t2); SELECT * FROM t1",
		"BEGIN; DELETE FROM t2; ROLLBACK; SELECT COUNT(*) FROM t2",
	}
	files, _ := filepath.Glob("../testdata/sql/*.test")
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			tb.Fatal(err)
		}
		sp := NewSplitter(strings.NewReader(string(b)))
		for {
			s, _, err := sp.Next()
			if err != nil {
				break
			}
			if len(s) <= 400 {
				seeds = append(seeds, s)
			}
		}
	}
	return seeds
}

func fuzzExec(t *testing.T, sql string) {
	// Data files and the WAL live in memory; the index files (bbolt) use
	// the real filesystem, so the directory exists in both.
	dir := filepath.Join(t.TempDir(), "test")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{FS: vfs.NewMem(), Sync: engine.SyncOff, WALSegmentBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // bounds SLEEP() too
	defer cancel()
	var setupErr strings.Builder
	setup := &Shell{Session: NewSession(db), Out: io.Discard, Err: &setupErr}
	if failed, err := setup.Run(ctx, strings.NewReader(fuzzFixture)); err != nil || failed > 0 {
		t.Fatalf("fixture: %d failed, %v %s", failed, err, setupErr.String())
	}
	s := NewSession(db)
	s.memBudget = 64 << 10 // small, so that sorts and joins spill too
	var errs strings.Builder
	sh := &Shell{Session: s, Out: io.Discard, Err: &errs, Force: true}
	if _, err := sh.Run(ctx, strings.NewReader(sql)); err != nil {
		t.Fatalf("shell: %v", err)
	}
	if i := strings.Index(errs.String(), "internal error"); i >= 0 {
		t.Fatalf("a statement panicked: %s", errs.String()[max(0, strings.LastIndex(errs.String()[:i], "\n")):])
	}
	s.ExecOne(ctx, "ROLLBACK", nil)
	if _, err := s.ExecOne(ctx, "SELECT 1 + 1", nil); err != nil {
		t.Fatalf("session unusable after the input: %v", err)
	}
	// The tables are checked from a new session: the input may have left
	// this one without a current database (DROP DATABASE, nodb.go).
	s = NewSession(db)
	res, err := s.ExecOne(ctx, "SHOW TABLES", nil)
	if err != nil {
		t.Fatalf("SHOW TABLES: %v", err)
	}
	for _, row := range res.Rows {
		name := toString(row[0])
		r, err := s.ExecOne(ctx, "CHECK TABLE `"+strings.ReplaceAll(name, "`", "``")+"`", nil)
		if err != nil {
			t.Fatalf("CHECK TABLE %s: %v", name, err)
		}
		for _, cr := range r.Rows {
			if msg := toString(cr[len(cr)-1]); msg != "OK" && toString(cr[2]) == "status" {
				t.Fatalf("CHECK TABLE %s after the input: %v", name, cr)
			}
		}
	}
}

// TestStringResultLimit: a string function asked for more than
// max_allowed_packet bytes returns NULL with warning 1301 (REPEAT's count
// times the length used to overflow and panic, LPAD and RPAD had no limit),
// while results up to the limit are built.
func TestStringResultLimit(t *testing.T) {
	s := newTestSession(t)
	for _, q := range []string{
		"SELECT REPEAT('ab', 4611686018427387904)",
		"SELECT REPEAT('ab', 33554433)",
		"SELECT LPAD('a', 1000000000000, 'xy')",
		"SELECT RPAD('a', 67108865, 'x')",
		"SELECT SPACE(9223372036854775807)",
		"SELECT REPLACE(REPEAT('a', 40000000), 'a', 'bb')",
		"SELECT CONCAT(REPEAT('a', 40000000), REPEAT('b', 40000000))",
		"SELECT CONCAT_WS(',', REPEAT('a', 40000000), REPEAT('b', 40000000))",
	} {
		r := mustRun(t, s, q)
		if r.Rows[0][0] != nil {
			t.Errorf("%s: got %d bytes, want NULL", q, len(toString(r.Rows[0][0])))
		}
		if len(r.Warnings) != 1 || r.Warnings[0].Code != sqlerr.ErrPacketOverflowed {
			t.Errorf("%s: warnings %v, want one 1301", q, r.Warnings)
		}
	}
	r := mustRun(t, s, "SELECT LENGTH(REPEAT('ab', 33554432)), LPAD('a', 5, 'xy'), RPAD('ab', 1, 'x'), CHAR_LENGTH(RPAD('é', 4, 'ü'))")
	if got := fmt.Sprint(r.Rows[0]...); got != fmt.Sprint(int64(67108864), "xyxya", "a", int64(4)) {
		t.Errorf("within the limit: got %v", r.Rows[0])
	}
}

// TestGuardPanic: a panic while a statement runs becomes error 1105 for
// that statement, not a crash of the process.
func TestGuardPanic(t *testing.T) {
	_, err := guard(func() (Result, error) { panic("boom") })
	e := sqlerr.As(err)
	if e.Code != sqlerr.ErrUnknown || !strings.Contains(e.Message, "boom") {
		t.Fatalf("got %v", err)
	}
}

// TestNestingLimit: a statement nested deeper than maxNesting is error 1436
// (it used to overflow the stack and end the process), whether the depth
// comes from parentheses, checked before parsing, or from an operator
// chain, checked on the tree; parentheses inside strings and comments do
// not count, and a deep statement within the limit runs.
func TestNestingLimit(t *testing.T) {
	s := newTestSession(t)
	deep := strings.Repeat("(", 20000) + "1" + strings.Repeat(")", 20000)
	for _, q := range []string{
		"SELECT " + deep,
		"SELECT 1" + strings.Repeat("+1", 20000),
		"SELECT " + strings.Repeat("-", 20000) + "1",
	} {
		_, err := s.ExecOne(context.Background(), q, nil)
		if e := sqlerr.As(err); err == nil || e.Code != sqlerr.ErrStackOverrun {
			t.Errorf("%.20s...: got %v, want error 1436", q, err)
		}
	}
	r := mustRun(t, s, "SELECT '"+deep+"' /* "+deep+" */, "+strings.Repeat("ABS(", 3000)+"-7"+strings.Repeat(")", 3000))
	if toString(r.Rows[0][0]) != deep || toInt(r.Rows[0][1]) != 7 {
		t.Errorf("within the limit: got %.30v", r.Rows[0])
	}
}
