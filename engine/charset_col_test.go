package engine

import (
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestColumnCharset: a latin1 column takes the characters latin1 has
// (cp1252's € among them), refuses the others with 1366 naming their
// bytes, stores '?' for them outside strict mode with that one warning,
// and counts a TEXT's length in latin1 bytes.
func TestColumnCharset(t *testing.T) {
	col := &Column{Name: "s", Type: TypeVarChar, Length: 3, Charset: charset.Latin1}
	if v, err := Coerce(col, "é€", 1); err != nil || v != "é€" {
		t.Fatalf("Coerce(é€) = %v, %v", v, err)
	}
	_, err := Coerce(col, "xā", 1)
	if sqlerr.Code(err) != sqlerr.ErrTruncatedWrong || !strings.Contains(err.Error(), `'\xC4\x81'`) {
		t.Fatalf("Coerce(xā) = %v, want 1366 naming \\xC4\\x81", err)
	}
	v, warn, err := CoerceLoose(col, "āābcd", 2)
	if err != nil || v != "??b" || sqlerr.Code(warn) != sqlerr.ErrTruncatedWrong {
		t.Fatalf("CoerceLoose(āābcd) = %v, %v, %v; want ??b with 1366", v, warn, err)
	}
	text := &Column{Name: "t", Type: TypeText, Length: 255, Charset: charset.Latin1}
	if _, err := Coerce(text, strings.Repeat("é", 255), 1); err != nil {
		t.Fatalf("255 latin1 bytes into TINYTEXT: %v", err)
	}
	if _, err := Coerce(text, strings.Repeat("é", 256), 1); sqlerr.Code(err) != sqlerr.ErrDataTooLong {
		t.Fatalf("256 latin1 bytes into TINYTEXT: %v, want 1406", err)
	}
}

// TestDefCharset: the character sets of a table and its columns survive
// the definition file; a set this build does not know refuses the file.
func TestDefCharset(t *testing.T) {
	d := &TableDef{Name: "l", Charset: charset.Latin1, Columns: []Column{
		{Name: "a", Type: TypeVarChar, Length: 10, Charset: charset.Latin1},
		{Name: "b", Type: TypeVarChar, Length: 10},
	}}
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := decodeDef(b, "l.def")
	if err != nil {
		t.Fatal(err)
	}
	if got.Charset != charset.Latin1 || got.Columns[0].Charset != charset.Latin1 || got.Columns[1].Charset != nil {
		t.Fatalf("decoded sets: table %v, a %v, b %v", got.Charset, got.Columns[0].Charset, got.Columns[1].Charset)
	}
	bad := strings.Replace(string(b), `"charset": "latin1"`, `"charset": "latin9"`, 1)
	if bad == string(b) {
		t.Fatal("no charset field in the encoded definition")
	}
	if i := strings.Index(bad, `,
  "crc32c"`); i >= 0 { // as a hand edit would drop it
		bad = bad[:i] + "\n}"
	}
	if _, _, err := decodeDef([]byte(bad), "l.def"); err == nil || !strings.Contains(err.Error(), "latin9") {
		t.Fatalf("decoding an unknown set: %v", err)
	}
	d.Columns = append(d.Columns, Column{Name: "n", Type: TypeInt, Charset: charset.Latin1})
	if err := d.validate(); err == nil {
		t.Fatal("an INT column with a character set validated")
	}
}
