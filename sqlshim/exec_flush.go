package sqlshim

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// This file holds DO and FLUSH.

// doStmt is DO expr, ...: each expression evaluated for its effects (a
// user variable's :=, GET_LOCK, SLEEP) and its warnings, the values
// thrown away, as in MariaDB.
func (x *execCtx) doStmt(n *ast.DoStmt) (Result, error) {
	ec := x.newEval(nil, "DO")
	for _, e := range n.Exprs {
		if _, err := ec.eval(e); err != nil {
			return Result{}, err
		}
	}
	return Result{}, nil
}

// flush is FLUSH. FLUSH TABLES [t, ...] makes every committed change
// durable now (engine.DB.Sync: crash-safe tables checkpointed, the data
// files of the others synced): the nearest blitz has to MariaDB's closing
// and flushing of tables, which it needs no other way since it caches no
// table state that could go stale. A named table that does not exist is
// ignored, as in MariaDB; one named twice is 1066. FLUSH TABLES ... WITH
// READ LOCK is refused: blitz has no global read lock, and pretending to
// take one would let a backup run beside writers. The other kinds
// (PRIVILEGES, STATUS, HOSTS, LOGS) are accepted and do nothing: blitz
// keeps no privilege cache, status counters, host cache or server logs
// for them to reset.
func (x *execCtx) flush(n *ast.FlushStmt) (Result, error) {
	switch n.Tp {
	case ast.FlushTables:
		if n.ReadLock {
			return Result{}, errNotSupported("FLUSH TABLES WITH READ LOCK")
		}
		seen := map[string]bool{}
		for _, t := range n.Tables {
			k := strings.ToLower(t.Schema.O + "." + t.Name.O)
			if seen[k] {
				e := newErr(1066, "Not unique table/alias: '%s'", t.Name.O)
				e.State = "42000"
				return Result{}, e
			}
			seen[k] = true
		}
		if err := x.s.db.Sync(); err != nil {
			return Result{}, mapErr(err)
		}
		return Result{}, nil
	case ast.FlushPrivileges, ast.FlushStatus, ast.FlushHosts, ast.FlushLogs:
		return Result{}, nil
	}
	return Result{}, errNotSupported("this FLUSH statement")
}

// FLUSH of the kinds MariaDB has and TiDB's parser does not read
// (mariadb-admin flush-user-statistics, flush-all-statistics,
// flush-relay-log, flush-user-resources, ...): FLUSH [NO_WRITE_TO_BINLOG
// | LOCAL] kind [, kind ...] with kinds among USER_STATISTICS,
// TABLE_STATISTICS, INDEX_STATISTICS, CLIENT_STATISTICS, USER_RESOURCES,
// RELAY LOGS, QUERY CACHE, DES_KEY_FILE and those FLUSH accepts above
// (STATUS, PRIVILEGES, HOSTS, THREADS and the LOGS), is recognised after
// the parser refused the text and does nothing, as the kinds above do:
// blitz keeps none of those statistics, resources, logs or caches.
// FLUSH TABLES stays alone, as in MariaDB.

// opFlushNoop is the adminStmt op of such a FLUSH.
const opFlushNoop = "flush noop"

// flushNoopKinds are the one-word kinds; flushLogKinds precede LOGS.
var (
	flushNoopKinds = map[string]bool{"USER_STATISTICS": true, "TABLE_STATISTICS": true, "INDEX_STATISTICS": true,
		"CLIENT_STATISTICS": true, "USER_RESOURCES": true, "DES_KEY_FILE": true, "STATUS": true, "PRIVILEGES": true,
		"HOSTS": true, "THREADS": true, "LOGS": true}
	flushLogKinds = map[string]bool{"RELAY": true, "BINARY": true, "ENGINE": true, "ERROR": true, "GENERAL": true, "SLOW": true}
)

// parseFlushUnparsed recognises such a FLUSH in the tokens of text the
// parser refused.
func parseFlushUnparsed(toks []token) (*adminStmt, bool) {
	if len(toks) < 2 || toks[0].kind != 'w' || !strings.EqualFold(toks[0].text, "FLUSH") {
		return nil, false
	}
	i := 1
	if w := strings.ToUpper(toks[i].text); toks[i].kind == 'w' && (w == "NO_WRITE_TO_BINLOG" || w == "LOCAL") {
		i++
	}
	for {
		if i >= len(toks) || toks[i].kind != 'w' {
			return nil, false
		}
		w := strings.ToUpper(toks[i].text)
		next := ""
		if i+1 < len(toks) && toks[i+1].kind == 'w' {
			next = strings.ToUpper(toks[i+1].text)
		}
		switch {
		case flushLogKinds[w] && next == "LOGS", w == "QUERY" && next == "CACHE":
			i += 2
		case flushNoopKinds[w]:
			i++
		default:
			return nil, false
		}
		if i == len(toks) {
			return &adminStmt{op: opFlushNoop}, true
		}
		if toks[i].text != "," {
			return nil, false
		}
		i++
	}
}
