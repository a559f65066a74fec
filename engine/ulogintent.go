package engine

// The update-log intent of a DDL statement.
//
// A DDL statement changes the database at one commit point (the rename of
// a definition or of a rebuilt data file, the removal of a definition, the
// RENAME.pending of a multi-table rename) and must then append its frame
// to the update log. A crash between the two would leave a database whose
// log lacks the change, and a restore of a backup plus that log would
// replay the later row changes onto the table's old shape (or name). So,
// with an update log, the statement first writes its frame's operations,
// synced, to
//
//	DIR/ULOG.pending   {"version": 1, "seq": S,
//	                    "ops": [{"table": "a", "ddl": <ddl op value>}, ...]}
//
// (written atomically: temp file, fsync, rename, fsync of the directory)
// before its commit point, appends and syncs the frame after it, and then
// removes the file (without a sync: a file that comes back after a power
// cut is recognised as logged, below). S is the update log's last sequence
// number when the file was written: the frame, if it was appended, has a
// higher one. Each op's "ddl" is the JSON value of a kind-3 op (ulog.go),
// byte for byte what the frame holds.
//
// At open, after the engine settled the statements a crash cut short
// (finishRename, finishRebuilds, finishCreates: their commit points
// decide) and after the update log is opened, a ULOG.pending is resolved
// before anything else can be logged (resolveDDLIntent):
//
//   - the log holds a frame after S with exactly these ops: the statement
//     was logged; the file is stale;
//   - otherwise, if the database holds the statement's effect (intentDone:
//     the table has the logged definition, a dropped table is gone, a
//     renamed one is under its new name, ...) the frame is appended and
//     synced now, before any row change can follow it in the log;
//   - otherwise the statement never reached its commit point: nothing is
//     logged.
//
// The file is then removed. Deciding by the database's state rather than
// by a mark of the commit point keeps every DDL path as it was; where the
// state cannot tell (a state equal before and after, such as an ALTER
// that changes nothing), appending the frame is harmless: its replay finds
// the change in place and skips it. Without an update log at open, the
// file is left for the next open that has one (what runs meanwhile is not
// logged anyway: ulog.go).
//
// We chose this over reconciling at open (comparing each table's
// definition with the last one the log knows and appending a synthetic
// DDL) because the log may be long or trimmed, and because a definition
// does not say how it was reached: an ALTER's "from" (which column became
// which, ulog.go) cannot be rebuilt from two definitions, so the frame
// must be the statement's own.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// ulogIntentName is the file of a DDL's update-log intent.
const ulogIntentName = "ULOG.pending"

// ulogIntentVersion is the version of the ULOG.pending format.
const ulogIntentVersion = 1

type ulogIntentFile struct {
	Version int                `json:"version"`
	Seq     uint64             `json:"seq"`
	Ops     []ulogIntentOpFile `json:"ops"`
}

type ulogIntentOpFile struct {
	Table string          `json:"table"`
	DDL   json.RawMessage `json:"ddl"`
}

// ddlIntent is a DDL statement's update-log frame, written to ULOG.pending
// before its commit point (intendDDL) and appended after it (commitDDL).
// A nil *ddlIntent (no update log) does nothing.
type ddlIntent struct {
	ops []ulog.Op
}

// ddlOp returns the kind-3 op of rec about table (or view) name; def, if
// not nil, is encoded as rec.Def.
func ddlOp(rec ddlRecord, name string, def *TableDef) (ulog.Op, error) {
	if def != nil {
		b, err := encodeDef(def, 0, 0, 0)
		if err != nil {
			return ulog.Op{}, err
		}
		rec.Def = b
	}
	rec.V = ddlFormat
	if rec.Zone != 0 {
		rec.V = ddlFormatZone
	}
	v, err := json.Marshal(&rec)
	if err != nil {
		return ulog.Op{}, err
	}
	return ulog.Op{Kind: ulog.OpDDL, Table: name, Value: v}, nil
}

// intendDDL writes the intent of a DDL whose frame holds ops (see the top
// of the file), before the statement's commit point. It returns nil
// without an update log. The caller holds the DDL mutex.
func (db *DB) intendDDL(ops ...ulog.Op) (*ddlIntent, error) {
	if db.ulog == nil {
		return nil, nil
	}
	f := ulogIntentFile{Version: ulogIntentVersion, Seq: db.ulog.LastSeq()}
	for _, op := range ops {
		f.Ops = append(f.Ops, ulogIntentOpFile{Table: op.Table, DDL: op.Value})
	}
	b, err := json.Marshal(&f)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(db.dir, ulogIntentName)
	if err := vfs.WriteFileAtomic(db.fs, path, b); err != nil {
		return nil, fmt.Errorf("blitz/engine: write %s: %w", path, err)
	}
	return &ddlIntent{ops: ops}, nil
}

// intendRecord is intendDDL of the one op of rec about name with def.
func (db *DB) intendRecord(rec ddlRecord, name string, def *TableDef) (*ddlIntent, error) {
	if db.ulog == nil {
		return nil, nil
	}
	op, err := ddlOp(rec, name, def)
	if err != nil {
		return nil, err
	}
	return db.intendDDL(op)
}

// abandon removes the intent of a DDL that failed before its commit
// point. (Left in place, the next open would find the change absent and
// drop it too.)
func (in *ddlIntent) abandon(db *DB) {
	if in == nil {
		return
	}
	db.fs.Remove(filepath.Join(db.dir, ulogIntentName))
}

// commit appends and syncs the DDL's frame after its commit point, and
// removes the intent. If the log cannot take the frame, the intent stays
// for the next open to append it.
func (in *ddlIntent) commit(db *DB) error {
	if in == nil {
		return nil
	}
	seq, err := db.ulog.Append(in.ops, time.Time{})
	if err == nil {
		err = db.ulog.SyncThrough(seq)
	}
	if err != nil {
		what := "ddl"
		if len(in.ops) > 0 {
			var rec ddlRecord
			json.Unmarshal(in.ops[0].Value, &rec)
			what = rec.Op + " " + in.ops[0].Table
		}
		return fmt.Errorf("blitz/engine: %s done, but the update log could not record it (the next open records it): %w", what, err)
	}
	db.fs.Remove(filepath.Join(db.dir, ulogIntentName))
	return nil
}

// resolveDDLIntent settles a ULOG.pending a crash left (see the top of
// the file). It runs at open, once the update log is open and before
// anything is logged.
func (db *DB) resolveDDLIntent() error {
	path := filepath.Join(db.dir, ulogIntentName)
	b, err := vfs.ReadFile(db.fs, path)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blitz/engine: read %s: %w", path, err)
	}
	if db.ulog == nil {
		db.log.Warn("a DDL statement's update-log record may be missing; it is settled at the next open with the update log", "file", path)
		return nil
	}
	var f ulogIntentFile
	if err := json.Unmarshal(b, &f); err != nil || len(f.Ops) == 0 {
		return fmt.Errorf("blitz/engine: %s is damaged (%q): a DDL statement was cut short before its update-log record was written; check that the update log ends with the statement if the database holds its effect, then delete %s", path, b, ulogIntentName)
	}
	if f.Version != ulogIntentVersion {
		return fmt.Errorf("blitz/engine: %s has format version %d; this build reads version %d", path, f.Version, ulogIntentVersion)
	}
	ops := make([]ulog.Op, len(f.Ops))
	for i, o := range f.Ops {
		ops[i] = ulog.Op{Kind: ulog.OpDDL, Table: o.Table, Value: o.DDL}
	}
	logged := false
	if db.ulog.LastSeq() > f.Seq {
		found := fmt.Errorf("found")
		_, err := ulog.Read(db.opts.ULogDir, ulog.ReadOptions{FS: db.fs, AfterSeq: f.Seq}, func(r *ulog.Record) error {
			if sameOps(r.Ops, ops) {
				return found
			}
			return nil
		})
		if err != nil && err != found {
			return fmt.Errorf("blitz/engine: settle %s: read the update log: %w", ulogIntentName, err)
		}
		logged = err == found
	}
	done, why := db.intentDone(ops)
	switch {
	case logged:
	case done:
		seq, err := db.ulog.Append(ops, time.Time{})
		if err == nil {
			err = db.ulog.SyncThrough(seq)
		}
		if err != nil {
			return fmt.Errorf("blitz/engine: append the update-log record of a DDL statement a crash cut short: %w", err)
		}
		db.log.Info("appended the update-log record of a DDL statement a crash cut short after it took effect", "table", ops[0].Table, "seq", seq)
	default:
		db.log.Info("a DDL statement a crash cut short did not take effect: nothing to log", "table", ops[0].Table, "why", why)
	}
	if err := db.fs.Remove(path); err != nil && !isNotExist(err) {
		return fmt.Errorf("blitz/engine: remove %s: %w", path, err)
	}
	return nil
}

func sameOps(a, b []ulog.Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Kind != b[i].Kind || a[i].Table != b[i].Table || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// intentDone reports whether the database holds the effect of the DDL
// ops (its state after them), and if not, why.
func (db *DB) intentDone(ops []ulog.Op) (bool, string) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	exists := func(name string) bool {
		k := strings.ToLower(name)
		_, ok := db.tables[k]
		_, broken := db.broken[k]
		return ok || broken
	}
	if db.renamed != nil {
		// The open finished a RENAME TABLE: its intent, the commit point,
		// says it took effect (rename.go); the intent of the update log is
		// that statement's if it holds its pairs.
		// An ALTER TABLE ... RENAME TO logs its alter_columns (and
		// auto_increment) after the rename (DB.Alter), committed by the
		// same intent.
		same, n := true, 0
		for _, op := range ops {
			var rec ddlRecord
			if json.Unmarshal(op.Value, &rec) != nil {
				same = false
				break
			}
			if (rec.Op == "alter_columns" || rec.Op == "auto_increment") && n == len(db.renamed) && n == 1 {
				continue
			}
			same = same && rec.Op == "rename_table" && n < len(db.renamed) &&
				op.Table == db.renamed[n].From && rec.To == db.renamed[n].To
			n++
		}
		same = same && n == len(db.renamed)
		if same {
			return true, ""
		}
	}
	for _, op := range ops {
		var rec ddlRecord
		if err := json.Unmarshal(op.Value, &rec); err != nil {
			return false, "op does not decode"
		}
		if strings.HasSuffix(rec.Op, "_view") {
			if ok, why := db.viewIntentDoneLocked(op.Table, &rec); !ok {
				return false, why
			}
			continue
		}
		name := op.Table
		switch rec.Op {
		case "drop_table":
			if exists(name) {
				return false, name + " still exists"
			}
			continue
		case "rename_table":
			if len(ops) > 1 {
				// Several renames are one statement: the names alone
				// cannot tell (a swap leaves the same names); only its
				// intent can, above.
				return false, "the RENAME TABLE's intent is gone"
			}
			if exists(name) || !exists(rec.To) {
				return false, name + " is not renamed to " + rec.To
			}
			name = rec.To
		}
		t := db.tables[strings.ToLower(name)]
		if t == nil {
			return false, name + " does not exist"
		}
		def, _, err := decodeDef(rec.Def, "ddl op of "+name)
		if err != nil {
			return false, err.Error()
		}
		if !sameDef(t.definition(), def) {
			return false, name + " does not have the logged definition"
		}
		if rec.Op == "auto_increment" {
			b, err := vfs.ReadFile(db.fs, t.defPath())
			if err != nil {
				return false, err.Error()
			}
			if _, ctr, err := decodeDef(b, t.defPath()); err != nil || ctr.autoNext != rec.Next {
				return false, name + " has another AUTO_INCREMENT"
			}
		}
	}
	return true, ""
}

// viewIntentDoneLocked is intentDone of one view op (db.mu held).
func (db *DB) viewIntentDoneLocked(name string, rec *ddlRecord) (bool, string) {
	var v ViewDef
	if err := json.Unmarshal(rec.View, &v); err != nil {
		return false, "view does not decode"
	}
	cur := db.views[strings.ToLower(name)]
	switch rec.Op {
	case "create_view":
		if cur == nil || !viewsEqual(cur, &v) {
			return false, "view " + name + " is not as logged"
		}
	case "drop_view":
		if cur != nil {
			return false, "view " + name + " still exists"
		}
	case "rename_view":
		if cur != nil || db.views[strings.ToLower(rec.To)] == nil {
			return false, "view " + name + " is not renamed to " + rec.To
		}
	}
	return true, ""
}
