package server

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
)

// TestTimeZonePerConnection: each connection has its own @@time_zone, and
// one row's TIMESTAMP reads as its instant in the zone of the connection
// that reads it (DATETIME as written), over the text and binary
// protocols; the driver's time_zone DSN parameter sets it at connect.
func TestTimeZonePerConnection(t *testing.T) {
	s := startSQLShim(t, Options{})
	ctx := context.Background()
	db := sqlshimDB(t, s, "")
	conn := func(tz string) *sql.Conn {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if tz != "" {
			if _, err := c.ExecContext(ctx, "SET time_zone = '"+tz+"'"); err != nil {
				t.Fatalf("SET time_zone = '%s': %v", tz, err)
			}
		}
		return c
	}
	east, west, utc := conn("+02:00"), conn("-05:00"), conn("")
	if _, err := east.ExecContext(ctx, "CREATE TABLE tz (id INT PRIMARY KEY, ts TIMESTAMP NULL, dt DATETIME NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := east.ExecContext(ctx, "INSERT INTO tz VALUES (1, '2024-03-05 12:00:00', '2024-03-05 12:00:00')"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		conn   *sql.Conn
		zone   string
		ts, dt string
	}{
		{"east", east, "+02:00", "2024-03-05 12:00:00", "2024-03-05 12:00:00"},
		{"west", west, "-05:00", "2024-03-05 05:00:00", "2024-03-05 12:00:00"},
		{"utc", utc, "SYSTEM", "2024-03-05 10:00:00", "2024-03-05 12:00:00"},
	} {
		var zone, ts, dt string
		var diff int
		if err := c.conn.QueryRowContext(ctx, "SELECT @@time_zone, TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), NOW())").Scan(&zone, &diff); err != nil {
			t.Fatal(err)
		}
		if err := c.conn.QueryRowContext(ctx, "SELECT ts, dt FROM tz WHERE id = 1").Scan(&ts, &dt); err != nil {
			t.Fatal(err)
		}
		if zone != c.zone || ts != c.ts || dt != c.dt {
			t.Errorf("%s: @@time_zone %q, ts %q, dt %q; want %q, %q, %q", c.name, zone, ts, dt, c.zone, c.ts, c.dt)
		}
		// The binary protocol, and a TIMESTAMP compared in the zone.
		var id int
		if err := c.conn.QueryRowContext(ctx, "SELECT id FROM tz WHERE ts = ?", c.ts).Scan(&id); err != nil || id != 1 {
			t.Errorf("%s: WHERE ts = %q: id %d, %v", c.name, c.ts, id, err)
		}
	}
	var diff int
	if err := west.QueryRowContext(ctx, "SELECT TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), NOW())").Scan(&diff); err != nil || diff != -5 {
		t.Errorf("west: NOW() - UTC_TIMESTAMP() = %d h, %v; want -5", diff, err)
	}
	if _, err := west.ExecContext(ctx, "SET time_zone = 'bogus'"); errNumber(err) != 1298 {
		t.Errorf("SET time_zone = 'bogus': %v, want 1298", err)
	}
	// go-sql-driver sends SET time_zone='...' for the DSN parameter.
	dsnDB := sqlshimDB(t, s, "time_zone="+url.QueryEscape("'+09:30'"))
	var ts string
	if err := dsnDB.QueryRowContext(ctx, "SELECT ts FROM tz WHERE id = 1").Scan(&ts); err != nil || ts != "2024-03-05 19:30:00" {
		t.Errorf("time_zone='+09:30' from the DSN: ts %q, %v", ts, err)
	}
}
