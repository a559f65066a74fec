package engine

import (
	"encoding/binary"
	"math"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// BitMax is the largest value of a BIT(m) column, 1<<m - 1 (m 1 to 64).
func BitMax(m int) uint64 {
	if m >= 64 {
		return math.MaxUint64
	}
	return 1<<m - 1
}

// BitBytes appends x, a value of a BIT(m) column, as MariaDB sends and
// shows it: (m+7)/8 bytes, big-endian (b'101' in BIT(10) is 00 05).
func BitBytes(b []byte, x uint64, m int) []byte {
	n := (max(m, 1) + 7) / 8
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], x)
	return append(b, buf[8-n:]...)
}

// bitOfBytes reads bytes as MariaDB stores a string into a BIT column:
// big-endian, leading zero bytes ignored; ok is false when more than 8
// bytes remain.
func bitOfBytes(b []byte) (x uint64, ok bool) {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 8 {
		return 0, false
	}
	for _, c := range b {
		x = x<<8 | uint64(c)
	}
	return x, true
}

// coerceBit converts v for a BIT(M) column with MariaDB's assignment
// rules: an integer is taken as its 64-bit two's complement (-1 is all
// ones), a FLOAT/DOUBLE/DECIMAL is rounded half away from zero (negative
// or beyond 64 bits: 1264), text and bytes are the big-endian number
// their bytes spell ('a' is 97, b'101' and 0x05 are 5), and a value with a
// bit set above M is 1406 "Data too long".
func coerceBit(col *Column, v any, rowNum int) (any, error) {
	outOfRange := func() error {
		return sqlerr.New(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row %d", col.Name, rowNum)
	}
	var x uint64
	switch y := v.(type) {
	case int64:
		x = uint64(y)
	case uint64:
		x = y
	case float64:
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, outOfRange()
		}
		return coerceBit(col, decimal.NewFromFloat(y), rowNum)
	case decimal.Decimal:
		if y.Sign() < 0 { // before rounding: -0.4 is out of range too
			return nil, outOfRange()
		}
		d := y.Round(0)
		bi := d.BigInt()
		if bi.Sign() < 0 || !bi.IsUint64() {
			return nil, outOfRange()
		}
		x = bi.Uint64()
	case string:
		var ok bool
		if x, ok = bitOfBytes([]byte(y)); !ok {
			return nil, tooLongBit(col, rowNum)
		}
	case []byte:
		var ok bool
		if x, ok = bitOfBytes(y); !ok {
			return nil, tooLongBit(col, rowNum)
		}
	case time.Time, time.Duration, ZeroDate, Enum, Set:
		return coerceBit(col, valueText(v), rowNum)
	default:
		return coerceBit(col, strings.TrimSpace(valueText(v)), rowNum)
	}
	if x > BitMax(col.Length) {
		return nil, tooLongBit(col, rowNum)
	}
	return x, nil
}

func tooLongBit(col *Column, rowNum int) error {
	return sqlerr.New(sqlerr.ErrDataTooLong, "Data too long for column '%s' at row %d", col.Name, rowNum)
}

// looseBit is a BIT column's value for v outside strict mode, when
// coerceBit refused it: every refusal stores the column's largest value
// (all M bits set) with warning 1264, as MariaDB does ('ab' into BIT(8)
// is 255, and so is -3).
func looseBit(col *Column, rowNum int) (any, error) {
	return BitMax(col.Length), sqlerr.New(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row %d", col.Name, rowNum)
}
