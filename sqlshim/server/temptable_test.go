package server

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/go-sql-driver/mysql"
)

// killDialer hands go-sql-driver connections whose sockets the test can
// cut, as a client that dies without COM_QUIT would.
type killDialer struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (k *killDialer) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		k.mu.Lock()
		k.conns = append(k.conns, c)
		k.mu.Unlock()
	}
	return c, err
}

// cutAll closes every socket dialled so far.
func (k *killDialer) cutAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, c := range k.conns {
		c.Close()
	}
	k.conns = nil
}

// waitGone waits up to 10 s for path to disappear.
func waitGone(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return
		}
	}
	t.Errorf("%s still there 10 s after its connection ended", path)
}

// Through blitz serve, each connection has its own temporary tables; a
// connection that quits, or whose client dies, takes them with it.
func TestTempTablesPerConnection(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "e2e")
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, NewSQLShimBackend(db), Options{Database: "e2e"})
	kd := &killDialer{}
	mysql.RegisterDialContext("blitz-temptable-test", kd.dial)
	ctx := context.Background()
	pool := func(net string) *sql.DB {
		d := strings.Replace(dsn(s, "", ""), "/testdb?", "/e2e?", 1)
		d = strings.Replace(d, "@tcp(", "@"+net+"(", 1)
		p := openDB(t, d)
		p.SetMaxIdleConns(0) // a closed sql.Conn closes its connection
		return p
	}
	p := pool("tcp")
	a, err := p.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	exec := func(c *sql.Conn, q string) {
		t.Helper()
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func(c *sql.Conn, table string) (n int, err error) {
		err = c.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
		return n, err
	}
	exec(a, "CREATE TABLE t (id INT PRIMARY KEY)")
	exec(a, "CREATE TEMPORARY TABLE t (id INT PRIMARY KEY, v INT)")
	exec(a, "INSERT INTO t VALUES (1, 1), (2, 2)")
	if n, err := count(a, "t"); err != nil || n != 2 {
		t.Errorf("connection a: t has %d rows, %v; want its temporary table's 2", n, err)
	}
	if n, err := count(b, "t"); err != nil || n != 0 {
		t.Errorf("connection b: t has %d rows, %v; want the empty base table", n, err)
	}
	// Prepared statements resolve the name per connection too.
	var n int
	if err := b.QueryRowContext(ctx, "SELECT COUNT(*) FROM t WHERE id > ?", 0).Scan(&n); err != nil || n != 0 {
		t.Errorf("connection b, prepared: %d rows, %v", n, err)
	}
	if err := a.QueryRowContext(ctx, "SELECT COUNT(*) FROM t WHERE id > ?", 0).Scan(&n); err != nil || n != 2 {
		t.Errorf("connection a, prepared: %d rows, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "#temp")); err != nil {
		t.Fatalf("no temporary table files while the connection lives: %v", err)
	}
	if err := a.Close(); err != nil { // COM_QUIT
		t.Fatal(err)
	}
	waitGone(t, filepath.Join(dir, "#temp"))

	// A client that dies: its socket closes without COM_QUIT.
	k := pool("blitz-temptable-test")
	c, err := k.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exec(c, "CREATE TEMPORARY TABLE dying (x INT)")
	exec(c, "BEGIN")
	exec(c, "INSERT INTO dying VALUES (1)")
	if _, err := os.Stat(filepath.Join(dir, "#temp")); err != nil {
		t.Fatalf("no temporary table files while the connection lives: %v", err)
	}
	kd.cutAll()
	c.Close()
	waitGone(t, filepath.Join(dir, "#temp"))
	if _, err := count(b, "dying"); errNumber(err) != 1146 {
		t.Errorf("another connection reads the dead one's table: %v, want 1146", err)
	}
}
