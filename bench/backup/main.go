// Command backup measures hot backup (engine.(*DB).Backup) and the update
// log's cost (see run.sh):
//
//   - throughput: a database of about -mb MB (a plain table and a CRASH_SAFE
//     table of 1 KiB rows, one secondary index each) is backed up -runs times;
//     MB/s = bytes written / wall time, against `cp -r` of the same files (the
//     database directory). Both read from a warm page cache.
//   - pause: -writers goroutines commit single-row updates (half on each
//     table) for -d; the longest commit latency is recorded without a backup
//     and with one running; medians over -runs.
//   - ulog cost: commits/s of single-row CRASH_SAFE commits with 1 and 16
//     committers, without and with the update log (group-synced).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blitzdb/blitz/engine"
)

var ctx = context.Background()

func def(name string, cs bool) *engine.TableDef {
	return &engine.TableDef{
		Name: name,
		Columns: []engine.Column{
			{Name: "id", Type: engine.TypeBigInt, NotNull: true},
			{Name: "v", Type: engine.TypeBigInt, NotNull: true},
			{Name: "pad", Type: engine.TypeBlob},
		},
		PrimaryKey: []string{"id"},
		Indexes:    []engine.IndexDef{{Name: "by_v", Columns: []string{"v"}}},
		CrashSafe:  cs,
	}
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func load(dir string, rows int) {
	db, err := engine.Open(dir, engine.Options{CheckpointBytes: 256 << 20})
	must(err)
	must(db.CreateTable(ctx, def("plain", false)))
	must(db.CreateTable(ctx, def("safe", true)))
	pad := make([]byte, 1000)
	rand.Read(pad)
	for _, tb := range []string{"plain", "safe"} {
		for i := 0; i < rows/2; i += 1000 {
			tx, err := db.Begin(ctx)
			must(err)
			for j := i; j < i+1000 && j < rows/2; j++ {
				_, _, err := tx.Insert(tb, engine.Row{int64(j), int64(j % 977), pad})
				must(err)
			}
			must(tx.Commit())
		}
	}
	must(db.Close())
}

// writers runs n single-row committers until stop and returns the longest
// commit latency and the commit count.
func writers(db *engine.DB, n, rows int, stop chan struct{}) (time.Duration, int64) {
	var wg sync.WaitGroup
	var maxLat atomic.Int64
	var count atomic.Int64
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			tb := []string{"plain", "safe"}[w%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				tx, err := db.Begin(ctx)
				must(err)
				id := int64(rng.Intn(rows / 2))
				h, r, ok, err := tx.Get(tb, []any{id})
				must(err)
				if ok {
					r[1] = r[1].(int64) + 1
					_, err = tx.Update(tb, h, r)
					must(err)
				}
				must(tx.Commit())
				lat := int64(time.Since(start))
				for {
					m := maxLat.Load()
					if lat <= m || maxLat.CompareAndSwap(m, lat) {
						break
					}
				}
				count.Add(1)
			}
		}(w)
	}
	<-stop
	wg.Wait()
	return time.Duration(maxLat.Load()), count.Load()
}

func main() {
	mb := flag.Int("mb", 300, "approximate data size in MB")
	runs := flag.Int("runs", 5, "runs (medians are reported)")
	d := flag.Duration("d", 3*time.Second, "duration of each pause and commit-rate case")
	nw := flag.Int("writers", 4, "writers during the pause measurement")
	dirFlag := flag.String("dir", "", "work directory (default: a new temp dir)")
	parts := flag.String("parts", "throughput,pause,ulog", "what to measure")
	flag.Parse()
	work := *dirFlag
	if work == "" {
		var err error
		work, err = os.MkdirTemp("", "blitz-backup-bench")
		must(err)
		defer os.RemoveAll(work)
	}
	rows := *mb * 1000
	src := filepath.Join(work, "db")
	has := func(p string) bool { return contains(*parts, p) }
	if _, err := os.Stat(filepath.Join(src, "plain.def")); err == nil {
		fmt.Printf("using the database already in %s (%.0f MB)\n", src, float64(dirSize(src))/1e6)
	} else if has("throughput") || has("pause") {
		start := time.Now()
		load(src, rows)
		fmt.Printf("loaded %d rows (%.0f MB in %s) in %.1fs\n", rows, float64(dirSize(src))/1e6, src, time.Since(start).Seconds())
	}
	if has("throughput") {
		var bk, cp []float64
		var bytes int64
		for i := 0; i < *runs; i++ {
			// The engine's "backup written" line splits the time into the
			// copy (from the moment) and finishing dest (overlays, indexes).
			db, err := engine.Open(src, engine.Options{Logger: slog.New(slog.NewTextHandler(os.Stdout, nil))})
			must(err)
			dest := filepath.Join(work, "bk")
			os.RemoveAll(dest)
			t0 := time.Now()
			info, err := db.Backup(ctx, dest)
			must(err)
			el := time.Since(t0).Seconds()
			must(db.Close())
			bytes = info.Bytes
			bk = append(bk, float64(info.Bytes)/1e6/el)
			cpDest := filepath.Join(work, "cp")
			os.RemoveAll(cpDest)
			// The same files: the tables' data, definition and index files
			// (the WAL is not part of a backup; it is empty after Close).
			files, _ := filepath.Glob(filepath.Join(src, "*.*"))
			var srcBytes int64
			for _, f := range files {
				fi, _ := os.Stat(f)
				srcBytes += fi.Size()
			}
			os.MkdirAll(cpDest, 0o755)
			t0 = time.Now()
			out, err := exec.Command("cp", append(append([]string{"-r"}, files...), cpDest)...).CombinedOutput()
			if err != nil {
				log.Fatalf("cp: %v %s", err, out)
			}
			exec.Command("sync", "-f", cpDest).Run() // Backup syncs what it writes; so must cp
			el = time.Since(t0).Seconds()
			cp = append(cp, float64(srcBytes)/1e6/el)
			fmt.Printf("run %d: backup %.0f MB/s (%d bytes, max pause %s), cp -r + sync %.0f MB/s (%d bytes)\n", i+1, bk[i], info.Bytes, info.MaxPause, cp[i], srcBytes)
			os.RemoveAll(cpDest)
			os.RemoveAll(dest)
		}
		fmt.Printf("THROUGHPUT median: backup %.0f MB/s, cp -r %.0f MB/s, ratio %.2f (backup bytes %d)\n", median(bk), median(cp), median(bk)/median(cp), bytes)
	}
	if has("pause") {
		var without, with, pauses []float64
		db, err := engine.Open(src, engine.Options{Logger: slog.New(slog.NewTextHandler(os.Stdout, nil))})
		must(err)
		for i := 0; i < *runs; i++ {
			stop := make(chan struct{})
			go func() { time.Sleep(*d); close(stop) }()
			m0, c0 := writers(db, *nw, rows, stop)
			dest := filepath.Join(work, "bk")
			os.RemoveAll(dest)
			stop = make(chan struct{})
			done := make(chan engine.BackupInfo, 1)
			go func() {
				time.Sleep(200 * time.Millisecond)
				info, err := db.Backup(ctx, dest)
				must(err)
				done <- info
				time.Sleep(200 * time.Millisecond)
				close(stop)
			}()
			m1, c1 := writers(db, *nw, rows, stop)
			info := <-done
			without = append(without, float64(m0)/1e6)
			with = append(with, float64(m1)/1e6)
			pauses = append(pauses, float64(info.MaxPause)/1e6)
			fmt.Printf("run %d: max commit latency without backup %.1f ms (%d commits), during backup %.1f ms (%d commits); backup's own MaxPause %.1f ms\n",
				i+1, float64(m0)/1e6, c0, float64(m1)/1e6, c1, float64(info.MaxPause)/1e6)
			os.RemoveAll(dest)
		}
		must(db.Close())
		fmt.Printf("PAUSE median: max commit latency without backup %.1f ms, during backup %.1f ms; reported MaxPause %.1f ms\n", median(without), median(with), median(pauses))
	}
	if has("ulog") {
		for _, n := range []int{1, 16} {
			var rates [2][]float64
			for i := 0; i < *runs; i++ {
				for k, withLog := range []bool{false, true} {
					dir := filepath.Join(work, "c")
					os.RemoveAll(dir)
					os.RemoveAll(dir + "-ulog")
					o := engine.Options{}
					if withLog {
						o.ULogDir = dir + "-ulog"
					}
					db, err := engine.Open(dir, o)
					must(err)
					must(db.CreateTable(ctx, &engine.TableDef{Name: "t", CrashSafe: true,
						Columns:    []engine.Column{{Name: "id", Type: engine.TypeBigInt, NotNull: true}, {Name: "v", Type: engine.TypeVarChar, Length: 100}},
						PrimaryKey: []string{"id"}}))
					var cnt atomic.Int64
					var wg sync.WaitGroup
					deadline := time.Now().Add(*d)
					for w := 0; w < n; w++ {
						wg.Add(1)
						go func(w int) {
							defer wg.Done()
							for j := 0; time.Now().Before(deadline); j++ {
								tx, err := db.Begin(ctx)
								must(err)
								_, _, err = tx.Insert("t", engine.Row{int64(w)<<32 | int64(j), "some value of about forty bytes........"})
								must(err)
								must(tx.Commit())
								cnt.Add(1)
							}
						}(w)
					}
					wg.Wait()
					must(db.Close())
					rates[k] = append(rates[k], float64(cnt.Load())/d.Seconds())
				}
				fmt.Printf("committers %d run %d: %.0f commits/s without ulog, %.0f with\n", n, i+1, rates[0][i], rates[1][i])
			}
			fmt.Printf("ULOG median, %d committers: %.0f commits/s without, %.0f with (%.0f%%)\n", n, median(rates[0]), median(rates[1]), 100*median(rates[1])/median(rates[0]))
		}
	}
}

func contains(list, p string) bool {
	for _, x := range splitComma(list) {
		if x == p {
			return true
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
