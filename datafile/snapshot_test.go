package datafile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSnapshot: the snapshot of a file open for writing (flag open,
// stale header on disk, free space from deletes) opens without recovery,
// verifies, and holds exactly the records of that moment; the live file goes
// on unchanged.
func TestWriteSnapshot(t *testing.T) {
	dir := t.TempDir()
	df, err := Open(filepath.Join(dir, "live.bdf"), Options{Buckets: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	want := map[string]string{}
	for i := 0; i < 2000; i++ {
		k, v := fmt.Sprintf("k%d", i), fmt.Sprintf("value %d %s", i, bytes.Repeat([]byte("x"), i%50))
		if err := df.Put([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	for i := 0; i < 2000; i += 3 {
		k := fmt.Sprintf("k%d", i)
		if err := df.Delete([]byte(k)); err != nil {
			t.Fatal(err)
		}
		delete(want, k)
	}
	var buf bytes.Buffer
	n, err := df.WriteSnapshot(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteSnapshot: %d %v", n, err)
	}
	gen := snapshotGeneration(buf.Bytes()[headerPage:])
	if err := df.Put([]byte("after"), []byte("x")); err != nil { // not in the snapshot
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "snap.bdf")
	if err := os.WriteFile(snap, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(snap, Options{ReadOnly: true})
	if err != nil || !rep.OK() {
		t.Fatalf("Verify snapshot: %v %+v", err, rep)
	}
	s, err := Open(snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.FoundFlags() != 0 || s.FoundGeneration() != gen {
		t.Fatalf("snapshot flags %v generation %d, want none and %d", s.FoundFlags(), s.FoundGeneration(), gen)
	}
	got := map[string]string{}
	if err := s.Iterate(func(k, v []byte) error { got[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || s.Stats().Records != int64(len(want)) {
		t.Fatalf("snapshot has %d records (header %d), want %d", len(got), s.Stats().Records, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("snapshot %s = %q, want %q", k, got[k], v)
		}
	}
	// Space freed before the snapshot is reused in it.
	if err := s.Put([]byte("new"), []byte("v")); err != nil {
		t.Fatal(err)
	}
}

// TestWriteSnapshotDeterministic: snapshots of the same content taken by
// different opens of a file are byte-identical (an incremental backup store
// then keeps one copy); a change gives a different image and generation.
func TestWriteSnapshotDeterministic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.bdf")
	snap := func(put bool) []byte {
		df, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer df.Close()
		if put {
			for i := 0; i < 100; i++ {
				if err := df.Put([]byte(fmt.Sprint("k", i)), []byte("v")); err != nil {
					t.Fatal(err)
				}
			}
		}
		var b bytes.Buffer
		if _, err := df.WriteSnapshot(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a := snap(true)
	b := snap(false) // a new open: the live generation moved on
	if !bytes.Equal(a, b) {
		t.Fatal("two snapshots of the same content differ")
	}
	df, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := df.Delete([]byte("k5")); err != nil {
		t.Fatal(err)
	}
	df.Close()
	c := snap(false)
	if bytes.Equal(a, c) || snapshotGeneration(a[headerPage:]) == snapshotGeneration(c[headerPage:]) {
		t.Fatal("a delete left the snapshot (or its generation) unchanged")
	}
}
