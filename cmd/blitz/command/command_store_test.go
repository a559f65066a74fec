package command

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/ulog"
)

func TestStorePushFetchList(t *testing.T) {
	root := t.TempDir()
	bdir, udir, store := filepath.Join(root, "backup"), filepath.Join(root, "ulog"), filepath.Join(root, "store")
	os.MkdirAll(bdir, 0o755)
	files := map[string]string{
		"t.bdf":       strings.Repeat("rows ", 200),
		"t.def":       `{"name":"t"}`,
		"t.by_v.bix":  strings.Repeat("index ", 100),
		"t.by_v.sum":  "sum",
		"BACKUP.json": `{"format":1,"ulog_seq":3}`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(bdir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := ulog.Open(udir, ulog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		l.Append([]ulog.Op{{Kind: ulog.OpPut, Table: "t", Key: []byte(fmt.Sprint(i)), Value: []byte("v")}}, time.Time{})
	}
	l.Close()
	url := "file://" + store

	code, out, errs := run(t, "", "store", "push", "--to", url, "--backup", bdir, "--ulog", udir)
	if code != ExitOK || !strings.Contains(out, "files: 5 sent") || !strings.Contains(out, "records 1..3") {
		t.Fatalf("push: code %d\n%s%s", code, out, errs)
	}
	first := strings.Fields(out)[1]
	// A second push sends nothing but the manifest.
	code, out, errs = run(t, "", "store", "push", "--to", url, "--backup", bdir, "--ulog", udir)
	if code != ExitOK || !strings.Contains(out, "files: 0 sent (0 bytes), 5 already in the store") ||
		!strings.Contains(out, "update log: 0 bytes sent in 0 pieces") {
		t.Fatalf("second push: code %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "", "store", "list", url)
	if code != ExitOK || strings.Count(out, "\n") != 2 || !strings.HasPrefix(out, first+"\t") || !strings.Contains(out, "5 files") {
		t.Fatalf("list: code %d\n%s%s", code, out, errs)
	}

	dest, udest := filepath.Join(root, "fetched"), filepath.Join(root, "fetched-ulog")
	code, out, errs = run(t, "", "store", "fetch", "--from", url, "--backup", first, "--to", dest, "--ulog-to", udest)
	if code != ExitOK || !strings.Contains(out, "backup "+first+" fetched") || !strings.Contains(out, "records 1..3") {
		t.Fatalf("fetch: code %d\n%s%s", code, out, errs)
	}
	for name, data := range files {
		if got, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(got) != data {
			t.Fatalf("fetched %s: %q %v", name, got, err)
		}
	}
	want, _ := os.ReadFile(filepath.Join(udir, "00000000000000000001.ulog"))
	if got, _ := os.ReadFile(filepath.Join(udest, "00000000000000000001.ulog")); !bytes.Equal(got, want) {
		t.Fatal("fetched update log differs")
	}

	// Errors: usage (exit 2) and failures (exit 1) with a message naming the problem.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"store", "push", "--backup", bdir}, ExitUsage, "--to URL"},
		{[]string{"store", "fetch", "--from", url}, ExitUsage, "--to DIR"},
		{[]string{"store", "list"}, ExitUsage, "want 1 argument"},
		{[]string{"store", "fetch", "--from", "file://" + filepath.Join(root, "nope"), "--to", filepath.Join(root, "x")}, ExitFailed, "does not exist"},
		{[]string{"store", "fetch", "--from", url, "--to", dest}, ExitFailed, "not empty"},
		{[]string{"store", "list", "nosuch://bucket"}, ExitFailed, "not supported"},
		{[]string{"store", "push", "--to", url, "--backup", root}, ExitFailed, "no BACKUP.json"},
	} {
		code, _, errs := run(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: code %d, stderr %q (want %d, %q)", c.args, code, errs, c.code, c.want)
		}
	}
}
