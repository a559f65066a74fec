package engine

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestBackupCrashedTables: Backup with tables marked as crashed makes no
// backup and returns a *CrashedTablesError (error 1194) naming every one of
// them, sorted, and the REPAIR TABLE that fixes them.
func TestBackupCrashedTables(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	for _, n := range []string{"x", "y", "z"} {
		if err := db.CreateTable(bg, heapDef(n)); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"z", "x"} {
		db.tables[n].markCrashed("it was not closed cleanly")
	}
	dest := filepath.Join(t.TempDir(), "new", "bk")
	_, err := db.Backup(bg, dest)
	var ce *CrashedTablesError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Tables, []string{"x", "z"}) || sqlerr.Code(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("Backup with crashed x and z: %v; want a CrashedTablesError naming x, z with code 1194", err)
	}
	for _, s := range []string{"'x', 'z'", "REPAIR TABLE x, z", "none was made"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	// Nothing is left behind: not even the directories Backup made.
	if _, err := os.Stat(filepath.Dir(dest)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after a failed backup into a new directory, %s: %v; want it gone", filepath.Dir(dest), err)
	}
	// A directory that was there and empty stays, empty.
	os.MkdirAll(dest, 0o755)
	if _, err := db.Backup(bg, dest); err == nil {
		t.Fatal("backup with crashed tables made")
	}
	if names, err := os.ReadDir(dest); err != nil || len(names) != 0 {
		t.Errorf("after a failed backup into an empty directory: %v, %v; want it there and empty", names, err)
	}
	// One table: its own 1194 message, with its reason.
	uncrash := func(n string) {
		db.tables[n].mu.Lock()
		db.tables[n].crashed = ""
		db.tables[n].mu.Unlock()
	}
	uncrash("x")
	_, err = db.Backup(bg, dest)
	if !errors.As(err, &ce) || len(ce.Tables) != 1 || !strings.Contains(err.Error(), "Table 'z' is marked as crashed and should be repaired (it was not closed cleanly; run REPAIR TABLE z") {
		t.Fatalf("Backup with crashed z: %v", err)
	}
	uncrash("z") // nothing was wrong with its files (the cleanup checks them)
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatalf("Backup without crashed tables: %v", err)
	}
}
