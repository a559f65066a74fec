package datafile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// seedFromEnv returns the seed in env BLITZ_SEED, or def.
func seedFromEnv(def uint64) uint64 {
	if s, err := strconv.ParseUint(os.Getenv("BLITZ_SEED"), 10, 64); err == nil {
		return s
	}
	return def
}

// TestCrashPowerCut runs random workloads (puts of varying sizes, so
// overwrites both rewrite in place and move; deletes; syncs; bucket growth)
// on a vfs.CrashFS, cuts the power at a random point, and checks that the
// file opens with the open flag set, that a writer's rebuild leaves a file
// that verifies, and that Salvage recovers every record synced before the
// cut and not touched since, and never a value that was not written. With
// garbage, every sector written since the last sync may come back with
// random bytes where its content changed (CrashFS's powersafe-overwrite
// model): a synced record no write touched keeps every byte its checksum
// covers, so no record is excused.
func TestCrashPowerCut(t *testing.T) {
	iters := 30
	if os.Getenv("BLITZ_TORTURE") == "1" {
		iters = 1000
	}
	base := seedFromEnv(1)
	for it := 0; it < iters; it++ {
		seed := base + uint64(it)
		for _, garbage := range []bool{false, true} {
			t.Run(fmt.Sprintf("seed=%d/garbage=%v", seed, garbage), func(t *testing.T) {
				crashOnce(t, seed, garbage)
			})
		}
	}
}

func crashOnce(t *testing.T, seed uint64, garbage bool) {
	r := rand.New(rand.NewPCG(seed, 7))
	const dir = "/crash"
	path := filepath.Join(dir, "c.bdf")
	cfs := vfs.NewCrash()
	if !garbage {
		cfs.NoGarbage()
	}
	if err := cfs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	df, err := Open(path, Options{FS: cfs, Buckets: 16})
	if err != nil {
		t.Fatal(err)
	}
	// model: key -> every value written since the last sync (and the synced one first).
	synced := map[string]string{}    // state at the last Sync
	touched := map[string][]string{} // keys written since the last Sync -> values written
	live := map[string]string{}      // current state
	nkeys := 50 + r.IntN(300)
	ops := 50 + r.IntN(1500)
	for i := 0; i < ops; i++ {
		k := fmt.Sprintf("key-%d", r.IntN(nkeys))
		switch n := r.IntN(100); {
		case n < 65:
			v := fmt.Sprintf("%d:%s", i, bytes.Repeat([]byte{'v'}, r.IntN(300)))
			if err := df.Put([]byte(k), []byte(v)); err != nil {
				t.Fatal(err)
			}
			live[k] = v
			touched[k] = append(touched[k], v)
		case n < 90:
			err := df.Delete([]byte(k))
			if _, ok := live[k]; ok != (err == nil) {
				t.Fatalf("Delete(%s): %v", k, err)
			}
			delete(live, k)
			touched[k] = append(touched[k], "")
		default:
			if err := df.Sync(); err != nil {
				t.Fatal(err)
			}
			synced = map[string]string{}
			for k, v := range live {
				synced[k] = v
			}
			touched = map[string][]string{}
		}
	}
	// Cut the power with the file still open; what the disk holds is in
	// the CrashFS AfterCut returns.
	cfs.CutPower(int64(seed))
	df.mu.Lock()
	df.closed = true
	df.release()
	df.mu.Unlock()
	after := cfs.AfterCut()

	// Salvage recovers every record synced and not touched since.
	dst := filepath.Join(dir, "salvaged.bdf")
	rep, err := Salvage(path, dst, Options{FS: after})
	if err != nil {
		t.Fatalf("Salvage: %v", err)
	}
	got := map[string]string{}
	sdf, err := Open(dst, Options{FS: after, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sdf.Iterate(func(k, v []byte) error { got[string(k)] = string(v); return nil })
	sdf.Close()
	check := func(what string, got map[string]string) {
		t.Helper()
		for k, v := range synced {
			if _, ok := touched[k]; ok {
				continue
			}
			if got[k] != v {
				t.Errorf("%s: synced key %s = %.20q, want %.20q (report %+v)", what, k, got[k], v, rep)
			}
		}
		for k, v := range got {
			ok := synced[k] == v
			for _, w := range touched[k] {
				ok = ok || w == v
			}
			if !ok {
				t.Errorf("%s: key %s holds %.20q, a value never written", what, k, v)
			}
		}
		for k := range synced {
			if _, ok := got[k]; !ok && touched[k] == nil {
				t.Errorf("%s: synced key %s lost", what, k)
			}
		}
	}
	check("salvage", got)
	t.Logf("touched %d, synced %d, salvaged %d, damaged regions %d", len(touched), len(synced), len(got), rep.Damaged)

	// The file itself opens after the cut, says it was not closed, and a
	// writer's rebuild leaves it consistent with the same records.
	wdf, err := Open(path, Options{FS: after})
	if err != nil {
		t.Fatalf("open after power cut: %v", err)
	}
	if wdf.FoundFlags()&FlagOpen == 0 {
		t.Fatalf("FoundFlags after power cut = %v", wdf.FoundFlags())
	}
	got2 := map[string]string{}
	if err := wdf.Iterate(func(k, v []byte) error { got2[string(k)] = string(v); return nil }); err != nil {
		t.Fatalf("Iterate after rebuild: %v", err)
	}
	for k, v := range got2 {
		if g, err := wdf.Get([]byte(k)); err != nil || string(g) != v {
			t.Fatalf("Get(%s) after rebuild: %v", k, err)
		}
	}
	wdf.Put([]byte("after"), []byte("cut"))
	if err := wdf.Close(); err != nil {
		t.Fatal(err)
	}
	check("rebuild", got2)
	if v, err := Verify(path, Options{FS: after}); err != nil || !v.OK() && v.Flags&FlagFatal == 0 {
		t.Fatalf("Verify after rebuild: %v %q", err, v.Problems)
	}
}
