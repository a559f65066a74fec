package server

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/sqlshim"
)

// conn is the server's state for one client connection. Its session,
// statements and variables belong to the connection's goroutine; mu guards
// what SHOW PROCESSLIST reads from other goroutines.
type conn struct {
	id   uint32
	vc   *mysql.Conn
	sc   *serverConn // nil if the connection is not one of ours
	host string

	sess    Session // nil until the first statement needs one
	stmts   map[uint32]Stmt
	vars    map[string]any // session variables set with SET
	charset bool           // vars holds the handshake's character set
	// client and results convert statement text from
	// character_set_client and result text to character_set_results;
	// nil when that set needs no conversion (UTF-8, binary; charset.go).
	clientCS, resultsCS *charset.Charset
	warnings            uint16
	// results caches resultsCollation for the character_set_results and
	// collation_connection values it was worked out from.
	results resultsCache

	mu struct {
		sync.Mutex // protects following fields
		user       string
		command    string // "Sleep", "Query", "Execute", "Prepare"
		info       string // the statement running
		since      time.Time
		cancel     context.CancelFunc // interrupts the running statement (KILL); nil between statements
	}
}

// kill interrupts the connection's running statement, if any (KILL QUERY),
// and with conn also ends the connection once that statement has returned
// (KILL [CONNECTION]); its open transaction is then rolled back.
func (c *conn) kill(conn bool) {
	c.mu.Lock()
	if c.mu.cancel != nil {
		c.mu.cancel()
	}
	c.mu.Unlock()
	if conn {
		c.drain()
	}
}

func (c *conn) drain() {
	if c.sc != nil {
		c.sc.drain()
	} else {
		c.vc.Close()
	}
}

func (c *conn) setState(command, info string) {
	c.mu.Lock()
	c.mu.command, c.mu.info, c.mu.since = command, info, time.Now()
	c.mu.Unlock()
}

// handler implements mysql.Handler for a Server.
type handler struct {
	s *Server
}

var _ mysql.Handler = (*handler)(nil)

func (h *handler) conn(c *mysql.Conn) *conn {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.s.mu.conns[c.ConnectionID]
}

// NewConnection implements mysql.Handler.
func (h *handler) NewConnection(c *mysql.Conn) {
	st := &conn{id: c.ConnectionID, vc: c, host: hostOf(c.RemoteAddr()), stmts: make(map[uint32]Stmt), vars: make(map[string]any)}
	st.sc, _ = c.Conn.(*serverConn)
	st.setState("Connect", "")
	c.StatusFlags |= mysql.ServerStatusAutocommit
	h.s.sessions.Add(1)
	h.s.mu.Lock()
	h.s.mu.conns[c.ConnectionID] = st
	closed := h.s.mu.closed
	h.s.mu.Unlock()
	if closed {
		st.drain()
	}
}

// ConnectionClosed implements mysql.Handler: the session's open
// transaction is rolled back.
func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.s.mu.Lock()
	st := h.s.mu.conns[c.ConnectionID]
	delete(h.s.mu.conns, c.ConnectionID)
	h.s.mu.Unlock()
	if st == nil {
		return
	}
	defer h.s.sessions.Done()
	st.reset(h.s.opts.Logger)
}

// reset closes the connection's statements and session (rolling back).
func (c *conn) reset(log interface{ Warn(string, ...any) }) {
	for id, stmt := range c.stmts {
		stmt.Close()
		delete(c.stmts, id)
	}
	if c.sess != nil {
		if err := c.sess.Close(); err != nil {
			log.Warn("closing session", "conn", c.id, "err", err)
		}
		c.sess = nil
	}
	clear(c.vars)
	c.charset = false
	c.clientCS, c.resultsCS = nil, nil
}

// ConnectionAborted implements mysql.Handler (a failed handshake or login).
func (h *handler) ConnectionAborted(c *mysql.Conn, reason string) error {
	h.s.stats.abortedConnects.Add(1)
	h.s.opts.Logger.Info("connection aborted", "conn", c.ConnectionID, "reason", reason)
	return nil
}

// ComInitDB implements mysql.Handler: the only database is the directory.
// A session that has one (DatabaseAware) decides: it may have dropped it.
func (h *handler) ComInitDB(c *mysql.Conn, schemaName string) error {
	c.StatusFlags &^= serverStatusDBDropped // the last statement's news only
	if st := h.conn(c); st != nil && schemaName != "" {
		if da, ok := st.sess.(DatabaseAware); ok && schemaName == h.s.opts.Database {
			// Under the session's own name for it (Options.Database
			// may differ from the directory's name).
			name, _ := da.CurrentDatabase()
			if err := da.UseDatabase(name); err != nil {
				return newError(errBadDB, "Unknown database '%s'", schemaName)
			}
			return nil
		}
	}
	if schemaName == "" || schemaName == h.s.opts.Database {
		return nil
	}
	return newError(errBadDB, "Unknown database '%s'", schemaName)
}

// ComQuery implements mysql.Handler.
func (h *handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) error {
	return h.query(c, trimNUL(query), false, callback)
}

// trimNUL returns query without the one NUL byte some clients send after
// the text (mariadb-slap counts the C string's terminator in the length).
// MariaDB's lexer reads a NUL at the very end as the end of the query,
// and any other NUL outside a string as a syntax error, so only one is
// taken off.
func trimNUL(query string) string {
	if n := len(query); n > 0 && query[n-1] == 0 {
		return query[:n-1]
	}
	return query
}

// ComMultiQuery implements mysql.Handler: it runs the first statement of
// query and returns the rest. A CREATE PROCEDURE, FUNCTION, TRIGGER or
// EVENT is the whole query, as its BEGIN ... END body holds ';' (what the
// mariadb client sends of a dump's DELIMITER ;; block): blitz refuses it
// (1235), and none of its body runs.
func (h *handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (string, error) {
	query = trimNUL(query)
	first, rest, err := sqlparser.SplitStatement(query)
	// Unbalanced quotes (err): the SQL layer reports them.
	if err != nil || (rest != "" && sqlshim.IsCreateRoutine(query)) {
		first, rest = query, ""
	}
	rest = strings.TrimSpace(rest)
	if strings.TrimSpace(first) == "" && rest != "" {
		return rest, nil
	}
	return rest, h.query(c, first, rest != "", callback)
}

// query runs one statement of COM_QUERY.
func (h *handler) query(c *mysql.Conn, query string, more bool, callback mysql.ResultSpoolFn) error {
	st := h.conn(c)
	if st == nil || h.s.draining.Load() {
		return errShutdown()
	}
	st.initCharset(c)
	if st.clientCS != nil {
		query = st.clientCS.Decode(query)
	}
	res, err := h.run(c, st, "Query", query, func(ctx context.Context) (*Result, error) {
		if r, ok, err := h.admin(ctx, c, st, query); ok {
			return r, err
		}
		sess, err := h.session(ctx, st)
		if err != nil {
			return nil, err
		}
		return sess.Exec(ctx, query, nil)
	})
	if err != nil {
		return err
	}
	if res.Info == "" || st.sc == nil {
		return callback(res, more)
	}
	// The OK packet's info as MariaDB writes it (okinfo.go).
	if err := st.sc.startOKInfo(c, res.Info, false, 0); err != nil {
		return err
	}
	err = callback(res, more)
	if ferr := st.sc.finishOKInfo(c); err == nil {
		err = ferr
	}
	return err
}

// run runs fn as the connection's current statement: counted, shown in
// SHOW PROCESSLIST, its error converted for the client and the session's
// transaction state copied into the status flags.
func (h *handler) run(c *mysql.Conn, st *conn, command, info string, fn func(ctx context.Context) (*Result, error)) (*sqltypes.Result, error) {
	st.initCharset(c)
	// The statement shows in SHOW PROCESSLIST from the moment KILL can
	// interrupt it: state and cancel change together.
	ctx, cancel := context.WithCancel(h.s.baseCtx)
	st.mu.Lock()
	st.mu.user = c.User
	st.mu.command, st.mu.info, st.mu.since = command, info, time.Now()
	st.mu.cancel = cancel
	st.mu.Unlock()
	defer func() {
		st.mu.Lock()
		st.mu.command, st.mu.info, st.mu.since = "Sleep", "", time.Now()
		st.mu.cancel = nil
		st.mu.Unlock()
		cancel()
	}()
	h.s.stats.queries.Add(1)
	h.s.stats.running.Add(1)
	defer h.s.stats.running.Add(-1)
	if st.sc != nil {
		// What the client sends now is the statement's (LOAD DATA
		// LOCAL's file), never a command (see takeStatistics).
		st.sc.busy.Store(true)
		defer st.sc.busy.Store(false)
	}

	r, err := fn(ctx)
	h.syncStatus(c, st)
	c.StatusFlags &^= serverStatusDBDropped // one statement's news
	if r != nil && r.DBDropped {
		c.StatusFlags |= serverStatusDBDropped
	}
	if err != nil {
		st.warnings = 0
		e := toSQLError(err)
		if st.resultsCS != nil { // MariaDB's messages are in the results' set too
			e = &mysql.SQLError{Num: e.Num, State: e.State, Message: st.resultsCS.Encode(e.Message), Query: e.Query}
		}
		return nil, e
	}
	st.warnings = uint16(min(r.Warnings, 65535))
	if r.IsUpdate && r.Columns == nil {
		if r.Info == "" {
			r.Info = fmt.Sprintf("Rows matched: %d  Changed: %d  Warnings: %d", r.Matched, r.AffectedRows, r.Warnings)
		}
		if c.Capabilities&mysql.CapabilityClientFoundRows != 0 {
			r.AffectedRows = r.Matched
		}
	}
	if r.AffectedFound != 0 && c.Capabilities&mysql.CapabilityClientFoundRows != 0 {
		r.AffectedRows = r.AffectedFound
	}
	out, err := toSQLResult(r, st.resultsCollation(), st.resultsCS, h.s.opts.Database)
	if err != nil {
		return nil, toSQLError(err)
	}
	return out, nil
}

// syncStatus copies the session's autocommit and transaction state into
// the status flags every OK and EOF packet carries.
func (h *handler) syncStatus(c *mysql.Conn, st *conn) {
	if st.sess == nil {
		return
	}
	c.StatusFlags &^= mysql.ServerStatusAutocommit | serverStatusInTrans
	if st.sess.Autocommit() {
		c.StatusFlags |= mysql.ServerStatusAutocommit
	}
	if st.sess.InTransaction() {
		c.StatusFlags |= serverStatusInTrans
	}
}

// session returns the connection's session, opening it on first use.
func (h *handler) session(ctx context.Context, st *conn) (Session, error) {
	if st.sess == nil {
		sess, err := h.s.backend.NewSession(ctx)
		if err != nil {
			return nil, err
		}
		if ca, ok := sess.(ClientAware); ok {
			st.mu.Lock()
			user := st.mu.user
			st.mu.Unlock()
			ca.SetClient(uint64(st.id), user, st.host)
		}
		if sa, ok := sess.(StatusAware); ok {
			sa.SetStatus(h.status)
		}
		if pa, ok := sess.(ProcessListAware); ok {
			pa.SetProcessList(h.processRows)
		}
		if va, ok := sess.(SystemVarsAware); ok {
			va.SetSystemVars(&ConnVars{h: h, st: st})
		}
		if ia, ok := sess.(InfileAware); ok {
			c, sc := st.vc, st.sc
			ia.SetInfile(func(name string) (io.ReadCloser, error) {
				if sc != nil && !sc.localFiles() {
					return nil, sqlerr.New(errLocalInfileDisabled, "The used command is not allowed because the MariaDB server or client has disabled the local infile capability")
				}
				return c.LoadInfile(name)
			})
		}
		if fa, ok := sess.(ServerFilesAware); ok && h.s.opts.SecureFilePriv != "" {
			fa.SetServerFileDir(h.s.opts.SecureFilePriv)
		}
		st.sess = sess
		st.collationChanged()
	}
	return st.sess, nil
}

// ComPrepare implements mysql.Handler (COM_STMT_PREPARE). The parameter
// count the client is told is the SQL layer's.
func (h *handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	st := h.conn(c)
	if st == nil || h.s.draining.Load() {
		return nil, errShutdown()
	}
	// COM_STMT_CLOSE reaches only vitess: drop the statements it forgot.
	for id, stmt := range st.stmts {
		if _, ok := c.PrepareData[id]; !ok {
			stmt.Close()
			delete(st.stmts, id)
		}
	}
	query = trimNUL(st.sc.preparedText(query)) // prepare.go
	st.initCharset(c)
	if st.clientCS != nil {
		query = st.clientCS.Decode(query)
	}
	prepare.PrepareStmt = query
	var stmt Stmt
	_, err := h.run(c, st, "Prepare", query, func(ctx context.Context) (*Result, error) {
		sess, err := h.session(ctx, st)
		if err != nil {
			return nil, err
		}
		stmt, err = sess.Prepare(ctx, query)
		return &Result{}, err
	})
	if err != nil {
		return nil, err
	}
	n := stmt.NumParams()
	prepare.ParamsCount = uint16(n)
	prepare.ParamsType = make([]int32, n)
	prepare.BindVars = make(map[string]*querypb.BindVariable, n)
	st.stmts[prepare.StatementID] = stmt
	if cols := stmt.Columns(); len(cols) > 0 {
		return fields(cols, st.resultsCollation(), st.resultsCS, h.s.opts.Database), nil
	}
	return nil, nil
}

// ComStmtExecute implements mysql.Handler (COM_STMT_EXECUTE).
func (h *handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) error {
	st := h.conn(c)
	if st == nil || h.s.draining.Load() {
		return errShutdown()
	}
	stmt, ok := st.stmts[prepare.StatementID]
	if !ok {
		return newError(errUnknownStmt, "Unknown prepared statement handler (%d) given to mysqld_stmt_execute", prepare.StatementID)
	}
	args := make([]any, prepare.ParamsCount)
	for i := range args {
		v, err := bindValue(prepare.BindVars[bindVarName(i)])
		if err != nil {
			return newError(1210, "Incorrect arguments to mysqld_stmt_execute")
		}
		if s, ok := v.(string); ok && st.clientCS != nil && i < len(prepare.ParamsType) && textParam(prepare.ParamsType[i]) {
			v = st.clientCS.Decode(s)
		}
		args[i] = v
	}
	res, err := h.run(c, st, "Execute", prepare.PrepareStmt, func(ctx context.Context) (*Result, error) {
		return stmt.Exec(ctx, args)
	})
	if err != nil {
		return err
	}
	binaryZeroDates(res) // zerodate.go
	if len(res.Fields) > 0 || res.Info == "" && st.warnings == 0 || st.sc == nil {
		return callback(res)
	}
	// vitess writes this OK packet without the info and with no
	// warnings: okinfo.go puts them in.
	if err := st.sc.startOKInfo(c, res.Info, true, st.warnings); err != nil {
		return err
	}
	err = callback(res)
	if ferr := st.sc.finishOKInfo(c); err == nil {
		err = ferr
	}
	return err
}

// bindVarNames are the names vitess gives the first parameters of a
// prepared statement ("v1", "v2", ...), made once instead of at each
// execution.
var bindVarNames = func() (names [64]string) {
	for i := range names {
		names[i] = "v" + strconv.Itoa(i+1)
	}
	return
}()

// bindVarName returns the name of parameter i (from 0).
func bindVarName(i int) string {
	if i < len(bindVarNames) {
		return bindVarNames[i]
	}
	return "v" + strconv.Itoa(i+1)
}

// WarningCount implements mysql.Handler: the warnings of the last
// statement.
func (h *handler) WarningCount(c *mysql.Conn) uint16 {
	if st := h.conn(c); st != nil {
		return st.warnings
	}
	return 0
}

// ComResetConnection implements mysql.Handler: rolls back, forgets the
// prepared statements and session variables.
func (h *handler) ComResetConnection(c *mysql.Conn) error {
	if st := h.conn(c); st != nil {
		st.reset(h.s.opts.Logger)
		c.StatusFlags |= mysql.ServerStatusAutocommit
		c.StatusFlags &^= serverStatusInTrans
	}
	return nil
}

// ParserOptionsForConnection implements mysql.Handler. vitess parses
// prepared statements only to count their placeholders.
func (h *handler) ParserOptionsForConnection(c *mysql.Conn) (sqlparser.ParserOptions, error) {
	return sqlparser.ParserOptions{}, nil
}

// serverStatusInTrans is SERVER_STATUS_IN_TRANS, and
// serverStatusDBDropped SERVER_STATUS_DB_DROPPED (set in the reply to a
// statement that dropped the current database), which vitess does not
// name (part of the protocol).
const (
	serverStatusInTrans   = 0x0001
	serverStatusDBDropped = 0x0100
)
