package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// collDef is a table keyed by utf8mb4_general_ci text, with a unique
// utf8mb4_unicode_ci column and an index over a general_ci one.
func collDef(crashSafe bool) *TableDef {
	return &TableDef{Name: "w", PrimaryKey: []string{"k"}, CrashSafe: crashSafe, Collation: collate.GeneralCI, Columns: []Column{
		{Name: "k", Type: TypeVarChar, Length: 20, NotNull: true, Collation: collate.GeneralCI},
		{Name: "u", Type: TypeVarChar, Length: 20, Collation: collate.UnicodeCI},
		{Name: "g", Type: TypeVarChar, Length: 20, Collation: collate.GeneralCI},
		{Name: "b", Type: TypeVarChar, Length: 20},
	}, Indexes: []IndexDef{
		{Name: "by_u", Columns: []string{"u"}, Unique: true},
		{Name: "by_g", Columns: []string{"g"}},
	}}
}

var collWords = []string{"abc", "Äpfel", "zebra", "Éclair", "eclairs", "b", "Zürich", "apple", "Apfelmus", "ångström", "Oz", "ß"}

// scanIndex returns the values of column col of the rows a scan of index
// ix between lo and hi (inclusive; "" unbounded) visits, in order.
func scanIndex(t *testing.T, db *DB, ix string, col int, lo, hi string) []string {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	s := Scan{Index: ix}
	if lo != "" {
		s.Lo = Bound{Values: []any{lo}, Inclusive: true}
	}
	if hi != "" {
		s.Hi = Bound{Values: []any{hi}, Inclusive: true}
	}
	var out []string
	err = tx.Scan("w", s, func(_ Handle, r Row) (bool, error) {
		out = append(out, r[col].(string))
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCollatedKeys checks keys made of weight strings: uniqueness across
// case, accents and expansions; look-ups that find the stored text; index
// range scans in collation order; and the same answers after a reopen, an
// index rebuild from the data file and REPAIR.
func TestCollatedKeys(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "crash_safe"}[crashSafe], func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, Options{})
			if err := db.CreateTable(bg, collDef(crashSafe)); err != nil {
				t.Fatal(err)
			}
			for i, w := range collWords {
				insert(t, db, "w", Row{w, strings.Repeat("u", i+1) + w, w, w})
			}
			dup := func(r Row, key string) {
				t.Helper()
				tx, _ := db.Begin(bg)
				defer tx.Rollback()
				_, _, err := tx.Insert("w", r)
				if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), key) {
					t.Errorf("Insert %v: %v, want 1062 for key %s", r, err, key)
				}
			}
			dup(Row{"ABC", "x1", "x", "x"}, "PRIMARY")
			dup(Row{"abc  ", "x2", "x", "x"}, "PRIMARY") // PAD SPACE
			dup(Row{"äPFEL", "x3", "x", "x"}, "PRIMARY")
			dup(Row{"new", "UABC", "x", "x"}, "by_u")
			insert(t, db, "w", Row{"strasse", "Straße", "sz", "s"})
			dup(Row{"new2", "STRASSE", "x", "x"}, "by_u") // UCA expansion

			check := func(stage string) {
				t.Helper()
				tx, _ := db.Begin(bg)
				_, r, ok, err := tx.Get("w", []any{"ÄPFEL"})
				tx.Rollback()
				if err != nil || !ok || r[0] != "Äpfel" {
					t.Errorf("%s: Get ÄPFEL = %v, %v, %v; want the row of Äpfel", stage, r, ok, err)
				}
				got := scanIndex(t, db, "by_g", 2, "", "")
				want := append([]string{"sz"}, collWords...)
				slices.SortStableFunc(want, collate.GeneralCI.Compare)
				if !slices.Equal(got, want) {
					t.Errorf("%s: by_g order %q, want %q", stage, got, want)
				}
				// 'a' to 'E' in general_ci: accents and case folded.
				if got, want := scanIndex(t, db, "by_g", 2, "a", "E"), []string{"abc", "Äpfel", "apple", "Apfelmus", "ångström", "b"}; !sameSet(got, want) {
					t.Errorf("%s: by_g between a and E = %q, want %q", stage, got, want)
				}
				if got := scanIndex(t, db, "PRIMARY", 0, "ZURICH", "zurich"); !slices.Equal(got, []string{"Zürich"}) {
					t.Errorf("%s: primary key range ZURICH..zurich = %q", stage, got)
				}
			}
			check("open")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, Options{})
			check("reopened")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			ix, _ := filepath.Glob(filepath.Join(dir, "w.*.bix"))
			if len(ix) != 2 {
				t.Fatalf("index files %v", ix)
			}
			for _, p := range ix {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
			db = mustOpen(t, dir, Options{})
			check("indexes rebuilt")
			if _, err := db.Repair(bg, "w", false); err != nil {
				t.Fatal(err)
			}
			check("repaired")
			// An update that changes only the case keeps the row's key.
			tx, _ := db.Begin(bg)
			h, r, _, _ := tx.Get("w", []any{"abc"})
			r[0] = "ABC"
			if _, err := tx.Update("w", h, r); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			tx, _ = db.Begin(bg)
			_, r, ok, _ := tx.Get("w", []any{"abc"})
			tx.Rollback()
			if !ok || r[0] != "ABC" {
				t.Errorf("after the update, Get abc = %v %v", r, ok)
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestCollationChangeRebuildsKeys: changing a column's collation rebuilds
// its keys; one that makes two keys equal fails with 1062 and leaves the
// table as it was.
func TestCollationChangeRebuildsKeys(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	def := &TableDef{Name: "w", PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Type: TypeInt, NotNull: true},
		{Name: "s", Type: TypeVarChar, Length: 10},
	}, Indexes: []IndexDef{{Name: "s", Columns: []string{"s"}, Unique: true}}}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "w", Row{int64(1), "abc"}, Row{int64(2), "ABC"})
	nd := def.Clone()
	nd.Columns[1].Collation = collate.GeneralCI
	err := db.AlterColumns(bg, "w", nd, []int{0, 1})
	if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "for key 's'") {
		t.Fatalf("AlterColumns to general_ci: %v, want 1062", err)
	}
	if got, _ := db.Table("w"); got.Columns[1].Collation != nil {
		t.Fatalf("failed ALTER left collation %v", got.Columns[1].Collation)
	}
	tx, _ := db.Begin(bg)
	h, _, _, _ := tx.Get("w", []any{int64(2)})
	if err := tx.Delete("w", h); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.AlterColumns(bg, "w", nd, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	tx, _ = db.Begin(bg)
	defer tx.Rollback()
	n := 0
	err = tx.Scan("w", Scan{Index: "s", Lo: Bound{Values: []any{"ABC"}, Inclusive: true}, Hi: Bound{Values: []any{"ABC"}, Inclusive: true}}, func(_ Handle, r Row) (bool, error) {
		n++
		return true, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("scan for ABC after the change: %d rows, %v", n, err)
	}
}

// TestCollationDefFormat: a table with a collated column is definition
// format 4 and round-trips; one with utf8mb4_bin only keeps its format; a
// collation this build does not know, or format 4's field in an older
// format, is refused naming it.
func TestCollationDefFormat(t *testing.T) {
	d := collDef(false)
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"format": 4`)) || !bytes.Contains(b, []byte(`"collation": "utf8mb4_unicode_ci"`)) {
		t.Fatalf("collated table not written as format 4:\n%s", b)
	}
	got, _, err := decodeDef(b, "w.def")
	if err != nil {
		t.Fatal(err)
	}
	if !sameDef(got, d) || got.Columns[1].Collation != collate.UnicodeCI || got.Collation != collate.GeneralCI || got.Columns[3].Collation != nil {
		t.Errorf("definition does not round-trip: %+v", got)
	}
	plain := &TableDef{Name: "p", Columns: []Column{{Name: "a", Type: TypeVarChar, Length: 3, Collation: collate.Bin}}}
	pb, _ := encodeDef(plain, 0, 0, 0)
	if !bytes.Contains(pb, []byte(`"format": 1`)) || bytes.Contains(pb, []byte("collation")) {
		t.Errorf("utf8mb4_bin table:\n%s", pb)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"utf8mb4_unicode_ci"`, `"utf8mb4_klingon_ci"`, `collation "utf8mb4_klingon_ci" is not one this build of blitz knows`},
		{`"format": 4`, `"format": 3`, `collation "utf8mb4_general_ci" is not one this build`},
		{`"format": 4`, `"format": 99`, "unsupported format 99"},
	} {
		_, _, err := decodeDef(bytes.Replace(unsummed(b), []byte(c.from), []byte(c.to), 1), "w.def")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: %v, want %q", c.from, c.to, err, c.want)
		}
	}
	bad := collDef(false)
	bad.Columns = append(bad.Columns, Column{Name: "n", Type: TypeInt, Collation: collate.GeneralCI})
	if err := bad.validate(); err == nil {
		t.Error("a collation on an INT column was accepted")
	}
}
