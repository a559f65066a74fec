package keyenc

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
)

// sqlCompare compares two values of one column the way SQL does (NULL
// first), with the documented NaN rule.
func sqlCompare(a, b Value) int {
	if a.Kind == KindNull || b.Kind == KindNull {
		return boolCmp(a.Kind != KindNull, b.Kind != KindNull)
	}
	switch a.Kind {
	case KindInt, KindUint:
		an, bn := a.I < 0 && a.Kind == KindInt, b.I < 0 && b.Kind == KindInt
		if an != bn {
			return boolCmp(!an, !bn)
		}
		if an {
			return cmp3(a.I, b.I)
		}
		return cmp3(a.U, b.U)
	case KindFloat:
		if math.IsNaN(a.F) || math.IsNaN(b.F) {
			return boolCmp(!math.IsNaN(a.F), !math.IsNaN(b.F))
		}
		return cmp3(a.F, b.F)
	case KindDecimal:
		return a.D.Cmp(b.D)
	case KindBytes:
		return bytes.Compare(a.B, b.B)
	case KindBytesDesc:
		return bytes.Compare(b.B, a.B)
	}
	panic("kind")
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmp3[T int64 | uint64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func encode(v Value) []byte {
	switch v.Kind {
	case KindNull:
		return AppendNull(nil)
	case KindInt:
		if v.After {
			return AppendIntAfter(nil, v.I, v.X)
		}
		return AppendInt(nil, v.I)
	case KindUint:
		return AppendUint(nil, v.U)
	case KindFloat:
		return AppendFloat(nil, v.F)
	case KindDecimal:
		return AppendDecimal(nil, v.D)
	case KindBytes:
		return AppendBytes(nil, v.B)
	case KindBytesDesc:
		return AppendBytesDesc(nil, v.B)
	}
	panic("kind")
}

func TestWorkedExample(t *testing.T) {
	b := AppendBytes(AppendInt(AppendNull(nil), -2), []byte("a\x00"))
	if got, want := hex.EncodeToString(b), "0510fffffffffffffffe406100ff0001"; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	vs, err := DecodeAll(b)
	if err != nil || len(vs) != 3 || vs[0].Kind != KindNull || vs[1].I != -2 || string(vs[2].B) != "a\x00" {
		t.Fatalf("DecodeAll = %+v, %v", vs, err)
	}
	if !HasNull(b) || HasNull(b[1:]) {
		t.Fatal("HasNull")
	}
}

func TestIntUintShareEncoding(t *testing.T) {
	for _, v := range []int64{0, 1, 255, math.MaxInt64} {
		if !bytes.Equal(AppendInt(nil, v), AppendUint(nil, uint64(v))) {
			t.Fatalf("%d: int and uint encodings differ", v)
		}
	}
	d, _, _ := Decode(AppendUint(nil, math.MaxUint64))
	if d.Kind != KindUint || d.U != math.MaxUint64 {
		t.Fatalf("max uint decoded as %+v", d)
	}
	d, _, _ = Decode(AppendUint(nil, 7))
	if d.Kind != KindInt || d.I != 7 || d.U != 7 {
		t.Fatalf("7 decoded as %+v", d)
	}
}

func TestFloatSpecials(t *testing.T) {
	if !bytes.Equal(AppendFloat(nil, math.Copysign(0, -1)), AppendFloat(nil, 0)) {
		t.Fatal("-0 != +0")
	}
	if !bytes.Equal(AppendFloat(nil, math.NaN()), AppendFloat(nil, -math.NaN())) {
		t.Fatal("NaNs differ")
	}
	order := []float64{math.NaN(), math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 1, math.MaxFloat64, math.Inf(1)}
	for i := 1; i < len(order); i++ {
		if bytes.Compare(AppendFloat(nil, order[i-1]), AppendFloat(nil, order[i])) >= 0 {
			t.Fatalf("%v !< %v", order[i-1], order[i])
		}
	}
}

func TestDecimalNormalised(t *testing.T) {
	eq := [][2]string{{"1.50", "1.5"}, {"100", "1e2"}, {"-0.0100", "-0.01"}, {"0.000", "0"}}
	for _, p := range eq {
		a, b := decimal.RequireFromString(p[0]), decimal.RequireFromString(p[1])
		if !bytes.Equal(AppendDecimal(nil, a), AppendDecimal(nil, b)) {
			t.Fatalf("%s and %s encode differently", p[0], p[1])
		}
	}
	order := []string{"-1000", "-999.99", "-10", "-1.5", "-1.25", "-1", "-0.5", "-0.05", "0", "0.001", "0.1", "0.12", "0.123", "1", "1.0001", "9", "10", "1e30"}
	for i := 1; i < len(order); i++ {
		a, b := decimal.RequireFromString(order[i-1]), decimal.RequireFromString(order[i])
		if bytes.Compare(AppendDecimal(nil, a), AppendDecimal(nil, b)) >= 0 {
			t.Fatalf("%s !< %s", order[i-1], order[i])
		}
	}
}

func TestBytesEmbeddedZeros(t *testing.T) {
	order := []string{"", "\x00", "\x00\x00", "\x00\x01", "\x00\xff", "\x01", "a", "a\x00", "a\x00\x00", "a\x01", "ab", "\xff", "\xff\xff"}
	for i, s := range order {
		e := AppendBytes(nil, []byte(s))
		v, rest, err := Decode(e)
		if err != nil || len(rest) != 0 || string(v.B) != s {
			t.Fatalf("%q: round trip %q %v", s, v.B, err)
		}
		d := AppendBytesDesc(nil, []byte(s))
		v, _, err = Decode(d)
		if err != nil || string(v.B) != s || v.Kind != KindBytesDesc {
			t.Fatalf("%q: desc round trip %q %v", s, v.B, err)
		}
		if i > 0 {
			p := order[i-1]
			if bytes.Compare(AppendBytes(nil, []byte(p)), e) >= 0 {
				t.Fatalf("%q !< %q", p, s)
			}
			if bytes.Compare(AppendBytesDesc(nil, []byte(p)), d) <= 0 {
				t.Fatalf("desc %q !> %q", p, s)
			}
			// Tuples: ("x", p, 1) < ("x", s, 0), the string decides.
			tp := AppendInt(AppendBytes(AppendBytes(nil, []byte("x")), []byte(p)), 1)
			ts := AppendInt(AppendBytes(AppendBytes(nil, []byte("x")), []byte(s)), 0)
			if bytes.Compare(tp, ts) >= 0 {
				t.Fatalf("tuple with %q !< tuple with %q", p, s)
			}
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	cases := []struct{ in, want string }{{"", ""}, {"\xff\xff", ""}, {"a", "b"}, {"a\xff", "b"}, {"a\x00", "a\x01"}}
	for _, c := range cases {
		got := PrefixEnd([]byte(c.in))
		if string(got) != c.want || (c.want == "" && got != nil) {
			t.Fatalf("PrefixEnd(%q) = %q", c.in, got)
		}
	}
}

func TestMalformed(t *testing.T) {
	bad := []string{"", "\x00", "\x10", "\x10\x00\x00\x00\x00\x00\x00\x00\x00", "\x11\x00", "\x40abc", "\x40a\x00", "\x40a\x00\x02",
		"\x32\x80\x00\x00\x00\x00\x00\x00\x01", "\x32\x80\x00\x00\x00\x00\x00\x00\x0110\x00", "\x32\x80\x00\x00\x00\x00\x00\x00\x01\x00",
		"\x32\x80\x00\x00\x00\x00\x00\x00\x01x\x00", "\x20\x7f\xff\xff\xff\xff\xff\xff\xff", "\x99"}
	for _, s := range bad {
		if _, err := DecodeAll([]byte(s)); err == nil {
			t.Errorf("DecodeAll(%q) accepted malformed input", s)
		}
	}
}

// seed returns the seed of a randomized test, from KEYENC_SEED when set, and
// logs it so a failure can be replayed.
func seed(t testing.TB) int64 {
	s := int64(rand.Uint32())
	if env := os.Getenv("KEYENC_SEED"); env != "" {
		s, _ = strconv.ParseInt(env, 10, 64)
	}
	t.Logf("seed %d (replay with KEYENC_SEED=%d)", s, s)
	return s
}

func randValue(r *rand.Rand, kind Kind) Value {
	if r.Intn(8) == 0 {
		return Value{Kind: KindNull}
	}
	switch kind {
	case KindInt:
		v := r.Int63() >> uint(r.Intn(63))
		if r.Intn(2) == 0 {
			v = -v - int64(r.Intn(2))
		}
		return Value{Kind: KindInt, I: v, U: uint64(v)}
	case KindUint:
		v := r.Uint64() >> uint(r.Intn(64))
		return Value{Kind: KindUint, U: v, I: int64(v)}
	case KindFloat:
		specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1, -1}
		if r.Intn(4) == 0 {
			return Value{Kind: KindFloat, F: specials[r.Intn(len(specials))]}
		}
		return Value{Kind: KindFloat, F: math.Float64frombits(r.Uint64())}
	case KindDecimal:
		return Value{Kind: KindDecimal, D: decimal.New(r.Int63n(2001)-1000, int32(r.Intn(9)-4))}
	default:
		b := make([]byte, r.Intn(5))
		for i := range b {
			b[i] = []byte{0, 1, 'a', 0xfe, 0xff}[r.Intn(5)]
		}
		return Value{Kind: kind, B: b}
	}
}

// TestRandomTuplesOrder checks, for random two-column tuples of every kind,
// that bytewise order of encodings equals SQL order of the tuples and that
// DecodeAll round-trips.
func TestRandomTuplesOrder(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	for _, kind := range []Kind{KindInt, KindUint, KindFloat, KindDecimal, KindBytes, KindBytesDesc} {
		type tup struct {
			v   [2]Value
			enc []byte
		}
		tups := make([]tup, 500)
		for i := range tups {
			for j := range tups[i].v {
				tups[i].v[j] = randValue(r, kind)
				tups[i].enc = append(tups[i].enc, encode(tups[i].v[j])...)
			}
			vs, err := DecodeAll(tups[i].enc)
			if err != nil || len(vs) != 2 {
				t.Fatalf("%v: DecodeAll(%x): %v", kind, tups[i].enc, err)
			}
			for j := range vs {
				if re := encode(vs[j]); !bytes.Equal(re, encode(tups[i].v[j])) {
					t.Fatalf("%v: re-encoding %+v gives %x", kind, vs[j], re)
				}
			}
		}
		sort.Slice(tups, func(i, j int) bool { return bytes.Compare(tups[i].enc, tups[j].enc) < 0 })
		for i := 1; i < len(tups); i++ {
			a, b := tups[i-1], tups[i]
			c := sqlCompare(a.v[0], b.v[0])
			if c == 0 {
				c = sqlCompare(a.v[1], b.v[1])
			}
			if want := bytes.Compare(a.enc, b.enc); c != want {
				t.Fatalf("%v: %+v vs %+v: sql %d, bytes %d", kind, a.v, b.v, c, want)
			}
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to the same bytes (encodings are canonical).
func FuzzDecode(f *testing.F) {
	f.Add(AppendBytes(AppendInt(AppendNull(nil), -2), []byte("a\x00")))
	f.Add(AppendDecimal(AppendFloat(nil, -1.5), decimal.RequireFromString("-12.5")))
	f.Add(AppendBytesDesc(AppendUint(nil, 9), []byte("\x00z")))
	f.Add(AppendIntAfter(AppendIntAfter(nil, -3, 7), 5, 1<<63))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := DecodeAll(b)
		if err != nil {
			return
		}
		var re []byte
		for _, v := range vs {
			re = append(re, encode(v)...)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("decode/encode changed %x into %x", b, re)
		}
	})
}

// FuzzOrder checks that two int64s, two strings and two decimals order alike
// as values and as encodings.
func FuzzOrder(f *testing.F) {
	f.Add(int64(-1), int64(1), []byte("a"), []byte("a\x00"), int64(150), int32(-2), int64(15), int32(-1))
	f.Fuzz(func(t *testing.T, i1, i2 int64, s1, s2 []byte, c1 int64, e1 int32, c2 int64, e2 int32) {
		e1, e2 = e1%50, e2%50
		check := func(what string, sql int, a, b []byte) {
			if got := bytes.Compare(a, b); got != sql {
				t.Fatalf("%s: sql order %d, byte order %d (%x vs %x)", what, sql, got, a, b)
			}
		}
		check("int", cmp3(i1, i2), AppendInt(nil, i1), AppendInt(nil, i2))
		check("bytes", bytes.Compare(s1, s2), AppendBytes(nil, s1), AppendBytes(nil, s2))
		check("bytes desc", bytes.Compare(s2, s1), AppendBytesDesc(nil, s1), AppendBytesDesc(nil, s2))
		d1, d2 := decimal.New(c1, e1), decimal.New(c2, e2)
		check("decimal", d1.Cmp(d2), AppendDecimal(nil, d1), AppendDecimal(nil, d2))
		f1, f2 := float64(i1)/7, float64(i2)/3
		check("float", cmp3(f1, f2), AppendFloat(nil, f1), AppendFloat(nil, f2))
	})
}

func BenchmarkAppendTuple(b *testing.B) {
	s := bytes.Repeat([]byte("x"), 32)
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendBytes(AppendInt(buf[:0], int64(i)), s)
	}
}
