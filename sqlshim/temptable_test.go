package sqlshim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// tempTableDir is where a database directory keeps its sessions'
// temporary tables (engine/temp.go).
const tempTableDir = "#temp"

// conns returns n connections (sessions) of db that close for real when
// closed (no idle pool keeps them).
func conns(t *testing.T, db *sql.DB, n int) []*sql.Conn {
	t.Helper()
	db.SetMaxIdleConns(0)
	var cs []*sql.Conn
	for range n {
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs = append(cs, c)
	}
	return cs
}

func connExec(t *testing.T, c *sql.Conn, q string) {
	t.Helper()
	if _, err := c.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// connCount returns SELECT COUNT(*) FROM table on c, or the error.
func connCount(c *sql.Conn, table string) (int, error) {
	var n int
	err := c.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}

func errCode(err error) int {
	var e *sqlerr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// A temporary table is its session's alone: another connection neither
// sees it nor is kept from making its own of the same name, the base
// table of its name stays as it was for every other session, and closing
// the connection drops it and removes its files.
func TestTempTablePerSession(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("blitz", dir+"?sync=off")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := conns(t, db, 2)
	a, b := c[0], c[1]
	connExec(t, a, "CREATE TABLE t (id INT PRIMARY KEY)")
	connExec(t, a, "INSERT INTO t VALUES (1)")
	connExec(t, a, "CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v VARCHAR(10), KEY (v))")
	connExec(t, a, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	connExec(t, a, "CREATE TEMPORARY TABLE only_a (x INT)")

	if n, err := connCount(a, "t"); err != nil || n != 3 {
		t.Errorf("session a reads t: %d rows, %v; want its temporary table's 3", n, err)
	}
	if n, err := connCount(b, "t"); err != nil || n != 1 {
		t.Errorf("session b reads t: %d rows, %v; want the base table's 1", n, err)
	}
	if _, err := connCount(b, "only_a"); errCode(err) != sqlerr.ErrNoSuchTable {
		t.Errorf("session b reads a's temporary table: %v, want error 1146", err)
	}
	if _, err := b.ExecContext(context.Background(), "DROP TEMPORARY TABLE only_a"); errCode(err) != sqlerr.ErrUnknownTable {
		t.Errorf("session b drops a's temporary table: %v, want error 1051", err)
	}
	connExec(t, b, "CREATE TEMPORARY TABLE only_a (y INT, z INT)") // its own, same name
	connExec(t, b, "INSERT INTO only_a VALUES (1, 2)")
	if n, err := connCount(a, "only_a"); err != nil || n != 0 {
		t.Errorf("session a reads only_a: %d rows, %v; want its own, empty", n, err)
	}
	connExec(t, b, "INSERT INTO t VALUES (2)") // the base table
	if n, _ := connCount(a, "t"); n != 3 {
		t.Errorf("session a's temporary t has %d rows after b wrote the base t, want 3", n)
	}
	sessions, err := os.ReadDir(filepath.Join(dir, tempTableDir))
	if err != nil || len(sessions) != 2 {
		t.Fatalf("%s holds %d session directories (%v), want 2", tempTableDir, len(sessions), err)
	}

	// Closing a connection drops its temporary tables, and only its own.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	sessions, _ = os.ReadDir(filepath.Join(dir, tempTableDir))
	if len(sessions) != 1 {
		t.Errorf("%s holds %d session directories after a closed, want 1", tempTableDir, len(sessions))
	}
	if n, _ := connCount(b, "only_a"); n != 1 {
		t.Errorf("session b's only_a has %d rows after a closed, want 1", n)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, tempTableDir)); !os.IsNotExist(err) {
		t.Errorf("%s after every session closed: %v", tempTableDir, err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("base table t: %d rows, %v; want 2", n, err)
	}
	if _, err := db.Exec("SELECT * FROM only_a"); errCode(err) != sqlerr.ErrNoSuchTable {
		t.Errorf("a new session reads only_a: %v, want error 1146", err)
	}
}

// A process that dies with temporary tables open leaves their files;
// the next open of the database removes them, and the base tables are
// as they were.
func TestTempTableCrashLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	edb, err := engine.Open(dir, engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(edb)
	ctx := context.Background()
	if _, err := s.Exec(ctx, `CREATE TABLE t (id INT PRIMARY KEY) CRASH_SAFE;
		INSERT INTO t VALUES (1);
		CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v INT, KEY (v)) CRASH_SAFE;
		INSERT INTO t VALUES (1, 1), (2, 2);
		CREATE TEMPORARY TABLE u AS SELECT * FROM t`); err != nil {
		t.Fatal(err)
	}
	// kill -9: the files as the process left them, a copy taken while it
	// runs.
	crashed := filepath.Join(t.TempDir(), "db")
	copyDirTree(t, dir, crashed)
	if _, err := os.Stat(filepath.Join(crashed, tempTableDir, "s1", "u.bdf")); err != nil {
		t.Fatalf("the crashed copy has no temporary table files: %v", err)
	}
	s.Close()
	edb.Close()

	db, err := sql.Open("blitz", crashed+"?auto_recover=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Errorf("base table t after the crash: %d rows, %v; want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(crashed, tempTableDir)); !os.IsNotExist(err) {
		t.Errorf("%s after reopening: %v", tempTableDir, err)
	}
	if _, err := db.Exec("SELECT * FROM u"); errCode(err) != sqlerr.ErrNoSuchTable {
		t.Errorf("temporary table u after the crash: %v, want error 1146", err)
	}
	var name, msg string
	var op, typ string
	if err := db.QueryRow("CHECK TABLE t").Scan(&name, &op, &typ, &msg); err != nil || msg != "OK" {
		t.Errorf("CHECK TABLE t: %s %v", msg, err)
	}
}

// copyDirTree copies the regular files under src to dst.
func copyDirTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkAutocommitInsert is the commit path of a base table through a
// session: autocommit single-row INSERTs into a plain table (no fsync, so
// that name resolution and the statement's own work show), in a session
// without temporary tables and in one with a temporary table of another
// name, whose base-table names then cost a lookup in it too.
func BenchmarkAutocommitInsert(b *testing.B) {
	for _, temps := range []int{0, 1} {
		b.Run(fmt.Sprintf("temps=%d", temps), func(b *testing.B) {
			db, err := engine.Open(filepath.Join(b.TempDir(), "db"), engine.Options{Sync: engine.SyncOff})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			s := NewSession(db)
			defer s.Close()
			ctx := context.Background()
			setup := "CREATE TABLE ins (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL)"
			if temps > 0 {
				setup += "; CREATE TEMPORARY TABLE other (id INT)"
			}
			if _, err := s.Exec(ctx, setup); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.ExecOne(ctx, fmt.Sprintf("INSERT INTO ins VALUES (%d, 'value')", i), nil); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			r, err := s.ExecOne(ctx, "SELECT COUNT(*) FROM ins", nil)
			if err != nil || r.Rows[0][0] != int64(b.N) {
				b.Fatalf("%v rows (%v), want %d", r.Rows, err, b.N)
			}
		})
	}
}
