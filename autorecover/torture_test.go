package autorecover

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Environment of the child process (see TestMain).
const (
	envChild    = "BLITZ_TORTURE_CHILD_DIR" // set: this process is a torture child on that directory
	envSeed     = "BLITZ_TORTURE_CHILD_SEED"
	envCkpt     = "BLITZ_TORTURE_CHILD_CKPT" // CheckpointBytes of the child
	envDeadline = "BLITZ_TORTURE_CHILD_SECS" // the child stops writing after this many seconds
	envSeg      = "BLITZ_TORTURE_CHILD_SEG"  // WALSegmentBytes of the child (0: default)
)

// Table names of the torture database.
const (
	csTable = "cs" // CRASH_SAFE
	plTable = "pl" // plain
)

var bg = context.Background()

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChild); dir != "" {
		os.Exit(childMain(dir))
	}
	if dir := os.Getenv(envDDLChild); dir != "" {
		os.Exit(ddlChildMain(dir))
	}
	if dir := os.Getenv(envDDLRecoverChild); dir != "" {
		os.Exit(ddlRecoverChildMain(dir))
	}
	os.Exit(m.Run())
}

// tortureDef is the definition shared by both tables: a primary key, a
// unique index on u (which may be NULL) and a non-unique one on g.
func tortureDef(name string, crashSafe bool) *engine.TableDef {
	return &engine.TableDef{Name: name, CrashSafe: crashSafe,
		Columns: []engine.Column{
			{Name: "id", Type: engine.TypeBigInt, NotNull: true},
			{Name: "u", Type: engine.TypeVarChar, Length: 40},
			{Name: "g", Type: engine.TypeBigInt, NotNull: true},
			{Name: "v", Type: engine.TypeVarChar, Length: 400, NotNull: true},
		},
		PrimaryKey: []string{"id"},
		Indexes: []engine.IndexDef{
			{Name: "u_idx", Columns: []string{"u"}, Unique: true},
			{Name: "g_idx", Columns: []string{"g"}},
		}}
}

// rowv is a row of a torture table without its id. U nil is NULL.
type rowv struct {
	U *string `json:"u,omitempty"`
	G int64   `json:"g"`
	V string  `json:"v"`
}

func (r rowv) row(id int64) engine.Row {
	var u any
	if r.U != nil {
		u = *r.U
	}
	return engine.Row{id, u, r.G, r.V}
}

func (r rowv) String() string {
	u := "NULL"
	if r.U != nil {
		u = strconv.Quote(*r.U)
	}
	return fmt.Sprintf("{u=%s g=%d v=%q}", u, r.G, r.V)
}

func rowvOf(r engine.Row) (int64, rowv, error) {
	if len(r) != 4 {
		return 0, rowv{}, fmt.Errorf("row has %d columns", len(r))
	}
	id, ok1 := r[0].(int64)
	g, ok2 := r[2].(int64)
	v, ok3 := r[3].(string)
	if !ok1 || !ok2 || !ok3 {
		return 0, rowv{}, fmt.Errorf("row %v has unexpected types", r)
	}
	var out rowv
	switch u := r[1].(type) {
	case nil:
	case string:
		out.U = &u
	default:
		return 0, rowv{}, fmt.Errorf("row %v: u is %T", r, r[1])
	}
	out.G, out.V = g, v
	return id, out, nil
}

// effect is the net change of one transaction to one row of the crash-safe
// table: the new row, or a deletion.
type effect struct {
	ID  int64 `json:"id"`
	Del bool  `json:"del,omitempty"`
	Row rowv  `json:"row"`
}

// intent is the line a child prints just before Commit: the crash-safe
// part of the transaction. An "A <n>" line follows once Commit returned nil.
type intent struct {
	N  int64    `json:"n"`
	CS []effect `json:"cs"`
}

// childMain is the torture child: it writes both tables in transactions
// until killed (or until its deadline), printing "B <intent json>" before
// each Commit and "A <n>" after each one that returned nil, flushed.
func childMain(dir string) int {
	seed, _ := strconv.ParseInt(os.Getenv(envSeed), 10, 64)
	ckpt, _ := strconv.ParseInt(os.Getenv(envCkpt), 10, 64)
	secs, _ := strconv.Atoi(os.Getenv(envDeadline))
	seg, _ := strconv.ParseInt(os.Getenv(envSeg), 10, 64)
	if secs <= 0 {
		secs = 20
	}
	rng := rand.New(rand.NewSource(seed))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := engine.Open(dir, engine.Options{AutoRecover: true, CheckpointBytes: ckpt, WALSegmentBytes: seg, Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	fail := func(format string, args ...any) int {
		out.Flush()
		fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
		return 3
	}
	states := map[string]*tableState{}
	for _, name := range []string{csTable, plTable} {
		if _, err := db.Table(name); sqlerr.Code(err) == sqlerr.ErrNoSuchTable {
			if err := db.CreateTable(bg, tortureDef(name, name == csTable)); err != nil {
				return fail("create %s: %v", name, err)
			}
		}
		st, err := loadState(db, name)
		if err != nil {
			return fail("load %s: %v", name, err)
		}
		states[name] = st
	}
	nextID := max(states[csTable].maxID, states[plTable].maxID) + 1
	ver := seed % 1_000_000 * 1000 // u versions: distinct from earlier rounds' (u also carries the id)
	fmt.Fprintln(out, "READY")
	out.Flush()
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	for n := int64(1); n <= 1_000_000 && time.Now().Before(deadline); n++ {
		tx, err := db.Begin(bg)
		if err != nil {
			return fail("begin: %v", err)
		}
		touched := map[string]map[int64]*rowv{csTable: {}, plTable: {}} // nil: deleted
		nops := 1 + rng.Intn(5)
		for op := 0; op < nops; op++ {
			name := csTable
			if rng.Intn(2) == 0 {
				name = plTable
			}
			st, tt := states[name], touched[name]
			newRow := func(id int64) rowv {
				ver++
				r := rowv{G: int64(rng.Intn(16)), V: fmt.Sprintf("%d/%d/%s", id, ver, strings.Repeat("x", rng.Intn(300)))}
				if rng.Intn(10) != 0 {
					u := fmt.Sprintf("u%d.%d", id, ver)
					r.U = &u
				}
				return r
			}
			k := rng.Intn(10)
			if len(st.ids) < 50 {
				k = 0
			}
			switch {
			case k < 5: // insert
				id := nextID
				nextID++
				r := newRow(id)
				if _, _, err := tx.Insert(name, r.row(id)); err != nil {
					return fail("insert %s %d: %v", name, id, err)
				}
				tt[id] = &r
			default: // update, move or delete an existing row
				id := st.ids[rng.Intn(len(st.ids))]
				if _, ok := tt[id]; ok {
					continue
				}
				h, _, ok, err := tx.Get(name, []any{id})
				if err != nil || !ok {
					return fail("get %s %d: ok %v err %v", name, id, ok, err)
				}
				switch {
				case k < 8: // update in place, some columns
					r := st.rows[id]
					nr := newRow(id)
					r.V = nr.V
					if rng.Intn(2) == 0 {
						r.G = nr.G
					}
					if rng.Intn(2) == 0 {
						r.U = nr.U
					}
					if _, err := tx.Update(name, h, r.row(id)); err != nil {
						return fail("update %s %d: %v", name, id, err)
					}
					tt[id] = &r
				case k < 9: // move to a new primary key
					nid := nextID
					nextID++
					r := newRow(nid)
					if _, err := tx.Update(name, h, r.row(nid)); err != nil {
						return fail("move %s %d -> %d: %v", name, id, nid, err)
					}
					tt[id], tt[nid] = nil, &r
				default:
					if err := tx.Delete(name, h); err != nil {
						return fail("delete %s %d: %v", name, id, err)
					}
					tt[id] = nil
				}
			}
		}
		in := intent{N: n, CS: []effect{}}
		for id, r := range touched[csTable] {
			e := effect{ID: id, Del: r == nil}
			if r != nil {
				e.Row = *r
			}
			in.CS = append(in.CS, e)
		}
		b, _ := json.Marshal(in)
		fmt.Fprintf(out, "B %s\n", b)
		out.Flush()
		if err := tx.Commit(); err != nil {
			return fail("commit %d: %v", n, err)
		}
		fmt.Fprintf(out, "A %d\n", n)
		out.Flush()
		for name, tt := range touched {
			for id, r := range tt {
				states[name].set(id, r)
			}
		}
	}
	if err := db.Close(); err != nil {
		return fail("close: %v", err)
	}
	fmt.Fprintln(out, "DONE")
	out.Flush()
	return 0
}

// tableState is the child's view of a table's committed rows.
type tableState struct {
	rows  map[int64]rowv
	ids   []int64
	pos   map[int64]int
	maxID int64
}

func (s *tableState) set(id int64, r *rowv) {
	if r == nil {
		if i, ok := s.pos[id]; ok {
			last := s.ids[len(s.ids)-1]
			s.ids[i], s.pos[last] = last, i
			s.ids = s.ids[:len(s.ids)-1]
			delete(s.pos, id)
			delete(s.rows, id)
		}
		return
	}
	if _, ok := s.pos[id]; !ok {
		s.pos[id] = len(s.ids)
		s.ids = append(s.ids, id)
	}
	s.rows[id] = *r
	s.maxID = max(s.maxID, id)
}

func loadState(db *engine.DB, name string) (*tableState, error) {
	rows, err := readTable(db, name, "")
	if err != nil {
		return nil, err
	}
	st := &tableState{rows: map[int64]rowv{}, pos: map[int64]int{}}
	ids := make([]int64, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		r := rows[id]
		st.set(id, &r)
	}
	return st, nil
}

// readTable reads every row of the table through the given index ("" is a
// full scan), checking that each handle is the row's primary key and that
// no row comes twice.
func readTable(db *engine.DB, name, index string) (map[int64]rowv, error) {
	tx, err := db.Begin(bg)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows := map[int64]rowv{}
	handles := map[engine.Handle]bool{}
	err = tx.Scan(name, engine.Scan{Index: index}, func(h engine.Handle, r engine.Row) (bool, error) {
		id, rv, err := rowvOf(r)
		if err != nil {
			return false, err
		}
		if handles[h] {
			return false, fmt.Errorf("handle %x comes twice", h)
		}
		handles[h] = true
		if _, dup := rows[id]; dup {
			return false, fmt.Errorf("id %d comes twice", id)
		}
		if h2, _, ok, err := tx.Get(name, []any{id}); err != nil || !ok || h2 != h {
			return false, fmt.Errorf("row %d: scan handle %x, Get gives %x ok %v err %v", id, h, h2, ok, err)
		}
		rows[id] = rv
		return true, nil
	})
	return rows, err
}

// child is a running torture child.
type child struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr *bytes.Buffer
	done   chan struct{}
}

func startChild(t *testing.T, dir string, seed, ckpt, seg int64, secs int) *child {
	t.Helper()
	return startChildEnv(t, envChild+"="+dir, envSeed+"="+strconv.FormatInt(seed, 10),
		envCkpt+"="+strconv.FormatInt(ckpt, 10), envSeg+"="+strconv.FormatInt(seg, 10), envDeadline+"="+strconv.Itoa(secs))
}

// startChildEnv re-executes the test binary with env added to its
// environment (which says what child it is) and collects its output lines.
func startChildEnv(t *testing.T, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 1<<16), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{w: c.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	return c
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// kill SIGKILLs the child, then collects every line it printed before
// dying, and waits for it (bounded).
// waitReady waits (30 s at most) for the child's READY line.
func (c *child) waitReady(t *testing.T, round int) {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok || l != "READY" {
			c.kill(t)
			t.Fatalf("round %d: child did not start: %q\n%s", round, l, c.stderr)
		}
	case <-time.After(30 * time.Second):
		c.kill(t)
		t.Fatalf("round %d: child not ready after 30 s\n%s", round, c.stderr)
	}
}

func (c *child) kill(t *testing.T) (rest []string) {
	t.Helper()
	c.cmd.Process.Kill()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.cmd.Wait()
				return rest
			}
			rest = append(rest, l)
		case <-timeout:
			t.Fatal("child output did not end 20 s after SIGKILL")
		}
	}
}

// csModel is the expected content of the crash-safe table.
type csModel map[int64]rowv

func (m csModel) apply(in intent) csModel {
	out := make(csModel, len(m))
	for id, r := range m {
		out[id] = r
	}
	for _, e := range in.CS {
		if e.Del {
			delete(out, e.ID)
		} else {
			out[e.ID] = e.Row
		}
	}
	return out
}

// diff describes how got differs from want (at most a few lines).
func diff(want, got map[int64]rowv) string {
	var b strings.Builder
	n := 0
	ids := map[int64]bool{}
	for id := range want {
		ids[id] = true
	}
	for id := range got {
		ids[id] = true
	}
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, id := range sorted {
		w, wok := want[id]
		g, gok := got[id]
		if wok == gok && (!wok || w.String() == g.String()) {
			continue
		}
		if n++; n > 8 {
			b.WriteString("  ...\n")
			break
		}
		ws, gs := "absent", "absent"
		if wok {
			ws = w.String()
		}
		if gok {
			gs = g.String()
		}
		fmt.Fprintf(&b, "  id %d: want %.80s, got %.80s\n", id, ws, gs)
	}
	return b.String()
}

func sameRows(a, b map[int64]rowv) bool { return len(a) == len(b) && diff(a, b) == "" }

// checkConsistent checks one table: CHECK reports OK, and every index
// (PRIMARY, u_idx, g_idx) yields exactly the rows of a full scan. It
// returns the rows.
func checkConsistent(t *testing.T, db *engine.DB, name string) map[int64]rowv {
	t.Helper()
	rep, err := db.Check(bg, name)
	if err != nil {
		t.Fatalf("Check %s: %v", name, err)
	}
	if !rep.OK {
		t.Errorf("Check %s: %q", name, rep.Problems)
	}
	full, err := readTable(db, name, "")
	if err != nil {
		t.Fatalf("full scan of %s: %v", name, err)
	}
	for _, ix := range []string{"PRIMARY", "u_idx", "g_idx"} {
		got, err := readTable(db, name, ix)
		if err != nil {
			t.Fatalf("scan of %s through %s: %v", name, ix, err)
		}
		if !sameRows(full, got) {
			t.Errorf("%s: scan through %s (%d rows) differs from the full scan (%d rows):\n%s", name, ix, len(got), len(full), diff(full, got))
		}
	}
	return full
}

// envCount is the count the environment variable name sets, or def (short
// under -short): the torture rounds and corruption seeds of this package.
func envCount(t *testing.T, name string, def, short int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a count", name, v)
		}
		return n
	}
	if testing.Short() {
		return short
	}
	return def
}

func tortureSeed(t *testing.T) int64 {
	s := time.Now().UnixNano() % (1 << 40)
	if v := os.Getenv("BLITZ_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("BLITZ_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", s, s)
	return s
}

// TestKill9Torture: a child process writes a crash-safe and a plain table
// (each with a unique and a non-unique index) and is SIGKILLed at a random
// moment; the database is reopened with AutoRecover and checked, and the
// next round runs on the same directory. One round first reopens without
// AutoRecover: the plain table must answer 1194, the crash-safe one must
// work and hold every acknowledged commit.
func TestKill9Torture(t *testing.T) {
	rounds := envCount(t, "BLITZ_TORTURE", 20, 4)
	seed := tortureSeed(t)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	model := csModel{}
	noAutoRound := rounds / 2
	if rounds == 1 {
		noAutoRound = 0
	}
	budget := time.Duration(rounds) * 3 * time.Second // ~60 s for 20 rounds; a round may take longer
	start := time.Now()
	var totalAcks int
	for round := 0; round < rounds; round++ {
		if time.Since(start) > 3*budget {
			t.Fatalf("round %d: over three times the time budget (%v)", round, budget)
		}
		ckpt := []int64{8 << 10, 64 << 10, 64 << 20}[rng.Intn(3)]
		if round == noAutoRound {
			ckpt = 1 << 40 // no checkpoint in the child: none can be cut short
		}
		seg := []int64{0, 32 << 10}[rng.Intn(2)] // default (64 MiB) or small WAL segments
		c := startChild(t, dir, seed+int64(round)*7919, ckpt, seg, 20)
		c.waitReady(t, round)
		// Kill after a random number of acknowledgements, or after a random
		// time, whichever the round picked (bounded either way).
		var lines []string
		wantAcks, wait := -1, time.Duration(0)
		if rng.Intn(2) == 0 {
			wantAcks = rng.Intn(300)
		} else {
			wait = time.Duration(rng.Intn(800)) * time.Millisecond
		}
		timer := time.NewTimer(wait)
		if wantAcks >= 0 {
			timer.Reset(5 * time.Second)
		}
		acks := 0
	collect:
		for wantAcks < 0 || acks < wantAcks {
			select {
			case l, ok := <-c.lines:
				if !ok {
					break collect
				}
				lines = append(lines, l)
				if strings.HasPrefix(l, "A ") {
					acks++
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

		// The expected state: every acknowledged commit; the one in flight
		// (printed, not acknowledged) may or may not be there, wholly.
		var inflight *intent
		acks = 0
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "B "):
				var in intent
				if err := json.Unmarshal([]byte(l[2:]), &in); err != nil {
					t.Fatalf("round %d: bad line %q: %v", round, l, err)
				}
				inflight = &in
			case strings.HasPrefix(l, "A "):
				n, _ := strconv.ParseInt(l[2:], 10, 64)
				if inflight == nil || inflight.N != n {
					t.Fatalf("round %d: ack %d without its intent", round, n)
				}
				model = model.apply(*inflight)
				inflight = nil
				acks++
			case l == "DONE":
			default:
				t.Fatalf("round %d: unexpected line %q", round, l)
			}
		}
		totalAcks += acks
		alt := model
		if inflight != nil {
			alt = model.apply(*inflight)
		}
		checkCS := func(db *engine.DB, when string) {
			t.Helper()
			got, err := readTable(db, csTable, "")
			if err != nil {
				t.Fatalf("round %d %s: read %s: %v", round, when, csTable, err)
			}
			switch {
			case sameRows(model, got):
			case sameRows(alt, got):
			default:
				t.Fatalf("round %d %s: crash-safe table lost acknowledged commits (%d acks this round, in flight: %v):\n%s",
					round, when, acks, inflight != nil, diff(model, got))
			}
		}

		if round == noAutoRound {
			db, err := engine.Open(dir, engine.Options{})
			if err != nil {
				t.Fatalf("round %d: Open without AutoRecover: %v", round, err)
			}
			tx, _ := db.Begin(bg)
			_, _, _, err = tx.Get(plTable, []any{int64(1)})
			tx.Rollback()
			if sqlerr.Code(err) != sqlerr.ErrCrashedTable {
				t.Errorf("round %d: plain table left open by the kill answered %v, want error 1194", round, err)
			}
			checkCS(db, "without AutoRecover")
			if !t.Failed() {
				checkConsistent(t, db, csTable)
			}
			if err := db.Close(); err != nil {
				t.Fatalf("round %d: Close: %v", round, err)
			}
			if t.Failed() {
				t.FailNow()
			}
		}

		var logBuf bytes.Buffer
		db, err := engine.Open(dir, engine.Options{AutoRecover: true,
			Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf}, &slog.HandlerOptions{Level: slog.LevelInfo}))})
		if err != nil {
			t.Fatalf("round %d: Open with AutoRecover: %v", round, err)
		}
		checkCS(db, "after AutoRecover")
		got := checkConsistent(t, db, csTable)
		checkConsistent(t, db, plTable)
		for _, name := range []string{csTable, plTable} {
			if st, err := db.Status(name); err != nil || st.Crashed {
				t.Errorf("round %d: %s after AutoRecover: crashed %v, err %v", round, name, st.Crashed, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		if t.Failed() {
			t.Fatalf("round %d failed (seed %d); recovery log:\n%s", round, seed, logBuf.String())
		}
		model = got
		t.Logf("round %d: ckpt %d seg %d, %d acks, in flight %v, crash-safe rows %d", round, ckpt, seg, acks, inflight != nil, len(model))
	}
	t.Logf("%d rounds, %d acknowledged commits, %v", rounds, totalAcks, time.Since(start).Round(time.Millisecond))
}
