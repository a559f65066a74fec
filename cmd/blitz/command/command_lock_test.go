package command

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runProc runs the blitz CLI as a separate process (the test binary as
// TestServeHelperProcess), as a user's second command would run beside a
// server, and returns its exit code and output. It fails the test if the
// process does not end within a minute.
func runProc(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "BLITZ_SERVE_HELPER=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("blitz %v still running after a minute (hangs on the lock?)", args)
	}
	return code, out.String(), errb.String()
}

// TestSecondProcess: while blitz serve holds a database, every other
// command that needs the database to itself (a second serve, the SQL
// shell, check, repair, restore into it) fails at once with exit 1 and a
// message naming the directory and the server to connect to instead; a
// backup goes through the server and works, and so does reading its update
// log. The server keeps serving.
func TestSecondProcess(t *testing.T) {
	root := t.TempDir()
	dir, ulogDir := filepath.Join(root, "shop"), filepath.Join(root, "ulog")
	p := startServe(t, dir, "--ulog", ulogDir)
	db := p.open(t, "shop")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY) ENGINE = BLITZDB, CRASH_SAFE")
	mustExec(t, db, "INSERT INTO t VALUES (1), (2)")

	server := fmt.Sprintf("blitz serve (pid %d) serves it on %s", p.cmd.Process.Pid, p.addr)
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"serve", "-d", dir, "--listen", "127.0.0.1:0"}},
		{"SELECT * FROM t;\n", []string{"sql", "-d", dir}},
		{"", []string{"check", "-d", dir}},
		{"", []string{"check", "-d", dir, "t"}},
		{"", []string{"repair", "-d", dir, "t"}},
	} {
		code, out, errs := runProc(t, c.stdin, c.args...)
		if code != ExitFailed || !strings.Contains(errs, "database "+dir+" is locked by another process") || !strings.Contains(errs, server) {
			t.Errorf("blitz %s while serve runs: exit %d, want %d naming %s and %q\nstdout: %s\nstderr: %s",
				strings.Join(c.args, " "), code, ExitFailed, dir, server, out, errs)
		}
	}
	backup := filepath.Join(root, "backup")
	if code, out, errs := runProc(t, "", "backup", "-d", dir, "--to", backup); code != ExitOK || !strings.Contains(out, "via server: "+p.addr) {
		t.Errorf("backup while serve runs: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runProc(t, "", "restore", "-d", dir, "--from", backup); code != ExitFailed || !strings.Contains(errs, dir) {
		t.Errorf("restore into the served directory: exit %d\n%s%s", code, out, errs)
	}
	// Reading the update log (read-only, no lock) works beside a server.
	if code, out, errs := runProc(t, "", "ulog", "dump", ulogDir); code != ExitOK || !strings.Contains(out, "create_table") {
		t.Errorf("ulog dump while serve runs: exit %d\n%s%s", code, out, errs)
	}
	// The server was not disturbed.
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("server after the other commands: count %d, %v", n, err)
	}
	// Without a server, the lock of another blitz process is named too.
	dir2 := filepath.Join(root, "quiet")
	if code, _, errs := run(t, "CREATE TABLE q (id INT PRIMARY KEY);\n", "sql", "-d", dir2); code != ExitOK {
		t.Fatalf("sql: exit %d %s", code, errs)
	}
	shell := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "--", "sql", "-d", dir2)
	shell.Env = append(os.Environ(), "BLITZ_SERVE_HELPER=1")
	in, err := shell.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	shellOut, err := shell.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); io.Copy(io.Discard, shellOut); shell.Wait() }()
	// The shell holds the database once it has answered a statement.
	in.Write([]byte("SELECT 1;\n"))
	if _, err := bufio.NewReader(shellOut).ReadString('\n'); err != nil {
		t.Fatalf("the shell did not answer: %v", err)
	}
	code, out, errs := runProc(t, "", "check", "-d", dir2)
	if code != ExitFailed || !containsAll(errs, "database "+dir2+" is locked by another process", "another blitz process") {
		t.Errorf("check while a shell has the database: exit %d\n%s%s", code, out, errs)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
