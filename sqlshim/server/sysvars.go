package server

import (
	"fmt"
	"os"
	"strconv"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// SystemVarsAware is implemented by a Session that evaluates statements
// naming the server's system variables (SELECT 1, @@wait_timeout; SET
// NAMES utf8mb4, @@SESSION.sql_mode = CONCAT(@@sql_mode, ...),
// @@SESSION.wait_timeout = 600): the server calls SetSystemVars once,
// when it creates the session, with the connection's variables. Their
// methods run on the connection's goroutine, while the session runs a
// statement.
type SystemVarsAware interface {
	SetSystemVars(v *ConnVars)
}

// ConnVars are one connection's system variables as the server keeps
// them: what SELECT @@name and SET name = value read and write when the
// server answers them itself.
type ConnVars struct {
	h  *handler
	st *conn
}

// SystemVar returns the connection's value of @@name (lower case, no
// scope prefix), false for a name the server does not know.
func (v *ConnVars) SystemVar(name string) (any, bool) {
	return v.h.serverVar(v.st, name)
}

// SetSystemVar sets the connection's value of name, or returns it to its
// default (toDefault). An unknown name is error 1193, a read-only one
// 1238, as in MariaDB; the value is kept as SELECT @@name shows it.
func (v *ConnVars) SetSystemVar(name string, val any, toDefault bool) error {
	if err := checkSettable(name); err != nil {
		return err
	}
	if _, known := v.h.serverVar(v.st, name); !known {
		return sqlerr.New(sqlerr.ErrUnknownSystemVar, "Unknown system variable '%s'", name)
	}
	if charsetVar(name) { // checked and applied (charset.go)
		as, err := charsetAssign(name, val, toDefault)
		if err != nil {
			return err
		}
		v.st.apply(as)
		v.st.charsetsChanged()
		return nil
	}
	if toDefault {
		delete(v.st.vars, name)
		return nil
	}
	switch x := val.(type) {
	case nil, int64, uint64, string:
	case float64:
		val = strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		val = string(x)
	default:
		val = fmt.Sprint(x) // DECIMAL and the like: their text
	}
	v.st.vars[name] = val
	return nil
}

// errReadOnlyVar is MariaDB's ER_INCORRECT_GLOBAL_LOCAL_VAR.
const errReadOnlyVar = 1238

// checkSettable refuses SET of a variable that describes the server
// rather than the session (1238 "Variable 'version' is a read only
// variable"), and SET password = '...' among other assignments (what
// mariadb-admin password sends), which is MariaDB's SET PASSWORD: blitz
// serve's one password is its --password option (1235).
func checkSettable(name string) error {
	if name == "password" {
		return sqlerr.New(sqlerr.ErrNotSupported, "This version of MySQL doesn't yet support 'SET PASSWORD'")
	}
	if readOnlyVars[name] {
		return sqlerr.New(errReadOnlyVar, "Variable '%s' is a read only variable", name)
	}
	return nil
}

// readOnlyVars are the variables SET refuses.
var readOnlyVars = map[string]bool{
	"version": true, "version_comment": true, "version_compile_os": true, "version_compile_machine": true,
	"protocol_version": true, "hostname": true, "port": true, "socket": true, "datadir": true, "tmpdir": true,
	"basedir": true, "have_ssl": true, "have_openssl": true, "have_query_cache": true, "license": true,
	"character_set_system": true, "lower_case_table_names": true, "lower_case_file_system": true, "system_time_zone": true, "log_bin": true,
	"performance_schema": true, "in_transaction": true, "warning_count": true, "error_count": true,
	"server_id": true, "max_connections": true, "pid_file": true, "log_error": true, "secure_file_priv": true,
}

// globalOnlyVars are the variables that have no session value:
// @@SESSION.name is 1238 "is a GLOBAL variable", as in MariaDB.
var globalOnlyVars = map[string]bool{
	"datadir": true, "basedir": true, "tmpdir": true, "pid_file": true, "log_error": true, "secure_file_priv": true,
	"hostname": true, "port": true, "socket": true,
}

// moreVarDefaults are variables drivers, ORMs and GUI tools read or set at
// connect that blitz reports and keeps per session without acting on them
// (a lock wait always gives up after 10 s: engine/lock.go).
var moreVarDefaults = map[string]any{
	"innodb_lock_wait_timeout":        int64(10),
	"lock_wait_timeout":               int64(86400),
	"max_statement_time":              "0.000000",
	"net_buffer_length":               int64(16384),
	"explicit_defaults_for_timestamp": int64(1), // as MariaDB 10.10+ and blitz behave: a TIMESTAMP without NOT NULL is NULL DEFAULT NULL
	"sql_big_selects":                 int64(1),
	"sql_log_bin":                     int64(1),
	"sql_log_off":                     int64(0), // blitz keeps no general query log; mariadb-admin password sets it
	"sql_warnings":                    int64(0),
	"local_infile":                    int64(1),
	"have_query_cache":                "NO",
	"log_bin":                         int64(0),
	"server_id":                       int64(1),
	"tmpdir":                          os.TempDir(),
}
