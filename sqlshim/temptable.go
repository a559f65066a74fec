package sqlshim

import (
	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Temporary tables (CREATE TEMPORARY TABLE), as MariaDB has them:
//
//   - A session's temporary tables live in a temporary database of its own
//     (engine.DB.OpenTemp; the files, under DIR/#temp, are described in
//     engine/temp.go), opened at the session's first CREATE TEMPORARY
//     TABLE and closed, every table with it, when the session closes (a
//     connection of blitz serve ending, a database/sql connection closing,
//     the database closing).
//   - Only the session sees them, and for it a temporary table shadows a
//     base table of the same name: every statement resolves a table name
//     through Session.owner, and the session's transactions see the
//     temporary tables first (engine.Tx.UseTemp). SHOW TABLES, SHOW TABLE
//     STATUS and information_schema list base tables only, as MariaDB 10.11
//     does; SHOW CREATE TABLE says CREATE TEMPORARY TABLE.
//   - CREATE TEMPORARY TABLE and DROP TEMPORARY TABLE neither commit the
//     open transaction nor are undone by its ROLLBACK, as in MariaDB; other
//     DDL on a temporary table (ALTER, TRUNCATE, RENAME, DROP TABLE without
//     TEMPORARY) commits first like any DDL. Rows written to a temporary
//     table in a transaction are undone by ROLLBACK; the rows CREATE
//     TEMPORARY TABLE ... SELECT copies are committed with the table, as
//     MariaDB keeps them after a ROLLBACK.
//   - DROP TABLE t drops the temporary table t if there is one, else the
//     base table; DROP TEMPORARY TABLE never drops a base table (1051).
//   - Temporary tables are never written to the WAL, the update log,
//     backups or dumps; CRASH_SAFE is accepted and shown, without effect.
//
// A session without temporary tables pays one nil check per name.

// owner returns the database that holds the table called name as the
// session sees it: its temporary database if it has a temporary table of
// that name, else the base database.
func (s *Session) owner(name string) *engine.DB {
	if s.temp != nil && s.temp.HasTable(name) {
		return s.temp
	}
	return s.db
}

// isTemp reports whether name is one of the session's temporary tables.
func (s *Session) isTemp(name string) bool {
	return s.temp != nil && s.temp.HasTable(name)
}

// tempDB returns the session's temporary database, opening it on first
// use and giving it to the open transaction.
func (s *Session) tempDB() (*engine.DB, error) {
	if s.temp != nil {
		return s.temp, nil
	}
	td, err := s.db.OpenTemp()
	if err != nil {
		return nil, err
	}
	s.temp = td
	if s.tx != nil {
		s.tx.UseTemp(td)
	}
	return td, nil
}

// closeTemp drops the session's temporary tables (Close).
func (s *Session) closeTemp() error {
	if s.temp == nil {
		return nil
	}
	td := s.temp
	s.temp = nil
	return td.Close()
}

// tempOnlyDDL reports whether n is CREATE TEMPORARY TABLE or DROP
// TEMPORARY TABLE, which do not commit the open transaction.
func tempOnlyDDL(n ast.StmtNode) bool {
	switch st := n.(type) {
	case *ast.CreateTableStmt:
		return st.TemporaryKeyword == ast.TemporaryLocal
	case *ast.DropTableStmt:
		return st.TemporaryKeyword == ast.TemporaryLocal && !st.IsView
	}
	return false
}

// createTarget returns the database CREATE [TEMPORARY] TABLE name makes
// its table in, or error 1050 (a note and nil with IF NOT EXISTS) if the
// name is taken there. A temporary table may take the name of a base
// table, and a base table the name of a temporary one.
func (x *execCtx) createTarget(n *ast.CreateTableStmt) (*engine.DB, error) {
	name := n.Table.Name.O
	if n.ReferTable != nil && lower(n.ReferTable.Name.O) == lower(name) &&
		(n.ReferTable.Schema.L == "" || n.ReferTable.Schema.L == lower(x.s.DBName)) {
		e := newErr(1066, "Not unique table/alias: '%s'", name)
		e.State = "42000"
		return nil, e
	}
	var exists bool
	if n.TemporaryKeyword == ast.TemporaryLocal {
		exists = x.s.isTemp(name)
	} else {
		_, err := x.s.db.Table(name)
		exists = err == nil
	}
	if exists {
		if n.IfNotExists {
			x.s.addNote(sqlerr.ErrTableExists, "Table '%s' already exists", name)
			return nil, nil
		}
		return nil, errf(sqlerr.ErrTableExists, "Table '%s' already exists", name)
	}
	if n.TemporaryKeyword == ast.TemporaryLocal {
		return x.s.tempDB()
	}
	return x.s.db, nil
}

// dropTemporary runs DROP TEMPORARY TABLE: the session's temporary tables
// named go, whatever its open transaction wrote to them (engine.Tx.Forget);
// a name without one is error 1051 (a note with IF EXISTS), even if a base
// table has it.
func (x *execCtx) dropTemporary(n *ast.DropTableStmt) (Result, error) {
	var missing []string
	for _, t := range n.Tables {
		if !x.s.isTemp(t.Name.O) || (t.Schema.L != "" && t.Schema.L != lower(x.s.DBName)) {
			missing = append(missing, x.s.qualified(t.Schema.O, t.Name.O))
			continue
		}
		if x.s.tx != nil {
			x.s.tx.Forget(t.Name.O)
		}
		def, err := x.s.temp.Table(t.Name.O)
		if err == nil {
			err = x.s.temp.DropTable(x.ctx, t.Name.O)
		}
		if err != nil {
			return Result{}, err
		}
		x.dropStats(x.s.temp, def.Name)
	}
	return Result{}, x.unknownTables(missing, n.IfExists)
}
