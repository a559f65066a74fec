package sqlshim

import (
	"slices"
	"strings"
)

// Column expressions TiDB's parser does not read as MariaDB writes them,
// rewritten before it sees a CREATE TABLE or ALTER TABLE statement:
//
//   - DEFAULT (expr) in a column definition: the parser takes only a
//     literal, CURRENT_TIMESTAMP or a function call after DEFAULT, so
//     the parenthesised expression is wrapped in a call of
//     defaultExprFunc, which columnDef unwraps (gencol.go). ALTER COLUMN c
//     SET DEFAULT (expr), which the parser reads, is left alone.
//   - PERSISTENT after a generated column's AS (expr): MariaDB's synonym
//     of STORED, which the parser does not know.

// defaultExprFunc is the function rewriteColumnExprs wraps a DEFAULT
// (expr) in: DEFAULT (a+1) reaches the parser as DEFAULT
// blitz_default_expr((a+1)).
const defaultExprFunc = "blitz_default_expr"

// rewriteColumnExprs rewrites the column expressions of a CREATE TABLE
// (in its column list only, not in a SELECT that follows) or ALTER TABLE
// statement as described above. Any other statement comes back unchanged.
func rewriteColumnExprs(sql string) string {
	w, sure := leadingWord(sql)
	if sure && !strings.EqualFold(w, "CREATE") && !strings.EqualFold(w, "ALTER") {
		return sql
	}
	if !containsFold(sql, "DEFAULT") && !containsFold(sql, "PERSISTENT") {
		return sql
	}
	toks := tokenize(sql)
	from, to := columnListSpan(toks)
	if from < 0 {
		return sql
	}
	match := matchParens(toks)
	type edit struct {
		at   int
		cut  int // bytes replaced from at
		text string
	}
	var edits []edit
	for i := from; i < to; i++ {
		t := toks[i]
		if t.kind != 'w' {
			continue
		}
		switch {
		case strings.EqualFold(t.text, "PERSISTENT") && i > 0 && toks[i-1].text == ")":
			if m := match[i-1]; m > 0 && toks[m-1].kind == 'w' && strings.EqualFold(toks[m-1].text, "AS") {
				edits = append(edits, edit{t.start, t.end - t.start, "STORED"})
			}
		case strings.EqualFold(t.text, "DEFAULT") && i+1 < to && toks[i+1].text == "(" && match[i+1] > 0 && followsColumnAttr(toks, i):
			edits = append(edits, edit{toks[i+1].start, 0, defaultExprFunc + "("}, edit{toks[match[i+1]].end, 0, ")"})
		}
	}
	if len(edits) == 0 {
		return sql
	}
	slices.SortStableFunc(edits, func(a, b edit) int { return a.at - b.at })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(sql[last:e.at])
		b.WriteString(e.text)
		last = e.at + e.cut
	}
	b.WriteString(sql[last:])
	return b.String()
}

// containsFold reports whether s contains word (ASCII letters) in any
// letter case, without copying s: a cheap first look before tokenizing.
func containsFold(s, word string) bool {
	first := word[0] | 0x20
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == first && strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// columnListSpan returns the tokens rewriteColumnExprs looks at: inside
// the parenthesis that follows CREATE [TEMPORARY] TABLE [IF NOT EXISTS]
// name, or after ALTER [ONLINE] [IGNORE] TABLE; -1 for other statements.
func columnListSpan(toks []token) (from, to int) {
	word := func(i int, w string) bool {
		return i < len(toks) && toks[i].kind == 'w' && strings.EqualFold(toks[i].text, w)
	}
	i := 1
	switch {
	case word(0, "ALTER"):
		for word(i, "ONLINE") || word(i, "IGNORE") {
			i++
		}
		if !word(i, "TABLE") {
			return -1, -1
		}
		return i + 1, len(toks)
	case word(0, "CREATE"):
		if word(i, "OR") && word(i+1, "REPLACE") {
			i += 2
		}
		if word(i, "TEMPORARY") {
			i++
		}
		if !word(i, "TABLE") {
			return -1, -1
		}
		i++
		if word(i, "IF") && word(i+1, "NOT") && word(i+2, "EXISTS") {
			i += 3
		}
		// The name: name, `name`, db.name.
		for i < len(toks) && (toks[i].kind == 'w' || toks[i].kind == 'q' || toks[i].text == ".") {
			i++
		}
		if i >= len(toks) || toks[i].text != "(" {
			return -1, -1
		}
		end := matchParens(toks)[i]
		if end < 0 {
			end = len(toks)
		}
		return i + 1, end
	}
	return -1, -1
}

// matchParens maps each parenthesis token to the index of its partner
// (-1 for one without).
func matchParens(toks []token) []int {
	match := make([]int, len(toks))
	var open []int
	for i, t := range toks {
		match[i] = -1
		switch t.text {
		case "(":
			open = append(open, i)
		case ")":
			if n := len(open); n > 0 {
				match[i], match[open[n-1]] = open[n-1], i
				open = open[:n-1]
			}
		}
	}
	return match
}

// followsColumnAttr reports whether the DEFAULT at toks[i] is a column
// attribute rather than the DEFAULT(col) function inside an expression
// (a CHECK condition) or ALTER COLUMN ... SET DEFAULT (expr): an attribute
// follows a type, a type's (length), a literal or another attribute's
// word, never an operator, a comma, a parenthesis that opens or SET.
func followsColumnAttr(toks []token, i int) bool {
	if i == 0 {
		return false
	}
	p := toks[i-1]
	switch p.kind {
	case 'q', 's', 'n':
		return true
	case 'p':
		return p.text == ")"
	}
	switch strings.ToUpper(p.text) {
	case "SET", "AND", "OR", "XOR", "NOT", "IS", "LIKE", "IN", "THEN", "ELSE", "WHEN", "DIV", "MOD", "REGEXP", "RLIKE", "BETWEEN":
		return false
	}
	return true
}
