package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestOSCheckWritable: a directory the process may write passes; one it may
// not (mode 0555, for a user other than root) or a missing one fails with an
// error naming it.
func TestOSCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(Default, dir); err != nil {
		t.Fatalf("writable directory: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if err := CheckWritable(Default, missing); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing directory: %v", err)
	}
	if os.Geteuid() == 0 {
		t.Skip("root may write any directory")
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(Default, ro); !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), ro) {
		t.Fatalf("directory of mode 0555: %v", err)
	}
	if err := CheckWritable(NewMem(), ro); err != nil {
		t.Fatalf("an FS that cannot tell: %v", err)
	}
}
