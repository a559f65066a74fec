package sqlshim

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestSelectForUpdate runs read-modify-write transactions from several
// sessions at once: with FOR UPDATE (and LOCK IN SHARE MODE, and FOR
// UPDATE of a join) no increment is lost. Without the lock this test loses
// some on most runs (the lock is what it checks).
func TestSelectForUpdate(t *testing.T) {
	s0 := newTestSession(t)
	mustRun(t, s0, "CREATE TABLE ctr (id INT PRIMARY KEY, n INT) ENGINE = BLITZDB, CRASH_SAFE")
	mustRun(t, s0, "CREATE TABLE other (id INT PRIMARY KEY, x INT)")
	mustRun(t, s0, "INSERT INTO ctr VALUES (1, 0), (2, 0), (3, 0)")
	mustRun(t, s0, "INSERT INTO other VALUES (3, 1)")
	reads := map[int]string{
		1: "SELECT n FROM ctr WHERE id = 1 FOR UPDATE",
		2: "SELECT n FROM ctr WHERE id = 2 LOCK IN SHARE MODE",
		3: "SELECT c.n FROM other o JOIN ctr c ON c.id = o.id WHERE o.id = 3 FOR UPDATE",
	}
	const workers, rounds = 4, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		s := NewSession(s0.db)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; i < rounds; i++ {
				for id, read := range reads {
					if _, err := s.ExecOne(ctx, "BEGIN", nil); err != nil {
						errs <- err
						return
					}
					r, err := s.ExecOne(ctx, read, nil)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", read, err)
						return
					}
					n := r.Rows[0][0].(int64)
					if _, err := s.ExecOne(ctx, fmt.Sprintf("UPDATE ctr SET n = %d WHERE id = %d", n+1, id), nil); err != nil {
						errs <- err
						return
					}
					if _, err := s.ExecOne(ctx, "COMMIT", nil); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := mustRun(t, s0, "SELECT id, n FROM ctr ORDER BY id")
	for _, row := range r.Rows {
		if row[1].(int64) != workers*rounds {
			t.Errorf("counter %v = %v after %d increments: some were lost", row[0], row[1], workers*rounds)
		}
	}
}
