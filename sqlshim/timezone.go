package sqlshim

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// This file keeps a session's @@time_zone and applies it.
//
// A TIMESTAMP column holds an instant: the engine stores it as UTC
// (microseconds since the epoch, engine/rowcodec.go), whatever zone the
// session that wrote it was in, and that format does not change here.
// Inside the SQL layer every time value is a wall-clock time (a time.Time
// in UTC whose fields are the value), so a TIMESTAMP value is converted at
// the edge between the two: rows read from a table are shifted into the
// session's zone (shiftRead), rows written are shifted back to UTC
// (storedRow), and constants that become index keys or engine pre-filters
// are shifted like stored values (storedKey). DATETIME columns are never
// converted. NOW() and the other local clocks give the session's wall
// clock; UTC_TIMESTAMP() and UNIX_TIMESTAMP() do not depend on the zone.
//
// The zones are those of a MariaDB without time zone tables (mariadb-
// install-db does not load them): SYSTEM and fixed offsets '+hh:mm' from
// -12:59 to +13:00. A named zone ('UTC', 'Europe/Berlin') is error 1298,
// as there. Blitz's system zone is UTC, whatever the machine's (the TZ
// environment variable, /etc/localtime) says, so that a database reads
// the same on every machine and NOW() keeps what it gave before sessions
// had a zone; @@system_time_zone says UTC. Because every zone is a fixed
// offset, converting keeps the order of values: an index on a TIMESTAMP
// column serves any zone, and no local time is ambiguous or skipped.
//
// ALTER TABLE changing a column to or from TIMESTAMP converts the stored
// values in the session's zone, as MariaDB does
// (engine.DB.AlterColumnsInZone, whose update-log record carries the
// zone for the replay).

// timeZone is a value of @@time_zone. The zero value is SYSTEM.
type timeZone struct {
	off  time.Duration // east of UTC
	name string        // as @@time_zone shows it; "" is SYSTEM
}

// String is the zone as @@time_zone shows it.
func (z timeZone) String() string {
	if z.name == "" {
		return "SYSTEM"
	}
	return z.name
}

// globalTimeZones holds @@global.time_zone of each database on which a
// session ran SET GLOBAL time_zone: the zone new sessions on it start in
// (under blitz serve, new connections). A database without an entry is
// SYSTEM. Entries stay while the process runs (one per such database).
var globalTimeZones sync.Map // *engine.DB -> timeZone

// defaultTimeZone is @@global.time_zone of db.
func defaultTimeZone(db *engine.DB) timeZone {
	if z, ok := globalTimeZones.Load(db); ok {
		return z.(timeZone)
	}
	return timeZone{}
}

// errUnknownTimeZone is MariaDB's ER_UNKNOWN_TIME_ZONE.
const errUnknownTimeZone = 1298

// parseTimeZone reads a value of SET time_zone: SYSTEM (any case) or an
// offset. NULL is 1231, a number 1232, anything else MariaDB would not
// take 1298.
func parseTimeZone(v any) (timeZone, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return timeZone{}, errf(sqlerr.ErrWrongValueForVar, "Variable 'time_zone' can't be set to the value of 'NULL'")
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return timeZone{}, errf(sqlerr.ErrWrongTypeForVar, "Incorrect argument type to variable 'time_zone'")
	}
	if strings.EqualFold(s, "SYSTEM") {
		return timeZone{}, nil
	}
	off, ok := parseOffset(s)
	if !ok {
		return timeZone{}, errf(errUnknownTimeZone, "Unknown or incorrect time zone: '%s'", s)
	}
	sign, a := '+', off
	if a < 0 {
		sign, a = '-', -a
	}
	return timeZone{off: off, name: fmt.Sprintf("%c%02d:%02d", sign, int(a/time.Hour), int(a%time.Hour/time.Minute))}, nil
}

// parseOffset reads a time zone offset as MariaDB does: a sign, hours,
// ':', minutes (at most 59), nothing else; from -12:59 to +13:00.
func parseOffset(s string) (time.Duration, bool) {
	if len(s) < 4 || s[0] != '+' && s[0] != '-' {
		return 0, false
	}
	digits := func(p string) (n int64, rest string) {
		i := 0
		for ; i < len(p) && p[i] >= '0' && p[i] <= '9'; i++ {
			if n < 1e6 {
				n = n*10 + int64(p[i]-'0')
			}
		}
		return n, p[i:]
	}
	h, rest := digits(s[1:])
	if len(rest) < 2 || rest[0] != ':' {
		return 0, false
	}
	m, rest := digits(rest[1:])
	if rest != "" || m > 59 {
		return 0, false
	}
	off := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[0] == '-' {
		off = -off
	}
	if off <= -13*time.Hour || off > 13*time.Hour {
		return 0, false
	}
	return off, true
}

// TimeZone returns the session's @@time_zone as it shows it: SYSTEM or
// '+hh:mm'.
func (s *Session) TimeZone() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tz.String()
}

// setTimeZone runs SET [GLOBAL] time_zone = v.
func (x *execCtx) setTimeZone(v *ast.VariableAssignment) error {
	z := defaultTimeZone(x.s.db)
	if _, ok := v.Value.(*ast.DefaultExpr); !ok && v.Value != nil {
		var val any
		if c, ok := v.Value.(*ast.ColumnNameExpr); ok && c.Name.Table.L == "" {
			val = c.Name.Name.O // a bare name: SET time_zone = SYSTEM
		} else {
			var err error
			if val, err = x.newEval(nil, "field list").eval(v.Value); err != nil {
				return err
			}
		}
		var err error
		if z, err = parseTimeZone(val); err != nil {
			return err
		}
	} else if v.IsGlobal {
		z = timeZone{} // SET GLOBAL time_zone = DEFAULT: SYSTEM
	}
	if v.IsGlobal {
		globalTimeZones.Store(x.s.db, z)
		return nil
	}
	x.s.tz = z
	return nil
}

// localNow is the statement's time on the session's wall clock: NOW().
func (c *evalCtx) localNow() time.Time {
	if c.s == nil {
		return c.now
	}
	return c.now.Add(c.s.tz.off)
}

// localNow is the statement's time on the session's wall clock: NOW().
func (x *execCtx) localNow() time.Time { return x.now.Add(x.s.tz.off) }

// zoneOff is the session's offset from UTC (0 without a session).
func (c *evalCtx) zoneOff() time.Duration {
	if c.s == nil {
		return 0
	}
	return c.s.tz.off
}

// shiftRead converts the TIMESTAMP values of row, as a table of def
// stores them (UTC), to the session's zone, in place. Rows the engine
// returns are the caller's to change.
func (x *execCtx) shiftRead(def *engine.TableDef, row engine.Row) {
	if off := x.s.tz.off; off != 0 {
		shiftStamps(def, row, off)
	}
}

// storedRow returns row with its TIMESTAMP values converted from the
// session's zone to UTC, as the engine stores them: row itself when there
// is nothing to convert, else a copy (the caller keeps row as the
// statement sees it, for RETURNING and VALUES()).
func (x *execCtx) storedRow(def *engine.TableDef, row engine.Row) engine.Row {
	off := x.s.tz.off
	if off == 0 || !hasStamps(def) {
		return row
	}
	out := append(engine.Row(nil), row...)
	shiftStamps(def, out, -off)
	return out
}

// storedKey converts v, a value of column c in the session's zone, to
// the form the engine stores (and keys) it in.
func (x *execCtx) storedKey(c *engine.Column, v any) any {
	if t, ok := v.(time.Time); ok && c.Type == engine.TypeTimestamp && x.s.tz.off != 0 {
		return t.Add(-x.s.tz.off)
	}
	return v
}

// storedKeys converts the values of key columns cols (positions in def)
// as storedKey does, in place.
func (x *execCtx) storedKeys(def *engine.TableDef, cols []int, vals []any) {
	if x.s.tz.off == 0 {
		return
	}
	for k, ci := range cols {
		if k < len(vals) && ci >= 0 {
			vals[k] = x.storedKey(&def.Columns[ci], vals[k])
		}
	}
}

func hasStamps(def *engine.TableDef) bool {
	for i := range def.Columns {
		if def.Columns[i].Type == engine.TypeTimestamp {
			return true
		}
	}
	return false
}

// shiftStamps adds d to every TIMESTAMP time of row (zero dates and NULL
// stay).
func shiftStamps(def *engine.TableDef, row engine.Row, d time.Duration) {
	for i := range def.Columns {
		if i < len(row) && def.Columns[i].Type == engine.TypeTimestamp {
			if t, ok := row[i].(time.Time); ok {
				row[i] = t.Add(d)
			}
		}
	}
}

// stampInRange checks that the TIMESTAMP value t of column c, written in
// the session's zone, is an instant a TIMESTAMP holds (engine.Coerce
// checked it as if the zone were UTC): 1292 otherwise, naming what was
// written.
func (x *execCtx) stampInRange(c *engine.Column, t time.Time, written any, rowNum int) error {
	off := x.s.tz.off
	if off == 0 || c.Type != engine.TypeTimestamp {
		return nil
	}
	if _, err := engine.Coerce(c, t.Add(-off), rowNum); err != nil {
		text, ok := written.(string)
		if !ok {
			text = t.Format("2006-01-02 15:04:05")
		}
		return errf(sqlerr.ErrTruncatedValue, "Incorrect datetime value: '%s' for column '%s' at row %d", text, c.Name, rowNum)
	}
	return nil
}

// storedNow is the statement's time as the engine stores it in column c,
// for rows that DDL fills in itself (ADD COLUMN ... DEFAULT
// CURRENT_TIMESTAMP): the instant for a TIMESTAMP, the session's wall
// clock for a DATETIME or DATE.
func (x *execCtx) storedNow(c *engine.Column) any {
	if c.Type == engine.TypeTimestamp {
		return nowFor(x.now, c)
	}
	return nowFor(x.localNow(), c)
}

// insertStored writes row (in the session's zone) as a new row of ti.
func (x *execCtx) insertStored(ti *tableInfo, row engine.Row) (uint64, error) {
	_, id, err := x.tx.Insert(ti.name, x.storedRow(ti.def, row))
	return id, x.localDupEntry(ti.def, row, err)
}

// updateStored replaces the stored row h with row (in the session's zone).
func (x *execCtx) updateStored(ti *tableInfo, h engine.Handle, row engine.Row) error {
	_, err := x.tx.Update(ti.name, h, x.storedRow(ti.def, row))
	return x.localDupEntry(ti.def, row, err)
}

// localDupEntry rewrites the engine's 1062 "Duplicate entry '...'", which
// quotes the key as stored (a TIMESTAMP in UTC), to quote it in the
// session's zone, as the statement wrote it.
func (x *execCtx) localDupEntry(def *engine.TableDef, row engine.Row, err error) error {
	if err == nil || sqlerr.Code(err) != sqlerr.ErrDupEntry || x.s.tz.off == 0 {
		return err
	}
	e := sqlerr.As(err)
	const head = "Duplicate entry '"
	tail := strings.LastIndex(e.Message, "' for key '")
	if !strings.HasPrefix(e.Message, head) || tail < len(head) {
		return err
	}
	vals := e.Message[len(head):tail]
	for i := range def.Columns {
		c := &def.Columns[i]
		if t, ok := row[i].(time.Time); ok && c.Type == engine.TypeTimestamp && i < len(row) {
			vals = strings.Replace(vals, formatTime(t.Add(-x.s.tz.off), false, c.Scale), formatTime(t, false, c.Scale), 1)
		}
	}
	return errf(e.Code, "%s%s%s", head, vals, e.Message[tail:])
}

// A TIMESTAMP column's literal DEFAULT is an instant too, as in MariaDB:
// CREATE and ALTER TABLE read it in the session's zone and keep it as
// UTC (storedDefault), the table definition holds UTC (definitions made
// before sessions had a zone were made in UTC), and INSERT, SHOW CREATE
// TABLE, DESCRIBE and information_schema show it in the zone of the
// session that reads it (localDefault, shownDef).

// storedDefault converts v, the literal DEFAULT of column c as CREATE or
// ALTER TABLE wrote it, to the value the definition keeps: checked as
// Coerce checks it, and for a TIMESTAMP in another zone than UTC, read as
// a wall-clock time there and kept as the UTC instant (1067 outside a
// TIMESTAMP's range).
func (x *execCtx) storedDefault(c *engine.Column, v any) (any, error) {
	off := x.s.tz.off
	if c.Type != engine.TypeTimestamp || off == 0 {
		return engine.Coerce(c, v, 1)
	}
	dc := *c
	dc.Type = engine.TypeDateTime
	cv, err := engine.Coerce(&dc, v, 1)
	if t, ok := cv.(time.Time); ok && err == nil {
		if err := x.stampInRange(c, t, v, 1); err != nil {
			return nil, err
		}
		return t.Add(-off), nil
	}
	if err != nil {
		return nil, err
	}
	return engine.Coerce(c, cv, 1) // a zero date: as a TIMESTAMP takes it
}

// localDefault is column c's literal DEFAULT as a value of the session:
// a TIMESTAMP in its zone.
func (x *execCtx) localDefault(c *engine.Column) any {
	if t, ok := c.Default.(time.Time); ok && c.Type == engine.TypeTimestamp && x.s != nil {
		return t.Add(x.s.tz.off)
	}
	return c.Default
}

// shownDef is def with its TIMESTAMP defaults in the session's zone, for
// SHOW CREATE TABLE, DESCRIBE and information_schema: def itself when
// nothing changes, else a copy.
func (x *execCtx) shownDef(def *engine.TableDef) *engine.TableDef {
	if x.s.tz.off == 0 {
		return def
	}
	var out *engine.TableDef
	for i := range def.Columns {
		c := &def.Columns[i]
		if _, ok := c.Default.(time.Time); !ok || c.Type != engine.TypeTimestamp {
			continue
		}
		if out == nil {
			cp := *def
			cp.Columns = append([]engine.Column(nil), def.Columns...)
			out = &cp
		}
		out.Columns[i].Default = x.localDefault(c)
	}
	if out == nil {
		return def
	}
	return out
}
