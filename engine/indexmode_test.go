package engine

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRebuiltIndexFileMode checks that an index file built by REPAIR gets
// the mode a newly created one gets (0644 less the umask), not the 0600 of
// a temporary file, and that a build file left by a process killed during
// a build is removed when the directory is opened again.
func TestRebuiltIndexFileMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, accountsDef("acc", true)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "acc", Row{int64(1), "ann", int64(10), nil}, Row{int64(2), "bob", int64(20), nil})
	if _, err := db.Repair(bg, "acc", false); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	idx, _ := filepath.Glob(filepath.Join(dir, "acc.*"+indexSuffix))
	if len(idx) != 2 {
		t.Fatalf("index files %v, want 2", idx)
	}
	for _, p := range idx {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v after REPAIR, want -rw-r--r--", filepath.Base(p), st.Mode().Perm())
		}
	}

	leftover := idx[0] + ".build-12345"
	if err := os.WriteFile(leftover, make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the leftover build file %s is still there after Open (err %v)", filepath.Base(leftover), err)
	}
	if st, err := db.Status("acc"); err != nil || st.Rows != 2 {
		t.Errorf("Status: %d rows, %v; want 2", st.Rows, err)
	}
}
