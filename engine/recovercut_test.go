package engine

import (
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// TestPowerCutDuringRecovery cuts the power at every sync point of a
// recovery (salvage of a damaged plain table, WAL replay of a crash-safe
// one, index rebuilds, the checkpoint that ends it) and checks that the
// recovery after that second cut gives exactly what an uninterrupted
// recovery gives: recovery is restartable and never loses what it was
// recovering.
func TestPowerCutDuringRecovery(t *testing.T) {
	skipUnderRace(t)
	base := bankSeed(t)
	seeds := int64(3)
	if os.Getenv("BLITZ_TORTURE") != "" {
		seeds = 30
	}
	for s := int64(0); s < seeds; s++ {
		seed := base + s
		dir := t.TempDir()
		fs := vfs.NewCrash()
		db := openCutPair(t, dir, fs)
		r := rand.New(rand.NewSource(seed))
		for i := 0; i < 200; i++ { // unsynced work on both tables
			id := int64(r.Intn(300))
			for _, tbl := range []string{"p", "c"} {
				tx := mustTx(t, db)
				if h, old, ok, _ := tx.Get(tbl, []any{id}); ok && r.Intn(3) == 0 {
					tx.Delete(tbl, h)
				} else if ok {
					old[2] = old[2].(int64) + 1
					tx.Update(tbl, h, old)
				} else {
					tx.Insert(tbl, Row{id, fmt.Sprintf("o%d", id), id, nil})
				}
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		cutPower(db, fs, seed)
		db.Close()
		crashed := fs.AfterCut()
		if s%2 == 1 {
			// Damage the middle of p's data file as well, so that recovery
			// salvages it (keeping the original beside it).
			f, err := crashed.OpenFile(dir+"/p.bdf", os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			size, _ := f.Size()
			if _, err := f.WriteAt([]byte("a power cut garbled this sector of the file"), size/2); err != nil {
				t.Fatal(err)
			}
			f.Sync()
			f.Close()
		}

		// The reference: one uninterrupted recovery.
		ref := crashed.Clone()
		want, points, st := recoverAndRead(t, dir, ref)
		if s%2 == 1 && st.TablesSalvaged != 1 {
			t.Fatalf("the damaged data file was not salvaged: %+v", st)
		}
		if points == 0 {
			t.Fatal("recovery passed no sync point")
		}
		for k := 1; k <= points; k++ {
			try := crashed.Clone()
			try.CutPowerAtSync(k, seed+int64(k))
			if db, err := Open(dir, Options{FS: try, AutoRecover: true, WALSegmentBytes: walSeg}); err == nil {
				db.Close()
			}
			got, _, _ := recoverAndRead(t, dir, try.AfterCut())
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d: power cut at sync point %d of %d during recovery: the next recovery gives\n%v\nan uninterrupted one\n%v",
					seed, k, points, got, want)
			}
		}
		t.Logf("seed %d: %d sync points during recovery, %d rows, %+v", seed, points, len(want), st)
	}
}

// recoverAndRead opens dir on fs with AutoRecover, checks every table and
// returns every row of p and c (through the primary key and through each
// index, which must agree) and the sync points the open passed.
func recoverAndRead(t *testing.T, dir string, fs *vfs.CrashFS) ([]string, int, Stats) {
	t.Helper()
	before := fs.SyncPoints()
	db, err := Open(dir, Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	points := fs.SyncPoints() - before
	st := db.Stats()
	defer db.Close()
	var rows []string
	for _, tbl := range []string{"p", "c"} {
		if rep, err := db.Check(bg, tbl); err != nil || !rep.OK {
			t.Fatalf("CHECK %s after recovery: %v %v", tbl, rep.Problems, err)
		}
		tx := mustTx(t, db)
		var pk []string
		tx.Scan(tbl, Scan{Index: "PRIMARY"}, func(h Handle, r Row) (bool, error) {
			pk = append(pk, tbl+fmt.Sprint(r))
			return true, nil
		})
		for _, ix := range []string{"by_owner", "by_balance"} {
			var via []string
			tx.Scan(tbl, Scan{Index: ix}, func(h Handle, r Row) (bool, error) {
				via = append(via, tbl+fmt.Sprint(r))
				return true, nil
			})
			slices.Sort(via)
			if s := slices.Sorted(slices.Values(pk)); !slices.Equal(via, s) {
				t.Fatalf("%s: index %s holds %d rows, the primary key %d", tbl, ix, len(via), len(pk))
			}
		}
		tx.Rollback()
		rows = append(rows, pk...)
	}
	slices.Sort(rows)
	return rows, points, st
}

// TestPowerCutDuringRepair: REPAIR TABLE (without auto-recovery) of a
// plain table a power cut left crashed, its data file damaged in the
// middle so that the repair salvages it, and of a CRASH_SAFE table with
// WAL to replay, is itself cut at every sync point. After each cut the
// database opens without auto-recovery, each table either answers or
// gives error 1194 naming it (never another error), a second REPAIR of
// each works, and the rows (through the primary key and every index) are
// those of an uninterrupted repair.
func TestPowerCutDuringRepair(t *testing.T) {
	skipUnderRace(t)
	seed := bankSeed(t)
	dir := t.TempDir()
	fs := vfs.NewCrash()
	db := openCutPair(t, dir, fs)
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < 100; i++ { // unsynced work on both tables
		id := int64(r.Intn(300))
		for _, tbl := range []string{"p", "c"} {
			tx := mustTx(t, db)
			if h, old, ok, _ := tx.Get(tbl, []any{id}); ok {
				old[2] = old[2].(int64) + 1
				tx.Update(tbl, h, old)
			} else {
				tx.Insert(tbl, Row{id, fmt.Sprintf("o%d", id), id, nil})
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	cutPower(db, fs, seed)
	db.Close()
	crashed := fs.AfterCut()
	f, err := crashed.OpenFile(dir+"/p.bdf", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := f.Size()
	if _, err := f.WriteAt([]byte("a power cut garbled this sector of the file"), size/2); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	f.Close()

	// repair opens fs without auto-recovery and repairs both tables.
	repair := func(fs *vfs.CrashFS) error {
		db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
		if err != nil {
			return err
		}
		defer db.Close()
		for _, tbl := range []string{"p", "c"} {
			if _, err := db.Repair(bg, tbl, false); err != nil {
				return fmt.Errorf("repair %s: %w", tbl, err)
			}
		}
		return nil
	}
	ref := crashed.Clone()
	before := ref.SyncPoints()
	if err := repair(ref); err != nil {
		t.Fatal(err)
	}
	points := ref.SyncPoints() - before
	want, _, _ := recoverAndRead(t, dir, ref)
	if points == 0 {
		t.Fatal("repair passed no sync point")
	}
	crashedAnswers := 0
	for k := 1; k <= points; k += cutStep() {
		try := crashed.Clone()
		try.CutPowerAtSync(k, seed+int64(k))
		repair(try)
		after := try.AfterCut()
		db, err := Open(dir, Options{FS: after, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("power cut at sync point %d of %d of a repair: open without auto-recovery: %v", k, points, err)
		}
		for _, tbl := range []string{"p", "c"} {
			tx := mustTx(t, db)
			_, _, _, err := tx.Get(tbl, []any{int64(1)})
			tx.Rollback()
			switch {
			case err == nil:
			case sqlerr.Code(err) == sqlerr.ErrCrashedTable && strings.Contains(err.Error(), "'"+tbl+"'"):
				crashedAnswers++
			default:
				t.Fatalf("power cut at sync point %d of %d of a repair: %s answers %v, want rows or error 1194 naming it", k, points, tbl, err)
			}
			if _, err := db.Repair(bg, tbl, false); err != nil {
				t.Fatalf("power cut at sync point %d of %d of a repair: the next repair of %s: %v", k, points, tbl, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		got, _, _ := recoverAndRead(t, dir, after)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: power cut at sync point %d of %d of a repair, then a repair: rows\n%v\nan uninterrupted repair\n%v", seed, k, points, got, want)
		}
	}
	t.Logf("seed %d: %d sync points in the repair, %d rows; after the cuts, %d answers of error 1194", seed, points, len(want), crashedAnswers)
	if crashedAnswers == 0 {
		t.Fatal("no cut left a table crashed: the test checks too little")
	}
}

// openCutPair opens dir on fs with a plain table p and a CRASH_SAFE table
// c of 150 rows each, synced: the start of the power-cut tests here.
func openCutPair(t *testing.T, dir string, fs vfs.FS) *DB {
	t.Helper()
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*TableDef{accountsDef("p", false), accountsDef("c", true)} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(0); i < 150; i++ {
		for _, tbl := range []string{"p", "c"} {
			insert(t, db, tbl, Row{i, fmt.Sprintf("o%d", i), i, nil})
		}
	}
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	return db
}
