// Package sqlshim is blitz's SQL front end: SQL text is read by TiDB's
// parser (github.com/pingcap/tidb/pkg/parser), planned simply and executed
// against the engine. It serves the `blitz sql` shell, the MySQL-protocol
// server (one Session per connection) and the database/sql driver
// "blitz" (driver.go).
//
// Dialect: MySQL's as TiDB's parser reads it, plus two pieces recognised
// before the parser sees the text (lex.go): the table option CRASH_SAFE of
// CREATE TABLE and the statements CHECK TABLE and REPAIR TABLE. The table
// option ENGINE = InnoDB (or XtraDB), as ORMs and dumps write it, makes a
// BLITZDB CRASH_SAFE table with note 1266; other engine names follow
// NO_ENGINE_SUBSTITUTION (engineOption in exec.go).
//
// Semantics are MySQL's in strict mode (STRICT_TRANS_TABLES,
// ERROR_FOR_DIVISION_BY_ZERO): a value that does not fit its column is an
// error, not a silent cut; division by zero is NULL with a warning in a
// query and an error in INSERT/UPDATE. Strings compare under utf8mb4_bin:
// byte (code point) order, case-sensitive, trailing spaces ignored. The
// reference for every rule is MariaDB's behaviour: testdata/sql holds
// scripts whose expected outputs come from a real MariaDB.
//
// Joins are not supported yet: they fail with error 1235, never with a
// wrong answer. Subqueries and UNION run (exec_subquery.go, exec_union.go).
package sqlshim

import (
	"context"
	"github.com/blitzdb/blitz/internal/buildinfo"
	"github.com/blitzdb/blitz/internal/collate"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// serverVersion is what VERSION() and @@version answer.
const serverVersion = buildinfo.ServerVersion

// Session is one SQL session over a database: its transaction, its
// LAST_INSERT_ID() and the warnings of its last statement. The
// MySQL-protocol server runs one per connection. A Session runs one
// statement at a time: it is safe for concurrent use, but calls are
// serialised.
type Session struct {
	db *engine.DB
	// colMaps holds the column lookup of each table definition this
	// session has read through tableRead (definitions are never changed in
	// place, so the pointer is the key).
	colMaps map[*engine.TableDef]map[string]int
	warnFn  func(code int, format string, args ...any) // addWarning, for evalCtx.warn
	// args holds ExecPrepared's normalized arguments for the statement
	// under way (nothing keeps a statement's parameters after it), cleared
	// after it so that it keeps no value alive.
	args []any
	// DBName is the database name the session reports in messages and in
	// SHOW TABLES ("Tables_in_<name>"). NewSession sets it to the base name
	// of the database directory.
	DBName string
	// statusSource, when set (SetStatusSource), lists SHOW STATUS instead
	// of the SQL layer's own counters.
	statusSource func() [][2]string
	// processList, when set (SetProcessList), lists the server's sessions
	// for SHOW PROCESSLIST (processlist.go).
	processList func() []Process
	// sysVars, when set (SetSystemVars), keeps the system variables the
	// session does not keep itself.
	sysVars SystemVars
	// conn is @@collation_connection (conncoll.go), set by SET NAMES and
	// friends or by the server (SetConnectionCollation), read by every
	// string literal of the statement under way: from the goroutine that
	// runs the session's statements only.
	conn connCollation

	mu           sync.Mutex // protects following fields
	parser       *parser.Parser
	tx           *engine.Tx // the explicit transaction (BEGIN ... COMMIT), nil in autocommit
	lastInsertID uint64
	// rowCount and foundRows are ROW_COUNT() and FOUND_ROWS(): the rows
	// the last statement changed (-1 after one with a result set or an
	// error, 0 after DDL and SET), and the rows the last SELECT found
	// (noteCounts).
	rowCount     int64
	foundRows    int64
	warnings     []Warning             // of the running (or last) statement
	prevWarnings []Warning             // of the statement before: what SHOW WARNINGS shows
	keepsDiag    bool                  // the running statement reads no table: @@warning_count sees prevWarnings
	shapes       map[string]*statement // parsed statement shapes (stmtcache.go)
	checked      map[checkedKey]bool   // SELECTs whose columns checkColumns found (checkcols.go)
	memBudget    int64                 // blitz_memory_budget (membudget.go)
	// maxRecursiveIterations is @@max_recursive_iterations (cte_recursive.go).
	maxRecursiveIterations uint64
	// selectLimit is @@sql_select_limit (selectlimit.go).
	selectLimit uint64
	// Transaction characteristics (txchars.go): @@tx_isolation as set
	// ("" until then), @@tx_read_only, and SET TRANSACTION READ ONLY |
	// WRITE's value for the next transaction (nil: none).
	txIsolation    string
	txReadOnly     bool
	nextTxReadOnly *bool
	// noAutocommit is SET autocommit = 0: the first statement after a
	// COMMIT or ROLLBACK opens a transaction that stays open until the
	// next one.
	noAutocommit bool
	// noFKChecks is SET foreign_key_checks = 0 (foreignkey.go): writes
	// neither check nor apply foreign keys, and DDL accepts keys that
	// reference missing tables.
	noFKChecks bool
	// noDB: the session has no current database, after DROP DATABASE of
	// it until USE; dbDropped: for this session the database does not
	// exist, after DROP DATABASE until CREATE DATABASE (nodb.go).
	noDB, dbDropped bool
	// noNotes is SET sql_notes = 0: notes (level Note) are not recorded,
	// so SHOW WARNINGS and the warning count leave them out.
	noNotes bool
	// safeUpdates is SET sql_safe_updates = 1 (safeupdates.go).
	safeUpdates bool
	// savepoints are the SAVEPOINTs of the transaction spTx (oldest
	// first); they are void once s.tx is another transaction or none.
	savepoints   []savepoint
	spTx         *engine.Tx
	userVars     map[string]any        // @name, by lower-case name
	sqlStmts     map[string]*statement // PREPARE name FROM ...: by lower-case name (prepare.go)
	userVarBytes int64                 // what userVars hold (userVarSize)
	// userVarColls: the collation of each user variable holding text of
	// a collation other than utf8mb4_bin (nil until there is one).
	userVarColls map[string]*collate.Collation
	locks        *engine.TableLocks // LOCK TABLES, until UNLOCK TABLES
	temp         *engine.DB         // the temporary tables (temptable.go), nil before the first
	sqlMode      sqlMode            // @@sql_mode (sqlmode.go)
	tz           timeZone           // @@time_zone (timezone.go)
	// lexMode is set while sql_mode has ANSI_QUOTES or
	// NO_BACKSLASH_ESCAPES: quotes then do not mean what shapeOf
	// assumes, so statements bypass the shape cache.
	lexMode bool
	client  Client       // who is connected (SetClient)
	infile  infileAccess // how LOAD DATA opens files (SetInfile)
	runs    uint64       // statements runLocked has started
	// viewTrees: the parsed queries of the views used (view.go), by
	// definition; viewParser reads them in the default sql_mode.
	viewTrees    map[*engine.ViewDef]ast.StmtNode
	viewParser   *parser.Parser
	pointLookups int64 // SELECTs run as point lookups (pointselect.go)
}

// Client is who a session serves, as USER(), CURRENT_USER(),
// CONNECTION_ID() and SHOW GRANTS report it.
type Client struct {
	ID          uint64 // the connection id (1 for an embedded session)
	User        string // the user name the client logged in as
	Host        string // where the client connects from
	AccountHost string // the host part of the account it was let in as
}

// embeddedClient is the Client of a session until SetClient: a program
// that opened the database itself.
var embeddedClient = Client{ID: 1, User: "root", Host: "localhost", AccountHost: "localhost"}

// SetClient says who the session serves (a server calls it once the client
// has logged in).
func (s *Session) SetClient(c Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client = c
}

// SetStatusSource makes SHOW STATUS list what status returns (a server's
// connection counters and the engine's), so that SHOW STATUS WHERE, which
// the SQL layer evaluates, sees them. status must not call back into the
// session. Call it before the session runs statements.
func (s *Session) SetStatusSource(status func() [][2]string) { s.statusSource = status }

// onlyUserVars reports whether n sets user variables (@v) and nothing else.
func onlyUserVars(n *ast.SetStmt) bool {
	for _, v := range n.Variables {
		if v.IsSystem {
			return false
		}
	}
	return len(n.Variables) > 0
}

// maxUserVars and maxUserVarBytes bound what one session's user variables
// hold (MySQL bounds only each value, by max_allowed_packet).
const (
	maxUserVars     = 10000
	maxUserVarBytes = 64 << 20
)

// setUserVar sets the user variable @name (names are case-insensitive)
// to v, text of collation coll (nil: utf8mb4_bin), which the variable
// keeps as MariaDB does. Setting one to NULL forgets it, as reading it
// gives NULL anyway.
func (s *Session) setUserVar(name string, v any, coll *collate.Collation) error {
	k := strings.ToLower(name)
	if _, text := v.(string); text && coll != nil && !coll.IsBin() {
		if s.userVarColls == nil {
			s.userVarColls = map[string]*collate.Collation{}
		}
		s.userVarColls[k] = coll
	} else if s.userVarColls != nil {
		delete(s.userVarColls, k)
	}
	if b, ok := v.(bool); ok {
		v = boolVal(b)
	}
	old, had := s.userVars[k]
	size := s.userVarBytes - userVarSize(k, old, had) + userVarSize(k, v, v != nil)
	if v != nil && (size > maxUserVarBytes || !had && len(s.userVars) >= maxUserVars) {
		return errf(sqlerr.ErrUnknown, "User variable '%s' not set: this session's user variables would exceed %d variables or %d bytes", name, maxUserVars, maxUserVarBytes)
	}
	s.userVarBytes = size
	if v == nil {
		delete(s.userVars, k)
		return nil
	}
	if s.userVars == nil {
		s.userVars = map[string]any{}
	}
	s.userVars[k] = v
	return nil
}

// userVarColl returns the collation of the text user variable @name
// holds: the one it was set with, utf8mb4_bin by default.
func (s *Session) userVarColl(name string) *collate.Collation {
	if s != nil && s.userVarColls != nil {
		if c, ok := s.userVarColls[strings.ToLower(name)]; ok {
			return c
		}
	}
	return collate.Bin
}

// userVarSize is what a user variable is charged: its name and value.
func userVarSize(name string, v any, present bool) int64 {
	if !present {
		return 0
	}
	n := int64(len(name)) + 16
	switch x := v.(type) {
	case string:
		n += int64(len(x))
	case []byte:
		n += int64(len(x))
	}
	return n
}

// savepoint is one SAVEPOINT name and the undo mark it returns to.
type savepoint struct {
	name string
	mark int
}

// NewSession returns a session on db in autocommit mode.
func NewSession(db *engine.DB) *Session {
	name := strings.TrimRight(db.Dir(), "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return &Session{db: db, DBName: name, parser: parser.New(), memBudget: defaultMemoryBudget, maxRecursiveIterations: DefaultMaxRecursiveIterations, selectLimit: noSelectLimit, client: embeddedClient, sqlMode: defaultSQLMode, conn: defaultConnColl, tz: defaultTimeZone(db)}
}

// DB returns the database the session runs on.
func (s *Session) DB() *engine.DB { return s.db }

// Autocommit reports whether autocommit is on (SET autocommit = 1, the
// default).
func (s *Session) Autocommit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.noAutocommit
}

// InTransaction reports whether a transaction is open (BEGIN, or
// autocommit off and a statement has run since the last COMMIT).
func (s *Session) InTransaction() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx != nil
}

// LastInsertID returns the value LAST_INSERT_ID() would return.
func (s *Session) LastInsertID() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastInsertID
}

// Warnings returns the warnings of the last statement.
func (s *Session) Warnings() []Warning {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Warning(nil), s.warnings...)
}

// Exec runs the statements of sql (separated by semicolons) in order and
// returns one Result per statement. It stops at the first error and
// returns the results so far with it; the error is an *sqlerr.Error.
func (s *Session) Exec(ctx context.Context, sql string) ([]Result, error) {
	sp := NewSplitter(strings.NewReader(sql))
	var out []Result
	for {
		text, _, err := sp.Next()
		if err != nil {
			return out, nil
		}
		r, err := s.ExecOne(ctx, text, nil)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
}

// ExecOne runs one statement with the values of its ? placeholders.
func (s *Session) ExecOne(ctx context.Context, sql string, args []any) (r Result, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	runs := s.runs
	defer func() {
		if err != nil {
			if s.runs == runs {
				s.warnings = nil // it failed before it ran: the last statement's warnings go
			}
			s.noteError(err)
		}
	}()
	if args == nil {
		st, vals, err := s.parseCached(sql)
		if err != nil {
			return Result{}, err
		}
		if vals == nil {
			return s.runLocked(ctx, st, nil)
		}
		prev := s.warnings
		r, err := s.runLocked(ctx, st, vals)
		if err == nil || !strings.Contains(err.Error(), "?") {
			return r, err
		}
		// A failed statement changed nothing (its savepoint or transaction
		// was undone), but its message may quote an expression, which
		// holds ? in the shape: run it again as written, for the message
		// the user's text gives. Such errors are rare; this costs them a
		// parse. (Others, a lock wait timeout say, are not run twice.)
		s.warnings = prev
		if st, err = parseOne(s.parser, sql); err != nil {
			return Result{}, err
		}
		return s.runLocked(ctx, st, nil)
	}
	st, err := parseOne(s.parser, sql)
	if err != nil {
		return Result{}, err
	}
	norm := make([]any, len(args))
	for i, a := range args {
		norm[i] = normalizeArg(a)
	}
	return s.runLocked(ctx, st, norm)
}

// Prepared is a statement parsed once and executed many times with
// different values for its ? placeholders. It belongs to the session that
// prepared it.
type Prepared struct {
	st *statement
}

// NumParams returns the number of ? placeholders.
func (p *Prepared) NumParams() int { return p.st.nparams }

// Prepare parses one statement for later execution.
func (s *Session) Prepare(sql string) (*Prepared, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := parseOne(s.parser, sql)
	if err != nil {
		return nil, err
	}
	if _, ok := st.node.(*ast.LoadDataStmt); ok {
		// As in MySQL: the client's file can only be asked for in the
		// text protocol.
		return nil, errf(sqlerr.ErrUnsupportedPS, "This command is not supported in the prepared statement protocol yet")
	}
	return &Prepared{st: st}, nil
}

// ExecPrepared runs a prepared statement with args for its placeholders
// (Go values: nil, integers, floats, string, []byte, time.Time, bool,
// decimal.Decimal).
func (s *Session) ExecPrepared(ctx context.Context, p *Prepared, args []any) (Result, error) {
	if len(args) != p.st.nparams {
		return Result{}, errf(errParamCount, "Incorrect arguments to EXECUTE")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	norm := s.args[:0]
	for _, a := range args {
		norm = append(norm, normalizeArg(a))
	}
	s.args = norm
	r, err := s.runLocked(ctx, p.st, norm)
	clear(norm)
	if err != nil {
		s.noteError(err)
	}
	return r, err
}

// noteError records the error a statement ended with among its warnings,
// where the next SHOW WARNINGS (or SHOW ERRORS) lists it, as MySQL does.
// A statement that failed before it ran (a parse error) leaves only that.
func (s *Session) noteError(err error) {
	s.rowCount = -1
	e := sqlerr.As(err)
	for _, w := range s.warnings {
		if w.Level == "Error" && w.Code == e.Code && w.Message == e.Message {
			return // recorded in its place among the statement's conditions (foreignkey.go)
		}
	}
	s.warnings = append(s.warnings, Warning{Level: "Error", Code: e.Code, Message: e.Message})
}

// normalizeArg converts a Go value to one of the value types.
func normalizeArg(a any) any {
	switch x := a.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return uint64(x)
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	case float32:
		return float64(x)
	case bool:
		return boolVal(x)
	case time.Time:
		return x.UTC()
	}
	return a
}

// Close rolls back an open transaction and drops the session's temporary
// tables.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.tx != nil {
		err = s.tx.Rollback()
		s.tx = nil
	}
	s.unlockTables()
	s.releaseUserLocks()
	if terr := s.closeTemp(); err == nil {
		err = terr
	}
	return err
}

// unlockTables gives back the LOCK TABLES locks, if any.
func (s *Session) unlockTables() {
	s.locks.Unlock()
	s.locks = nil
}

// unlockVictim gives back the LOCK TABLES locks of a session whose
// statement failed with err, when err is a deadlock (1213). Rolling the
// victim's transaction back frees none of them, so the sessions waiting
// for them would go on waiting for this one (until it unlocks, or their
// lock wait timeout) and each of its retries would close the same cycle
// again. MariaDB never gets here: it refuses a table LOCK TABLES did not
// name (error 1100), where blitz lets the session use it.
func (s *Session) unlockVictim(err error) {
	if s.locks != nil && sqlerr.Code(err) == sqlerr.ErrLockDeadlock {
		s.unlockTables()
	}
}

// commitAndUnlock commits the open transaction and gives back LOCK TABLES
// locks: what BEGIN, LOCK TABLES, DDL and BACKUP do first.
func (s *Session) commitAndUnlock() error {
	if err := s.commitLocked(); err != nil {
		return err
	}
	s.unlockTables()
	return nil
}

// begin starts a transaction that writes the LOCK TABLES tables under the
// session's locks.
func (s *Session) begin(ctx context.Context) (*engine.Tx, error) {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	tx.UseLocks(s.locks)
	tx.SetForeignKeyChecks(!s.noFKChecks)
	if s.temp != nil {
		tx.UseTemp(s.temp)
	}
	return tx, nil
}

// lockTables runs LOCK TABLES: the open transaction commits and earlier
// table locks are given back (as in MySQL), then each named table's write
// lock is taken and held across statements until UNLOCK TABLES, BEGIN,
// DDL or the end of the session. The session's statements commit one by
// one meanwhile, and no other session writes those tables. READ locks are
// taken as write locks (other sessions may still read, as with READ).
// Unlike MySQL, tables not named stay usable.
func (s *Session) lockTables(ctx context.Context, n *ast.LockTablesStmt) error {
	if err := s.commitAndUnlock(); err != nil {
		return err
	}
	names := make([]string, 0, len(n.TableLocks))
	for _, tl := range n.TableLocks {
		if tl.Table.Schema.L != "" && tl.Table.Schema.L != lower(s.DBName) {
			return errUnknownDB(tl.Table.Schema.O)
		}
		if s.isTemp(tl.Table.Name.O) {
			continue // only the session uses it: nothing to lock, as in MariaDB
		}
		names = append(names, tl.Table.Name.O)
	}
	if len(names) == 0 {
		return nil
	}
	l, err := s.db.LockTables(ctx, s.viewBaseTables(names))
	if err != nil {
		return mapErr(err)
	}
	s.locks = l
	return nil
}

// runLocked runs one parsed statement.
func (s *Session) runLocked(ctx context.Context, st *statement, args []any) (r Result, err error) {
	if err := ctx.Err(); err != nil {
		return Result{}, errf(sqlerr.ErrQueryInterrupted, "Query execution was interrupted")
	}
	prev := s.warnings
	s.prevWarnings, s.warnings = prev, nil
	s.runs++
	// A statement that reads no table and raises no condition leaves the
	// diagnostics of the one before (diagnostics.go).
	keep := keepsDiagnostics(st.node)
	s.keepsDiag = keep
	defer func() {
		if keep && err == nil && len(s.warnings) == 0 {
			s.warnings = prev
		}
	}()
	if names := s.db.PendingFills(); len(names) > 0 && s.tx == nil {
		s.finishFills(ctx, names) // gencol.go
	}
	if sh, ok := st.node.(*ast.ShowStmt); ok && (sh.Tp == ast.ShowWarnings || sh.Tp == ast.ShowErrors) {
		// As in MySQL, SHOW WARNINGS leaves the list for the next one.
		defer func() { s.warnings = s.prevWarnings }()
	}
	if s.noDB {
		if err := s.checkNoDB(st); err != nil { // nodb.go
			return Result{}, err
		}
	}
	if s.tx != nil {
		s.tx.SetContext(ctx) // the open transaction waits and commits under this statement
	}
	if s.nextTxReadOnly != nil || s.txReadOnly {
		if s.readOnlyNow() && writes(st.node) {
			return Result{}, errf(errReadOnlyTx, "Cannot execute statement in a READ ONLY transaction")
		}
		if s.nextTxReadOnly != nil {
			// SET TRANSACTION's value lasts until a transaction ends:
			// a statement that succeeds outside BEGIN ... COMMIT, or
			// the end of the explicit one.
			defer func() {
				if err == nil && s.tx == nil && endsTx(st.node) { // txchars.go
					s.nextTxReadOnly = nil
				}
			}()
		}
	}
	x := &execCtx{s: s, ctx: ctx, params: args, now: time.Now().UTC(), calcFound: -1, text: st.text}
	defer func() {
		if err == nil {
			s.noteCounts(st.node, &r, x.calcFound)
		}
	}()
	if commit, unlock := implicitCommit(st); commit || unlock { // implicitcommit.go
		if commit {
			if err := s.commitLocked(); err != nil {
				return Result{}, err
			}
		}
		if unlock {
			s.unlockTables()
		}
	}
	if st.routine != nil {
		return Result{}, st.routine.run(s)
	}
	if st.admin != nil {
		switch st.admin.op {
		case opShowEngine:
			return x.showEngine(st.admin)
		case opShowEmpty:
			return x.showEmpty(st.admin) // show_replication.go
		case opReplicaControl:
			return x.replicaControl(st.admin) // show_replication.go
		case opFlushNoop:
			return Result{}, nil // exec_flush.go
		}
		return s.autocommit(x, func() (Result, error) { return x.admin(st.admin) })
	}
	switch n := st.node.(type) {
	case *ast.PrepareStmt:
		return x.sqlPrepare(n)
	case *ast.ExecuteStmt:
		return x.sqlExecute(n)
	case *ast.DeallocateStmt:
		return x.sqlDeallocate(n)
	case *ast.LockTablesStmt:
		return Result{}, s.lockTables(ctx, n)
	case *ast.UnlockTablesStmt:
		if s.locks != nil {
			return Result{}, s.commitAndUnlock()
		}
		return Result{}, nil
	case *ast.BeginStmt:
		if err := s.commitAndUnlock(); err != nil { // BEGIN releases table locks, as in MySQL
			return Result{}, err
		}
		tx, err := s.begin(ctx)
		if err != nil {
			return Result{}, err
		}
		s.tx = tx
		if n.ReadOnly || st.readWrite { // START TRANSACTION READ ONLY | READ WRITE (txchars.go)
			ro := n.ReadOnly
			s.nextTxReadOnly = &ro
		}
		return Result{}, nil
	case *ast.CommitStmt:
		return Result{}, s.commitLocked()
	case *ast.RollbackStmt:
		if n.SavepointName != "" {
			return Result{}, s.rollbackTo(n.SavepointName)
		}
		if s.tx != nil {
			err := s.tx.Rollback()
			s.tx = nil
			if err != nil {
				return Result{}, sqlerr.As(err)
			}
		}
		return Result{}, nil
	case *ast.SavepointStmt:
		return Result{}, s.savepoint(ctx, n.Name)
	case *ast.ReleaseSavepointStmt:
		return Result{}, s.release(n.Name)
	case *ast.SetStmt:
		if onlyUserVars(n) {
			// SET @v = (SELECT ...) reads tables: in a transaction, as a
			// SELECT would.
			return s.autocommit(x, func() (Result, error) { return x.set(n) })
		}
		return x.set(n)
	case *ast.UseStmt:
		return Result{}, s.useDatabase(n.DBName) // nodb.go
	case *ast.CreateDatabaseStmt:
		return x.createDatabase(n) // show_catalog.go
	case *ast.DropDatabaseStmt:
		r, err := guard(func() (Result, error) { return x.dropDatabase(n) }) // show_catalog.go
		return r, mapErr(err)
	case *ast.CreateTableStmt, *ast.DropTableStmt, *ast.CreateIndexStmt, *ast.DropIndexStmt, *ast.AlterTableStmt, *ast.RenameTableStmt, *ast.TruncateTableStmt, *ast.CreateViewStmt:
		// DDL has committed the open transaction and given back LOCK
		// TABLES locks (implicitCommit; MySQL keeps them, here DDL takes
		// the table's lock itself).
		r, err := guard(func() (Result, error) { return x.ddl(st) })
		if err == nil {
			r.Warnings = s.warnings // notes and warnings of DDL reach the client's count too
		}
		return r, mapErr(err)
	case *ast.FlushStmt:
		r, err := x.flush(n) // exec_flush.go
		return r, mapErr(err)
	case *ast.BRIEStmt:
		// A backup waits for every table's write lock: implicitCommit
		// gave back LOCK TABLES locks, as for DDL.
		r, err := guard(func() (Result, error) { return x.backup(n) })
		return r, mapErr(err)
	}
	if st.intoVars != nil {
		return s.autocommit(x, func() (Result, error) { return x.selectInto(st) })
	}
	if st.intoFile != nil {
		return s.autocommit(x, func() (Result, error) { return x.selectIntoFile(st) }) // outfile.go
	}
	if st.returning != nil {
		return s.autocommit(x, func() (Result, error) { return x.returningDML(st) })
	}
	if st.point != nil && pointSelects {
		r, err := s.autocommit(x, func() (Result, error) {
			if r, ok, err := x.pointSelect(st.node.(*ast.SelectStmt), st.point); ok {
				return r, err
			}
			return x.dml(st.node)
		})
		return s.cutToSelectLimit(st.node, r, err) // selectlimit.go
	}
	r, err = s.autocommit(x, func() (Result, error) { return x.dml(st.node) })
	return s.cutToSelectLimit(st.node, r, err)
}

// selectInto runs SELECT ... INTO @a, @b: the one row the query returns
// goes into the variables (none: they keep their values, warning 1329;
// more: error 1172), and the client gets no result set.
func (x *execCtx) selectInto(st *statement) (Result, error) {
	if st.intoLate {
		x.s.addWarning(errDeprecated, "'<select expression> INTO <destination>;' is deprecated and will be removed in a future release. Please use 'SELECT <select list> INTO <destination> FROM...' instead")
	}
	r, err := x.dml(st.node)
	if err != nil {
		return Result{}, err
	}
	if len(r.Columns) != len(st.intoVars) {
		return Result{}, errf(errWrongColumnCount, "The used SELECT statements have a different number of columns")
	}
	if len(r.Rows) == 0 {
		x.s.addWarning(errNoData, "No data - zero rows fetched, selected, or processed")
		return Result{}, nil
	}
	// The first row is assigned even when a second follows: MariaDB
	// assigns each row as it comes and fails at the second.
	for i, name := range st.intoVars {
		if err := x.s.setUserVar(name, r.Rows[0][i], r.Columns[i].Collation); err != nil {
			return Result{}, err
		}
	}
	if len(r.Rows) > 1 {
		return Result{}, errf(errTooManyRows, "Result consisted of more than one row")
	}
	return Result{AffectedRows: 1}, nil
}

// noteCounts records what ROW_COUNT() and FOUND_ROWS() report after a
// statement that succeeded with r: the rows it changed, or -1 for a result
// set; a SELECT's rows for FOUND_ROWS() (calc, when not negative: those
// SQL_CALC_FOUND_ROWS counted without the LIMIT). Other statements leave
// FOUND_ROWS() as it was, as in MariaDB.
func (s *Session) noteCounts(node ast.StmtNode, r *Result, calc int64) {
	if !r.HasResultSet() {
		s.rowCount = int64(r.AffectedRows)
		return
	}
	s.rowCount = -1
	switch node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		s.foundRows = int64(len(r.Rows))
		if calc >= 0 {
			s.foundRows = calc
		}
	}
}

// autocommit runs fn in the open transaction under a savepoint (undone on
// error: a failed statement changes nothing), or in a transaction of its
// own that commits on success.
func (s *Session) autocommit(x *execCtx, fn func() (Result, error)) (Result, error) {
	if s.tx != nil {
		sp := s.tx.Savepoint()
		x.tx = s.tx
		r, err := guard(fn)
		if err != nil {
			if s.tx.Ended() {
				// The engine rolled the whole transaction back: a
				// deadlock victim (1213), as InnoDB does. The session is
				// left with no transaction, its savepoints gone.
				s.tx, s.savepoints, s.spTx = nil, nil, nil
				s.unlockVictim(err)
				return Result{}, mapErr(s.qualifyFK(err))
			}
			if rerr := s.tx.RollbackTo(sp); rerr != nil {
				return Result{}, sqlerr.As(rerr)
			}
			return Result{}, mapErr(s.qualifyFK(err))
		}
		r.Warnings = s.warnings
		return r, nil
	}
	if s.noAutocommit {
		// autocommit off: this statement opens the transaction, which
		// stays open after it.
		tx, err := s.begin(x.ctx)
		if err != nil {
			return Result{}, err
		}
		s.tx = tx
		return s.autocommit(x, fn)
	}
	tx, err := s.begin(x.ctx)
	if err != nil {
		return Result{}, err
	}
	return s.inOwnTx(x, tx, fn)
}

// inOwnTx runs fn in tx, a transaction of its own: committed if fn
// succeeds, rolled back if not.
func (s *Session) inOwnTx(x *execCtx, tx *engine.Tx, fn func() (Result, error)) (Result, error) {
	x.tx = tx
	r, err := guard(fn)
	if err != nil {
		_ = tx.Rollback()
		s.unlockVictim(err)
		return Result{}, mapErr(s.qualifyFK(err))
	}
	if err := tx.Commit(); err != nil {
		return Result{}, mapErr(err)
	}
	r.Warnings = s.warnings
	return r, nil
}

// guard runs fn, turning a panic (a bug in blitz) into error 1105, so that
// the statement is undone like any failed one and the session, and the
// server around it, go on; the stack goes to the log for the bug report.
func guard(fn func() (Result, error)) (r Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			slog.Error("blitz/sqlshim: internal error in a statement", "panic", v, "stack", string(debug.Stack()))
			r, err = Result{}, errf(sqlerr.ErrUnknown, "blitz internal error (the statement was undone; please report it): %v", v)
		}
	}()
	return fn()
}

// savepoint runs SAVEPOINT name: it marks the open transaction's present
// state (a savepoint of the same name moves). Without a transaction it
// does nothing, as in MySQL (autocommit off opens one first).
func (s *Session) savepoint(ctx context.Context, name string) error {
	if s.tx == nil && s.noAutocommit {
		tx, err := s.begin(ctx)
		if err != nil {
			return err
		}
		s.tx = tx
	}
	if s.tx == nil {
		return nil
	}
	s.pruneSavepoints()
	if i := s.findSavepoint(name); i >= 0 {
		s.savepoints = append(s.savepoints[:i], s.savepoints[i+1:]...)
	}
	s.savepoints = append(s.savepoints, savepoint{name: name, mark: s.tx.Savepoint()})
	s.spTx = s.tx
	return nil
}

// rollbackTo runs ROLLBACK TO [SAVEPOINT] name: the changes made since
// the savepoint are undone, later savepoints dropped, and the
// transaction stays open.
func (s *Session) rollbackTo(name string) error {
	i, err := s.existingSavepoint(name)
	if err != nil {
		return err
	}
	if err := s.tx.RollbackTo(s.savepoints[i].mark); err != nil {
		return mapErr(err)
	}
	s.savepoints = s.savepoints[:i+1]
	return nil
}

// release runs RELEASE SAVEPOINT name: the savepoint and later ones are
// dropped; the changes stay.
func (s *Session) release(name string) error {
	i, err := s.existingSavepoint(name)
	if err != nil {
		return err
	}
	s.savepoints = s.savepoints[:i]
	return nil
}

// pruneSavepoints forgets the savepoints of a transaction that has ended.
func (s *Session) pruneSavepoints() {
	if s.tx == nil || s.spTx != s.tx {
		s.savepoints, s.spTx = nil, nil
	}
}

// existingSavepoint returns the position of the open transaction's
// savepoint name, or error 1305.
func (s *Session) existingSavepoint(name string) (int, error) {
	s.pruneSavepoints()
	if i := s.findSavepoint(name); i >= 0 {
		return i, nil
	}
	return -1, errf(sqlerr.ErrSpDoesNotExist, "SAVEPOINT %s does not exist", name)
}

func (s *Session) findSavepoint(name string) int {
	for i, sp := range s.savepoints {
		if strings.EqualFold(sp.name, name) {
			return i
		}
	}
	return -1
}

// commitLocked commits the open transaction, if any.
func (s *Session) commitLocked() error {
	if s.tx == nil {
		return nil
	}
	tx := s.tx
	s.tx = nil
	return mapErr(tx.Commit())
}

// mapErr gives every error a MySQL number (1105 for the unknown).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if err == context.Canceled || err == context.DeadlineExceeded {
		return errf(sqlerr.ErrQueryInterrupted, "Query execution was interrupted")
	}
	e := sqlerr.As(err)
	// MariaDB, the corpus's reference, sends 22007 with 1366.
	if e.Code == sqlerr.ErrTruncatedWrong && e.State == "HY000" {
		c := *e
		c.State = "22007"
		return &c
	}
	return e
}

// addWarning records a warning of the running statement.
func (s *Session) addWarning(code int, format string, args ...any) {
	s.addCondition("Warning", code, format, args...)
}

// addNote records a Note-level condition of the running statement.
func (s *Session) addNote(code int, format string, args ...any) {
	s.addCondition("Note", code, format, args...)
}

func (s *Session) addCondition(level string, code int, format string, args ...any) {
	if s.noNotes && level == "Note" {
		return // SET sql_notes = 0: neither listed nor counted, as in MariaDB
	}
	if len(s.warnings) < 64 {
		s.warnings = append(s.warnings, Warning{Level: level, Code: code, Message: sprintf(format, args...)})
	}
}
