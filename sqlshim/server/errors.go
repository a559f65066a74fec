package server

import (
	"errors"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/dolthub/vitess/go/mysql"
)

// Errors of the server itself (the SQL layer's errors are *sqlerr.Error).
var (
	// ErrServerClosed is returned by Serve after Shutdown.
	ErrServerClosed = errors.New("blitz/server: server closed")
	// ErrNoListener is returned by New when Options names neither an
	// address nor a socket.
	ErrNoListener = errors.New("blitz/server: no --listen address and no --socket")
	// ErrBadResult is returned when a backend hands back a malformed result
	// (a row whose width differs from the columns'); it is a bug in the
	// backend and reaches the client as 1105.
	ErrBadResult = errors.New("blitz/server: malformed result from the SQL layer")
)

// MySQL error numbers the server sends that internal/sqlerr does not list.
// They are MySQL's and part of the protocol: never change them.
const (
	errBadDB          = 1049 // Unknown database '%s'
	errServerShutdown = 1053 // Server shutdown in progress
	errUnknownStmt    = 1243 // Unknown prepared statement handler (%d) given to %s
	errNoSuchThread   = 1094 // Unknown thread id: %lu
	// errLocalInfileDisabled: LOAD DATA LOCAL from a client that did not
	// offer CLIENT_LOCAL_FILES (MariaDB's ER_LOAD_INFILE_CAPABILITY_DISABLED).
	errLocalInfileDisabled = 4166
)

// toSQLError converts any error to the vitess error the protocol writer
// sends: the sqlerr number and SQLSTATE, or 1105/HY000 for an error
// without a number.
func toSQLError(err error) *mysql.SQLError {
	if err == nil {
		return nil
	}
	var me *mysql.SQLError
	if errors.As(err, &me) {
		return me
	}
	e := sqlerr.As(err)
	state := e.State
	if len(state) != 5 { // the writer panics on anything else
		state = "HY000"
	}
	return mysql.NewSQLError(e.Code, state, "%s", e.Message)
}

// newError returns a client error with MySQL's number code and its
// SQLSTATE.
func newError(code int, format string, args ...any) *mysql.SQLError {
	return toSQLError(sqlerr.New(code, format, args...))
}

// errShutdown is what a statement arriving during shutdown gets.
func errShutdown() *mysql.SQLError {
	return mysql.NewSQLError(errServerShutdown, "08S01", "Server shutdown in progress")
}
