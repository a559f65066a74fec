package sqlshim

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestShellClientCommands: the shell reads the mariadb client's own
// commands as that client does: \G shows a statement's rows vertically,
// \g ends a statement, and \q, quit or exit end the input; inside quotes
// and as part of a statement they are SQL. (The server's splitting of a
// multi-statement query knows none of them.)
func TestShellClientCommands(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1 AS a, NULL AS bb\\G\nSELECT 2;\n",
			"*************************** 1. row ***************************\n a: 1\nbb: NULL\n2\n2\n"},
		{"SELECT 1 AS x UNION SELECT 2\\G", "*************************** 1. row ***************************\nx: 1\n" +
			"*************************** 2. row ***************************\nx: 2\n"},
		{"SELECT 1 FROM DUAL WHERE 0\\G\nSELECT 3\\g SELECT 4;", "3\n3\n4\n4\n"},
		{"SELECT 1;\nquit\nSELECT 2;\n", "1\n1\n"},
		{"SELECT 1;\n  EXIT ;\nSELECT 2;\n", "1\n1\n"},
		{"SELECT 1; \\q SELECT 2;", "1\n1\n"},
		{"SELECT 1 \\q", "1\n1\n"},
		{"SELECT 'x\\\\G' AS v, 'quit' AS q;\nSELECT 1 AS quit;", "v\tq\nx\\\\G\tquit\nquit\n1\n"},
	} {
		var out, errb bytes.Buffer
		sh := &Shell{Session: newTestSession(t), Out: &out, Err: &errb}
		if _, err := sh.Run(context.Background(), strings.NewReader(tc.in)); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want || errb.Len() > 0 {
			t.Errorf("input %q:\nstdout %q\nstderr %q\nwant %q", tc.in, out.String(), errb.String(), tc.want)
		}
	}
	// A server's multi-statement text is SQL only: quit is an error there.
	s := newTestSession(t)
	if _, err := s.Exec(context.Background(), "SELECT 1; quit"); err == nil {
		t.Error("quit in a multi-statement query was taken as a client command")
	}
}

// TestShellBitDisplay: the boxed table and \G show a BIT value as its
// b'...' literal; batch output keeps its raw bytes, as mariadb --batch.
func TestShellBitDisplay(t *testing.T) {
	const setup = "CREATE TABLE b (f BIT(1), w BIT(10)); INSERT INTO b VALUES (1, b'1010'), (0, NULL);\n"
	for _, tc := range []struct {
		table bool
		in    string
		want  []string
	}{
		{true, "SELECT f, w FROM b;", []string{"| b'1' | b'1010' |", "| b'0' | NULL    |"}},
		{false, "SELECT f, w FROM b\\G", []string{"f: b'1'\nw: b'1010'\n", "f: b'0'\nw: NULL\n"}},
		{false, "SELECT f, w FROM b;", []string{"f\tw\n\x01\t\\0\\n\n\\0\tNULL\n"}},
	} {
		var out, errb bytes.Buffer
		sh := &Shell{Session: newTestSession(t), Out: &out, Err: &errb, Table: tc.table}
		if _, err := sh.Run(context.Background(), strings.NewReader(setup+tc.in)); err != nil || errb.Len() > 0 {
			t.Fatalf("%v %s", err, errb.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q (table %v): output\n%s\nlacks %q", tc.in, tc.table, out.String(), w)
			}
		}
	}
}
