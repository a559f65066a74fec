package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/keyenc"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Check verifies a table: every record checksum, the chain structure and
// record count of the data file, and that each index holds exactly the
// entries the rows imply, both ways. Writers of the table wait while it
// runs.
func (db *DB) Check(ctx context.Context, name string) (CheckReport, error) {
	t, err := db.table(name)
	if err != nil {
		return CheckReport{}, err
	}
	if err := acquire(ctx, t, nil); err != nil {
		return CheckReport{}, err
	}
	defer release(t)
	db.ckptMu.Lock()
	defer db.ckptMu.Unlock()
	var rep CheckReport
	t.mu.RLock()
	crashed, access, df, idx, def := t.crashed, t.access, t.df, t.idx, t.def
	t.mu.RUnlock()
	if access {
		rep.Problems = append(rep.Problems, "data file cannot be used: "+crashed)
		return rep, nil
	}
	if crashed != "" {
		rep.Problems = append(rep.Problems, "table is marked as crashed: "+crashed)
	}
	if df == nil {
		// A crashed table's file was left open by a process that died: its
		// header, bucket chains and record count are stale, which is what
		// REPAIR TABLE rebuilds and not damage. VerifyCrashed tells the two
		// apart and lists only damage (a file closed cleanly gets the full
		// check).
		vr, err := datafile.VerifyCrashedContext(ctx, t.dataPath(), datafile.Options{FS: db.fs, NoLock: true, ReadOnly: true})
		if err != nil && ctx.Err() != nil {
			return CheckReport{}, interrupted(ctx, err)
		}
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("data file: %v", err))
		}
		if vr.Unclean && !vr.Damaged {
			rep.Problems = append(rep.Problems, fmt.Sprintf("data file: not closed cleanly, no damage found (%d records): REPAIR TABLE brings it back", vr.Records))
		}
		if vr.LostTail > 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("data file: %d bytes of a write cut short at the end (REPAIR TABLE drops them)", vr.LostTail))
		}
		for _, p := range vr.Problems {
			if vr.Unclean && strings.HasPrefix(p, "open flag set") {
				continue // said above
			}
			rep.Problems = append(rep.Problems, "data file: "+p)
		}
		return rep, nil
	}
	if err := df.Sync(); err != nil { // the header on disk carries the record count
		return rep, err
	}
	vr, err := datafile.VerifyContext(ctx, t.dataPath(), datafile.Options{FS: db.fs, NoLock: true, ReadOnly: true})
	if err != nil && ctx.Err() != nil {
		return CheckReport{}, interrupted(ctx, err) // says nothing of the table
	}
	if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("data file: %v", err))
	}
	for _, p := range vr.Problems {
		if vr.Flags&datafile.FlagOpen != 0 && strings.HasPrefix(p, "open flag set") {
			continue // set by this database, which has the file open
		}
		rep.Problems = append(rep.Problems, "data file: "+p)
	}
	expected := make([]int64, len(def.Indexes))
	missing := make([]int64, len(def.Indexes))
	bad, n := 0, 0
	err = t.scanMergedCtx(ctx, func(k, v []byte) error {
		if n++; n%checkEvery == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		r, err := decodeRow(v, def)
		if err != nil {
			bad++
			if bad <= 10 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("row %x does not decode: %v", k, err))
			}
			return nil
		}
		for i := range def.Indexes {
			if i >= len(idx) || idx[i] == nil {
				continue
			}
			cols := encodeCols(nil, def, r, t.ixPos[i])
			expected[i]++
			found, err := idx[i].Has(cols, k)
			if err != nil {
				return err
			}
			if !found {
				missing[i]++
			}
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return CheckReport{}, interrupted(ctx, err) // says nothing of the table
	} else if err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("scan: %v", err))
	}
	for i, ixd := range def.Indexes {
		if i >= len(idx) || idx[i] == nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("index %s is not open", ixd.Name))
			continue
		}
		if missing[i] > 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("index %s lacks %d entries the rows imply", ixd.Name, missing[i]))
		}
		n, err := idx[i].Count(index.Bound{Unbounded: true}, index.Bound{Unbounded: true})
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("index %s: %v", ixd.Name, err))
		} else if n != expected[i]-missing[i] {
			rep.Problems = append(rep.Problems, fmt.Sprintf("index %s holds %d entries, the rows imply %d", ixd.Name, n, expected[i]))
		}
	}
	rep.OK = len(rep.Problems) == 0
	if def.LegacyKeys && def.hasPaddedTextKey() {
		rep.Notes = append(rep.Notes, fmt.Sprintf("keys of key format 1: 'a' and 'a ' are distinct keys of its utf8mb4_bin text columns; "+
			"ALTER TABLE `%s` FORCE rebuilds them as MariaDB compares ('a' = 'a ')", def.Name))
	}
	return rep, nil
}

// Repair does for one table what auto-recovery does at open: verify the
// data file and salvage it if damaged (keeping the original), replay the
// WAL it still needs, and rebuild every index. quick rebuilds the indexes
// only.
func (db *DB) Repair(ctx context.Context, name string, quick bool) (RepairReport, error) {
	t, err := db.table(name)
	if err != nil {
		db.mu.RLock()
		d, ok := db.broken[strings.ToLower(name)].(*damagedDef)
		db.mu.RUnlock()
		if ok {
			return RepairReport{}, sqlerr.Wrap(sqlerr.ErrCrashedTable, d,
				"Table '%s' cannot be repaired: %s. REPAIR rebuilds data and index files from the rows, never a definition: restore %s%s from a backup and reopen the database, or DROP TABLE %s",
				name, d.reason(), d.name, defSuffix, name)
		}
		return RepairReport{}, err
	}
	if err := acquire(ctx, t, nil); err != nil {
		return RepairReport{}, err
	}
	defer release(t)
	if err := dataFileAccess(db.fs, t.dataPath()); err != nil {
		// Refused before anything is closed: REPAIR cannot read such a
		// file, let alone mend it, and the table stays as it is.
		return RepairReport{}, t.accessErr(err.Error())
	}
	var rep RepairReport
	db.ckptMu.Lock()
	t.mu.RLock()
	crashed, df := t.crashed, t.df
	t.mu.RUnlock()
	if quick && df != nil {
		db.ckptMu.Unlock()
		if err := t.rebuildIndexes(ctx); err != nil {
			return rep, err
		}
		rep.Actions = append(rep.Actions, "indexes rebuilt")
		return rep, nil
	}
	if err := t.closeFiles(false); err != nil {
		db.log.Warn("closing before repair", "table", name, "err", err)
	}
	var salvaged string
	if _, err := db.fs.Stat(t.dataPath()); isNotExist(err) {
		t.autoRecover = false // the rows are gone: keep the reservation
		rep.Actions = append(rep.Actions, "data file was missing: the table starts empty")
		rep.Warnings = append(rep.Warnings, "data file was missing: the table starts empty")
	} else if salvaged, err = t.verifyAndSalvage(ctx); err != nil {
		// The data file is as it was (a salvage writes a new file and
		// replaces the old one only once it is complete), but the indexes
		// were closed unstamped above.
		why := "REPAIR TABLE failed before its data file was replaced (%v): run it again"
		if ctx.Err() != nil {
			why = "REPAIR TABLE was interrupted before its data file was replaced (%v): run it again"
		}
		t.repairStopped(df != nil, why, err)
		db.ckptMu.Unlock()
		if ctx.Err() != nil {
			return rep, interrupted(ctx, err)
		}
		return rep, fmt.Errorf("blitz/engine: salvage %s: %w", name, err)
	}
	if salvaged != "" {
		t.autoRecover = false // rows may be gone: keep the reservation
		rep.Actions = append(rep.Actions, salvaged)
		rep.Warnings = append(rep.Warnings, salvaged)
	}
	ndf, err := datafile.Open(t.dataPath(), t.dfOptions())
	if err != nil {
		t.repairStopped(df != nil, "REPAIR TABLE could not open the data file (%v)", err)
		db.ckptMu.Unlock()
		return rep, fmt.Errorf("blitz/engine: open %s: %w", t.dataPath(), err)
	}
	if off := ndf.DamagedHeaderSlot(); off >= 0 {
		rep.Actions = append(rep.Actions, fmt.Sprintf("data file header slot at offset %d rewritten", off))
	}
	t.mu.Lock()
	t.df = ndf
	t.invalidateKeyBoundsLocked()
	replayed := len(t.pendingReplay)
	for _, p := range t.pendingReplay {
		t.overlay[p.key] = p.e
	}
	t.pendingReplay = nil
	wasDeferred := t.deferredReplay
	t.deferredReplay = false
	t.mu.Unlock()
	if wasDeferred {
		db.mu.Lock()
		db.deferred--
		db.mu.Unlock()
	}
	if replayed > 0 {
		rep.Actions = append(rep.Actions, fmt.Sprintf("%d WAL operations replayed", replayed))
	}
	db.ckptMu.Unlock()
	if err := t.rebuildIndexes(ctx); err != nil {
		// The old index files were closed unstamped above: an interrupted
		// rebuild (KILL QUERY, a shutdown) leaves the table without
		// indexes, marked crashed until REPAIR runs again, as MariaDB
		// leaves a MyISAM table whose repair was killed. REPAIR ... QUICK
		// keeps the old indexes instead.
		why := "index rebuild failed: %v"
		if sqlerr.Code(err) == sqlerr.ErrQueryInterrupted {
			why = "REPAIR TABLE was interrupted before the indexes were rebuilt (%v): run it again"
		}
		t.setCrashed(fmt.Sprintf(why, err))
		return rep, err
	}
	rep.Actions = append(rep.Actions, "indexes rebuilt")
	if t.autoRecover {
		if err := t.recoverAuto(); err != nil {
			t.setCrashed(fmt.Sprintf("AUTO_INCREMENT recovery failed: %v", err))
			return rep, err
		}
	}
	t.setCrashed("")
	if crashed != "" {
		db.log.Info("table repaired", "table", name, "was", crashed, "actions", strings.Join(rep.Actions, "; "))
	}
	return rep, db.checkpoint()
}

// repairStopped leaves a table whose REPAIR stopped (interrupted, or its
// salvage failed) after its files were closed and before its data file
// was replaced: crashed, so that REPAIR runs again, and never worse off
// than before. A data file that was open before (wasOpen) is reopened as
// it is, so that the table's committed changes still reach it at the next
// checkpoint; one that was not stays closed, as REPAIR found it. If the
// reopen fails, a crash-safe table's changes not yet in the file are kept
// for the next REPAIR to replay, and the WAL that holds them with them (as
// for a table found crashed at open). The caller holds db.ckptMu.
func (t *table) repairStopped(wasOpen bool, why string, err error) {
	var df *datafile.File
	if wasOpen {
		var oerr error
		if df, oerr = datafile.Open(t.dataPath(), t.dfOptions()); oerr != nil {
			t.db.log.Error("reopening the data file after a stopped REPAIR", "table", t.name, "err", oerr)
			df = nil
		}
	}
	t.mu.Lock()
	t.df = df
	t.crashed = fmt.Sprintf(why, err)
	deferred := df == nil && t.def.CrashSafe && !t.deferredReplay
	if deferred {
		for k, e := range t.frozen {
			t.pendingReplay = append(t.pendingReplay, pendingOp{key: k, e: e})
		}
		for k, e := range t.overlay {
			t.pendingReplay = append(t.pendingReplay, pendingOp{key: k, e: e})
		}
		t.frozen, t.overlay = nil, map[string]ovEntry{}
		t.deferredReplay, t.autoRecover = true, true
	}
	t.mu.Unlock()
	if deferred {
		t.db.mu.Lock()
		t.db.deferred++
		t.db.mu.Unlock()
	}
}

// decodeShow renders an encoded tuple as MySQL's duplicate message does.
func decodeShow(b []byte) (string, error) {
	vs, err := keyenc.DecodeAll(b)
	if err != nil {
		return fmt.Sprintf("%x", b), err
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = keyText(v)
	}
	return strings.Join(parts, "-"), nil
}

// keyText renders one decoded key element.
func keyText(v keyenc.Value) string {
	switch v.Kind {
	case keyenc.KindNull:
		return "NULL"
	case keyenc.KindInt:
		return fmt.Sprint(v.I)
	case keyenc.KindUint:
		return fmt.Sprint(v.U)
	case keyenc.KindFloat:
		return fmt.Sprint(v.F)
	case keyenc.KindDecimal:
		return v.D.String()
	}
	return string(v.B)
}
