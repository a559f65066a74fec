package sqlshim

import (
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
)

// TestRewritePrefixes feeds every prefix of statements the pre-parse
// rewrites look into (GROUP_CONCAT ... LIMIT, SHOW WARNINGS LIMIT,
// constraint clauses, transaction characteristics) to parseOne: a cut
// statement must come back parsed or as an error, never a panic.
func TestRewritePrefixes(t *testing.T) {
	stmts := []string{
		"SELECT g, GROUP_CONCAT(DISTINCT s ORDER BY s DESC, (a+1) SEPARATOR '-' LIMIT 1, 2) FROM t GROUP BY g",
		"SELECT GROUP_CONCAT(a LIMIT 2 OFFSET ?), group_concat((SELECT 1) LIMIT 3) FROM t",
		"SHOW WARNINGS LIMIT 1, 2",
		"SHOW ERRORS LIMIT 3 OFFSET 4",
		"ALTER TABLE db.t ADD CONSTRAINT IF NOT EXISTS `c 1` CHECK (a > (1)), DROP CONSTRAINT IF EXISTS c2, ADD UNIQUE KEY IF NOT EXISTS u (a)",
		"ALTER TABLE t ADD CONSTRAINT x UNIQUE INDEX IF NOT EXISTS x (a, b), MODIFY b INT CONSTRAINT cc CHECK (b > 1)",
		"CREATE TABLE t (a INT CONSTRAINT nm CHECK (a > 0), b INT, CONSTRAINT c CHECK (b < 9))",
		"SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY",
		"SET @@tx_isolation = 'SERIALIZABLE', @@session.tx_read_only = 1, @@tx_read_only = 0",
		"START TRANSACTION READ WRITE",
		"CHECK TABLE `a``b`, c QUICK",
		"CHECKSUM TABLE t, `u v` EXTENDED",
	}
	p := parser.New()
	n := 0
	for _, s := range stmts {
		for i := 0; i <= len(s); i++ {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("parseOne(%q) panicked: %v", s[:i], r)
					}
				}()
				parseOne(p, s[:i])
				n++
			}()
		}
		if _, err := parseOne(p, s); err != nil && s[:6] != "ALTER " && s[:7] != "CREATE " {
			t.Errorf("parseOne(%q): %v", s, err)
		}
	}
	t.Logf("%d prefixes parsed", n)
}
