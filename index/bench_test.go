package index

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/keyenc"
)

// BenchmarkInsertDelete measures single-row index maintenance in the steady
// state: an index of size=N entries (built, then opened), where each op
// inserts one new entry or deletes one existing one, with the default
// buffer and background flush (flush cost included, amortised).
func BenchmarkInsertDelete(b *testing.B) {
	for _, n := range []int{100_000} {
		for _, op := range []string{"insert", "delete"} {
			b.Run(op+"/size="+itoa(n), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "b.bix")
				m := &model{}
				for i := 0; i < n; i++ {
					m.ents = append(m.ents, entry{keyenc.AppendInt(nil, int64(i)), pkOf(i)})
				}
				rebuild(b, path, m, 1)
				ix, err := Open(path, 1, Options{})
				if err != nil {
					b.Fatal(err)
				}
				cols := make([]byte, 0, 16)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					// Spread keys over the whole index: a multiplicative hash.
					k := int64(uint64(i)*0x9E3779B97F4A7C15>>40) + int64(n)
					if op == "delete" {
						k = int64(i % n)
					}
					cols = keyenc.AppendInt(cols[:0], k)
					if op == "insert" {
						err = ix.Insert(cols, pkOf(i))
					} else {
						err = ix.Delete(cols, pkOf(int(k)))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if err := ix.Flush(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := ix.Close(2); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

func itoa(n int) string { return fmt.Sprint(n) }

// TestConcurrentReadersSeeConsistentState runs readers against one writer
// and the background flusher (run with -race): the writer keeps the index
// at 100 entries by inserting entry i+100 and then deleting entry i, so a
// reader of one consistent state counts 100 or 101, in order.
func TestConcurrentReadersSeeConsistentState(t *testing.T) {
	ix := mustCreate(t, Options{BufferBytes: 4096, FlushInterval: 1})
	for i := 0; i < 100; i++ {
		ix.Insert(keyenc.AppendInt(nil, int64(i)), pkOf(i))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := ix.Count(Bound{Unbounded: true}, Bound{Unbounded: true})
				if err != nil || n < 100 || n > 101 {
					errs <- fmtErr("count %d, %v", n, err)
					return
				}
				var prev []byte
				ix.Scan(Bound{Unbounded: true}, Bound{Unbounded: true}, true, func(c, _ []byte) bool {
					if prev != nil && string(c) >= string(prev) {
						errs <- fmtErr("reverse scan out of order")
						return false
					}
					prev = append(prev[:0], c...)
					return true
				})
			}
		}()
	}
	iters := 3000
	if torture() {
		iters = 100000
	}
	for i := 0; i < iters; i++ {
		if err := ix.Insert(keyenc.AppendInt(nil, int64(i+100)), pkOf(i+100)); err != nil {
			t.Fatal(err)
		}
		if err := ix.Delete(keyenc.AppendInt(nil, int64(i)), pkOf(i)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func fmtErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// BenchmarkSorter measures collecting and sorting 1M entries (a tag byte,
// a random 8-byte integer and a 9-byte primary key each), as Build does for
// an index of a random integer column.
func BenchmarkSorter(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	keys := make([][]byte, 1<<20)
	for i := range keys {
		keys[i] = binary.BigEndian.AppendUint64([]byte{0x20}, r.Uint64())
		keys[i] = append(keys[i], pkOf(i)...)
	}
	s := &sorter{budget: 1 << 40}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.chunks, s.bytes = s.chunks[:0], 0
		for _, k := range keys {
			s.add(k, []byte{1})
		}
		s.sort()
		for buf := make([]ent, 0, 32); ; {
			if buf = s.take(buf[:0]); len(buf) == 0 {
				break
			}
		}
		s.reset()
	}
}

// BenchmarkBuild measures Build of one index over rows=N rows (an 8-byte
// random integer column each): the scan, the sort and the file written,
// synced and renamed. It is the A/B bench of Build's context checks.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1 << 20} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewSource(1))
			rows := &buildRows{}
			for range n {
				rows.cols = append(rows.cols, binary.BigEndian.AppendUint64([]byte{0x20}, r.Uint64()))
			}
			dir := b.TempDir()
			path := filepath.Join(dir, "a.bix")
			spec := BuildSpec{Path: path, Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }}
			b.ReportAllocs()
			b.ResetTimer()
			var st BuildStats
			for i := 0; i < b.N; i++ {
				var err error
				if st, err = Build(context.Background(), rows.scan, []BuildSpec{spec}, BuildOptions{TempDir: dir}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if st.Rows != int64(n) || st.Entries[0] != int64(n) {
				b.Fatalf("built %d rows, %d entries; want %d", st.Rows, st.Entries[0], n)
			}
		})
	}
}
