package sqlshim

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// resultText renders a result as tab-separated lines, NULL as NULL.
func resultText(r Result) string {
	var lines []string
	for _, row := range r.Rows {
		var f []string
		for _, v := range row {
			if v == nil {
				f = append(f, "NULL")
			} else {
				f = append(f, toString(v))
			}
		}
		lines = append(lines, strings.Join(f, "\t"))
	}
	return strings.Join(lines, "\n")
}

// TestAlterColumnsSQL: DROP / MODIFY / CHANGE / RENAME COLUMN, ALTER
// COLUMN SET / DROP DEFAULT and ADD COLUMN FIRST / AFTER, checked through
// SELECT *, DESCRIBE and SHOW CREATE TABLE (as MariaDB shows them), with
// MariaDB's errors, on plain and CRASH_SAFE tables, and across a reopen.
func TestAlterColumnsSQL(t *testing.T) {
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "test")
			db, err := engine.Open(dir, engine.Options{Sync: engine.SyncOff})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { db.Close() }()
			s := NewSession(db)
			create := "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10), c INT, KEY ab (a, b), KEY kc (c))"
			if cs {
				create += " CRASH_SAFE"
			}
			if _, err := s.ExecOne(context.Background(), create, nil); err != nil {
				t.Fatalf("%s: %v", create, err)
			}
			check := func(q, want string) {
				t.Helper()
				if got := resultText(mustRun(t, s, q)); got != want {
					t.Fatalf("%s:\n%s\nwant\n%s", q, got, want)
				}
			}
			showCreate := func() string {
				t.Helper()
				return toString(mustRun(t, s, "SHOW CREATE TABLE t").Rows[0][1])
			}
			if got := strings.Contains(showCreate(), "CRASH_SAFE"); got != cs {
				t.Fatalf("CRASH_SAFE in SHOW CREATE TABLE: %v", got)
			}
			mustRun(t, s, "INSERT INTO t VALUES (1, 10, 'x', 100), (2, 20, 'yy', NULL), (3, NULL, '30', 300)")
			wantErr := func(q string, code int, msgPart string) {
				t.Helper()
				_, err := s.ExecOne(context.Background(), q, nil)
				if e := sqlerr.As(err); err == nil || e.Code != code || !strings.Contains(err.Error(), msgPart) {
					t.Fatalf("%s: %v, want error %d with %q", q, err, code, msgPart)
				}
			}

			// DROP COLUMN: the index ab loses a, kc goes with c.
			mustRun(t, s, "ALTER TABLE t DROP COLUMN a, DROP c")
			check("SELECT * FROM t ORDER BY id", "1\tx\n2\tyy\n3\t30")
			if sc := showCreate(); !strings.Contains(sc, "KEY `ab` (`b`)") || strings.Contains(sc, "`kc`") || strings.Contains(sc, "`a`") {
				t.Fatalf("after DROP COLUMN:\n%s", sc)
			}
			wantErr("ALTER TABLE t DROP COLUMN nosuch", 1091, "Can't DROP COLUMN `nosuch`; check that it exists")

			// ADD COLUMN FIRST / AFTER, NOT NULL without a default.
			mustRun(t, s, "ALTER TABLE t ADD COLUMN f INT NOT NULL FIRST, ADD COLUMN g VARCHAR(5) DEFAULT 'gg' AFTER id")
			check("SELECT * FROM t ORDER BY id", "0\t1\tgg\tx\n0\t2\tgg\tyy\n0\t3\tgg\t30")
			check("DESCRIBE t", "f\tint(11)\tNO\t\tNULL\t\nid\tint(11)\tNO\tPRI\tNULL\t\ng\tvarchar(5)\tYES\t\tgg\t\nb\tvarchar(10)\tYES\tMUL\tNULL\t")
			wantErr("ALTER TABLE t ADD COLUMN h INT AFTER nosuch", sqlerr.ErrBadField, "Unknown column 'nosuch' in 't'")

			// MODIFY: a type change converts every row; one that does not
			// fit is an error naming the row, and nothing changes.
			wantErr("ALTER TABLE t MODIFY b INT", sqlerr.ErrTruncatedValue, "Truncated incorrect INTEGER value: 'x'") // MariaDB's ALTER wording, not INSERT's
			check("SELECT b FROM t ORDER BY id", "x\nyy\n30")
			mustRun(t, s, "UPDATE t SET b = id * 7")
			mustRun(t, s, "ALTER TABLE t MODIFY COLUMN b SMALLINT UNSIGNED NOT NULL AFTER f")
			check("SELECT * FROM t ORDER BY id", "0\t7\t1\tgg\n0\t14\t2\tgg\n0\t21\t3\tgg")
			if sc := showCreate(); !strings.Contains(sc, "`b` smallint(5) unsigned NOT NULL,") {
				t.Fatalf("after MODIFY:\n%s", sc)
			}
			mustRun(t, s, "UPDATE t SET b = 1000 WHERE id = 3")
			wantErr("ALTER TABLE t MODIFY b TINYINT UNSIGNED", sqlerr.ErrOutOfRange, "Out of range value for column 'b' at row ")
			mustRun(t, s, "UPDATE t SET b = 21 WHERE id = 3")

			// NOT NULL over a NULL: 1265, the table unchanged.
			mustRun(t, s, "UPDATE t SET g = NULL WHERE id = 2")
			wantErr("ALTER TABLE t MODIFY g VARCHAR(5) NOT NULL", 1265, "Data truncated for column 'g' at row ")
			check("SELECT g FROM t ORDER BY id", "gg\nNULL\ngg")

			// CHANGE renames and retypes; the index follows.
			mustRun(t, s, "ALTER TABLE t CHANGE b bee BIGINT NOT NULL DEFAULT 5")
			if sc := showCreate(); !strings.Contains(sc, "`bee` bigint(20) NOT NULL DEFAULT 5,") || !strings.Contains(sc, "KEY `ab` (`bee`)") {
				t.Fatalf("after CHANGE:\n%s", sc)
			}
			check("SELECT id FROM t WHERE bee = 14", "2")
			wantErr("ALTER TABLE t CHANGE bee id INT", sqlerr.ErrDupFieldName, "Duplicate column name 'id'")

			// RENAME COLUMN: definition only; index and key follow.
			mustRun(t, s, "ALTER TABLE t RENAME COLUMN bee TO b2, RENAME COLUMN id TO ident")
			if sc := showCreate(); !strings.Contains(sc, "KEY `ab` (`b2`)") || !strings.Contains(sc, "PRIMARY KEY (`ident`)") {
				t.Fatalf("after RENAME COLUMN:\n%s", sc)
			}
			check("SELECT ident FROM t WHERE b2 = 21", "3")
			wantErr("ALTER TABLE t RENAME COLUMN nosuch TO x", sqlerr.ErrBadField, "Unknown column 'nosuch' in 't'")

			// ALTER COLUMN SET / DROP DEFAULT.
			mustRun(t, s, "ALTER TABLE t ALTER COLUMN g SET DEFAULT 'new'")
			mustRun(t, s, "ALTER TABLE t ALTER b2 DROP DEFAULT")
			check("DESCRIBE t", "f\tint(11)\tNO\t\tNULL\t\nb2\tbigint(20)\tNO\tMUL\tNULL\t\nident\tint(11)\tNO\tPRI\tNULL\t\ng\tvarchar(5)\tYES\t\tnew\t")
			mustRun(t, s, "INSERT INTO t (f, b2, ident) VALUES (1, 1, 9)")
			check("SELECT g FROM t WHERE ident = 9", "new")
			wantErr("ALTER TABLE t ALTER COLUMN f SET DEFAULT NULL", sqlerr.ErrInvalidDefault, "Invalid default value for 'f'")

			want := showCreate()
			rows := resultText(mustRun(t, s, "SELECT * FROM t ORDER BY ident"))
			db.Close()
			if db, err = engine.Open(dir, engine.Options{Sync: engine.SyncOff}); err != nil {
				t.Fatal(err)
			}
			s = NewSession(db)
			if got := showCreate(); got != want {
				t.Fatalf("after reopen:\n%s\nwant\n%s", got, want)
			}
			check("SELECT * FROM t ORDER BY ident", rows)
			check("CHECK TABLE t", "test.t\tcheck\tstatus\tOK")
		})
	}
}
