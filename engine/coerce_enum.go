package engine

import (
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// This file converts values for ENUM and SET columns, as MariaDB assigns
// them: text names a member under the column's collation (utf8mb4_bin:
// exactly, trailing spaces ignored).

// enumMember returns the 1-based index of the member of col that s names,
// or 0: the first equal under the column's collation, an exact match
// preferred.
func enumMember(col *Column, s string) int {
	s = strings.TrimRight(s, " ")
	for i, e := range col.Elems {
		if strings.TrimRight(e, " ") == s {
			return i + 1
		}
	}
	if col.hasCollation() {
		for i, e := range col.Elems {
			if col.Collation.Equal(e, s) {
				return i + 1
			}
		}
	}
	return 0
}

// EnumOf is the value of an ENUM column with members elems at 1-based
// index i (0: the error value ”); ok is false past the last member.
func EnumOf(elems []string, i int) (Enum, bool) {
	if i == 0 {
		return Enum{}, true
	}
	if i < 0 || i > len(elems) {
		return Enum{}, false
	}
	return Enum{Index: uint16(i), Name: elems[i-1]}, true
}

// SetOf is the value of a SET column with members elems whose members are
// the bits of bits; ok is false when bits names a member past the last.
func SetOf(elems []string, bits uint64) (Set, bool) {
	if len(elems) < 64 && bits>>len(elems) != 0 {
		return Set{}, false
	}
	var b strings.Builder
	for i := range elems {
		if bits&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(elems[i])
		}
	}
	return Set{Bits: bits, Text: b.String()}, true
}

// numberIndex reads v as an index or a bit mask: an integer, a number
// rounded, or text that is an unsigned integer. ok is false otherwise.
func numberIndex(v any) (uint64, bool) {
	switch x := v.(type) {
	case int64:
		return uint64(x), x >= 0
	case uint64:
		return x, true
	case float64:
		r := math.Round(x)
		return uint64(r), r >= 0 && r < 1<<64
	case decimal.Decimal:
		r := x.Round(0)
		if r.Sign() < 0 || !r.BigInt().IsUint64() {
			return 0, false
		}
		return r.BigInt().Uint64(), true
	case string:
		n, err := strconv.ParseUint(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func errTruncated(col *Column, rowNum int) error {
	return sqlerr.New(sqlerr.ErrDataTruncated, "Data truncated for column '%s' at row %d", col.Name, rowNum)
}

// coerceEnum is Coerce for an ENUM column: text names a member (or, if it
// names none, may be a number), a number is a member's index. Anything
// else is error 1265.
func coerceEnum(col *Column, v any, rowNum int) (any, error) {
	switch x := v.(type) {
	case Enum:
		if e, ok := EnumOf(col.Elems, int(x.Index)); ok && e == x {
			return x, nil // already a value of col, the error value '' included
		}
		v = x.Name
	case []byte:
		v = string(x)
	case string:
	case int64, uint64, float64, decimal.Decimal:
		if n, ok := numberIndex(x); ok && n >= 1 && n <= uint64(len(col.Elems)) {
			e, _ := EnumOf(col.Elems, int(n))
			return e, nil
		}
		return nil, errTruncated(col, rowNum)
	default:
		v = textValue(v)
	}
	s := v.(string)
	if i := enumMember(col, s); i > 0 {
		e, _ := EnumOf(col.Elems, i)
		return e, nil
	}
	if n, ok := numberIndex(s); ok && n >= 1 && n <= uint64(len(col.Elems)) {
		e, _ := EnumOf(col.Elems, int(n))
		return e, nil
	}
	return nil, errTruncated(col, rowNum)
}

// coerceSet is Coerce for a SET column: text is a comma-separated list of
// members (in any order, repeats allowed) or a number, a number is a bit
// mask of members. Anything else is error 1265.
func coerceSet(col *Column, v any, rowNum int) (any, error) {
	if x, ok := v.(Set); ok {
		if s, ok := SetOf(col.Elems, x.Bits); ok && s == x {
			return x, nil
		}
	}
	bits, ok := setBits(col, v)
	if !ok {
		return nil, errTruncated(col, rowNum)
	}
	s, _ := SetOf(col.Elems, bits)
	return s, nil
}

// setBits reads v as a SET of col's members; ok is false when v names
// something that is not a member (bits then holds the members it does
// name).
func setBits(col *Column, v any) (bits uint64, ok bool) {
	switch x := v.(type) {
	case Set:
		v = x.Text
	case []byte:
		v = string(x)
	case string:
	case int64, uint64, float64, decimal.Decimal:
		n, ok := numberIndex(x)
		if !ok {
			return 0, false
		}
		if len(col.Elems) < 64 && n>>len(col.Elems) != 0 {
			return n & (1<<len(col.Elems) - 1), false
		}
		return n, true
	default:
		v = textValue(v)
	}
	s := v.(string)
	if s == "" {
		return 0, true
	}
	ok = true
	for _, part := range strings.Split(s, ",") {
		if i := enumMember(col, part); i > 0 {
			bits |= 1 << (i - 1)
		} else if part != "" {
			ok = false
		}
	}
	if !ok {
		if n, nok := numberIndex(s); nok && (len(col.Elems) >= 64 || n>>len(col.Elems) == 0) {
			return n, true
		}
	}
	return bits, ok
}

// looseEnumSet is CoerceLoose for ENUM and SET: text that names no member
// is the error value ” of an ENUM; a SET keeps the members named (1265
// either way).
func looseEnumSet(col *Column, v any, rowNum int) (any, error) {
	if col.Type == TypeEnum {
		return Enum{}, errTruncated(col, rowNum)
	}
	bits, _ := setBits(col, v)
	s, _ := SetOf(col.Elems, bits)
	return s, errTruncated(col, rowNum)
}
