package sqlshim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/shopspring/decimal"
)

// A hash join whose build side outgrows the session's memory budget
// (blitz_memory_budget, membudget.go) spills (a grace
// hash join): the build rows are written to spillParts partition files by
// the hash of their key, and each outer row arriving at the step is
// written, whole, to the probe file of its key's partition instead of
// being joined at once. When every outer row has arrived, each partition's
// build rows are loaded into a hash table and its outer rows joined with
// them, continuing down the rest of the steps (which may spill in turn and
// are drained after). Outer rows with a NULL key never match and are
// joined (or NULL-extended) at once. The files live in a temporary
// directory removed when the join ends, however it ends.

const spillParts = 16

var errSpillBuild = errors.New("hash join over its memory budget")

// joinSpills counts the hash joins that spilled (for tests).
var joinSpills atomic.Int64

// rowBytes estimates the memory a row of values holds.
func rowBytes(vals []any) int64 {
	n := int64(24 + 16*len(vals))
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			n += int64(len(x))
		case []byte:
			n += int64(len(x)) + 24
		case decimal.Decimal:
			n += 40
		case time.Time, engine.ZeroDate:
			n += 24
		case engine.Enum:
			n += int64(len(x.Name)) + 8
		case engine.Set:
			n += int64(len(x.Text)) + 8
		case int64, uint64, float64, time.Duration:
			n += 8
		}
	}
	return n
}

type spillFile struct {
	f   *os.File
	w   *bufio.Writer
	buf []byte
	n   int
}

func (s *spillFile) write(row []any) error {
	s.n++
	b, err := encodeSpillRow(s.buf[:0], row)
	if err != nil {
		return err
	}
	s.buf = b
	_, err = s.w.Write(b)
	return spillErr(err)
}

// The spill files hold rows as a count and tagged values.
const (
	tagNull byte = iota
	tagInt
	tagUint
	tagFloat
	tagString
	tagBytes
	tagDecimal
	tagTime
	tagDuration // TIME: varint nanoseconds
	tagEnum     // ENUM: uvarint index, then the member's text as tagString's
	tagSet      // SET: uvarint bit mask, then the members' text
	tagZeroDate // engine.ZeroDate: 1 for a DATE's (else 0), then its DATETIME text as tagString's
)

func encodeSpillRow(b []byte, row []any) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(row)))
	for _, v := range row {
		switch x := v.(type) {
		case nil:
			b = append(b, tagNull)
		case int64:
			b = binary.AppendVarint(append(b, tagInt), x)
		case uint64:
			b = binary.AppendUvarint(append(b, tagUint), x)
		case float64:
			b = binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x))
		case string:
			b = binary.AppendUvarint(append(b, tagString), uint64(len(x)))
			b = append(b, x...)
		case []byte:
			b = binary.AppendUvarint(append(b, tagBytes), uint64(len(x)))
			b = append(b, x...)
		case decimal.Decimal:
			t, err := x.MarshalBinary() // keeps the exponent: 1.50 stays 1.50
			if err != nil {
				return nil, spillErr(err)
			}
			b = binary.AppendUvarint(append(b, tagDecimal), uint64(len(t)))
			b = append(b, t...)
		case time.Time:
			t, err := x.MarshalBinary()
			if err != nil {
				return nil, spillErr(err)
			}
			b = binary.AppendUvarint(append(b, tagTime), uint64(len(t)))
			b = append(b, t...)
		case time.Duration:
			b = binary.AppendVarint(append(b, tagDuration), int64(x))
		case engine.Enum:
			b = binary.AppendUvarint(append(b, tagEnum), uint64(x.Index))
			b = binary.AppendUvarint(b, uint64(len(x.Name)))
			b = append(b, x.Name...)
		case engine.Set:
			b = binary.AppendUvarint(append(b, tagSet), x.Bits)
			b = binary.AppendUvarint(b, uint64(len(x.Text)))
			b = append(b, x.Text...)
		case engine.ZeroDate:
			var dateOnly byte
			if x.DateOnly {
				dateOnly = 1
			}
			t := x.Format(false, 6)
			b = binary.AppendUvarint(append(b, tagZeroDate, dateOnly), uint64(len(t)))
			b = append(b, t...)
		default:
			return nil, internalf("spill: cannot store a %T", v)
		}
	}
	return b, nil
}

func decodeSpillRow(r *bufio.Reader) ([]any, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	row := make([]any, n)
	bytesOf := func() ([]byte, error) {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		p := make([]byte, l)
		_, err = io.ReadFull(r, p)
		return p, err
	}
	for i := range row {
		tag, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		switch tag {
		case tagNull:
		case tagInt:
			row[i], err = binary.ReadVarint(r)
		case tagUint:
			row[i], err = binary.ReadUvarint(r)
		case tagFloat:
			var p [8]byte
			if _, err = io.ReadFull(r, p[:]); err == nil {
				row[i] = math.Float64frombits(binary.LittleEndian.Uint64(p[:]))
			}
		case tagString:
			var p []byte
			if p, err = bytesOf(); err == nil {
				row[i] = string(p)
			}
		case tagBytes:
			row[i], err = bytesOf()
		case tagDecimal:
			var p []byte
			if p, err = bytesOf(); err == nil {
				var d decimal.Decimal
				err = d.UnmarshalBinary(p)
				row[i] = d
			}
		case tagTime:
			var p []byte
			if p, err = bytesOf(); err == nil {
				var t time.Time
				err = t.UnmarshalBinary(p)
				row[i] = t
			}
		case tagDuration:
			var d int64
			d, err = binary.ReadVarint(r)
			row[i] = time.Duration(d)
		case tagEnum, tagSet:
			var n uint64
			var p []byte
			if n, err = binary.ReadUvarint(r); err == nil {
				if p, err = bytesOf(); err == nil {
					if tag == tagEnum {
						row[i] = engine.Enum{Index: uint16(n), Name: string(p)}
					} else {
						row[i] = engine.Set{Bits: n, Text: string(p)}
					}
				}
			}
		case tagZeroDate:
			var dateOnly byte
			var p []byte
			if dateOnly, err = r.ReadByte(); err == nil {
				if p, err = bytesOf(); err == nil {
					z, _, ok := engine.ParseZeroDate(string(p))
					if !ok {
						err = errors.New("bad zero date")
					}
					z.DateOnly = dateOnly == 1
					row[i] = z
				}
			}
		default:
			err = errors.New("bad value tag")
		}
		if err != nil {
			return nil, err
		}
	}
	return row, nil
}

func (s *spillFile) finish() error {
	if err := s.w.Flush(); err != nil {
		return spillErr(err)
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return spillErr(err)
}

// rows decodes every row written to s.
func (s *spillFile) rows(fn func([]any) error) error {
	r := bufio.NewReaderSize(s.f, 64<<10)
	for i := 0; i < s.n; i++ {
		row, err := decodeSpillRow(r)
		if err != nil {
			return spillErr(err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return nil
}

type joinSpill struct {
	x      *execCtx
	st     *joinStep
	dir    string
	build  [spillParts]*spillFile
	probe  [spillParts]*spillFile
	keyBuf []byte
	valBuf []any
}

func newJoinSpill(x *execCtx, st *joinStep) (*joinSpill, error) {
	dir, err := os.MkdirTemp("", "blitz-join-")
	if err != nil {
		return nil, internalf("hash join spill: %v", err)
	}
	joinSpills.Add(1)
	sp := &joinSpill{x: x, st: st, dir: dir}
	for i := 0; i < spillParts; i++ {
		for _, side := range []string{"build", "probe"} {
			f, err := os.Create(filepath.Join(dir, side+strconv.Itoa(i)))
			if err != nil {
				sp.close()
				return nil, internalf("hash join spill: %v", err)
			}
			w := bufio.NewWriterSize(f, 64<<10)
			sf := &spillFile{f: f, w: w}
			if side == "build" {
				sp.build[i] = sf
			} else {
				sp.probe[i] = sf
			}
		}
	}
	return sp, nil
}

func partition(key []byte) int {
	h := fnv.New32a()
	h.Write(key)
	return int(h.Sum32() % spillParts)
}

func (sp *joinSpill) addBuild(key []byte, vals []any) error {
	return sp.build[partition(key)].write(vals)
}

func (sp *joinSpill) endBuild() error {
	for _, f := range sp.build {
		if err := f.finish(); err != nil {
			return err
		}
	}
	return nil
}

// deferRow files the current outer row under its key's partition (or, with
// a NULL key, lets it through at once with no candidate).
func (sp *joinSpill) deferRow(i int, row engine.Row, step func(int, func(func([]any) error) error) error) error {
	if sp.valBuf == nil {
		sp.valBuf = make([]any, len(sp.st.probeFn))
	}
	for k, f := range sp.st.probeFn {
		v, err := f()
		if err != nil {
			return err
		}
		if v == nil {
			return step(i, func(func([]any) error) error { return nil })
		}
		sp.valBuf[k] = v
	}
	sp.keyBuf = hashKey(sp.keyBuf[:0], sp.valBuf)
	return sp.probe[partition(sp.keyBuf)].write(row)
}

// drain joins each partition's deferred outer rows with its build rows.
func (sp *joinSpill) drain(i int, row engine.Row, step func(int, func(func([]any) error) error) error) error {
	for _, f := range sp.probe {
		if err := f.finish(); err != nil {
			return err
		}
	}
	vals := make([]any, len(sp.st.buildKeys))
	for part := 0; part < spillParts; part++ {
		table := map[string][][]any{}
		// The build rows were filtered when written; their keys come from
		// the build's compiled key expressions over its scratch row.
		err := sp.build[part].rows(func(r []any) error {
			for k, pos := range sp.st.positions {
				sp.st.scratch[pos] = r[k]
			}
			for k, f := range sp.st.buildFn {
				v, err := f()
				if err != nil {
					return err
				}
				vals[k] = v
			}
			key := string(hashKey(nil, vals))
			table[key] = append(table[key], r)
			return nil
		})
		if err != nil {
			return err
		}
		err = sp.probe[part].rows(func(r []any) error {
			copy(row, r)
			for k, f := range sp.st.probeFn {
				v, err := f()
				if err != nil {
					return err
				}
				sp.valBuf[k] = v
			}
			cands := table[string(hashKey(sp.keyBuf[:0], sp.valBuf))]
			return step(i, func(try func([]any) error) error {
				for _, c := range cands {
					if err := try(c); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// spillErr reports a failure of the spill files (a hash join's or a
// sort's) as MySQL's unknown error.
func spillErr(err error) error {
	if err == nil {
		return nil
	}
	return internalf("spill file: %v", err)
}

func (sp *joinSpill) close() {
	for _, fs := range [][spillParts]*spillFile{sp.build, sp.probe} {
		for _, f := range fs {
			if f != nil {
				f.f.Close()
			}
		}
	}
	os.RemoveAll(sp.dir)
}
