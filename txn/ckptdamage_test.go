package txn

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// checkpointAll runs a whole checkpoint on w.
func checkpointAll(t *testing.T, w *WAL) LSN {
	t.Helper()
	through, err := w.BeginCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	return through
}

// TestCheckpointedDamage: damage to frames that a completed checkpoint
// already covers (their changes are in the data files) does not stop the
// log from opening: the damaged region is skipped, said in RecoveryInfo
// and the log, and every commit after the checkpoint is replayed. The same
// damage to a frame the checkpoint does not cover is still refused.
func TestCheckpointedDamage(t *testing.T) {
	const before, after = 10, 6
	t.Run("newest segment", func(t *testing.T) {
		for _, covered := range []bool{true, false} {
			t.Run(fmt.Sprint("covered=", covered), func(t *testing.T) {
				w := mustOpen(t, nil, "", Options{})
				offs := map[LSN]int64{}
				for i := 0; i < before; i++ {
					offs[w.nextLSN] = w.appendOff
					mustCommit(t, w, put(fmt.Sprint(i), "value"))
				}
				through := checkpointAll(t, w)
				for i := 0; i < after; i++ {
					offs[w.nextLSN] = w.appendOff
					mustCommit(t, w, put(fmt.Sprint("after", i), "value"))
				}
				path := w.segs[len(w.segs)-1].path
				w.Close()
				bad := LSN(3)
				if !covered {
					bad = through + 4 // a commit after the checkpoint's two frames
				}
				corrupt(t, path, offs[bad]+groupFrameSize+FrameHeaderSize+2)
				w2, err := OpenWAL(w.dir, w.opts)
				if !covered {
					var ce *CorruptionError
					if !errors.As(err, &ce) || ce.LSN != bad || ce.File != path {
						t.Fatalf("damage after the checkpoint: %v, want corruption at LSN %d", err, bad)
					}
					corrupt(t, path, offs[bad]+groupFrameSize+FrameHeaderSize+2) // leave a log that opens
					return
				}
				if err != nil {
					t.Fatalf("OpenWAL with damage in checkpointed frames: %v", err)
				}
				defer w2.Close()
				rec := w2.Recovery()
				if rec.LastCheckpoint != through || rec.Records != after || len(rec.SkippedDamage) != 1 || !strings.Contains(rec.SkippedDamage[0], path) {
					t.Fatalf("recovery %+v", rec)
				}
				t.Log(rec.SkippedDamage[0])
				if got := replayAll(t, w2); len(got) != after || string(got[0].b[0].Key) != "after0" {
					t.Fatalf("replayed %d records", len(got))
				}
				mustCommit(t, w2, put("new", "v"))
				w2 = reopen(t, w2)
				if got := replayAll(t, w2); len(got) != after+1 {
					t.Fatalf("after a commit and a reopen: %d records", len(got))
				}
			})
		}
	})
	t.Run("older segments", func(t *testing.T) {
		for _, tc := range []struct {
			kept   bool  // the damaged segment is one the checkpoint retired, put back
			damage int64 // offset of the flipped byte
		}{
			{false, SegmentHeaderSize + 1}, // the CRC of its first frame
			{true, SegmentHeaderSize + 1},
			{true, 3}, // its header's magic
		} {
			kept := tc.kept
			t.Run(fmt.Sprintf("unretired=%v/offset=%d", kept, tc.damage), func(t *testing.T) {
				w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
				for i := 0; i < 25; i++ {
					mustCommit(t, w, put(fmt.Sprint(i), "value"))
				}
				// With kept, the oldest segment is put back after the
				// checkpoint retired it: a crash before its removal.
				oldest := w.segs[0]
				content, err := os.ReadFile(oldest.path)
				if err != nil {
					t.Fatal(err)
				}
				through := checkpointAll(t, w)
				for i := 0; i < 40; i++ {
					mustCommit(t, w, put(fmt.Sprint("after", i), "value"))
				}
				first := w.segs[0]
				if len(w.segs) < 2 || first.first > through {
					t.Fatalf("setup: segments %v, checkpoint through %d", w.segs, through)
				}
				w.Close()
				if kept {
					if err := os.WriteFile(oldest.path, content, 0o644); err != nil {
						t.Fatal(err)
					}
					first = oldest
				}
				corrupt(t, first.path, tc.damage)
				w2, err := OpenWAL(w.dir, w.opts)
				if err != nil {
					t.Fatalf("OpenWAL with damage in checkpointed frames of %s: %v", first.path, err)
				}
				defer w2.Close()
				rec := w2.Recovery()
				if rec.LastCheckpoint != through || rec.Records != 40 || len(rec.SkippedDamage) != 1 || !strings.Contains(rec.SkippedDamage[0], first.path) {
					t.Fatalf("recovery %+v", rec)
				}
				t.Log(rec.SkippedDamage[0])
				if got := replayAll(t, w2); len(got) != 40 {
					t.Fatalf("replayed %d records", len(got))
				}
			})
		}
	})
}
