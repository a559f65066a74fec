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
