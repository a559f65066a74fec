package server

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/collate"
)

// MySQL wire values the encoder needs. They are the protocol's and must not
// change.
const (
	typeFloat    = 4   // MYSQL_TYPE_FLOAT
	typeDouble   = 5   // MYSQL_TYPE_DOUBLE
	typeNull     = 6   // MYSQL_TYPE_NULL
	typeLonglong = 8   // MYSQL_TYPE_LONGLONG
	typeDate     = 10  // MYSQL_TYPE_DATE
	typeDatetime = 12  // MYSQL_TYPE_DATETIME
	typeVarStr   = 253 // MYSQL_TYPE_VAR_STRING

	flagNotNull  = 1    // NOT_NULL_FLAG
	flagUnsigned = 32   // UNSIGNED_FLAG
	flagBlob     = 16   // BLOB_FLAG
	flagBinary   = 128  // BINARY_FLAG
	flagEnum     = 256  // ENUM_FLAG
	flagSet      = 2048 // SET_FLAG

	charsetBinary  = 63 // binary: numbers, dates, BINARY/VARBINARY/BLOB
	charsetUTF8MB4 = 45 // utf8mb4_general_ci: text (MariaDB's default)
	charsetBin     = 46 // utf8mb4_bin: text without a collation of its own
)

// resultsCollation is the collation id text columns are sent with under
// the session variables vars: character_set_results's (the collation of
// SET NAMES ... COLLATE when it names that set, else the set's default),
// or 0 when character_set_results is NULL (each column's own).
func (st *conn) resultsCollation() uint16 {
	cs, coll := st.vars["character_set_results"], st.vars["collation_connection"]
	if r := st.results; !r.ok || !sameText(r.cs, cs) || !sameText(r.coll, coll) {
		st.results = resultsCache{cs: cs, coll: coll, id: resultsCollation(st.vars), ok: true}
	}
	return st.results.id
}

// sameText reports whether a and b are the same string, or both nil (any
// other value, which SET may store, counts as a change).
func sameText(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	}
	return false
}

// resultsCache is what (*conn).resultsCollation last worked out, and from
// which values.
type resultsCache struct {
	cs, coll any
	id       uint16
	ok       bool
}

// resultsCollation works out (*conn).resultsCollation from vars.
func resultsCollation(vars map[string]any) uint16 {
	v, ok := vars["character_set_results"]
	if !ok {
		return charsetUTF8MB4
	}
	cs, _ := v.(string)
	cs = strings.ToLower(cs)
	if v == nil || cs == "" || cs == "null" {
		return 0
	}
	if coll, ok := vars["collation_connection"].(string); ok && strings.HasPrefix(strings.ToLower(coll), cs+"_") {
		if c, ok := collate.ByName(coll); ok && cs == "utf8mb4" {
			return c.ID
		}
	}
	if c, err := charset.Lookup(cs); err == nil {
		return c.ID
	}
	return charsetUTF8MB4
}

// field returns the vitess field for c. The type goes through vitess's own
// MySQL-to-vitess mapping, so what the client receives is c.Type and
// c.Flags (plus the flags the type implies). A text column's character set
// number is results, the collation of the session's
// character_set_results, as MariaDB sends it, or, when that is NULL
// (results 0), the column's own collation. A table's column names db, the
// database, as its schema; an expression has no original name, and a
// number, date or NULL it yields is flagged BINARY, as in MariaDB.
func field(c Column, results uint16, db string) *querypb.Field {
	typ, err := sqltypes.MySQLToType(int64(c.Type), int64(c.Flags))
	if err != nil {
		typ = sqltypes.VarBinary
	}
	_, typeFlags := sqltypes.TypeToMySQL(typ)
	f := &querypb.Field{
		Name:         c.Name,
		OrgName:      c.Name,
		Table:        c.Table,
		OrgTable:     c.Table,
		Database:     db,
		Type:         typ,
		Flags:        uint32(c.Flags) | uint32(typeFlags),
		ColumnLength: c.Length,
		Decimals:     uint32(c.Decimals),
		Charset:      charsetBinary,
	}
	if c.Table == "" {
		f.OrgName, f.Database = "", ""
	}
	text := sqltypes.IsText(typ) || typ == sqltypes.TypeJSON || c.Flags&(flagEnum|flagSet) != 0
	if text && f.Flags&flagBinary == 0 {
		if typ != sqltypes.TypeJSON {
			// Lengths come in utf8mb4 bytes (4 a character); MariaDB
			// counts them in the character set results are sent in.
			f.ColumnLength = c.Length / 4 * mbMaxLen(results)
		}
		switch {
		case results != 0:
			f.Charset = uint32(results)
		case c.Collation != 0:
			f.Charset = uint32(c.Collation)
		case typ == sqltypes.TypeJSON || c.Flags&(flagEnum|flagSet) != 0:
			f.Charset = charsetUTF8MB4
		default:
			f.Charset = charsetBin
		}
	}
	if c.Table == "" && f.Charset == charsetBinary && !sqltypes.IsText(typ) && !sqltypes.IsBinary(typ) {
		f.Flags |= flagBinary
	}
	if text && c.Table != "" && f.Flags&flagBinary == 0 && binCollation(c.Collation) {
		f.Flags |= flagBinary // as MariaDB flags a _bin text column of a table
	}
	switch typ {
	case sqltypes.Timestamp:
		f.Flags |= flagUnsigned | flagBinary // as MariaDB flags TIMESTAMP
	case sqltypes.Text, sqltypes.Blob:
		f.Flags |= flagBlob
	}
	return f
}

// binCollation reports whether the collation id (0: utf8mb4_bin) of a
// text column compares by code point (a _bin collation).
func binCollation(id uint16) bool {
	if id == 0 {
		return true
	}
	c, ok := collate.ByID(id)
	return ok && c.IsBinary()
}

// mbMaxLen is the most bytes a character takes in the character set of
// the results collation id (0, none: utf8mb4).
func mbMaxLen(results uint16) uint32 {
	switch results {
	case 0, charsetUTF8MB4, charsetBin:
		return 4
	case 33, 83, 192: // utf8mb3
		return 3
	}
	if c, _, ok := charset.ByID(results); ok {
		return c.MaxLen
	}
	return 4
}

// fields returns the vitess fields of cols (see field), their names in
// enc, the results' character set (nil: as they are).
func fields(cols []Column, results uint16, enc *charset.Charset, db string) []*querypb.Field {
	out := make([]*querypb.Field, len(cols))
	for i, c := range cols {
		out[i] = field(c, results, db)
		if enc != nil {
			f := out[i]
			f.Name, f.OrgName, f.Table, f.OrgTable = enc.Encode(f.Name), enc.Encode(f.OrgName), enc.Encode(f.Table), enc.Encode(f.OrgTable)
		}
	}
	return out
}

// toSQLResult converts r to the vitess result the protocol writer sends.
// The text of each value is MySQL's for the column's type: the binary
// protocol (prepared statements) re-parses it by type.
//
// enc, when not nil, is character_set_results: the values of text columns
// are converted to it, a character it lacks becoming '?'.
func toSQLResult(r *Result, results uint16, enc *charset.Charset, db string) (*sqltypes.Result, error) {
	out := &sqltypes.Result{RowsAffected: r.AffectedRows, InsertID: r.LastInsertID, Info: r.Info}
	if r.Columns == nil {
		return out, nil
	}
	out.Fields = fields(r.Columns, results, enc, db)
	out.Rows = make([][]sqltypes.Value, len(r.Rows))
	for i, row := range r.Rows {
		if len(row) != len(r.Columns) {
			return nil, fmt.Errorf("%w: row %d has %d values for %d columns", ErrBadResult, i+1, len(row), len(r.Columns))
		}
		vals := make([]sqltypes.Value, len(row))
		for j, v := range row {
			if v == nil {
				vals[j] = sqltypes.NULL
				continue
			}
			if enc != nil && out.Fields[j].Charset != charsetBinary {
				vals[j] = sqltypes.MakeTrusted(out.Fields[j].Type, enc.AppendEncode(nil, formatValue(r.Columns[j], v)))
				continue
			}
			vals[j] = sqltypes.MakeTrusted(out.Fields[j].Type, []byte(formatValue(r.Columns[j], v)))
		}
		out.Rows[i] = vals
	}
	return out, nil
}

// formatValue returns the text MySQL sends for v (not nil) in column c.
func formatValue(c Column, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case int:
		return strconv.Itoa(x)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case float64:
		if c.Type == typeFloat {
			return formatFloat(x, 32)
		}
		if c.Type == typeDouble && c.Decimals < 31 {
			// fixed decimals (PERCENT_RANK, CUME_DIST: 10), as MariaDB sends them
			return strconv.FormatFloat(x, 'f', int(c.Decimals), 64)
		}
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case time.Time:
		if c.Type == typeDate {
			return x.Format("2006-01-02")
		}
		s := x.Format("2006-01-02 15:04:05")
		if c.Decimals > 0 && c.Decimals <= 6 {
			frac := fmt.Sprintf("%09d", x.Nanosecond())
			s += "." + frac[:c.Decimals]
		}
		return s
	case zeroDateFormatter: // zerodate.go
		return x.Format(c.Type == typeDate, int(min(c.Decimals, 6)))
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// formatFloat prints f as MySQL does: the shortest text that reads back
// as the same value, with an exponent only for very large or small values.
func formatFloat(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs >= 1e15 || abs < 1e-4) {
		return strings.Replace(strconv.FormatFloat(f, 'e', -1, bits), "e+", "e", 1)
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// bindValue converts a prepared statement's parameter, as the client sent
// it in the binary protocol, to the Go value the session receives.
func bindValue(bv *querypb.BindVariable) (any, error) {
	if bv == nil {
		return nil, nil
	}
	v, err := sqltypes.BindVariableToValue(bv)
	if err != nil {
		return nil, err
	}
	switch {
	case v.IsNull():
		return nil, nil
	case v.IsSigned():
		// The text is only read: string(v.Raw()) makes no copy of it.
		return strconv.ParseInt(string(v.Raw()), 10, 64)
	case v.IsUnsigned():
		return strconv.ParseUint(string(v.Raw()), 10, 64)
	case v.IsFloat():
		return strconv.ParseFloat(string(v.Raw()), 64)
	}
	switch v.Type() {
	case sqltypes.Datetime, sqltypes.Timestamp, sqltypes.Date:
		return parseTime(v.ToString())
	}
	// Drivers send strings and byte slices alike as MYSQL_TYPE_STRING, so
	// both arrive as text; the SQL layer converts to the column's type.
	return v.ToString(), nil
}

// parseTime reads a DATE or DATETIME parameter ("2006-01-02",
// "2006-01-02 15:04:05[.ffffff]") as a UTC time, as the engine stores them.
func parseTime(s string) (any, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	// Out-of-range dates such as 0000-00-00 go to the SQL layer as text,
	// which applies MySQL's rules to them.
	return s, nil
}
