package collate

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the weight tables
	"encoding/binary"
	"fmt"
	"io"
)

// # Weight tables
//
// general_ci.tbl.gz, unicode_ci.tbl.gz and unicode_520_ci.tbl.gz hold the
// weights of utf8mb4_general_ci, utf8mb4_unicode_ci (UCA 4.0.0) and
// utf8mb4_unicode_520_ci (UCA 5.2.0) at the strength MariaDB compares
// with (primary: case and accents ignored). gen/dump.sh writes them from
// MariaDB 10.11's WEIGHT_STRING of every code point; they list only the
// code points whose weights differ from the default of their kind:
//
//	general_ci      one weight per code point: the code point itself in
//	                the BMP, 0xFFFD above it
//	unicode_ci      UCA implicit weights with base 0xFBC0 in the BMP
//	                (see implicit), the single weight 0xFFFD above it
//	unicode_520_ci  UCA implicit weights with base 0xFBC0 everywhere
//
// A file is gzip of (little-endian):
//
//	| "BLZW" | version (1B) = 1 | kind (1B) | 0 (2B) | nExplicit (4B) | nRuns (4B) |
//	nExplicit × | code point (4B) | n (1B, 0..8) | n weights (2B each) |
//	nRuns     × | first (4B) | last (4B) | base (2B) |
//
// an explicit entry gives a code point's weights (none: ignorable), a run
// gives the code points first..last implicit weights with another base
// (0xFB40 for the unified ideographs, 0xFB80 for their extensions).
//
// Worked example: in general_ci.tbl.gz, 'a' (U+0061) is the entry
// 61 00 00 00 | 01 | 41 00 (one weight, 0x0041, the weight of 'A').
//
// The weights are part of blitz's on-disk format: index keys and the
// primary-key hashing of a column with one of these collations are made of
// them. A change to any weight needs a new definition format version and a
// rebuild of every key of such columns.
const (
	tableMagic   = "BLZW"
	tableVersion = 1
	maxWeights   = 8 // the longest expansion of one code point in these tables
)

//go:embed general_ci.tbl.gz
var generalTable []byte

//go:embed unicode_ci.tbl.gz
var uca400Table []byte

//go:embed unicode_520_ci.tbl.gz
var uca520Table []byte

// weightTable maps code points to weights. Safe for concurrent use once
// built.
type weightTable struct {
	kind kind
	// bmp[cp] for cp <= 0xFFFF: offset<<4 | n into weights, or
	// implicitMark<<4 with the base's index in the offset part.
	bmp     []uint32
	weights []uint16
	// above the BMP: explicit entries and implicit runs (unicode_520_ci).
	supp map[rune][]uint16
	runs []implicitRun
}

type implicitRun struct {
	first, last rune
	base        uint16
}

const implicitMark = 0xF // n field of a bmp entry that stands for implicit weights

// implicit is the pair of weights UCA computes for a code point without
// an entry of its own.
func implicit(base uint16, cp rune) (uint16, uint16) {
	return base + uint16(cp>>15), uint16(cp&0x7FFF) | 0x8000
}

// loadTable decodes one of the embedded tables.
func loadTable(k kind, z []byte) (*weightTable, error) {
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("blitz/collate: weight table %d: %w", k, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("blitz/collate: weight table %d: %w", k, err)
	}
	bad := func(what string) error { return fmt.Errorf("blitz/collate: weight table %d: %s", k, what) }
	if len(raw) < 16 || string(raw[:4]) != tableMagic || raw[4] != tableVersion || kind(raw[5]) != k {
		return nil, bad("bad header")
	}
	nExplicit := binary.LittleEndian.Uint32(raw[8:])
	nRuns := binary.LittleEndian.Uint32(raw[12:])
	t := &weightTable{kind: k, bmp: make([]uint32, 0x10000), supp: map[rune][]uint16{}}
	for cp := range t.bmp {
		t.bmp[cp] = 0xFFFFFFF0 // default, see weightsOf
	}
	p := raw[16:]
	for range nExplicit {
		if len(p) < 5 {
			return nil, bad("truncated entry")
		}
		cp, n := rune(binary.LittleEndian.Uint32(p)), int(p[4])
		p = p[5:]
		if n > maxWeights || len(p) < 2*n || cp > 0x10FFFF {
			return nil, bad("bad entry")
		}
		ws := make([]uint16, n)
		for i := range ws {
			ws[i] = binary.LittleEndian.Uint16(p[2*i:])
		}
		p = p[2*n:]
		if cp <= 0xFFFF {
			t.bmp[cp] = uint32(len(t.weights))<<4 | uint32(n)
			t.weights = append(t.weights, ws...)
		} else {
			t.supp[cp] = ws
		}
	}
	for range nRuns {
		if len(p) < 10 {
			return nil, bad("truncated run")
		}
		r := implicitRun{rune(binary.LittleEndian.Uint32(p)), rune(binary.LittleEndian.Uint32(p[4:])), binary.LittleEndian.Uint16(p[8:])}
		p = p[10:]
		if r.first > r.last || r.last > 0x10FFFF {
			return nil, bad("bad run")
		}
		for cp := r.first; cp <= r.last && cp <= 0xFFFF; cp++ {
			t.bmp[cp] = uint32(r.base)<<4 | implicitMark
		}
		if r.last > 0xFFFF {
			t.runs = append(t.runs, r)
		}
	}
	if len(p) != 0 {
		return nil, bad("trailing bytes")
	}
	return t, nil
}

// appendWeights appends the weights of cp to dst.
func (t *weightTable) appendWeights(dst []uint16, cp rune) []uint16 {
	if cp <= 0xFFFF && cp >= 0 {
		e := t.bmp[cp]
		switch {
		case e == 0xFFFFFFF0:
			// the kind's default
		case e&0xF == implicitMark:
			a, b := implicit(uint16(e>>4), cp)
			return append(dst, a, b)
		default:
			off := e >> 4
			return append(dst, t.weights[off:off+e&0xF]...)
		}
		if t.kind == kindGeneral {
			return append(dst, uint16(cp))
		}
		a, b := implicit(0xFBC0, cp)
		return append(dst, a, b)
	}
	if t.kind != kindUCA520 {
		return append(dst, 0xFFFD)
	}
	if ws, ok := t.supp[cp]; ok {
		return append(dst, ws...)
	}
	base := uint16(0xFBC0)
	for _, r := range t.runs {
		if cp >= r.first && cp <= r.last {
			base = r.base
		}
	}
	a, b := implicit(base, cp)
	return append(dst, a, b)
}
