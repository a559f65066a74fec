package sqlshim

import (
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// This file gives zero dates (engine.ZeroDate: '0000-00-00', '2024-00-10')
// MariaDB's behaviour in expressions and under sql_mode NO_ZERO_DATE,
// NO_ZERO_IN_DATE and ALLOW_INVALID_DATES.

var (
	modeNoZeroInDate      = mustMode("NO_ZERO_IN_DATE")
	modeNoZeroDate        = mustMode("NO_ZERO_DATE")
	modeAllowInvalidDates = mustMode("ALLOW_INVALID_DATES")
)

// asZeroDate reads v as a zero date: an engine.ZeroDate as it is, text
// that engine.ParseZeroDate reads (a day past its month's end included).
// Numbers are not read: in a comparison they compare as numbers.
func asZeroDate(v any) (engine.ZeroDate, bool) {
	switch v.(type) {
	case engine.ZeroDate, string, []byte:
		z, _, ok := engine.ParseZeroDate(v)
		return z, ok
	}
	return engine.ZeroDate{}, false
}

// compareZeroDate compares a and b when one is a zero date, or a date
// against text that reads as one, as MariaDB compares dates: by year,
// month, day and time; a zero date against a number by its number
// (YYYYMMDD, YYYYMMDDhhmmss). ok is false when neither is a zero date.
func compareZeroDate(a, b any) (int, bool) {
	z, ok := a.(engine.ZeroDate)
	if !ok {
		if _, ok := b.(engine.ZeroDate); ok {
			c, _ := compareZeroDate(b, a)
			return -c, true
		}
		// A real date against text holding a zero date.
		if t, ok := a.(time.Time); ok {
			if y, ok := asZeroDate(b); ok {
				return -y.Compare(t), true
			}
		}
		if t, ok := b.(time.Time); ok {
			if x, ok := asZeroDate(a); ok {
				return x.Compare(t), true
			}
		}
		return 0, false
	}
	switch y := b.(type) {
	case engine.ZeroDate, time.Time:
		return z.Compare(y), true
	case string, []byte:
		if t, ok := parseTime(toString(y)); ok {
			return z.Compare(t), true
		}
		if w, ok := asZeroDate(y); ok {
			return z.Compare(w), true
		}
		return compareValues(toString(z), y), true
	}
	if isNumeric(b) {
		return compareValues(z.Number(), b), true
	}
	return compareValues(toString(z), toString(b)), true
}

// zeroDateIsNull reports whether x, a WHERE condition's `col IS NULL`,
// matches the value v: MariaDB finds the zero date of a NOT NULL DATE or
// DATETIME column with IS NULL there (and only there: in the select list
// it is 0).
func (c *evalCtx) zeroDateIsNull(x *ast.IsNullExpr, v any) bool {
	z, ok := v.(engine.ZeroDate)
	if !ok || !z.IsZero() || c.clause != "WHERE" {
		return false
	}
	cn, ok := x.Expr.(*ast.ColumnNameExpr)
	if !ok {
		return false
	}
	col := c.columnDef(cn.Name)
	return col != nil && col.NotNull && (col.Type == engine.TypeDate || col.Type == engine.TypeDateTime)
}

// zeroDateMode applies sql_mode's NO_ZERO_DATE and NO_ZERO_IN_DATE to cv,
// a value converted for column c: a zero date they forbid is error 1292
// in strict mode; otherwise it is stored as the zero date with warning
// 1264 (the zero date) or 1265 (a zero month or day), as MariaDB does.
func (x *execCtx) zeroDateMode(ti *tableInfo, c *engine.Column, v, cv any, rowNum int) (any, error) {
	z, ok := cv.(engine.ZeroDate)
	m := x.s.sqlMode
	if !ok || z.Month != 0 && z.Day != 0 || !m.has(modeNoZeroDate) && !m.has(modeNoZeroInDate) {
		return cv, nil
	}
	var code int
	switch {
	case z.Year == 0 && z.Month == 0 && z.Day == 0:
		if !m.has(modeNoZeroDate) {
			return cv, nil
		}
		code = sqlerr.ErrOutOfRange
	case m.has(modeNoZeroInDate):
		code = sqlerr.ErrDataTruncated
	default:
		return cv, nil
	}
	if !x.loose {
		word := "datetime"
		if c.Type == engine.TypeDate {
			word = "date"
		}
		err := sqlerr.New(sqlerr.ErrTruncatedValue, "Incorrect %s value: '%s' for column '%s' at row %d", word, toString(v), c.Name, rowNum)
		return nil, qualifyColumn(err, x.s.DBName, ti.name, c.Name, rowNum)
	}
	if code == sqlerr.ErrOutOfRange {
		x.s.addWarning(code, "Out of range value for column '%s' at row %d", c.Name, rowNum)
	} else {
		x.s.addWarning(code, "Data truncated for column '%s' at row %d", c.Name, rowNum)
	}
	return engine.ZeroDate{DateOnly: z.DateOnly}, nil
}

// zeroDefaultAllowed reports whether sql_mode lets v, a column's DEFAULT,
// be a zero date: NO_ZERO_DATE and NO_ZERO_IN_DATE refuse theirs (MariaDB
// says 1067 whether or not the mode is strict).
func (m sqlMode) zeroDefaultAllowed(v any) bool {
	z, ok := v.(engine.ZeroDate)
	if !ok {
		return true
	}
	if z.Year == 0 && z.Month == 0 && z.Day == 0 {
		return !m.has(modeNoZeroDate)
	}
	return z.Month != 0 && z.Day != 0 || !m.has(modeNoZeroInDate)
}

// zeroDateParts gives YEAR(), MONTH(), DAY(), QUARTER(), TIME() and the clock functions of
// a zero date their MariaDB answers (the parts as written); ok is false
// when v is no zero date or fn is not one of these. Text with a day past
// its month's end is NULL with warning 1292 (unless sql_mode has
// ALLOW_INVALID_DATES).
func (c *evalCtx) zeroDateParts(fn string, v any) (any, bool) {
	z, ok := asZeroDate(v)
	if !ok {
		return nil, false
	}
	if _, stored := v.(engine.ZeroDate); !stored && fn != "time" && !c.s.sqlMode.has(modeAllowInvalidDates) {
		// Text naming a day past its month's end ('2024-02-30') is no
		// date: NULL with warning 1292.
		if _, invalidDay, _ := engine.ParseZeroDate(v); invalidDay {
			c.zeroDateWarning(v, z)
			return nil, true
		}
	}
	sec := int64(z.Clock / time.Second)
	switch fn {
	case "date":
		z.Clock, z.DateOnly = 0, true
		return z, true
	case "year":
		return int64(z.Year), true
	case "month":
		return int64(z.Month), true
	case "day", "dayofmonth":
		return int64(z.Day), true
	case "hour":
		return sec / 3600, true
	case "minute":
		return sec / 60 % 60, true
	case "second":
		return sec % 60, true
	case "microsecond":
		return int64(z.Clock % time.Second / time.Microsecond), true
	case "quarter":
		return int64(z.Month+2) / 3, true
	case "time":
		return z.Clock, true
	case "monthname", "last_day":
		// A month's name and last day need its month only; NULL without
		// a warning when it is zero.
		if z.Month == 0 {
			return nil, true
		}
		if fn == "monthname" {
			return time.Month(z.Month).String(), true
		}
		return time.Date(z.Year, time.Month(z.Month)+1, 0, 0, 0, 0, 0, time.UTC), true
	}
	return nil, false
}

// zeroDateNull lists the date functions that are NULL for a zero date
// argument, with warning 1292, as in MariaDB (YEAR(), MONTH() and the like
// read its parts instead, MONTHNAME() and LAST_DAY() its month: zeroDateParts).
var zeroDateNull = map[string]bool{
	"dayname": true, "dayofweek": true, "dayofyear": true, "weekday": true, "to_days": true,
	"datediff": true, "week": true, "yearweek": true, "weekofyear": true,
}

// zeroDateArg reports whether an argument of the date function fn is a
// zero date that makes it NULL; it adds the warning MariaDB gives for
// text.
func (c *evalCtx) zeroDateArg(fn string, args []any) bool {
	if !zeroDateNull[fn] {
		return false
	}
	for _, a := range args {
		if z, ok := asZeroDate(a); ok {
			// MariaDB warns for text it reads as a date, not for a
			// date column's value.
			if _, stored := a.(engine.ZeroDate); !stored {
				c.zeroDateWarning(a, z)
			}
			return true
		}
	}
	return false
}

// fromDaysDiff is DATEDIFF(args) when one of them is the zero date
// FROM_DAYS gives a day number below 366: MariaDB counts that one as day
// 0 (DATEDIFF('1999-12-31', FROM_DAYS(1)) is 730484), where another zero
// date makes DATEDIFF NULL. ok is false when neither is.
func (c *evalCtx) fromDaysDiff(x *ast.FuncCallExpr, args []any) (v any, ok bool) {
	var days [2]int64
	zero := [2]bool{}
	for i, a := range args {
		if f, isCall := unparen(x.Args[i]).(*ast.FuncCallExpr); isCall && f.FnName.L == "from_days" {
			_, zero[i] = asZeroDate(a)
		}
	}
	if !zero[0] && !zero[1] {
		return nil, false
	}
	for i, a := range args {
		if zero[i] {
			continue // day 0
		}
		t, isTime := toTime(a)
		if !isTime {
			if a != nil {
				c.warning(sqlerr.ErrTruncatedValue, "Incorrect datetime value: '%s'", toString(a))
			}
			return nil, true
		}
		days[i] = dayNumber(t)
	}
	return days[0] - days[1], true
}

// zeroDateWarning adds MariaDB's warning for a zero date v (read as z)
// given to a function that needs a real date.
func (c *evalCtx) zeroDateWarning(v any, z engine.ZeroDate) {
	text := toString(v)
	if _, ok := v.(engine.ZeroDate); ok {
		text = z.String()
	}
	c.warning(sqlerr.ErrTruncatedValue, "Incorrect datetime value: '%s'", text)
}

// castZeroDate is CAST(v AS DATE) (dateOnly) or AS DATETIME(scale) of a
// zero date: the zero date, or NULL where sql_mode forbids it. ok is false
// when v is no zero date.
func (c *evalCtx) castZeroDate(v any, dateOnly bool, scale int) (any, bool) {
	z, ok := asZeroDate(v)
	if !ok {
		return nil, false
	}
	if z.Month != 0 && z.Day != 0 && !c.s.sqlMode.has(modeAllowInvalidDates) || !c.s.sqlMode.zeroDefaultAllowed(z) {
		c.zeroDateWarning(v, z)
		return nil, true
	}
	z.DateOnly = dateOnly
	if dateOnly {
		z.Clock = 0
	} else {
		unit := time.Second
		for i := 0; i < scale && i < 6; i++ {
			unit /= 10
		}
		z.Clock = z.Clock.Truncate(unit)
	}
	return z, true
}

// looseZeroDate is what a non-strict assignment (INSERT IGNORE, sql_mode
// without STRICT_*, LOAD DATA LOCAL) stores for v, which column c of a
// date type refused with err: the zero date, with warning 1265 (1264 for
// a real date outside a TIMESTAMP's range), as MariaDB does. ok is false
// in strict mode or for any other error.
func (x *execCtx) looseZeroDate(c *engine.Column, v any, err error, rowNum int) (any, bool) {
	if !x.loose || !c.Type.IsTime() || sqlerrCode(err) != sqlerr.ErrTruncatedValue {
		return nil, false
	}
	if c.Type == engine.TypeTimestamp {
		if _, ok := toTime(v); ok {
			x.s.addWarning(sqlerr.ErrOutOfRange, "Out of range value for column '%s' at row %d", c.Name, rowNum)
			return engine.ZeroDate{}, true
		}
	}
	x.s.addWarning(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", c.Name, rowNum)
	return engine.ZeroDate{DateOnly: c.Type == engine.TypeDate}, true
}
