// Package keyenc is blitz's memcomparable key encoding: the bytewise order of
// two encodings (bytes.Compare) is the SQL order of the values they encode,
// so index files can keep keys as plain byte strings and still sort, range
// scan and prefix match in SQL order.
//
// # Format
//
// Every element starts with one tag byte that names its kind; elements are
// self-delimiting, so a tuple (a multi-column key) is the plain concatenation
// of its elements, and a byte prefix made of whole elements is a tuple prefix.
// Multi-byte numbers are big-endian here (the one exception to blitz's
// little-endian rule: only big-endian compares bytewise in numeric order).
//
//	NULL        | 0x05 |
//	int < 0     | 0x10 | uint64(v) (8B BE) |
//	int >= 0    | 0x11 | v (8B BE) |          Int and Uint share this form
//	uint        | 0x11 | v (8B BE) |
//	int after   | int's 9 bytes | 0xFE | x (8B BE) |  (new with zero dates: older keys never hold one)
//	float NaN   | 0x1F |
//	float       | 0x20 | bits' (8B BE) |      -0 is written as +0
//	decimal < 0 | 0x30 | ^E' (8B BE) | ^digits... | 0xFF |
//	decimal 0   | 0x31 |
//	decimal > 0 | 0x32 | E' (8B BE) | digits... | 0x00 |
//	bytes       | 0x40 | escaped... | 0x00 0x01 |
//	bytes desc  | 0x41 | ^(escaped... 0x00 0x01) |
//
// int: a negative int64's two's complement, read as uint64, sorts among the
// negatives in numeric order, and the tag puts every negative first. A
// non-negative Int and the Uint of the same value have one encoding, so the
// two kinds compare by value (a column is one or the other; the sharing only
// makes mixed comparisons sensible). Decode reports such an element as
// KindInt when it fits in an int64 and KindUint otherwise, and sets both I
// and U when both can hold it.
//
// int after: an element that sorts after the int v and after every tuple
// that starts with v, and before v+1; x orders the elements between v and
// v+1 among themselves. 0xFE is no tag, so it cannot be mistaken for the
// next element of a tuple, and it is above every tag, so v followed by any
// other element sorts first. blitz keys a DATE or DATETIME that time.Time
// cannot hold ('2024-00-10', engine.ZeroDate) this way: v is the
// microsecond before the first real instant after it.
//
// float: bits' is the IEEE 754 bit pattern with the sign bit flipped for
// positive numbers and every bit flipped for negative ones. Every NaN has the
// one encoding 0x1F and sorts before -Inf (SQL engines never store NaN; it
// has a fixed place so that a key holding one still sorts deterministically).
//
// decimal: the value is normalised to ±0.d1d2…dn × 10^E with d1 != 0 and
// dn != 0, so 1.50 and 1.5 have one encoding. E' is E as int64 with the sign
// bit flipped; digits are ASCII '0'…'9'. A negative decimal writes the
// complement of E' and of each digit, so larger magnitudes sort first, and
// ends with 0xFF (the complement of the positive terminator 0x00), which sorts
// a shorter digit string after a longer one with the same prefix.
//
// bytes: 0x00 is escaped as 0x00 0xFF and the element ends with 0x00 0x01, so
// embedded zero bytes are kept, a proper prefix sorts first, and the
// terminator can never be confused with data. A descending element is the
// ascending one with every byte after the tag complemented.
//
// Kinds sort among themselves in tag order: NULL first, then integers,
// floats, decimals and bytes. A column holds one kind, so that order matters
// only for NULL, which sorts before every non-NULL value.
//
// Worked example: the tuple (NULL, -2, "a\x00") encodes as
//
//	05  10 FF FF FF FF FF FF FF FE  40 61 00 FF 00 01
//
// The tag values and layouts are part of blitz's on-disk index format: they
// must not change. A change needs a new index format version (and every
// index file is then rebuilt, which is always safe).
package keyenc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/shopspring/decimal"
)

// Tags. Part of the on-disk format: never change or reuse a value.
const (
	tagNull      = 0x05
	tagIntNeg    = 0x10
	tagIntNonNeg = 0x11
	tagFloatNaN  = 0x1F
	tagFloat     = 0x20
	tagDecNeg    = 0x30
	tagDecZero   = 0x31
	tagDecPos    = 0x32
	tagBytes     = 0x40
	tagBytesDesc = 0x41

	// markAfter follows an int's 8 bytes in an "int after" element. It
	// is above every tag.
	markAfter = 0xFE
)

// Kind is the kind of a decoded element.
type Kind uint8

// Kinds of decoded elements.
const (
	KindNull Kind = iota
	KindInt
	KindUint
	KindFloat
	KindDecimal
	KindBytes
	KindBytesDesc
)

var kindNames = [...]string{"NULL", "int", "uint", "float", "decimal", "bytes", "bytes-desc"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Value is one decoded element. Only the field of its Kind is meaningful,
// except that a non-negative integer sets both I and U when both can hold it
// (see the package comment).
type Value struct {
	Kind Kind
	I    int64
	U    uint64
	F    float64
	D    decimal.Decimal
	B    []byte // KindBytes and KindBytesDesc: a fresh copy, owned by the caller

	// After is set for an "int after" element (AppendIntAfter): it lies
	// between I and I+1, and X orders it among the others there.
	After bool
	X     uint64
}

// ErrCorrupt is returned (wrapped) by Decode and DecodeAll when the input is
// not a well-formed encoding.
var ErrCorrupt = errors.New("blitz/keyenc: malformed key")

func corrupt(off int, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrCorrupt, off, fmt.Sprintf(format, args...))
}

// AppendNull appends the encoding of NULL, which sorts before every non-NULL
// value.
func AppendNull(b []byte) []byte { return append(b, tagNull) }

// AppendInt appends the encoding of a signed integer.
func AppendInt(b []byte, v int64) []byte {
	if v < 0 {
		return binary.BigEndian.AppendUint64(append(b, tagIntNeg), uint64(v))
	}
	return binary.BigEndian.AppendUint64(append(b, tagIntNonNeg), uint64(v))
}

// AppendIntAfter appends an element that sorts after the int v (and
// after any tuple that starts with it) and before v+1; between v and v+1,
// such elements sort by x.
func AppendIntAfter(b []byte, v int64, x uint64) []byte {
	b = AppendInt(b, v)
	return binary.BigEndian.AppendUint64(append(b, markAfter), x)
}

// AppendUint appends the encoding of an unsigned integer. It equals
// AppendInt's for every value both can hold.
func AppendUint(b []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(append(b, tagIntNonNeg), v)
}

// AppendFloat appends the encoding of a float. -0 encodes as +0; every NaN
// has one encoding, which sorts before -Inf.
func AppendFloat(b []byte, v float64) []byte {
	if v != v {
		return append(b, tagFloatNaN)
	}
	if v == 0 {
		v = 0 // -0 -> +0
	}
	bits := math.Float64bits(v)
	if bits&(1<<63) != 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(append(b, tagFloat), bits)
}

// AppendDecimal appends the exact encoding of a decimal: equal values (1.50
// and 1.5) encode alike, and encodings sort by value.
func AppendDecimal(b []byte, d decimal.Decimal) []byte {
	sign := d.Sign()
	if sign == 0 {
		return append(b, tagDecZero)
	}
	coef := d.Coefficient() // a fresh copy
	coef.Abs(coef)
	digits := coef.Append(nil, 10)
	exp := int64(d.Exponent())
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	e := uint64(int64(len(digits))+exp) ^ (1 << 63)
	if sign > 0 {
		b = binary.BigEndian.AppendUint64(append(b, tagDecPos), e)
		b = append(b, digits...)
		return append(b, 0x00)
	}
	b = binary.BigEndian.AppendUint64(append(b, tagDecNeg), ^e)
	for _, c := range digits {
		b = append(b, ^c)
	}
	return append(b, 0xFF)
}

// AppendBytes appends the encoding of a string or binary value. Embedded zero
// bytes are kept; the element is self-delimiting.
func AppendBytes(b []byte, v []byte) []byte {
	b = append(b, tagBytes)
	for {
		i := bytes.IndexByte(v, 0)
		if i < 0 {
			break
		}
		b = append(b, v[:i+1]...)
		b = append(b, 0xFF)
		v = v[i+1:]
	}
	b = append(b, v...)
	return append(b, 0x00, 0x01)
}

// AppendBytesDesc appends the encoding of a string or binary value in
// descending order (for a DESC index column): larger values sort first.
func AppendBytesDesc(b []byte, v []byte) []byte {
	n := len(b)
	b = AppendBytes(b, v)
	b[n] = tagBytesDesc
	for i := n + 1; i < len(b); i++ {
		b[i] = ^b[i]
	}
	return b
}

// elemLen returns the length of the element at the start of b and its tag,
// or an error if b does not start with a well-formed element. It allocates
// nothing.
func elemLen(b []byte) (int, byte, error) {
	if len(b) == 0 {
		return 0, 0, corrupt(0, "empty input")
	}
	tag := b[0]
	switch tag {
	case tagNull, tagFloatNaN, tagDecZero:
		return 1, tag, nil
	case tagIntNeg, tagIntNonNeg, tagFloat:
		if len(b) < 9 {
			return 0, tag, corrupt(1, "tag %#x needs 8 bytes, have %d", tag, len(b)-1)
		}
		if tag == tagIntNeg && b[1]&0x80 == 0 {
			return 0, tag, corrupt(1, "negative integer without its sign bit")
		}
		if tag != tagFloat && len(b) > 9 && b[9] == markAfter {
			if tag == tagIntNonNeg && b[1]&0x80 != 0 {
				// AppendIntAfter takes an int64: never written.
				return 0, tag, corrupt(9, "int after an unsigned value past the int64 range")
			}
			if len(b) < 18 {
				return 0, tag, corrupt(10, "int after needs 8 bytes, have %d", len(b)-10)
			}
			return 18, tag, nil
		}
		return 9, tag, nil
	case tagDecPos, tagDecNeg:
		term := byte(0x00)
		if tag == tagDecNeg {
			term = 0xFF
		}
		if len(b) < 9 {
			return 0, tag, corrupt(1, "decimal exponent needs 8 bytes, have %d", len(b)-1)
		}
		i := bytes.IndexByte(b[9:], term)
		if i < 0 {
			return 0, tag, corrupt(len(b), "decimal without terminator")
		}
		return 9 + i + 1, tag, nil
	case tagBytes, tagBytesDesc:
		var zero, cont, end byte = 0x00, 0xFF, 0x01
		if tag == tagBytesDesc {
			zero, cont, end = 0xFF, 0x00, 0xFE
		}
		i := 1
		for {
			j := bytes.IndexByte(b[i:], zero)
			if j < 0 || i+j+1 >= len(b) {
				return 0, tag, corrupt(len(b), "bytes without terminator")
			}
			i += j + 1
			switch b[i] {
			case end:
				return i + 1, tag, nil
			case cont:
				i++
			default:
				return 0, tag, corrupt(i, "bad escape %#x", b[i])
			}
		}
	default:
		return 0, tag, corrupt(0, "unknown tag %#x", tag)
	}
}

// Decode decodes the element at the start of b and returns it with the rest
// of b. It returns an error wrapping ErrCorrupt, and never panics, if b does
// not start with a well-formed, canonical element.
func Decode(b []byte) (v Value, rest []byte, err error) {
	n, tag, err := elemLen(b)
	if err != nil {
		return Value{}, b, err
	}
	e, rest := b[:n], b[n:]
	switch tag {
	case tagNull:
		v.Kind = KindNull
	case tagIntNeg:
		v.Kind, v.I = KindInt, int64(binary.BigEndian.Uint64(e[1:]))
	case tagIntNonNeg:
		v.U = binary.BigEndian.Uint64(e[1:])
		v.Kind = KindUint
		if v.U <= math.MaxInt64 {
			v.Kind, v.I = KindInt, int64(v.U)
		}
	case tagFloatNaN:
		v.Kind, v.F = KindFloat, math.NaN()
	case tagFloat:
		bits := binary.BigEndian.Uint64(e[1:])
		if bits&(1<<63) != 0 {
			bits &^= 1 << 63
		} else {
			bits = ^bits
		}
		v.Kind, v.F = KindFloat, math.Float64frombits(bits)
		if v.F != v.F || (v.F == 0 && math.Signbit(v.F)) {
			return Value{}, b, corrupt(1, "non-canonical float")
		}
	case tagDecZero:
		v.Kind = KindDecimal
	case tagDecPos, tagDecNeg:
		if v.D, err = decodeDecimal(e); err != nil {
			return Value{}, b, err
		}
		v.Kind = KindDecimal
	case tagBytes, tagBytesDesc:
		v.Kind = KindBytes
		if tag == tagBytesDesc {
			v.Kind = KindBytesDesc
		}
		v.B = make([]byte, 0, n-3)
		for i := 1; i < n-2; i++ {
			c := e[i]
			if tag == tagBytesDesc {
				c = ^c
			}
			v.B = append(v.B, c)
			if c == 0 {
				i++ // skip the escape byte
			}
		}
	}
	if n == 18 {
		v.After, v.X = true, binary.BigEndian.Uint64(e[10:])
	}
	return v, rest, nil
}

func decodeDecimal(e []byte) (decimal.Decimal, error) {
	neg := e[0] == tagDecNeg
	eb := binary.BigEndian.Uint64(e[1:9])
	digits := make([]byte, len(e)-10)
	copy(digits, e[9:len(e)-1])
	if neg {
		eb = ^eb
		for i := range digits {
			digits[i] = ^digits[i]
		}
	}
	if len(digits) == 0 || digits[0] == '0' || digits[len(digits)-1] == '0' {
		return decimal.Decimal{}, corrupt(9, "non-canonical decimal digits")
	}
	for i, c := range digits {
		if c < '0' || c > '9' {
			return decimal.Decimal{}, corrupt(9+i, "bad decimal digit %#x", c)
		}
	}
	exp := int64(eb^(1<<63)) - int64(len(digits))
	if exp < math.MinInt32 || exp > math.MaxInt32 {
		return decimal.Decimal{}, corrupt(1, "decimal exponent out of range")
	}
	coef, ok := new(big.Int).SetString(string(digits), 10)
	if !ok {
		return decimal.Decimal{}, corrupt(9, "bad decimal digits")
	}
	if neg {
		coef.Neg(coef)
	}
	return decimal.NewFromBigInt(coef, int32(exp)), nil
}

// DecodeAll decodes a whole tuple. It returns an error wrapping ErrCorrupt if
// any element is malformed or b is empty.
func DecodeAll(b []byte) ([]Value, error) {
	var vs []Value
	off := 0
	for {
		v, rest, err := Decode(b)
		if err != nil {
			return nil, fmt.Errorf("element %d (offset %d): %w", len(vs), off, err)
		}
		vs = append(vs, v)
		off += len(b) - len(rest)
		if b = rest; len(b) == 0 {
			return vs, nil
		}
	}
}

// HasNull reports whether the encoded tuple b contains a NULL element. It
// looks at whole elements only (a 0x05 byte inside a string is not a NULL)
// and stops at the first malformed element, so it may be called on a tuple
// followed by other bytes as long as the NULL, if any, comes first. It
// allocates nothing.
func HasNull(b []byte) bool {
	for len(b) > 0 {
		n, tag, err := elemLen(b)
		if tag == tagNull {
			return true
		}
		if err != nil {
			return false
		}
		b = b[n:]
	}
	return false
}

// Split returns the length of the first n whole elements of b, or an error if
// b holds fewer than n well-formed elements.
func Split(b []byte, n int) (int, error) {
	off := 0
	for i := 0; i < n; i++ {
		l, _, err := elemLen(b[off:])
		if err != nil {
			return 0, fmt.Errorf("element %d (offset %d): %w", i, off, err)
		}
		off += l
	}
	return off, nil
}

// PrefixEnd returns the smallest byte string greater than every string that
// has prefix as a prefix, or nil if there is none (prefix is empty or all
// 0xFF). The result is a fresh slice.
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xFF {
			end := make([]byte, i+1)
			copy(end, prefix)
			end[i]++
			return end
		}
	}
	return nil
}
