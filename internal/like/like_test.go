package like

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// slow is the definition: a backtracking matcher (exponential at worst).
func slow(s, p string, esc rune) bool {
	if p == "" {
		return s == ""
	}
	kind, r, w := next(p, 0, esc)
	switch kind {
	case anyRun:
		for i := 0; ; {
			if slow(s[i:], p[w:], esc) {
				return true
			}
			if i == len(s) {
				return false
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
	case anyOne:
		if s == "" {
			return false
		}
		_, n := utf8.DecodeRuneInString(s)
		return slow(s[n:], p[w:], esc)
	}
	sr, n := utf8.DecodeRuneInString(s)
	return s != "" && sr == r && slow(s[n:], p[w:], esc)
}

// TestMatchAgreesWithBacktracking compares Match with the backtracking
// definition on 200,000 random short strings and patterns over a small
// alphabet (so that matches are common), escapes and multi-byte runes
// included.
func TestMatchAgreesWithBacktracking(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alpha := []string{"a", "b", "é", "%", "_", "\\"}
	gen := func(n int) string {
		var b strings.Builder
		for range rng.Intn(n) {
			b.WriteString(alpha[rng.Intn(len(alpha))])
		}
		return b.String()
	}
	for range 200000 {
		s, p := gen(8), gen(7)
		if got, want := Match(s, p, '\\'), slow(s, p, '\\'); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", s, p, got, want)
		}
	}
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"", "", true}, {"", "%", true}, {"", "_", false}, {"abc", "a%c", true},
		{"a%c", `a\%c`, true}, {"abc", `a\%c`, false}, {`a\`, `a\`, true},
		{"héllo", "h_llo", true}, {"abc", "ABC", false},
	} {
		if got := Match(c.s, c.p, '\\'); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.s, c.p, got)
		}
	}
}

// TestMatchManyPercents: a pattern of many % that fails at the end, against
// a long value, the case that never finished with backtracking. It
// finishing at all is the test.
func TestMatchManyPercents(t *testing.T) {
	s := strings.Repeat("0", 5000)
	p := strings.Repeat("%0", 200) + "%1"
	if Match(s, p, '\\') {
		t.Fatal("matched")
	}
}
