package sqlshim

import "github.com/pingcap/tidb/pkg/parser/ast"

// The diagnostics area (SHOW WARNINGS, SHOW ERRORS, @@warning_count,
// @@error_count) holds the conditions of the last statement that raised
// any or read a table, as in MariaDB: a statement that reads a table
// starts it afresh, one that raises a condition replaces it, and one that
// does neither (SELECT @@warning_count, SELECT 1, SET @v = 1, DO 1,
// BEGIN, COMMIT, USE, PREPARE, EXECUTE of such a statement) leaves it as
// it was, so that
//
//	INSERT INTO t VALUES (1000);  -- a warning
//	SELECT @@warning_count;       -- 1
//	SHOW WARNINGS;                -- still the INSERT's warning
//
// A derived table or a CTE counts as a table there, FROM DUAL does not;
// @@warning_count in a statement that reads a table is 0. The count in a
// statement's own OK or EOF packet (Result.Warnings) is that of its own
// conditions, whatever it leaves.

// keepsDiagnostics reports whether a statement that succeeds without a
// condition of its own leaves the diagnostics of the one before.
func keepsDiagnostics(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.BeginStmt, *ast.CommitStmt, *ast.RollbackStmt, *ast.UseStmt, *ast.PrepareStmt, *ast.DeallocateStmt:
		return true
	case *ast.SelectStmt:
		if x.From != nil { // the common case, decided without a walk
			return false
		}
	case *ast.SetOprStmt, *ast.SetStmt, *ast.DoStmt:
	default:
		// EXECUTE: the statement it runs decided (sqlExecute). SHOW:
		// MariaDB reads information_schema tables for most of them.
		return false
	}
	var f tableFinder
	n.Accept(&f)
	return !f.found
}

// tableFinder looks for a FROM clause anywhere in a statement.
type tableFinder struct{ found bool }

func (f *tableFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.TableRefsClause, *ast.TableName:
		f.found = true
	case *ast.SelectStmt:
		if x.From != nil {
			f.found = true
		}
	}
	return n, f.found
}

func (f *tableFinder) Leave(n ast.Node) (ast.Node, bool) { return n, !f.found }
