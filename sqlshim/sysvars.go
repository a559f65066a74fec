package sqlshim

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/sqlerr"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// SystemVars is where a session finds the system variables it does not
// keep itself: under blitz serve, the server's (wait_timeout,
// auto_increment_increment, character_set_results, ...). Without it a
// statement mixing such a variable with anything else (SELECT 1,
// @@wait_timeout; SET NAMES utf8mb4, @@SESSION.wait_timeout = 600, ...,
// as Rails sends at connect) answered 1193 or dropped the assignment.
// Its methods are called from the goroutine running the session's
// statement.
type SystemVars interface {
	// SystemVar returns the session value of @@name (name lower-case,
	// without a SESSION./GLOBAL. prefix), false if there is no such
	// variable.
	SystemVar(name string) (any, bool)
	// SetSystemVar sets the session value of name (toDefault: back to its
	// default, v is nil). An unknown name is error 1193, a read-only one
	// 1238.
	SetSystemVar(name string, v any, toDefault bool) error
}

// LowerCaseTableNames is the value blitz reports for
// @@lower_case_table_names, in MariaDB's meaning: 2, table (and view)
// names are stored as given (CREATE TABLE MyTab writes MyTab.def and
// MyTab.bdf; SHOW TABLES and information_schema say MyTab) and compared
// without regard to case (mytab, MYTAB and the alias M of MyTab AS m all
// name it; CREATE TABLE mytab beside it is 1050). MariaDB's 0 would mean
// that names differing in case are different tables, which blitz never
// allows; its 1 that names are stored in lower case, which blitz does
// not do. Drivers read it to decide how to match names (Connector/J's
// storesLowerCaseIdentifiers).
const LowerCaseTableNames = 2

// LowerCaseFileSystem is @@lower_case_file_system: OFF (0), as on the
// Linux file systems blitz runs on: the files of MyTab are MyTab.def and
// MyTab.bdf, and mytab.def would be another file. Blitz itself never
// lets two tables' names differ in case only (LowerCaseTableNames).
const LowerCaseFileSystem = false

// SetSystemVars makes the session read and set, through v, the system
// variables it does not keep itself; a session without one reads its own
// fixed values and accepts any SET of them without effect.
func (s *Session) SetSystemVars(v SystemVars) { s.sysVars = v }

// ownSystemVar reports whether the session itself keeps the system
// variable name: those change what its statements do.
func ownSystemVar(name string) bool {
	switch name {
	case "sql_mode", "time_zone", "autocommit", fkCheckVar, "sql_notes", safeUpdatesVar, selectLimitVar, memoryBudgetVar, maxRecursiveIterationsVar, "warning_count", "error_count":
		return true
	}
	if txCharVar(name) {
		return true
	}
	return false
}

// externalVar returns @@name from the session's SystemVars, if it has one
// and that knows the variable.
func (c *evalCtx) externalVar(name string) (any, bool) {
	if c.s == nil || c.s.sysVars == nil || ownSystemVar(name) {
		return nil, false
	}
	return c.s.sysVars.SystemVar(name)
}

// setExternalVars runs the assignments of SET to variables that the
// session's SystemVars keeps, and reports false when the session has none
// (the SET is then accepted and changes nothing, as before). SET NAMES
// and SET CHARACTER SET become their variables, as in MariaDB; a session
// without SystemVars keeps their connection collation itself (conncoll.go).
func (x *execCtx) setExternalVar(v *ast.VariableAssignment) (bool, error) {
	sv := x.s.sysVars
	switch v.Name {
	case ast.SetNames, ast.SetCharset:
		// Checked here, with or without SystemVars: an unknown set is
		// 1115, a collation of another set 1253 (internal/charset).
		cs, coll := "default", ""
		if val, ok := v.Value.(ast.ValueExpr); ok && val.GetValue() != nil {
			cs = toString(val.GetValue())
		}
		if v.Name == ast.SetNames && v.ExtendValue != nil && v.ExtendValue.GetValue() != nil {
			coll = toString(v.ExtendValue.GetValue())
		}
		c, connColl, err := charset.ForNames(cs, coll)
		if err != nil {
			return true, err
		}
		if sv == nil {
			// SET CHARACTER SET and SET NAMES DEFAULT: back to the
			// session's first collation, utf8mb4_bin.
			if v.Name == ast.SetCharset || strings.EqualFold(cs, "default") {
				connColl = ""
			}
			x.s.SetConnectionCollation(connColl)
			return true, nil
		}
		conn := c.Name
		if v.Name == ast.SetCharset { // the connection's set is the database's
			conn, connColl = charset.UTF8MB4.Name, charset.UTF8MB4.Collation
		}
		for _, a := range [][2]string{{"character_set_client", c.Name}, {"character_set_results", c.Name},
			{"character_set_connection", conn}, {"collation_connection", connColl}} {
			if err := sv.SetSystemVar(a[0], a[1], false); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	if sv == nil {
		return false, nil
	}
	name := strings.ToLower(v.Name)
	if _, ok := v.Value.(*ast.DefaultExpr); ok || v.Value == nil {
		return true, sv.SetSystemVar(name, nil, true)
	}
	// A bare name is the value's text, as MariaDB reads SET
	// character_set_client = utf8mb4 (dumps) or tx_isolation = ON.
	if c, ok := v.Value.(*ast.ColumnNameExpr); ok && c.Name.Table.L == "" {
		return true, sv.SetSystemVar(name, c.Name.Name.O, false)
	}
	val, err := x.newEval(nil, "field list").eval(v.Value)
	if err != nil {
		return true, err
	}
	return true, sv.SetSystemVar(name, val, false)
}

// Instance variables: where blitz runs, which tools read to find the
// files (mariadb-admin variables, DBeaver's server page, mycli,
// mysqltuner). All are global and read-only, as in MariaDB: SET of one is
// 1238 "is a read only variable", @@SESSION.name 1238 "is a GLOBAL
// variable".
//
//   - datadir: the directory that holds the database's directory, with a
//     trailing slash, as MariaDB's datadir holds one directory per
//     database: @@datadir followed by DATABASE() is the database's
//     directory (blitz serve -d /srv/blitz/shop: /srv/blitz/).
//   - basedir: the installation prefix, as MariaDB's /usr/: the parent of
//     the directory holding the blitz executable, with a trailing slash.
//   - tmpdir: where sorts and hash joins spill (os.TempDir).
//   - pid_file, log_error: "": blitz writes no pid file (blitz serve
//     writes DIR/SERVING, which is not one) and logs to standard error, as
//     a MariaDB started without --log-error shows "".
//   - secure_file_priv (the session's, not InstanceVar's): "", MariaDB's
//     "no restriction", for an embedded session (blitz sql, the Go
//     driver), whose client and server are the same program: LOAD DATA
//     INFILE reads and SELECT ... INTO OUTFILE writes any file it may
//     (outfile.go); NULL, MySQL's "disabled", for one that may touch no
//     file of the server (SetInfile with serverFiles false; blitz serve
//     answers it itself), where those are 1290.
//   - hostname, port, socket: os.Hostname(), 0 and "" for an embedded
//     session, which listens nowhere; blitz serve answers its own.
var instanceVarNames = []string{"basedir", "datadir", "hostname", "log_error", "pid_file", "port", "secure_file_priv", "socket", "tmpdir"}

// secureFilePriv is the session's @@secure_file_priv (see above).
func (s *Session) secureFilePriv() any {
	if s.infile.noServerFiles() {
		return nil
	}
	if s.infile.onlyIn() {
		return strings.TrimSuffix(s.infile.serverDir, "/") + "/"
	}
	return ""
}

// InstanceVar returns the value of the instance variable name (lower
// case; see instanceVarNames) for the database db, false for another
// name.
func InstanceVar(db *engine.DB, name string) (any, bool) {
	switch name {
	case "datadir":
		dir, err := filepath.Abs(db.Dir())
		if err != nil {
			dir = db.Dir()
		}
		return withSlash(filepath.Dir(dir)), true
	case "basedir":
		exe, err := os.Executable()
		if err != nil {
			return "", true
		}
		return withSlash(filepath.Dir(filepath.Dir(exe))), true
	case "tmpdir":
		return os.TempDir(), true
	case "pid_file", "log_error", "socket":
		return "", true
	case "hostname":
		h, _ := os.Hostname()
		return h, true
	case "port":
		return int64(0), true
	}
	return nil, false
}

// withSlash returns dir with one trailing slash.
func withSlash(dir string) string {
	if strings.HasSuffix(dir, string(filepath.Separator)) {
		return dir
	}
	return dir + string(filepath.Separator)
}

// isInstanceVar reports whether name (any case) is an instance variable.
func isInstanceVar(name string) bool {
	return slices.Contains(instanceVarNames, strings.ToLower(name))
}

// checkInstanceVarSet refuses SET of an instance variable, as MariaDB
// refuses any read-only variable.
func checkInstanceVarSet(name string) error {
	if isInstanceVar(name) {
		return errf(sqlerr.ErrGlobalLocalVar, "Variable '%s' is a read only variable", strings.ToLower(name))
	}
	return nil
}

// checkInstanceVarScope refuses @@SESSION.name (and @@LOCAL.name) of an
// instance variable: it has no session value.
func checkInstanceVarScope(x *ast.VariableExpr) error {
	if x.ExplicitScope && !x.IsGlobal && isInstanceVar(x.Name) {
		return errf(sqlerr.ErrGlobalLocalVar, "Variable '%s' is a GLOBAL variable", strings.ToLower(x.Name))
	}
	return nil
}
