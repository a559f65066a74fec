package command

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestKill9UntouchedTableNotCrashed: after a kill -9 of blitz serve, a plain
// table that was created but never written (and one only read since the
// last clean close) opens without repair, while a table written before the
// kill is still reported crashed.
func TestKill9UntouchedTableNotCrashed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	if code, out, errs := run(t, "", "sql", "-d", dir, "-e", "CREATE TABLE old (id INT PRIMARY KEY) ENGINE = BLITZDB",
		"-e", "INSERT INTO old VALUES (1), (2)"); code != ExitOK {
		t.Fatalf("sql: exit %d\n%s%s", code, out, errs)
	}
	p := startServe(t, dir)
	db := p.open(t, "db")
	mustExec(t, db, "CREATE TABLE empty (id INT PRIMARY KEY, v TEXT, KEY (v(10))) ENGINE = BLITZDB")
	mustExec(t, db, "CREATE TABLE written (id INT PRIMARY KEY, v INT) ENGINE = BLITZDB")
	mustExec(t, db, "INSERT INTO written VALUES (1, 1)")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM old").Scan(&n); err != nil || n != 2 {
		t.Fatalf("read old: %d %v", n, err)
	}
	p.cmd.Process.Kill()
	p.wait(t, 10e9)

	code, out, _ := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "written: FAILED\n") || !strings.Contains(out, "empty: OK\n") || !strings.Contains(out, "old: OK\n") {
		t.Fatalf("check after kill -9: exit %d, stdout %q", code, out)
	}
	code, out, errs := run(t, "", "sql", "-d", dir, "-e", "INSERT INTO empty VALUES (1, 'a')", "-e", "SELECT id, v FROM empty WHERE v = 'a'",
		"-e", "SELECT COUNT(*) FROM old")
	if code != ExitOK || out != "id\tv\n1\ta\nCOUNT(*)\n2\n" {
		t.Fatalf("untouched tables after kill -9: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = run(t, "", "sql", "-d", dir, "-e", "SELECT * FROM written")
	if code != ExitFailed || !strings.Contains(errs, "ERROR 1194") {
		t.Fatalf("written table after kill -9: exit %d, stderr %q; want error 1194", code, errs)
	}
}
