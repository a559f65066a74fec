// Command gen writes internal/collate's weight tables from the WEIGHT_STRING
// dumps that dump.sh takes from MariaDB. See ../table.go for the format and
// for the default weights that let a table list only the exceptions.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Must match table.go.
const (
	magic      = "BLZW"
	version    = 1
	maxWeights = 8
	kindSimple = 1 // one weight per code point: general_ci
	kindUCA400 = 2
	kindUCA520 = 3
)

func main() {
	general := flag.String("general", "", "dump of utf8mb4_general_ci")
	uca400 := flag.String("uca400", "", "dump of utf8mb4_unicode_ci")
	uca520 := flag.String("uca520", "", "dump of utf8mb4_unicode_520_ci")
	out := flag.String("out", ".", "directory for the .tbl.gz files")
	flag.Parse()
	for _, j := range []struct {
		in, name string
		kind     byte
	}{{*general, "general_ci", kindSimple}, {*uca400, "unicode_ci", kindUCA400}, {*uca520, "unicode_520_ci", kindUCA520}} {
		if j.in == "" {
			log.Fatalf("-%s is required", j.name)
		}
		if err := write(j.in, filepath.Join(*out, j.name+".tbl.gz"), j.kind); err != nil {
			log.Fatal(err)
		}
	}
}

// implicit is the weight pair UCA gives a code point without an entry.
func implicit(base uint16, cp rune) []uint16 {
	return []uint16{base + uint16(cp>>15), uint16(cp&0x7FFF) | 0x8000}
}

// defaultWeights are the weights a table leaves out (see table.go).
func defaultWeights(kind byte, cp rune) []uint16 {
	switch {
	case kind != kindUCA520 && cp > 0xFFFF:
		return []uint16{0xFFFD}
	case kind == kindSimple:
		return []uint16{uint16(cp)}
	}
	return implicit(0xFBC0, cp)
}

// implicitBase reports whether ws are cp's implicit weights with the base
// of the unified ideographs (0xFB40) or of their extensions (0xFB80).
func implicitBase(ws []uint16, cp rune) (uint16, bool) {
	if len(ws) != 2 {
		return 0, false
	}
	base := ws[0] - uint16(cp>>15)
	return base, (base == 0xFB40 || base == 0xFB80) && equal(ws, implicit(base, cp))
}

func equal(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type run struct {
	first, last rune
	base        uint16
}

func write(in, out string, kind byte) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var explicit bytes.Buffer
	var runs []run
	nExplicit := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cpText, hex, _ := strings.Cut(sc.Text(), "\t")
		n, err := strconv.ParseUint(cpText, 10, 32)
		if err != nil {
			return fmt.Errorf("%s: %q: %v", in, sc.Text(), err)
		}
		cp := rune(n)
		if len(hex)%4 != 0 || len(hex)/4 > maxWeights {
			return fmt.Errorf("%s: code point %X: weights %q", in, cp, hex)
		}
		ws := make([]uint16, len(hex)/4)
		for i := range ws {
			w, err := strconv.ParseUint(hex[4*i:4*i+4], 16, 16)
			if err != nil {
				return fmt.Errorf("%s: code point %X: %v", in, cp, err)
			}
			ws[i] = uint16(w)
		}
		if equal(ws, defaultWeights(kind, cp)) {
			continue
		}
		if base, ok := implicitBase(ws, cp); ok && kind != kindSimple {
			if k := len(runs) - 1; k >= 0 && runs[k].base == base && runs[k].last == cp-1 {
				runs[k].last = cp
			} else {
				runs = append(runs, run{cp, cp, base})
			}
			continue
		}
		if kind == kindSimple && len(ws) != 1 {
			return fmt.Errorf("%s: code point %X has %d weights", in, cp, len(ws))
		}
		explicit.Write(binary.LittleEndian.AppendUint32(nil, uint32(cp)))
		explicit.WriteByte(byte(len(ws)))
		for _, w := range ws {
			explicit.Write(binary.LittleEndian.AppendUint16(nil, w))
		}
		nExplicit++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if nExplicit == 0 {
		return fmt.Errorf("%s: no weights read", in)
	}
	var raw bytes.Buffer
	raw.WriteString(magic)
	raw.Write([]byte{version, kind, 0, 0})
	raw.Write(binary.LittleEndian.AppendUint32(nil, uint32(nExplicit)))
	raw.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(runs))))
	raw.Write(explicit.Bytes())
	for _, r := range runs {
		raw.Write(binary.LittleEndian.AppendUint32(nil, uint32(r.first)))
		raw.Write(binary.LittleEndian.AppendUint32(nil, uint32(r.last)))
		raw.Write(binary.LittleEndian.AppendUint16(nil, r.base))
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	fmt.Printf("%s: %d explicit code points, %d implicit runs, %d bytes\n", out, nExplicit, len(runs), z.Len())
	return os.WriteFile(out, z.Bytes(), 0o644)
}
