package sqlshim

import (
	"strings"
	"testing"
)

// Every view SHOW TABLES FROM information_schema lists can be read, and
// SHOW TABLE STATUS FROM information_schema lists the same names, not the
// open database's tables.
func TestShowTablesFromInfoSchema(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE mine (id INT PRIMARY KEY)")
	listed := mustRun(t, s, "SHOW FULL TABLES FROM information_schema")
	if len(listed.Rows) < len(infoSchemaViews) {
		t.Fatalf("SHOW TABLES FROM information_schema: %d rows, want at least %d", len(listed.Rows), len(infoSchemaViews))
	}
	for _, row := range listed.Rows {
		name := row[0].(string)
		if name != strings.ToUpper(name) || row[1] != "SYSTEM VIEW" {
			t.Errorf("listed %v", row)
		}
		if _, err := s.ExecOne(t.Context(), "SELECT COUNT(*) FROM information_schema."+name, nil); err != nil {
			t.Errorf("listed %s, which cannot be read: %v", name, err)
		}
	}
	status := mustRun(t, s, "SHOW TABLE STATUS FROM information_schema")
	if len(status.Rows) != len(listed.Rows) {
		t.Fatalf("SHOW TABLE STATUS FROM information_schema: %d rows, SHOW TABLES %d", len(status.Rows), len(listed.Rows))
	}
	for i, row := range status.Rows {
		if row[0] != listed.Rows[i][0] || row[1] != "MEMORY" {
			t.Errorf("status row %d: %v", i, row[:4])
		}
	}
	if r := mustRun(t, s, "SHOW TABLE STATUS FROM information_schema LIKE 'mine'"); len(r.Rows) != 0 {
		t.Errorf("SHOW TABLE STATUS FROM information_schema LIKE 'mine' lists %v", r.Rows)
	}
	if r := mustRun(t, s, "SHOW TABLES"); len(r.Rows) != 1 || r.Rows[0][0] != "mine" {
		t.Errorf("SHOW TABLES: %v", r.Rows)
	}
}
