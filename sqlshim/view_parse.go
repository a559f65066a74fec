package sqlshim

import (
	"regexp"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// TiDB's parser reads CREATE [OR REPLACE] [ALGORITHM=..] [DEFINER=..] [SQL
// SECURITY ..] VIEW, but not ALTER VIEW nor the bare WITH CHECK OPTION
// (it wants CASCADED or LOCAL), and it reports WITH CASCADED CHECK OPTION
// and no check option alike. rewriteViewDDL turns the text into what it
// reads and notes what it changed.

// viewDDL is what rewriteViewDDL learned about a CREATE or ALTER VIEW.
type viewDDL struct {
	alter bool   // ALTER VIEW: the view must exist
	check string // "", "CASCADED" or "LOCAL"
}

var (
	// checkOptionRE finds a check option at the end of a statement
	// (before a closing versioned comment, as mariadb-dump writes).
	checkOptionRE = regexp.MustCompile(`(?i)\bWITH\s+(CASCADED\s+|LOCAL\s+)?CHECK\s+OPTION\s*(\*/\s*)?;?\s*$`)
	viewHeadRE    = regexp.MustCompile(`(?is)^\s*(/\*!\d*\s*)?(CREATE|ALTER)\b.*?\bVIEW\b`)
)

// rewriteViewDDL recognises CREATE/ALTER ... VIEW text; for anything else
// it returns sql unchanged and nil.
func rewriteViewDDL(sql string) (string, *viewDDL) {
	w, sure := leadingWord(sql)
	if sure && !strings.EqualFold(w, "CREATE") && !strings.EqualFold(w, "ALTER") {
		return sql, nil
	}
	if !viewHeadRE.MatchString(sql[codeStart(sql):]) {
		return sql, nil
	}
	toks := tokenize(sql)
	vd := &viewDDL{}
	if len(toks) > 0 && strings.EqualFold(toks[0].text, "ALTER") {
		// ALTER [ALGORITHM = x] [DEFINER = u] [SQL SECURITY x] VIEW: only
		// those words (and a user name) may come before VIEW.
		if len(toks) < 2 || toks[1].kind != 'w' {
			return sql, nil
		}
		switch strings.ToUpper(toks[1].text) {
		case "ALGORITHM", "DEFINER", "SQL", "VIEW":
		default:
			return sql, nil
		}
		i := 1
		for ; i < len(toks); i++ {
			t := toks[i]
			if t.kind == 'w' && strings.EqualFold(t.text, "VIEW") {
				break
			}
			if t.kind == 'w' && strings.EqualFold(t.text, "TABLE") || t.kind == 'w' && strings.EqualFold(t.text, "AS") {
				return sql, nil
			}
		}
		if i == len(toks) {
			return sql, nil
		}
		vd.alter = true
		sql = sql[:toks[0].start] + "CREATE OR REPLACE" + sql[toks[0].end:]
	}
	if m := checkOptionRE.FindStringSubmatchIndex(sql); m != nil {
		vd.check = "CASCADED"
		if m[2] >= 0 && strings.EqualFold(strings.TrimSpace(sql[m[2]:m[3]]), "LOCAL") {
			vd.check = "LOCAL"
		}
		if m[2] < 0 {
			// The parser wants the word: WITH CHECK OPTION means CASCADED.
			at := strings.Index(strings.ToUpper(sql[m[0]:]), "CHECK") + m[0]
			sql = sql[:at] + "CASCADED " + sql[at:]
		}
	}
	return sql, vd
}

// codeStart returns the offset of sql's first token, past blanks and
// comments (a versioned /*! comment is code).
func codeStart(sql string) int {
	i := 0
	for i < len(sql) {
		switch c := sql[i]; {
		case isSpace(c) || c == '\v':
			i++
		case strings.HasPrefix(sql[i:], "/*!"):
			return i
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return len(sql)
			}
			i += end + 4
		case c == '#' || strings.HasPrefix(sql[i:], "--") && (i+2 == len(sql) || isSpace(sql[i+2])):
			i = skipLine(sql, i)
		default:
			return i
		}
	}
	return i
}

// viewParsed checks that a statement rewriteViewDDL took for a view's is
// one (ALTER TABLE ... VIEW would not be).
func viewParsed(n ast.StmtNode, vd *viewDDL) *viewDDL {
	if _, ok := n.(*ast.CreateViewStmt); !ok {
		return nil
	}
	return vd
}
