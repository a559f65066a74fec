package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/txn"
)

// runEngine commits one row per transaction into a CRASH_SAFE table (a
// BIGINT primary key and a 100-byte VARCHAR) through the engine API, with
// workers concurrent committers, for d. This is the measure: the
// WAL cases above isolate the log; this one adds the engine's row encoding,
// locking, overlay and checkpoints.
// runEngine runs workers closed-loop committers for d. think is a pause
// after each commit, standing in for a network client's round trip (what
// `blitz serve` sees: the next statement of a session arrives a while after
// its previous commit was acknowledged).
func runEngine(dir string, workers int, d, think time.Duration) (int, txn.Stats, error) {
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		return 0, txn.Stats{}, err
	}
	defer db.Close()
	ctx := context.Background()
	err = db.CreateTable(ctx, &engine.TableDef{Name: "t", Columns: []engine.Column{
		{Name: "id", Type: engine.TypeBigInt, NotNull: true},
		{Name: "v", Type: engine.TypeVarChar, Length: valueSize},
	}, PrimaryKey: []string{"id"}, CrashSafe: true})
	if err != nil {
		return 0, txn.Stats{}, err
	}
	val := strings.Repeat("v", valueSize)
	var n atomic.Int64
	var firstErr error
	var mu sync.Mutex
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				tx, err := db.Begin(ctx)
				if err == nil {
					_, _, err = tx.Insert("t", engine.Row{int64(w)<<32 | int64(i), val})
					if err == nil {
						err = tx.Commit()
					} else {
						tx.Rollback()
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("worker %d: %w", w, err)
					}
					mu.Unlock()
					return
				}
				n.Add(1)
				if think > 0 {
					time.Sleep(think)
				}
			}
		}(w)
	}
	wg.Wait()
	es := db.Stats()
	return int(n.Load()), txn.Stats{Commits: es.WALCommits, Syncs: es.WALSyncs, Groups: es.WALGroups}, firstErr
}
