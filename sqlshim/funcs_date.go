package sqlshim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// This file holds the date and time functions: the parts of a date, date
// arithmetic (DATE_ADD), and formatting and parsing (DATE_FORMAT).

func (c *evalCtx) timePart(name string, v any) (any, error) {
	if d, ok := v.(time.Duration); ok && (name == "hour" || name == "minute" || name == "second") {
		return durationPart(name, d), nil // funcs_types.go
	}
	if p, ok := c.zeroDateParts(name, v); ok {
		return p, nil
	}
	t, ok := toTime(v)
	if !ok {
		if name == "hour" || name == "minute" || name == "second" {
			if str, isText := v.(string); isText {
				if h, m, sec, ok := parseClock(str); ok {
					switch name {
					case "hour":
						return int64(h), nil
					case "minute":
						return int64(m), nil
					}
					return int64(sec), nil
				}
			}
		}
		return nil, nil
	}
	switch name {
	case "date":
		return t.Truncate(24 * time.Hour), nil
	case "year":
		return int64(t.Year()), nil
	case "month":
		return int64(t.Month()), nil
	case "day", "dayofmonth":
		return int64(t.Day()), nil
	case "hour":
		return int64(t.Hour()), nil
	case "minute":
		return int64(t.Minute()), nil
	case "second":
		return int64(t.Second()), nil
	case "dayofweek":
		return int64(weekdayOf(t)) + 1, nil
	case "weekday":
		return int64((weekdayOf(t) + 6) % 7), nil
	case "dayofyear":
		return int64(t.YearDay()), nil
	case "unix_timestamp":
		u := t.Add(-c.zoneOff()).Unix() // t is on the session's wall clock
		if u < 0 {
			return nil, nil // before the epoch: no TIMESTAMP, NULL as in MariaDB
		}
		return u, nil
	case "to_days":
		return dayNumber(t), nil // funcs_more.go
	}
	return nil, nil
}

func (c *evalCtx) dateAdd(x *ast.FuncCallExpr, sub bool) (any, error) {
	if len(x.Args) != 3 {
		return nil, errf(errWrongArgCount, "Incorrect parameter count in the call to native function '%s'", x.FnName.O)
	}
	base, err := c.eval(x.Args[0])
	if err != nil {
		return nil, err
	}
	n, err := c.eval(x.Args[1])
	if err != nil {
		return nil, err
	}
	unit, ok := x.Args[2].(*ast.TimeUnitExpr)
	if base == nil || n == nil || !ok {
		return nil, nil
	}
	return c.addInterval(base, n, unit.Unit, sub)
}

// addTimeInterval is a TIME plus INTERVAL n unit, for a unit of a day or
// less: a TIME, as in MariaDB (DATE_ADD(TIME'10:20:30', INTERVAL 1
// SECOND) is 10:20:31); NULL past the TIME range, or for months and
// years (MariaDB puts the TIME on today's date for those).
func (c *evalCtx) addTimeInterval(d time.Duration, n any, u ast.TimeUnitType, sub bool) any {
	var per time.Duration
	switch u {
	case ast.TimeUnitMicrosecond:
		per = time.Microsecond
	case ast.TimeUnitSecond:
		per = time.Second
	case ast.TimeUnitMinute:
		per = time.Minute
	case ast.TimeUnitHour:
		per = time.Hour
	case ast.TimeUnitDay:
		per = 24 * time.Hour
	default:
		return nil
	}
	k := toInt(n)
	if sub {
		k = -k
	}
	if k > int64(engine.MaxTime/per) || k < -int64(engine.MaxTime/per) {
		return nil
	}
	r := d + time.Duration(k)*per
	if r > engine.MaxTime || r < -engine.MaxTime {
		return nil
	}
	return r
}

// addInterval is base + INTERVAL n unit (minus, for sub), base and n not
// NULL: DATE_ADD, DATE_SUB and TIMESTAMPADD.
func (c *evalCtx) addInterval(base, n any, u ast.TimeUnitType, sub bool) (any, error) {
	if z, ok := asZeroDate(base); ok {
		c.zeroDateWarning(base, z)
		return nil, nil
	}
	if d, ok := base.(time.Duration); ok {
		return c.addTimeInterval(d, n, u, sub), nil
	}
	t, ok := toTime(base)
	if !ok {
		return nil, nil
	}
	var k int64
	if fields, ok := compoundUnits[u]; ok {
		// INTERVAL '1 2' DAY_HOUR and the like: microseconds or months.
		k, u = compoundInterval(toString(n), fields)
	} else {
		k = toInt(n)
	}
	if sub {
		k = -k
	}
	// maxSpan bounds an interval in each unit: more than the 10000 years
	// of the DATETIME range, so that the arithmetic below cannot wrap.
	const maxSpan = 10000 * 366
	overflow := func() (any, error) {
		c.warning(errDatetimeOverflow, "Datetime function: datetime field overflow")
		return nil, nil
	}
	var r time.Time
	switch u {
	case ast.TimeUnitMicrosecond, ast.TimeUnitSecond, ast.TimeUnitMinute, ast.TimeUnitHour:
		per := map[ast.TimeUnitType]int64{ast.TimeUnitMicrosecond: 1, ast.TimeUnitSecond: 1e6,
			ast.TimeUnitMinute: 60e6, ast.TimeUnitHour: 3600e6}[u]
		if k > maxSpan*86400e6/per || k < -maxSpan*86400e6/per {
			return overflow()
		}
		us := k * per // microseconds: whole days first, so no Duration wraps
		r = t.AddDate(0, 0, int(us/86400e6)).Add(time.Duration(us%86400e6) * time.Microsecond)
	case ast.TimeUnitDay, ast.TimeUnitWeek:
		if u == ast.TimeUnitWeek {
			k = max(min(k, maxSpan), -maxSpan) * 7
		}
		if k > maxSpan || k < -maxSpan {
			return overflow()
		}
		r = t.AddDate(0, 0, int(k))
	case ast.TimeUnitMonth, ast.TimeUnitQuarter, ast.TimeUnitYear:
		per := map[ast.TimeUnitType]int64{ast.TimeUnitMonth: 1, ast.TimeUnitQuarter: 3, ast.TimeUnitYear: 12}[u]
		if k > 12*10000/per || k < -12*10000/per {
			return overflow()
		}
		r = addMonths(t, int(k*per))
	default:
		return nil, errNotSupported("INTERVAL " + u.String())
	}
	if r.Year() < 0 || r.Year() > 9999 || r.Year() == 0 && u != ast.TimeUnitMonth && u != ast.TimeUnitQuarter && u != ast.TimeUnitYear {
		// Past DATETIME's range: NULL with warning 1441, as in MariaDB
		// (which counts days from year 1: only months and years reach
		// year 0).
		return overflow()
	}
	return r, nil
}

// compoundUnits are the fields, most significant first, of each INTERVAL
// unit made of several: each field's size in microseconds, or 0 for
// months (YEAR_MONTH's: 12 then 1, counted in months).
var compoundUnits = map[ast.TimeUnitType][]int64{
	ast.TimeUnitYearMonth:         {-12, -1},
	ast.TimeUnitDayHour:           {86400e6, 3600e6},
	ast.TimeUnitDayMinute:         {86400e6, 3600e6, 60e6},
	ast.TimeUnitDaySecond:         {86400e6, 3600e6, 60e6, 1e6},
	ast.TimeUnitDayMicrosecond:    {86400e6, 3600e6, 60e6, 1e6, 1},
	ast.TimeUnitHourMinute:        {3600e6, 60e6},
	ast.TimeUnitHourSecond:        {3600e6, 60e6, 1e6},
	ast.TimeUnitHourMicrosecond:   {3600e6, 60e6, 1e6, 1},
	ast.TimeUnitMinuteSecond:      {60e6, 1e6},
	ast.TimeUnitMinuteMicrosecond: {60e6, 1e6, 1},
	ast.TimeUnitSecondMicrosecond: {1e6, 1},
}

// compoundInterval reads the text of a compound INTERVAL ('1 2:30',
// '-1-6', '1.5') as MariaDB does: the runs of digits are its fields, any
// other characters separate them, a leading '-' negates it all, and fewer
// runs than fields are the least significant ones. A microsecond field
// is a fraction: '.5' is 500000. It returns the interval in microseconds
// (unit MICROSECOND) or, for YEAR_MONTH (negative sizes), in months (unit
// MONTH).
func compoundInterval(s string, fields []int64) (int64, ast.TimeUnitType) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	var vals, widths []int64
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		v, w := int64(0), int64(0)
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if v < 1e12 {
				v = v*10 + int64(s[i]-'0')
			}
			w++
		}
		vals, widths = append(vals, v), append(widths, w)
	}
	months := fields[len(fields)-1] < 0
	if len(vals) > len(fields) {
		vals, widths = vals[:len(fields)], widths[:len(fields)]
	}
	// Fewer values than fields: they are the last fields (none: 0).
	fields = fields[len(fields)-len(vals):]
	var total int64
	for i, v := range vals {
		if fields[i] == 1 && len(fields) > 1 {
			for w := widths[i]; w < 6; w++ {
				v *= 10 // a fraction of a second: '.5' is 500000
			}
		}
		if fields[i] < 0 {
			total += v * -fields[i]
		} else {
			total += v * fields[i]
		}
	}
	if neg {
		total = -total
	}
	if months {
		return total, ast.TimeUnitMonth
	}
	return total, ast.TimeUnitMicrosecond
}

// addMonths adds months, clamping the day to the end of the month as
// MySQL does ('2024-01-31' + 1 month = '2024-02-29').
func addMonths(t time.Time, m int) time.Time {
	y, mo, d := t.Date()
	first := time.Date(y, mo+time.Month(m), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// dateFields is a date as DATE_FORMAT reads it: its fields as written.
// A zero date ('0000-00-00', '2024-05-00') has them too, though no
// time.Time holds it.
type dateFields struct {
	year, month, day int
	clock            time.Duration // time of day
}

// fieldsOfTime is t's fields.
func fieldsOfTime(t time.Time) dateFields {
	return dateFields{t.Year(), int(t.Month()), t.Day(),
		time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
			time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())}
}

// dateFieldsOf reads v as DATE_FORMAT's first argument: a date, or a zero
// date; ok is false for anything else (NULL, with warning 1292 for
// text naming a day past its month's end).
func (c *evalCtx) dateFieldsOf(v any) (dateFields, bool) {
	if t, ok := toTime(v); ok {
		return fieldsOfTime(t), true
	}
	if z, ok := asZeroDate(v); ok {
		if _, stored := v.(engine.ZeroDate); !stored && !c.s.sqlMode.has(modeAllowInvalidDates) {
			if _, invalidDay, _ := engine.ParseZeroDate(v); invalidDay {
				c.zeroDateWarning(v, z) // '2024-02-30' is no date
				return dateFields{}, false
			}
		}
		return dateFields{z.Year, z.Month, z.Day, z.Clock}, true
	}
	return dateFields{}, false
}

// dayTime is the calendar day d names, counting a zero month or day as the
// one before the first (2024-05-00 is 2024-04-30, 2024-00-00 2023-11-30),
// as MariaDB's day numbers do.
func (d dateFields) dayTime() time.Time {
	return time.Date(d.year, time.Month(d.month), d.day, 0, 0, 0, 0, time.UTC)
}

// dateFormat is DATE_FORMAT(d, f); ok is false when the result is NULL:
// as in MariaDB, a name of the month (%M %b) needs a month, a weekday
// (%W %a %w) a year or a month, a day of the year (%j) both; the other
// specifiers print the fields as written, so '0000-00-00' formats. The
// week specifiers (%U %u %V %v %X %x) of a date without a month are NULL
// here (MariaDB prints a meaningless number).
func dateFormat(d dateFields, f string) (string, bool) {
	var b strings.Builder
	sec := int(d.clock / time.Second)
	h, mi, s := sec/3600, sec/60%60, sec%60
	h12 := (h+11)%12 + 1
	ampm := "AM"
	if h >= 12 {
		ampm = "PM"
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			fmt.Fprintf(&b, "%04d", d.year)
		case 'y':
			fmt.Fprintf(&b, "%02d", d.year%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", d.month)
		case 'c':
			b.WriteString(strconv.Itoa(d.month))
		case 'd':
			fmt.Fprintf(&b, "%02d", d.day)
		case 'e':
			b.WriteString(strconv.Itoa(d.day))
		case 'H':
			fmt.Fprintf(&b, "%02d", h)
		case 'h', 'I':
			fmt.Fprintf(&b, "%02d", h12)
		case 'i':
			fmt.Fprintf(&b, "%02d", mi)
		case 's', 'S':
			fmt.Fprintf(&b, "%02d", s)
		case 'f':
			fmt.Fprintf(&b, "%06d", d.clock%time.Second/time.Microsecond)
		case 'p':
			b.WriteString(ampm)
		case 'M', 'b':
			if d.month == 0 {
				return "", false
			}
			name := time.Month(d.month).String()
			if f[i] == 'b' {
				name = name[:3]
			}
			b.WriteString(name)
		case 'W', 'a', 'w':
			if d.year == 0 && d.month == 0 {
				return "", false
			}
			wd := weekdayOf(d.dayTime())
			switch f[i] {
			case 'W':
				b.WriteString(wd.String())
			case 'a':
				b.WriteString(wd.String()[:3])
			default:
				b.WriteString(strconv.Itoa(int(wd)))
			}
		case 'j':
			if d.year == 0 || d.month == 0 {
				return "", false
			}
			jan1 := time.Date(d.year, 1, 1, 0, 0, 0, 0, time.UTC)
			fmt.Fprintf(&b, "%03d", int(d.dayTime().Sub(jan1)/(24*time.Hour))+1)
		case 'T':
			fmt.Fprintf(&b, "%02d:%02d:%02d", h, mi, s)
		case 'r':
			fmt.Fprintf(&b, "%02d:%02d:%02d %s", h12, mi, s, ampm)
		case 'k':
			b.WriteString(strconv.Itoa(h))
		case 'l':
			b.WriteString(strconv.Itoa(h12))
		case 'D':
			b.WriteString(strconv.Itoa(d.day) + ordinalSuffix(d.day))
		case 'U', 'u', 'V', 'v', 'X', 'x':
			if d.month == 0 {
				return "", false
			}
			wk, yr := mysqlWeek(d.dayTime(), f[i])
			if f[i] == 'X' || f[i] == 'x' {
				fmt.Fprintf(&b, "%04d", yr)
			} else {
				fmt.Fprintf(&b, "%02d", wk)
			}
		default:
			b.WriteByte(f[i])
		}
	}
	return b.String(), true
}

// ordinalSuffix is English's suffix for day d: 1st, 2nd, 3rd, 4th, 11th.
func ordinalSuffix(d int) string {
	if d%100 >= 11 && d%100 <= 13 {
		return "th"
	}
	switch d % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// mysqlWeek is the week of DATE_FORMAT's %U %u %V %v (and the year of %X
// %x). %U: weeks start on Sunday, week 1 holds the year's first Sunday,
// days before it are week 0; %u: the same from Monday, week 1 being the
// first with four or more days of the year. %V/%X and %v/%x are those
// weeks numbered 1-53, days before week 1 counting in the previous year's
// last week (%v/%x is ISO 8601's week).
func mysqlWeek(t time.Time, spec byte) (week, year int) {
	if spec == 'v' || spec == 'x' {
		y, w := t.ISOWeek()
		return w, y
	}
	sunday := spec == 'U' || spec == 'V' || spec == 'X'
	wk := func(t time.Time) int {
		jan1 := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		wd := int(jan1.Weekday()) // 0 = Sunday
		if !sunday {
			wd = (wd + 6) % 7 // 0 = Monday
		}
		yday := t.YearDay() - 1
		if sunday {
			// Week 1 starts on the first Sunday.
			first := (7 - wd) % 7
			if yday < first {
				return 0
			}
			return (yday-first)/7 + 1
		}
		// Week 1 is the first with four or more days (starts Monday).
		first := (7 - wd) % 7 // day index of the first Monday
		if first >= 4 {
			first -= 7 // the days before it are four or more: week 1
		}
		if yday < first {
			return 0
		}
		return (yday-first)/7 + 1
	}
	w := wk(t)
	if spec == 'U' || spec == 'u' || w > 0 {
		return w, t.Year()
	}
	// %V/%X: a day before week 1 belongs to the last week of the year before.
	dec31 := time.Date(t.Year()-1, 12, 31, 0, 0, 0, 0, time.UTC)
	return wk(dec31), t.Year() - 1
}

// lastDay is LAST_DAY(d): the last day of d's month, as a DATE. A value
// that is not a date is NULL with warning 1292, as in MariaDB.
func (c *evalCtx) lastDay(v any) any {
	t, ok := toTime(v)
	if !ok {
		c.warning(sqlerr.ErrTruncatedValue, "Incorrect datetime value: '%s'", toString(v))
		return nil
	}
	y, m, _ := t.Date()
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
}

// Kinds of STR_TO_DATE result, decided by the specifiers of its format as
// MariaDB decides them (strToDateKind).
const (
	strToDate     byte = 'd' // DATE: date specifiers only (or none)
	strToDatetime byte = 't' // DATETIME: date and time specifiers
	strToTime     byte = 'c' // TIME: time specifiers only
)

// strToDateKind is the type STR_TO_DATE gives its result for format f,
// and whether the result shows microseconds (%f).
func strToDateKind(f string) (kind byte, frac bool) {
	var date, clock bool
	for i := 0; i+1 < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		switch f[i] {
		case 'a', 'b', 'c', 'd', 'D', 'e', 'j', 'm', 'M', 'u', 'U', 'v', 'V', 'w', 'W', 'x', 'X', 'y', 'Y':
			date = true
		case 'f':
			clock, frac = true, true
		case 'H', 'h', 'I', 'i', 'k', 'l', 'p', 'r', 's', 'S', 'T':
			clock = true
		}
	}
	switch {
	case date && clock:
		return strToDatetime, frac
	case clock:
		return strToTime, frac
	}
	return strToDate, false
}

// strToDateColumn is the result-set type of STR_TO_DATE(s, format): that
// of a constant format's specifiers, else DATETIME(6) as in MariaDB.
func strToDateColumn(c *Column, format ast.ExprNode) {
	kind, frac := strToDatetime, true
	if v, ok := format.(*test_driver.ValueExpr); ok {
		if s, ok := v.Datum.GetValue().(string); ok {
			kind, frac = strToDateKind(s)
		}
	}
	switch kind {
	case strToDate:
		c.Type, c.Length, c.Decimals = mysql.TypeDate, 10, 0
	case strToDatetime:
		c.Type, c.Length, c.Decimals = mysql.TypeDatetime, 19, 0
	case strToTime:
		c.Type, c.Length, c.Decimals = mysql.TypeDuration, 10, 0
	}
	if frac {
		c.Length, c.Decimals = c.Length+7, 6
	}
}

// monthNames are the month names STR_TO_DATE reads (%M, or %b for their
// first three letters), in either case.
var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"}

// dayNames are the weekday names of %W and %a, Monday first.
var dayNames = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// strToDate is STR_TO_DATE(s, format): s read by format's specifiers (the
// inverse of DATE_FORMAT). Spaces in s are skipped before each element of
// the format; parts the format does not give are zero. The result is a
// DATE, DATETIME or TIME by the format's specifiers (strToDateKind). A
// value that does not fit the format, or a field out of range, is NULL
// with warning 1411; text left over after the format is warning 1292 on an
// otherwise good result. A date MariaDB gives with zero or impossible parts
// ('2024-00-00', '2024-02-30': it checks only each field's range) is
// returned as its text, which is what MariaDB shows.
func (c *evalCtx) strToDate(s, format string) any {
	var y, mo, d, h, mi, sec, usec, yday int
	pm := -1 // %p: 0 AM, 1 PM
	wk := weekSpec{week: -1, year: -1}
	usa := false
	bad := func() any {
		c.warning(errWrongValueForFn, "Incorrect datetime value: '%s' for function str_to_date", s)
		return nil
	}
	v := s
	// num reads up to n digits; ok is false without one.
	num := func(n int) (int, int, bool) {
		i := 0
		for i < n && i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, 0, false
		}
		x, _ := strconv.Atoi(v[:i])
		w := i
		v = v[i:]
		return x, w, true
	}
	// name reads one of names (or its first three letters, short).
	name := func(names []string, short bool) (int, bool) {
		for k, nm := range names {
			if short {
				nm = nm[:3]
			}
			if len(v) >= len(nm) && strings.EqualFold(v[:len(nm)], nm) {
				v = v[len(nm):]
				return k, true
			}
		}
		return 0, false
	}
	f := format
	for i := 0; i < len(f) && v != ""; i++ {
		v = strings.TrimLeft(v, " \t\n\r")
		if v == "" {
			break
		}
		ch := f[i]
		if ch != '%' || i+1 == len(f) {
			if ch == ' ' {
				continue
			}
			if v[0] != ch {
				return bad()
			}
			v = v[1:]
			continue
		}
		i++
		var ok bool
		var w int
		switch f[i] {
		case 'Y':
			if y, w, ok = num(4); ok && w <= 2 {
				y = twoDigitYear(y)
			}
		case 'y':
			if y, _, ok = num(2); ok {
				y = twoDigitYear(y)
			}
		case 'm', 'c':
			mo, _, ok = num(2)
		case 'd', 'e':
			d, _, ok = num(2)
		case 'D':
			if d, _, ok = num(2); ok && len(v) >= 2 {
				v = v[2:]
			}
		case 'j':
			yday, _, ok = num(3)
		case 'H', 'k':
			h, _, ok = num(2)
		case 'h', 'I', 'l':
			h, _, ok = num(2)
			usa = true
		case 'i':
			mi, _, ok = num(2)
		case 's', 'S':
			sec, _, ok = num(2)
		case 'f':
			if usec, w, ok = num(6); ok {
				for ; w < 6; w++ {
					usec *= 10
				}
			}
		case 'p':
			switch {
			case len(v) >= 2 && strings.EqualFold(v[:2], "AM"):
				pm, ok = 0, true
			case len(v) >= 2 && strings.EqualFold(v[:2], "PM"):
				pm, ok = 1, true
			}
			if ok {
				v = v[2:]
			}
		case 'M', 'b':
			var k int
			if k, ok = name(monthNames[:], f[i] == 'b'); ok {
				mo = k + 1
			}
		case 'W', 'a':
			var k int
			if k, ok = name(dayNames[:], f[i] == 'a'); ok {
				wk.weekday = k + 1
			}
		case 'w':
			if wk.weekday, _, ok = num(1); ok {
				ok = wk.weekday < 7
				if wk.weekday == 0 {
					wk.weekday = 7 // Sunday, as %W counts it
				}
			}
		case 'U', 'u', 'V', 'v':
			wk.sundayFirst = f[i] == 'U' || f[i] == 'V'
			wk.strict = f[i] == 'V' || f[i] == 'v'
			if wk.week, _, ok = num(2); ok {
				ok = wk.week <= 53 && (wk.week > 0 || !wk.strict)
			}
		case 'X', 'x':
			wk.yearSundayFirst = f[i] == 'X'
			wk.year, _, ok = num(4)
		case 'T', 'r':
			// %T is %H:%i:%S, %r is %I:%i:%S %p: read as a nested format.
			sub := "%H:%i:%S"
			if f[i] == 'r' {
				sub = "%I:%i:%S %p"
			}
			f = f[:i-1] + sub + f[i+1:]
			i -= 2
			ok = true
		default:
			ok = false // unknown specifiers
		}
		if !ok {
			return bad()
		}
	}
	if usa {
		if h < 1 || h > 12 {
			return bad()
		}
		h %= 12
		if pm == 1 {
			h += 12
		}
	}
	if mo > 12 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return bad()
	}
	if yday > 0 {
		if yday > 366 {
			return bad()
		}
		t := time.Date(y, 1, yday, 0, 0, 0, 0, time.UTC)
		if t.Year() != y {
			return bad()
		}
		mo, d = int(t.Month()), t.Day()
	}
	if wk.week >= 0 && wk.weekday > 0 {
		t, ok := wk.date(y)
		if !ok {
			return bad()
		}
		y, mo, d = t.Year(), int(t.Month()), t.Day()
	}
	kind, frac := strToDateKind(format)
	if rest := strings.TrimLeft(v, " \t\n\r"); rest != "" {
		typ := map[byte]string{strToDate: "date", strToDatetime: "datetime", strToTime: "time"}[kind]
		c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%s'", typ, s)
	}
	if kind == strToTime {
		out := fmt.Sprintf("%02d:%02d:%02d", h, mi, sec)
		if frac {
			out += fmt.Sprintf(".%06d", usec)
		}
		return out
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, usec*1000, time.UTC)
	if mo == 0 || d == 0 || t.Day() != d {
		// Zero or impossible parts: MariaDB's text of them.
		out := fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
		if kind == strToDatetime {
			out += fmt.Sprintf(" %02d:%02d:%02d", h, mi, sec)
			if frac {
				out += fmt.Sprintf(".%06d", usec)
			}
		}
		return out
	}
	if kind == strToDate {
		return t.Truncate(24 * time.Hour)
	}
	return t
}

// weekSpec is what STR_TO_DATE read of a date given by week: the week
// (%U %u %V %v, -1 if none), the weekday (%W %a %w: 1 Monday to 7
// Sunday, 0 if none), the year of the week (%X %x, -1 if none), and
// which week numbering they use.
type weekSpec struct {
	week, weekday, year int
	sundayFirst         bool // %U %V: weeks start on Sunday; %u %v: on Monday
	strict              bool // %V %v: weeks 1-53 of the %X/%x year
	yearSundayFirst     bool // %X (else %x)
}

// date is the day w names, in year y (the %Y year) unless w has its own
// (%X %x), as MariaDB computes it: a Sunday-first week 1 starts on the
// year's first Sunday (week 0 holds the days before it); a Monday-first
// one on the Monday of the week that holds at least four days of the year.
// ok is false for a combination MariaDB refuses (%V/%v without the %X/%x
// of the same numbering, %U/%u with one) or a day outside 0000-9999.
func (w weekSpec) date(y int) (time.Time, bool) {
	if w.strict && (w.year < 0 || w.yearSundayFirst != w.sundayFirst) || !w.strict && w.year >= 0 {
		return time.Time{}, false
	}
	if w.strict {
		y = w.year
	}
	jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	var off int
	if w.sundayFirst {
		first := int(jan1.Weekday()) // 0 Sunday
		if first > 0 {
			off = 7 - first
		}
		off += (w.week-1)*7 + w.weekday%7
	} else {
		first := (int(jan1.Weekday()) + 6) % 7 // 0 Monday
		if first > 3 {
			off = 7
		}
		off += -first + (w.week-1)*7 + w.weekday - 1
	}
	t := jan1.AddDate(0, 0, off)
	return t, t.Year() >= 0 && t.Year() <= 9999
}

// twoDigitYear is MySQL's reading of a two-digit year: 70-99 are 19xx,
// 00-69 20xx.
func twoDigitYear(y int) int {
	if y < 70 {
		return y + 2000
	}
	if y < 100 {
		return y + 1900
	}
	return y
}

// The names under which TiDB's parser hands over DATE 'text', TIME 'text'
// and TIMESTAMP 'text' (and the ODBC {d 'text'}, {t 'text'}, {ts 'text'}).
var (
	dateLiteralFn      = strings.ToLower(ast.DateLiteral)
	timeLiteralFn      = strings.ToLower(ast.TimeLiteral)
	timestampLiteralFn = strings.ToLower(ast.TimestampLiteral)
)

// temporalLiteral evaluates a DATE, TIME or TIMESTAMP literal. Unlike a
// string compared with a date, a literal that does not read as its type is
// an error (1525), as in MariaDB: a DATE with a time of day, a TIMESTAMP
// without one.
func (c *evalCtx) temporalLiteral(x *ast.FuncCallExpr) (any, error) {
	kind := "DATE"
	switch x.FnName.L {
	case timeLiteralFn:
		kind = "TIME"
	case timestampLiteralFn:
		kind = "DATETIME"
	}
	if len(x.Args) != 1 {
		return nil, errParse(kind, 1)
	}
	v, err := c.eval(x.Args[0])
	if err != nil {
		return nil, err
	}
	text := toString(v)
	bad := errf(errWrongValue, "Incorrect %s value: '%s'", kind, text)
	if kind == "TIME" {
		d, ok := toDuration(text)
		if !ok {
			return nil, bad
		}
		return d, nil
	}
	t, ok := parseTime(text)
	if !ok || hasClock(text) != (kind == "DATETIME") {
		return nil, bad
	}
	return t, nil
}

// hasClock reports whether date text has a time of day: more than three
// groups of digits, or 12 digits and more written together.
func hasClock(s string) bool {
	groups, run, longest := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run > 0 {
			groups++
			longest = max(longest, run)
		}
		run = 0
	}
	return groups > 3 || longest >= 12
}
