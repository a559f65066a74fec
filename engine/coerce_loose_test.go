package engine

import (
	"fmt"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestCoerceLoose pins the non-strict adjustments against what MariaDB
// 10.11 stores for INSERT IGNORE (testdata/sql/nonstrict.test checks the
// same through SQL).
func TestCoerceLoose(t *testing.T) {
	i := &Column{Name: "i", Type: TypeInt}
	ti := &Column{Name: "ti", Type: TypeTinyInt, Unsigned: true}
	f := &Column{Name: "f", Type: TypeFloat}
	d := &Column{Name: "d", Type: TypeDecimal, Precision: 5, Scale: 2}
	s := &Column{Name: "s", Type: TypeVarChar, Length: 5}
	b := &Column{Name: "b", Type: TypeVarBinary, Length: 3}
	dt := &Column{Name: "dt", Type: TypeDate}
	for _, c := range []struct {
		col  *Column
		in   any
		want string
		warn int
	}{
		{i, "abc", "0", sqlerr.ErrTruncatedWrong},
		{i, "", "0", sqlerr.ErrTruncatedWrong},
		{i, "12abc", "12", sqlerr.ErrDataTruncated},
		{i, "1.5x", "2", sqlerr.ErrDataTruncated},
		{i, " -3.7e1z", "-37", sqlerr.ErrDataTruncated},
		{i, "1e3", "1000", 0},
		{i, "-99999999999", "-2147483648", sqlerr.ErrOutOfRange},
		{i, "99999999999x", "2147483647", sqlerr.ErrOutOfRange},
		{ti, int64(-5), "0", sqlerr.ErrOutOfRange},
		{ti, int64(300), "255", sqlerr.ErrOutOfRange},
		{f, 1e39, "3.4028234663852886e+38", sqlerr.ErrOutOfRange},
		{f, "3.5q", "3.5", sqlerr.ErrDataTruncated},
		{d, 12345.678, "999.99", sqlerr.ErrOutOfRange},
		{d, int64(-99999), "-999.99", sqlerr.ErrOutOfRange},
		{s, "abcdefgh", "abcde", sqlerr.ErrDataTruncated},
		{s, "héllowörld", "héllo", sqlerr.ErrDataTruncated},
		{s, "A\xffB", "A?B", sqlerr.ErrTruncatedWrong},
		{b, "abcdef", "[97 98 99]", sqlerr.ErrDataTruncated},
	} {
		got, warn, err := CoerceLoose(c.col, c.in, 1)
		if err != nil {
			t.Errorf("%s <- %v: error %v", c.col.Name, c.in, err)
			continue
		}
		if s := fmt.Sprint(got); s != c.want || sqlerr.Code(warn) != c.warn {
			t.Errorf("%s <- %v: %s warning %v, want %s warning %d", c.col.Name, c.in, s, warn, c.want, c.warn)
		}
	}
	// What has no adjusted value stays an error: a date that is not one,
	// NULL into NOT NULL.
	if _, _, err := CoerceLoose(dt, "2020-13-45", 1); sqlerr.Code(err) != sqlerr.ErrTruncatedValue {
		t.Errorf("bad date: %v", err)
	}
	if _, _, err := CoerceLoose(&Column{Name: "n", Type: TypeInt, NotNull: true}, nil, 1); sqlerr.Code(err) != sqlerr.ErrBadNull {
		t.Errorf("NULL into NOT NULL: %v", err)
	}
	if v, ok := ImplicitDefault(&Column{Type: TypeBinary, Length: 2}); !ok || fmt.Sprint(v) != "[0 0]" {
		t.Errorf("ImplicitDefault(BINARY(2)) = %v %v", v, ok)
	}
	if _, ok := ImplicitDefault(dt); ok {
		t.Error("ImplicitDefault(DATE): blitz has no zero date")
	}
	if got := BadBytes("ok\xff\xfeabcdefg"); got != `\xFF\xFEabcd...` {
		t.Errorf("BadBytes = %q", got)
	}
}
