// Package jsondoc holds JSON documents as MariaDB 10.11 handles them: a
// parser that keeps what the document says (member order, duplicate keys,
// the spelling of numbers, the escapes of strings), the three ways MariaDB
// prints a document back (normal, JSON_COMPACT, JSON_DETAILED), the errors
// it reports for text that is not JSON, with MariaDB's codes and
// positions (doc.go), and JSON paths (path.go). The SQL functions are in
// sqlshim/funcs_json.go; the engine checks JSON columns with Valid.
//
// MariaDB stores JSON as text: a JSON column is LONGTEXT whose values
// must parse, and every function reads its JSON arguments from text.
// Functions that build or change a document print it in the normal form:
// ", " between items, ": " after a key, numbers and strings exactly as
// the input spelled them (3.10e0 stays 3.10e0, "\u00e9" stays escaped).
package jsondoc

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

const (
	Null Kind = iota
	False
	True
	Number
	String
	Array
	Object
)

// MaxDepth is MariaDB's limit on nested arrays and objects
// (JSON_DEPTH_LIMIT): 31 levels parse, a 32nd is error 4040.
const MaxDepth = 32

// Value is one parsed JSON value.
type Value struct {
	Kind Kind
	// Text is a number as written, or a string between its quotes with
	// its escapes as written.
	Text  string
	Keys  []string // an object's member names, as Text is for strings
	Items []*Value // an array's elements, or an object's member values (Keys[i]: Items[i])
	// Raw is an array or object as the parsed text spelled it (white
	// space and all), which JSON_QUERY returns; empty for a value built
	// or changed since.
	Raw string
}

// JSON text errors, MariaDB's codes.
const (
	ErrBrokenString = 4035 // Broken JSON string
	ErrBadChar      = 4036 // Character disallowed in JSON
	ErrEOS          = 4037 // Unexpected end of JSON text
	ErrSyntax       = 4038 // Syntax error in JSON text
	ErrEscaping     = 4039 // Incorrect escaping in JSON text
	ErrDepth        = 4040 // Limit of 32 on JSON nested structures depth
)

// Error is why a text is not JSON: a MariaDB code and the byte
// position MariaDB names in its message.
type Error struct {
	Code int
	Pos  int
}

// message is the text of e for argument arg of function fn.
func (e *Error) Message(arg int, fn string) string {
	switch e.Code {
	case ErrBrokenString:
		return "Broken JSON string in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
	case ErrBadChar:
		return "Character disallowed in JSON in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
	case ErrEOS:
		return "Unexpected end of JSON text in argument " + strconv.Itoa(arg) + " to function '" + fn + "'"
	case ErrEscaping:
		return "Incorrect escaping in JSON text in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
	case ErrDepth:
		return "Limit of " + strconv.Itoa(MaxDepth) + " on JSON nested structures depth is reached in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
	}
	return "Syntax error in JSON text in argument " + strconv.Itoa(arg) + " to function '" + fn + "' at position " + strconv.Itoa(e.Pos)
}

// parser reads one document. The positions of its errors are
// MariaDB's: mostly just past the byte that was wrong, the end of the
// text for a number cut short, and the byte itself where MariaDB looks
// ahead (a literal, a missing colon, an escape).
type parser struct {
	s     string
	i     int
	depth int
}

// Parse parses s, which must hold exactly one JSON value (with white
// space around it).
func Parse(s string) (*Value, *Error) {
	p := parser{s: s}
	p.space()
	if p.i == len(s) {
		return nil, &Error{Code: ErrEOS}
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(s) {
		return nil, p.syntax()
	}
	return v, nil
}

// Valid reports whether s is one JSON document.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) space() {
	for p.i < len(p.s) && isJSONSpace(p.s[p.i]) {
		p.i++
	}
}

// syntax is a syntax error at the byte p.i, or the end of text there.
func (p *parser) syntax() *Error {
	if p.i >= len(p.s) {
		return &Error{Code: ErrEOS}
	}
	if c := p.s[p.i]; c < 0x20 && !isJSONSpace(c) {
		return &Error{Code: ErrBadChar, Pos: p.i + 1}
	}
	return &Error{Code: ErrSyntax, Pos: p.i + 1}
}

func (p *parser) value() (*Value, *Error) {
	switch c := p.s[p.i]; {
	case c == '{' || c == '[':
		return p.container(c == '{')
	case c == '"':
		t, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Text: t}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true", True)
	case c == 'f':
		return p.literal("false", False)
	case c == 'n':
		return p.literal("null", Null)
	}
	return nil, p.syntax()
}

func (p *parser) literal(word string, k Kind) (*Value, *Error) {
	for j := 1; j < len(word); j++ {
		at := p.i + j
		if at >= len(p.s) {
			return nil, &Error{Code: ErrEOS}
		}
		if p.s[at] != word[j] {
			return nil, &Error{Code: ErrSyntax, Pos: at}
		}
	}
	p.i += len(word)
	if err := p.endOfScalar(); err != nil {
		return nil, err
	}
	return &Value{Kind: k}, nil
}

// endOfScalar checks that a number or literal is followed by what may
// follow a value.
func (p *parser) endOfScalar() *Error {
	if p.i == len(p.s) {
		return nil
	}
	switch c := p.s[p.i]; {
	case isJSONSpace(c), c == ',', c == ']', c == '}':
		return nil
	}
	return p.syntax()
}

func (p *parser) number() (*Value, *Error) {
	start := p.i
	s := p.s
	digits := func() int {
		n := 0
		for p.i < len(s) && s[p.i] >= '0' && s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	// cut is the error of a number that ends too early: at the end of
	// the text, or just past the byte that cannot continue it.
	cut := func() *Error {
		if p.i >= len(s) {
			return &Error{Code: ErrSyntax, Pos: len(s)}
		}
		return p.syntax()
	}
	if s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(s) && s[p.i] == '0':
		p.i++
		if p.i < len(s) && s[p.i] >= '0' && s[p.i] <= '9' {
			return nil, p.syntax()
		}
	case digits() == 0:
		return nil, cut()
	}
	if p.i < len(s) && s[p.i] == '.' {
		p.i++
		digits() // MariaDB takes "1." as a number
	}
	if p.i < len(s) && (s[p.i] == 'e' || s[p.i] == 'E') {
		p.i++
		if p.i < len(s) && (s[p.i] == '+' || s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, cut()
		}
	}
	text := s[start:p.i]
	if err := p.endOfScalar(); err != nil {
		return nil, err
	}
	return &Value{Kind: Number, Text: text}, nil
}

// str reads a string from the opening quote at p.i and returns its text
// between the quotes, escapes as written.
func (p *parser) str() (string, *Error) {
	s := p.s
	start := p.i + 1
	p.i++
	for {
		if p.i >= len(s) {
			return "", &Error{Code: ErrEOS}
		}
		c := s[p.i]
		switch {
		case c == '"':
			t := s[start:p.i]
			p.i++
			return t, nil
		case c == '\\':
			if err := p.escape(); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", &Error{Code: ErrBadChar, Pos: p.i + 1}
		default:
			p.i++
		}
	}
}

// escape reads one escape sequence at p.i (the backslash). MariaDB takes
// a backslash before any character; \u must be followed by four hex
// digits, and a high surrogate by a \u low surrogate.
func (p *parser) escape() *Error {
	s := p.s
	p.i++
	if p.i >= len(s) {
		return &Error{Code: ErrEOS}
	}
	if s[p.i] != 'u' {
		if s[p.i] < 0x20 {
			return &Error{Code: ErrBadChar, Pos: p.i + 1}
		}
		_, n := utf8.DecodeRuneInString(s[p.i:])
		p.i += n
		return nil
	}
	r, err := p.hex4()
	if err != nil {
		return err
	}
	if !utf16.IsSurrogate(rune(r)) {
		return nil
	}
	if r >= 0xdc00 { // a low surrogate first
		return &Error{Code: ErrSyntax, Pos: p.i}
	}
	if p.i >= len(s) {
		return &Error{Code: ErrEOS}
	}
	if s[p.i] != '\\' || p.i+1 >= len(s) || s[p.i+1] != 'u' {
		return &Error{Code: ErrSyntax, Pos: p.i}
	}
	p.i++
	lo, err := p.hex4()
	if err != nil {
		return err
	}
	if lo < 0xdc00 || lo > 0xdfff {
		return &Error{Code: ErrBrokenString, Pos: p.i}
	}
	return nil
}

// hex4 reads the u and four hex digits of a \u escape at p.i.
func (p *parser) hex4() (int, *Error) {
	s := p.s
	p.i++ // the u
	r := 0
	for k := 0; k < 4; k++ {
		if p.i >= len(s) {
			return 0, &Error{Code: ErrEOS}
		}
		d := hexDigit(s[p.i])
		if d < 0 {
			return 0, &Error{Code: ErrSyntax, Pos: p.i}
		}
		r = r<<4 | d
		p.i++
	}
	return r, nil
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// container reads an object (obj) or an array from its opening bracket
// at p.i.
func (p *parser) container(obj bool) (*Value, *Error) {
	if p.depth == MaxDepth-1 {
		return nil, &Error{Code: ErrDepth, Pos: p.i + 1}
	}
	start := p.i
	p.depth++
	defer func() { p.depth-- }()
	v := &Value{Kind: Array}
	closing := byte(']')
	if obj {
		v.Kind, closing = Object, '}'
	}
	p.i++
	p.space()
	if p.i < len(p.s) && p.s[p.i] == closing {
		p.i++
		v.Raw = p.s[start:p.i]
		return v, nil
	}
	for {
		if p.i >= len(p.s) {
			return nil, &Error{Code: ErrEOS}
		}
		if obj {
			if p.s[p.i] != '"' {
				return nil, p.syntax()
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.space()
			if p.i >= len(p.s) {
				return nil, &Error{Code: ErrEOS}
			}
			if p.s[p.i] != ':' {
				return nil, &Error{Code: ErrSyntax, Pos: p.i}
			}
			p.i++
			p.space()
			if p.i >= len(p.s) {
				return nil, &Error{Code: ErrEOS}
			}
			v.Keys = append(v.Keys, k)
		}
		item, err := p.value()
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, item)
		p.space()
		if p.i >= len(p.s) {
			return nil, &Error{Code: ErrEOS}
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
		case closing:
			p.i++
			v.Raw = p.s[start:p.i]
			return v, nil
		default:
			return nil, p.syntax()
		}
	}
}

// Style is one of the ways MariaDB prints a document.
type Style uint8

const (
	Normal   Style = iota // {"a": 1, "b": [1, 2]}: what functions return
	Compact               // {"a":1,"b":[1,2]}: JSON_COMPACT
	Detailed              // one item a line, four spaces a level: JSON_DETAILED
)

// String is v in the normal form.
func (v *Value) String() string { return string(v.AppendTo(nil, Normal, 0)) }

// appendTo appends v printed in style (at nesting level, for
// Detailed) to b.
func (v *Value) AppendTo(b []byte, style Style, level int) []byte {
	switch v.Kind {
	case Null:
		return append(b, "null"...)
	case True:
		return append(b, "true"...)
	case False:
		return append(b, "false"...)
	case Number:
		return append(b, v.Text...)
	case String:
		b = append(b, '"')
		b = append(b, v.Text...)
		return append(b, '"')
	}
	open, close := byte('['), byte(']')
	if v.Kind == Object {
		open, close = '{', '}'
	}
	b = append(b, open)
	if len(v.Items) == 0 {
		if style == Detailed && v.Kind == Object {
			b = indent(b, level) // MariaDB's detailed {} spans two lines; [] does not
		}
		return append(b, close)
	}
	for i, it := range v.Items {
		if i > 0 {
			b = append(b, ',')
			if style == Normal {
				b = append(b, ' ')
			}
		}
		if style == Detailed {
			b = indent(b, level+1)
		}
		if v.Kind == Object {
			b = append(b, '"')
			b = append(b, v.Keys[i]...)
			b = append(b, '"', ':')
			if style != Compact {
				b = append(b, ' ')
			}
			if style == Detailed && (it.Kind == Array || it.Kind == Object) {
				b = indent(b, level+1)
			}
		}
		b = it.AppendTo(b, style, level+1)
	}
	if style == Detailed {
		b = indent(b, level)
	}
	return append(b, close)
}

// indent starts a new line of JSON_DETAILED's output at level.
func indent(b []byte, level int) []byte {
	b = append(b, '\n')
	for range level {
		b = append(b, "    "...)
	}
	return b
}

// Unescape decodes the text of a JSON string (between its quotes):
// the escapes become the characters they stand for, as JSON_UNQUOTE and
// JSON_VALUE return them, and key comparisons see them.
func Unescape(t string) string {
	if strings.IndexByte(t, '\\') < 0 {
		return t
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '\\' || i+1 >= len(t) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := t[i]; e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			// MariaDB decodes escapes into three-byte UTF-8: a
			// character past U+FFFF (a surrogate pair) becomes '?'.
			r, n := unicodeEscape(t[i:])
			if r > 0xffff {
				r = '?'
			}
			b.WriteRune(r)
			i += n - 1
		default:
			b.WriteByte(e)
		}
	}
	return b.String()
}

// unicodeEscape decodes "uXXXX" (and a following "\uXXXX" low
// surrogate) at the start of t, returning the rune and the bytes used.
func unicodeEscape(t string) (rune, int) {
	hex := func(s string) (rune, bool) {
		if len(s) < 4 {
			return 0, false
		}
		r := rune(0)
		for k := range 4 {
			d := hexDigit(s[k])
			if d < 0 {
				return 0, false
			}
			r = r<<4 | rune(d)
		}
		return r, true
	}
	r, ok := hex(t[1:])
	if !ok {
		return utf8.RuneError, 1
	}
	if utf16.IsSurrogate(r) && len(t) >= 11 && t[5] == '\\' && t[6] == 'u' {
		if lo, ok := hex(t[7:]); ok {
			return utf16.DecodeRune(r, lo), 11
		}
	}
	return r, 5
}

// Quote returns s as the text of a JSON string, between quotes:
// MariaDB escapes the quote, the backslash and the control characters
// (\b \f \n \r \t by name, the others as \u00XX), and nothing else.
func Quote(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = AppendEscaped(b, s)
	return string(append(b, '"'))
}

func AppendEscaped(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return b
}

// depth is JSON_DEPTH of v: 1 for a scalar or an empty array or object.
func (v *Value) Depth() int {
	d := 0
	for _, it := range v.Items {
		d = max(d, it.Depth())
	}
	return d + 1
}

// typeName is JSON_TYPE of v. MariaDB calls a number DOUBLE when it has
// a decimal point, INTEGER otherwise (1e3 included).
func (v *Value) TypeName() string {
	switch v.Kind {
	case Null:
		return "NULL"
	case True, False:
		return "BOOLEAN"
	case Number:
		if strings.IndexByte(v.Text, '.') >= 0 {
			return "DOUBLE"
		}
		return "INTEGER"
	case String:
		return "STRING"
	case Array:
		return "ARRAY"
	}
	return "OBJECT"
}

// member returns the value of key (decoded) in object v, or nil.
func (v *Value) Member(key string) *Value {
	if i := v.MemberIndex(key); i >= 0 {
		return v.Items[i]
	}
	return nil
}

// memberIndex returns the index of the first member named key
// (decoded), or -1.
func (v *Value) MemberIndex(key string) int {
	for i, k := range v.Keys {
		if k == key || strings.IndexByte(k, '\\') >= 0 && Unescape(k) == key {
			return i
		}
	}
	return -1
}

// clone returns a deep copy of v, which the functions that change a
// document change.
func (v *Value) Clone() *Value {
	c := *v
	if v.Items != nil {
		c.Items = make([]*Value, len(v.Items))
		for i, it := range v.Items {
			c.Items[i] = it.Clone()
		}
		c.Keys = append([]string(nil), v.Keys...)
	}
	return &c
}

// isScalar reports whether v is neither an array nor an object.
func (v *Value) IsScalar() bool { return v.Kind != Array && v.Kind != Object }
