package sqlshim_test

import (
	"database/sql"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestDriverSubqueryUnion runs subqueries and a UNION with placeholders
// through database/sql, as an application would.
func TestDriverSubqueryUnion(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, a INT, p DECIMAL(6,2))")
	mustExec(t, db, "CREATE TABLE u (id INT PRIMARY KEY, tid INT)")
	mustExec(t, db, "INSERT INTO t VALUES (1, 10, 1.50), (2, 20, 2.25), (3, NULL, NULL)")
	mustExec(t, db, "INSERT INTO u VALUES (1, 1), (2, 1), (3, 3)")

	rows, err := db.Query("SELECT id, (SELECT COUNT(*) FROM u WHERE u.tid = t.id) FROM t WHERE id IN (SELECT tid FROM u WHERE id >= ?) "+
		"UNION ALL SELECT 100 + ?, 0 ORDER BY 1", 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][2]int64
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]int64{id, n})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := [][2]int64{{1, 2}, {3, 1}, {105, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}

	// A scalar subquery keeps its column's type (DECIMAL(6,2)).
	var p sql.NullString
	if err := db.QueryRow("SELECT (SELECT p FROM t WHERE id = ?)", 1).Scan(&p); err != nil || p.String != "1.50" {
		t.Fatalf("scalar subquery: %v %v", p, err)
	}
	// More than one row is MySQL's error 1242.
	if err := db.QueryRow("SELECT (SELECT a FROM t)").Scan(&p); sqlerr.Code(err) != sqlerr.ErrSubqueryNo1Row {
		t.Fatalf("scalar subquery of 3 rows: %v", err)
	}
}
