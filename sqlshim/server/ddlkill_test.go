package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/sqlshim"
)

// errInterruptedRows stands for the result set of an interrupted REPAIR
// or OPTIMIZE TABLE (killQuery).
var errInterruptedRows = errors.New("interrupted, as the result set says")

// killRows is the size of the table the DDL-interruption test cuts short
// a statement on: with its long strings, enough that building an index of
// them, or copying them, takes a second or more.
const killRows = 400_000

// makeBigTable creates, in a new database at dir, table big with killRows
// rows (id, v, s), written through the engine in large transactions (far
// quicker than INSERTs over the wire).
func makeBigTable(t *testing.T, dir string) {
	t.Helper()
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sqlshim.NewSession(db)
	defer s.Close()
	if _, err := s.Exec(t.Context(), "CREATE TABLE big (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(300) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("long enough to make the index build take time. ", 5)
	const batch = 100_000
	for lo := 0; lo < killRows; lo += batch {
		tx, err := db.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for i := lo; i < min(lo+batch, killRows); i++ {
			if _, _, err := tx.Insert("big", engine.Row{int64(i), int64(i * 7919 % killRows), fmt.Sprintf("%09d %s", killRows-i, pad)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// checkBigTable checks what an interrupted statement must leave of big:
// every row, the indexes it had (and no other), CHECK TABLE ok, and no
// temporary file of an index build in the database directory.
func checkBigTable(t *testing.T, db *sql.DB, dir string, indexes string) {
	t.Helper()
	var n, sum int64
	if err := db.QueryRow("SELECT COUNT(*), SUM(v) FROM big").Scan(&n, &sum); err != nil || n != killRows || sum != int64(killRows)*(killRows-1)/2 {
		t.Errorf("big after the interruption: %d rows, sum %d (%v); want %d rows, sum %d", n, sum, err, killRows, int64(killRows)*(killRows-1)/2)
	}
	var got []string
	rows, err := db.Query("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_NAME = 'big' ORDER BY INDEX_NAME")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	rows.Close()
	if strings.Join(got, ",") != indexes {
		t.Errorf("indexes of big: %q, want %q", strings.Join(got, ","), indexes)
	}
	var tbl, op, typ, text string
	if err := db.QueryRow("CHECK TABLE big").Scan(&tbl, &op, &typ, &text); err != nil || text != "OK" {
		t.Errorf("CHECK TABLE big: %s %s (%v), want OK", typ, text, err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if _, tmp := index.BuildTemp(e.Name()); tmp || strings.Contains(e.Name(), ".rebuild") {
			t.Errorf("left in the database directory: %s", e.Name())
		}
	}
}

// killQuery runs stmt on a connection of db, KILLs it with KILL QUERY from
// another once it is running, and checks that it fails with error 1317
// within two seconds — or, for REPAIR and OPTIMIZE TABLE, which report in
// their result set as MariaDB's do ("Repair killed by user" there), with
// the rows "error: Query execution was interrupted" and "status:
// Operation failed".
func killQuery(t *testing.T, db *sql.DB, stmt string) {
	t.Helper()
	victim, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	var id int64
	if err := victim.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		rows, err := victim.QueryContext(context.Background(), stmt)
		if err != nil {
			done <- err
			return
		}
		defer rows.Close()
		var msgs []string
		for rows.Next() {
			var tbl, op, typ, text string
			if err := rows.Scan(&tbl, &op, &typ, &text); err != nil {
				done <- err
				return
			}
			msgs = append(msgs, typ+": "+text)
		}
		if m := strings.Join(msgs, "; "); m != "error: Query execution was interrupted; status: Operation failed" {
			done <- fmt.Errorf("result %q", m)
			return
		}
		done <- errInterruptedRows
	}()
	waitQuery(t, db, id, strings.Fields(stmt)[0]) // recursive_cte_test.go
	time.Sleep(20 * time.Millisecond)             // into the work
	start := time.Now()
	mustExecS(t, db, "KILL QUERY "+strconv.FormatInt(id, 10))
	select {
	case err := <-done:
		d := time.Since(start)
		t.Logf("%s: stopped %v after KILL QUERY: %v", stmt, d, err)
		if errNumber(err) != 1317 && err != errInterruptedRows {
			t.Errorf("%s after KILL QUERY: %v, want error 1317", stmt, err)
		}
		if d > 2*time.Second {
			t.Errorf("%s took %v to stop after KILL QUERY", stmt, d)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: not stopped 60s after KILL QUERY", stmt)
	}
	// The connection goes on.
	if _, err := victim.ExecContext(t.Context(), "INSERT INTO big VALUES (-1, 0, 'x')"); err != nil {
		t.Errorf("INSERT on the interrupted connection: %v", err)
	}
	mustExecS(t, db, "DELETE FROM big WHERE id = -1")
}

// TestInterruptDDL: on a table of 400,000 rows of 260 bytes, KILL QUERY stops a CREATE
// INDEX, an ALTER TABLE that builds an index or copies the rows, OPTIMIZE
// and REPAIR TABLE ... QUICK within two seconds (milliseconds here), with
// error 1317, and leaves the table as it was (rows, indexes, CHECK TABLE)
// with no temporary file behind. Then a server asked to shut down (blitz
// serve on SIGTERM) while a CREATE INDEX runs waits its ShutdownTimeout,
// cancels the build, which stops promptly, and closes the database
// cleanly: it opens again with the table as it was.
func TestInterruptDDL(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds a table of 400,000 rows, and times statements on it (engine's TestDDLInterrupted runs under -race)")
	}
	dir := filepath.Join(t.TempDir(), "e2e")
	start := time.Now()
	makeBigTable(t, dir)
	t.Logf("%d rows written in %v", killRows, time.Since(start))
	edb, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const grace = 200 * time.Millisecond
	s := startServer(t, NewSQLShimBackend(edb), Options{Database: "e2e", ShutdownTimeout: grace})
	db := sqlshimDB(t, s, "")
	for _, stmt := range []string{
		"CREATE INDEX s ON big (s)",
		"ALTER TABLE big ADD INDEX vs (v, s)",
		"ALTER TABLE big MODIFY v BIGINT NOT NULL",
		"OPTIMIZE TABLE big",
	} {
		killQuery(t, db, stmt)
		checkBigTable(t, db, dir, "PRIMARY")
	}
	start = time.Now()
	mustExecS(t, db, "CREATE INDEX v ON big (v)")
	t.Logf("CREATE INDEX v, uninterrupted: %v", time.Since(start))
	killQuery(t, db, "REPAIR TABLE big QUICK")
	checkBigTable(t, db, dir, "PRIMARY,v")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM big FORCE INDEX (v) WHERE v BETWEEN 10 AND 19").Scan(&n); err != nil || n != 10 {
		t.Errorf("rows through index v after an interrupted REPAIR: %d (%v), want 10", n, err)
	}

	victim, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := victim.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := victim.ExecContext(context.Background(), "CREATE INDEX s ON big (s)")
		done <- err
	}()
	waitQuery(t, db, id, "CREATE INDEX")
	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	d := time.Since(start)
	t.Logf("Shutdown during CREATE INDEX took %v (ShutdownTimeout %v)", d, grace)
	if d > grace+2*time.Second {
		t.Errorf("Shutdown during CREATE INDEX took %v, want at most %v", d, grace+2*time.Second)
	}
	if err := <-done; err == nil {
		t.Errorf("CREATE INDEX cut short by the shutdown succeeded")
	}
	// Closed cleanly: opens with nothing to recover, big as it was.
	edb, err = engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := edb.Stats(); st.IndexRebuilds != 0 {
		t.Errorf("reopening after the shutdown rebuilt %d tables' indexes: not closed cleanly", st.IndexRebuilds)
	}
	s2 := startServer(t, NewSQLShimBackend(edb), Options{Database: "e2e"})
	checkBigTable(t, sqlshimDB(t, s2, ""), dir, "PRIMARY,v")
}
