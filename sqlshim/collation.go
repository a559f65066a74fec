package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	cs "github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// Collations in definitions. A text column has the collation its
// definition names (COLLATE, or CHARACTER SET for that set's default:
// utf8mb4_general_ci for utf8mb4, as in MariaDB), else the table's
// (DEFAULT CHARSET / COLLATE of CREATE TABLE), else utf8mb4_bin, blitz's
// default. blitz stores UTF-8 text only: the utf8mb3, ascii and latin1
// names of a collation blitz has stand for its utf8mb4 one, latin1's
// case-insensitive defaults become utf8mb4_general_ci with warning 1273,
// the default collation of another set blitz converts (latin2_general_ci)
// is utf8mb4_bin, and any other collation is error 1273. A column's
// character set other than utf8mb4 (CHARACTER SET latin1, a table's
// DEFAULT CHARSET, a collation's set: namedCharset) is kept in its
// definition (engine.Column.Charset) for what it refuses and how many
// bytes its text counts as; its comparisons are its collation's. SHOW
// CREATE TABLE, information_schema and COLLATION() name the set and the
// set's own collation again (setCollationName: latin1_swedish_ci,
// latin1_bin), so a dump reloads a latin1 column as latin1.

// init teaches TiDB's parser MariaDB's NO PAD collations, which MySQL
// (and so the parser's table) does not have: without them COLLATE
// utf8mb4_nopad_bin is a parse error. The ids are MariaDB's.
func init() {
	for _, c := range []struct {
		id       int
		cs, name string
	}{
		{1069, "utf8mb4", "utf8mb4_general_nopad_ci"},
		{1070, "utf8mb4", "utf8mb4_nopad_bin"},
		{1248, "utf8mb4", "utf8mb4_unicode_nopad_ci"},
		{1270, "utf8mb4", "utf8mb4_unicode_520_nopad_ci"},
		{1057, "utf8", "utf8mb3_general_nopad_ci"},
		{1107, "utf8", "utf8mb3_nopad_bin"},
		{1216, "utf8", "utf8mb3_unicode_nopad_ci"},
		{1238, "utf8", "utf8mb3_unicode_520_nopad_ci"},
	} {
		if _, err := charset.GetCollationByName(c.name); err == nil {
			continue
		}
		charset.AddCollation(&charset.Collation{ID: c.id, CharsetName: c.cs, Name: c.name, Sortlen: 1, PadAttribute: charset.PadNone})
	}
	// The parser knows only the sets TiDB converts (utf8mb4, latin1,
	// ascii, gbk, ...): every other name is error 1115 where a statement
	// names a set (CONVERT(x USING latin2), SET NAMES cp1251, CAST(... AS
	// CHAR CHARACTER SET koi8r), a column's CHARACTER SET). Teach it the
	// single-byte sets blitz converts too (internal/charset), so those
	// reach blitz; the sets MariaDB has and blitz does not convert stay
	// 1115.
	for _, name := range cs.Supported() {
		if _, err := charset.GetCharsetInfo(name); err == nil || name == "utf8mb3" {
			continue
		}
		set, err := cs.Lookup(name)
		if err != nil {
			continue
		}
		info := &charset.Charset{Name: set.Name, DefaultCollation: set.Collation, Collations: map[string]*charset.Collation{}, Desc: set.Name, Maxlen: int(set.MaxLen)}
		if coll, err := charset.GetCollationByName(set.Collation); err == nil {
			info.Collations[coll.Name] = coll
		}
		charset.AddCharset(info)
	}
}

// resolveCollation returns the collation named name, or its stand-in with
// warning 1273, or error 1273 for a collation blitz does not have. The
// default collation of a set blitz keeps no collation of (latin2,
// cp1251, ...) is utf8mb4_bin, as CHARACTER SET latin2 alone gives.
func (x *execCtx) resolveCollation(name string) (*collate.Collation, error) {
	if c, ok := collate.ByName(name); ok {
		return c, nil
	}
	if c, ok := collate.Approximations[strings.ToLower(name)]; ok {
		x.s.addWarning(sqlerr.ErrUnknownCollation, "Unknown collation: '%s'; blitz uses %s instead", name, c.Name)
		return c, nil
	}
	if set, _, err := cs.OfCollation(name); err == nil && !set.Identity() && strings.EqualFold(set.Collation, name) {
		if _, _, ok := collate.ForCharset(set.Name); !ok {
			// The default collation of a set blitz converts but has no
			// collation of (latin2_general_ci): what the set alone
			// gives, utf8mb4_bin, as SHOW CREATE TABLE names it
			// (setCollationName), so that a dump loads back.
			return collate.Bin, nil
		}
	}
	return nil, errf(sqlerr.ErrUnknownCollation, "Unknown collation: '%s'", name)
}

// charsetCollation returns the default collation of character set cs, as
// a table or column that names the set and no collation gets it; nil for
// a set blitz keeps as before (utf8mb4_bin): binary and the sets it does
// not convert.
func (x *execCtx) charsetCollation(cs string) (*collate.Collation, error) {
	c, approx, ok := collate.ForCharset(cs)
	if !ok {
		return nil, nil
	}
	if approx != "" {
		return x.resolveCollation(approx)
	}
	return c, nil
}

// checkCharsetCollation is error 1253 when collation coll does not belong
// to character set cs (both as written).
func checkCharsetCollation(cs, coll string) error {
	if cs == "" || coll == "" || strings.EqualFold(coll, "binary") {
		return nil
	}
	norm := func(s string) string {
		s = strings.ToLower(s)
		if s == "utf8" {
			return "utf8mb3"
		}
		return s
	}
	prefix, _, _ := strings.Cut(strings.ToLower(coll), "_")
	if norm(prefix) != norm(cs) {
		return errf(sqlerr.ErrCollationCharset, "COLLATION '%s' is not valid for CHARACTER SET '%s'", coll, cs)
	}
	return nil
}

// tableCollation returns the default collation a CREATE or ALTER TABLE's
// options give (DEFAULT CHARSET, COLLATE), and whether they name one;
// convert reports CONVERT TO CHARACTER SET, which also gives it to every
// text column.
func (x *execCtx) tableCollation(opts []*ast.TableOption) (coll *collate.Collation, named, convert bool, err error) {
	cs, name, convert := tableCharsetOptions(opts)
	if err := checkCharsetCollation(cs, name); err != nil {
		return nil, false, false, err
	}
	switch {
	case name != "":
		coll, err = x.resolveCollation(name)
		return coll, err == nil, convert, err
	case cs != "":
		coll, err = x.charsetCollation(cs)
		return coll, err == nil, convert, err
	}
	return nil, false, false, nil
}

// columnCollation sets col's collation from its definition (CHARACTER
// SET, COLLATE, BINARY), or, when it names none, to the table default
// tableColl, and its character set likewise (tableCS the table's).
// Columns other than CHAR, VARCHAR and TEXT keep none.
func (x *execCtx) columnCollation(col *engine.Column, cd *ast.ColumnDef, tableColl *collate.Collation, tableCS *cs.Charset) error {
	tp := cd.Tp
	cs, name := tp.GetCharset(), tp.GetCollate()
	for _, o := range cd.Options {
		if o.Tp == ast.ColumnOptionCollate {
			name = o.StrValue
		}
	}
	if strings.EqualFold(cs, "binary") {
		return nil
	}
	if err := checkCharsetCollation(cs, name); err != nil {
		return err
	}
	var coll *collate.Collation
	var err error
	switch {
	case name != "" && !strings.EqualFold(name, "binary"):
		coll, err = x.resolveCollation(name)
	case mysql.HasBinaryFlag(tp.GetFlag()) || strings.EqualFold(name, "binary"):
		coll = collate.Bin // VARCHAR(n) BINARY: the set's binary collation
		if tableColl != nil && tableColl.NoPad {
			coll = collate.NoPadBin
		}
	case cs != "":
		coll, err = x.charsetCollation(cs)
	default:
		coll = tableColl
	}
	if err != nil {
		return err
	}
	switch col.Type {
	case engine.TypeChar, engine.TypeVarChar, engine.TypeText:
		col.Charset = namedCharset(cs, name, tableCS)
	}
	switch col.Type {
	case engine.TypeChar, engine.TypeVarChar, engine.TypeText, engine.TypeEnum, engine.TypeSet:
		if coll != nil && !coll.IsBin() {
			col.Collation = coll
		}
	}
	return nil
}

// namedCharset is the character set a definition gives text: the set
// name names, else that of collation coll, else def (the table's, for a
// column); nil for utf8mb4 and the sets that need no conversion, and for
// a set blitz does not convert (which keeps utf8mb4, as before).
func namedCharset(name, coll string, def *cs.Charset) *cs.Charset {
	var c *cs.Charset
	switch {
	case name != "":
		c, _ = cs.Lookup(name)
	case coll != "" && !strings.EqualFold(coll, "binary"):
		c, _, _ = cs.OfCollation(coll)
	default:
		return def
	}
	if c == nil || c.Identity() {
		return nil
	}
	return c
}

// tableCharsetOptions reads a CREATE or ALTER TABLE's DEFAULT CHARSET
// (utf8mb4 for DEFAULT CHARSET = DEFAULT) and COLLATE options, and whether
// the set comes with CONVERT TO.
func tableCharsetOptions(opts []*ast.TableOption) (set, coll string, convert bool) {
	for _, o := range opts {
		switch o.Tp {
		case ast.TableOptionCharset:
			set = o.StrValue
			if o.Default && set == "" {
				set = "utf8mb4"
			}
			convert = convert || o.UintValue == ast.TableOptionCharsetWithConvertTo
		case ast.TableOptionCollate:
			coll = o.StrValue
		}
	}
	return set, coll, convert
}

// tableCharset is the default character set CREATE or ALTER TABLE's
// options give (DEFAULT CHARSET, COLLATE), and whether they name one.
func tableCharset(opts []*ast.TableOption) (*cs.Charset, bool) {
	name, coll, _ := tableCharsetOptions(opts)
	if name == "" && coll == "" {
		return nil, false
	}
	return namedCharset(name, coll, nil), true
}

// setCollationName is the name MariaDB gives collation coll (nil:
// utf8mb4_bin) of text in character set set (nil: utf8mb4), as SHOW
// CREATE TABLE, information_schema and COLLATION() name it. blitz keeps
// a set's collation as its utf8mb4 stand-in (latin1_swedish_ci is
// utf8mb4_general_ci, latin1_bin utf8mb4_bin: resolveCollation), so the
// set turns it back into the set's own name: its default collation for
// the stand-in of the default, <set>_bin for utf8mb4_bin. A set blitz has
// no collation for (latin2, cp1251, ...) compares as utf8mb4_bin, its
// stand-in for the set's default, whose name it gets. latin1_general_ci,
// whose stand-in is that of latin1_swedish_ci, reads back as the latter.
func setCollationName(set *cs.Charset, coll *collate.Collation) string {
	if coll == nil {
		coll = collate.Bin
	}
	if set == nil || set.Identity() {
		return coll.Name
	}
	def, _, ok := collate.ForCharset(set.Name)
	switch {
	case !ok && coll == collate.Bin, coll == def:
		return set.Collation
	case coll == collate.Bin:
		return set.Name + "_bin"
	case coll == collate.NoPadBin:
		return set.Name + "_nopad_bin"
	case def != nil && coll.NoPad && !def.NoPad:
		if base, ok := strings.CutSuffix(set.Collation, "_ci"); ok {
			return base + "_nopad_ci"
		}
	}
	return coll.Name
}

// setName is the name of character set set (nil: utf8mb4).
func setName(set *cs.Charset) string {
	if set == nil {
		return cs.UTF8MB4.Name
	}
	return set.Name
}

// columnCharset is the character set and collation MariaDB names for text
// column c (CHAR, VARCHAR, TEXT, ENUM, SET).
func columnCharset(c *engine.Column) (set, coll string) {
	return setName(c.Charset), setCollationName(c.Charset, c.Coll())
}

// collationText is what SHOW CREATE TABLE adds to column c of table def:
// the column's character set and collation when they differ from the
// table's, as MariaDB shows them.
func collationText(c *engine.Column, def *engine.TableDef) string {
	tableCS, tableColl := tableCharsetNames(def)
	if c.Type == engine.TypeJSON && tableColl != collate.Bin.Name {
		// As MariaDB prints a JSON column (LONGTEXT utf8mb4_bin) of a
		// table with another collation, so that a dump loads it back.
		return " CHARACTER SET utf8mb4 COLLATE " + collate.Bin.Name
	}
	switch c.Type {
	case engine.TypeChar, engine.TypeVarChar, engine.TypeText, engine.TypeEnum, engine.TypeSet:
	default:
		return ""
	}
	if (c.Type == engine.TypeEnum || c.Type == engine.TypeSet) && c.Collation == def.Collation {
		// blitz keeps no set for ENUM and SET: one with the table's
		// collation has its set too.
		return ""
	}
	set, coll := columnCharset(c)
	if set == tableCS && coll == tableColl {
		return ""
	}
	return " CHARACTER SET " + set + " COLLATE " + coll
}

// tableCharsetNames are the names of a table's default character set and
// collation.
func tableCharsetNames(def *engine.TableDef) (set, coll string) {
	return setName(def.Charset), setCollationName(def.Charset, def.Collation)
}

// convertedTextLength is the length (255, 65535, 16777215, 4294967295:
// TINYTEXT to LONGTEXT) of a TEXT column of length n in set from that
// CONVERT TO CHARACTER SET to set gives it, as MariaDB: the smallest that
// holds as many characters of to as n holds bytes of from, so a latin1
// TEXT becomes a utf8mb4 MEDIUMTEXT; never a smaller one.
func convertedTextLength(n int, from, to *cs.Charset) int {
	maxLen := func(c *cs.Charset) int {
		if c == nil {
			return int(cs.UTF8MB4.MaxLen)
		}
		return int(c.MaxLen)
	}
	if n <= 0 {
		n = 65535 // TEXT
	}
	need := n / maxLen(from) * maxLen(to)
	for _, l := range []int{255, 65535, 16777215} {
		if l >= n && l >= need {
			return l
		}
	}
	return 4294967295
}

// alterCollation applies the DEFAULT CHARSET / COLLATE options of an
// ALTER TABLE, if any: the table's default collation changes (its
// definition only), and with CONVERT TO every text column gets it too,
// which rebuilds the keys of the columns whose collation changes (a
// collation under which two keys become equal fails with 1062 and leaves
// the table as it was).
func (x *execCtx) alterCollation(ti *tableInfo, opts []*ast.TableOption) error {
	cc := newColChange(ti.def)
	if err := x.foldCollation(cc, opts); err != nil || !cc.dirty {
		return err
	}
	return x.applyColChange(ti, cc)
}

// foldCollation makes the change alterCollation makes in cc's definition.
func (x *execCtx) foldCollation(cc *colChange, opts []*ast.TableOption) error {
	coll, named, convert, err := x.tableCollation(opts)
	if err != nil || !named {
		return err
	}
	if coll != nil && coll.IsBin() {
		coll = nil
	}
	tcs, _ := tableCharset(opts)
	cc.def.Collation, cc.def.Charset, cc.dirty = coll, tcs, true
	if convert {
		for i := range cc.def.Columns {
			switch c := &cc.def.Columns[i]; c.Type {
			case engine.TypeChar, engine.TypeVarChar, engine.TypeText:
				if c.Type == engine.TypeText {
					c.Length = convertedTextLength(c.Length, c.Charset, tcs)
				}
				c.Charset = tcs
				c.Collation = coll
			case engine.TypeEnum, engine.TypeSet:
				c.Collation = coll
			}
		}
	}
	return nil
}
