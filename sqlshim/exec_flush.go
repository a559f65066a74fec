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
