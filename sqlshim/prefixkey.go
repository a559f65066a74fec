package sqlshim

import (
	"fmt"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Prefix key parts (KEY ix (name(5))): the key holds the first N
// characters of a text column's values or N bytes of a binary string's
// (engine.IndexDef.Prefix, TableDef.PrimaryPrefix). The engine cuts the
// values and widens scan bounds to the rows whose prefix is in range;
// WHERE is evaluated in full on every row read (plan.go), so a lookup
// through a prefix key returns exactly the rows of the full predicate.

// keyPartPrefix is the prefix length of a key part on column c written
// with length (-1 when the part has none), as MariaDB takes it: 0 (the
// whole value) without a length or with the full length of a CHAR,
// VARCHAR, BINARY or VARBINARY column; 1391 for a length of 0; 1089 for
// a length on a column that is no string, or beyond its length.
func keyPartPrefix(c *engine.Column, length int) (int, error) {
	switch {
	case length < 0:
		return 0, nil
	case length == 0:
		return 0, errf(sqlerr.ErrKeyPartZero, "Key part '%s' length cannot be 0", c.Name)
	case !engine.PrefixFits(c, length):
		return 0, errf(sqlerr.ErrWrongSubKey, "Incorrect prefix key; the used key part isn't a string, the used length is longer than the key part, or the storage engine doesn't support unique prefix keys")
	}
	return wholeIfFull(c, length), nil
}

// maxKeyBytes is the longest key MariaDB's InnoDB allows (innodb_page_size
// 16K): a plain index on one longer string part is cut to a prefix of this
// many bytes (longKeyPrefix).
const maxKeyBytes = 3072

// longKeyPrefix applies MariaDB's rule for a part of a non-unique index
// on column c with prefix length n (0: the whole value): when the part
// can be longer than maxKeyBytes (text counted at 4 bytes a character),
// the index keys a prefix of maxKeyBytes instead (768 characters of text),
// and MariaDB says so in note 1071. It returns the new prefix and whether
// it cut. Keying the whole value would make rows with values too long for
// an index file (index.MaxKeySize) impossible to insert.
func longKeyPrefix(c *engine.Column, n int) (int, bool) {
	bytes, ok := stringPartBytes(c, n)
	if !ok || bytes <= maxKeyBytes {
		return n, false
	}
	if c.Type.IsString() {
		return maxKeyBytes / 4, true
	}
	return maxKeyBytes, true
}

// keyPartBytes is the most bytes a key part on column c with prefix n (0:
// the whole value) takes in a key of MariaDB's InnoDB, as it counts them
// against maxKeyBytes: text at 4 bytes a character (utf8mb4), binary
// strings their length (no length bytes), other types their fixed storage
// size (DECIMAL's packed digits, the fraction bytes of TIME, DATETIME and
// TIMESTAMP). A TEXT or BLOB part without a prefix counts its whole
// length. JSON counts nothing (blitz keys it whole; MariaDB, whose JSON is
// LONGTEXT, would cut it as a TEXT).
func keyPartBytes(c *engine.Column, n int) int {
	if b, ok := stringPartBytes(c, n); ok {
		return b
	}
	frac := func() int { return (c.Scale + 1) / 2 }
	switch c.Type {
	case engine.TypeTinyInt, engine.TypeYear:
		return 1
	case engine.TypeSmallInt:
		return 2
	case engine.TypeMediumInt, engine.TypeDate:
		return 3
	case engine.TypeInt, engine.TypeFloat:
		return 4
	case engine.TypeBigInt, engine.TypeDouble:
		return 8
	case engine.TypeDecimal:
		return decimalBytes(c.Precision-c.Scale) + decimalBytes(c.Scale)
	case engine.TypeTime:
		return 3 + frac()
	case engine.TypeDateTime:
		return 5 + frac()
	case engine.TypeTimestamp:
		return 4 + frac()
	case engine.TypeEnum:
		if len(c.Elems) > 255 {
			return 2
		}
		return 1
	case engine.TypeSet:
		if b := (len(c.Elems) + 7) / 8; b <= 4 {
			return b
		}
		return 8
	case engine.TypeBit:
		return (c.Length + 7) / 8
	}
	return 0
}

// decimalBytes is how many bytes MariaDB packs digits decimal digits of
// one side of a DECIMAL's point into: 4 for each 9, fewer for the rest.
func decimalBytes(digits int) int {
	rest := [9]int{0, 1, 1, 2, 2, 3, 3, 4, 4}
	return digits/9*4 + rest[digits%9]
}

// stringPartBytes is keyPartBytes of a string column c with prefix n, and
// whether c is one, with the bytes a character counts for.
func stringPartBytes(c *engine.Column, n int) (bytes int, ok bool) {
	perChar := 1
	switch c.Type {
	case engine.TypeChar, engine.TypeVarChar:
		bytes, perChar = c.Length*4, 4
	case engine.TypeText:
		bytes, perChar = c.Length, 4 // a TEXT's length is in bytes
	case engine.TypeBinary, engine.TypeVarBinary, engine.TypeBlob:
		bytes = c.Length
	default:
		return 0, false
	}
	if bytes == 0 && (c.Type == engine.TypeText || c.Type == engine.TypeBlob) {
		bytes = 65535
	}
	if n > 0 {
		bytes = n * perChar
	}
	return bytes, true
}

// innodbKeyBytes is keyPartBytes summed over the parts cols (prefix lengths
// prefix, nil for none) of def.
func innodbKeyBytes(def *engine.TableDef, cols []string, prefix []int) int {
	sum := 0
	for i, cn := range cols {
		if j := def.ColumnIndex(cn); j >= 0 {
			n := 0
			if prefix != nil {
				n = prefix[i]
			}
			sum += keyPartBytes(&def.Columns[j], n)
		}
	}
	return sum
}

// wholeBlobPart reports whether a part of cols (prefix lengths prefix) is
// a TEXT or BLOB column keyed whole: a primary key so made is refused
// with 1170 (the engine's TableDef.validate), before its length counts.
func wholeBlobPart(def *engine.TableDef, cols []string, prefix []int) bool {
	for i, cn := range cols {
		if j := def.ColumnIndex(cn); j >= 0 && (prefix == nil || prefix[i] == 0) {
			if t := def.Columns[j].Type; t == engine.TypeText || t == engine.TypeBlob {
				return true
			}
		}
	}
	return false
}

// primaryTooLong reports whether a primary key on cols (prefix lengths
// prefix) is longer than MariaDB's InnoDB takes.
func primaryTooLong(def *engine.TableDef, cols []string, prefix []int) bool {
	return innodbKeyBytes(def, cols, prefix) > maxKeyBytes && !wholeBlobPart(def, cols, prefix)
}

// errKeyTooLong is MariaDB's error for a key longer than maxKeyBytes.
func errKeyTooLong() error {
	return errf(sqlerr.ErrTooLongKey, "Specified key was too long; max key length is %d bytes", maxKeyBytes)
}

// longKeys applies MariaDB's rules for keys longer than maxKeyBytes to
// the primary key and the plain (not UNIQUE, not hidden) indexes of def,
// where wasBytes, when not nil, says how long each was before (an ALTER
// TABLE that changed columns; a key it did not lengthen is left as it
// is: tables made before blitz checked stay usable):
//
//   - a part of a plain index longer than maxKeyBytes on its own keys a
//     prefix of maxKeyBytes instead, with note 1071 (longKeyPrefix);
//   - a plain index still longer (it has other parts), or a primary key
//     longer, is error 1071.
//
// A UNIQUE key of any length is accepted: MariaDB makes it a hash key
// (USING HASH), blitz keys it whole (up to index.MaxKeySize a row).
func (x *execCtx) longKeys(def *engine.TableDef, wasBytes func(index string) int) error {
	grew := func(name string, n int) bool { return wasBytes == nil || n > wasBytes(name) }
	if primaryTooLong(def, def.PrimaryKey, def.PrimaryPrefix) && grew("PRIMARY", innodbKeyBytes(def, def.PrimaryKey, def.PrimaryPrefix)) {
		return errKeyTooLong()
	}
	for i := range def.Indexes {
		ix := &def.Indexes[i]
		if ix.Unique || ix.Hidden || !grew(ix.Name, innodbKeyBytes(def, ix.Columns, ix.Prefix)) {
			continue
		}
		prefix := make([]int, len(ix.Columns))
		copy(prefix, ix.Prefix)
		for p, cn := range ix.Columns {
			if j := def.ColumnIndex(cn); j >= 0 {
				if n, cut := longKeyPrefix(&def.Columns[j], prefix[p]); cut {
					prefix[p] = n
					x.s.addNote(sqlerr.ErrTooLongKey, "Specified key was too long; max key length is %d bytes", maxKeyBytes)
				}
			}
		}
		ix.Prefix = noPrefix(prefix)
		if innodbKeyBytes(def, ix.Columns, ix.Prefix) > maxKeyBytes {
			return errKeyTooLong()
		}
	}
	return nil
}

// wholeIfFull returns 0 (the whole value) for a prefix of n that covers
// every value of c, else n.
func wholeIfFull(c *engine.Column, n int) int {
	switch c.Type {
	case engine.TypeChar, engine.TypeVarChar, engine.TypeBinary, engine.TypeVarBinary:
		if n >= c.Length {
			return 0
		}
	}
	return n
}

// noPrefix returns prefix, or nil when it has no prefix part.
func noPrefix(prefix []int) []int {
	for _, n := range prefix {
		if n != 0 {
			return prefix
		}
	}
	return nil
}

// fitPrefixes makes def's prefix key parts follow column changes, as
// MariaDB's ALTER TABLE does: a part whose column is no longer a string,
// or no longer than the prefix, keys the whole value.
func fitPrefixes(def *engine.TableDef) {
	fit := func(cols []string, prefix []int) []int {
		if prefix == nil {
			return nil
		}
		out := make([]int, len(prefix))
		for i, n := range prefix {
			if j := def.ColumnIndex(cols[i]); n > 0 && j >= 0 && engine.PrefixFits(&def.Columns[j], n) {
				out[i] = wholeIfFull(&def.Columns[j], n)
			}
		}
		return noPrefix(out)
	}
	def.PrimaryPrefix = fit(def.PrimaryKey, def.PrimaryPrefix)
	for i := range def.Indexes {
		def.Indexes[i].Prefix = fit(def.Indexes[i].Columns, def.Indexes[i].Prefix)
	}
}

// dropKeyColumn removes column name from the key parts cols (and their
// prefix lengths).
func dropKeyColumn(cols []string, prefix []int, name string) ([]string, []int) {
	var keep []string
	var keepPrefix []int
	for i, c := range cols {
		if strings.EqualFold(c, name) {
			continue
		}
		keep = append(keep, c)
		if prefix != nil {
			keepPrefix = append(keepPrefix, prefix[i])
		}
	}
	return keep, noPrefix(keepPrefix)
}

// keyPartsText is the column list of a key in SHOW CREATE TABLE:
// `a`,`b`(10).
func keyPartsText(cols []string, prefix []int) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c)
		if i < len(prefix) && prefix[i] > 0 {
			q[i] += fmt.Sprintf("(%d)", prefix[i])
		}
	}
	return strings.Join(q, ",")
}

// subPart is SHOW INDEX's Sub_part of part i of a key: its prefix
// length, NULL for a whole value.
func subPart(prefix []int, i int) any {
	if i < len(prefix) && prefix[i] > 0 {
		return int64(prefix[i])
	}
	return nil
}

// prefixBytes is EXPLAIN's key_len of a prefix part of n on column c:
// 4 bytes a character of text (n bytes of a binary string), 2 more for a
// length unless c is CHAR or BINARY, 1 more when c is nullable.
func prefixBytes(c *engine.Column, n int) int {
	if !c.Type.IsBinary() {
		n *= 4
	}
	if c.Type != engine.TypeChar && c.Type != engine.TypeBinary {
		n += 2
	}
	if !c.NotNull {
		n++
	}
	return n
}

// keyPrefix returns the prefix lengths of ti's key name ("PRIMARY" or a
// secondary index).
func keyPrefix(def *engine.TableDef, name string) []int {
	if name == "PRIMARY" {
		return def.PrimaryPrefix
	}
	for _, ix := range def.Indexes {
		if ix.Name == name {
			return ix.Prefix
		}
	}
	return nil
}
