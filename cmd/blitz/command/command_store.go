package command

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/internal/bstore"
)

// blitz store push|fetch|list: backups kept incrementally in a blob store
// (package bstore). To be wired into blitz backup --incremental and blitz
// recover.
func init() {
	register(func(env *Env) *cobra.Command {
		c := &cobra.Command{
			Use:   "store",
			Short: "Keep backups in a blob store, incrementally (push, fetch, list)",
			Long: `store keeps backups made by blitz backup in a blob store named by a URL:
file:///absolute/dir` + cloudSchemesHelp + `. A push sends only the files the store
does not hold yet and the part of the update log it grew since the last
push; fetch brings back a backup and the update log (up to the newest push)
for blitz restore.`,
		}
		var to, backupDir, ulogDir string
		push := &cobra.Command{
			Use:   "push --to URL --backup BACKUPDIR [--ulog ULOGDIR]",
			Short: "Send a backup directory (and the update log) to a store",
			Args:  exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				if to == "" || backupDir == "" {
					return usagef("store push: --to URL and --backup BACKUPDIR are required")
				}
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
				defer stop()
				m, rep, err := bstore.Push(ctx, to, backupDir, ulogDir, bstore.PushOptions{})
				if err != nil {
					return failf("%v", err)
				}
				fmt.Fprintf(env.Stdout, "backup %s pushed to %s\n", m.ID, to)
				fmt.Fprintf(env.Stdout, "files: %d sent (%d bytes), %d already in the store\n", rep.FilesSent, rep.FileBytesSent, rep.FilesSkipped)
				if ulogDir != "" {
					fmt.Fprintf(env.Stdout, "update log: %d bytes sent in %d pieces; the store holds records %d..%d\n",
						rep.ULogBytesSent, rep.ULogPiecesSent, m.ULogFirstSeq, m.ULogLastSeq)
				}
				fmt.Fprintf(env.Stdout, "sent: %d bytes\n", rep.BytesSent)
				if m.ULogGap() {
					fmt.Fprintf(env.Stderr, "blitz: warning: the update log in the store starts at record %d, but the backup ends at record %d: it cannot bring a restore of this backup forward\n", m.ULogFirstSeq, m.BackupULogSeq)
				}
				return nil
			},
		}
		push.Flags().StringVar(&to, "to", "", "store URL (file:///dir, s3://bucket, ...)")
		push.Flags().StringVar(&backupDir, "backup", "", "backup directory, as blitz backup wrote it")
		push.Flags().StringVar(&ulogDir, "ulog", "", "update-log directory to send along")

		var from, id, dest, ulogTo string
		fetch := &cobra.Command{
			Use:   "fetch --from URL [--backup ID] --to DIR [--ulog-to DIR]",
			Short: "Download a backup (default: the most recent) and the update log, checking every file",
			Args:  exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				if from == "" || dest == "" {
					return usagef("store fetch: --from URL and --to DIR are required")
				}
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
				defer stop()
				m, err := bstore.Fetch(ctx, from, id, dest, ulogTo)
				if err != nil {
					return failf("%v", err)
				}
				fmt.Fprintf(env.Stdout, "backup %s fetched to %s: %d files, %d bytes\n", m.ID, dest, len(m.Files), m.Bytes())
				if ulogTo != "" {
					fmt.Fprintf(env.Stdout, "update log fetched to %s: %d segments, records %d..%d\n", ulogTo, len(m.ULog), m.ULogFirstSeq, m.ULogLastSeq)
					if m.ULogGap() {
						fmt.Fprintf(env.Stderr, "blitz: warning: the update log starts at record %d, but the backup ends at record %d: a restore cannot replay it\n", m.ULogFirstSeq, m.BackupULogSeq)
					}
				}
				return nil
			},
		}
		fetch.Flags().StringVar(&from, "from", "", "store URL")
		fetch.Flags().StringVar(&id, "backup", "", "backup ID (default: the most recent complete backup)")
		fetch.Flags().StringVar(&dest, "to", "", "directory to fetch the backup into (missing or empty)")
		fetch.Flags().StringVar(&ulogTo, "ulog-to", "", "directory to fetch the update log into (missing or empty)")

		list := &cobra.Command{
			Use:   "list URL",
			Short: "List the complete backups of a store, oldest first: ID, time, files, bytes, update-log records held",
			Args:  exactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				ms, err := bstore.List(context.Background(), args[0])
				if err != nil {
					return failf("%v", err)
				}
				if len(ms) == 0 {
					fmt.Fprintf(env.Stderr, "blitz: store %s holds no complete backup\n", args[0])
				}
				for _, m := range ms {
					fmt.Fprintf(env.Stdout, "%s\t%s\t%d files\t%d bytes\tulog %d..%d\n",
						m.ID, m.Created.Format("2006-01-02T15:04:05Z07:00"), len(m.Files), m.Bytes(), m.ULogFirstSeq, m.ULogLastSeq)
				}
				return nil
			},
		}
		c.AddCommand(push, fetch, list)
		return c
	})
}
