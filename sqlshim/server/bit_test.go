package server

import (
	"bytes"
	"database/sql"
	"testing"
)

// TestSQLShimBit: BIT(M) values go both ways over the text and the binary
// protocol: parameters as integers and as bytes, results as (M+7)/8
// big-endian bytes of type BIT, as MariaDB sends them, and b + 0 as an
// unsigned integer.
func TestSQLShimBit(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "b_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY, f BIT(1) NOT NULL DEFAULT b'0', w BIT(12), m BIT(64))")
		if _, err := db.Exec("INSERT INTO "+tbl+" VALUES (?, ?, ?, ?)", 1, 1, 0xABC, uint64(1<<63)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO "+tbl+" (id, w) VALUES (?, ?)", 2, []byte{0x0F, 0xFF}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO "+tbl+" (id, w) VALUES (?, ?)", 3, 0x1000); errNumber(err) != 1406 {
			t.Fatalf("13 bits into BIT(12): %v, want error 1406", err)
		}
		rows, err := db.Query("SELECT f, w, m, w + 0 FROM "+tbl+" WHERE f = ? OR id = ? ORDER BY id", 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cts, err := rows.ColumnTypes()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"BIT", "BIT", "BIT", "UNSIGNED BIGINT"} { // w + 0: 13 characters
			if got := cts[i].DatabaseTypeName(); got != want {
				t.Errorf("column %s: type %s, want %s", cts[i].Name(), got, want)
			}
		}
		type row struct {
			f, w, m []byte
			n       uint64
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.f, &r.w, &r.m, &r.n); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := []row{
			{[]byte{1}, []byte{0x0A, 0xBC}, []byte{0x80, 0, 0, 0, 0, 0, 0, 0}, 0xABC},
			{[]byte{0}, []byte{0x0F, 0xFF}, nil, 0xFFF},
		}
		if len(got) != len(want) {
			t.Fatalf("got %d rows, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if !bytes.Equal(g.f, w.f) || !bytes.Equal(g.w, w.w) || !bytes.Equal(g.m, w.m) || g.n != w.n {
				t.Errorf("row %d: got %x %x %x %d, want %x %x %x %d", i+1, g.f, g.w, g.m, g.n, w.f, w.w, w.m, w.n)
			}
		}
	})
}
