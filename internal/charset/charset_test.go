package charset

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestDecodeAsMariaDB checks every byte of every single-byte set against
// what MariaDB decodes it to (testdata/charset/mariadb_decode.txt, written
// by regen.sh beside it), and that each set blitz converts is there.
func TestDecodeAsMariaDB(t *testing.T) {
	b, err := os.ReadFile("../../testdata/charset/mariadb_decode.txt")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, list, _ := strings.Cut(line, " ")
		c, err := Lookup(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[name] = true
		hexes := strings.Split(list, ",")
		if len(hexes) != 256 {
			t.Fatalf("%s: %d bytes in the file", name, len(hexes))
		}
		for i, h := range hexes {
			want, err := hex.DecodeString(h)
			if err != nil {
				t.Fatalf("%s %02X: %v", name, i, err)
			}
			if got := c.Decode(string([]byte{byte(i)})); got != string(want) {
				t.Errorf("%s: byte %02X decodes to %X, MariaDB %s", name, i, got, h)
			}
			// Every character a byte decodes to encodes back to that
			// byte, except the '?' of an undefined byte.
			if string(want) != "?" || i == '?' {
				if got := c.Encode(string(want)); got != string([]byte{byte(i)}) {
					t.Errorf("%s: %X encodes to %X, want %02X", name, want, got, i)
				}
			}
		}
	}
	for _, n := range Supported() {
		if c, _ := Lookup(n); !c.Identity() && !seen[n] {
			t.Errorf("%s is converted but not checked against MariaDB (add it to regen.sh)", n)
		}
	}
}

func TestLatin1(t *testing.T) {
	// é, Ü and € (cp1252's 0x80), and a character latin1 does not have.
	if got := Latin1.Decode("\xe9\xdc\x80 x"); got != "éÜ€ x" {
		t.Errorf("Decode = %q", got)
	}
	if got := Latin1.Encode("éÜ€ 漢😀x"); got != "\xe9\xdc\x80 ??x" {
		t.Errorf("Encode = %q", got)
	}
	if got := Latin1.Encode("a\xffb"); got != "a?b" { // not UTF-8
		t.Errorf("Encode of bad UTF-8 = %q", got)
	}
	// ASCII comes back as it is, without a copy.
	s := "SELECT 1"
	if Latin1.Decode(s) != s || Latin1.Encode(s) != s {
		t.Error("ASCII changed")
	}
	if got := string(Latin1.AppendEncode([]byte("x"), "é")); got != "x\xe9" {
		t.Errorf("AppendEncode = %q", got)
	}
}

func TestLookup(t *testing.T) {
	for _, n := range []string{"utf8", "UTF8MB3", "utf8mb4", "binary"} {
		c, err := Lookup(n)
		if err != nil || !c.Identity() {
			t.Errorf("Lookup(%s) = %v, %v; want a set without conversion", n, c, err)
		}
	}
	if c, _ := Lookup("utf8"); c.Name != "utf8mb3" {
		t.Errorf("utf8 is %s, want utf8mb3", c.Name)
	}
	if c, err := Lookup("LATIN1"); err != nil || c != Latin1 {
		t.Errorf("Lookup(LATIN1) = %v, %v", c, err)
	}
	_, err := Lookup("nosuch")
	if e := sqlerr.As(err); e.Code != sqlerr.ErrUnknownCharset || e.Message != "Unknown character set: 'nosuch'" {
		t.Errorf("Lookup(nosuch) = %v", err)
	}
	_, err = Lookup("sjis")
	if e := sqlerr.As(err); e.Code != sqlerr.ErrNotSupported || !strings.Contains(e.Message, "sjis") || !strings.Contains(e.Message, "latin1") {
		t.Errorf("Lookup(sjis) = %v", err)
	}
	if c, coll, err := OfCollation("utf8_BIN"); err != nil || c != UTF8MB3 || coll != "utf8mb3_bin" {
		t.Errorf("OfCollation(utf8_bin) = %v %q %v", c, coll, err)
	}
	if _, _, err := OfCollation("nosuch_ci"); sqlerr.As(err).Code != sqlerr.ErrUnknownCollation {
		t.Errorf("OfCollation(nosuch_ci) = %v", err)
	}
	if c, coll, ok := ByID(8); !ok || c != Latin1 || coll != "latin1_swedish_ci" {
		t.Errorf("ByID(8) = %v %q %v", c, coll, ok)
	}
}

func BenchmarkDecodeASCII(b *testing.B) {
	q := "SELECT id, name, email FROM users WHERE id = 12345"
	for b.Loop() {
		Latin1.Decode(q)
	}
}

// TestFitsOctets: Fits finds the first character a set lacks (or bad
// byte), and Octets is the length of what Encode returns.
func TestFitsOctets(t *testing.T) {
	for _, c := range []struct {
		set  *Charset
		s    string
		fits int
	}{
		{Latin1, "café€", -1},
		{Latin1, "abāc", 2},
		{Latin1, "a\xffb", 1},
		{UTF8MB4, "ā中😀", -1},
		{supported["ascii"], "abc", -1},
		{supported["ascii"], "abé", 2},
		{supported["cp1251"], "жā", 2},
	} {
		if got := c.set.Fits(c.s); got != c.fits {
			t.Errorf("%s.Fits(%q) = %d, want %d", c.set.Name, c.s, got, c.fits)
		}
		if got, want := c.set.Octets(c.s), len(c.set.Encode(c.s)); got != want {
			t.Errorf("%s.Octets(%q) = %d, want len(Encode) %d", c.set.Name, c.s, got, want)
		}
	}
}
