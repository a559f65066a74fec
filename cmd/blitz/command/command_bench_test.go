package command

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

func TestBenchWriteRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.bdf")
	out := fileRun(t, ExitOK, "bench", "write", p, "5000", "1000")
	if !strings.Contains(out, "record number: 5000\n") || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("bench write: %q", out)
	}
	if out := fileRun(t, ExitOK, "bench", "read", p); !strings.Contains(out, "hits: 5000\n") {
		t.Fatalf("bench read: %q", out)
	}
	out = fileRun(t, ExitOK, "bench", "write", "-rnd", p, "5000")
	if strings.Contains(out, "record number: 5000\n") || !strings.Contains(out, "record number: ") {
		t.Fatalf("bench write -rnd (random keys repeat, so fewer records): %q", out)
	}
	if out := fileRun(t, ExitOK, "bench", "read", "-rnd", p); !strings.Contains(out, "hits: ") {
		t.Fatalf("bench read -rnd: %q", out)
	}
	if out := fileRun(t, ExitOK, "file", "get", p+"", "00000001"); out == "" {
		t.Fatal("no output")
	}
}

// TestBenchWriteRefusesTable checks that bench write, which replaces PATH,
// refuses a table's data file (with or without a server holding it) and a
// file another process has locked, and leaves it as it was.
func TestBenchWriteRefusesTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	fileRun(t, ExitOK, "sql", "-d", dir, "-e", "CREATE TABLE pl (id INT PRIMARY KEY)", "-e", "INSERT INTO pl VALUES (1), (2)")
	p := filepath.Join(dir, "pl.bdf")
	var out, errb bytes.Buffer
	if code := Main([]string{"bench", "write", p, "10"}, strings.NewReader(""), &out, &errb); code == ExitOK || !strings.Contains(errb.String(), "data file of table pl") {
		t.Fatalf("bench write on a table's file: exit %d, %q", code, errb.String())
	}
	if got := fileRun(t, ExitOK, "sql", "-d", dir, "-e", "SELECT COUNT(*) FROM pl"); got != "COUNT(*)\n2\n" {
		t.Fatalf("table after the refused bench write: %q", got)
	}

	q := filepath.Join(t.TempDir(), "b.bdf")
	fileRun(t, ExitOK, "bench", "write", q, "10")
	l, err := vfs.Default.Lock(q, true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	errb.Reset()
	if code := Main([]string{"bench", "write", q, "10"}, strings.NewReader(""), &out, &errb); code == ExitOK || !strings.Contains(errb.String(), "locked by another process") {
		t.Fatalf("bench write on a locked file: exit %d, %q", code, errb.String())
	}
}
