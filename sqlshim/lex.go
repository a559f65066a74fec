package sqlshim

import (
	"bufio"
	"io"
	"strings"
)

// This file holds a small lexer of MySQL text that knows only what it needs
// to not be fooled by strings, quoted identifiers and comments: the
// statement splitter of the shell, and the pre-recognition of the syntax
// TiDB's parser does not read (the CRASH_SAFE table option, CHECK TABLE and
// REPAIR TABLE).

// token is one lexical token of SQL text: a word (identifier or keyword,
// unquoted), a quoted string or identifier, a number, or one punctuation
// character. Comments and white space are not tokens.
type token struct {
	kind  byte   // 'w' word, 'q' quoted identifier, 's' string, 'n' number, 'p' punctuation
	text  string // the source text of the token
	start int    // byte offset of the token in the source
	end   int    // byte offset just after it
}

// tokenize splits sql into tokens, skipping comments and white space. An
// unterminated string or comment runs to the end of the text.
func tokenize(sql string) []token {
	var toks []token
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '#':
			i = skipLine(sql, i)
		case c == '-' && strings.HasPrefix(sql[i:], "--") && (i+2 == len(sql) || isSpace(sql[i+2])):
			i = skipLine(sql, i)
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				i = len(sql)
			} else {
				i += j + 4
			}
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(sql, i)
			kind := byte('s')
			if c == '`' {
				kind = 'q'
			}
			toks = append(toks, token{kind: kind, text: sql[i:j], start: i, end: j})
			i = j
		case isWordByte(c):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			kind := byte('w')
			if c >= '0' && c <= '9' {
				kind = 'n'
			}
			toks = append(toks, token{kind: kind, text: sql[i:j], start: i, end: j})
			i = j
		default:
			toks = append(toks, token{kind: 'p', text: sql[i : i+1], start: i, end: i + 1})
			i++
		}
	}
	return toks
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func skipLine(s string, i int) int {
	j := strings.IndexByte(s[i:], '\n')
	if j < 0 {
		return len(s)
	}
	return i + j + 1
}

// skipQuoted returns the offset just after the quoted run starting at i.
// Quotes are escaped by doubling, and inside strings by a backslash.
func skipQuoted(s string, i int) int {
	q := s[i]
	j := i + 1
	for j < len(s) {
		switch {
		case s[j] == '\\' && q != '`':
			j += 2
		case s[j] == q:
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			return j + 1
		default:
			j++
		}
	}
	return len(s)
}

// unquoteIdent returns a word or `quoted` identifier token's name (an
// unterminated one, which runs to the end of the text, without its
// opening quote).
func unquoteIdent(t token) string {
	if t.kind == 'q' {
		s := t.text[1:]
		if len(t.text) >= 2 && strings.HasSuffix(t.text, "`") {
			s = t.text[1 : len(t.text)-1]
		}
		return strings.ReplaceAll(s, "``", "`")
	}
	return t.text
}

// crashSafeComment is how SHOW CREATE TABLE (and so mariadb-dump) writes
// the CRASH_SAFE option: a MariaDB executable comment for versions from
// 99.99.99, which MariaDB skips (MySQL skips every /*M! comment), so that
// a dump of blitz loads there as well; blitz reads it as the option.
const crashSafeComment = "/*M!999999 CRASH_SAFE */"

// stripCrashSafe finds the CRASH_SAFE table option of a CREATE TABLE
// statement and removes it (with the comma that separates it from a
// neighbouring option), so that TiDB's parser reads the rest. It reports
// whether the option was there. Only a bare word after the closing
// parenthesis of the column list counts, or the option in a comment
// /*M!NNNNNN CRASH_SAFE */ there (crashSafeComment): a string, another
// comment, a quoted identifier or a column named crash_safe does not.
func stripCrashSafe(sql string) (string, bool) {
	if w, sure := leadingWord(sql); sure && !strings.EqualFold(w, "CREATE") {
		return sql, false
	}
	toks := tokenize(sql)
	if len(toks) < 3 || !strings.EqualFold(toks[0].text, "CREATE") {
		return sql, false
	}
	k := 1
	if strings.EqualFold(toks[k].text, "TEMPORARY") {
		k++
	}
	if k >= len(toks) || !strings.EqualFold(toks[k].text, "TABLE") {
		return sql, false
	}
	// Find the end of the column list: the parenthesis closing the first one.
	depth, i := 0, k+1
	for ; i < len(toks); i++ {
		if toks[i].text == "(" {
			depth++
		} else if toks[i].text == ")" {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	if i >= len(toks) {
		return sql, false
	}
	// The gaps between the tokens after the column list hold only white
	// space and comments.
	for j := i + 1; j <= len(toks); j++ {
		end := len(sql)
		if j < len(toks) {
			end = toks[j].start
		}
		if from, to, ok := crashSafeInGap(sql, toks[j-1].end, end); ok {
			return sql[:from] + " " + sql[to:], true
		}
	}
	for j := i + 1; j < len(toks); j++ {
		t := toks[j]
		if t.kind != 'w' || !strings.EqualFold(t.text, "CRASH_SAFE") {
			continue
		}
		from, to := t.start, t.end
		// CRASH_SAFE [=] [1|ON|TRUE] is accepted too.
		n := j + 1
		if n < len(toks) && toks[n].text == "=" {
			n++
			if n < len(toks) {
				to = toks[n].end
				n++
			}
		}
		if j-1 > i && toks[j-1].text == "," {
			from = toks[j-1].start
		} else if n < len(toks) && toks[n].text == "," {
			to = toks[n].end
		}
		return sql[:from] + " " + sql[to:], true
	}
	return sql, false
}

// crashSafeInGap finds a comment /*M!NNNNNN CRASH_SAFE */ (any case,
// any white space) in sql[from:to], a stretch of white space and comments
// only, and returns its bounds.
func crashSafeInGap(sql string, from, to int) (int, int, bool) {
	for i := from; i < to; {
		switch {
		case sql[i] == '#' || strings.HasPrefix(sql[i:to], "--"):
			i = skipLine(sql[:to], i)
		case strings.HasPrefix(sql[i:to], "/*"):
			e := strings.Index(sql[i+2:to], "*/")
			if e < 0 {
				return 0, 0, false
			}
			body, end := sql[i+2:i+2+e], i+2+e+2
			if rest, ok := strings.CutPrefix(body, "M!"); ok {
				digits := strings.TrimLeft(rest, "0123456789")
				if len(digits) < len(rest) && strings.EqualFold(strings.TrimSpace(digits), "CRASH_SAFE") {
					return i, end, true
				}
			}
			i = end
		default:
			i++
		}
	}
	return 0, 0, false
}

// loadIgnoreRows rewrites the IGNORE n ROWS clause of LOAD DATA to IGNORE n
// LINES: MariaDB takes both words, TiDB's parser only LINES. Any other
// statement comes back unchanged.
func loadIgnoreRows(sql string) string {
	if w, sure := leadingWord(sql); sure && !strings.EqualFold(w, "LOAD") {
		return sql
	}
	toks := tokenize(sql)
	if len(toks) < 4 || !strings.EqualFold(toks[0].text, "LOAD") {
		return sql
	}
	for j := 2; j < len(toks); j++ {
		t := toks[j]
		if t.kind == 'w' && strings.EqualFold(t.text, "ROWS") && toks[j-1].kind == 'n' &&
			toks[j-2].kind == 'w' && strings.EqualFold(toks[j-2].text, "IGNORE") {
			return sql[:t.start] + "LINES" + sql[t.end:]
		}
	}
	return sql
}

// stripIntoVars finds the INTO @a, @b, ... clause of a SELECT (MariaDB
// assigns a one-row result to user variables; TiDB's parser takes only
// INTO OUTFILE) outside parentheses, and returns the statement without it
// and the variables' names. A statement without one comes back unchanged,
// with nil. trailing reports the clause after FROM, a form MariaDB
// deprecates.
func stripIntoVars(sql string) (_ string, names []string, trailing bool) {
	if w, sure := leadingWord(sql); sure && !strings.EqualFold(w, "SELECT") && !strings.EqualFold(w, "WITH") && w != "" { // ("": punctuation, as the ( of (SELECT ...) INTO)
		return sql, nil, false
	}
	toks := tokenize(sql)
	depth, from := 0, false
	for i, t := range toks {
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
		}
		if depth == 0 && t.kind == 'w' && strings.EqualFold(t.text, "FROM") {
			from = true
		}
		if depth != 0 || t.kind != 'w' || !strings.EqualFold(t.text, "INTO") {
			continue
		}
		j := i + 1
		for {
			if j+1 >= len(toks) || toks[j].text != "@" || toks[j+1].start != toks[j].end || toks[j+1].kind == 'p' || toks[j+1].kind == 'n' {
				return sql, nil, false // INTO OUTFILE, INTO DUMPFILE, or not SQL: the parser says
			}
			name := toks[j+1].text
			if toks[j+1].kind != 'w' {
				q := name[:1]
				name = strings.ReplaceAll(name[1:len(name)-1], q+q, q)
			}
			names = append(names, name)
			j += 2
			if j < len(toks) && toks[j].text == "," {
				j++
				continue
			}
			break
		}
		end := len(sql)
		if j < len(toks) {
			end = toks[j].start
		}
		return sql[:t.start] + " " + sql[end:], names, from
	}
	return sql, nil, false
}

// adminStmt is a CHECK TABLE, REPAIR TABLE or OPTIMIZE TABLE statement,
// recognised before TiDB's parser sees the text, or a SHOW ENGINE
// statement, recognised after it refused the text (show_engine.go).
type adminStmt struct {
	op      string   // "check", "repair", "optimize", "checksum", opShowEngine or opShowEmpty
	tables  []string // table names as written (unquoted)
	schemas []string // the database written before each (db.t), "" if none
	quick   bool     // REPAIR ... QUICK: indexes only
	options []string // other trailing options, upper case
	engine  string   // SHOW ENGINE: the engine's name as written, unquoted
	show    string   // opShowEmpty: which SHOW (show_replication.go)
}

// isShow reports whether st is one of the SHOW statements recognised
// around the parser: they commit nothing and run outside a transaction.
func (st *adminStmt) isShow() bool { return st.op == opShowEngine || st.op == opShowEmpty }

// parseAdmin recognises CHECK TABLE t [, t2...] [options],
// REPAIR [NO_WRITE_TO_BINLOG|LOCAL] TABLE t [, t2...] [QUICK] [EXTENDED]
// [USE_FRM], OPTIMIZE [NO_WRITE_TO_BINLOG|LOCAL] TABLE t [, t2...]
// [NOWAIT] and CHECKSUM TABLE t [, t2...] [QUICK | EXTENDED]. ok is false when sql is not one of them; err is set when it
// starts like one but is malformed.
func parseAdmin(sql string) (st *adminStmt, ok bool, err error) {
	if w, sure := leadingWord(sql); sure && !strings.EqualFold(w, "CHECK") && !strings.EqualFold(w, "REPAIR") && !strings.EqualFold(w, "OPTIMIZE") && !strings.EqualFold(w, "CHECKSUM") {
		return nil, false, nil
	}
	toks := tokenize(sql)
	if len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) < 2 {
		return nil, false, nil
	}
	first := strings.ToUpper(toks[0].text)
	if toks[0].kind != 'w' || (first != "CHECK" && first != "REPAIR" && first != "OPTIMIZE" && first != "CHECKSUM") {
		return nil, false, nil
	}
	i := 1
	if first != "CHECK" && first != "CHECKSUM" && toks[i].kind == 'w' && (strings.EqualFold(toks[i].text, "NO_WRITE_TO_BINLOG") || strings.EqualFold(toks[i].text, "LOCAL")) {
		i++
	}
	if i >= len(toks) || toks[i].kind != 'w' || !(strings.EqualFold(toks[i].text, "TABLE") || strings.EqualFold(toks[i].text, "TABLES")) {
		return nil, false, nil
	}
	i++
	st = &adminStmt{op: strings.ToLower(first)}
	for {
		if i >= len(toks) || (toks[i].kind != 'w' && toks[i].kind != 'q') {
			return nil, true, syntaxError(sql, toks, i)
		}
		name, schema := unquoteIdent(toks[i]), ""
		i++
		if i+1 < len(toks) && toks[i].text == "." && (toks[i+1].kind == 'w' || toks[i+1].kind == 'q') {
			schema, name = name, unquoteIdent(toks[i+1])
			i += 2
		}
		st.tables = append(st.tables, name)
		st.schemas = append(st.schemas, schema)
		if i < len(toks) && toks[i].text == "," {
			i++
			continue
		}
		break
	}
	for ; i < len(toks); i++ {
		t := toks[i]
		if t.kind != 'w' {
			return nil, true, syntaxError(sql, toks, i)
		}
		o := strings.ToUpper(t.text)
		switch {
		case st.op == "repair" && (o == "QUICK" || o == "EXTENDED" || o == "USE_FRM"):
		case st.op == "check" && (o == "QUICK" || o == "FAST" || o == "MEDIUM" || o == "EXTENDED" || o == "CHANGED" || o == "FOR" || o == "UPGRADE"):
		case st.op == "optimize" && o == "NOWAIT":
		case st.op == "checksum" && (o == "QUICK" || o == "EXTENDED"):
		default:
			return nil, true, syntaxError(sql, toks, i)
		}
		if o == "QUICK" {
			st.quick = true
		}
		st.options = append(st.options, o)
	}
	return st, true, nil
}

// syntaxError is the 1064 error for the token at index i of toks.
func syntaxError(sql string, toks []token, i int) error {
	off := len(sql)
	if i < len(toks) {
		off = toks[i].start
	}
	line := 1 + strings.Count(sql[:off], "\n")
	return errParse(strings.TrimRight(sql[off:], "; \t\r\n"), line)
}

// Splitter reads SQL text and returns it one statement at a time, splitting
// at semicolons outside strings, quoted identifiers and comments. It reads
// no further than the end of the statement it returns, so a program can
// drive the shell through a pipe statement by statement. A Splitter is not
// safe for concurrent use.
type Splitter struct {
	r    *bufio.Reader
	line int // the current line, 1-based

	// ClientCommands makes Next read the mariadb client's own commands
	// as that client does (a shell's input, not a server's): \g ends a
	// statement as ';' does, \G ends one that is to be shown vertically
	// (Vertical), \q, or quit or exit alone at the start of a
	// statement, end the input, and DELIMITER changes what ends a
	// statement (mariadb-dump writes DELIMITER ;; around triggers and
	// routines, whose bodies hold ';').
	ClientCommands bool
	// Vertical reports that the statement Next returned last ended with \G.
	Vertical bool
	quit     bool   // \q was read: the input ends after the statement before it
	delim    string // set by DELIMITER; "" is ';'
}

// delimiterWord reports whether c, the first character of a statement,
// starts the client command DELIMITER with an argument, which then ends
// statements instead of ';' (DELIMITER ; sets it back), as in the mariadb
// client: its first word, without a backslash. It consumes the line.
func (s *Splitter) delimiterWord(c byte) bool {
	if c != 'd' && c != 'D' {
		return false
	}
	p, _ := s.r.Peek(256)
	line, _, _ := strings.Cut(string(p), "\n")
	if len(line) < 9 || !strings.EqualFold(line[:8], "elimiter") || !isSpace(line[8]) {
		return false
	}
	f := strings.Fields(line[9:])
	if len(f) == 0 || strings.Contains(f[0], "\\") {
		return false // the server's syntax error says what is wrong
	}
	s.delim = f[0]
	if s.delim == ";" {
		s.delim = ""
	}
	s.r.Discard(len(line))
	return true
}

// quitWord reports whether c, the first character of a statement, starts
// the client command quit or exit: the word alone on its line, or with a
// ';' after it. It then consumes the line.
func (s *Splitter) quitWord(c byte) bool {
	if c != 'q' && c != 'Q' && c != 'e' && c != 'E' {
		return false
	}
	p, _ := s.r.Peek(64)
	rest, _, _ := strings.Cut(string(p), "\n")
	word := strings.ToLower(strings.TrimRight(strings.TrimSpace(string(c)+rest), ";"))
	if strings.TrimSpace(word) != "quit" && strings.TrimSpace(word) != "exit" {
		return false
	}
	s.r.Discard(len(rest))
	return true
}

// NewSplitter returns a Splitter reading r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: bufio.NewReader(r), line: 1}
}

// Next returns the next statement (without its semicolon, trimmed) and the
// line it starts on. At the end of the input it returns io.EOF; text after
// the last semicolon that is not only white space and comments is returned
// as a last statement first. Empty statements (";;") are skipped.
func (s *Splitter) Next() (stmt string, line int, err error) {
	s.Vertical = false
	if s.quit {
		return "", s.line, io.EOF
	}
	var b strings.Builder
	startLine := 0
	var quote byte     // the open quote, or 0
	comment := byte(0) // '-' line comment, '*' block comment
	hasCode := false   // b holds something beyond blanks and comments
	codeAt := 0        // where in b the code starts, once hasCode
	for {
		c, rerr := s.r.ReadByte()
		if rerr != nil {
			if hasCode {
				return strings.TrimSpace(b.String()[codeAt:]), startLine, nil
			}
			if rerr == io.EOF {
				return "", s.line, io.EOF
			}
			return "", s.line, rerr
		}
		if c == '\n' {
			s.line++
		}
		switch {
		case comment == '-':
			b.WriteByte(c)
			if c == '\n' {
				comment = 0
			}
			continue
		case comment == '*':
			b.WriteByte(c)
			if c == '/' && strings.HasSuffix(b.String(), "*/") {
				comment = 0
			}
			continue
		case quote != 0:
			b.WriteByte(c)
			if c == '\\' && quote != '`' {
				if n, err := s.r.ReadByte(); err == nil {
					if n == '\n' {
						s.line++
					}
					b.WriteByte(n)
				}
				continue
			}
			if c == quote {
				// A doubled quote continues the string.
				if p, err := s.r.Peek(1); err == nil && p[0] == quote {
					n, _ := s.r.ReadByte()
					b.WriteByte(n)
					continue
				}
				quote = 0
			}
			continue
		}
		if s.ClientCommands {
			if !hasCode && s.quitWord(c) {
				return "", s.line, io.EOF
			}
			if !hasCode && s.delimiterWord(c) {
				b.Reset()
				continue
			}
			if c == '\\' {
				if p, err := s.r.Peek(1); err == nil && (p[0] == 'g' || p[0] == 'G' || p[0] == 'q') {
					s.r.ReadByte()
					s.Vertical, s.quit = p[0] == 'G', p[0] == 'q'
					if hasCode {
						return strings.TrimSpace(b.String()[codeAt:]), startLine, nil
					}
					if s.quit {
						return "", s.line, io.EOF
					}
					b.Reset()
					continue
				}
			}
		}
		switch c {
		case ';':
			if s.delim != "" {
				break // DELIMITER set another: ';' is text
			}
			if hasCode {
				return strings.TrimSpace(b.String()[codeAt:]), startLine, nil
			}
			b.Reset()
			continue
		case '\'', '"', '`':
			quote = c
		case '#':
			comment = '-'
		case '-':
			if strings.HasSuffix(b.String(), "-") {
				// The first '-' was taken for code: is it a comment's?
				first := hasCode && codeAt == b.Len()-1
				// The mariadb client also takes "--" for a comment, space
				// after it or not, when no code comes before it.
				clientComment := first && s.ClientCommands
				if p, err := s.r.Peek(1); err != nil || isSpace(p[0]) || clientComment {
					comment = '-'
					if first { // undo the guess
						hasCode = false
						startLine = 0
					}
				}
			}
		case '*':
			if p, err := s.r.Peek(1); strings.HasSuffix(b.String(), "/") && (err != nil || p[0] != '!') {
				// A /*! ... */ comment is code: MySQL runs what is in it
				// (mysqldump's SET statements are written that way).
				comment = '*'
				if hasCode && codeAt == b.Len()-1 { // the '/' was taken for code
					hasCode = false
					startLine = 0
				}
			}
		}
		b.WriteByte(c)
		if comment == 0 && !isSpace(c) && !hasCode {
			hasCode, codeAt = true, b.Len()-1
			startLine = s.line
			if c == '\n' {
				startLine--
			}
		}
		if s.delim != "" && comment == 0 && quote == 0 && strings.HasSuffix(b.String(), s.delim) {
			if end := b.Len() - len(s.delim); hasCode && end > codeAt {
				return strings.TrimSpace(b.String()[codeAt:end]), startLine, nil
			}
			b.Reset()
			hasCode, startLine = false, 0
		}
	}
}

// leadingWord returns the statement's first word, skipping blanks and
// comments, without tokenizing the rest: most statements are neither
// CREATE TABLE nor CHECK/REPAIR, and need not be scanned twice for them. sure
// is false when the start is anything unusual (a versioned /*! comment, an
// unterminated comment): the caller then tokenizes as before.
func leadingWord(sql string) (word string, sure bool) {
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case strings.HasPrefix(sql[i:], "/*!") || strings.HasPrefix(sql[i:], "/*+"):
			return "", false
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return "", false
			}
			i += 2 + end + 2
		case c == '#' || (strings.HasPrefix(sql[i:], "--") && (i+2 == len(sql) || sql[i+2] == ' ' || sql[i+2] == '\t' || sql[i+2] == '\n' || sql[i+2] == '\r')):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				return "", true
			}
			i += end + 1
		default:
			j := i
			for j < len(sql) && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z') {
				j++
			}
			return sql[i:j], true
		}
	}
	return "", true
}
