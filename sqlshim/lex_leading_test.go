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

// TestStripCrashSafeComment: SHOW CREATE TABLE writes CRASH_SAFE as
// /*M!999999 CRASH_SAFE */ (which MariaDB skips); blitz reads it back as
// the option, but not such text in a string, another comment or before
// the column list's end.
func TestStripCrashSafeComment(t *testing.T) {
	cases := []struct {
		sql  string
		want bool
		rest string
	}{
		{"CREATE TABLE t (a INT) ENGINE=BLITZDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin " + crashSafeComment,
			true, "CREATE TABLE t (a INT) ENGINE=BLITZDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin  "},
		{"CREATE TABLE t (a INT) /*M!100000   crash_safe*/ COMMENT 'x'", true, "CREATE TABLE t (a INT)   COMMENT 'x'"},
		{"CREATE TABLE t (a INT) COMMENT '/*M!999999 CRASH_SAFE */'", false, ""},
		{"CREATE TABLE t (a INT) /* /*M!999999 CRASH_SAFE */", false, ""},
		{"CREATE TABLE t (a INT) -- /*M!999999 CRASH_SAFE */\n", false, ""},
		{"CREATE TABLE t (a INT /*M!999999 CRASH_SAFE */)", false, ""},
		{"CREATE TABLE t (a INT) /*M! CRASH_SAFE */", false, ""},
		{"CREATE TABLE t (a INT) /*!999999 CRASH_SAFE */", false, ""},
	}
	for _, c := range cases {
		rest, ok := stripCrashSafe(c.sql)
		if ok != c.want || ok && rest != c.rest {
			t.Errorf("stripCrashSafe(%q) = %q, %v; want %q, %v", c.sql, rest, ok, c.rest, c.want)
		}
	}
}
