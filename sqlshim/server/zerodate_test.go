package server

import (
	"database/sql"
	"testing"
	"time"
)

// TestSQLShimZeroDates: zero dates reach go-sql-driver as MariaDB sends
// them, in the text protocol and in the binary one (where the zero date
// has length 0): as text without parseTime, as time.Time{} with it.
func TestSQLShimZeroDates(t *testing.T) {
	s := startSQLShim(t, Options{})
	for _, params := range []string{"", "parseTime=true"} {
		bothProtocols(t, s, params, func(t *testing.T, db *sql.DB, proto string) {
			tbl := "z_" + proto
			if params != "" {
				tbl += "_pt"
			}
			mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY, d DATE NOT NULL DEFAULT '0000-00-00', "+
				"dt DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00', dt6 DATETIME(6) NOT NULL DEFAULT '0000-00-00')")
			mustExecS(t, db, "INSERT INTO "+tbl+" (id) VALUES (1)")
			if _, err := db.Exec("INSERT INTO "+tbl+" VALUES (?, ?, ?, ?)", 2, "2024-00-10", "2024-05-00 10:11:12", "0000-00-00 00:00:00.5"); err != nil {
				t.Fatal(err)
			}
			if params == "" {
				want := map[int][3]string{
					1: {"0000-00-00", "0000-00-00 00:00:00", "0000-00-00 00:00:00.000000"},
					2: {"2024-00-10", "2024-05-00 10:11:12", "0000-00-00 00:00:00.500000"},
				}
				for id, w := range want {
					var d, dt, dt6 string
					if err := db.QueryRow("SELECT d, dt, dt6 FROM "+tbl+" WHERE id = ?", id).Scan(&d, &dt, &dt6); err != nil {
						t.Fatal(err)
					}
					if [3]string{d, dt, dt6} != w {
						t.Errorf("row %d = %q %q %q, want %q", id, d, dt, dt6, w)
					}
				}
				return
			}
			var d, dt time.Time
			if err := db.QueryRow("SELECT d, dt FROM "+tbl+" WHERE id = ?", 1).Scan(&d, &dt); err != nil {
				t.Fatal(err)
			}
			if !d.IsZero() || !dt.IsZero() {
				t.Errorf("zero dates scan as %v, %v, want time.Time{}", d, dt)
			}
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM "+tbl+" WHERE d = ? OR d < ?", "0000-00-00", "2024-01-01").Scan(&n); err != nil || n != 2 {
				t.Errorf("zero dates found by parameter: %d, %v (want 2)", n, err)
			}
		})
	}
}
