package server

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
)

// startSQLShim starts a server over sqlshim on a fresh database named "e2e".
func startSQLShim(t *testing.T, opts Options) *Server {
	t.Helper()
	db, err := engine.Open(filepath.Join(t.TempDir(), "e2e"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Database = "e2e"
	return startServer(t, NewSQLShimBackend(db), opts)
}

func sqlshimDB(t *testing.T, s *Server, params string) *sql.DB {
	return openDB(t, strings.Replace(dsn(s, "", params), "/testdb?", "/e2e?", 1))
}

// TestSQLShimStatementsAndTypes drives sqlshim through the server with
// go-sql-driver: DDL, DML in both protocols, the types drivers scan into,
// and the error numbers.
func TestSQLShimStatementsAndTypes(t *testing.T) {
	s := startSQLShim(t, Options{})
	for _, proto := range []string{"text", "binary"} {
		t.Run(proto, func(t *testing.T) {
			params := "parseTime=true"
			if proto == "text" {
				params += "&interpolateParams=true"
			}
			db := sqlshimDB(t, s, params)
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
