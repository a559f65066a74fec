package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/ulog"
)

func TestUlogDumpAndVerify(t *testing.T) {
	dir := t.TempDir()
	l, err := ulog.Open(dir, ulog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l.Append([]ulog.Op{{Kind: ulog.OpPut, Table: "t1", Key: []byte("k1"), Value: []byte("row one")}}, t0)
	l.Append([]ulog.Op{{Kind: ulog.OpDelete, Table: "t1", Key: []byte("k1")}}, t0.Add(time.Minute))
	l.Close()

	code, out, errs := run(t, "", "ulog", "dump", dir)
	if code != ExitOK || strings.Count(out, "\n") != 2 ||
		!strings.Contains(out, "1\t2026-11-23T10:00:00Z\tput\tt1\t") ||
		!strings.Contains(out, "2\t2026-11-23T10:01:00Z\tdelete\tt1\t") {
		t.Fatalf("dump: code %d\n%s%s", code, out, errs)
	}
	code, out, _ = run(t, "", "ulog", "dump", "--since", "2026-11-23T10:00:30Z", dir)
	if code != ExitOK || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "2\t") {
		t.Fatalf("dump --since: code %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "ulog", "verify", dir)
	if code != ExitOK || !strings.Contains(out, "records: 2") || !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("verify: code %d\n%s", code, out)
	}

	// Damage the first frame: verify names the file and exits 1; dump stops with 1.
	seg := filepath.Join(dir, "00000000000000000001.ulog")
	data, _ := os.ReadFile(seg)
	data[ulog.HeaderSize+ulog.FrameHeaderSize+3] ^= 0x55
	os.WriteFile(seg, data, 0o644)
	code, out, _ = run(t, "", "ulog", "verify", dir)
	if code != ExitFailed || !strings.Contains(out, "damaged: "+seg+" at offset 16") {
		t.Fatalf("verify damaged: code %d\n%s", code, out)
	}
	code, _, errs = run(t, "", "ulog", "dump", dir)
	if code != ExitFailed || !strings.Contains(errs, "offset 16") {
		t.Fatalf("dump damaged: code %d, stderr %q", code, errs)
	}
	if code, _, _ := run(t, "", "ulog", "dump"); code != ExitUsage {
		t.Fatalf("dump without DIR: code %d", code)
	}
}

// TestUlogArgIsNotALog: blitz ulog verify and dump given something other
// than an update-log directory say what it is and exit 1, instead of
// reporting an empty log as ok; a database directory that keeps its log
// inside (DIR/ulog) is read through it.
func TestUlogArgIsNotALog(t *testing.T) {
	root := t.TempDir()
	sqlRun := sqlRunner(t)
	plain := filepath.Join(root, "plain")
	sqlRun(plain, nil, "CREATE TABLE t (id INT PRIMARY KEY)")
	withLog := filepath.Join(root, "withlog")
	sqlRun(withLog, []string{"--ulog", filepath.Join(withLog, "ulog")}, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	other := filepath.Join(root, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	for _, c := range []struct{ path, want string }{
		{plain, plain + " is a database directory, not an update log"},
		{file, file + " is a file"},
		{filepath.Join(root, "nonexistent"), filepath.Join(root, "nonexistent") + " does not exist"},
		{other, other + " holds no update-log segments"},
	} {
		for _, verb := range []string{"verify", "dump"} {
			code, out, errs := run(t, "", "ulog", verb, c.path)
			if code != ExitFailed || out != "" || !strings.Contains(errs, c.want) {
				t.Errorf("ulog %s %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", verb, c.path, code, out, errs, c.want)
			}
		}
	}
	code, out, errs := run(t, "", "ulog", "verify", withLog)
	if code != ExitOK || !strings.HasPrefix(out, "update log: "+filepath.Join(withLog, "ulog")) || !strings.Contains(out, "records: 2\n") {
		t.Errorf("ulog verify of a database keeping its log inside: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "", "ulog", "dump", withLog)
	if code != ExitOK || strings.Count(out, "\n") != 3 || !strings.Contains(errs, "is a database directory") {
		t.Errorf("ulog dump of a database keeping its log inside: exit %d\n%s%s", code, out, errs)
	}
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	if code, out, _ := run(t, "", "ulog", "verify", empty); code != ExitOK || !strings.Contains(out, "empty") {
		t.Errorf("ulog verify of an empty directory: exit %d\n%s", code, out)
	}
}
