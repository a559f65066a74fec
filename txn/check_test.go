package txn

import (
	"fmt"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// crashLog records what a workload was told, to check a recovered log
// against: every Commit that returned nil must be found (unless a completed
// checkpoint covers it), every record found must be one that was attempted,
// whole, at the LSN it was given.
type crashLog struct {
	mu        sync.Mutex
	attempted map[string]Batch // by key (unique per commit)
	acked     map[LSN]string   // LSN -> key, for commits that returned nil
	ckptDone  LSN              // through of the last EndCheckpoint that returned nil
	ckptBegun LSN              // through of the last BeginCheckpoint that returned nil
}

func newCrashLog() *crashLog {
	return &crashLog{attempted: map[string]Batch{}, acked: map[LSN]string{}}
}

// checkRecovered opens the log on fs and checks it against cl.
func checkRecovered(t *testing.T, fs vfs.FS, dir string, cl *crashLog) *WAL {
	t.Helper()
	w, err := OpenWAL(dir, Options{FS: fs, SegmentBytes: 1024, Logger: quiet})
	if err != nil {
		t.Fatalf("OpenWAL after the cut: %v", err)
	}
	rec := w.Recovery()
	if rec.LastCheckpoint < cl.ckptDone {
		t.Fatalf("last checkpoint %d, but EndCheckpoint(%d) returned nil", rec.LastCheckpoint, cl.ckptDone)
	}
	// A begun checkpoint must be reported interrupted, unless a later begin
	// frame (of a BeginCheckpoint cut short, so in doubt) made it to disk.
	if cl.ckptBegun > cl.ckptDone && rec.LastCheckpoint < cl.ckptBegun &&
		!(rec.CheckpointInterrupted && rec.InterruptedThrough >= cl.ckptBegun) {
		t.Fatalf("checkpoint through %d was begun and not ended, recovery says %+v", cl.ckptBegun, rec)
	}
	found := map[LSN]string{}
	last := rec.LastCheckpoint
	err = w.Replay(func(lsn LSN, b Batch) error {
		if lsn <= last {
			return fmt.Errorf("LSN %d replayed out of order (after %d)", lsn, last)
		}
		last = lsn
		if len(b) == 0 {
			return fmt.Errorf("LSN %d: empty batch", lsn)
		}
		key := string(b[0].Key)
		want, ok := cl.attempted[key]
		if !ok || !sameBatch(b, want) {
			return fmt.Errorf("LSN %d: record %q was never committed as replayed", lsn, key)
		}
		found[lsn] = key
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	for lsn, key := range cl.acked {
		if lsn <= rec.LastCheckpoint {
			continue
		}
		if found[lsn] != key {
			t.Fatalf("acknowledged commit %q (LSN %d) lost; recovery %+v", key, lsn, rec)
		}
	}
	// Keep the in-doubt commits that made it: they are part of the log now.
	for lsn, key := range found {
		cl.acked[lsn] = key
	}
	cl.ckptDone = max(cl.ckptDone, rec.LastCheckpoint)
	return w
}
