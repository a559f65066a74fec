package server

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
)

// TestMariaDBClientScripts runs each testdata/serve/*.sql through the real
// mariadb client against a server on a fresh database and compares what the
// client prints with the .expected file beside it. BLITZ_UPDATE_GOLDEN=1
// rewrites the .expected files. A script whose first line is
// "-- client: ARGS" runs with those client options too (-vvv prints each
// statement's "Query OK" and info text, --column-type-info the result
// metadata); the times the client prints read "(X sec)".
func TestMariaDBClientScripts(t *testing.T) {
	if _, err := exec.LookPath(mariadbClient); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", mariadbClient, err)
	}
	scripts, err := filepath.Glob("../../testdata/serve/*.sql")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts in testdata/serve: %v", err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".sql")
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "e2e")
			db, err := engine.Open(dir, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := startServer(t, NewSQLShimBackend(db), Options{Database: "e2e", MaxPacket: 16 << 20})
			host, port, _ := strings.Cut(s.Addr().String(), ":")
			in, err := os.Open(script)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := []string{"--no-defaults", "--protocol=tcp", "-h", host, "-P", port,
				"-u", "root", "--table", "--force", "--unbuffered", "--local-infile=1"}
			args = append(append(args, clientArgs(t, script)...), "e2e")
			cmd := exec.CommandContext(ctx, mariadbClient, args...)
			cmd.Dir = filepath.Dir(script) // LOAD DATA LOCAL paths are relative to it
			var out bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &out, &out
			err = cmd.Run()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatalf("mariadb: %v", err)
			}
			expected := strings.TrimSuffix(script, ".sql") + ".expected"
			if os.Getenv("BLITZ_UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(expected, elapsed.ReplaceAll(out.Bytes(), []byte("(X sec)")), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(expected)
			if err != nil {
				t.Fatalf("%v (run with BLITZ_UPDATE_GOLDEN=1 to create it)", err)
			}
			if got := elapsed.ReplaceAllString(out.String(), "(X sec)"); got != string(want) {
				t.Errorf("mariadb output differs from %s\n--- got\n%s\n--- want\n%s", expected, got, want)
			}
		})
	}
}

// elapsed matches the time the mariadb client prints after a statement.
var elapsed = regexp.MustCompile(`\(\d+\.\d+ sec\)`)

// clientArgs returns the options on script's "-- client:" first line.
func clientArgs(t *testing.T, script string) []string {
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	args, ok := strings.CutPrefix(first, "-- client:")
	if !ok {
		return nil
	}
	return strings.Fields(args)
}
