package sqlshim

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver" // literal values for the parser
)

// statement is one parsed SQL statement, ready to plan: either a node of
// TiDB's AST or one of the statements recognised before the parser
// (CHECK/REPAIR TABLE, SHOW ENGINE), with what was stripped from the text.
type statement struct {
	text      string
	node      ast.StmtNode // nil for admin
	admin     *adminStmt
	routine   *routineStmt   // DROP PROCEDURE, CALL, ... (routines.go)
	crashSafe bool           // CREATE TABLE ... CRASH_SAFE
	nparams   int            // number of ? placeholders
	intoVars  []string       // SELECT ... INTO @a, @b: the variables (stripped from the text parsed)
	intoLate  bool           // ... and the INTO came after FROM (deprecated: warning 1287)
	intoFile  *intoFile      // SELECT ... INTO OUTFILE | DUMPFILE (stripped from the text parsed; outfile.go)
	view      *viewDDL       // CREATE or ALTER VIEW: what the text said (view_parse.go)
	returning *ast.FieldList // INSERT/REPLACE/DELETE ... RETURNING: the list (returning.go)
	readWrite bool           // START TRANSACTION READ WRITE (txchars.go), which the parser does not mark
	point     *pointShape    // a SELECT that may run as a point lookup (pointselect.go)
}

// parseOne parses the text of one statement (no trailing semicolon
// needed). p is not safe for concurrent use: the session owns it.
func parseOne(p *parser.Parser, sql string) (*statement, error) {
	if adm, ok, err := parseAdmin(sql); ok {
		if err != nil {
			return nil, err
		}
		return &statement{text: sql, admin: adm}, nil
	}
	if rt, ok, err := parseRoutine(sql); ok { // routines.go
		if err != nil {
			return nil, err
		}
		return &statement{text: sql, routine: rt}, nil
	}
	if err := checkIntoPlace(sql); err != nil { // an INTO clause where MariaDB takes none (outfile.go)
		return nil, err
	}
	text, crashSafe := stripCrashSafe(rewriteColumnExprs(loadIgnoreRows(sql)))
	text, intoVars, intoLate := stripIntoVars(text)
	text, intoF, ferr := stripIntoFile(p, text) // outfile.go
	if ferr != nil {
		return nil, ferr
	}
	text, vd := rewriteViewDDL(text)
	text, retList, hasRet := stripReturning(text)
	text, showLim := stripShowLimit(text)               // show_diag.go
	text, gcFixes, err := rewriteGroupConcatLimit(text) // groupconcat_limit.go
	if err != nil {
		return nil, err
	}
	text, conIfs, err := rewriteConstraintDDL(text) // lex_constraint.go
	if err != nil {
		return nil, err
	}
	if st, ok, err := parseExecute(p, text); ok {
		return st, err
	}
	if parenDepth(text) > maxNesting {
		// Refused before parsing: the parser's memory grows with the
		// depth (gigabytes for a few million parentheses).
		return nil, errTooDeep()
	}
	nodes, _, err := p.Parse(text, "", "")
	if err != nil {
		if adm, node, ok := parseShowUnparsed(text); ok { // show_replication.go
			return &statement{text: sql, admin: adm, node: node}, nil
		}
		return nil, mapParseError(err, text)
	}
	if len(nodes) == 0 {
		return nil, errParse("", 1)
	}
	if len(nodes) > 1 {
		return nil, errNotSupported("multiple statements in one call")
	}
	st := &statement{text: sql, node: nodes[0], crashSafe: crashSafe, intoVars: intoVars, intoLate: intoLate, intoFile: intoF}
	if sh, ok := st.node.(*ast.ShowStmt); ok && showLim != nil {
		sh.Limit = showLim
	}
	restoreFieldTexts(st.node, gcFixes)
	applyConstraintIfs(st.node, conIfs)
	markOneShot(text, st.node) // txchars.go
	st.readWrite = startReadWrite(text, st.node)
	st.view = viewParsed(st.node, vd)
	if sel, ok := st.node.(*ast.SelectStmt); ok && intoVars == nil && intoF == nil && !hasRet {
		st.point = pointShapeOf(sel)
	}
	if intoVars != nil || intoF != nil {
		switch st.node.(type) {
		case *ast.SelectStmt, *ast.SetOprStmt:
		default:
			return nil, errParse("INTO", 1)
		}
	}
	if crashSafe {
		if _, ok := st.node.(*ast.CreateTableStmt); !ok {
			return nil, errParse("CRASH_SAFE", 1)
		}
	}
	n, with, tooDeep := countParams(st.node)
	if tooDeep {
		return nil, errTooDeep()
	}
	st.nparams = n
	if hasRet {
		if err := parseReturning(p, st, retList); err != nil {
			return nil, err
		}
	}
	if with {
		if err := expandCTEs(st.node); err != nil { // after the numbering: see cte.go
			return nil, err
		}
	}
	return st, nil
}

var (
	parseErrRE  = regexp.MustCompile(`(?s)line (\d+) column \d+ near "(.*)"`)
	parserErrRE = regexp.MustCompile(`^\[(?:parser|ddl):(\d+)\](.+)$`)
)

// parserErrCodes are the errors TiDB's parser reports with MariaDB's own
// number and text, passed on as they are (an unknown character set or
// collation is not a syntax error).
var parserErrCodes = map[int]bool{sqlerr.ErrUnknownCharset: true, sqlerr.ErrUnknownCollation: true, sqlerr.ErrCollationCharset: true}

// mapParseError turns the parser's error into MySQL's 1064 with the text
// near the error, cut to 80 characters as MySQL does.
func mapParseError(err error, sql string) error {
	if m := parserErrRE.FindStringSubmatch(err.Error()); m != nil {
		if code, _ := strconv.Atoi(m[1]); parserErrCodes[code] {
			return errf(code, "%s", m[2])
		}
	}
	m := parseErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return errParse(strings.TrimSpace(sql), 1)
	}
	line, _ := strconv.Atoi(m[1])
	near := m[2]
	// The parser appends `"<message> <length>` after the text, and the
	// text is the rest of the statement from the offending token.
	for k := len(near) - 1; k >= 0; k-- {
		if near[k] == '"' && strings.HasSuffix(sql, near[:k]) {
			near = near[:k]
			break
		}
	}
	near = strings.TrimRight(near, "; \t\r\n")
	return errParse(near, line)
}

// maxNesting bounds how deeply a statement's syntax tree may nest
// (parentheses, operator chains, subqueries). Everything that walks the
// tree (evaluation, planning) recurses once per level, and a Go stack
// overflow ends the process, whatever recover is in place: a 10 MB
// statement of parentheses, well under max_allowed_packet, did. 10,000
// levels use a few MB of stack.
const maxNesting = 10000

func errTooDeep() error {
	return errf(sqlerr.ErrStackOverrun, "Statement nested too deeply: more than %d levels of expressions or subqueries", maxNesting)
}

// parenDepth returns the deepest nesting of parentheses in sql outside
// strings, quoted identifiers and comments.
func parenDepth(sql string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '(':
			depth++
			deepest = max(deepest, depth)
		case ')':
			depth--
		case '\'', '"', '`':
			for i++; i < len(sql) && sql[i] != c; i++ {
				if sql[i] == '\\' && c != '`' {
					i++
				}
			}
		case '#':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case '-':
			if strings.HasPrefix(sql[i:], "-- ") || strings.HasPrefix(sql[i:], "--\t") || sql[i:] == "--" {
				for i < len(sql) && sql[i] != '\n' {
					i++
				}
			}
		case '/':
			if strings.HasPrefix(sql[i:], "/*") && !strings.HasPrefix(sql[i:], "/*!") {
				if end := strings.Index(sql[i+2:], "*/"); end >= 0 {
					i += end + 3
				} else {
					i = len(sql)
				}
			}
		}
	}
	return deepest
}

// paramCounter collects the ? placeholders and measures the tree's depth,
// descending no further than maxNesting (so the walk itself stays within
// the bound).
type paramCounter struct {
	marks   []*test_driver.ParamMarkerExpr
	with    bool // a statement in the tree has a WITH clause
	depth   int
	tooDeep bool
}

func (c *paramCounter) Enter(n ast.Node) (ast.Node, bool) {
	if p, ok := n.(*test_driver.ParamMarkerExpr); ok {
		c.marks = append(c.marks, p)
	} else if withOf(n) != nil {
		c.with = true
	}
	c.depth++
	if c.depth > maxNesting {
		c.tooDeep = true
		return n, true
	}
	return n, false
}

func (c *paramCounter) Leave(n ast.Node) (ast.Node, bool) {
	c.depth--
	return n, true
}

// countParams numbers the placeholders of n in text order (the parser
// leaves that to its caller) and returns how many there are and whether a
// WITH clause was seen on the way, or reports that n nests deeper than
// maxNesting.
func countParams(n ast.Node) (count int, with, tooDeep bool) {
	c := &paramCounter{}
	n.Accept(c)
	if c.tooDeep {
		return 0, false, true
	}
	sort.Slice(c.marks, func(i, j int) bool { return c.marks[i].Offset < c.marks[j].Offset })
	for i, m := range c.marks {
		m.SetOrder(i)
	}
	return len(c.marks), c.with, false
}
