package datafile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// FuzzOpenSalvage opens arbitrary bytes as a data file (reader, then
// writer, which runs the unclean-open rebuild when the open flag is set),
// reads through it, asks HoldsRecords (which must not say "none" of a file
// Salvage keeps records of), and salvages it. Nothing may panic or hang, and since
// every length is checked against the file's size before use, nothing
// allocates in proportion to a corrupt length field.
func FuzzOpenSalvage(f *testing.F) {
	seed := func(n int, crash bool) []byte {
		path := filepath.Join(f.TempDir(), "seed.bdf")
		df, err := Open(path, Options{Buckets: 8})
		if err != nil {
			f.Fatal(err)
		}
		for i := 0; i < n; i++ {
			df.Put(key(i), value(i))
		}
		df.Delete(key(1))
		if crash {
			df.mu.Lock()
			df.hdr.tail = min(df.hdr.tail, 8192)
			df.closed = true
			df.release()
			df.mu.Unlock()
		} else {
			df.Close()
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		return b[:min(len(b), 8192)] // large inputs slow the fuzzer to a crawl
	}
	f.Add(seed(5, false))
	f.Add(seed(30, true))
	f.Add([]byte{})
	f.Add(make([]byte, headerPage+64))
	f.Fuzz(fuzzOpenSalvage)
}

// fuzzOpenSalvage is FuzzOpenSalvage's body.
func fuzzOpenSalvage(t *testing.T, data []byte) {
	{
		// An in-memory filesystem: on disk, the syncs of Salvage and of a
		// writer's open and close made each input take tens of
		// milliseconds, and the fuzzer crawled to a stop.
		mem := vfs.NewMem()
		const dir = "/fuzz"
		path := filepath.Join(dir, "f.bdf")
		if err := mem.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		wf, err := vfs.Create(mem, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wf.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		wf.Close()
		o := Options{FS: mem}
		ro := Options{FS: mem, ReadOnly: true}
		if df, err := Open(path, ro); err == nil {
			df.Get(key(0))
			df.Iterate(func(k, v []byte) error { return nil })
			df.Stats()
			df.Close()
		}
		Verify(path, o)
		VerifyCrashed(path, o)
		holds, holdsErr := HoldsRecords(path, o)
		r, err := Salvage(path, filepath.Join(dir, "s.bdf"), o)
		if !holds && holdsErr == nil && err == nil && r.Kept > 0 {
			// A file said to hold no record must hold none a salvage
			// finds: an orphan data file judged empty is replaced.
			t.Fatalf("HoldsRecords: false, but Salvage kept %d records", r.Kept)
		}
		switch {
		case errors.Is(err, ErrNotDataFile):
			// Nothing of ours in it: refused, and no destination left.
			if r.HeaderValid || r.Blocks > 0 {
				t.Fatalf("Salvage: %v with a valid header or %d good blocks", err, r.Blocks)
			}
			if _, serr := mem.Stat(filepath.Join(dir, "s.bdf")); serr == nil {
				t.Fatal("Salvage refused the source but left a destination")
			}
		case err != nil:
			t.Fatalf("Salvage: %v", err)
		}
		if len(data) == 0 {
			return // a writer would create a new file
		}
		if df, err := Open(path, o); err == nil {
			df.Put(key(1), value(1))
			df.Get(key(2))
			df.Delete(key(3))
			df.Iterate(func(k, v []byte) error { return nil })
			df.Close()
		}
	}
}
