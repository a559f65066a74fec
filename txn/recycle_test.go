package txn

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
)

// TestRecycledSegmentCleanEnd: after a clean Close, the newest segment may
// be a recycled file whose bytes past the last frame are an older life's
// frames, at offsets that do not line up with the new ones. Reopening must
// find the clean end there, not report a torn frame (each group write ends
// with a zeroed frame header for that).
func TestRecycledSegmentCleanEnd(t *testing.T) {
	for seed := int64(0); seed < 20; seed++ {
		dir := t.TempDir()
		r := rand.New(rand.NewSource(seed))
		w, err := OpenWAL(dir, Options{SegmentBytes: 16 << 10, Sync: SyncOff})
		if err != nil {
			t.Fatal(err)
		}
		commit := func(n int) {
			for i := 0; i < n; i++ {
				v := make([]byte, 1+r.Intn(300))
				if _, err := w.Commit(context.Background(), Batch{{Table: "t", Kind: OpPut, Key: []byte(fmt.Sprint(i)), Value: v}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for round := 0; round < 4; round++ { // fill segments, checkpoint them free, reuse them
			commit(100 + r.Intn(200))
			through, err := w.BeginCheckpoint()
			if err != nil {
				t.Fatal(err)
			}
			if err := w.EndCheckpoint(through); err != nil {
				t.Fatal(err)
			}
		}
		commit(1 + r.Intn(50))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w, err = OpenWAL(dir, Options{SegmentBytes: 16 << 10, Sync: SyncOff})
		if err != nil {
			t.Fatal(err)
		}
		if rec := w.Recovery(); rec.TornTail {
			t.Fatalf("seed %d: a clean close reopens with a torn tail: %s at %d (%s)", seed, rec.TornFile, rec.TornOffset, rec.TornReason)
		}
		w.Close()
	}
}
