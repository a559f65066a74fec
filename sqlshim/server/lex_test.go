package server

import "testing"

func TestLike(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"Threads_connected", "threads\\_conn%", true},
		{"Threads_running", "threads\\_conn%", false},
		{"max_allowed_packet", "max_allowed_packet", true},
		{"max_allowed_packet", "MAX%PACKET", true},
		{"abc", "a_c", true},
		{"abc", "a_", false},
		{"", "%", true},
	} {
		if got := like(c.s, c.p); got != c.want {
			t.Errorf("like(%q, %q) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}

func TestFirstWord(t *testing.T) {
	for q, want := range map[string]string{
		"  UPDATE t SET a=1":        "update",
		"/* hi */ select 1":         "select",
		"-- c\n# d\nShow status":    "show",
		"/*!40101 SET NAMES x */":   "",
		"(SELECT 1) UNION SELECT 2": "select",
		"":                          "",
	} {
		if got := firstWord(q); got != want {
			t.Errorf("firstWord(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestLex(t *testing.T) {
	toks, ok := lex("SELECT @@session.Auto_increment_increment AS `a b`, 'it''s', \"x\\ny\" -- tail\n;")
	if !ok {
		t.Fatal("lex failed")
	}
	want := []token{{tokWord, "SELECT"}, {tokSysVar, "session.Auto_increment_increment"}, {tokWord, "AS"}, {tokWord, "a b"},
		{tokPunct, ","}, {tokString, "it's"}, {tokPunct, ","}, {tokString, "x\ny"}}
	if len(toks) != len(want) {
		t.Fatalf("got %v", toks)
	}
	for i := range want {
		if toks[i] != want[i] {
			t.Errorf("token %d = %v, want %v", i, toks[i], want[i])
		}
	}
	if _, ok := lex("select 'unterminated"); ok {
		t.Error("unterminated string lexed")
	}
}

// FuzzLex: the server's own reading of client text never panics.
func FuzzLex(f *testing.F) {
	for _, s := range []string{"select @@x limit 1", "SET NAMES utf8mb4 COLLATE x", "show full processlist", "'a\\", "`", "/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		lex(q)
		firstWord(q)
		like(q, q)
	})
}
