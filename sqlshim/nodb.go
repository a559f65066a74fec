package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// A session serves the one database its directory holds. DROP DATABASE of
// it (show_catalog.go) drops every table and view and leaves the directory
// in place, and then, as in MariaDB after DROP DATABASE of the current
// database, the session has no current database until USE:
//
//   - DATABASE() is NULL, and a statement naming a table without a
//     database (SELECT * FROM t, CREATE TABLE t, SHOW TABLES) is 1046 "No
//     database selected".
//   - For this session the database is gone until CREATE DATABASE of its
//     name, which succeeds (the empty directory is the new database);
//     before that, USE of it, SHOW TABLES FROM it and CREATE TABLE or VIEW
//     in it are 1049 "Unknown database", DROP DATABASE of it 1008.
//   - USE of it, once created again, selects it.
//
// The state is the session's: another session (another connection to
// blitz serve) still has the database as its current one and sees it
// empty, as in MariaDB, and CREATE DATABASE of it there is 1007 (it
// exists). A new session (a restart, a new connection) finds the
// directory, the database, as it is.

// useDatabase is USE name (COM_INIT_DB under blitz serve).
func (s *Session) useDatabase(name string) error {
	if name != s.DBName || s.dbDropped {
		return errUnknownDB(name)
	}
	s.noDB = false
	return nil
}

// UseDatabase runs USE name: the open database's name selects it, as
// does USE under blitz serve (COM_INIT_DB); another name, or the name of
// the database this session dropped and has not created again, is 1049.
func (s *Session) UseDatabase(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.useDatabase(name)
}

// CurrentDatabase returns DATABASE(): the open database's name, false
// after DROP DATABASE of it until USE.
func (s *Session) CurrentDatabase() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.DBName, !s.noDB
}

// checkNoDB refuses, while the session has no current database, a
// statement that names a table without a database (1046) or in the
// database this session dropped (1049).
func (s *Session) checkNoDB(st *statement) error {
	if st.admin != nil && !st.admin.isShow() {
		for _, sc := range st.admin.schemas {
			if sc == "" {
				return errNoDB()
			}
		}
	}
	if st.node == nil {
		return nil
	}
	if sh, ok := st.node.(*ast.ShowStmt); ok {
		switch sh.Tp {
		case ast.ShowTables, ast.ShowTableStatus, ast.ShowTriggers, ast.ShowEvents:
			if sh.DBName == "" {
				return errNoDB()
			}
			if s.dbDropped && sh.DBName == s.DBName {
				return errUnknownDB(sh.DBName)
			}
		}
	}
	v := &noDBVisitor{s: s}
	switch st.node.(type) {
	case *ast.CreateTableStmt, *ast.CreateViewStmt:
		v.creates = true
	}
	st.node.Accept(v)
	return v.err
}

// otherDB reports whether schema, a database name as written before a
// table's name, names a database other than the open one (and other than
// information_schema). A session serves one database, so a table there
// does not exist: statements that change or check tables must say so, not
// act on the open database's table of the same name.
func (s *Session) otherDB(schema string) bool {
	return schema != "" && !strings.EqualFold(schema, s.DBName) && !strings.EqualFold(schema, infoSchemaName)
}

// infoSchemaDB reports whether schema, written before a table name or after
// FROM, names information_schema rather than the open database.
func (s *Session) infoSchemaDB(schema string) bool {
	return strings.EqualFold(schema, infoSchemaName) && !strings.EqualFold(schema, s.DBName)
}

// qualified returns db.table as MariaDB names a table in messages: with
// the database written before it, else the open one.
func (s *Session) qualified(schema, table string) string {
	if schema == "" {
		schema = s.DBName
	}
	return schema + "." + table
}

func errNoDB() error { return errf(sqlerr.ErrNoDB, "No database selected") }

// errUnknownDB is 1049 for the database called name.
func errUnknownDB(name string) error { return errf(sqlerr.ErrBadDB, "Unknown database '%s'", name) }

// noDBVisitor finds the first table name checkNoDB refuses: one without
// a database, or, in a statement that creates (creates), one in the
// database the session dropped. Other statements naming a table of that
// database find it missing (1146), as in MariaDB.
type noDBVisitor struct {
	s       *Session
	creates bool
	err     error
}

func (v *noDBVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil {
		return n, true
	}
	if tn, ok := n.(*ast.TableName); ok {
		switch {
		case tn.Schema.L == "":
			v.err = errNoDB()
		case v.creates && v.s.dbDropped && tn.Schema.O == v.s.DBName:
			v.err = errUnknownDB(tn.Schema.O)
		}
	}
	return n, false
}

func (v *noDBVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }
