package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// # Row codec (format version 1)
//
//	+---------+------------------+-------------------------+-----------------+
//	| ver 1B  | uvarint ncols    | null bitmap (ncols+7)/8 | non-NULL values |
//	+---------+------------------+-------------------------+-----------------+
//
// Values follow in column order, NULLs skipped. By column type:
// signed integers: zig-zag varint; unsigned: uvarint; FLOAT/DOUBLE: 8 bytes
// IEEE-754 little-endian; DECIMAL: uvarint length + its decimal text;
// strings and bytes: uvarint length + bytes; DATE/DATETIME/TIMESTAMP:
// varint microseconds since the Unix epoch, UTC.
//
// ncols is the number of columns the row was written with. A row written
// before ALTER TABLE ADD COLUMN has fewer: the missing trailing columns read
// as their defaults, so adding a column rewrites nothing.
//
// Example: (INT 7, VARCHAR NULL, VARCHAR "hi") is 01 03 02 0e 02 68 69.
const rowFormat = 1

var errRowCorrupt = errors.New("blitz/engine: row does not decode")

func encodeRow(b []byte, d *TableDef, r Row) ([]byte, error) {
	n := len(d.Columns)
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
			b = binary.AppendVarint(b, x.UnixMicro())
		default:
			return nil, fmt.Errorf("blitz/engine: column %q: cannot store a %T", c.Name, v)
		}
	}
	return b, nil
}

func decodeRow(b []byte, d *TableDef) (Row, error) {
	if len(b) < 2 || b[0] != rowFormat {
		return nil, errRowCorrupt
	}
	n64, k := binary.Uvarint(b[1:])
	if k <= 0 || n64 > uint64(len(d.Columns)) {
		return nil, errRowCorrupt
	}
	n := int(n64)
	p := b[1+k:]
	if len(p) < (n+7)/8 {
		return nil, errRowCorrupt
	}
	bm := p[:(n+7)/8]
	p = p[(n+7)/8:]
	r := make(Row, len(d.Columns))
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
			continue
		}
		c := &d.Columns[i]
		switch t := c.Type; {
		case t.IsInteger() && c.Unsigned:
			x, k := binary.Uvarint(p)
			if k <= 0 {
				return nil, errRowCorrupt
			}
			r[i], p = x, p[k:]
		case t.IsInteger():
			x, k := binary.Varint(p)
			if k <= 0 {
				return nil, errRowCorrupt
			}
			r[i], p = x, p[k:]
		case t == TypeFloat || t == TypeDouble:
			if len(p) < 8 {
				return nil, errRowCorrupt
			}
			r[i], p = math.Float64frombits(binary.LittleEndian.Uint64(p)), p[8:]
		case t == TypeDecimal:
			f, ok := field()
			if !ok {
				return nil, errRowCorrupt
			}
			dv, err := decimal.NewFromString(string(f))
			if err != nil {
				return nil, errRowCorrupt
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
				return nil, errRowCorrupt
			}
			r[i] = string(f)
		case t.IsBinary():
			f, ok := field()
			if !ok {
				return nil, errRowCorrupt
			}
			r[i] = append([]byte(nil), f...)
		case t.IsTime():
			x, k := binary.Varint(p)
			if k <= 0 {
				return nil, errRowCorrupt
			}
			r[i], p = time.UnixMicro(x).UTC(), p[k:]
		default:
			return nil, errRowCorrupt
		}
	}
	if len(p) != 0 {
		return nil, errRowCorrupt
	}
	for i := n; i < len(d.Columns); i++ { // columns added after the row was written
		r[i] = d.Columns[i].Default
	}
	return r, nil
}
