package sqlshim

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// SET sql_safe_updates = 1 (what mariadb --safe-updates, alias
// --i-am-a-dummy, sends on connect) guards against an UPDATE or DELETE
// that changes a whole table by mistake, as in MariaDB: a single-table
// UPDATE or DELETE without LIMIT whose WHERE reads the table through no
// key (no WHERE, or one that uses no index: a full scan, the plan EXPLAIN
// shows as ALL or index) is error 1175, before any row changes. A view
// that UPDATE or DELETE writes through is checked as its table, with the
// view's condition.
//
// A multi-table UPDATE or DELETE is refused only when it has no WHERE at
// all: MariaDB refuses one whose updated tables are read by a full scan,
// and blitz's join order is not worked out before the check. So a join
// MariaDB would refuse may run here; one without WHERE never does.

// errSafeUpdate is MariaDB's ER_UPDATE_WITHOUT_KEY_IN_SAFE_MODE.
func errSafeUpdate() error {
	return errf(errSafeUpdateCode, "You are using safe update mode and you tried to update a table without a WHERE that uses a KEY column")
}

// errSafeUpdateCode is ER_UPDATE_WITHOUT_KEY_IN_SAFE_MODE.
const errSafeUpdateCode = 1175

// safeUpdatesVar is the variable's name.
const safeUpdatesVar = "sql_safe_updates"

// checkSafeUpdate refuses, under sql_safe_updates, a single-table UPDATE
// or DELETE that would read its table by path without a LIMIT (limit < 0).
func (x *execCtx) checkSafeUpdate(path *accessPath, limit int64) error {
	if !x.s.safeUpdates || limit >= 0 {
		return nil
	}
	if path.kind == accessAll || path.kind == "index" {
		return errSafeUpdate()
	}
	return nil
}

// checkSafeMultiUpdate refuses, under sql_safe_updates, a multi-table
// UPDATE or DELETE without WHERE (see the top of this file).
func (x *execCtx) checkSafeMultiUpdate(where ast.ExprNode) error {
	if x.s.safeUpdates && where == nil {
		return errSafeUpdate()
	}
	return nil
}

// setSafeUpdates is SET sql_safe_updates = v; DEFAULT is OFF.
func (x *execCtx) setSafeUpdates(v *ast.VariableAssignment) error {
	if _, ok := v.Value.(*ast.DefaultExpr); ok {
		x.s.safeUpdates = false
		return nil
	}
	on, err := x.boolVarValue(v, safeUpdatesVar) // foreignkey.go
	if err != nil {
		return err
	}
	x.s.safeUpdates = on
	return nil
}

// SafeUpdates reports @@sql_safe_updates.
func (s *Session) SafeUpdates() bool { return s.safeUpdates }
