// Package charset holds the character sets a client connection may speak:
// the text of its statements arrives in character_set_client, and result
// text leaves in character_set_results. blitz stores UTF-8 (utf8mb4)
// only, so a connection's character set is a conversion at the edge:
// Decode turns the client's bytes into UTF-8, Encode turns UTF-8 into the
// client's bytes, a character the set does not have becoming '?' (as
// MariaDB converts results, without an error).
//
// The names are MariaDB's. utf8mb4, utf8mb3 (utf8) and binary need no
// conversion (Charset.Identity): a utf8mb3 client receives the 4-byte
// characters MariaDB would send as '?' unchanged, which costs nothing on
// the common connections. The single-byte sets are converted through
// tables built from golang.org/x/text's code pages, with the bytes those
// leave undefined mapped as MariaDB maps them (latin1's 0x81 is U+0081;
// cp1250's 0x81 is '?'); only the sets whose 256 bytes then decode
// exactly as MariaDB 10.11 decodes them are here (charset_test.go checks
// them against testdata/charset/mariadb_decode.txt); greek, hebrew, cp866,
// koi8u and cp1256 take a few bytes from MariaDB's tables where the code
// page differs (singleByte's fix). The other sets MariaDB knows
// (multi-byte Asian sets, ucs2/utf16/utf32, tis620, dec8, ...) are
// refused with a clear error rather than converted wrongly.
package charset

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Charset is one character set a connection may use. It is immutable and
// safe for concurrent use.
type Charset struct {
	Name      string // MariaDB's name: latin1, utf8mb3, ...
	Collation string // its default collation: latin1_swedish_ci
	ID        uint16 // that collation's id, sent in result metadata
	MaxLen    uint32 // the most bytes one character takes

	dec *[256]rune    // nil: no conversion (UTF-8 or binary)
	enc map[rune]byte // the bytes of the characters from U+0080 on
}

// Identity reports whether c's bytes are stored as they come (utf8mb4,
// utf8mb3, binary): Decode and Encode return their argument.
func (c *Charset) Identity() bool { return c.dec == nil }

// Decode returns s, text in c, as UTF-8. A byte c leaves undefined (ascii
// from 0x80, cp1250's 0x81) becomes '?', as in MariaDB.
func (c *Charset) Decode(s string) string {
	if c.dec == nil {
		return s
	}
	i := asciiPrefix(s)
	if i == len(s) {
		return s // ASCII is the same in every set here
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		b.WriteRune(c.dec[s[i]])
	}
	return b.String()
}

// asciiPrefix is the length of s's leading ASCII bytes: text every set
// here spells the same.
func asciiPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// Encode returns s, UTF-8 text, in c. A character c does not have (and a
// byte of s that is not UTF-8) becomes one '?', as MariaDB converts result
// text.
func (c *Charset) Encode(s string) string {
	if c.dec == nil {
		return s
	}
	if asciiPrefix(s) == len(s) {
		return s
	}
	return string(c.AppendEncode(make([]byte, 0, len(s)), s))
}

// Keep returns s, UTF-8 text, with each character c does not have (and
// each byte that is not UTF-8) made '?': the text c can hold, still in
// UTF-8, as a conversion to c and back leaves it.
func (c *Charset) Keep(s string) string {
	if c.dec == nil {
		return s
	}
	return c.Decode(c.Encode(s))
}

// AppendEncode appends s, UTF-8 text, in c to dst (see Encode).
func (c *Charset) AppendEncode(dst []byte, s string) []byte {
	if c.dec == nil {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			dst = append(dst, s[i])
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		b, ok := c.enc[r]
		if !ok {
			b = '?'
		}
		dst = append(dst, b)
	}
	return dst
}

// Fits returns the position in s, UTF-8 text, of the first character c
// does not have (or of the first byte that is not UTF-8), -1 when c has
// them all. Every character fits a set that needs no conversion.
func (c *Charset) Fits(s string) int {
	if c.dec == nil {
		return -1
	}
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, ok := c.enc[r]; !ok || r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// Octets is the length in bytes of s, UTF-8 text, in c: what Encode
// returns has this length. It allocates nothing.
func (c *Charset) Octets(s string) int {
	if c.dec == nil {
		return len(s)
	}
	// Every set that converts has one byte a character, and Encode
	// turns each character it lacks (and each bad byte) into one '?'.
	return utf8.RuneCountInString(s)
}

// The sets that need no conversion.
var (
	UTF8MB4 = &Charset{Name: "utf8mb4", Collation: "utf8mb4_general_ci", ID: 45, MaxLen: 4}
	UTF8MB3 = &Charset{Name: "utf8mb3", Collation: "utf8mb3_general_ci", ID: 33, MaxLen: 3}
	Binary  = &Charset{Name: "binary", Collation: "binary", ID: 63, MaxLen: 1}
)

// Latin1 is MariaDB's latin1: Windows-1252, with its five undefined bytes
// as the C1 controls they stand in for in ISO 8859-1.
var Latin1 = singleByte("latin1", "latin1_swedish_ci", 8, charmap.Windows1252, true)

// single-byte sets. c1 tells what a byte the code page leaves undefined
// decodes to: true, the C1 control of the same number (the ISO 8859 sets,
// as MariaDB has them); false, '?' (the Windows code pages).
var supported = map[string]*Charset{
	"utf8mb4":  UTF8MB4,
	"utf8mb3":  UTF8MB3,
	"binary":   Binary,
	"latin1":   Latin1,
	"ascii":    singleByte("ascii", "ascii_general_ci", 11, nil, false),
	"latin2":   singleByte("latin2", "latin2_general_ci", 9, charmap.ISO8859_2, true),
	"latin5":   singleByte("latin5", "latin5_turkish_ci", 30, charmap.ISO8859_9, true),
	"latin7":   singleByte("latin7", "latin7_general_ci", 41, charmap.ISO8859_13, true),
	"cp1250":   singleByte("cp1250", "cp1250_general_ci", 26, charmap.Windows1250, false),
	"cp1251":   singleByte("cp1251", "cp1251_general_ci", 51, charmap.Windows1251, false),
	"cp1257":   singleByte("cp1257", "cp1257_general_ci", 59, charmap.Windows1257, false),
	"cp850":    singleByte("cp850", "cp850_general_ci", 4, charmap.CodePage850, false),
	"cp852":    singleByte("cp852", "cp852_general_ci", 40, charmap.CodePage852, false),
	"koi8r":    singleByte("koi8r", "koi8r_general_ci", 7, charmap.KOI8R, false),
	"macroman": singleByte("macroman", "macroman_general_ci", 39, charmap.Macintosh, false),
	"greek": singleByte("greek", "greek_general_ci", 25, charmap.ISO8859_7, true,
		0xa1, 'ʽ', 0xa2, 'ʼ', 0xa4, '?', 0xa5, '?', 0xaa, '?'),
	"hebrew": singleByte("hebrew", "hebrew_general_ci", 16, charmap.ISO8859_8, true,
		0xaf, '‾', 0xfb, '?', 0xfc, '?'),
	"cp866": singleByte("cp866", "cp866_general_ci", 36, charmap.CodePage866, false, 0xfc, 'ⁿ', 0xfd, '²'),
	"koi8u": singleByte("koi8u", "koi8u_general_ci", 22, charmap.KOI8U, false, 0x95, '•', 0xae, '╝', 0xbe, '╬'),
	"cp1256": singleByte("cp1256", "cp1256_general_ci", 57, charmap.Windows1256, false,
		0x8a, '?', 0x8f, '?', 0x98, '?', 0x9a, '?', 0x9f, '?', 0xaa, '?', 0xc0, '?', 0xff, '?'),
}

// others are the rest of MariaDB 10.11's character sets (SHOW CHARACTER
// SET): names blitz knows and refuses, rather than calling them unknown.
var others = []string{"big5", "dec8", "hp8", "swe7", "ujis", "sjis", "tis620", "euckr",
	"gb2312", "gbk", "armscii8", "ucs2", "keybcs2", "macce",
	"utf16", "utf16le", "utf32", "geostd8", "cp932", "eucjpms"}

// Supported returns the names of the sets blitz converts, in the order
// errors list them.
func Supported() []string {
	return []string{"utf8mb4", "utf8mb3", "binary", "ascii", "latin1", "latin2", "latin5", "latin7",
		"cp1250", "cp1251", "cp1257", "cp850", "cp852", "koi8r", "macroman", "greek", "hebrew", "cp866",
		"koi8u", "cp1256"}
}

// fix lists pairs of a byte and the character MariaDB decodes it to where
// that differs from the code page m (its '?': a byte it leaves undefined).
func singleByte(name, coll string, id uint16, m *charmap.Charmap, c1 bool, fix ...rune) *Charset {
	c := &Charset{Name: name, Collation: coll, ID: id, MaxLen: 1, dec: new([256]rune), enc: map[rune]byte{}}
	for i := range 256 {
		r := rune(i)
		switch {
		case m == nil && i >= utf8.RuneSelf: // ascii
			r = '?'
		case m != nil:
			r = m.DecodeByte(byte(i))
			if r == utf8.RuneError {
				r = '?'
				if c1 && i >= 0x80 && i < 0xa0 {
					r = rune(i)
				}
			}
		}
		for j := 0; j+1 < len(fix); j += 2 {
			if fix[j] == rune(i) {
				r = fix[j+1]
			}
		}
		c.dec[i] = r
		if r >= utf8.RuneSelf {
			c.enc[r] = byte(i)
		}
	}
	return c
}

// Canonical returns the name MariaDB reports for the set called name
// (lower-cased; utf8 is utf8mb3), whether or not blitz supports it.
func Canonical(name string) string {
	name = strings.ToLower(name)
	if name == "utf8" {
		return "utf8mb3"
	}
	return name
}

// Lookup returns the set called name (any case; utf8 is utf8mb3). A name
// MariaDB does not know is its error 1115; one it knows that blitz does
// not convert is 1235, naming the set and the ones blitz has.
func Lookup(name string) (*Charset, error) {
	n := Canonical(name)
	if c, ok := supported[n]; ok {
		return c, nil
	}
	for _, o := range others {
		if n == o {
			return nil, sqlerr.New(sqlerr.ErrNotSupported, "This version of blitz doesn't yet support 'the character set %s on a connection' (it converts %s)", n, strings.Join(Supported(), ", "))
		}
	}
	return nil, sqlerr.New(sqlerr.ErrUnknownCharset, "Unknown character set: '%s'", name)
}

// ForClient is Lookup for character_set_client (and SET NAMES), which
// MariaDB refuses the sets of 2 and 4 bytes a character for (1231).
func ForClient(name string) (*Charset, error) {
	switch Canonical(name) {
	case "ucs2", "utf16", "utf16le", "utf32":
		return nil, sqlerr.New(sqlerr.ErrWrongValueForVar, "Variable 'character_set_client' can't be set to the value of '%s'", name)
	}
	return Lookup(name)
}

// ForNames checks SET NAMES cs [COLLATE coll] (coll "" if none) and
// returns the set and collation_connection's new value: coll as MariaDB
// names it, or the set's default collation. A collation of another set
// is 1253. DEFAULT is utf8mb4.
func ForNames(cs, coll string) (*Charset, string, error) {
	c := UTF8MB4
	if !strings.EqualFold(cs, "default") {
		var err error
		if c, err = ForClient(cs); err != nil {
			return nil, "", err
		}
	}
	if coll == "" {
		return c, c.Collation, nil
	}
	cc, name, err := OfCollation(coll)
	if err != nil {
		return nil, "", err
	}
	if cc != c {
		return nil, "", sqlerr.New(sqlerr.ErrCollationCharset, "COLLATION '%s' is not valid for CHARACTER SET '%s'", strings.ToLower(coll), c.Name)
	}
	return c, name, nil
}

// OfCollation returns the set a collation name belongs to (utf8_bin:
// utf8mb3), and the collation's name as MariaDB reports it
// (utf8mb3_bin). A collation of no set blitz converts is 1273 (Unknown
// collation) when MariaDB has no such set either, else Lookup's error.
func OfCollation(coll string) (*Charset, string, error) {
	coll = strings.ToLower(coll)
	if coll == "binary" {
		return Binary, coll, nil
	}
	cs, rest, ok := strings.Cut(coll, "_")
	if !ok || rest == "" {
		return nil, "", sqlerr.New(sqlerr.ErrUnknownCollation, "Unknown collation: '%s'", coll)
	}
	c, err := Lookup(cs)
	if err != nil {
		if e := sqlerr.As(err); e.Code == sqlerr.ErrUnknownCharset {
			return nil, "", sqlerr.New(sqlerr.ErrUnknownCollation, "Unknown collation: '%s'", coll)
		}
		return nil, "", err
	}
	return c, c.Name + "_" + rest, nil
}

// ByID returns the set of the collation with MariaDB id id, as a client
// names it in its handshake (the sets' default collations and the common
// others), false for an id blitz does not know.
func ByID(id uint16) (c *Charset, collation string, ok bool) {
	for _, c := range supported {
		if c.ID == id {
			return c, c.Collation, true
		}
	}
	switch id {
	case 46:
		return UTF8MB4, "utf8mb4_bin", true
	case 224:
		return UTF8MB4, "utf8mb4_unicode_ci", true
	case 255:
		return UTF8MB4, "utf8mb4_0900_ai_ci", true
	case 83:
		return UTF8MB3, "utf8mb3_bin", true
	case 192:
		return UTF8MB3, "utf8mb3_unicode_ci", true
	case 47:
		return Latin1, "latin1_bin", true
	case 48:
		return Latin1, "latin1_general_ci", true
	case 65:
		return supported["ascii"], "ascii_bin", true
	}
	return nil, "", false
}
