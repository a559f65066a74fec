package server

import (
	"bytes"
	"context"
	"database/sql"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestSQLShimPacketLimits: a statement over max_allowed_packet gets
// MariaDB's 1153 and its connection closes, the server goes on; a 1 MB
// BLOB parameter goes in whole and a NULL parameter stays NULL, both
// inline and through COM_STMT_SEND_LONG_DATA.
func TestSQLShimPacketLimits(t *testing.T) {
	s := startSQLShim(t, Options{MaxPacket: 4 << 20})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE b (id INT PRIMARY KEY, v LONGBLOB)")

	// As MariaDB does, the server closes the connection after 1153 (the
	// client may still be sending the packet): each large statement below
	// gets a pool of its own, and the server is asked on another one.
	_, err := sqlshimDB(t, s, "").Exec("SELECT '" + strings.Repeat("x", 5<<20) + "'")
	if errNumber(err) != 1153 {
		t.Fatalf("query over max_allowed_packet: %v, want 1153", err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM b").Scan(&n); err != nil || n != 0 {
		t.Fatalf("server after 1153: %d, %v", n, err)
	}

	blob := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	// maxAllowedPacket=800000 makes the driver send the value in
	// COM_STMT_SEND_LONG_DATA chunks; 0 asks the server's limit (inline).
	for i, params := range []string{"maxAllowedPacket=800000", "maxAllowedPacket=0"} {
		pdb := sqlshimDB(t, s, params)
		if _, err := pdb.Exec("INSERT INTO b VALUES (?, ?)", i, blob); err != nil {
			t.Fatalf("%s: 1 MiB parameter: %v", params, err)
		}
		var got []byte
		if err := pdb.QueryRow("SELECT v FROM b WHERE id = ?", i).Scan(&got); err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("%s: 1 MiB parameter came back as %d bytes, %v", params, len(got), err)
		}
		var isNull bool
		var v sql.NullString
		if err := pdb.QueryRow("SELECT ? IS NULL, ?", nil, nil).Scan(&isNull, &v); err != nil || !isNull || v.Valid {
			t.Fatalf("%s: NULL parameter: %v %v %v", params, isNull, v, err)
		}
	}
	// A parameter over the limit: 1153, and the server goes on.
	if _, err := sqlshimDB(t, s, "").Exec("INSERT INTO b VALUES (?, ?)", 9, bytes.Repeat(blob, 5)); errNumber(err) != 1153 {
		t.Fatalf("5 MiB parameter: %v, want 1153", err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM b").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the large parameter: %d rows, %v; want 2", n, err)
	}
}

// TestSQLShimClientGoneMidResult: a client that drops its connection while
// the server is still sending a large result set costs only that
// connection: its transaction rolls back, its session ends (SHOW
// PROCESSLIST), and other clients go on.
func TestSQLShimClientGoneMidResult(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	db.SetMaxOpenConns(4)
	mustExecS(t, db, "CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(4000))")
	for i := 0; i < 40; i++ { // 4000 rows of 4 KB: 16 MB, more than socket buffers hold
		var sb strings.Builder
		sb.WriteString("INSERT INTO big VALUES ")
		for j := 0; j < 100; j++ {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(" + strconv.Itoa(i*100+j+1) + ", REPEAT('p', 4000))")
		}
		mustExecS(t, db, sb.String())
	}

	var mu sync.Mutex
	var raw net.Conn
	mysql.RegisterDialContext("blitzcut", func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		mu.Lock()
		raw = c
		mu.Unlock()
		return c, err
	})
	cut := openDB(t, "root@blitzcut("+s.Addr().String()+")/e2e?timeout=5s")
	cut.SetMaxOpenConns(1)
	ctx := context.Background()
	tx, err := cut.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO big VALUES (0, 'uncommitted')"); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query("SELECT id, pad FROM big")
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	mu.Lock()
	raw.Close() // gone, mid-result
	mu.Unlock()
	for rows.Next() {
	}
	rows.Close()
	tx.Rollback()

	deadline := time.Now().Add(10 * time.Second)
	for {
		n := sessions(t, db)
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions 10s after the client left; want only this one", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM big WHERE id = 0").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the dropped client's insert: %d rows, %v; want rolled back", n, err)
	}
	mustExecS(t, db, "INSERT INTO big VALUES (0, 'after')") // its row lock is gone too
}

// sessions counts the sessions SHOW PROCESSLIST lists.
func sessions(t *testing.T, db *sql.DB) int {
	t.Helper()
	rows, err := db.Query("SHOW PROCESSLIST")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
