package engine

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestEnumCollation: text names an ENUM or SET member under the column's
// collation ('ADMIN' is 'admin' under utf8mb4_unicode_ci, not under
// utf8mb4_bin), and such a column's definition is format 9, which an
// older format may not claim.
func TestEnumCollation(t *testing.T) {
	ci, ok := collate.ByName("utf8mb4_unicode_ci")
	if !ok {
		t.Fatal("no utf8mb4_unicode_ci")
	}
	e := &Column{Name: "r", Type: TypeEnum, Elems: []string{"admin", "Editor"}, Collation: ci}
	s := &Column{Name: "s", Type: TypeSet, Elems: []string{"a", "B"}, Collation: ci}
	if v, err := Coerce(e, "ADMIN", 1); err != nil || v != (Enum{Index: 1, Name: "admin"}) {
		t.Errorf("ENUM ci <- 'ADMIN': %#v, %v", v, err)
	}
	if v, err := Coerce(e, "editor ", 1); err != nil || v != (Enum{Index: 2, Name: "Editor"}) {
		t.Errorf("ENUM ci <- 'editor ': %#v, %v", v, err)
	}
	if v, err := Coerce(s, "b,A", 1); err != nil || v != (Set{Bits: 3, Text: "a,B"}) {
		t.Errorf("SET ci <- 'b,A': %#v, %v", v, err)
	}
	bin := &Column{Name: "r", Type: TypeEnum, Elems: []string{"admin"}}
	if _, err := Coerce(bin, "ADMIN", 1); sqlerr.Code(err) != sqlerr.ErrDataTruncated {
		t.Errorf("ENUM bin <- 'ADMIN': %v, want 1265", err)
	}

	d := &TableDef{Name: "t", Columns: []Column{{Name: "id", Type: TypeInt}, *e, *s}, PrimaryKey: []string{"id"}}
	if err := d.validate(); err != nil {
		t.Fatal(err)
	}
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Format int }
	if err := json.Unmarshal(b, &f); err != nil || f.Format != defFormatEnumColl {
		t.Fatalf("format %d (%v), want %d", f.Format, err, defFormatEnumColl)
	}
	got, _, err := decodeDef(b, "t.def")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Columns, d.Columns) {
		t.Errorf("columns do not round-trip:\n got %+v\nwant %+v", got.Columns, d.Columns)
	}
	forged := bytes.Replace(unsummed(b), []byte(`"format": 9`), []byte(`"format": 8`), 1)
	if _, _, err := decodeDef(forged, "t.def"); err == nil || !strings.Contains(err.Error(), "no collation for ENUM") {
		t.Errorf("format 8 with a collated ENUM: %v", err)
	}
	// A text column's collation alone stays format 4.
	txt := &TableDef{Name: "u", Columns: []Column{{Name: "v", Type: TypeVarChar, Length: 9, Collation: ci}, {Name: "r", Type: TypeEnum, Elems: []string{"a"}}}}
	if _, format := toDefTable(txt); format != defFormatColl {
		t.Errorf("collated VARCHAR and a utf8mb4_bin ENUM: format %d, want %d", format, defFormatColl)
	}
}
