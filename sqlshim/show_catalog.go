package sqlshim

import (
	"fmt"
	"strings"

	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/like"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// The SHOW statements about what a MariaDB server has and blitz does not
// (triggers, stored routines, events) or has only one of (a character set
// and its collation, one database, one account). Dump tools, GUI clients
// and ORMs send them and expect an answer in MariaDB's shape: an empty one
// where blitz has none of the thing.

// Character sets and collations blitz stores text in: UTF-8 compared
// byte by byte, and bytes.
const (
	charsetName   = "utf8mb4"
	collationName = "utf8mb4_bin"
)

// charsets are the character sets blitz has, each with its default
// collation (MariaDB's: a column that names utf8mb4 and no collation gets
// utf8mb4_general_ci, while the server's default, collationName, is
// utf8mb4_bin), in name order. utf8mb4 has the collations of
// internal/collate.
var charsets = []struct {
	name, description, collation string
	collationID, maxLen          int64
}{
	{"binary", "Binary pseudo charset", "binary", 63, 1},
	{charsetName, "UTF-8 Unicode", collate.Default.Name, int64(collate.Default.ID), 4},
}

// catalogShow answers the SHOW statements of this file; ok is false for
// any other kind.
func (x *execCtx) catalogShow(n *ast.ShowStmt) (res Result, ok bool, err error) {
	// like keeps the rows whose column col matches the LIKE pattern.
	like := func(r Result, col int) (Result, bool, error) {
		pat, err := x.showPattern(n)
		if err != nil || pat == nil {
			return r, true, err
		}
		rows := [][]any{}
		for _, row := range r.Rows {
			if s, _ := row[col].(string); likeMatch(s, *pat) {
				rows = append(rows, row)
			}
		}
		r.Rows = rows
		return r, true, nil
	}
	switch n.Tp {
	case ast.ShowTriggers:
		return like(Result{Columns: textColumns("Trigger", "Event", "Table", "Statement", "Timing", "Created", "sql_mode", "Definer", "character_set_client", "collation_connection", "Database Collation"), Rows: [][]any{}}, 2)
	case ast.ShowProcedureStatus, ast.ShowFunctionStatus:
		return like(Result{Columns: textColumns("Db", "Name", "Type", "Definer", "Modified", "Created", "Security_type", "Comment", "character_set_client", "collation_connection", "Database Collation"), Rows: [][]any{}}, 1)
	case ast.ShowEvents:
		return like(Result{Columns: textColumns("Db", "Name", "Definer", "Time zone", "Type", "Execute at", "Interval value", "Interval field", "Starts", "Ends", "Status", "Originator", "character_set_client", "collation_connection", "Database Collation"), Rows: [][]any{}}, 1)
	case ast.ShowPlugins:
		return like(showPlugins(), 0) // infoschema_server.go
	case ast.ShowOpenTables:
		r, err := x.showOpenTables(n)
		return r, true, err
	case ast.ShowCreateDatabase:
		if !strings.EqualFold(n.DBName, x.s.DBName) {
			return Result{}, true, errUnknownDB(n.DBName)
		}
		ifNot := ""
		if n.IfNotExists {
			ifNot = "/*!32312 IF NOT EXISTS*/ "
		}
		text := "CREATE DATABASE " + ifNot + quoteIdent(x.s.DBName) + " /*!40100 DEFAULT CHARACTER SET " + charsetName + " COLLATE " + collationName + " */"
		return Result{Columns: textColumns("Database", "Create Database"), Rows: [][]any{{x.s.DBName, text}}}, true, nil
	case ast.ShowCharset:
		cols := textColumns("Charset", "Description", "Default collation", "Maxlen")
		intColumn(cols, "Maxlen")
		rows := [][]any{}
		for _, c := range charsets {
			rows = append(rows, []any{c.name, c.description, c.collation, c.maxLen})
		}
		return like(Result{Columns: cols, Rows: rows}, 0)
	case ast.ShowCollation:
		cols := textColumns("Collation", "Charset", "Id", "Default", "Compiled", "Sortlen")
		intColumn(cols, "Id", "Sortlen")
		rows := [][]any{}
		rows = append(rows, []any{"binary", "binary", int64(63), "Yes", "Yes", int64(1)})
		for _, c := range collate.All() {
			def, sortlen := "", int64(1)
			if c == collate.Default {
				def = "Yes"
			}
			if strings.Contains(c.Name, "unicode") {
				sortlen = 8
			}
			rows = append(rows, []any{c.Name, charsetName, int64(c.ID), def, "Yes", sortlen})
		}
		return like(Result{Columns: cols, Rows: rows}, 0)
	case ast.ShowGrants:
		c := x.s.client
		if u := n.User; u != nil && !u.CurrentUser && (u.Username != c.User || (u.Hostname != c.AccountHost && u.Hostname != "")) {
			return Result{}, true, errf(sqlerr.ErrNonexistingGrant, "There is no such grant defined for user '%s' on host '%s'", u.Username, u.Hostname)
		}
		account := quoteIdent(c.User) + "@" + quoteIdent(c.AccountHost)
		return Result{Columns: textColumns("Grants for " + c.User + "@" + c.AccountHost),
			Rows: [][]any{{"GRANT ALL PRIVILEGES ON *.* TO " + account + " WITH GRANT OPTION"}}}, true, nil
	}
	if res, ok := replicationShow(n); ok { // show_replication.go
		return res, true, nil
	}
	if what, ok := unsupportedShows[n.Tp]; ok {
		return Result{}, true, errNotSupported(what)
	}
	return Result{}, false, nil
}

// unsupportedShows names the SHOW statements blitz has no answer to, for
// error 1235.
var unsupportedShows = map[ast.ShowStmtType]string{
	ast.ShowPrivileges: "SHOW PRIVILEGES",
	ast.ShowProfile:    "SHOW PROFILE", ast.ShowProfiles: "SHOW PROFILES",
	ast.ShowCreateUser:     "SHOW CREATE USER",
	ast.ShowCreateSequence: "sequences", ast.ShowCreateProcedure: "stored procedures",
}

// likeMatch matches s against a LIKE pattern with the default escape.
func likeMatch(s, pattern string) bool { return like.Match(s, pattern, '\\') }

// tableNameLike reports whether table or view name matches the LIKE
// pattern of SHOW TABLES or SHOW TABLE STATUS. Table names compare
// without regard to case (LowerCaseTableNames), and so does the pattern,
// as in MariaDB whenever lower_case_table_names is not 0: SHOW TABLES
// LIKE 'mytab' lists MyTab.
func tableNameLike(name, pattern string) bool {
	return likeMatch(strings.ToLower(name), strings.ToLower(pattern))
}

// showTableName is the name under which filterShow offers a SHOW's rows to
// the SELECT that applies its WHERE.
const showTableName = "\x00show"

// filterShow applies SHOW ... WHERE cond to the rows res holds: the
// columns are named as SHOW prints them (SHOW TABLES WHERE Tables_in_db =
// 'x', SHOW VARIABLES WHERE Variable_name LIKE 'x%'). It runs as SELECT *
// FROM the rows WHERE cond, so the condition may be any expression a
// WHERE clause takes.
func (x *execCtx) filterShow(res Result, cond ast.ExprNode) (Result, error) {
	prev := x.showRes
	x.showRes = &res
	defer func() { x.showRes = prev }()
	sel := &ast.SelectStmt{
		SelectStmtOpts: &ast.SelectStmtOpts{SQLCache: true},
		Kind:           ast.SelectStmtKindSelect,
		Fields:         &ast.FieldList{Fields: []*ast.SelectField{{WildCard: &ast.WildCardField{}}}},
		From: &ast.TableRefsClause{TableRefs: &ast.Join{Left: &ast.TableSource{
			Source: &ast.TableName{Schema: ast.NewCIStr(infoSchemaName), Name: ast.NewCIStr(showTableName)},
			AsName: ast.NewCIStr("show"),
		}}},
		Where: cond,
	}
	out, err := x.dml(sel)
	if err != nil {
		return Result{}, err
	}
	out.Columns = res.Columns // the SHOW's own metadata, not the derived table's
	return out, nil
}

// createDatabase is CREATE DATABASE, which scripts and dumps send before
// USE (mariadb-dump --databases): blitz serves the one database its
// directory holds, so the name of that one is 1007 (a note with IF NOT
// EXISTS, as in MariaDB: the dump loads) and any other 1235, naming both.
func (x *execCtx) createDatabase(n *ast.CreateDatabaseStmt) (Result, error) {
	if n.Name.O != x.s.DBName {
		return Result{}, errNotSupported(fmt.Sprintf("CREATE DATABASE of another database than the open one (%s; this is %s)", quoteIdent(n.Name.O), quoteIdent(x.s.DBName)))
	}
	if x.s.dbDropped {
		// This session dropped it: the empty directory is the database
		// created again, which USE then selects (nodb.go).
		x.s.dbDropped = false
		return Result{AffectedRows: 1}, nil
	}
	if n.IfNotExists {
		x.s.addNote(errDBCreateExists, "Can't create database '%s'; database exists", n.Name.O)
		return Result{}, nil
	}
	return Result{}, errf(errDBCreateExists, "Can't create database '%s'; database exists", n.Name.O)
}

// dropDatabase is DROP DATABASE, which mariadb-dump --add-drop-database
// writes before CREATE DATABASE. Of the open database it drops every view
// and table, as MariaDB does (foreign keys between them are no obstacle:
// they all go), and answers the number of tables dropped; the directory
// stays, empty, and the session has no current database until CREATE
// DATABASE and USE of it (nodb.go). Another name, or this one again, is a
// database that does not exist here: 1008, a note with IF EXISTS.
func (x *execCtx) dropDatabase(n *ast.DropDatabaseStmt) (Result, error) {
	if n.Name.O != x.s.DBName || x.s.dbDropped {
		if n.IfExists {
			x.s.addNote(errDBDropExists, "Can't drop database '%s'; database doesn't exist", n.Name.O)
			return Result{}, nil
		}
		return Result{}, errf(errDBDropExists, "Can't drop database '%s'; database doesn't exist", n.Name.O)
	}
	wasCurrent := !x.s.noDB
	db := x.s.db
	for _, v := range db.Views() {
		if err := db.DropView(x.ctx, v); err != nil {
			return Result{}, err
		}
	}
	var dropped uint64
	for _, t := range db.Tables() {
		if err := db.DropTable(x.ctx, t); err != nil {
			return Result{AffectedRows: dropped}, err
		}
		x.dropStats(db, t)
		dropped++
	}
	x.s.noDB, x.s.dbDropped = true, true // no current database until USE (nodb.go)
	return Result{AffectedRows: dropped, DBDropped: wasCurrent}, nil
}
