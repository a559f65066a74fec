package jsondoc

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	// Codes and positions as MariaDB 10.11 reports them (checked with
	// JSON_EXTRACT(text, '$') there; testdata/sql/json.test has more).
	cases := []struct {
		text      string
		code, pos int
	}{
		{"", ErrEOS, 0},
		{"[1,", ErrEOS, 0},
		{"[1 x]", ErrSyntax, 4},
		{"xyz", ErrSyntax, 1},
		{"\"a\x01\"", ErrBadChar, 3},
		{"{\"a\":1,}", ErrSyntax, 8},
		{"{\"a\" 1}", ErrSyntax, 5},
		{"01", ErrSyntax, 2},
		{"-", ErrSyntax, 1},
		{"truex", ErrSyntax, 5},
		{"[trux]", ErrSyntax, 4},
		{`"\u12"`, ErrSyntax, 5},
		{`"\ud800\u0041"`, ErrBrokenString, 13},
		{strings.Repeat("[", 32) + strings.Repeat("]", 32), ErrDepth, 32},
	}
	for _, c := range cases {
		_, err := Parse(c.text)
		if err == nil || err.Code != c.code || err.Pos != c.pos {
			t.Errorf("Parse(%q) = %+v, want code %d at %d", c.text, err, c.code, c.pos)
		}
	}
	if _, err := Parse(strings.Repeat("[", 31) + strings.Repeat("]", 31)); err != nil {
		t.Errorf("31 levels: %v", err)
	}
}

func TestPrint(t *testing.T) {
	v, err := Parse(` {"b" : [1 ,  2.50e0, {"x":"\u00e9"}], "a":{}, "b":null} `)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.String(), `{"b": [1, 2.50e0, {"x": "\u00e9"}], "a": {}, "b": null}`; got != want {
		t.Errorf("normal: %s, want %s", got, want)
	}
	if got, want := string(v.AppendTo(nil, Compact, 0)), `{"b":[1,2.50e0,{"x":"\u00e9"}],"a":{},"b":null}`; got != want {
		t.Errorf("compact: %s, want %s", got, want)
	}
	want := "{\n    \"b\": \n    [\n        1,\n        2.50e0,\n        {\n            \"x\": \"\\u00e9\"\n        }\n    ],\n    \"a\": \n    {\n    },\n    \"b\": null\n}"
	if got := string(v.AppendTo(nil, Detailed, 0)); got != want {
		t.Errorf("detailed:\n%s\nwant\n%s", got, want)
	}
}

// FuzzJSON checks the parser on any text: it never panics; a document it
// takes prints, in every style, as text it takes again and that prints
// the same; whatever encoding/json calls valid it takes too (MariaDB's
// grammar is wider: "1.", any escaped character), unless nested past
// MaxDepth or holding a surrogate escape; and paths parse and evaluate without panicking.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5e3, "x\u00e9"], "b": {"c": null}}`, `[true,false,null]`, `"\ud83d\ude00"`,
		`1.`, `-0`, `{"a":1,"a":2}`, `[[[]]]`, `$.a[1]`, `$**.b`, `$[last-1 to 2]`, `$."a b".*`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if p, perr := ParsePath(s); perr == nil && v != nil {
			p.Find(v)
		}
		if err != nil {
			// encoding/json also takes a lone surrogate (\ud800), which
			// MariaDB refuses.
			if json.Valid([]byte(s)) && nesting(s) < MaxDepth && !strings.Contains(strings.ToLower(s), `\ud`) {
				t.Fatalf("Parse(%q): %+v, but encoding/json takes it", s, err)
			}
			if err.Pos < 0 || err.Pos > len(s)+1 {
				t.Fatalf("Parse(%q): position %d outside the text", s, err.Pos)
			}
			return
		}
		normal := v.String()
		for _, style := range []Style{Normal, Compact, Detailed} {
			out := string(v.AppendTo(nil, style, 0))
			w, err := Parse(out)
			if err != nil {
				t.Fatalf("Parse(%q) printed %q, which does not parse: %+v", s, out, err)
			}
			if w.String() != normal {
				t.Fatalf("Parse(%q): %q printed back is %q, want %q", s, out, w.String(), normal)
			}
		}
		if d := v.Depth(); d > MaxDepth {
			t.Fatalf("Parse(%q): depth %d", s, d)
		}
	})
}

// nesting is the deepest nesting of brackets in s outside strings.
func nesting(s string) int {
	d, most, inStr := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '[' || c == '{'):
			d++
			most = max(most, d)
		case !inStr && (c == ']' || c == '}'):
			d--
		}
	}
	return most
}

func TestManyAnyDepthSteps(t *testing.T) {
	// 31 levels of arrays and a path of 16 ** steps: each value is
	// taken on from each step once, so this is quick (without that, the
	// ways through the ancestors would number in the hundreds of millions).
	doc := strings.Repeat("[", 30) + "1" + strings.Repeat("]", 30)
	v, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	p, perr := ParsePath("$" + strings.Repeat("**[0]", 16))
	if perr != nil {
		t.Fatal(perr)
	}
	if got := len(p.Find(v)); got != 15 {
		t.Errorf("found %d values, want 15", got)
	}
}
