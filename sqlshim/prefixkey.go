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

// longKeyPrefix applies MariaDB's rule for a non-unique index of one part
// on column c with prefix length n (0: the whole value): when the part
// can be longer than maxKeyBytes (text counted at 4 bytes a character),
// the index keys a prefix of maxKeyBytes instead (768 characters of text),
// and MariaDB says so in note 1071. It returns the new prefix and whether
// it cut. Keying the whole value would make rows with values too long for
// an index file (index.MaxKeySize) impossible to insert.
func longKeyPrefix(c *engine.Column, n int) (int, bool) {
	var bytes, perChar int
	switch c.Type {
	case engine.TypeChar, engine.TypeVarChar:
		bytes, perChar = c.Length*4, 4
	case engine.TypeText:
		bytes, perChar = c.Length, 4 // a TEXT's length is in bytes
	case engine.TypeBinary, engine.TypeVarBinary, engine.TypeBlob:
		bytes, perChar = c.Length, 1
	default:
		return n, false
	}
	if bytes == 0 && (c.Type == engine.TypeText || c.Type == engine.TypeBlob) {
		bytes = 65535
	}
	if n > 0 {
		bytes = n * perChar
	}
	if bytes <= maxKeyBytes {
		return n, false
	}
	return maxKeyBytes / perChar, true
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
