package sqlshim

import (
	"encoding/base64"
	"hash/crc32"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// This file holds built-in functions that MariaDB tutorials use and that
// the larger files do not: string and number conversions (ORD, ELT,
// MAKE_SET, EXPORT_SET, CONV, BIN, OCT, CRC32, TO_BASE64, INET_ATON, ...),
// trigonometry, and date parts and arithmetic (DAYNAME, WEEK, YEARWEEK,
// MAKEDATE, PERIOD_ADD, EXTRACT, TIMESTAMPADD, TIMESTAMPDIFF, ...), each
// checked against MariaDB in testdata/sql/funcs3.test.

// moreFunc runs the function name of this file on args, its evaluated
// arguments (NULLs included: each function decides); handled is false
// for a name it does not have.
func (c *evalCtx) moreFunc(name string, x *ast.FuncCallExpr, args []any) (v any, handled bool, err error) {
	count := func(lo, hi int) error { return argCount(x.FnName.O, x.Args, lo, hi) }
	arity, ok := moreArity[name]
	if !ok {
		return nil, false, nil
	}
	if err := count(arity[0], arity[1]); err != nil {
		return nil, true, err
	}
	switch name {
	case "regexp_replace", "regexp_substr", "regexp_instr":
		for _, a := range args {
			if a == nil {
				return nil, true, nil
			}
		}
		coll, err := c.compareColl(name, x.Args[:2]...)
		if err != nil {
			return nil, true, err
		}
		v, err := regexpFunc(name, args, coll) // funcs_regexp.go
		return v, true, err
	case "soundex":
		if args[0] == nil {
			return nil, true, nil
		}
		return soundex(toString(args[0])), true, nil
	case "elt":
		if args[0] == nil {
			return nil, true, nil
		}
		n := toInt(args[0])
		if n < 1 || n >= int64(len(args)) {
			return nil, true, nil
		}
		return args[n], true, nil
	case "make_set":
		if args[0] == nil {
			return nil, true, nil
		}
		b := uint64(toInt(args[0]))
		var parts []string
		for i, a := range args[1:] {
			if i < 64 && b&(1<<i) != 0 && a != nil {
				parts = append(parts, toString(a))
			}
		}
		return strings.Join(parts, ","), true, nil
	}
	for _, a := range args {
		if a == nil {
			return nil, true, nil
		}
	}
	switch name {
	case "ord":
		s := toString(args[0])
		if cs := c.charsetOf(x.Args[0]); cs != nil {
			s = cs.Encode(s) // one byte a character: the character's byte
			if s == "" {
				return int64(0), true, nil
			}
			return int64(s[0]), true, nil
		}
		if s == "" {
			return int64(0), true, nil
		}
		_, size := utf8.DecodeRuneInString(s)
		n := int64(0)
		for i := 0; i < size; i++ {
			n = n<<8 | int64(s[i])
		}
		return n, true, nil
	case "chr":
		if n, ok := numericLiteral(x.Args[0], args[0]); ok { // CHR(0x4142)
			return charBytes(int64(n)), true, nil
		}
		return charBytes(toInt(args[0])), true, nil
	case "export_set":
		sep, n := ",", int64(64)
		if len(args) > 3 {
			sep = toString(args[3])
		}
		if len(args) > 4 {
			if n = toInt(args[4]); n < 0 || n > 64 {
				n = 64
			}
		}
		b := uint64(toInt(args[0]))
		parts := make([]string, n)
		for i := range parts {
			if b&(1<<i) != 0 {
				parts[i] = toString(args[1])
			} else {
				parts[i] = toString(args[2])
			}
		}
		return strings.Join(parts, sep), true, nil
	case "bin", "oct":
		base := map[string]int{"bin": 2, "oct": 8}[name]
		return strings.ToUpper(strconv.FormatUint(uint64(toInt(args[0])), base)), true, nil
	case "conv":
		return conv(toString(args[0]), toInt(args[1]), toInt(args[2])), true, nil
	case "bit_length":
		return int64(8 * c.octets(x.Args[0], toString(args[0]))), true, nil
	case "crc32":
		return uint64(crc32.ChecksumIEEE([]byte(c.inCharset(x.Args[0], toString(args[0]))))), true, nil
	case "to_base64":
		return toBase64(c.inCharset(x.Args[0], toString(args[0]))), true, nil
	case "from_base64":
		b, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, toString(args[0])))
		if err != nil {
			return nil, true, nil
		}
		return b, true, nil
	case "inet_aton":
		return inetAton(toString(args[0])), true, nil
	case "inet_ntoa":
		n := toInt(args[0])
		if n < 0 || n > math.MaxUint32 {
			return nil, true, nil
		}
		return strconv.Itoa(int(n>>24)) + "." + strconv.Itoa(int(n>>16&255)) + "." + strconv.Itoa(int(n>>8&255)) + "." + strconv.Itoa(int(n&255)), true, nil
	case "insert_func":
		return insertString(toString(args[0]), toInt(args[1]), toInt(args[2]), toString(args[3])), true, nil
	case "bit_count":
		return int64(bits.OnesCount64(uint64(toInt(args[0])))), true, nil
	case "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "cot", "degrees", "radians":
		return c.trig(name, x, args)
	case "dayname", "monthname", "quarter", "microsecond", "weekofyear":
		if p, ok := c.zeroDateParts(name, args[0]); ok {
			return p, true, nil
		}
		t, ok := toTime(args[0])
		if !ok {
			if d, isTime := toDuration(args[0]); isTime && name == "microsecond" {
				return int64((d % time.Second).Abs() / time.Microsecond), true, nil
			}
			return nil, true, nil
		}
		switch name {
		case "dayname":
			return weekdayOf(t).String(), true, nil
		case "monthname":
			return t.Month().String(), true, nil
		case "quarter":
			return int64(t.Month()+2) / 3, true, nil
		case "microsecond":
			return int64(t.Nanosecond() / 1000), true, nil
		}
		w, _ := week(t, 3)
		return int64(w), true, nil
	case "week", "yearweek":
		t, ok := toTime(args[0])
		if !ok {
			return nil, true, nil
		}
		mode := 0
		if len(args) > 1 {
			mode = int(toInt(args[1]) & 7)
		}
		if name == "week" {
			w, _ := week(t, mode)
			return int64(w), true, nil
		}
		w, y := week(t, mode|2) // YEARWEEK numbers weeks 1-53 of a week's year
		return int64(y*100 + w), true, nil
	case "makedate":
		y, day := toInt(args[0]), toInt(args[1])
		if y >= 0 && y < 100 {
			y = int64(twoDigitYear(int(y)))
		}
		if day <= 0 || y < 0 || y > 9999 {
			return nil, true, nil
		}
		t := time.Date(int(y), 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(min(day, 366*10000))-1)
		if t.Year() > 9999 {
			return nil, true, nil
		}
		return t, true, nil
	case "from_days":
		n := toInt(args[0])
		if n < 366 || n > 3652424 {
			return engine.ZeroDate{DateOnly: true}, true, nil // (a DATE, not text)
		}
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n)-366), true, nil
	case "maketime":
		return c.makeTime(args)
	case "period_add":
		p := toInt(args[0])
		if p == 0 {
			return int64(0), true, nil
		}
		m := periodMonths(p) + toInt(args[1])
		return m/12*100 + m%12 + 1, true, nil
	case "period_diff":
		return periodMonths(toInt(args[0])) - periodMonths(toInt(args[1])), true, nil
	case "time":
		d, ok := toDuration(args[0])
		if !ok {
			if p, ok := c.zeroDateParts(name, args[0]); ok {
				return p, true, nil
			}
			// Text a time starts with: the time, with a warning
			// (TIME('2024-01-15') is 00:20:24, as CAST reads it).
			if s, isText := args[0].(string); isText {
				if d, trailing, _, ok := engine.ParseTimePrefix(s); ok && trailing {
					c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect time value: '%s'", s)
					return d, true, nil
				}
				c.warning(sqlerr.ErrTruncatedValue, "Incorrect time value: '%s'", s)
			}
			return nil, true, nil
		}
		return d, true, nil
	case "timestamp":
		t, ok := toTime(args[0])
		if !ok {
			// TIMESTAMP of a zero date is the zero DATETIME.
			if z, isZero := asZeroDate(args[0]); isZero && len(args) == 1 && z.Year == 0 && z.Month == 0 && z.Day == 0 {
				return engine.ZeroDate{}, true, nil
			}
			return nil, true, nil
		}
		if len(args) == 2 {
			d, ok := toDuration(args[1])
			if !ok {
				return nil, true, nil
			}
			t = t.Add(d)
		}
		return t, true, nil
	case "utc_timestamp":
		return c.now.Truncate(time.Second), true, nil
	case "utc_time", "curtime", "current_time":
		n := c.now
		if name != "utc_time" {
			n = c.localNow()
		}
		return time.Duration(n.Hour())*time.Hour + time.Duration(n.Minute())*time.Minute + time.Duration(n.Second())*time.Second, true, nil
	}
	return nil, false, nil
}

// moreArity is each moreFunc function's least and most arguments.
var moreArity = map[string][2]int{
	"elt": {2, 1 << 16}, "make_set": {2, 1 << 16}, "ord": {1, 1}, "chr": {1, 1}, "export_set": {3, 5},
	"bin": {1, 1}, "oct": {1, 1}, "conv": {3, 3}, "bit_length": {1, 1}, "crc32": {1, 1},
	"to_base64": {1, 1}, "from_base64": {1, 1}, "inet_aton": {1, 1}, "inet_ntoa": {1, 1},
	"insert_func": {4, 4}, "bit_count": {1, 1}, "soundex": {1, 1},
	"regexp_replace": {3, 3}, "regexp_substr": {2, 2}, "regexp_instr": {2, 2},
	"sin": {1, 1}, "cos": {1, 1}, "tan": {1, 1}, "asin": {1, 1}, "acos": {1, 1}, "atan": {1, 2},
	"atan2": {2, 2}, "cot": {1, 1}, "degrees": {1, 1}, "radians": {1, 1},
	"dayname": {1, 1}, "monthname": {1, 1}, "quarter": {1, 1}, "microsecond": {1, 1}, "weekofyear": {1, 1},
	"week": {1, 2}, "yearweek": {1, 2}, "makedate": {2, 2}, "from_days": {1, 1}, "maketime": {3, 3},
	"period_add": {2, 2}, "period_diff": {2, 2}, "time": {1, 1}, "timestamp": {1, 2},
	"utc_timestamp": {0, 0}, "utc_time": {0, 0}, "curtime": {0, 0}, "current_time": {0, 0},
}

// trig is the trigonometric function name of args: NULL outside the
// function's domain (ASIN(2)), error 1690 where MariaDB gives one (COT(0)).
func (c *evalCtx) trig(name string, x *ast.FuncCallExpr, args []any) (any, bool, error) {
	f := toFloat(args[0])
	var v float64
	switch name {
	case "sin":
		v = math.Sin(f)
	case "cos":
		v = math.Cos(f)
	case "tan":
		v = math.Tan(f)
	case "asin", "acos":
		if f < -1 || f > 1 {
			return nil, true, nil
		}
		if v = math.Asin(f); name == "acos" {
			v = math.Acos(f)
		}
	case "atan":
		if v = math.Atan(f); len(args) == 2 {
			v = math.Atan2(f, toFloat(args[1]))
		}
	case "atan2":
		v = math.Atan2(f, toFloat(args[1]))
	case "cot":
		v = 1 / math.Tan(f)
	case "degrees":
		v = f * 180 / math.Pi
	case "radians":
		v = f * math.Pi / 180
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil, true, c.outOfRange("DOUBLE", x)
	}
	return v, true, nil
}

// charBytes is CHR(n): the bytes of n, most significant first, without
// leading zero bytes (one byte for n < 256).
func charBytes(n int64) string {
	u := uint32(n)
	var b []byte
	for shift := 24; shift >= 0; shift -= 8 {
		if c := byte(u >> shift); c != 0 || len(b) > 0 || shift == 0 {
			b = append(b, c)
		}
	}
	return string(b)
}

// conv is CONV(s, from, to): s read in base |from| (up to its first
// character that is no digit there; a leading '-' negates), written in
// base |to| in capitals, as MariaDB does: a negative to writes the value
// as signed, else as an unsigned 64-bit number; a base outside 2..36 is
// NULL.
func conv(s string, from, to int64) any {
	fb, tb := abs64(from), abs64(to)
	if fb < 2 || fb > 36 || tb < 2 || tb > 36 {
		return nil
	}
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var u uint64
	for _, ch := range strings.ToLower(s) {
		d := strings.IndexRune("0123456789abcdefghijklmnopqrstuvwxyz", ch)
		if d < 0 || int64(d) >= fb {
			break
		}
		if u > (math.MaxUint64-uint64(d))/uint64(fb) {
			u = math.MaxUint64 // saturates, as MariaDB
			break
		}
		u = u*uint64(fb) + uint64(d)
	}
	if neg {
		u = -u
	}
	if to < 0 && int64(u) < 0 {
		return "-" + strings.ToUpper(strconv.FormatUint(-u, int(tb)))
	}
	return strings.ToUpper(strconv.FormatUint(u, int(tb)))
}

// toBase64 is TO_BASE64(s): base64 in lines of 76 characters, as MariaDB
// writes it.
func toBase64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteByte('\n')
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

// inetAton is INET_ATON(s): the number of a dotted IPv4 address, NULL for
// anything else. Like MariaDB it takes short forms: the last part fills
// the remaining bytes ('127.1' is 127.0.0.1).
func inetAton(s string) any {
	parts := strings.Split(s, ".")
	if len(parts) > 4 || s == "" {
		return nil
	}
	var n uint64
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || v > 255 && i < len(parts)-1 {
			return nil
		}
		if i == len(parts)-1 {
			shift := 8 * (4 - len(parts))
			if v >= 1<<(8+shift) {
				return nil
			}
			return n<<(8+shift) | v
		}
		n = n<<8 | v
	}
	return nil
}

// insertString is INSERT(s, pos, n, repl): s with the n characters from
// position pos replaced by repl; s itself when pos is outside it.
func insertString(s string, pos, n int64, repl string) string {
	r := []rune(s)
	if pos < 1 || pos > int64(len(r)) {
		return s
	}
	end := int64(len(r))
	if n >= 0 && pos-1+n < end {
		end = pos - 1 + n
	}
	return string(r[:pos-1]) + repl + string(r[end:])
}

// periodMonths is a period YYMM or YYYYMM as months since year 0 (two-digit
// years as MariaDB reads them).
func periodMonths(p int64) int64 {
	y, m := p/100, p%100
	if y < 100 {
		y = int64(twoDigitYear(int(y)))
	}
	return y*12 + m - 1
}

// makeTime is MAKETIME(h, m, s): NULL for minutes or seconds outside
// 0-59, hours clipped to the TIME range.
func (c *evalCtx) makeTime(args []any) (any, bool, error) {
	h, m := toInt(args[0]), toInt(args[1])
	s := toDecimal(args[2])
	if m < 0 || m > 59 || s.Sign() < 0 || s.IntPart() > 59 {
		return nil, true, nil
	}
	us := s.Shift(6).Truncate(0).IntPart()
	d := time.Duration(abs64(max(min(h, 839), -839)))*time.Hour + time.Duration(m)*time.Minute + time.Duration(us)*time.Microsecond
	if h < 0 {
		d = -d
	}
	if d > engine.MaxTime || d < -engine.MaxTime {
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect time value: '%d:%02d:%02d'", h, m, s.IntPart())
		d = clipTime(d)
	}
	return d, true, nil
}

// week is MariaDB's WEEK(t, mode) and the year that week belongs to.
// mode's bits: 1 weeks start on Monday (else Sunday); 2 weeks are
// numbered 1-53, a day before week 1 belonging to the last week of the
// year before (else 0-53); 4, with weeks starting on Sunday, or without
// it, on Monday: week 1 is the first week with four or more days in the
// year (else the week that holds the year's first start-of-week day).
func week(t time.Time, mode int) (w, year int) {
	monday := mode&1 != 0
	numbered := mode&2 != 0
	fourDays := (mode&4 != 0) != monday
	y := t.Year()
	day := time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	days := int(day.Sub(weekOne(y, monday, fourDays)).Hours() / 24)
	if days < 0 {
		if !numbered {
			return 0, y
		}
		y--
		days = int(day.Sub(weekOne(y, monday, fourDays)).Hours() / 24)
	} else if numbered && fourDays && !day.Before(weekOne(y+1, monday, fourDays)) {
		return 1, y + 1
	}
	return days/7 + 1, y
}

// weekOne is the first day of week 1 of year y under week's rules.
func weekOne(y int, monday, fourDays bool) time.Time {
	jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	into := int(jan1.Weekday()) // days since the week began
	if monday {
		into = (into + 6) % 7
	}
	switch {
	case into == 0:
		return jan1
	case fourDays && into <= 3:
		return jan1.AddDate(0, 0, -into)
	}
	return jan1.AddDate(0, 0, 7-into)
}

// unitFunc runs the functions whose first argument is a time unit:
// EXTRACT(unit FROM t), TIMESTAMPADD(unit, n, t) and TIMESTAMPDIFF(unit,
// a, b).
func (c *evalCtx) unitFunc(x *ast.FuncCallExpr) (any, error) {
	want := map[string]int{"extract": 2, "timestampadd": 3, "timestampdiff": 3}[x.FnName.L]
	if len(x.Args) != want {
		return nil, errf(errWrongArgCount, "Incorrect parameter count in the call to native function '%s'", x.FnName.O)
	}
	unit, ok := x.Args[0].(*ast.TimeUnitExpr)
	if !ok {
		return nil, errNotSupported(x.FnName.O + " without a time unit")
	}
	args := make([]any, len(x.Args)-1)
	for i, a := range x.Args[1:] {
		v, err := c.eval(a)
		if err != nil || v == nil {
			return nil, err
		}
		args[i] = v
	}
	switch x.FnName.L {
	case "extract":
		return extract(unit.Unit, args[0])
	case "timestampadd":
		return c.addInterval(args[1], args[0], unit.Unit, false)
	}
	a, ok1 := toTime(args[0])
	b, ok2 := toTime(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	return timestampDiff(unit.Unit, a, b)
}

// extract is EXTRACT(unit FROM v).
func extract(u ast.TimeUnitType, v any) (any, error) {
	var t time.Time
	var d time.Duration
	isTime := false
	if s, ok := v.(string); ok && strings.Contains(s, ":") && !strings.ContainsAny(s, "-/") {
		v, ok = toDuration(s) // '05:06:07' is a TIME here, not 2005-06-07
		if !ok {
			return nil, nil
		}
	}
	if dv, ok := v.(time.Duration); ok {
		d, isTime = dv, true
	} else if tv, ok := toTime(v); ok {
		t = tv
		d = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
			time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	} else if dv, ok := toDuration(v); ok {
		d, isTime = dv, true
	} else {
		return nil, nil
	}
	sign := int64(1)
	if d < 0 {
		sign, d = -1, -d
	}
	days := int64(d / (24 * time.Hour))
	h, m := int64(d/time.Hour%24), int64(d/time.Minute%60)
	s, us := int64(d/time.Second%60), int64(d%time.Second/time.Microsecond)
	if isTime {
		h += 24 * days // a TIME's hours are not cut at a day
		days = 0
	} else {
		days = int64(t.Day())
	}
	switch u {
	case ast.TimeUnitYear:
		return int64(t.Year()), nil
	case ast.TimeUnitQuarter:
		return int64(t.Month()+2) / 3, nil
	case ast.TimeUnitMonth:
		return int64(t.Month()), nil
	case ast.TimeUnitWeek:
		w, _ := week(t, 0)
		return int64(w), nil
	case ast.TimeUnitDay:
		return days, nil
	case ast.TimeUnitYearMonth:
		return int64(t.Year())*100 + int64(t.Month()), nil
	case ast.TimeUnitHour:
		return sign * h, nil
	case ast.TimeUnitMinute:
		return sign * m, nil
	case ast.TimeUnitSecond:
		return sign * s, nil
	case ast.TimeUnitMicrosecond:
		return sign * us, nil
	case ast.TimeUnitDayHour:
		return sign * (days*100 + h), nil
	case ast.TimeUnitDayMinute:
		return sign * ((days*100+h)*100 + m), nil
	case ast.TimeUnitDaySecond:
		return sign * (((days*100+h)*100+m)*100 + s), nil
	case ast.TimeUnitDayMicrosecond:
		return sign * ((((days*100+h)*100+m)*100+s)*1000000 + us), nil
	case ast.TimeUnitHourMinute:
		return sign * (h*100 + m), nil
	case ast.TimeUnitHourSecond:
		return sign * ((h*100+m)*100 + s), nil
	case ast.TimeUnitHourMicrosecond:
		return sign * (((h*100+m)*100+s)*1000000 + us), nil
	case ast.TimeUnitMinuteSecond:
		return sign * (m*100 + s), nil
	case ast.TimeUnitMinuteMicrosecond:
		return sign * ((m*100+s)*1000000 + us), nil
	case ast.TimeUnitSecondMicrosecond:
		return sign * (s*1000000 + us), nil
	}
	return nil, errNotSupported("EXTRACT(" + u.String() + ")")
}

// timestampDiff is TIMESTAMPDIFF(u, a, b): b - a in whole units, cut
// toward zero; months (and quarters, years) count only when the day and
// time of b reach those of a.
func timestampDiff(u ast.TimeUnitType, a, b time.Time) (any, error) {
	switch u {
	case ast.TimeUnitMonth, ast.TimeUnitQuarter, ast.TimeUnitYear:
		sign := int64(1)
		if b.Before(a) {
			a, b, sign = b, a, -1
		}
		months := int64(b.Year()-a.Year())*12 + int64(b.Month()-a.Month())
		// b's day and time of day before a's: the last month is not whole.
		if months > 0 && (b.Day() < a.Day() || b.Day() == a.Day() && clock(b) < clock(a)) {
			months--
		}
		per := map[ast.TimeUnitType]int64{ast.TimeUnitMonth: 1, ast.TimeUnitQuarter: 3, ast.TimeUnitYear: 12}[u]
		return sign * (months / per), nil
	}
	var per int64 // the unit in microseconds
	switch u {
	case ast.TimeUnitMicrosecond:
		per = 1
	case ast.TimeUnitSecond:
		per = 1e6
	case ast.TimeUnitMinute:
		per = 60e6
	case ast.TimeUnitHour:
		per = 3600e6
	case ast.TimeUnitDay:
		per = 86400e6
	case ast.TimeUnitWeek:
		per = 7 * 86400e6
	default:
		return nil, errNotSupported("TIMESTAMPDIFF(" + u.String() + ")")
	}
	// Days by MariaDB's day numbers (its year 0 has no 29 February: Go's
	// has, and counted one day too many across it), then the times of
	// day, in microseconds, so that ten thousand years do not overflow.
	us := (dayNumber(b)-dayNumber(a))*86400e6 + int64((clock(b)-clock(a))/time.Microsecond)
	return us / per, nil
}

// clock is t's time of day.
func clock(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// dayNumber is TO_DAYS(t): MariaDB's day number, 1 for 0000-01-01, 366
// for 0001-01-01 (its year 0 has 365 days), counted in whole days without
// a time.Duration (which would overflow past 292 years).
func dayNumber(t time.Time) int64 {
	if t.Year() < 1 {
		// Year 0 has no 29 February in MariaDB's calendar (Go's has).
		n := int64(t.YearDay())
		if t.Month() > 2 {
			n--
		}
		return n
	}
	first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return 366 + (day.Unix()-first.Unix())/86400
}

// weekdayOf is t's day of the week as MariaDB counts it from its day
// number (dayNumber): Go's but in year 0, which has no leap day there.
func weekdayOf(t time.Time) time.Weekday {
	return time.Weekday((dayNumber(t) + 6) % 7)
}

// soundexCodes is the Soundex digit of each letter A to Z ('0': none).
const soundexCodes = "01230120022455012623010202"

// soundex is SOUNDEX(s) as MariaDB computes it: the first ASCII letter,
// upper case, then the digit of each later letter that has one and differs
// from the last digit written (letters without one do not separate equal
// digits), padded with '0' to four characters but not cut to them; other
// characters are skipped, but a first letter beyond ASCII is kept as it is. Text without a letter gives the empty string.
func soundex(s string) string {
	var b []byte
	last := byte(0)
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf && b == nil {
			// Text that starts with a letter beyond ASCII keeps it first.
			_, n := utf8.DecodeRuneInString(s[i:])
			b, last = []byte(s[i:i+n]), '0'
			i += n - 1
			continue
		}
		ch := s[i] &^ 0x20 // upper case, for letters
		if ch < 'A' || ch > 'Z' || s[i] < 'A' {
			continue
		}
		code := soundexCodes[ch-'A']
		if b == nil {
			b, last = []byte{ch}, code
			continue
		}
		if code != '0' && code != last {
			b = append(b, code)
			last = code
		}
	}
	for b != nil && utf8.RuneCount(b) < 4 {
		b = append(b, '0')
	}
	return string(b)
}

// convertCharset returns the character set e converts its text to when e
// is CONVERT(x USING cs), in parentheses or not; nil otherwise. Its value
// is UTF-8 text like any other (convertUsing): what the set changes is
// its collation and character set (deriveColl, collationFunc), its length
// in bytes (octets) and its bytes as HEX shows them (inCharset), which
// an expression made of it (CONCAT, UPPER, ...) keeps as collations
// combine (exprColl.cs).
func convertCharset(e ast.ExprNode) *charset.Charset {
	f, ok := unparen(e).(*ast.FuncCallExpr)
	if !ok || f.FnName.L != "convert" || len(f.Args) != 2 {
		return nil
	}
	name, ok := f.Args[1].(ast.ValueExpr)
	if !ok {
		return nil
	}
	cs, err := charset.Lookup(toString(name.GetValue()))
	if err != nil {
		return nil
	}
	return cs
}

// charsetOf returns the character set e's text is in when it is not
// utf8mb4 (a latin1 column, CONVERT(x USING latin1), an expression made
// of them: deriveColl), nil otherwise and for a literal.
func (c *evalCtx) charsetOf(e ast.ExprNode) *charset.Charset {
	switch unparen(e).(type) {
	case *test_driver.ValueExpr, *test_driver.ParamMarkerExpr:
		return nil // the connection's text, utf8mb4 here
	}
	return c.collOf(e).cs
}

// inCharset returns s, the value of e, in the bytes of its character set
// (HEX shows them): as it is (UTF-8) for utf8mb4.
func (c *evalCtx) inCharset(e ast.ExprNode, s string) string {
	if cs := c.charsetOf(e); cs != nil {
		return cs.Encode(s)
	}
	return s
}

// octets is the length in bytes of s, the value of e, as LENGTH counts
// it: in e's character set.
func (c *evalCtx) octets(e ast.ExprNode, s string) int {
	if cs := c.charsetOf(e); cs != nil {
		return cs.Octets(s)
	}
	return len(s)
}

// bytesOperands returns the operands l and r (the values of le and re)
// of a comparison with text's compared by its bytes in its set when the
// other is bytes (UNHEX, FROM_BASE64, CAST AS BINARY): UNHEX(HEX(s)) = s
// holds for a latin1 column s, whose HEX shows latin1's bytes.
func (c *evalCtx) bytesOperands(le, re ast.ExprNode, l, r any) (any, any) {
	switch a := l.(type) {
	case []byte:
		if s, ok := r.(string); ok {
			if cs := c.charsetOf(re); cs != nil {
				return l, []byte(cs.Encode(s))
			}
		}
	case string:
		if _, ok := r.([]byte); ok {
			if cs := c.charsetOf(le); cs != nil {
				return []byte(cs.Encode(a)), r
			}
		}
	}
	return l, r
}

// convertUsing is CONVERT(expr USING cs): expr's text as cs holds it,
// shown in UTF-8 like every string here, so a character cs does not have
// is '?' (CONVERT('中' USING latin1) is '?'), and bytes (UNHEX,
// VARBINARY) are read as cs's (CONVERT(0xE9 USING latin1) is 'é'); USING
// binary gives its
// bytes (in the set of expr: those of a latin1 column are latin1's). A set
// MariaDB does not know is 1115, one blitz does not convert 1235. LENGTH
// and HEX of the result count and show it in cs (evalCtx.octets).
func (c *evalCtx) convertUsing(x *ast.FuncCallExpr) (any, error) {
	if err := argCount(x.FnName.O, x.Args, 2, 2); err != nil {
		return nil, err
	}
	name, ok := x.Args[1].(ast.ValueExpr)
	if !ok {
		return nil, argCount(x.FnName.O, nil, 2, 2)
	}
	cs, err := charset.Lookup(toString(name.GetValue()))
	if err != nil {
		return nil, err
	}
	v, err := c.eval(x.Args[0])
	if err != nil || v == nil {
		return nil, err
	}
	if b, ok := v.([]byte); ok && !cs.Identity() {
		return cs.Decode(string(b)), nil // bytes (UNHEX, a VARBINARY) read as cs's
	}
	s := toString(c.textOf(x.Args[0], v))
	switch {
	case cs == charset.Binary:
		return []byte(c.inCharset(x.Args[0], s)), nil
	case cs == charset.UTF8MB3:
		return strings.Map(func(r rune) rune {
			if r > 0xffff {
				return '?'
			}
			return r
		}, s), nil
	}
	return cs.Keep(s), nil
}
