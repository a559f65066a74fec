package server

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
)

// TestWireInfo reads what vitess writes for an OK packet's info (the byte
// '#', then the text) as libmariadb does (a length byte, that many bytes,
// shown up to a NUL): the packet parses and the text shown is info.
func TestWireInfo(t *testing.T) {
	for _, info := range []string{"Statement prepared", "x", "Rows matched: 1  Changed: 1  Warnings: 0", strings.Repeat("a", 35)} {
		wire := "#" + wireInfo(info) // the packet's tail, as vitess writes it
		n := int(wire[0])
		if 1+n > len(wire) {
			t.Errorf("info %q: the client reads %d bytes of text, the packet holds %d: malformed", info, n, len(wire)-1)
			continue
		}
		shown, _, _ := strings.Cut(wire[1:], "\x00")
		if shown != info {
			t.Errorf("info %q: the client shows %q", info, shown)
		}
	}
	if wireInfo("") != "" {
		t.Error("an empty info is sent")
	}
}

// TestMariaDBClientOKInfo: the stock mariadb client, verbose, shows the
// info text of PREPARE's and UPDATE's OK packets as with MariaDB, and
// reports no malformed packet (error 2027).
func TestMariaDBClientOKInfo(t *testing.T) {
	if _, err := exec.LookPath(mariadbClient); err != nil {
		t.Skipf("%s is not installed (CI installs Debian's mariadb-client): %v", mariadbClient, err)
	}
	db, err := engine.Open(filepath.Join(t.TempDir(), "db"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, NewSQLShimBackend(db), Options{Database: "db"})
	host, port, _ := strings.Cut(s.Addr().String(), ":")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, mariadbClient, "--no-defaults", "--protocol=tcp", "-h", host, "-P", port, "-u", "root",
		"-vvv", "db", "-e", "PREPARE s FROM 'SELECT 1'; CREATE TABLE u (a INT); INSERT INTO u VALUES (1), (2); UPDATE u SET a = a + 1; EXECUTE s")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb: %v\n%s", err, out)
	}
	for _, want := range []string{"\nStatement prepared\n", "\nRows matched: 2  Changed: 2  Warnings: 0\n", "1 row in set"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("mariadb -vvv output lacks %q:\n%s", want, out)
		}
	}
}
