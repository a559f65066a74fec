// Package server is `blitz serve`: a MySQL-protocol server over a blitz
// database, so that the mariadb/mysql clients and MySQL drivers work
// against it unchanged.
//
// The wire protocol is github.com/dolthub/vitess/go/mysql (handshake,
// mysql_native_password, COM_QUERY, COM_STMT_*, COM_PING, COM_INIT_DB,
// COM_QUIT); SQL is the Backend's (sqlshim in production, a fake in some
// tests). The server adds what is the server's business rather than the
// SQL layer's: the connect-time system variables clients ask for
// (@@version_comment, @@max_allowed_packet, ...), SET NAMES and friends,
// DATABASE(), SHOW STATUS, SHOW PROCESSLIST, SHOW VARIABLES; the limits
// (connections, packet size, idle time); and an orderly shutdown.
//
// Each connection has its own Session, run by that connection's goroutine
// only; sessions run in parallel as far as the engine lets them.
//
// Decisions worth knowing:
//
//   - Connections over MaxConnections are refused at once with 1040, as
//     mysqld does (vitess's own limit would queue them).
//   - max_allowed_packet is enforced on the frame headers as they arrive
//     (netconn.go), before the packet is buffered; the client gets 1153 and
//     the connection closes, as with mysqld.
//   - Session variables are kept per connection. Those a Session keeps
//     itself (SessionVariables: with sqlshim, sql_mode, time_zone,
//     autocommit, the transaction characteristics) change what it does;
//     the server stores the others (character_set_*, wait_timeout, ...)
//     and reads them back for clients' sake.
//   - COM_STMT_PREPARE reaches vitess as a stand-in statement (prepare.go):
//     vitess's own SQL parser, which it runs on every prepare, cannot read
//     all that sqlshim runs.
//   - Shutdown drains rather than cuts: reads end, writes still go out, so a
//     statement that is running delivers its result (commit included)
//     before its connection closes.
package server

import (
	"context"
	"fmt"
	"github.com/blitzdb/blitz/internal/buildinfo"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dolthub/vitess/go/mysql"
)

// Options configure a Server. The zero value of every field but Database is
// a sensible default; at least one of Listen and Socket is required.
type Options struct {
	// Listen is the TCP address to listen on, e.g. "127.0.0.1:3307"
	// (port 0 picks a free port; see Server.Addr). "" = no TCP.
	Listen string
	// Socket is the path of a Unix socket to listen on. "" = none. A stale
	// socket file left by a dead server is replaced; a live one is an error.
	Socket string
	// User and Password: when User is set, clients must log in as User with
	// Password (mysql_native_password) or get error 1045. When User is
	// empty, every login is accepted.
	User, Password string
	// Database is the name DATABASE() reports and COM_INIT_DB accepts: the
	// database directory's name.
	Database string
	// MaxConnections is the most client connections at once (0 = 151,
	// MySQL's default); more get error 1040.
	MaxConnections int
	// MaxPacket is max_allowed_packet in bytes (0 = 64 MiB); a client that
	// sends a larger packet gets error 1153 and is disconnected.
	MaxPacket int64
	// IdleTimeout closes a connection that sends nothing for this long
	// (0 = 8 hours, MySQL's wait_timeout).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Shutdown waits for running statements
	// before it cancels them (0 = 10 s).
	ShutdownTimeout time.Duration
	// SecureFilePriv, when set, is the absolute path of the one directory
	// whose files LOAD DATA INFILE (without LOCAL) may read and SELECT ...
	// INTO OUTFILE | DUMPFILE (mariadb-dump --tab) may write, as MariaDB's
	// --secure-file-priv; @@secure_file_priv shows it. "" = none: those
	// statements are 1290 and @@secure_file_priv is NULL.
	SecureFilePriv string
	// ServerVersion is the version in the handshake and @@version
	// ("" = buildinfo.ServerVersion).
	ServerVersion string
	// Logger receives connection-level events (nil = discard).
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.MaxConnections == 0 {
		o.MaxConnections = 151
	}
	if o.MaxPacket == 0 {
		o.MaxPacket = 64 << 20
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 8 * time.Hour
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.ServerVersion == "" {
		o.ServerVersion = buildinfo.ServerVersion
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server is a MySQL-protocol server over one Backend. Its methods are safe
// for concurrent use.
type Server struct {
	opts    Options // immutable after New
	backend Backend
	h       *handler
	started time.Time

	listeners []*mysql.Listener
	tcpAddr   net.Addr

	// baseCtx is the context of every statement; cancelled when Shutdown
	// gives up waiting for them.
	baseCtx context.Context
	cancel  context.CancelFunc

	draining atomic.Bool  // Shutdown has begun
	open     atomic.Int64 // accepted connections not yet closed
	sessions sync.WaitGroup
	stats    stats

	mu struct {
		sync.Mutex // protects following fields
		conns      map[uint32]*conn
		closed     bool
	}
	shutdownOnce sync.Once
	shutdownErr  error
	done         chan struct{} // closed when Shutdown has finished
}

// stats are the counters SHOW STATUS reports.
type stats struct {
	connections     atomic.Int64 // connection attempts (MySQL's Connections)
	abortedConnects atomic.Int64 // failed logins and refused connections
	abortedClients  atomic.Int64 // connections dropped without COM_QUIT
	maxUsed         atomic.Int64 // Max_used_connections
	queries         atomic.Int64 // statements received
	running         atomic.Int64 // statements running now (Threads_running)
	idleTimeouts    atomic.Int64
}

// New listens on the configured address and socket and returns a server
// ready to Serve. The backend is closed by Shutdown.
func New(backend Backend, opts Options) (*Server, error) {
	opts.setDefaults()
	if opts.Listen == "" && opts.Socket == "" {
		return nil, ErrNoListener
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{opts: opts, backend: backend, started: time.Now(), baseCtx: ctx, cancel: cancel, done: make(chan struct{})}
	s.mu.conns = make(map[uint32]*conn)
	s.h = &handler{s: s}
	protocolLog.Store(opts.Logger)
	auth := newAuthServer(opts.User, opts.Password)

	var nls []net.Listener
	fail := func(err error) (*Server, error) {
		for _, l := range nls {
			l.Close()
		}
		cancel()
		return nil, err
	}
	if opts.Listen != "" {
		l, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			return fail(fmt.Errorf("blitz/server: listen: %w", err))
		}
		s.tcpAddr = l.Addr()
		nls = append(nls, l)
	}
	if opts.Socket != "" {
		l, err := listenUnix(opts.Socket)
		if err != nil {
			return fail(err)
		}
		nls = append(nls, l)
	}
	for _, nl := range nls {
		ml, err := mysql.NewListenerWithConfig(mysql.ListenerConfig{
			Listener:           &limitListener{Listener: nl, s: s},
			AuthServer:         auth,
			Handler:            s.h,
			ConnReadBufferSize: mysql.DefaultConnBufferSize,
		})
		if err != nil {
			return fail(err)
		}
		ml.ServerVersion = opts.ServerVersion
		s.listeners = append(s.listeners, ml)
	}
	return s, nil
}

// CheckAddresses tells whether New could listen where opts says, without
// listening: the TCP address is free (bound and let go at once; port 0 is
// always free) and nothing but a stale socket is at the socket path. A
// command calls it before opening the database, so that an address in use
// fails at once instead of after opening (and perhaps recovering) the
// database. New still fails if the address is taken in between.
func CheckAddresses(opts Options) error {
	if opts.Listen != "" {
		l, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			return fmt.Errorf("blitz/server: listen: %w", err)
		}
		l.Close()
	}
	if opts.Socket != "" {
		if _, err := staleSocket(opts.Socket); err != nil {
			return err
		}
	}
	return nil
}

// staleSocket reports whether path holds a socket file nobody answers on
// (true: listenUnix may replace it), is free (false), or holds something
// that must not be touched (an error naming it).
func staleSocket(path string) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, nil
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return false, fmt.Errorf("blitz/server: socket %s: a %s is in the way (only a stale socket is replaced)", path, fileKind(fi))
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return false, fmt.Errorf("blitz/server: socket %s: another server is listening on it", path)
	}
	return true, nil
}

// listenUnix listens on a Unix socket at path, replacing a stale socket
// file that nobody answers on. Anything else at path (a file, a directory)
// is refused, never removed.
func listenUnix(path string) (net.Listener, error) {
	stale, err := staleSocket(path)
	if err != nil {
		return nil, err
	}
	if stale {
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("blitz/server: remove stale socket: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("blitz/server: socket directory: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("blitz/server: listen on socket: %w", err)
	}
	os.Chmod(path, 0o777) // as mysqld: access is by password, not by file mode
	return l, nil
}

// fileKind names what fi is, for an error message.
func fileKind(fi os.FileInfo) string {
	switch {
	case fi.IsDir():
		return "directory"
	case fi.Mode()&os.ModeSymlink != 0:
		return "symbolic link"
	case fi.Mode().IsRegular():
		return "regular file"
	}
	return "file that is not a socket"
}

// Addr returns the TCP address the server listens on (nil without
// Listen): with port 0, the port the system picked.
func (s *Server) Addr() net.Addr { return s.tcpAddr }

// Serve accepts connections until Shutdown, then waits for Shutdown to
// finish and returns ErrServerClosed (or what closing the backend
// returned).
func (s *Server) Serve() error {
	var wg sync.WaitGroup
	for _, l := range s.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Accept()
		}()
	}
	wg.Wait()
	<-s.done
	if s.shutdownErr != nil {
		return s.shutdownErr
	}
	return ErrServerClosed
}

// Shutdown stops the server in order: it stops accepting connections,
// lets every running statement finish and deliver its result (waiting at
// most ShutdownTimeout, or until ctx ends, then cancelling what still
// runs), closes every connection — which rolls back its open transaction
// — and finally closes the backend, so the database needs no recovery at
// the next start. It returns the backend's Close error. Calling it again
// waits for the first call and returns the same.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		defer close(s.done)
		s.draining.Store(true)
		for _, l := range s.listeners {
			l.Shutdown()
		}
		s.mu.Lock()
		s.mu.closed = true
		for _, c := range s.mu.conns {
			c.drain()
		}
		s.mu.Unlock()

		// Connections that were accepted but not yet registered when we
		// drained see draining in NewConnection and end themselves.
		wait := func(d time.Duration) bool {
			ch := make(chan struct{})
			go func() { s.sessions.Wait(); close(ch) }()
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ch:
				return true
			case <-t.C:
			case <-ctx.Done():
			}
			return false
		}
		if !wait(s.opts.ShutdownTimeout) {
			s.opts.Logger.Warn("shutdown: statements still running, cancelling them")
			s.cancel()
			s.mu.Lock()
			for _, c := range s.mu.conns {
				c.vc.Close()
			}
			s.mu.Unlock()
			if !wait(5 * time.Second) {
				s.opts.Logger.Error("shutdown: sessions did not end; closing the database under them")
			}
		}
		s.cancel()
		s.shutdownErr = s.backend.Close()
	})
	<-s.done
	return s.shutdownErr
}

// maxPacket returns max_allowed_packet.
func (s *Server) maxPacket() int64 { return s.opts.MaxPacket }

// osHostname is os.Hostname, a variable for tests.
var osHostname = os.Hostname
