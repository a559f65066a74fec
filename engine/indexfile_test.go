package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestIndexFileName: distinct (table, index) pairs get distinct file
// names, each names its own table for isIndexFileOf and no other, and no
// name passes the length the suffixes leave room for.
func TestIndexFileName(t *testing.T) {
	long2, long3 := strings.Repeat("é", 64), strings.Repeat("日", 64)
	names := []string{"x", "x.y", "y", "y.k", "k", "x@", "a.b", "a@002eb", "a@b", "@", ".", "x.y.k",
		long2, long2[:126] + "x", long3, long3[:189] + "x", long3[:120] + ".@"}
	seen := map[string][2]string{}
	for _, tb := range names {
		for _, ix := range names {
			f := IndexFileName(tb, ix)
			if p, dup := seen[f]; dup {
				t.Fatalf("table %q index %q and table %q index %q share the file %s", tb, ix, p[0], p[1], f)
			}
			seen[f] = [2]string{tb, ix}
			if len(f) > maxIndexBase+len("@@")+16+len(indexSuffix) {
				t.Errorf("table %q index %q: file name of %d bytes", tb, ix, len(f))
			}
			if !strings.HasSuffix(f, indexSuffix) {
				t.Errorf("table %q index %q: %s", tb, ix, f)
			}
			for _, other := range names {
				if got := isIndexFileOf(f, other) || isIndexFileOf(f+".sum", other); got != (other == tb) {
					t.Errorf("isIndexFileOf(%s, %q) = %v", f, other, got)
				}
			}
		}
	}
	if f := IndexFileName("t", "by_name"); f != "t.by_name.bix" {
		t.Errorf("plain names: %s, want t.by_name.bix (the files of existing indexes keep their names)", f)
	}
}

// TestDropDamagedDottedTable: a table whose name holds '.' and whose
// definition is damaged can be dropped, and the drop takes its files
// alone: not those of table "x" (whose index "y.by_owner" once shared a
// file name pattern) nor of table "X.Y.Z". Before, the drop matched files
// by the name's part before its first '.', and DROP TABLE `x.y` was 1051
// "Unknown table" while SHOW TABLES listed it.
func TestDropDamagedDottedTable(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	for _, name := range []string{"x.y", "x", "X.Y.Z"} {
		def := accountsDef(name, false)
		if name == "x" {
			def.Indexes[0].Name = "y.by_owner"
		}
		if err := db.CreateTable(bg, def); err != nil {
			t.Fatal(err)
		}
		insert(t, db, name, Row{int64(1), name, int64(1), nil})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.y"+defSuffix), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if err := db.DropTable(bg, "X.y"); err != nil {
		t.Fatalf("DROP TABLE of the damaged x.y: %v", err)
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range names {
		if strings.HasPrefix(e.Name(), "x.y") {
			left = append(left, e.Name())
		}
	}
	want := []string{IndexFileName("x", "y.by_owner"), IndexFileName("x", "y.by_owner") + ".sum"}
	if !slices.Equal(left, want) {
		t.Errorf("files named x.y* after the drop: %v, want table x's index files %v", left, want)
	}
	for _, name := range []string{"x", "X.Y.Z"} {
		if err := readOne(db, name); err != nil {
			t.Errorf("%s after dropping x.y: %v", name, err)
		}
	}
}
