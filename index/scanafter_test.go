package index

import (
	"bytes"
	"fmt"
	"testing"
)

// TestScanAfter reads a range in pieces of one to five entries, each
// resumed with ScanAfter past the last entry of the piece before, and
// checks that the pieces make the range read by one Scan, in both
// directions, on unique and non-unique indexes with NULL columns (whose
// unique entries are keyed by columns and primary key) and ties, with
// entries in the file and in the write buffer.
func TestScanAfter(t *testing.T) {
	for _, unique := range []bool{false, true} {
		t.Run(fmt.Sprintf("unique=%v", unique), func(t *testing.T) {
			ix := mustCreate(t, Options{Unique: unique})
			for i := 0; i < 60; i++ {
				a := i % 7
				if i%5 == 0 {
					a = -1 // NULL
				}
				if unique && a >= 0 {
					a = i
				}
				if err := ix.Insert(colsOf(a, "x"), pkOf(i)); err != nil {
					t.Fatal(err)
				}
				if i == 30 {
					if err := ix.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			ranges := [][2]Bound{
				{{Unbounded: true}, {Unbounded: true}},
				{{Key: colsOf(2, "")[:9], Inclusive: true}, {Key: colsOf(40, "")[:9], Inclusive: false}},
				{{Key: colsOf(-1, "")[:1], Inclusive: false}, {Unbounded: true}},
			}
			for ri, rg := range ranges {
				for _, reverse := range []bool{false, true} {
					var want, got []string
					entry := func(c, pk []byte) string { return fmt.Sprintf("%x/%x", c, pk) }
					if err := ix.Scan(rg[0], rg[1], reverse, func(c, pk []byte) bool {
						want = append(want, entry(c, pk))
						return true
					}); err != nil {
						t.Fatal(err)
					}
					var lastC, lastPK []byte
					for piece, pieces := 1, 0; ; piece, pieces = piece%5+1, pieces+1 {
						if pieces > 2*len(want)+2 { // every piece but the last takes an entry
							t.Fatalf("range %d reverse %v: still reading after %d pieces: %v", ri, reverse, pieces, got[:min(len(got), 20)])
						}
						n := 0
						take := func(c, pk []byte) bool {
							got = append(got, entry(c, pk))
							lastC, lastPK = bytes.Clone(c), bytes.Clone(pk)
							n++
							return n < piece
						}
						var err error
						if lastC == nil {
							err = ix.Scan(rg[0], rg[1], reverse, take)
						} else {
							err = ix.ScanAfter(rg[0], rg[1], reverse, lastC, lastPK, take)
						}
						if err != nil {
							t.Fatal(err)
						}
						if n < piece {
							break
						}
					}
					if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
						t.Fatalf("range %d reverse %v: in pieces\n%v\nin one scan\n%v", ri, reverse, got, want)
					}
				}
			}
		})
	}
}
