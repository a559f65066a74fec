package engine

import (
	"math"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// CoerceLoose converts v for col as MySQL assigns a value outside strict
// mode (INSERT IGNORE, LOAD DATA LOCAL, a sql_mode without STRICT_*): a
// value Coerce refuses is adjusted, and the refusal comes back as warn
// (a *sqlerr.Error to report as a warning):
//
//   - a number out of the column's range is clipped to the nearest bound
//     (1264);
//   - text that is not a number gives its leading number, "Data truncated"
//     (1265), or 0 when it starts with none (1366);
//   - text or bytes too long for the column are cut to fit (1265);
//   - text that is not valid UTF-8 has each bad byte replaced by '?' (1366).
//
// What has no adjusted value is returned as err, as Coerce returns it: NULL
// into NOT NULL (see ImplicitDefault), dates and times that are not valid
// (sqlshim stores the zero date for them, as MariaDB does), JSON that
// does not parse.
func CoerceLoose(col *Column, v any, rowNum int) (val any, warn, err error) {
	cv, err := Coerce(col, v, rowNum)
	if err == nil {
		return cv, nil, nil
	}
	if rowNum <= 0 {
		rowNum = 1
	}
	t := col.Type
	switch t {
	case TypeTime:
		v, w := looseTime(col, v, rowNum)
		return v, w, nil
	case TypeYear:
		v, w := looseYear(col, v, rowNum, err)
		return v, w, nil
	case TypeBit:
		if c := sqlerr.Code(err); c == sqlerr.ErrDataTooLong || c == sqlerr.ErrOutOfRange {
			v, w := looseBit(col, rowNum)
			return v, w, nil
		}
	case TypeEnum, TypeSet:
		if sqlerr.Code(err) == sqlerr.ErrDataTruncated {
			v, w := looseEnumSet(col, v, rowNum)
			return v, w, nil
		}
	}
	numeric := t.IsNumeric()
	truncated := sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", col.Name, rowNum)
	switch code := sqlerr.Code(err); {
	case numeric && code == sqlerr.ErrOutOfRange:
		if d, ok := numberOf(v); ok {
			return clipNumber(col, d.Sign()), err, nil
		}
	case numeric && (code == sqlerr.ErrTruncatedWrong || code == sqlerr.ErrDataTruncated):
		s, ok := TextOf(v)
		if !ok {
			break
		}
		p := NumberPrefix(s)
		if p == "" {
			cv, zerr := Coerce(col, int64(0), rowNum)
			if zerr != nil {
				break
			}
			return cv, err, nil
		}
		cv, perr := Coerce(col, p, rowNum)
		if perr == nil {
			return cv, truncated, nil
		}
		if sqlerr.Code(perr) == sqlerr.ErrOutOfRange {
			d, _ := decimal.NewFromString(p)
			return clipNumber(col, d.Sign()), perr, nil
		}
	case code == sqlerr.ErrDataTooLong && (t.IsString() && t != TypeJSON || t.IsBinary()):
		cut, ok := cutToFit(col, v)
		if !ok {
			break
		}
		cv, cerr := Coerce(col, cut, rowNum)
		if cerr != nil {
			break
		}
		return cv, truncated, nil
	case code == sqlerr.ErrTruncatedWrong && t.IsString() && t != TypeJSON && col.Charset != nil && textFits(v):
		// Characters the column's set does not have are each '?', and
		// the one warning is this one, even when the text is then cut
		// to fit too (as MariaDB warns).
		s, _ := TextOf(v)
		val, _, err2 := CoerceLoose(col, col.Charset.Keep(s), rowNum)
		if err2 != nil {
			return nil, nil, err2
		}
		return val, err, nil
	case code == sqlerr.ErrTruncatedWrong && t.IsString() && t != TypeJSON:
		s, ok := TextOf(v)
		if !ok || utf8.ValidString(s) {
			break
		}
		w := sqlerr.New(sqlerr.ErrTruncatedWrong, "Incorrect string value: '%s' for column '%s' at row %d", BadBytes(s), col.Name, rowNum)
		val, warn2, err2 := CoerceLoose(col, replaceBadBytes(s), rowNum)
		if err2 != nil {
			return nil, nil, err2
		}
		if warn2 != nil {
			return val, warn2, nil
		}
		return val, w, nil
	}
	return nil, nil, err
}

// textFits reports whether v is text that is valid UTF-8.
func textFits(v any) bool {
	s, ok := TextOf(v)
	return ok && utf8.ValidString(s)
}

// BadBytes shows the bytes of s from its first invalid UTF-8 sequence as
// MariaDB's "Incorrect string value" message does: at most six, a byte
// outside printable ASCII as \xHH, "..." when more follow.
func BadBytes(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return ShowBytes(s[i:])
}

// ShowBytes shows rest, the bytes from the first one a column refuses, as
// MariaDB's "Incorrect string value" message does: at most six, a byte
// outside printable ASCII as \xHH, "..." when more follow.
func ShowBytes(rest string) string {
	var b strings.Builder
	for j := 0; j < len(rest) && j < 6; j++ {
		c := rest[j]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteString("\\x")
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	if len(rest) > 6 {
		b.WriteString("...")
	}
	return b.String()
}

// replaceBadBytes replaces each byte of s that is not part of a valid
// UTF-8 sequence by '?'.
func replaceBadBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			b.WriteByte('?')
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// ImplicitDefault is the value MySQL stores for NULL given to a NOT NULL
// column outside strict mode: 0, the empty string, empty bytes (BINARY(n):
// n zero bytes), 00:00:00, the year 0000, an ENUM's first member, the
// empty SET. ok is false for types without one (dates and times: blitz
// stores no zero date).
func ImplicitDefault(col *Column) (v any, ok bool) {
	t := col.Type
	switch {
	case t.IsInteger():
		if col.Unsigned {
			return uint64(0), true
		}
		return int64(0), true
	case t == TypeFloat || t == TypeDouble:
		return float64(0), true
	case t == TypeDecimal:
		return decimal.Zero, true
	case t == TypeJSON:
		return "null", true
	case t.IsString():
		return "", true
	case t == TypeBinary:
		return make([]byte, col.Length), true
	case t.IsBinary():
		return []byte{}, true
	case t == TypeTime:
		return time.Duration(0), true
	case t == TypeYear:
		return int64(0), true
	case t == TypeEnum:
		e, _ := EnumOf(col.Elems, 1)
		return e, true
	case t == TypeSet:
		return Set{}, true
	case t == TypeBit:
		return uint64(0), true
	}
	return nil, false
}

// clipNumber is the bound of col's type nearest a value of the given sign
// out of its range.
func clipNumber(col *Column, sign int) any {
	t := col.Type
	switch {
	case t.IsInteger():
		lo, hi := intRange(t, col.Unsigned)
		if col.Unsigned {
			if sign < 0 {
				return uint64(0)
			}
			return hi
		}
		if sign < 0 {
			return lo
		}
		return int64(hi)
	case t == TypeFloat || t == TypeDouble:
		if col.Unsigned && sign < 0 {
			return float64(0)
		}
		m := math.MaxFloat64
		if t == TypeFloat {
			m = float64(float32(math.MaxFloat32))
		}
		if sign < 0 {
			return -m
		}
		return m
	}
	// DECIMAL(P,S): the largest magnitude is 10^(P-S) - 10^-S.
	if col.Unsigned && sign < 0 {
		return decimal.Zero
	}
	prec, scale := col.Precision, col.Scale
	if prec <= 0 {
		prec = 10
	}
	m := decimal.New(1, int32(prec-scale)).Sub(decimal.New(1, -int32(scale)))
	if sign < 0 {
		return m.Neg()
	}
	return m
}

// numberOf reads v as a number, for the sign of a value out of range.
func numberOf(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case int:
		return decimal.NewFromInt(int64(x)), true
	case int32:
		return decimal.NewFromInt(int64(x)), true
	case int64:
		return decimal.NewFromInt(x), true
	case uint32:
		return decimal.NewFromInt(int64(x)), true
	case uint64:
		return decimal.NewFromBigInt(new(big.Int).SetUint64(x), 0), true
	case float32:
		return numberOf(float64(x))
	case float64:
		switch {
		case math.IsInf(x, 1):
			return decimal.NewFromInt(1), true
		case math.IsInf(x, -1):
			return decimal.NewFromInt(-1), true
		case math.IsNaN(x):
			return decimal.Decimal{}, false
		}
		return decimal.NewFromFloat(x), true
	case decimal.Decimal:
		return x, true
	case string, []byte:
		s, _ := TextOf(x)
		d, err := decimal.NewFromString(NumberPrefix(s))
		return d, err == nil
	}
	return decimal.Decimal{}, false
}

// TextOf is v's text when v is a string or bytes.
func TextOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// NumberPrefix is the number a string starts with, as MySQL reads one when
// it converts text to a number: blanks, a sign, digits with at most one
// point, an exponent when digits follow its e. "" when there is no digit.
func NumberPrefix(s string) string {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			digits++
		}
		i = j
	}
	if digits == 0 {
		return ""
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	p := strings.TrimSuffix(s[:i], ".")
	if p == "+" || p == "-" {
		return ""
	}
	return p
}

// cutToFit cuts text or bytes to col's length: characters for CHAR and
// VARCHAR, bytes (at a character boundary for TEXT) otherwise.
func cutToFit(col *Column, v any) (any, bool) {
	t := col.Type
	max := col.Length
	if (t == TypeText || t == TypeBlob) && max <= 0 {
		max = 65535
	}
	if max <= 0 {
		return nil, false
	}
	if t.IsBinary() {
		b := bytesValue(v)
		if len(b) > max {
			b = b[:max]
		}
		return b, true
	}
	s := textValue(v)
	if t == TypeText {
		if len(s) <= max {
			return s, true
		}
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut], true
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i], true
		}
		n++
	}
	return s, true
}
