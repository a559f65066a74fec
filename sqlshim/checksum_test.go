package sqlshim

import (
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/engine"
)

// TestChecksumTable: CHECKSUM TABLE's value is the same after a reopen
// and after OPTIMIZE (rows moved), changes when one value of one row
// changes (and comes back when it is undone), is the same for a
// temporary table holding the same rows, and is NULL for QUICK.
func TestChecksumTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test")
	open := func() (*engine.DB, *Session) {
		db, err := engine.Open(dir, engine.Options{Sync: engine.SyncOff})
		if err != nil {
			t.Fatal(err)
		}
		return db, NewSession(db)
	}
	sum := func(s *Session, table string) any {
		t.Helper()
		r := mustRun(t, s, "CHECKSUM TABLE "+table)
		if len(r.Rows) != 1 || len(r.Columns) != 2 || r.Columns[0].Name != "Table" || r.Columns[1].Name != "Checksum" {
			t.Fatalf("CHECKSUM TABLE %s: %v %v", table, r.Columns, r.Rows)
		}
		return r.Rows[0][1]
	}
	db, s := open()
	mustRun(t, s, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), d DATETIME, x DOUBLE, b BLOB, e ENUM('a','b'))")
	if v := sum(s, "t"); v != int64(0) {
		t.Fatalf("empty table: %v, want 0", v)
	}
	for i := range 200 {
		mustRun(t, s, "INSERT INTO t VALUES (?, ?, '2024-05-06 07:08:09', ?, x'00ff', 'b')", int64(i), "row", float64(i)/3)
	}
	mustRun(t, s, "INSERT INTO t VALUES (1000, NULL, NULL, NULL, NULL, NULL)")
	first := sum(s, "t")
	if first == nil || first == int64(0) {
		t.Fatalf("checksum of 201 rows: %v", first)
	}
	if v := sum(s, "t QUICK"); v != nil {
		t.Errorf("QUICK: %v, want NULL (no live checksum)", v)
	}
	mustRun(t, s, "CREATE TEMPORARY TABLE tt LIKE t")
	mustRun(t, s, "INSERT INTO tt SELECT * FROM t")
	if v := sum(s, "tt"); v != first {
		t.Errorf("temporary copy: %v, want %v", v, first)
	}
	s.Close()
	db.Close()

	db, s = open()
	defer db.Close()
	defer s.Close()
	if v := sum(s, "t"); v != first {
		t.Fatalf("after reopen: %v, want %v", v, first)
	}
	mustRun(t, s, "UPDATE t SET name = 'rox' WHERE id = 17")
	changed := sum(s, "t")
	if changed == first {
		t.Errorf("a changed value left the checksum at %v", first)
	}
	mustRun(t, s, "UPDATE t SET name = 'row' WHERE id = 17")
	if v := sum(s, "t"); v != first {
		t.Errorf("change undone: %v, want %v", v, first)
	}
	mustRun(t, s, "DELETE FROM t WHERE id < 100")
	mustRun(t, s, "OPTIMIZE TABLE t")
	after := sum(s, "t")
	for i := range 100 {
		mustRun(t, s, "INSERT INTO t VALUES (?, ?, '2024-05-06 07:08:09', ?, x'00ff', 'b')", int64(i), "row", float64(i)/3)
	}
	if after == first || sum(s, "t") != first {
		t.Errorf("after delete, OPTIMIZE and re-insert: %v then %v, want a change then %v", after, sum(s, "t"), first)
	}
}
