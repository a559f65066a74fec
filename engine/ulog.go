package engine

// The update log (Options.ULogDir; format in internal/ulog).
//
// # What is logged
//
// Every committed transaction that changed at least one row, whatever its
// tables (CRASH_SAFE or not), is one ulog frame: one put (encoded primary
// key, row image as stored) or delete (encoded primary key) per changed
// row, in table order then key order. The frame is appended by Tx.Commit
// while the transaction still holds the write locks of its tables, before
// the early lock release, so for any key the log order is the commit
// order. It is appended after the WAL accepted the transaction's record
// (CRASH_SAFE tables) and before the rows of plain tables are written.
//
// Every DDL is one frame holding one kind-3 (ddl) op (a RENAME TABLE of
// several pairs: one rename_table op per pair, in the statement's order,
// each with the definition as that pair leaves it; replayed one after the
// other they give the statement's result), appended and synced
// while the DDL still holds the DDL mutex (so it cannot interleave with a
// backup's copy). Its value is the JSON ddlRecord below. The frame is
// written to ULOG.pending in the database directory before the DDL's
// commit point and appended to the log after it, so that a crash between
// the two cannot leave the log without a change the database holds: the
// next open appends it (ulogintent.go).
//
// # Durability
//
// Appending only buffers the frame in memory (an append never waits for a
// write or an fsync of the log, so the table locks are held no longer than
// the encoding takes). A transaction that touches a CRASH_SAFE table
// returns from Commit only after its frame is synced, after its WAL record
// is: concurrent committers share one write+fsync of the log
// (ulog.Log.SyncThrough), which runs after the early lock release, like
// the WAL's. A transaction on plain tables only has its frame written to
// the log file (not synced) after its locks are released and before Commit
// returns, matching the durability of a plain table (it survives a process
// crash, not necessarily a power cut).
//
// If the machine dies between the WAL sync and the ulog sync, the database
// may hold a transaction the log lacks (the WAL replays it at the next
// open; its ulog frame may not have reached the disk). Such a transaction
// was never acknowledged (Commit had not returned), so losing it from the
// log loses nothing a client was promised: a restore from backup plus log
// gives a state at most the unacknowledged commits behind the database.
// We chose to sync the log after the WAL for each transaction; the reverse
// can still happen for other in-flight transactions (one fsync of the log
// covers every frame appended before it, including frames whose WAL
// records are not yet synced), so after a power cut the log may also hold
// an unacknowledged transaction the database lost. Either way only
// transactions whose Commit had not returned can differ; every
// acknowledged commit is in both. Closing that gap entirely would take a
// two-phase commit between the WAL and the log (or the log in the WAL),
// which we judged not worth a third fsync per commit. A process crash (not
// a power cut) loses neither: written frames are in the page cache, and a
// CRASH_SAFE commit is acknowledged only after both syncs.
//
// If writing the log fails (a full disk), the commit whose write or sync
// it was gets an error saying its rows are committed but not yet in the
// log: the log keeps the frames in memory and writes them again with the
// next flush, and until one succeeds every commit that would be logged
// first tries that flush and is refused, with nothing of it done, if it
// fails (ulogReady), so the frames waiting in memory stay few. If an
// fsync of the log fails, the page cache no longer tells what reached the
// disk (a retried fsync may succeed without writing what the failed one
// dropped), so the log refuses every later append (ulog.ErrFailed) and
// the database every later logged commit, until it is reopened. A commit
// whose WAL write fails is rolled back (walfail.go) and its frame, which
// may already be in the log, is followed by a frame with the inverse
// changes.
//
// # What is not logged
//
// REPAIR TABLE and the recovery of a crashed table at open may drop rows
// (salvage of a damaged data file) and are not logged, nor is anything
// done while the database is open without Options.ULogDir: take a new
// backup after either, since a restore replays the log over the backup and
// cannot know about them. The update log belongs to one database; its
// directory is not recorded in the database, so every opener (blitz serve,
// blitz sql, blitz backup of a closed database) must be given it.
//
// # DDL op encoding (format version 1)
//
// A kind-3 op has Table = the table's name (before a rename), an empty Key,
// and Value = the JSON object
//
//	{"v":1, "op":"create_table"|"drop_table"|"rename_table"|"create_index"|
//	        "drop_index"|"add_column"|"alter_columns"|"auto_increment",
//	 "def":   <the table's definition after the change (before it for
//	           drop_table; absent in the drop of a table whose
//	           definition file was damaged), in the .def file encoding>,
//	 "to":    new name (rename_table),
//	 "index": index name (create_index, drop_index),
//	 "column": column name (add_column),
//	 "from":  for each column of "def", the position in the definition
//	          before the change of the column it comes from, -1 for a new
//	          one (alter_columns: see DB.AlterColumns, which the replay
//	          calls again; a table already of "def" is left alone),
//	 "next":  next AUTO_INCREMENT value (auto_increment)}
//
// so that a replay can recreate the schema from the log alone.
//
// Format version 2 is version 1 plus, in an alter_columns op that changes
// a column to or from TIMESTAMP in a session whose zone is not UTC,
//
//	"zone": the session's zone in seconds east of UTC (see
//	        DB.AlterColumnsInZone, which the replay calls with it)
//
// with "v":2; every other op is still written as version 1. A replayer
// that predates version 2 stops at such an op with "unsupported format 2"
// rather than converting the values in UTC. The view
// ops (view.go) have Table = the view's name (before a rename) and
//
//	{"v":1, "op":"create_view"|"drop_view"|"rename_view",
//	 "view": <the view's definition after the change, in the "view"
//	          encoding of the .view file; for drop_view only its name>,
//	 "to":   new name (rename_view)}
//
// create_view is logged by CREATE VIEW, CREATE OR REPLACE VIEW and ALTER
// VIEW alike: its replay creates or replaces the view. The op
// alter_columns (and its "from") came later without a version bump: it
// only adds to the format, and a replayer that does not know it stops at
// it with "unknown ddl op" rather than skipping it; so did the view ops.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/blitzdb/blitz/internal/keyenc"
	"github.com/blitzdb/blitz/internal/ulog"
	"time"
)

// ddlFormat is the version of the ddl op encoding; ddlFormatZone that of
// an alter_columns op with a "zone" (written only then, so that a log
// without one still reads in a replayer that predates it).
const (
	ddlFormat     = 1
	ddlFormatZone = 2
)

// ddlRecord is the value of a ulog ddl op.
type ddlRecord struct {
	V      int             `json:"v"`
	Op     string          `json:"op"`
	Def    json.RawMessage `json:"def"`
	To     string          `json:"to,omitempty"`
	Index  string          `json:"index,omitempty"`
	Column string          `json:"column,omitempty"`
	From   []int           `json:"from,omitempty"`
	Next   uint64          `json:"next,omitempty"`
	Zone   int64           `json:"zone,omitempty"` // alter_columns: the session's zone, seconds east of UTC (format 2)
	View   json.RawMessage `json:"view,omitempty"`
}

func (db *DB) openULog() error {
	if db.opts.ULogDir == "" {
		return nil
	}
	l, err := ulog.Open(db.opts.ULogDir, ulog.Options{FS: db.fs, SegmentBytes: db.opts.ULogLimit})
	if err != nil {
		return fmt.Errorf("blitz/engine: open update log %s: %w", db.opts.ULogDir, err)
	}
	db.ulog = l
	return nil
}

// ULogSeq returns the sequence number of the last frame in the update log
// (0 without one).
func (db *DB) ULogSeq() uint64 {
	if db.ulog == nil {
		return 0
	}
	return db.ulog.LastSeq()
}

func noSync() error { return nil }

// ulogReady refuses a commit that would be logged while the update log
// holds frames a failed write left in memory and still cannot write them
// (the disk is full): nothing of the transaction is done then.
func (tx *Tx) ulogReady() error {
	l := tx.db.ulog
	if l == nil || l.WriteFailed() == nil || !tx.logsRows() {
		return nil
	}
	if err := l.Flush(); err != nil {
		return fmt.Errorf("blitz/engine: commit refused, nothing of it done: the update log cannot be written (it holds earlier commits in memory until it can): %w", err)
	}
	return nil
}

// logsRows reports whether the transaction changed a row logCommit logs.
func (tx *Tx) logsRows() bool {
	for _, ws := range tx.wsl {
		if !ws.temp && len(ws.m) > 0 {
			return true
		}
	}
	return false
}

// ulogErr words the failure err of writing the update-log frame of a
// commit whose rows are already committed.
func (db *DB) ulogErr(err error) error {
	if ulog.IsFinal(err) {
		return fmt.Errorf("blitz/engine: commit done, but the update log's fsync failed, so a restore may miss it; logged commits are refused until the database is reopened: %w", err)
	}
	return fmt.Errorf("blitz/engine: commit done, but the update log could not write it yet; it keeps it in memory and writes it before the next commit: %w", err)
}

// logCommit appends the transaction's changes to the update log as one
// frame (buffered: see ulog.Log). It must run while tx holds its write
// locks. The returned function, called after the locks are released, makes
// the frame durable when the transaction touches a CRASH_SAFE table, and
// otherwise writes it to the segment file (so that it survives a crash of
// the process, as the plain tables' rows do).
func (tx *Tx) logCommit() (sync func() error, err error) {
	l := tx.db.ulog
	if l == nil {
		return noSync, nil
	}
	var ops []ulog.Op
	crashSafe := false
	for _, ws := range tx.wsl {
		if ws.temp {
			continue // temporary tables are never logged (temp.go)
		}
		keys := make([]string, 0, len(ws.m))
		for k, p := range ws.m {
			if p.del && !p.hadOld {
				continue
			}
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			continue
		}
		crashSafe = crashSafe || ws.def.CrashSafe
		sort.Strings(keys)
		for _, k := range keys {
			p := ws.m[k]
			op := ulog.Op{Kind: ulog.OpPut, Table: ws.def.Name, Key: []byte(k), Value: p.new}
			if p.del {
				op.Kind, op.Value = ulog.OpDelete, nil
			}
			ops = append(ops, op)
		}
	}
	if len(ops) == 0 {
		return noSync, nil
	}
	seq, err := l.Append(ops, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("blitz/engine: commit (in doubt: the update log append failed; commits are refused until the database is reopened): %w", err)
	}
	if !crashSafe {
		return l.Flush, nil
	}
	return func() error { return l.SyncThrough(seq) }, nil
}

// replayRecord applies one update-log record to db (Restore). Puts and
// deletes of one record commit as one transaction; a DDL op commits what
// came before it and runs on its own. Applying a record again after it (or
// later ones) was applied leaves the same state, so a replay may restart
// from any earlier record.
func (db *DB) replayRecord(ctx context.Context, rec *ulog.Record) error {
	return db.replayRecordFrom(ctx, rec, 0, nil)
}

// replayRecordFrom is replayRecord from op skip on (the ops before it
// were applied). afterDDL, if not nil, is called after each DDL op with
// the number of ops applied so far: a record of several DDL ops (the
// renames of one RENAME TABLE) is not idempotent as a whole once some of
// them ran (a swap run again swaps back), so Restore notes its progress
// inside such a record and resumes there.
func (db *DB) replayRecordFrom(ctx context.Context, rec *ulog.Record, skip int, afterDDL func(done int) error) error {
	var tx *Tx
	commit := func() error {
		if tx == nil {
			return nil
		}
		err := tx.Commit()
		tx = nil
		return err
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	for i, op := range rec.Ops {
		if i < skip {
			continue
		}
		if op.Kind == ulog.OpDDL {
			if err := commit(); err != nil {
				return err
			}
			if err := db.replayDDL(ctx, op.Table, op.Value); err != nil {
				return fmt.Errorf("op %d (ddl on %s): %w", i, op.Table, err)
			}
			if afterDDL != nil {
				if err := afterDDL(i + 1); err != nil {
					return err
				}
			}
			continue
		}
		if tx == nil {
			var err error
			if tx, err = db.Begin(ctx); err != nil {
				return err
			}
		}
		ws, err := tx.writeSet(op.Table)
		if err != nil {
			return fmt.Errorf("op %d (%s on %s): %w", i, op.Kind, op.Table, err)
		}
		key := string(op.Key)
		if op.Kind == ulog.OpDelete {
			if _, ok, err := tx.current(ws.t, op.Key); err != nil {
				return err
			} else if !ok {
				continue
			}
			if err := tx.set(ws, key, nil, true); err != nil {
				return err
			}
			continue
		}
		val := append([]byte(nil), op.Value...)
		if err := ws.t.seenReplayed(ws, op.Key, val); err != nil {
			return fmt.Errorf("op %d (put on %s): %w", i, op.Table, err)
		}
		if err := tx.set(ws, key, val, false); err != nil {
			return err
		}
	}
	return commit()
}

// seenReplayed advances the AUTO_INCREMENT and hidden row id counters past
// a replayed row, so that rows inserted after a restore get fresh values.
func (t *table) seenReplayed(ws *writeSet, key, val []byte) error {
	if ws.pkPos == nil {
		v, _, err := keyenc.Decode(key)
		if err != nil {
			return fmt.Errorf("row id key %x: %w", key, err)
		}
		t.ctrMu.Lock()
		defer t.ctrMu.Unlock()
		if v.U >= t.rowNext {
			if err := t.reserveLocked(0, v.U+1); err != nil {
				return err
			}
			t.rowNext = v.U + 1
		}
		return nil
	}
	for i := range ws.def.Columns {
		if !ws.def.Columns[i].AutoIncrement {
			continue
		}
		r, err := decodeRow(val, ws.def)
		if err != nil {
			return fmt.Errorf("row %x does not decode: %w", key, err)
		}
		var u uint64
		switch x := r[i].(type) {
		case int64:
			if x > 0 {
				u = uint64(x)
			}
		case uint64:
			u = x
		}
		if u > 0 {
			return t.seenAuto(u)
		}
	}
	return nil
}

// replayDDL applies one ddl op. A change already in place (a table that
// exists, an index already built, ...) is skipped, so replays repeat
// safely.
func (db *DB) replayDDL(ctx context.Context, table string, value []byte) error {
	var rec ddlRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return fmt.Errorf("ddl op does not decode: %v", err)
	}
	if rec.V != ddlFormat && rec.V != ddlFormatZone {
		return fmt.Errorf("ddl op has unsupported format %d", rec.V)
	}
	if strings.HasSuffix(rec.Op, "_view") {
		return db.replayViewDDL(ctx, table, &rec)
	}
	_, terr := db.table(table)
	exists := terr == nil
	if rec.Op == "drop_table" && (len(rec.Def) == 0 || string(rec.Def) == "null") {
		// The drop of a table whose definition was damaged.
		if !exists {
			return nil
		}
		return db.DropTable(ctx, table)
	}
	def, _, err := decodeDef(rec.Def, "ddl op of "+table)
	if err != nil {
		return err
	}
	switch rec.Op {
	case "create_table":
		if exists {
			return nil
		}
		return db.CreateTable(ctx, def)
	case "drop_table":
		if !exists {
			return nil
		}
		return db.DropTable(ctx, table)
	case "rename_table":
		if !exists {
			return nil // renamed already (or dropped by a later record)
		}
		if _, err := db.table(rec.To); err == nil {
			// When this record was logged, the target name was free.
			// Both names taken means the replay restarted before this
			// record after having applied it: table is a copy that an
			// earlier CREATE TABLE record, replayed again, brought
			// back; right after this record it does not exist, and
			// the records after it recreate and fill it if they need
			// it. Keeping it would leave a table the log renamed away.
			db.log.Info("update log replay: dropping a table it renamed away already", "table", table, "renamed_to", rec.To)
			return db.DropTable(ctx, table)
		}
		return db.RenameTable(ctx, table, rec.To)
	case "create_index":
		cur, err := db.Table(table)
		if err != nil {
			return err
		}
		if cur.indexByName(rec.Index) >= 0 {
			return nil
		}
		i := def.indexByName(rec.Index)
		if i < 0 {
			return fmt.Errorf("create_index: index %s is not in the logged definition", rec.Index)
		}
		return db.CreateIndex(ctx, table, def.Indexes[i])
	case "drop_index":
		cur, err := db.Table(table)
		if err != nil {
			return err
		}
		if cur.indexByName(rec.Index) < 0 {
			return nil
		}
		return db.DropIndex(ctx, table, rec.Index)
	case "add_column":
		cur, err := db.Table(table)
		if err != nil {
			return err
		}
		if cur.ColumnIndex(rec.Column) >= 0 {
			return nil
		}
		i := def.ColumnIndex(rec.Column)
		if i < 0 {
			return fmt.Errorf("add_column: column %s is not in the logged definition", rec.Column)
		}
		return db.AddColumn(ctx, table, def.Columns[i])
	case "alter_columns":
		cur, err := db.Table(table)
		if err != nil {
			return err
		}
		if sameDef(cur, def) {
			return nil
		}
		return db.AlterColumnsInZone(ctx, table, def, rec.From, time.Duration(rec.Zone)*time.Second)
	case "auto_increment":
		if !exists {
			return fmt.Errorf("auto_increment: table %s does not exist", table)
		}
		return db.SetAutoIncrement(ctx, table, rec.Next)
	}
	return fmt.Errorf("unknown ddl op %q", strings.ToValidUTF8(rec.Op, "?"))
}
