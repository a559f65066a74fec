package command

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestServeKill9Torture: `blitz serve` with 64K WAL segments (a segment
// switch every few commits, checkpoints under load) is driven through
// go-sql-driver/mysql by one session running, one after the other,
// multi-statement transactions on a CRASH_SAFE table (cs), transactions
// writing cs and a plain table (pl) together, multi-row INSERTs and LOAD
// DATA LOCAL of hundreds to thousands of rows, CREATE/DROP INDEX, ALTER
// TABLE ADD/DROP COLUMN, OPTIMIZE and REPAIR TABLE, and a scratch table's
// CREATE TABLE ... AS SELECT (plain or crash-safe), RENAME, TRUNCATE and
// DROP, and ADD/DROP INDEX and OPTIMIZE of bg (below); meanwhile two sessions insert into a third CRASH_SAFE table (bg)
// in autocommit and a fourth runs FLUSH TABLES (a checkpoint) every few
// tens of milliseconds. The server is SIGKILLed at a random moment, most rounds
// within 1.5 times the usual duration of a chosen statement (one round in
// five sends SIGTERM instead and SIGKILL up to 300 ms later, so that some
// kills land in the clean shutdown; one that finished must leave no table
// answering 1194). Then it is restarted: with --auto-recover (sometimes killed during that startup
// first), or without it, where every table answers or gives 1194 until
// REPAIR TABLE (itself killed in some rounds) — `blitz check` is run on
// the killed directory first in those rounds, and must not fail any other
// way than by exit 1. After the restart:
//
//   - the tables are those the acknowledged statements made, and cs's and
//     pl's SHOW CREATE TABLE (column extra, index v_idx) too, the
//     statement in flight wholly in effect or not at all;
//   - cs holds exactly the acknowledged rows, the statement in flight all
//     or nothing; bg every acknowledged insert and nothing but those and
//     the ones in flight; pl every acknowledged write, the statement in
//     flight row by row;
//   - CHECK TABLE says OK for every table, counts through each secondary
//     index equal counts by a scan, and SELECT * has the columns SHOW
//     CREATE TABLE lists;
//   - the recovered state is the next round's model; at the end the server
//     stops cleanly and `blitz check` passes.
//
// Two rounds by default (about two seconds; skipped with -short); BLITZ_CRASH_SERVE=N runs N,
// BLITZ_SEED replays the choices (not the kill timing).
func TestServeKill9Torture(t *testing.T) {
	rounds := 2
	if v := os.Getenv("BLITZ_CRASH_SERVE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BLITZ_CRASH_SERVE=%q: want a count", v)
		}
		rounds = n
	} else if testing.Short() {
		t.Skip("kill -9 torture of blitz serve: BLITZ_CRASH_SERVE=N runs N rounds")
	}
	seed := time.Now().UnixNano() % (1 << 40)
	if v := os.Getenv("BLITZ_SEED"); v != "" {
		seed, _ = strconv.ParseInt(v, 10, 64)
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	mysql.SetLogger(log.New(io.Discard, "", 0)) // the driver logs every connection the kills break
	dir := filepath.Join(t.TempDir(), "db")
	seg := []string{"--wal-segment-size", "64K"}
	p := startServe(t, dir, append(seg, "--auto-recover")...)
	db := p.open(t, "db")
	for _, q := range []string{
		"CREATE TABLE cs (id BIGINT NOT NULL PRIMARY KEY, g INT NOT NULL, v VARCHAR(200) NOT NULL, KEY g_idx (g)) ENGINE = BLITZDB, CRASH_SAFE",
		"CREATE TABLE pl (id BIGINT NOT NULL PRIMARY KEY, g INT NOT NULL, v VARCHAR(200) NOT NULL, KEY g_idx (g))",
		"CREATE TABLE bg (id BIGINT NOT NULL PRIMARY KEY, w INT NOT NULL) ENGINE = BLITZDB, CRASH_SAFE",
	} {
		mustExec(t, db, q)
	}
	db.Close()
	m := &cmodel{T: map[string]*ctable{"cs": {Rows: map[int64]string{}}, "pl": {Rows: map[int64]string{}}}, BG: map[int64]bool{}}
	g := &cgen{rng: rng, next: 1, ver: seed % 100000 * 1000000}
	dur := map[string]time.Duration{} // moving average of each kind's duration
	kinds := map[string]int{}         // kinds in flight at the kills
	var acks, bgAcks, plainRestarts, repairKills, startKills, checkRuns int
	start := time.Now()
	for round := 0; round < rounds; round++ {
		if time.Since(start) > time.Duration(rounds)*30*time.Second {
			t.Fatalf("round %d: over the time budget", round)
		}
		// The workload, until the kill.
		db = p.open(t, "db")
		var killed atomic.Bool
		// One round in five stops the server with SIGTERM (a clean
		// shutdown: rollback of open transactions, last checkpoint, index
		// stamps) and SIGKILLs it 0 to 300 ms later if it still runs.
		term := rng.Intn(5) == 0
		termDelay := time.Duration(rng.Intn(300)) * time.Millisecond
		proc := p.cmd.Process
		kill := func() {
			if killed.CompareAndSwap(false, true) {
				if term {
					proc.Signal(syscall.SIGTERM)
					time.AfterFunc(termDelay, func() { proc.Kill() })
					return
				}
				proc.Kill()
			}
		}
		bgw := startBGWriters(db, round, &killed)
		target := ""
		if rng.Intn(4) != 0 {
			target = cKinds[rng.Intn(len(cKinds))]
		} else {
			time.AfterFunc(time.Duration(rng.Intn(1500))*time.Millisecond, kill)
		}
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, p.errText())
		}
		var inflight *cop
		roundEnd := time.Now().Add(8 * time.Second)
		for n := 0; n < 300 && !killed.Load(); n++ {
			op := g.gen(m)
			if time.Now().After(roundEnd) {
				kill()
			}
			if op.kind == target {
				base, ok := dur[op.kind]
				if !ok {
					base = 30 * time.Millisecond
				}
				d := rng.Int63n(int64(base)*3/2 + 1)
				if rng.Intn(2) == 0 { // near the end, where the commit points are
					d = int64(base)*6/10 + rng.Int63n(int64(base)/2+1)
				}
				time.AfterFunc(time.Duration(d), kill)
				target = ""
			}
			began := time.Now()
			if err := op.run(conn); err != nil {
				if !killed.Load() {
					kill()
					t.Fatalf("round %d: %s: %v\n%s", round, op, err, p.errText())
				}
				inflight = op
				break
			}
			d := time.Since(began)
			if old, ok := dur[op.kind]; ok {
				d = (old*3 + d) / 4
			}
			dur[op.kind] = d
			m = op.after
			acks++
		}
		kill()
		clean := p.wait(t, 30*time.Second) == 0
		conn.Close()
		db.Close()
		bgAcked, bgInflight := bgw.stop()
		bgAcks += len(bgAcked)
		for id := range bgAcked {
			m.BG[id] = true
		}
		what := "nothing"
		if inflight != nil {
			what = inflight.String()
		}

		// The restart.
		how := ""
		if clean {
			how = "after a clean SIGTERM shutdown, "
		} else if term {
			how = "after SIGTERM then SIGKILL, "
		}
		if clean || rng.Intn(4) == 0 {
			plainRestarts++
			how += "without --auto-recover"
			if rng.Intn(2) == 0 {
				checkRuns++
				code, out, errs := run(t, "", "check", "-d", dir)
				if code != ExitOK && code != ExitFailed {
					t.Fatalf("round %d (in flight: %s): blitz check on the killed directory: exit %d\n%s%s", round, what, code, out, errs)
				}
			}
			p = startServe(t, dir, seg...)
			repairKill := rng.Intn(2) == 0
			if err := repairCrashed(p, rng, repairKill, clean); err != nil {
				t.Fatalf("round %d (in flight: %s): restart without --auto-recover: %v\n%s", round, what, err, p.errText())
			}
			if repairKill {
				repairKills++
				how += ", REPAIR killed"
				p.wait(t, 30*time.Second)
				p = startServe(t, dir, append(seg, "--auto-recover")...)
			}
		} else {
			how += "--auto-recover"
			if rng.Intn(3) == 0 {
				startKills++
				how += " killed during startup first"
				killDuringStartup(t, dir, time.Duration(rng.Intn(300))*time.Millisecond, append(seg, "--auto-recover")...)
			}
			p = startServe(t, dir, append(seg, "--auto-recover")...)
		}
		db = p.open(t, "db")
		got, effect, err := verifyServe(db, m, inflight, bgInflight, rng)
		db.Close()
		if err != nil {
			t.Fatalf("round %d (seed %d), in flight: %s, restarted %s:\n%v\nserver log:\n%s", round, seed, what, how, err, p.errText())
		}
		m = got
		if inflight != nil {
			kinds[inflight.kind+" "+effect]++
		}
		t.Logf("round %d: in flight %.100s (%s); restarted %s; cs %d rows, pl %d, bg %d, scratch %q",
			round, what, effect, how, len(m.T["cs"].Rows), len(m.T["pl"].Rows), len(m.BG), m.Scratch)
	}
	p.cmd.Process.Signal(os.Interrupt)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGINT\n%s", code, p.errText())
	}
	if code, out, errs := run(t, "", "check", "-d", dir); code != ExitOK {
		t.Fatalf("blitz check after the last round: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("%d rounds, %d acknowledged statements, %d background commits, %d restarts without --auto-recover (%d REPAIR killed, %d blitz check runs), %d startups killed, %v",
		rounds, acks, bgAcks, plainRestarts, repairKills, checkRuns, startKills, time.Since(start).Round(time.Millisecond))
	t.Logf("in flight at the kills, by kind and effect: %v", kinds)
}

// cKinds are the kinds of operation cgen makes.
var cKinds = []string{"tx", "mixed", "insert", "load", "index", "column", "optimize", "repair", "ctas", "rename", "truncate", "drop", "delete", "flush", "bgddl"}

// ctable is the model of table cs or pl.
type ctable struct {
	Rows  map[int64]string // id -> v; g is id % 50
	Extra bool             // column extra INT NOT NULL DEFAULT 7 is there
	VIdx  bool             // index v_idx (v) is there
}

// cmodel is what the acknowledged statements made of the database.
type cmodel struct {
	T           map[string]*ctable // cs, pl
	Scratch     string             // "", "s" or "s2": the scratch table's name
	ScratchRows int
	ScratchCS   bool
	BG          map[int64]bool // bg's rows
	BGIdx       bool           // index w_idx (w) of bg is there
}

func (m *cmodel) clone() *cmodel {
	c := *m
	c.T = map[string]*ctable{}
	for k, t := range m.T {
		ct := *t
		ct.Rows = maps.Clone(t.Rows)
		c.T[k] = &ct
	}
	c.BG = maps.Clone(m.BG)
	return &c
}

// cop is one operation of the torture: its statements run on one
// connection in order.
type cop struct {
	kind   string
	stmts  []string
	load   string  // LOAD DATA's file (Reader::crashload)
	after  *cmodel // the model once it took effect
	before *cmodel // the model before it
	ids    []int64 // rows of pl it writes
	admin  bool    // a statement answering a result set (OPTIMIZE, REPAIR)
	table  string  // the table it writes rows of (cs, pl), or ""
}

func (o *cop) String() string {
	s := strings.Join(o.stmts, "; ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return o.kind + ": " + s
}

// run runs the operation on conn.
func (o *cop) run(conn *sql.Conn) error {
	ctx := context.Background()
	if o.load != "" {
		data := o.load
		mysql.RegisterReaderHandler("crashload", func() io.Reader { return strings.NewReader(data) })
	}
	for _, q := range o.stmts {
		if o.admin {
			if err := adminOK(ctx, conn, q); err != nil {
				return err
			}
			continue
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// adminOK runs an OPTIMIZE, REPAIR or CHECK TABLE statement and returns an
// error unless its last row says OK and none says error.
func adminOK(ctx context.Context, conn interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	var all []string
	last := ""
	for rows.Next() {
		var tbl, op, typ, msg string
		if err := rows.Scan(&tbl, &op, &typ, &msg); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		all = append(all, typ+": "+msg)
		if typ == "error" {
			last = "error"
		} else if last != "error" {
			last = msg
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	if last != "OK" {
		return fmt.Errorf("%s: answered %q", q, all)
	}
	return nil
}

// cgen makes operations.
type cgen struct {
	rng  *rand.Rand
	next int64 // next new id of cs and pl
	ver  int64 // value versions
}

func (g *cgen) val() string {
	g.ver++
	return fmt.Sprintf("v%d-%s", g.ver, strings.Repeat("x", g.rng.Intn(120)))
}

func (g *cgen) pick(rows map[int64]string) (int64, bool) {
	if len(rows) == 0 {
		return 0, false
	}
	ids := slices.Sorted(maps.Keys(rows))
	return ids[g.rng.Intn(len(ids))], true
}

func rowSQL(id int64, v string) string { return fmt.Sprintf("(%d, %d, '%s')", id, id%50, v) }

// gen returns an operation valid on m.
func (g *cgen) gen(m *cmodel) *cop {
	for {
		if o := g.try(m, cKinds[g.rng.Intn(len(cKinds))]); o != nil {
			o.before = m
			return o
		}
	}
}

func (g *cgen) try(m *cmodel, kind string) *cop {
	o := &cop{kind: kind, after: m.clone()}
	a := o.after
	tname := "cs"
	if g.rng.Intn(2) == 0 {
		tname = "pl"
	}
	t := a.T[tname]
	cols := "(id, g, v)"
	switch kind {
	case "tx": // BEGIN; inserts, an update, a delete; COMMIT
		o.table, tname = "cs", "cs"
		t = a.T["cs"]
		o.stmts = append(o.stmts, "BEGIN")
		for i := 0; i < 1+g.rng.Intn(5); i++ {
			id, v := g.next, g.val()
			g.next++
			o.stmts = append(o.stmts, "INSERT INTO cs "+cols+" VALUES "+rowSQL(id, v))
			t.Rows[id] = v
		}
		if id, ok := g.pick(t.Rows); ok {
			v := g.val()
			o.stmts = append(o.stmts, fmt.Sprintf("UPDATE cs SET v = '%s' WHERE id = %d", v, id))
			t.Rows[id] = v
		}
		if id, ok := g.pick(t.Rows); ok && g.rng.Intn(2) == 0 {
			o.stmts = append(o.stmts, fmt.Sprintf("DELETE FROM cs WHERE id = %d", id))
			delete(t.Rows, id)
		}
		o.stmts = append(o.stmts, "COMMIT")
	case "mixed": // one transaction on cs and pl
		o.table = "cs"
		o.stmts = append(o.stmts, "BEGIN")
		for _, name := range []string{"cs", "pl", "cs"} {
			id, v := g.next, g.val()
			g.next++
			o.stmts = append(o.stmts, "INSERT INTO "+name+" "+cols+" VALUES "+rowSQL(id, v))
			a.T[name].Rows[id] = v
			if name == "pl" {
				o.ids = append(o.ids, id)
			}
		}
		if id, ok := g.pick(a.T["pl"].Rows); ok {
			v := g.val()
			o.stmts = append(o.stmts, fmt.Sprintf("UPDATE pl SET v = '%s' WHERE id = %d", v, id))
			a.T["pl"].Rows[id] = v
			o.ids = append(o.ids, id)
		}
		o.stmts = append(o.stmts, "COMMIT")
	case "insert", "load": // hundreds to thousands of rows in one statement
		o.table = tname
		n := 100 + g.rng.Intn(1500)
		var b strings.Builder
		for i := 0; i < n; i++ {
			id, v := g.next, g.val()
			g.next++
			t.Rows[id] = v
			if tname == "pl" {
				o.ids = append(o.ids, id)
			}
			if kind == "load" {
				fmt.Fprintf(&b, "%d\t%d\t%s\n", id, id%50, v)
			} else {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(rowSQL(id, v))
			}
		}
		if kind == "load" {
			o.load = b.String()
			o.stmts = []string{"LOAD DATA LOCAL INFILE 'Reader::crashload' INTO TABLE " + tname + " " + cols}
		} else {
			o.stmts = []string{"INSERT INTO " + tname + " " + cols + " VALUES " + b.String()}
		}
	case "delete":
		o.table = tname
		lo := g.rng.Int63n(g.next + 1)
		hi := lo + int64(g.rng.Intn(300))
		o.stmts = []string{fmt.Sprintf("DELETE FROM %s WHERE id BETWEEN %d AND %d", tname, lo, hi)}
		for id := range t.Rows {
			if id >= lo && id <= hi {
				delete(t.Rows, id)
				if tname == "pl" {
					o.ids = append(o.ids, id)
				}
			}
		}
	case "index":
		if t.VIdx {
			o.stmts = []string{"DROP INDEX v_idx ON " + tname}
		} else {
			o.stmts = []string{"CREATE INDEX v_idx ON " + tname + " (v)"}
		}
		t.VIdx = !t.VIdx
	case "column":
		if t.Extra {
			o.stmts = []string{"ALTER TABLE " + tname + " DROP COLUMN extra"}
		} else {
			o.stmts = []string{"ALTER TABLE " + tname + " ADD COLUMN extra INT NOT NULL DEFAULT 7"}
		}
		t.Extra = !t.Extra
	case "flush": // a checkpoint
		o.stmts = []string{"FLUSH TABLES"}
		if g.rng.Intn(2) == 0 {
			o.stmts = []string{"FLUSH TABLES " + tname}
		}
	case "optimize", "repair":
		o.admin = true
		o.stmts = []string{strings.ToUpper(kind) + " TABLE " + tname}
	case "ctas":
		if a.Scratch != "" {
			return nil
		}
		a.ScratchCS = g.rng.Intn(2) == 0
		opt := ""
		if a.ScratchCS {
			opt = " ENGINE = BLITZDB, CRASH_SAFE"
		}
		o.stmts = []string{"CREATE TABLE s (PRIMARY KEY (id))" + opt + " AS SELECT id, g, v FROM " + tname}
		a.Scratch, a.ScratchRows = "s", len(t.Rows)
	case "rename":
		if a.Scratch == "" {
			return nil
		}
		to := map[string]string{"s": "s2", "s2": "s"}[a.Scratch]
		o.stmts = []string{"RENAME TABLE " + a.Scratch + " TO " + to}
		a.Scratch = to
	case "truncate":
		if a.Scratch == "" {
			return nil
		}
		o.stmts = []string{"TRUNCATE TABLE " + a.Scratch}
		a.ScratchRows = 0
	case "bgddl": // DDL on the table the background sessions write
		switch {
		case g.rng.Intn(3) == 0:
			o.admin = true
			o.stmts = []string{"OPTIMIZE TABLE bg"}
		case a.BGIdx:
			o.stmts = []string{"ALTER TABLE bg DROP INDEX w_idx"}
			a.BGIdx = false
		default:
			o.stmts = []string{"ALTER TABLE bg ADD INDEX w_idx (w)"}
			a.BGIdx = true
		}
	case "drop":
		if a.Scratch == "" {
			return nil
		}
		o.stmts = []string{"DROP TABLE " + a.Scratch}
		a.Scratch, a.ScratchRows, a.ScratchCS = "", 0, false
	}
	return o
}

// bgWriters insert into bg in autocommit until the server is gone.
type bgWriters struct {
	wg       sync.WaitGroup
	mu       sync.Mutex // protects the two maps
	acked    map[int64]bool
	inflight map[int64]bool
}

func startBGWriters(db *sql.DB, round int, killed *atomic.Bool) *bgWriters {
	b := &bgWriters{acked: map[int64]bool{}, inflight: map[int64]bool{}}
	for w := 0; w < 2; w++ {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for i := 0; i < 20000 && !killed.Load(); i++ {
				id := int64(round)*1_000_000 + int64(w)*500_000 + int64(i)
				b.mu.Lock()
				b.inflight[id] = true
				b.mu.Unlock()
				if _, err := db.Exec("INSERT INTO bg VALUES (?, ?)", id, w); err != nil {
					return // the server is gone (or a lock wait: the id stays in flight)
				}
				b.mu.Lock()
				delete(b.inflight, id)
				b.acked[id] = true
				b.mu.Unlock()
			}
		}()
	}
	// Checkpoints under that load, and beside the main session's
	// statements.
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for i := 0; i < 1000 && !killed.Load(); i++ {
			time.Sleep(time.Duration(20+i*37%130) * time.Millisecond)
			if _, err := db.Exec("FLUSH TABLES"); err != nil {
				return
			}
		}
	}()
	return b
}

func (b *bgWriters) stop() (acked, inflight map[int64]bool) {
	b.wg.Wait()
	return b.acked, b.inflight
}

// killDuringStartup starts blitz serve on dir and kills it after d,
// whatever it is doing then.
func killDuringStartup(t *testing.T, dir string, d time.Duration, extra ...string) {
	t.Helper()
	args := append([]string{"serve", "-d", dir, "--listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestServeHelperProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "BLITZ_SERVE_HELPER=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	cmd.Process.Kill()
	cmd.Wait()
}

// repairCrashed visits every table of a server started without
// --auto-recover: each answers, or gives 1194 and is repaired (with kill,
// the server is killed at a random moment of the first REPAIR instead).
// After a clean shutdown (clean), no table may answer 1194.
func repairCrashed(p *serveProc, rng *rand.Rand, kill, clean bool) error {
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/db?timeout=5s&readTimeout=60s", p.addr))
	if err != nil {
		return err
	}
	defer db.Close()
	names, err := showTables(db)
	if err != nil {
		return err
	}
	repaired := false
	for _, name := range names {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM " + name).Scan(&n)
		if err == nil {
			continue
		}
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1194 || !strings.Contains(me.Message, "'"+name+"'") {
			return fmt.Errorf("SELECT FROM %s: %v, want rows or error 1194 naming it", name, err)
		}
		if clean {
			return fmt.Errorf("SELECT FROM %s after a clean shutdown: %v", name, err)
		}
		if kill {
			time.AfterFunc(time.Duration(rng.Intn(150))*time.Millisecond, func() { p.cmd.Process.Kill() })
			db.Exec("REPAIR TABLE " + name)
			p.cmd.Process.Kill()
			return nil
		}
		ctx := context.Background()
		if err := adminOK(ctx, db, "REPAIR TABLE "+name); err != nil {
			return err
		}
		repaired = true
	}
	if kill && !repaired { // nothing crashed: kill during a REPAIR anyway
		time.AfterFunc(time.Duration(rng.Intn(150))*time.Millisecond, func() { p.cmd.Process.Kill() })
		db.Exec("REPAIR TABLE " + names[rng.Intn(len(names))])
		p.cmd.Process.Kill()
	}
	return nil
}

func showTables(db *sql.DB) ([]string, error) {
	rows, err := db.Query("SHOW TABLES")
	if err != nil {
		return nil, fmt.Errorf("SHOW TABLES: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// verifyServe checks the restarted server against the model m and the
// operation in flight at the kill (nil: none), and returns the model of
// what it found.
//
// It also says what became of the operation in flight: "none" (it changed
// nothing verifiable), "in" or "out" (wholly in effect or not), or for one
// that writes pl "pl K/N" (K of its N row changes in).
func verifyServe(db *sql.DB, m *cmodel, inflight *cop, bgInflight map[int64]bool, rng *rand.Rand) (*cmodel, string, error) {
	models := []*cmodel{m}
	if inflight != nil {
		models = append(models, inflight.after)
	}
	got := m.clone()
	names, err := showTables(db)
	if err != nil {
		return nil, "", err
	}
	got.Scratch = ""
	for _, n := range names {
		switch n {
		case "cs", "pl", "bg":
		case "s", "s2":
			got.Scratch = n
		default:
			return nil, "", fmt.Errorf("SHOW TABLES: unexpected table %q in %v", n, names)
		}
	}
	if len(names) != 3 && !(len(names) == 4 && got.Scratch != "") {
		return nil, "", fmt.Errorf("SHOW TABLES: %v, want bg, cs, pl and at most one scratch table", names)
	}
	for _, name := range []string{"cs", "pl"} {
		var tn, create string
		if err := db.QueryRow("SHOW CREATE TABLE "+name).Scan(&tn, &create); err != nil {
			return nil, "", fmt.Errorf("SHOW CREATE TABLE %s: %w", name, err)
		}
		gt := got.T[name]
		gt.Extra = strings.Contains(create, "`extra` int")
		gt.VIdx = strings.Contains(create, "KEY `v_idx`")
		if !slices.ContainsFunc(models, func(c *cmodel) bool { return c.T[name].Extra == gt.Extra && c.T[name].VIdx == gt.VIdx }) {
			return nil, "", fmt.Errorf("SHOW CREATE TABLE %s (extra %v, v_idx %v) is neither before nor after the statement in flight:\n%s", name, gt.Extra, gt.VIdx, create)
		}
		rows, err := db.Query("SELECT * FROM " + name)
		if err != nil {
			return nil, "", fmt.Errorf("SELECT * FROM %s: %w", name, err)
		}
		cols, _ := rows.Columns()
		want := 3
		if gt.Extra {
			want = 4
		}
		if len(cols) != want {
			rows.Close()
			return nil, "", fmt.Errorf("SELECT * FROM %s: columns %v, SHOW CREATE TABLE says %d:\n%s", name, cols, want, create)
		}
		gt.Rows = map[int64]string{}
		for rows.Next() {
			var id int64
			var gv, extra int
			var v string
			dst := []any{&id, &gv, &v}
			if gt.Extra {
				dst = append(dst, &extra)
			}
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return nil, "", fmt.Errorf("%s: %w", name, err)
			}
			if int64(gv) != id%50 || (gt.Extra && extra != 7) {
				rows.Close()
				return nil, "", fmt.Errorf("%s: row %d has g %d, extra %d", name, id, gv, extra)
			}
			gt.Rows[id] = v
		}
		if err := rows.Close(); err != nil {
			return nil, "", fmt.Errorf("SELECT * FROM %s: %w", name, err)
		}
	}
	// cs: exactly before or after.
	if !slices.ContainsFunc(models, func(c *cmodel) bool { return maps.Equal(c.T["cs"].Rows, got.T["cs"].Rows) }) {
		return nil, "", fmt.Errorf("cs: %d rows are neither the %d acknowledged nor those of the statement in flight (%s)", len(got.T["cs"].Rows), len(m.T["cs"].Rows), diffRows(m.T["cs"].Rows, got.T["cs"].Rows))
	}
	// pl: every acknowledged write; the statement in flight row by row.
	touched := map[int64]bool{}
	if inflight != nil {
		for _, id := range inflight.ids {
			touched[id] = true
		}
	}
	for id, v := range m.T["pl"].Rows {
		if gv, ok := got.T["pl"].Rows[id]; !touched[id] && (!ok || gv != v) {
			return nil, "", fmt.Errorf("pl: acknowledged row %d = %q, found %q (present %v)", id, v, gv, ok)
		}
	}
	for id, gv := range got.T["pl"].Rows {
		if v, ok := m.T["pl"].Rows[id]; ok && v == gv {
			continue
		}
		if !touched[id] || (inflight != nil && inflight.after.T["pl"].Rows[id] != gv) {
			return nil, "", fmt.Errorf("pl: row %d = %q was never written", id, gv)
		}
	}
	// bg: w_idx as before or after; the acknowledged inserts, and
	// in-flight ones at most.
	var tn, create string
	if err := db.QueryRow("SHOW CREATE TABLE bg").Scan(&tn, &create); err != nil {
		return nil, "", fmt.Errorf("SHOW CREATE TABLE bg: %w", err)
	}
	got.BGIdx = strings.Contains(create, "KEY `w_idx`")
	if !slices.ContainsFunc(models, func(c *cmodel) bool { return c.BGIdx == got.BGIdx }) {
		return nil, "", fmt.Errorf("SHOW CREATE TABLE bg (w_idx %v) is neither before nor after the statement in flight:\n%s", got.BGIdx, create)
	}
	if got.BGIdx {
		for w := 0; w < 2; w++ {
			if err := sameCount(db, "bg", "w_idx", "w = ?", w); err != nil {
				return nil, "", err
			}
		}
	}
	rows, err := db.Query("SELECT id FROM bg")
	if err != nil {
		return nil, "", fmt.Errorf("SELECT FROM bg: %w", err)
	}
	got.BG = map[int64]bool{}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		got.BG[id] = true
		if !m.BG[id] && !bgInflight[id] {
			rows.Close()
			return nil, "", fmt.Errorf("bg: row %d was never inserted", id)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, "", err
	}
	for id := range m.BG {
		if !got.BG[id] {
			return nil, "", fmt.Errorf("bg: acknowledged insert %d lost (%d rows, %d acknowledged)", id, len(got.BG), len(m.BG))
		}
	}
	// The scratch table: named as before or after, with their row count
	// (a plain one's TRUNCATE in flight may have deleted any part).
	if got.Scratch != "" {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + got.Scratch).Scan(&n); err != nil {
			return nil, "", fmt.Errorf("scratch %s: %w", got.Scratch, err)
		}
		got.ScratchRows = n
		var tn, create string
		if err := db.QueryRow("SHOW CREATE TABLE "+got.Scratch).Scan(&tn, &create); err != nil {
			return nil, "", fmt.Errorf("SHOW CREATE TABLE %s: %w", got.Scratch, err)
		}
		got.ScratchCS = strings.Contains(create, "CRASH_SAFE")
	} else {
		got.ScratchRows, got.ScratchCS = 0, false
	}
	if !slices.ContainsFunc(models, func(c *cmodel) bool {
		if c.Scratch != got.Scratch || c.ScratchCS != got.ScratchCS {
			return false
		}
		if c.ScratchRows == got.ScratchRows {
			return true
		}
		return inflight != nil && inflight.kind == "truncate" && !got.ScratchCS && got.ScratchRows <= m.ScratchRows
	}) {
		return nil, "", fmt.Errorf("scratch table %q (%d rows, crash-safe %v) is neither before (%q, %d rows, %v) nor after the statement in flight",
			got.Scratch, got.ScratchRows, got.ScratchCS, m.Scratch, m.ScratchRows, m.ScratchCS)
	}
	// CHECK TABLE, and counts through each index against counts by scan.
	all := []string{"bg", "cs", "pl"}
	if got.Scratch != "" {
		all = append(all, got.Scratch)
	}
	for _, name := range all {
		if err := adminOK(context.Background(), db, "CHECK TABLE "+name); err != nil {
			return nil, "", err
		}
	}
	for _, name := range []string{"cs", "pl"} {
		for i := 0; i < 3; i++ {
			gv := rng.Intn(50)
			if err := sameCount(db, name, "g_idx", "g = ?", gv); err != nil {
				return nil, "", err
			}
		}
		if id, ok := (&cgen{rng: rng}).pick(got.T[name].Rows); ok && got.T[name].VIdx {
			if err := sameCount(db, name, "v_idx", "v = ?", got.T[name].Rows[id]); err != nil {
				return nil, "", err
			}
		}
	}
	return got, effectOf(m, inflight, got), nil
}

// effectOf says what became of the operation in flight (see verifyServe).
func effectOf(m *cmodel, inflight *cop, got *cmodel) string {
	if inflight == nil {
		return "none"
	}
	a := inflight.after
	same := func(x *cmodel) bool {
		return maps.Equal(x.T["cs"].Rows, got.T["cs"].Rows) && x.Scratch == got.Scratch && x.ScratchRows == got.ScratchRows &&
			x.T["cs"].Extra == got.T["cs"].Extra && x.T["cs"].VIdx == got.T["cs"].VIdx &&
			x.T["pl"].Extra == got.T["pl"].Extra && x.T["pl"].VIdx == got.T["pl"].VIdx && x.BGIdx == got.BGIdx
	}
	cs := "in"
	switch {
	case same(m) && same(a):
		cs = "none"
	case same(m):
		cs = "out"
	}
	if len(inflight.ids) == 0 {
		return cs
	}
	k := 0
	for _, id := range inflight.ids {
		v, ok := got.T["pl"].Rows[id]
		if av, aok := a.T["pl"].Rows[id]; ok == aok && v == av {
			k++
		}
	}
	if cs == "none" {
		return fmt.Sprintf("pl %d/%d", k, len(inflight.ids))
	}
	return fmt.Sprintf("cs %s, pl %d/%d", cs, k, len(inflight.ids))
}

// sameCount compares COUNT(*) and SUM(id) of the rows matching where
// through index idx and with it ignored.
func sameCount(db *sql.DB, table, idx, where string, arg any) error {
	var n1, n2 int
	var s1, s2 int64
	q1 := fmt.Sprintf("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM %s FORCE INDEX (%s) WHERE %s", table, idx, where)
	q2 := fmt.Sprintf("SELECT COUNT(*), COALESCE(SUM(id), 0) FROM %s IGNORE INDEX (%s) WHERE %s", table, idx, where)
	if err := db.QueryRow(q1, arg).Scan(&n1, &s1); err != nil {
		return fmt.Errorf("%s: %w", q1, err)
	}
	if err := db.QueryRow(q2, arg).Scan(&n2, &s2); err != nil {
		return fmt.Errorf("%s: %w", q2, err)
	}
	if n1 != n2 || s1 != s2 {
		return fmt.Errorf("%s (%v): %d rows (sum %d) through the index, %d (sum %d) by scan", q1, arg, n1, s1, n2, s2)
	}
	return nil
}

// diffRows describes how got differs from want, briefly.
func diffRows(want, got map[int64]string) string {
	var missing, extra, changed []int64
	for id, v := range want {
		if gv, ok := got[id]; !ok {
			missing = append(missing, id)
		} else if gv != v {
			changed = append(changed, id)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			extra = append(extra, id)
		}
	}
	for _, s := range [][]int64{missing, extra, changed} {
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	}
	cut := func(s []int64) []int64 { return s[:min(len(s), 10)] }
	return fmt.Sprintf("missing %d %v, extra %d %v, changed %d %v", len(missing), cut(missing), len(extra), cut(extra), len(changed), cut(changed))
}
