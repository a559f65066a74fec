package engine

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
	"time"
)

func zeroDatesDef() *TableDef {
	return &TableDef{
		Name: "z",
		Columns: []Column{
			{Name: "id", Type: TypeBigInt, NotNull: true},
			{Name: "d", Type: TypeDate, NotNull: true},
			{Name: "dt", Type: TypeDateTime, Scale: 6},
		},
		PrimaryKey: []string{"id"},
		Indexes: []IndexDef{
			{Name: "by_d", Columns: []string{"d"}},
			{Name: "by_dt", Columns: []string{"dt"}, Unique: true},
		},
	}
}

// zd is ZeroDate text coerced for column c (it fails the test on error).
func zd(t *testing.T, c *Column, s string) any {
	t.Helper()
	v, err := Coerce(c, s, 1)
	if err != nil {
		t.Fatalf("Coerce %q for %s: %v", s, c.Name, err)
	}
	return v
}

// TestZeroDateCoerce: the zero date and zero-in-date values are taken as
// MariaDB's default sql_mode takes them; invalid days and zero parts in a
// TIMESTAMP are refused.
func TestZeroDateCoerce(t *testing.T) {
	d := zeroDatesDef()
	date, dt := &d.Columns[1], &d.Columns[2]
	ts := &Column{Name: "ts", Type: TypeTimestamp}
	for _, c := range []struct {
		col  *Column
		in   any
		want string
	}{
		{date, "0000-00-00", "0000-00-00"},
		{date, "2024-00-10", "2024-00-10"},
		{date, "2024-05-00", "2024-05-00"},
		{date, "00000000", "0000-00-00"},
		{date, int64(0), "0000-00-00"},
		{dt, "0000-00-00", "0000-00-00 00:00:00.000000"},
		{dt, "2024-00-10 10:11:12.5", "2024-00-10 10:11:12.500000"},
		{dt, int64(20240010101010), "2024-00-10 10:10:10.000000"},
		{ts, "0000-00-00 00:00:00", "0000-00-00 00:00:00"},
	} {
		v, err := Coerce(c.col, c.in, 1)
		if err != nil {
			t.Errorf("Coerce %v for %s: %v", c.in, c.col.Name, err)
			continue
		}
		if _, ok := v.(ZeroDate); !ok {
			t.Errorf("Coerce %v for %s = %T, want ZeroDate", c.in, c.col.Name, v)
			continue
		}
		if got := columnText(c.col, v); got != c.want {
			t.Errorf("Coerce %v for %s shows %q, want %q", c.in, c.col.Name, got, c.want)
		}
	}
	for _, c := range []struct {
		col *Column
		in  string
	}{{date, "2024-02-30"}, {date, "2024-13-01"}, {date, "2024-01-32"}, {ts, "2024-00-10 00:00:00"}, {dt, "2024-00-10 24:00:00"}} {
		if v, err := Coerce(c.col, c.in, 1); err == nil {
			t.Errorf("Coerce %q for %s = %v, want an error", c.in, c.col.Name, v)
		}
	}
	v, err := CoerceInvalidDate(date, "2024-02-30", 1)
	if err != nil || columnText(date, v) != "2024-02-30" {
		t.Errorf("CoerceInvalidDate 2024-02-30 = %v, %v", v, err)
	}
}

// TestZeroDateRowFormat: a row holding a ZeroDate round-trips as row
// format 2; a row without one is still written as format 1, byte for
// byte what earlier versions wrote, and such older bytes read the same.
func TestZeroDateRowFormat(t *testing.T) {
	d := &TableDef{Name: "x", Columns: []Column{{Name: "d", Type: TypeDate}}}
	b, err := encodeRow(nil, d, Row{ZeroDate{DateOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(b), "020100"+"80808080808080808001"; got != want {
		t.Errorf("zero date row = %s, want %s (the example in rowcodec.go)", got, want)
	}
	// Written by blitz before zero dates existed: (DATE 2024-01-02).
	old, _ := hex.DecodeString("0101008080c4dfe5fa8606")
	r, err := decodeRow(old, d)
	if err != nil {
		t.Fatalf("decode format 1 row: %v", err)
	}
	want := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	if !r[0].(time.Time).Equal(want) {
		t.Errorf("format 1 row reads %v, want %v", r[0], want)
	}
	if b, _ := encodeRow(nil, d, Row{want}); !bytes.Equal(b, old) {
		t.Errorf("a real date encodes as %x, want the format 1 bytes %x", b, old)
	}
	// A version 1 row never holds a ZeroDate, even with a huge varint;
	// a version 2 row with a varint in the ZeroDate range that packs no
	// ZeroDate is damage.
	bad := append([]byte{rowFormatZeroDt, 1, 0}, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
	if _, err := decodeRow(bad, d); err != errRowCorrupt {
		t.Errorf("format 2 row with no ZeroDate packed: err %v, want errRowCorrupt", err)
	}
}

// TestZeroDateStoreAndOrder stores zero dates through the engine, reads
// them back, checks that both indexes visit them in MariaDB's order, and
// that the unique index refuses a second copy.
func TestZeroDateStoreAndOrder(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	d := zeroDatesDef()
	if err := db.CreateTable(bg, d); err != nil {
		t.Fatal(err)
	}
	date, dt := &d.Columns[1], &d.Columns[2]
	texts := []string{"2024-01-01", "0000-00-00", "2024-00-10", "2023-12-31", "2024-05-00", "1000-01-01", "2024-00-00", "2024-01-00"}
	var rows []Row
	for i, s := range texts {
		rows = append(rows, Row{int64(i), zd(t, date, s), zd(t, dt, s)})
	}
	// A DATETIME(6) at the microsecond just before 2024-01-01: the zero
	// dates of that year sort after it.
	rows = append(rows, Row{int64(len(texts)), zd(t, date, "2023-12-31"), zd(t, dt, "2023-12-31 23:59:59.999999")})
	insert(t, db, "z", rows...)
	wantOrder := []int64{1, 5, 3, 8, 6, 2, 7, 0, 4} // by dt
	if got := ids(t, db, "z", Scan{Index: "by_dt"}); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("by_dt order = %v, want %v", got, wantOrder)
	}
	// by d: the same, 3 and 8 (both 2023-12-31) in primary key order
	if got := ids(t, db, "z", Scan{Index: "by_d"}); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("by_d order = %v, want %v", got, wantOrder)
	}
	if _, _, err := mustTx(t, db).Insert("z", Row{int64(99), zd(t, date, "2024-00-10"), zd(t, dt, "2024-00-10")}); err == nil {
		t.Error("a second 2024-00-10 went into the unique index")
	}
	// Back from disk after a reopen, and after the indexes are rebuilt.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	tx := mustTx(t, db)
	defer tx.Rollback()
	for i, s := range texts {
		_, r, ok, err := tx.Get("z", []any{int64(i)})
		if err != nil || !ok {
			t.Fatalf("Get %d: %v, %v", i, ok, err)
		}
		if got := columnText(date, r[1]); got != s {
			t.Errorf("row %d: d reads %q, want %q", i, got, s)
		}
		if got, want := columnText(dt, r[2]), s+" 00:00:00.000000"; got != want {
			t.Errorf("row %d: dt reads %q, want %q", i, got, want)
		}
	}
}

// TestDatesBeforeYear1000 stores DATETIMEs of years 0 to 999, which
// MariaDB takes, beside zero dates: they read back after a reopen and
// the index visits them in date order. '0000-02-29' is refused: MariaDB's
// year 0 has no leap day.
func TestDatesBeforeYear1000(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	d := zeroDatesDef()
	if err := db.CreateTable(bg, d); err != nil {
		t.Fatal(err)
	}
	date, dt := &d.Columns[1], &d.Columns[2]
	texts := []string{"0999-12-31", "0001-01-01", "0000-00-00", "0000-01-01", "1000-01-01", "0500-00-10", "0000-03-01"}
	var rows []Row
	for i, s := range texts {
		rows = append(rows, Row{int64(i), zd(t, date, s), zd(t, dt, s+" 10:11:12")})
	}
	insert(t, db, "z", rows...)
	wantOrder := []int64{2, 3, 6, 1, 5, 0, 4}
	if got := ids(t, db, "z", Scan{Index: "by_dt"}); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("by_dt order = %v, want %v", got, wantOrder)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "z", Scan{Index: "by_d"}); !reflect.DeepEqual(got, wantOrder) {
		t.Errorf("by_d order after reopen = %v, want %v", got, wantOrder)
	}
	tx := mustTx(t, db)
	defer tx.Rollback()
	for i, s := range texts {
		_, r, ok, err := tx.Get("z", []any{int64(i)})
		if err != nil || !ok {
			t.Fatalf("Get %d: %v, %v", i, ok, err)
		}
		if got, want := columnText(dt, r[2]), s+" 10:11:12.000000"; got != want {
			t.Errorf("row %d: dt reads %q, want %q", i, got, want)
		}
	}
	for _, c := range []*Column{date, dt} {
		if v, err := Coerce(c, "0000-02-29", 1); err == nil {
			t.Errorf("%s took 0000-02-29 as %v", c.Name, v)
		}
	}
}
