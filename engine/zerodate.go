package engine

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/internal/keyenc"
)

// This file holds the DATE, DATETIME and TIMESTAMP values that a
// time.Time cannot hold, as MariaDB keeps them: the zero date, dates with
// a zero month or day, and (under ALLOW_INVALID_DATES) days past their
// month's end.

// ZeroDate is a DATE, DATETIME or TIMESTAMP value that time.Time cannot
// hold: the zero date '0000-00-00' (and '0000-00-00 00:00:00'), a date with
// a zero month or day ('2024-00-10', '2024-05-00'), or a day past its
// month's end ('2024-02-30', stored under sql_mode ALLOW_INVALID_DATES).
// Every other date is a time.Time, so a column holds values of both types.
//
// Year is 0 to 9999, Month 0 to 12, Day 0 to 31, Clock the time of day in
// whole microseconds (below 24h). DateOnly marks a DATE column's value,
// which prints without the time; it takes no part in comparisons.
type ZeroDate struct {
	Year, Month, Day int
	Clock            time.Duration
	DateOnly         bool
}

// IsZero reports whether z is the zero date, '0000-00-00 00:00:00'.
func (z ZeroDate) IsZero() bool { return z.Year == 0 && z.Month == 0 && z.Day == 0 && z.Clock == 0 }

// String prints z as MariaDB does: YYYY-MM-DD for a DATE, else
// YYYY-MM-DD HH:MM:SS followed by the fraction when there is one.
func (z ZeroDate) String() string {
	if z.DateOnly {
		return z.Format(true, 0)
	}
	scale := 0
	if z.Clock%time.Second != 0 {
		scale = 6
	}
	return z.Format(false, scale)
}

// Format prints z as a DATE (dateOnly) or as a DATETIME with scale
// fractional digits (0 to 6, cut).
func (z ZeroDate) Format(dateOnly bool, scale int) string {
	s := fmt.Sprintf("%04d-%02d-%02d", z.Year, z.Month, z.Day)
	if dateOnly {
		return s
	}
	return s + " " + FormatTime(z.Clock, scale)
}

// Number is z in a numeric context: YYYYMMDD for a DATE, YYYYMMDDhhmmss
// for a DATETIME, as MariaDB reads '2024-00-10' + 0.
func (z ZeroDate) Number() int64 {
	n := int64(z.Year)*10000 + int64(z.Month)*100 + int64(z.Day)
	if z.DateOnly {
		return n
	}
	sec := int64(z.Clock / time.Second)
	return n*1000000 + sec/3600*10000 + sec/60%60*100 + sec%60
}

// Compare orders z against another date value (a ZeroDate or a
// time.Time) by year, month, day and time of day, as MariaDB compares
// dates: -1, 0 or +1.
func (z ZeroDate) Compare(t any) int {
	return cmp.Compare(z.packed(), packedDate(t))
}

// packed is z as one number that orders dates as MariaDB does: the
// microseconds of a day, plus 86400e6 per day, 32 days per month, 13
// months per year. Part of the row and key formats (rowcodec.go, keys.go):
// must not change.
func (z ZeroDate) packed() uint64 {
	return ((uint64(z.Year)*13+uint64(z.Month))*32+uint64(z.Day))*uint64(24*time.Hour/time.Microsecond) +
		uint64(z.Clock/time.Microsecond)
}

// unpackZeroDate is the inverse of packed; ok is false for a number no
// ZeroDate packs to.
func unpackZeroDate(p uint64) (ZeroDate, bool) {
	day := uint64(24 * time.Hour / time.Microsecond)
	clock, p := p%day, p/day
	d, p := p%32, p/32
	m, y := p%13, p/13
	z := ZeroDate{Year: int(y), Month: int(m), Day: int(d), Clock: time.Duration(clock) * time.Microsecond}
	return z, y <= 9999 && !fitsTime(z.Year, z.Month, z.Day)
}

// packedDate is a date value (time.Time or ZeroDate) as ZeroDate.packed
// numbers it.
func packedDate(v any) uint64 {
	switch x := v.(type) {
	case ZeroDate:
		return x.packed()
	case time.Time:
		if x.Year() < 0 || x.Year() > 9999 {
			if x.Year() < 0 {
				return 0
			}
			return ^uint64(0)
		}
		clock := time.Duration(x.Hour())*time.Hour + time.Duration(x.Minute())*time.Minute +
			time.Duration(x.Second())*time.Second + time.Duration(x.Nanosecond()/1000)*time.Microsecond
		return ZeroDate{Year: x.Year(), Month: int(x.Month()), Day: x.Day(), Clock: clock}.packed()
	}
	return 0
}

// keyAnchor is the microsecond (since the Unix epoch) before the first
// instant a time.Time holds that comes after z: z's index key sorts just
// after that microsecond's (keyenc.AppendIntAfter).
func (z ZeroDate) keyAnchor() int64 {
	y, m := z.Year, time.Month(z.Month)
	switch {
	case m == 0:
		m = 1
	case z.Day != 0: // a day past the month's end: the next month's first
		m++
	}
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).UnixMicro() - 1
}

// appendZeroDateKey appends the memcomparable key of z: after every
// earlier real instant, before every later one, and among ZeroDates in
// their order.
func appendZeroDateKey(b []byte, z ZeroDate) []byte {
	return keyenc.AppendIntAfter(b, z.keyAnchor(), z.packed())
}

// fitsTime reports whether year-month-day is a real date of MariaDB's
// calendar.
func fitsTime(y, m, d int) bool {
	if m < 1 || m > 12 || d < 1 || y == 0 && m == 2 && d == 29 {
		return false
	}
	return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ParseZeroDate reads text (or a number) as a date that time.Time cannot
// hold: 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' (any punctuation between the
// date's parts), 'YYYYMMDD[hhmmss]', or the number 0. ok is false for
// anything else, including a real date. invalidDay is set when the
// month and day are not zero but the day is past the month's end
// ('2024-02-30'), a value only ALLOW_INVALID_DATES stores.
func ParseZeroDate(v any) (z ZeroDate, invalidDay, ok bool) {
	var s string
	switch x := v.(type) {
	case ZeroDate:
		return x, x.Month != 0 && x.Day != 0, true
	case int64:
		s = strconv.FormatInt(x, 10)
		if x == 0 {
			return ZeroDate{}, false, true
		}
	case uint64:
		s = strconv.FormatUint(x, 10)
	case string:
		s = strings.TrimSpace(x)
	case []byte:
		s = strings.TrimSpace(string(x))
	default:
		return ZeroDate{}, false, false
	}
	var parts [7]int
	n := 0
	if (len(s) == 8 || len(s) == 14) && strings.Trim(s, "0123456789") == "" {
		for i := 0; i < len(s); i += 2 {
			w := 2
			if i == 0 {
				w, i = 4, 2
			}
			p, _ := strconv.Atoi(s[i+2-w : i+2])
			parts[n] = p
			n++
		}
	} else {
		i := 0
		for n < 7 {
			start := i
			val := 0
			for i < len(s) && s[i] >= '0' && s[i] <= '9' && i-start < 6 {
				val = val*10 + int(s[i]-'0')
				i++
			}
			if i == start || (n == 0 && i-start != 4) || (n > 0 && n < 6 && i-start > 2) {
				return ZeroDate{}, false, false
			}
			parts[n] = val
			if n == 6 {
				for k := i - start; k < 6; k++ {
					parts[n] *= 10
				}
			}
			n++
			if i == len(s) {
				break
			}
			sep := s[i]
			switch {
			case n < 3 && (sep == '-' || sep == '/' || sep == '.'):
			case n == 3 && (sep == ' ' || sep == 'T'):
			case (n == 4 || n == 5) && sep == ':':
			case n == 6 && sep == '.':
			default:
				return ZeroDate{}, false, false
			}
			i++
		}
		if i != len(s) || n < 3 {
			return ZeroDate{}, false, false
		}
	}
	y, m, d, h, mi, sec := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]
	if m > 12 || d > 31 || h > 23 || mi > 59 || sec > 59 || fitsTime(y, m, d) {
		return ZeroDate{}, false, false
	}
	z = ZeroDate{Year: y, Month: m, Day: d, Clock: time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute +
		time.Duration(sec)*time.Second + time.Duration(parts[6])*time.Microsecond}
	return z, m != 0 && d != 0, true
}

// coerceZeroDate is Coerce for a date value of col that time.Time cannot
// hold (ParseZeroDate): the zero date fits every date column, a zero month
// or day fits DATE and DATETIME, a day past the month's end only with
// allowInvalid. ok is false when v is no such value for col.
func coerceZeroDate(col *Column, v any, allowInvalid bool) (ZeroDate, bool) {
	z, invalidDay, ok := ParseZeroDate(v)
	if !ok || invalidDay && !allowInvalid {
		return ZeroDate{}, false
	}
	switch col.Type {
	case TypeDate:
		z.Clock, z.DateOnly = 0, true
	case TypeTimestamp:
		if !z.IsZero() {
			return ZeroDate{}, false
		}
		z.DateOnly = false
	default:
		z.DateOnly = false
		unit := time.Duration(1)
		for i := clamp(col.Scale, 0, 6); i < 6; i++ {
			unit *= 10
		}
		z.Clock = z.Clock / time.Microsecond / unit * unit * time.Microsecond
	}
	return z, true
}

// CoerceInvalidDate is Coerce for sql_mode ALLOW_INVALID_DATES: a DATE or
// DATETIME takes any day from 1 to 31 in any month ('2024-02-30'). It
// returns Coerce's answer for anything else.
func CoerceInvalidDate(col *Column, v any, rowNum int) (any, error) {
	if col.Type == TypeDate || col.Type == TypeDateTime {
		if z, ok := coerceZeroDate(col, v, true); ok {
			return z, nil
		}
	}
	return Coerce(col, v, rowNum)
}

// InCalendar reports whether t's day is one of MariaDB's calendar, which
// is Go's proleptic Gregorian one but for year 0: MariaDB gives it 365
// days, so '0000-02-29' is no date there (a day past its month's end).
func InCalendar(t time.Time) bool {
	return t.Year() != 0 || t.Month() != 2 || t.Day() != 29
}
