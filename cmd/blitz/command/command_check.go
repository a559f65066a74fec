package command

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/engine"
)

// blitz check and blitz repair: engine.DB's Check and Repair from the
// command line.
func init() {
	register(func(env *Env) *cobra.Command {
		var autoRecover bool
		var walSegment string
		c := &cobra.Command{
			Use:   "check -d DIR [--auto-recover] [TABLE...]",
			Short: "Verify tables (data file checksums and structure, every index against the rows); exit 1 on any problem",
			Long: `check verifies the named tables of the database in DIR, or all of them:
every record checksum and the chain structure of the data file, and that
each index holds exactly the entries the rows imply. It prints "TABLE: OK"
or "TABLE: FAILED" followed by the problems, one per indented line, and
exits 1 if any table has a problem. Without TABLE arguments it also lists
the views ("VIEW: view OK"; a view definition file, V.view, that does not
decode is "VIEW: FAILED"). check does not run the views' queries: a view
whose base table was dropped fails only when used (error 1356).

Files in DIR that belong to no table are listed after the tables, each on
a line starting "warning:" that says what to do, and left as they are: a
data file (T.bdf) without its definition (T.def), which no command opens
(a DROP TABLE cut short leaves one; if T is a table you need, restore its
definition from a backup, else move the file away), an index file (.bix,
.bix.sum) of no table or index, and temporary files a crash left; a
damaged original a salvage kept is a "note:". They do not change the exit
status. A definition without its data file is a
problem of its table (the open creates an empty data file in its place).

Opening a database already fixes some damage (a missing or stale index file
is rebuilt; with --auto-recover, tables an unclean shutdown left behind are
recovered): check reports what the open did as problems of the table, so
damage present when check started is never reported as OK.`,
			RunE: func(cmd *cobra.Command, args []string) error {
				dir, _ := cmd.Flags().GetString("dir")
				ctx, stop := adminContext()
				defer stop()
				db, log, err := openForAdmin(ctx, "check", dir, autoRecover, walSegment)
				if err != nil {
					return err
				}
				bad := false
				tables := adminTables(db, dir, args)
				if len(tables) == 0 {
					fmt.Fprintf(env.Stdout, "no tables in %s\n", dir)
				}
				for _, name := range tables {
					if db.IsView(name) && len(args) > 0 {
						if _, err := db.View(name); err != nil {
							bad = true
							fmt.Fprintf(env.Stdout, "%s: FAILED\n  view definition: %v\n", name, err)
						} else {
							fmt.Fprintf(env.Stdout, "%s: view OK\n", name)
						}
						continue
					}
					if ctx.Err() != nil {
						bad = true
						fmt.Fprintf(env.Stdout, "%s: not checked (interrupted)\n", name)
						continue
					}
					rep, err := db.Check(ctx, name)
					problems := append(log.forTable(name), rep.Problems...)
					if err != nil && ctx.Err() != nil {
						bad = true
						fmt.Fprintf(env.Stdout, "%s: not checked (interrupted)\n", name)
						continue
					}
					if err != nil {
						problems = append(problems, err.Error())
					}
					if len(problems) == 0 {
						fmt.Fprintf(env.Stdout, "%s: OK\n", name)
						for _, n := range rep.Notes {
							fmt.Fprintf(env.Stdout, "  note: %s\n", n)
						}
						continue
					}
					bad = true
					fmt.Fprintf(env.Stdout, "%s: FAILED\n", name)
					for _, p := range problems {
						fmt.Fprintf(env.Stdout, "  %s\n", p)
					}
				}
				if len(args) == 0 {
					for _, name := range db.Views() {
						fmt.Fprintf(env.Stdout, "%s: view OK\n", name)
					}
					broken := db.BrokenViews()
					for _, name := range slices.Sorted(maps.Keys(broken)) {
						bad = true
						fmt.Fprintf(env.Stdout, "%s: FAILED\n  view definition: %v\n", name, broken[name])
					}
				}
				for _, p := range log.general() {
					fmt.Fprintf(env.Stdout, "database: %s\n", p)
				}
				strays, err := strayFiles(db, dir)
				if err != nil {
					fmt.Fprintf(env.Stdout, "database: cannot list %s for stray files: %v\n", dir, err)
				}
				for _, w := range strays {
					fmt.Fprintf(env.Stdout, "%s\n", w)
				}
				if err := db.Close(); err != nil {
					return failf("check: close %s: %v", dir, err)
				}
				if bad {
					return silentExit(ExitFailed)
				}
				return nil
			},
		}
		c.Flags().StringP("dir", "d", "", "database directory (required)")
		c.Flags().BoolVar(&autoRecover, "auto-recover", false, "recover tables left crashed by an unclean shutdown when opening")
		addWALSegmentFlag(c.Flags(), &walSegment)
		return c
	})
	register(func(env *Env) *cobra.Command {
		var autoRecover, quick bool
		var walSegment string
		c := &cobra.Command{
			Use:   "repair -d DIR [--quick] [--auto-recover] TABLE...",
			Short: "Repair tables: salvage a damaged data file (keeping the original), replay the WAL, rebuild the indexes",
			Long: `repair does for each named table what auto-recovery does when a database
opens: it verifies the data file and salvages it if damaged (the damaged
original is kept beside it), replays the WAL the table still needs, and
rebuilds every index. --quick rebuilds the indexes only. It prints what it
did, then checks the table as 'blitz check' does, and exits 1 if a repair
failed or the table still has problems.`,
			Args: func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return usagef("repair: name the tables to repair (usage: %s)", cmd.UseLine())
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				dir, _ := cmd.Flags().GetString("dir")
				ctx, stop := adminContext()
				defer stop()
				db, _, err := openForAdmin(ctx, "repair", dir, autoRecover, walSegment)
				if err != nil {
					return err
				}
				bad := false
				for _, name := range args {
					if ctx.Err() != nil {
						bad = true
						fmt.Fprintf(env.Stdout, "%s: not repaired (interrupted)\n", name)
						continue
					}
					rep, err := db.Repair(ctx, name, quick)
					for _, a := range rep.Actions {
						fmt.Fprintf(env.Stdout, "%s: %s\n", name, a)
					}
					if err != nil && ctx.Err() != nil {
						bad = true
						fmt.Fprintf(env.Stdout, "%s: repair interrupted: the table is left crashed, as it was or with its indexes to rebuild; run blitz repair again\n", name)
						continue
					}
					if err != nil {
						bad = true
						fmt.Fprintf(env.Stdout, "%s: repair failed: %v\n", name, err)
						continue
					}
					chk, err := db.Check(ctx, name)
					if err != nil {
						chk.Problems = append(chk.Problems, err.Error())
					}
					if len(chk.Problems) == 0 {
						fmt.Fprintf(env.Stdout, "%s: OK\n", name)
						continue
					}
					bad = true
					fmt.Fprintf(env.Stdout, "%s: FAILED\n", name)
					for _, p := range chk.Problems {
						fmt.Fprintf(env.Stdout, "  %s\n", p)
					}
				}
				if err := db.Close(); err != nil {
					return failf("repair: close %s: %v", dir, err)
				}
				if bad {
					return silentExit(ExitFailed)
				}
				return nil
			},
		}
		c.Flags().StringP("dir", "d", "", "database directory (required)")
		c.Flags().BoolVar(&quick, "quick", false, "rebuild the indexes only")
		c.Flags().BoolVar(&autoRecover, "auto-recover", false, "recover tables left crashed by an unclean shutdown when opening")
		addWALSegmentFlag(c.Flags(), &walSegment)
		return c
	})
}

// adminContext is the context of check and repair: Ctrl-C or SIGTERM
// stops the open's recovery, a verification, a salvage or an index
// rebuild soon after, leaving the files consistent, and the command then
// closes the database and exits 1. A second Ctrl-C kills the process.
func adminContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// openForAdmin opens an existing database for check or repair, recording
// what the engine logs while it opens (index rebuilds, recovery).
func openForAdmin(ctx context.Context, verb, dir string, autoRecover bool, walSegment string) (*engine.DB, *openLog, error) {
	if dir == "" {
		return nil, nil, usagef("%s: -d DIR is required", verb)
	}
	segBytes, err := walSegmentFlag(verb, walSegment)
	if err != nil {
		return nil, nil, err
	}
	if err := requireDatabase(dir); err != nil {
		return nil, nil, failf("%s: %v", verb, err)
	}
	log := &openLog{}
	db, err := engine.OpenContext(ctx, dir, engine.Options{AutoRecover: autoRecover, Logger: slog.New(log), Progress: recoveryProgress(os.Stderr), WALSegmentBytes: segBytes})
	if err != nil {
		return nil, nil, openFailed(verb, dir, err)
	}
	log.stop()
	return db, log, nil
}

// requireDatabase returns an error, naming dir, unless dir is an existing
// database directory: one holding a LOCK file, a wal/ directory or a table
// definition (a backup has only the last). Commands that work on an
// existing database call it so that a mistyped or wrong directory is
// reported instead of opened, which would make it a new, empty database
// (LOCK, wal/) and report nothing wrong.
func requireDatabase(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a database directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if n == "LOCK" || n == "wal" && e.IsDir() || strings.HasSuffix(n, ".def") || strings.HasSuffix(n, ".view") {
			return nil
		}
	}
	if len(ents) == 0 {
		return fmt.Errorf("%s is empty: not a blitz database", dir)
	}
	return fmt.Errorf("%s is not a blitz database (no LOCK, wal/ or table definition in it)", dir)
}

// adminTables returns the tables named in args, or every table of the
// database, including those whose definition file cannot be read (which
// db.Tables leaves out).
func adminTables(db *engine.DB, dir string, args []string) []string {
	if len(args) > 0 {
		return args
	}
	names := db.Tables()
	have := map[string]bool{}
	for _, n := range names {
		have[strings.ToLower(n)] = true
	}
	// Those whose definition cannot be read, and those whose definition
	// is missing while their data file holds rows (engine/orphan.go).
	defs, _ := filepath.Glob(filepath.Join(dir, "*.def"))
	for i, p := range defs {
		defs[i] = strings.TrimSuffix(filepath.Base(p), ".def")
	}
	for _, n := range append(defs, db.DamagedTables()...) {
		if !have[strings.ToLower(n)] {
			names = append(names, n)
			have[strings.ToLower(n)] = true
		}
	}
	sort.Strings(names)
	return names
}

// openLog is a slog.Handler that keeps the records the engine logs while
// a database opens: each is damage the open found (and usually fixed).
type openLog struct {
	mu      sync.Mutex
	stopped bool
	recs    []logRec
}

type logRec struct {
	table string
	text  string
}

func (l *openLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *openLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *openLog) WithGroup(string) slog.Handler            { return l }

func (l *openLog) Handle(_ context.Context, r slog.Record) error {
	// "table needs repair" is what Check reports as "marked as crashed",
	// "table data file cannot be used" what it reports as such.
	if r.Message == "table needs repair" || r.Message == "table data file cannot be used" || r.Message == "recovery finished" {
		return nil
	}
	var table string
	var parts []string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "table":
			table = a.Value.String()
		case "seconds": // timing, not damage
		default:
			parts = append(parts, a.Key+"="+a.Value.String())
		}
		return true
	})
	if table == "" && r.Level < slog.LevelError {
		// Routine, or the WAL's own crash recovery (a torn tail cut), which
		// says nothing about the tables.
		return nil
	}
	text := "when opened: " + r.Message
	if len(parts) > 0 {
		text += " (" + strings.Join(parts, ", ") + ")"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.recs = append(l.recs, logRec{table: table, text: text})
	}
	return nil
}

// stop ends the recording: later records (repairs the command asks for)
// are the command's own business.
func (l *openLog) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// forTable returns what the open logged about table.
func (l *openLog) forTable(table string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if strings.EqualFold(r.table, table) {
			out = append(out, r.text)
		}
	}
	return out
}

// general returns what the open logged about no table in particular.
func (l *openLog) general() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		if r.table == "" {
			out = append(out, r.text)
		}
	}
	return out
}

// strayFiles lists, as "warning: ..." lines, the files of the database
// directory dir that no table of db uses, saying for each what to do. It
// changes nothing. Files it does not know (not named like a blitz file)
// are none of its business and are not listed.
func strayFiles(db *engine.DB, dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, e := range ents {
		have[e.Name()] = true
	}
	// used: the files the tables own; defs: the tables whose definition
	// file is there, readable or not (a damaged one is its table's
	// problem, reported above).
	used := map[string]bool{}
	defs := map[string]bool{}
	for _, e := range ents {
		if t, ok := strings.CutSuffix(e.Name(), ".def"); ok {
			defs[t] = true
		}
	}
	for _, t := range db.DamagedTables() {
		defs[t] = true // a definition missing while the data file holds rows: reported above
	}
	for _, t := range db.Tables() {
		used[t+".bdf"], used[t+".def"] = true, true
		def, err := db.Table(t)
		if err != nil {
			continue
		}
		for _, ix := range def.Indexes {
			used[engine.IndexFileName(t, ix.Name)] = true
			used[engine.IndexFileName(t, ix.Name)+".sum"] = true
		}
	}
	for _, v := range db.Views() {
		used[v+".view"] = true
	}
	var out []string
	warn := func(format string, args ...any) { out = append(out, "warning: "+fmt.Sprintf(format, args...)) }
	for _, e := range ents {
		n := e.Name()
		if used[n] || e.IsDir() {
			continue
		}
		switch {
		case strings.HasSuffix(n, ".bdf"):
			t := strings.TrimSuffix(n, ".bdf")
			if defs[t] {
				continue // a table whose definition cannot be read: reported above
			}
			// The engine found it holds no rows (else t is among the
			// damaged tables): what a CREATE TABLE cut short leaves.
			warn("%s is a data file without a table definition (%s.def) that holds no rows: a CREATE TABLE a crash cut short leaves this; CREATE TABLE %s replaces it, or delete it", n, t, t)
		case strings.HasSuffix(n, ".bix") || strings.HasSuffix(n, ".bix.sum"):
			// TABLE.INDEX.bix, INDEX without '.' (engine.IndexFileName)
			t := strings.TrimSuffix(strings.TrimSuffix(n, ".sum"), ".bix")
			if i := strings.LastIndex(t, "."); i > 0 {
				t = t[:i]
			}
			why := "of no index of table " + t
			if !defs[t] {
				why = "of no table"
			} else if slices.Contains(db.DamagedTables(), t) {
				continue // the damaged table's, reported above (DROP TABLE removes it)
			}
			warn("%s is an index file %s: nothing reads it (index files are rebuilt from the data when needed): delete it", n, why)
		case strings.Contains(n, ".bdf.crashed-"):
			out = append(out, fmt.Sprintf("note: %s is the damaged original of %s that a salvage kept as evidence: delete it when you no longer need it",
				n, n[:strings.Index(n, ".bdf.crashed-")+len(".bdf")]))
		case strings.HasSuffix(n, ".bdf.salvage"):
			warn("%s is what a salvage cut short was writing: delete it", n)
		case strings.HasSuffix(n, ".tmp") && n != servingFile+".tmp":
			warn("%s is a temporary file a write cut short left: delete it", n)
		}
	}
	return out, nil
}
