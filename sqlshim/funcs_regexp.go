package sqlshim

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/blitzdb/blitz/internal/collate"
)

// errRegexp is MariaDB's 1139 for a pattern that does not compile.
const errRegexp = 1139 // Regex error '%s'

// regexpFunc runs REGEXP_REPLACE(s, pattern, replacement),
// REGEXP_SUBSTR(s, pattern) and REGEXP_INSTR(s, pattern) on args (none
// NULL; the caller answers NULL for them). Patterns are Go's RE2, which
// reads the PCRE patterns applications usually write; in a replacement,
// \1 to \9 are the groups, as in MariaDB. Under a case-insensitive
// collation coll (of the subject and pattern), letters match regardless
// of case (ciPattern).
func regexpFunc(name string, args []any, coll *collate.Collation) (any, error) {
	re, err := regexp.Compile(ciPattern(toString(args[1]), coll))
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
		}
		return nil, errf(errRegexp, "Regex error '%s'", msg)
	}
	s := toString(args[0])
	switch name {
	case "regexp_replace":
		return re.ReplaceAllString(s, goReplacement(toString(args[2]))), nil
	case "regexp_substr":
		return re.FindString(s), nil // '' without a match, as in MariaDB
	}
	loc := re.FindStringIndex(s) // regexp_instr: the first match's character position, 0 for none
	if loc == nil {
		return int64(0), nil
	}
	return int64(utf8.RuneCountInString(s[:loc[0]]) + 1), nil
}

// ciPattern returns pattern as it matches under collation coll (nil:
// utf8mb4_bin): case-insensitive for a collation that is not binary, as
// MariaDB's PCRE matching is under one (accents still count).
func ciPattern(pattern string, coll *collate.Collation) string {
	if coll == nil || coll.IsBinary() {
		return pattern
	}
	return "(?i)" + pattern
}

// goReplacement turns a MariaDB replacement ('\1' for group 1, '$' as it
// is) into Go's ('${1}', '$$').
func goReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch {
		case r[i] == '$':
			b.WriteString("$$")
		case r[i] == '\\' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			b.WriteString("${" + r[i+1:i+2] + "}")
			i++
		case r[i] == '\\' && i+1 < len(r):
			b.WriteByte(r[i+1])
			i++
		default:
			b.WriteByte(r[i])
		}
	}
	return b.String()
}
