package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// This file converts values for TIME and YEAR columns, as MariaDB assigns
// them, and prints TIME values.

// FormatTime prints a TIME value as MariaDB does: [-]HH:MM:SS with at
// least two digits of hours, and scale (0 to 6) fractional digits, cut
// (not rounded).
func FormatTime(d time.Duration, scale int) string {
	var b []byte
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	us := int64(d / time.Microsecond)
	sec := us / 1e6
	h, m, s := sec/3600, sec/60%60, sec%60
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if scale > 0 {
		frac := fmt.Sprintf("%06d", us%1e6)
		b = append(b, '.')
		b = append(b, frac[:min(scale, 6)]...)
	}
	return string(b)
}

// TimeNumber is a TIME value as a number, as MariaDB reads one in a
// numeric context: HHMMSS with the fraction after the point (-10203.5 for
// -01:02:03.5), an integer when there is no fraction.
func TimeNumber(d time.Duration, scale int) any {
	neg := d < 0
	if neg {
		d = -d
	}
	us := int64(d / time.Microsecond)
	sec := us / 1e6
	hms := sec/3600*10000 + sec/60%60*100 + sec%60
	if neg {
		hms = -hms
	}
	if scale <= 0 {
		return hms
	}
	frac := decimal.New(us%1e6, -6)
	if neg {
		frac = frac.Neg()
	}
	return decimal.NewFromInt(hms).Add(frac).Truncate(int32(min(scale, 6)))
}

// timeParse is the outcome of reading a TIME.
type timeParse int

const (
	timeOK        timeParse = iota
	timeTruncated           // a time followed by text that is not part of it
	timeRange               // a time outside ±MaxTime (clipped)
	timeBad                 // no time at all: 00:00:00
)

// ParseTime reads s as a TIME (see parseTimeText); ok is false unless all
// of s is a time within ±MaxTime.
func ParseTime(s string) (d time.Duration, ok bool) {
	d, how := parseTimeText(s)
	return d, how == timeOK
}

// ParseTimePrefix reads the time s starts with, as CAST(s AS TIME) does:
// ok is false when s starts with no time at all; trailing reports text
// after the time (dropped), clipped a time outside ±MaxTime (clipped to
// it).
func ParseTimePrefix(s string) (d time.Duration, trailing, clipped, ok bool) {
	d, how := parseTimeText(s)
	if how == timeTruncated && exponentAfterDigits(s) {
		return 0, false, false, false // '1e2' is a number, and no time
	}
	return d, how == timeTruncated, how == timeRange, how != timeBad
}

// exponentAfterDigits reports whether s is digits followed by an
// exponent (1e2, 12E-3): MariaDB reads no time from it.
func exponentAfterDigits(s string) bool {
	s = strings.TrimLeft(strings.TrimSpace(s), "-")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i+1 >= len(s) || s[i] != 'e' && s[i] != 'E' {
		return false
	}
	j := i + 1
	if s[j] == '+' || s[j] == '-' {
		j++
	}
	return j < len(s) && s[j] >= '0' && s[j] <= '9'
}

// parseTimeText reads the text forms MariaDB takes for a TIME:
// [-][D ]HH:MM:SS[.frac], [-][D ]HH:MM, [-]HHMMSS[.frac] and its shorter
// forms (MMSS, SS), and a date and time (its time part). The result is cut
// to whole microseconds and clipped to the TIME range; how says what
// happened.
func parseTimeText(s string) (d time.Duration, how timeParse) {
	s = strings.TrimSpace(s)
	// A date and time gives its time; a date alone is no date here, but
	// digits and trailing text ('2024-01-15' is 00:20:24, truncated).
	if t, ok := parseTime(s); ok && strings.ContainsAny(s, "- /") && len(s) >= 8 && s[0] != '-' && hasTimePart(s) {
		return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
			time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()/1000)*time.Microsecond, timeOK
	}
	neg := false
	p := s
	if strings.HasPrefix(p, "-") {
		neg, p = true, p[1:]
	}
	num := func() (int64, int, bool) { // digits at the start of p
		i := 0
		var v int64
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			if v < 1e12 {
				v = v*10 + int64(p[i]-'0')
			}
			i++
		}
		if i == 0 {
			return 0, 0, false
		}
		p = p[i:]
		return v, i, true
	}
	first, digits, ok := num()
	if !ok {
		return 0, timeBad
	}
	var days, h, m, sec int64
	// minSec reads ":MM[:SS]" if p starts with a colon; false: digits missing.
	minSec := func() bool {
		if len(p) == 0 || p[0] != ':' {
			return true
		}
		p = p[1:]
		if m, _, ok = num(); !ok {
			return false
		}
		if len(p) > 0 && p[0] == ':' {
			p = p[1:]
			sec, _, ok = num()
		}
		return ok
	}
	switch {
	case len(p) > 0 && p[0] == ' ' && len(p) > 1 && p[1] >= '0' && p[1] <= '9':
		// D HH[:MM[:SS]]
		days = first
		p = p[1:]
		h, _, _ = num()
		if !minSec() {
			return 0, timeBad
		}
	case len(p) > 0 && p[0] == ':':
		h = first
		if !minSec() {
			return 0, timeBad
		}
	default: // [H..]HHMMSS
		if digits > 7 {
			return 0, timeBad
		}
		h, m, sec = first/10000, first/100%100, first%100
	}
	var us int64
	if len(p) > 1 && p[0] == '.' && p[1] >= '0' && p[1] <= '9' {
		p = p[1:]
		n := 0
		for len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
			if n < 6 {
				us = us*10 + int64(p[0]-'0')
				n++
			}
			p = p[1:]
		}
		for ; n < 6; n++ {
			us *= 10
		}
	}
	return finishTime(neg, days, h, m, sec, us, strings.TrimSpace(p) != "")
}

// hasTimePart reports whether s, text that reads as a date or a date and
// time, has a time after its date: a space or a T and a digit after the
// date's digits.
func hasTimePart(s string) bool {
	i := strings.IndexAny(s, " T")
	if i <= 0 {
		return false
	}
	rest := strings.TrimLeft(s[i:], " T")
	return rest != "" && rest[0] >= '0' && rest[0] <= '9'
}

// finishTime builds a TIME from its parts (us: microseconds); trailing
// says text followed the time.
func finishTime(neg bool, days, h, m, s, us int64, trailing bool) (time.Duration, timeParse) {
	if m > 59 || s > 59 {
		return 0, timeBad
	}
	hours := days*24 + h
	how := timeOK
	if trailing {
		how = timeTruncated
	}
	var d time.Duration
	if hours > 838 {
		d, how = MaxTime, timeRange
	} else {
		d = time.Duration(hours)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(us)*time.Microsecond
		if d > MaxTime {
			d, how = MaxTime, timeRange
		}
	}
	if neg {
		d = -d
	}
	return d, how
}

// timeValue reads v as a TIME for col (cut to col.Scale fractional
// digits), with how it read, and the text to quote in an error.
func timeValue(col *Column, v any) (d time.Duration, how timeParse, text string) {
	switch x := v.(type) {
	case time.Duration:
		d, text = x, FormatTime(x, 6)
		if d > MaxTime || d < -MaxTime {
			d, how = max(min(d, MaxTime), -MaxTime), timeRange
		}
	case time.Time:
		x = x.UTC()
		d = time.Duration(x.Hour())*time.Hour + time.Duration(x.Minute())*time.Minute +
			time.Duration(x.Second())*time.Second + time.Duration(x.Nanosecond()/1000)*time.Microsecond
		text = valueText(x)
	case int64, uint64, float64, decimal.Decimal:
		if f, ok := x.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return 0, timeBad, valueText(x)
		}
		n, _ := numberOf(x)
		text = valueText(v)
		neg := n.Sign() < 0
		n = n.Abs()
		ip := n.Truncate(0)
		if ip.Cmp(decimal.NewFromInt(99999999)) > 0 {
			return 0, timeBad, text
		}
		hms := ip.IntPart()
		us := n.Sub(ip).Shift(6).Truncate(0).IntPart()
		d, how = finishTime(neg, 0, hms/10000, hms/100%100, hms%100, us, false)
	default:
		text = textValue(v)
		d, how = parseTimeText(text)
	}
	unit := time.Second
	for i := 0; i < col.Scale && i < 6; i++ {
		unit /= 10
	}
	return d.Truncate(unit), how, text
}

// coerceTime is Coerce for a TIME column: anything but a valid time in
// range is error 1292.
func coerceTime(col *Column, v any, rowNum int) (any, error) {
	d, how, text := timeValue(col, v)
	if how != timeOK {
		return nil, sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect time value: '%s' for column '%s' at row %d", text, col.Name, rowNum)
	}
	return d, nil
}

// looseTime is CoerceLoose for a TIME column: a time out of range is
// clipped (1264), text after a time is dropped and text that is no time
// is 00:00:00 (1265).
func looseTime(col *Column, v any, rowNum int) (any, error) {
	d, how, _ := timeValue(col, v)
	switch how {
	case timeRange:
		return d, sqlerr.New(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row %d", col.Name, rowNum)
	case timeBad:
		d = 0
	}
	return d, sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", col.Name, rowNum)
}

// yearOf maps a number to a YEAR as MariaDB does: 0 stays 0 (0000), 1 to
// 69 are 2001 to 2069, 70 to 99 are 1970 to 1999, 1901 to 2155 are
// themselves; ok is false for anything else.
func yearOf(n int64) (int64, bool) {
	switch {
	case n == 0:
		return 0, true
	case n >= 1 && n <= 69:
		return 2000 + n, true
	case n >= 70 && n <= 99:
		return 1900 + n, true
	case n >= 1901 && n <= 2155:
		return n, true
	}
	return 0, false
}

// coerceYear is Coerce for a YEAR column. Text of one or two digits is a
// year of this century or the last ('0' and '00' are 2000); a number is
// read by yearOf after rounding. Errors: 1264 out of range, 1366 text
// that is no number, 1265 text after a number.
func coerceYear(col *Column, v any, rowNum int) (any, error) {
	outOfRange := sqlerr.New(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row %d", col.Name, rowNum)
	var n decimal.Decimal
	switch x := v.(type) {
	case int64, uint64, float64, decimal.Decimal:
		if f, ok := x.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return nil, outOfRange
		}
		n, _ = numberOf(x)
	case time.Time:
		n = decimal.NewFromInt(int64(x.Year()))
	default:
		s := strings.TrimSpace(textValue(v))
		if len(s) >= 1 && len(s) <= 2 && s[0] >= '0' && s[0] <= '9' && s[len(s)-1] >= '0' && s[len(s)-1] <= '9' {
			y, _ := strconv.Atoi(s)
			if y < 70 {
				return int64(2000 + y), nil
			}
			return int64(1900 + y), nil
		}
		p, err := decimal.NewFromString(s)
		if err != nil {
			if NumberPrefix(s) != "" {
				return nil, sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", col.Name, rowNum)
			}
			return nil, sqlerr.New(sqlerr.ErrTruncatedWrong, "Incorrect integer value: '%s' for column '%s' at row %d", s, col.Name, rowNum)
		}
		n = p
	}
	n = n.Round(0)
	if !n.BigInt().IsInt64() {
		return nil, outOfRange
	}
	y, ok := yearOf(n.IntPart())
	if !ok {
		return nil, outOfRange
	}
	return y, nil
}

// looseYear is CoerceLoose for a YEAR column: what coerceYear refuses is
// 0000 (text after a number: the number), with coerceYear's error as the
// warning.
func looseYear(col *Column, v any, rowNum int, err error) (any, error) {
	if sqlerr.Code(err) == sqlerr.ErrDataTruncated {
		if y, perr := coerceYear(col, NumberPrefix(textValue(v)), rowNum); perr == nil {
			return y, err
		}
	}
	return int64(0), err
}
