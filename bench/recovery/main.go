// Command recovery measures blitz's recovery after kill -9 (see run.sh,
// which compares it with MariaDB's REPAIR TABLE of the same MyISAM table).
//
//	recovery gen ROWS                   the rows as TSV on stdout (for LOAD DATA)
//	recovery load DIR ROWS plain|cs     create table t, load ROWS rows (500 per
//	                                    transaction), print "LOADED", then keep
//	                                    writing (updates and inserts, in
//	                                    transactions of 1,000) until killed
//	recovery recover DIR [PROFILE]      engine.Open with AutoRecover, timed; prints
//	                                    the seconds, and "rows N" after a check
//	                                    that t holds ROWS or more rows; PROFILE:
//	                                    write a CPU profile of the open there
//
// Table t: id BIGINT PRIMARY KEY, a INT NOT NULL (index t_a), b VARCHAR(16)
// NOT NULL (unique index t_b), c INT, pad VARCHAR(64) — as bench/bulkload.
package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/blitzdb/blitz/engine"
)

const pad = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij" // 46 bytes

// Row i (1-based): a is a permutation of 0..rows-1, b a scattered unique
// string, c i%1000.
func aval(i, rows int) int64 { return int64((uint64(i) * 7919) % uint64(rows)) }
func bval(i int) string      { return fmt.Sprintf("k%08d", (uint64(i)*104729)%1000003) }

func def(crashSafe bool) *engine.TableDef {
	return &engine.TableDef{Name: "t", CrashSafe: crashSafe,
		Columns: []engine.Column{
			{Name: "id", Type: engine.TypeBigInt, NotNull: true},
			{Name: "a", Type: engine.TypeInt, NotNull: true},
			{Name: "b", Type: engine.TypeVarChar, Length: 16, NotNull: true},
			{Name: "c", Type: engine.TypeInt},
			{Name: "pad", Type: engine.TypeVarChar, Length: 64},
		},
		PrimaryKey: []string{"id"},
		Indexes: []engine.IndexDef{
			{Name: "t_a", Columns: []string{"a"}},
			{Name: "t_b", Columns: []string{"b"}, Unique: true},
		}}
}

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(atoi(os.Args[2]))
	case "load":
		if len(os.Args) != 5 {
			usage()
		}
		err = load(os.Args[2], atoi(os.Args[3]), os.Args[4] == "cs")
	case "recover":
		prof := ""
		if len(os.Args) > 3 {
			prof = os.Args[3]
		}
		err = recoverDir(os.Args[2], prof)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recovery:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: recovery gen ROWS | load DIR ROWS plain|cs | recover DIR [PROFILE]")
	os.Exit(2)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "recovery: bad count %q\n", s)
		os.Exit(2)
	}
	return n
}

func gen(rows int) error {
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(w, "%d\t%d\t%s\t%d\t%s\n", i, aval(i, rows), bval(i), i%1000, pad)
	}
	return w.Flush()
}

func load(dir string, rows int, crashSafe bool) error {
	ctx := context.Background()
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		return err
	}
	if err := db.CreateTable(ctx, def(crashSafe)); err != nil {
		return err
	}
	const batch = 500 // Tx.Insert checks unique keys against every row the transaction wrote: keep transactions small
	for i := 1; i <= rows; i += batch {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		for j := i; j < i+batch && j <= rows; j++ {
			if _, _, err := tx.Insert("t", engine.Row{int64(j), aval(j, rows), bval(j), int64(j % 1000), pad}); err != nil {
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	fmt.Println("LOADED")
	os.Stdout.Sync()
	// Keep writing until killed: updates of a and pad, inserts past the
	// loaded ids. b stays unique: bval is injective below the prime
	// 1000003 (its multiplier is invertible modulo it); ids above it get
	// another prefix.
	rng := rand.New(rand.NewSource(1))
	next := rows + 1
	for n := 0; n < 1_000_000; n++ {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		for k := 0; k < 1000; k++ {
			id := 1 + rng.Intn(rows)
			switch rng.Intn(4) {
			case 0:
				b := bval(next)
				if next >= 1000003 {
					b = fmt.Sprintf("x%014d", next)
				}
				if _, _, err := tx.Insert("t", engine.Row{int64(next), int64(next), b, int64(0), pad}); err != nil {
					return err
				}
				next++
			default:
				h, r, ok, err := tx.Get("t", []any{int64(id)})
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				r[1] = r[1].(int64) + 1
				r[4] = fmt.Sprintf("%s-%d", pad[:10], n)
				if _, err := tx.Update("t", h, r); err != nil {
					return err
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return db.Close()
}

func recoverDir(dir, prof string) error {
	if prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	start := time.Now()
	db, err := engine.Open(dir, engine.Options{AutoRecover: true, Logger: log})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	if prof != "" {
		pprof.StopCPUProfile()
	}
	fmt.Printf("%.3f\n", secs)
	st, err := db.Status("t")
	if err != nil {
		return err
	}
	if st.Crashed {
		return fmt.Errorf("table t still crashed after AutoRecover")
	}
	tx, err := db.Begin(context.Background())
	if err != nil {
		return err
	}
	n, err := tx.Count("t", engine.Scan{Index: "t_b"})
	tx.Rollback()
	if err != nil {
		return err
	}
	fmt.Printf("rows %d\n", n)
	return db.Close()
}
