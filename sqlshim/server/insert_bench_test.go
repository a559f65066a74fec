package server

import (
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/benchcpu"
)

// BenchmarkServePreparedInsert is one connection of bench/serve's insert
// load, in process: go-sql-driver/mysql executing a prepared INSERT INTO
// ins VALUES (?, ?) in autocommit into a CRASH_SAFE table (the WAL
// without fsync, so that the CPU of the statement, the protocol and the
// client shows; client and server share the process, so the allocations
// counted are both's).
func BenchmarkServePreparedInsert(b *testing.B) {
	db, err := engine.Open(filepath.Join(b.TempDir(), "e2e"), engine.Options{Sync: engine.SyncOff})
	if err != nil {
		b.Fatal(err)
	}
	s := startServer(b, NewSQLShimBackend(db), Options{Database: "e2e"})
	c := sqlshimDB(b, s, "")
	c.SetMaxOpenConns(1)
	if _, err := c.Exec("CREATE TABLE ins (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL) ENGINE = BLITZDB, CRASH_SAFE"); err != nil {
		b.Fatal(err)
	}
	stmt, err := c.Prepare("INSERT INTO ins VALUES (?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Now()
	for i := range b.N {
		if _, err := stmt.Exec(int64(i), "payload"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	benchcpu.Report(b, cpu) // client's and server's
	var n int
	if err := c.QueryRow("SELECT COUNT(*) FROM ins").Scan(&n); err != nil || n != b.N {
		b.Fatalf("%d rows (%v), want %d", n, err, b.N)
	}
}
