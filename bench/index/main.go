// Command index compares blitz's index rebuild (index.Build over a blitz
// data file) with SQLite's CREATE INDEX, on the same 1,000,000 rows, in the
// same run: one index on a random integer column, one on a random 32-byte
// string column. Each round times both systems; the report gives medians and
// the median of the per-round ratios, and the peak RSS of each system's
// process (each build runs in a child process of its own).
//
//	go run . [-rows N] [-rounds R] [-dir DIR]
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/keyenc"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in the table")
	rounds := flag.Int("rounds", 5, "timed rounds (medians over these)")
	dir := flag.String("dir", "", "work directory (default: a temporary one, removed)")
	child := flag.String("child", "", "internal: run one blitz build over this data file and print its time")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the build here")
	flag.Parse()
	if *child != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		if err := buildOnce(*child); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rows, *rounds, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench/index:", err)
		os.Exit(1)
	}
}

// row layout in the blitz data file: a (8B LE) | s (32B).
func genRows(n int, fn func(id int64, a int64, s []byte) error) error {
	r := rand.New(rand.NewSource(1))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	s := make([]byte, 32)
	for i := 1; i <= n; i++ {
		for j := range s {
			s[j] = letters[r.Intn(len(letters))]
		}
		if err := fn(int64(i), r.Int63()-(1<<62), s); err != nil {
			return err
		}
	}
	return nil
}

func run(rows, rounds int, dir string) error {
	if dir == "" {
		d, err := os.MkdirTemp("", "blitz-bench-index-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dataPath := filepath.Join(dir, "t.bdf")
	sqlitePath := filepath.Join(dir, "t.sqlite")
	csvPath := filepath.Join(dir, "t.csv")
	fmt.Printf("bench/index: %d rows, %d rounds, %d CPUs, %s\n", rows, rounds, runtime.NumCPU(), dir)

	// Load the same rows into a blitz data file and into SQLite.
	t0 := time.Now()
	df, err := datafile.Open(dataPath, datafile.Options{NoSync: true, Buckets: int64(rows)})
	if err != nil {
		return err
	}
	csvF, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	cw := bufio.NewWriterSize(csvF, 1<<20)
	row := make([]byte, 40)
	err = genRows(rows, func(id, a int64, s []byte) error {
		binary.LittleEndian.PutUint64(row, uint64(a))
		copy(row[8:], s)
		if err := df.Put(keyenc.AppendInt(nil, id), row); err != nil {
			return err
		}
		fmt.Fprintf(cw, "%d,%d,%s\n", id, a, s)
		return nil
	})
	if err == nil {
		err = cw.Flush()
	}
	if err == nil {
		err = csvF.Close()
	}
	if cerr := df.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	os.Remove(sqlitePath)
	load := exec.Command("sqlite3", sqlitePath)
	load.Stdin = strings.NewReader("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, s TEXT);\n.import --csv " + csvPath + " t\nSELECT count(*) FROM t;\n")
	if out, err := load.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(rows) {
		return fmt.Errorf("sqlite load: %v: %s", err, out)
	}
	os.Remove(csvPath)
	fmt.Printf("loaded both in %.1fs\n\n", time.Since(t0).Seconds())

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var bt, st, ratios []float64
	var bRSS, sRSS []int64
	fmt.Printf("%-6s %12s %12s %8s %14s %14s\n", "round", "blitz s", "sqlite s", "ratio", "blitz RSS MiB", "sqlite RSS MiB")
	for i := 0; i < rounds; i++ {
		// blitz: one child process builds both indexes from the data file.
		cmd := exec.Command(self, "-child", dataPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("blitz build: %v: %s", err, out)
		}
		b, err := strconv.ParseFloat(strings.Fields(string(out))[0], 64)
		if err != nil {
			return fmt.Errorf("blitz build output %q", out)
		}
		br := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024

		// SQLite: CREATE INDEX on both columns of the loaded table (Debian's
		// defaults: rollback journal, synchronous=FULL), timed by .timer.
		cmd = exec.Command("sqlite3", sqlitePath)
		cmd.Stdin = strings.NewReader("DROP INDEX IF EXISTS ta; DROP INDEX IF EXISTS ts;\n.timer on\nCREATE INDEX ta ON t(a);\nCREATE INDEX ts ON t(s);\n")
		out, err = cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("sqlite: %v: %s", err, out)
		}
		var s float64
		for _, m := range regexp.MustCompile(`Run Time: real ([0-9.]+)`).FindAllStringSubmatch(string(out), -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			s += v
		}
		sr := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
		bt, st, ratios = append(bt, b), append(st, s), append(ratios, b/s)
		bRSS, sRSS = append(bRSS, br), append(sRSS, sr)
		fmt.Printf("%-6d %12.3f %12.3f %8.2f %14d %14d\n", i+1, b, s, b/s, br, sr)
	}
	fmt.Printf("\nmedian: blitz %.3fs, sqlite %.3fs, blitz/sqlite ratio %.2f (target <= 0.50); peak RSS blitz %d MiB, sqlite %d MiB\n",
		median(bt), median(st), median(ratios), slices.Max(bRSS), slices.Max(sRSS))
	return nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// buildOnce rebuilds both indexes from the data file and prints the seconds
// Build took (opening the data file is not counted) and the Go heap peak.
func buildOnce(dataPath string) error {
	df, err := datafile.Open(dataPath, datafile.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer df.Close()
	dir := filepath.Dir(dataPath)
	var aBuf, sBuf []byte
	specs := []index.BuildSpec{
		{Path: filepath.Join(dir, "t.a.bix"), Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
			aBuf = keyenc.AppendInt(aBuf[:0], int64(binary.LittleEndian.Uint64(row)))
			return append(dst, aBuf), nil
		}},
		{Path: filepath.Join(dir, "t.s.bix"), Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
			sBuf = keyenc.AppendBytes(sBuf[:0], row[8:40])
			return append(dst, sBuf), nil
		}},
	}
	t0 := time.Now()
	st, err := index.Build(context.Background(), func(yield func(pk, row []byte) error) error {
		return df.Iterate(yield)
	}, specs, index.BuildOptions{Stamp: 1, TempDir: dir})
	el := time.Since(t0)
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("%.4f rows=%d entries=%v runs=%d gosys=%dMiB\n", el.Seconds(), st.Rows, st.Entries, st.Runs, ms.Sys>>20)
	return nil
}
