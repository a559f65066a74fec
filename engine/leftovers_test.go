package engine

import (
	"os"
	"path/filepath"
	"testing"
)

// The temporary files of index builds a crash cut short (a table
// rebuild's, CREATE INDEX's, an index rebuild's at recovery), each as
// large as its index, are removed at the next open; files merely named
// alike stay. They used to pile up, one per kill during a build (found by
// autorecover's TestKill9DDLTorture).
func TestOpenRemovesIndexBuildLeftovers(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, accountsDef("a", false)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{int64(1), "ann", int64(5), nil})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	gone := []string{"a.by_owner.bix.build-123456", "a.by_owner.bix.rebuild.build-42", "blitz-index-run-987654"}
	kept := []string{"notes.build-txt", "a.by_owner.build-12", "blitz-index-run-x"}
	for _, n := range append(append([]string(nil), gone...), kept...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("leftover"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db = mustOpen(t, dir, Options{})
	defer db.Close()
	for _, n := range gone {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after open (%v)", n, err)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s, not a build's, was removed: %v", n, err)
		}
	}
	if got := ids(t, db, "a", Scan{Index: "by_owner"}); len(got) != 1 {
		t.Fatalf("scan through by_owner: %v", got)
	}
}
