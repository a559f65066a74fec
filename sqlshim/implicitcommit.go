package sqlshim

import "github.com/pingcap/tidb/pkg/parser/ast"

// Statements that commit the open transaction before they run, as
// MariaDB's "implicit commit" statements do: DDL of tables, views,
// routines, databases, users and sequences, LOCK TABLES, BEGIN, FLUSH,
// BACKUP, ANALYZE, CHECK, OPTIMIZE and REPAIR TABLE. The commit happens
// whether the statement then succeeds or fails (CREATE TABLE of a table
// that exists still commits, as in MariaDB). CREATE and DROP TEMPORARY
// TABLE commit nothing. CREATE, ALTER and DROP of procedures, functions,
// triggers and events commit too, even though blitz has none and refuses
// the CREATE forms (routines.go says why). A statement the parser refuses
// (a syntax error, or a statement blitz does not know) runs nothing, so
// it commits nothing, as a syntax error commits nothing in MariaDB.

// implicitCommit reports whether st commits the open transaction before
// it runs, and whether it gives back LOCK TABLES locks first (table DDL,
// FLUSH, BACKUP, CHECK/REPAIR/OPTIMIZE/CHECKSUM: each takes table locks
// itself, and would wait for this very session's). LOCK TABLES and BEGIN commit in
// their own code (Session.lockTables, runLocked).
func implicitCommit(st *statement) (commit, unlock bool) {
	if st.routine != nil {
		return st.routine.verb != "CALL", false
	}
	if st.admin != nil {
		if st.admin.isShow() {
			return false, false
		}
		// CHECKSUM TABLE commits nothing in MariaDB, but it takes the
		// tables' locks as CHECK does.
		return st.admin.op != "checksum", true
	}
	switch n := st.node.(type) {
	case *ast.CreateTableStmt, *ast.DropTableStmt, *ast.CreateIndexStmt, *ast.DropIndexStmt,
		*ast.AlterTableStmt, *ast.RenameTableStmt, *ast.TruncateTableStmt, *ast.CreateViewStmt:
		return !tempOnlyDDL(n), !tempOnlyDDL(n)
	case *ast.FlushStmt, *ast.BRIEStmt, *ast.DropDatabaseStmt:
		return true, true
	case *ast.AnalyzeTableStmt, *ast.CreateDatabaseStmt, *ast.AlterDatabaseStmt,
		*ast.CreateUserStmt, *ast.AlterUserStmt, *ast.DropUserStmt, *ast.RenameUserStmt,
		*ast.GrantStmt, *ast.GrantRoleStmt, *ast.RevokeStmt, *ast.RevokeRoleStmt, *ast.SetPwdStmt,
		*ast.CreateSequenceStmt, *ast.AlterSequenceStmt, *ast.DropSequenceStmt:
		return true, false
	}
	return false, false
}
