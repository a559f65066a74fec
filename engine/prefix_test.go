package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// prefixDef is a table with prefix keys of every kind: a primary key on
// the first 4 characters of name and n, a unique key on 3 characters of
// text, a unique key on 2 bytes of a binary string, and a plain key on 2
// characters of a column of a case-insensitive collation.
func prefixDef(crashSafe bool) *TableDef {
	return &TableDef{
		Name: "p",
		Columns: []Column{
			{Name: "name", Type: TypeVarChar, Length: 40, NotNull: true},
			{Name: "n", Type: TypeInt, NotNull: true},
			{Name: "t", Type: TypeText},
			{Name: "b", Type: TypeVarBinary, Length: 10},
		},
		PrimaryKey:    []string{"name", "n"},
		PrimaryPrefix: []int{4, 0},
		Indexes: []IndexDef{
			{Name: "ut", Columns: []string{"t"}, Unique: true, Prefix: []int{3}},
			{Name: "ub", Columns: []string{"b"}, Unique: true, Prefix: []int{2}},
			{Name: "tn", Columns: []string{"t", "n"}, Prefix: []int{1, 0}},
		},
		CrashSafe: crashSafe,
	}
}

// prefixRows are rows of prefixDef with distinct prefixes on every
// unique key; "äöü" is 3 characters but 6 bytes.
var prefixRows = []Row{
	{"blitzdb", int64(1), "äöüß", []byte("xy1")},
	{"blitzdb", int64(2), "abcd", []byte("xz")},
	{"blit", int64(3), "abd", []byte("é")}, // 'é' is 2 bytes: the whole prefix
	{"bli", int64(1), "ab", nil},
	{"other", int64(1), nil, []byte("q")},
}

// prefixChecks checks what a prefix key must do: refuse a row whose prefix
// is taken (naming the prefix, as MariaDB does), take one whose value
// differs within the prefix, and find through a bound the rows whose
// prefix matches.
func prefixChecks(t *testing.T, db *DB, stage string) {
	t.Helper()
	dup := func(r Row, want string) {
		t.Helper()
		tx := mustTx(t, db)
		defer tx.Rollback()
		_, _, err := tx.Insert("p", r)
		if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Insert %v: %v, want 1062 %s", stage, r, err, want)
		}
	}
	dup(Row{"blitzkrieg", int64(1), "new1", nil}, "'blit-1' for key 'PRIMARY'")
	dup(Row{"new", int64(1), "abcx", nil}, "'abc' for key 'ut'")
	dup(Row{"new", int64(1), "äöü", nil}, "'äöü' for key 'ut'")
	dup(Row{"new", int64(1), "new2", []byte("xyz")}, "'xy' for key 'ub'")
	dup(Row{"new", int64(1), "new3", []byte("é!")}, `'\xC3\xA9' for key 'ub'`)

	tx := mustTx(t, db)
	defer tx.Rollback()
	scan := func(s Scan) []string {
		t.Helper()
		var got []string
		if err := tx.Scan("p", s, func(_ Handle, r Row) (bool, error) {
			got = append(got, fmt.Sprintf("%v/%v", r[0], r[1]))
			return true, nil
		}); err != nil {
			t.Fatalf("%s: Scan %+v: %v", stage, s, err)
		}
		slices.Sort(got)
		return got
	}
	eq := func(index string, vals ...any) Scan {
		return Scan{Index: index, Lo: Bound{Values: vals, Inclusive: true}, Hi: Bound{Values: vals, Inclusive: true}}
	}
	for _, c := range []struct {
		s    Scan
		want []string
	}{
		// The key cannot tell values apart past the prefix: the scan
		// returns every row of the prefix, the caller re-checks.
		{eq("PRIMARY", "blitzdb", int64(2)), []string{"blit/3", "blitzdb/1", "blitzdb/2"}},
		{eq("PRIMARY", "bli"), []string{"bli/1"}},
		{eq("ut", "abcdefg"), []string{"blitzdb/2"}},
		{eq("ut", "ab"), []string{"bli/1"}},
		{eq("tn", "abd", int64(3)), []string{"bli/1", "blit/3", "blitzdb/2"}},
		{eq("ub", []byte("é")), []string{"blit/3"}},
		// An exclusive bound at the prefix's length becomes inclusive.
		{Scan{Index: "ut", Lo: Bound{Values: []any{"abcd"}}}, []string{"blit/3", "blitzdb/1", "blitzdb/2"}},
		{Scan{Index: "ut", Hi: Bound{Values: []any{"abc"}}}, []string{"bli/1", "blitzdb/2", "other/1"}},
	} {
		if got := scan(c.s); !slices.Equal(got, c.want) {
			t.Errorf("%s: Scan %+v = %v, want %v", stage, c.s, got, c.want)
		}
	}
	_, r, ok, err := tx.Get("p", []any{"blitzkrieg", int64(1)})
	if err != nil || !ok || r[0] != "blitzdb" {
		t.Errorf("%s: Get blitzkrieg/1 = %v %v %v, want the row blitzdb/1 (same prefix)", stage, r, ok, err)
	}
}

// TestPrefixKeys: prefix keys hold, through a reopen, an index rebuild
// after a kill (plain and crash-safe tables), REPAIR QUICK and CHECK (run by
// mustOpen's cleanup, which compares each index with the keys the rows
// make).
func TestPrefixKeys(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "crash_safe"}[crashSafe], func(t *testing.T) {
			fs := vfs.NewCrash()
			dir := t.TempDir()
			if err := fs.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{FS: fs})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateTable(bg, prefixDef(crashSafe)); err != nil {
				t.Fatal(err)
			}
			insert(t, db, "p", prefixRows...)
			prefixChecks(t, db, "open")
			// A transaction sees its own rows under their prefixes.
			tx := mustTx(t, db)
			if _, _, err := tx.Insert("p", Row{"zzzz", int64(9), "pqr", nil}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := tx.Insert("p", Row{"y", int64(9), "pqrs", nil}); sqlerr.Code(err) != sqlerr.ErrDupEntry {
				t.Errorf("second row of prefix pqr in one transaction: %v, want 1062", err)
			}
			tx.Rollback()

			killed := fs.Clone() // kill -9: every write kept, nothing closed
			db.Close()
			db = mustOpen(t, dir, Options{FS: killed, AutoRecover: true})
			if st := db.Stats(); st.IndexRebuilds == 0 {
				t.Fatalf("the kill rebuilt no index: %+v", st)
			}
			prefixChecks(t, db, "rebuilt after a kill")
			rep, err := db.Check(bg, "p")
			if err != nil || !rep.OK {
				t.Fatalf("Check after the rebuild: %+v %v", rep, err)
			}
			if _, err := db.Repair(bg, "p", true); err != nil { // REPAIR TABLE ... QUICK: the indexes alone
				t.Fatal(err)
			}
			prefixChecks(t, db, "repaired")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, Options{FS: killed})
			prefixChecks(t, db, "reopened")
		})
	}
}

// TestPrefixCheckSeesWholeKeys: CHECK TABLE reports an index whose
// entries hold whole values where the definition says prefix (what a
// build that ignored the prefix would have written).
func TestPrefixCheckSeesWholeKeys(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	d := prefixDef(false)
	d.Indexes = d.Indexes[:1]
	d.Indexes[0].Unique = false
	whole := d.Clone()
	whole.Indexes[0].Prefix = nil
	if err := db.CreateTable(bg, whole); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "p", Row{"abcdef", int64(1), "long text", nil})
	tbl, err := db.table("p")
	if err != nil {
		t.Fatal(err)
	}
	// Swap the definition under the open index: its entries now disagree.
	tbl.mu.Lock()
	tbl.setDefLocked(d)
	tbl.mu.Unlock()
	rep, err := db.Check(bg, "p")
	if err != nil || rep.OK {
		t.Fatalf("Check of whole-value entries under a prefix definition: %+v %v, want problems", rep, err)
	}
	tbl.mu.Lock()
	tbl.setDefLocked(whole)
	tbl.mu.Unlock()
}

// TestPrefixDefFormat: a table with a prefix key is definition format 7
// and round-trips; a table without one keeps its format and its bytes;
// a file written before format 7 reads as before; a prefix field in an
// older format, a prefix on a column that is no string or longer than
// the column, or a list of the wrong length is refused.
func TestPrefixDefFormat(t *testing.T) {
	d := prefixDef(false)
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"format": 7`)) || !bytes.Contains(b, []byte(`"primary_prefix": [`)) || !bytes.Contains(b, []byte(`"prefix": [`)) {
		t.Fatalf("prefix table not written as format 7:\n%s", b)
	}
	got, _, err := decodeDef(b, "p.def")
	if err != nil {
		t.Fatal(err)
	}
	if !sameDef(got, d) || !slices.Equal(got.PrimaryPrefix, []int{4, 0}) || !slices.Equal(got.Indexes[1].Prefix, []int{2}) {
		t.Errorf("definition does not round-trip: %+v", got)
	}
	plain := accountsDef("a", false)
	pb, _ := encodeDef(plain, 0, 0, 0)
	if !bytes.Contains(pb, []byte(`"format": 6`)) || bytes.Contains(pb, []byte("prefix")) { // 6: key format 2 with a text key
		t.Errorf("table without prefix keys:\n%s", pb)
	}
	// A definition as blitz wrote it before format 7 (indexes without a
	// prefix field).
	old := []byte(`{"format": 1, "table": {"name": "o", "columns": [{"name": "id", "type": "INT", "not_null": true},
		{"name": "s", "type": "VARCHAR", "length": 20}], "primary_key": ["id"],
		"indexes": [{"Name": "s", "Columns": ["s"], "Unique": true}]}, "auto_reserved": 0, "rowid_reserved": 0}`)
	od, _, err := decodeDef(old, "o.def")
	if err != nil {
		t.Fatalf("definition of format 1: %v", err)
	}
	if od.PrimaryPrefix != nil || od.Indexes[0].Prefix != nil || !od.Indexes[0].Unique {
		t.Errorf("format 1 read as %+v", od)
	}
	// The cases below edit the file's compact form.
	var cb bytes.Buffer
	if err := json.Compact(&cb, b); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"format":7`, `"format":6`, "format 6 has no prefix keys"},
		{`"format":7`, `"format":99`, "unsupported format 99"},
		{`"primary_prefix":[4,0]`, `"primary_prefix":[41,0]`, "Incorrect prefix key"},
		{`"primary_prefix":[4,0]`, `"primary_prefix":[4,3]`, "Incorrect prefix key"}, // n is an INT
		{`"primary_prefix":[4,0]`, `"primary_prefix":[4,-1]`, "Incorrect prefix key"},
		{`"primary_prefix":[4,0]`, `"primary_prefix":[4]`, "1 prefix lengths for 2 columns"},
		{`"prefix":[2]`, `"prefix":[11]`, "Incorrect prefix key"}, // b is VARBINARY(10)
	} {
		if !bytes.Contains(cb.Bytes(), []byte(c.from)) {
			t.Fatalf("%s not in\n%s", c.from, cb.Bytes())
		}
		_, _, err := decodeDef(bytes.Replace(unsummed(cb.Bytes()), []byte(c.from), []byte(c.to), 1), "p.def")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "p.def") {
			t.Errorf("%s -> %s: %v, want %q naming p.def", c.from, c.to, err, c.want)
		}
	}
}

// TestPrefixCut: a prefix part cuts text by characters and binary strings
// by bytes, says when the value reached the prefix length, and leaves
// other values whole.
func TestPrefixCut(t *testing.T) {
	text := &Column{Type: TypeVarChar, Length: 10}
	bin := &Column{Type: TypeVarBinary, Length: 10}
	for _, c := range []struct {
		c      *Column
		prefix int
		v, cut any
		full   bool
	}{
		{text, 3, "äöüß", "äöü", true},
		{text, 3, "äöü", "äöü", true},
		{text, 3, "äö", "äö", false},
		{text, 0, "äöüß", "äöüß", false},
		{bin, 3, []byte("äöü"), []byte("äö")[:3], true},
		{bin, 3, []byte("ab"), []byte("ab"), false},
		{bin, 1, "xyz", "x", true},
		{text, 3, nil, nil, false},
	} {
		cut, full := keyPart{prefix: c.prefix}.cut(c.c, c.v)
		if fmt.Sprint(cut) != fmt.Sprint(c.cut) || full != c.full {
			t.Errorf("cut(%q, %d) = %q, %v; want %q, %v", c.v, c.prefix, cut, full, c.cut, c.full)
		}
	}
}
