package sqlshim

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStatsFollowTable: DROP TABLE deletes T.stats; RENAME TABLE and
// ALTER TABLE ... RENAME move it; a table created again under an old name
// finds no statistics.
func TestStatsFollowTable(t *testing.T) {
	s := newTestSession(t)
	dir := s.db.Dir()
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name+statsSuffix))
		return err == nil
	}
	mustExec(t, s, "CREATE TABLE a (id INT PRIMARY KEY, v INT)")
	mustExec(t, s, "INSERT INTO a VALUES (1, 1), (2, 2), (3, 2)")
	mustExec(t, s, "ANALYZE TABLE a")
	if !exists("a") {
		t.Fatal("ANALYZE TABLE wrote no a.stats")
	}
	mustExec(t, s, "RENAME TABLE a TO b")
	if exists("a") || !exists("b") {
		t.Errorf("RENAME TABLE: a.stats %v, b.stats %v", exists("a"), exists("b"))
	}
	mustExec(t, s, "ALTER TABLE b RENAME TO c")
	if exists("b") || !exists("c") {
		t.Errorf("ALTER TABLE RENAME: b.stats %v, c.stats %v", exists("b"), exists("c"))
	}
	mustExec(t, s, "CREATE TABLE b (id INT PRIMARY KEY, v INT)")
	x := &execCtx{s: s}
	if x.loadStats("b") != nil {
		t.Error("a new table b found statistics")
	}
	if x.loadStats("c") == nil {
		t.Error("the renamed table c lost its statistics")
	}
	// A stale file under the new name (left by an older version) goes.
	os.WriteFile(filepath.Join(dir, "d"+statsSuffix), []byte("{}"), 0o644)
	mustExec(t, s, "RENAME TABLE b TO d")
	if exists("d") {
		t.Error("RENAME TABLE kept a stale d.stats")
	}
	mustExec(t, s, "DROP TABLE c, d")
	if exists("c") {
		t.Error("DROP TABLE left c.stats")
	}
}
