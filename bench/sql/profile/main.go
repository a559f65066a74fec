// Command profile runs bench/sql's script through sqlshim in one process,
// the way `blitz sql -d DIR FILE` does (engine.Open, sqlshim.Shell with
// batch output, here to io.Discard), and times and CPU-profiles its two
// phases separately: the load (everything before the first SELECT: CREATE
// TABLE, CREATE INDEX, the transactions of INSERTs) and the queries (the
// SELECTs), each with a profile of its own.
//
//	go run ./sql/profile -script S.sql [-dir DIR] [-cpuprofile PREFIX]
//
// writes PREFIX.load.prof and PREFIX.query.prof; read them with
// `go tool pprof -top PREFIX.load.prof`.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/pprof"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/sqlshim"
)

func main() {
	script := flag.String("script", "", "the SQL script (bench/sql/gen.awk's output)")
	dir := flag.String("dir", "", "database directory, must not exist (default: a temporary one, removed)")
	prof := flag.String("cpuprofile", "", "write PREFIX.load.prof and PREFIX.query.prof")
	flag.Parse()
	if *script == "" {
		log.Fatal("-script is required")
	}
	b, err := os.ReadFile(*script)
	if err != nil {
		log.Fatal(err)
	}
	cut := bytes.Index(b, []byte("\nSELECT "))
	if cut < 0 {
		cut = len(b) - 1
	}
	load, query := b[:cut+1], b[cut+1:]
	if *dir == "" {
		d, err := os.MkdirTemp("", "blitz-sql-profile")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d + "/db"
	}
	start := time.Now()
	db, err := engine.Open(*dir, engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	sess := sqlshim.NewSession(db)
	sh := &sqlshim.Shell{Session: sess, Out: io.Discard, Err: os.Stderr}
	phase := func(name string, in []byte) {
		if *prof != "" {
			f, err := os.Create(*prof + "." + name + ".prof")
			if err != nil {
				log.Fatal(err)
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				log.Fatal(err)
			}
			defer pprof.StopCPUProfile()
		}
		t0 := time.Now()
		failed, err := sh.Run(context.Background(), bytes.NewReader(in))
		if err != nil || failed > 0 {
			log.Fatalf("%s: %d statements failed, %v", name, failed, err)
		}
		fmt.Printf("%-6s %8.3f s\n", name, time.Since(t0).Seconds())
	}
	phase("load", load)
	phase("query", query)
	t0 := time.Now()
	if err := sess.Close(); err != nil {
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%-6s %8.3f s\n", "close", time.Since(t0).Seconds())
	fmt.Printf("%-6s %8.3f s\n", "total", time.Since(start).Seconds())
}
