package autorecover

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/sqlshim"
)

// The DDL torture: a child process runs SQL statements through the
// database/sql driver (package sqlshim) on a CRASH_SAFE table and a plain
// one, each with a unique and a non-unique secondary index, interleaving
// DML with DDL that rewrites tables (ALTER TABLE ADD/DROP/MODIFY COLUMN,
// ADD/DROP INDEX, FORCE, OPTIMIZE, CREATE/DROP INDEX, TRUNCATE, RENAME
// TABLE of one pair and the three-pair swap of two tables, CREATE TABLE
// ... AS SELECT, DROP TABLE). Before each statement
// (or transaction) it prints what it is about to do, and after it an
// acknowledgement. The parent SIGKILLs it at a random moment (often just
// after it announced a DDL statement), reopens with AutoRecover and checks
// the database against the model the acknowledged operations imply:
//
//   - every table opens (none damaged, none crashed), and the set of
//     tables and their definitions (columns, types, indexes) are the model's,
//     or, for the statement in flight, what it would make of them: a DDL
//     statement is wholly in effect or not at all;
//   - a crash-safe table holds exactly the acknowledged rows (the
//     transaction in flight wholly or not at all);
//   - a plain table holds every acknowledged write too (the design: "an
//     acknowledged write survives a process crash"); the statement in
//     flight may have reached any subset of the rows it writes;
//   - CHECK TABLE answers OK, every index scan yields the rows of a full
//     scan, and SQL lookups by index agree with the model.
//
// Every opener uses an update log (ddlULogDir), and a backup is taken
// after the base tables are created: at the end, the backup plus the
// update log, restored, must give the same tables and definitions as the
// database, and the same rows but for those a statement in flight at a
// kill wrote (a commit cut short may reach the database and not the log,
// or the reverse: engine/ulog.go).

// Environment of the DDL torture child.
const (
	envDDLChild    = "BLITZ_DDL_TORTURE_CHILD_DIR"
	envDDLSeed     = "BLITZ_DDL_TORTURE_CHILD_SEED"
	envDDLModel    = "BLITZ_DDL_TORTURE_CHILD_MODEL" // the model file the parent wrote
	envDDLDeadline = "BLITZ_DDL_TORTURE_CHILD_SECS"
	// set: this process opens the database in that directory with
	// AutoRecover and closes it (the parent kills it meanwhile)
	envDDLRecoverChild = "BLITZ_DDL_TORTURE_RECOVER_DIR"
)

// ddlULogDir is the update log of the DDL torture's database in dir.
func ddlULogDir(dir string) string { return filepath.Join(filepath.Dir(dir), "ulog") }

// ddlRecoverChildMain opens dir with AutoRecover and closes it.
func ddlRecoverChildMain(dir string) int {
	db, err := engine.Open(dir, engine.Options{AutoRecover: true, ULogDir: ddlULogDir(dir)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: recovery open:", err)
		return 3
	}
	if err := db.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child: close after recovery:", err)
		return 3
	}
	fmt.Println("DONE")
	return 0
}

// baseCreate is the CREATE TABLE of the torture's two base tables.
func baseCreate(name string, cs bool) string {
	q := "CREATE TABLE " + name + " (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40), g INT NOT NULL, v VARCHAR(400) NOT NULL, UNIQUE KEY u_idx (u), KEY g_idx (g))"
	if cs {
		q += " ENGINE = BLITZDB, CRASH_SAFE"
	}
	return q
}

// ddlChildMain is the DDL torture child (see the top of the file).
func ddlChildMain(dir string) int {
	seed, _ := strconv.ParseInt(os.Getenv(envDDLSeed), 10, 64)
	secs, _ := strconv.Atoi(os.Getenv(envDDLDeadline))
	if secs <= 0 {
		secs = 20
	}
	out := bufio.NewWriter(os.Stdout)
	fail := func(format string, args ...any) int {
		out.Flush()
		fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
		return 3
	}
	st := &dstate{Tables: map[string]*dtable{}}
	if b, err := os.ReadFile(os.Getenv(envDDLModel)); err == nil {
		if err := json.Unmarshal(b, st); err != nil {
			return fail("model: %v", err)
		}
	} else if !os.IsNotExist(err) {
		return fail("model: %v", err)
	}
	rng := rand.New(rand.NewSource(seed))
	db, err := sql.Open("blitz", dir+"?auto_recover=true&ulog="+ddlULogDir(dir))
	if err != nil {
		return fail("open: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fail("conn: %v", err)
	}
	exec := func(q string) error {
		_, err := conn.ExecContext(ctx, q)
		return err
	}
	if len(st.Tables) == 0 {
		return fail("no model in %s", os.Getenv(envDDLModel))
	}
	var nextID int64 = 1
	for _, t := range st.Tables {
		for id := range t.Rows {
			nextID = max(nextID, id+1)
		}
	}
	ver := seed % 1_000_000 * 100_000 // value versions: distinct from earlier rounds'
	fmt.Fprintln(out, "READY")
	out.Flush()
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for n := int64(1); n <= 100_000 && time.Now().Before(deadline); n++ {
		op := genOp(rng, st, n, &nextID, &ver)
		b, _ := json.Marshal(op)
		fmt.Fprintf(out, "B %s\n", b)
		out.Flush()
		for _, q := range op.SQL {
			if err := exec(q); err != nil {
				exec("ROLLBACK")
				return fail("op %d: %s: %v", n, q, err)
			}
		}
		fmt.Fprintf(out, "A %d\n", n)
		out.Flush()
		st = st.apply(op)
	}
	conn.Close()
	if err := db.Close(); err != nil {
		return fail("close: %v", err)
	}
	fmt.Fprintln(out, "DONE")
	out.Flush()
	return 0
}

// TestKill9DDLTorture: see the top of the file. Each round starts a child
// on the same directory, kills it, reopens with AutoRecover, checks, and
// hands the recovered state to the next round as its model.
func TestKill9DDLTorture(t *testing.T) {
	rounds := envCount(t, "BLITZ_DDL_TORTURE", 10, 3)
	seed := tortureSeed(t)
	rng := rand.New(rand.NewSource(seed))
	root := t.TempDir()
	dir := filepath.Join(root, "db")
	modelPath := filepath.Join(root, "model.json")
	model := createDDLTorture(t, dir, modelPath)
	start := time.Now()
	budget := time.Duration(rounds) * 4 * time.Second
	var acks, ddlAcks, inflightDDL, recoverKills int
	inflightIDs := map[int64]bool{}      // rows a statement in flight at a kill wrote
	kinds := map[string]int{}            // DDL kind and effect of the statements in flight at the kill
	ddlDur := map[string]time.Duration{} // how long DDL statements take, by kind (a moving average)
	for round := 0; round < rounds; round++ {
		if time.Since(start) > 3*budget {
			t.Fatalf("round %d: over three times the time budget (%v)", round, budget)
		}
		c := startDDLChild(t, dir, modelPath, seed+int64(round)*7919, 20)
		c.waitReady(t, round)
		// Kill either at a random moment of the k-th DDL statement (most
		// rounds), or after a random time. The moment is drawn from 0 to
		// 1.5 times how long statements of its kind took so far (as seen
		// from here), so that kills land before, inside and after the
		// statement's commit point.
		var lines []string
		ddlWanted := -1
		var delay time.Duration
		if rng.Intn(4) != 0 {
			ddlWanted = rng.Intn(6)
		} else {
			delay = time.Duration(rng.Intn(1500)) * time.Millisecond
		}
		timer := time.NewTimer(delay)
		if ddlWanted >= 0 {
			timer.Reset(10 * time.Second)
		}
		ddlSeen := 0
		var pendKind string // the DDL statement announced and not yet acknowledged
		var pendAt time.Time
	collect:
		for {
			select {
			case l, ok := <-c.lines:
				if !ok {
					break collect
				}
				lines = append(lines, l)
				if strings.HasPrefix(l, "A ") && pendKind != "" {
					d := time.Since(pendAt)
					if old, ok := ddlDur[pendKind]; ok {
						d = (old*3 + d) / 4
					}
					ddlDur[pendKind] = d
					pendKind = ""
				}
				if strings.HasPrefix(l, "B ") && strings.Contains(l, `"ddl":`) {
					var op dop
					json.Unmarshal([]byte(l[2:]), &op)
					pendKind, pendAt = op.DDL, time.Now()
					if ddlSeen == ddlWanted {
						base, ok := ddlDur[op.DDL]
						if !ok {
							base = 40 * time.Millisecond
						}
						// Half the kills anywhere in the statement, half
						// near its end, where the commit points are.
						d := rng.Int63n(int64(base)*3/2 + 1)
						if rng.Intn(2) == 0 {
							d = int64(base)*6/10 + rng.Int63n(int64(base)/2+1)
						}
						timer.Reset(time.Duration(d))
						ddlWanted = -1
					}
					ddlSeen++
				}
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		lines = append(lines, c.kill(t)...)
		if strings.Contains(c.stderr.String(), "child:") {
			t.Fatalf("round %d: child failed:\n%s", round, c.stderr)
		}
		if p := os.Getenv("BLITZ_DDL_LOG"); p != "" { // every line of every round, to debug a failure
			f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err == nil {
				fmt.Fprintf(f, "ROUND %d\n%s\nKILLED\n", round, strings.Join(lines, "\n"))
				f.Close()
			}
		}
		var inflight *dop
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "B "):
				var op dop
				if err := json.Unmarshal([]byte(l[2:]), &op); err != nil {
					t.Fatalf("round %d: bad line %q: %v", round, l, err)
				}
				inflight = &op
			case strings.HasPrefix(l, "A "):
				n, _ := strconv.ParseInt(l[2:], 10, 64)
				if inflight == nil || inflight.N != n {
					t.Fatalf("round %d: ack %d without its operation", round, n)
				}
				model = model.apply(inflight)
				acks++
				if inflight.DDL != "" {
					ddlAcks++
				}
				inflight = nil
			case l == "DONE":
			default:
				t.Fatalf("round %d: unexpected line %q", round, l)
			}
		}
		what := "nothing"
		if inflight != nil {
			for _, e := range inflight.Eff {
				inflightIDs[e.ID] = true
			}
			if inflight.DDL == "truncate" { // its deletes are one transaction
				for id := range model.Tables[inflight.Table].Rows {
					inflightIDs[id] = true
				}
			}
			what = fmt.Sprintf("%q", inflight.SQL)
			if inflight.DDL != "" {
				inflightDDL++
			}
		}

		if rng.Intn(3) == 0 {
			// A recovery killed too: a child opens the database with
			// AutoRecover and is killed at a random moment of it.
			rc := startChildEnv(t, envDDLRecoverChild+"="+dir)
			select {
			case <-rc.done:
			case <-time.After(time.Duration(rng.Intn(200)) * time.Millisecond):
			}
			rest := rc.kill(t)
			recovered := "killed during recovery"
			if len(rest) > 0 {
				recovered = "recovery finished before the kill"
			}
			what += "; then " + recovered
			if ev := os.Getenv("BLITZ_DDL_EVIDENCE"); ev != "" { // the directory as the killed recovery left it
				os.RemoveAll(ev)
				exec.Command("cp", "-a", dir, ev).Run()
			}
			if strings.Contains(rc.stderr.String(), "child:") {
				t.Fatalf("round %d: recovery child failed:\n%s", round, rc.stderr)
			}
			recoverKills++
		}
		if round == rounds/2 {
			// Once without AutoRecover: every definition reads, and each
			// table works or answers 1194 (never another error).
			db, err := engine.Open(dir, engine.Options{ULogDir: ddlULogDir(dir)})
			if err != nil {
				t.Fatalf("round %d (in flight: %s): Open without AutoRecover: %v", round, what, err)
			}
			if d := db.DamagedTables(); len(d) > 0 {
				t.Errorf("round %d (in flight: %s): damaged definitions without AutoRecover: %v", round, what, d)
			}
			for _, name := range db.Tables() {
				tx, _ := db.Begin(bg)
				err := tx.Scan(name, engine.Scan{}, func(engine.Handle, engine.Row) (bool, error) { return true, nil })
				tx.Rollback()
				if err != nil && sqlerr.Code(err) != sqlerr.ErrCrashedTable {
					t.Errorf("round %d (in flight: %s): %s without AutoRecover: %v, want rows or error 1194", round, what, name, err)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatalf("round %d: Close: %v", round, err)
			}
			if t.Failed() {
				t.FailNow()
			}
		}
		var logBuf strings.Builder
		db, err := engine.Open(dir, engine.Options{AutoRecover: true, Logger: slogTo(&logBuf), ULogDir: ddlULogDir(dir)})
		if err != nil {
			t.Fatalf("round %d (seed %d, in flight: %s): Open with AutoRecover: %v", round, seed, what, err)
		}
		got, err := readDState(db)
		effect := ""
		if err == nil {
			effect = effectOf(model, inflight, got)
			got, err = checkDState(model, inflight, got)
		}
		if err == nil {
			err = checkDTables(db, got, rng)
		}
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("Close: %v", cerr)
		}
		if err == nil {
			err = strayFiles(dir, got)
		}
		if err != nil {
			t.Fatalf("round %d (seed %d), in flight: %s:\n%v\nrecovery log:\n%s", round, seed, what, err, logBuf.String())
		}
		model = got
		b, _ := json.Marshal(model)
		if err := os.WriteFile(modelPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if inflight != nil && inflight.DDL != "" {
			kinds[inflight.DDL+" "+effect]++
		}
		t.Logf("round %d: in flight %.120s (%s); tables %v", round, what, effect, model.names())
	}
	differ, err := checkDDLRestore(root, model, inflightIDs)
	if err != nil {
		t.Fatalf("seed %d: restore of the backup and the update log: %v", seed, err)
	}
	t.Logf("%d rounds, %d acknowledged operations (%d DDL), %d kills with DDL in flight, %d recoveries killed too, %v",
		rounds, acks, ddlAcks, inflightDDL, recoverKills, time.Since(start).Round(time.Millisecond))
	t.Logf("backup + update log restored: same tables and definitions; %d rows differ, all written by statements in flight at a kill (%d such rows)", differ, len(inflightIDs))
	ks := make([]string, 0, len(kinds))
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		fmt.Fprintf(&b, " %s:%d", k, kinds[k])
	}
	t.Logf("DDL in flight at the kill, by kind and effect:%s", b.String())
	t.Logf("DDL durations seen (moving average): %v", ddlDur)
}

func startDDLChild(t *testing.T, dir, modelPath string, seed int64, secs int) *child {
	t.Helper()
	return startChildEnv(t, envDDLChild+"="+dir, envDDLSeed+"="+strconv.FormatInt(seed, 10),
		envDDLModel+"="+modelPath, envDDLDeadline+"="+strconv.Itoa(secs))
}

// slogTo is a logger writing recovery steps (level Info and above) to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// createDDLTorture creates the torture's two base tables, and writes the
// model the first child starts from.
func createDDLTorture(t *testing.T, dir, modelPath string) *dstate {
	t.Helper()
	db, err := engine.Open(dir, engine.Options{ULogDir: ddlULogDir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	s := sqlshim.NewSession(db)
	for _, name := range []string{"cs", "pl"} {
		if _, err := s.ExecOne(bg, baseCreate(name, name == "cs"), nil); err != nil {
			t.Fatalf("%s: %v", baseCreate(name, name == "cs"), err)
		}
	}
	s.Close()
	st, err := readDState(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(bg, filepath.Join(filepath.Dir(dir), "backup")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(modelPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return st
}
