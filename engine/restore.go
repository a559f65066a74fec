package engine

// Restore.
//
// Restore(dir, from, o) copies the backup in from into dir, then, with
// o.ULogDir, replays the update log's records after the backup's
// (seq > BACKUP.json's ulog_seq), up to o.Until if set.
//
// Progress is kept in dir/RESTORE.json (format version 1):
//
//	{"format": 1, "backup_time": "...", "backup_seq": 42,
//	 "copied": true,        // every file of the backup is in place
//	 "applied_seq": 57}     // every record <= this is applied (and synced)
//
// "replaying": true (written only while it holds) says that the replay of
// the update log has started and not stopped: Restore sets it before it
// opens the database to replay and clears it when the replay stops, at the
// end of the log or at an error it reports. It is an optional field of
// every format: a build that does not know it ignores it.
//
// A directory whose restore did not finish, "copied" false (the backup's
// files are not all there) or "replaying" true (a restore killed while it
// replayed: the rows are those of some record in the log, not of the
// moment the user asked for), is refused by Open with an error saying so
// (checkRestoreFinished), so that a restore killed midway is never taken
// for the database: running the same restore again finishes it, and
// removing RESTORE.json opens the directory as it is.
//
// Format version 2 adds "applied_ops": N, the ops of record applied_seq+1
// already applied (and synced); it is written, as format 2, only inside a
// record of several DDL ops (a RENAME TABLE of several pairs: see
// replayRecordFrom), and the file is format 1 again after that record, so
// that an older build refuses only a restore stopped inside one.
//
// written atomically before the copy (copied false), after it, after
// each batch of replayed records, and before and after each record with a
// DDL op (after a Sync of the database each time). A second
// Restore into the same dir from the same backup (same time and seq) copies
// again if the copy had not finished and otherwise resumes after
// applied_seq; any other non-empty dir is refused. Records are applied in
// log order and each is idempotent given the ones before it (puts write the
// row image, deletes of missing rows and DDL already in place are skipped),
// so a replay that restarts from the last applied_seq written (saved right
// before and after every DDL record, so that the records replayed again
// never span one: see hasDDL) ends in the same
// state: running Restore twice, or again after a crash, yields the same
// database. The resumed replay opens dir with AutoRecover, since a crash
// leaves the tables it was writing not closed cleanly.
//
// A damaged frame stops the replay at the last good record (which is
// applied and recorded) with an error naming the segment, offset and
// sequence number; with o.SkipDamaged the replay resynchronises on the
// next frame that verifies and the report lists what was skipped.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// RestoreStateFile is the name of the restore progress file in a restored
// database directory.
const RestoreStateFile = "RESTORE.json"

const restoreFormat = 1

// restoreFormatOps is the RESTORE.json format with "applied_ops".
const restoreFormatOps = 2

// RestoreOptions configure Restore.
type RestoreOptions struct {
	ULogDir     string    // replay this update log after the backup ("": no replay)
	Until       time.Time // replay only records committed at or before this (zero: all)
	SkipDamaged bool      // skip damaged frames instead of stopping at the first
	FS          vfs.FS    // nil means vfs.Default
	Logger      *slog.Logger
}

// RestoreReport says what Restore did.
type RestoreReport struct {
	BackupTime  time.Time
	BackupSeq   uint64    // the backup's ulog_seq
	Copied      int       // files copied from the backup (0 when resuming)
	CopiedBytes int64     // their bytes
	Resumed     bool      // dir held an earlier restore of the same backup
	FromSeq     uint64    // replay started after this record
	Applied     int       // records replayed
	Ops         int       // operations replayed
	LastSeq     uint64    // last record applied (BackupSeq if none)
	LastTime    time.Time // its commit time (zero if none replayed)
	Skipped     []string  // damaged regions skipped (SkipDamaged)
}

type restoreState struct {
	Format     int       `json:"format"`
	BackupTime time.Time `json:"backup_time"`
	BackupSeq  uint64    `json:"backup_seq"`
	Copied     bool      `json:"copied"`
	AppliedSeq uint64    `json:"applied_seq"`
	AppliedOps int       `json:"applied_ops,omitempty"` // format 2
	Replaying  bool      `json:"replaying,omitempty"`   // any format: the replay runs
}

func writeRestoreState(fs vfs.FS, dir string, st *restoreState) error {
	st.Format = restoreFormat
	if st.AppliedOps > 0 {
		st.Format = restoreFormatOps
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(fs, filepath.Join(dir, RestoreStateFile), append(b, '\n')); err != nil {
		return fmt.Errorf("blitz/engine: restore: write %s: %w", filepath.Join(dir, RestoreStateFile), err)
	}
	return nil
}

// Restore restores the backup in from into dir and replays the update log
// after it (see the comment at the top of restore.go).
func Restore(dir, from string, o RestoreOptions) (RestoreReport, error) {
	var rep RestoreReport
	fs := o.FS
	if fs == nil {
		fs = vfs.Default
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := ReadBackupManifest(fs, from)
	if err != nil {
		return rep, err
	}
	rep.BackupTime, rep.BackupSeq = m.Time, m.ULogSeq
	if !o.Until.IsZero() && o.Until.Before(m.Time) {
		return rep, fmt.Errorf("blitz/engine: restore: --until %s is before the backup's moment %s: restore an older backup",
			o.Until.UTC().Format(time.RFC3339Nano), m.Time.Format(time.RFC3339Nano))
	}
	st := &restoreState{BackupTime: m.Time, BackupSeq: m.ULogSeq, AppliedSeq: m.ULogSeq}
	if o.ULogDir != "" {
		if _, err := fs.Stat(o.ULogDir); err != nil {
			return rep, fmt.Errorf("blitz/engine: restore: update log %s: %w", o.ULogDir, err)
		}
	}
	// A restore cut short before its first progress file was in place
	// left at most that file's temporary copy (vfs.WriteFileAtomic): the
	// directory counts as empty without it.
	fs.Remove(filepath.Join(dir, RestoreStateFile+".tmp"))
	empty, err := emptyOrMissing(fs, dir)
	if err != nil {
		return rep, fmt.Errorf("blitz/engine: restore into %s: %w", dir, err)
	}
	if !empty {
		prev, err := readRestoreState(fs, dir)
		if err != nil {
			return rep, err
		}
		if prev == nil {
			return rep, fmt.Errorf("blitz/engine: restore: %s is not empty and holds no earlier restore (%s missing); restore into an empty directory", dir, RestoreStateFile)
		}
		if !prev.BackupTime.Equal(m.Time) || prev.BackupSeq != m.ULogSeq {
			return rep, fmt.Errorf("blitz/engine: restore: %s holds a restore of another backup (taken %s, seq %d); restore into an empty directory",
				dir, prev.BackupTime.Format(time.RFC3339Nano), prev.BackupSeq)
		}
		if prev.Copied {
			st = prev
			rep.Resumed = true
		}
	}
	if !st.Copied {
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			return rep, fmt.Errorf("blitz/engine: restore: create %s: %w", dir, err)
		}
		if err := writeRestoreState(fs, dir, st); err != nil {
			return rep, err
		}
		for _, f := range m.Files {
			src := filepath.Join(from, f.Name)
			fi, err := fs.Stat(src)
			if err != nil {
				return rep, fmt.Errorf("blitz/engine: restore: backup file %s: %w", src, err)
			}
			if fi.Size() != f.Size {
				return rep, fmt.Errorf("blitz/engine: restore: backup file %s is %d bytes, %s says %d: the backup is damaged", src, fi.Size(), BackupManifest, f.Size)
			}
			if err := copyFile(fs, src, filepath.Join(dir, f.Name)); err != nil {
				return rep, fmt.Errorf("blitz/engine: restore: copy %s: %w", src, err)
			}
			rep.Copied++
			rep.CopiedBytes += f.Size
		}
		if err := fs.SyncDir(dir); err != nil {
			return rep, err
		}
		// One write says both that the copy is done and, with a log to
		// replay, that the replay has begun: no moment in between
		// passes for a finished restore.
		st.Copied, st.Replaying = true, o.ULogDir != ""
		if err := writeRestoreState(fs, dir, st); err != nil {
			return rep, err
		}
	}
	rep.FromSeq, rep.LastSeq = st.AppliedSeq, st.AppliedSeq
	if o.ULogDir == "" {
		return rep, nil
	}
	// AutoRecover: a restore resumed after a crash finds the tables it was
	// writing not closed cleanly. Their rows up to applied_seq were synced
	// (intact through a salvage); the replay writes the rest again.
	if !st.Replaying { // a restore resumed after a copy without --ulog
		st.Replaying = true
		if err := writeRestoreState(fs, dir, st); err != nil {
			return rep, err
		}
	}
	db, err := Open(dir, Options{FS: fs, Logger: log, AutoRecover: true, restoring: true})
	if err != nil {
		return rep, fmt.Errorf("blitz/engine: restore: open %s: %w", dir, err)
	}
	ctx := context.Background()
	pending := 0
	save := func() error {
		if err := db.Sync(); err != nil {
			return err
		}
		st.AppliedSeq, st.AppliedOps = rep.LastSeq, 0
		pending = 0
		return writeRestoreState(fs, dir, st)
	}
	first := true
	rrep, rerr := ulog.Read(o.ULogDir, ulog.ReadOptions{FS: fs, AfterSeq: st.AppliedSeq, Until: o.Until, SkipDamaged: o.SkipDamaged},
		func(r *ulog.Record) error {
			if first && r.Seq != st.AppliedSeq+1 && !o.SkipDamaged {
				return fmt.Errorf("blitz/engine: restore: the update log %s continues at record %d, but record %d is needed (the backup holds up to %d): a segment is missing",
					o.ULogDir, r.Seq, st.AppliedSeq+1, st.AppliedSeq)
			}
			first = false
			ddl := hasDDL(r)
			if ddl && pending > 0 {
				if err := save(); err != nil {
					return err
				}
			}
			skip := 0
			if r.Seq == st.AppliedSeq+1 {
				skip = st.AppliedOps
			}
			var afterDDL func(int) error
			if ddlOps(r) > 1 {
				afterDDL = func(done int) error {
					if err := db.Sync(); err != nil {
						return err
					}
					st.AppliedSeq, st.AppliedOps = r.Seq-1, done
					return writeRestoreState(fs, dir, st)
				}
			}
			if err := db.replayRecordFrom(ctx, r, skip, afterDDL); err != nil {
				return fmt.Errorf("blitz/engine: restore: replay record %d of %s: %w", r.Seq, o.ULogDir, err)
			}
			rep.Applied++
			rep.Ops += len(r.Ops)
			rep.LastSeq, rep.LastTime = r.Seq, time.Unix(0, r.Time).UTC()
			if pending++; pending >= 10000 || ddl {
				return save()
			}
			return nil
		})
	if rerr == nil && rrep.LastSeq < m.ULogSeq && len(rrep.Damage) == 0 {
		rerr = fmt.Errorf("blitz/engine: restore: the update log %s ends at record %d, before the backup's record %d: it is not this database's log, or it lost its newest segments",
			o.ULogDir, rrep.LastSeq, m.ULogSeq)
	}
	for _, d := range rrep.Damage {
		if o.SkipDamaged {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s at offset %d (after record %d): %s", d.File, d.Offset, d.LastGood, d.Reason))
		}
	}
	st.Replaying = false // the replay stops here, whatever rerr says
	serr := save()
	cerr := db.Close()
	if rerr != nil {
		var d *ulog.DamageError
		if errors.As(rerr, &d) {
			return rep, fmt.Errorf("blitz/engine: restore stopped at damage in the update log: segment %s, offset %d, after record %d (records up to %d are applied; --skip-damaged continues past it): %s",
				d.File, d.Offset, d.LastGood, rep.LastSeq, d.Reason)
		}
		return rep, rerr
	}
	if serr != nil {
		return rep, serr
	}
	if cerr != nil {
		return rep, cerr
	}
	log.Info("restore finished", "dir", dir, "backup_seq", rep.BackupSeq, "applied", rep.Applied, "last_seq", rep.LastSeq)
	return rep, nil
}

// hasDDL reports whether r holds a DDL op. Restore saves its progress
// before and after such a record, so that a restart never replays a
// stretch of records across one: each record is idempotent given the
// state right before it, but a stretch that a later DDL record already
// changed need not be (a DROP TABLE replayed after the RENAME TABLE that
// gave its name to another table would drop that one).
func hasDDL(r *ulog.Record) bool { return ddlOps(r) > 0 }

// ddlOps returns the number of DDL ops of r.
func ddlOps(r *ulog.Record) int {
	n := 0
	for _, op := range r.Ops {
		if op.Kind == ulog.OpDDL {
			n++
		}
	}
	return n
}

func readRestoreState(fs vfs.FS, dir string) (*restoreState, error) {
	path := filepath.Join(dir, RestoreStateFile)
	b, err := vfs.ReadFile(fs, path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("blitz/engine: restore: read %s: %w", path, err)
	}
	var st restoreState
	if err := json.Unmarshal(b, &st); err != nil || st.Format != restoreFormat && st.Format != restoreFormatOps {
		return nil, fmt.Errorf("blitz/engine: restore: %s is damaged or of an unknown format", path)
	}
	return &st, nil
}

// checkRestoreFinished returns an error if dir holds a restore that did
// not finish (see the top of this file): its files not all copied, or its
// replay of the update log killed midway. A directory without
// RESTORE.json, or with one of a restore that finished or stopped at an
// error it reported, passes.
func checkRestoreFinished(fs vfs.FS, dir string) error {
	st, err := readRestoreState(fs, dir)
	if err != nil {
		return fmt.Errorf("%w (remove %s to open the database as it is)", err, RestoreStateFile)
	}
	var what string
	switch {
	case st == nil:
		return nil
	case !st.Copied:
		what = "its copy of the backup's files did not finish"
	case st.Replaying:
		what = fmt.Sprintf("its replay of the update log did not finish (records up to %d are applied)", st.AppliedSeq)
	default:
		return nil
	}
	return fmt.Errorf("blitz/engine: %s holds a restore that did not finish: %s; run the same restore again to finish it, or remove %s to open the database as it is",
		dir, what, filepath.Join(dir, RestoreStateFile))
}
