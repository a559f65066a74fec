package sqlshim_test

import (
	"testing"
	"time"
)

// TestDriverZeroDates: the database/sql driver gives a zero date as its
// text (time.Time cannot hold '2024-00-10'), real dates as time.Time, and
// takes zero dates as parameters.
func TestDriverZeroDates(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE z (id INT PRIMARY KEY, d DATE NOT NULL DEFAULT '0000-00-00', dt DATETIME)")
	mustExec(t, db, "INSERT INTO z (id, dt) VALUES (1, '0000-00-00 00:00:00')")
	mustExec(t, db, "INSERT INTO z VALUES (?, ?, ?)", 2, "2024-00-10", "2024-05-00 10:11:12")
	mustExec(t, db, "INSERT INTO z VALUES (?, ?, ?)", 3, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	rows, err := db.Query("SELECT d, dt FROM z ORDER BY d")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []any
	for rows.Next() {
		var d, dt any
		if err := rows.Scan(&d, &dt); err != nil {
			t.Fatal(err)
		}
		got = append(got, d, dt)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []any{"0000-00-00", "0000-00-00 00:00:00", "2024-00-10", "2024-05-00 10:11:12",
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), nil}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if w, ok := want[i].(time.Time); ok {
			if g, ok := got[i].(time.Time); !ok || !g.Equal(w) {
				t.Errorf("value %d = %#v, want %v", i, got[i], w)
			}
		} else if got[i] != want[i] {
			t.Errorf("value %d = %#v, want %#v", i, got[i], want[i])
		}
	}
}
