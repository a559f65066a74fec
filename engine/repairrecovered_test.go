package engine

import (
	"fmt"
	"testing"
)

// TestRepairRightAfterRecovery repairs a crash-safe table the moment an
// auto-recovering Open returns. The WAL that Open replayed is still in
// the table's overlay, and Open has asked the background checkpoint to
// write it into the data file: that checkpoint runs while REPAIR rebuilds
// the indexes, and its first write to the data file moves the file's
// generation on. REPAIR (full and quick) must answer OK, and the table
// must check clean afterwards (mustOpen's cleanup).
//
// created says whether the killed session created the table (its data
// file is then found open, and the recovering Open moves the generation
// on itself) or found it closed cleanly and only committed to the WAL (the
// data file is found clean, and the checkpoint moves the generation on).
func TestRepairRightAfterRecovery(t *testing.T) {
	for _, quick := range []bool{false, true} {
		for _, created := range []bool{false, true} {
			t.Run(fmt.Sprintf("quick=%v/created=%v", quick, created), func(t *testing.T) {
				testRepairRightAfterRecovery(t, quick, created)
			})
		}
	}
}

func testRepairRightAfterRecovery(t *testing.T, quick, created bool) {
	fs, dir, db := openCrashFS(t, Options{})
	if err := db.CreateTable(bg, accountsDef("c", true)); err != nil {
		t.Fatal(err)
	}
	if !created {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		var err error
		if db, err = Open(dir, Options{FS: fs}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 300
	for i := 0; i < n; i++ {
		insert(t, db, "c", Row{int64(i), fmt.Sprintf("o%d", i), int64(i % 7), nil})
	}
	killed := fs.Clone() // what kill -9 leaves: every write, nothing closed
	db.Close()

	db2 := mustOpen(t, dir, Options{FS: killed, AutoRecover: true})
	rep, err := db2.Repair(bg, "c", quick)
	if err != nil {
		t.Fatalf("REPAIR right after recovery: %v (actions %v)", err, rep.Actions)
	}
	if got := ids(t, db2, "c", Scan{}); len(got) != n {
		t.Fatalf("%d rows after REPAIR, want %d", len(got), n)
	}
	if got := ids(t, db2, "c", Scan{Index: "by_balance"}); len(got) != n {
		t.Fatalf("%d rows through by_balance after REPAIR, want %d", len(got), n)
	}
}

// TestRebuildIndexesDuringCheckpoint runs a checkpoint in the middle of
// REPAIR's index rebuild, between building the files and opening them, on
// a crash-safe table whose data file is unchanged this session and whose
// committed rows are still only in the WAL and the overlay: the
// checkpoint's first write to the data file moves its generation on. The
// rebuilt files must open all the same (they were refused as stale,
// "stamped 1, want 2"), the table must read and check clean, and survive
// a clean close and reopen without a rebuild.
func TestRebuildIndexesDuringCheckpoint(t *testing.T) {
	for _, quick := range []bool{false, true} {
		t.Run(fmt.Sprintf("quick=%v", quick), func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, Options{})
			if err := db.CreateTable(bg, accountsDef("c", true)); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, Options{})
			const n = 50
			for i := 0; i < n; i++ {
				insert(t, db, "c", Row{int64(i), fmt.Sprintf("o%d", i), int64(i % 7), nil})
			}
			var gens []uint64 // the data file's generation around the checkpoint
			indexesBuiltHook = func(tb *table) {
				tb.mu.RLock()
				df := tb.df
				tb.mu.RUnlock()
				gens = append(gens, df.Generation())
				if err := tb.db.checkpoint(); err != nil {
					t.Errorf("checkpoint during the rebuild: %v", err)
				}
				gens = append(gens, df.Generation())
			}
			defer func() { indexesBuiltHook = nil }()
			rep, err := db.Repair(bg, "c", quick)
			indexesBuiltHook = nil
			if err != nil {
				t.Fatalf("REPAIR with a checkpoint beside its rebuild: %v (actions %v)", err, rep.Actions)
			}
			if len(gens) != 2 || gens[0] == gens[1] {
				t.Fatalf("generations around the checkpoint %v: the test did not move the generation during the rebuild", gens)
			}
			for _, ix := range []string{"", "by_owner", "by_balance"} {
				if got := ids(t, db, "c", Scan{Index: ix}); len(got) != n {
					t.Fatalf("%d rows through %q after REPAIR, want %d", len(got), ix, n)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, Options{})
			if st := db.Stats(); st.IndexRebuilds != 0 {
				t.Fatalf("reopen after a clean close rebuilt indexes: %+v", st)
			}
			if got := ids(t, db, "c", Scan{Index: "by_balance"}); len(got) != n {
				t.Fatalf("%d rows through by_balance after reopen, want %d", len(got), n)
			}
		})
	}
}
