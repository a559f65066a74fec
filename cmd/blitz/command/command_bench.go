package command

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/datafile"
	"github.com/blitzdb/blitz/internal/vfs"
)

// blitz bench write|read: the semantics of Tokyo Cabinet's `tchtest write`
// and `tchtest read`, so the two can be timed side by side as whole
// processes (bench/datafile/run.sh does).
func init() {
	register(func(env *Env) *cobra.Command {
		c := &cobra.Command{
			Use:   "bench",
			Short: "Benchmarks with tchtest's semantics (write, read)",
		}
		c.AddCommand(benchWriteCmd(env), benchReadCmd(env))
		return c
	})
}

// benchFlags parses tchtest-style single-dash flags (-rnd, -sync), which
// cobra would read as clusters of shorthands.
func benchFlags(args []string) (rest []string, rnd, sync bool, err error) {
	for _, a := range args {
		switch a {
		case "-rnd", "--rnd":
			rnd = true
		case "-sync", "--sync":
			sync = true
		default:
			if len(a) > 1 && a[0] == '-' {
				return nil, false, false, usagef("unknown flag %q", a)
			}
			rest = append(rest, a)
		}
	}
	return rest, rnd, sync, nil
}

// benchKey writes the 8-digit zero-padded decimal of n into b.
func benchKey(b *[8]byte, n int64) []byte {
	for i := 7; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b[:]
}

func benchWriteCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "write [-rnd] [-sync] PATH RNUM [BNUM]",
		Short: "Create PATH afresh and put RNUM records (key = value = 8-digit i, or with -rnd a random number in [1, RNUM])",
		Long: "Create PATH afresh and put RNUM records whose key and value are both the 8-digit\n" +
			"zero-padded decimal of i (with -rnd: of a random number in [1, RNUM]), with BNUM\n" +
			"buckets. Like tchtest write, it does not fsync unless -sync is given.",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			args, rnd, sync, err := benchFlags(args)
			if err != nil {
				return err
			}
			if len(args) < 2 || len(args) > 3 {
				return usagef("usage: %s", cmd.Use)
			}
			rnum, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || rnum < 1 {
				return usagef("RNUM must be a positive integer, not %q", args[1])
			}
			var bnum int64
			if len(args) == 3 {
				if bnum, err = strconv.ParseInt(args[2], 10, 64); err != nil || bnum < 0 {
					return usagef("BNUM must be a non-negative integer, not %q", args[2])
				}
			}
			path := args[0]
			if err := benchTarget(path); err != nil {
				return err
			}
			start := time.Now()
			if err := vfs.Default.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return failf("%v", err)
			}
			df, err := datafile.Open(path, datafile.Options{Buckets: bnum, NoSync: !sync})
			if err != nil {
				return failf("%v", err)
			}
			r := rand.New(rand.NewPCG(uint64(rnum), 1))
			var kb [8]byte
			for i := int64(1); i <= rnum; i++ {
				n := i
				if rnd {
					n = r.Int64N(rnum) + 1
				}
				k := benchKey(&kb, n)
				if err := df.Put(k, k); err != nil {
					df.Close()
					return failf("put %s: %v", k, err)
				}
			}
			s := df.Stats()
			if err := df.Close(); err != nil {
				return failf("%v", err)
			}
			size := s.FileSize
			if fi, err := os.Stat(path); err == nil {
				size = fi.Size()
			}
			fmt.Fprintf(env.Stdout, "record number: %d\nsize: %d\ntime: %.3f\nok\n", s.Records, size, time.Since(start).Seconds())
			return nil
		},
	}
}

// benchTarget refuses a PATH that bench write must not replace: a table's
// data file (a .def of the same name beside it), or a file another process
// holds open.
func benchTarget(path string) error {
	if _, err := os.Stat(path); err != nil {
		return nil // nothing to replace (or nothing we can see; Open will say)
	}
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	if _, err := os.Stat(stem + ".def"); err == nil {
		return failf("%s is the data file of table %s of the database in %s: bench write would replace it; give it a path of its own",
			path, filepath.Base(stem), filepath.Dir(path))
	}
	l, err := vfs.Default.Lock(path, true)
	if err != nil {
		if errors.Is(err, vfs.ErrLocked) {
			return failf("%s is locked by another process: bench write would replace it", path)
		}
		return failf("%v", err)
	}
	l.Close()
	return nil
}

func benchReadCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:                "read [-rnd] PATH",
		Short:              "Get the keys 1..N of PATH, N its record count (with -rnd: N random keys in [1, N]), counting hits",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			args, rnd, _, err := benchFlags(args)
			if err != nil {
				return err
			}
			if len(args) != 1 {
				return usagef("usage: %s", cmd.Use)
			}
			start := time.Now()
			df, err := datafile.Open(args[0], datafile.Options{ReadOnly: true})
			if err != nil {
				return failf("%v", err)
			}
			defer df.Close()
			s := df.Stats()
			n := s.Records
			r := rand.New(rand.NewPCG(uint64(n), 2))
			var kb [8]byte
			hits := int64(0)
			for i := int64(1); i <= n; i++ {
				k := i
				if rnd {
					k = r.Int64N(n) + 1
				}
				_, err := df.Get(benchKey(&kb, k))
				switch {
				case err == nil:
					hits++
				case !errors.Is(err, datafile.ErrNotFound):
					return failf("get %08d: %v", k, err)
				}
			}
			fmt.Fprintf(env.Stdout, "record number: %d\nhits: %d\nsize: %d\ntime: %.3f\nok\n", n, hits, s.FileSize, time.Since(start).Seconds())
			return nil
		},
	}
}
