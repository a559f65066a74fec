package engine

import (
	"fmt"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// crashKinds are the ways a process dies in the AUTO_INCREMENT recovery
// tests: kill -9 (every write the process made survives, synced or not)
// and a power cut (only synced writes survive).
var crashKinds = []struct {
	name  string
	crash func(db *DB, fs *vfs.CrashFS) *vfs.CrashFS
}{
	{"kill", func(db *DB, fs *vfs.CrashFS) *vfs.CrashFS {
		db.ckptMu.Lock() // no checkpoint writes mapped memory while it is copied (see cutPower)
		after := fs.Clone()
		db.ckptMu.Unlock()
		db.Close() // on fs, which the test no longer looks at
		return after
	}},
	{"powercut", func(db *DB, fs *vfs.CrashFS) *vfs.CrashFS {
		cutPower(db, fs, 1)
		db.closeAfterCut()
		return fs.AfterCut()
	}},
}

func autoDef(crashSafe bool) *TableDef {
	return &TableDef{Name: "t", Columns: []Column{
		{Name: "id", Type: TypeBigInt, NotNull: true, AutoIncrement: true},
		{Name: "v", Type: TypeInt},
	}, PrimaryKey: []string{"id"}, CrashSafe: crashSafe}
}

// newAutoTable opens a database in a new directory on o.FS and creates
// autoDef(crashSafe) in it.
func newAutoTable(t *testing.T, o Options, crashSafe bool) (string, *DB) {
	t.Helper()
	dir := t.TempDir()
	if err := o.FS.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, autoDef(crashSafe)); err != nil {
		t.Fatal(err)
	}
	return dir, db
}

// insertAuto inserts n rows with generated ids and returns the ids.
func insertAuto(t *testing.T, db *DB, n int) []uint64 {
	t.Helper()
	var out []uint64
	for i := 0; i < n; i++ {
		tx := mustTx(t, db)
		_, id, err := tx.Insert("t", Row{nil, int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func deleteIDs(t *testing.T, db *DB, ids ...int64) {
	t.Helper()
	tx := mustTx(t, db)
	for _, id := range ids {
		h, _, ok, err := tx.Get("t", []any{id})
		if err != nil || !ok {
			t.Fatalf("get %d: %v, %v", id, ok, err)
		}
		if err := tx.Delete("t", h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestAutoIncrementAfterCrash: after a crash a CRASH_SAFE table's
// AUTO_INCREMENT counter resumes where InnoDB's would (counters.go):
// above every committed value, deleted ones and AUTO_INCREMENT = N
// included, and without the jump to the end of the reserved range.
func TestAutoIncrementAfterCrash(t *testing.T) {
	cases := []struct {
		name string
		// run works on a database whose table t already holds ids 1..10
		// and returns the id the first insert after the crash must get.
		run func(t *testing.T, db *DB) uint64
	}{
		{"after the last row", func(t *testing.T, db *DB) uint64 { return 11 }},
		{"deleted rows above the max are not reused", func(t *testing.T, db *DB) uint64 {
			deleteIDs(t, db, 9, 10)
			return 11
		}},
		{"deleted rows, then a checkpoint drops their WAL", func(t *testing.T, db *DB) uint64 {
			deleteIDs(t, db, 8, 9, 10)
			if err := db.checkpoint(); err != nil {
				t.Fatal(err)
			}
			return 11
		}},
		{"AUTO_INCREMENT = N is kept", func(t *testing.T, db *DB) uint64 {
			if err := db.SetAutoIncrement(bg, "t", 500); err != nil {
				t.Fatal(err)
			}
			return 500
		}},
		{"AUTO_INCREMENT = N, then rows", func(t *testing.T, db *DB) uint64 {
			if err := db.SetAutoIncrement(bg, "t", 500); err != nil {
				t.Fatal(err)
			}
			if got := insertAuto(t, db, 2); fmt.Sprint(got) != "[500 501]" {
				t.Fatalf("ids after AUTO_INCREMENT = 500: %v", got)
			}
			return 502
		}},
		{"an explicit value above the counter", func(t *testing.T, db *DB) uint64 {
			insert(t, db, "t", Row{int64(7000), int64(0)})
			return 7001
		}},
		{"rolled back values may be handed out again", func(t *testing.T, db *DB) uint64 {
			tx := mustTx(t, db)
			if _, id, err := tx.Insert("t", Row{nil, int64(0)}); err != nil || id != 11 {
				t.Fatalf("insert: %d, %v", id, err)
			}
			tx.Rollback()
			return 11
		}},
	}
	for _, ck := range crashKinds {
		for _, c := range cases {
			t.Run(ck.name+"/"+c.name, func(t *testing.T) {
				fs := vfs.NewCrash()
				dir, db := newAutoTable(t, Options{FS: fs}, true)
				if got := insertAuto(t, db, 10); got[9] != 10 {
					t.Fatalf("ids %v", got)
				}
				want := c.run(t, db)
				fs = ck.crash(db, fs)

				db2 := mustOpen(t, dir, Options{FS: fs})
				if n := db2.Stats().TablesRecovered; n != 1 {
					t.Fatalf("%d tables recovered: the crash left nothing to recover", n)
				}
				st, err := db2.Status("t")
				if err != nil {
					t.Fatal(err)
				}
				if st.AutoIncrement != want {
					t.Errorf("AUTO_INCREMENT after the crash = %d, want %d", st.AutoIncrement, want)
				}
				if got := insertAuto(t, db2, 2); got[0] != want || got[1] != want+1 {
					t.Errorf("ids after the crash %v, want %d, %d", got, want, want+1)
				}
			})
		}
	}
}

// TestAutoIncrementAfterCrashTwice: the counter recovery sets is saved by
// the checkpoint that follows, so a second crash right after (its WAL
// gone) still does not hand out a value committed before the first.
func TestAutoIncrementAfterCrashTwice(t *testing.T) {
	fs := vfs.NewCrash()
	dir, db := newAutoTable(t, Options{FS: fs}, true)
	insertAuto(t, db, 10)
	deleteIDs(t, db, 10)
	fs = crashKinds[0].crash(db, fs)
	db, err := Open(dir, Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.checkpoint(); err != nil { // what the checkpoint loop does right after Open
		t.Fatal(err)
	}
	fs = crashKinds[0].crash(db, fs)
	db = mustOpen(t, dir, Options{FS: fs})
	if got := insertAuto(t, db, 1); got[0] != 11 {
		t.Errorf("id after two crashes %d, want 11", got[0])
	}
}

// TestAutoIncrementRepair: a CRASH_SAFE table left crashed (a power cut
// in the middle of a checkpoint, opened without auto-recovery) gets the
// same counter from REPAIR TABLE as auto-recovery would give it.
func TestAutoIncrementRepair(t *testing.T) {
	tried := 0
	for k := 1; k <= 12; k++ {
		fs := vfs.NewCrash()
		fs.NoGarbage()
		dir, db := newAutoTable(t, Options{FS: fs}, true)
		insertAuto(t, db, 10)
		deleteIDs(t, db, 10)
		db.ckptMu.Lock()
		fs.CutPowerAtSync(k, int64(k))
		err := db.checkpointLocked()
		db.ckptMu.Unlock()
		db.closeAfterCut()
		if err == nil {
			break // the checkpoint finished before the k-th sync point
		}
		db2, err := Open(dir, Options{FS: fs.AfterCut()})
		if err != nil {
			t.Fatal(err)
		}
		st, err := db2.Status("t")
		if err != nil || !st.Crashed {
			db2.Close()
			continue // the cut left nothing for REPAIR
		}
		tried++
		if _, err := db2.Repair(bg, "t", false); err != nil {
			t.Fatalf("k=%d: Repair: %v", k, err)
		}
		if st, err = db2.Status("t"); err != nil || st.AutoIncrement != 11 {
			t.Errorf("k=%d: AUTO_INCREMENT after REPAIR = %d (%v), want 11", k, st.AutoIncrement, err)
		}
		if err := db2.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if tried == 0 {
		t.Fatal("no cut left the table crashed: the test checks nothing")
	}
}

// TestAutoIncrementPlainTableAfterCrash: a plain table has no log of what
// was committed or deleted since its counter was saved, so after a crash
// it resumes at the end of the reserved range and repeats no value.
func TestAutoIncrementPlainTableAfterCrash(t *testing.T) {
	fs := vfs.NewCrash()
	dir, db := newAutoTable(t, Options{FS: fs, AutoRecover: true}, false)
	insertAuto(t, db, 10)
	deleteIDs(t, db, 10)
	fs = crashKinds[0].crash(db, fs)
	db = mustOpen(t, dir, Options{FS: fs, AutoRecover: true})
	if got := insertAuto(t, db, 1); got[0] <= 10 {
		t.Errorf("id after the crash %d: a value handed out before was repeated", got[0])
	}
}
