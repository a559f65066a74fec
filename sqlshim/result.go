package sqlshim

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/shopspring/decimal"
)

// Result is what one statement returns: a result set (Columns and Rows)
// for queries, or counts for the others. The slices are owned by the
// caller once returned.
type Result struct {
	Columns      []Column // nil for statements without a result set
	Rows         [][]any  // values as Go types (see value.go); NULL is nil
	AffectedRows uint64   // rows inserted, changed or deleted
	LastInsertID uint64   // the first AUTO_INCREMENT value this statement generated, 0 if none
	Matched      uint64   // UPDATE: rows matched by WHERE (MySQL's "Rows matched")
	// AffectedFound is, for INSERT ... ON DUPLICATE KEY UPDATE, the
	// affected-rows count a client that asked for CLIENT_FOUND_ROWS is
	// told: a row found and left unchanged counts 1 there (0 in
	// AffectedRows). Zero for other statements.
	AffectedFound uint64
	Warnings      []Warning
	Info          string // the OK packet's info text, e.g. LOAD DATA's "Records: 3  Deleted: 0  Skipped: 0  Warnings: 0"
	// DBDropped says the statement was DROP DATABASE of the session's
	// current database, which leaves it none (nodb.go): a server tells
	// its client with SERVER_STATUS_DB_DROPPED.
	DBDropped bool

	// inner is, for a subquery's one-column, one-row result whose value
	// involved a quotient, that value with its inner digits (an exactDec,
	// exact.go); nil otherwise.
	inner any
}

// HasResultSet reports whether the statement returned a result set (even
// an empty one).
// intTypes pairs each integer column type with its wire type and MySQL's
// display width, for result metadata and for CREATE TABLE ... SELECT.
var intTypes = []struct {
	eng   engine.Type
	wire  byte
	width int
}{
	{engine.TypeTinyInt, mysql.TypeTiny, 4},
	{engine.TypeSmallInt, mysql.TypeShort, 6},
	{engine.TypeMediumInt, mysql.TypeInt24, 9},
	{engine.TypeInt, mysql.TypeLong, 11},
	{engine.TypeBigInt, mysql.TypeLonglong, 20},
}

func (r *Result) HasResultSet() bool { return r.Columns != nil }

// Column describes one column of a result set with what the MySQL
// protocol sends about it.
type Column struct {
	Name     string
	Table    string // the table the column comes from, "" for an expression
	Type     byte   // MySQL type code (mysql.TypeLonglong, mysql.TypeVarchar, ...)
	Flags    uint   // mysql.NotNullFlag, mysql.PriKeyFlag, mysql.UnsignedFlag, mysql.BinaryFlag, ...
	Length   uint32 // display length
	Decimals uint8  // digits after the point (DECIMAL, DATETIME fractions), 31 for "not fixed" floats
	// decPrec is an integer or DECIMAL expression's precision as MariaDB
	// works it out (intInfo, decExprType): CREATE TABLE ... SELECT gives
	// it a DECIMAL's column, a UNION its DECIMAL's length; 0 when not
	// worked out. (Beside Decimals: no room taken.)
	decPrec uint8
	// textChars is one more than the most characters a string
	// expression can produce (exprTextLen), 0 when not worked out: CREATE
	// TABLE ... SELECT sizes its column by it rather than by the rows.
	textChars uint32

	// def is the table column this column shows as it is, nil for an
	// expression: CREATE TABLE ... SELECT copies its definition.
	def *engine.Column
	// Collation of a text column; nil is utf8mb4_bin (the connection's).
	Collation *collate.Collation
	// collWeak: the collation is only a literal's (coercible), which a
	// set operation's other operands override.
	collWeak bool
	// collExplicit: the collation is a COLLATE clause's, which overrides
	// the other operands'.
	collExplicit bool
	// csID is the id (charset.Charset.ID) of the character set of an
	// expression's text other than utf8mb4 (CONCAT of a latin1 column:
	// exprColl.cs), 0 otherwise and for a table column (def has its
	// own): derivedCharset. (Beside the bools: no room taken.)
	csID uint16
}

// Warning is one entry of SHOW WARNINGS.
type Warning struct {
	Level   string // "Warning", "Note", or "Error" (a failed statement's error, for SHOW WARNINGS)
	Code    int
	Message string
}

// columnFromDef returns the result-set column for a table column.
func columnFromDef(table string, c *engine.Column) Column {
	col := Column{Name: c.Name, Table: table, def: c, Collation: c.Collation}
	if c.NotNull {
		col.Flags |= mysql.NotNullFlag
	}
	if c.Unsigned {
		col.Flags |= mysql.UnsignedFlag
	}
	if c.AutoIncrement {
		col.Flags |= mysql.AutoIncrementFlag
	}
	for _, it := range intTypes {
		if it.eng == c.Type {
			col.Type, col.Length = it.wire, uint32(it.width)
			if c.Unsigned && c.Type != engine.TypeBigInt {
				col.Length-- // no sign
			}
		}
	}
	switch c.Type {
	case engine.TypeFloat:
		col.Type, col.Length, col.Decimals = mysql.TypeFloat, 12, 31
	case engine.TypeDouble:
		col.Type, col.Length, col.Decimals = mysql.TypeDouble, 22, 31
	case engine.TypeDecimal:
		col.Type, col.Length, col.Decimals = mysql.TypeNewDecimal, uint32(c.Precision+2), uint8(c.Scale)
	case engine.TypeChar:
		col.Type, col.Length = mysql.TypeString, uint32(c.Length*4)
	case engine.TypeVarChar:
		col.Type, col.Length = mysql.TypeVarString, uint32(c.Length*4)
	case engine.TypeText:
		col.Type, col.Length = mysql.TypeBlob, uint32(min(textLen(c)*4, 1<<32-1)) // in utf8mb4 bytes, as CHAR's
	case engine.TypeBinary:
		col.Type, col.Length = mysql.TypeString, uint32(c.Length)
		col.Flags |= mysql.BinaryFlag
	case engine.TypeVarBinary:
		col.Type, col.Length = mysql.TypeVarString, uint32(c.Length)
		col.Flags |= mysql.BinaryFlag
	case engine.TypeBlob:
		col.Type, col.Length = mysql.TypeBlob, uint32(textLen(c))
		col.Flags |= mysql.BinaryFlag | mysql.BlobFlag
	case engine.TypeDate:
		col.Type, col.Length = mysql.TypeDate, 10
	case engine.TypeDateTime:
		col.Type, col.Length, col.Decimals = mysql.TypeDatetime, uint32(19+fracLen(c.Scale)), uint8(c.Scale)
	case engine.TypeTimestamp:
		col.Type, col.Length, col.Decimals = mysql.TypeTimestamp, uint32(19+fracLen(c.Scale)), uint8(c.Scale)
	case engine.TypeJSON:
		col.Type, col.Length = mysql.TypeJSON, 1<<32-1
	case engine.TypeTime:
		col.Type, col.Length, col.Decimals = mysql.TypeDuration, uint32(10+fracLen(c.Scale)), uint8(c.Scale)
	case engine.TypeYear:
		col.Type, col.Length = mysql.TypeYear, 4
		col.Flags |= mysql.UnsignedFlag | mysql.ZerofillFlag
	case engine.TypeEnum:
		col.Type, col.Length = mysql.TypeString, uint32(elemsLen(c)*4)
		col.Flags |= mysql.EnumFlag
	case engine.TypeSet:
		col.Type, col.Length = mysql.TypeString, uint32(elemsLen(c)*4)
		col.Flags |= mysql.SetFlag
	case engine.TypeBit:
		col.Type, col.Length = mysql.TypeBit, uint32(c.Length)
		col.Flags |= mysql.UnsignedFlag
	}
	return col
}

// elemsLen is the display length in characters of an ENUM column (its
// longest member) or a SET column (all members with commas between).
func elemsLen(c *engine.Column) int {
	n, sum := 0, 0
	for _, e := range c.Elems {
		l := utf8.RuneCountInString(e)
		n, sum = max(n, l), sum+l
	}
	if c.Type == engine.TypeSet {
		return sum + max(len(c.Elems)-1, 0)
	}
	return n
}

func textLen(c *engine.Column) int {
	if c.Length == 0 {
		return 65535
	}
	return c.Length
}

func fracLen(scale int) int {
	if scale > 0 {
		return scale + 1
	}
	return 0
}

// columnFromValue guesses result-set metadata for an expression from a
// value it produced (nil: a NULL-typed column).
func columnFromValue(name string, v any) Column {
	col := Column{Name: name}
	switch x := v.(type) {
	case nil:
		col.Type = mysql.TypeNull
	case int64:
		col.Type, col.Length = mysql.TypeLonglong, 21
	case uint64:
		col.Type, col.Length, col.Flags = mysql.TypeLonglong, 20, mysql.UnsignedFlag
	case float64:
		col.Type, col.Length, col.Decimals = mysql.TypeDouble, 23, 31
	case decimal.Decimal:
		sc := 0
		if x.Exponent() < 0 {
			sc = int(-x.Exponent())
		}
		col.Type, col.Length, col.Decimals = mysql.TypeNewDecimal, 66, uint8(sc)
	case string:
		col.Type, col.Length = mysql.TypeVarString, uint32(max(len(x), 1)*4)
	case []byte:
		col.Type, col.Length, col.Flags = mysql.TypeVarString, uint32(len(x)), mysql.BinaryFlag
	case time.Time:
		// A fraction the value has is shown (digits an expression's type
		// gives are set by exprColumn): hiding it would show another value.
		sc := timeScale(time.Duration(x.Nanosecond()))
		col.Type, col.Length, col.Decimals = mysql.TypeDatetime, uint32(19+fracLen(sc)), uint8(sc)
	case engine.ZeroDate:
		col.Type, col.Length = mysql.TypeDatetime, 19
		if x.DateOnly {
			col.Type, col.Length = mysql.TypeDate, 10
		}
	case time.Duration:
		sc := timeScale(x)
		col.Type, col.Length, col.Decimals = mysql.TypeDuration, uint32(10+fracLen(sc)), uint8(sc)
	case engine.Enum:
		col.Type, col.Length = mysql.TypeString, uint32(max(len(x.Name), 1)*4)
	case engine.Set:
		col.Type, col.Length = mysql.TypeString, uint32(max(len(x.Text), 1)*4)
	}
	return col
}

// isDateColumn reports whether values of c print as DATE.
func (c Column) isDate() bool { return c.Type == mysql.TypeDate }

// FormatValue returns the text the mysql client shows for v in column c,
// and false for NULL.
func FormatValue(c Column, v any) (string, bool) {
	if v == nil {
		return "", false
	}
	if t, ok := v.(time.Time); ok {
		return formatTime(t, c.isDate(), fixedDigits(c.Decimals, time.Duration(t.Nanosecond()))), true
	}
	if z, ok := v.(engine.ZeroDate); ok {
		return z.Format(c.isDate(), int(c.Decimals)), true
	}
	if f, ok := v.(float64); ok && c.Type == mysql.TypeFloat {
		return formatFloat32(f), true
	}
	if f, ok := v.(float64); ok && c.Type == mysql.TypeDouble && c.Decimals < 31 {
		// A DOUBLE of fixed decimals (PERCENT_RANK, CUME_DIST: 10)
		// shows them all, as MariaDB does.
		return strconv.FormatFloat(f, 'f', int(c.Decimals), 64), true
	}
	if d, ok := v.(time.Duration); ok {
		return engine.FormatTime(d, fixedDigits(c.Decimals, d%time.Second)), true
	}
	if c.Type == mysql.TypeYear {
		if y, ok := v.(int64); ok {
			return fmt.Sprintf("%04d", y), true
		}
	}
	if c.Type == mysql.TypeBit {
		// A BIT(M) value is its (M+7)/8 bytes, big-endian, as MariaDB
		// sends and its client prints it.
		switch x := v.(type) {
		case uint64:
			return string(engine.BitBytes(nil, x, int(c.Length))), true
		case int64:
			return string(engine.BitBytes(nil, uint64(x), int(c.Length))), true
		}
	}
	return toString(v), true
}

// fixedDigits is the number of fractional digits a DATETIME or TIME value
// of fraction frac shows in a column of decimals digits: those, or for
// text of no fixed digits (notFixed, ADDTIME of text) six when the value
// has a fraction and none when not, as MariaDB prints it.
func fixedDigits(decimals uint8, frac time.Duration) int {
	if decimals != notFixed {
		return int(decimals)
	}
	if frac != 0 {
		return 6
	}
	return 0
}

// timeScale is the number of fractional digits a TIME value needs (0 to
// 6), for an expression's result metadata: 08:59:59.5 shows one.
func timeScale(d time.Duration) int {
	us := int64(d/time.Microsecond) % 1e6
	if us == 0 {
		return 0
	}
	n := 6
	for us%10 == 0 {
		us /= 10
		n--
	}
	return n
}

// formatFloat32 prints a FLOAT column's value as MariaDB does (6
// significant digits).
func formatFloat32(f float64) string { return engine.FormatFloat(f, true) }
