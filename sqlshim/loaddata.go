package sqlshim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// LOAD DATA [LOCAL] INFILE reads a delimited text file into a table, as
// MySQL does:
//
//   - A row ends at LINES TERMINATED BY (default "\n"); with LINES STARTING
//     BY, a row starts after the next occurrence of that prefix and what
//     comes before it is skipped.
//   - Fields end at FIELDS TERMINATED BY (default "\t"). A field that
//     starts with the ENCLOSED BY character (default none) runs to the next
//     one that is followed by a field or line terminator (or the end of the
//     file), so it may hold either; a doubled enclosing character inside it
//     stands for one.
//   - The ESCAPED BY character (default "\") makes the next character
//     literal, except \0 \b \n \r \t \Z, which stand for NUL, backspace,
//     newline, return, tab and ^Z. A field that is exactly \N is NULL, and
//     so is an unenclosed NULL when ENCLOSED BY is set.
//   - Fields go to the listed columns and @variables in order (all columns
//     of the table without a list); SET assignments run after them. A row
//     with too few fields gives NULL (a NOT NULL column: its implicit
//     default) to the columns left over (1261); one with too many drops the
//     rest (1262).
//
// LOCAL or IGNORE make errors in a row's values warnings (the values are
// adjusted as outside strict mode) and skip rows with a duplicate key;
// REPLACE replaces them; otherwise, in strict mode, the first bad row
// fails the statement, which then changes nothing. The statement is one
// transaction.

// maxLoadField bounds the bytes of one field: a file without the
// terminators it is said to have must not be read whole into memory.
const maxLoadField = 64 << 20

// InfileOpener opens the file a LOAD DATA LOCAL INFILE statement names.
type InfileOpener func(name string) (io.ReadCloser, error)

// SetInfile says how LOAD DATA reaches its file. local opens the file of
// LOAD DATA LOCAL INFILE, which is the client's (blitz serve asks the
// client for it); nil refuses LOCAL with error 1148. serverFiles lets
// LOAD DATA INFILE (without LOCAL) read, and SELECT ... INTO OUTFILE
// write, a file of this process's filesystem (outfile.go); without it
// those are error 1290, as in a MariaDB whose --secure-file-priv
// excludes the file. Until SetInfile is called, a
// session opens both kinds with os.Open: an embedded session's client and
// server are the same program.
func (s *Session) SetInfile(local InfileOpener, serverFiles bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.infile = infileAccess{set: true, local: local, serverFiles: serverFiles}
}

// SetServerFileDir lets a session that SetInfile denied the server's
// files (serverFiles false) read and write them in dir only, as MariaDB
// with --secure-file-priv=dir: LOAD DATA INFILE reads, and SELECT ...
// INTO OUTFILE | DUMPFILE writes, a file whose real path (symbolic links
// followed) is in dir or below, and a relative name is relative to dir;
// any other is 1290. @@secure_file_priv is then dir with a trailing
// slash. dir must be an absolute path; "" takes the permission back.
func (s *Session) SetServerFileDir(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.infile.serverDir = dir
}

// infileAccess is what SetInfile and SetServerFileDir set.
type infileAccess struct {
	set         bool
	local       InfileOpener
	serverFiles bool
	serverDir   string // SetServerFileDir
}

// onlyIn reports whether the server's files are refused but in
// a.serverDir, and noServerFiles whether they are refused altogether.
func (a infileAccess) onlyIn() bool        { return a.set && !a.serverFiles && a.serverDir != "" }
func (a infileAccess) noServerFiles() bool { return a.set && !a.serverFiles && a.serverDir == "" }

// serverPath returns the path of the server's file name under the
// session's access: name itself, or with SetServerFileDir, name
// (relative to the directory) if its real path is in the directory, else
// error 1290. A file that does not exist yet is judged by its directory.
func (a infileAccess) serverPath(name string) (string, error) {
	if !a.onlyIn() {
		return name, nil
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(a.serverDir, name)
	}
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		dir, derr := filepath.EvalSymlinks(filepath.Dir(name))
		if derr != nil {
			return "", errSecureFilePriv() // no such directory: as MariaDB
		}
		real = filepath.Join(dir, filepath.Base(name))
	}
	top, err := filepath.EvalSymlinks(a.serverDir)
	if err != nil {
		return "", errSecureFilePriv()
	}
	if rel, err := filepath.Rel(top, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", errSecureFilePriv()
	}
	return name, nil
}

// openInfile opens the file of a LOAD DATA statement.
func (s *Session) openInfile(name string, local bool) (io.ReadCloser, error) {
	a := s.infile
	switch {
	case local && a.set && a.local == nil:
		return nil, errf(sqlerr.ErrNotAllowedCommand, "The used command is not allowed with this MariaDB version")
	case local && a.set:
		return a.local(name)
	case !local && a.noServerFiles():
		return nil, errSecureFilePriv() // outfile.go
	}
	if !local {
		var err error
		if name, err = a.serverPath(name); err != nil {
			return nil, err
		}
		// As MariaDB: a file whose directory does not exist is refused
		// before it is looked for.
		if _, err := os.Stat(filepath.Dir(name)); err != nil {
			return nil, errSecureFilePriv()
		}
	}
	return openFile(name)
}

// openFile opens a file of this process's filesystem for LOAD DATA, with
// MySQL's errors.
func openFile(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fileErr(sqlerr.ErrFileNotFound, name, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, fileErr(sqlerr.ErrFileRead, name, syscall.EISDIR)
	}
	return f, nil
}

// fileErr is MySQL's error about a file: "File 'x' not found (Errcode: 2
// "No such file or directory")".
func fileErr(code int, name string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		verb := "Error reading file"
		if code == sqlerr.ErrFileNotFound {
			verb = "Cannot open file"
		}
		return errf(code, "%s '%s' (%v)", verb, name, err)
	}
	if code == sqlerr.ErrFileNotFound {
		return errf(code, "File '%s' not found (Errcode: %d \"%s\")", name, int(errno), errnoText(errno))
	}
	return errf(code, "Error reading file '%s' (Errcode: %d \"%s\")", name, int(errno), errnoText(errno))
}

// errnoText is the C library's text of an errno ("No such file or
// directory"): Go's, with its first letter capitalised.
func errnoText(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// loadTarget is where a field of the file goes: a column, or a user
// variable when col < 0.
type loadTarget struct {
	col     int
	userVar string
}

func (x *execCtx) loadData(n *ast.LoadDataStmt) (Result, error) {
	if n.Format != nil || len(n.Options) > 0 {
		return Result{}, errNotSupported("LOAD DATA with FORMAT or WITH options")
	}
	ti, err := x.tableRead(n.Table, "")
	if err != nil {
		return Result{}, err
	}
	spec, err := loadSpecOf(n)
	if err != nil {
		return Result{}, err
	}
	var targets []loadTarget
	listed := make([]bool, len(ti.def.Columns))
	for _, cv := range n.ColumnsAndUserVars {
		if cv.UserVar != nil {
			targets = append(targets, loadTarget{col: -1, userVar: cv.UserVar.Name})
			continue
		}
		i := ti.column(cv.ColumnName.Name.O)
		if i < 0 {
			return Result{}, errUnknownColumn(cv.ColumnName.Name.O, "SELECT") // MariaDB's wording
		}
		targets = append(targets, loadTarget{col: i})
		listed[i] = true
	}
	if len(n.ColumnsAndUserVars) == 0 {
		for i := range ti.def.Columns {
			targets = append(targets, loadTarget{col: i})
			listed[i] = true
		}
	}
	for _, a := range n.ColumnAssignments {
		i := ti.column(a.Column.Name.O)
		if i < 0 {
			return Result{}, errUnknownColumn(columnText(a.Column), "SELECT")
		}
		listed[i] = true
	}
	local := n.FileLocRef == ast.FileLocClient
	rc, err := x.s.openInfile(n.Path, local)
	if err != nil {
		return Result{}, err
	}
	defer rc.Close()

	// The parser makes LOCAL without REPLACE mean IGNORE, as MySQL does.
	ignore := n.OnDuplicate == ast.OnDuplicateKeyHandlingIgnore
	replace := n.OnDuplicate == ast.OnDuplicateKeyHandlingReplace
	x.loose = ignore || !x.s.sqlMode.strict()
	x.nullDefault = x.loose
	ins := &ast.InsertStmt{IsReplace: replace, IgnoreErr: ignore}
	keepZero := x.s.sqlMode.has(modeNoAutoValueOnZero)
	x.tx.SetNoAutoValueOnZero(keepZero)
	defer x.tx.SetNoAutoValueOnZero(false)
	autoCol := -1
	for i := range ti.def.Columns {
		if ti.def.Columns[i].AutoIncrement {
			autoCol = i
		}
	}

	// The columns no field or SET gives a value take their default, once
	// worked out (1364 for a NOT NULL column without one, as in INSERT).
	defaults := make(engine.Row, len(ti.def.Columns))
	for i := range ti.def.Columns {
		if listed[i] {
			continue
		}
		v, err := x.defaultFor(&ti.def.Columns[i])
		if err != nil {
			return Result{}, err
		}
		defaults[i] = v
	}

	lr := newLoadReader(rc, spec)
	if n.IgnoreLines != nil {
		for i := uint64(0); i < *n.IgnoreLines; i++ {
			more, err := lr.skipLine()
			if err != nil {
				return Result{}, fileErr(sqlerr.ErrFileRead, n.Path, err)
			}
			if !more {
				break
			}
		}
	}
	ec := x.newEval(ti, "SET")
	ec.strict = !x.loose
	var res Result
	var records, deleted, skipped uint64
	firstID := uint64(0)
rows:
	for rowNum := 1; ; rowNum++ {
		if err := x.ctx.Err(); err != nil {
			return Result{}, errf(sqlerr.ErrQueryInterrupted, "Query execution was interrupted")
		}
		fields, ok, err := lr.next()
		if err != nil {
			var se *sqlerr.Error
			if errors.As(err, &se) {
				return Result{}, err
			}
			return Result{}, fileErr(sqlerr.ErrFileRead, n.Path, err)
		}
		if !ok {
			break
		}
		records++
		row := make(engine.Row, len(ti.def.Columns))
		copy(row, defaults)
		for k, tg := range targets {
			missing := k >= len(fields)
			var v any
			if !missing && !fields[k].null {
				v = spec.text(fields[k].val)
			}
			if tg.col < 0 {
				if err := x.s.setUserVar(tg.userVar, v, nil); err != nil {
					return Result{}, err
				}
				continue
			}
			c := &ti.def.Columns[tg.col]
			if missing {
				if err := x.strictOr(sqlerr.ErrWarnTooFewRecords, "Row %d doesn't contain data for all columns", rowNum); err != nil {
					return Result{}, err
				}
			}
			if c.Generated != "" {
				continue // computed by insertRow; MariaDB ignores the field silently
			}
			if v == nil && c.NotNull && !c.AutoIncrement {
				// A missing field or \N: the type's implicit default
				// (1263 for \N), as MySQL does, or error 1263 in strict
				// mode; a type without one (a date) skips the row.
				if !missing && !x.loose {
					return Result{}, errf(sqlerr.ErrWarnNullToNotNull, "Column set to default value; NULL supplied to NOT NULL column '%s' at row %d", c.Name, rowNum)
				}
				d, ok := engine.ImplicitDefault(c)
				if !ok {
					x.s.addWarning(sqlerr.ErrBadNull, "Column '%s' cannot be null", c.Name)
					skipped++
					continue rows
				}
				if !missing {
					x.s.addWarning(sqlerr.ErrWarnNullToNotNull, "Column set to default value; NULL supplied to NOT NULL column '%s' at row %d", c.Name, rowNum)
				}
				row[tg.col] = d
				continue
			}
			cv, err := x.coerce(ti, c, v, rowNum)
			if x.skipIgnored(ignore, err) {
				skipped++
				continue rows
			}
			if err != nil {
				return Result{}, err
			}
			row[tg.col] = cv
		}
		if len(fields) > len(targets) {
			if err := x.strictOr(sqlerr.ErrWarnTooManyRecords, "Row %d was truncated; it contained more data than there were input columns", rowNum); err != nil {
				return Result{}, err
			}
		}
		ec.row = row
		for _, a := range n.ColumnAssignments {
			i := ti.column(a.Column.Name.O)
			v, err := x.assignedValue(ti, ec, i, a.Expr, rowNum)
			if x.skipIgnored(ignore, err) {
				skipped++
				continue rows
			}
			if err != nil {
				return Result{}, err
			}
			row[i] = v
		}
		affected, id, inserted, err := x.insertRow(ti, ins, row, autoCol, rowNum)
		if err != nil {
			return Result{}, err
		}
		res.AffectedRows += affected
		switch {
		case !inserted:
			skipped++
		case affected > 1:
			deleted += affected - 1
		}
		if inserted && id != 0 && firstID == 0 {
			firstID = id
		}
	}
	if firstID != 0 {
		x.s.lastInsertID = firstID
		res.LastInsertID = firstID
	}
	res.Info = fmt.Sprintf("Records: %d  Deleted: %d  Skipped: %d  Warnings: %d", records, deleted, skipped, len(x.s.warnings))
	return res, nil
}

// loadSpec is how a LOAD DATA file divides into rows and fields.
type loadSpec struct {
	fieldTerm, lineTerm, lineStart string
	encl, esc                      int  // the enclosing and escape characters, -1 for none
	latin1                         bool // CHARACTER SET latin1: bytes are code points
}

func loadSpecOf(n *ast.LoadDataStmt) (loadSpec, error) {
	sp := loadSpec{fieldTerm: "\t", lineTerm: "\n", encl: -1, esc: '\\'}
	if f := n.FieldsInfo; f != nil {
		if f.Terminated != nil {
			sp.fieldTerm = *f.Terminated
		}
		if f.Enclosed != nil {
			sp.encl = oneChar(*f.Enclosed)
		}
		if f.Escaped != nil {
			sp.esc = oneChar(*f.Escaped)
		}
		if f.DefinedNullBy != nil {
			return sp, errNotSupported("LOAD DATA with DEFINED NULL BY")
		}
	}
	if l := n.LinesInfo; l != nil {
		if l.Terminated != nil {
			sp.lineTerm = *l.Terminated
		}
		if l.Starting != nil {
			sp.lineStart = *l.Starting
		}
	}
	if sp.fieldTerm == "" && sp.encl < 0 {
		return sp, errNotSupported("LOAD DATA of fixed-width rows (FIELDS TERMINATED BY '' and ENCLOSED BY '')")
	}
	if sp.lineTerm == "" {
		return sp, errNotSupported("LOAD DATA with LINES TERMINATED BY ''")
	}
	if n.Charset != nil {
		switch cs := strings.ToLower(*n.Charset); cs {
		case "utf8", "utf8mb3", "utf8mb4", "binary", "ascii":
		case "latin1":
			sp.latin1 = true
		default:
			return sp, errf(sqlerr.ErrUnknownCharset, "Unknown character set: '%s'", *n.Charset)
		}
	}
	return sp, nil
}

func oneChar(s string) int {
	if s == "" {
		return -1
	}
	return int(s[0])
}

// text is a field's bytes as a string value (latin1 converted to UTF-8).
func (sp *loadSpec) text(b []byte) string {
	if !sp.latin1 {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c < utf8.RuneSelf {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// loadField is one field of a row: its bytes, or NULL.
type loadField struct {
	val  []byte
	null bool
}

// loadReader splits a LOAD DATA file into rows of fields (see the comment
// at the top of this file).
type loadReader struct {
	r  *bufio.Reader
	sp loadSpec
}

func newLoadReader(r io.Reader, sp loadSpec) *loadReader {
	return &loadReader{r: bufio.NewReaderSize(r, 64<<10), sp: sp}
}

// at reports whether the unread input starts with s.
func (lr *loadReader) at(s string) bool {
	if s == "" {
		return false
	}
	p, _ := lr.r.Peek(len(s))
	return string(p) == s
}

// terminator consumes a field or line terminator if the unread input
// starts with one; end tells which (a line's).
func (lr *loadReader) terminator() (found, end bool) {
	if lr.at(lr.sp.fieldTerm) {
		lr.r.Discard(len(lr.sp.fieldTerm))
		return true, false
	}
	if lr.at(lr.sp.lineTerm) {
		lr.r.Discard(len(lr.sp.lineTerm))
		return true, true
	}
	return false, false
}

// skipLine discards input through the next line terminator; false at the
// end of the file.
func (lr *loadReader) skipLine() (bool, error) {
	for {
		if lr.at(lr.sp.lineTerm) {
			lr.r.Discard(len(lr.sp.lineTerm))
			return true, nil
		}
		if _, err := lr.r.ReadByte(); err != nil {
			if err == io.EOF {
				return false, nil
			}
			return false, err
		}
	}
}

// next reads the fields of the next row; ok is false at the end of the
// file.
func (lr *loadReader) next() (fields []loadField, ok bool, err error) {
	if lr.sp.lineStart != "" {
		for !lr.at(lr.sp.lineStart) {
			if _, err := lr.r.ReadByte(); err != nil {
				if err == io.EOF {
					return nil, false, nil
				}
				return nil, false, err
			}
		}
		lr.r.Discard(len(lr.sp.lineStart))
	} else if _, err := lr.r.Peek(1); err != nil {
		if err == io.EOF {
			return nil, false, nil
		}
		return nil, false, err
	}
	for {
		f, end, err := lr.field()
		if err != nil {
			return nil, false, err
		}
		fields = append(fields, f)
		if end {
			return fields, true, nil
		}
	}
}

// field reads one field and the terminator after it; end is true when
// that ended the row (a line terminator or the end of the file).
func (lr *loadReader) field() (f loadField, end bool, err error) {
	sp := &lr.sp
	quoted := false
	if sp.encl >= 0 {
		if p, _ := lr.r.Peek(1); len(p) == 1 && int(p[0]) == sp.encl {
			lr.r.Discard(1)
			quoted = true
		}
	}
	var val []byte
	escN := false // the field so far is exactly the escape character and N
	raw := 0      // input bytes of the field so far
	ret := func(end bool) (loadField, bool, error) {
		switch {
		case !quoted && escN && raw == 2:
			return loadField{null: true}, end, nil
		case !quoted && sp.encl >= 0 && string(val) == "NULL":
			return loadField{null: true}, end, nil
		}
		return loadField{val: val}, end, nil
	}
	for {
		if len(val) > maxLoadField {
			return loadField{}, false, errf(sqlerr.ErrNetPacketTooLarge, "Got a packet bigger than 'max_allowed_packet' bytes: a field of the LOAD DATA file is over %d bytes (are its FIELDS and LINES TERMINATED BY right?)", maxLoadField)
		}
		if !quoted {
			if found, end := lr.terminator(); found {
				return ret(end)
			}
		}
		c, err := lr.r.ReadByte()
		if err == io.EOF {
			if quoted {
				// Never closed: the file ended inside the enclosed value,
				// which then keeps its opening character, as in MySQL.
				val = append([]byte{byte(sp.encl)}, val...)
			}
			return ret(true)
		}
		if err != nil {
			return loadField{}, false, err
		}
		raw++
		if sp.esc >= 0 && int(c) == sp.esc {
			d, err := lr.r.ReadByte()
			if err == io.EOF {
				val = append(val, c)
				return ret(true)
			}
			if err != nil {
				return loadField{}, false, err
			}
			raw++
			escN = raw == 2 && d == 'N'
			val = append(val, unescapeLoad(d))
			continue
		}
		if quoted && int(c) == sp.encl {
			if p, _ := lr.r.Peek(1); len(p) == 1 && int(p[0]) == sp.encl {
				lr.r.Discard(1)
				raw++
				val = append(val, c)
				continue
			}
			if found, end := lr.terminator(); found {
				return ret(end)
			}
			if _, err := lr.r.Peek(1); err == io.EOF {
				return ret(true)
			}
			// An enclosing character inside the value: part of it.
		}
		val = append(val, c)
	}
}

// unescapeLoad is what an escaped character d stands for.
func unescapeLoad(d byte) byte {
	switch d {
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 0x1a
	}
	return d
}
