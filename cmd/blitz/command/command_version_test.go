package command

import (
	"bytes"
	"strings"
	"testing"
)

// run runs the CLI in-process and returns its exit code and output.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "", "version")
	if code != ExitOK || !strings.HasPrefix(out, "blitz ") {
		t.Fatalf("version: code %d, output %q", code, out)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	code, _, errs := run(t, "", "no-such-command")
	if code != ExitUsage || errs == "" {
		t.Fatalf("unknown command: code %d, stderr %q", code, errs)
	}
}

// TestGroupWithoutSubcommand: blitz file, store, ulog and bench without a
// subcommand, or with one they lack, and blitz help of no command, are
// usage errors naming what there is, not a help page and exit 0.
func TestGroupWithoutSubcommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"file"}, "file: name a subcommand: check, delete, get, inform, list, optimize, put, repair, salvage"},
		{[]string{"store", "bogus"}, `store: unknown subcommand "bogus": want one of fetch, list, push`},
		{[]string{"ulog"}, "ulog: name a subcommand: dump, verify"},
		{[]string{"bench", "run"}, `bench: unknown subcommand "run"`},
		{[]string{"help", "nosuch"}, `help: no command "nosuch"`},
		{[]string{"help", "file", "nosuch"}, `help: no command "file nosuch"`},
	} {
		code, out, errs := run(t, "", c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("blitz %v: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", c.args, code, out, errs, ExitUsage, c.want)
		}
	}
	for _, args := range [][]string{{"help"}, {"help", "file"}, {"file", "--help"}} {
		if code, out, _ := run(t, "", args...); code != ExitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("blitz %v: exit %d, stdout %q", args, code, out)
		}
	}
}

// TestStrayArgumentNamed: a command that takes flags only names the
// argument it did not expect and shows its usage (cobra's own message
// called `blitz backup -d DIR DEST`'s DEST an unknown command).
func TestStrayArgumentNamed(t *testing.T) {
	for _, args := range [][]string{
		{"backup", "-d", t.TempDir(), "somewhere"},
		{"serve", "-d", t.TempDir(), "extra"},
		{"restore", "-d", t.TempDir(), "extra"},
		{"version", "extra"},
	} {
		code, _, errs := run(t, "", args...)
		stray := args[len(args)-1]
		if code != ExitUsage || !strings.Contains(errs, "unexpected argument \""+stray+"\"") || !strings.Contains(errs, "usage: blitz "+args[0]) {
			t.Errorf("blitz %s: code %d, stderr %q", strings.Join(args, " "), code, errs)
		}
	}
}
