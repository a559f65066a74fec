package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// startServer starts a server on a loopback port (and a socket in a
// temporary directory) over b, and shuts it down at the end of the test,
// checking that the shutdown was clean.
func startServer(t testing.TB, b Backend, opts Options) *Server {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	if opts.Database == "" {
		opts.Database = "testdb"
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 5 * time.Second
	}
	s, err := New(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	return s
}

// dsn returns a go-sql-driver DSN for s.
func dsn(s *Server, userPass string, params string) string {
	if userPass == "" {
		userPass = "root"
	}
	d := fmt.Sprintf("%s@tcp(%s)/testdb?timeout=5s&readTimeout=30s&writeTimeout=30s", userPass, s.Addr())
	if params != "" {
		d += "&" + params
	}
	return d
}

func openDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// errNumber returns the MySQL error number the client saw (0 if none).
func errNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestConnectTimeVariables(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{MaxPacket: 1 << 20})
	db := openDB(t, dsn(s, "", ""))
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	var comment string
	if err := db.QueryRow("select @@version_comment limit 1").Scan(&comment); err != nil || comment == "" {
		t.Fatalf("@@version_comment = %q, %v", comment, err)
	}
	var pkt int64
	if err := db.QueryRow("SELECT @@max_allowed_packet").Scan(&pkt); err != nil || pkt != 1<<20 {
		t.Fatalf("@@max_allowed_packet = %d, %v", pkt, err)
	}
	var inc, cs, sqlMode, dbName string
	err := db.QueryRow("SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, @@sql_mode, DATABASE()").Scan(&inc, &cs, &sqlMode, &dbName)
	if err != nil || inc != "1" || cs != "utf8mb4" || dbName != "testdb" || !strings.Contains(sqlMode, "STRICT_TRANS_TABLES") {
		t.Fatalf("got %q %q %q %q, %v", inc, cs, sqlMode, dbName, err)
	}
	if _, err := db.Exec("SELECT @@no_such_variable"); errNumber(err) != 1193 {
		t.Fatalf("unknown variable: %v, want 1193", err)
	}
}

func TestSetSessionVariables(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", ""))
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for _, q := range []string{"SET NAMES latin1", "SET @@session.sql_mode = 'ANSI_QUOTES'", "SET SESSION time_zone = '+01:00', autocommit = 0"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var cs, coll, mode, tz string
	var ac int
	if err := c.QueryRowContext(ctx, "SELECT @@character_set_client, @@collation_connection, @@sql_mode, @@time_zone, @@autocommit").Scan(&cs, &coll, &mode, &tz, &ac); err != nil {
		t.Fatal(err)
	}
	if cs != "latin1" || coll != "latin1_swedish_ci" || mode != "ANSI_QUOTES" || tz != "+01:00" || ac != 0 {
		t.Fatalf("got %q %q %q %q %d", cs, coll, mode, tz, ac)
	}
	if _, err := c.ExecContext(ctx, "SET no_such_var = 1"); errNumber(err) != 1193 {
		t.Fatalf("SET unknown: %v, want 1193", err)
	}
	if _, err := c.ExecContext(ctx, "USE otherdb"); errNumber(err) != 1049 {
		t.Fatalf("USE otherdb: %v, want 1049", err)
	}
	if _, err := c.ExecContext(ctx, "USE testdb"); err != nil {
		t.Fatal(err)
	}
}

func TestAuth(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{User: "app", Password: "s3cret"})
	if err := openDB(t, dsn(s, "app:s3cret", "")).Ping(); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for _, up := range []string{"app:wrong", "app", "other:s3cret"} {
		err := openDB(t, dsn(s, up, "")).Ping()
		if errNumber(err) != 1045 {
			t.Fatalf("%s: %v, want 1045", up, err)
		}
	}
	var user string
	if err := openDB(t, dsn(s, "app:s3cret", "")).QueryRow("SELECT USER()").Scan(&user); err != nil || user != "app@127.0.0.1" {
		t.Fatalf("USER() = %q, %v", user, err)
	}
}

func TestUnknownDatabase(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	d := strings.Replace(dsn(s, "", ""), "/testdb?", "/nope?", 1)
	if err := openDB(t, d).Ping(); errNumber(err) != 1049 {
		t.Fatalf("got %v, want 1049", err)
	}
}

// TestColumnTypes checks that the column metadata makes the driver scan
// into the Go types it uses for MySQL's, in the text protocol and in the
// binary one (prepared statements).
func TestColumnTypes(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", "parseTime=true"))
	for _, q := range []struct {
		name  string
		query string
		args  []any
	}{{"text", "select typed", nil}, {"binary", "select typed where ?", []any{1}}} {
		t.Run(q.name, func(t *testing.T) {
			rows, err := db.Query(q.query, q.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			types, _ := rows.ColumnTypes()
			want := []string{"BIGINT", "UNSIGNED BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "VARCHAR", "VARBINARY", "DATE", "DATETIME", "INT", "TINYINT", "JSON"}
			for i, ct := range types {
				if ct.DatabaseTypeName() != want[i] {
					t.Errorf("column %s: type %s, want %s", ct.Name(), ct.DatabaseTypeName(), want[i])
				}
			}
			if !rows.Next() {
				t.Fatal("no row")
			}
			var (
				i      int64
				u      uint64
				f      float32
				d      float64
				dec    string
				str    string
				b      []byte
				day    time.Time
				ts     time.Time
				n      sql.NullInt64
				tiny   int8
				jsonTx string
			)
			if err := rows.Scan(&i, &u, &f, &d, &dec, &str, &b, &day, &ts, &n, &tiny, &jsonTx); err != nil {
				t.Fatal(err)
			}
			if i != -5 || u != 18446744073709551615 || f != 1.5 || d != 2.25 || dec != "12345.67" || str != "héllo" ||
				string(b) != "\x00\x01\x02" || !day.Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) ||
				!ts.Equal(time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)) || n.Valid || tiny != 1 || jsonTx != `{"a": 1}` {
				t.Fatalf("got %v %v %v %v %v %q %q %v %v %v %v %v", i, u, f, d, dec, str, b, day, ts, n, tiny, jsonTx)
			}
		})
	}
}

func TestPreparedStatements(t *testing.T) {
	b := newFakeBackend()
	s := startServer(t, b, Options{})
	db := openDB(t, dsn(s, "", ""))
	ins, err := db.Prepare("INSERT INTO kv VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Close()
	for k := int64(1); k <= 20; k++ {
		r, err := ins.Exec(k, fmt.Sprintf("v%d", k))
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := r.LastInsertId(); id != k {
			t.Fatalf("LastInsertId = %d, want %d", id, k)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			t.Fatalf("RowsAffected = %d", n)
		}
	}
	if _, err := ins.Exec(int64(3), "again"); errNumber(err) != 1062 {
		t.Fatalf("duplicate: %v, want 1062", err)
	}
	var k int64
	var v string
	if err := db.QueryRow("SELECT k, v FROM kv WHERE k = ?", 7).Scan(&k, &v); err != nil || k != 7 || v != "v7" {
		t.Fatalf("got %d %q %v", k, v, err)
	}
	if err := db.QueryRow("SELECT k, v FROM kv WHERE k = ?", 99).Scan(&k, &v); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("missing key: %v", err)
	}
}

// TestErrorsReachClient checks that an *sqlerr.Error from the SQL layer
// arrives with its number, SQLSTATE and message.
func TestErrorsReachClient(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", ""))
	_, err := db.Exec("SELEKT 1")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1064 || string(me.SQLState[:]) != "42000" || !strings.Contains(me.Message, "SELEKT 1") {
		t.Fatalf("got %#v", err)
	}
	if _, err := db.Exec("INSERT INTO kv VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec("INSERT INTO kv VALUES (1, 'b')")
	if !errors.As(err, &me) || me.Number != 1062 || string(me.SQLState[:]) != "23000" {
		t.Fatalf("got %#v", err)
	}
	if _, err := db.Prepare("SELECT bad FROM kv WHERE k = ?"); errNumber(err) != 1064 {
		t.Fatalf("prepare error: %v", err)
	}
}

func TestTransactionsPerConnection(t *testing.T) {
	b := newFakeBackend()
	s := startServer(t, b, Options{})
	db := openDB(t, dsn(s, "", ""))
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO kv VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM kv").Scan(&n); err != nil || n != 0 {
		t.Fatalf("other connection sees %d rows before commit, %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM kv").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after commit: %d rows, %v", n, err)
	}
}

func TestMultiStatements(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", "multiStatements=true"))
	if _, err := db.Exec("INSERT INTO kv VALUES (1, 'a'); INSERT INTO kv VALUES (2, 'b');"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM kv").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows, %v", n, err)
	}
}

func TestWarningCount(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", ""))
	c, _ := db.Conn(context.Background())
	defer c.Close()
	if _, err := c.ExecContext(context.Background(), "warn"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := c.QueryRowContext(context.Background(), "SELECT @@warning_count").Scan(&n); err != nil || n != 2 {
		t.Fatalf("@@warning_count = %d, %v", n, err)
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "blitz.sock")
	s := startServer(t, newFakeBackend(), Options{Socket: sock})
	_ = s
	db := openDB(t, fmt.Sprintf("root@unix(%s)/testdb?timeout=5s", sock))
	var host string
	var id uint64
	var user, dbn, cmd string
	var tm int64
	var state, info sql.NullString
	if err := db.QueryRow("SHOW PROCESSLIST").Scan(&id, &user, &host, &dbn, &cmd, &tm, &state, &info); err != nil {
		t.Fatal(err)
	}
	if host != "localhost" || user != "root" || cmd != "Query" || info.String != "SHOW PROCESSLIST" {
		t.Fatalf("processlist row: %v %q %q %q %q %v %v", id, user, host, dbn, cmd, state, info)
	}
}

func TestMaxConnections(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{MaxConnections: 2})
	db := openDB(t, dsn(s, "", ""))
	ctx := context.Background()
	c1, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	db2 := openDB(t, dsn(s, "", ""))
	c2, err := db2.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c1.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c2.PingContext(ctx); err != nil {
		t.Fatal(err)
	}
	err = openDB(t, dsn(s, "", "")).Ping()
	if errNumber(err) != 1040 {
		t.Fatalf("third connection: %v, want 1040", err)
	}
	c2.Close()
	db2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = openDB(t, dsn(s, "", "")).Ping()
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}

func TestMaxPacket(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{MaxPacket: 64 << 10})
	db := openDB(t, dsn(s, "", ""))
	var got string
	small := strings.Repeat("x", 60<<10)
	if err := db.QueryRow("echo " + small).Scan(&got); err != nil || got != small {
		t.Fatalf("packet under the limit: %v", err)
	}
	_, err := db.Exec("echo " + strings.Repeat("x", 100<<10))
	if errNumber(err) != 1153 {
		t.Fatalf("packet over the limit: %v, want 1153", err)
	}
	// MySQL closes the connection after 1153, so the pool's connection is
	// gone; a new one works.
	if err := openDB(t, dsn(s, "", "")).Ping(); err != nil {
		t.Fatalf("server after a large packet: %v", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{IdleTimeout: 150 * time.Millisecond})
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil { // the handshake
		t.Fatal(err)
	}
	// Say nothing: the server must hang up.
	for {
		_, err := c.Read(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("server kept an idle connection open")
			}
			break
		}
	}
}

// TestMalformedPacket checks that garbage on one connection ends only that
// connection.
func TestMalformedPacket(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", ""))
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	for _, junk := range [][]byte{
		{0xff, 0xff, 0xff, 0x00, 1, 2, 3},
		[]byte("GET / HTTP/1.0\r\n\r\n"),
		{0x05, 0x00, 0x00, 0x07, 0x03},
	} {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 4096)
		c.Read(buf)
		c.Write(junk)
		c.Close()
	}
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("other connection after junk: %v", err)
	}
}

func TestShowStatus(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", ""))
	rows, err := db.Query("SHOW STATUS")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got[k] = v
	}
	for _, k := range []string{"Connections", "Queries", "Threads_connected", "Uptime", "Blitz_fake_commits"} {
		if _, ok := got[k]; !ok {
			t.Errorf("SHOW STATUS lacks %s", k)
		}
	}
	var k, v string
	if err := db.QueryRow("SHOW GLOBAL STATUS LIKE 'threads\\_conn%'").Scan(&k, &v); err != nil || k != "Threads_connected" || v != "1" {
		t.Fatalf("LIKE: %q %q %v", k, v, err)
	}
	if err := db.QueryRow("SHOW VARIABLES LIKE 'max_allowed_packet'").Scan(&k, &v); err != nil || v != "67108864" {
		t.Fatalf("SHOW VARIABLES: %q %q %v", k, v, err)
	}
}

// TestShutdown: a running statement finishes and delivers its result, an
// open transaction is rolled back, new statements and connections are
// refused, and the backend is closed with no session left.
func TestShutdown(t *testing.T) {
	b := newFakeBackend()
	s := startServer(t, b, Options{})
	db := openDB(t, dsn(s, "", ""))
	ctx := context.Background()
	txConn, _ := db.Conn(ctx)
	defer txConn.Close()
	if _, err := txConn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := txConn.ExecContext(ctx, "INSERT INTO kv VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() {
		var ms int
		err := db.QueryRow("sleep 300").Scan(&ms)
		slow <- err
	}()
	// Wait until the statement runs.
	for i := 0; i < 200 && s.stats.running.Load() == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-slow; err != nil {
		t.Fatalf("running statement: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed || b.sessions != 0 || b.rollbacks != 1 || len(b.kv) != 0 {
		t.Fatalf("closed=%v sessions=%d rollbacks=%d rows=%d", b.closed, b.sessions, b.rollbacks, len(b.kv))
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Fatal("still accepting")
	}
}

// TestShutdownCancelsLongStatements: a statement still running when the
// shutdown timeout ends is cancelled.
func TestShutdownCancelsLongStatements(t *testing.T) {
	b := newFakeBackend()
	s := startServer(t, b, Options{ShutdownTimeout: 200 * time.Millisecond})
	db := openDB(t, dsn(s, "", ""))
	done := make(chan struct{})
	go func() {
		var ms int
		db.QueryRow("sleep 30000").Scan(&ms)
		close(done)
	}()
	for i := 0; i < 200 && s.stats.running.Load() == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	<-done
}

func TestConcurrentConnections(t *testing.T) {
	b := newFakeBackend()
	s := startServer(t, b, Options{})
	db := openDB(t, dsn(s, "", ""))
	db.SetMaxOpenConns(16)
	errc := make(chan error, 16)
	for w := 0; w < 16; w++ {
		go func() {
			for i := 0; i < 50; i++ {
				if _, err := db.Exec("INSERT INTO kv VALUES (?, ?)", int64(w*1000+i), "x"); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
	}
	for w := 0; w < 16; w++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM kv").Scan(&n); err != nil || n != 800 {
		t.Fatalf("%d rows, %v", n, err)
	}
}

func TestProcesslistShowsRunningStatement(t *testing.T) {
	s := startServer(t, newFakeBackend(), Options{})
	db := openDB(t, dsn(s, "", ""))
	done := make(chan struct{})
	go func() {
		var ms int
		db.QueryRow("sleep 400").Scan(&ms)
		close(done)
	}()
	for i := 0; i < 200 && s.stats.running.Load() == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	rows, err := db.Query("SHOW FULL PROCESSLIST")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for rows.Next() {
		var id uint64
		var user, host, dbn, cmd string
		var tm int64
		var state, info sql.NullString
		if err := rows.Scan(&id, &user, &host, &dbn, &cmd, &tm, &state, &info); err != nil {
			t.Fatal(err)
		}
		if info.String == "sleep 400" && cmd == "Query" && dbn == "testdb" {
			found = true
		}
	}
	if !found {
		t.Fatal("the running statement is not in SHOW FULL PROCESSLIST")
	}
	<-done
}
