package sqlshim

import (
	"math"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/shopspring/decimal"
)

// This file holds the functions of TIME values: TIME_TO_SEC,
// SEC_TO_TIME, TIMEDIFF, ADDTIME and SUBTIME, and HOUR, MINUTE and
// SECOND of a TIME; and FIND_IN_SET, for SET values.

// timeArgColumn converts function arguments to TIME values.
var timeArgColumn = engine.Column{Name: "time", Type: engine.TypeTime, Scale: 6}

// toDuration reads v as a TIME (a TIME, text or a number in HHMMSS
// form, the time of day of a DATETIME); ok is false when it is none.
func toDuration(v any) (time.Duration, bool) {
	cv, err := engine.Coerce(&timeArgColumn, v, 1)
	if err != nil {
		return 0, false
	}
	d, ok := cv.(time.Duration)
	return d, ok
}

// clipTime limits d to the TIME range: a time past it is ±838:59:59,
// without a fraction, as MariaDB clips a function's result.
func clipTime(d time.Duration) time.Duration {
	if d > engine.MaxTime || d < -engine.MaxTime {
		return max(min(d, maxClippedTime), -maxClippedTime)
	}
	return d
}

// maxClippedTime is what a TIME past the range is clipped to.
const maxClippedTime = engine.MaxTime / time.Second * time.Second

// clipTimeResult is clipTime for d, the result of x (TIMEDIFF, ADDTIME
// or SUBTIME), with MariaDB's warning when it clips: the limit keeps as
// many of the digits of 838:59:59.999999 as x's type shows
// (temporalScale), TIMEDIFF(t2, t) of TIME(2) values is 838:59:59.99.
func (c *evalCtx) clipTimeResult(x ast.ExprNode, d time.Duration) time.Duration {
	if d <= engine.MaxTime && d >= -engine.MaxTime {
		return d
	}
	c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect time value: '%s'", engine.FormatTime(d, timeScale(d)))
	limit := maxClippedTime
	if n, ok := temporalScale(c.ti, x); ok && n > 0 {
		unit := time.Duration(math.Pow10(6-n)) * time.Microsecond
		limit = engine.MaxTime / unit * unit
	}
	return max(min(d, limit), -limit)
}

// typeFunc runs the TIME or SET function name on args; handled is false
// when name is not one of them.
func (c *evalCtx) typeFunc(name string, x *ast.FuncCallExpr, args []any) (v any, handled bool, err error) {
	switch name {
	case "find_in_set":
		if err := argCount(name, x.Args, 2, 2); err != nil {
			return nil, true, err
		}
		if args[0] == nil || args[1] == nil {
			return nil, true, nil
		}
		coll, err := c.compareColl("find_in_set", x.Args...)
		if err != nil {
			return nil, true, err
		}
		return findInSet(toString(args[0]), toString(args[1]), coll), true, nil
	case "time_to_sec", "sec_to_time":
		if err := argCount(name, x.Args, 1, 1); err != nil {
			return nil, true, err
		}
	case "timediff", "addtime", "subtime", "time_format":
		if err := argCount(name, x.Args, 2, 2); err != nil {
			return nil, true, err
		}
	case "convert_tz":
		if err := argCount(name, x.Args, 3, 3); err != nil {
			return nil, true, err
		}
	default:
		return nil, false, nil
	}
	for _, a := range args {
		if a == nil {
			return nil, true, nil
		}
	}
	switch name {
	case "time_format": // funcs_timefmt.go
		d, ok := toDuration(args[0])
		if !ok {
			return nil, true, nil
		}
		if s, ok := timeFormat(d, toString(args[1])); ok {
			return s, true, nil
		}
		return nil, true, nil
	case "convert_tz":
		t, ok := toTime(args[0])
		if !ok {
			return nil, true, nil
		}
		if r, ok := convertTZ(t, toString(args[1]), toString(args[2])); ok {
			return r, true, nil
		}
		return nil, true, nil
	case "time_to_sec":
		d, ok := toDuration(args[0])
		if !ok {
			return nil, true, nil
		}
		if n, ok := timeArgScale(c.ti, x.Args[0]); ok && n > 0 {
			// The digits of the argument's type: TIME_TO_SEC of a
			// DATETIME(3) is 43200.500, 37230.000.
			return decimal.New(int64(d/time.Microsecond), -6).Truncate(int32(n)), true, nil
		}
		if d%time.Second != 0 {
			return decimal.New(int64(d/time.Microsecond), -6), true, nil
		}
		return int64(d / time.Second), true, nil
	case "sec_to_time":
		s := toDecimal(args[0])
		us := s.Shift(6).Truncate(0)
		if !us.BigInt().IsInt64() || abs64(us.IntPart()) > int64(engine.MaxTime/time.Microsecond) {
			c.warning(sqlerr.ErrTruncatedValue, "Truncated incorrect seconds value: '%s'", toString(args[0]))
			if s.Sign() < 0 {
				return -maxClippedTime, true, nil
			}
			return maxClippedTime, true, nil
		}
		return time.Duration(us.IntPart()) * time.Microsecond, true, nil
	case "timediff":
		// Two DATETIMEs (or their text) differ by their distance; a
		// DATETIME and a TIME give NULL, as in MariaDB.
		a, aDT := asDateTime(args[0])
		b, bDT := asDateTime(args[1])
		if aDT || bDT {
			if aDT && bDT {
				return c.clipTimeResult(x, a.Sub(b)), true, nil
			}
			return nil, true, nil
		}
		da, ok1 := toDuration(args[0])
		db, ok2 := toDuration(args[1])
		if !ok1 || !ok2 {
			return nil, true, nil
		}
		return c.clipTimeResult(x, da-db), true, nil
	}
	// ADDTIME, SUBTIME
	b, ok := toDuration(args[1])
	if !ok {
		return nil, true, nil
	}
	if name == "subtime" {
		b = -b
	}
	if t, ok := args[0].(time.Time); ok {
		return t.Add(b), true, nil
	}
	if s, ok := args[0].(string); ok && len(s) > 10 {
		if t, ok := parseTime(s); ok {
			return t.Add(b), true, nil
		}
	}
	a, ok := toDuration(args[0])
	if !ok {
		return nil, true, nil
	}
	return c.clipTimeResult(x, a+b), true, nil
}

// durationPart is HOUR, MINUTE or SECOND of a TIME value (the hours can
// pass 23; the sign is dropped, as MariaDB does).
func durationPart(name string, d time.Duration) any {
	if d < 0 {
		d = -d
	}
	sec := int64(d / time.Second)
	switch name {
	case "hour":
		return sec / 3600
	case "minute":
		return sec / 60 % 60
	}
	return sec % 60
}

// findInSet is FIND_IN_SET(s, list): the 1-based position of s among the
// comma-separated items of list, 0 when it is not one (or holds a comma).
func findInSet(s, list string, coll *collate.Collation) int64 {
	if strings.Contains(s, ",") || list == "" {
		return 0
	}
	for i, item := range strings.Split(list, ",") {
		if coll != nil && coll.Equal(item, s) || coll == nil && compareStrings(item, s) == 0 {
			return int64(i + 1)
		}
	}
	return 0
}

// asDateTime reads v as a DATETIME when it is one, or text with a date
// part ('2024-01-02 10:00:00', not '10:00:00' nor '-01:00').
func asDateTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string, []byte:
		s := strings.TrimSpace(toString(x))
		if s == "" || s[0] == '-' || !strings.ContainsAny(s, "-/") {
			return time.Time{}, false
		}
		return parseTime(s)
	}
	return time.Time{}, false
}
