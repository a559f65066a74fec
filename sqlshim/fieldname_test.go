package sqlshim

import "testing"

func TestTrimTrailingComments(t *testing.T) {
	for in, want := range map[string]string{
		"1 /* c */":            "1",
		"1+1 /* a */ /* b */ ": "1+1",
		"2 -- y":               "2",
		"2 # y":                "2",
		"a\n-- one\n":          "a",
		"'a/*b*/'":             "'a/*b*/'",
		"'a -- b'":             "'a -- b'",
		"`x#y`":                "`x#y`",
		"'it''s' -- c":         "'it''s'",
		"'a\\' -- b'":          "'a\\' -- b'",
		"":                     "",
	} {
		if got := trimTrailingComments(in); got != want {
			t.Errorf("trimTrailingComments(%q) = %q, want %q", in, got, want)
		}
	}
}
