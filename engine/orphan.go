package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Data files without a definition.
//
// A table's definition file (T.def) is its commit point: CREATE TABLE
// writes the data file first and the definition last, DROP TABLE removes
// the definition first. A data file no definition names is therefore one
// of two things:
//
//   - a CREATE TABLE a crash cut short: the file was created and never
//     written, so it holds no record (datafile.HoldsRecords). It is
//     debris: CREATE TABLE and RENAME TABLE ... TO of the name replace it,
//     and blitz check reports it.
//   - the rows of a table whose definition file was deleted or lost (by
//     hand, a bad restore, a copy that missed it). Those rows are the
//     truth and nothing may replace them silently. Open lists the name
//     among the damaged tables (DamagedTables: SHOW TABLES shows it, and
//     reading it is error 1194 saying the definition is missing), CREATE
//     TABLE and RENAME TABLE ... TO of the name are refused (1005 and 1025
//     with errno 184, "Tablespace already exists", as MariaDB refuses an
//     InnoDB table whose .ibd is there without it), and the message says
//     what to do: restore T.def from a backup and reopen, or DROP TABLE T
//     (which removes the data file and the index files of the name, as it
//     does for a table whose definition is damaged), or move the data file
//     out of the directory. Its WAL records, if it was crash-safe, are
//     kept as for any damaged definition (keepWALForDamaged).
//
// A DROP TABLE cut short between removing the definition and removing
// the data file would leave the second kind from a table the user
// dropped; so DROP TABLE first writes a marker, T.dropping (synced), the
// drop's commit point, and removes it last. Open finishes the drop of
// every marker whose definition is gone (finishDrops) and forgets a
// marker whose definition is still there (the crash came before the
// commit point), before it reads any definition.

// droppingSuffix names the marker of a DROP TABLE in progress. No table
// file ends so: a table "x.dropping" has files x.dropping.def, .bdf, ...
const droppingSuffix = ".dropping"

func (db *DB) droppingPath(name string) string {
	return filepath.Join(db.dir, name+droppingSuffix)
}

// writeDropMarker writes and syncs the marker of a DROP TABLE of name
// (the name as its files spell it): from here on, an open after a crash
// finishes the drop if the definition is gone.
func (db *DB) writeDropMarker(name string) error {
	path := db.droppingPath(name)
	if err := db.writeMarker(path); err != nil { // provisional.go
		return fmt.Errorf("blitz/engine: drop %s: write %s: %w", name, path, err)
	}
	return nil
}

// removeDropMarker removes the marker once the drop's files are gone (a
// marker left behind is settled by the next open: finishDrops).
func (db *DB) removeDropMarker(name string) {
	db.fs.Remove(db.droppingPath(name))
}

// finishDrops settles, at open, the DROP TABLE statements a crash cut
// short: for each marker, if the table's definition is gone its data file
// and index files are removed; the marker then goes either way.
func (db *DB) finishDrops() error {
	names, err := db.fs.ReadDir(db.dir)
	if err != nil {
		return fmt.Errorf("blitz/engine: list %s: %w", db.dir, err)
	}
	for _, n := range names {
		base, ok := strings.CutSuffix(n, droppingSuffix)
		if !ok || base == "" {
			continue
		}
		if _, err := db.fs.Stat(filepath.Join(db.dir, base+defSuffix)); err == nil {
			db.log.Warn("DROP TABLE cut short by a crash before its commit point: the table stays", "table", base)
		} else {
			db.fs.Remove(filepath.Join(db.dir, base+dataSuffix))
			for _, m := range names {
				if isIndexFileOf(m, base) {
					db.fs.Remove(filepath.Join(db.dir, m))
				}
			}
			db.log.Warn("DROP TABLE cut short by a crash after its commit point: finished", "table", base)
		}
		if err := db.fs.SyncDir(db.dir); err != nil {
			return err
		}
		if err := db.fs.Remove(filepath.Join(db.dir, n)); err != nil && !isNotExist(err) {
			return fmt.Errorf("blitz/engine: remove %s: %w", n, err)
		}
	}
	return nil
}

// findOrphanData registers, at open, each data file of names (the
// directory's files) that no definition names and that holds records:
// a table whose definition file is missing (see the top of the file).
// Called after the definitions are read, before the WAL is replayed.
func (db *DB) findOrphanData(names []string) {
	for _, n := range names {
		base, ok := strings.CutSuffix(n, dataSuffix)
		if !ok || base == "" || strings.HasPrefix(base, ".") {
			continue
		}
		key := strings.ToLower(base)
		if db.tables[key] != nil || db.broken[key] != nil || db.views[key] != nil || db.brokenViews[key] != nil {
			continue
		}
		path := filepath.Join(db.dir, n)
		holds, err := datafile.HoldsRecords(path, datafile.Options{FS: db.fs})
		if !holds {
			db.log.Warn("a data file without a table definition holds no rows (a CREATE TABLE cut short by a crash): CREATE TABLE of its name replaces it", "file", path)
			continue
		}
		if err != nil {
			db.log.Error("a data file without a table definition cannot be read", "table", base, "file", path, "err", err)
		} else {
			db.log.Error("table definition missing while its data file holds rows: the table answers 1194 until the definition is restored or the table dropped",
				"table", base, "file", filepath.Join(db.dir, base+defSuffix), "data", path)
		}
		db.broken[key] = &damagedDef{name: base, missing: true,
			err: fmt.Errorf("blitz/engine: %s is missing (its data file %s is still there)", base+defSuffix, n)}
	}
}

// orphanAdvice says what to do with the data file of the table name whose
// definition is missing, for messages.
func orphanAdvice(name string) string {
	return fmt.Sprintf("restore %s from a backup and reopen the database to get the table back, or DROP TABLE %s (or move %s out of the directory) to discard its rows",
		name+defSuffix, name, name+dataSuffix)
}

// orphanInTheWay returns the error of a CREATE TABLE (verb "create") or a
// RENAME TABLE from from to name (verb "rename") when name has a data
// file and no definition: a table whose definition is missing (found at
// open), or a data file holding records that appeared since. nil when
// there is no such file or it holds no record (debris the caller may
// replace). db.ddlMu is held.
func (db *DB) orphanInTheWay(verb, from, name string) error {
	key := strings.ToLower(name)
	db.mu.RLock()
	d, _ := db.broken[key].(*damagedDef)
	known := db.tables[key] != nil
	db.mu.RUnlock()
	stored := name
	switch {
	case d != nil && d.missing:
		stored = d.name
	case d != nil || known:
		return nil // a table of that name: the caller's 1050
	default:
		path := filepath.Join(db.dir, name+dataSuffix)
		if _, err := db.fs.Stat(path); err != nil {
			return nil
		}
		if holds, _ := datafile.HoldsRecords(path, datafile.Options{FS: db.fs}); !holds {
			return nil
		}
	}
	why := fmt.Sprintf("the data file %s is there without its definition file %s: %s",
		stored+dataSuffix, stored+defSuffix, orphanAdvice(stored))
	if verb == "rename" {
		return sqlerr.New(sqlerr.ErrErrorOnRename, "Error on rename of './%s/%s' to './%s/%s' (errno: 184 \"Tablespace already exists\"): %s",
			db.name(), from, db.name(), name, why)
	}
	return sqlerr.New(sqlerr.ErrCantCreateTable, "Can't create table `%s`.`%s` (errno: 184 \"Tablespace already exists\"): %s", db.name(), name, why)
}
