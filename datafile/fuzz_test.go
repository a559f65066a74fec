package datafile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenSalvage opens arbitrary bytes as a data file (reader, then
// writer, which runs the unclean-open rebuild when the open flag is set),
// reads through it, and salvages it. Nothing may panic or hang, and since
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
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.bdf")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if df, err := Open(path, Options{ReadOnly: true}); err == nil {
			df.Get(key(0))
			df.Iterate(func(k, v []byte) error { return nil })
			df.Stats()
			df.Close()
		}
		Verify(path, Options{})
		if _, err := Salvage(path, filepath.Join(dir, "s.bdf"), Options{}); err != nil {
			t.Fatalf("Salvage: %v", err)
		}
		if len(data) == 0 {
			return // a writer would create a new file
		}
		if df, err := Open(path, Options{}); err == nil {
			df.Put(key(1), value(1))
			df.Get(key(2))
			df.Delete(key(3))
			df.Iterate(func(k, v []byte) error { return nil })
			df.Close()
		}
	})
}
