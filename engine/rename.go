package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// RENAME TABLE moves three kinds of file (the definition, the data file,
// the index files) of one or more tables, which no single rename covers,
// so it writes its intent first, and the next open finishes a rename a
// crash cut short:
//
//	DIR/RENAME.pending   the statement's intent, written atomically (temp
//	                     file, fsync, rename, fsync of the directory),
//	                     removed when every file is in place
//
// # Format version 3 (written for RENAME TABLE)
//
//	{"version": 3,
//	 "pairs": [{"from": "a", "to": "tmp"}, {"from": "b", "to": "a"},
//	           {"from": "tmp", "to": "b"}],
//	 "moves": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}],
//	 "keys":  [{"table": "c", "foreign_keys": [<.def "foreign_keys" entries>]}],
//	 "phase": 1}
//
// "pairs" is the statement as written (RENAME TABLE a TO tmp, b TO a, tmp
// TO b); "moves" is what it does to the tables that exist before it: each
// table's name before and after the whole statement (a name used only in
// between, tmp here, appears in no move; a table renamed back to its own
// name is no move). The intent is the commit point: once it is on disk
// the statement takes effect, wholly, whatever happens next; before it,
// nothing was moved. The files then move in two phases, so that a swap
// never finds a name taken: in phase 1 the files of move i go from its
// "from" name to the staging name ".rename-<i>" (no table name starts with
// a dot); the intent is then rewritten with "phase": 2 (atomically); in
// phase 2 they go from the staging name to the "to" name, the definition
// last, written anew under its new name (its content names the table).
// Every step moves a file only if its source exists, so a crash anywhere
// is finished by running the current phase again from the start (the
// open after the crash does it, before any definition is read). Before
// writing the intent, RENAME removes the data files named for a new name
// that no definition names (a CREATE TABLE cut short), so that at
// completion a data file of a "to" name is always the renamed one.
//
// "keys" (version 3; absent when nothing changes) carries the foreign keys
// the statement changes (renameKeys): for each table whose keys reference
// a renamed table or carry a generated name (a_ibfk_<n>) of one, by its
// name after the statement, its whole list of keys as the statement
// leaves it. Phase 2 writes a moved table's list into its new definition
// with its new name, and then, for the tables that do not move, puts the
// list into the definition file (read, keys replaced, written atomically;
// a definition that already has them is left alone). So the references
// follow the rename in the same all-or-nothing step, and running phase 2
// again changes nothing twice.
//
// # Format version 4: ALTER TABLE ... RENAME TO (AlterColumnsRenamed)
//
// Written only with "altered" (else version 3): version 3 with, for an ALTER TABLE that renames its table along with
// other changes (one move),
//
//	"altered": {"from": "a", "rebuilt": true}          the rows rewritten
//	"altered": {"from": "a", "def": {<a .def file>}}   the definition alone
//
// so that the intent commits the ALTER with the rename. With "rebuilt",
// the rebuild files of the table (a.bdf.rebuild, a.def.rebuild: alter.go)
// are complete when the intent is written, and the intent is their commit
// point, before the rebuild's own (the rename of a.bdf.rebuild): phase 1
// first puts them in place (a.bdf.rebuild over a.bdf, then a.def.rebuild
// over a.def, each only if it is still there; finishRename runs before
// finishRebuilds). With "def", phase 2 writes that definition (under the
// new name, with the staged definition's counters) instead of the staged
// one. Either way a crash leaves the table as it was under its old name,
// or altered under its new one. The update-log frame holds the
// rename_table op and then the alter_columns op, under the new name.
//
// # Format version 5: an ALTER TABLE whose step reaches other tables
//
// Version 4 with, in "altered", two things version 4 has not, and
// written only when the intent holds one of them (else version 4 or 3,
// so that an older build still reads what it can; it refuses a version-5
// intent by its number):
//
//   - no move ("pairs" and "moves" empty): an ALTER that keeps its
//     table's name but changes other tables' definitions in its step: the
//     foreign keys of other tables that reference a column the ALTER
//     renames follow it (DB.Alter; their lists are in "keys"). Phase 1
//     puts a rebuild in place as above; phase 2 writes "def", if any,
//     over the table's definition (keeping its counters), then "keys";
//   - "auto_increment": N, the AUTO_INCREMENT counter the definition
//     "def" gets (ALTER TABLE ... RENAME TO, AUTO_INCREMENT = N; a
//     rebuilt table's definition file already has it).
//
// For example:
//
//	{"version": 5, "keys": [{"table": "c", "foreign_keys": [...]}],
//	 "altered": {"from": "p", "def": {<p .def file>}}, "phase": 1}
//	{"version": 5, "pairs": [{"from": "t", "to": "t2"}], "moves": [...],
//	 "altered": {"from": "t", "def": {...}, "auto_increment": 10000}, "phase": 1}
//
// The update-log frame holds the alter_columns op (after the rename_table
// op, if any), then the auto_increment op; the replay of alter_columns
// makes the other tables' keys follow again, as the ALTER did.
//
// # Format version 2 (read only)
//
// Version 3 without "keys": a statement whose references the SQL layer
// followed afterwards, one table at a time.
//
// With an update log, the intent is also what tells the open that the
// statement took effect (its frame, in ULOG.pending, is then appended:
// ulogintent.go), so the open removes it only after the update log is
// settled, and the live statement only after its frame is synced.
//
// # Format version 1 (read only)
//
//	{"version": 1, "from": "a", "to": "b"}
//
// one pair, written before anything moved; the new definition (b.def) was
// the commit point. At open: without b.def nothing moved and the intent is
// dropped; with b.def the rename is completed (a.bdf becomes b.bdf, a's
// index files become b's, a.def goes).
const renameIntentName = "RENAME.pending"

// renameIntentVersion is the version of the RENAME.pending format written.
const renameIntentVersion = 5

// renameStagePrefix starts the staging name of a table in phase 1 of a
// rename: no table name starts with a dot (TableDef.validate).
const renameStagePrefix = ".rename-"

// RenamePair is one "From TO To" of a RENAME TABLE statement.
type RenamePair struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type renameIntent struct {
	Version int            `json:"version"`
	Pairs   []RenamePair   `json:"pairs,omitempty"`   // version 2
	Moves   []RenamePair   `json:"moves,omitempty"`   // version 2
	Keys    []renameKeys   `json:"keys,omitempty"`    // version 3
	Altered *renameAltered `json:"altered,omitempty"` // version 4
	Phase   int            `json:"phase,omitempty"`   // version 2
	From    string         `json:"from,omitempty"`    // version 1
	To      string         `json:"to,omitempty"`      // version 1
}

// renameAltered is the "altered" entry of a version-4 intent: the ALTER
// TABLE the rename is part of (AlterColumnsRenamed).
type renameAltered struct {
	From    string          `json:"from"`              // the table's name before the statement
	Rebuilt bool            `json:"rebuilt,omitempty"` // its rebuild files are committed with the rename
	Def     json.RawMessage `json:"def,omitempty"`     // its new definition (a .def file), when the rows stay
	// AutoIncrement (version 5) is the AUTO_INCREMENT counter the
	// definition "def" gets, 0 for none.
	AutoIncrement uint64 `json:"auto_increment,omitempty"`
}

// counters returns ctr, the counters of the definition a replaces, with
// the AUTO_INCREMENT counter a sets (as AlterColumnsAuto sets it). It is
// idempotent: phase 2 may run again.
func (a *renameAltered) counters(ctr defCounters) defCounters {
	if a.AutoIncrement != 0 {
		ctr.autoNext = a.AutoIncrement
		if ctr.autoNext > ctr.autoRes {
			ctr.autoRes = ctr.autoNext + reserveStep
		}
	}
	return ctr
}

// renameAlter is the ALTER TABLE a DB.Alter makes in the step of its
// RENAME TO, or of the other tables' foreign keys that follow its renamed
// columns.
type renameAlter struct {
	name  string    // the table altered, by its name before the statement
	nd    *TableDef // the new definition, under the old name
	from  []int
	zone  time.Duration
	next  *uint64 // AlterOptions.AutoIncrement: set to the counter the change sets (0: none)
	force bool    // AlterOptions.Rebuild
}

// renameKeys is one table's foreign keys as a RENAME TABLE leaves them:
// Table is its name after the statement.
type renameKeys struct {
	Table       string  `json:"table"`
	ForeignKeys []defFK `json:"foreign_keys"`
}

// keysFor returns the keys in.Keys holds for table name.
func (in *renameIntent) keysFor(name string) ([]ForeignKeyDef, bool, error) {
	for _, k := range in.Keys {
		if k.Table != name {
			continue
		}
		fks := make([]ForeignKeyDef, 0, len(k.ForeignKeys))
		for _, f := range k.ForeignKeys {
			fk, err := fromDefFK(f, renameIntentName)
			if err != nil {
				return nil, false, err
			}
			fks = append(fks, fk)
		}
		return fks, true, nil
	}
	return nil, false, nil
}

// followRename returns the foreign keys of each table of ts (keyed by
// table; only those that change) as RENAME TABLE pairs leave them,
// following the pairs in order as MariaDB does: a key referencing a
// pair's From references its To, and a key of the table the pair moves
// (srcs[i]) named From_ibfk_<n> is named To_ibfk_<n>. It also returns,
// for each pair, the keys of the table it moves right after it.
func followRename(ts []*table, pairs []RenamePair, srcs []*table) (map[*table][]ForeignKeyDef, [][]ForeignKeyDef) {
	cur := make(map[*table][]ForeignKeyDef, len(ts))
	for _, t := range ts {
		cur[t] = t.definition().ForeignKeys
	}
	changed := map[*table][]ForeignKeyDef{}
	edit := func(t *table) []ForeignKeyDef {
		if fks, ok := changed[t]; ok {
			return fks
		}
		fks := make([]ForeignKeyDef, len(cur[t]))
		for i, fk := range cur[t] {
			fks[i] = fk.clone()
		}
		changed[t], cur[t] = fks, fks
		return fks
	}
	after := make([][]ForeignKeyDef, len(pairs))
	for i, p := range pairs {
		gen := strings.ToLower(p.From) + generatedFKInfix
		for _, t := range ts {
			for j, fk := range cur[t] {
				if strings.EqualFold(fk.RefTable, p.From) {
					edit(t)[j].RefTable = p.To
				}
				if t != srcs[i] {
					continue
				}
				if rest, ok := strings.CutPrefix(strings.ToLower(fk.Name), gen); ok && allDigits(rest) {
					edit(t)[j].Name = p.To + generatedFKInfix + rest
				}
			}
		}
		after[i] = cur[srcs[i]]
	}
	for t, fks := range changed {
		if sameKeys(t.definition().ForeignKeys, fks) {
			delete(changed, t)
		}
	}
	return changed, after
}

// followOwnKeys returns the foreign keys fks of the table pair p moves as
// the rename leaves them (followRename): a key referencing the table
// itself references its new name, and a generated name From_ibfk_<n>
// becomes To_ibfk_<n>.
func followOwnKeys(fks []ForeignKeyDef, p RenamePair) []ForeignKeyDef {
	gen := strings.ToLower(p.From) + generatedFKInfix
	out := make([]ForeignKeyDef, len(fks))
	for i, fk := range fks {
		out[i] = fk.clone()
		if strings.EqualFold(fk.RefTable, p.From) {
			out[i].RefTable = p.To
		}
		if rest, ok := strings.CutPrefix(strings.ToLower(fk.Name), gen); ok && allDigits(rest) {
			out[i].Name = p.To + generatedFKInfix + rest
		}
	}
	return out
}

// sameKeys reports whether a and b are the same keys, names and all.
func sameKeys(a, b []ForeignKeyDef) bool {
	return slices.EqualFunc(a, b, func(x, y ForeignKeyDef) bool {
		return x.Name == y.Name && x.RefTable == y.RefTable && x.OnDelete == y.OnDelete && x.OnUpdate == y.OnUpdate &&
			slices.Equal(x.Columns, y.Columns) && slices.Equal(x.RefColumns, y.RefColumns)
	})
}

// allDigits reports whether s is a non-empty run of decimal digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (db *DB) writeRenameIntent(in *renameIntent) error {
	switch {
	case in.Altered == nil:
		in.Version = 3 // what a build before version 4 reads too
	case len(in.Moves) == 0 || in.Altered.AutoIncrement != 0:
		in.Version = renameIntentVersion
	default:
		in.Version = 4
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	path := filepath.Join(db.dir, renameIntentName)
	if err := vfs.WriteFileAtomic(db.fs, path, b); err != nil {
		return fmt.Errorf("blitz/engine: write %s: %w", path, err)
	}
	return nil
}

func (db *DB) removeRenameIntent() error {
	if err := db.fs.Remove(filepath.Join(db.dir, renameIntentName)); err != nil && !isNotExist(err) {
		return fmt.Errorf("blitz/engine: remove %s: %w", renameIntentName, err)
	}
	return db.fs.SyncDir(db.dir)
}

// RenameTables runs one RENAME TABLE statement: the pairs in order, each
// renaming a table (From) to a name (To) that is free at that point of
// the statement (so RENAME TABLE a TO tmp, b TO a, tmp TO b swaps a and
// b). It is one operation: it takes effect wholly or, if it fails or a
// crash cuts it short before its commit point, not at all (see the top of
// the file). A missing table is error 1146, a name taken 1050; nothing is
// renamed then. Names are compared without case, but a pair may rename a
// table to another case of its name (gt TO GT): its files are renamed as
// for any other name, through the staging names; its own spelling is
// 1050. A single pair may rename a view; a view in a list of several
// pairs is refused (rename it on its own).
func (db *DB) RenameTables(ctx context.Context, pairs []RenamePair) error {
	return db.renameTables(ctx, pairs, nil)
}

// AlterColumnsRenamed is AlterColumnsInZone(ctx, name, newDef, from, zone)
// and RenameTable(ctx, name, newName) in one step (ALTER TABLE name ...,
// RENAME TO newName): Alter with AlterOptions.RenameTo.
func (db *DB) AlterColumnsRenamed(ctx context.Context, name, newName string, newDef *TableDef, from []int, zone time.Duration) error {
	return db.Alter(ctx, name, newDef, from, AlterOptions{Zone: zone, RenameTo: newName})
}

// renameTables is RenameTables, and with alt (one pair, of a table, or
// none) the ALTER of DB.Alter.
func (db *DB) renameTables(ctx context.Context, pairs []RenamePair, alt *renameAlter) error {
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	return db.renameTablesLocked(ctx, pairs, alt)
}

// renameTablesLocked is renameTables with db.ddlMu held.
func (db *DB) renameTablesLocked(ctx context.Context, pairs []RenamePair, alt *renameAlter) error {
	if len(pairs) == 0 && alt == nil {
		return nil
	}
	db.mu.RLock()
	for _, p := range pairs {
		if v := db.views[strings.ToLower(p.From)]; v != nil {
			taken := db.nameTakenLocked(p.To)
			if strings.EqualFold(p.To, v.Name) && p.To != v.Name {
				taken = nil // the view itself, spelled anew (as a table's name)
			}
			db.mu.RUnlock()
			if alt != nil {
				return sqlerr.New(sqlerr.ErrWrongObject, "'%s.%s' is not of type 'BASE TABLE'", db.name(), p.From)
			}
			if len(pairs) > 1 {
				return sqlerr.New(sqlerr.ErrNotSupported, "This version of MySQL doesn't yet support 'RENAME TABLE of a view together with other tables'")
			}
			if taken != nil {
				return taken
			}
			return db.renameViewLocked(v, p.To)
		}
	}
	db.mu.RUnlock()

	// Run the statement on the names alone: which table each name holds
	// after each pair (nil: free), starting from the database's.
	names := map[string]*table{}
	lookup := func(name string) (*table, bool, error) {
		k := strings.ToLower(name)
		if t, ok := names[k]; ok {
			return t, true, nil
		}
		db.mu.RLock()
		err := db.nameTakenLocked(name)
		db.mu.RUnlock()
		if err == nil {
			return nil, false, nil
		}
		t, err := db.table(name)
		if err != nil {
			return nil, false, err // crashed (1194) or a view
		}
		return t, false, nil
	}
	var order []*table
	final := map[*table]string{}
	srcs := make([]*table, 0, len(pairs)) // the table each pair moves
	// spelledAs is t's name at this point of the statement.
	spelledAs := func(t *table) string {
		if n, ok := final[t]; ok {
			return n
		}
		return t.definition().Name
	}
	for _, p := range pairs {
		src, _, err := lookup(p.From)
		if err != nil {
			return err
		}
		if src == nil {
			return sqlerr.New(sqlerr.ErrNoSuchTable, "Table '%s.%s' doesn't exist", db.name(), p.From)
		}
		if _, freed := names[strings.ToLower(p.To)]; !freed {
			if err := db.orphanInTheWay("rename", p.From, p.To); err != nil { // orphan.go
				return err
			}
		}
		// A name is taken whatever its case, except by the table itself
		// under another case of its name: RENAME TABLE gt TO GT changes
		// how the name is spelled (its files are renamed as for any other
		// name), as MariaDB renames on a case-sensitive filesystem.
		if dst, _, err := lookup(p.To); err != nil || dst != nil && (dst != src || p.To == spelledAs(src)) {
			return sqlerr.New(sqlerr.ErrTableExists, "Table '%s' already exists", p.To)
		}
		names[strings.ToLower(p.From)] = nil
		names[strings.ToLower(p.To)] = src
		srcs = append(srcs, src)
		if _, ok := final[src]; !ok {
			order = append(order, src)
		}
		final[src] = p.To
	}
	type move struct {
		t       *table
		old, nd *TableDef
	}
	var moves []move
	for _, t := range order {
		old := t.definition()
		if final[t] == old.Name {
			continue // renamed back to its own name
		}
		nd := old.Clone()
		nd.Name = final[t]
		if err := nd.validate(); err != nil {
			return err
		}
		if err := t.usable(); err != nil {
			return err
		}
		if err := db.refuseProvisional(t); err != nil {
			return err
		}
		moves = append(moves, move{t: t, old: old, nd: nd})
	}
	if alt != nil && len(pairs) > 0 && len(moves) != 1 {
		return fmt.Errorf("blitz/engine: alter and rename %s: not a move of one table", pairs[0].From)
	}
	if alt == nil && len(moves) == 0 {
		return nil
	}
	// am is the table the ALTER changes: its move, or (no RENAME TO)
	// stay, a table that keeps its name.
	var am, stay *move
	if alt != nil && len(pairs) == 0 {
		t, err := db.table(alt.name)
		if err != nil {
			return err
		}
		if err := t.usable(); err != nil {
			return err
		}
		old := t.definition()
		stay = &move{t: t, old: old, nd: old}
		am = stay
	} else if alt != nil {
		am = &moves[0]
	}
	// The foreign keys follow the pairs (followRename): the moved
	// tables' new definitions carry theirs, and the other tables whose
	// keys change are rewritten in the same step (the intent's "keys").
	// A temporary database has no keys.
	var keyed map[*table][]ForeignKeyDef
	var pairKeys [][]ForeignKeyDef
	if db.parent == nil {
		keyed, pairKeys = followRename(db.sortedTables(), pairs, srcs)
		if alt != nil {
			keyed = followColumns(db.sortedTables(), keyed, am.t, am.old.Name, am.nd.Name, renamedColumns(am.old, alt.nd, alt.from))
		}
	}
	type child struct {
		t  *table
		nd *TableDef
	}
	var children []child
	for t, fks := range keyed {
		if final[t] != "" && final[t] != t.definition().Name {
			for i := range moves {
				if moves[i].t == t {
					moves[i].nd.ForeignKeys = fks
				}
			}
			continue
		}
		nd := t.definition().Clone()
		nd.ForeignKeys = fks
		children = append(children, child{t: t, nd: nd})
	}
	slices.SortFunc(children, func(a, b child) int { return strings.Compare(a.nd.Name, b.nd.Name) })
	// held reports whether a table holds name now (one of the statement's
	// tables, in a swap).
	held := func(name string) bool {
		db.mu.RLock()
		defer db.mu.RUnlock()
		_, ok := db.tables[strings.ToLower(name)]
		return ok
	}
	for _, m := range moves {
		if !held(m.nd.Name) {
			if err := db.claimName(m.nd.Name); err != nil {
				return err
			}
		}
	}
	var unlocks []func()
	defer func() {
		for _, u := range unlocks {
			u()
		}
	}()
	if stay != nil {
		unlock, err := db.lockForDDL(ctx, stay.t)
		if err != nil {
			return err
		}
		unlocks = append(unlocks, unlock)
	}
	for _, m := range moves {
		unlock, err := db.lockForDDL(ctx, m.t)
		if err != nil {
			return err
		}
		unlocks = append(unlocks, unlock)
		if err := db.walHoldsRows(m.t, "rename"); err != nil {
			return err
		}
	}
	for _, c := range children {
		unlock, err := db.lockForDDL(ctx, c.t)
		if err != nil {
			return err
		}
		unlocks = append(unlocks, unlock)
	}
	// The ALTER: its definition under the old name (altered), and as the
	// rename leaves it (moves[0].nd, its keys following the rename as the
	// old definition's do).
	var altered *TableDef
	rewrite := false
	if alt != nil {
		m := am
		var err error
		if altered, rewrite, err = m.t.prepareAlter(m.old, alt.nd, alt.from); err != nil {
			return err
		}
		rewrite = rewrite || alt.force
		if !rewrite && alt.next != nil {
			// The counter the definition gets (a rebuild finds it as it
			// copies the rows: rebuildTable).
			if *alt.next, err = m.t.autoFloor(altered, *alt.next); err != nil {
				return err
			}
		}
		if stay != nil {
			stay.nd = altered
		}
	}
	if alt != nil && stay == nil {
		m := am
		nd := altered.Clone()
		nd.Name = m.nd.Name
		nd.ForeignKeys = followOwnKeys(altered.ForeignKeys, pairs[0])
		if err := nd.validate(); err != nil {
			return err
		}
		m.nd = nd
		if _, ok := keyed[m.t]; !ok && len(nd.ForeignKeys) > 0 {
			// Phase 2 gives the moved definition these keys (a rebuilt
			// one is staged with the keys as the ALTER left them).
			if keyed == nil {
				keyed = map[*table][]ForeignKeyDef{}
			}
			keyed[m.t] = nd.ForeignKeys
		}
	}
	// The update-log frame: one rename_table op per pair, each naming
	// the table as spelled at that point and with its definition as the
	// pair leaves it. The intent keeps the pairs so spelled.
	var ops []ulog.Op
	var spelled []RenamePair
	cur := map[string]*TableDef{}
	for _, m := range moves {
		cur[strings.ToLower(m.old.Name)] = m.old
	}
	for i, p := range pairs {
		d := cur[strings.ToLower(p.From)]
		if d == nil { // a table of the statement that does not move
			t, err := db.table(p.From)
			if err != nil {
				return err
			}
			d = t.definition()
		}
		spelled = append(spelled, RenamePair{From: d.Name, To: p.To})
		d = d.Clone()
		d.Name = p.To
		if pairKeys != nil {
			d.ForeignKeys = pairKeys[i]
		}
		delete(cur, strings.ToLower(spelled[len(spelled)-1].From))
		cur[strings.ToLower(p.To)] = d
		if db.ulog != nil {
			op, err := ddlOp(ddlRecord{Op: "rename_table", To: p.To}, spelled[len(spelled)-1].From, d)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
	}
	if alt != nil && db.ulog != nil {
		// The ALTER follows the rename in the frame: a replay that
		// restarts finds each step done or to do (ulog.go). Its replay
		// makes the other tables' keys follow renamed columns again
		// (Alter), as the rename's does for the table's name.
		m := am
		op, err := ddlOp(ddlRecord{Op: "alter_columns", From: alt.from, Zone: zoneSeconds(alt.zone, m.old, altered, alt.from)}, m.nd.Name, m.nd)
		if err != nil {
			return err
		}
		ops = append(ops, op)
	}
	in := &renameIntent{Pairs: spelled, Phase: 1}
	if alt != nil {
		m := am
		in.Altered = &renameAltered{From: m.old.Name, Rebuilt: rewrite}
		if !rewrite && alt.next != nil {
			in.Altered.AutoIncrement = *alt.next
		}
		if !rewrite {
			b, err := encodeDef(altered, 0, 0, 0)
			if err != nil {
				return err
			}
			in.Altered.Def = b
		}
	}
	for _, m := range moves {
		in.Moves = append(in.Moves, RenamePair{From: m.old.Name, To: m.nd.Name})
	}
	for _, m := range moves {
		if _, ok := keyed[m.t]; ok {
			in.Keys = append(in.Keys, renameKeysOf(m.nd))
		}
	}
	for _, c := range children {
		in.Keys = append(in.Keys, renameKeysOf(c.nd))
	}
	reopen := func() {
		for _, m := range moves {
			m.t.reopenAfterFailedRebuild()
		}
	}
	// Data files of new names that no definition names: CREATE TABLE
	// cut short (see the top of the file).
	for _, m := range moves {
		if !held(m.nd.Name) {
			if err := db.fs.Remove(filepath.Join(db.dir, m.nd.Name+dataSuffix)); err == nil {
				db.fs.SyncDir(db.dir)
			}
		}
	}
	var intent *ddlIntent
	commit := func() error {
		if alt != nil && alt.next != nil && *alt.next != 0 && db.ulog != nil {
			// After the ALTER in the frame, with the counter it sets (a
			// rebuild's is known only now).
			op, err := ddlOp(ddlRecord{Op: "auto_increment", Next: *alt.next}, am.nd.Name, am.nd)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
		var err error
		intent, err = db.intendDDL(ops...)
		if err == nil {
			err = db.writeRenameIntent(in) // the commit point
			if err != nil {
				intent.abandon(db)
			}
		}
		return err
	}
	if rewrite {
		// The rows are rewritten first; the intent, written right
		// before the rebuild's own commit point, commits both (see the
		// top of the file). A rebuild that fails after it, its table
		// reopened as it was, takes the intent back.
		m := am
		committed := false
		var autoSet *uint64
		if alt.next != nil {
			autoSet = alt.next
		}
		err := db.rebuildTable(ctx, m.t, m.old, altered, alt.from, alt.zone, autoSet, func() error {
			err := commit()
			committed = err == nil
			return err
		})
		if err != nil {
			if committed && m.t.usable() == nil {
				if rerr := db.fs.Remove(filepath.Join(db.dir, renameIntentName)); rerr != nil && !isNotExist(rerr) {
					m.t.setCrashed(fmt.Sprintf("its ALTER TABLE ... RENAME was cut short: %v; reopen the database to finish it", err))
					return err
				}
				db.fs.SyncDir(db.dir)
				intent.abandon(db)
			}
			return err
		}
	}
	for _, m := range moves {
		if err := m.t.closeFiles(true); err != nil {
			if rewrite {
				m.t.setCrashed(fmt.Sprintf("its ALTER TABLE ... RENAME was cut short: %v; reopen the database to finish it", err))
				return err
			}
			reopen()
			return err
		}
	}
	if !rewrite {
		if err := commit(); err != nil {
			reopen()
			return err
		}
	}
	if err := db.moveRenamed(in); err != nil {
		for _, m := range moves {
			m.t.setCrashed(fmt.Sprintf("its RENAME TABLE was cut short: %v; reopen the database to finish it", err))
		}
		if stay != nil {
			stay.t.setCrashed(fmt.Sprintf("its ALTER TABLE was cut short: %v; reopen the database to finish it", err))
		}
		for _, c := range children {
			c.t.setCrashed(fmt.Sprintf("the RENAME TABLE of a table it references was cut short: %v; reopen the database to finish it", err))
		}
		return fmt.Errorf("blitz/engine: RENAME TABLE (it takes effect when the database is reopened): %w", err)
	}
	db.mu.Lock()
	for _, m := range moves {
		delete(db.tables, strings.ToLower(m.old.Name))
	}
	db.defChanged()
	for _, m := range moves {
		db.tables[strings.ToLower(m.nd.Name)] = m.t
		m.t.mu.Lock()
		m.t.setDefLocked(m.nd)
		m.t.mu.Unlock()
	}
	for _, c := range children {
		c.t.mu.Lock()
		c.t.setDefLocked(c.nd)
		c.t.mu.Unlock()
	}
	if stay != nil {
		stay.t.mu.Lock()
		stay.t.setDefLocked(stay.nd)
		stay.t.mu.Unlock()
	}
	db.mu.Unlock()
	if alt != nil && !rewrite && alt.next != nil && *alt.next != 0 {
		// The counters phase 2 wrote (renameAltered.counters).
		am.t.ctrMu.Lock()
		am.t.autoNext, am.t.autoSaved = *alt.next, *alt.next
		if am.t.autoNext > am.t.autoReserved {
			am.t.autoReserved = am.t.autoNext + reserveStep
		}
		am.t.ctrMu.Unlock()
	}
	lerr := intent.commit(db)
	if lerr == nil {
		if err := db.removeRenameIntent(); err != nil {
			db.log.Warn("RENAME TABLE done, its intent file stays (the next open removes it)", "err", err)
		}
	}
	for _, m := range moves {
		if err := m.t.reopenFiles(""); err != nil && lerr == nil {
			lerr = err
		}
	}
	return lerr
}

// moveRenamed moves the files of a committed rename (version 2) into
// place, from its current phase on (see the top of the file).
func (db *DB) moveRenamed(in *renameIntent) error {
	file := func(name string) string { return filepath.Join(db.dir, name) }
	exists := func(name string) bool { _, err := db.fs.Stat(file(name)); return err == nil }
	stage := func(i int) string { return fmt.Sprintf("%s%d", renameStagePrefix, i) }
	// indexNames reads the index names of the definition in file name.
	indexNames := func(name string) []string {
		b, err := vfs.ReadFile(db.fs, file(name))
		if err != nil {
			return nil
		}
		def, _, err := decodeDef(b, file(name))
		if err != nil {
			return nil
		}
		var out []string
		for _, ixd := range def.Indexes {
			out = append(out, ixd.Name)
		}
		return out
	}
	mv := func(from, to string) error {
		if !exists(from) {
			return nil
		}
		if err := db.fs.Rename(file(from), file(to)); err != nil {
			return fmt.Errorf("move %s to %s: %w", from, to, err)
		}
		return nil
	}
	// Index files are on the operating system's filesystem (package index
	// uses os); they are disposable, so a move that fails is no error:
	// the index is rebuilt.
	mvIndexes := func(defName, from, to string) {
		for _, ix := range indexNames(defName) {
			p, q := file(IndexFileName(from, ix)), file(IndexFileName(to, ix))
			os.Rename(p, q)
			os.Rename(index.SumPath(p), index.SumPath(q))
		}
	}
	if a := in.Altered; a != nil && a.Rebuilt && in.Phase <= 1 && exists(a.From+defSuffix+rebuildSuffix) {
		// The rebuild the intent commits: its data file, then its
		// definition (alter.go); its index files are rebuilt.
		if err := mv(a.From+dataSuffix+rebuildSuffix, a.From+dataSuffix); err != nil {
			return err
		}
		if err := db.fs.SyncDir(db.dir); err != nil {
			return err
		}
		if err := mv(a.From+defSuffix+rebuildSuffix, a.From+defSuffix); err != nil {
			return err
		}
	}
	if in.Phase <= 1 {
		for i, m := range in.Moves {
			s := stage(i)
			def := m.From + defSuffix
			if !exists(def) {
				def = s + defSuffix
			}
			mvIndexes(def, m.From, s)
			if err := mv(m.From+dataSuffix, s+dataSuffix); err != nil {
				return err
			}
			if err := mv(m.From+defSuffix, s+defSuffix); err != nil {
				return err
			}
		}
		if err := db.fs.SyncDir(db.dir); err != nil {
			return err
		}
		in.Phase = 2
		if err := db.writeRenameIntent(in); err != nil {
			return err
		}
	}
	for i, m := range in.Moves {
		s := stage(i)
		if !exists(s + defSuffix) {
			continue // done
		}
		mvIndexes(s+defSuffix, s, m.To)
		if err := mv(s+dataSuffix, m.To+dataSuffix); err != nil {
			return err
		}
		b, err := vfs.ReadFile(db.fs, file(s+defSuffix))
		if err != nil {
			return err
		}
		def, ctr, err := decodeDef(b, file(s+defSuffix))
		if err != nil {
			return err
		}
		if a := in.Altered; a != nil && a.From == m.From && len(a.Def) > 0 {
			// The ALTER's definition; the counters stay, but for the
			// AUTO_INCREMENT it sets.
			if def, _, err = decodeDef(a.Def, renameIntentName); err != nil {
				return err
			}
			ctr = a.counters(ctr)
		}
		def.Name = m.To
		if fks, ok, err := in.keysFor(m.To); err != nil {
			return err
		} else if ok {
			def.ForeignKeys = fks
		}
		nb, err := encodeDef(def, ctr.autoNext, ctr.autoRes, ctr.rowRes)
		if err != nil {
			return err
		}
		if err := vfs.WriteFileAtomic(db.fs, file(m.To+defSuffix), nb); err != nil {
			return err
		}
		if err := db.fs.Remove(file(s + defSuffix)); err != nil && !isNotExist(err) {
			return err
		}
	}
	if a := in.Altered; a != nil && len(in.Moves) == 0 && len(a.Def) > 0 {
		// An ALTER that keeps its table's name (version 5): its
		// definition, with the counters of the one it replaces.
		path := file(a.From + defSuffix)
		b, err := vfs.ReadFile(db.fs, path)
		if err != nil {
			return err
		}
		_, ctr, err := decodeDef(b, path)
		if err != nil {
			return err
		}
		def, _, err := decodeDef(a.Def, renameIntentName)
		if err != nil {
			return err
		}
		ctr = a.counters(ctr)
		nb, err := encodeDef(def, ctr.autoNext, ctr.autoRes, ctr.rowRes)
		if err != nil {
			return err
		}
		if err := vfs.WriteFileAtomic(db.fs, path, nb); err != nil {
			return err
		}
	}
	// The keys of the tables that do not move (version 3).
	for _, k := range in.Keys {
		if slices.ContainsFunc(in.Moves, func(m RenamePair) bool { return m.To == k.Table }) {
			continue // written with its new name above
		}
		path := file(k.Table + defSuffix)
		b, err := vfs.ReadFile(db.fs, path)
		if isNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		def, ctr, err := decodeDef(b, path)
		if err != nil {
			return err
		}
		fks, _, err := in.keysFor(k.Table)
		if err != nil {
			return err
		}
		if sameKeys(def.ForeignKeys, fks) {
			continue // done
		}
		def.ForeignKeys = fks
		nb, err := encodeDef(def, ctr.autoNext, ctr.autoRes, ctr.rowRes)
		if err != nil {
			return err
		}
		if err := vfs.WriteFileAtomic(db.fs, path, nb); err != nil {
			return err
		}
	}
	return db.fs.SyncDir(db.dir)
}

// renameKeysOf returns the "keys" entry of the intent for d.
func renameKeysOf(d *TableDef) renameKeys {
	k := renameKeys{Table: d.Name, ForeignKeys: []defFK{}}
	for _, fk := range d.ForeignKeys {
		k.ForeignKeys = append(k.ForeignKeys, toDefFK(fk))
	}
	return k
}

// finishRename completes or drops a RENAME TABLE a crash cut short (see
// renameIntentName). Called at open, before the definitions are read.
// A version-2 intent is completed and, with an update log, left in place
// for resolveDDLIntent (db.renamed), which the open removes after it.
func (db *DB) finishRename() error {
	path := filepath.Join(db.dir, renameIntentName)
	b, err := vfs.ReadFile(db.fs, path)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blitz/engine: read %s: %w", path, err)
	}
	var in renameIntent
	jerr := json.Unmarshal(b, &in)
	if jerr == nil && in.Version >= 2 && in.Version <= renameIntentVersion {
		ok := (len(in.Pairs) > 0 || in.Version >= 5 && in.Altered != nil) && in.Phase >= 1 && in.Phase <= 2
		for _, m := range append(append([]RenamePair(nil), in.Pairs...), in.Moves...) {
			if m.From == "" || m.To == "" || strings.ContainsAny(m.From+m.To, `/\`) {
				ok = false
			}
		}
		if a := in.Altered; a != nil {
			moved := len(in.Moves) == 1 && a.From == in.Moves[0].From
			stays := len(in.Moves) == 0 && len(in.Pairs) == 0 && a.From != "" && !strings.ContainsAny(a.From, `/\`) && !strings.HasPrefix(a.From, ".")
			ok = ok && (moved || stays) && (a.Rebuilt || len(a.Def) > 0)
			if len(a.Def) > 0 {
				if _, _, err := decodeDef(a.Def, renameIntentName); err != nil {
					ok = false
				}
			}
		}
		for _, k := range in.Keys {
			if _, _, err := in.keysFor(k.Table); err != nil || k.Table == "" || strings.ContainsAny(k.Table, `/\`) || strings.HasPrefix(k.Table, ".") {
				ok = false
			}
		}
		if !ok {
			return fmt.Errorf("blitz/engine: %s is damaged (%q): a RENAME TABLE was cut short after it took effect; for each of its moves, the files of the table (or of %s<N> for the N-th move) are to take the new name (the definition's \"name\" too); then delete %s", path, b, renameStagePrefix, renameIntentName)
		}
		if err := db.moveRenamed(&in); err != nil {
			return fmt.Errorf("blitz/engine: finish a RENAME TABLE a crash cut short: %w", err)
		}
		db.log.Info("finished a RENAME TABLE a crash cut short", "pairs", in.Pairs)
		if db.opts.ULogDir != "" {
			db.renamed = in.Pairs
			if db.renamed == nil {
				db.renamed = []RenamePair{} // an ALTER without a move: the intent goes after resolveDDLIntent too
			}
			return nil
		}
		return db.removeRenameIntent()
	}
	if jerr != nil || in.Version == 1 && (in.From == "" || in.To == "" || strings.ContainsAny(in.From+in.To, `/\`)) {
		return fmt.Errorf("blitz/engine: %s is damaged (%q): a RENAME TABLE was cut short; if the new name's .def exists, rename the old name's .bdf to the new name and delete the old name's .def, else delete nothing; then delete %s", path, b, renameIntentName)
	}
	if in.Version != 1 {
		return fmt.Errorf("blitz/engine: %s has format version %d; this build reads versions 1 to %d", path, in.Version, renameIntentVersion)
	}
	file := func(name string) string { return filepath.Join(db.dir, name) }
	exists := func(name string) bool { _, err := db.fs.Stat(file(name)); return err == nil }
	if exists(in.To + defSuffix) {
		if exists(in.From+dataSuffix) && !exists(in.To+dataSuffix) {
			if err := db.fs.Rename(file(in.From+dataSuffix), file(in.To+dataSuffix)); err != nil {
				return fmt.Errorf("blitz/engine: finish RENAME TABLE %s TO %s: %w", in.From, in.To, err)
			}
		}
		names, err := db.fs.ReadDir(db.dir)
		if err != nil {
			return fmt.Errorf("blitz/engine: list %s: %w", db.dir, err)
		}
		for _, n := range names {
			// a.<index>.bix and its .sum (IndexFileName): indexes are
			// disposable, and a moved one is checked against the data
			// file's generation.
			if isIndexFileOf(n, in.From) {
				db.fs.Rename(file(n), file(in.To+strings.TrimPrefix(n, in.From)))
			}
		}
		if err := db.fs.Remove(file(in.From + defSuffix)); err != nil && !isNotExist(err) {
			return fmt.Errorf("blitz/engine: finish RENAME TABLE %s TO %s: %w", in.From, in.To, err)
		}
		if err := db.fs.SyncDir(db.dir); err != nil {
			return err
		}
		db.log.Info("finished a RENAME TABLE a crash cut short", "from", in.From, "to", in.To)
	}
	return db.removeRenameIntent()
}
