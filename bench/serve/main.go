// Command serve-load is the load generator of the `blitz serve` vs MariaDB
// comparison (run.sh): N connections of go-sql-driver/mysql doing
// autocommit single-row INSERTs (commits/s) or point SELECTs by primary
// key (selects/s) against one server, for a fixed time.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

func main() {
	dsn := flag.String("dsn", "", "go-sql-driver DSN of the server")
	mode := flag.String("mode", "insert", "insert | select | setup")
	conns := flag.Int("conns", 16, "client connections")
	dur := flag.Duration("duration", 10*time.Second, "how long to run")
	rows := flag.Int("rows", 10000, "setup: rows to load for the select mix")
	round := flag.Int64("round", 0, "insert: keys of round r do not collide with other rounds")
	table := flag.String("table", "ins", "insert: the table to insert into")
	plainEngine := flag.String("plain-engine", "", "setup: also create table insplain with these options (the no-fsync ceiling)")
	engine := flag.String("engine", "", "setup: table options, e.g. \"ENGINE = BLITZDB, CRASH_SAFE\"")
	flag.Parse()

	db, err := sql.Open("mysql", *dsn)
	if err != nil {
		fail(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(*conns)
	db.SetMaxIdleConns(*conns)

	switch *mode {
	case "setup":
		qs := []string{
			"CREATE TABLE ins (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL) " + *engine,
			"CREATE TABLE sel (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL) " + *engine,
		}
		if *plainEngine != "" {
			qs = append(qs, "CREATE TABLE insplain (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL) "+*plainEngine)
		}
		for _, q := range qs {
			if _, err := db.Exec(q); err != nil {
				fail(fmt.Errorf("%s: %w", q, err))
			}
		}
		// Load in multi-row batches (one transaction each).
		for i := 0; i < *rows; i += 500 {
			q := "INSERT INTO sel VALUES "
			for j := i; j < min(i+500, *rows); j++ {
				if j > i {
					q += ","
				}
				q += fmt.Sprintf("(%d, 'value-%d')", j, j)
			}
			if _, err := db.Exec(q); err != nil {
				fail(err)
			}
		}
		return
	case "insert", "select":
	default:
		fail(fmt.Errorf("unknown -mode %q", *mode))
	}

	query := "INSERT INTO " + *table + " VALUES (?, ?)"
	if *mode == "select" {
		query = "SELECT v FROM sel WHERE id = ?"
	}
	stmt, err := db.Prepare(query)
	if err != nil {
		fail(err)
	}
	defer stmt.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var ops, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < *conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 42))
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				if *mode == "insert" {
					_, err = stmt.Exec(*round<<52|int64(c)<<40|int64(i), "payload")
				} else {
					var v string
					err = stmt.QueryRow(r.IntN(*rows)).Scan(&v)
				}
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
					continue
				}
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	fmt.Printf("%s\t%d conns\t%.0f ops/s\t(%d ops, %d errors, %.1fs)\n", *mode, *conns, float64(ops.Load())/el, ops.Load(), errs.Load(), el)
	if e := firstErr.Load(); e != nil {
		fail(fmt.Errorf("%d statements failed, the first with: %v", errs.Load(), e))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "serve-load:", err)
	os.Exit(1)
}
