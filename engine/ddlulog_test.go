package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// insertShaped inserts one row into table, built from its current
// definition (whatever DDL ran before), so that it works on either side
// of a DDL statement. It returns the error of the insert.
func insertShaped(db *DB, table string, n int64) error {
	def, err := db.Table(table)
	if err != nil {
		return err
	}
	row := make(Row, len(def.Columns))
	for i, c := range def.Columns {
		switch {
		case c.AutoIncrement:
			row[i] = nil
		case c.Type.IsInteger():
			row[i] = n*10 + int64(i)
		default:
			row[i] = fmt.Sprintf("r%d.%d", n, i)
		}
	}
	tx, err := db.Begin(bg)
	if err != nil {
		return err
	}
	if _, _, err := tx.Insert(table, row); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// cutStep is the step between the sync points the long power-cut loops
// cut at: every one, or every third with -short and under the race
// detector.
func cutStep() int {
	if testing.Short() || vfs.RaceEnabled {
		return 3
	}
	return 1
}

// ddlLogCases are DDL statements whose update-log record must never be
// missing from the log of a database that holds their effect.
var ddlLogCases = []struct {
	name string
	ddl  func(db *DB) error
}{
	{"alter rebuild", func(db *DB) error {
		nd, _ := db.Table("a")
		nd = nd.Clone()
		nd.Columns = nd.Columns[:2] // drop note
		return db.AlterColumns(bg, "a", nd, []int{0, 1})
	}},
	{"alter rebuild crash-safe", func(db *DB) error {
		nd, _ := db.Table("b")
		nd = nd.Clone()
		nd.Columns = append([]Column{nd.Columns[0], {Name: "first", Type: TypeBigInt}}, nd.Columns[1:]...)
		return db.AlterColumns(bg, "b", nd, []int{0, -1, 1, 2})
	}},
	{"alter definition only", func(db *DB) error {
		nd, _ := db.Table("a")
		nd = nd.Clone()
		nd.Columns[2].Name = "remark"
		return db.AlterColumns(bg, "a", nd, []int{0, 1, 2})
	}},
	{"add column", func(db *DB) error {
		return db.AddColumn(bg, "a", Column{Name: "extra", Type: TypeBigInt})
	}},
	{"create index", func(db *DB) error {
		return db.CreateIndex(bg, "a", IndexDef{Name: "by_id_v", Columns: []string{"v", "id"}})
	}},
	{"drop index", func(db *DB) error { return db.DropIndex(bg, "a", "by_v") }},
	{"rename", func(db *DB) error { return db.RenameTable(bg, "a", "c") }},
	{"drop", func(db *DB) error { return db.DropTable(bg, "a") }},
	{"create", func(db *DB) error { return db.CreateTable(bg, itemsDef("c", false)) }},
	{"auto_increment", func(db *DB) error { return db.SetAutoIncrement(bg, "a", 500) }},
	{"create table ... select", func(db *DB) error {
		if err := db.CreateTableProvisional(bg, itemsDef("c", true)); err != nil {
			return err
		}
		for i := int64(1); i <= 3; i++ {
			if err := insertShaped(db, "c", i); err != nil {
				return err
			}
		}
		return db.ConfirmTable("c")
	}},
	{"rename swap", func(db *DB) error {
		return db.RenameTables(bg, []RenamePair{{From: "a", To: "tmp"}, {From: "b", To: "a"}, {From: "tmp", To: "b"}})
	}},
	{"alter rebuild and rename", func(db *DB) error {
		nd, _ := db.Table("b")
		nd = nd.Clone()
		nd.Columns = append([]Column{nd.Columns[0], {Name: "first", Type: TypeBigInt}}, nd.Columns[1:]...)
		return db.AlterColumnsRenamed(bg, "b", "c", nd, []int{0, -1, 1, 2}, 0)
	}},
	{"alter definition and rename", func(db *DB) error {
		nd, _ := db.Table("a")
		nd = nd.Clone()
		nd.Columns[2].Name = "remark"
		return db.AlterColumnsRenamed(bg, "a", "c", nd, []int{0, 1, 2}, 0)
	}},
	{"alter rebuild and auto_increment", func(db *DB) error {
		nd, _ := db.Table("b")
		nd = nd.Clone()
		nd.Columns = append([]Column{nd.Columns[0], {Name: "first", Type: TypeBigInt}}, nd.Columns[1:]...)
		return db.AlterColumnsAuto(bg, "b", nd, []int{0, -1, 1, 2}, 0, 700)
	}},
	{"alter definition and auto_increment", func(db *DB) error {
		nd, _ := db.Table("a")
		nd = nd.Clone()
		nd.Columns[2].Name = "remark"
		return db.AlterColumnsAuto(bg, "a", nd, []int{0, 1, 2}, 0, 700)
	}},
	{"alter definition with a referencing key", func(db *DB) error {
		// c's key follows a's column v renamed, in the ALTER's step.
		if err := createChild(db, "a"); err != nil {
			return err
		}
		nd, _ := db.Table("a")
		nd = nd.Clone()
		nd.Columns[1].Name = "vv"
		nd.Indexes[0].Columns[0] = "vv"
		return db.AlterColumns(bg, "a", nd, []int{0, 1, 2})
	}},
	{"alter rebuild with a referencing key", func(db *DB) error {
		if err := createChild(db, "b"); err != nil {
			return err
		}
		nd, _ := db.Table("b")
		nd = nd.Clone()
		nd.Columns[1].Name = "vv"
		nd.Indexes[0].Columns[0] = "vv"
		nd.Columns = append(nd.Columns, Column{Name: "last", Type: TypeBigInt, NotNull: true})
		return db.AlterColumns(bg, "b", nd, []int{0, 1, 2, -1})
	}},
	{"alter rename and auto_increment", func(db *DB) error {
		nd, _ := db.Table("a")
		nd = nd.Clone()
		nd.Comment = "moved"
		next := uint64(700)
		return db.Alter(bg, "a", nd, []int{0, 1, 2}, AlterOptions{RenameTo: "c", AutoIncrement: &next})
	}},
	{"alter rebuild, rename and auto_increment", func(db *DB) error {
		nd, _ := db.Table("b")
		nd = nd.Clone()
		next := uint64(700)
		return db.Alter(bg, "b", nd, []int{0, 1, 2}, AlterOptions{RenameTo: "c", AutoIncrement: &next, Rebuild: true})
	}},
	{"create view", func(db *DB) error { return db.CreateView(bg, viewDef("v2", "select 2 AS `b`", "b"), false) }},
	{"drop view", func(db *DB) error { return db.DropView(bg, "v1") }},
}

// createChild creates table c, whose foreign key references column v of
// parent (insertShaped gives c.v a value the parent's row of the same n
// has), unless it exists.
func createChild(db *DB, parent string) error {
	if _, err := db.Table("c"); err == nil {
		return nil
	}
	return db.CreateTable(bg, &TableDef{Name: "c",
		Columns:     []Column{{Name: "id", Type: TypeBigInt, NotNull: true, AutoIncrement: true}, {Name: "v", Type: TypeBigInt}},
		PrimaryKey:  []string{"id"},
		Indexes:     []IndexDef{{Name: "v", Columns: []string{"v"}}},
		ForeignKeys: []ForeignKeyDef{{Name: "c_ibfk_1", Columns: []string{"v"}, RefTable: parent, RefColumns: []string{"v"}}},
	})
}

// dumpWithViews is dumpDB plus the views.
func dumpWithViews(t *testing.T, db *DB) map[string]string {
	m := dumpDB(t, db)
	for _, n := range db.Views() {
		v, err := db.View(n)
		if err != nil {
			t.Fatalf("view %s: %v", n, err)
		}
		m["view "+strings.ToLower(n)] = fmt.Sprintf("%+v", *v)
	}
	return m
}

// TestDDLULogPowerCut cuts the power at every sync point of each DDL of
// ddlLogCases on a database with an update log, reopens it, changes a row
// of every table, and restores the backup taken before the DDL plus the
// update log: the restore must equal the database. (Before the DDL intent
// of ulogintent.go, a cut after a DDL's commit point and before its log
// record was synced left the log without the DDL, and the later row
// changes replayed onto the old table shape.)
func TestDDLULogPowerCut(t *testing.T) {
	for _, c := range ddlLogCases {
		t.Run(c.name, func(t *testing.T) {
			base, db, dir, ulogDir, dest := openLoggedPair(t, 3)
			root := filepath.Dir(dir)
			if err := db.CreateView(bg, viewDef("v1", "select 1 AS `a`", "a"), false); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Backup(bg, dest); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"a", "b"} {
				if err := insertShaped(db, n, 4); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			cuts := 0
			for k := 1; ; k += cutStep() {
				if k > 300 {
					t.Fatal("the DDL never ran to its end without a cut")
				}
				resetIndexes(t, dir) // index files live outside the vfs
				fs := base.Clone()
				// No background checkpoint: a cut must not copy the
				// files while the loop's checkpoint writes them.
				db, err := Open(dir, Options{FS: fs, ULogDir: ulogDir, WALSegmentBytes: walSeg, noCheckpointLoop: true})
				if err != nil {
					t.Fatal(err)
				}
				fs.CutPowerAtSync(k, int64(k))
				err = c.ddl(db)
				last := !fs.IsCut()
				if last {
					// The DDL ran to its end: the cut comes after it and
					// the rows it acknowledged (cuts inside a row commit
					// may leave the log and the database a commit apart,
					// as engine/ulog.go says: not this test's business).
					fs.CutPowerAtSync(1<<30, 0)
					if err != nil {
						t.Fatalf("DDL without a cut: %v", err)
					}
					for _, n := range []string{"a", "b", "c"} {
						insertShaped(db, n, 5)
					}
					db.Sync()
					db.ulog.Sync()
					cutPower(db, fs, int64(k))
				}
				db.closeAfterCut()
				cuts++
				after := fs.AfterCut()
				db, err = Open(dir, Options{FS: after, ULogDir: ulogDir, AutoRecover: true, WALSegmentBytes: walSeg})
				if err != nil {
					t.Fatalf("k=%d: open after the cut: %v", k, err)
				}
				for _, n := range []string{"a", "b", "c"} {
					if _, err := db.Table(n); err == nil {
						if err := insertShaped(db, n, 6); err != nil {
							t.Fatalf("k=%d: insert into %s after the cut: %v", k, n, err)
						}
					}
				}
				want := dumpWithViews(t, db)
				if err := db.Close(); err != nil {
					t.Fatalf("k=%d: close: %v", k, err)
				}
				restored := filepath.Join(root, fmt.Sprint("r", k))
				os.MkdirAll(restored, 0o755)
				if _, err := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: after}); err != nil {
					t.Fatalf("k=%d: restore: %v", k, err)
				}
				rdb, err := Open(restored, Options{FS: after, WALSegmentBytes: walSeg})
				if err != nil {
					t.Fatalf("k=%d: open the restore: %v", k, err)
				}
				compareDumps(t, fmt.Sprintf("k=%d: backup + update log", k), dumpWithViews(t, rdb), want)
				rdb.Close()
				os.RemoveAll(restored)
				if t.Failed() {
					t.FailNow()
				}
				if last {
					break
				}
			}
			if cuts == 0 {
				t.Fatal("no cut happened: the test checks nothing")
			}
			t.Logf("%d power cuts", cuts)
		})
	}
}

// TestProvisionalDropLoggedAcrossCuts: a CREATE TABLE ... SELECT cut
// short is dropped at the next open, which logs the drop; a power cut at
// every sync point of that open leaves the drop for the open after it, so
// that the update log always ends with the table dropped, as the database
// has it.
func TestProvisionalDropLoggedAcrossCuts(t *testing.T) {
	root := t.TempDir()
	dir, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(dest, 0o755)
	base := vfs.NewCrash()
	o := Options{FS: base, ULogDir: ulogDir, WALSegmentBytes: walSeg, AutoRecover: true}
	db, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, itemsDef("a", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTableProvisional(bg, itemsDef("c", true)); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		if err := insertShaped(db, "c", i); err != nil {
			t.Fatal(err)
		}
	}
	db.Sync()
	cutPower(db, base, 1)
	db.closeAfterCut()
	crashed := base.AfterCut()
	for k := 1; ; k++ {
		if k > 100 {
			t.Fatal("the open never ran to its end")
		}
		resetIndexes(t, dir)
		fs := crashed.Clone()
		fs.CutPowerAtSync(k, int64(k))
		o.FS = fs
		if db, err := Open(dir, o); err == nil {
			db.closeAfterCut()
		}
		last := !fs.IsCut()
		o.FS = fs.AfterCut()
		db, err := Open(dir, o)
		if err != nil {
			t.Fatalf("k=%d: open: %v", k, err)
		}
		if _, err := db.Table("c"); err == nil {
			t.Fatalf("k=%d: the table of the CREATE TABLE ... SELECT cut short is there", k)
		}
		if err := insertShaped(db, "a", 9); err != nil {
			t.Fatal(err)
		}
		want := dumpWithViews(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		restored := filepath.Join(root, fmt.Sprint("r", k))
		os.MkdirAll(restored, 0o755)
		if _, err := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: o.FS}); err != nil {
			t.Fatalf("k=%d: restore: %v", k, err)
		}
		rdb, err := Open(restored, Options{FS: o.FS, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatal(err)
		}
		compareDumps(t, fmt.Sprintf("k=%d: backup + update log", k), dumpWithViews(t, rdb), want)
		rdb.Close()
		if t.Failed() || last {
			t.Logf("%d power cuts", k-1)
			return
		}
	}
}

// openLoggedPair opens a new database on a CrashFS with an update log,
// holding a plain table a and a CRASH_SAFE table b of rows rows each
// (insertShaped), and returns it with its directory, its update log's and
// an empty backup destination.
func openLoggedPair(t *testing.T, rows int64) (base *vfs.CrashFS, db *DB, dir, ulogDir, dest string) {
	t.Helper()
	root := t.TempDir()
	dir, ulogDir, dest = filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	os.MkdirAll(dir, 0o755) // index files live outside the vfs
	os.MkdirAll(dest, 0o755)
	base = vfs.NewCrash()
	db, err := Open(dir, Options{FS: base, ULogDir: ulogDir, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*TableDef{itemsDef("a", false), itemsDef("b", true)} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
		for i := int64(1); i <= rows; i++ {
			if err := insertShaped(db, d.Name, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	return base, db, dir, ulogDir, dest
}
