package datafile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// TestNewFileCleanUntilChanged: with CreateClean a new file is on disk as
// closed cleanly, and stays so through Sync, until its first change: a
// writer that dies before it leaves a file that is not "crashed"; one that
// dies after it leaves FlagOpen set. Without CreateClean a new file is
// marked open from the start.
func TestNewFileCleanUntilChanged(t *testing.T) {
	df, path := mustOpen(t, Options{})
	abandon(t, df)
	if r, err := Verify(path, Options{ReadOnly: true}); err != nil || r.Flags != FlagOpen {
		t.Fatalf("new file (without CreateClean) after its writer died: %+v %v; want FlagOpen", r, err)
	}
	mustOpenPath(t, path, Options{}) // recovered, and closed cleanly at cleanup

	df, path = mustOpen(t, Options{CreateClean: true})
	if err := df.Sync(); err != nil {
		t.Fatal(err)
	}
	abandon(t, df)
	if r, err := Verify(path, Options{ReadOnly: true}); err != nil || r.Flags != 0 || !r.OK() {
		t.Fatalf("new file after its writer died: %+v %v; want clean", r, err)
	}
	df = mustOpenPath(t, path, Options{})
	if fi, err := df.f.Size(); err != nil || fi > 2<<20 {
		t.Errorf("new file is %d bytes (%v): not trimmed to its tail", fi, err)
	}
	if df.FoundFlags() != 0 {
		t.Fatalf("new file after its writer died: found flags %v, want none", df.FoundFlags())
	}
	if err := df.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	abandon(t, df)
	df = mustOpenPath(t, path, Options{})
	if df.FoundFlags() != FlagOpen {
		t.Fatalf("file written before its writer died: found flags %v, want FlagOpen", df.FoundFlags())
	}
	mustGet(t, df, []byte("k"), "v")
}

// TestNewFileDiskFull: creating a file on a full disk fails with an error
// that says so (ENOSPC) and leaves no file behind, so that a failed
// CREATE TABLE, ALTER TABLE or OPTIMIZE leaves the directory as it was.
func TestNewFileDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.bdf")
	efs := vfs.NewErrorFS(vfs.Default)
	efs.SetError(&os.PathError{Op: "fallocate", Path: path, Err: syscall.ENOSPC})
	efs.FailAfter(1, vfs.OpPreallocate|vfs.OpTruncate|vfs.OpWrite, true)
	df, err := Open(path, Options{FS: efs})
	if err == nil {
		df.Close()
		t.Fatal("Open on a full disk succeeded")
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Open on a full disk: %v, want ENOSPC", err)
	}
	if _, serr := os.Stat(path); !errors.Is(serr, fs.ErrNotExist) {
		t.Fatalf("Open failed (%v) and left %s behind (%v)", err, path, serr)
	}
	efs.Disarm()
	df = mustOpenPath(t, path, Options{FS: efs}) // room again: the name is free
	if err := df.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
}
