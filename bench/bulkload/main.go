// Command bulkload measures a bulk load through the engine's Go API against
// SQLite doing the same, in the same run: 1,000,000 rows into a table with a
// BIGINT primary key and two secondary indexes (INT and VARCHAR(16), both
// with scattered values), in transactions of 10,000 rows.
//
//	blitz       engine.Open, CreateTable, then Begin / 10,000 x Tx.Insert /
//	            Commit, then Close; a plain table (commits not synced)
//	crashsafe   the same on a CrashSafe table (redo WAL, SyncFull: one
//	            fdatasync per commit; Close checkpoints the overlay into the
//	            data file)
//	sqlite      the sqlite3 shell on a fresh file: CREATE TABLE, CREATE INDEX
//	            x2, then one `.import --csv` per 10,000-row CSV file (each
//	            .import is one transaction over one prepared INSERT with bound
//	            values, the closest the shell gets to an API load); stock
//	            settings (rollback journal, synchronous=FULL)
//	sqlite-sql  the sqlite3 shell reading a SQL script: BEGIN, 100 INSERTs of
//	            100 rows each, COMMIT, repeated
//	sqlite-1g   as sqlite, with PRAGMA cache_size=-1048576 (a 1 GiB page
//	            cache instead of the stock 2 MiB: about the memory blitz's
//	            load takes; the indexes then stay in memory until COMMIT)
//
// Every load runs in a process of its own (blitz in a child of this
// program), from an empty directory, and is timed from the process start to
// its exit, Close included, so the indexes and data are on disk (and synced
// where the system syncs) when the clock stops. The CSV files and the SQL
// script are written before the first round and are not timed. The cases
// alternate within each round; the report gives the median rows/s, the
// ratios and the median peak RSS.
//
//	go run . [-rows N] [-tx N] [-rounds R] [-dir DIR] [-cases blitz,crashsafe,sqlite,sqlite-sql,sqlite-1g]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
)

const pad = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij" // 46 bytes, as in bench/sql

// Row i (1-based): id i, a a permutation of 0..rows-1, b a scattered
// 9-character string, c i%1000, pad.
func aval(i, rows int) int64 { return int64((uint64(i) * 7919) % uint64(rows)) }
func bval(i int) string      { return fmt.Sprintf("k%08d", (uint64(i)*104729)%1000003) }

const createSQL = `CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, a INT NOT NULL, b VARCHAR(16) NOT NULL, c INT, pad VARCHAR(64));
CREATE INDEX t_a ON t (a);
CREATE INDEX t_b ON t (b);
`

func tableDef(crashSafe bool) *engine.TableDef {
	return &engine.TableDef{
		Name: "t",
		Columns: []engine.Column{
			{Name: "id", Type: engine.TypeBigInt, NotNull: true},
			{Name: "a", Type: engine.TypeInt, NotNull: true},
			{Name: "b", Type: engine.TypeVarChar, Length: 16, NotNull: true},
			{Name: "c", Type: engine.TypeInt},
			{Name: "pad", Type: engine.TypeVarChar, Length: 64},
		},
		PrimaryKey: []string{"id"},
		Indexes:    []engine.IndexDef{{Name: "t_a", Columns: []string{"a"}}, {Name: "t_b", Columns: []string{"b"}}},
		CrashSafe:  crashSafe,
	}
}

// loadBlitz is the child's work: the whole load, Close included.
func loadBlitz(dir string, rows, txRows int, crashSafe bool) error {
	ctx := context.Background()
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		return err
	}
	if err := db.CreateTable(ctx, tableDef(crashSafe)); err != nil {
		return err
	}
	for i := 1; i <= rows; {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		for j := 0; j < txRows && i <= rows; j++ {
			row := engine.Row{int64(i), aval(i, rows), bval(i), int64(i % 1000), pad}
			if _, _, err := tx.Insert("t", row); err != nil {
				tx.Rollback()
				return fmt.Errorf("row %d: %w", i, err)
			}
			i++
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return db.Close()
}

// countBlitz checks a loaded directory holds rows rows.
func countBlitz(dir string) (int64, error) {
	db, err := engine.Open(dir, engine.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	tx, err := db.Begin(context.Background())
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n, err := tx.Count("t", engine.Scan{Index: "t_b"})
	if err != nil {
		return 0, err
	}
	m, err := tx.Count("t", engine.Scan{})
	if err != nil || m != n {
		return 0, fmt.Errorf("index t_b has %d rows, the table %d (%v)", n, m, err)
	}
	return n, nil
}

// prepareSQLite writes the CSV files and both scripts.
func prepareSQLite(work string, rows, txRows int) (importScript, sqlScript, bigCache string, err error) {
	importScript = filepath.Join(work, "import.sql")
	bigCache = filepath.Join(work, "import-1g.sql")
	sqlScript = filepath.Join(work, "insert.sql")
	imp, err := os.Create(importScript)
	if err != nil {
		return "", "", "", err
	}
	defer imp.Close()
	iw := bufio.NewWriter(imp)
	ins, err := os.Create(sqlScript)
	if err != nil {
		return "", "", "", err
	}
	defer ins.Close()
	sw := bufio.NewWriterSize(ins, 1<<20)
	iw.WriteString(createSQL)
	sw.WriteString(createSQL)
	for i, f := 1, 0; i <= rows; f++ {
		name := filepath.Join(work, fmt.Sprintf("part%05d.csv", f))
		cf, err := os.Create(name)
		if err != nil {
			return "", "", "", err
		}
		cw := bufio.NewWriterSize(cf, 1<<20)
		sw.WriteString("BEGIN;\n")
		for j := 0; j < txRows && i <= rows; j++ {
			a, b, c := aval(i, rows), bval(i), i%1000
			fmt.Fprintf(cw, "%d,%d,%s,%d,%s\n", i, a, b, c, pad)
			if j%100 == 0 {
				if j > 0 {
					sw.WriteString(";\n")
				}
				sw.WriteString("INSERT INTO t (id, a, b, c, pad) VALUES ")
			} else {
				sw.WriteString(", ")
			}
			fmt.Fprintf(sw, "(%d, %d, '%s', %d, '%s')", i, a, b, c, pad)
			i++
		}
		sw.WriteString(";\nCOMMIT;\n")
		if err := cw.Flush(); err != nil {
			return "", "", "", err
		}
		if err := cf.Close(); err != nil {
			return "", "", "", err
		}
		fmt.Fprintf(iw, ".import --csv %s t\n", name)
	}
	if err := iw.Flush(); err != nil {
		return "", "", "", err
	}
	b, err := os.ReadFile(importScript)
	if err != nil {
		return "", "", "", err
	}
	if err := os.WriteFile(bigCache, append([]byte("PRAGMA cache_size=-1048576;\n"), b...), 0o644); err != nil {
		return "", "", "", err
	}
	return importScript, sqlScript, bigCache, sw.Flush()
}

type result struct {
	secs  float64
	rssKB int64
}

// timed runs cmd under /usr/bin/time and returns its wall time and peak
// RSS. (The rusage of a child of this Go process would not do: Linux
// carries the parent's peak RSS across the fork into the child's maxrss.)
func timed(cmd *exec.Cmd, work string) (result, error) {
	rssFile := filepath.Join(work, "rss")
	cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", rssFile}, cmd.Args...)
	cmd.Path = "/usr/bin/time"
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	secs := time.Since(t0).Seconds()
	if err != nil {
		return result{}, fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out.String())
	}
	b, err := os.ReadFile(rssFile)
	if err != nil {
		return result{}, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return result{}, fmt.Errorf("/usr/bin/time wrote %q", b)
	}
	kb, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	return result{secs: secs, rssKB: kb}, err
}

func sqliteCount(db string) (int64, error) {
	out, err := exec.Command("sqlite3", db, "SELECT count(*) FROM t INDEXED BY t_b WHERE b >= ''; PRAGMA integrity_check;").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("sqlite3 count: %v: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[1] != "ok" {
		return 0, fmt.Errorf("sqlite3 check: %s", out)
	}
	return strconv.ParseInt(f[0], 10, 64)
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(rows, txRows, rounds int, work string, cases []string) error {
	if work == "" {
		d, err := os.MkdirTemp("", "blitz-bench-bulkload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("bench/bulkload: %d rows, %d rows per transaction, 2 secondary indexes, %d rounds, %d CPUs, %s\n",
		rows, txRows, rounds, runtime.NumCPU(), work)
	importScript, sqlScript, bigCache, err := prepareSQLite(work, rows, txRows)
	if err != nil {
		return err
	}
	secs := map[string][]float64{}
	rss := map[string][]float64{}
	for r := 1; r <= rounds; r++ {
		for _, c := range cases {
			target := filepath.Join(work, "target")
			os.RemoveAll(target)
			os.Remove(target + ".db")
			os.Remove(target + ".db-journal")
			exec.Command("sync").Run()
			var cmd *exec.Cmd
			switch c {
			case "blitz", "crashsafe":
				cmd = exec.Command(self, "-child", c, "-rows", strconv.Itoa(rows), "-tx", strconv.Itoa(txRows), "-dir", target)
			case "sqlite":
				cmd = exec.Command("sqlite3", "-bail", target+".db")
				f, err := os.Open(importScript)
				if err != nil {
					return err
				}
				defer f.Close()
				cmd.Stdin = f
			case "sqlite-sql", "sqlite-1g":
				script := sqlScript
				if c == "sqlite-1g" {
					script = bigCache
				}
				cmd = exec.Command("sqlite3", "-bail", target+".db")
				f, err := os.Open(script)
				if err != nil {
					return err
				}
				defer f.Close()
				cmd.Stdin = f
			default:
				return fmt.Errorf("unknown case %q", c)
			}
			res, err := timed(cmd, work)
			if err != nil {
				return err
			}
			var n int64
			if strings.HasPrefix(c, "sqlite") {
				n, err = sqliteCount(target + ".db")
			} else {
				n, err = countBlitz(target)
			}
			if err != nil {
				return fmt.Errorf("%s: check: %w", c, err)
			}
			if n != int64(rows) {
				return fmt.Errorf("%s: loaded %d rows, want %d", c, n, rows)
			}
			fmt.Printf("round %d  %-10s %8.3f s %10.0f rows/s %8d KB peak RSS\n", r, c, res.secs, float64(rows)/res.secs, res.rssKB)
			secs[c] = append(secs[c], res.secs)
			rss[c] = append(rss[c], float64(res.rssKB))
		}
	}
	fmt.Printf("\nmedians of %d rounds (rows/s = %d / median seconds)\n", rounds, rows)
	ref := ""
	for _, c := range cases {
		if strings.HasPrefix(c, "sqlite") && ref == "" {
			ref = c
		}
	}
	fmt.Printf("%-10s %9s %12s %12s %14s\n", "case", "seconds", "rows/s", "peak RSS", "vs "+ref)
	for _, c := range cases {
		m := median(secs[c])
		vs := ""
		if ref != "" {
			vs = fmt.Sprintf("%.2fx", median(secs[ref])/m)
		}
		fmt.Printf("%-10s %9.3f %12.0f %11.0fK %14s\n", c, m, float64(rows)/m, median(rss[c]), vs)
	}
	if ref != "" {
		fmt.Printf("(vs %s: its median time over the case's; above 1.00x the case loads faster than SQLite)\n", ref)
	}
	return nil
}

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to load")
	txRows := flag.Int("tx", 10_000, "rows per transaction")
	rounds := flag.Int("rounds", 3, "rounds (medians over these)")
	dir := flag.String("dir", "", "work directory (default: a temporary one, removed)")
	casesFlag := flag.String("cases", "blitz,crashsafe,sqlite,sqlite-sql,sqlite-1g", "cases to run, in this order within a round")
	child := flag.String("child", "", "internal: load into -dir as blitz or crashsafe and exit")
	cpuprofile := flag.String("cpuprofile", "", "with -child: write a CPU profile of the load here")
	flag.Parse()
	if *child != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			pprof.StartCPUProfile(f)
		}
		err := loadBlitz(*dir, *rows, *txRows, *child == "crashsafe")
		if *cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rows, *txRows, *rounds, *dir, strings.Split(*casesFlag, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench/bulkload:", err)
		os.Exit(1)
	}
}
