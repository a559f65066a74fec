package sqlshim

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/shopspring/decimal"
)

// Values are the Go types of the engine's rows (engine.Row): nil for NULL,
// int64, uint64, float64, decimal.Decimal, string, []byte and time.Time.
// Expressions produce the same types; a boolean is int64 0 or 1.
//
// Comparisons follow MySQL: two strings compare as strings under
// utf8mb4_bin (byte order of the UTF-8 text, which is code point order,
// with trailing spaces ignored as MySQL's PAD SPACE collations do); a
// string against a number compares as DOUBLE; a string against a date
// compares as a date; numbers compare exactly (integers and decimals) or
// as DOUBLE when either side is a float.

// isNumeric reports whether v is a number.
func isNumeric(v any) bool {
	switch v.(type) {
	case int64, uint64, float64, decimal.Decimal:
		return true
	}
	return false
}

// toFloat converts v to a double with MySQL's rules: strings are read as
// far as they look like a number ("12abc" is 12, "abc" is 0).
func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64:
		return x
	case decimal.Decimal:
		f, _ := x.Float64()
		return f
	case string:
		return parseNumberPrefix(x)
	case []byte:
		return parseNumberPrefix(string(x))
	case engine.ZeroDate:
		return float64(x.Number())
	case time.Time:
		f, _ := strconv.ParseFloat(x.Format("20060102150405"), 64)
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			f, _ = strconv.ParseFloat(x.Format("20060102"), 64)
		}
		return f
	case bool:
		if x {
			return 1
		}
	case time.Duration:
		return toFloat(engine.TimeNumber(x, 6))
	case engine.Enum:
		return float64(x.Index)
	case engine.Set:
		return float64(x.Bits)
	}
	return 0
}

// parseNumberPrefix is the number s starts with (engine.NumberPrefix), as
// MariaDB reads text in a numeric context: 0 when it starts with none, the
// largest double of its sign past a float64's range ('1e400' + 0 is
// 1.7976931348623157e308; warnNumericText says it was truncated).
func parseNumberPrefix(s string) float64 {
	f, _ := parseNumberPrefixExact(s)
	return f
}

// parseNumberPrefixExact is parseNumberPrefix, and whether the number was
// within a float64's range.
func parseNumberPrefixExact(s string) (float64, bool) {
	p := engine.NumberPrefix(s)
	if p == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(p, 64)
	if err != nil && math.IsInf(f, 0) {
		return math.Copysign(math.MaxFloat64, f), false
	}
	return f, true
}

// toInt converts v to a signed integer, rounding as MySQL does.
func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case decimal.Decimal:
		return x.Round(0).IntPart()
	}
	f := math.Round(toFloat(v))
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	if f <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(f)
}

// toDecimal converts a number (or a numeric string) to a decimal.
func toDecimal(v any) decimal.Decimal {
	switch x := v.(type) {
	case int64:
		return decimal.NewFromInt(x)
	case uint64:
		return decimal.NewFromUint64(x)
	case decimal.Decimal:
		return x
	case float64:
		return decimal.NewFromFloat(x)
	case string:
		if d, err := decimal.NewFromString(strings.TrimSpace(x)); err == nil {
			return d
		}
	}
	return decimal.NewFromFloat(toFloat(v))
}

// toString converts v to its MySQL text form.
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return formatFloat(x)
	case decimal.Decimal:
		return formatDecimal(x)
	case time.Time:
		return formatTime(x, false, 0)
	case engine.ZeroDate:
		return x.String()
	case time.Duration:
		return engine.FormatTime(x, timeScale(x))
	case engine.Enum:
		return x.Name
	case engine.Set:
		return x.Text
	}
	return fmt.Sprint(v)
}

// formatDecimal prints d with its scale (trailing zeros kept: 2.50).
func formatDecimal(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

// formatFloat prints a double the way MariaDB does ("1e20", "0.0000001").
func formatFloat(f float64) string { return engine.FormatFloat(f, false) }

// formatTime prints a DATE (dateOnly) or a DATETIME with frac fractional digits.
func formatTime(t time.Time, dateOnly bool, frac int) string {
	if dateOnly {
		return t.Format("2006-01-02")
	}
	s := t.Format("2006-01-02 15:04:05")
	if frac > 0 {
		ns := fmt.Sprintf("%09d", t.Nanosecond())
		s += "." + ns[:min(frac, 9)]
	}
	return s
}

// parseTime reads a DATE or DATETIME literal ('2024-01-31', '2024-01-31
// 10:00:00[.ffffff]'). ok is false if s is not one.
func parseTime(s string) (time.Time, bool) {
	t, ok := parseTimeText(strings.TrimSpace(s))
	return t, ok && engine.InCalendar(t)
}

// parseTimeText is parseTime of trimmed text, before the calendar check.
func parseTimeText(s string) (time.Time, bool) {
	if t, ok := parseDateFast(s); ok {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02", "20060102150405", "20060102"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return parseDelimited(s)
}

// parseDelimited reads the delimited forms MySQL also takes for a date or
// datetime: any punctuation between the parts, one-digit months, days and
// times, a two-digit year (70-99: 19xx, else 20xx), seconds or minutes
// left out ('2024/1/2', '2024-01-01 23:00', '24-1-4 7:5:3.25').
func parseDelimited(s string) (time.Time, bool) {
	var parts [7]int
	var digits [7]int
	n := 0
	i := 0
	for n < 7 {
		start := i
		v := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' && i-start < 9 {
			v = v*10 + int(s[i]-'0')
			i++
		}
		if i == start {
			return time.Time{}, false
		}
		parts[n], digits[n] = v, i-start
		n++
		if i == len(s) {
			break
		}
		sep := s[i]
		switch {
		case n == 3 && (sep == ' ' || sep == 'T'):
		case n == 6 && sep == '.':
		case n < 3 && (sep == '-' || sep == '/' || sep == '.' || sep == ':' || sep == '_'):
		case n > 3 && n < 6 && (sep == ':' || sep == '.'):
		default:
			return time.Time{}, false
		}
		i++
	}
	if i != len(s) || (n != 3 && n != 5 && n != 6 && n != 7) {
		return time.Time{}, false
	}
	y := parts[0]
	if digits[0] == 2 { // a one-digit year is that year, as in MariaDB
		y = twoDigitYear(y)
	}
	mo, d, h, mi, sec := parts[1], parts[2], parts[3], parts[4], parts[5]
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 || y > 9999 {
		return time.Time{}, false
	}
	nsec := 0
	if n == 7 {
		nsec = parts[6]
		for k := digits[6]; k < 9; k++ {
			nsec *= 10
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// parseClock reads a time of day, 'H:M[:S]', for HOUR(), MINUTE() and
// SECOND() of a value that is not a date.
func parseClock(s string) (h, m, sec int, ok bool) {
	var p [3]int
	n := 0
	for _, f := range strings.Split(strings.TrimSpace(s), ":") {
		if n == 3 || f == "" {
			return 0, 0, 0, false
		}
		if dot := strings.IndexByte(f, '.'); dot >= 0 && n == 2 {
			f = f[:dot]
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return 0, 0, 0, false
		}
		p[n] = v
		n++
	}
	if n < 2 || p[1] > 59 || p[2] > 59 {
		return 0, 0, 0, false
	}
	return p[0], p[1], p[2], true
}

// parseDateFast reads the common YYYY-MM-DD and YYYY-MM-DD HH:MM:SS forms
// without time.Parse's cost (WHERE d BETWEEN '...' AND '...' converts its
// constants on every row); anything else, or an invalid date, is left to
// the layouts of parseTime.
func parseDateFast(s string) (time.Time, bool) {
	if len(s) != 10 && len(s) != 19 {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	if s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, mi, sec := 0, 0, 0
	ok4, ok5, ok6 := true, true, true
	if len(s) == 19 {
		if s[10] != ' ' || s[13] != ':' || s[16] != ':' {
			return time.Time{}, false
		}
		h, ok4 = num(11, 13)
		mi, ok5 = num(14, 16)
		sec, ok6 = num(17, 19)
	}
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return time.Time{}, false
	}
	return t, true
}

// truthy evaluates v as a condition: NULL is unknown (ok false), a number
// is true when non-zero, a string by its numeric value.
func truthy(v any) (b, ok bool) {
	switch x := v.(type) {
	case nil:
		return false, false
	case int64:
		return x != 0, true
	case uint64:
		return x != 0, true
	case decimal.Decimal:
		return !x.IsZero(), true
	case time.Time:
		return !x.IsZero(), true
	case engine.ZeroDate:
		return !x.IsZero(), true
	case time.Duration:
		return x != 0, true
	case engine.Enum:
		return x.Index != 0, true
	case engine.Set:
		return x.Bits != 0, true
	}
	return toFloat(v) != 0, true
}

// compareValues compares two non-NULL values with MySQL's rules and
// returns -1, 0 or 1.
func compareValues(a, b any) int {
	// Two integers (join keys, integer columns against integer constants)
	// first: the answer the general path below gives, without its type
	// switches.
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			return cmpInt(x, y)
		}
	}
	if c, ok := compareNewTypes(a, b); ok {
		return c
	}
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return compareStrings(x, y)
		case []byte:
			return bytes.Compare([]byte(x), y)
		case time.Time:
			if t, ok := parseTime(x); ok {
				return t.Compare(y)
			}
			if c, ok := compareZeroDate(x, y); ok {
				return c
			}
		}
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Compare(x, y)
		case string:
			return bytes.Compare(x, []byte(y))
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y)
		case string:
			if t, ok := parseTime(y); ok {
				return x.Compare(t)
			}
			if c, ok := compareZeroDate(x, y); ok {
				return c
			}
		}
	}
	if t, ok := a.(time.Time); ok && isDatetimeNumber(b) {
		return compareTimeNumber(t, b)
	}
	if t, ok := b.(time.Time); ok && isDatetimeNumber(a) {
		return -compareTimeNumber(t, a)
	}
	_, af := a.(float64)
	_, bf := b.(float64)
	_, as := a.(string)
	_, bs := b.(string)
	if af || bf || as || bs {
		return cmpFloat(toFloat(a), toFloat(b))
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpInt(x, y)
		case uint64:
			if x < 0 {
				return -1
			}
			return cmpUint(uint64(x), y)
		}
	case uint64:
		switch y := b.(type) {
		case uint64:
			return cmpUint(x, y)
		case int64:
			if y < 0 {
				return 1
			}
			return cmpUint(x, uint64(y))
		}
	}
	if isNumeric(a) && isNumeric(b) {
		return toDecimal(a).Cmp(toDecimal(b))
	}
	return cmpFloat(toFloat(a), toFloat(b))
}

// isExactNumber reports whether v is an integer or a DECIMAL.
func isExactNumber(v any) bool {
	switch v.(type) {
	case int64, uint64, decimal.Decimal:
		return true
	}
	return false
}

// isDatetimeNumber reports whether v is a number a DATE or DATETIME is
// compared with as a DATETIME: an integer, a DECIMAL or a finite DOUBLE.
func isDatetimeNumber(v any) bool {
	if f, ok := v.(float64); ok {
		return !math.IsInf(f, 0) && !math.IsNaN(f)
	}
	return isExactNumber(v)
}

// compareTimeNumber compares a DATE or DATETIME with a number as MariaDB
// does: the number read as a DATETIME (20250101 is 2025-01-01, 1e10 is
// 2001-00-00), one that is no date counting as 0000-00-00 00:00:00,
// before every real date.
func compareTimeNumber(t time.Time, n any) int {
	if u, ok := numberDatetime(n); ok {
		return t.Compare(u)
	}
	return 1
}

// numberDatetime reads a number as MariaDB reads one as a DATETIME:
// YYMMDD, YYYYMMDD, YYMMDDhhmmss or YYYYMMDDhhmmss (years 00-69 are
// 2000-2069, 70-99 1970-1999), a fraction being microseconds. ok is
// false for a number of no such form or an invalid date.
func numberDatetime(n any) (time.Time, bool) {
	d := toDecimal(n)
	if d.Sign() < 0 {
		return time.Time{}, false
	}
	ip := d.Truncate(0)
	if !ip.BigInt().IsInt64() {
		return time.Time{}, false
	}
	x := ip.IntPart()
	us := d.Sub(ip).Shift(6).Truncate(0).IntPart()
	century := func(yy int64) int64 {
		if yy < 70 {
			return 2000 + yy
		}
		return 1900 + yy
	}
	var ymd, hms int64
	switch {
	case x >= 101 && x <= 991231:
		ymd = century(x/10000)*10000 + x%10000
	case x >= 10000101 && x <= 99991231:
		ymd = x
	case x >= 101000000 && x <= 991231235959:
		ymd, hms = century(x/1e10)*10000+x/1e6%10000, x%1e6
	case x >= 10000101000000 && x <= 99991231235959:
		ymd, hms = x/1e6, x%1e6
	default:
		return time.Time{}, false
	}
	y, mo, dd := int(ymd/10000), int(ymd/100%100), int(ymd%100)
	h, mi, sec := int(hms/10000), int(hms/100%100), int(hms%100)
	if mo > 12 || dd > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	if mo == 0 || dd == 0 {
		// 2024-01-00 sorts before 2024-01-01 and after every day
		// before it: an instant just before that day stands for it
		// (no real date equals it).
		return time.Date(y, time.Month(max(mo, 1)), 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond), true
	}
	t := time.Date(y, time.Month(mo), dd, h, mi, sec, int(us)*1000, time.UTC)
	if t.Day() != dd {
		return time.Time{}, false // (February 30th)
	}
	return t, true
}

// compareNewTypes compares when a or b is a TIME, ENUM or SET value, as
// MariaDB does: a TIME with a TIME by duration, with text by the time the
// text reads as, with a number as HHMMSS; an ENUM or a SET with a number
// by its index or bit mask, with anything else by its text. ok is false
// when neither is one of these.
func compareNewTypes(a, b any) (int, bool) {
	switch x := a.(type) {
	case engine.ZeroDate:
		return compareZeroDate(x, b)
	case time.Duration:
		switch y := b.(type) {
		case time.Duration:
			return cmpInt(int64(x), int64(y)), true
		case string:
			if d, ok := engine.ParseTime(y); ok {
				return cmpInt(int64(x), int64(d)), true
			}
			// Text that is no time reads as 00:00:00, text after a
			// time is dropped ('12abc' is 00:00:12), as in MariaDB.
			if d, _, clipped, ok := engine.ParseTimePrefix(y); !ok {
				return cmpInt(int64(x), 0), true
			} else if !clipped {
				return cmpInt(int64(x), int64(d)), true
			}
			return compareValues(toString(x), y), true
		case engine.Enum, engine.Set:
			return compareValues(toString(x), toString(y)), true
		case time.Time:
			return compareValues(x, toString(y)), true
		}
		return compareValues(engine.TimeNumber(x, 6), b), true
	case engine.Enum, engine.Set:
		if _, ok := b.(time.Duration); ok {
			c, _ := compareNewTypes(b, a)
			return -c, true
		}
		if isNumeric(b) {
			return compareValues(enumSetNumber(x), b), true
		}
		return compareValues(toString(x), b), true
	}
	switch b.(type) {
	case time.Duration, engine.Enum, engine.Set:
		c, _ := compareNewTypes(b, a)
		return -c, true
	case engine.ZeroDate:
		return compareZeroDate(a, b)
	}
	return 0, false
}

// enumSetNumber is an ENUM's index or a SET's bit mask.
func enumSetNumber(v any) any {
	switch x := v.(type) {
	case engine.Enum:
		return int64(x.Index)
	case engine.Set:
		return x.Bits
	}
	return v
}

// compareStrings compares under utf8mb4_bin with PAD SPACE.
func compareStrings(a, b string) int {
	return strings.Compare(strings.TrimRight(a, " "), strings.TrimRight(b, " "))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareForSort orders values for ORDER BY: NULL first, then compareValues.
func compareForSort(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	// ENUM and SET sort by index and bit mask, not by their text.
	switch x := a.(type) {
	case engine.Enum:
		if y, ok := b.(engine.Enum); ok {
			return cmpInt(int64(x.Index), int64(y.Index))
		}
	case engine.Set:
		if y, ok := b.(engine.Set); ok {
			return cmpUint(x.Bits, y.Bits)
		}
	}
	return compareValues(a, b)
}

// groupKey returns a string that is equal for values MySQL groups
// together (numbers by value, strings under the collation).
func groupKey(vals []any) string { return string(appendGroupKey(nil, vals)) }

// appendGroupKey appends groupKey(vals) to b: a caller with a buffer can
// look a key up in a map (m[string(b)]) without allocating a string per
// row.
func appendGroupKey(b []byte, vals []any) []byte {
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b = append(b, 'N')
		case string:
			// Length-prefixed: injective without quoting every byte.
			x = strings.TrimRight(x, " ")
			b = append(b, 'S')
			b = strconv.AppendInt(b, int64(len(x)), 10)
			b = append(b, ':')
			b = append(b, x...)
		case []byte:
			b = append(b, 'B')
			b = strconv.AppendInt(b, int64(len(x)), 10)
			b = append(b, ':')
			b = append(b, x...)
		case time.Time:
			b = append(b, 'T')
			b = x.AppendFormat(b, time.RFC3339Nano)
		case engine.ZeroDate:
			b = append(b, 'Z')
			b = append(b, x.Format(false, 6)...)
		case time.Duration:
			b = append(b, 'U')
			b = strconv.AppendInt(b, int64(x), 10)
		case engine.Enum, engine.Set:
			// By text, as MariaDB groups them; an ENUM and a string of the
			// same text are one group.
			s := strings.TrimRight(toString(x), " ")
			b = append(b, 'S')
			b = strconv.AppendInt(b, int64(len(s)), 10)
			b = append(b, ':')
			b = append(b, s...)
		case float64:
			b = append(b, 'F')
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		case int64:
			// What toDecimal(x).String() prints, without the decimal.
			b = append(b, 'D')
			b = strconv.AppendInt(b, x, 10)
		default:
			b = append(b, 'D')
			b = append(b, toDecimal(x).String()...)
		}
		b = append(b, 0)
	}
	return b
}
