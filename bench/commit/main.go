// Command commit measures the commit rate of blitz's redo WAL (txn) with
// SyncFull, one small record per commit, for 1 and 16 concurrent committers,
// and in the same run: an append+fdatasync loop on the same filesystem (the
// physical limit for one committer), Tokyo Cabinet's hash database with
// HDBOTSYNC and a transaction per put, and SQLite in WAL mode with
// synchronous=FULL and one INSERT per transaction. The cases alternate within
// each run; it prints every run, the medians and the target ratios.
//
// Usage: go run . [-dir DIR] [-d 3s] [-runs 5] [-cases physical,overwrite,wal1,wal16,eng1,eng16,tc,sqlite]
//
// eng1 and eng16 commit one row per transaction into a CRASH_SAFE table
// through the engine API.
//
// overwrite is the append loop on a zero-filled file written in place (what
// the WAL does on its preallocated segments); it gives the single-committer
// overhead of the group-commit path in microseconds.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/blitzdb/blitz/txn"
)

// One record: a 16-byte key and a 100-byte value (a small row), for every system.
const (
	keySize   = 16
	valueSize = 100
)

func fillKey(k []byte, worker, i int) {
	binary.BigEndian.PutUint64(k[0:], uint64(worker))
	binary.BigEndian.PutUint64(k[8:], uint64(i))
}

func fillValue(v []byte) {
	for i := range v {
		v[i] = byte('a' + i%26)
	}
}

// runPhysical appends one record-sized write and fdatasyncs it, in a loop,
// on a file that grows: the simplest durable log, the limit one committer
// can reach on this filesystem.
func runPhysical(dir string, d time.Duration) (int, error) {
	f, err := vfs.Create(vfs.Default, filepath.Join(dir, "append.log"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rec := make([]byte, 17+keySize+valueSize+8) // about a WAL frame
	fillValue(rec)
	var off int64
	n := 0
	for start := time.Now(); time.Since(start) < d; n++ {
		if _, err := f.WriteAt(rec, off); err != nil {
			return n, err
		}
		off += int64(len(rec))
		if err := f.Sync(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// runOverwrite is runPhysical on a file zero-filled and synced beforehand,
// written in place: the same I/O the WAL does on its preallocated segment
// (no file-size change, so fdatasync writes no metadata). The WAL's single
// committer overhead is its per-commit time minus this one's.
func runOverwrite(dir string, d time.Duration) (int, error) {
	f, err := vfs.Create(vfs.Default, filepath.Join(dir, "overwrite.log"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	const size = 64 << 20
	zero := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(zero)) {
		if _, err := f.WriteAt(zero, off); err != nil {
			return 0, err
		}
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	rec := make([]byte, 17+keySize+valueSize+8)
	fillValue(rec)
	var off int64
	n := 0
	for start := time.Now(); time.Since(start) < d && off+int64(len(rec)) <= size; n++ {
		if _, err := f.WriteAt(rec, off); err != nil {
			return n, err
		}
		off += int64(len(rec))
		if err := f.Sync(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// runWAL commits from committers goroutines for d and returns the count.
func runWAL(dir string, committers int, d time.Duration) (int, txn.Stats, error) {
	w, err := txn.OpenWAL(filepath.Join(dir, "wal"), txn.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, txn.Stats{}, err
	}
	var total atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for c := 0; c < committers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := make([]byte, keySize)
			val := make([]byte, valueSize)
			fillValue(val)
			b := txn.Batch{{Table: "t", Kind: txn.OpPut, Key: key, Value: val}}
			n := 0
			for ; time.Now().Before(deadline); n++ {
				fillKey(key, c, n)
				if _, err := w.Commit(context.Background(), b); err != nil {
					firstErr.CompareAndSwap(nil, err)
					break
				}
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	st := w.Stats()
	if err := w.Close(); err != nil {
		return 0, st, err
	}
	if e := firstErr.Load(); e != nil {
		return 0, st, e.(error)
	}
	return int(total.Load()), st, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	dirFlag := flag.String("dir", "", "directory on the filesystem to measure (default: a new temp dir)")
	d := flag.Duration("d", 3*time.Second, "duration of each case")
	runs := flag.Int("runs", 5, "runs (medians are reported)")
	casesFlag := flag.String("cases", "physical,overwrite,wal1,wal16,eng1,eng16,tc,sqlite", "cases to run, in order")
	think := flag.Duration("think", 300*time.Microsecond, "eng16think: pause after each commit (a client's round trip)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}

	base := *dirFlag
	if base == "" {
		var err error
		if base, err = os.MkdirTemp("", "blitz-commit-bench-"); err != nil {
			fail(err)
		}
		defer os.RemoveAll(base)
	}
	cases := strings.Split(*casesFlag, ",")
	rates := map[string][]float64{}
	for r := 1; r <= *runs; r++ {
		for _, c := range cases {
			dir, err := os.MkdirTemp(base, c+"-")
			if err != nil {
				fail(err)
			}
			var n int
			var st txn.Stats
			start := time.Now()
			switch c {
			case "physical":
				n, err = runPhysical(dir, *d)
			case "overwrite":
				n, err = runOverwrite(dir, *d)
			case "wal1":
				n, st, err = runWAL(dir, 1, *d)
			case "wal16":
				n, st, err = runWAL(dir, 16, *d)
			case "eng1":
				n, st, err = runEngine(dir, 1, *d, 0)
			case "eng16":
				n, st, err = runEngine(dir, 16, *d, 0)
			case "eng16think":
				n, st, err = runEngine(dir, 16, *d, *think)
			case "tc":
				n, err = runTC(dir, *d)
			case "sqlite":
				n, err = runSQLite(dir, *d)
			default:
				err = fmt.Errorf("unknown case %q", c)
			}
			if err != nil {
				fail(fmt.Errorf("%s: %w", c, err))
			}
			el := time.Since(start)
			if c == "wal1" || c == "wal16" || c == "overwrite" || c == "eng1" || c == "eng16" || c == "eng16think" {
				el = *d // OpenWAL's segment preparation is not commit time
			}
			rate := float64(n) / el.Seconds()
			rates[c] = append(rates[c], rate)
			extra := ""
			if st.Syncs > 0 {
				extra = fmt.Sprintf("  (%.1f commits per fdatasync)", float64(st.Commits)/float64(st.Syncs))
			}
			fmt.Printf("run %d  %-9s %9.0f commits/s%s\n", r, c, rate, extra)
			os.RemoveAll(dir)
		}
	}
	fmt.Println()
	fmt.Printf("medians over %d runs of %v each:\n", *runs, *d)
	for _, c := range cases {
		fmt.Printf("  %-9s %9.0f commits/s\n", c, median(rates[c]))
	}
	m := func(c string) float64 { return median(rates[c]) }
	ratio := func(name, a, b string, target float64) {
		if m(a) == 0 || m(b) == 0 {
			return
		}
		r := m(a) / m(b)
		if target == 0 {
			fmt.Printf("  %-34s %6.2fx\n", name, r)
			return
		}
		verdict := "MET"
		if r < target {
			verdict = "NOT MET"
		}
		fmt.Printf("  %-34s %6.2fx  (target >= %gx: %s)\n", name, r, target, verdict)
	}
	fmt.Println("ratios of medians:")
	ratio("wal 1 committer / physical limit", "wal1", "physical", 0.8)
	ratio("wal 1 committer / Tokyo Cabinet", "wal1", "tc", 3)
	ratio("wal 16 committers / wal 1", "wal16", "wal1", 8)
	ratio("engine 1 committer / physical limit", "eng1", "physical", 0.8)
	ratio("engine 1 committer / Tokyo Cabinet", "eng1", "tc", 3)
	ratio("engine 16 committers / engine 1", "eng16", "eng1", 8)
	ratio("engine 1 committer / SQLite", "eng1", "sqlite", 0)
	ratio("wal 1 committer / SQLite", "wal1", "sqlite", 0)
	ratio("wal 1 committer / overwrite loop", "wal1", "overwrite", 0)
	if m("wal1") > 0 && m("overwrite") > 0 {
		fmt.Printf("  single-committer overhead over write+fdatasync in place: %.1f us per commit (%.1f vs %.1f us)\n",
			1e6/m("wal1")-1e6/m("overwrite"), 1e6/m("wal1"), 1e6/m("overwrite"))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "commit bench:", err)
	os.Exit(1)
}
