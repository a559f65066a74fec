package sqlshim

import (
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// The statement cache spares the parser the statements a client sends
// again and again with other constants, as SQL text rather than as
// prepared statements: `SELECT ... FROM t WHERE id = 42`. Parsing is about
// half the cost of such a point query, and most of a multi-row INSERT's. A
// statement on one table whose WHERE clause (SELECT, DELETE), SET list
// (UPDATE) or VALUES list (INSERT, REPLACE) holds only plain literals is
// rewritten, before parsing, into its shape (each literal there replaced by
// ?) and the literals' values; the shape is parsed once per session and
// run like a prepared statement with those values, which evaluate exactly
// as the literals would (the same Go values the parser's literals convert
// to). See region for the statement forms.
//
// Anything unusual makes the statement take the ordinary path: literals
// elsewhere (in a select list they name result columns), subqueries,
// joins, a ? already in the text, hex/bit/charset-introduced literals,
// exponents, strings with backslashes or doubled quotes, INTERVAL, CAST,
// CONVERT, ESCAPE, COLLATE, and every statement that is not a SELECT. A
// shape that fails to parse is never cached: the original text is parsed
// instead, so errors quote what the user wrote; for the same reason a
// statement run from its shape that fails is run again as written (see
// Session.ExecOne).

// stmtCacheSize bounds the shapes a session keeps; past it the cache is
// emptied and refills with what is in use.
const stmtCacheSize = 256

// whereEnd are the words that end a top-level WHERE clause.
var whereEnd = map[string]bool{"GROUP": true, "ORDER": true, "LIMIT": true, "HAVING": true, "FOR": true,
	"LOCK": true, "UNION": true, "INTO": true, "WINDOW": true, "EXCEPT": true, "INTERSECT": true}

// noShape are words whose presence in the WHERE clause keeps a statement
// off the cache (their arguments are not all expressions).
var noShape = map[string]bool{"SELECT": true, "INTERVAL": true, "CAST": true, "CONVERT": true, "ESCAPE": true,
	"COLLATE": true, "AS": true, "BINARY": true, "DATE": true, "TIME": true, "TIMESTAMP": true, "MATCH": true,
	"AGAINST": true, "CHAR": true, "USING": true, "RETURNING": true}

// maxShapeText is the longest statement shapeOf looks at: the cache is for
// the short statements an application repeats, and tokenizing a long one
// (a bulk INSERT, megabytes) costs more than parsing it once.
const maxShapeText = 16 << 10

// shapeOf returns the shape of sql and the values of the literals it
// replaced, or ok false when sql must be parsed as it is.
func shapeOf(sql string) (shape string, vals []any, ok bool) {
	if len(sql) > maxShapeText {
		return "", nil, false
	}
	w, sure := leadingWord(sql)
	if !sure {
		return "", nil, false
	}
	verb := strings.ToUpper(w)
	switch verb {
	case "SELECT", "DELETE", "UPDATE", "INSERT", "REPLACE":
	default:
		return "", nil, false
	}
	toks := tokenize(sql)
	start, end := region(verb, toks)
	if start < 0 {
		return "", nil, false
	}
	var b strings.Builder
	b.Grow(len(sql))
	last := 0
	for i := start; i < end; i++ {
		t := toks[i]
		switch t.kind {
		case 'w':
			if noShape[strings.ToUpper(t.text)] {
				return "", nil, false
			}
			continue
		case 'q', 'p':
			continue
		}
		if i > 0 && toks[i-1].end == t.start && toks[i-1].kind == 'w' {
			return "", nil, false // x'..', b'..', _utf8mb4'..', N'..'
		}
		var v any
		stop := i
		switch t.kind {
		case 's':
			if t.text[0] != '\'' || len(t.text) < 2 || t.text[len(t.text)-1] != '\'' {
				return "", nil, false
			}
			body := t.text[1 : len(t.text)-1]
			if strings.ContainsAny(body, `\'`) {
				return "", nil, false
			}
			v = body
		case 'n':
			if !allDigits(t.text) {
				return "", nil, false
			}
			text := t.text
			// 1.5 tokenizes as 1 . 5
			if i+2 < end && toks[i+1].text == "." && toks[i+1].start == t.end && toks[i+2].kind == 'n' &&
				toks[i+2].start == toks[i+1].end && allDigits(toks[i+2].text) {
				text = sql[t.start:toks[i+2].end]
				stop = i + 2
			} else if i+1 < end && toks[i+1].text == "." && toks[i+1].start == t.end {
				return "", nil, false // 1. or 1.e5
			}
			if i > 0 && toks[i-1].text == "." && toks[i-1].end == t.start {
				return "", nil, false // .5
			}
			var err error
			if v, err = numberValue(text); err != nil {
				return "", nil, false
			}
		default:
			return "", nil, false
		}
		b.WriteString(sql[last:t.start])
		b.WriteByte('?')
		last = toks[stop].end
		vals = append(vals, v)
		i = stop
	}
	if len(vals) == 0 {
		return "", nil, false
	}
	b.WriteString(sql[last:])
	return b.String(), vals, true
}

// region returns the tokens [start, end) whose literals a statement's
// shape replaces, or start -1 when it has no shape:
//
//	SELECT ... FROM t WHERE <region> [GROUP|ORDER|LIMIT|...]
//	DELETE FROM t WHERE <region> [ORDER|LIMIT]
//	UPDATE t SET <region> [ORDER|LIMIT]
//	INSERT|REPLACE [IGNORE] [INTO] t [(columns)] VALUES <region> [ON DUPLICATE KEY UPDATE ...]
//
// with t one table (see oneTable) and no ? anywhere.
func region(verb string, toks []token) (start, end int) {
	depth, from, start, end := 0, -1, -1, len(toks)
	opener := map[string]string{"SELECT": "WHERE", "DELETE": "WHERE", "UPDATE": "SET", "INSERT": "VALUES", "REPLACE": "VALUES"}[verb]
	for i, t := range toks {
		switch {
		case t.kind == 'p' && t.text == "?":
			return -1, 0
		case t.kind == 'p' && t.text == "(":
			depth++
		case t.kind == 'p' && t.text == ")":
			depth--
		case t.kind == 'w' && depth == 0:
			u := strings.ToUpper(t.text)
			switch {
			case u == "FROM" && from < 0 && (verb == "SELECT" || verb == "DELETE"):
				from = i
			case (u == opener || u == "VALUE" && opener == "VALUES") && start < 0:
				start = i + 1
				if opener == "WHERE" && (from < 0 || !oneTable(toks[from+1:i])) {
					return -1, 0
				}
				if opener == "SET" && !oneTable(toks[1:i]) {
					return -1, 0
				}
				if opener == "VALUES" && !insertTarget(toks[1:i]) {
					return -1, 0
				}
			case start >= 0 && end == len(toks) && (whereEnd[u] || opener == "VALUES" && u == "ON"):
				end = i
			}
		}
	}
	return start, end
}

// insertTarget reports whether the tokens between INSERT and VALUES are
// [IGNORE] [INTO] t [(c1, c2, ...)].
func insertTarget(ts []token) bool {
	for len(ts) > 0 && ts[0].kind == 'w' && (strings.EqualFold(ts[0].text, "IGNORE") || strings.EqualFold(ts[0].text, "INTO")) {
		ts = ts[1:]
	}
	if len(ts) == 0 || ts[0].kind != 'w' && ts[0].kind != 'q' {
		return false
	}
	ts = ts[1:]
	if len(ts) == 0 {
		return true
	}
	if ts[0].text != "(" || ts[len(ts)-1].text != ")" {
		return false
	}
	for i, t := range ts[1 : len(ts)-1] {
		if i%2 == 0 && t.kind != 'w' && t.kind != 'q' || i%2 == 1 && t.text != "," {
			return false
		}
	}
	return true
}

// oneTable reports whether the tokens between FROM and WHERE name one
// table: t, t alias, t AS alias, db.t. Joins, derived tables, index hints
// and the like take the ordinary path.
func oneTable(ts []token) bool {
	name := func(t token) bool { return t.kind == 'w' || t.kind == 'q' }
	switch len(ts) {
	case 1:
		return name(ts[0])
	case 2:
		return name(ts[0]) && name(ts[1])
	case 3:
		return name(ts[0]) && name(ts[2]) && (strings.EqualFold(ts[1].text, "AS") || ts[1].text == ".")
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// numberValue is the value the parser gives a numeric literal: BIGINT,
// BIGINT UNSIGNED past its range, DECIMAL with a point.
func numberValue(text string) (any, error) {
	if strings.IndexByte(text, '.') >= 0 {
		return decimal.NewFromString(text)
	}
	u, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return nil, err // past BIGINT UNSIGNED: the parser makes a DECIMAL; leave it to it
	}
	if u <= math.MaxInt64 {
		return int64(u), nil
	}
	return u, nil
}

// parseCached returns the parsed statement for sql and the values of its
// placeholders: from the session's cache of shapes when sql has one.
func (s *Session) parseCached(sql string) (*statement, []any, error) {
	shape, vals, ok := shapeOf(sql)
	if !ok || s.lexMode {
		st, err := parseOne(s.parser, sql)
		return st, nil, err
	}
	st := s.shapes[shape]
	if st == nil {
		parsed, err := parseOne(s.parser, shape)
		if err != nil || parsed.nparams != len(vals) {
			st, err := parseOne(s.parser, sql)
			return st, nil, err
		}
		if s.shapes == nil || len(s.shapes) >= stmtCacheSize {
			s.shapes = map[string]*statement{}
		}
		s.shapes[shape] = parsed
		st = parsed
	}
	run := *st
	run.text = sql
	return &run, vals, nil
}
