package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the CLI and returns its exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestBareBlitz: blitz without a command does nothing, so it is a usage
// error: the usage on stderr, exit 2. Help asked for is not an error.
func TestBareBlitz(t *testing.T) {
	code, out, errText := runCLI()
	if code != ExitUsage || out != "" || !strings.Contains(errText, "Available Commands:") {
		t.Errorf("blitz: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", code, out, errText)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"help", "file"}} {
		if code, out, _ := runCLI(args...); code != ExitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("blitz %s: exit %d, stdout %q", strings.Join(args, " "), code, out)
		}
	}
}

// TestErrorsNameThingsOnce: what the CLI prints after "blitz: " carries
// no library package prefix and names a path once.
func TestErrorsNameThingsOnce(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.bdf")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sql", "-d", notDir, "-e", "SELECT 1"}, "blitz: sql: create database directory: mkdir " + notDir + ": not a directory\n"},
		{[]string{"bench", "read", missing}, "blitz: stat " + missing + ": no such file or directory\n"},
		{[]string{"file", "get", notDir, "k"}, "blitz: corrupt data file " + notDir + " at offset 0: no valid header (not a blitz data file, or its header is destroyed)\n"},
	} {
		code, _, errText := runCLI(tc.args...)
		if code != ExitFailed || errText != tc.want {
			t.Errorf("blitz %s: exit %d, stderr\n%q\nwant exit 1 and\n%q", strings.Join(tc.args, " "), code, errText, tc.want)
		}
	}
}

// TestFileSalvageNotDataFile: salvaging a file that is not a blitz data
// file (no valid header, no record that verifies) is an error, exit 1,
// and leaves no destination that would look like a result.
func TestFileSalvageNotDataFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"text": "hello, not a data file\n", "empty": ""} {
		src, dst := filepath.Join(dir, name), filepath.Join(dir, name+".out.bdf")
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errText := runCLI("file", "salvage", src, dst)
		want := "blitz: salvage " + src + ": not a blitz data file (no valid header), and no record in it verifies: nothing to salvage\n"
		if code != ExitFailed || out != "" || errText != want {
			t.Errorf("salvage of %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", name, code, out, errText, want)
		}
		if _, err := os.Stat(dst); err == nil {
			t.Errorf("salvage of %s left %s", name, dst)
		}
	}
}
