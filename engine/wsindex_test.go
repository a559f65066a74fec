package engine

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// compareAny orders two non-NULL int64 or string values.
func compareAny(a, b any) int {
	if x, ok := a.(int64); ok {
		y := b.(int64)
		return int(min(max(x-y, -1), 1))
	}
	return strings.Compare(a.(string), b.(string))
}

// TestFKCascadeLookupsBounded: a cascade that writes child rows (ON
// DELETE SET NULL, ON UPDATE CASCADE) looks the children of each parent
// up through an index of the child table, which holds the rows the
// cascade already wrote. Each lookup visits only the written rows in its
// range (the view of wsindex.go), so the written rows visited per
// cascaded row stay bounded however many parents one transaction
// changes; a scan that walked the whole write set visits O(n²).
func TestFKCascadeLookupsBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		onDelete RefAction
		onUpdate RefAction
		update   bool
	}{
		{"delete set null", RefSetNull, RefNoAction, false},
		{"update cascade", RefNoAction, RefCascade, true},
		{"update set null", RefNoAction, RefSetNull, true},
	} {
		for _, crashSafe := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/crashsafe=%v", tc.name, crashSafe), func(t *testing.T) {
				const n, per = 400, 3
				db := mustOpen(t, t.TempDir(), Options{})
				p := &TableDef{Name: "p", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}}, PrimaryKey: []string{"id"}, CrashSafe: crashSafe}
				c := &TableDef{Name: "c", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}, {Name: "pid", Type: TypeInt}},
					PrimaryKey: []string{"id"}, Indexes: []IndexDef{{Name: "k", Columns: []string{"pid"}}}, CrashSafe: crashSafe,
					ForeignKeys: []ForeignKeyDef{{Name: "fk", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: tc.onDelete, OnUpdate: tc.onUpdate}}}
				for _, d := range []*TableDef{p, c} {
					if err := db.CreateTable(bg, d); err != nil {
						t.Fatal(err)
					}
				}
				if err := fkExec(t, db, func(tx *Tx) error {
					for i := int64(1); i <= n; i++ {
						if _, _, err := tx.Insert("p", Row{i}); err != nil {
							return err
						}
						for j := int64(0); j < per; j++ {
							if _, _, err := tx.Insert("c", Row{i*per + j, i}); err != nil {
								return err
							}
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				tx, err := db.Begin(bg)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback()
				// Parents in descending order: an ON UPDATE CASCADE to
				// id + n puts every child written so far above the keys
				// still to be looked up, on the same side the next lookup
				// starts from.
				for i := int64(n); i >= 1; i-- {
					h, _, ok, err := tx.Get("p", []any{i})
					if err != nil || !ok {
						t.Fatalf("parent %d: %v %v", i, ok, err)
					}
					if tc.update {
						_, err = tx.Update("p", h, Row{i + n})
					} else {
						err = tx.Delete("p", h)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				t.Logf("%d written rows visited for %d parents", tx.wsVisits, n)
				// Each lookup may visit its own children and the first
				// written row past its range.
				if limit := uint32(n * (per + 1)); tx.wsVisits > limit {
					t.Errorf("the cascades of %d parents visited %d written rows, want at most %d", n, tx.wsVisits, limit)
				}
				if tc.onUpdate == RefCascade && tx.wsVisits == 0 {
					t.Errorf("no written rows visited: the lookups did not go through the write set")
				}
				// And the cascade did what it should.
				want := 0
				if tc.onUpdate == RefCascade {
					want = n * per
				}
				got := 0
				if err := tx.Scan("c", Scan{Index: "k", Lo: Bound{Values: []any{int64(1)}, Inclusive: true}}, func(h Handle, r Row) (bool, error) {
					if tc.onUpdate == RefCascade && (r[1].(int64) <= n || r[1].(int64) != r[0].(int64)/per+n) {
						t.Errorf("child %v after ON UPDATE CASCADE", r)
					}
					got++
					return true, nil
				}); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%d children with a parent after the cascade, want %d", got, want)
				}
			})
		}
	}
}

// TestScanWrittenRowsByIndex: index scans inside a transaction see the
// rows it inserted, updated (also back and forth between keys), deleted
// and rolled back to a savepoint exactly as a full scan filtered and
// sorted does, on two indexes, bounded and not, forwards and in reverse.
// Random operations from fixed seeds, a bounded number of them.
func TestScanWrittenRowsByIndex(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	d := &TableDef{Name: "t", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}, {Name: "k", Type: TypeInt}, {Name: "v", Type: TypeText}},
		PrimaryKey: []string{"id"}, Indexes: []IndexDef{{Name: "k", Columns: []string{"k"}}, {Name: "kv", Columns: []string{"v", "k"}}}}
	if err := db.CreateTable(bg, d); err != nil {
		t.Fatal(err)
	}
	if err := fkExec(t, db, func(tx *Tx) error {
		for i := int64(0); i < 40; i++ {
			if _, _, err := tx.Insert("t", Row{i, i % 10, fmt.Sprint("v", i%3)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	val := func(rng *rand.Rand) (any, any) {
		var k, v any
		if rng.Intn(6) > 0 {
			k = int64(rng.Intn(12))
		}
		if rng.Intn(6) > 0 {
			v = fmt.Sprint("v", rng.Intn(4))
		}
		return k, v
	}
	// cmpKey orders rows as index ix does: NULL first, then by value,
	// then by id.
	cmpKey := func(ix string) func(a, b Row) int {
		cols := []int{1}
		if ix == "kv" {
			cols = []int{2, 1}
		}
		return func(a, b Row) int {
			for _, c := range cols {
				switch {
				case a[c] == nil && b[c] == nil:
				case a[c] == nil:
					return -1
				case b[c] == nil:
					return 1
				default:
					if x := compareAny(a[c], b[c]); x != 0 {
						return x
					}
				}
			}
			return compareAny(a[0], b[0])
		}
	}
	next := int64(1000) // ids of inserted rows
	for seed := int64(1); seed <= 8; seed++ {
		rng := rand.New(rand.NewSource(seed))
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() // after a failure, so that the final check can lock the table
		var sps []int
		for op := 0; op < 150; op++ {
			var all []Row
			hs := map[int64]Handle{}
			x := rng.Intn(10)
			if x >= 2 && x != 6 { // the rows, for the operations that need them
				if err := tx.Scan("t", Scan{}, func(h Handle, r Row) (bool, error) {
					all = append(all, r)
					hs[r[0].(int64)] = h
					return true, nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			pick := func() (Handle, Row) {
				r := all[rng.Intn(len(all))]
				return hs[r[0].(int64)], r
			}
			switch {
			case x < 2 || x < 6 && len(all) == 0:
				k, v := val(rng)
				next++
				if _, _, err := tx.Insert("t", Row{next, k, v}); err != nil {
					t.Fatal(err)
				}
			case x < 5:
				h, r := pick()
				k, v := val(rng)
				if _, err := tx.Update("t", h, Row{r[0], k, v}); err != nil {
					t.Fatal(err)
				}
			case x < 6:
				h, _ := pick()
				if err := tx.Delete("t", h); err != nil {
					t.Fatal(err)
				}
			case x < 7:
				sps = append(sps, tx.Savepoint())
			case x < 8 && len(sps) > 0:
				i := rng.Intn(len(sps))
				if err := tx.RollbackTo(sps[i]); err != nil {
					t.Fatal(err)
				}
				sps = sps[:i]
			default:
				ix := []string{"k", "kv"}[rng.Intn(2)]
				s := Scan{Index: ix, Reverse: rng.Intn(2) == 0}
				var want []Row
				lo, hi := int64(rng.Intn(12)), int64(rng.Intn(12))
				bounded := rng.Intn(3) > 0
				if bounded && ix == "k" {
					s.Lo, s.Hi = Bound{Values: []any{lo}, Inclusive: true}, Bound{Values: []any{hi}, Inclusive: rng.Intn(2) == 0}
				}
				if bounded && ix == "kv" {
					s.Lo = Bound{Values: []any{fmt.Sprint("v", lo%4)}, Inclusive: true}
					s.Hi = s.Lo
				}
				for _, r := range all {
					switch {
					case !bounded:
					case ix == "k" && (r[1] == nil || r[1].(int64) < lo || r[1].(int64) > hi || r[1].(int64) == hi && !s.Hi.Inclusive):
						continue
					case ix == "kv" && r[2] != fmt.Sprint("v", lo%4):
						continue
					}
					want = append(want, r)
				}
				slices.SortFunc(want, cmpKey(ix))
				if s.Reverse {
					slices.Reverse(want)
				}
				var got []Row
				if err := tx.Scan("t", s, func(h Handle, r Row) (bool, error) {
					got = append(got, r)
					return true, nil
				}); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("seed %d op %d: scan %+v\n got %v\nwant %v", seed, op, s, got, want)
				}
			}
		}
		if seed%2 == 0 {
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		} else {
			tx.Rollback()
		}
	}
}

// TestPKRangeScanVisitsBounded: a primary-key range scan in a transaction
// that wrote to the table visits only the written rows in its range (and
// the first one past it), not the whole write set, and sees the
// transaction's updates, deletions and rollbacks to a savepoint.
func TestPKRangeScanVisitsBounded(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", crashSafe), func(t *testing.T) {
			const n, per = 500, 3
			db := mustOpen(t, t.TempDir(), Options{})
			d := &TableDef{Name: "t", Columns: []Column{{Name: "a", Type: TypeInt, NotNull: true}, {Name: "b", Type: TypeInt, NotNull: true}, {Name: "v", Type: TypeInt}},
				PrimaryKey: []string{"a", "b"}, CrashSafe: crashSafe}
			if err := db.CreateTable(bg, d); err != nil {
				t.Fatal(err)
			}
			insert(t, db, "t", Row{int64(0), int64(0), int64(0)}, Row{int64(n + 1), int64(0), int64(0)})
			tx, err := db.Begin(bg)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			scan := func(a int64) []string {
				var got []string
				b := Bound{Values: []any{a}, Inclusive: true}
				if err := tx.Scan("t", Scan{Index: "PRIMARY", Lo: b, Hi: b}, func(h Handle, r Row) (bool, error) {
					got = append(got, fmt.Sprint(r))
					return true, nil
				}); err != nil {
					t.Fatal(err)
				}
				return got
			}
			for i := int64(1); i <= n; i++ {
				for j := int64(0); j < per; j++ {
					if _, _, err := tx.Insert("t", Row{i, j, i}); err != nil {
						t.Fatal(err)
					}
				}
				if got := scan(i); len(got) != per {
					t.Fatalf("scan of a = %d after its inserts: %v", i, got)
				}
			}
			t.Logf("%d written rows visited by %d scans", tx.wsVisits, n)
			if limit := uint32(n * (per + 1)); tx.wsVisits > limit {
				t.Errorf("%d scans visited %d written rows, want at most %d", n, tx.wsVisits, limit)
			}
			if tx.wsVisits == 0 {
				t.Errorf("no written rows visited: the scans did not go through the write set")
			}
			// The view follows later changes: a row moved to another key,
			// a deletion, an update, and a rollback to a savepoint.
			h, _, _, err := tx.Get("t", []any{int64(5), int64(0)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Update("t", h, Row{int64(6), int64(9), int64(-5)}); err != nil {
				t.Fatal(err)
			}
			h, _, _, _ = tx.Get("t", []any{int64(6), int64(1)})
			if err := tx.Delete("t", h); err != nil {
				t.Fatal(err)
			}
			sp := tx.Savepoint()
			h, _, _, _ = tx.Get("t", []any{int64(6), int64(2)})
			if _, err := tx.Update("t", h, Row{int64(6), int64(2), int64(99)}); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(scan(6)); got != "[[6 0 6] [6 2 99] [6 9 -5]]" {
				t.Errorf("a = 6 before the rollback: %s", got)
			}
			if err := tx.RollbackTo(sp); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(scan(6)); got != "[[6 0 6] [6 2 6] [6 9 -5]]" {
				t.Errorf("a = 6 after the rollback: %s", got)
			}
			if got := fmt.Sprint(scan(5)); got != "[[5 1 5] [5 2 5]]" {
				t.Errorf("a = 5: %s", got)
			}
			if got := fmt.Sprint(scan(n + 1)); got != fmt.Sprintf("[[%d 0 0]]", n+1) {
				t.Errorf("a = %d (committed): %s", n+1, got)
			}
		})
	}
}
