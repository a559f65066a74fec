package command

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/bstore"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// servingFile is written into the database directory by blitz serve while
// it runs: JSON {"pid": N, "tcp": "host:port", "socket": "path"}.
const servingFile = "SERVING"

type servingInfo struct {
	PID    int    `json:"pid"`
	TCP    string `json:"tcp,omitempty"`
	Socket string `json:"socket,omitempty"`
}

func writeServing(dir string, sv servingInfo) error {
	b, err := json.Marshal(sv)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, servingFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, servingFile))
}

func readServing(dir string) (servingInfo, error) {
	var sv servingInfo
	b, err := os.ReadFile(filepath.Join(dir, servingFile))
	if err != nil {
		return sv, err
	}
	if err := json.Unmarshal(b, &sv); err != nil {
		return sv, fmt.Errorf("%s is damaged: %v", filepath.Join(dir, servingFile), err)
	}
	return sv, nil
}

func init() {
	register(func(env *Env) *cobra.Command {
		var dir, to, user, password, ulogDir string
		var incremental bool
		c := &cobra.Command{
			Use:   "backup -d DIR --to DEST|URL [--incremental] [--ulog ULOGDIR] [--user U --password P]",
			Short: "Hot backup of a database into the empty directory DEST",
			Long: `backup copies every table of the database in DIR, as of one moment, into
DEST (missing or empty), as a database that opens without recovery plus
BACKUP.json. A closed database is opened, backed up and closed: give the
update log it is written with (--ulog), so the backup records its place in
that log (a restore replays the log from there). A database
served by a running 'blitz serve' (which writes DIR/SERVING) is backed up by
that server: backup sends it BACKUP DATABASE * TO 'DEST' (DEST made
absolute), logging in with --user/--password if the server wants them.

With --incremental, --to is a store URL (file:///dir, s3://..., see blitz
store): the backup is made in a temporary directory and pushed to the
store, which receives only the files it does not hold yet and, with
--ulog, the part of the update log it has not seen. blitz recover brings
the newest complete backup back.`,
			Args: exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				if dir == "" || to == "" {
					return usagef("backup: -d DIR and --to DEST are required")
				}
				if incremental {
					return incrementalBackup(env, dir, to, ulogDir, user, password)
				}
				if err := requireDatabase(dir); err != nil {
					return failf("backup: %v", err)
				}
				dest, err := filepath.Abs(to)
				if err != nil {
					return failf("backup: %v", err)
				}
				db, err := engine.Open(dir, engine.Options{ULogDir: ulogDir})
				if err != nil {
					if sqlerr.Code(err) != sqlerr.ErrCantLock {
						return openFailed("backup", dir, err)
					}
					return backupViaServer(env, dir, dest, user, password)
				}
				if _, serr := os.Stat(filepath.Join(dir, servingFile)); serr == nil {
					os.Remove(filepath.Join(dir, servingFile)) // left by a server that died
				}
				info, err := db.Backup(context.Background(), dest)
				if cerr := db.Close(); err == nil && cerr != nil {
					err = fmt.Errorf("close %s: %w", dir, cerr)
				}
				if err != nil {
					return backupFailed(dir, err)
				}
				fmt.Fprintf(env.Stdout, "backup: %s\ntime: %s\nulog seq: %d\nfiles: %d\nbytes: %d\nmax pause: %s\n",
					dest, info.Time.Format(time.RFC3339Nano), info.ULogSeq, info.Files, info.Bytes, info.MaxPause)
				return nil
			},
		}
		f := c.Flags()
		f.StringVarP(&dir, "dir", "d", "", "database directory (required)")
		f.StringVar(&to, "to", "", "backup directory, missing or empty; with --incremental a store URL (required)")
		f.BoolVar(&incremental, "incremental", false, "push the backup to the store URL --to, sending only what changed")
		f.StringVar(&ulogDir, "ulog", "", "the update log of the (closed) database")
		f.StringVar(&user, "user", "", "user for a running server")
		f.StringVar(&password, "password", "", "password for a running server")
		return c
	})
	register(func(env *Env) *cobra.Command {
		var dir, from, ulogDir, until string
		var skip bool
		c := &cobra.Command{
			Use:   "restore -d DIR --from BACKUP [--ulog ULOGDIR] [--until TS] [--skip-damaged]",
			Short: "Restore a backup into DIR, then replay the update log after it",
			Long: `restore copies the backup in BACKUP into DIR (missing or empty, or an earlier
restore of the same backup, which is resumed) and, with --ulog, replays the
update log's records committed after the backup, up to --until (RFC 3339 or
Unix seconds) if given. Replay stops at damage in the log, naming the
segment, offset and record; --skip-damaged goes on past it and lists what
was skipped. Running it again changes nothing. A restore killed or cut short
by a power loss leaves DIR refused by every command that opens it (DIR
"holds a restore that did not finish") until the same restore is run again,
which resumes it.`,
			Args: exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				if dir == "" || from == "" {
					return usagef("restore: -d DIR and --from BACKUP are required")
				}
				o := engine.RestoreOptions{ULogDir: ulogDir, SkipDamaged: skip}
				if until != "" {
					if ulogDir == "" {
						return usagef("restore: --until needs --ulog")
					}
					t, err := parseTime(until)
					if err != nil {
						return usagef("restore: --until: %v", err)
					}
					o.Until = t
				}
				if err := checkBackupDir(from); err != nil {
					return failf("restore: %v", err)
				}
				if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
					return failf("restore: %s is a file, not a directory to restore into", dir)
				}
				if ulogDir != "" {
					// Checked before anything is copied, so that a wrong
					// --ulog leaves nothing behind (found by the replay,
					// it stopped a restore that had copied the backup).
					d, _, err := ulogDirArg(ulogDir)
					if err != nil {
						return failf("restore: --ulog: %v", err)
					}
					o.ULogDir = d
				}
				rep, err := engine.Restore(dir, from, o)
				if err != nil && rep.Copied == 0 && !rep.Resumed {
					// Refused before anything was copied (not a backup, a
					// directory in the way, --until before the backup): no
					// summary, which would claim a restore took place.
					return failf("restore: %v", err)
				}
				fmt.Fprintf(env.Stdout, "backup: %s (seq %d)\n", rep.BackupTime.Format(time.RFC3339Nano), rep.BackupSeq)
				if rep.Resumed {
					fmt.Fprintln(env.Stdout, "resumed an earlier restore")
				} else {
					fmt.Fprintf(env.Stdout, "copied: %d files, %d bytes\n", rep.Copied, rep.CopiedBytes)
				}
				if ulogDir != "" {
					fmt.Fprintf(env.Stdout, "replayed: %d records (%d operations), seq %d..%d\n", rep.Applied, rep.Ops, rep.FromSeq+1, rep.LastSeq)
					if !rep.LastTime.IsZero() {
						fmt.Fprintf(env.Stdout, "restored to: %s\n", rep.LastTime.Format(time.RFC3339Nano))
					}
				}
				for _, s := range rep.Skipped {
					fmt.Fprintf(env.Stdout, "skipped damage: %s\n", s)
				}
				if err != nil {
					return failf("restore: %v", err)
				}
				return nil
			},
		}
		f := c.Flags()
		f.StringVarP(&dir, "dir", "d", "", "database directory to restore into (required)")
		f.StringVar(&from, "from", "", "backup directory (required)")
		f.StringVar(&ulogDir, "ulog", "", "update log to replay after the backup")
		f.StringVar(&until, "until", "", "replay only records committed at or before this time (RFC 3339, or Unix seconds)")
		f.BoolVar(&skip, "skip-damaged", false, "skip damaged update-log frames instead of stopping")
		return c
	})
}

func init() {
	register(func(env *Env) *cobra.Command {
		var dir, from, id, until string
		c := &cobra.Command{
			Use:   "recover --from URL -d DIR [--backup ID] [--until TS]",
			Short: "Rebuild a database from a store: the newest complete backup plus the update log",
			Long: `recover fetches from the store at URL (see blitz store and blitz backup
--incremental) the most recent complete backup, or --backup ID, and every
update-log record the store holds, verifies their checksums, and restores
them into DIR (missing or empty) as blitz restore does: the backup, then the
log's records committed after it, up to --until if given. A backup whose
push was interrupted never counts as complete.`,
			Args: exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				if dir == "" || from == "" {
					return usagef("recover: -d DIR and --from URL are required")
				}
				var o engine.RestoreOptions
				if until != "" {
					t, err := parseTime(until)
					if err != nil {
						return usagef("recover: --until: %v", err)
					}
					o.Until = t
				}
				tmp, err := os.MkdirTemp("", "blitz-recover-")
				if err != nil {
					return failf("recover: %v", err)
				}
				defer os.RemoveAll(tmp)
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
				defer stop()
				bdir, ldir := filepath.Join(tmp, "backup"), filepath.Join(tmp, "ulog")
				m, err := bstore.Fetch(ctx, from, id, bdir, ldir)
				if err != nil {
					return failf("recover: %v", err)
				}
				fmt.Fprintf(env.Stdout, "fetched backup %s (%d files)\n", m.ID, len(m.Files))
				if len(m.ULog) > 0 {
					o.ULogDir = ldir
				} else if until != "" {
					return failf("recover: --until: the store holds no update log to replay")
				}
				rep, err := engine.Restore(dir, bdir, o)
				if err != nil {
					return failf("recover: %v", err)
				}
				fmt.Fprintf(env.Stdout, "restored into %s: backup of %s (seq %d), %d update-log records replayed through seq %d\n",
					dir, rep.BackupTime.Format(time.RFC3339Nano), rep.BackupSeq, rep.Applied, rep.LastSeq)
				return nil
			},
		}
		f := c.Flags()
		f.StringVarP(&dir, "dir", "d", "", "database directory to create (required)")
		f.StringVar(&from, "from", "", "store URL (required)")
		f.StringVar(&id, "backup", "", "backup ID (default: the most recent complete one)")
		f.StringVar(&until, "until", "", "replay only records committed at or before this time (RFC 3339, or Unix seconds)")
		return c
	})
}

// backupViaServer asks the server that holds dir to back it up.
func backupViaServer(env *Env, dir, dest, user, password string) error {
	sv, err := readServing(dir)
	if err != nil {
		return failf("backup: %s is locked by another process, and no server address was found (%v): stop that process or back up through its server", dir, err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = user, password
	if sv.TCP != "" {
		cfg.Net, cfg.Addr = "tcp", sv.TCP
	} else if sv.Socket != "" {
		cfg.Net, cfg.Addr = "unix", sv.Socket
	} else {
		return failf("backup: %s names no address", filepath.Join(dir, servingFile))
	}
	cfg.Timeout = 10 * time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return failf("backup: %v", err)
	}
	sdb := sql.OpenDB(conn)
	defer sdb.Close()
	q := "BACKUP DATABASE * TO '" + strings.ReplaceAll(strings.ReplaceAll(dest, `\`, `\\`), "'", "''") + "'"
	var d, ts string
	var seq, files, bytes, pause int64
	if err := sdb.QueryRow(q).Scan(&d, &ts, &seq, &files, &bytes, &pause); err != nil {
		return failf("backup: through the server at %s%s (pid %d): %v", sv.TCP, sv.Socket, sv.PID, err)
	}
	fmt.Fprintf(env.Stdout, "backup: %s\ntime: %s\nulog seq: %d\nfiles: %d\nbytes: %d\nmax pause: %s\nvia server: %s%s\n",
		d, ts, seq, files, bytes, time.Duration(pause)*time.Millisecond, sv.TCP, sv.Socket)
	return nil
}

// localBackup backs the database in dir up into dest: directly when no
// other process holds it, else through the server that does.
func localBackup(env *Env, dir, dest, ulogDir, user, password string) error {
	db, err := engine.Open(dir, engine.Options{ULogDir: ulogDir})
	if err != nil {
		if sqlerr.Code(err) != sqlerr.ErrCantLock {
			return openFailed("backup", dir, err)
		}
		return backupViaServer(env, dir, dest, user, password)
	}
	_, err = db.Backup(context.Background(), dest)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", dir, cerr)
	}
	if err != nil {
		return backupFailed(dir, err)
	}
	return nil
}

// backupFailed is the error of a backup of the database in dir that failed
// with err. Tables marked as crashed are named with the command that
// repairs them: a backup copies every table, so none was made.
func backupFailed(dir string, err error) error {
	var ce *engine.CrashedTablesError
	if !errors.As(err, &ce) {
		return failf("backup: %v", err)
	}
	what := "table " + ce.Tables[0] + " is"
	if len(ce.Tables) > 1 {
		what = "tables " + strings.Join(ce.Tables, ", ") + " are"
	}
	return failf("backup: no backup made: in %s, %s marked as crashed, and a backup copies every table. "+
		"Repair first with: blitz repair -d %s %s (or recover every crashed table with: blitz check -d %s --auto-recover), then back up again",
		dir, what, dir, strings.Join(ce.Tables, " "), dir)
}

// incrementalBackup makes a backup in a temporary directory and pushes it
// (and the update log, if given) to the store at url.
func incrementalBackup(env *Env, dir, url, ulogDir, user, password string) error {
	if err := requireDatabase(dir); err != nil {
		return failf("backup: %v", err)
	}
	tmp, err := os.MkdirTemp("", "blitz-backup-")
	if err != nil {
		return failf("backup: %v", err)
	}
	defer os.RemoveAll(tmp)
	dest := filepath.Join(tmp, "backup")
	if err := localBackup(env, dir, dest, ulogDir, user, password); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	m, rep, err := bstore.Push(ctx, url, dest, ulogDir, bstore.PushOptions{})
	if err != nil {
		return failf("backup: push to %s: %v", url, err)
	}
	fmt.Fprintf(env.Stdout, "backup %s pushed to %s\n", m.ID, url)
	fmt.Fprintf(env.Stdout, "files: %d sent (%d bytes), %d already in the store\n", rep.FilesSent, rep.FileBytesSent, rep.FilesSkipped)
	if ulogDir != "" {
		fmt.Fprintf(env.Stdout, "update log: %d bytes sent in %d pieces\n", rep.ULogBytesSent, rep.ULogPiecesSent)
	}
	fmt.Fprintf(env.Stdout, "sent: %d bytes\n", rep.BytesSent)
	return nil
}

// checkBackupDir reports, naming it, why from cannot be a backup to
// restore: missing, not a directory, or unreadable. What it holds is
// Restore's business (BACKUP.json).
func checkBackupDir(from string) error {
	fi, err := os.Stat(from)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("backup %s does not exist", from)
	case err != nil:
		return fmt.Errorf("backup %s: %v", from, err)
	case !fi.IsDir():
		return fmt.Errorf("backup %s is a file, not a directory (a backup is the directory blitz backup --to made)", from)
	}
	return nil
}
