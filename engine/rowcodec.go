package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// # Row codec (format versions 1 and 2)
//
//	+---------+------------------+-------------------------+-----------------+
//	| ver 1B  | uvarint ncols    | null bitmap (ncols+7)/8 | non-NULL values |
//	+---------+------------------+-------------------------+-----------------+
//
// Values follow in column order, NULLs skipped. By column type:
// signed integers: zig-zag varint; unsigned: uvarint; FLOAT/DOUBLE: 8 bytes
// IEEE-754 little-endian; DECIMAL: uvarint length + its decimal text;
// strings and bytes: uvarint length + bytes; DATE/DATETIME/TIMESTAMP:
// varint microseconds since the Unix epoch, UTC (a DATE or DATETIME is
// its wall-clock value read as UTC; a TIMESTAMP is the instant, whatever
// the writer's @@time_zone: sqlshim/timezone.go converts); TIME: varint signed
// microseconds; YEAR: varint (0 or 1901..2155); ENUM: uvarint 1-based
// member index (0: the error value ”); SET: uvarint bit mask of members
// (bit 0: the first); BIT(M): uvarint below 1<<M. TIME, YEAR, ENUM and
// SET appear only in tables of definition format 3 or later, BIT only in
// tables of format 8 (schema.go), so a reader that knows only the earlier
// types never sees them.
//
// ncols is the number of columns the row was written with. A row written
// before ALTER TABLE ADD COLUMN has fewer: the missing trailing columns read
// as their defaults, so adding a column rewrites nothing.
//
// Example: (INT 7, VARCHAR NULL, VARCHAR "hi") is 01 03 02 0e 02 68 69.
//
// Version 2 is version 1 plus dates that time.Time cannot hold (ZeroDate:
// '0000-00-00', '2024-00-10'): a DATE/DATETIME/TIMESTAMP varint at or
// above zeroDateBase is zeroDateBase + ZeroDate.packed(), which no real
// date reaches (year 9999 is below 2^58 microseconds). Only a row holding
// such a value is written as version 2, so every other row stays byte for
// byte what version 1 wrote, and a reader that knows only version 1
// reports a version 2 row as damaged rather than misreading its dates.
// Example: (DATE '0000-00-00') is 02 01 00 80 80 80 80 80 80 80 80 80 01.
const (
	rowFormat       = 1
	rowFormatZeroDt = 2

	zeroDateBase = int64(1) << 62
)

var errRowCorrupt = errors.New("blitz/engine: row does not decode")

func encodeRow(b []byte, d *TableDef, r Row) ([]byte, error) {
	n := len(d.Columns)
	ver := len(b)
	b = append(b, rowFormat)
	b = binary.AppendUvarint(b, uint64(n))
	bm := len(b)
	b = append(b, make([]byte, (n+7)/8)...)
	for i := 0; i < n; i++ {
		v := r[i]
		if v == nil {
			b[bm+i/8] |= 1 << (i % 8)
			continue
		}
		c := &d.Columns[i]
		switch x := v.(type) {
		case int64:
			b = binary.AppendVarint(b, x)
		case uint64:
			b = binary.AppendUvarint(b, x)
		case float64:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		case decimal.Decimal:
			s := x.String()
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		case string:
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		case []byte:
			b = binary.AppendUvarint(b, uint64(len(x)))
			b = append(b, x...)
		case time.Time:
			us := x.UnixMicro()
			if us >= zeroDateBase {
				return nil, fmt.Errorf("blitz/engine: column %q: date %v is out of range", c.Name, x)
			}
			b = binary.AppendVarint(b, us)
		case ZeroDate:
			b[ver] = rowFormatZeroDt
			b = binary.AppendVarint(b, zeroDateBase+int64(x.packed()))
		case time.Duration:
			b = binary.AppendVarint(b, int64(x/time.Microsecond))
		case Enum:
			b = binary.AppendUvarint(b, uint64(x.Index))
		case Set:
			b = binary.AppendUvarint(b, x.Bits)
		default:
			return nil, fmt.Errorf("blitz/engine: column %q: cannot store a %T", c.Name, v)
		}
	}
	return b, nil
}

// rowSizeHint is about the size encodeRow gives r (at least it for rows of
// numbers, times and text), so that one allocation of it holds the row.
func rowSizeHint(r Row) int {
	n := 1 + binary.MaxVarintLen64 + (len(r)+7)/8
	for _, v := range r {
		switch x := v.(type) {
		case nil:
		case string:
			n += binary.MaxVarintLen64 + len(x)
		case []byte:
			n += binary.MaxVarintLen64 + len(x)
		default:
			n += binary.MaxVarintLen64 // numbers, times, ENUM, SET; a DECIMAL's text may need more
		}
	}
	return n
}

func decodeRow(b []byte, d *TableDef) (Row, error) {
	r := make(Row, len(d.Columns))
	if err := decodeRowInto(r, b, d, nil, nil); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeRowInto decodes b into r (len(r) == len(d.Columns)). With need
// not nil, only the columns need marks are decoded: the others are
// stepped over without building a value (no allocation, no boxing) and
// left nil in r. The whole row is still walked, so a corrupt row is
// reported whatever need says.
func decodeRowInto(r Row, b []byte, d *TableDef, need []bool, in *interner) error {
	if len(b) < 2 || b[0] != rowFormat && b[0] != rowFormatZeroDt {
		return errRowCorrupt
	}
	zeroDates := b[0] == rowFormatZeroDt
	n64, k := binary.Uvarint(b[1:])
	if k <= 0 || n64 > uint64(len(d.Columns)) {
		return errRowCorrupt
	}
	n := int(n64)
	p := b[1+k:]
	if len(p) < (n+7)/8 {
		return errRowCorrupt
	}
	bm := p[:(n+7)/8]
	p = p[(n+7)/8:]
	field := func() ([]byte, bool) {
		l, k := binary.Uvarint(p)
		if k <= 0 || l > uint64(len(p)-k) {
			return nil, false
		}
		f := p[k : k+int(l)]
		p = p[k+int(l):]
		return f, true
	}
	for i := 0; i < n; i++ {
		if bm[i/8]&(1<<(i%8)) != 0 {
			r[i] = nil
			continue
		}
		c := &d.Columns[i]
		if need != nil && !need[i] {
			var ok bool
			if p, ok = skipField(p, c.Type); !ok {
				return errRowCorrupt
			}
			r[i] = nil
			continue
		}
		switch t := c.Type; {
		case t == TypeTime:
			x, k := binary.Varint(p)
			if k <= 0 || x > int64(MaxTime/time.Microsecond) || x < -int64(MaxTime/time.Microsecond) {
				return errRowCorrupt
			}
			r[i], p = time.Duration(x)*time.Microsecond, p[k:]
		case t == TypeYear:
			x, k := binary.Varint(p)
			if k <= 0 {
				return errRowCorrupt
			}
			r[i], p = x, p[k:]
		case t == TypeEnum:
			x, k := binary.Uvarint(p)
			if k <= 0 || x > uint64(len(c.Elems)) {
				return errRowCorrupt
			}
			r[i], _ = EnumOf(c.Elems, int(x))
			p = p[k:]
		case t == TypeSet:
			x, k := binary.Uvarint(p)
			if k <= 0 {
				return errRowCorrupt
			}
			s, ok := SetOf(c.Elems, x)
			if !ok {
				return errRowCorrupt
			}
			r[i], p = s, p[k:]
		case t.IsInteger() && c.Unsigned:
			x, k := binary.Uvarint(p)
			if k <= 0 {
				return errRowCorrupt
			}
			r[i], p = x, p[k:]
		case t.IsInteger():
			x, k := binary.Varint(p)
			if k <= 0 {
				return errRowCorrupt
			}
			r[i], p = x, p[k:]
		case t == TypeFloat || t == TypeDouble:
			if len(p) < 8 {
				return errRowCorrupt
			}
			r[i], p = math.Float64frombits(binary.LittleEndian.Uint64(p)), p[8:]
		case t == TypeDecimal:
			f, ok := field()
			if !ok {
				return errRowCorrupt
			}
			dv, err := decimal.NewFromString(string(f))
			if err != nil {
				return errRowCorrupt
			}
			if c.Scale > 0 && -dv.Exponent() < int32(c.Scale) {
				// The text drops trailing zeros ("2" for 2.00): give the
				// value back its column's scale, as MySQL prints it.
				dv = decimal.RequireFromString(dv.StringFixed(int32(c.Scale)))
			}
			r[i] = dv
		case t.IsString():
			f, ok := field()
			if !ok {
				return errRowCorrupt
			}
			if in != nil {
				r[i] = in.str(f)
			} else {
				r[i] = string(f)
			}
		case t.IsBinary():
			f, ok := field()
			if !ok {
				return errRowCorrupt
			}
			r[i] = append([]byte(nil), f...)
		case t.IsTime():
			x, k := binary.Varint(p)
			if k <= 0 {
				return errRowCorrupt
			}
			if zeroDates && x >= zeroDateBase {
				z, ok := unpackZeroDate(uint64(x - zeroDateBase))
				if !ok {
					return errRowCorrupt
				}
				z.DateOnly = t == TypeDate
				r[i], p = z, p[k:]
			} else if in != nil && t == TypeDate {
				r[i], p = in.date(x), p[k:]
			} else {
				r[i], p = time.UnixMicro(x).UTC(), p[k:]
			}
		case t == TypeBit:
			x, k := binary.Uvarint(p)
			if k <= 0 || x > BitMax(c.Length) {
				return errRowCorrupt
			}
			r[i], p = x, p[k:]
		default:
			return errRowCorrupt
		}
	}
	if len(p) != 0 {
		return errRowCorrupt
	}
	for i := n; i < len(d.Columns); i++ { // columns added after the row was written
		r[i] = d.Columns[i].Default
	}
	return nil
}

// interner hands out one boxed string per distinct short value during a
// scan: a column with few distinct values (a country, a status) then
// costs no allocation per row, and its rows share the same bytes, which
// stay in cache for whoever compares or hashes them next. Bounded: past
// maxInterned values, new ones are allocated as usual.
// DATE values are interned too (by their stored microseconds): a year of
// dates is 365 values, and a boxed time.Time is a 24-byte allocation.
type interner struct {
	m     map[string]any
	dates map[int64]any
}

func (in *interner) date(us int64) any {
	if v, ok := in.dates[us]; ok {
		return v
	}
	var v any = time.UnixMicro(us).UTC()
	if len(in.dates) < maxInterned {
		if in.dates == nil {
			in.dates = make(map[int64]any)
		}
		in.dates[us] = v
	}
	return v
}

const (
	maxInterned    = 4096
	maxInternedLen = 32
)

func (in *interner) str(f []byte) any {
	if len(f) > maxInternedLen {
		return string(f)
	}
	if v, ok := in.m[string(f)]; ok { // no allocation for the lookup
		return v
	}
	var v any = string(f)
	if len(in.m) < maxInterned {
		if in.m == nil {
			in.m = make(map[string]any)
		}
		in.m[string(f)] = v
	}
	return v
}

// skipField steps over one non-NULL value of type t at the start of p.
func skipField(p []byte, t Type) ([]byte, bool) {
	switch {
	case t.IsInteger(), t.IsTime(), t == TypeTime, t == TypeYear, t == TypeEnum, t == TypeSet, t == TypeBit:
		// Signed (zig-zag) and unsigned varints end at the same byte.
		_, k := binary.Uvarint(p)
		if k <= 0 {
			return nil, false
		}
		return p[k:], true
	case t == TypeFloat || t == TypeDouble:
		if len(p) < 8 {
			return nil, false
		}
		return p[8:], true
	case t == TypeDecimal, t.IsString(), t.IsBinary():
		l, k := binary.Uvarint(p)
		if k <= 0 || l > uint64(len(p)-k) {
			return nil, false
		}
		return p[k+int(l):], true
	}
	return nil, false
}

// ColumnRange is a pre-filter a read-only scan applies to the encoded row
// before decoding it: a row whose column Col is NULL or outside [Lo, Hi]
// is skipped. Col must be a signed integer column (Lo, Hi are its
// values) or a DATE/DATETIME/TIMESTAMP column (microseconds since the
// Unix epoch, UTC, as the row codec stores them).
type ColumnRange struct {
	Col    int
	Lo, Hi int64
}

// rowInRanges reports whether an encoded row may pass every range. It
// answers false only when it is sure: a row it cannot read (corrupt, or
// written before the column was added) passes, for decodeRowInto to
// report or for the caller's own condition to decide.
func rowInRanges(b []byte, d *TableDef, ranges []ColumnRange) bool {
	if len(b) < 2 || b[0] != rowFormat {
		return true
	}
	n64, k := binary.Uvarint(b[1:])
	if k <= 0 || n64 > uint64(len(d.Columns)) {
		return true
	}
	n := int(n64)
	p := b[1+k:]
	if len(p) < (n+7)/8 {
		return true
	}
	bm := p[:(n+7)/8]
	p = p[(n+7)/8:]
	last := -1
	for _, rg := range ranges {
		if rg.Col >= n {
			return true // the column's default applies: let the caller decide
		}
		last = max(last, rg.Col)
	}
	for i := 0; i <= last; i++ {
		null := bm[i/8]&(1<<(i%8)) != 0
		t := d.Columns[i].Type
		var v int64
		check := false
		for _, rg := range ranges {
			if rg.Col == i {
				check = true
			}
		}
		if check && !null {
			var k int
			if v, k = binary.Varint(p); k <= 0 {
				return true
			}
		}
		if check {
			for _, rg := range ranges {
				if rg.Col == i && (null || v < rg.Lo || v > rg.Hi) {
					return false
				}
			}
		}
		if null {
			continue
		}
		var ok bool
		if p, ok = skipField(p, t); !ok {
			return true
		}
	}
	return true
}
