package engine

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

const (
	walSeg       = 16 << 10 // small WAL segments: rotation and recycling happen often
	bankAccounts = 12
	bankStart    = 1000
)

func bankSeed(t *testing.T) int64 {
	s := rand.Int63n(1 << 40)
	if v := os.Getenv("BLITZ_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("BLITZ_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", s, s)
	return s
}

// bankLog records what the workload tried and what was acknowledged.
type bankLog struct {
	mu        sync.Mutex
	attempted map[int64]Row // ledger id -> ledger row
	acked     map[int64]bool
}

func newBankLog() *bankLog { return &bankLog{attempted: map[int64]Row{}, acked: map[int64]bool{}} }

func ledgerDef() *TableDef {
	return &TableDef{Name: "ledger", Columns: []Column{
		{Name: "id", Type: TypeBigInt, NotNull: true},
		{Name: "src", Type: TypeVarChar, Length: 16, NotNull: true},
		{Name: "dst", Type: TypeVarChar, Length: 16, NotNull: true},
		{Name: "amount", Type: TypeBigInt, NotNull: true},
	}, PrimaryKey: []string{"id"}, Indexes: []IndexDef{{Name: "by_src", Columns: []string{"src"}}}, CrashSafe: true}
}

// setupBank creates tables a and b of accounts and the ledger, durably.
func setupBank(t *testing.T, fs vfs.FS, dir string) {
	db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if err := db.CreateTable(bg, accountsDef(name, true)); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < bankAccounts; i++ {
			insert(t, db, name, Row{int64(i), fmt.Sprintf("%s%d", name, i), int64(bankStart), nil})
		}
	}
	if err := db.CreateTable(bg, ledgerDef()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// bankWorkload runs workers goroutines of n transfers each between random
// accounts of tables a and b, each transfer a transaction that also writes
// a ledger row. It returns when every worker stopped (the power cut makes
// them stop at their first error).
func bankWorkload(t *testing.T, fs vfs.FS, dir string, seed int64, bl *bankLog, workers, n int, base int64) {
	db, err := Open(dir, Options{FS: fs, AutoRecover: true, CheckpointBytes: 3000, WALSegmentBytes: walSeg})
	if err != nil {
		if errors.Is(err, vfs.ErrPowerCut) {
			return
		}
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed + int64(w)))
			for i := 0; i < n; i++ {
				id := base + int64(w)*10000 + int64(i)
				err := transfer(db, r, id, bl)
				if err != nil {
					if sqlerr.Code(err) == sqlerr.ErrLockWaitTimeout {
						continue
					}
					return
				}
				bl.mu.Lock()
				bl.acked[id] = true
				bl.mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
}

func transfer(db *DB, r *rand.Rand, id int64, bl *bankLog) error {
	src := []string{"a", "b"}[r.Intn(2)]
	dst := []string{"a", "b"}[r.Intn(2)]
	si, di := int64(r.Intn(bankAccounts)), int64(r.Intn(bankAccounts))
	amount := int64(1 + r.Intn(50))
	tx, err := db.Begin(bg)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Lock in a fixed order so two transfers cannot wait on each other.
	for _, name := range []string{"a", "b", "ledger"} {
		if err := tx.LockForWrite(name); err != nil {
			return err
		}
	}
	hs, rs, ok, err := tx.Get(src, []any{si})
	if err != nil || !ok {
		return fmt.Errorf("get %s %d: %v %v", src, si, ok, err)
	}
	rs[2] = rs[2].(int64) - amount
	rs[3] = fmt.Sprintf("out %d", id)
	if _, err := tx.Update(src, hs, rs); err != nil {
		return err
	}
	hd, rd, ok, err := tx.Get(dst, []any{di})
	if err != nil || !ok {
		return fmt.Errorf("get %s %d: %v %v", dst, di, ok, err)
	}
	rd[2] = rd[2].(int64) + amount
	if _, err := tx.Update(dst, hd, rd); err != nil {
		return err
	}
	lr := Row{id, fmt.Sprintf("%s%d", src, si), fmt.Sprintf("%s%d", dst, di), amount}
	bl.mu.Lock()
	bl.attempted[id] = lr
	bl.mu.Unlock()
	if _, _, err := tx.Insert("ledger", lr); err != nil {
		return err
	}
	return tx.Commit()
}

// checkBank reopens dir and checks: every acknowledged transfer is in the
// ledger, every ledger row was attempted, each balance equals the start plus
// the ledger's transfers, the total is unchanged, and CHECK TABLE is OK.
func checkBank(t *testing.T, fs vfs.FS, dir string, bl *bankLog) {
	t.Helper()
	db, err := Open(dir, Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatalf("Open after the cut: %v", err)
	}
	defer db.Close()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	want := map[string]int64{}
	found := map[int64]bool{}
	err = tx.Scan("ledger", Scan{}, func(h Handle, r Row) (bool, error) {
		id := r[0].(int64)
		a, ok := bl.attempted[id]
		if !ok || fmt.Sprint(a) != fmt.Sprint(r) {
			return false, fmt.Errorf("ledger row %v was never committed (attempted %v)", r, a)
		}
		found[id] = true
		want[r[1].(string)] -= r[3].(int64)
		want[r[2].(string)] += r[3].(int64)
		return true, nil
	})
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	for id := range bl.acked {
		if !found[id] {
			t.Fatalf("acknowledged transfer %d lost", id)
		}
	}
	total := int64(0)
	for _, name := range []string{"a", "b"} {
		n := 0
		err := tx.Scan(name, Scan{Index: "by_balance"}, func(h Handle, r Row) (bool, error) {
			owner := r[1].(string)
			if got, exp := r[2].(int64), bankStart+want[owner]; got != exp {
				return false, fmt.Errorf("%s: balance %d, ledger says %d", owner, got, exp)
			}
			total += r[2].(int64)
			n++
			return true, nil
		})
		if err != nil {
			t.Fatalf("table %s: %v", name, err)
		}
		if n != bankAccounts {
			t.Fatalf("table %s: %d accounts through by_balance, want %d", name, n, bankAccounts)
		}
	}
	if total != 2*bankAccounts*bankStart {
		t.Fatalf("total %d, want %d", total, 2*bankAccounts*bankStart)
	}
	for _, name := range []string{"a", "b", "ledger"} {
		rep, err := db.Check(bg, name)
		if err != nil || !rep.OK {
			t.Fatalf("CHECK TABLE %s: %v %v", name, rep.Problems, err)
		}
	}
	// What recovery kept is now committed for good.
	bl.mu.Lock()
	for id := range found {
		bl.acked[id] = true
	}
	bl.mu.Unlock()
}

// TestPowerCutBank cuts the power at every sync point of a workload of
// concurrent transfers between two crash-safe tables (with checkpoints
// running), once per sync point with its own seed, then recovers and checks
// the bank; then works on, cuts again at a random point and checks again.
// BLITZ_TORTURE=1 runs every sync point for several seeds.
func TestPowerCutBank(t *testing.T) {
	skipUnderRace(t)
	seeds := 1
	if os.Getenv("BLITZ_TORTURE") != "" {
		seeds = 5
	}
	base := bankSeed(t)
	const workers, n = 3, 25
	dir := t.TempDir() // index files live on the real disk; they are rebuilt after every cut
	probe := vfs.NewCrash()
	setupBank(t, probe, dir)
	start := probe.SyncPoints()
	bankWorkload(t, probe, dir, base, newBankLog(), workers, n, 0)
	points := probe.SyncPoints() - start
	if points < 20 {
		t.Fatalf("only %d sync points", points)
	}
	t.Logf("%d sync points in an uncut run", points)
	for s := 0; s < seeds; s++ {
		for k := 1; k <= points; k++ {
			sd := base + int64(s)*100003 + int64(k)
			fs := vfs.NewCrash()
			setupBank(t, fs, dir)
			bl := newBankLog()
			fs.CutPowerAtSync(k, sd)
			bankWorkload(t, fs, dir, sd, bl, workers, n, 0)
			after := fs.AfterCut()
			if t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) { checkBank(t, after, dir, bl) }) {
				r := rand.New(rand.NewSource(sd))
				after.CutPowerAtSync(1+r.Intn(points), sd+1)
				bankWorkload(t, after, dir, sd+7, bl, workers, n/2, 1_000_000)
				t.Run(fmt.Sprintf("k=%d/again", k), func(t *testing.T) { checkBank(t, after.AfterCut(), dir, bl) })
			}
			if t.Failed() {
				t.Fatalf("seed %d k %d failed (BLITZ_SEED=%d replays the series)", sd, k, base)
			}
		}
	}
}

// TestPowerCutPlainTable: a table without CRASH_SAFE reopens flagged
// crashed after a cut (error 1194 without AutoRecover), and recovers to a
// state that passes CHECK TABLE and holds everything Sync made durable.
func TestPowerCutPlainTable(t *testing.T) {
	skipUnderRace(t)
	base := bankSeed(t)
	for s := int64(0); s < 8; s++ {
		dir := t.TempDir()
		fs := vfs.NewCrash()
		db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateTable(bg, accountsDef("p", false)); err != nil {
			t.Fatal(err)
		}
		durable := map[int64]Row{}
		for i := int64(0); i < 200; i++ {
			r := Row{i, fmt.Sprintf("o%d", i), i * 3, fmt.Sprint("note ", i)}
			insert(t, db, "p", r)
			durable[i] = r
		}
		if err := db.Sync(); err != nil {
			t.Fatal(err)
		}
		// Unsynced work: overwrites, deletes and inserts.
		r := rand.New(rand.NewSource(base + s))
		touched := map[int64]bool{}
		for i := 0; i < 300; i++ {
			id := int64(r.Intn(400))
			touched[id] = true
			tx := mustTx(t, db)
			if h, old, ok, _ := tx.Get("p", []any{id}); ok && r.Intn(3) == 0 {
				tx.Delete("p", h)
			} else if ok {
				old[2] = old[2].(int64) + 1
				tx.Update("p", h, old)
			} else {
				tx.Insert("p", Row{id, fmt.Sprintf("o%d", id), id, nil})
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		cutPower(db, fs, base+s)
		db.Close()
		after := fs.AfterCut()

		db, err = Open(dir, Options{FS: after, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("Open without AutoRecover: %v", err)
		}
		tx, _ := db.Begin(bg)
		_, _, _, err = tx.Get("p", []any{int64(1)})
		tx.Rollback()
		if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !containsAll(err.Error(), "REPAIR TABLE", "auto-recover") {
			t.Fatalf("crashed table answered: %v", err)
		}
		st, err := db.Status("p")
		if err != nil || !st.Crashed {
			t.Fatalf("Status: %+v %v", st, err)
		}
		db.Close()

		db, err = Open(dir, Options{FS: after, AutoRecover: true, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("Open with AutoRecover: %v", err)
		}
		rep, err := db.Check(bg, "p")
		if err != nil || !rep.OK {
			t.Fatalf("CHECK after recovery: %v %v", rep.Problems, err)
		}
		// Everything synced is there, possibly updated or deleted by the
		// unsynced work, and whatever is there reads consistently through
		// both indexes.
		tx, _ = db.Begin(bg)
		viaPK := map[int64]string{}
		tx.Scan("p", Scan{Index: "PRIMARY"}, func(h Handle, r Row) (bool, error) {
			viaPK[r[0].(int64)] = fmt.Sprint(r)
			return true, nil
		})
		for _, ix := range []string{"by_owner", "by_balance"} {
			n := 0
			tx.Scan("p", Scan{Index: ix}, func(h Handle, r Row) (bool, error) {
				if viaPK[r[0].(int64)] != fmt.Sprint(r) {
					t.Errorf("%s gives %v, primary key gives %q", ix, r, viaPK[r[0].(int64)])
				}
				n++
				return true, nil
			})
			if n != len(viaPK) {
				t.Fatalf("%s has %d rows, primary key %d", ix, n, len(viaPK))
			}
		}
		tx.Rollback()
		db.Close()
		for id, r := range durable {
			if !touched[id] && viaPK[id] != fmt.Sprint(r) {
				t.Fatalf("synced row %d lost or changed: %q", id, viaPK[id])
			}
		}
	}
}

// skipUnderRace skips a test that cuts the power while other goroutines
// write through a mapping (see vfs.RaceEnabled).
func skipUnderRace(t *testing.T) {
	if vfs.RaceEnabled {
		t.Skip("power cuts read mapped memory other goroutines write: a race by construction; run without -race")
	}
}
