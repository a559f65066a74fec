package engine

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// openKeyFormat1 copies the fixture testdata/keyformat1 (a table "old"
// written before key format 2: see make.sh there) into a new directory
// and opens it.
func openKeyFormat1(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	def, err := os.ReadFile("testdata/keyformat1/old.def")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(def, []byte("key_format")) {
		t.Fatal("the fixture is not of key format 1")
	}
	if err := os.WriteFile(filepath.Join(dir, "old.def"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/keyformat1/old.bdf.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	bdf, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.bdf"), bdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return mustOpen(t, dir, Options{}), dir
}

// oldRows returns the rows of "old" as "[a]/[b]/n" in primary-key order.
func oldRows(t *testing.T, db *DB, s Scan) string {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var out []string
	if err := tx.Scan("old", s, func(_ Handle, r Row) (bool, error) {
		out = append(out, fmt.Sprintf("[%v]/[%v]/%v", r[0], r[1], r[2]))
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// oldGet returns the n of the row of "old" with primary key a, or -1.
func oldGet(t *testing.T, db *DB, a string) int64 {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, r, ok, err := tx.Get("old", []any{a})
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return -1
	}
	return r[2].(int64)
}

// oldUpdate sets the row of "old" with primary key a to r.
func oldUpdate(t *testing.T, db *DB, a string, r Row) {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	h, _, ok, err := tx.Get("old", []any{a})
	if err != nil || !ok {
		t.Fatalf("Get %q: %v %v", a, ok, err)
	}
	if _, err := tx.Update("old", h, r); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// toKeyFormat2 asks AlterColumns to rebuild "old" in key format 2.
func toKeyFormat2(db *DB) error {
	def, err := db.Table("old")
	if err != nil {
		return err
	}
	def.LegacyKeys = false
	return db.AlterColumns(bg, "old", def, []int{0, 1, 2})
}

// TestKeyFormat1TableStillWorks: a table written before key format 2,
// whose keys 'a' and 'a ' are distinct, opens, reads both rows by scan,
// by primary key and by its unique index, and survives REPAIR.
func TestKeyFormat1TableStillWorks(t *testing.T) {
	db, _ := openKeyFormat1(t)
	def, err := db.Table("old")
	if err != nil {
		t.Fatal(err)
	}
	if !def.LegacyKeys || def.KeyIgnoresTrailingSpaces(&def.Columns[0]) {
		t.Fatalf("old table read as key format 2: %+v", def)
	}
	const want = "[a]/[x]/1 [a ]/[x ]/2 [b]/[y]/3"
	if got := oldRows(t, db, Scan{Index: "PRIMARY"}); got != want {
		t.Fatalf("rows %s, want %s", got, want)
	}
	for a, n := range map[string]int64{"a": 1, "a ": 2, "b": 3, "b ": -1} {
		if got := oldGet(t, db, a); got != n {
			t.Errorf("Get %q: n %d, want %d", a, got, n)
		}
	}
	ix := Scan{Index: "ub", Lo: Bound{Values: []any{"x "}, Inclusive: true}, Hi: Bound{Values: []any{"x "}, Inclusive: true}}
	if got := oldRows(t, db, ix); got != "[a ]/[x ]/2" {
		t.Errorf("index ub = 'x ': %s", got)
	}
	rep, err := db.Check(bg, "old")
	if err != nil || !rep.OK || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "ALTER TABLE `old` FORCE") {
		t.Errorf("Check of a key format 1 table: %+v, %v", rep, err)
	}
	if _, err := db.Repair(bg, "old", false); err != nil {
		t.Fatal(err)
	}
	if got := oldRows(t, db, Scan{Index: "ub"}); got != "[a]/[x]/1 [a ]/[x ]/2 [b]/[y]/3" {
		t.Errorf("index ub after REPAIR: %s", got)
	}
	// Key format 1 goes on keeping trailing spaces: 'b ' is a new key.
	insert(t, db, "old", Row{"b ", "y ", int64(4)})
	if got := oldGet(t, db, "b "); got != 4 {
		t.Errorf("Get 'b ' after insert: %d", got)
	}
}

// TestKeyFormat1Conversion: rebuilding a key format 1 table in key format
// 2 fails with a duplicate-entry error, losing nothing, while two keys
// differ only in trailing spaces, and succeeds once they do not.
func TestKeyFormat1Conversion(t *testing.T) {
	db, dir := openKeyFormat1(t)
	const all = "[a]/[x]/1 [a ]/[x ]/2 [b]/[y]/3"
	unchanged := func(step string) {
		t.Helper()
		if got := oldRows(t, db, Scan{Index: "PRIMARY"}); got != all {
			t.Fatalf("%s: rows %s, want %s", step, got, all)
		}
		def, _ := db.Table("old")
		b, _ := os.ReadFile(filepath.Join(dir, "old.def"))
		if !def.LegacyKeys || bytes.Contains(b, []byte("key_format")) {
			t.Fatalf("%s: key format changed:\n%s", step, b)
		}
	}
	err := toKeyFormat2(db)
	if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "for key 'PRIMARY'") {
		t.Fatalf("conversion with 'a' and 'a ': %v", err)
	}
	unchanged("after the primary key duplicate")

	// The primary keys are apart now; the unique index still has 'x' and 'x '.
	oldUpdate(t, db, "a ", Row{"c", "x ", int64(2)})
	err = toKeyFormat2(db)
	if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "for key 'ub'") {
		t.Fatalf("conversion with 'x' and 'x ': %v", err)
	}
	if got := oldRows(t, db, Scan{Index: "ub"}); got != "[a]/[x]/1 [c]/[x ]/2 [b]/[y]/3" {
		t.Fatalf("rows after the index duplicate: %s", got)
	}

	oldUpdate(t, db, "c", Row{"c ", "z ", int64(2)})
	if err := toKeyFormat2(db); err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		def, _ := db.Table("old")
		b, _ := os.ReadFile(filepath.Join(dir, "old.def"))
		if def.LegacyKeys || !bytes.Contains(b, []byte(`"key_format": 2`)) || !bytes.Contains(b, []byte(`"format": 6`)) {
			t.Fatalf("%s: not of key format 2:\n%s", step, b)
		}
		// The row keeps its text; its key does not have the spaces.
		if got := oldRows(t, db, Scan{Index: "PRIMARY"}); got != "[a]/[x]/1 [b]/[y]/3 [c ]/[z ]/2" {
			t.Fatalf("%s: rows %s", step, got)
		}
		for a, n := range map[string]int64{"a  ": 1, "c": 2, "c ": 2, "d": -1} {
			if got := oldGet(t, db, a); got != n {
				t.Errorf("%s: Get %q: n %d, want %d", step, a, got, n)
			}
		}
		ix := Scan{Index: "ub", Lo: Bound{Values: []any{"z"}, Inclusive: true}, Hi: Bound{Values: []any{"z   "}, Inclusive: true}}
		if got := oldRows(t, db, ix); got != "[c ]/[z ]/2" {
			t.Errorf("%s: index ub = 'z': %s", step, got)
		}
	}
	check("after the conversion")
	if rep, err := db.Check(bg, "old"); err != nil || !rep.OK || len(rep.Notes) != 0 {
		t.Errorf("Check after the conversion: %+v, %v", rep, err)
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tx.Insert("old", Row{"a ", "w", int64(5)}); sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "'a ' for key 'PRIMARY'") {
		t.Errorf("insert of 'a ' next to 'a': %v", err)
	}
	if _, _, err := tx.Insert("old", Row{"e", "y  ", int64(5)}); sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "'y  ' for key 'ub'") {
		t.Errorf("insert of 'y  ' next to 'y': %v", err)
	}
	tx.Rollback()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	check("reopened")
}

// TestKeyFormatDefinition: new tables are of key format 2, and the
// definition format is 5 only when a key has utf8mb4_bin text.
func TestKeyFormatDefinition(t *testing.T) {
	text := &TableDef{Name: "t", Columns: []Column{{Name: "a", Type: TypeVarChar, Length: 5, NotNull: true}, {Name: "n", Type: TypeInt}},
		PrimaryKey: []string{"n"}}
	for _, c := range []struct {
		name   string
		edit   func(d *TableDef)
		format string
		keys   bool
	}{
		{"no text key", func(d *TableDef) {}, `"format": 1`, true},
		{"text primary key", func(d *TableDef) { d.PrimaryKey = []string{"a"} }, `"format": 6`, true},
		{"text index", func(d *TableDef) { d.Indexes = []IndexDef{{Name: "ia", Columns: []string{"a"}}} }, `"format": 6`, true},
		{"key format 1", func(d *TableDef) { d.PrimaryKey, d.LegacyKeys = []string{"a"}, true }, `"format": 1`, false},
	} {
		d := text.Clone()
		c.edit(d)
		b, err := encodeDef(d, 0, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(c.format)) || bytes.Contains(b, []byte(`"key_format": 2`)) != c.keys {
			t.Errorf("%s:\n%s", c.name, b)
		}
		got, _, err := decodeDef(b, "t.def")
		if err != nil || got.LegacyKeys != d.LegacyKeys {
			t.Errorf("%s: read back as LegacyKeys %v, err %v", c.name, got.LegacyKeys, err)
		}
	}
	b, _ := encodeDef(text, 0, 0, 0)
	_, _, err := decodeDef(bytes.Replace(unsummed(b), []byte(`"key_format": 2`), []byte(`"key_format": 3`), 1), "t.def")
	if err == nil || !strings.Contains(err.Error(), "t.def has unsupported key format 3") {
		t.Errorf("key format 3: %v", err)
	}
}

// TestKeyFormatULogReplay: the update log names rows by their key bytes,
// so a replay keys the table as the logged database did: in key format 1
// until the logged conversion, in key format 2 after it.
func TestKeyFormatULogReplay(t *testing.T) {
	root := t.TempDir()
	src, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	def := &TableDef{Name: "old", Columns: []Column{{Name: "a", Type: TypeVarChar, Length: 10, NotNull: true},
		{Name: "b", Type: TypeVarChar, Length: 10}, {Name: "n", Type: TypeInt}},
		PrimaryKey: []string{"a"}, Indexes: []IndexDef{{Name: "ub", Columns: []string{"b"}, Unique: true}}, LegacyKeys: true}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "old", Row{"a", "x", int64(1)}, Row{"a ", "x ", int64(2)}, Row{"b", "y", int64(3)})
	oldUpdate(t, db, "a ", Row{"c", "w", int64(2)})
	insert(t, db, "old", Row{"d ", "v", int64(4)})
	if err := toKeyFormat2(db); err != nil {
		t.Fatal(err)
	}
	oldUpdate(t, db, "d", Row{"d  ", "v ", int64(4)})
	insert(t, db, "old", Row{"e ", "u", int64(5)})
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if h, _, ok, err := tx.Get("old", []any{"e"}); err != nil || !ok {
		t.Fatalf("Get 'e': %v %v", ok, err)
	} else if err := tx.Delete("old", h); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := oldRows(t, db, Scan{Index: "PRIMARY"}); got != "[a]/[x]/1 [b]/[y]/3 [c]/[w]/2 [d  ]/[v ]/4" {
		t.Fatalf("rows %s", got)
	}
	want := dumpDB(t, db)
	db.Close()
	ref := replayInto(t, filepath.Join(root, "ref"), ulogDir, 1<<62)
	compareDumps(t, "replay across the key format change", dumpDB(t, ref), want)
}
