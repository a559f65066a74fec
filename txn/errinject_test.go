package txn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// errInjected is the error faultFS injects.
var errInjected = errors.New("injected I/O error")

// faultFS wraps a filesystem and fails its n-th call (filesystem and file
// calls alike, counted from 1), once or, if persistent, from then on. A
// failed call does nothing. It stands in for vfs.ErrorFS in these tests.
type faultFS struct {
	vfs.FS
	mu         sync.Mutex
	calls, n   int64
	persistent bool
	hit        bool
}

func (f *faultFS) fail() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == f.n || (f.persistent && f.calls > f.n) {
		f.hit = true
		return errInjected
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *faultFS) Remove(name string) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *faultFS) Rename(a, b string) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.FS.Rename(a, b)
}

func (f *faultFS) MkdirAll(dir string, p os.FileMode) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.FS.MkdirAll(dir, p)
}

func (f *faultFS) ReadDir(dir string) ([]string, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.FS.ReadDir(dir)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.FS.SyncDir(dir)
}

type faultFile struct {
	vfs.File
	fs *faultFS
}

func (f *faultFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.fail(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.fail(); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	if err := f.fs.fail(); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) Truncate(n int64) error {
	if err := f.fs.fail(); err != nil {
		return err
	}
	return f.File.Truncate(n)
}

func (f *faultFile) Preallocate(n int64) error {
	if err := f.fs.fail(); err != nil {
		return err
	}
	return f.File.Preallocate(n)
}

func (f *faultFile) Size() (int64, error) {
	if err := f.fs.fail(); err != nil {
		return 0, err
	}
	return f.File.Size()
}

// faultScenario opens a WAL on fs, commits (rotating through small
// segments), checkpoints, commits again and closes, recording what was
// acknowledged in cl. It returns the first error.
func faultScenario(fs vfs.FS, dir string, cl *crashLog) error {
	w, err := OpenWAL(dir, Options{FS: fs, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer w.Close()
	commit := func(i int) error {
		key := fmt.Sprintf("%s/%d", dir, i)
		b := Batch{{Table: "t", Kind: OpPut, Key: []byte(key), Value: make([]byte, i%100)}}
		cl.attempted[key] = b
		lsn, err := w.Commit(context.Background(), b)
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		cl.acked[lsn] = key
		return nil
	}
	for i := 0; i < 20; i++ {
		if err := commit(i); err != nil {
			return err
		}
	}
	through, err := w.BeginCheckpoint()
	if err != nil {
		return err
	}
	cl.ckptBegun = through
	if err := commit(100); err != nil {
		return err
	}
	if err := w.EndCheckpoint(through); err != nil {
		return err
	}
	cl.ckptDone = through
	for i := 200; i < 210; i++ {
		if err := commit(i); err != nil {
			return err
		}
	}
	return w.Close()
}

// TestIOErrors fails the N-th filesystem call, for N = 1, 2, 3, ... until
// the scenario (open, commits, a checkpoint, commits, close) completes
// without reaching it, once and persistently; then it fails the N-th call of
// a recovery (OpenWAL + Replay) the same way. Each time the error must reach
// the caller, and after reopening on a healthy filesystem nothing
// acknowledged is lost and the log is not corrupt.
func TestIOErrors(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		for n := int64(1); ; n++ {
			dir := filepath.Join(t.TempDir(), "wal")
			// A first life without faults, so the faulty one recovers too.
			cl := newCrashLog()
			if err := faultScenario(vfs.Default, dir, cl); err != nil {
				t.Fatal(err)
			}
			ffs := &faultFS{FS: vfs.Default, n: n, persistent: persistent}
			err := faultScenario(ffs, dir, cl)
			if !ffs.hit {
				if err != nil {
					t.Fatalf("n=%d: error without a fault: %v", n, err)
				}
				t.Logf("persistent=%v: scenario done after %d calls", persistent, n-1)
				break
			}
			if err == nil {
				// The fault hit a call whose failure is harmless (Close of
				// a read-only file is not counted; a retire may fail).
				t.Logf("n=%d: fault absorbed", n)
			} else if !errors.Is(err, errInjected) {
				t.Fatalf("n=%d: error does not wrap the cause: %v", n, err)
			}
			w := checkRecovered(t, vfs.Default, dir, cl)
			w.Close()

			// The same fault during recovery.
			ffs = &faultFS{FS: vfs.Default, n: n, persistent: persistent}
			if w, err := OpenWAL(dir, Options{FS: ffs, SegmentBytes: 512, Logger: quiet}); err == nil {
				err = w.Replay(func(LSN, Batch) error { return nil })
				w.Close()
				if err != nil && !errors.Is(err, errInjected) {
					t.Fatalf("n=%d: replay error does not wrap the cause: %v", n, err)
				}
			} else if !errors.Is(err, errInjected) || IsCorruption(err) {
				t.Fatalf("n=%d: OpenWAL error: %v", n, err)
			}
			w = checkRecovered(t, vfs.Default, dir, cl)
			w.Close()
		}
	}
}

var _ io.Closer = (*faultFile)(nil)
