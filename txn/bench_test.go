package txn

import (
	"context"
	"fmt"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// BenchmarkCommit measures Commit on an in-memory filesystem (a sync costs
// next to nothing there), so it shows the CPU cost of the commit path: a
// lone committer (one group write per commit) and 8 concurrent ones
// (group commit).
func BenchmarkCommit(b *testing.B) {
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("committers=%d", par), func(b *testing.B) {
			w, err := OpenWAL("/wal", Options{FS: vfs.NewMem(), SegmentBytes: 1 << 20, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			batch := Batch{{Table: "t", Kind: OpPut, Key: []byte("key-0000"), Value: make([]byte, 100)}}
			b.SetBytes(int64(batch.EncodedSize()))
			b.ReportAllocs()
			b.SetParallelism(par)
			b.ResetTimer()
			if par == 1 {
				for i := 0; i < b.N; i++ {
					if _, err := w.Commit(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				// SetParallelism multiplies GOMAXPROCS: par per CPU.
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := w.Commit(context.Background(), batch); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			if s := w.Stats(); s.Commits != int64(b.N) {
				b.Fatalf("%d commits logged, %d made", s.Commits, b.N)
			}
		})
	}
}
