package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/internal/ulog"
)

func init() {
	register(func(env *Env) *cobra.Command {
		c := &cobra.Command{
			Use:   "ulog",
			Short: "Inspect an update log (dump, verify)",
			Long: `ulog reads the update log a database is written with (blitz sql or blitz
serve --ulog ULOGDIR): the directory of its segments (NNN.ulog). Given a
database directory that holds its log in DIR/ulog, it reads that log; given
any other directory without segments (another database, a backup), it
says so and exits 1.`,
		}
		var since string
		dump := &cobra.Command{
			Use:   "dump DIR",
			Short: "Print every record of the update log in DIR",
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				o := ulog.ReadOptions{}
				if since != "" {
					t, err := parseTime(since)
					if err != nil {
						return usagef("--since: %v", err)
					}
					o.Since = t
				}
				dir, inDB, err := ulogDirArg(args[0])
				if err != nil {
					return failf("ulog dump: %v", err)
				}
				if inDB {
					fmt.Fprintf(env.Stderr, "blitz: %s is a database directory: dumping its update log %s\n", args[0], dir)
				}
				_, err = ulog.Read(dir, o, func(r *ulog.Record) error {
					ts := time.Unix(0, r.Time).UTC().Format(time.RFC3339Nano)
					for _, op := range r.Ops {
						if _, err := fmt.Fprintf(env.Stdout, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Seq, ts, op.Kind,
							op.Table, showKey(op.Key), showBytes(op.Value)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return failf("%v", err)
				}
				return nil
			},
		}
		dump.Flags().StringVar(&since, "since", "", "only records committed at or after this time (RFC 3339, or Unix seconds)")
		verify := &cobra.Command{
			Use:   "verify DIR",
			Short: "Check every frame of the update log in DIR; exit 1 if any is damaged",
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				dir, inDB, err := ulogDirArg(args[0])
				if err != nil {
					return failf("ulog verify: %v", err)
				}
				if inDB {
					fmt.Fprintf(env.Stdout, "update log: %s (in the database directory %s)\n", dir, args[0])
				}
				rep, err := ulog.Verify(dir, nil)
				if err != nil {
					return failf("%v", err)
				}
				fmt.Fprintf(env.Stdout, "segments: %d\nrecords: %d\nfirst: %d\nlast: %d\n", rep.Segments, rep.Frames, rep.FirstSeq, rep.LastSeq)
				if rep.TornTail {
					fmt.Fprintln(env.Stdout, "torn tail: yes (a crash while appending; the partial record is not part of the log)")
				}
				for _, d := range rep.Damage {
					fmt.Fprintf(env.Stdout, "damaged: %s at offset %d: %s\n", d.File, d.Offset, d.Reason)
				}
				if len(rep.Damage) > 0 {
					return silentExit(ExitFailed)
				}
				if rep.Segments == 0 {
					fmt.Fprintln(env.Stdout, "ok (empty: nothing has been logged yet)")
					return nil
				}
				fmt.Fprintln(env.Stdout, "ok")
				return nil
			},
		}
		c.AddCommand(dump, verify)
		return c
	})
}

// dbULogSubdir is where a database directory keeps its update log when it
// keeps it inside (ARCHITECTURE.md: DIR/ulog).
const dbULogSubdir = "ulog"

// ulogDirArg resolves the DIR argument of blitz ulog to the directory of an
// update log: DIR itself if it holds segments or is empty (a log nothing
// has been written to yet), or DIR/ulog if DIR is a database directory
// with its log inside (inDB). Anything else is an error that says what
// path is instead: missing, a file (a segment names its directory), a
// database directory without a log, or a directory of something else.
func ulogDirArg(path string) (dir string, inDB bool, err error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("%s does not exist", path)
	case err != nil:
		return "", false, err
	case !fi.IsDir() && strings.HasSuffix(path, ulog.SegmentSuffix):
		return "", false, fmt.Errorf("%s is one segment of an update log: give its directory, %s", path, filepath.Dir(path))
	case !fi.IsDir():
		return "", false, fmt.Errorf("%s is a file, not an update-log directory", path)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return "", false, err
	}
	if len(ents) == 0 {
		return path, false, nil
	}
	isDB := false
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, ulog.SegmentSuffix) && !e.IsDir():
			return path, false, nil
		case n == "LOCK" || n == "wal" || strings.HasSuffix(n, ".def") || strings.HasSuffix(n, ".bdf"):
			isDB = true
		}
	}
	if !isDB {
		return "", false, fmt.Errorf("%s holds no update-log segments (*%s): it is not an update log", path, ulog.SegmentSuffix)
	}
	sub := filepath.Join(path, dbULogSubdir)
	if fi, err := os.Stat(sub); err == nil && fi.IsDir() {
		return sub, true, nil
	}
	return "", false, fmt.Errorf("%s is a database directory, not an update log, and keeps none inside (no %s/): give the directory the database is written with (--ulog ULOGDIR)", path, dbULogSubdir)
}

// exactArgs is cobra.ExactArgs with our usage exit code.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if n == 0 && len(args) > 0 {
			return usagef("%s: unexpected argument %q: it takes flags only (usage: %s)", cmd.Name(), args[0], cmd.UseLine())
		}
		if len(args) != n {
			return usagef("%s: want %d argument(s), got %d (usage: %s)", cmd.Name(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

// parseTime reads RFC 3339 (with or without fractional seconds), a plain
// "2006-01-02 15:04:05" (UTC), or Unix seconds.
func parseTime(s string) (time.Time, error) {
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q (want RFC 3339, \"YYYY-MM-DD hh:mm:ss\" or Unix seconds)", s)
}

// showKey renders an encoded primary key.
func showKey(k []byte) string { return showBytes(k) }

// showBytes renders bytes as a quoted string, shortened past 200 bytes.
func showBytes(b []byte) string {
	const max = 200
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + fmt.Sprintf("...(%d bytes)", len(b))
	}
	return strconv.Quote(string(b))
}
