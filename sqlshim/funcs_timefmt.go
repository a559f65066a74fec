package sqlshim

import (
	"fmt"
	"strings"
	"time"
)

// timeFormat is TIME_FORMAT(d, f): DATE_FORMAT's time specifiers on a
// TIME, whose hours may pass 23 (%H and %k show them all, %h, %I, %l and
// %p take them modulo 24 then 12). A date specifier makes the result NULL
// (ok false), as in MariaDB; a negative TIME gets a leading '-'.
func timeFormat(d time.Duration, f string) (s string, ok bool) {
	if f == "" {
		return "", false // NULL, as in MariaDB
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	h := int64(d / time.Hour)
	m := int64(d/time.Minute) % 60
	sec := int64(d/time.Second) % 60
	us := int64(d/time.Microsecond) % 1e6
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := "AM"
	if h%24 >= 12 {
		ampm = "PM"
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'H':
			fmt.Fprintf(&b, "%02d", h)
		case 'k':
			fmt.Fprintf(&b, "%d", h)
		case 'h', 'I':
			fmt.Fprintf(&b, "%02d", h12)
		case 'l':
			fmt.Fprintf(&b, "%d", h12)
		case 'i':
			fmt.Fprintf(&b, "%02d", m)
		case 's', 'S':
			fmt.Fprintf(&b, "%02d", sec)
		case 'f':
			fmt.Fprintf(&b, "%06d", us)
		case 'p':
			b.WriteString(ampm)
		case 'r':
			fmt.Fprintf(&b, "%02d:%02d:%02d %s", h12, m, sec, ampm)
		case 'T':
			fmt.Fprintf(&b, "%02d:%02d:%02d", h, m, sec)
		case 'a', 'b', 'c', 'D', 'd', 'e', 'j', 'M', 'm', 'U', 'u', 'V', 'v', 'W', 'w', 'X', 'x', 'Y', 'y':
			return "", false
		default:
			b.WriteByte(f[i]) // %% is '%', an unknown letter itself
		}
	}
	return b.String(), true
}

// zoneOffset reads a CONVERT_TZ time zone: '+HH:MM' from -12:59 to
// +13:00, or SYSTEM (blitz runs in UTC). Named zones need MariaDB's time
// zone tables, which a fresh server lacks: like it, ok is false for them.
func zoneOffset(z string) (off time.Duration, ok bool) {
	if strings.EqualFold(z, "SYSTEM") {
		return 0, true
	}
	return parseOffset(z) // timezone.go: as SET time_zone reads it
}

// convertTZ is CONVERT_TZ(t, from, to); NULL (ok false) when a zone is not
// one zoneOffset reads. A result past the DATETIME range leaves t as it
// is, as in MariaDB.
func convertTZ(t time.Time, from, to string) (time.Time, bool) {
	f, ok1 := zoneOffset(from)
	o, ok2 := zoneOffset(to)
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	r := t.Add(o - f)
	if r.Year() < 1 || r.Year() > 9999 {
		return t, true
	}
	return r, true
}
