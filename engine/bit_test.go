package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// bitDef is a table keyed by a BIT(8) column, with BIT(1), BIT(10) and
// BIT(64) columns and an index on two of them.
func bitDef(crashSafe bool) *TableDef {
	return &TableDef{Name: "bits", PrimaryKey: []string{"id"}, CrashSafe: crashSafe, Columns: []Column{
		{Name: "id", Type: TypeBit, Length: 8, NotNull: true},
		{Name: "f", Type: TypeBit, Length: 1, NotNull: true, HasDefault: true, Default: uint64(0)},
		{Name: "w", Type: TypeBit, Length: 10, HasDefault: true, Default: uint64(0b1010)},
		{Name: "m", Type: TypeBit, Length: 64},
	}, Indexes: []IndexDef{{Name: "by_f_m", Columns: []string{"f", "m"}}}}
}

func TestBitRowRoundTrip(t *testing.T) {
	d := bitDef(false)
	for _, r := range []Row{
		{uint64(0), uint64(0), uint64(0), uint64(0)},
		{uint64(255), uint64(1), uint64(1023), ^uint64(0)},
		{uint64(7), uint64(1), nil, nil},
	} {
		b, err := encodeRow(nil, d, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRow(b, d)
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %v gave %v, %v", r, got, err)
		}
		part := make(Row, len(d.Columns))
		if err := decodeRowInto(part, b, d, []bool{false, false, false, true}, nil); err != nil || !reflect.DeepEqual(part[3], r[3]) {
			t.Errorf("partial decode of %v: %v %v", r, part, err)
		}
	}
	// A value with a bit above the column's M is a damaged row.
	b, _ := encodeRow(nil, d, Row{uint64(1), uint64(2), nil, nil})
	if _, err := decodeRow(b, d); err != errRowCorrupt {
		t.Errorf("2 in a BIT(1): %v", err)
	}
	// Keys sort as the unsigned numbers, NULL first.
	vals := []any{nil, uint64(0), uint64(1), uint64(255), uint64(256), uint64(1) << 63, ^uint64(0)}
	keys := make([][]byte, len(vals))
	for i, v := range vals {
		keys[i] = appendKeyValue(nil, v)
	}
	sorted := append([][]byte(nil), keys...)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i], sorted[j]) < 0 })
	if !reflect.DeepEqual(sorted, keys) {
		t.Error("BIT keys out of order")
	}
}

func TestCoerceBit(t *testing.T) {
	c8 := &Column{Name: "b", Type: TypeBit, Length: 8}
	c64 := &Column{Name: "b", Type: TypeBit, Length: 64}
	for _, tc := range []struct {
		col  *Column
		in   any
		want any
		code int
	}{
		{c8, int64(255), uint64(255), 0},
		{c8, int64(256), nil, sqlerr.ErrDataTooLong},
		{c8, int64(-1), nil, sqlerr.ErrDataTooLong},
		{c64, int64(-1), ^uint64(0), 0}, // two's complement, as MariaDB
		{c8, 2.5, uint64(3), 0},
		{c8, -0.4, nil, sqlerr.ErrOutOfRange},
		{c64, 1e30, nil, sqlerr.ErrOutOfRange},
		{c8, "a", uint64(97), 0},
		{c8, "ab", nil, sqlerr.ErrDataTooLong},
		{c8, "", uint64(0), 0},
		{c8, []byte{0, 0, 0x41}, uint64(0x41), 0}, // leading zero bytes do not count
		{c64, "abcdefgh", uint64(0x6162636465666768), 0},
		{c64, "abcdefghi", nil, sqlerr.ErrDataTooLong},
		{c8, true, uint64(1), 0},
	} {
		got, err := Coerce(tc.col, tc.in, 1)
		if sqlerr.Code(err) != tc.code || (tc.code == 0 && got != tc.want) {
			t.Errorf("BIT(%d) <- %#v: %#v, %v; want %#v, error %d", tc.col.Length, tc.in, got, err, tc.want, tc.code)
		}
		if tc.code == 0 {
			continue
		}
		// Outside strict mode every refusal stores all ones, warning 1264.
		v, warn, err := CoerceLoose(tc.col, tc.in, 1)
		if err != nil || v != BitMax(tc.col.Length) || sqlerr.Code(warn) != sqlerr.ErrOutOfRange {
			t.Errorf("loose BIT(%d) <- %#v: %#v, %v, %v", tc.col.Length, tc.in, v, warn, err)
		}
	}
	if got := BitBytes(nil, 0b1010, 10); !bytes.Equal(got, []byte{0, 10}) {
		t.Errorf("BitBytes of b'1010' in BIT(10): % x", got)
	}
}

// TestBitDefFormat: a table with a BIT column is written as definition
// format 8 (whatever else it has) and reads back the same; a table
// without one keeps its format; an older format naming BIT, a BIT(0) or
// BIT(65), and a default wider than the column are refused.
func TestBitDefFormat(t *testing.T) {
	d := bitDef(false)
	d.Columns[3].HasDefault, d.Columns[3].Default = true, ^uint64(0)
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Format int }
	if err := json.Unmarshal(b, &f); err != nil || f.Format != defFormatBit {
		t.Fatalf("format %d (%v), want %d", f.Format, err, defFormatBit)
	}
	if !bytes.Contains(b, []byte(`"default": "18446744073709551615"`)) {
		t.Errorf("BIT(64) default not stored as its number:\n%s", b)
	}
	got, _, err := decodeDef(b, "bits.def")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Columns, d.Columns) {
		t.Errorf("columns do not round-trip:\n got %+v\nwant %+v", got.Columns, d.Columns)
	}
	for _, format := range []int{1, 3, 7} {
		forged := bytes.Replace(unsummed(b), []byte(`"format": 8`), []byte(fmt.Sprintf(`"format": %d`, format)), 1)
		if _, _, err := decodeDef(forged, "bits.def"); err == nil || !strings.Contains(err.Error(), "unknown type") {
			t.Errorf("format %d with a BIT column: %v", format, err)
		}
	}
	for _, bad := range []struct{ from, to string }{
		{`"length": 10`, `"length": 65`},
		{`"length": 10`, `"length": 0`},
		{`"default": "10"`, `"default": "1024"`},
		{`"default": "10"`, `"default": "b'1010'"`},
	} {
		forged := bytes.Replace(b, []byte(bad.from), []byte(bad.to), 1)
		if bytes.Equal(forged, b) {
			t.Fatalf("fixture has no %s", bad.from)
		}
		if _, _, err := decodeDef(forged, "bits.def"); err == nil {
			t.Errorf("definition with %s accepted", bad.to)
		}
	}
	// The format is the largest any part needs: prefix keys (7) alone
	// stay 7, with a BIT column 8.
	pre := &TableDef{Name: "p", Columns: []Column{{Name: "s", Type: TypeVarChar, Length: 20}},
		Indexes: []IndexDef{{Name: "k", Columns: []string{"s"}, Prefix: []int{5}}}}
	if _, format := toDefTable(pre); format != defFormatPrefix {
		t.Errorf("prefix key table: format %d", format)
	}
	pre.Columns = append(pre.Columns, Column{Name: "b", Type: TypeBit, Length: 1})
	if _, format := toDefTable(pre); format != defFormatBit {
		t.Errorf("prefix key and BIT table: format %d", format)
	}
	for _, m := range []int{0, 65} {
		bad := bitDef(false)
		bad.Columns[2].Length, bad.Columns[2].Default = m, nil
		if err := bad.validate(); sqlerr.Code(err) != 1439 {
			t.Errorf("BIT(%d): %v", m, err)
		}
	}
}

// TestBitCrashSafeReplay: rows of a CRASH_SAFE table with BIT columns
// (BIT primary key and index) come back from the WAL after a kill and
// after a power cut, findable by key and index.
func TestBitCrashSafeReplay(t *testing.T) {
	for _, ck := range crashKinds {
		t.Run(ck.name, func(t *testing.T) {
			fs := vfs.NewCrash()
			dir := t.TempDir()
			if err := fs.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db := mustOpen(t, dir, Options{FS: fs})
			if err := db.CreateTable(bg, bitDef(true)); err != nil {
				t.Fatal(err)
			}
			want := map[uint64]Row{}
			for i := uint64(0); i < 40; i++ {
				r := Row{i * 6, i % 2, uint64(1023 - i), ^uint64(0) - i}
				if i%5 == 0 {
					r[3] = nil
				}
				insert(t, db, "bits", r)
				want[i*6] = r
			}
			fs = ck.crash(db, fs)

			db2 := mustOpen(t, dir, Options{FS: fs, AutoRecover: true})
			if n := db2.Stats().TablesRecovered; n != 1 {
				t.Fatalf("%d tables recovered: the crash left nothing to replay", n)
			}
			tx := mustTx(t, db2)
			defer tx.Rollback()
			n := 0
			if err := tx.Scan("bits", Scan{Index: "PRIMARY"}, func(h Handle, r Row) (bool, error) {
				if w := want[r[0].(uint64)]; !reflect.DeepEqual(r, w) {
					t.Errorf("row %v after the crash, want %v", r, w)
				}
				n++
				return true, nil
			}); err != nil {
				t.Fatal(err)
			}
			if n != len(want) {
				t.Errorf("%d rows after the crash, want %d", n, len(want))
			}
			if _, r, ok, err := tx.Get("bits", []any{uint64(42)}); err != nil || !ok || !reflect.DeepEqual(r, want[42]) {
				t.Errorf("key 42: %v %v %v", r, ok, err)
			}
			var ones []uint64
			if err := tx.Scan("bits", Scan{Index: "by_f_m", Lo: Bound{Values: []any{uint64(1)}, Inclusive: true}}, func(h Handle, r Row) (bool, error) {
				ones = append(ones, r[0].(uint64))
				return true, nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(ones) != 20 {
				t.Errorf("index by_f_m from f = 1: %d rows, want 20", len(ones))
			}
		})
	}
}
