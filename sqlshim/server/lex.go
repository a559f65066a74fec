package server

import (
	"strings"

	likematch "github.com/blitzdb/blitz/internal/like"
)

// The server reads a few statement shapes itself (admin.go): the
// connect-time SELECT @@var, SET of session variables, SHOW
// STATUS/VARIABLES/PROCESSLIST. lex splits such a statement into tokens;
// anything it cannot read goes to the SQL layer untouched.

// tokKind is the kind of a token.
type tokKind int

const (
	tokWord    tokKind = iota + 1 // identifier or keyword (backquotes removed)
	tokString                     // '...' or "..." (quotes and escapes resolved)
	tokNumber                     // 123, 1.5
	tokSysVar                     // @@name or @@scope.name (text is "name" or "scope.name" as written)
	tokUserVar                    // @name
	tokPunct                      // one of , ( ) = . ; *
)

type token struct {
	kind tokKind
	text string
}

// is reports whether t is the keyword or punctuation s (case-insensitive).
func (t token) is(s string) bool {
	return (t.kind == tokWord || t.kind == tokPunct) && strings.EqualFold(t.text, s)
}

// lex returns the tokens of q, or false if q holds something lex does not
// read (the statement is then not one the server answers itself).
func lex(q string) ([]token, bool) {
	var toks []token
	for i := 0; i < len(q); {
		ch := q[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '#' || (ch == '-' && strings.HasPrefix(q[i:], "-- ")):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case ch == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 || strings.HasPrefix(q[i:], "/*!") {
				return nil, false // executable comments: the SQL layer's business
			}
			i += end + 4
		case ch == '\'' || ch == '"':
			s, n, ok := lexString(q[i:])
			if !ok {
				return nil, false
			}
			toks = append(toks, token{tokString, s})
			i += n
		case ch == '`':
			end := strings.IndexByte(q[i+1:], '`')
			if end < 0 {
				return nil, false
			}
			toks = append(toks, token{tokWord, q[i+1 : i+1+end]})
			i += end + 2
		case ch == '@' && strings.HasPrefix(q[i:], "@@"):
			j := i + 2
			for j < len(q) && (isWordByte(q[j]) || q[j] == '.') {
				j++
			}
			toks = append(toks, token{tokSysVar, q[i+2 : j]})
			i = j
		case ch == '@':
			j := i + 1
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			toks = append(toks, token{tokUserVar, q[i+1 : j]})
			i = j
		case ch >= '0' && ch <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, q[i:j]})
			i = j
		case isWordByte(ch):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			toks = append(toks, token{tokWord, q[i:j]})
			i = j
		case strings.IndexByte(",()=.;*-", ch) >= 0:
			toks = append(toks, token{tokPunct, string(ch)})
			i++
		default:
			return nil, false
		}
	}
	for len(toks) > 0 && toks[len(toks)-1].is(";") {
		toks = toks[:len(toks)-1]
	}
	return toks, true
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// lexString reads a quoted string at the start of s with MySQL's escapes
// and doubled quotes; it returns the value and the bytes consumed.
func lexString(s string) (string, int, bool) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(s[i])
			}
		case c == quote && i+1 < len(s) && s[i+1] == quote:
			b.WriteByte(quote)
			i++
		case c == quote:
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// like reports whether s matches the SQL LIKE pattern (case-insensitive,
// as for MySQL's default collations; % any run, _ one character, \ escapes).
func like(s, pattern string) bool {
	return likematch.Match(strings.ToLower(s), strings.ToLower(pattern), '\\')
}

// firstWord returns the first word of q, lower-cased, skipping blanks and
// comments: a cheap look at the statement kind without lexing it all.
func firstWord(q string) string {
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(':
			i++
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- "):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*") && !strings.HasPrefix(q[i:], "/*!"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return ""
			}
			i += end + 4
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			return strings.ToLower(q[i:j])
		default:
			return ""
		}
	}
	return ""
}
