package command

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/internal/ulog"
)

func init() {
	register(func(env *Env) *cobra.Command {
		c := &cobra.Command{
			Use:   "ulog",
			Short: "Inspect an update log (dump, verify)",
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
				_, err := ulog.Read(args[0], o, func(r *ulog.Record) error {
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
				rep, err := ulog.Verify(args[0], nil)
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
				fmt.Fprintln(env.Stdout, "ok")
				return nil
			},
		}
		c.AddCommand(dump, verify)
		return c
	})
}

// exactArgs is cobra.ExactArgs with our usage exit code.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
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
