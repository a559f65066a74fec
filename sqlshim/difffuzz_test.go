package sqlshim

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
)

// TestDiffFuzz is a differential tester: it generates random SELECTs
// (difffuzz_gen_test.go) over a few small tables, runs each in blitz and
// in a private MariaDB, and reports every query whose output differs:
// result rows as the mariadb client prints them in batch mode, the error
// code when a query fails (a failure with the same code in both is a
// match; the messages are shown, not compared), and, when asked,
// @@warning_count after the query.
//
// It needs minutes and a mariadbd, so it runs only when asked:
//
//	BLITZ_DIFFFUZZ=300 go test ./sqlshim -run TestDiffFuzz
//
// BLITZ_DIFFFUZZ is the number of queries; BLITZ_DIFFFUZZ_SEED replays a
// seed (the test prints the one it used); BLITZ_DIFFFUZZ_MAX is the number
// of mismatches after which it stops (default 10); BLITZ_DIFFFUZZ_WARNINGS=1
// compares the warning counts too (they are always shown).
func TestDiffFuzz(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BLITZ_DIFFFUZZ"))
	if n <= 0 {
		t.Skip("BLITZ_DIFFFUZZ=N (number of queries) runs the differential tester against MariaDB")
	}
	maxBad := 10
	if v, err := strconv.Atoi(os.Getenv("BLITZ_DIFFFUZZ_MAX")); err == nil && v > 0 {
		maxBad = v
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("BLITZ_DIFFFUZZ_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("BLITZ_DIFFFUZZ_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("seed %d (replay with BLITZ_DIFFFUZZ_SEED=%d BLITZ_DIFFFUZZ=%d)", seed, seed, n)

	g := newQueryGen(seed)
	queries := make([]string, n)
	for i := range queries {
		queries[i] = g.query()
	}

	sock := startPrivateMariaDB(t)
	var script strings.Builder
	script.WriteString(diffFuzzFixture)
	for i, q := range queries {
		script.WriteString(diffFuzzStep(i, q))
	}
	start := time.Now()
	want := splitDiffFuzzOutput(runMariaDBClient(t, sock, script.String()))
	t.Logf("MariaDB ran %d queries in %v", n, time.Since(start).Round(time.Millisecond))

	db, err := engine.Open(filepath.Join(t.TempDir(), "test"), engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sess := NewSession(db)
	var fixOut bytes.Buffer
	if _, err := (&Shell{Session: sess, Out: &fixOut, Err: &fixOut, Force: true}).Run(context.Background(), strings.NewReader(diffFuzzFixture)); err != nil || fixOut.Len() > 0 {
		t.Fatalf("fixture in blitz: %v\n%s", err, fixOut.String())
	}
	warnings := os.Getenv("BLITZ_DIFFFUZZ_WARNINGS") != ""
	start = time.Now()
	bad := 0
	for i, q := range queries {
		got, hung := runBlitzStep(sess, diffFuzzStep(i, q))
		w := want[i]
		if hung {
			t.Errorf("seed %d query %d hangs in blitz (no answer in %v):\n%s", seed, i, diffFuzzTimeout, q)
			return // the statement still runs: the session is not usable
		}
		if normalizeDiffFuzz(got, warnings) != normalizeDiffFuzz(w, warnings) {
			bad++
			t.Errorf("seed %d query %d differs:\n%s\n--- MariaDB:\n%s--- blitz:\n%s", seed, i, q, w, got)
			if bad >= maxBad {
				t.Logf("stopping after %d mismatches", bad)
				break
			}
		}
	}
	t.Logf("blitz ran the queries in %v; %d mismatches", time.Since(start).Round(time.Millisecond), bad)
}

// diffFuzzTimeout is how long one query may take in blitz before the test
// calls it a hang.
const diffFuzzTimeout = 30 * time.Second

// diffFuzzStep is the script text of query i: a statement that reads a
// table and prints nothing, so that the diagnostics area starts empty
// (diagnostics.go), the query, and a marker that ends its output and
// shows its warning count.
func diffFuzzStep(i int, q string) string {
	return fmt.Sprintf("SELECT 1 FROM t1 WHERE 0;\n%s;\nSELECT 'dfz:%d' AS m, @@warning_count AS w;\n", q, i)
}

// runBlitzStep runs one step's script through the shell, as `blitz sql
// --force` would, and returns what it printed; hung is set when it did
// not finish within diffFuzzTimeout.
func runBlitzStep(sess *Session, step string) (out string, hung bool) {
	ctx, cancel := context.WithTimeout(context.Background(), diffFuzzTimeout)
	defer cancel()
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		sh := &Shell{Session: sess, Out: &buf, Err: &buf, Force: true}
		if _, err := sh.Run(ctx, strings.NewReader(step)); err != nil {
			fmt.Fprintf(&buf, "shell: %v\n", err)
		}
	}()
	select {
	case <-done:
		return buf.String(), false
	case <-time.After(diffFuzzTimeout + 5*time.Second):
		return "", true
	}
}

var diffFuzzErrLine = regexp.MustCompile(`(?m)^ERROR (\d+) \(\w+\) at line \d+: .*$`)

// normalizeDiffFuzz keeps only the code of each error line: line numbers
// differ (MariaDB runs one script, blitz one step at a time) and messages
// are not compared. The warning count is compared only when warnings is
// set.
func normalizeDiffFuzz(s string, warnings bool) string {
	s = diffFuzzErrLine.ReplaceAllString(s, "ERROR $1")
	if !warnings {
		s = diffFuzzMarker.ReplaceAllString(s, "dfz:$1\n")
	}
	return s
}

var diffFuzzMarker = regexp.MustCompile(`(?m)^dfz:(\d+)\t\d+\n`)

// splitDiffFuzzOutput cuts the client's output at the markers: element i
// is what query i's step printed, its marker included.
func splitDiffFuzzOutput(out string) map[int]string {
	steps := map[int]string{}
	prev := 0
	for _, m := range diffFuzzMarker.FindAllStringSubmatchIndex(out, -1) {
		i, _ := strconv.Atoi(out[m[2]:m[3]])
		steps[i] = out[prev:m[1]]
		prev = m[1]
	}
	return steps
}

// startPrivateMariaDB starts a mariadbd of the test's own on a socket in a
// temporary directory, without networking, configured as
// testdata/sql/regen.sh configures the one that writes the corpus
// results, and stops it when the test ends. It returns the socket path.
func startPrivateMariaDB(t *testing.T) string {
	t.Helper()
	mariadbd, installDB := findProgram(t, "mariadbd"), findProgram(t, "mariadb-install-db")
	mariadbClient = findProgram(t, "mariadb")
	// Not t.TempDir: a socket path must fit in 108 bytes.
	tmp, err := os.MkdirTemp("", "difffuzz")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	install := exec.Command(installDB, "--no-defaults", "--datadir="+tmp+"/data",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	sock := tmp + "/sock"
	var log bytes.Buffer
	srv := exec.Command(mariadbd, "--no-defaults", "--datadir="+tmp+"/data", "--socket="+sock,
		"--skip-networking", "--pid-file="+tmp+"/pid", "--user="+currentUser(),
		"--default-storage-engine=InnoDB", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin")
	srv.Stdout, srv.Stderr = &log, &log
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
	})
	for i := 0; ; i++ {
		if exec.Command(mariadbClient, "--no-defaults", "-S", sock, "-uroot", "-e", "SELECT 1").Run() == nil {
			break
		}
		if i > 120 {
			t.Fatalf("mariadbd did not start:\n%s", log.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	if out, err := exec.Command(mariadbClient, "--no-defaults", "-S", sock, "-uroot", "-e", "CREATE DATABASE test").CombinedOutput(); err != nil {
		t.Fatalf("create database: %v\n%s", err, out)
	}
	return sock
}

// mariadbClient is the path of the mariadb client (startPrivateMariaDB).
var mariadbClient = "mariadb"

// findProgram is the path of prog, looked for on PATH and in the sbin
// directories Debian installs mariadbd in; the test is skipped without it.
func findProgram(t *testing.T, prog string) string {
	if p, err := exec.LookPath(prog); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, prog); fileExists(p) {
			return p
		}
	}
	t.Skipf("%s is not installed (apt-get install mariadb-server mariadb-client)", prog)
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func currentUser() string {
	out, err := exec.Command("id", "-un").Output()
	if err != nil {
		return "root"
	}
	return strings.TrimSpace(string(out))
}

// runMariaDBClient runs script as regen.sh runs a corpus file: `mariadb
// --batch --force`, errors interleaved with the results.
func runMariaDBClient(t *testing.T, sock, script string) string {
	t.Helper()
	cmd := exec.Command(mariadbClient, "--no-defaults", "-S", sock, "-uroot", "--batch", "--force", "--unbuffered",
		"--init-command=SET collation_connection = utf8mb4_bin", "--skip-print-query-on-error", "test")
	var out bytes.Buffer
	cmd.Stdin = strings.NewReader(script)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Run() // with --force, the exit status is that of the last error
	return out.String()
}
