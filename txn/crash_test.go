package txn

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// crashWorkload runs committers goroutines of n commits each, with a
// checkpoint begun and ended after a third of them and one begun (never
// ended) after two thirds, on a small-segment WAL. It stops quietly at the
// first error (the power is cut).
func crashWorkload(t *testing.T, fs vfs.FS, dir string, r *rand.Rand, cl *crashLog, committers, n int, tag string) {
	w, err := OpenWAL(dir, Options{FS: fs, SegmentBytes: 1024, Logger: quiet})
	if err != nil {
		if errors.Is(err, vfs.ErrPowerCut) {
			return
		}
		t.Fatalf("OpenWAL: %v", err)
	}
	defer w.Close()
	var wg sync.WaitGroup
	var ckptOnce sync.Once
	var ckpt2Once sync.Once
	sizes := make([]int, committers)
	for i := range sizes {
		sizes[i] = r.Intn(300)
	}
	for g := 0; g < committers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				key := fmt.Sprintf("%s/%d/%d", tag, g, i)
				b := Batch{
					{Table: "a", Kind: OpPut, Key: []byte(key), Value: make([]byte, (sizes[g]+i*37)%400)},
					{Table: "b", Kind: OpDelete, Key: []byte(key)},
				}
				cl.mu.Lock()
				cl.attempted[key] = b
				cl.mu.Unlock()
				lsn, err := w.Commit(context.Background(), b)
				if err != nil {
					return
				}
				cl.mu.Lock()
				cl.acked[lsn] = key
				cl.mu.Unlock()
				if g == 0 && i == n/3 {
					ckptOnce.Do(func() {
						through, err := w.BeginCheckpoint()
						if err != nil {
							return
						}
						cl.mu.Lock()
						cl.ckptBegun = through
						cl.mu.Unlock()
						if err := w.EndCheckpoint(through); err != nil {
							return
						}
						cl.mu.Lock()
						cl.ckptDone = through
						cl.mu.Unlock()
					})
				}
				if g == 0 && i == 2*n/3 {
					ckpt2Once.Do(func() {
						if through, err := w.BeginCheckpoint(); err == nil {
							cl.mu.Lock()
							cl.ckptBegun = through
							cl.mu.Unlock()
						}
					})
				}
			}
		}()
	}
	wg.Wait()
}

// TestPowerCut cuts the power at every sync point of a workload (and again
// during the work that follows recovery), for several seeds, and checks
// that nothing acknowledged is lost and nothing partial or never-committed
// appears. BLITZ_TORTURE=1 runs many more seeds.
func TestPowerCut(t *testing.T) {
	seeds := 3
	if os.Getenv("BLITZ_TORTURE") != "" {
		seeds = 40
	}
	base := seed(t)
	const committers, n = 3, 40
	for s := 0; s < seeds; s++ {
		sd := base + int64(s)
		// Count the sync points of an uncut run.
		probe := vfs.NewCrash()
		crashWorkload(t, probe, "wal", rand.New(rand.NewSource(sd)), newCrashLog(), committers, n, "p")
		points := probe.SyncPoints()
		if points < 10 {
			t.Fatalf("only %d sync points", points)
		}
		for k := 1; k <= points+1; k++ {
			k := k
			t.Run(fmt.Sprintf("seed=%d/k=%d", sd, k), func(t *testing.T) {
				r := rand.New(rand.NewSource(sd*1000 + int64(k)))
				fs := vfs.NewCrash()
				fs.CutPowerAtSync(k, r.Int63())
				cl := newCrashLog()
				crashWorkload(t, fs, "wal", r, cl, committers, n, "1")
				after := fs.AfterCut()
				w := checkRecovered(t, after, "wal", cl)
				w.Close()
				// Work after recovery, cut at a random moment, recover again.
				after.CutPowerAtSync(1+r.Intn(points), r.Int63())
				crashWorkload(t, after, "wal", r, cl, committers, n/2, "2")
				w = checkRecovered(t, after.AfterCut(), "wal", cl)
				w.Close()
			})
		}
	}
}
