package server

import (
	"context"
	"io"
	"time"
)

// Backend is the SQL layer the server drives: one Session per client
// connection. sqlshim provides the real one (see NewSQLShimBackend); tests
// use a fake. A Backend must be safe for concurrent use.
type Backend interface {
	// NewSession returns a new session with its own transaction state,
	// autocommit on.
	NewSession(ctx context.Context) (Session, error)
	// Close releases the backend after every session has been closed
	// (for sqlshim: closes the database cleanly).
	Close() error
}

// Session is one client's SQL session. The server calls it from one
// goroutine at a time (the connection's), so it need not be safe for
// concurrent use.
type Session interface {
	// Exec runs one SQL statement (no trailing ';') with the values of its
	// '?' placeholders, and returns its result. Errors should be
	// *sqlerr.Error; any other error reaches the client as 1105.
	Exec(ctx context.Context, query string, args []any) (*Result, error)
	// Prepare parses query once for repeated execution.
	Prepare(ctx context.Context, query string) (Stmt, error)
	// InTransaction reports whether an explicit transaction is open
	// (BEGIN, or autocommit off and a statement has run since the last
	// COMMIT/ROLLBACK).
	InTransaction() bool
	// Autocommit reports the session's autocommit setting.
	Autocommit() bool
	// Close rolls back any open transaction and releases the session.
	Close() error
}

// ClientAware is implemented by a Session that reports who it serves
// (USER(), CURRENT_USER(), CONNECTION_ID(), SHOW GRANTS); the server calls
// SetClient once, when it creates the session for a logged-in client.
type ClientAware interface {
	SetClient(id uint64, user, host string)
}

// StatusAware is implemented by a Session that evaluates SHOW STATUS
// itself (its WHERE form): the server calls SetStatus once, when it creates
// the session, with the list the server's own SHOW STATUS prints.
type StatusAware interface {
	SetStatus(status func() [][2]string)
}

// ProcessListAware is implemented by a Session that answers SHOW
// PROCESSLIST and information_schema.PROCESSLIST itself (a prepared SHOW
// PROCESSLIST, a SELECT from the view): the server calls SetProcessList
// once, when it creates the session, with a function that lists its
// connections as its own SHOW PROCESSLIST does.
type ProcessListAware interface {
	SetProcessList(list func() []ProcessRow)
}

// ProcessRow is one connection in SHOW PROCESSLIST.
type ProcessRow struct {
	ID      uint32
	User    string
	Host    string
	DB      string
	Command string
	Time    time.Duration // since the connection entered its state
	State   string        // "" when idle
	Info    string        // the running statement, "" when idle
}

// InfileAware is implemented by a Session that runs LOAD DATA. The server
// calls SetInfile once, when it creates the session: open asks the client
// for the file a LOAD DATA LOCAL INFILE names and streams its contents.
// It may only be called while a text-protocol query (COM_QUERY) runs. A
// LOAD DATA without LOCAL must not read the server's own files.
type InfileAware interface {
	SetInfile(open func(name string) (io.ReadCloser, error))
}

// ServerFilesAware is implemented by a Session that can read and write the
// server's files in one directory only (Options.SecureFilePriv): the
// server calls SetServerFileDir once, after SetInfile, when that option
// is set.
type ServerFilesAware interface {
	SetServerFileDir(dir string)
}

// CollationAware is implemented by a Session whose string literals
// compare under the connection's collation: the server tells it
// @@collation_connection when it creates the session and whenever the
// variable changes (the handshake, SET NAMES, SET collation_connection,
// ...), from the connection's goroutine, between statements or inside a
// SET the session forwarded to its ConnVars.
type CollationAware interface {
	SetConnectionCollation(name string)
}

// SessionVariables is implemented by a Session that keeps system
// variables of its own (sqlshim: blitz_memory_budget). SET and SELECT @@
// of them go to the session as statements; SHOW VARIABLES lists them.
type SessionVariables interface {
	// Variables returns the session's own variables and their values as
	// SHOW VARIABLES prints them.
	Variables() [][2]string
}

// DatabaseAware is implemented by a Session that can be left without a
// current database (sqlshim: after DROP DATABASE of it): DATABASE() asks
// it, and USE and COM_INIT_DB go to it.
type DatabaseAware interface {
	// CurrentDatabase returns the current database, false if there is
	// none.
	CurrentDatabase() (string, bool)
	// UseDatabase makes name the current database (1049 if there is no
	// such database).
	UseDatabase(name string) error
}

// InstanceVarSource is implemented by a Backend that reports where it
// keeps its files: @@datadir, @@basedir, @@tmpdir, @@pid_file,
// @@log_error (sqlshim.InstanceVar). The server answers @@hostname,
// @@port, @@socket and @@secure_file_priv itself.
type InstanceVarSource interface {
	// InstanceVar returns the value of the variable name (lower case),
	// false for a name it does not know.
	InstanceVar(name string) (any, bool)
}

// Stmt is a prepared statement of one Session, used by that session's
// goroutine only.
type Stmt interface {
	// NumParams is the number of '?' placeholders.
	NumParams() int
	// Columns describes the result set the statement returns, or nil if it
	// returns none or the shape is known only when it runs.
	Columns() []Column
	// Exec runs the statement with one value per placeholder.
	Exec(ctx context.Context, args []any) (*Result, error)
	// Close releases the statement.
	Close() error
}

// Result is what one statement returns: a result set (Columns non-nil,
// possibly no Rows) or, for statements without one, the counts.
type Result struct {
	Columns []Column
	// Rows hold one value per column: nil (NULL), int64, uint64, float64,
	// string, []byte, time.Time, or a fmt.Stringer (e.g. decimal.Decimal).
	// A string is sent as it is, so a backend can hand over text it has
	// already formatted the way MySQL prints the column's type.
	Rows         [][]any
	AffectedRows uint64
	LastInsertID uint64
	// Matched is, for UPDATE, the rows WHERE matched (changed or not): the
	// affected-rows count of a client that asked for CLIENT_FOUND_ROWS.
	// IsUpdate says the statement was an UPDATE.
	Matched  uint64
	IsUpdate bool
	// AffectedFound is, when not zero, the affected-rows count of a
	// client that asked for CLIENT_FOUND_ROWS (INSERT ... ON DUPLICATE
	// KEY UPDATE counts a row found unchanged there).
	AffectedFound uint64
	Info          string // the OK packet's info text; for an UPDATE the server fills in "Rows matched: ..."
	Warnings      int    // number of warnings the statement left for SHOW WARNINGS
	// DBDropped says the statement dropped the session's current
	// database: its OK packet carries SERVER_STATUS_DB_DROPPED, on which
	// the mariadb client asks for DATABASE() again (its prompt's \d).
	DBDropped bool
}

// Column is what the protocol sends about one result-set column. Type and
// Flags are MySQL's wire values (MYSQL_TYPE_LONGLONG = 8, NOT_NULL_FLAG =
// 1, UNSIGNED_FLAG = 32, BINARY_FLAG = 128, ...).
type Column struct {
	Name     string
	Table    string // "" for an expression
	Type     byte
	Flags    uint16
	Length   uint32 // display length
	Decimals uint8
	// Collation is the MariaDB id of a text column's collation (0:
	// utf8mb4_bin, blitz's default).
	Collation uint16
}
