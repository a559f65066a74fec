package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// This file holds the transaction characteristics a session sets:
// @@tx_isolation (and MySQL's name for it, @@transaction_isolation) and
// @@tx_read_only (@@transaction_read_only).
//
// The isolation level is reported, not obeyed: every blitz transaction
// reads committed data (a row another transaction commits becomes visible
// to the next statement), whatever the session asks for. The variable
// shows what the session set, READ-COMMITTED until it sets anything, so
// that a client that checks it learns the truth by default.
//
// READ ONLY is obeyed: a write (INSERT, UPDATE, DELETE, LOAD DATA, DDL) in
// a read-only transaction is error 1792, as in MariaDB. SET SESSION
// TRANSACTION READ ONLY makes every later transaction read-only; SET
// TRANSACTION READ ONLY only the next (until a statement outside an
// explicit transaction succeeds, or the explicit one ends); START
// TRANSACTION READ ONLY | READ WRITE the one it starts, whatever the
// session's.

// isolationLevels are the values of @@tx_isolation, in the order of their
// numbers (SET tx_isolation = 1 is READ-COMMITTED).
var isolationLevels = []string{"READ-UNCOMMITTED", "READ-COMMITTED", "REPEATABLE-READ", "SERIALIZABLE"}

// defaultIsolation is what @@tx_isolation says until the session sets it:
// the isolation blitz gives.
const defaultIsolation = "READ-COMMITTED"

const (
	errReadOnlyTx = 1792 // Cannot execute statement in a READ ONLY transaction
)

// TransactionIsolation is @@tx_isolation: the level the session set
// (READ-COMMITTED until it sets one). It is safe for concurrent use.
func (s *Session) TransactionIsolation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isolation()
}

// TransactionReadOnly is @@tx_read_only: whether SET SESSION TRANSACTION
// READ ONLY is in force. It is safe for concurrent use.
func (s *Session) TransactionReadOnly() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txReadOnly
}

// isolation is @@tx_isolation.
func (s *Session) isolation() string {
	if s.txIsolation == "" {
		return defaultIsolation
	}
	return s.txIsolation
}

// txCharVar reports whether name (lower case) is a variable of this
// file's.
func txCharVar(name string) bool {
	switch name {
	case "tx_isolation", "transaction_isolation", "tx_isolation_one_shot", "tx_read_only", "transaction_read_only":
		return true
	}
	return false
}

// setTxChar runs one assignment of a transaction characteristic (SET
// [SESSION] TRANSACTION ..., SET tx_isolation = ...); oneShot marks SET
// TRANSACTION READ ONLY | WRITE without SESSION (see markOneShot).
func (x *execCtx) setTxChar(v *ast.VariableAssignment) error {
	name := strings.ToLower(v.Name)
	if v.IsGlobal {
		return nil // no global value to keep: accepted without effect
	}
	var val any
	toDefault := v.Value == nil
	if _, ok := v.Value.(*ast.DefaultExpr); ok {
		toDefault = true
	}
	if !toDefault {
		var err error
		if c, ok := v.Value.(*ast.ColumnNameExpr); ok && c.Name.Table.L == "" {
			val = c.Name.Name.O // a bare word: SET tx_isolation = SERIALIZABLE
		} else if val, err = x.newEval(nil, "field list").eval(v.Value); err != nil {
			return err
		}
	}
	switch name {
	case "tx_isolation", "transaction_isolation", "tx_isolation_one_shot":
		level := defaultIsolation
		if !toDefault {
			var ok bool
			if level, ok = isolationValue(val); !ok {
				shown := "tx_isolation"
				if name == "transaction_isolation" {
					shown = name
				}
				return errf(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of '%s'", shown, varText(val))
			}
		}
		if name == "tx_isolation_one_shot" {
			// SET TRANSACTION ISOLATION LEVEL: for the next transaction
			// only, which reads committed data anyway; not shown.
			if x.s.tx != nil {
				return errf(sqlerr.ErrCantChangeTxChar, "Transaction characteristics can't be changed while a transaction is in progress")
			}
			return nil
		}
		x.s.txIsolation = level
		return nil
	}
	// tx_read_only, transaction_read_only, tx_read_only_one_shot
	on := false
	if !toDefault {
		var ok bool
		if on, ok = truthy(val); !ok || val == nil {
			if str, isStr := val.(string); isStr && (strings.EqualFold(str, "on") || strings.EqualFold(str, "off")) {
				on, ok = strings.EqualFold(str, "on"), true
			}
			if !ok || val == nil {
				return errf(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of '%s'", strings.TrimSuffix(name, "_one_shot"), varText(val))
			}
		}
	}
	if name == txReadOnlyOneShot {
		if x.s.tx != nil {
			return errf(sqlerr.ErrCantChangeTxChar, "Transaction characteristics can't be changed while a transaction is in progress")
		}
		x.s.nextTxReadOnly = &on
		return nil
	}
	x.s.txReadOnly = on
	x.s.nextTxReadOnly = nil // the session's value is also the next transaction's
	return nil
}

// varText is a SET value as MariaDB's error 1231 quotes it.
func varText(v any) string {
	if v == nil {
		return "NULL"
	}
	return toString(v)
}

// isolationValue reads a value for @@tx_isolation: a level's name (any
// letter case, '-' or ' ' between its words) or its number.
func isolationValue(v any) (string, bool) {
	switch x := v.(type) {
	case int64, uint64:
		n := toInt(x)
		if n >= 0 && n < int64(len(isolationLevels)) {
			return isolationLevels[n], true
		}
		return "", false
	case string, []byte:
		s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(toString(x)), " ", "-"))
		for _, l := range isolationLevels {
			if s == l {
				return l, true
			}
		}
	}
	return "", false
}

// txReadOnlyOneShot is the name markOneShot gives the READ ONLY | READ
// WRITE of SET TRANSACTION without SESSION, which the parser gives the
// session's name.
const txReadOnlyOneShot = "tx_read_only_one_shot"

// markOneShot gives the assignments that set the next transaction's
// characteristics rather than the session's their one-shot names, which
// TiDB's parser does not (or not always) give them: the READ ONLY | WRITE
// of SET TRANSACTION without SESSION, and, as in MariaDB 10.11, SET
// @@tx_isolation and SET @@tx_read_only written without a scope (SET
// tx_isolation and SET @@session.tx_isolation set the session's).
func markOneShot(sql string, node ast.StmtNode) {
	n, ok := node.(*ast.SetStmt)
	if !ok || !containsFold(sql, "TX_") && !containsFold(sql, "TRANSACTION") {
		return
	}
	toks := tokenize(sql)
	if len(toks) >= 2 && strings.EqualFold(toks[1].text, "TRANSACTION") {
		for _, v := range n.Variables {
			if v.IsSystem && strings.EqualFold(v.Name, "tx_read_only") {
				v.Name = txReadOnlyOneShot
			}
		}
		return
	}
	// The unscoped @@tx_ names, in the order they are written.
	var bare []string
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].text == "@" && toks[i+1].text == "@" && toks[i+2].kind == 'w' && toks[i+1].end == toks[i+2].start &&
			(i+3 == len(toks) || toks[i+3].text != ".") {
			if w := strings.ToLower(toks[i+2].text); w == "tx_isolation" || w == "tx_read_only" {
				bare = append(bare, w)
			}
		}
	}
	for _, v := range n.Variables {
		if len(bare) == 0 {
			break
		}
		if v.IsSystem && !v.IsGlobal && strings.EqualFold(v.Name, bare[0]) {
			v.Name = map[string]string{"tx_isolation": "tx_isolation_one_shot", "tx_read_only": txReadOnlyOneShot}[bare[0]]
			bare = bare[1:]
		}
	}
}

// readOnlyNow reports whether the session's current (or next) transaction
// is read-only.
func (s *Session) readOnlyNow() bool {
	if s.nextTxReadOnly != nil {
		return *s.nextTxReadOnly
	}
	return s.txReadOnly
}

// writes reports whether a statement writes (refused in a read-only
// transaction): INSERT, REPLACE, UPDATE, DELETE, LOAD DATA and DDL.
func writes(n ast.StmtNode) bool {
	switch n.(type) {
	case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt, *ast.LoadDataStmt,
		*ast.CreateTableStmt, *ast.DropTableStmt, *ast.CreateIndexStmt, *ast.DropIndexStmt, *ast.AlterTableStmt,
		*ast.RenameTableStmt, *ast.TruncateTableStmt, *ast.CreateViewStmt:
		return true
	}
	return false
}

// endsTx reports whether n, run outside BEGIN ... COMMIT, is a transaction
// of its own, which uses up SET TRANSACTION's characteristics: one that
// reads or writes tables, or ends an explicit transaction. SET, SHOW and a
// SELECT without FROM are none, as in MariaDB.
func endsTx(n ast.StmtNode) bool {
	switch x := n.(type) {
	case *ast.SetStmt, *ast.ShowStmt:
		return false
	case *ast.SelectStmt:
		return x.From != nil
	}
	return true
}

// startReadWrite reports whether node, parsed from sql, is START
// TRANSACTION ... READ WRITE, which TiDB's parser reads without a trace
// (READ ONLY sets BeginStmt.ReadOnly).
func startReadWrite(sql string, node ast.StmtNode) bool {
	if _, ok := node.(*ast.BeginStmt); !ok || !containsFold(sql, "WRITE") {
		return false
	}
	toks := tokenize(sql)
	for i := 0; i+1 < len(toks); i++ {
		if strings.EqualFold(toks[i].text, "READ") && strings.EqualFold(toks[i+1].text, "WRITE") {
			return true
		}
	}
	return false
}
