package engine

// Temporary tables (CREATE TEMPORARY TABLE).
//
// A session's temporary tables live in a database of their own, a
// temporary database: OpenTemp returns a *DB over a private directory
//
//	DIR/#temp/s<N>/   T.def, T.bdf, T.<index>.bix: the usual table files
//
// under the database directory DIR, N counting the temporary databases this
// process opened on DIR. Every DB method that works on tables (CreateTable,
// DropTable, RenameTable, AlterColumns, CreateIndex, Check, Status, ...)
// works on it unchanged; what differs:
//
//   - No WAL, whatever the definition says. CRASH_SAFE is accepted and kept
//     in the definition (SHOW CREATE TABLE shows it, CREATE TABLE ... LIKE
//     copies it) but commits write the rows straight into the data file:
//     a WAL keeps committed rows across a crash, and a temporary table does
//     not outlive one (nor its session); its records would also sit in the
//     database-wide WAL beside base tables' and be replayed by name.
//   - No update log, no backup, no dump: the temporary database has no
//     update log, Tx.logCommit leaves its tables out of the base database's,
//     and Backup, Tables, Sync and checkpoints see only the base database's
//     tables.
//   - Transactions: a transaction of the base database sees the tables of
//     the temporary database given to UseTemp before the base tables (a
//     temporary table shadows a base table of the same name, except in the
//     checks and actions of foreign keys, which name base tables only). Its writes to
//     them are buffered like any others, so ROLLBACK and ROLLBACK TO
//     SAVEPOINT undo them, as InnoDB does for its temporary tables; COMMIT
//     writes them into the data files after the base tables' WAL record.
//     Creating and dropping a temporary table is not transactional (MariaDB
//     does not roll back CREATE/DROP TEMPORARY TABLE either): Tx.Forget
//     drops a transaction's pending writes to a table about to be dropped.
//   - Lifetime: Close drops every table and removes the directory; the base
//     database closes the temporary databases still open when it closes.
//     A process that dies leaves DIR/#temp behind: the next Open removes it
//     (the base database's LOCK proves that no process uses it), before it
//     reads any definition. Nothing else looks inside DIR/#temp: tables are
//     found by the *.def files directly in DIR, `blitz check` skips
//     directories, and recovery, backups and restores work from those
//     tables.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blitzdb/blitz/internal/vfs"
)

// tempDir is the directory under a database directory that holds the
// temporary databases. It cannot be mistaken for a table's file: those
// end in .def, .bdf or .bix.
const tempDir = "#temp"

// OpenTemp opens a new, empty temporary database for one session's
// temporary tables (see the top of this file). The caller closes it when
// the session ends; Close of db closes it too. It is safe for concurrent
// use, like any DB, though one session uses it.
func (db *DB) OpenTemp() (*DB, error) {
	if db.parent != nil {
		return nil, errors.New("blitz/engine: a temporary database has no temporary databases of its own")
	}
	db.tempMu.Lock() // held while the directory is made: see closeTemp
	defer db.tempMu.Unlock()
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed { // Close sets closed before it closes the temporary databases
		return nil, errors.New("blitz/engine: database is closed")
	}
	db.tempSeq++
	dir := filepath.Join(db.dir, tempDir, fmt.Sprintf("s%d", db.tempSeq))
	if err := db.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blitz/engine: create the temporary table directory %s: %w", dir, err)
	}
	// Index files are always on the operating system's filesystem (see
	// removeIndexFiles): when fs is another, the directory is needed there
	// too. An error here shows again, clearer, where an index is created.
	os.MkdirAll(dir, 0o755)
	o := db.opts
	o.ULogDir = ""
	td := &DB{dir: dir, fs: db.fs, opts: o, log: db.log, parent: db, tables: map[string]*table{}, broken: map[string]error{}}
	if db.temps == nil {
		db.temps = map[*DB]struct{}{}
	}
	db.temps[td] = struct{}{}
	return td, nil
}

// IsTemp reports whether db is a temporary database (OpenTemp).
func (db *DB) IsTemp() bool { return db.parent != nil }

// HasTable reports whether db has a table called name (case-insensitive).
// It costs a map lookup.
func (db *DB) HasTable(name string) bool {
	return db.lookup(name) != nil
}

// lookup returns the table called name, or nil (also once db is closed).
func (db *DB) lookup(name string) *table {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil
	}
	return db.tables[strings.ToLower(name)]
}

// closeTemp closes the temporary database db: its tables' files are
// closed and its directory removed, with everything in it. A second call
// does nothing.
func (db *DB) closeTemp() error {
	if !db.markClosed() {
		return nil
	}
	var first error
	for _, t := range db.sortedTables() {
		if err := t.closeFiles(false); err != nil && first == nil {
			first = err
		}
	}
	if err := removeTree(db.fs, db.dir); err != nil && first == nil {
		first = fmt.Errorf("blitz/engine: remove the temporary tables in %s: %w", db.dir, err)
	}
	// The last one out removes DIR/#temp too, under the parent's tempMu,
	// so that no OpenTemp is making a directory in it meanwhile.
	p := db.parent
	p.tempMu.Lock()
	delete(p.temps, db)
	if len(p.temps) == 0 && first == nil {
		top := filepath.Dir(db.dir)
		if err := db.fs.Remove(top); err != nil && !isNotExist(err) {
			first = fmt.Errorf("blitz/engine: remove %s: %w", top, err)
		}
		os.Remove(top)
	}
	p.tempMu.Unlock()
	return first
}

// closeTemps closes the temporary databases still open on db (its Close).
func (db *DB) closeTemps() error {
	db.tempMu.Lock()
	ts := make([]*DB, 0, len(db.temps))
	for td := range db.temps {
		ts = append(ts, td)
	}
	db.tempMu.Unlock()
	var first error
	for _, td := range ts {
		if err := td.closeTemp(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// removeTempLeftovers removes the temporary databases a process that died
// left in DIR/#temp (Open: no process has them open, since db holds the
// database's LOCK).
func (db *DB) removeTempLeftovers() error {
	dir := filepath.Join(db.dir, tempDir)
	names, err := db.fs.ReadDir(dir)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blitz/engine: list %s: %w", dir, err)
	}
	if len(names) > 0 {
		db.log.Warn("removing the temporary tables of a process that did not close the database", "dir", dir, "sessions", len(names))
	}
	if err := removeTree(db.fs, dir); err != nil {
		return fmt.Errorf("blitz/engine: remove leftover temporary tables in %s: %w", dir, err)
	}
	return nil
}

// removeTree removes path and, if it is a directory, everything under it,
// through fs; then through the operating system too, where package index
// keeps index files whatever fs is (see removeIndexFiles). A missing path
// is not an error.
func removeTree(fs vfs.FS, path string) error {
	fi, err := fs.Stat(path)
	if isNotExist(err) {
		return os.RemoveAll(path)
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		names, err := fs.ReadDir(path)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := removeTree(fs, filepath.Join(path, n)); err != nil {
				return err
			}
		}
	}
	if err := fs.Remove(path); err != nil && !isNotExist(err) {
		return err
	}
	return os.RemoveAll(path)
}

// UseTemp makes the transaction see the tables of the temporary database
// td (OpenTemp of the transaction's database) before the base tables of
// the same name: reads, writes and locks of such a name go to td's table.
// nil stops that.
func (tx *Tx) UseTemp(td *DB) { tx.temp = td }

// Forget drops the transaction's pending changes to the temporary table
// called name and gives back its write lock, for DROP TEMPORARY TABLE in
// an open transaction: the table goes at once, whatever the transaction
// does after (as in MariaDB), and the drop must not wait for the
// transaction's own lock. A name that is not a table of the temporary
// database given to UseTemp, or one the transaction has not written, is
// left alone.
func (tx *Tx) Forget(name string) {
	if tx.done || tx.temp == nil {
		return
	}
	t := tx.temp.lookup(name)
	ws := tx.wsOf(t)
	if t == nil || ws == nil {
		return
	}
	if tx.ws != nil {
		delete(tx.ws, t)
	}
	for i, w := range tx.wsl {
		if w == ws {
			tx.wsl = append(tx.wsl[:i], tx.wsl[i+1:]...)
			break
		}
	}
	// Undo records of ws stay: rolling back to an older savepoint then
	// writes only into ws, which no one reads any more, and the
	// savepoints' positions in tx.undo stay right.
	if !ws.borrowed {
		release(t)
	}
}
