package sqlshim

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver" // literal values for the parser
)

// statement is one parsed SQL statement, ready to plan: either a node of
// TiDB's AST or one of the statements recognised before the parser
// (CHECK/REPAIR TABLE), with what was stripped from the text.
type statement struct {
	text      string
	node      ast.StmtNode // nil for admin
	admin     *adminStmt
	crashSafe bool // CREATE TABLE ... CRASH_SAFE
	nparams   int  // number of ? placeholders
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
	text, crashSafe := stripCrashSafe(sql)
	nodes, _, err := p.Parse(text, "", "")
	if err != nil {
		return nil, mapParseError(err, text)
	}
	if len(nodes) == 0 {
		return nil, errParse("", 1)
	}
	if len(nodes) > 1 {
		return nil, errNotSupported("multiple statements in one call")
	}
	st := &statement{text: sql, node: nodes[0], crashSafe: crashSafe}
	if crashSafe {
		if _, ok := st.node.(*ast.CreateTableStmt); !ok {
			return nil, errParse("CRASH_SAFE", 1)
		}
	}
	st.nparams = countParams(st.node)
	return st, nil
}

var parseErrRE = regexp.MustCompile(`(?s)line (\d+) column \d+ near "(.*)"`)

// mapParseError turns the parser's error into MySQL's 1064 with the text
// near the error, cut to 80 characters as MySQL does.
func mapParseError(err error, sql string) error {
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

// paramCounter collects the ? placeholders.
type paramCounter struct {
	marks []*test_driver.ParamMarkerExpr
}

func (c *paramCounter) Enter(n ast.Node) (ast.Node, bool) {
	if p, ok := n.(*test_driver.ParamMarkerExpr); ok {
		c.marks = append(c.marks, p)
	}
	return n, false
}

func (c *paramCounter) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// countParams numbers the placeholders of n in text order (the parser
// leaves that to its caller) and returns how many there are.
func countParams(n ast.Node) int {
	c := &paramCounter{}
	n.Accept(c)
	sort.Slice(c.marks, func(i, j int) bool { return c.marks[i].Offset < c.marks[j].Offset })
	for i, m := range c.marks {
		m.SetOrder(i)
	}
	return len(c.marks)
}
