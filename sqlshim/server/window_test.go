package server

import (
	"database/sql"
	"fmt"
	"testing"
)

// TestSQLShimWindowTypes checks the result metadata of window functions
// as a driver sees it, in both protocols, against what MariaDB 10.11
// sends (mariadb --column-type-info): BIGINT NOT NULL for the numbering
// functions and COUNT, DOUBLE with 10 decimals for PERCENT_RANK and
// CUME_DIST, the argument column's type for
// LAG and FIRST_VALUE, DECIMAL for SUM and AVG of integers.
func TestSQLShimWindowTypes(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "parseTime=true", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "w_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (i INT NOT NULL, s VARCHAR(5), d DATE)")
		mustExecS(t, db, "INSERT INTO "+tbl+" VALUES (1, 'a', '2024-01-02'), (2, 'b', NULL), (3, NULL, '2024-03-04')")
		rows, err := db.Query("SELECT ROW_NUMBER() OVER w, RANK() OVER w, NTILE(2) OVER w, COUNT(*) OVER w, "+
			"PERCENT_RANK() OVER w, CUME_DIST() OVER w, LAG(s) OVER w, FIRST_VALUE(d) OVER w, SUM(i) OVER w, AVG(i) OVER w "+
			"FROM "+tbl+" WHERE i > ? WINDOW w AS (ORDER BY i) ORDER BY i", 0)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		types, err := rows.ColumnTypes()
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			name     string
			nullable bool
			scale    int64
		}{
			{"BIGINT", false, 0}, {"BIGINT", false, 0}, {"BIGINT", false, 0}, {"BIGINT", false, 0},
			{"DOUBLE", true, 10}, {"DOUBLE", true, 10}, {"VARCHAR", true, 0}, {"DATE", true, 0},
			{"DECIMAL", true, 0}, {"DECIMAL", true, 4},
		}
		for i, ct := range types {
			nullable, _ := ct.Nullable()
			_, scale, _ := ct.DecimalSize()
			if ct.DatabaseTypeName() != want[i].name || nullable != want[i].nullable || (want[i].name != "VARCHAR" && want[i].name != "DATE" && scale != want[i].scale) {
				t.Errorf("column %d (%s): %s nullable=%v scale=%d, want %+v", i+1, ct.Name(), ct.DatabaseTypeName(), nullable, scale, want[i])
			}
		}
		var got []string
		for rows.Next() {
			v := make([]any, len(types))
			p := make([]any, len(types))
			for i := range v {
				p[i] = &v[i]
			}
			if err := rows.Scan(p...); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%v|%v|%v|%v|%v|%v|%s|%v|%s|%s", v...))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// (The text protocol's "0.5000000000" is parsed by the driver;
		// the mariadb client shows it: testdata/serve/window.sql.)
		wantRows := []string{
			"1|1|1|1|0|0.3333333333|%!s(<nil>)|2024-01-02 00:00:00 +0000 UTC|1|1.0000",
			"2|2|1|2|0.5|0.6666666667|a|2024-01-02 00:00:00 +0000 UTC|3|1.5000",
			"3|3|2|3|1|1|b|2024-01-02 00:00:00 +0000 UTC|6|2.0000",
		}
		for i := range wantRows {
			if i >= len(got) || got[i] != wantRows[i] {
				t.Fatalf("rows:\n%q\nwant\n%q", got, wantRows)
			}
		}
	})
}
