package engine

import (
	"fmt"
	"strings"
)

// AUTO_INCREMENT values and hidden row ids.
//
// Both counters live in memory (table.autoNext, table.rowNext) and are
// handed out under table.ctrMu. So that no value is handed out twice when
// the process dies, the definition file first reserves a range above them
// (auto_reserved, rowid_reserved; reserveLocked, reserveStep at a time); a
// clean close writes the exact counters (saveCounters).
//
// # After an unclean shutdown
//
// Hidden row ids resume at rowid_reserved: a gap there is invisible.
//
// An AUTO_INCREMENT counter of a CRASH_SAFE table resumes where InnoDB's
// would. MariaDB 10.2.4 and later (and MySQL 8.0) persist InnoDB's counter
// through the redo log with every insert, so after a crash it continues
// above every value of a durable insert, including rows deleted since and
// an explicit AUTO_INCREMENT = N, and hands out again only values of
// transactions that never committed. recoverAuto sets it to the largest of
//
//   - auto_next from the definition file: the counter as last written
//     exactly (at a clean close, AUTO_INCREMENT = N and other DDL, a
//     reservation, and each checkpoint; see saveAutoAtCheckpoint), which
//     covers every value committed before the last checkpoint, deleted or
//     not, and keeps AUTO_INCREMENT = N;
//   - one past the largest value of any insert the WAL replays (committed
//     after the last checkpoint), even if a later commit deleted it;
//   - one past the largest value in the table (a check: the two above
//     already cover every row).
//
// and not auto_reserved, which may be reserveStep (4096) above: that jump is
// what InnoDB does not make. Values above all three were never part of a
// commit. A checkpoint skips writing auto_next when the table's write lock
// is busy (see saveAutoAtCheckpoint), so a value inserted and deleted while
// a table stays busy across checkpoints may be handed out again after a
// crash; a value still in the table never is.
//
// A plain table keeps resuming at auto_reserved: it has no log of what was
// committed or deleted since auto_next was written, and a power cut may
// lose acknowledged rows, so recovery cannot tell a value never handed out
// from one that was, and it never repeats one. Neither does a crash-safe
// table whose data file had to be salvaged (rows may have been dropped), or
// whose definition file predates auto_next.

// nextAuto hands out the next AUTO_INCREMENT value, reserving a range in
// the definition file first so that no value is ever handed out twice.
func (t *table) nextAuto() (uint64, error) {
	t.ctrMu.Lock()
	defer t.ctrMu.Unlock()
	v := t.autoNext
	if err := t.reserveLocked(v+1, 0); err != nil {
		return 0, err
	}
	t.autoNext = v + 1
	return v, nil
}

// seenAuto records an explicit AUTO_INCREMENT value v.
func (t *table) seenAuto(v uint64) error {
	t.ctrMu.Lock()
	defer t.ctrMu.Unlock()
	if v < t.autoNext {
		return nil
	}
	if err := t.reserveLocked(v+1, 0); err != nil {
		return err
	}
	t.autoNext = v + 1
	return nil
}

func (t *table) nextRowID() (uint64, error) {
	t.ctrMu.Lock()
	defer t.ctrMu.Unlock()
	if t.rowNext == 0 {
		t.rowNext = 1
	}
	v := t.rowNext
	if err := t.reserveLocked(0, v+1); err != nil {
		return 0, err
	}
	t.rowNext = v + 1
	return v, nil
}

const reserveStep = 4096

// reserveLocked makes sure the persisted reservations cover auto and row
// (0 = no need). t.ctrMu must be held.
func (t *table) reserveLocked(auto, row uint64) error {
	if auto <= t.autoReserved && row <= t.rowReserved {
		return nil
	}
	na, nr := t.autoReserved, t.rowReserved
	if auto > na {
		na = auto + reserveStep
	}
	if row > nr {
		nr = row + reserveStep
	}
	if err := t.writeDef(t.definition(), t.autoNext, na, nr); err != nil {
		return err
	}
	t.autoReserved, t.rowReserved = na, nr
	return nil
}

// saveCounters writes the exact counters at a clean close (no gap after a
// clean restart).
func (t *table) saveCounters(exact bool) error {
	t.ctrMu.Lock()
	defer t.ctrMu.Unlock()
	a, r := t.autoReserved, t.rowReserved
	if exact {
		a, r = t.autoNext, t.rowNext
	}
	if a == t.autoReserved && r == t.rowReserved && t.autoSaved == t.autoNext {
		return nil
	}
	if err := t.writeDef(t.definition(), t.autoNext, a, r); err != nil {
		return err
	}
	t.autoReserved, t.rowReserved = a, r
	return nil
}

// autoColumn returns the position of d's AUTO_INCREMENT column, or -1.
func autoColumn(d *TableDef) int {
	for i := range d.Columns {
		if d.Columns[i].AutoIncrement {
			return i
		}
	}
	return -1
}

// autoValue returns the positive AUTO_INCREMENT value v holds (0 for
// none, zero or negative).
func autoValue(v any) uint64 {
	switch x := v.(type) {
	case int64:
		if x > 0 {
			return uint64(x)
		}
	case uint64:
		return x
	}
	return 0
}

// noteReplayedAuto records, while the WAL is replayed at open, the
// AUTO_INCREMENT value of a row a committed transaction put (see "After
// an unclean shutdown"). A row that does not decode is left to the
// table's scan in recoverAuto, which reports it.
func (t *table) noteReplayedAuto(row []byte) {
	col := autoColumn(t.def)
	if col < 0 {
		return
	}
	r, err := decodeRow(row, t.def)
	if err != nil {
		return
	}
	if v := autoValue(r[col]); v != 0 && v+1 > t.walAuto {
		t.walAuto = v + 1
	}
}

// recoverAuto sets the AUTO_INCREMENT counter of a crash-safe table after
// an unclean shutdown, once the WAL is replayed into its overlay (see
// "After an unclean shutdown"). No transaction may write t meanwhile (it
// runs at open, or under REPAIR's lock).
func (t *table) recoverAuto() error {
	t.autoRecover = false
	def := t.definition()
	col := autoColumn(def)
	if col < 0 || t.autoSaved == 0 {
		return nil
	}
	next := max(t.autoSaved, t.walAuto, 1)
	err := t.scanMerged(func(k, v []byte) error {
		r, err := decodeRow(v, def)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", k, def.Name, err))
		}
		if u := autoValue(r[col]); u != 0 && u+1 > next {
			next = u + 1
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.ctrMu.Lock()
	defer t.ctrMu.Unlock()
	if next < t.autoNext {
		t.db.log.Info("AUTO_INCREMENT resumes after the last committed value", "table", def.Name,
			"next", next, "reserved", t.autoReserved)
	}
	// next is at most autoReserved, unless the table holds a value the
	// reservation missed; nextAuto reserves above it then.
	t.autoNext = next
	t.walAuto = 0
	return nil
}

// saveAutoAtCheckpoint writes t's AUTO_INCREMENT counter into its
// definition file as auto_next if it moved since last written, so that the
// values of the commits a checkpoint takes out of the WAL are not handed
// out again after a crash, rows deleted since included. It runs in a
// checkpoint, before the WAL is cut. Definition-file writers hold the
// table's write lock (DDL, a transaction's reservation): it takes the lock
// only if it is free, and otherwise does nothing (the next checkpoint
// tries again; recovery still never repeats a value in the table). A
// failed write is logged, not returned: the checkpoint is still good.
func (t *table) saveAutoAtCheckpoint() {
	if autoColumn(t.definition()) < 0 {
		return
	}
	select {
	case t.wlock <- struct{}{}:
	default:
		return
	}
	defer release(t)
	// A table dropped or closed since the checkpoint listed it keeps no
	// definition file to write.
	t.mu.RLock()
	open, def := t.df != nil, t.def
	t.mu.RUnlock()
	t.db.mu.RLock()
	current := t.db.tables[strings.ToLower(def.Name)] == t
	t.db.mu.RUnlock()
	if !open || !current {
		return
	}
	t.ctrMu.Lock()
	defer t.ctrMu.Unlock()
	if t.autoNext == t.autoSaved {
		return
	}
	if err := t.writeDef(def, t.autoNext, t.autoReserved, t.rowReserved); err != nil {
		t.db.log.Warn("could not save the AUTO_INCREMENT counter at a checkpoint", "table", def.Name, "err", err)
	}
}
