package engine

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/collate"
)

// ixWalkDef is the table of the index walk tests: a non-unique index
// with ties and NULLs (by_b), a unique one on case-insensitive text with
// NULLs (by_c), and one whose first column an equality fixes (by_g_b).
func ixWalkDef(crashSafe bool) *TableDef {
	return &TableDef{Name: "t", CrashSafe: crashSafe, PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Type: TypeBigInt, NotNull: true},
		{Name: "b", Type: TypeInt},
		{Name: "c", Type: TypeVarChar, Length: 12, Collation: collate.GeneralCI},
		{Name: "g", Type: TypeInt, NotNull: true},
		{Name: "v", Type: TypeInt, NotNull: true},
	}, Indexes: []IndexDef{
		{Name: "by_b", Columns: []string{"b"}},
		{Name: "by_c", Columns: []string{"c"}, Unique: true},
		{Name: "by_g_b", Columns: []string{"g", "b"}},
	}}
}

// TestIndexWalkMatchesScan checks that a secondary-index range read with
// a Limit hint (a walk, ixwalk.go) gives the rows, in the order, that the
// same range read without one (every entry read, sorted) gives: both
// directions, ranges open or closed on either side, b IS NULL, an
// equality on the first column of by_g_b, ties of a non-unique index,
// text that differs only in case, and a condition of the caller that
// rejects some rows or most (so that the walk goes on, or leaves the
// rest to a scan), with the transaction's own inserts, updates (of the
// indexed columns too) and deletes, and others' commits between rounds,
// on plain and crash-safe tables.
func TestIndexWalkMatchesScan(t *testing.T) {
	seed := walkSeed(t)
	for _, crashSafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", crashSafe), func(t *testing.T) {
			checkIndexWalk(t, seed, crashSafe)
		})
	}
}

func checkIndexWalk(t *testing.T, seed uint64, crashSafe bool) {
	db := mustOpen(t, t.TempDir(), Options{})
	if err := db.CreateTable(bg, ixWalkDef(crashSafe)); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 23))
	nextID := int64(1)
	// rowOf makes a row for id; its c is id in base 36 in a random
	// case (unique by the collation), or NULL.
	rowOf := func(id int64) Row {
		var b, c any
		if r.IntN(8) > 0 {
			b = int64(r.IntN(60) - 10)
		}
		if r.IntN(6) > 0 {
			s := []byte(strconv.FormatInt(id, 36))
			for i := range s {
				if r.IntN(2) == 0 {
					s[i] = strings.ToUpper(string(s[i]))[0]
				}
			}
			c = string(s)
		}
		return Row{id, b, c, int64(r.IntN(4)), int64(r.IntN(1000))}
	}
	commitRows := func(n int) {
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if _, _, err := tx.Insert("t", rowOf(nextID)); err != nil {
				t.Fatal(err)
			}
			nextID++
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	commitRows(3000)
	walks, gaveUp := 0, 0
	ixWalked = func(_ int64, g bool) {
		walks++
		if g {
			gaveUp++
		}
	}
	defer func() { ixWalked = nil }()
	queries, lostOrder := 0, 0
	for round := 0; round < 4; round++ {
		if round > 0 {
			commitRows(100)
		}
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() // after a failure: done already otherwise
		for i := 0; i < 150; i++ {
			id := 1 + r.Int64N(nextID+20)
			h, _, found, err := tx.Get("t", []any{id})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case !found:
				if _, _, err := tx.Insert("t", rowOf(id)); err != nil {
					t.Fatal(err)
				}
				if id >= nextID {
					nextID = id + 1
				}
			case i%3 == 0:
				if err := tx.Delete("t", h); err != nil {
					t.Fatal(err)
				}
			default: // new b, c, g and v for the row
				if _, err := tx.Update("t", h, rowOf(id)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for q := 0; q < 150; q++ {
			s := Scan{Reverse: r.IntN(2) == 0}
			var pre []any
			bound := func() Bound {
				switch n := r.IntN(6); {
				case n == 0:
					return Bound{Values: pre, Inclusive: true} // open
				case n == 1 && pre == nil:
					return Bound{Values: []any{nil}, Inclusive: true} // NULL
				default:
					return Bound{Values: append(append([]any(nil), pre...), int64(r.IntN(60)-10)), Inclusive: r.IntN(2) == 0}
				}
			}
			switch r.IntN(3) {
			case 0:
				s.Index = "by_b"
				s.Lo, s.Hi = bound(), bound()
				if r.IntN(5) == 0 { // b IS NULL
					s.Lo = Bound{Values: []any{nil}, Inclusive: true}
					s.Hi = s.Lo
				}
			case 1:
				s.Index = "by_c"
				if r.IntN(2) == 0 {
					s.Lo = Bound{Values: []any{strconv.FormatInt(r.Int64N(nextID), 36)}, Inclusive: r.IntN(2) == 0}
				}
				if r.IntN(2) == 0 {
					s.Hi = Bound{Values: []any{strings.ToUpper(strconv.FormatInt(r.Int64N(nextID), 36))}, Inclusive: r.IntN(2) == 0}
				}
			default:
				s.Index = "by_g_b"
				pre = []any{int64(r.IntN(4))}
				s.Lo, s.Hi = bound(), bound()
			}
			limit, offset := int64(1+r.IntN(30)), int64(r.IntN(2)*r.IntN(10))
			mod := []int64{0, 0, 2, 5, 97}[r.IntN(5)] // v % mod == 0 passes: 97 rejects most rows
			pass := func(row Row) bool { return mod == 0 || row[4].(int64)%mod == 0 }
			var want []string
			at := map[string]int{} // a row's place in the range's order
			if err := tx.Scan("t", s, func(h Handle, row Row) (bool, error) {
				if pass(row) {
					at[fmt.Sprint(row)] = len(want)
					want = append(want, fmt.Sprint(row))
				}
				return true, nil
			}); err != nil {
				t.Fatal(err)
			}
			if int64(len(want)) > limit+offset {
				want = want[:limit+offset]
			}
			var got []string
			s.Limit = int32(limit + offset)
			if r.IntN(2) == 0 {
				if err := tx.Scan("t", s, func(h Handle, row Row) (bool, error) {
					if pass(row) {
						got = append(got, fmt.Sprint(row))
					}
					return int64(len(got)) < limit+offset, nil
				}); err != nil {
					t.Fatal(err)
				}
			} else {
				// A caller that takes the rest unordered if the walk
				// gives up, as a top-N heap does: every row of the rest
				// once, the first ones in order.
				lost := false
				o := ReadOptions{OrderLost: func() { lost = true }}
				if err := tx.ScanReadWith("t", s, o, func(h Handle, row Row) (bool, error) {
					if pass(row) {
						got = append(got, fmt.Sprint(row))
					}
					return lost || int64(len(got)) < limit+offset, nil
				}); err != nil {
					t.Fatal(err)
				}
				seen := map[string]bool{}
				for _, g := range got {
					if _, ok := at[g]; !ok || seen[g] {
						t.Fatalf("round %d query %d: %+v, v %% %d == 0: row %s out of range or twice (order lost %v)", round, q, s, mod, g, lost)
					}
					seen[g] = true
				}
				sort.SliceStable(got, func(a, b int) bool { return at[got[a]] < at[got[b]] })
				if int64(len(got)) > limit+offset {
					got = got[:limit+offset]
				}
				if lost {
					lostOrder++
				}
			}
			queries++
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d query %d: %+v, v %% %d == 0:\n got %v\nwant %v", round, q, s, mod, got, want)
			}
		}
		if round%2 == 0 {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		} else if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	if walks < queries*3/4 || gaveUp == 0 || gaveUp > walks/2 || lostOrder == 0 {
		t.Fatalf("%d of %d queries walked, %d of them gave up to a scan: want most walking, some giving up", walks, queries, gaveUp)
	}
	t.Logf("%d of %d queries walked, %d of them gave up to a scan, %d of those unordered", walks, queries, gaveUp, lostOrder)
}

// TestIndexWalkConcurrentCommits reads by_b with a Limit in both
// directions while another session moves rows around it (updates of b,
// inserts, deletes): each read must hand over rows in index order, each
// row once, with no error, whether it walks (a Limit up to the walk's
// budget, 62 lookups here) or reads the range and sorts it (a larger
// one, whose rows changed since the index was read sort as read). Run
// it with -race.
func TestIndexWalkConcurrentCommits(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", crashSafe), func(t *testing.T) {
			db := mustOpen(t, t.TempDir(), Options{})
			if err := db.CreateTable(bg, ixWalkDef(crashSafe)); err != nil {
				t.Fatal(err)
			}
			var rows []Row
			for i := int64(1); i <= 2000; i++ {
				rows = append(rows, Row{i, i % 50, nil, int64(0), i})
			}
			insert(t, db, "t", rows...)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			var werr error
			go func() { // the writer: one change a commit
				defer wg.Done()
				r := rand.New(rand.NewPCG(1, 2))
				for i := 0; i < 3000; i++ {
					select {
					case <-stop:
						return
					default:
					}
					tx, err := db.Begin(bg)
					if err != nil {
						werr = err
						return
					}
					id := 1 + r.Int64N(2500)
					h, _, found, err := tx.Get("t", []any{id})
					switch {
					case err != nil:
					case !found:
						_, _, err = tx.Insert("t", Row{id, r.Int64N(50), nil, int64(0), id})
					case i%4 == 0:
						err = tx.Delete("t", h)
					default:
						_, err = tx.Update("t", h, Row{id, r.Int64N(50), nil, int64(0), id})
					}
					if err == nil {
						err = tx.Commit()
					}
					if err != nil {
						tx.Rollback()
						werr = err
						return
					}
				}
			}()
			for q := 0; q < 300; q++ {
				tx, err := db.Begin(bg)
				if err != nil {
					t.Fatal(err)
				}
				reverse := q%2 == 0
				limit := 1 + q%200
				var prev int64 = -1
				if reverse {
					prev = 1 << 40
				}
				seen := map[int64]bool{}
				n := 0
				err = tx.Scan("t", Scan{Index: "by_b", Reverse: reverse, Limit: int32(limit)}, func(h Handle, row Row) (bool, error) {
					b, id := row[1].(int64), row[0].(int64)
					if reverse && b > prev || !reverse && b < prev {
						return false, fmt.Errorf("b %d after %d, reverse %v", b, prev, reverse)
					}
					if seen[id] {
						return false, fmt.Errorf("row %d twice", id)
					}
					prev, seen[id] = b, true
					n++
					return n < limit, nil
				})
				tx.Rollback()
				if err != nil {
					close(stop)
					wg.Wait()
					t.Fatalf("walk %d: %v", q, err)
				}
			}
			close(stop)
			wg.Wait()
			if werr != nil {
				t.Fatal(werr)
			}
		})
	}
}
