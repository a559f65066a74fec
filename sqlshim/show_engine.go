package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// SHOW ENGINE name {STATUS | MUTEX | LOGS}, which monitoring tools send
// (mytop, mysqltuner, GUI clients' status pages) and TiDB's parser does
// not read, is recognised when the parser has refused the text. MariaDB
// answers it with rows of Type, Name, Status for an engine that keeps
// such a report (InnoDB, Aria's logs), an empty result for a loaded
// engine that keeps none (MyISAM), and 1286 for an engine it does not
// have. blitz's one engine keeps none: SHOW ENGINE BLITZDB ... and SHOW
// ENGINE ALL ... are empty results; any other name, InnoDB included
// (CREATE TABLE takes ENGINE=InnoDB as BLITZDB, CRASH_SAFE, but there is no
// InnoDB to report on), is 1286, as a MariaDB without InnoDB answers.

// opShowEngine is the adminStmt op of a SHOW ENGINE statement.
const opShowEngine = "show engine"

// parseShowEngine recognises SHOW ENGINE name {STATUS | MUTEX | LOGS}
// (name a word, a quoted identifier or a string); ok is false for any
// other text.
func parseShowEngine(sql string) (st *adminStmt, ok bool) {
	toks := tokenize(sql)
	if len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) != 4 || toks[0].kind != 'w' || !strings.EqualFold(toks[0].text, "SHOW") ||
		toks[1].kind != 'w' || !strings.EqualFold(toks[1].text, "ENGINE") || toks[3].kind != 'w' {
		return nil, false
	}
	switch strings.ToUpper(toks[3].text) {
	case "STATUS", "MUTEX", "LOGS":
	default:
		return nil, false
	}
	var name string
	switch toks[2].kind {
	case 'w', 'q':
		name = unquoteIdent(toks[2])
	case 's': // 'name' (an engine name holds no quote to escape)
		if t := toks[2].text; len(t) >= 2 && t[len(t)-1] == t[0] {
			name = t[1 : len(t)-1]
		} else {
			return nil, false
		}
	default:
		return nil, false
	}
	return &adminStmt{op: opShowEngine, engine: name}, true
}

// showEngine runs SHOW ENGINE: see the comment at the top of this file.
func (x *execCtx) showEngine(st *adminStmt) (Result, error) {
	if !strings.EqualFold(st.engine, "BLITZDB") && !strings.EqualFold(st.engine, "ALL") {
		return Result{}, errf(sqlerr.ErrUnknownStorage, "Unknown storage engine '%s'", st.engine)
	}
	return Result{Columns: textColumns("Type", "Name", "Status"), Rows: [][]any{}}, nil
}
