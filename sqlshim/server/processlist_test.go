package server

import (
	"testing"
)

// TestSQLShimProcessList: information_schema.PROCESSLIST and a prepared
// SHOW PROCESSLIST list the server's connections, each with its id, and
// the asking connection's row shows the statement it runs.
func TestSQLShimProcessList(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	db.SetMaxOpenConns(4)
	a, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var idA, idB int64
	if err := a.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&idA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&idB); err != nil {
		t.Fatal(err)
	}
	const q = "SELECT ID, COMMAND, INFO FROM information_schema.PROCESSLIST ORDER BY ID"
	rows, err := a.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]string{}
	for rows.Next() {
		var id int64
		var command string
		var info *string
		if err := rows.Scan(&id, &command, &info); err != nil {
			t.Fatal(err)
		}
		seen[id] = command
		if id == idA && (info == nil || *info != q) {
			t.Errorf("own row: info %v, want %q", info, q)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := seen[idA]; !ok {
		t.Errorf("no row for the asking connection %d: %v", idA, seen)
	}
	if seen[idB] != "Sleep" {
		t.Errorf("connection %d: command %q, want Sleep (all: %v)", idB, seen[idB], seen)
	}

	// SHOW PROCESSLIST through the binary protocol (was 1235).
	st, err := b.PrepareContext(t.Context(), "SHOW FULL PROCESSLIST")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	prow, err := st.QueryContext(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := prow.Columns()
	n := 0
	for prow.Next() {
		n++
	}
	if err := prow.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cols) != 8 || n < 2 {
		t.Errorf("prepared SHOW PROCESSLIST: %d columns %v, %d rows; want 8 columns and a row per connection", len(cols), cols, n)
	}
}
