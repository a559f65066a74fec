package sqlshim_test

import (
	"testing"
)

// TestCTEPrepared: a WITH statement prepared once runs again with other
// arguments (the rewrite is cached with the statement, and the ?
// placeholders keep their order), including a CTE used twice with a
// placeholder inside it.
func TestCTEPrepared(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	for i := 1; i <= 10; i++ {
		mustExec(t, db, "INSERT INTO t VALUES (?, ?)", i, i*10)
	}
	stmt, err := db.Prepare("WITH big AS (SELECT id, v FROM t WHERE v >= ?) SELECT COUNT(*), COALESCE(SUM(a.v), 0) FROM big a JOIN big b ON a.id = b.id WHERE a.id <= ?")
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for _, c := range []struct{ min, maxID, n, sum int }{
		{50, 10, 6, 450},
		{50, 7, 3, 180},
		{200, 10, 0, 0},
		{0, 2, 2, 30},
	} {
		var n, sum int
		if err := stmt.QueryRow(c.min, c.maxID).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if n != c.n || sum != c.sum {
			t.Errorf("v >= %d, id <= %d: got %d rows summing %d, want %d and %d", c.min, c.maxID, n, sum, c.n, c.sum)
		}
	}
	// The same text again through the statement cache.
	for i := 0; i < 3; i++ {
		var n int
		if err := db.QueryRow("WITH x AS (SELECT id FROM t WHERE id > ?) SELECT COUNT(*) FROM x", i).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 10-i {
			t.Errorf("id > %d: %d rows, want %d", i, n, 10-i)
		}
	}
}
