package engine

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/jsondoc"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// intRange gives the bounds of each integer type.
func intRange(t Type, unsigned bool) (lo int64, hi uint64) {
	var bits uint
	switch t {
	case TypeTinyInt:
		bits = 8
	case TypeSmallInt:
		bits = 16
	case TypeMediumInt:
		bits = 24
	case TypeInt:
		bits = 32
	case TypeBigInt:
		bits = 64
	}
	if unsigned {
		if bits == 64 {
			return 0, math.MaxUint64
		}
		return 0, 1<<bits - 1
	}
	return -(1 << (bits - 1)), 1<<(bits-1) - 1
}

func typeWord(t Type) string {
	switch {
	case t.IsInteger():
		return "integer"
	case t == TypeFloat || t == TypeDouble:
		return "double"
	case t == TypeDecimal:
		return "decimal"
	case t == TypeDate:
		return "date"
	case t.IsTime():
		return "datetime"
	case t == TypeTime:
		return "time"
	case t == TypeYear:
		return "integer"
	}
	return "string"
}

// Coerce converts v to col's Go type with MySQL strict-mode assignment
// semantics. v may be any value type of the Row doc, or an int, float32 or
// bool. Errors are *sqlerr.Error: 1048 NULL into NOT NULL, 1264 out of
// range, 1366 incorrect value, 1292 incorrect date, 1406 data too long.
// rowNum (1-based) goes into the messages.
func Coerce(col *Column, v any, rowNum int) (any, error) {
	if rowNum <= 0 {
		rowNum = 1
	}
	if v == nil {
		if col.NotNull {
			return nil, sqlerr.New(sqlerr.ErrBadNull, "Column '%s' cannot be null", col.Name)
		}
		return nil, nil
	}
	switch x := v.(type) {
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	case uint32:
		v = uint64(x)
	case float32:
		v = float64(x)
	case bool:
		if x {
			v = int64(1)
		} else {
			v = int64(0)
		}
	}
	bad := func(s string) error {
		return sqlerr.New(sqlerr.ErrTruncatedWrong, "Incorrect %s value: '%s' for column '%s' at row %d", typeWord(col.Type), s, col.Name, rowNum)
	}
	// badNumber is the error for text that is not a number: "Data
	// truncated" (1265) when it starts with one, as MySQL says.
	badNumber := func(s string) error {
		if NumberPrefix(s) != "" {
			return sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", col.Name, rowNum)
		}
		return bad(s)
	}
	outOfRange := func() error {
		return sqlerr.New(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row %d", col.Name, rowNum)
	}
	switch t := col.Type; {
	case t == TypeTime:
		return coerceTime(col, v, rowNum)
	case t == TypeYear:
		return coerceYear(col, v, rowNum)
	case t == TypeEnum:
		return coerceEnum(col, v, rowNum)
	case t == TypeSet:
		return coerceSet(col, v, rowNum)
	case t.IsInteger():
		var d decimal.Decimal
		switch x := v.(type) {
		case int64:
			if !col.Unsigned {
				if lo, hi := intRange(t, false); x < lo || x > int64(hi) {
					return nil, outOfRange()
				}
				return v, nil // unchanged: v itself, not a new box of the same int64
			}
			return fitInt(x, t, true, outOfRange)
		case uint64:
			if !col.Unsigned && x > math.MaxInt64 {
				return nil, outOfRange()
			}
			if col.Unsigned {
				_, hi := intRange(t, true)
				if x > hi {
					return nil, outOfRange()
				}
				return v, nil
			}
			return fitInt(int64(x), t, false, outOfRange)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, outOfRange()
			}
			d = decimal.NewFromFloat(x)
		case decimal.Decimal:
			d = x
		case string:
			s := strings.TrimSpace(x)
			var err error
			if d, err = decimal.NewFromString(s); err != nil {
				return nil, badNumber(x)
			}
		case []byte:
			return Coerce(col, string(x), rowNum)
		case time.Time:
			d = decimal.RequireFromString(x.Format("20060102150405"))
		default:
			return nil, bad(fmt.Sprint(v))
		}
		d = d.Round(0) // MySQL rounds half away from zero on assignment
		bi := d.BigInt()
		if col.Unsigned {
			_, hi := intRange(t, true)
			if bi.Sign() < 0 || bi.Cmp(new(big.Int).SetUint64(hi)) > 0 {
				return nil, outOfRange()
			}
			return bi.Uint64(), nil
		}
		if !bi.IsInt64() {
			return nil, outOfRange()
		}
		return fitInt(bi.Int64(), t, false, outOfRange)
	case t == TypeFloat || t == TypeDouble:
		var f float64
		switch x := v.(type) {
		case int64:
			f = float64(x)
		case uint64:
			f = float64(x)
		case float64:
			f = x
		case decimal.Decimal:
			f, _ = x.Float64()
		case string:
			p, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, badNumber(x)
			}
			f = p
		case []byte:
			return Coerce(col, string(x), rowNum)
		default:
			return nil, bad(fmt.Sprint(v))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, outOfRange()
		}
		if t == TypeFloat {
			if math.Abs(f) > math.MaxFloat32 {
				return nil, outOfRange()
			}
			f = float64(float32(f))
		}
		if col.Unsigned && f < 0 {
			return nil, outOfRange()
		}
		return f, nil
	case t == TypeDecimal:
		var d decimal.Decimal
		switch x := v.(type) {
		case int64:
			d = decimal.NewFromInt(x)
		case uint64:
			d = decimal.NewFromBigInt(new(big.Int).SetUint64(x), 0)
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, outOfRange()
			}
			d = decimal.NewFromFloat(x)
		case decimal.Decimal:
			d = x
		case string:
			p, err := decimal.NewFromString(strings.TrimSpace(x))
			if err != nil {
				return nil, badNumber(x)
			}
			d = p
		case []byte:
			return Coerce(col, string(x), rowNum)
		default:
			return nil, bad(fmt.Sprint(v))
		}
		prec, scale := col.Precision, col.Scale
		if prec <= 0 {
			prec = 10
		}
		d = d.Round(int32(scale))
		limit := decimal.New(1, int32(prec-scale)) // 10^(P-S)
		if d.Abs().Cmp(limit) >= 0 || (col.Unsigned && d.Sign() < 0) {
			return nil, outOfRange()
		}
		return d, nil
	case t.IsString():
		s := textValue(v)
		if t == TypeJSON {
			// MariaDB's JSON is LONGTEXT CHECK (json_valid(col)): its
			// message names the constraint (the column); the SQL layer
			// adds the table (sqlshim's qualifyColumn).
			if !jsondoc.Valid(s) {
				return nil, sqlerr.New(sqlerr.ErrConstraintFailed, "CONSTRAINT `%s` failed", col.Name)
			}
			return s, nil
		}
		if !utf8.ValidString(s) {
			return nil, bad(BadBytes(s))
		}
		n := len(s) // a TEXT's length in bytes, in the column's set
		if col.Charset != nil {
			if i := col.Charset.Fits(s); i >= 0 {
				return nil, bad(ShowBytes(s[i:]))
			}
			n = col.Charset.Octets(s)
		}
		max := col.Length
		if t == TypeText {
			if max <= 0 {
				max = 65535
			}
			if n > max {
				return nil, sqlerr.New(sqlerr.ErrDataTooLong, "Data too long for column '%s' at row %d", col.Name, rowNum)
			}
			return sameText(v, s), nil
		}
		if t == TypeChar {
			s = strings.TrimRight(s, " ") // CHAR drops trailing spaces, as MySQL does
		}
		if max > 0 && utf8.RuneCountInString(s) > max {
			return nil, sqlerr.New(sqlerr.ErrDataTooLong, "Data too long for column '%s' at row %d", col.Name, rowNum)
		}
		return sameText(v, s), nil
	case t.IsBinary():
		b := bytesValue(v)
		max := col.Length
		if t == TypeBlob && max <= 0 {
			max = 65535
		}
		if max > 0 && len(b) > max {
			return nil, sqlerr.New(sqlerr.ErrDataTooLong, "Data too long for column '%s' at row %d", col.Name, rowNum)
		}
		if t == TypeBinary && len(b) < max {
			p := make([]byte, max) // BINARY(n) pads with zero bytes
			copy(p, b)
			b = p
		}
		return b, nil
	case t.IsTime():
		var tm time.Time
		switch x := v.(type) {
		case time.Time:
			tm = x.UTC()
		case string:
			p, ok := parseTime(strings.TrimSpace(x))
			if !ok {
				if z, ok := coerceZeroDate(col, x, false); ok {
					return z, nil
				}
				return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect %s value: '%s' for column '%s' at row %d", typeWord(t), x, col.Name, rowNum)
			}
			tm = p
		case []byte:
			return Coerce(col, string(x), rowNum)
		case int64:
			p, ok := parseTime(strconv.FormatInt(x, 10))
			if !ok {
				if z, ok := coerceZeroDate(col, x, false); ok {
					return z, nil
				}
				return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect %s value: '%d' for column '%s' at row %d", typeWord(t), x, col.Name, rowNum)
			}
			tm = p
		case ZeroDate:
			// Already a date value: a day past its month's end was let in
			// by ALLOW_INVALID_DATES where it was made, and is kept.
			if z, ok := coerceZeroDate(col, x, true); ok {
				return z, nil
			}
			return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect %s value: '%s' for column '%s' at row %d", typeWord(t), x, col.Name, rowNum)
		default:
			return nil, bad(fmt.Sprint(v))
		}
		if t == TypeDate {
			y, m, d := tm.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
		if tm.Year() < 0 || tm.Year() > 9999 {
			return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect %s value: '%s' for column '%s' at row %d", typeWord(t), tm.Format("2006-01-02 15:04:05"), col.Name, rowNum)
		}
		// Digits beyond the column's are cut, not rounded, as MariaDB
		// does unless sql_mode has TIME_ROUND_FRACTIONAL: '23:59:59.999'
		// stays on its day.
		unit := time.Duration(math.Pow10(9 - clamp(col.Scale, 0, 6)))
		tm = tm.Truncate(unit)
		if t == TypeTimestamp && (tm.Before(timestampMin) || !tm.Before(timestampEnd)) {
			text, ok := v.(string)
			if !ok {
				text = tm.Format("2006-01-02 15:04:05")
			}
			return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect %s value: '%s' for column '%s' at row %d", typeWord(t), text, col.Name, rowNum)
		}
		return tm, nil
	case t == TypeBit: // last: no cost to the common types
		return coerceBit(col, v, rowNum)
	}
	return nil, fmt.Errorf("blitz/engine: column %q has unknown type %d", col.Name, col.Type)
}

// A TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07.999999 UTC
// (the zero second means "zero timestamp" in MySQL).
var (
	timestampMin = time.Unix(1, 0).UTC()
	timestampEnd = time.Unix(1<<31, 0).UTC()
)

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func fitInt(x int64, t Type, unsigned bool, outOfRange func() error) (any, error) {
	lo, hi := intRange(t, unsigned)
	if unsigned {
		if x < 0 || uint64(x) > hi {
			return nil, outOfRange()
		}
		return uint64(x), nil
	}
	if x < lo || x > int64(hi) {
		return nil, outOfRange()
	}
	return x, nil
}

// sameText returns v when it is the string s already (s is v's text, or
// a prefix of it), so that a value Coerce leaves as it is keeps its box
// instead of being boxed again; else s.
func sameText(v any, s string) any {
	if x, ok := v.(string); ok && len(x) == len(s) {
		return v
	}
	return s
}

// parseTime reads the date and datetime forms MySQL accepts most often.
func parseTime(s string) (time.Time, bool) {
	for _, l := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04", "2006-01-02",
		"20060102150405", "20060102", "2006/01/02 15:04:05", "2006/01/02", time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), InCalendar(t.UTC())
		}
	}
	return time.Time{}, false
}

// textValue is v as text: a string as it is, anything else as valueText
// renders it.
func textValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return valueText(v)
}

// bytesValue is v as bytes: []byte as it is, anything else as its text.
func bytesValue(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return []byte(valueText(v))
}

// valueText renders a value as MySQL shows it as text.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case decimal.Decimal:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		if x.Nanosecond() != 0 {
			return strings.TrimRight(x.Format("2006-01-02 15:04:05.000000"), "0")
		}
		return x.Format("2006-01-02 15:04:05")
	case time.Duration:
		return strings.TrimSuffix(strings.TrimRight(FormatTime(x, 6), "0"), ".")
	case Enum:
		return x.Name
	case Set:
		return x.Text
	}
	return fmt.Sprint(v)
}
