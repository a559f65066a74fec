package engine

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// newTypesDef is a table with every column type of definition format 3.
func newTypesDef() *TableDef {
	return &TableDef{Name: "n", PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Type: TypeInt, NotNull: true},
		{Name: "t", Type: TypeTime, Scale: 3},
		{Name: "y", Type: TypeYear, Length: 4},
		{Name: "e", Type: TypeEnum, Elems: []string{"z", "a", "m"}},
		{Name: "s", Type: TypeSet, Elems: []string{"r", "g", "b"}},
	}}
}

func hms(h, m, s int, us int) time.Duration {
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(us)*time.Microsecond
}

func TestNewTypesRowRoundTrip(t *testing.T) {
	d := newTypesDef()
	rows := []Row{
		{int64(1), -MaxTime, int64(0), Enum{}, Set{}},
		{int64(2), MaxTime, int64(2155), Enum{Index: 3, Name: "m"}, Set{Bits: 5, Text: "r,b"}},
		{int64(3), -hms(0, 0, 1, 500), int64(1901), Enum{Index: 1, Name: "z"}, Set{Bits: 7, Text: "r,g,b"}},
		{int64(4), nil, nil, nil, nil},
	}
	for _, r := range rows {
		b, err := encodeRow(nil, d, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRow(b, d)
		if err != nil {
			t.Fatalf("%v: %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %v gave %v", r, got)
		}
		// skipField steps over each value exactly (the pre-filter path).
		need := []bool{true, false, false, false, false}
		part := make(Row, len(d.Columns))
		if err := decodeRowInto(part, b, d, need, nil); err != nil || part[0] != r[0] {
			t.Errorf("partial decode of %v: %v %v", r, part, err)
		}
	}
	// Values a definition cannot hold are corrupt rows, not panics.
	b, _ := encodeRow(nil, d, Row{int64(1), nil, nil, Enum{Index: 4, Name: "?"}, nil})
	if _, err := decodeRow(b, d); err != errRowCorrupt {
		t.Errorf("ENUM index past the members: %v", err)
	}
	b, _ = encodeRow(nil, d, Row{int64(1), nil, nil, nil, Set{Bits: 8}})
	if _, err := decodeRow(b, d); err != errRowCorrupt {
		t.Errorf("SET bit past the members: %v", err)
	}
	b, _ = encodeRow(nil, d, Row{int64(1), MaxTime + time.Microsecond, nil, nil, nil})
	if _, err := decodeRow(b, d); err != errRowCorrupt {
		t.Errorf("TIME past its range: %v", err)
	}
}

// TestNewTypesKeyOrder: index keys sort as MariaDB orders the values:
// TIME by signed duration, YEAR by number, ENUM by member index (not by
// text), SET by bit mask; NULL first.
func TestNewTypesKeyOrder(t *testing.T) {
	groups := [][]any{
		{nil, -MaxTime, -hms(100, 0, 0, 0), -hms(0, 0, 1, 0), -hms(0, 0, 0, 1), time.Duration(0), hms(0, 0, 0, 1), hms(10, 0, 0, 0), hms(100, 0, 0, 0), MaxTime},
		{nil, int64(0), int64(1901), int64(1969), int64(2000), int64(2155)},
		{nil, Enum{}, Enum{Index: 1, Name: "z"}, Enum{Index: 2, Name: "a"}, Enum{Index: 3, Name: "m"}},
		{nil, Set{}, Set{Bits: 1, Text: "r"}, Set{Bits: 2, Text: "g"}, Set{Bits: 3, Text: "r,g"}, Set{Bits: 4, Text: "b"}},
	}
	for _, g := range groups {
		keys := make([][]byte, len(g))
		for i, v := range g {
			keys[i] = appendKeyValue(nil, v)
		}
		shuffled := append([][]byte(nil), keys...)
		sort.Slice(shuffled, func(i, j int) bool { return bytes.Compare(shuffled[i], shuffled[j]) < 0 })
		for i := range keys {
			if !bytes.Equal(keys[i], shuffled[i]) {
				t.Errorf("%T keys out of order at %d (%v)", g[1], i, g[i])
			}
			if i > 0 && bytes.Equal(keys[i], keys[i-1]) {
				t.Errorf("%v and %v share a key", g[i-1], g[i])
			}
		}
	}
}

func TestNewTypesDefFormat(t *testing.T) {
	d := newTypesDef()
	d.Columns[1].HasDefault, d.Columns[1].Default = true, -hms(1, 2, 3, 500000)
	d.Columns[2].HasDefault, d.Columns[2].Default = true, int64(0) // 0000, not 2000
	d.Columns[3].HasDefault, d.Columns[3].Default = true, Enum{Index: 2, Name: "a"}
	d.Columns[4].HasDefault, d.Columns[4].Default = true, Set{Bits: 6, Text: "g,b"}
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Format int }
	if err := json.Unmarshal(b, &f); err != nil || f.Format != defFormatTypes {
		t.Fatalf("format %d (%v), want %d", f.Format, err, defFormatTypes)
	}
	got, _, err := decodeDef(b, "n.def")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Columns, d.Columns) {
		t.Errorf("columns do not round-trip:\n got %+v\nwant %+v", got.Columns, d.Columns)
	}
	// A table without the new types keeps format 1, readable by older
	// versions; a format 1 or 2 file naming a new type is refused.
	old := &TableDef{Name: "o", Columns: []Column{{Name: "a", Type: TypeInt}}}
	ob, _ := encodeDef(old, 0, 0, 0)
	if !bytes.Contains(ob, []byte(`"format": 1`)) {
		t.Errorf("plain table not written as format 1:\n%s", ob)
	}
	for _, format := range []string{`"format": 1`, `"format": 2`} {
		forged := bytes.Replace(unsummed(b), []byte(`"format": 3`), []byte(format), 1)
		if _, _, err := decodeDef(forged, "n.def"); err == nil || !strings.Contains(err.Error(), "unknown type") {
			t.Errorf("%s with a TIME column: %v", format, err)
		}
	}
	if _, _, err := decodeDef(bytes.Replace(unsummed(b), []byte(`"format": 3`), []byte(`"format": 99`), 1), "n.def"); err == nil {
		t.Error("format 99 accepted")
	}
	// Bad member lists are refused.
	for _, elems := range [][]string{nil, {"a", "a "}} {
		bad := newTypesDef()
		bad.Columns[3].Elems = elems
		if err := bad.validate(); err == nil {
			t.Errorf("ENUM%q accepted", elems)
		}
	}
	tooMany := newTypesDef()
	tooMany.Columns[4].Elems = make([]string, 65)
	for i := range tooMany.Columns[4].Elems {
		tooMany.Columns[4].Elems[i] = strings.Repeat("x", i+1)
	}
	if err := tooMany.validate(); sqlerr.Code(err) != 1097 {
		t.Errorf("SET of 65 members: %v", err)
	}
}

func TestCoerceTime(t *testing.T) {
	col := &Column{Name: "t", Type: TypeTime}
	col3 := &Column{Name: "t", Type: TypeTime, Scale: 3}
	for _, c := range []struct {
		col  *Column
		in   any
		want string // FormatTime at scale 6, or "ERR" (strict: 1292)
		warn int    // CoerceLoose's warning code
		wval string // CoerceLoose's value
	}{
		{col, "10:20", "10:20:00.000000", 0, ""},
		{col, "10:20:30", "10:20:30.000000", 0, ""},
		{col, "1 10:20:30", "34:20:30.000000", 0, ""},
		{col, int64(102030), "10:20:30.000000", 0, ""},
		{col, "-1:2:3.5", "-01:02:03.000000", 0, ""},
		{col3, "-1:2:3.5678", "-01:02:03.567000", 0, ""},
		{col3, 1020.5, "00:10:20.500000", 0, ""},
		{col, "838:59:59", "838:59:59.000000", 0, ""},
		{col3, "838:59:59.999", "838:59:59.999000", 0, ""},
		{col, "839:00:00", "ERR", 1264, "838:59:59.000000"},
		{col, "-900:00:00", "ERR", 1264, "-838:59:59.000000"},
		{col, int64(8390000), "ERR", 1264, "838:59:59.000000"},
		{col, "abc", "ERR", 1265, "00:00:00.000000"},
		{col, "10:61:00", "ERR", 1265, "00:00:00.000000"},
		{col, "12:34:56xyz", "ERR", 1265, "12:34:56.000000"},
		{col, "2024-01-02 03:04:05", "03:04:05.000000", 0, ""},
		{col, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "03:04:05.000000", 0, ""},
	} {
		v, err := Coerce(c.col, c.in, 1)
		got := "ERR"
		if err == nil {
			got = FormatTime(v.(time.Duration), 6)
		} else if sqlerr.Code(err) != sqlerr.ErrTruncatedValue {
			t.Errorf("%v: error %v, want 1292", c.in, err)
		}
		if got != c.want {
			t.Errorf("Coerce(%v) = %s, want %s", c.in, got, c.want)
		}
		if c.warn != 0 {
			lv, warn, err := CoerceLoose(c.col, c.in, 1)
			if err != nil || sqlerr.Code(warn) != c.warn || FormatTime(lv.(time.Duration), 6) != c.wval {
				t.Errorf("CoerceLoose(%v) = %v, %v, %v; want %s with %d", c.in, lv, warn, err, c.wval, c.warn)
			}
		}
	}
}

func TestCoerceYear(t *testing.T) {
	col := &Column{Name: "y", Type: TypeYear, Length: 4}
	for _, c := range []struct {
		in   any
		want int64
		err  int // strict error; CoerceLoose then gives 0000 with it as warning
	}{
		{int64(2024), 2024, 0}, {"1999", 1999, 0}, {int64(0), 0, 0}, {"0", 2000, 0}, {"00", 2000, 0},
		{"0000", 0, 0}, {int64(1), 2001, 0}, {int64(69), 2069, 0}, {int64(70), 1970, 0}, {"05", 2005, 0},
		{2024.4, 2024, 0}, {int64(1900), 0, 1264}, {int64(2156), 0, 1264}, {int64(-5), 0, 1264},
		{"abc", 0, 1366},
	} {
		v, err := Coerce(col, c.in, 1)
		if c.err != 0 {
			if sqlerr.Code(err) != c.err {
				t.Errorf("Coerce(%v): %v, want error %d", c.in, err, c.err)
			}
			lv, warn, lerr := CoerceLoose(col, c.in, 1)
			if lerr != nil || sqlerr.Code(warn) != c.err || lv != int64(0) {
				t.Errorf("CoerceLoose(%v) = %v, %v, %v", c.in, lv, warn, lerr)
			}
			continue
		}
		if err != nil || v != c.want {
			t.Errorf("Coerce(%v) = %v, %v; want %d", c.in, v, err, c.want)
		}
	}
	lv, warn, _ := CoerceLoose(col, "2024x", 1)
	if lv != int64(2024) || sqlerr.Code(warn) != sqlerr.ErrDataTruncated {
		t.Errorf("CoerceLoose('2024x') = %v, %v", lv, warn)
	}
}

func TestCoerceEnumSet(t *testing.T) {
	e := &Column{Name: "e", Type: TypeEnum, Elems: []string{"small", "Medium", "large"}}
	for in, want := range map[any]Enum{
		"large": {3, "large"}, "large  ": {3, "large"}, int64(2): {2, "Medium"}, "1": {1, "small"}, 2.4: {2, "Medium"},
	} {
		if v, err := Coerce(e, in, 1); err != nil || v != want {
			t.Errorf("ENUM Coerce(%v) = %v, %v", in, v, err)
		}
	}
	for _, in := range []any{"medium", "", "huge", int64(0), int64(4), "4"} {
		if _, err := Coerce(e, in, 1); sqlerr.Code(err) != sqlerr.ErrDataTruncated {
			t.Errorf("ENUM Coerce(%v): %v, want 1265", in, err)
		}
		if v, warn, err := CoerceLoose(e, in, 1); err != nil || v != (Enum{}) || sqlerr.Code(warn) != sqlerr.ErrDataTruncated {
			t.Errorf("ENUM CoerceLoose(%v) = %v, %v, %v", in, v, warn, err)
		}
	}
	// The error value '' is a value of the column (the engine re-checks
	// what the SQL layer converted).
	if v, err := Coerce(e, Enum{}, 1); err != nil || v != (Enum{}) {
		t.Errorf("ENUM Coerce('') = %v, %v", v, err)
	}

	s := &Column{Name: "s", Type: TypeSet, Elems: []string{"a", "b", "c", "d"}}
	for in, want := range map[any]Set{
		"a,c": {5, "a,c"}, "c,a": {5, "a,c"}, "": {}, "d,b,b": {10, "b,d"}, int64(5): {5, "a,c"}, "15": {15, "a,b,c,d"},
	} {
		if v, err := Coerce(s, in, 1); err != nil || v != want {
			t.Errorf("SET Coerce(%v) = %v, %v", in, v, err)
		}
	}
	for in, loose := range map[any]Set{"a,e": {1, "a"}, "B": {}, int64(16): {}} {
		if _, err := Coerce(s, in, 1); sqlerr.Code(err) != sqlerr.ErrDataTruncated {
			t.Errorf("SET Coerce(%v): %v, want 1265", in, err)
		}
		if v, warn, err := CoerceLoose(s, in, 1); err != nil || v != loose || sqlerr.Code(warn) != sqlerr.ErrDataTruncated {
			t.Errorf("SET CoerceLoose(%v) = %v, %v, %v; want %v", in, v, warn, err, loose)
		}
	}
}

// FuzzDecodeRow: no input makes the row decoder panic, and a row that
// decodes encodes back to a row that decodes to the same encoding.
func FuzzDecodeRow(f *testing.F) {
	d := newTypesDef()
	d.Columns = append(d.Columns, Column{Name: "v", Type: TypeVarChar, Length: 10}, Column{Name: "dt", Type: TypeDateTime},
		Column{Name: "dec", Type: TypeDecimal, Precision: 10, Scale: 2}, Column{Name: "f", Type: TypeDouble},
		Column{Name: "bit", Type: TypeBit, Length: 5})
	for _, r := range []Row{
		{int64(1), -MaxTime, int64(2024), Enum{Index: 2, Name: "a"}, Set{Bits: 3, Text: "r,g"}, "hi", time.Unix(0, 0).UTC(), nil, 1.5, uint64(17)},
		{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil},
	} {
		b, err := encodeRow(nil, d, r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRow(b, d)
		if err != nil {
			return
		}
		b2, err := encodeRow(nil, d, r)
		if err != nil {
			t.Fatalf("decoded row %v does not encode: %v", r, err)
		}
		r2, err := decodeRow(b2, d)
		if err != nil {
			t.Fatalf("re-encoded row %v does not decode: %v", r, err)
		}
		// Compared encoded (a NaN DOUBLE is not equal to itself).
		if b3, err := encodeRow(nil, d, r2); err != nil || !bytes.Equal(b2, b3) {
			t.Fatalf("re-encoded row %v decodes as %v", r, r2)
		}
	})
}
