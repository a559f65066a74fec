package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/keyenc"
)

// appendKeyValue appends the memcomparable encoding of one value.
func appendKeyValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return keyenc.AppendNull(b)
	case int64:
		return keyenc.AppendInt(b, x)
	case uint64:
		return keyenc.AppendUint(b, x)
	case float64:
		return keyenc.AppendFloat(b, x)
	case decimal.Decimal:
		return keyenc.AppendDecimal(b, x)
	case string:
		return keyenc.AppendBytes(b, []byte(x))
	case []byte:
		return keyenc.AppendBytes(b, x)
	case time.Time:
		return keyenc.AppendInt(b, x.UnixMicro())
	case ZeroDate: // between the real instants around it (zerodate.go)
		return appendZeroDateKey(b, x)
	case time.Duration: // TIME: by signed duration
		return keyenc.AppendInt(b, int64(x/time.Microsecond))
	case Enum: // by member index, as MariaDB sorts an ENUM
		return keyenc.AppendUint(b, uint64(x.Index))
	case Set: // by bit mask
		return keyenc.AppendUint(b, x.Bits)
	}
	return keyenc.AppendBytes(b, []byte(fmt.Sprint(v)))
}

// keyPart is one column of a key: its position in the row and, for a
// prefix part (KEY (name(5))), how much of the value the key holds:
// characters of text, bytes of a binary string. prefix 0 keys the whole
// value.
type keyPart struct {
	col    int
	prefix int
}

// keyParts returns the parts of a key on the named columns of d, with the
// prefix lengths prefix (nil: whole values; see IndexDef.Prefix).
func keyParts(d *TableDef, names []string, prefix []int) []keyPart {
	p := make([]keyPart, len(names))
	for i, n := range names {
		p[i].col = d.ColumnIndex(n)
		if i < len(prefix) {
			p[i].prefix = prefix[i]
		}
	}
	return p
}

// indexParts returns the parts of d's secondary index ix.
func (d *TableDef) indexParts(ix *IndexDef) []keyPart { return keyParts(d, ix.Columns, ix.Prefix) }

// primaryParts returns the parts of d's primary key, nil when d has none
// (its rows are keyed by a hidden row id).
func (d *TableDef) primaryParts() []keyPart {
	if len(d.PrimaryKey) == 0 {
		return nil
	}
	return keyParts(d, d.PrimaryKey, d.PrimaryPrefix)
}

// cut returns v, a value of column c, as the key part holds it: for a
// prefix part, at most p.prefix characters of text or bytes of a binary
// string. full reports whether v reached the prefix length, so that the
// key cannot tell v from a longer value that starts with it (always false
// for a whole-value part).
func (p keyPart) cut(c *Column, v any) (cv any, full bool) {
	if p.prefix <= 0 {
		return v, false
	}
	switch x := v.(type) {
	case string:
		if c.Type.IsBinary() {
			if len(x) >= p.prefix {
				return x[:p.prefix], true
			}
			return x, false
		}
		n := 0
		for i := range x {
			if n == p.prefix {
				return x[:i], true
			}
			n++
		}
		return x, n == p.prefix
	case []byte:
		if len(x) >= p.prefix {
			return x[:p.prefix], true
		}
	}
	return v, false
}

// appendColumnKey appends the memcomparable encoding of v, a value of
// column c of table d: appendKeyValue's, except that text is keyed by its
// weight string under the column's collation (collate.AppendKey), so that
// keys sort and collide as the collation compares. For utf8mb4_bin that
// is the text without its trailing spaces, except in a table of key
// format 1 (d.LegacyKeys), whose utf8mb4_bin keys are the text as stored.
func appendColumnKey(b []byte, d *TableDef, c *Column, v any) []byte {
	if s, ok := v.(string); ok && (c.collated() || !d.LegacyKeys) {
		var buf [128]byte // the weight string of a short key, off the heap
		return keyenc.AppendBytes(b, c.Coll().AppendKey(buf[:0], s))
	}
	return appendKeyValue(b, v)
}

// keyedByWeight reports whether the keys of column c of d are weight
// strings, which do not decode back to the column's text (see
// appendColumnKey).
func (d *TableDef) keyedByWeight(c *Column) bool {
	return c.collated() || !d.LegacyKeys && c.Type.IsString()
}

// KeyIgnoresTrailingSpaces reports whether the keys of column c of d are
// the same for text with and without trailing spaces, so that a lookup of
// 'a ' by key finds 'a' (a PAD SPACE collation, and for utf8mb4_bin a
// table of key format 2).
func (d *TableDef) KeyIgnoresTrailingSpaces(c *Column) bool {
	return c.Type.IsString() && !c.Coll().NoPad && d.keyedByWeight(c)
}

// hasPaddedTextKey reports whether a column of d's primary key or of one
// of its indexes is utf8mb4_bin text: the one kind of key whose bytes
// the key format decides (see "Definition file").
func (d *TableDef) hasPaddedTextKey() bool {
	binText := func(names []string) bool {
		for _, p := range keyParts(d, names, nil) {
			if p.col >= 0 && d.Columns[p.col].Type.IsString() && !d.Columns[p.col].collated() {
				return true
			}
		}
		return false
	}
	if binText(d.PrimaryKey) {
		return true
	}
	for _, ix := range d.Indexes {
		if binText(ix.Columns) {
			return true
		}
	}
	return false
}

// encodeCols encodes the values of r for the key parts parts: a prefix
// part's value is cut first (keyPart.cut), then keyed as its column keys
// a whole value.
func encodeCols(b []byte, d *TableDef, r Row, parts []keyPart) []byte {
	for _, p := range parts {
		c := &d.Columns[p.col]
		v, _ := p.cut(c, r[p.col])
		b = appendColumnKey(b, d, c, v)
	}
	return b
}

// longKey reports whether an index on parts can have entries too long for
// an index file (index.MaxKeySize): whether a part is a string that can
// take more than 1 KiB. Only such indexes have their entries measured
// before a row is written (Tx.checkUnique); the encoding of the other
// parts (numbers, dates, short strings, even with a collation's weights)
// stays far below the limit.
func (d *TableDef) longKey(parts []keyPart) bool {
	for _, p := range parts {
		if p.col < 0 {
			continue
		}
		c := &d.Columns[p.col]
		if !c.Type.IsString() && !c.Type.IsBinary() {
			continue
		}
		n := c.Length // characters (CHAR, VARCHAR) or bytes (the others)
		switch {
		case c.Type == TypeJSON:
			n = 1 << 32
		case n == 0 && (c.Type == TypeText || c.Type == TypeBlob):
			n = 65535
		}
		if p.prefix > 0 {
			n = min(n, p.prefix) // characters of text, bytes of binary strings
		}
		if c.Type.IsString() {
			n *= 4 // at most 4 bytes a character (utf8mb4)
		}
		if n > 1024 {
			return true
		}
	}
	return false
}

// showValues renders the values of the columns at pos as MariaDB's
// duplicate-entry message does: each as its column shows it (DECIMAL with
// its scale, DATETIME with its fractional digits, binary strings with
// bytes outside printable ASCII as \xHH), joined with '-'; longer than
// 64 bytes, cut to 61 (at a character boundary) followed by "...".
// A prefix part shows its prefix, as the key holds it.
func showValues(d *TableDef, r Row, key []keyPart) string {
	parts := make([]string, len(key))
	for i, p := range key {
		c := &d.Columns[p.col]
		v, _ := p.cut(c, r[p.col])
		if s, ok := v.(string); ok && c.Type == TypeBinary {
			v = []byte(s)
		}
		if b, ok := v.([]byte); ok && c.Type == TypeBinary {
			// A BINARY value without the zero bytes that pad it to the
			// column's length, as MariaDB prints it: 'ab', not
			// 'ab\x00\x00' (one zero is left of a value of zeros).
			n := len(b)
			for n > 1 && b[n-1] == 0 {
				n--
			}
			v = b[:n]
		}
		parts[i] = columnText(c, v)
	}
	s := strings.Join(parts, "-")
	if len(s) > 64 {
		cut := 61
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// columnText is the text of v, a value of column c, as MariaDB prints it.
func columnText(c *Column, v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		if !c.Type.IsBinary() {
			return string(x)
		}
		var b strings.Builder
		for _, ch := range x {
			if ch >= 0x20 && ch < 0x7f {
				b.WriteByte(ch)
			} else {
				fmt.Fprintf(&b, "\\x%02X", ch)
			}
		}
		return b.String()
	case string:
		if c.Type.IsBinary() {
			return columnText(c, []byte(x))
		}
		return x
	case float64:
		return FormatFloat(x, c.Type == TypeFloat)
	case int64:
		if c.Type == TypeYear {
			return fmt.Sprintf("%04d", x)
		}
	case uint64:
		if c.Type == TypeBit { // its bytes, as a binary string shows them
			return columnText(&Column{Type: TypeVarBinary}, BitBytes(nil, x, c.Length))
		}
	case time.Duration:
		return FormatTime(x, c.Scale)
	case decimal.Decimal:
		if e := x.Exponent(); e < 0 {
			return x.StringFixed(-e)
		}
		return x.String()
	case ZeroDate:
		return x.Format(c.Type == TypeDate, c.Scale)
	case time.Time:
		if c.Type == TypeDate {
			return x.Format("2006-01-02")
		}
		s := x.Format("2006-01-02 15:04:05")
		if c.Scale > 0 {
			ns := fmt.Sprintf("%09d", x.Nanosecond())
			s += "." + ns[:min(c.Scale, 9)]
		}
		return s
	}
	return valueText(v)
}

// FormatFloat prints a DOUBLE (or, single, a FLOAT) value as MariaDB does:
// the shortest digits that read back to the same double (6 significant
// digits for a FLOAT), in fixed notation from 1e-15 up to 1e15 and in
// scientific notation without '+' or leading exponent zeros outside
// ("1e20", "1.5e-16").
func FormatFloat(f float64, single bool) string {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		if f == 0 {
			return "0"
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	var s string
	if single {
		s = strconv.FormatFloat(f, 'e', 5, 64)
	} else {
		s = strconv.FormatFloat(f, 'e', -1, 64)
	}
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	if digits == "" {
		digits = "0"
	}
	var out string
	switch {
	case exp < -15 || exp >= 15:
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		out += "e" + strconv.Itoa(exp)
	case exp < 0:
		out = "0." + strings.Repeat("0", -exp-1) + digits
	case len(digits) <= exp+1:
		out = digits + strings.Repeat("0", exp+1-len(digits))
	default:
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// dupText renders the columns at pos of a duplicate that an index build
// found, as a duplicate-entry message shows them (showValues, as for a
// duplicate an INSERT meets): taken from the row whose primary key is pk,
// read with get. The key cols alone do not say how to print a value (a
// BIT column's is its number, printed by MariaDB as its bytes; a column
// keyed by its weight string does not decode to text at all): they are
// decoded only when the row cannot be read.
func dupText(d *TableDef, pos []keyPart, cols, pk []byte, get func(pk []byte) ([]byte, bool)) string {
	if v, ok := get(pk); ok {
		if r, err := decodeRow(v, d); err == nil {
			return showValues(d, r, pos)
		}
	}
	s, _ := decodeShow(cols)
	return s
}

// KeySortsAsColumn reports whether the keys of column c of d sort as
// ORDER BY c sorts its values, NULL first: then rows read in the order
// of an index whose part is c whole come in ORDER BY c order. It holds
// for numbers, dates and times, YEAR, and text keyed by its collation's
// weights or (utf8mb4_bin of an older key format) by its bytes, the
// order the SQL layer sorts either in. ENUM, SET, BIT, JSON and binary
// strings are not promised it.
func (d *TableDef) KeySortsAsColumn(c *Column) bool {
	switch {
	case c.Type.IsNumeric(), c.Type.IsTime(), c.Type == TypeTime, c.Type == TypeYear:
		return true
	case c.Type == TypeJSON:
		return false
	}
	return c.Type.IsString()
}
