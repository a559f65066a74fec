package sqlshim

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// SELECT ... INTO OUTFILE 'file' [CHARACTER SET cs] [{FIELDS | COLUMNS}
// [TERMINATED BY 's'] [[OPTIONALLY] ENCLOSED BY 'c'] [ESCAPED BY 'c']]
// [LINES [STARTING BY 's'] [TERMINATED BY 's']] writes the result to a new
// file of this process's filesystem in the format LOAD DATA INFILE reads
// back with the same options, as MariaDB does; SELECT ... INTO DUMPFILE
// 'file' writes the one row's values one after the other, as they are.
// The clause may come before FROM or at the end, as in MariaDB.
//
// Who may write: a server writing a file where the client names it is a
// way in for anyone who can connect (a file in the database's own
// directory would be read as a table's definition at the next open), so
// only an embedded session (blitz sql, the Go driver), whose client and
// server are the same program running as its user, writes files; one
// that reads no server file (Session.SetInfile with serverFiles false:
// blitz serve) refuses with MariaDB's 1290 "running with the
// --secure-file-priv option", and @@secure_file_priv says NULL there,
// unless SetServerFileDir named a directory (blitz serve
// --secure-file-priv DIR, for mariadb-dump --tab): then a file whose real
// path is in it is written (a relative name is relative to it), any
// other is 1290 (loaddata.go's serverPath), and @@secure_file_priv says
// DIR/.
// Even an embedded session never writes into the database's directory
// (1290), nor where the directory does not exist (1290, as MariaDB),
// nor over an existing file (1086, as MariaDB). A relative name is
// relative to the process's working directory, as LOAD DATA INFILE's is
// (MariaDB's are relative to its data directory).
//
// The format, as MariaDB writes it (defaults: fields terminated by a tab,
// not enclosed, escaped by a backslash; lines terminated by a newline):
//
//   - Each row is LINES STARTING BY, the fields separated by FIELDS
//     TERMINATED BY, then LINES TERMINATED BY.
//   - NULL is the escape character and N (\N), or NULL without one.
//   - A field is enclosed by ENCLOSED BY; with OPTIONALLY only a field of a
//     string or temporal type.
//   - In a field of a string or temporal type, the escape character
//     precedes itself, the enclosing character (or, in a field not
//     enclosed, the field terminator's first character), the line
//     terminator's first character, and NUL, written as 0.
//
// Example: SELECT 1, 'a\tb', NULL INTO OUTFILE '/tmp/f' writes
// "1\ta\\\tb\t\\N\n".

// intoFile is the INTO OUTFILE or INTO DUMPFILE clause of a SELECT.
type intoFile struct {
	dump bool   // INTO DUMPFILE
	name string // the file's name as written
	// The format (OUTFILE only): esc is "" for ESCAPED BY ''.
	term, encl, esc     string
	optEnclosed         bool
	lineStart, lineTerm string
}

// intoFileOptionWords are the words that may follow INTO OUTFILE 'name'.
var intoFileOptionWords = map[string]bool{
	"CHARACTER": true, "SET": true, "CHARSET": true, "FIELDS": true, "COLUMNS": true, "TERMINATED": true,
	"OPTIONALLY": true, "ENCLOSED": true, "ESCAPED": true, "BY": true, "LINES": true, "STARTING": true,
}

// stripIntoFile finds the INTO OUTFILE or INTO DUMPFILE clause of a
// SELECT (outside parentheses, before FROM or at the end) and returns the
// statement without it, and the clause; a statement without one comes
// back unchanged, with nil. The clause's options are read by p.
func stripIntoFile(p *parser.Parser, sql string) (string, *intoFile, error) {
	if w, sure := leadingWord(sql); sure && !strings.EqualFold(w, "SELECT") && !strings.EqualFold(w, "WITH") && w != "" { // ("": punctuation, as the ( of (SELECT ...) INTO)
		return sql, nil, nil
	}
	if !containsFold(sql, "OUTFILE") && !containsFold(sql, "DUMPFILE") { // lex_colexpr.go
		return sql, nil, nil
	}
	toks := tokenize(sql)
	depth := 0
	for i, t := range toks {
		switch t.text {
		case "(":
			depth++
		case ")":
			depth--
		}
		if depth != 0 || t.kind != 'w' || !strings.EqualFold(t.text, "INTO") || i+2 >= len(toks) || toks[i+1].kind != 'w' {
			continue
		}
		kind := strings.ToUpper(toks[i+1].text)
		if kind != "OUTFILE" && kind != "DUMPFILE" || toks[i+2].kind != 's' {
			continue
		}
		end := i + 3
		charset := ""
		for end < len(toks) && (toks[end].kind == 's' || toks[end].kind == 'w' && intoFileOptionWords[strings.ToUpper(toks[end].text)]) {
			w := strings.ToUpper(toks[end].text)
			if toks[end].kind == 'w' && (w == "CHARSET" || w == "CHARACTER" && end+1 < len(toks) && strings.EqualFold(toks[end+1].text, "SET")) {
				// CHARACTER SET name: the file's set.
				n := end + 1
				if w == "CHARACTER" {
					n++
				}
				if n >= len(toks) || toks[n].kind != 'w' && toks[n].kind != 's' && toks[n].kind != 'q' {
					return "", nil, syntaxError(sql, toks, min(n, len(toks)-1))
				}
				charset = strings.Trim(toks[n].text, "'\"`")
				toks = append(toks[:end:end], toks[n+1:]...)
				continue
			}
			end++
		}
		// The options, without CHARACTER SET, read by the parser as those
		// of a SELECT of nothing.
		var opts strings.Builder
		for _, o := range toks[i+3 : end] {
			opts.WriteString(" ")
			opts.WriteString(o.text)
		}
		probe := "SELECT 1 INTO OUTFILE " + toks[i+2].text + opts.String()
		nodes, _, err := p.Parse(probe, "", "")
		if err != nil {
			return "", nil, mapParseError(err, probe)
		}
		sel, ok := nodes[0].(*ast.SelectStmt)
		if !ok || sel.SelectIntoOpt == nil {
			return "", nil, errParse(toks[i].text, 1)
		}
		f := &intoFile{dump: kind == "DUMPFILE", name: sel.SelectIntoOpt.FileName,
			term: "\t", esc: "\\", lineTerm: "\n"}
		if f.dump && end > i+3 {
			return "", nil, syntaxError(sql, toks, i+3) // DUMPFILE takes no options
		}
		if fi := sel.SelectIntoOpt.FieldsInfo; fi != nil {
			if fi.Terminated != nil {
				f.term = *fi.Terminated
			}
			if fi.Enclosed != nil {
				f.encl = *fi.Enclosed
				f.optEnclosed = fi.OptEnclosed
			}
			if fi.Escaped != nil {
				f.esc = *fi.Escaped
			}
		}
		if li := sel.SelectIntoOpt.LinesInfo; li != nil {
			if li.Starting != nil {
				f.lineStart = *li.Starting
			}
			if li.Terminated != nil {
				f.lineTerm = *li.Terminated
			}
		}
		if charset != "" {
			switch strings.ToLower(charset) {
			case "utf8", "utf8mb3", "utf8mb4", "binary":
			default:
				return "", nil, errNotSupported("SELECT ... INTO OUTFILE of a character set other than utf8mb4 (" + charset + ")")
			}
		}
		if !f.dump && f.term == "" && f.encl == "" {
			return "", nil, errNotSupported("SELECT ... INTO OUTFILE of fixed-width rows (FIELDS TERMINATED BY '' ENCLOSED BY '')")
		}
		stop := len(sql)
		if end < len(toks) {
			stop = toks[end].start
		}
		return sql[:t.start] + " " + sql[stop:], f, nil
	}
	return sql, nil, nil
}

// checkIntoPlace refuses, with MariaDB's syntax error at the same word,
// an INTO clause (INTO OUTFILE 'f', INTO DUMPFILE 'f', INTO @var) where
// MariaDB takes none. One may come only in a statement that is a SELECT
// (or a UNION, or one in parentheses, or WITH ... SELECT), outside
// parentheses, once: right after the select list, or at the end (only FOR
// UPDATE or LOCK IN SHARE MODE after it; in a UNION only there), never
// before a UNION, EXCEPT or INTERSECT. So a subquery's, a derived table's, a CTE's, an INSERT ...
// SELECT's, a CREATE TABLE ... SELECT's or a view's is an error at its
// INTO, and so is a second clause; one before a set operator is an error
// at the operator, and a clause of the end one (LIMIT after it) at that
// clause's word. INTO OUTFILE | DUMPFILE without a file name in a SELECT
// is an error at what follows. Statements with none of '@', OUTFILE and
// DUMPFILE are not tokenized.
func checkIntoPlace(sql string) error {
	if !mayHaveInto(sql) {
		return nil
	}
	toks := tokenize(sql)
	if len(toks) == 0 {
		return nil
	}
	selectLed := false
	switch strings.ToUpper(toks[0].text) {
	case "SELECT", "WITH", "(", "EXPLAIN", "DESCRIBE", "DESC", "ANALYZE":
		selectLed = true
	}
	depth := 0
	clauses := false // a FROM ... LIMIT clause of the current SELECT came (the end position)
	into := -1       // the INTO clause seen outside parentheses
	early := false   // it came right after the select list
	setOp := false   // a UNION, EXCEPT or INTERSECT came: the clause may come only at the end
	for i, t := range toks {
		switch t.text {
		case "(":
			depth++
			continue
		case ")":
			depth--
			continue
		}
		if t.kind != 'w' {
			continue
		}
		w := strings.ToUpper(t.text)
		if w == "INTO" && i+1 < len(toks) {
			next := strings.ToUpper(toks[i+1].text)
			file := (next == "OUTFILE" || next == "DUMPFILE") && toks[i+1].kind == 'w'
			if !file && (toks[i+1].text != "@" || toks[i+1].kind != 'p') {
				continue // INSERT INTO t, or not an INTO clause
			}
			if file && (i+2 >= len(toks) || toks[i+2].kind != 's') {
				if selectLed && depth == 0 {
					return syntaxError(sql, toks, i+2) // no file name
				}
				continue // a table named dumpfile
			}
			if depth > 0 || !selectLed || into >= 0 {
				return syntaxError(sql, toks, i)
			}
			into, early = i, !clauses && !setOp
			continue
		}
		if depth > 0 {
			continue
		}
		switch w {
		case "SELECT":
			clauses = false
		case "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "PROCEDURE":
			if into >= 0 && !early {
				return syntaxError(sql, toks, i)
			}
			clauses = true
		case "UNION", "EXCEPT", "INTERSECT":
			if into >= 0 {
				return syntaxError(sql, toks, i)
			}
			setOp = true
		}
	}
	return nil
}

// mayHaveInto reports whether sql has a '@', OUTFILE or DUMPFILE, without
// which it has no INTO clause to check.
func mayHaveInto(sql string) bool {
	return strings.IndexByte(sql, '@') >= 0 || containsFold(sql, "OUTFILE") || containsFold(sql, "DUMPFILE") // lex_colexpr.go
}

// errSecureFilePriv is MariaDB's refusal of a file the server may not
// read or write.
func errSecureFilePriv() error {
	return errf(sqlerr.ErrOptionPrevents, "The MariaDB server is running with the --secure-file-priv option so it cannot execute this statement")
}

// selectIntoFile runs SELECT ... INTO OUTFILE | DUMPFILE: the rows go to
// the file, and the client gets their number as the affected rows.
//
// The rows stream: the file is created first, and each row is formatted
// and written (through a 64 KiB buffer) as the SELECT produces it, so an
// export of any size takes the memory of the SELECT's own state only: none
// for a scan, a join or a LIMIT; that of the groups for GROUP BY and of
// the rows seen for DISTINCT; a sort's budget for ORDER BY (sort_spill.go).
// What cannot stream (a UNION, whose columns' types come from all its
// SELECTs; a view merged into the query) returns its rows, written then.
//
// On an error once rows were written (the disk full, the third row of
// INTO DUMPFILE, an error of the query in the middle of the rows) the file
// stays, holding what was written, as MariaDB 10.11 leaves it; on one
// before any row (an unknown column or table) the empty file is removed,
// as MariaDB creates none then.
func (x *execCtx) selectIntoFile(st *statement) (Result, error) {
	f := st.intoFile
	path, err := x.s.outfilePath(f.name)
	if err != nil {
		return Result{}, err
	}
	out, err := createOutfile(path)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Result{}, errf(errFileExists, "File '%s' already exists", f.name)
		}
		return Result{}, writeFileErr(errCantCreateFile, "Can't create/write to file", f.name, err)
	}
	k := &fileSink{f: f, w: bufio.NewWriterSize(out, 64<<10)}
	closed := false
	defer func() {
		if !closed { // a panic (guard reports it): the file is closed still
			out.Close()
		}
	}()
	if _, ok := st.node.(*ast.SelectStmt); ok {
		x.sink = k // (a UNION's SELECTs are not the top one: it returns its rows)
	}
	r, err := x.dml(st.node)
	x.sink = nil
	if err == nil && len(r.Rows) > 0 {
		k.cols, k.fixed = r.Columns, true
		for _, row := range r.Rows {
			if err = k.row(row, nil); err != nil {
				break
			}
		}
	}
	if ferr := k.w.Flush(); ferr != nil && err == nil {
		err = writeFileErr(errFileWrite, "Error writing file", f.name, ferr)
	}
	closed = true
	if cerr := out.Close(); cerr != nil && err == nil {
		err = writeFileErr(errFileWrite, "Error writing file", f.name, cerr)
	}
	if err != nil {
		if !k.wrote {
			os.Remove(path) // no row came: no file, as in MariaDB
		}
		return Result{}, err
	}
	return Result{AffectedRows: k.n}, nil
}

// createOutfile creates the file of SELECT ... INTO OUTFILE | DUMPFILE,
// never over an existing one (tests replace it to fail writes).
var createOutfile = func(path string) (io.WriteCloser, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// fileSink writes the rows of SELECT ... INTO OUTFILE | DUMPFILE as the
// SELECT produces them (execCtx.sink).
type fileSink struct {
	f     *intoFile
	w     *bufio.Writer
	n     uint64 // the rows written
	wrote bool   // a row was formatted into w (the file is no longer empty, or fails)
	// cols are the result's columns, which say how a value is written (a
	// FLOAT's digits, a DATE's form, whether a field is text). An
	// expression's column takes its type from the first row with a value
	// in it (finishSelect), so a column is settled (have) by the first
	// value it gets: until then it has had NULLs, written the same in any
	// type. fixed: all are settled (the rows came in a Result).
	cols  []Column
	have  []bool
	fixed bool
}

// row writes one row; colsOf gives the result's columns as the SELECT
// would describe them for a result whose first row is row.
func (k *fileSink) row(vals []any, colsOf func(row []any) ([]Column, error)) error {
	if k.f.dump && k.n >= 2 {
		// MariaDB 10.11 writes the first two rows one after the other and
		// fails at the third (select_dump counts from 0 and tests > 1).
		return errf(errTooManyRows, "Result consisted of more than one row")
	}
	if !k.fixed {
		settle := k.cols == nil
		for i := 0; !settle && i < len(vals); i++ {
			settle = vals[i] != nil && !k.have[i]
		}
		if settle {
			cols, err := colsOf(vals)
			if err != nil {
				return err
			}
			if k.cols == nil {
				k.cols, k.have = cols, make([]bool, len(cols))
			}
			for i, v := range vals {
				if v != nil && !k.have[i] {
					k.cols[i], k.have[i] = cols[i], true
				}
			}
		}
	}
	k.wrote = true
	var err error
	if k.f.dump {
		err = dumpRow(k.w, k.cols, vals)
	} else {
		err = k.f.exportRow(k.w, k.cols, vals)
	}
	if err != nil {
		return writeFileErr(errFileWrite, "Error writing file", k.f.name, err)
	}
	k.n++
	return nil
}

// outfilePath resolves the name of INTO OUTFILE | DUMPFILE to the path to
// create, or refuses it (see the comment at the top of this file).
func (s *Session) outfilePath(name string) (string, error) {
	if s.infile.noServerFiles() {
		return "", errSecureFilePriv()
	}
	if name == "" {
		return "", errSecureFilePriv()
	}
	name, err := s.infile.serverPath(name) // loaddata.go
	if err != nil {
		return "", err
	}
	path, err := filepath.Abs(name)
	if err != nil || name == "" {
		return "", errSecureFilePriv()
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return "", errSecureFilePriv() // no such directory: as MariaDB
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", errSecureFilePriv()
	}
	dbDir, err := filepath.Abs(s.db.Dir())
	if err == nil {
		if d, err := filepath.EvalSymlinks(dbDir); err == nil {
			dbDir = d
		}
		if rel, err := filepath.Rel(dbDir, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", errSecureFilePriv() // the database's own files
		}
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}

// writeFileErr is MariaDB's error about a file it could not create or
// write: "Can't create/write to file 'x' (Errcode: 13 "Permission
// denied")".
func writeFileErr(code int, what, name string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errf(code, "%s '%s' (Errcode: %d \"%s\")", what, name, int(errno), errnoText(errno))
	}
	return errf(code, "%s '%s' (%v)", what, name, err)
}

// dumpRow writes a row of INTO DUMPFILE: each value as it is, nothing
// between them, nothing for NULL.
func dumpRow(w *bufio.Writer, cols []Column, row []any) error {
	for i, v := range row {
		if s, ok := FormatValue(cols[i], v); ok {
			if _, err := w.WriteString(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// exportRow writes a row in the format of f (see the top of this file).
// A write error sticks to w: the last write reports it.
func (f *intoFile) exportRow(w *bufio.Writer, cols []Column, row []any) error {
	w.WriteString(f.lineStart)
	for i, v := range row {
		if i > 0 {
			w.WriteString(f.term)
		}
		s, ok := FormatValue(cols[i], v)
		if !ok {
			if f.esc != "" {
				w.WriteString(f.esc)
				w.WriteByte('N')
			} else {
				w.WriteString("NULL")
			}
			continue
		}
		text := !numericType(cols[i].Type)
		enclose := f.encl != "" && (!f.optEnclosed || text)
		if enclose {
			w.WriteString(f.encl)
		}
		if f.esc != "" && text {
			// Escaped: the enclosing character in an enclosed field,
			// else the field terminator's first.
			fieldSep := f.term
			if enclose {
				fieldSep = f.encl
			}
			f.writeEscaped(w, s, fieldSep)
		} else {
			w.WriteString(s)
		}
		if enclose {
			w.WriteString(f.encl)
		}
	}
	if _, err := w.WriteString(f.lineTerm); err != nil {
		return err
	}
	return nil
}

// writeEscaped writes one field's text with the escape character before
// each character LOAD DATA would otherwise read as structure: itself,
// fieldSep's first character, the line terminator's first, and NUL
// (written as 0).
func (f *intoFile) writeEscaped(w *bufio.Writer, s string, fieldSep string) {
	esc := f.esc[0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != esc && c != 0 && (fieldSep == "" || c != fieldSep[0]) && (f.lineTerm == "" || c != f.lineTerm[0]) {
			w.WriteByte(c)
			continue
		}
		w.WriteByte(esc)
		if c == 0 {
			c = '0'
		}
		w.WriteByte(c)
	}
}

// numericType reports whether a column of this type holds numbers, whose
// text OPTIONALLY ENCLOSED BY leaves unenclosed and escaping leaves alone.
func numericType(t byte) bool {
	switch t {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong,
		mysql.TypeFloat, mysql.TypeDouble, mysql.TypeNewDecimal, mysql.TypeYear, mysql.TypeBit:
		return true
	}
	return false
}
