package sqlshim

import (
	"io"
	"strings"
	"testing"
)

// TestSplitterCommentsAndLines checks the statements and start lines the
// shell's Splitter returns around comments, against what the mariadb
// client (10.11) reports for the same input: leading comments are not part
// of the statement (so a syntax error is "at line 1" of it), the line is
// the one its code starts on, and in client mode "--" with no code before
// it is a comment even without a space after it.
func TestSplitterCommentsAndLines(t *testing.T) {
	type st struct {
		text string
		line int
	}
	cases := []struct {
		in     string
		client bool
		want   []st
	}{
		{"-- one\n-- two\nSELEC 2;\n", true, []st{{"SELEC 2", 3}}},
		{"-- one\n-- two\nSELECT 1;\nSELEC 2;\n", true, []st{{"SELECT 1", 3}, {"SELEC 2", 4}}},
		{"/* a */ /* b\n*/ SELEC 2;\n", true, []st{{"SELEC 2", 2}}},
		{"# x\n-- y\n/* z */\nSELEC\n 2;", true, []st{{"SELEC\n 2", 4}}},
		{"SELECT 1 -- c\n;\n--x\nSELEC 3;", true, []st{{"SELECT 1 -- c", 1}, {"SELEC 3", 4}}},
		{"--1\nSELECT 1--1;\n", true, []st{{"SELECT 1--1", 2}}},
		{"SELECT 1;--x\nSELECT 2;", true, []st{{"SELECT 1", 1}, {"SELECT 2", 2}}},
		{"SELECT 1\n--1\n;", true, []st{{"SELECT 1\n--1", 1}}},
		{"/*!40101 SET @a = 1*/;\n/* c */ SELECT 1;", true, []st{{"/*!40101 SET @a = 1*/", 1}, {"SELECT 1", 2}}},
		// Outside the client, "--x" is code as the server reads it.
		{"--x\nSELECT 1;", false, []st{{"--x\nSELECT 1", 1}}},
		{"-- c\nSELECT 1;", false, []st{{"SELECT 1", 2}}},
		// DELIMITER, as mariadb-dump writes it around a trigger, and back.
		{"DELIMITER ;;\nCREATE TRIGGER tr BEGIN\n  DELETE FROM a;\nEND */;;\nDELIMITER ;\nSELECT 1;", true,
			[]st{{"CREATE TRIGGER tr BEGIN\n  DELETE FROM a;\nEND */", 2}, {"SELECT 1", 6}}},
		// Any case and word; an empty statement; the delimiter in a string,
		// a comment or a quoted name does not end a statement.
		{"delimiter //\n//\nSELECT ';//', `a//b` /* // */ // SELECT 2 //\nDeLiMiTeR ;\nSELECT 3;", true,
			[]st{{"SELECT ';//', `a//b` /* // */", 3}, {"SELECT 2", 3}, {"SELECT 3", 5}}},
		{"DELIMITER $$\nSELECT 1; SELECT 2$$", true, []st{{"SELECT 1; SELECT 2", 2}}},
		{"DELIMITER $$\nSELECT 1$$\n\\G", true, []st{{"SELECT 1", 2}}},
		// Without an argument, or mid-statement, or outside the client, it
		// is text for the server.
		{"DELIMITER\n;", true, []st{{"DELIMITER", 1}}},
		{"SELECT 1\nDELIMITER //\n;", true, []st{{"SELECT 1\nDELIMITER //", 1}}},
		{"DELIMITER //\nSELECT 1;", false, []st{{"DELIMITER //\nSELECT 1", 1}}},
	}
	for _, c := range cases {
		sp := NewSplitter(strings.NewReader(c.in))
		sp.ClientCommands = c.client
		var got []st
		for {
			text, line, err := sp.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%q: %v", c.in, err)
			}
			got = append(got, st{text, line})
		}
		if len(got) != len(c.want) {
			t.Errorf("%q (client %v): got %+v, want %+v", c.in, c.client, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q (client %v): statement %d is %q at line %d, want %q at line %d", c.in, c.client, i, got[i].text, got[i].line, c.want[i].text, c.want[i].line)
			}
		}
	}
}
