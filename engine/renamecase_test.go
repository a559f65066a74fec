package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// caseState says how table a (accounts, rows 1..5, secondary indexes) of
// swapSetup is spelled: "old" (a), "new" (A), or what is wrong. The table
// must check, its index must find its rows, and the files on disk must be
// named as the definition names it, with none left under the other case
// or a staging name.
func caseState(t *testing.T, fs vfs.FS, dir string, db *DB) string {
	t.Helper()
	names := db.Tables()
	sort.Strings(names)
	var spelled string
	switch fmt.Sprint(names) {
	case "[a b c]":
		spelled = "a"
	case "[A b c]":
		spelled = "A"
	default:
		return fmt.Sprintf("tables %v", names)
	}
	for _, n := range names {
		if rep, err := db.Check(bg, n); err != nil || !rep.OK {
			return fmt.Sprintf("CHECK TABLE %s: %v %v", n, rep.Problems, err)
		}
	}
	other := map[string]string{"a": "A", "A": "a"}[spelled]
	files, _ := fs.ReadDir(dir)
	for _, f := range files {
		if strings.HasPrefix(f, renameStagePrefix) || f == renameIntentName || f == ulogIntentName ||
			strings.HasPrefix(f, other+".") {
			return "file left: " + f
		}
	}
	for _, want := range []string{spelled + defSuffix, spelled + dataSuffix} {
		if !slices.Contains(files, want) {
			return fmt.Sprintf("no %s among %v", want, files)
		}
	}
	// Either spelling finds the table (names are compared without case).
	if rows, ix := ids(t, db, other, Scan{}), ids(t, db, spelled, Scan{Index: "by_owner"}); len(rows) != 5 || len(ix) != 5 {
		return fmt.Sprintf("%s: rows %v, by_owner %v", spelled, rows, ix)
	}
	if spelled == "a" {
		return "old"
	}
	return "new"
}

// TestRenameTableCase: RENAME TABLE a TO A changes how the table's name is
// spelled, its files renamed with it, as ALTER TABLE a ..., RENAME TO A
// does with a change; a to its own spelling stays 1050, and a table of the
// name in another case is still taken.
func TestRenameTableCase(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	swapSetup(t, db)
	for _, bad := range [][]RenamePair{
		{{"a", "a"}},
		{{"a", "B"}},
		{{"a", "A"}, {"A", "A"}},
		{{"a", "x"}, {"b", "X"}},
	} {
		if err := db.RenameTables(bg, bad); sqlerr.Code(err) != sqlerr.ErrTableExists {
			t.Errorf("RenameTables(%v): %v, want 1050", bad, err)
		}
		if s := caseState(t, vfs.Default, dir, db); s != "old" {
			t.Fatalf("after the failed RenameTables(%v): %s", bad, s)
		}
	}
	if err := db.RenameTable(bg, "a", "A"); err != nil {
		t.Fatal(err)
	}
	if s := caseState(t, vfs.Default, dir, db); s != "new" {
		t.Fatalf("after RENAME TABLE a TO A: %s", s)
	}
	insert(t, db, "a", Row{int64(6), "o6", int64(60), nil})
	db.Close()
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "A", Scan{Index: "by_balance"}); len(got) != 6 {
		t.Fatalf("A after reopening: %v", got)
	}
	// ALTER TABLE A ADD COLUMN extra, RENAME TO a: one step.
	old, _ := db.Table("A")
	nd := old.Clone()
	nd.Columns = append(nd.Columns, Column{Name: "extra", Type: TypeBigInt})
	if err := db.Alter(bg, "A", nd, []int{0, 1, 2, 3, -1}, AlterOptions{RenameTo: "a"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Table("A")
	if err != nil || got.Name != "a" || len(got.Columns) != 5 {
		t.Fatalf("after ALTER ... RENAME TO a: %+v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "A"+defSuffix)); !os.IsNotExist(err) {
		t.Fatalf("A.def after the rename to a: %v", err)
	}
	if err := db.Alter(bg, "A", got, []int{0, 1, 2, 3, 4}, AlterOptions{RenameTo: "a"}); err == nil {
		t.Fatal("ALTER ... RENAME TO the table's own spelling: no error")
	}
}

// TestRenameTableCasePowerCut cuts the power at every sync point of
// RENAME TABLE a TO A, and of the open that finishes it: the table is
// always a or A, whole, its files all under one spelling, and A once the
// rename returned or left its intent.
func TestRenameTableCasePowerCut(t *testing.T) {
	dir, base, o := swapSetupCrash(t)
	renameCutLoop(t, dir, base, o, []RenamePair{{From: "a", To: "A"}},
		func(fs vfs.FS, db *DB) string { return caseState(t, fs, dir, db) },
		func(s string, intent []byte) bool { return s == "new" })
}
