// Package collate holds the collations blitz compares text with: how two
// strings compare (Compare), which characters are one for LIKE
// (EqualRune), and a memcomparable weight string (AppendKey) that index
// keys and primary-key hashing are made of, so that keys sort, match and
// collide in the collation's order.
//
// blitz stores only utf8mb4, so these are utf8mb4 collations, with
// MariaDB's names and ids (the ids go to clients in result metadata):
//
//	utf8mb4_bin                   46  code point order, PAD SPACE (the default)
//	utf8mb4_general_ci            45  one weight per code point: upper case, Latin accents folded
//	utf8mb4_unicode_ci           224  UCA 4.0.0, primary strength
//	utf8mb4_unicode_520_ci       246  UCA 5.2.0, primary strength
//	utf8mb4_nopad_bin           1070  as utf8mb4_bin, trailing spaces count
//	utf8mb4_general_nopad_ci    1069
//	utf8mb4_unicode_nopad_ci    1248
//	utf8mb4_unicode_520_nopad_ci 1270
//
// The weights are MariaDB 10.11's (table.go), so comparisons, equality and
// order agree with MariaDB's for every code point, with one exception:
// under PAD SPACE, a string is compared as its weights without the
// trailing space weights, so one that ends in spaces followed by
// characters weighing less than a space (a tab, in a general or unicode
// collation) sorts after its prefix rather than before it, as MariaDB's
// padding would. Equality is exact.
//
// A Collation is immutable and safe for concurrent use.
package collate

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// kind is how a collation weighs characters. Part of the format of the
// weight tables (table.go): never renumber.
type kind uint8

const (
	kindBin     kind = 0 // UTF-8 bytes, which is code point order
	kindGeneral kind = 1
	kindUCA400  kind = 2
	kindUCA520  kind = 3
)

// Collation is one utf8mb4 collation.
type Collation struct {
	ID    uint16 // MariaDB's collation id
	Name  string // MariaDB's name, utf8mb4_...
	NoPad bool   // trailing spaces count (NO PAD); else they are ignored (PAD SPACE)
	kind  kind
}

// The collations. Bin is blitz's default.
var (
	Bin               = &Collation{ID: 46, Name: "utf8mb4_bin", kind: kindBin}
	GeneralCI         = &Collation{ID: 45, Name: "utf8mb4_general_ci", kind: kindGeneral}
	UnicodeCI         = &Collation{ID: 224, Name: "utf8mb4_unicode_ci", kind: kindUCA400}
	Unicode520CI      = &Collation{ID: 246, Name: "utf8mb4_unicode_520_ci", kind: kindUCA520}
	NoPadBin          = &Collation{ID: 1070, Name: "utf8mb4_nopad_bin", NoPad: true, kind: kindBin}
	GeneralNoPadCI    = &Collation{ID: 1069, Name: "utf8mb4_general_nopad_ci", NoPad: true, kind: kindGeneral}
	UnicodeNoPadCI    = &Collation{ID: 1248, Name: "utf8mb4_unicode_nopad_ci", NoPad: true, kind: kindUCA400}
	Unicode520NoPadCI = &Collation{ID: 1270, Name: "utf8mb4_unicode_520_nopad_ci", NoPad: true, kind: kindUCA520}
)

var all = []*Collation{GeneralCI, Bin, UnicodeCI, Unicode520CI, GeneralNoPadCI, NoPadBin, UnicodeNoPadCI, Unicode520NoPadCI}

// All returns every collation, in MariaDB's SHOW COLLATION order (by id
// within the pad kinds). The slice must not be modified.
func All() []*Collation { return all }

// Default is the collation MariaDB gives a text column or table that
// names the character set utf8mb4 but no collation.
var Default = GeneralCI

// String returns c's name.
func (c *Collation) String() string { return c.Name }

// IsBin reports whether c is utf8mb4_bin, whose comparisons and keys are
// the ones blitz had before collations existed.
func (c *Collation) IsBin() bool { return c == Bin }

// IsBinary reports whether c orders by code point (utf8mb4_bin and
// utf8mb4_nopad_bin): every character is distinct.
func (c *Collation) IsBinary() bool { return c.kind == kindBin }

// ByName returns the collation called name (case-insensitive). The names
// of the utf8mb3 (utf8) collations stand for their utf8mb4 counterparts,
// which weigh every character utf8mb3 has alike, and so do ascii_bin,
// ascii_general_ci, latin1_bin and their nopad forms, whose characters
// are a subset. ok is false for a name blitz does not implement.
func ByName(name string) (c *Collation, ok bool) {
	n := strings.ToLower(name)
	for _, p := range []string{"utf8mb3_", "utf8_"} {
		if strings.HasPrefix(n, p) {
			n = "utf8mb4_" + n[len(p):]
		}
	}
	switch n {
	case "ascii_bin", "latin1_bin":
		n = "utf8mb4_bin"
	case "ascii_nopad_bin", "latin1_nopad_bin":
		n = "utf8mb4_nopad_bin"
	case "ascii_general_ci":
		n = "utf8mb4_general_ci"
	case "ascii_general_nopad_ci":
		n = "utf8mb4_general_nopad_ci"
	}
	for _, c := range all {
		if c.Name == n {
			return c, true
		}
	}
	return nil, false
}

// Approximations are collations blitz does not have, each with the
// collation it uses instead and warns about: the defaults of latin1, which
// every dump of a latin1 table names.
var Approximations = map[string]*Collation{
	"latin1_swedish_ci":       GeneralCI,
	"latin1_general_ci":       GeneralCI,
	"latin1_swedish_nopad_ci": GeneralNoPadCI,
}

// ByID returns the collation with MariaDB id id.
func ByID(id uint16) (*Collation, bool) {
	for _, c := range all {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

// ForCharset returns the default collation of a character set blitz
// accepts: utf8mb4's (utf8mb4_general_ci) for utf8mb4, utf8mb3, utf8 and
// ascii, and for latin1 its stand-in (see Approximations); ok is false for
// other character sets.
func ForCharset(cs string) (c *Collation, approx string, ok bool) {
	switch strings.ToLower(cs) {
	case "utf8mb4", "utf8mb3", "utf8", "ascii":
		return GeneralCI, "", true
	case "latin1":
		return GeneralCI, "latin1_swedish_ci", true
	}
	return nil, "", false
}

var tables struct {
	once                    [4]sync.Once
	general, uca400, uca520 *weightTable
}

// table returns c's weight table, decoding it on first use. The embedded
// tables are checked by the package's tests, so an error here is a build
// that lost them: it panics.
func (c *Collation) table() *weightTable {
	var p **weightTable
	var z []byte
	switch c.kind {
	case kindGeneral:
		p, z = &tables.general, generalTable
	case kindUCA400:
		p, z = &tables.uca400, uca400Table
	default:
		p, z = &tables.uca520, uca520Table
	}
	tables.once[c.kind].Do(func() {
		t, err := loadTable(c.kind, z)
		if err != nil {
			panic(err)
		}
		*p = t
	})
	return *p
}

// spaceWeight is the weight of ' ' under c's tables.
func (c *Collation) spaceWeight() uint16 {
	switch c.kind {
	case kindGeneral:
		return 0x0020
	case kindUCA400:
		return 0x0209
	}
	return 0x020A
}

// Compare returns -1, 0 or +1 as a sorts before, with or after b.
func (c *Collation) Compare(a, b string) int {
	if c.kind == kindBin {
		if !c.NoPad {
			a, b = strings.TrimRight(a, " "), strings.TrimRight(b, " ")
		}
		return strings.Compare(a, b)
	}
	t := c.table()
	var wa, wb [maxWeights]uint16
	qa, qb := wa[:0], wb[:0]
	for {
		for len(qa) == 0 && a != "" {
			r, n := utf8.DecodeRuneInString(a)
			a = a[n:]
			qa = t.appendWeights(wa[:0], r)
		}
		for len(qb) == 0 && b != "" {
			r, n := utf8.DecodeRuneInString(b)
			b = b[n:]
			qb = t.appendWeights(wb[:0], r)
		}
		switch {
		case len(qa) == 0 && len(qb) == 0:
			return 0
		case len(qa) == 0:
			if c.onlySpaces(t, qb, b) {
				return 0
			}
			return -1
		case len(qb) == 0:
			if c.onlySpaces(t, qa, a) {
				return 0
			}
			return 1
		}
		if qa[0] != qb[0] {
			if qa[0] < qb[0] {
				return -1
			}
			return 1
		}
		qa, qb = qa[1:], qb[1:]
	}
}

// onlySpaces reports whether the pending weights q and the text rest weigh
// as nothing but spaces, which PAD SPACE ignores at the end of a string.
func (c *Collation) onlySpaces(t *weightTable, q []uint16, rest string) bool {
	if c.NoPad {
		return false
	}
	sp := c.spaceWeight()
	var buf [maxWeights]uint16
	for {
		for _, w := range q {
			if w != sp {
				return false
			}
		}
		if rest == "" {
			return true
		}
		r, n := utf8.DecodeRuneInString(rest)
		rest = rest[n:]
		q = t.appendWeights(buf[:0], r)
	}
}

// Equal reports whether a and b are equal under c.
func (c *Collation) Equal(a, b string) bool {
	if c.kind == kindBin && c.NoPad {
		return a == b
	}
	return c.Compare(a, b) == 0
}

// EqualRune reports whether two characters are one under c, as LIKE
// matches them one by one (so that 'ß' LIKE 's_' is false even where
// 'ß' = 'ss').
func (c *Collation) EqualRune(a, b rune) bool {
	if a == b || c.kind == kindBin {
		return a == b
	}
	t := c.table()
	var wa, wb [maxWeights]uint16
	qa, qb := t.appendWeights(wa[:0], a), t.appendWeights(wb[:0], b)
	if len(qa) != len(qb) {
		return false
	}
	for i := range qa {
		if qa[i] != qb[i] {
			return false
		}
	}
	return true
}

// AppendKey appends s's weight string to dst: two strings compare under c
// as their weight strings compare bytewise (see the package comment for
// the one exception under PAD SPACE), and equal strings have equal weight
// strings. For the binary collations it is the text itself (with trailing
// spaces under PAD SPACE removed); for the others, each weight as two
// bytes, big-endian, the trailing space weights removed under PAD SPACE.
// The weight string is not text and is not decoded back.
func (c *Collation) AppendKey(dst []byte, s string) []byte {
	if c.kind == kindBin {
		if !c.NoPad {
			s = strings.TrimRight(s, " ")
		}
		return append(dst, s...)
	}
	t := c.table()
	start := len(dst)
	var buf [maxWeights]uint16
	for _, r := range s {
		for _, w := range t.appendWeights(buf[:0], r) {
			dst = append(dst, byte(w>>8), byte(w))
		}
	}
	if !c.NoPad {
		sp := c.spaceWeight()
		for len(dst) >= start+2 && uint16(dst[len(dst)-2])<<8|uint16(dst[len(dst)-1]) == sp {
			dst = dst[:len(dst)-2]
		}
	}
	return dst
}
