package engine

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/blitzdb/blitz/internal/vfs"
)

// RENAME TABLE moves three kinds of file (the definition, the data file,
// the index files) that no single rename covers, so it first writes its
// intent, and the next open finishes a rename a crash cut short:
//
//	DIR/RENAME.pending   {"version": 1, "from": "a", "to": "b"}, written
//	                     atomically before anything moves, removed after
//
// The new definition (b.def) is the commit point. At open, with the intent
// there: without b.def nothing moved and the intent is dropped (the table
// keeps its old name); with b.def the rename is completed, whatever part of
// it was done: a.bdf becomes b.bdf, a's index files become b's, a.def goes.
// Every step is idempotent, so a crash during the completion is finished by
// the open after. Before writing the intent, RENAME removes a data file
// named for the target that no definition names (a CREATE TABLE cut
// short), so that at completion a b.bdf is always the renamed one.
const renameIntentName = "RENAME.pending"

// renameIntentVersion is the version of the RENAME.pending format.
const renameIntentVersion = 1

type renameIntent struct {
	Version int    `json:"version"`
	From    string `json:"from"`
	To      string `json:"to"`
}

func (db *DB) writeRenameIntent(from, to string) error {
	b, err := json.Marshal(renameIntent{Version: renameIntentVersion, From: from, To: to})
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

// finishRename completes or drops a RENAME TABLE a crash cut short (see
// renameIntentName). Called at open, before the definitions are read.
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
	if err := json.Unmarshal(b, &in); err != nil || in.From == "" || in.To == "" ||
		strings.ContainsAny(in.From+in.To, `/\`) {
		return fmt.Errorf("blitz/engine: %s is damaged (%q): a RENAME TABLE was cut short; if the new name's .def exists, rename the old name's .bdf to the new name and delete the old name's .def, else delete nothing; then delete %s", path, b, renameIntentName)
	}
	if in.Version != renameIntentVersion {
		return fmt.Errorf("blitz/engine: %s has format version %d; this build reads version %d", path, in.Version, renameIntentVersion)
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
			// a.<index>.bix and its .sum: indexes are disposable, and a
			// moved one is checked against the data file's generation.
			if strings.HasPrefix(n, in.From+".") && (strings.HasSuffix(n, ".bix") || strings.HasSuffix(n, ".bix.sum")) {
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
