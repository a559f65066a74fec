package engine

// Views.
//
// A view is a name for a SELECT. The engine keeps its definition only: it
// stores no rows, and the SQL layer parses and runs the query each time a
// statement uses the view. Views and tables share one namespace (a name is
// a table or a view, never both), as in MariaDB.
//
// # View file (format version 1)
//
// View V lives in DIR/V.view, JSON, replaced atomically as a table's .def
// is (vfs.WriteFileAtomic: write V.view.tmp, fsync, rename, fsync the
// directory), so that after a crash V.view holds the old definition or the
// new one, whole:
//
//	{"format": 1,
//	 "view": {"name": "v",
//	          "columns": ["id", "name"],         // the view's column names, in order
//	          "query": "select `t`.`id` AS `id`,`t`.`name` AS `name` from `t`",
//	          "source": "SELECT id, name FROM t", // the SELECT as written (informational)
//	          "algorithm": "UNDEFINED",          // UNDEFINED | MERGE | TEMPTABLE
//	          "definer": "`root`@`localhost`",
//	          "security": "DEFINER",             // DEFINER | INVOKER
//	          "check_option": "",                // "" | CASCADED | LOCAL
//	          "charset": "utf8mb4", "collation": "utf8mb4_bin"},
//	 "written": "2026-11-23T11:00:00Z",
//	 "crc32c": "0c4f5a21"}                      // optional, last: filesum.go
//
// "query" is what runs and what SHOW CREATE VIEW prints; it names every
// column it selects, so a later change to a base table does not change
// the view's columns. A query the SQL layer cannot print in that form is
// kept as written, with "column_list": true: "columns" then names the
// query's columns, in order. A reader refuses any other format number. A .view
// file that does not decode leaves its view out (logged, and reported by
// BrokenViews, which `blitz check` prints); its name stays taken until the
// file is replaced or removed.
//
// DROP TABLE of a table a view uses leaves the view, which then fails
// when used (the SQL layer's error 1356), as in MariaDB. RENAME TABLE of a
// view from V to W first replaces V.view, atomically, by the renamed view
// (its "name" W): that is the commit point. It then renames V.view to
// W.view and fsyncs the directory. A file whose "name" is not its file
// name is such a rename cut short: the open finishes it (a W.view already
// there leaves the file out, as damaged). So after a crash the view is
// under one name, the old or the new, never under both or neither.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

const (
	viewSuffix = ".view"
	// viewFormat is the version of the .view file format. Part of the
	// format: a change needs a new number, and older files must still be
	// read.
	viewFormat = 1
)

// ViewDef is the definition of a view.
type ViewDef struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Query   string   `json:"query"`            // the SELECT the view runs, as SHOW CREATE VIEW prints it
	Source  string   `json:"source,omitempty"` // the SELECT as CREATE VIEW was given it
	// ColumnList: Query does not name the view's columns itself (it is
	// Source, kept as written); Columns names them, in order.
	ColumnList  bool   `json:"column_list,omitempty"`
	Algorithm   string `json:"algorithm"`    // UNDEFINED, MERGE or TEMPTABLE
	Definer     string `json:"definer"`      // as SHOW CREATE VIEW prints it: `root`@`localhost`
	Security    string `json:"security"`     // DEFINER or INVOKER
	CheckOption string `json:"check_option"` // "", CASCADED or LOCAL
	Charset     string `json:"charset"`      // character_set_client when it was created
	Collation   string `json:"collation"`    // collation_connection when it was created
}

// Clone returns a deep copy of v.
func (v *ViewDef) Clone() *ViewDef {
	c := *v
	c.Columns = append([]string(nil), v.Columns...)
	return &c
}

func (v *ViewDef) validate() error {
	if v.Name == "" || strings.ContainsAny(v.Name, "/\\\x00") || strings.HasPrefix(v.Name, ".") {
		return sqlerr.New(1103, "Incorrect table name '%s'", v.Name)
	}
	if v.Query == "" || len(v.Columns) == 0 {
		return fmt.Errorf("blitz/engine: view %s has no query or no columns", v.Name)
	}
	seen := map[string]bool{}
	for _, c := range v.Columns {
		if seen[strings.ToLower(c)] {
			return sqlerr.New(sqlerr.ErrDupFieldName, "Duplicate column name '%s'", c)
		}
		seen[strings.ToLower(c)] = true
	}
	switch v.CheckOption {
	case "", "CASCADED", "LOCAL":
	default:
		return fmt.Errorf("blitz/engine: view %s has an unknown check option %q", v.Name, v.CheckOption)
	}
	return nil
}

type viewFile struct {
	Format  int       `json:"format"`
	View    *ViewDef  `json:"view"`
	Written time.Time `json:"written"`
	// Checksum is "crc32c", the last member (filesum.go).
	Checksum string `json:"crc32c,omitempty"`
}

func encodeView(v *ViewDef) ([]byte, error) {
	f := viewFile{Format: viewFormat, View: v, Written: time.Now().UTC()}
	sum, err := fileChecksum(&f)
	if err != nil {
		return nil, err
	}
	f.Checksum = sum
	b, err := json.MarshalIndent(&f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeView decodes a .view file's bytes; what names the file in errors.
func decodeView(b []byte, what string) (*ViewDef, error) {
	var f viewFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("blitz/engine: view definition %s does not decode: %v", what, err)
	}
	if err := verifyFileChecksum(b); err != nil {
		return nil, fmt.Errorf("blitz/engine: view definition %s is damaged: %v", what, err)
	}
	if f.Format != viewFormat {
		return nil, fmt.Errorf("blitz/engine: view definition %s has unsupported format %d (this build reads %d)", what, f.Format, viewFormat)
	}
	if f.View == nil {
		return nil, fmt.Errorf("blitz/engine: view definition %s holds no view", what)
	}
	if err := f.View.validate(); err != nil {
		return nil, fmt.Errorf("blitz/engine: view definition %s: %w", what, err)
	}
	return f.View, nil
}

func (db *DB) viewPath(name string) string { return filepath.Join(db.dir, name+viewSuffix) }

// loadViews reads every DIR/*.view (Open).
func (db *DB) loadViews(names []string) {
	for _, n := range names {
		base, ok := strings.CutSuffix(n, viewSuffix)
		if !ok || base == "" {
			continue
		}
		path := filepath.Join(db.dir, n)
		b, err := vfs.ReadFile(db.fs, path)
		var v *ViewDef
		if err == nil {
			v, err = decodeView(b, path)
		}
		if err != nil {
			db.brokenViews[strings.ToLower(base)] = &damagedDef{name: base, err: err}
			db.log.Error("view definition unreadable", "file", path, "err", err)
			continue
		}
		if v.Name != base {
			// A rename cut short after its commit point (renameViewLocked).
			if err := db.finishViewMove(path, v.Name); err != nil {
				db.brokenViews[strings.ToLower(base)] = &damagedDef{name: base, err: err}
				db.log.Error("view rename not finished", "file", path, "err", err)
				continue
			}
		}
		db.views[strings.ToLower(v.Name)] = v
	}
}

// finishViewMove renames path, a view file whose content names the view
// name, to name's own file (loadViews).
func (db *DB) finishViewMove(path, name string) error {
	to := db.viewPath(name)
	if _, err := db.fs.Stat(to); err == nil {
		return fmt.Errorf("holds view %s, which %s holds too", name, to)
	} else if !isNotExist(err) {
		return err
	}
	if err := db.fs.Rename(path, to); err != nil {
		return err
	}
	if err := db.fs.SyncDir(db.dir); err != nil {
		return err
	}
	db.log.Info("finished a view rename cut short", "from", path, "to", to)
	return nil
}

// writeView replaces dir/def.Name.view atomically.
func writeView(fs vfs.FS, dir string, def *ViewDef) error {
	return writeViewAt(fs, filepath.Join(dir, def.Name+viewSuffix), def)
}

// writeViewAt replaces path by def's view file atomically.
func writeViewAt(fs vfs.FS, path string, def *ViewDef) error {
	b, err := encodeView(def)
	if err != nil {
		return err
	}
	if err := vfs.WriteFileAtomic(fs, path, b); err != nil {
		return fmt.Errorf("blitz/engine: write %s: %w", path, err)
	}
	return nil
}

// View returns the named view's definition, which the caller must not
// modify (a change to the view replaces it, so a pointer seen once stays
// as it was). A name that is no view is error 1146; a view whose file is
// damaged is an error saying so.
func (db *DB) View(name string) (*ViewDef, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if v := db.views[strings.ToLower(name)]; v != nil {
		return v, nil
	}
	if err := db.brokenViews[strings.ToLower(name)]; err != nil {
		return nil, sqlerr.Wrap(sqlerr.ErrViewInvalid, err, "View '%s.%s' references invalid table(s) or column(s) or function(s) or definer/invoker of view lack rights to use them (its definition file is damaged: %v)", filepath.Base(db.dir), name, err)
	}
	return nil, sqlerr.New(sqlerr.ErrNoSuchTable, "Table '%s.%s' doesn't exist", filepath.Base(db.dir), name)
}

// IsView reports whether name is a view (one whose file is damaged too).
func (db *DB) IsView(name string) bool {
	db.mu.RLock()
	defer db.mu.RUnlock()
	k := strings.ToLower(name)
	return db.views[k] != nil || db.brokenViews[k] != nil
}

// Views returns the names of the views, sorted (damaged ones left out).
func (db *DB) Views() []string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	names := make([]string, 0, len(db.views))
	for _, v := range db.views {
		names = append(names, v.Name)
	}
	sort.Strings(names)
	return names
}

// BrokenViews returns the views whose definition file could not be read at
// Open, by lower-case name, with why.
func (db *DB) BrokenViews() map[string]error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	m := make(map[string]error, len(db.brokenViews))
	for k, e := range db.brokenViews {
		m[k] = e
	}
	return m
}

// nameTakenLocked returns error 1050 when name is a table or a view
// (db.mu held).
func (db *DB) nameTakenLocked(name string) error {
	k := strings.ToLower(name)
	_, t := db.tables[k]
	_, bt := db.broken[k]
	_, v := db.views[k]
	_, bv := db.brokenViews[k]
	if t || bt || v || bv {
		return sqlerr.New(sqlerr.ErrTableExists, "Table '%s' already exists", name)
	}
	return nil
}

func (db *DB) notView(name string) error {
	return sqlerr.New(sqlerr.ErrWrongObject, "'%s.%s' is not of type 'VIEW'", filepath.Base(db.dir), name)
}

// CreateView creates a view. A name already taken by a table or a view is
// error 1050, except that with replace an existing view is replaced (a
// table still is 1347, "is not of type 'VIEW'").
func (db *DB) CreateView(ctx context.Context, def *ViewDef, replace bool) error {
	return db.putView(def, func(exists, isTable bool) error {
		switch {
		case isTable && replace:
			return db.notView(def.Name)
		case (exists || isTable) && !replace:
			return sqlerr.New(sqlerr.ErrTableExists, "Table '%s' already exists", def.Name)
		}
		return nil
	})
}

// AlterView replaces an existing view's definition: a missing name is
// error 1146, a table 1347.
func (db *DB) AlterView(ctx context.Context, def *ViewDef) error {
	return db.putView(def, func(exists, isTable bool) error {
		switch {
		case isTable:
			return db.notView(def.Name)
		case !exists:
			return sqlerr.New(sqlerr.ErrNoSuchTable, "Table '%s.%s' doesn't exist", filepath.Base(db.dir), def.Name)
		}
		return nil
	})
}

// putView writes def under the DDL mutex if allow, told whether a view
// and whether a table of that name exist, says yes. The view keeps the
// name's spelling of an existing view (as a table's ALTER does).
func (db *DB) putView(def *ViewDef, allow func(exists, isTable bool) error) error {
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	def = def.Clone()
	if utf8.RuneCountInString(def.Name) > maxIdentLen || strings.HasSuffix(def.Name, " ") {
		return sqlerr.New(1103, "Incorrect table name '%s'", def.Name)
	}
	if err := def.validate(); err != nil {
		return err
	}
	k := strings.ToLower(def.Name)
	db.mu.RLock()
	old := db.views[k]
	_, broken := db.brokenViews[k]
	_, isTable := db.tables[k]
	_, brokenTable := db.broken[k]
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return errors.New("blitz/engine: database is closed")
	}
	if err := allow(old != nil || broken, isTable || brokenTable); err != nil {
		return err
	}
	intent, err := db.intendView(ddlRecord{Op: "create_view"}, def.Name, def)
	if err != nil {
		return err
	}
	if old != nil && old.Name != def.Name {
		// Another spelling of the name: keep one file (a case-sensitive
		// file system would hold both).
		db.fs.Remove(db.viewPath(old.Name))
	}
	if err := writeView(db.fs, db.dir, def); err != nil {
		intent.abandon(db)
		return err
	}
	db.mu.Lock()
	db.views[k] = def
	delete(db.brokenViews, k)
	db.mu.Unlock()
	return intent.commit(db)
}

// DropView removes a view. A name that is no view is error 4092.
func (db *DB) DropView(ctx context.Context, name string) error {
	db.ddlMu.Lock()
	defer db.ddlMu.Unlock()
	k := strings.ToLower(name)
	db.mu.RLock()
	v := db.views[k]
	_, broken := db.brokenViews[k]
	db.mu.RUnlock()
	if v == nil && !broken {
		return sqlerr.New(sqlerr.ErrUnknownView, "Unknown VIEW: '%s.%s'", filepath.Base(db.dir), name)
	}
	file := name
	if v != nil {
		file = v.Name
	}
	intent, err := db.intendView(ddlRecord{Op: "drop_view"}, file, &ViewDef{Name: file})
	if err != nil {
		return err
	}
	if err := db.fs.Remove(db.viewPath(file)); err != nil && !isNotExist(err) {
		intent.abandon(db)
		return fmt.Errorf("blitz/engine: drop view %s: %w", name, err)
	}
	if err := db.fs.SyncDir(db.dir); err != nil {
		return fmt.Errorf("blitz/engine: drop view %s: %w", name, err)
	}
	db.mu.Lock()
	delete(db.views, k)
	delete(db.brokenViews, k)
	db.mu.Unlock()
	return intent.commit(db)
}

// renameViewLocked renames view v to to (RenameTable, holding the DDL
// mutex; to is free).
func (db *DB) renameViewLocked(v *ViewDef, to string) error {
	nv := v.Clone()
	nv.Name = to
	if utf8.RuneCountInString(to) > maxIdentLen || strings.HasSuffix(to, " ") {
		return sqlerr.New(1103, "Incorrect table name '%s'", to)
	}
	if err := nv.validate(); err != nil {
		return err
	}
	intent, err := db.intendView(ddlRecord{Op: "rename_view", To: to}, v.Name, nv)
	if err != nil {
		return err
	}
	// The commit point: the old file holds the renamed view (see the top
	// of the file). The move after it is what the next open finishes if
	// a crash cuts it short.
	from := db.viewPath(v.Name)
	if err := writeViewAt(db.fs, from, nv); err != nil {
		intent.abandon(db)
		return err
	}
	if err := db.fs.Rename(from, db.viewPath(to)); err != nil {
		// Undo the commit point if the file system lets us; if not, the
		// next open finishes the rename.
		if werr := writeViewAt(db.fs, from, v); werr == nil {
			intent.abandon(db)
		}
		return fmt.Errorf("blitz/engine: rename view %s: %w", v.Name, err)
	}
	if err := db.fs.SyncDir(db.dir); err != nil {
		return fmt.Errorf("blitz/engine: rename view %s: %w", v.Name, err)
	}
	db.mu.Lock()
	delete(db.views, strings.ToLower(v.Name))
	db.views[strings.ToLower(to)] = nv
	db.mu.Unlock()
	return intent.commit(db)
}

// intendView writes the update-log intent (ulogintent.go) of one view
// DDL: rec with "view" set to def (see ulog.go).
func (db *DB) intendView(rec ddlRecord, name string, def *ViewDef) (*ddlIntent, error) {
	if db.ulog == nil {
		return nil, nil
	}
	b, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	rec.View = b
	return db.intendRecord(rec, name, nil)
}

// replayViewDDL applies one view op of the update log. Like the table
// ops it may run again after it was applied: a view already as logged, a
// drop of a missing view and a rename already done are skipped.
func (db *DB) replayViewDDL(ctx context.Context, name string, rec *ddlRecord) error {
	var v ViewDef
	if err := json.Unmarshal(rec.View, &v); err != nil {
		return fmt.Errorf("%s: view does not decode: %v", rec.Op, err)
	}
	cur, _ := db.View(name)
	switch rec.Op {
	case "create_view":
		if cur != nil && viewsEqual(cur, &v) {
			return nil
		}
		return db.CreateView(ctx, &v, true)
	case "drop_view":
		if !db.IsView(name) {
			return nil
		}
		return db.DropView(ctx, name)
	case "rename_view":
		if cur == nil || db.IsView(rec.To) {
			return nil
		}
		return db.RenameTable(ctx, name, rec.To)
	}
	return fmt.Errorf("unknown ddl op %q", strings.ToValidUTF8(rec.Op, "?"))
}

func viewsEqual(a, b *ViewDef) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// backupViews writes the definitions of every view into dest (Backup,
// holding the DDL mutex) and returns their names.
func (db *DB) backupViews(dest string) ([]string, error) {
	db.mu.RLock()
	vs := make([]*ViewDef, 0, len(db.views))
	for _, v := range db.views {
		vs = append(vs, v)
	}
	db.mu.RUnlock()
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	names := make([]string, len(vs))
	for i, v := range vs {
		if err := writeView(db.fs, dest, v); err != nil {
			return nil, fmt.Errorf("blitz/engine: backup: view %s: %w", v.Name, err)
		}
		names[i] = v.Name
	}
	return names, nil
}
