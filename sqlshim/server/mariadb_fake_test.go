package server

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const mariadbClient = "/usr/bin/mariadb"

// TestMariaDBClientConnects runs the stock client against the fake backend:
// the connect-time queries it sends must all be answered.
func TestMariaDBClientConnects(t *testing.T) {
	if _, err := exec.LookPath(mariadbClient); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", mariadbClient, err)
	}
	s := startServer(t, newFakeBackend(), Options{})
	host, port, _ := strings.Cut(s.Addr().String(), ":")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, mariadbClient, "--no-defaults", "--protocol=tcp", "-h", host, "-P", port, "-u", "root",
		"testdb", "-e", "select 1; select @@version_comment limit 1; \\s")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
