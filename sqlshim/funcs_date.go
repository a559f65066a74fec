package sqlshim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// This file holds the date and time functions: the parts of a date, date
// arithmetic (DATE_ADD), and formatting and parsing (DATE_FORMAT).

func timePart(name string, v any) (any, error) {
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
		return int64(t.Weekday()) + 1, nil
	case "weekday":
		return int64((t.Weekday() + 6) % 7), nil
	case "dayofyear":
		return int64(t.YearDay()), nil
	case "unix_timestamp":
		return t.Unix(), nil
	case "to_days":
		return int64(t.Sub(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC))/(24*time.Hour)) + 1, nil
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
	t, ok := toTime(base)
	if !ok {
		return nil, nil
	}
	k := toInt(n)
	if sub {
		k = -k
	}
	switch unit.Unit {
	case ast.TimeUnitMicrosecond:
		return t.Add(time.Duration(k) * time.Microsecond), nil
	case ast.TimeUnitSecond:
		return t.Add(time.Duration(k) * time.Second), nil
	case ast.TimeUnitMinute:
		return t.Add(time.Duration(k) * time.Minute), nil
	case ast.TimeUnitHour:
		return t.Add(time.Duration(k) * time.Hour), nil
	case ast.TimeUnitDay:
		return t.AddDate(0, 0, int(k)), nil
	case ast.TimeUnitWeek:
		return t.AddDate(0, 0, 7*int(k)), nil
	case ast.TimeUnitMonth:
		return addMonths(t, int(k)), nil
	case ast.TimeUnitQuarter:
		return addMonths(t, 3*int(k)), nil
	case ast.TimeUnitYear:
		return addMonths(t, 12*int(k)), nil
	}
	return nil, errNotSupported("INTERVAL " + unit.Unit.String())
}

// addMonths adds months, clamping the day to the end of the month as
// MySQL does ('2024-01-31' + 1 month = '2024-02-29').
func addMonths(t time.Time, m int) time.Time {
	y, mo, d := t.Date()
	first := time.Date(y, mo+time.Month(m), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// dateFormat implements DATE_FORMAT's common specifiers.
func dateFormat(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString(t.Format("2006"))
		case 'y':
			b.WriteString(t.Format("06"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'c':
			b.WriteString(t.Format("1"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'e':
			b.WriteString(t.Format("2"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'h', 'I':
			b.WriteString(t.Format("03"))
		case 'i':
			b.WriteString(t.Format("04"))
		case 's', 'S':
			b.WriteString(t.Format("05"))
		case 'f':
			b.WriteString(t.Format(".000000")[1:])
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'M':
			b.WriteString(t.Format("January"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'W':
			b.WriteString(t.Format("Monday"))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'j':
			b.WriteString(t.Format("002"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'r':
			b.WriteString(t.Format("03:04:05 PM"))
		case 'k':
			b.WriteString(strconv.Itoa(t.Hour()))
		case 'l':
			b.WriteString(t.Format("3"))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'D':
			b.WriteString(strconv.Itoa(t.Day()) + ordinalSuffix(t.Day()))
		case 'U', 'u', 'V', 'v', 'X', 'x':
			wk, yr := mysqlWeek(t, f[i])
			if f[i] == 'X' || f[i] == 'x' {
				fmt.Fprintf(&b, "%04d", yr)
			} else {
				fmt.Fprintf(&b, "%02d", wk)
			}
		default:
			b.WriteByte(f[i])
		}
	}
	return b.String()
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
