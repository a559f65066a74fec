package engine

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestPKProbeKeys covers when a primary-key range is read by lookups and
// which keys they are.
func TestPKProbeKeys(t *testing.T) {
	one := &TableDef{Name: "t", Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}}, PrimaryKey: []string{"id"}}
	uns := &TableDef{Name: "u", Columns: []Column{{Name: "a", Type: TypeVarChar, Length: 10, NotNull: true}, {Name: "b", Type: TypeInt, Unsigned: true, NotNull: true}}, PrimaryKey: []string{"a", "b"}}
	txt := &TableDef{Name: "x", Columns: []Column{{Name: "s", Type: TypeVarChar, Length: 10, NotNull: true}}, PrimaryKey: []string{"s"}}
	rng := func(lo, hi any, loIn, hiIn bool) Scan {
		return Scan{Index: "PRIMARY", Lo: Bound{Values: []any{lo}, Inclusive: loIn}, Hi: Bound{Values: []any{hi}, Inclusive: hiIn}}
	}
	rng2 := func(a1 string, lo any, a2 string, hi any) Scan {
		return Scan{Index: "PRIMARY", Lo: Bound{Values: []any{a1, lo}, Inclusive: true}, Hi: Bound{Values: []any{a2, hi}, Inclusive: true}}
	}
	for _, c := range []struct {
		name  string
		def   *TableDef
		s     Scan
		limit int64
		ok    bool
		want  []any // the last key column's values, in order
	}{
		{"inclusive", one, rng(int64(-2), int64(2), true, true), 10, true, []any{int64(-2), int64(-1), int64(0), int64(1), int64(2)}},
		{"exclusive", one, rng(int64(1), int64(5), false, false), 10, true, []any{int64(2), int64(3), int64(4)}},
		{"empty", one, rng(int64(5), int64(1), true, true), 10, true, nil},
		{"empty exclusive", one, rng(int64(1), int64(2), false, false), 10, true, nil},
		{"at the limit", one, rng(int64(1), int64(10), true, true), 10, true, []any{int64(1), int64(2), int64(3), int64(4), int64(5), int64(6), int64(7), int64(8), int64(9), int64(10)}},
		{"past the limit", one, rng(int64(1), int64(11), true, true), 10, false, nil},
		{"whole int64 range", one, rng(int64(math.MinInt64), int64(math.MaxInt64), true, true), maxPKProbes, false, nil},
		{"above the top", one, rng(int64(math.MaxInt64), int64(math.MaxInt64), false, true), 10, true, nil},
		{"top", one, rng(int64(math.MaxInt64-1), int64(math.MaxInt64), true, true), 10, true, []any{int64(math.MaxInt64 - 1), int64(math.MaxInt64)}},
		{"inexact bound", one, rng(1.5, int64(3), true, true), 10, false, nil},
		{"text bound", one, rng("2", "3", true, true), 10, true, []any{int64(2), int64(3)}},
		{"no upper bound", one, Scan{Index: "PRIMARY", Lo: Bound{Values: []any{int64(1)}, Inclusive: true}}, 10, false, nil},
		{"no limit", one, rng(int64(1), int64(2), true, true), 0, false, nil},
		{"text key", txt, rng("a", "b", true, true), 10, false, nil},
		{"unsigned with prefix", uns, rng2("k", uint64(3), "k", uint64(5)), 10, true, []any{uint64(3), uint64(4), uint64(5)}},
		{"unsigned from a signed bound", uns, rng2("k", int64(0), "k", int64(1)), 10, true, []any{uint64(0), uint64(1)}},
		{"unsigned negative bound", uns, rng2("k", int64(-1), "k", int64(1)), 10, false, nil},
		{"prefix differs", uns, rng2("k", uint64(3), "l", uint64(5)), 10, false, nil},
		{"prefix only", uns, Scan{Index: "PRIMARY", Lo: Bound{Values: []any{"k"}, Inclusive: true}, Hi: Bound{Values: []any{"k"}, Inclusive: true}}, 10, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			pos := c.def.primaryParts()
			keys, ok := pkProbeKeys(c.def, pos, c.s, c.limit)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			var want [][]byte
			for _, v := range c.want {
				var k []byte
				for i := 0; i < len(pos)-1; i++ {
					k = appendColumnKey(k, c.def, &c.def.Columns[pos[i].col], c.s.Lo.Values[i])
				}
				want = append(want, appendColumnKey(k, c.def, &c.def.Columns[pos[len(pos)-1].col], v))
			}
			if len(keys) != len(want) {
				t.Fatalf("%d keys, want %d", len(keys), len(want))
			}
			for i := range keys {
				if !bytes.Equal(keys[i], want[i]) {
					t.Fatalf("key %d = %x, want %x", i, keys[i], want[i])
				}
			}
		})
	}
	t.Run("a prefix key part", func(t *testing.T) {
		d := &TableDef{Name: "p", Columns: []Column{{Name: "s", Type: TypeVarChar, Length: 10, NotNull: true}, {Name: "b", Type: TypeInt, NotNull: true}},
			PrimaryKey: []string{"s", "b"}, PrimaryPrefix: []int{3, 0}}
		if _, ok := pkProbeKeys(d, d.primaryParts(), rng2("abc", int64(1), "abc", int64(2)), 10); ok {
			t.Fatal("a range under a prefix part was probed")
		}
	})
}

// TestPKProbeMatchesScan checks that primary-key ranges read by lookups
// select exactly what a full scan filtered by the range selects, in key
// order (and reversed), with the transaction's own uncommitted inserts,
// updates and deletes in range, on plain and crash-safe tables (whose
// committed rows wait in the overlay), for signed and unsigned keys, with
// ranges on both sides of the lookup limit.
func TestPKProbeMatchesScan(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		for _, unsigned := range []bool{false, true} {
			t.Run(fmt.Sprintf("crashsafe=%v,unsigned=%v", crashSafe, unsigned), func(t *testing.T) {
				checkPKProbe(t, crashSafe, unsigned)
			})
		}
	}
}

func checkPKProbe(t *testing.T, crashSafe, unsigned bool) {
	db := mustOpen(t, t.TempDir(), Options{})
	defer db.Close()
	d := &TableDef{Name: "t", Columns: []Column{{Name: "a", Type: TypeInt, NotNull: true}, {Name: "b", Type: TypeBigInt, Unsigned: unsigned, NotNull: true}, {Name: "v", Type: TypeInt}},
		PrimaryKey: []string{"a", "b"}, CrashSafe: crashSafe}
	if err := db.CreateTable(bg, d); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 9))
	base := int64(-1000)
	if unsigned {
		base = 0
	}
	val := func(b int64) any {
		if unsigned {
			return uint64(b)
		}
		return b
	}
	// About 1600 committed rows spread over a = 0..1, b in [base, base+2000).
	seen := map[[2]int64]bool{}
	var rows []Row
	for len(rows) < 1600 {
		a, b := int64(r.IntN(2)), base+int64(r.IntN(2000))
		if !seen[[2]int64{a, b}] {
			seen[[2]int64{a, b}] = true
			rows = append(rows, Row{a, val(b), int64(len(rows))})
		}
	}
	insert(t, db, "t", rows...)
	tb, err := db.table("t")
	if err != nil {
		t.Fatal(err)
	}
	if lim := tb.probeLimit(); lim != 1600/probesPerRecord {
		t.Fatalf("probeLimit() = %d for 1600 rows, want %d", lim, 1600/probesPerRecord)
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// The transaction's own changes: inserts, deletes and updates.
	for i := 0; i < 150; i++ {
		a, b := int64(r.IntN(2)), base+int64(r.IntN(2000))
		k := [2]int64{a, b}
		h, _, found, err := tx.Get("t", []any{a, val(b)})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !found:
			if _, _, err := tx.Insert("t", Row{a, val(b), int64(-i)}); err != nil {
				t.Fatal(err)
			}
			seen[k] = true
		case i%2 == 0:
			if err := tx.Delete("t", h); err != nil {
				t.Fatal(err)
			}
			delete(seen, k)
		default:
			if _, err := tx.Update("t", h, Row{a, val(b), int64(1000 + i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	all := func(s Scan) []string {
		var got []string
		if err := tx.Scan("t", s, func(h Handle, row Row) (bool, error) {
			got = append(got, fmt.Sprint(row))
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// The expectation: a full scan in file order, filtered and sorted here.
	type kr struct {
		a, b int64
		s    string
	}
	var every []kr
	if err := tx.Scan("t", Scan{}, func(h Handle, row Row) (bool, error) {
		b, ok := row[1].(int64)
		if !ok {
			b = int64(row[1].(uint64))
		}
		every = append(every, kr{row[0].(int64), b, fmt.Sprint(row)})
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(every) != len(seen) {
		t.Fatalf("full scan: %d rows, want %d", len(every), len(seen))
	}
	sort.Slice(every, func(i, j int) bool {
		if every[i].a != every[j].a {
			return every[i].a < every[j].a
		}
		return every[i].b < every[j].b
	})
	probed := 0
	for i := 0; i < 300; i++ {
		a := int64(r.IntN(2))
		lo := base - 5 + int64(r.IntN(2010))
		hi := lo + int64(r.IntN(260)) - 10 // some empty, some past the limit (200)
		if unsigned && hi < 0 {
			hi = 0
		}
		loIn, hiIn := r.IntN(2) == 0, r.IntN(2) == 0
		s := Scan{Index: "PRIMARY", Lo: Bound{Values: []any{a, val(lo)}, Inclusive: loIn}, Hi: Bound{Values: []any{a, val(hi)}, Inclusive: hiIn}, Reverse: i%3 == 0}
		var want []string
		for _, e := range every {
			if e.a == a && (e.b > lo || loIn && e.b == lo) && (e.b < hi || hiIn && e.b == hi) {
				want = append(want, e.s)
			}
		}
		if s.Reverse {
			for x, y := 0, len(want)-1; x < y; x, y = x+1, y-1 {
				want[x], want[y] = want[y], want[x]
			}
		}
		if _, ok := pkProbeKeys(d, d.primaryParts(), s, tb.probeLimit()); ok {
			probed++
		}
		if got := all(s); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("range a = %d, b from %d (%v) to %d (%v), reverse %v:\n got %v\nwant %v", a, lo, loIn, hi, hiIn, s.Reverse, got, want)
		}
	}
	if probed < 150 || probed == 300 {
		t.Fatalf("%d of 300 ranges read by lookups: want most but not all", probed)
	}
}
