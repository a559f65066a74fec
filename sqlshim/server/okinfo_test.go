package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
)

// TestOKInfoRewrite feeds the packets vitess writes to the rewrite, whole
// and a few bytes per write: an OK packet with '#' and the info becomes
// one with the info's length; a prepared statement's OK packet gets the
// info and the warning count; a packet that is not the one expected
// (an error, other text) goes out as it was.
func TestOKInfoRewrite(t *testing.T) {
	frame := func(body []byte) []byte {
		return append([]byte{byte(len(body)), byte(len(body) >> 8), byte(len(body) >> 16), 1}, body...)
	}
	ok := []byte{0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00} // 2 rows, autocommit, no warnings
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name, info string
		prepared   bool
		warnings   uint16
		in, want   []byte
	}{
		{"text", "Records: 2", false, 0, frame(append(append(ok[:7:7], '#'), "Records: 2"...)), frame(append(append(ok[:7:7], 10), "Records: 2"...))},
		{"text long", long, false, 0, frame(append(append(ok[:7:7], '#'), long...)), frame(append(append(ok[:7:7], 0xfc, 44, 1), long...))},
		{"prepared", "Rows matched: 1", true, 3, frame(ok), frame(append([]byte{0x00, 0x02, 0x00, 0x02, 0x00, 0x03, 0x00, 15}, "Rows matched: 1"...))},
		{"prepared warnings only", "", true, 2, frame(ok), frame([]byte{0x00, 0x02, 0x00, 0x02, 0x00, 0x02, 0x00})},
		{"other text", "Records: 2", false, 0, frame(append(append(ok[:7:7], '#'), "Records: 3"...)), frame(append(append(ok[:7:7], '#'), "Records: 3"...))},
		{"error packet", "Records: 2", false, 0, frame([]byte{0xff, 0x01, 0x02, '#', 'x'}), frame([]byte{0xff, 0x01, 0x02, '#', 'x'})},
	} {
		for _, step := range []int{1 << 20, 4, 3, 1} {
			var out bytes.Buffer
			sc := &serverConn{Conn: &captureConn{w: &out}}
			sc.patch.kind, sc.patch.info, sc.patch.prepared, sc.patch.warnings = patchOKInfo, tc.info, tc.prepared, tc.warnings
			tail := []byte{9, 9} // what follows the packet goes out as it is
			in := append(append([]byte{}, tc.in...), tail...)
			for i := 0; i < len(in); i += step {
				if n, err := sc.Write(in[i:min(i+step, len(in))]); err != nil || n != min(step, len(in)-i) {
					t.Fatalf("%s: Write: %d, %v", tc.name, n, err)
				}
			}
			if err := sc.endPatch(); err != nil {
				t.Fatal(err)
			}
			if want := append(append([]byte{}, tc.want...), tail...); !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s, %d bytes per write:\n got % x\nwant % x", tc.name, step, out.Bytes(), want)
			}
		}
	}
}

// captureConn is a net.Conn whose writes go to w.
type captureConn struct {
	net.Conn
	w io.Writer
}

func (c *captureConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// TestHandshakeOffersSessionTrack: the server's handshake offers
// CLIENT_SESSION_TRACK, as MariaDB's does (mysql2 then reads OK packets'
// info as a length-encoded string), and a client that takes it up is
// served as one that does not.
func TestHandshakeOffersSessionTrack(t *testing.T) {
	s := startSQLShim(t, Options{})
	for _, track := range []bool{true, false} {
		rc := rawDial(t, s.Addr().String(), "e2e", track)
		if rc.serverCaps&capSessionTrack == 0 {
			t.Fatalf("handshake capabilities %#x lack CLIENT_SESSION_TRACK", rc.serverCaps)
		}
		if got := rc.caps&capSessionTrack != 0; got != track {
			t.Fatalf("client took CLIENT_SESSION_TRACK: %v, want %v", got, track)
		}
		o, err := parseOK(rc.query(t, "DO 1", nil))
		if err != nil || o.info != "" || len(o.tail) != 0 {
			t.Errorf("DO 1: %v, %v", o, err)
		}
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
