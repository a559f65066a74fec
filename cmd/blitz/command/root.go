// Package command holds the blitz CLI: one file per subcommand
// (command_<verb>.go), each registering itself with the root in an init
// function, and each with its own test that runs it with arguments.
package command

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/txn"
)

// Exit codes shared by every subcommand.
const (
	ExitOK     = 0 // success
	ExitFailed = 1 // not found, damaged, or the operation failed
	ExitUsage  = 2 // bad arguments or flags
)

// exitError carries a specific exit code out of a command's RunE.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// failf returns an error that makes the command exit with ExitFailed.
func failf(format string, args ...any) error {
	return &exitError{code: ExitFailed, err: fmt.Errorf(format, args...)}
}

// usagef returns an error that makes the command exit with ExitUsage.
func usagef(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit makes the command exit with code without printing anything more
// (the command has already reported what went wrong).
func silentExit(code int) error { return &exitError{code: code} }

// builders are the subcommand constructors registered by init functions.
var builders []func(env *Env) *cobra.Command

// register adds a subcommand constructor; call it from an init function.
func register(b func(env *Env) *cobra.Command) { builders = append(builders, b) }

// Env is what a subcommand reads and writes instead of the process globals,
// so tests can run commands in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// NewRoot builds the root command with every registered subcommand.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "blitz",
		Short:         "blitz: an embeddable table storage engine with a crash-safe mode",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	// Bare "blitz" does nothing: the usage, on stderr, and exit 2 (cobra
	// would print the help and exit 0, as if something had been done).
	root.RunE = func(c *cobra.Command, args []string) error {
		fmt.Fprint(env.Stderr, c.UsageString())
		return silentExit(ExitUsage)
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	for _, b := range builders {
		root.AddCommand(b(env))
	}
	for _, c := range root.Commands() {
		if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
			c.RunE = groupRun
		}
	}
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return usagef("help: no command %q (see blitz help)", strings.Join(args, " "))
			}
			return cmd.Help()
		},
	})
	return root
}

// groupRun runs a command that only holds subcommands (blitz file, store,
// ulog, bench): without a subcommand, or with one it does not have, it is
// a usage error naming the subcommands (cobra would print the help and
// exit 0, as if something had been done).
func groupRun(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if len(args) == 0 {
		return usagef("%s: name a subcommand: %s (see %s --help)", cmd.Name(), strings.Join(names, ", "), cmd.CommandPath())
	}
	return usagef("%s: unknown subcommand %q: want one of %s (see %s --help)", cmd.Name(), args[0], strings.Join(names, ", "), cmd.CommandPath())
}

// Main runs the CLI with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	code := ExitUsage // cobra's own errors (unknown command, bad flag) are usage errors
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "blitz: %s\n", message(err))
	return code
}

// pkgPrefix matches the package prefixes of the library's messages
// ("blitz/engine: "), which tell a Go caller where an error comes from and
// only repeat "blitz" on the command line.
var pkgPrefix = regexp.MustCompile(`\b(blitz/[a-z]+|bstore): `)

// message is err's text as the CLI prints it after "blitz: ": without the
// library's package prefixes.
func message(err error) string {
	return pkgPrefix.ReplaceAllString(err.Error(), "")
}

// openFailed is the error of a command (verb) that could not open the
// database in dir: the engine's error, which names dir itself as a rule,
// or with "open DIR" before it when it does not.
func openFailed(verb, dir string, err error) error {
	if sqlerr.Code(err) == sqlerr.ErrCantLock {
		return failf("%s: %v: %s", verb, err, lockHolder(dir))
	}
	hint := ""
	var nospace *txn.NoSpaceError
	if errors.As(err, &nospace) {
		hint = " with --wal-segment-size SIZE (at least 64K)"
	}
	if txn.IsCorruption(err) {
		// Opening would drop the committed transactions from the damage
		// on, so nothing opens it (check and repair neither); the files
		// are left as they are.
		hint = "; the database was not opened and nothing in it was changed: its WAL is damaged before the end of what was committed, and cutting it there would lose committed transactions. If the error names a missing file, put it back; otherwise restore the database from a backup (blitz restore)"
	}
	if strings.Contains(err.Error(), dir) {
		return failf("%s: %v%s", verb, err, hint)
	}
	return failf("%s: open %s: %v%s", verb, dir, err, hint)
}

// lockHolder says who holds the database in dir, for the error of a
// command that found it locked: the blitz serve that announced itself in
// dir/SERVING, with where to connect, or another blitz process.
func lockHolder(dir string) string {
	sv, err := readServing(dir)
	if err != nil || (sv.TCP == "" && sv.Socket == "") {
		return "another blitz process (blitz serve, sql, check or repair) has it open; stop it first"
	}
	at := sv.TCP
	if at == "" {
		at = "socket " + sv.Socket
	} else if sv.Socket != "" {
		at += " and socket " + sv.Socket
	}
	return fmt.Sprintf("blitz serve (pid %d) serves it on %s: connect to that server (blitz backup goes through it by itself), or stop it first", sv.PID, at)
}
