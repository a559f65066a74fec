package server

import (
	"context"
	"io"
	"strconv"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/sqlshim"
)

// SQLShim is the production Backend: sqlshim sessions over one open
// engine database. It adapts sqlshim's results to the server's and holds
// no SQL logic of its own.
type SQLShim struct {
	db *engine.DB
	// MemoryBudget, if positive, is the blitz_memory_budget each new
	// session starts with (see sqlshim.Session.SetMemoryBudget).
	MemoryBudget int64
}

// NewSQLShimBackend returns a Backend over db; its Close closes db.
func NewSQLShimBackend(db *engine.DB) *SQLShim { return &SQLShim{db: db} }

// NewSession implements Backend.
func (b *SQLShim) NewSession(ctx context.Context) (Session, error) {
	s := sqlshim.NewSession(b.db)
	if b.MemoryBudget > 0 {
		if err := s.SetMemoryBudget(b.MemoryBudget); err != nil {
			return nil, err
		}
	}
	return &shimSession{s: s}, nil
}

// InstanceVar implements InstanceVarSource: @@datadir and the like of the
// database (sqlshim.InstanceVar).
func (b *SQLShim) InstanceVar(name string) (any, bool) { return sqlshim.InstanceVar(b.db, name) }

// Close implements Backend: it closes the database cleanly (checkpoint,
// clean-close flags), so the next open needs no recovery.
func (b *SQLShim) Close() error { return b.db.Close() }

// Status implements StatusReporter with what the engine can tell: its
// tables, how many are crash-safe, how many are marked as crashed
// (awaiting REPAIR TABLE), its WAL counters (commits, group writes,
// fsyncs: Blitz_wal_commits / Blitz_wal_syncs is the group-commit factor),
// checkpoints, lock waits refused as deadlocks (error 1213), and what
// recovery did at open.
func (b *SQLShim) Status() [][2]string {
	var tables, crashSafe, crashed int
	for _, name := range b.db.Tables() {
		st, err := b.db.Status(name)
		if err != nil {
			continue // dropped meanwhile
		}
		tables++
		if st.CrashSafe {
			crashSafe++
		}
		if st.Crashed {
			crashed++
		}
	}
	es := b.db.Stats()
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	out := [][2]string{
		{"Blitz_checkpoints", n(es.Checkpoints)},
		{"Blitz_deadlocks", n(es.Deadlocks)},
		{"Blitz_recovery_index_rebuilds", n(es.IndexRebuilds)},
		{"Blitz_recovery_tables_crashed", n(es.TablesCrashed)},
		{"Blitz_recovery_tables_recovered", n(es.TablesRecovered)},
		{"Blitz_recovery_tables_salvaged", n(es.TablesSalvaged)},
		{"Blitz_recovery_wal_replayed", n(es.WALReplayed)},
		{"Blitz_tables", strconv.Itoa(tables)},
		{"Blitz_tables_crash_safe", strconv.Itoa(crashSafe)},
		{"Blitz_tables_crashed", strconv.Itoa(crashed)},
		{"Blitz_wal_bytes", n(es.WALBytes)},
		{"Blitz_wal_commits", n(es.WALCommits)},
		{"Blitz_wal_groups", n(es.WALGroups)},
		{"Blitz_wal_rotations", n(es.WALRotations)},
		{"Blitz_wal_syncs", n(es.WALSyncs)},
	}
	return append(out, sqlshim.StatusCounters()...)
}

// shimSession adapts *sqlshim.Session to Session.
type shimSession struct {
	s *sqlshim.Session
}

// SetClient implements ClientAware. Every account is user@'%': the
// server has one user, whatever host it connects from.
func (s *shimSession) SetClient(id uint64, user, host string) {
	s.s.SetClient(sqlshim.Client{ID: id, User: user, Host: host, AccountHost: "%"})
}

// SetStatus implements StatusAware.
func (s *shimSession) SetStatus(status func() [][2]string) { s.s.SetStatusSource(status) }

// SetProcessList implements ProcessListAware.
func (s *shimSession) SetProcessList(list func() []ProcessRow) {
	s.s.SetProcessList(func() []sqlshim.Process {
		rows := list()
		out := make([]sqlshim.Process, len(rows))
		for i, p := range rows {
			out[i] = sqlshim.Process{ID: uint64(p.ID), User: p.User, Host: p.Host, DB: p.DB, Command: p.Command,
				Time: p.Time, State: p.State, Info: p.Info}
		}
		return out
	})
}

// SetSystemVars implements SystemVarsAware.
func (s *shimSession) SetSystemVars(v *ConnVars) { s.s.SetSystemVars(v) }

// SetConnectionCollation implements CollationAware.
func (s *shimSession) SetConnectionCollation(name string) { s.s.SetConnectionCollation(name) }

// SetInfile implements InfileAware: LOAD DATA LOCAL reads the client's
// file through open; LOAD DATA without LOCAL and SELECT ... INTO OUTFILE
// | DUMPFILE, which would read or write the server's files where the
// client names them, are refused (1290, as a MariaDB whose
// --secure-file-priv excludes the file; @@secure_file_priv is NULL).
func (s *shimSession) SetInfile(open func(name string) (io.ReadCloser, error)) {
	s.s.SetInfile(open, false)
}

// SetServerFileDir implements ServerFilesAware: LOAD DATA INFILE and
// SELECT ... INTO OUTFILE | DUMPFILE may use the files in dir.
func (s *shimSession) SetServerFileDir(dir string) { s.s.SetServerFileDir(dir) }

func (s *shimSession) Exec(ctx context.Context, query string, args []any) (*Result, error) {
	r, err := s.s.ExecOne(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return fromShim(&r, isUpdate(query)), nil
}

func (s *shimSession) Prepare(ctx context.Context, query string) (Stmt, error) {
	p, err := s.s.Prepare(query)
	if err != nil {
		return nil, err
	}
	return &shimStmt{s: s.s, p: p, update: isUpdate(query)}, nil
}

// InTransaction implements Session.
func (s *shimSession) InTransaction() bool { return s.s.InTransaction() }

// Autocommit implements Session.
func (s *shimSession) Autocommit() bool { return s.s.Autocommit() }

// Variables implements SessionVariables: blitz_memory_budget,
// max_recursive_iterations, sql_mode (the session decides engine
// substitution by it), time_zone (NOW() and TIMESTAMP columns follow it),
// the transaction characteristics (the session obeys READ ONLY) and
// foreign_key_checks (writes and CREATE TABLE obey it).
func (s *shimSession) Variables() [][2]string {
	return [][2]string{
		{"foreign_key_checks", boolText(s.s.ForeignKeyChecks())},
		{"sql_notes", boolText(s.s.SQLNotes())},
		{"sql_safe_updates", boolText(s.s.SafeUpdates())},
		{"sql_select_limit", strconv.FormatUint(s.s.SelectLimit(), 10)},
		{"blitz_memory_budget", strconv.FormatInt(s.s.MemoryBudget(), 10)},
		{"max_recursive_iterations", strconv.FormatUint(s.s.MaxRecursiveIterations(), 10)},
		{"sql_mode", s.s.SQLMode()},
		{"time_zone", s.s.TimeZone()},
		{"tx_isolation", s.s.TransactionIsolation()},
		{"transaction_isolation", s.s.TransactionIsolation()},
		{"tx_read_only", boolText(s.s.TransactionReadOnly())},
		{"transaction_read_only", boolText(s.s.TransactionReadOnly())},
	}
}

// boolText is a boolean variable's value as text (@@tx_read_only,
// @@foreign_key_checks).
func boolText(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// CurrentDatabase implements DatabaseAware.
func (s *shimSession) CurrentDatabase() (string, bool) { return s.s.CurrentDatabase() }

// UseDatabase implements DatabaseAware.
func (s *shimSession) UseDatabase(name string) error { return s.s.UseDatabase(name) }

// Close implements Session: rolls back the open transaction.
func (s *shimSession) Close() error { return s.s.Close() }

// shimStmt adapts *sqlshim.Prepared to Stmt.
type shimStmt struct {
	s      *sqlshim.Session
	p      *sqlshim.Prepared
	update bool
}

func (st *shimStmt) NumParams() int    { return st.p.NumParams() }
func (st *shimStmt) Columns() []Column { return nil } // known when it runs
func (st *shimStmt) Close() error      { return nil }

func (st *shimStmt) Exec(ctx context.Context, args []any) (*Result, error) {
	r, err := st.s.ExecPrepared(ctx, st.p, args)
	if err != nil {
		return nil, err
	}
	return fromShim(&r, st.update), nil
}

// fromShim converts a sqlshim result. Values go over as the text sqlshim
// prints for them (sqlshim.FormatValue), so the server sends exactly what
// `blitz sql` shows.
func fromShim(r *sqlshim.Result, update bool) *Result {
	out := &Result{
		AffectedRows:  r.AffectedRows,
		LastInsertID:  r.LastInsertID,
		Matched:       r.Matched,
		IsUpdate:      update,
		AffectedFound: r.AffectedFound,
		Warnings:      len(r.Warnings),
		Info:          r.Info,
		DBDropped:     r.DBDropped,
	}
	if !r.HasResultSet() {
		return out
	}
	out.Columns = make([]Column, len(r.Columns))
	for i, c := range r.Columns {
		out.Columns[i] = Column{Name: c.Name, Table: c.Table, Type: c.Type, Flags: uint16(c.Flags), Length: c.Length, Decimals: c.Decimals}
		if c.Collation != nil {
			out.Columns[i].Collation = c.Collation.ID
		}
	}
	out.Rows = make([][]any, len(r.Rows))
	for i, row := range r.Rows {
		vals := make([]any, len(row))
		for j, v := range row {
			if s, ok := sqlshim.FormatValue(r.Columns[j], v); ok {
				vals[j] = s
			}
		}
		out.Rows[i] = vals
	}
	return out
}

// isUpdate reports whether query is an UPDATE statement (for the OK
// packet's "Rows matched" and CLIENT_FOUND_ROWS).
func isUpdate(query string) bool { return firstWord(query) == "update" }
