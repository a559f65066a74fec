package sqlshim

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/shopspring/decimal"
)

// The database/sql driver "blitz". The DSN is the database directory,
// with options as a query string:
//
//	/path/to/db?auto_recover=true&sync=full
//
//	auto_recover  true|false  recover crashed tables when opening (default false)
//	sync          full|off    commit durability of CRASH_SAFE tables (default full)
//	ulog          DIR         append every commit to the update log in DIR
//	ulog_limit    BYTES       update-log segment size (default 64 MiB)
//	memory_budget SIZE        each connection's blitz_memory_budget: bytes, or
//	                          with a K, M or G suffix (default 256M, at least 64K)
//	wal_segment_size SIZE     size of each WAL segment file, preallocated (K, M, G
//	                          suffixes; at least 64K; default 64M, less on a disk
//	                          with under 256M free)
//
// Every connection of a process to the same directory shares one
// engine.DB (the directory is locked by one process at a time); it is
// closed when the last connection closes. Each connection is one Session.
//
// Scanned values: integers int64 (BIGINT UNSIGNED above MaxInt64 as its
// decimal text), FLOAT/DOUBLE float64, DECIMAL its text (scan it into a
// string, a float64 or a decimal.Decimal), strings string, binary []byte,
// DATE/DATETIME/TIMESTAMP time.Time in UTC, NULL nil.

func init() { sql.Register("blitz", &Driver{}) }

// Driver is the database/sql driver. Use it through sql.Open("blitz", dsn)
// or sql.OpenDB(connector).
type Driver struct{}

// Open opens a connection with a DSN (see the package documentation).
func (d *Driver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector parses dsn; the database is opened by the first Connect.
func (d *Driver) OpenConnector(dsn string) (driver.Connector, error) {
	dir, query, _ := strings.Cut(dsn, "?")
	if dir == "" {
		return nil, errors.New("blitz/sqlshim: empty DSN: want a database directory")
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("blitz/sqlshim: DSN options: %w", err)
	}
	var opts engine.Options
	budget := int64(-1)
	for k, v := range vals {
		switch k {
		case "auto_recover":
			switch v[0] {
			case "true", "1":
				opts.AutoRecover = true
			case "false", "0":
			default:
				return nil, fmt.Errorf("blitz/sqlshim: DSN option auto_recover=%q: want true or false", v[0])
			}
		case "sync":
			switch v[0] {
			case "full":
				opts.Sync = engine.SyncFull
			case "off":
				opts.Sync = engine.SyncOff
			default:
				return nil, fmt.Errorf("blitz/sqlshim: DSN option sync=%q: want full or off", v[0])
			}
		case "ulog":
			opts.ULogDir = v[0]
		case "ulog_limit":
			n, err := strconv.ParseInt(v[0], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("blitz/sqlshim: DSN option ulog_limit=%q: want a size in bytes", v[0])
			}
			opts.ULogLimit = n
		case "wal_segment_size":
			n, err := ParseSize(v[0])
			if err != nil || n < 64<<10 {
				return nil, fmt.Errorf("blitz/sqlshim: DSN option wal_segment_size=%q: want a size in bytes with an optional K, M or G suffix, at least 64K", v[0])
			}
			opts.WALSegmentBytes = n
		case "memory_budget":
			n, err := ParseSize(v[0])
			if err != nil {
				return nil, fmt.Errorf("blitz/sqlshim: DSN option memory_budget=%q: %v", v[0], err)
			}
			budget = n
		default:
			return nil, fmt.Errorf("blitz/sqlshim: unknown DSN option %q", k)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Connector{dir: abs, opts: opts, drv: d, budget: budget}, nil
}

// shared is the process-wide table of open databases, so that every
// connection to a directory shares one engine.DB.
var shared struct {
	mu  sync.Mutex // protects dbs
	dbs map[string]*sharedDB
}

type sharedDB struct {
	db   *engine.DB
	refs int
}

func acquireDB(dir string, opts engine.Options) (*engine.DB, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if s, ok := shared.dbs[dir]; ok {
		s.refs++
		return s.db, nil
	}
	db, err := engine.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	if shared.dbs == nil {
		shared.dbs = map[string]*sharedDB{}
	}
	shared.dbs[dir] = &sharedDB{db: db, refs: 1}
	return db, nil
}

func releaseDB(dir string) error {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	s, ok := shared.dbs[dir]
	if !ok {
		return nil
	}
	s.refs--
	if s.refs > 0 {
		return nil
	}
	delete(shared.dbs, dir)
	return s.db.Close()
}

// Connector opens connections to one database. It is safe for concurrent
// use.
type Connector struct {
	dir    string
	opts   engine.Options
	drv    *Driver
	budget int64 // memory_budget, -1 if not given
}

// Connect returns a new connection (a new Session).
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	db, err := acquireDB(c.dir, c.opts)
	if err != nil {
		return nil, err
	}
	s := NewSession(db)
	if c.budget >= 0 {
		if err := s.SetMemoryBudget(c.budget); err != nil {
			releaseDB(c.dir)
			return nil, err
		}
	}
	return &conn{s: s, dir: c.dir}, nil
}

// Driver returns the driver.
func (c *Connector) Driver() driver.Driver { return c.drv }

// conn is one connection: a Session. database/sql uses a conn from one
// goroutine at a time.
type conn struct {
	s      *Session
	dir    string
	closed bool
}

var (
	_ driver.ConnBeginTx                    = (*conn)(nil)
	_ driver.ConnPrepareContext             = (*conn)(nil)
	_ driver.ExecerContext                  = (*conn)(nil)
	_ driver.QueryerContext                 = (*conn)(nil)
	_ driver.Pinger                         = (*conn)(nil)
	_ driver.NamedValueChecker              = (*conn)(nil)
	_ driver.SessionResetter                = (*conn)(nil)
	_ driver.Validator                      = (*conn)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)
)

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, err := c.s.Prepare(query)
	if err != nil {
		return nil, err
	}
	return &stmt{c: c, p: p}, nil
}

func (c *conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.s.Close()
	if rerr := releaseDB(c.dir); err == nil {
		err = rerr
	}
	return err
}

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault, sql.LevelReadCommitted, sql.LevelReadUncommitted:
	default:
		return nil, fmt.Errorf("blitz/sqlshim: isolation level %v not supported (transactions are read-committed)", sql.IsolationLevel(opts.Isolation))
	}
	begin := "BEGIN"
	if opts.ReadOnly {
		begin = "START TRANSACTION READ ONLY" // writes in it fail with 1792
	}
	if _, err := c.s.ExecOne(ctx, begin, nil); err != nil {
		return nil, err
	}
	return &tx{c: c}, nil
}

func (c *conn) Ping(ctx context.Context) error {
	if c.closed {
		return driver.ErrBadConn
	}
	return ctx.Err()
}

// ResetSession rolls back a transaction left open.
func (c *conn) ResetSession(ctx context.Context) error {
	if c.closed {
		return driver.ErrBadConn
	}
	if c.s.InTransaction() {
		_, err := c.s.ExecOne(ctx, "ROLLBACK", nil)
		return err
	}
	return nil
}

func (c *conn) IsValid() bool { return !c.closed }

// CheckNamedValue accepts the value types of the SQL layer that
// database/sql would otherwise refuse (uint64, decimal.Decimal).
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case uint64, decimal.Decimal:
		return nil
	case uint:
		nv.Value = uint64(v)
		return nil
	}
	return driver.ErrSkip
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.run(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return result{r}, nil
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.run(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return newRows(r), nil
}

func (c *conn) run(ctx context.Context, query string, args []driver.NamedValue) (Result, error) {
	if len(args) == 0 {
		return c.s.ExecOne(ctx, query, nil)
	}
	p, err := c.s.Prepare(query)
	if err != nil {
		return Result{}, err
	}
	return c.s.ExecPrepared(ctx, p, namedArgs(args))
}

func namedArgs(args []driver.NamedValue) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

// stmt is a prepared statement of one connection.
type stmt struct {
	c *conn
	p *Prepared
}

func (s *stmt) Close() error  { return nil }
func (s *stmt) NumInput() int { return s.p.NumParams() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), valuesToNamed(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), valuesToNamed(args))
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	r, err := s.c.s.ExecPrepared(ctx, s.p, namedArgs(args))
	if err != nil {
		return nil, err
	}
	return result{r}, nil
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	r, err := s.c.s.ExecPrepared(ctx, s.p, namedArgs(args))
	if err != nil {
		return nil, err
	}
	return newRows(r), nil
}

func valuesToNamed(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

type tx struct{ c *conn }

func (t *tx) Commit() error {
	_, err := t.c.s.ExecOne(context.Background(), "COMMIT", nil)
	return err
}

func (t *tx) Rollback() error {
	_, err := t.c.s.ExecOne(context.Background(), "ROLLBACK", nil)
	return err
}

type result struct{ r Result }

func (r result) LastInsertId() (int64, error) { return int64(r.r.LastInsertID), nil }
func (r result) RowsAffected() (int64, error) { return int64(r.r.AffectedRows), nil }

// rows iterates a materialised result set.
type rows struct {
	r Result
	i int
}

func newRows(r Result) *rows { return &rows{r: r} }

func (r *rows) Columns() []string {
	names := make([]string, len(r.r.Columns))
	for i, c := range r.r.Columns {
		names[i] = c.Name
	}
	return names
}

func (r *rows) Close() error { r.i = len(r.r.Rows); return nil }

func (r *rows) Next(dest []driver.Value) error {
	if r.i >= len(r.r.Rows) {
		return io.EOF
	}
	row := r.r.Rows[r.i]
	r.i++
	for i, v := range row {
		dest[i] = driverValue(r.r.Columns[i], v)
	}
	return nil
}

// driverValue converts a value to one database/sql scans.
func driverValue(c Column, v any) driver.Value {
	switch x := v.(type) {
	case uint64:
		if c.Type == mysql.TypeBit {
			// BIT(M): its (M+7)/8 big-endian bytes, as MySQL drivers
			// receive them.
			return engine.BitBytes(nil, x, int(c.Length))
		}
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return toString(x)
	case decimal.Decimal:
		return formatDecimal(x)
	case float64:
		if c.Type == mysql.TypeFloat {
			return float64(float32(x))
		}
		return x
	case time.Time:
		return x
	case time.Duration, engine.Enum, engine.Set, engine.ZeroDate:
		// TIME as [-]HH:MM:SS, ENUM and SET as text, a zero date as
		// MariaDB prints it ('0000-00-00'): time.Time cannot hold it.
		s, _ := FormatValue(c, v)
		return s
	}
	return v
}

// ColumnTypeDatabaseTypeName returns the MySQL type name of a column.
func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	c := r.r.Columns[i]
	name := strings.ToUpper(typeName(c.Type))
	if c.Flags&mysql.UnsignedFlag != 0 && c.Type != mysql.TypeBit { // BIT, as go-sql-driver names it
		name = "UNSIGNED " + name
	}
	return name
}

func typeName(t byte) string {
	switch t {
	case mysql.TypeTiny:
		return "tinyint"
	case mysql.TypeShort:
		return "smallint"
	case mysql.TypeInt24:
		return "mediumint"
	case mysql.TypeLong:
		return "int"
	case mysql.TypeLonglong:
		return "bigint"
	case mysql.TypeFloat:
		return "float"
	case mysql.TypeDouble:
		return "double"
	case mysql.TypeNewDecimal:
		return "decimal"
	case mysql.TypeString:
		return "char"
	case mysql.TypeVarString, mysql.TypeVarchar:
		return "varchar"
	case mysql.TypeBlob:
		return "blob"
	case mysql.TypeDate:
		return "date"
	case mysql.TypeDatetime:
		return "datetime"
	case mysql.TypeTimestamp:
		return "timestamp"
	case mysql.TypeJSON:
		return "json"
	case mysql.TypeDuration:
		return "time"
	case mysql.TypeYear:
		return "year"
	case mysql.TypeBit:
		return "bit"
	case mysql.TypeNull:
		return "null"
	}
	return "unknown"
}
