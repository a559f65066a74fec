package sqlshim

import "testing"

func TestLeadingWord(t *testing.T) {
	cases := []struct {
		sql, word string
		sure      bool
	}{
		{"SELECT 1", "SELECT", true},
		{"  /* c */ -- x\n# y\n  check table t", "check", true},
		{"/*!40101 SET x=1 */", "", false},
		{"/* open", "", false},
		{"--comment only", "", true}, // "--c" is not a comment in MySQL; not a word either
		{"(SELECT 1)", "", true},
	}
	for _, c := range cases {
		w, sure := leadingWord(c.sql)
		if w != c.word || sure != c.sure {
			t.Errorf("leadingWord(%q) = %q, %v; want %q, %v", c.sql, w, sure, c.word, c.sure)
		}
	}
	// The fast path must not hide an admin statement behind a comment.
	if _, ok, _ := parseAdmin("/* x */ REPAIR TABLE t QUICK"); !ok {
		t.Error("REPAIR after a comment not recognised")
	}
	if _, ok := stripCrashSafe("-- c\nCREATE TABLE t (a INT) CRASH_SAFE"); !ok {
		t.Error("CRASH_SAFE after a comment not recognised")
	}
}
