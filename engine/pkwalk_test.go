package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// walkSeed returns the seed of a randomized walk test, BLITZ_SEED when
// set.
func walkSeed(t *testing.T) uint64 {
	s := rand.Uint64() >> 24
	if v := os.Getenv("BLITZ_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("BLITZ_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", s, s)
	return s
}

// TestPKWalkMatchesScan checks that a primary-key range read with a Limit
// hint (a walk of the keys, pkwalk.go) gives what a full scan filtered by
// the range and sorted gives: random ranges open or closed on either
// side, both directions, LIMIT and OFFSET, and a condition of the caller
// that rejects some rows (so that the walk must go on past them), with
// the transaction's own inserts, updates (of the key too) and deletes,
// rows committed by others between the queries (beyond the keys the
// table knew), on plain and crash-safe tables, signed and unsigned keys,
// one key column or the last of two, keys at MinInt64, MaxInt64 and
// MaxUint64.
func TestPKWalkMatchesScan(t *testing.T) {
	seed := walkSeed(t)
	for _, crashSafe := range []bool{false, true} {
		for _, unsigned := range []bool{false, true} {
			for _, composite := range []bool{false, true} {
				t.Run(fmt.Sprintf("crashsafe=%v,unsigned=%v,composite=%v", crashSafe, unsigned, composite), func(t *testing.T) {
					checkPKWalk(t, seed, crashSafe, unsigned, composite)
				})
			}
		}
	}
}

func checkPKWalk(t *testing.T, seed uint64, crashSafe, unsigned, composite bool) {
	db := mustOpen(t, t.TempDir(), Options{})
	d := &TableDef{Name: "t", Columns: []Column{{Name: "a", Type: TypeInt, NotNull: true}, {Name: "b", Type: TypeBigInt, Unsigned: unsigned, NotNull: true}, {Name: "v", Type: TypeInt}},
		PrimaryKey: []string{"b"}, CrashSafe: crashSafe}
	if composite {
		d.PrimaryKey = []string{"a", "b"}
	}
	if err := db.CreateTable(bg, d); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 11))
	// ord maps b to a uint64 in the same order (signed: the sign bit
	// flipped); val maps it back.
	val := func(o uint64) any {
		if unsigned {
			return o
		}
		return int64(o ^ 1<<63)
	}
	ordOf := func(v any) uint64 {
		if unsigned {
			return v.(uint64)
		}
		return uint64(v.(int64)) ^ 1<<63
	}
	// Keys come in runs: dense ones a walk reads in a few lookups, the
	// ends of the type (edge from them), and a few anywhere (the gaps a
	// walk gives up in). Later commits and the transaction's own rows
	// come closer to the ends: beyond the keys the table knew.
	mid := uint64(1 << 63)
	if unsigned {
		mid = 1 << 40
	}
	newKey := func(edge uint64) uint64 {
		switch n := r.IntN(20); {
		case n < 14:
			return mid - 1500 + r.Uint64N(3000)
		case n < 16:
			return edge + r.Uint64N(40)
		case n < 18:
			return math.MaxUint64 - edge - r.Uint64N(40)
		default:
			return r.Uint64()
		}
	}
	aOf := func() int64 {
		if composite {
			return int64(r.IntN(2))
		}
		return 0
	}
	type rowKey struct {
		a int64
		o uint64
	}
	present := map[rowKey]bool{}
	commitRows := func(n int, edge uint64) {
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			k := rowKey{aOf(), newKey(edge)}
			if !present[k] {
				if _, _, err := tx.Insert("t", Row{k.a, val(k.o), int64(r.IntN(1000))}); err != nil {
					t.Fatal(err)
				}
				present[k] = true
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	commitRows(2000, 20)
	walks, gaveUp := 0, 0
	walkLookups = func(n int64, scanFrom []byte) {
		walks++
		if scanFrom != nil {
			gaveUp++
		}
	}
	defer func() { walkLookups = nil }()
	for round := 0; round < 4; round++ {
		if round > 0 {
			commitRows(100, uint64(20-5*round)) // others' commits, some beyond the keys known
		}
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() // after a failure: done already otherwise
		// The transaction's own changes.
		own := map[rowKey]bool{}
		for k := range present {
			own[k] = true
		}
		for i := 0; i < 120; i++ {
			k := rowKey{aOf(), newKey(0)}
			h, _, found, err := tx.Get("t", []any{k.a, val(k.o)}[2-len(d.PrimaryKey):])
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case !found:
				if _, _, err := tx.Insert("t", Row{k.a, val(k.o), int64(-i)}); err != nil {
					t.Fatal(err)
				}
				own[k] = true
			case i%3 == 0:
				if err := tx.Delete("t", h); err != nil {
					t.Fatal(err)
				}
				delete(own, k)
			case i%3 == 1:
				if _, err := tx.Update("t", h, Row{k.a, val(k.o), int64(1000 + i)}); err != nil {
					t.Fatal(err)
				}
			default: // a new key for the row
				nk := rowKey{k.a, newKey(0)}
				if own[nk] {
					continue
				}
				if _, err := tx.Update("t", h, Row{nk.a, val(nk.o), int64(2000 + i)}); err != nil {
					t.Fatal(err)
				}
				delete(own, k)
				own[nk] = true
			}
		}
		// The expectation: a full scan in file order, sorted here.
		type kr struct {
			a int64
			o uint64
			v int64
			s string
		}
		var every []kr
		if err := tx.Scan("t", Scan{}, func(h Handle, row Row) (bool, error) {
			v, _ := row[2].(int64)
			every = append(every, kr{row[0].(int64), ordOf(row[1]), v, fmt.Sprint(row)})
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(every) != len(own) {
			t.Fatalf("full scan: %d rows, want %d", len(every), len(own))
		}
		sort.Slice(every, func(i, j int) bool {
			if every[i].a != every[j].a {
				return every[i].a < every[j].a
			}
			return every[i].o < every[j].o
		})
		// A bound: near a row, at an end of the type, or anywhere.
		bound := func() uint64 {
			switch n := r.IntN(10); {
			case n < 6:
				e := every[r.IntN(len(every))].o
				return e + uint64(r.IntN(7)) - 3
			case n == 6:
				return 0
			case n == 7:
				return math.MaxUint64
			default:
				return newKey(0)
			}
		}
		for q := 0; q < 200; q++ {
			a := aOf()
			lo, hi := bound(), bound()
			loOpen, hiOpen := r.IntN(3) == 0, r.IntN(3) == 0
			loIn, hiIn := r.IntN(2) == 0, r.IntN(2) == 0
			limit, offset := int64(1+r.IntN(25)), int64(r.IntN(2)*r.IntN(10))
			mod := []int64{0, 2, 3, 7}[r.IntN(4)] // v % mod == 0 rejects the row
			reverse := r.IntN(2) == 0
			var pre []any
			if composite {
				pre = []any{a}
			}
			s := Scan{Index: "PRIMARY", Reverse: reverse, Limit: int32(limit + offset)}
			if loOpen {
				if composite {
					s.Lo = Bound{Values: pre, Inclusive: true}
				}
			} else {
				s.Lo = Bound{Values: append(append([]any(nil), pre...), val(lo)), Inclusive: loIn}
			}
			if hiOpen {
				if composite {
					s.Hi = Bound{Values: pre, Inclusive: true}
				}
			} else {
				s.Hi = Bound{Values: append(append([]any(nil), pre...), val(hi)), Inclusive: hiIn}
			}
			pass := func(v int64) bool { return mod == 0 || v%mod != 0 }
			var want []string
			for _, e := range every {
				if e.a == a && (loOpen || e.o > lo || loIn && e.o == lo) && (hiOpen || e.o < hi || hiIn && e.o == hi) && pass(e.v) {
					want = append(want, e.s)
				}
			}
			if reverse {
				for x, y := 0, len(want)-1; x < y; x, y = x+1, y-1 {
					want[x], want[y] = want[y], want[x]
				}
			}
			if int64(len(want)) > limit+offset {
				want = want[:limit+offset]
			}
			var got []string
			if err := tx.Scan("t", s, func(h Handle, row Row) (bool, error) {
				v, _ := row[2].(int64)
				if pass(v) {
					got = append(got, fmt.Sprint(row))
				}
				return int64(len(got)) < limit+offset, nil
			}); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d query %d: a = %d, b from %v (open %v, incl %v) to %v (open %v, incl %v), reverse %v, limit %d offset %d, v %% %d != 0:\n got %v\nwant %v",
					round, q, a, val(lo), loOpen, loIn, val(hi), hiOpen, hiIn, reverse, limit, offset, mod, got, want)
			}
		}
		if round%2 == 0 {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			present = own
		} else if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	// Most queries walk; some give the rest of their range up to a scan.
	if walks < 400 || gaveUp == 0 || gaveUp > walks/2 {
		t.Fatalf("%d of 800 queries walked, %d of them gave up to a scan: want most walking, some giving up", walks, gaveUp)
	}
	t.Logf("%d of 800 queries walked, %d of them gave up to a scan", walks, gaveUp)
}

// TestPKWalkConcurrentCommits checks that a walk finds every row
// committed before it started while other transactions commit new
// largest keys, the pass that works the key bounds out included (it is
// started over before each read): ORDER BY id DESC LIMIT 1 must give at
// least the largest id committed before the read, on plain tables (whose
// commits write the file after leaving the table's lock) and crash-safe
// ones.
func TestPKWalkConcurrentCommits(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", crashSafe), func(t *testing.T) {
			db := mustOpen(t, t.TempDir(), Options{})
			d := &TableDef{Name: "t", Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "v", Type: TypeInt}},
				PrimaryKey: []string{"id"}, CrashSafe: crashSafe}
			if err := db.CreateTable(bg, d); err != nil {
				t.Fatal(err)
			}
			var rows []Row
			for i := int64(1); i <= 800; i++ {
				rows = append(rows, Row{i, i})
			}
			insert(t, db, "t", rows...)
			tb, err := db.table("t")
			if err != nil {
				t.Fatal(err)
			}
			var committed atomic.Int64
			committed.Store(800)
			stop := make(chan struct{})
			done := make(chan error, 1)
			go func() { // the writer: ids 801, 802, ... one a commit
				defer close(done)
				for id := int64(801); id <= 5000; id++ {
					select {
					case <-stop:
						return
					default:
					}
					tx, err := db.Begin(bg)
					if err != nil {
						done <- err
						return
					}
					if _, _, err := tx.Insert("t", Row{id, id}); err != nil {
						tx.Rollback()
						done <- err
						return
					}
					if err := tx.Commit(); err != nil {
						done <- err
						return
					}
					committed.Store(id)
				}
			}()
			deadline := time.Now().Add(3 * time.Second)
			for i := 0; i < 400 && time.Now().Before(deadline); i++ {
				if i%2 == 0 {
					tb.mu.Lock()
					tb.invalidateKeyBoundsLocked()
					tb.mu.Unlock()
				}
				before := committed.Load()
				tx, err := db.Begin(bg)
				if err != nil {
					t.Fatal(err)
				}
				var got int64
				err = tx.Scan("t", Scan{Index: "PRIMARY", Reverse: true, Limit: 1}, func(h Handle, row Row) (bool, error) {
					got = row[0].(int64)
					return false, nil
				})
				tx.Rollback()
				if err != nil {
					t.Fatal(err)
				}
				if got < before {
					t.Fatalf("read %d: the largest id is %d, but %d was committed before the read", i, got, before)
				}
			}
			close(stop)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}
