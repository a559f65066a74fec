package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestDDLDuringCheckpoints runs DDL on one crash-safe table (create and
// drop index, rename, drop, create) while another crash-safe table commits
// fast enough to keep the background checkpointer busy. A checkpoint must
// never touch the files DDL is closing or replacing (it once called Sync on
// a data file DDL had just closed).
func TestDDLDuringCheckpoints(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{CheckpointBytes: 4 << 10})
	if err := db.CreateTable(bg, accountsDef("busy", true)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := int64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tx, err := db.Begin(bg)
			if err != nil {
				t.Error(err)
				return
			}
			if _, _, err := tx.Insert("busy", Row{i, fmt.Sprintf("o%d", i), i, nil}); err != nil {
				t.Error(err)
				tx.Rollback()
				return
			}
			if err := tx.Commit(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	deadline := time.Now().Add(3 * time.Second)
	for round := 0; round < 60 && time.Now().Before(deadline); round++ {
		def := accountsDef("d", true)
		def.Indexes = nil
		if err := db.CreateTable(bg, def); err != nil {
			t.Fatal(err)
		}
		insert(t, db, "d", Row{int64(round), "x", int64(1), nil})
		if err := db.CreateIndex(bg, "d", IndexDef{Name: "k", Columns: []string{"owner"}}); err != nil {
			t.Fatal(err)
		}
		if err := db.RenameTable(bg, "d", "e"); err != nil {
			t.Fatal(err)
		}
		if err := db.DropIndex(bg, "e", "k"); err != nil {
			t.Fatal(err)
		}
		if err := db.DropTable(bg, "e"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if st := db.Stats(); st.Checkpoints < 2 {
		t.Fatalf("the load made %d checkpoints: not a test of anything", st.Checkpoints)
	}
}

// TestCloseDuringCheckpoints closes databases while commits keep asking
// the background loop for checkpoints: Close must wait for the loop, not
// close the files under a checkpoint it started (a nil data file once
// crashed the process here).
func TestCloseDuringCheckpoints(t *testing.T) {
	for round := 0; round < 8; round++ {
		dir := t.TempDir()
		db, err := Open(dir, Options{CheckpointBytes: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateTable(bg, accountsDef("busy", true)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := int64(0); w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int64(0); i < 1000; i++ {
					tx, err := db.Begin(bg)
					if err != nil {
						return // closed
					}
					if _, _, err := tx.Insert("busy", Row{w<<32 | i, fmt.Sprintf("o%d-%d", w, i), i, nil}); err != nil {
						tx.Rollback()
						return
					}
					if tx.Commit() != nil {
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(5+round) * time.Millisecond)
		if err := db.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		wg.Wait()
		db2 := mustOpen(t, dir, Options{})
		db2.Close()
	}
}
