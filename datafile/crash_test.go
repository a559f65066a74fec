package datafile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// powerFS is the OS filesystem with a memory of what was last synced, so a
// test can cut the power: every 512-byte sector written since the last Sync
// (through WriteAt or a mapping) is then kept, dropped (back to its synced
// content) or, if garbage is set, filled with random bytes. It is local to
// this package's tests until internal/vfs has its CrashFS.
type powerFS struct {
	vfs.FS
	mu     sync.Mutex
	synced map[string][]byte // name -> content at its last Sync
}

type powerFile struct {
	vfs.File
	fs *powerFS
}

func newPowerFS() *powerFS { return &powerFS{FS: vfs.Default, synced: map[string][]byte{}} }

func (p *powerFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := p.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &powerFile{File: f, fs: p}, nil
}

func (p *powerFS) SyncDir(string) error { return nil }

// Sync records the file's content as durable (no real fsync: the test
// never loses real power, and this keeps it fast).
func (f *powerFile) Sync() error {
	b, err := vfs.ReadFile(vfs.Default, f.Name())
	if err != nil {
		return err
	}
	f.fs.mu.Lock()
	f.fs.synced[f.Name()] = b
	f.fs.mu.Unlock()
	return nil
}

// cut writes to dst what name would hold after a power cut now.
func (p *powerFS) cut(t *testing.T, name, dst string, r *rand.Rand, garbage bool) (garbled []int64) {
	t.Helper()
	cur, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	old := p.synced[name]
	p.mu.Unlock()
	out := append([]byte(nil), cur...)
	for s := 0; s < len(out); s += sectorSize {
		e := min(s+sectorSize, len(out))
		var was []byte
		if s < len(old) {
			was = old[s:min(e, len(old))]
		}
		if bytes.Equal(cur[s:e], append(was, make([]byte, e-s-len(was))...)) {
			continue
		}
		switch n := r.IntN(3); {
		case n == 0: // kept
		case n == 1 || !garbage: // dropped
			copy(out[s:e], was)
			clear(out[s+len(was) : e])
		default:
			for i := s; i < e; i++ {
				out[i] = byte(r.Uint32())
			}
			garbled = append(garbled, int64(s))
		}
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return garbled
}

// seedFromEnv returns the seed in env BLITZ_SEED, or def.
func seedFromEnv(def uint64) uint64 {
	if s, err := strconv.ParseUint(os.Getenv("BLITZ_SEED"), 10, 64); err == nil {
		return s
	}
	return def
}

// TestCrashPowerCut runs random workloads (puts of varying sizes, so
// overwrites both rewrite in place and move; deletes; syncs; bucket growth),
// cuts the power at a random point, and checks that the file opens with the
// open flag set, that a writer's rebuild leaves a file that verifies, and
// that Salvage recovers every record synced before the cut and not touched
// since, and never a value that was not written. With garbage sectors, a
// synced record sharing a garbled sector is excused: in-place storage cannot
// keep bytes a disk destroys.
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
	dir := t.TempDir()
	path := filepath.Join(dir, "c.bdf")
	pfs := newPowerFS()
	df, err := Open(path, Options{FS: pfs, Buckets: 16})
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
	// Cut the power with the file still open.
	after := filepath.Join(dir, "after.bdf")
	garbled := pfs.cut(t, path, after, r, garbage)
	df.mu.Lock()
	df.closed = true
	df.release()
	df.mu.Unlock()

	// Which synced records sit in a garbled sector? Find them in the synced image.
	excused := map[string]bool{}
	if len(garbled) > 0 {
		img := pfs.synced[path]
		bad := map[int64]bool{}
		for _, s := range garbled {
			bad[s] = true
		}
		for off := int64(headerPage); off+blockHeader <= int64(len(img)); {
			h, size, why := checkBlock(img[off:])
			if why != "" {
				break
			}
			if h.kind == kindRecord {
				for s := off &^ (sectorSize - 1); s < off+size; s += sectorSize {
					if bad[s] {
						excused[string(img[off+blockHeader:off+blockHeader+int64(h.klen)])] = true
					}
				}
			}
			off += size
		}
	}

	// Salvage recovers every synced, untouched, unexcused record.
	dst := filepath.Join(dir, "salvaged.bdf")
	rep, err := Salvage(after, dst, Options{})
	if err != nil {
		t.Fatalf("Salvage: %v", err)
	}
	got := map[string]string{}
	sdf, err := Open(dst, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sdf.Iterate(func(k, v []byte) error { got[string(k)] = string(v); return nil })
	sdf.Close()
	check := func(what string, got map[string]string) {
		t.Helper()
		for k, v := range synced {
			if _, ok := touched[k]; ok || excused[k] {
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
			if !ok && !excused[k] {
				t.Errorf("%s: key %s holds %.20q, a value never written", what, k, v)
			}
		}
		for k := range synced {
			if _, ok := got[k]; !ok && touched[k] == nil && !excused[k] {
				t.Errorf("%s: synced key %s lost", what, k)
			}
		}
	}
	check("salvage", got)
	t.Logf("garbled sectors %d, excused %d, touched %d, synced %d, salvaged %d, damaged regions %d", len(garbled), len(excused), len(touched), len(synced), len(got), rep.Damaged)

	// The file itself opens after the cut, says it was not closed, and a
	// writer's rebuild leaves it consistent with the same records.
	wdf, err := Open(after, Options{})
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
	if v, err := Verify(after, Options{}); err != nil || !v.OK() && v.Flags&FlagFatal == 0 {
		t.Fatalf("Verify after rebuild: %v %q", err, v.Problems)
	}
}
