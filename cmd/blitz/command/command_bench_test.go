package command

import (
	"path/filepath"
	"strings"
	"testing"
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
