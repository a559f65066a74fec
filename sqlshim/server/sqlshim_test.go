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
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/go-sql-driver/mysql"
)

// startSQLShim starts a server over sqlshim on a fresh database named "e2e".
func startSQLShim(t testing.TB, opts Options) *Server {
	t.Helper()
	db, err := engine.Open(filepath.Join(t.TempDir(), "e2e"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Database = "e2e"
	return startServer(t, NewSQLShimBackend(db), opts)
}

func sqlshimDB(t testing.TB, s *Server, params string) *sql.DB {
	return openDB(t, strings.Replace(dsn(s, "", params), "/testdb?", "/e2e?", 1))
}

// bothProtocols runs f as a subtest over the text protocol (the driver
// interpolates parameters) and over the binary one (prepared statements),
// each on its own connection pool with the driver parameters params.
func bothProtocols(t *testing.T, s *Server, params string, f func(t *testing.T, db *sql.DB, proto string)) {
	for _, proto := range []string{"text", "binary"} {
		t.Run(proto, func(t *testing.T) {
			p := params
			if proto == "text" {
				p = strings.TrimPrefix(p+"&interpolateParams=true", "&")
			}
			f(t, sqlshimDB(t, s, p), proto)
		})
	}
}

// TestSQLShimStatementsAndTypes drives sqlshim through the server with
// go-sql-driver: DDL, DML in both protocols, the types drivers scan into,
// and the error numbers.
func TestSQLShimStatementsAndTypes(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "parseTime=true", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "t_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, "+
			"price DECIMAL(8,2), n BIGINT UNSIGNED, r DOUBLE, d DATE, ts DATETIME, b VARBINARY(8)) ENGINE = BLITZDB, CRASH_SAFE")
		res, err := db.Exec("INSERT INTO "+tbl+" (name, price, n, r, d, ts, b) VALUES (?, ?, ?, ?, ?, ?, ?)",
			"apple", "1.25", uint64(1<<63), 0.5, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 1, 2, 3, 0, time.UTC), []byte{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := res.LastInsertId(); id != 1 {
			t.Fatalf("LastInsertId = %d", id)
		}
		var (
			id    int64
			name  string
			price string
			n     uint64
			r     float64
			d, ts time.Time
			b     []byte
		)
		err = db.QueryRow("SELECT id, name, price, n, r, d, ts, b FROM "+tbl+" WHERE id = ?", 1).Scan(&id, &name, &price, &n, &r, &d, &ts, &b)
		if err != nil {
			t.Fatal(err)
		}
		if id != 1 || name != "apple" || price != "1.25" || n != 1<<63 || r != 0.5 ||
			!d.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) || !ts.Equal(time.Date(2024, 2, 29, 1, 2, 3, 0, time.UTC)) || string(b) != "\x01\x02" {
			t.Fatalf("got %v %q %q %v %v %v %v %v", id, name, price, n, r, d, ts, b)
		}
		res, err = db.Exec("UPDATE "+tbl+" SET price = price + 1 WHERE id = ?", 1)
		if err != nil {
			t.Fatal(err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			t.Fatalf("UPDATE affected %d", k)
		}
		if _, err := db.Exec("INSERT INTO "+tbl+" (id, name) VALUES (?, ?)", 1, "dup"); errNumber(err) != 1062 {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := db.Exec("INSERT INTO "+tbl+" (name) VALUES (?)", "this name is far too long for the column"); errNumber(err) != 1406 {
			t.Fatalf("too long: %v", err)
		}
		if _, err := db.Exec("SELECT * FROM no_such_table WHERE id = ?", 1); errNumber(err) != 1146 {
			t.Fatalf("no table: %v", err)
		}
	})
}

// TestSQLShimTimeYearEnumSet: TIME, YEAR, ENUM and SET values go both
// ways over the text and the binary protocol (the Go driver reads a YEAR
// as an integer: 0000 scans as "0").
func TestSQLShimTimeYearEnumSet(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "n_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY, t TIME(2), y YEAR, e ENUM('a', 'b'), s SET('x', 'y'))")
		mustExecS(t, db, "INSERT INTO "+tbl+" VALUES (1, '-01:02:03.5', 0, 'b', 'y,x'), (2, '838:59:59', 2024, 'a', '')")
		if _, err := db.Exec("INSERT INTO "+tbl+" VALUES (?, ?, ?, ?, ?)", 3, "12:00:00", 69, "b", "y"); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT id, t, y, e, s FROM "+tbl+" WHERE t > ? ORDER BY t", "-02:00:00")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var id int
			var tm, y, e, st string
			if err := rows.Scan(&id, &tm, &y, &e, &st); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d %s %s %s %q", id, tm, y, e, st))
		}
		want := []string{`1 -01:02:03.50 0 b "x,y"`, `3 12:00:00.00 2069 b "y"`, `2 838:59:59.00 2024 a ""`}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// TestSQLShimNewestVersionWins: many connections write versions of one row
// with the documented upsert; the newest version is what remains.
func TestSQLShimNewestVersionWins(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	db.SetMaxOpenConns(8)
	mustExecS(t, db, "CREATE TABLE latest (k INT PRIMARY KEY, v VARCHAR(20), ver INT) ENGINE = BLITZDB, CRASH_SAFE")
	const upsert = "INSERT INTO latest VALUES (1, ?, ?) ON DUPLICATE KEY UPDATE v = IF(VALUES(ver) > ver, VALUES(v), v), ver = GREATEST(ver, VALUES(ver))"
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				ver := i*8 + w
				if _, err := db.Exec(upsert, "v"+strconv.Itoa(ver), ver); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var v string
	var ver int
	if err := db.QueryRow("SELECT v, ver FROM latest WHERE k = 1").Scan(&v, &ver); err != nil || ver != 199 || v != "v199" {
		t.Fatalf("got %q %d, %v; want v199 199", v, ver, err)
	}
}

func mustExecS(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestSQLShimStatementClasses runs one statement of each class through the
// server over sqlshim: DDL, DML with their counts, SHOW, EXPLAIN, SET,
// admin statements and SHOW WARNINGS.
func TestSQLShimStatementClasses(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	db.SetMaxOpenConns(1) // SHOW WARNINGS is per session
	mustExecS(t, db, "CREATE TABLE c (id INT PRIMARY KEY, name VARCHAR(10), qty INT) ENGINE = BLITZDB")
	mustExecS(t, db, "CREATE INDEX c_name ON c (name)")
	mustExecS(t, db, "ALTER TABLE c ADD COLUMN note VARCHAR(20)")
	res, err := db.Exec("INSERT INTO c (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 3 {
		t.Fatalf("INSERT affected %d, want 3", n)
	}
	// An UPDATE that changes nothing on a matched row: affected 0.
	if res, err = db.Exec("UPDATE c SET qty = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 0 {
		t.Fatalf("no-op UPDATE affected %d, want 0", n)
	}
	if res, err = db.Exec("DELETE FROM c WHERE qty >= 2"); err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Fatalf("DELETE affected %d, want 2", n)
	}
	var tables []string
	rows, err := db.Query("SHOW TABLES")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(tables, ",") != "c" {
		t.Fatalf("SHOW TABLES = %v", tables)
	}
	var tbl, create string
	if err := db.QueryRow("SHOW CREATE TABLE c").Scan(&tbl, &create); err != nil || !strings.Contains(create, "`note`") {
		t.Fatalf("SHOW CREATE TABLE: %q, %v", create, err)
	}
	// SELECT 1/0 is NULL with a warning (1365) in a query.
	var q sql.NullString
	if err := db.QueryRow("SELECT 1/0").Scan(&q); err != nil || q.Valid {
		t.Fatalf("SELECT 1/0 = %v, %v", q, err)
	}
	var level, msg string
	var code int
	if err := db.QueryRow("SHOW WARNINGS").Scan(&level, &code, &msg); err != nil || code != 1365 {
		t.Fatalf("SHOW WARNINGS: %s %d %q, %v", level, code, msg, err)
	}
	var op, msgType, msgText string
	if err := db.QueryRow("CHECK TABLE c").Scan(&tbl, &op, &msgType, &msgText); err != nil || msgText != "OK" {
		t.Fatalf("CHECK TABLE: %q %q %q %q, %v", tbl, op, msgType, msgText, err)
	}
	status := map[string]string{}
	rows, err = db.Query("SHOW STATUS LIKE 'Blitz\\_tables%'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		status[k] = v
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if status["Blitz_tables"] != "1" || status["Blitz_tables_crash_safe"] != "0" || status["Blitz_tables_crashed"] != "0" {
		t.Fatalf("SHOW STATUS: %v", status)
	}
	// SHOW STATUS WHERE (evaluated by the SQL layer) sees the server's
	// counters and the engine's, not only the SQL layer's.
	var k, v string
	if err := db.QueryRow("SHOW GLOBAL STATUS WHERE Variable_name = 'Threads_connected' AND Value > 0").Scan(&k, &v); err != nil || v == "0" {
		t.Fatalf("SHOW STATUS WHERE on a server counter: %q %q, %v", k, v, err)
	}
	if err := db.QueryRow("SHOW STATUS WHERE Variable_name IN ('Blitz_tables', 'nosuch')").Scan(&k, &v); err != nil || v != "1" {
		t.Fatalf("SHOW STATUS WHERE on an engine counter: %q %q, %v", k, v, err)
	}
	mustExecS(t, db, "SET @@session.sql_mode = 'STRICT_TRANS_TABLES'")
	for _, q := range []string{"CHECK TABLE c", "REPAIR TABLE c", "EXPLAIN SELECT * FROM c WHERE name = 'a'", "SHOW TABLE STATUS", "SHOW COLUMNS FROM c", "SHOW INDEX FROM c"} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Close(); err != nil || n == 0 {
			t.Fatalf("%s: %d rows, %v", q, n, err)
		}
	}
	mustExecS(t, db, "DROP INDEX c_name ON c")
	mustExecS(t, db, "DROP TABLE c")
	if _, err := db.Exec("SELECT * FROM c"); errNumber(err) != 1146 {
		t.Fatalf("after DROP TABLE: %v", err)
	}
}

// TestSQLShimPrepared prepares statements once and runs them many times in
// the binary protocol, with NULLs and every argument type drivers send.
func TestSQLShimPrepared(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "parseTime=true")
	mustExecS(t, db, "CREATE TABLE p (id BIGINT PRIMARY KEY, s VARCHAR(20), f DOUBLE, b VARBINARY(10), ts DATETIME) ENGINE = BLITZDB, CRASH_SAFE")
	ins, err := db.Prepare("INSERT INTO p VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Close()
	sel, err := db.Prepare("SELECT s, f, b, ts FROM p WHERE id = ?")
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 50; i++ {
		var sv any = "s" + strconv.Itoa(i)
		if i%7 == 0 {
			sv = nil
		}
		if _, err := ins.Exec(int64(i), sv, float64(i)/4, []byte{byte(i)}, base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	for i := 0; i < 50; i++ {
		var (
			sv sql.NullString
			f  float64
			b  []byte
			ts time.Time
		)
		if err := sel.QueryRow(int64(i)).Scan(&sv, &f, &b, &ts); err != nil {
			t.Fatalf("select %d: %v", i, err)
		}
		if sv.Valid == (i%7 == 0) || (sv.Valid && sv.String != "s"+strconv.Itoa(i)) || f != float64(i)/4 ||
			len(b) != 1 || b[0] != byte(i) || !ts.Equal(base.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("row %d: %v %v %v %v", i, sv, f, b, ts)
		}
	}
	if _, err := ins.Exec(int64(1), "dup", 0.0, nil, nil); errNumber(err) != 1062 {
		t.Fatalf("duplicate through a prepared statement: %v", err)
	}
	// Bad SQL fails to prepare with sqlshim's syntax error (vitess's
	// parser never sees the text: prepare.go).
	if _, err := db.Prepare("SELEC nonsense ?"); errNumber(err) != 1064 {
		t.Fatalf("preparing bad SQL: %v, want 1064", err)
	}
}

// TestSQLShimConcurrentTransactions: several connections move amounts
// between rows in explicit transactions, some rolled back; the total is
// unchanged and no rolled-back change is visible.
func TestSQLShimConcurrentTransactions(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	const accounts, workers, rounds = 10, 4, 20
	db.SetMaxOpenConns(workers + 1)
	mustExecS(t, db, "CREATE TABLE acct (id INT PRIMARY KEY, bal INT NOT NULL, marks INT NOT NULL DEFAULT 0) ENGINE = BLITZDB, CRASH_SAFE")
	for i := 0; i < accounts; i++ {
		mustExecS(t, db, "INSERT INTO acct (id, bal) VALUES (?, 100)", i)
	}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				tx, err := db.Begin()
				if err != nil {
					errc <- err
					return
				}
				from, to := (w+i)%accounts, (w+2*i+1)%accounts
				_, err = tx.Exec("UPDATE acct SET bal = bal - 5 WHERE id = ?", from)
				if err == nil {
					_, err = tx.Exec("UPDATE acct SET bal = bal + 5 WHERE id = ?", to)
				}
				if err != nil {
					tx.Rollback()
					errc <- err
					return
				}
				if i%3 == 0 {
					// A change rolled back must leave no trace.
					if _, err := tx.Exec("UPDATE acct SET marks = marks + 1"); err != nil {
						tx.Rollback()
						errc <- err
						return
					}
					err = tx.Rollback()
				} else {
					err = tx.Commit()
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	var sum, marks int
	if err := db.QueryRow("SELECT SUM(bal), SUM(marks) FROM acct").Scan(&sum, &marks); err != nil {
		t.Fatal(err)
	}
	if sum != accounts*100 || marks != 0 {
		t.Fatalf("SUM(bal) = %d, SUM(marks) = %d; want %d and 0", sum, marks, accounts*100)
	}
}

// TestSQLShimErrorCodes: the MySQL error numbers and SQLSTATEs the client
// sees for common mistakes.
func TestSQLShimErrorCodes(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE e (id INT PRIMARY KEY, n INT NOT NULL, s VARCHAR(3)) ENGINE = BLITZDB")
	mustExecS(t, db, "INSERT INTO e VALUES (1, 1, 'a')")
	for _, c := range []struct {
		q    string
		code uint16
	}{
		{"SELEC 1", 1064},
		{"CREATE TABLE e (id INT PRIMARY KEY)", 1050},
		{"SELECT nope FROM e", 1054},
		{"SELECT * FROM missing", 1146},
		{"INSERT INTO e VALUES (1, 2, 'b')", 1062},
		{"INSERT INTO e VALUES (2, NULL, 'b')", 1048},
		{"INSERT INTO e VALUES (3, 1, 'long')", 1406},
		{"INSERT INTO e VALUES (4, 99999999999, 'b')", 1264},
		{"INSERT INTO e (id, n, s, x) VALUES (5, 1, 'b', 1)", 1054},
		{"INSERT INTO e VALUES (6, 1)", 1136},
		{"DROP TABLE missing", 1051},
	} {
		_, err := db.Exec(c.q)
		if got := errNumber(err); got != c.code {
			t.Errorf("%s: error %d (%v), want %d", c.q, got, err, c.code)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM e").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the failed statements: %d rows, %v", n, err)
	}
}

// TestSQLShimWALStatus checks that SHOW STATUS reports the engine's WAL
// counters: every autocommitted insert into a crash-safe table is one WAL
// commit, and each was synced.
func TestSQLShimWALStatus(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	status := func() map[string]int64 {
		m := map[string]int64{}
		rows, err := db.Query("SHOW STATUS LIKE 'Blitz\\_%'")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				t.Fatal(err)
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s = %q is not a number", k, v)
			}
			m[k] = n
		}
		return m
	}
	before := status()
	for _, k := range []string{"Blitz_wal_commits", "Blitz_wal_syncs", "Blitz_wal_bytes", "Blitz_checkpoints", "Blitz_recovery_tables_recovered"} {
		if _, ok := before[k]; !ok {
			t.Fatalf("SHOW STATUS lacks %s: %v", k, before)
		}
	}
	mustExecS(t, db, "CREATE TABLE w (id INT PRIMARY KEY, v INT) ENGINE = BLITZDB, CRASH_SAFE")
	for i := 0; i < 5; i++ {
		mustExecS(t, db, "INSERT INTO w VALUES ("+strconv.Itoa(i)+", 1)")
	}
	mustExecS(t, db, "CREATE TABLE p (id INT PRIMARY KEY)")
	mustExecS(t, db, "INSERT INTO p VALUES (1)") // plain: no WAL
	after := status()
	if d := after["Blitz_wal_commits"] - before["Blitz_wal_commits"]; d != 5 {
		t.Fatalf("5 crash-safe inserts made %d WAL commits: %v", d, after)
	}
	if after["Blitz_wal_syncs"] <= before["Blitz_wal_syncs"] || after["Blitz_wal_bytes"] <= before["Blitz_wal_bytes"] {
		t.Fatalf("WAL syncs/bytes did not grow: %v -> %v", before, after)
	}
	if after["Blitz_tables_crash_safe"] != 1 || after["Blitz_tables"] != 2 {
		t.Fatalf("table counts: %v", after)
	}
}

// TestSQLShimKill: KILL QUERY interrupts another connection's statement
// (a SLEEP fails at once with 1317, as in MariaDB) and leaves that connection usable; KILL ends
// the connection and rolls back its open transaction; an unknown id is
// error 1094; and a statement that blows a size limit (REPEAT past
// max_allowed_packet) is NULL, not the end of the server.
func TestSQLShimKill(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	db.SetMaxIdleConns(10)
	mustExecS(t, db, "CREATE TABLE k (id INT PRIMARY KEY) ENGINE = BLITZDB, CRASH_SAFE")
	victim, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := victim.QueryRowContext(t.Context(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	slept := make(chan int64, 1)
	var sleepErr error
	go func() {
		var r int64 = -1
		sleepErr = victim.QueryRowContext(t.Context(), "SELECT SLEEP(60)").Scan(&r)
		if errNumber(sleepErr) == 1317 {
			r = 1317
		}
		slept <- r
	}()
	waitQuery(t, db, id, "SLEEP") // recursive_cte_test.go
	start := time.Now()
	mustExecS(t, db, "KILL QUERY "+strconv.FormatInt(id, 10))
	select {
	case r := <-slept:
		if r != 1317 {
			t.Errorf("killed SLEEP returned %d (%v), want error 1317 (MariaDB's answer)", r, sleepErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not interrupt SLEEP(60)")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("KILL QUERY took %v", d)
	}
	// The connection survives KILL QUERY; then KILL ends it and rolls back.
	if _, err := victim.ExecContext(t.Context(), "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := victim.ExecContext(t.Context(), "INSERT INTO k VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	mustExecS(t, db, "KILL "+strconv.FormatInt(id, 10))
	if _, err := victim.ExecContext(t.Context(), "COMMIT"); err == nil {
		t.Error("COMMIT on a killed connection succeeded")
	}
	victim.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM k").Scan(&n); err != nil || n != 0 {
		t.Errorf("after KILL of a connection with an open transaction: %d rows (%v), want 0", n, err)
	}
	if _, err := db.Exec("KILL 424242"); errNumber(err) != 1094 {
		t.Errorf("KILL of an unknown id: %v, want error 1094", err)
	}
	var r sql.NullString
	if err := db.QueryRow("SELECT REPEAT('ab', 4611686018427387904)").Scan(&r); err != nil || r.Valid {
		t.Errorf("REPEAT past max_allowed_packet: %v %v, want NULL", r, err)
	}
}

// TestSQLShimAutocommitOff: a driver that turns autocommit off at connect
// (as Python's MySQLdb and PyMySQL do) gets implicit transactions: its
// writes are invisible to others until COMMIT, ROLLBACK and SAVEPOINTs
// work, and closing the connection rolls back what was not committed.
func TestSQLShimAutocommitOff(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE ac (id INT PRIMARY KEY) ENGINE = BLITZDB, CRASH_SAFE")
	off := sqlshimDB(t, s, "autocommit=0")
	c, err := off.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM ac").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec := func(q string) {
		t.Helper()
		if _, err := c.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var ac int
	if err := c.QueryRowContext(t.Context(), "SELECT @@autocommit").Scan(&ac); err != nil || ac != 0 {
		t.Fatalf("@@autocommit = %d (%v), want 0", ac, err)
	}
	exec("INSERT INTO ac VALUES (1)")
	if n := count(); n != 0 {
		t.Errorf("an uncommitted row is visible to another connection (%d rows)", n)
	}
	exec("SAVEPOINT p")
	exec("INSERT INTO ac VALUES (2)")
	exec("ROLLBACK TO SAVEPOINT p")
	exec("COMMIT")
	if n := count(); n != 1 {
		t.Errorf("after COMMIT: %d rows, want 1", n)
	}
	exec("INSERT INTO ac VALUES (3)")
	c.Close()
	off.Close()
	if n := count(); n != 1 {
		t.Errorf("after closing with an uncommitted row: %d rows, want 1", n)
	}
	// Row 3 was rolled back, not committed: inserting it again works (once
	// the closed connection's rollback released the table).
	mustExecS(t, db, "INSERT INTO ac VALUES (3)")
}

// TestSQLShimLoadDataLocal loads a client file through go-sql-driver (which
// sends it only for allowAllFiles or a registered path), checks what a
// client without permission and LOAD DATA without LOCAL get, and that the
// connection goes on working after each.
func TestSQLShimLoadDataLocal(t *testing.T) {
	s := startSQLShim(t, Options{})
	csv := filepath.Join(t.TempDir(), "items.csv")
	var b strings.Builder
	b.WriteString("id,name,qty\n")
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&b, "%d,\"item %d, \"\"quoted\"\"\",%d\n", i, i, i%7)
	}
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	db := sqlshimDB(t, s, "allowAllFiles=true")
	db.SetMaxOpenConns(1)
	mustExecS(t, db, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), qty INT NOT NULL) ENGINE = BLITZDB, CRASH_SAFE")
	load := "LOAD DATA LOCAL INFILE '" + csv + "' INTO TABLE items FIELDS TERMINATED BY ',' ENCLOSED BY '\"' IGNORE 1 LINES"
	res, err := db.Exec(load)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 500 {
		t.Fatalf("rows affected %d, want 500", n)
	}
	var count, sum int
	var name string
	if err := db.QueryRow("SELECT COUNT(*), SUM(qty) FROM items").Scan(&count, &sum); err != nil || count != 500 || sum != 1497 {
		t.Fatalf("after LOAD DATA: count %d sum %d (%v), want 500 1497", count, sum, err)
	}
	if err := db.QueryRow("SELECT name FROM items WHERE id = 42").Scan(&name); err != nil || name != `item 42, "quoted"` {
		t.Fatalf("row 42: %q (%v)", name, err)
	}
	// Loading again: LOCAL skips the duplicates with a warning each.
	if res, err = db.Exec(load); err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 0 {
		t.Fatalf("second load: rows affected %d, want 0", n)
	}
	// Without LOCAL the server reads no file of its own, and it writes
	// none either: MariaDB's refusal of a file outside --secure-file-priv.
	if _, err := db.Exec("LOAD DATA INFILE '" + csv + "' INTO TABLE items"); errNumber(err) != 1290 {
		t.Fatalf("LOAD DATA without LOCAL: %v, want error 1290", err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := db.Exec("SELECT * FROM items INTO OUTFILE '" + out + "'"); errNumber(err) != 1290 {
		t.Fatalf("SELECT INTO OUTFILE: %v, want error 1290", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("SELECT INTO OUTFILE wrote %s", out)
	}
	// LOAD DATA is not preparable (MySQL: 1295).
	if _, err := db.Prepare(load); errNumber(err) != 1295 {
		t.Fatalf("preparing LOAD DATA: %v, want error 1295", err)
	}
	// A driver that may not send the file refuses on its side; the
	// connection stays usable and nothing was loaded.
	plain := sqlshimDB(t, s, "")
	plain.SetMaxOpenConns(1)
	if _, err := plain.Exec("DELETE FROM items WHERE id > 10"); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Exec(load); err == nil {
		t.Fatal("LOAD DATA LOCAL without allowAllFiles: no error")
	}
	if err := plain.QueryRow("SELECT COUNT(*) FROM items").Scan(&count); err != nil || count != 10 {
		t.Fatalf("after the refused load: count %d (%v), want 10", count, err)
	}
}

// TestSQLShimDeadlock: two connections that each hold a table and want
// the other's. The one that closes the cycle gets error 1213 (SQLSTATE
// 40001) at once instead of waiting for the lock wait timeout, its
// transaction is rolled back, and the other's UPDATE completes and
// commits. SHOW STATUS counts it in Blitz_deadlocks.
func TestSQLShimDeadlock(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE a (id INT PRIMARY KEY, n INT) ENGINE = BLITZDB, CRASH_SAFE")
	mustExecS(t, db, "CREATE TABLE b (id INT PRIMARY KEY, n INT) ENGINE = BLITZDB, CRASH_SAFE")
	mustExecS(t, db, "INSERT INTO a VALUES (1, 0)")
	mustExecS(t, db, "INSERT INTO b VALUES (1, 0)")
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for _, st := range []struct {
		c *sql.Conn
		q string
	}{{c1, "BEGIN"}, {c2, "BEGIN"}, {c1, "UPDATE a SET n = 1"}, {c2, "UPDATE b SET n = 2"}} {
		if _, err := st.c.ExecContext(ctx, st.q); err != nil {
			t.Fatalf("%s: %v", st.q, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := c1.ExecContext(ctx, "UPDATE b SET n = 1")
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // c1 waits for b
	start := time.Now()
	_, err = c2.ExecContext(ctx, "UPDATE a SET n = 2")
	took := time.Since(start)
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1213 || string(me.SQLState[:]) != "40001" ||
		me.Message != "Deadlock found when trying to get lock; try restarting transaction" {
		t.Fatalf("second lock of the cycle: %v (after %v), want error 1213 (40001)", err, took)
	}
	if took > time.Second {
		t.Errorf("1213 came after %v", took)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("c1's UPDATE b: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("c1's UPDATE b still waits after c2's deadlock")
	}
	if _, err := c1.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	var an, bn int
	if err := db.QueryRow("SELECT (SELECT n FROM a), (SELECT n FROM b)").Scan(&an, &bn); err != nil {
		t.Fatal(err)
	}
	if an != 1 || bn != 1 {
		t.Errorf("a.n, b.n = %d, %d; want 1, 1 (c2's UPDATE b rolled back)", an, bn)
	}
	var k, v string
	if err := db.QueryRow("SHOW STATUS LIKE 'Blitz_deadlocks'").Scan(&k, &v); err != nil || v != "1" {
		t.Errorf("SHOW STATUS LIKE 'Blitz_deadlocks': %s = %q, %v; want 1", k, v, err)
	}
}
