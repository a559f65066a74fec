package engine

import (
	"fmt"
	"sort"
	"strings"
)

// WAL records of dropped tables.
//
// The WAL names each operation's table. A crash-safe table dropped while
// its records are still in the WAL (a crashed crash-safe table awaiting
// REPAIR keeps every checkpoint from running, so the WAL keeps everything)
// leaves those records behind: harmless while no table has the name (the
// replay at open skips them), but a new table of that name would take them
// at the next open and bring the dropped rows back. So such names are
// orphans until a checkpoint covers their records: CREATE TABLE and RENAME
// TABLE to an orphan name first try a checkpoint, and are refused, saying
// which crashed tables hold the WAL, if it cannot run. The set is rebuilt
// at open from the records the replay found no table for.

// noteWALOrphan records that the WAL may hold records of the dropped table
// name.
func (db *DB) noteWALOrphan(name string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.noteWALOrphanLocked(name)
}

func (db *DB) noteWALOrphanLocked(name string) {
	if db.walOrphans == nil {
		db.walOrphans = map[string]bool{}
	}
	db.walOrphans[strings.ToLower(name)] = true
}

// walOrphanSnapshot returns the orphan names now: a checkpoint that begins
// after this call covers every record they have (their tables are gone, so
// no commit writes them any more).
func (db *DB) walOrphanSnapshot() []string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]string, 0, len(db.walOrphans))
	for n := range db.walOrphans {
		out = append(out, n)
	}
	return out
}

// forgetWALOrphans drops names from the orphan set once a checkpoint has
// covered their records.
func (db *DB) forgetWALOrphans(names []string) {
	if len(names) == 0 {
		return
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, n := range names {
		delete(db.walOrphans, n)
	}
}

// claimName checks that a table may take name (CREATE TABLE, RENAME TABLE
// ... TO name): if the WAL still holds records of a dropped table of that
// name, a checkpoint is tried first, and the name is refused if records
// remain.
func (db *DB) claimName(name string) error {
	db.mu.RLock()
	orphan := db.walOrphans[strings.ToLower(name)]
	db.mu.RUnlock()
	if !orphan {
		return nil
	}
	if err := db.checkpoint(); err != nil {
		return fmt.Errorf("blitz/engine: table name %s: the WAL still holds rows of a dropped table of that name, and the checkpoint that would clear them failed: %w", name, err)
	}
	db.mu.RLock()
	orphan = db.walOrphans[strings.ToLower(name)]
	db.mu.RUnlock()
	if !orphan {
		return nil
	}
	return fmt.Errorf("blitz/engine: table name %s cannot be used yet: the WAL still holds rows of the dropped table %s, and the crashed crash-safe tables %s keep it from being checkpointed: REPAIR TABLE or DROP TABLE them first",
		name, name, strings.Join(db.deferredNames(), ", "))
}

// deferredNames returns the crash-safe tables awaiting REPAIR, and the
// tables with a damaged definition whose changes the WAL keeps
// (keepWALForDamaged), sorted: the tables that keep checkpoints from
// running.
func (db *DB) deferredNames() []string {
	var out []string
	for _, t := range db.sortedTables() {
		t.mu.RLock()
		d := t.deferredReplay
		t.mu.RUnlock()
		if d {
			out = append(out, t.definition().Name)
		}
	}
	db.mu.RLock()
	for _, err := range db.broken {
		if d, ok := err.(*damagedDef); ok && d.walOps > 0 {
			out = append(out, d.name)
		}
	}
	db.mu.RUnlock()
	sort.Strings(out)
	return out
}

// walHoldsRows refuses a change of t's name (what) while committed rows of
// t live only in the WAL, under its old name, and a crashed crash-safe
// table keeps the checkpoint that would write them into the data file
// from running: a crash would then replay them into no table. t is
// locked for DDL (lockForDDL has tried the checkpoint).
func (db *DB) walHoldsRows(t *table, what string) error {
	t.mu.RLock()
	pending := len(t.overlay) + len(t.frozen)
	t.mu.RUnlock()
	if pending == 0 || db.deferredCount() == 0 {
		return nil
	}
	name := t.definition().Name
	return fmt.Errorf("blitz/engine: cannot %s %s yet: %d of its committed changes are only in the WAL, and the crashed crash-safe tables %s keep it from being checkpointed: REPAIR TABLE or DROP TABLE them first",
		what, name, pending, strings.Join(db.deferredNames(), ", "))
}
