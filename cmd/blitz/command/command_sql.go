package command

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/sqlshim"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func init() {
	register(func(env *Env) *cobra.Command {
		var (
			dir         string
			autoRecover bool
			execs       []string
			force       bool
			batch       bool
			table       bool
			skipNames   bool
			syncMode    string
			ulogDir     string
			ulogLimit   int64
			memBudget   string
			walSegment  string
		)
		cmd := &cobra.Command{
			Use:   "sql -d DIR [--auto-recover] [-e SQL]... [--force] [FILE]",
			Short: "Run SQL statements on a database, like the mysql client",
			Long: `Run SQL statements on the database in DIR (created if missing): those given
with -e, else those in FILE, else those read from standard input. Each
statement read from standard input runs as soon as its terminating ';'
arrives, and its output is flushed before the next is read.

Output is that of the mysql client: boxed tables on a terminal, and
tab-separated rows exactly like 'mysql --batch' otherwise. Errors go to
standard error as "ERROR 1062 (23000) at line 3: ..." and stop the run
with exit code 1, unless --force is given (the exit code is still 1).`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if dir == "" {
					return usagef("sql: -d DIR is required")
				}
				if len(args) > 0 && len(execs) > 0 {
					return usagef("sql: give -e or FILE, not both")
				}
				if batch && table {
					return usagef("sql: --batch and --table exclude each other")
				}
				if ulogLimit < 0 || (ulogLimit > 0 && ulogDir == "") {
					return usagef("sql: --ulog-limit needs --ulog and must not be negative")
				}
				budget, err := memoryBudgetFlag("sql", memBudget)
				if err != nil {
					return err
				}
				segBytes, err := walSegmentFlag("sql", walSegment)
				if err != nil {
					return err
				}
				// Warnings (a table left crashed, a salvage that dropped
				// damaged records, a torn WAL tail cut) go to standard
				// error as blitz serve logs them; a clean open prints
				// nothing.
				log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
				opts := engine.Options{AutoRecover: autoRecover, ULogDir: ulogDir, ULogLimit: ulogLimit, Progress: recoveryProgress(env.Stderr), Logger: log, WALSegmentBytes: segBytes}
				switch syncMode {
				case "", "full":
				case "off":
					opts.Sync = engine.SyncOff
				default:
					return usagef("sql: --sync must be full or off")
				}
				var in io.Reader = env.Stdin
				if len(args) == 1 {
					f, err := os.Open(args[0])
					if err != nil {
						return failf("sql: %v", err)
					}
					defer f.Close()
					in = f
				} else if len(execs) > 0 {
					in = strings.NewReader(strings.Join(execs, ";\n") + ";")
				}
				created := noteNewDir(dir)
				// Ctrl-C while the open recovers tables stops the
				// recovery soon after, with nothing lost.
				openCtx, stopOpen := signal.NotifyContext(context.Background(), os.Interrupt)
				db, err := engine.OpenContext(openCtx, dir, opts)
				stopOpen()
				if err != nil {
					created.undo()
					return openFailed("sql", dir, err)
				}
				sess := sqlshim.NewSession(db)
				if budget > 0 {
					if err := sess.SetMemoryBudget(budget); err != nil {
						sess.Close()
						db.Close()
						return failf("sql: %v", err)
					}
				}
				sh := &sqlshim.Shell{
					Session: sess,
					Out:     env.Stdout,
					Err:     env.Stderr,
					Force:   force,
					Table:   table || (!batch && isTerminal(env.Stdout)),

					SkipColumnNames: skipNames,
				}
				// Ctrl-C interrupts the running statement (a CREATE INDEX
				// or ALTER TABLE stops within milliseconds, the table
				// unchanged), which fails with 1317, and ends the shell;
				// the database is then closed cleanly. A second Ctrl-C
				// kills the process, as if blitz caught none.
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
				context.AfterFunc(ctx, stop)
				failed, runErr := sh.Run(ctx, in)
				stop()
				closeErr := sess.Close()
				if err := db.Close(); err != nil && closeErr == nil {
					closeErr = err
				}
				switch {
				case errors.Is(runErr, context.Canceled):
					return failf("sql: interrupted")
				case runErr != nil:
					return failf("sql: %v", runErr)
				case closeErr != nil:
					return failf("sql: close: %v", closeErr)
				case failed > 0:
					return silentExit(ExitFailed)
				}
				return nil
			},
		}
		f := cmd.Flags()
		f.StringVarP(&dir, "dir", "d", "", "database directory")
		f.BoolVar(&autoRecover, "auto-recover", false, "recover crashed tables when opening the database")
		f.StringArrayVarP(&execs, "execute", "e", nil, "run these statements (repeatable) instead of reading FILE or standard input")
		f.BoolVarP(&force, "force", "f", false, "go on after an error")
		f.BoolVarP(&batch, "batch", "B", false, "tab-separated output even on a terminal")
		f.BoolVarP(&table, "table", "t", false, "boxed-table output even when not on a terminal")
		f.BoolVarP(&skipNames, "skip-column-names", "N", false, "leave the column names out of results")
		f.StringVar(&syncMode, "sync", "full", "commit durability of CRASH_SAFE tables: full or off")
		f.StringVar(&ulogDir, "ulog", "", "append every commit to the update log in this directory (for point-in-time restore)")
		f.Int64Var(&ulogLimit, "ulog-limit", 0, "update-log segment size in bytes (0 = 64 MiB)")
		f.StringVar(&memBudget, "memory-budget", "", memoryBudgetUsage)
		addWALSegmentFlag(f, &walSegment)
		return cmd
	})
}

const memoryBudgetUsage = "the session variable blitz_memory_budget: bytes a hash join or sort holds in memory before spilling to temporary files (K, M, G suffixes; default 256M, at least 64K)"

// memoryBudgetFlag reads --memory-budget: 0 when not given.
func memoryBudgetFlag(cmd, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := sqlshim.ParseSize(v)
	if err != nil || n == 0 {
		return 0, usagef("%s: --memory-budget %q: want a size in bytes with an optional K, M or G suffix (at least 64K)", cmd, v)
	}
	return n, nil
}
