package command

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "-d", t.TempDir(), "--password", "p"},
		{"serve", "-d", t.TempDir(), "--listen", ""},
		{"serve", "-d", t.TempDir(), "extra-arg"},
		{"serve", "-d", t.TempDir(), "--secure-file-priv", filepath.Join(t.TempDir(), "nosuch")},
	} {
		if code, _, errs := run(t, "", args...); code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d and a message", args, code, errs, ExitUsage)
		}
	}
}

// TestServeSocketPathInTheWay: --socket naming a file or a directory is
// refused, naming it, and the file is left alone (only a stale socket is
// replaced).
func TestServeSocketPathInTheWay(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "notes.txt")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, kind string }{{file, "regular file"}, {root, "directory"}} {
		code, out, errs := run(t, "", "serve", "-d", filepath.Join(root, "db"), "--listen", "", "--socket", c.path)
		if code != ExitFailed || !strings.Contains(errs, "socket "+c.path+": a "+c.kind+" is in the way") {
			t.Errorf("--socket %s: exit %d\n%s%s", c.path, code, out, errs)
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Fatalf("serve --socket removed or changed a regular file: %q %v", b, err)
	}
}

// TestServeHelperProcess is not a test: it is the blitz CLI, run by the
// serve tests as a child process (so they can signal and kill it).
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("BLITZ_SERVE_HELPER") != "1" {
		t.Skip("helper process for the serve tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(Main(args, os.Stdin, os.Stdout, os.Stderr))
}

// serveProc is a blitz serve child process.
type serveProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *strings.Builder
	mu     sync.Mutex // protects stderr
	done   chan error
}

// startServe starts `blitz serve -d dir --listen 127.0.0.1:0 extra...` and
// waits until it listens. The process is killed at the end of the test if
// it still runs.
func startServe(t *testing.T, dir string, extra ...string) *serveProc {
	t.Helper()
	args := append([]string{"serve", "-d", dir, "--listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "BLITZ_SERVE_HELPER=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, stderr: &strings.Builder{}, done: make(chan error, 1)}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		b, _ := io.ReadAll(errPipe)
		p.mu.Lock()
		p.stderr.Write(b)
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "blitz serve: listening on "); ok && !strings.HasPrefix(a, "socket ") {
				addrc <- a
			}
		}
		io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addrc:
	case err := <-p.done:
		p.done <- err
		t.Fatalf("blitz serve exited before listening: %v\n%s", err, p.errText())
	case <-time.After(60 * time.Second):
		t.Fatalf("blitz serve did not listen within 60s\n%s", p.errText())
	}
	return p
}

func (p *serveProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait waits (at most d) for the process to exit and returns its exit code.
func (p *serveProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(d):
		p.cmd.Process.Kill()
		t.Fatalf("blitz serve still running after %v\n%s", d, p.errText())
	}
	return -1
}

func (p *serveProc) open(t *testing.T, dbName string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/%s?timeout=5s&readTimeout=30s", p.addr, dbName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db interface {
	Exec(string, ...any) (sql.Result, error)
}, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestServeSIGTERM: SIGTERM (or a client's SHUTDOWN statement, the SQL
// form of mariadb-admin shutdown) with a transaction open rolls it back,
// keeps every commit, exits 0, and leaves a database that opens without
// recovery.
func TestServeSIGTERM(t *testing.T) {
	t.Run("SIGTERM", func(t *testing.T) {
		testServeStop(t, func(p *serveProc, db *sql.DB) error { return p.cmd.Process.Signal(syscall.SIGTERM) })
	})
	t.Run("SHUTDOWN", func(t *testing.T) {
		testServeStop(t, func(p *serveProc, db *sql.DB) error { _, err := db.Exec("SHUTDOWN"); return err })
	})
}

func testServeStop(t *testing.T, stop func(*serveProc, *sql.DB) error) {
	dir := filepath.Join(t.TempDir(), "shop")
	p := startServe(t, dir)
	db := p.open(t, "shop")
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil || name != "shop" {
		t.Fatalf("DATABASE() = %q, %v", name, err)
	}
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE = BLITZDB, CRASH_SAFE")
	for i := 1; i <= 10; i++ {
		mustExec(t, db, "INSERT INTO t VALUES (?, ?)", i, fmt.Sprint("v", i))
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx, "INSERT INTO t VALUES (100, 'uncommitted')")

	if err := stop(p, db); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after the stop\n%s", code, p.errText())
	}
	tx.Rollback()

	// Restart without --auto-recover: a crashed table would answer 1194.
	p2 := startServe(t, dir)
	db2 := p2.open(t, "shop")
	var n, max int
	if err := db2.QueryRow("SELECT COUNT(*), MAX(id) FROM t").Scan(&n, &max); err != nil {
		t.Fatalf("after restart: %v\n%s", err, p2.errText())
	}
	if n != 10 || max != 10 {
		t.Fatalf("after restart: %d rows, max id %d; want 10 rows, max 10", n, max)
	}
	p2.cmd.Process.Signal(syscall.SIGINT)
	if code := p2.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGINT", code)
	}
}

// TestServeMemoryBudget: --memory-budget is each session's initial
// blitz_memory_budget; SET, SELECT @@ and SHOW VARIABLES reach the
// session's own variable, and SHOW STATUS reports the spills.
func TestServeMemoryBudget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shop")
	p := startServe(t, dir, "--memory-budget", "64K")
	db := p.open(t, "shop")
	db.SetMaxOpenConns(1)
	var budget int64
	if err := db.QueryRow("SELECT @@blitz_memory_budget").Scan(&budget); err != nil || budget != 64<<10 {
		t.Fatalf("@@blitz_memory_budget = %d, %v\n%s", budget, err, p.errText())
	}
	mustExec(t, db, "SET SESSION blitz_memory_budget = 1048576")
	var name, val string
	if err := db.QueryRow("SHOW VARIABLES LIKE 'blitz_memory_budget'").Scan(&name, &val); err != nil || val != "1048576" {
		t.Fatalf("SHOW VARIABLES: %q %q, %v", name, val, err)
	}
	if _, err := db.Exec("SET blitz_memory_budget = -1"); err == nil || !strings.Contains(err.Error(), "1231") {
		t.Errorf("SET to -1: %v", err)
	}
	mustExec(t, db, "SET @@blitz_memory_budget = 65536")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(40))")
	var vals []string
	for i := 0; i < 3000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 'row %d of the table')", i, (i*7919)%3000))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	var first string
	if err := db.QueryRow("SELECT s FROM t ORDER BY s DESC").Scan(&first); err != nil || first != "row 999 of the table" {
		t.Fatalf("ORDER BY: %q, %v", first, err)
	}
	if err := db.QueryRow("SHOW STATUS LIKE 'Blitz_sort_spills'").Scan(&name, &val); err != nil || val == "0" {
		t.Errorf("SHOW STATUS: %q %q, %v", name, val, err)
	}
	// Another connection starts from --memory-budget.
	db2 := p.open(t, "shop")
	if err := db2.QueryRow("SELECT @@blitz_memory_budget").Scan(&budget); err != nil || budget != 64<<10 {
		t.Errorf("new session: @@blitz_memory_budget = %d, %v", budget, err)
	}
}

// TestServeSecureFilePriv: --secure-file-priv DIR lets SELECT ... INTO
// OUTFILE write in DIR (mariadb-dump --tab) and LOAD DATA INFILE read
// there, and nowhere else (1290); @@secure_file_priv shows it.
func TestServeSecureFilePriv(t *testing.T) {
	files, other := t.TempDir(), t.TempDir()
	p := startServe(t, filepath.Join(t.TempDir(), "shop"), "--secure-file-priv", files)
	db := p.open(t, "shop")
	var priv string
	if err := db.QueryRow("SELECT @@secure_file_priv").Scan(&priv); err != nil || priv != files+"/" {
		t.Fatalf("@@secure_file_priv = %q, %v; want %s/\n%s", priv, err, files, p.errText())
	}
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO t VALUES (1), (2)")
	mustExec(t, db, "SELECT * FROM t INTO OUTFILE '"+filepath.Join(files, "t.txt")+"'")
	if b, err := os.ReadFile(filepath.Join(files, "t.txt")); err != nil || string(b) != "1\n2\n" {
		t.Errorf("t.txt: %q, %v", b, err)
	}
	mustExec(t, db, "LOAD DATA INFILE 't.txt' REPLACE INTO TABLE t")
	if _, err := db.Exec("SELECT * FROM t INTO OUTFILE '" + filepath.Join(other, "t.txt") + "'"); err == nil || !strings.Contains(err.Error(), "1290") {
		t.Errorf("INTO OUTFILE outside --secure-file-priv: %v, want 1290", err)
	}
}

// TestServeKill9AutoRecover: kill -9 under a load of autocommit INSERTs
// into a crash-safe table, restart with --auto-recover: every
// acknowledged commit is there.
func TestServeKill9AutoRecover(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	p := startServe(t, dir, "--auto-recover")
	db := p.open(t, "db")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, w INT) ENGINE = BLITZDB, CRASH_SAFE")

	const writers = 4
	var mu sync.Mutex
	var acked []int
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000 && ctx.Err() == nil; i++ {
				id := w*100000 + i
				if _, err := db.Exec("INSERT INTO t VALUES (?, ?)", id, w); err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		}()
	}
	// Kill once enough commits are acknowledged (or after a bounded wait on
	// a slow machine), while the writers are still busy.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Kill()
	p.wait(t, 10*time.Second)
	cancel()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatalf("no insert was acknowledged before the kill\n%s", p.errText())
	}

	p2 := startServe(t, dir, "--auto-recover")
	db2 := p2.open(t, "db")
	rows, err := db2.Query("SELECT id FROM t")
	if err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1194 {
			t.Fatalf("table still crashed after --auto-recover: %v\n%s", err, p2.errText())
		}
		t.Fatalf("after restart: %v\n%s", err, p2.errText())
	}
	have := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		have[id] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged id %d lost after kill -9 and recovery (%d rows there, %d acknowledged)\n%s", id, len(have), len(acked), p2.errText())
		}
	}
	// The recovered database is usable and closes cleanly.
	mustExec(t, db2, "INSERT INTO t VALUES (-1, -1)")
	p2.cmd.Process.Signal(syscall.SIGTERM)
	if code := p2.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, p2.errText())
	}
	t.Logf("%d acknowledged commits survived kill -9", len(acked))
}

// TestServeMariaDBSession runs testdata/serve/session.sql through the
// stock mariadb client against a `blitz serve` process and compares what
// the client prints with session.expected (the same golden file the
// in-process test in sqlshim/server uses).
func TestServeMariaDBSession(t *testing.T) {
	const client = "/usr/bin/mariadb"
	if _, err := exec.LookPath(client); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", client, err)
	}
	want, err := os.ReadFile("../../../testdata/serve/session.expected")
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open("../../../testdata/serve/session.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := startServe(t, filepath.Join(t.TempDir(), "e2e"), "--max-allowed-packet", "16777216")
	host, port, _ := strings.Cut(p.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, client, "--no-defaults", "--protocol=tcp", "-h", host, "-P", port,
		"-u", "root", "--table", "--force", "--unbuffered", "e2e")
	var out strings.Builder
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &out, &out
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("mariadb: %v", err)
		}
	}
	if out.String() != string(want) {
		t.Errorf("mariadb output differs from session.expected\n--- got\n%s\n--- want\n%s", out.String(), want)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, p.errText())
	}
}
