package server

import (
	"context"
	"database/sql"
	"testing"
)

// TestConnectionCollationLiterals: string literals and parameters compare
// under the connection's collation, which go-sql-driver's handshake makes
// utf8mb4_general_ci unless its collation parameter names another, and
// which SET NAMES and SET collation_connection change; a column's own
// collation still wins over a literal's (a utf8mb4_bin column stays
// case-sensitive), over both protocols.
func TestConnectionCollationLiterals(t *testing.T) {
	s := startSQLShim(t, Options{})
	setup := sqlshimDB(t, s, "")
	if _, err := setup.Exec("CREATE TABLE cb (id INT PRIMARY KEY, s VARCHAR(10) COLLATE utf8mb4_bin, KEY (s))"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec("INSERT INTO cb VALUES (1, 'a'), (2, 'b')"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		params, coll string
		eq           int64 // 'a' = 'A'
	}{
		{"", "utf8mb4_general_ci", 1},
		{"collation=utf8mb4_bin", "utf8mb4_bin", 0},
		{"collation=utf8mb4_unicode_ci", "utf8mb4_unicode_ci", 1},
	} {
		bothProtocols(t, s, tc.params, func(t *testing.T, db *sql.DB, proto string) {
			var coll string
			var lit, param, colLit, colParam int64
			err := db.QueryRow("SELECT @@collation_connection, 'a' = 'A', ? = 'A', (SELECT COUNT(*) FROM cb WHERE s = 'A'), (SELECT COUNT(*) FROM cb WHERE s = ?)", "a", "A").
				Scan(&coll, &lit, &param, &colLit, &colParam)
			if err != nil {
				t.Fatal(err)
			}
			if coll != tc.coll || lit != tc.eq || param != tc.eq || colLit != 0 || colParam != 0 {
				t.Fatalf("%s %s: collation %s, 'a' = 'A' %d, ? = 'A' %d, bin column = 'A' %d and = ? %d; want %s %d %d 0 0",
					tc.params, proto, coll, lit, param, colLit, colParam, tc.coll, tc.eq, tc.eq)
			}
		})
	}

	// SET changes it for the connection's later statements.
	ctx := context.Background()
	c, err := sqlshimDB(t, s, "").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		set  string
		want int64 // 'ß' = 'ss'
	}{
		{"SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci", 1},
		{"SET NAMES utf8mb4 COLLATE utf8mb4_bin", 0},
		{"SET collation_connection = utf8mb4_unicode_520_ci", 1},
		{"SET @x = 1, collation_connection = utf8mb4_general_ci", 0}, // the session runs this SET
		{"SET collation_connection = utf8mb4_unicode_ci", 1},
		{"SET CHARACTER SET utf8mb4", 0}, // the database's: utf8mb4_general_ci
	} {
		if _, err := c.ExecContext(ctx, tc.set); err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		var got int64
		if err := c.QueryRowContext(ctx, "SELECT 'ß' = 'ss'").Scan(&got); err != nil || got != tc.want {
			t.Fatalf("after %s: 'ß' = 'ss' is %d, %v; want %d", tc.set, got, err, tc.want)
		}
	}
}
