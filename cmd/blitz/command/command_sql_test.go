package command

import (
	"bufio"
	"bytes"
	"database/sql"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSQLBatchOutputAndErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	script := "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(10));\n" +
		"INSERT INTO t VALUES (1, 'x\\ty'), (2, NULL);\n" +
		"INSERT INTO t VALUES (1, 'dup');\n" +
		"SELECT * FROM t ORDER BY a;\n"
	code, out, errs := run(t, script, "sql", "-d", dir)
	if code != ExitFailed || out != "" || errs != "ERROR 1062 (23000) at line 3: Duplicate entry '1' for key 'PRIMARY'\n" {
		t.Fatalf("stop at error: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run(t, "", "sql", "-d", dir, "--force", "-e", "INSERT INTO t VALUES (1, 'dup')", "-e", "SELECT * FROM t ORDER BY a")
	if code != ExitFailed || out != "a\tb\n1\tx\\ty\n2\tNULL\n" || !strings.HasPrefix(errs, "ERROR 1062 (23000) at line 1:") {
		t.Fatalf("--force: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run(t, "", "sql", "-d", dir, "--table", "-e", "SELECT a FROM t WHERE a = 2")
	if code != ExitOK || !strings.Contains(out, "+---+\n| a |\n+---+\n| 2 |\n+---+\n1 row in set") {
		t.Fatalf("--table: code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestSQLFileAndUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	f := filepath.Join(t.TempDir(), "s.sql")
	os.WriteFile(f, []byte("SELECT 1 + 1 AS two;\nSELECT 'a';"), 0o644)
	code, out, errs := run(t, "", "sql", "-d", dir, f)
	if code != ExitOK || out != "two\n2\na\na\n" {
		t.Fatalf("file: code %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, _ := run(t, "", "sql", f); code != ExitUsage {
		t.Fatalf("missing -d: code %d", code)
	}
}

// TestSQLDemo runs testdata/demo.sql, the README's main command.
func TestSQLDemo(t *testing.T) {
	code, out, errs := run(t, "", "sql", "-d", filepath.Join(t.TempDir(), "demo"), "../../../testdata/demo.sql")
	if code != ExitOK || errs != "" || !strings.Contains(out, "CRASH_SAFE") || !strings.Contains(out, "\tconst\t") || !strings.Contains(out, "\trange\t") {
		t.Fatalf("demo: code %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}

// TestSQLStreamingStdin drives the shell through a pipe one statement at a
// time: each answer must arrive before the next statement is written.
func TestSQLStreamingStdin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int)
	go func() {
		done <- Main([]string{"sql", "-d", dir}, inR, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewReader(outR)
	ask := func(stmt, want string) {
		t.Helper()
		if _, err := io.WriteString(inW, stmt); err != nil {
			t.Fatal(err)
		}
		got := make(chan string)
		go func() {
			var b strings.Builder
			for b.Len() < len(want) {
				l, err := lines.ReadString('\n')
				b.WriteString(l)
				if err != nil {
					break
				}
			}
			got <- b.String()
		}()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("%q: got %q, want %q", stmt, g, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%q: no answer before the next statement", stmt)
		}
	}
	ask("CREATE TABLE t (a INT PRIMARY KEY);\nINSERT INTO t VALUES (7);\nSELECT a\n", "")
	ask(" FROM t;\n", "a\n7\n")
	ask("SELECT COUNT(*) FROM t;\n", "COUNT(*)\n1\n")
	inW.Close()
	if code := <-done; code != ExitOK {
		t.Fatalf("exit code %d", code)
	}
}

// TestSQLMemoryBudget: --memory-budget sets the session's
// blitz_memory_budget; a bad size is a usage error.
func TestSQLMemoryBudget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	code, out, errs := run(t, "", "sql", "-d", dir, "--memory-budget", "128K", "-e", "SELECT @@blitz_memory_budget", "-e", "SET blitz_memory_budget = 2097152", "-e", "SELECT @@blitz_memory_budget")
	if code != ExitOK || out != "@@blitz_memory_budget\n131072\n@@blitz_memory_budget\n2097152\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, bad := range []string{"lots", "-5", "0"} {
		if code, _, errs := run(t, "", "sql", "-d", dir, "--memory-budget", bad, "-e", "SELECT 1"); code != ExitUsage || !strings.Contains(errs, "--memory-budget") {
			t.Errorf("--memory-budget %s: code %d, stderr %q", bad, code, errs)
		}
	}
}

// TestSQLReportsRecovery: what recovery did at open (a salvage that
// dropped damaged records, a table left crashed) reaches standard error,
// as blitz serve logs it, instead of passing in silence.
func TestSQLReportsRecovery(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	if code, _, errs := run(t, "", "sql", "-d", dir, "-e", "CREATE TABLE p (id INT PRIMARY KEY, v VARCHAR(100)) ENGINE=BLITZDB"); code != ExitOK {
		t.Fatalf("create: %d %s", code, errs)
	}
	// A copy of the files taken while a writer has them open is what a
	// kill -9 leaves: the data file's open flag set.
	db, err := sql.Open("blitz", dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := db.Exec("INSERT INTO p VALUES (?, REPEAT('v', 90))", i); err != nil {
			t.Fatal(err)
		}
	}
	crashed := filepath.Join(t.TempDir(), "crashed")
	if err := os.MkdirAll(crashed, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() || e.Name() == "LOCK" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "p.bdf" {
			i := bytes.Index(b, []byte("vvvvvvvvvv")) // the first record, intact ones after it
			if i < 0 {
				t.Fatal("no record found in p.bdf")
			}
			b[i+5] ^= 0xff
		}
		if err := os.WriteFile(filepath.Join(crashed, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	code, out, errs := run(t, "", "sql", "-d", crashed, "-e", "SELECT COUNT(*) > 0 FROM p")
	if code != ExitFailed || !strings.Contains(errs, "ERROR 1194") || !strings.Contains(errs, "table needs repair") {
		t.Fatalf("without --auto-recover: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = run(t, "", "sql", "-d", crashed, "--auto-recover", "-e", "SELECT COUNT(*) > 0 FROM p")
	if code != ExitOK || out != "COUNT(*) > 0\n1\n" || !strings.Contains(errs, "data file salvaged") || !strings.Contains(errs, "table=p") {
		t.Fatalf("--auto-recover: code %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestSQLInterrupt: Ctrl-C (SIGINT) in blitz sql interrupts the running
// statement (a SLEEP fails at once with 1317, as DDL does: see
// sqlshim/server TestInterruptDDL), ends the shell even with --force (the
// next statement does not run) with "interrupted" and exit 1, and closes
// the database cleanly.
func TestSQLInterrupt(t *testing.T) {
	// The test's own handler keeps SIGINT from ending the test binary at
	// any moment, the command's included.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	dir := filepath.Join(t.TempDir(), "db")
	if code, _, errs := run(t, "", "sql", "-d", dir, "-e", "CREATE TABLE t (a INT PRIMARY KEY)", "-e", "INSERT INTO t VALUES (1)"); code != ExitOK {
		t.Fatalf("setup: %d %s", code, errs)
	}
	type result struct {
		code      int
		out, errs string
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		code, out, errs := run(t, "", "sql", "-d", dir, "--force", "-e", "SELECT SLEEP(30)", "-e", "INSERT INTO t VALUES (2)")
		done <- result{code, out, errs}
	}()
	var r result
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case r = <-done:
			break wait
		case <-tick.C:
			if time.Since(start) > 20*time.Second {
				t.Fatal("blitz sql did not stop on SIGINT")
			}
			syscall.Kill(os.Getpid(), syscall.SIGINT) // until the command has its handler
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("blitz sql stopped %v after the first SIGINT", d)
	}
	if r.code != ExitFailed || r.out != "" || !strings.Contains(r.errs, "ERROR 1317 (70100)") || !strings.Contains(r.errs, "sql: interrupted") {
		t.Errorf("interrupted: code %d, stdout %q, stderr %q", r.code, r.out, r.errs)
	}
	code, out, errs := run(t, "", "sql", "-d", dir, "-e", "SELECT COUNT(*) FROM t")
	if code != ExitOK || out != "COUNT(*)\n1\n" || errs != "" {
		t.Errorf("after the interrupted shell: code %d, stdout %q, stderr %q (want 1 row, the INSERT after the interrupt not run, no recovery)", code, out, errs)
	}
}

// TestSQLSkipColumnNames: -N (--skip-column-names) prints results without
// their column names, as the mariadb client does in batch, boxed (-t,
// columns as wide as the values) and vertical (\G: values alone) output.
func TestSQLSkipColumnNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	for _, c := range []struct {
		args []string
		in   string
		want string
	}{
		{[]string{"-N", "-e", "SELECT 1 AS abcdef, 'xy' AS b", "-e", "SELECT 2"}, "", "1\txy\n2\n"},
		{[]string{"--skip-column-names", "-e", "SELECT 3 AS c"}, "", "3\n"},
		{[]string{"-N", "-t", "-e", "SELECT 1 AS abcdef, 'xy' AS b"}, "", "+---+----+\n| 1 | xy |\n+---+----+\n1 row in set (X sec)\n\n"},
		{[]string{"-N"}, "SELECT 1 AS abcdef, 2 AS g\\G\n", "*************************** 1. row ***************************\n1\n2\n"},
		{nil, "SELECT 1 AS abcdef;\n", "abcdef\n1\n"},
	} {
		code, out, errs := run(t, c.in, append([]string{"sql", "-d", dir}, c.args...)...)
		out = regexp.MustCompile(`\(\d+\.\d+ sec\)`).ReplaceAllString(out, "(X sec)")
		if code != ExitOK || out != c.want || errs != "" {
			t.Errorf("blitz sql %q: code %d, stdout %q (want %q), stderr %q", c.args, code, out, c.want, errs)
		}
	}
}

// TestSQLMissingDefinition: blitz sql on a directory whose t.def was
// deleted after t got rows: SHOW TABLES still lists t, reading it is 1194
// saying t.def is missing, CREATE TABLE t and RENAME TABLE x TO t are
// refused (1005, 1025) and t.bdf is left as it was; DROP TABLE IF EXISTS t
// removes it, and CREATE TABLE t then makes an empty table. Before, the
// CREATE TABLE replaced the rows with an empty table without a word.
func TestSQLMissingDefinition(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	if code, _, errs := run(t, "", "sql", "-d", dir, "-e", "CREATE TABLE t (id INT PRIMARY KEY, v INT, KEY vi (v))",
		"-e", "INSERT INTO t VALUES (1, 1), (2, 2)", "-e", "CREATE TABLE x (a INT)"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if err := os.Remove(filepath.Join(dir, "t.def")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "t.bdf"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "sql", "-d", dir, "--force", "-e", "SHOW TABLES", "-e", "SELECT * FROM t",
		"-e", "CREATE TABLE t (id INT PRIMARY KEY, v INT)", "-e", "RENAME TABLE x TO t")
	if code != ExitFailed || out != "Tables_in_db\nt\nx\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, want := range []string{
		"ERROR 1194 (HY000) at line 2: Table 't' is marked as crashed and should be repaired (its definition file t.def is missing (its data file t.bdf is still there): restore t.def from a backup",
		"ERROR 1005 (HY000) at line 3: Can't create table `db`.`t` (errno: 184 \"Tablespace already exists\"): the data file t.bdf is there without its definition file t.def",
		"ERROR 1025 (HY000) at line 4: Error on rename of './db/x' to './db/t' (errno: 184 \"Tablespace already exists\")",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "t.bdf")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("t.bdf changed (%v)", err)
	}
	code, out, errs = run(t, "", "sql", "-d", dir, "-e", "DROP TABLE IF EXISTS t", "-e", "CREATE TABLE t (id INT PRIMARY KEY, v INT)",
		"-e", "SELECT COUNT(*) FROM t", "-e", "SHOW TABLES")
	if code != ExitOK || out != "COUNT(*)\n0\nTables_in_db\nt\nx\n" {
		t.Fatalf("DROP TABLE IF EXISTS, CREATE TABLE: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "t.vi.bix")); err == nil {
		t.Errorf("t.vi.bix, an index file of the dropped table, is still there")
	}
}
