package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOSLockReadOnlyFile: a shared lock needs only read access to the file
// (a reader of a file it may not write: read-only media, another user's
// file), and still excludes a writer. Run as root, which may open any
// file for writing, it shows nothing: CI runs it as a normal user.
func TestOSLockReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write any file")
	}
	path := filepath.Join(t.TempDir(), "ro")
	if err := os.WriteFile(path, []byte("x"), 0o444); err != nil {
		t.Fatal(err)
	}
	l, err := Default.Lock(path, false)
	if err != nil {
		t.Fatalf("shared lock of a read-only file: %v", err)
	}
	defer l.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Default.Lock(path, true); !errors.Is(err, ErrLocked) {
		t.Fatalf("exclusive lock while a shared one is held: %v", err)
	}
}
