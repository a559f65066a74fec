package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/buildinfo"
	"github.com/blitzdb/blitz/sqlshim/server"
)

// serveOptions are the flags of blitz serve.
type serveOptions struct {
	dir, listen, socket, user, password string
	autoRecover                         bool
	maxConnections                      int
	maxPacket                           int64
	idleTimeout, shutdownTimeout        time.Duration
	ulogDir                             string
	ulogLimit                           int64
	memBudget                           string
	walSegment                          string
	secureFilePriv                      string
}

func init() {
	register(func(env *Env) *cobra.Command {
		var o serveOptions
		c := &cobra.Command{
			Use:   "serve -d DIR [--listen ADDR] [--socket PATH] [--auto-recover] [--user U --password P]",
			Short: "Serve a database over the MySQL protocol (mariadb/mysql clients, MySQL drivers)",
			Long: `serve opens the database in DIR and speaks the MySQL wire protocol on a TCP
address and/or a Unix socket, one SQL session per connection. DIR is the
database: SELECT DATABASE() reports its name. SIGTERM or SIGINT stop the
server in order, as does a logged-in client's 'mariadb-admin shutdown' or
SHUTDOWN statement: no new connections, running statements finish (bounded by
--shutdown-timeout), open transactions roll back, the database closes cleanly.

On start it prints "blitz serve: listening on ADDR" (and the socket) to stdout,
and writes them to DIR/SERVING (removed at shutdown), where 'blitz backup -d
DIR' finds the server to ask for a hot backup. With --ulog every commit is
appended to the update log in that directory (see 'blitz restore').`,
			Args: exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error { return runServe(env, &o) },
		}
		f := c.Flags()
		f.StringVarP(&o.dir, "dir", "d", "", "database directory (required)")
		f.StringVar(&o.listen, "listen", "127.0.0.1:3307", `TCP address to listen on ("" = no TCP; port 0 = any free port)`)
		f.StringVar(&o.socket, "socket", "", "Unix socket path to listen on")
		f.BoolVar(&o.autoRecover, "auto-recover", false, "recover tables left crashed by an unclean shutdown when opening")
		f.StringVar(&o.user, "user", "", "require clients to log in as this user (mysql_native_password)")
		f.StringVar(&o.password, "password", "", "the password of --user")
		f.IntVar(&o.maxConnections, "max-connections", 151, "most client connections at once; more get error 1040")
		f.Int64Var(&o.maxPacket, "max-allowed-packet", 64<<20, "largest packet a client may send, in bytes (error 1153 beyond)")
		f.DurationVar(&o.idleTimeout, "idle-timeout", 8*time.Hour, "close connections idle this long")
		f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for running statements")
		f.StringVar(&o.ulogDir, "ulog", "", "append every commit to the update log in this directory (for point-in-time restore)")
		f.Int64Var(&o.ulogLimit, "ulog-limit", 0, "update-log segment size in bytes (0 = 64 MiB)")
		f.StringVar(&o.memBudget, "memory-budget", "", memoryBudgetUsage+", for each session")
		f.StringVar(&o.secureFilePriv, "secure-file-priv", "", "the directory whose files LOAD DATA INFILE may read and SELECT ... INTO OUTFILE (mariadb-dump --tab) may write (\"\" = none)")
		addWALSegmentFlag(f, &o.walSegment)
		return c
	})
}

func runServe(env *Env, o *serveOptions) error {
	if o.dir == "" {
		return usagef("serve: -d DIR is required")
	}
	if o.password != "" && o.user == "" {
		return usagef("serve: --password needs --user")
	}
	if o.listen == "" && o.socket == "" {
		return usagef("serve: --listen and --socket are both empty")
	}
	if o.ulogLimit < 0 || (o.ulogLimit > 0 && o.ulogDir == "") {
		return usagef("serve: --ulog-limit needs --ulog and must not be negative")
	}
	if o.maxConnections < 1 || o.maxPacket < 1024 {
		return usagef("serve: --max-connections must be at least 1 and --max-allowed-packet at least 1024")
	}
	budget, err := memoryBudgetFlag("serve", o.memBudget)
	if err != nil {
		return err
	}
	segBytes, err := walSegmentFlag("serve", o.walSegment)
	if err != nil {
		return err
	}
	var filePriv string
	if o.secureFilePriv != "" {
		if filePriv, err = filepath.Abs(o.secureFilePriv); err != nil {
			return failf("serve: --secure-file-priv: %v", err)
		}
		if st, err := os.Stat(filePriv); err != nil || !st.IsDir() {
			return usagef("serve: --secure-file-priv %s is not a directory", o.secureFilePriv)
		}
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	abs, err := filepath.Abs(o.dir)
	if err != nil {
		abs = o.dir
	}
	sopts := server.Options{
		Listen:          o.listen,
		Socket:          o.socket,
		User:            o.user,
		Password:        o.password,
		Database:        filepath.Base(abs),
		MaxConnections:  o.maxConnections,
		MaxPacket:       o.maxPacket,
		IdleTimeout:     o.idleTimeout,
		ShutdownTimeout: o.shutdownTimeout,
		ServerVersion:   buildinfo.ServerVersion,
		SecureFilePriv:  filePriv,
		Logger:          log,
	}
	// An address in use fails now, before the database is opened (and
	// perhaps recovered, which can take long) only to be closed again.
	if err := server.CheckAddresses(sopts); err != nil {
		return failf("serve: %v", err)
	}
	created := noteNewDir(o.dir)
	// SIGTERM or Ctrl-C while the open recovers tables (which can take
	// long) stops the recovery soon after, with nothing lost.
	openCtx, stopOpen := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	db, err := engine.OpenContext(openCtx, o.dir, engine.Options{AutoRecover: o.autoRecover, Logger: log, ULogDir: o.ulogDir, ULogLimit: o.ulogLimit,
		Progress: recoveryProgress(env.Stderr), WALSegmentBytes: segBytes})
	stopOpen()
	if err != nil {
		created.undo()
		return openFailed("serve", o.dir, err)
	}
	backend := server.NewSQLShimBackend(db)
	backend.MemoryBudget = budget
	srv, err := server.New(backend, sopts)
	if err != nil {
		db.Close()
		created.undo() // a database made just now for this server
		return failf("serve: %v", err)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	if a := srv.Addr(); a != nil {
		fmt.Fprintf(env.Stdout, "blitz serve: listening on %s\n", a)
	}
	if o.socket != "" {
		fmt.Fprintf(env.Stdout, "blitz serve: listening on socket %s\n", o.socket)
	}
	// DIR/SERVING tells blitz backup where to send BACKUP DATABASE while
	// this server holds the database's lock.
	sv := servingInfo{PID: os.Getpid(), Socket: o.socket}
	if a := srv.Addr(); a != nil {
		sv.TCP = a.String()
	}
	if err := writeServing(o.dir, sv); err != nil {
		log.Warn("could not write the SERVING file: blitz backup will not find this server", "err", err)
	}
	defer os.Remove(filepath.Join(o.dir, servingFile))

	select {
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String())
	case err := <-served:
		// A client's COM_SHUTDOWN or SHUTDOWN statement: the server has
		// shut down as it does for a signal, and closed the database.
		if err != nil && !errors.Is(err, server.ErrServerClosed) {
			return failf("serve: %v", err)
		}
		log.Info("database closed cleanly")
		return nil
	}
	// A second signal while shutting down is left to the bounded wait: the
	// database must be closed cleanly, and SIGKILL is the way to skip that.
	ctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout+10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return failf("serve: closing the database: %v", err)
	}
	if err := <-served; err != nil && !errors.Is(err, server.ErrServerClosed) {
		return failf("serve: %v", err)
	}
	log.Info("database closed cleanly")
	return nil
}
