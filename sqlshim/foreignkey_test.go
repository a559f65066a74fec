package sqlshim

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// hiddenIndexText lists the hidden indexes of table as name(cols).
func hiddenIndexText(t *testing.T, s *Session, table string) string {
	t.Helper()
	d, err := s.DB().Table(table)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ix := range d.Indexes {
		if ix.Hidden {
			out = append(out, ix.Name+"("+strings.Join(ix.Columns, ",")+")")
		}
	}
	return strings.Join(out, " ")
}

// TestForeignKeyPKPrefixIndexDDL: the hidden index of a key led by a
// composite primary key (engine.IndexDef.Hidden) follows the DDL that
// SQL runs on the child table, and no statement shows or uses it (fk.test
// checks what MariaDB shows; this checks that the index is there).
func TestForeignKeyPKPrefixIndexDDL(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE p (id INT PRIMARY KEY)")
	mustRun(t, s, "CREATE TABLE c (pid INT NOT NULL, n INT NOT NULL, v INT, PRIMARY KEY (pid, n), FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE)")
	steps := []struct{ sql, want string }{
		{"", "#pk1(pid)"},
		{"ALTER TABLE c ADD INDEX kv (pid, v)", "#pk1(pid)"},    // CREATE INDEX leaves it
		{"ALTER TABLE c ADD COLUMN w INT, MODIFY v BIGINT", ""}, // the next ALTER drops it
		{"ALTER TABLE c DROP INDEX kv", "#pk1(pid)"},            // DROP INDEX makes it again
		{"ALTER TABLE c CHANGE pid pid2 INT NOT NULL", "#pk1(pid2)"},
		{"ALTER TABLE c DROP FOREIGN KEY c_ibfk_1, DROP COLUMN w", ""},
		{"ALTER TABLE c ADD FOREIGN KEY (pid2) REFERENCES p (id)", "#pk1(pid2)"},
	}
	for _, st := range steps {
		if st.sql != "" {
			mustRun(t, s, st.sql)
		}
		if got := hiddenIndexText(t, s, "c"); got != st.want {
			t.Fatalf("after %q: hidden indexes %q, want %q", st.sql, got, st.want)
		}
	}
	mustRun(t, s, "INSERT INTO p VALUES (1), (2)")
	mustRun(t, s, "INSERT INTO c (pid2, n) VALUES (1, 1), (1, 2), (2, 1)")
	r := mustRun(t, s, "EXPLAIN SELECT * FROM c WHERE pid2 = 1")
	if got := fmt.Sprint(r.Rows); strings.Contains(got, "#pk") {
		t.Fatalf("EXPLAIN names the hidden index: %s", got)
	}
	if r := mustRun(t, s, "CHECK TABLE c"); !strings.Contains(fmt.Sprint(r.Rows), "OK") {
		t.Fatalf("CHECK TABLE c: %v", r.Rows)
	}
	if _, err := s.ExecOne(context.Background(), "DELETE FROM p WHERE id = 1", nil); err == nil || !strings.Contains(err.Error(), "1451") && !strings.Contains(err.Error(), "a foreign key constraint fails") {
		t.Fatalf("DELETE of a referenced parent: %v, want 1451", err)
	}
	mustRun(t, s, "DELETE FROM c WHERE pid2 = 1")
	mustRun(t, s, "DELETE FROM p WHERE id = 1")
}
