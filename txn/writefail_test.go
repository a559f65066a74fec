package txn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
)

// lyingFS wraps a filesystem; once armed, every WriteAt writes all of its
// bytes and still returns ENOSPC (the worst short write: the frames are
// there, valid, yet the caller was told the write failed).
type lyingFS struct {
	vfs.FS
	mu    sync.Mutex
	armed bool
	hits  int
}

func (l *lyingFS) arm(on bool) { l.mu.Lock(); l.armed = on; l.mu.Unlock() }

func (l *lyingFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := l.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &lyingFile{File: f, l: l}, nil
}

type lyingFile struct {
	vfs.File
	l *lyingFS
}

func (f *lyingFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	f.l.mu.Lock()
	defer f.l.mu.Unlock()
	if err == nil && f.l.armed && !isNewestFile(f.Name()) {
		f.l.hits++
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

// writeFailRun commits on w, in order, keys tag/0, tag/1, ..., recording
// the acknowledged ones in acked; it returns the first error.
func writeFailRun(w *WAL, tag string, from, n int, acked map[string]bool) error {
	for i := from; i < from+n; i++ {
		key := fmt.Sprintf("%s/%d", tag, i)
		if _, err := w.Commit(context.Background(), Batch{{Table: "t", Kind: OpPut, Key: []byte(key), Value: make([]byte, 40+i%90)}}); err != nil {
			return err
		}
		acked[key] = true
	}
	return nil
}

// replayedKeys cuts the power of mem, recovers the WAL from what is left
// and returns the keys its commit records hold.
func replayedKeys(t *testing.T, mem *vfs.CrashFS, dir string, seed int64) map[string]bool {
	t.Helper()
	mem.CutPower(seed)
	return recoveredKeys(t, mem.AfterCut(), dir)
}

// recoveredKeys opens the WAL in dir on fs and returns the keys its commit
// records hold.
func recoveredKeys(t *testing.T, fs vfs.FS, dir string) map[string]bool {
	t.Helper()
	w, err := OpenWAL(dir, Options{FS: fs, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	defer w.Close()
	got := map[string]bool{}
	if err := w.Replay(func(_ LSN, b Batch) error {
		for _, op := range b {
			got[string(op.Key)] = true
		}
		return nil
	}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return got
}

// TestWriteFailureResume fails the WAL's n-th write (ENOSPC), once or from
// then on, for n = 1, 2, ... through several segment rotations: the commit
// that hits it fails with ErrWriteFailed wrapping ENOSPC, so does every
// commit until Resume; once space is back and Resume called, commits
// succeed; after a power cut, recovery replays exactly the acknowledged
// commits (the failed ones never, though a failed write may have left
// whole frames in the file: the lying run writes every byte and still
// reports ENOSPC).
func TestWriteFailureResume(t *testing.T) {
	for _, mode := range []string{"once", "persistent", "lying"} {
		lying := mode == "lying"
		for n := 1; ; n++ {
			dir := "/wal"
			mem := vfs.NewCrash()
			efs := vfs.NewErrorFS(mem)
			efs.SetError(syscall.ENOSPC)
			// The newest-segment mark's writes may fail without failing
			// a commit (newest.go): they are not what this tests.
			efs.Only(func(name string) bool { return !isNewestFile(name) })
			lfs := &lyingFS{FS: efs}
			w, err := OpenWAL(dir, Options{FS: lfs, SegmentBytes: 512, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			acked := map[string]bool{}
			if err := writeFailRun(w, "before", 0, 5, acked); err != nil {
				t.Fatal(err)
			}
			if lying {
				lfs.arm(true)
			} else {
				efs.FailAfter(n, vfs.OpWrite|vfs.OpPreallocate|vfs.OpOpen, mode == "persistent")
			}
			err = writeFailRun(w, "full", 0, 12, acked)
			hit := efs.Hits() > 0 || lfs.hits > 0
			efs.Disarm()
			lfs.arm(false)
			if err == nil {
				if hit {
					t.Fatalf("n=%d: writes failed, commits did not", n)
				}
				w.Close()
				break
			}
			if mode == "once" && !strings.Contains(err.Error(), "never be replayed") {
				t.Errorf("n=%d: error does not say the commit is cut from the log: %v", n, err)
			}
			if !errors.Is(err, ErrWriteFailed) || !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("n=%d: commit error = %v, want ErrWriteFailed wrapping ENOSPC", n, err)
			}
			if !strings.Contains(err.Error(), dir+"/") {
				t.Errorf("n=%d: error does not name the file: %v", n, err)
			}
			if strings.Contains(err.Error(), "never be replayed") {
				// Cut from the log: even if the process died now, with
				// every byte it wrote reaching the disk, the failed
				// commits would not come back.
				for k := range recoveredKeys(t, mem.Clone(), dir) {
					if !acked[k] {
						t.Fatalf("n=%d: a crash right after the failure replays %s, which failed", n, k)
					}
				}
			}
			if w.Stalled() == nil {
				t.Fatalf("n=%d: not stalled after a failed write", n)
			}
			// Space is back, but nothing is appended before Resume.
			if err := writeFailRun(w, "early", 0, 1, acked); !errors.Is(err, ErrWriteFailed) {
				t.Fatalf("n=%d: commit before Resume: %v, want ErrWriteFailed", n, err)
			}
			// Every commit so far is one frame, so the last acknowledged
			// LSN is their number.
			if durable, stalled, err := w.Resume(); err != nil || !stalled || durable != LSN(len(acked)) {
				t.Fatalf("n=%d: Resume = %d %v %v, want %d (the last acknowledged LSN), stalled", n, durable, stalled, err, len(acked))
			}
			if err := writeFailRun(w, "after", 0, 12, acked); err != nil {
				t.Fatalf("n=%d: commit after Resume: %v", n, err)
			}
			// The counters count what reached the log, not the failed
			// commits.
			if s := w.Stats(); s.Commits != int64(len(acked)) {
				t.Errorf("n=%d: Stats().Commits = %d, want %d (the acknowledged commits)", n, s.Commits, len(acked))
			}
			// A checkpoint still works and covers the new commits.
			through, err := w.BeginCheckpoint()
			if err != nil {
				t.Fatalf("n=%d: checkpoint: %v", n, err)
			}
			if err := w.EndCheckpoint(through); err != nil {
				t.Fatalf("n=%d: end checkpoint: %v", n, err)
			}
			if err := writeFailRun(w, "last", 0, 3, acked); err != nil {
				t.Fatalf("n=%d: commit after checkpoint: %v", n, err)
			}
			got := replayedKeys(t, mem, dir, int64(n))
			for k := range got {
				if !acked[k] {
					t.Errorf("n=%d: replayed %s, which failed", n, k)
				}
			}
			for k := range acked {
				if strings.HasPrefix(k, "last/") && !got[k] {
					t.Errorf("n=%d: acknowledged %s lost", n, k)
				}
			}
			if lying {
				break // the lying run has no n
			}
			if n > 200 {
				t.Fatal("the run never completes")
			}
		}
	}
}

// TestWriteFailureConcurrent: many committers, the disk fills and empties
// again; every commit either succeeds or fails with ErrWriteFailed, commits
// succeed again after Resume, and recovery replays exactly the
// acknowledged ones.
func TestWriteFailureConcurrent(t *testing.T) {
	mem := vfs.NewCrash()
	efs := vfs.NewErrorFS(mem)
	efs.SetError(syscall.ENOSPC)
	w, err := OpenWAL("/wal", Options{FS: efs, SegmentBytes: 2048, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				key := fmt.Sprintf("c%d/%d", c, i)
				_, err := w.Commit(context.Background(), Batch{{Table: "t", Kind: OpPut, Key: []byte(key), Value: make([]byte, 30)}})
				switch {
				case err == nil:
					mu.Lock()
					acked[key] = true
					mu.Unlock()
				case errors.Is(err, ErrWriteFailed):
					w.Resume() // (the engine undoes the failed commits here)
				default:
					t.Errorf("commit %s: %v", key, err)
					return
				}
			}
		}()
	}
	for round := 0; round < 5; round++ {
		efs.FailAfter(7, vfs.OpWrite|vfs.OpPreallocate, true)
		time.Sleep(3 * time.Millisecond)
		efs.Disarm()
		time.Sleep(3 * time.Millisecond)
	}
	wg.Wait()
	efs.Disarm()
	if _, _, err := w.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(context.Background(), Batch{{Table: "t", Kind: OpPut, Key: []byte("final"), Value: []byte("x")}}); err != nil {
		t.Fatalf("commit after the runs: %v", err)
	}
	acked["final"] = true
	got := replayedKeys(t, mem, "/wal", 1)
	for k := range got {
		if !acked[k] {
			t.Errorf("replayed %s, which failed", k)
		}
	}
	for k := range acked {
		if !got[k] {
			t.Errorf("acknowledged %s lost", k)
		}
	}
}

// TestSyncFailureIsFinal: after a failed fsync the WAL does not retry it
// (a retried fsync may succeed without the data reaching the disk): the
// commit fails with ErrWALFailed naming the segment, so does every later
// one and Resume, until the WAL is reopened; after a reopen every commit
// acknowledged before the failure is replayed and new commits succeed.
func TestSyncFailureIsFinal(t *testing.T) {
	mem := vfs.NewCrash()
	efs := vfs.NewErrorFS(mem)
	efs.SetError(syscall.EIO)
	w, err := OpenWAL("/wal", Options{FS: efs, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	if err := writeFailRun(w, "before", 0, 5, acked); err != nil {
		t.Fatal(err)
	}
	efs.FailAfter(1, vfs.OpSync, false)
	err = writeFailRun(w, "eio", 0, 1, acked)
	efs.Disarm()
	if !errors.Is(err, ErrWALFailed) || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "/wal/0000") {
		t.Fatalf("commit error = %v, want ErrWALFailed wrapping EIO naming the segment", err)
	}
	if !strings.Contains(err.Error(), "reopened") {
		t.Errorf("error does not say a reopen is needed: %v", err)
	}
	if err := writeFailRun(w, "later", 0, 1, acked); !errors.Is(err, ErrWALFailed) {
		t.Fatalf("commit after the failed fsync: %v, want ErrWALFailed", err)
	}
	if _, _, err := w.Resume(); !errors.Is(err, ErrWALFailed) {
		t.Fatalf("Resume after a failed fsync: %v, want ErrWALFailed", err)
	}
	w.Close()
	w, err = OpenWAL("/wal", Options{FS: mem, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	w.Replay(func(_ LSN, b Batch) error { got[string(b[0].Key)] = true; return nil })
	for k := range acked {
		if !got[k] {
			t.Errorf("acknowledged %s lost", k)
		}
	}
	if err := writeFailRun(w, "reopened", 0, 3, acked); err != nil {
		t.Fatalf("commit after reopen: %v", err)
	}
	w.Close()
}

// TestEndCheckpointWriteFailure: a checkpoint whose end frame fails to be
// written is abandoned, and the next one completes after Resume.
func TestEndCheckpointWriteFailure(t *testing.T) {
	mem := vfs.NewCrash()
	efs := vfs.NewErrorFS(mem)
	efs.SetError(syscall.ENOSPC)
	w, err := OpenWAL("/wal", Options{FS: efs, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	acked := map[string]bool{}
	if err := writeFailRun(w, "a", 0, 3, acked); err != nil {
		t.Fatal(err)
	}
	through, err := w.BeginCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	efs.FailAfter(1, vfs.OpWrite, false)
	if err := w.EndCheckpoint(through); !errors.Is(err, ErrWriteFailed) {
		t.Fatalf("EndCheckpoint = %v, want ErrWriteFailed", err)
	}
	efs.Disarm()
	if _, _, err := w.Resume(); err != nil {
		t.Fatal(err)
	}
	through, err = w.BeginCheckpoint()
	if err != nil {
		t.Fatalf("BeginCheckpoint after an abandoned one: %v", err)
	}
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
}
