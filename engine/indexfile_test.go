package engine

import (
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
