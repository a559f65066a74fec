package datafile

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
)

// TestRewriteOddRecords runs Optimize and Salvage over records that take
// compactWriter's less common paths: values larger than its buffer (written
// straight from the source), records carrying slack (reused space, so the
// copy must be resealed with slack 0), and empty keys and values.
func TestRewriteOddRecords(t *testing.T) {
	big := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, writeChunk+1000*i+3) }
	want := map[string][]byte{}
	df, path := mustOpen(t, Options{Buckets: 64})
	put := func(k string, v []byte) {
		t.Helper()
		if err := df.Put([]byte(k), v); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	for i := 0; i < 3; i++ {
		put(fmt.Sprintf("big%d", i), big(i))
	}
	put("", nil)
	put("novalue", nil)
	// A 96-byte record deleted, then a 80-byte one in its place: reused
	// with one unit of slack (a 16-byte remainder cannot be a free block).
	put("slack", make([]byte, 96-blockHeader-5))
	if err := df.Delete([]byte("slack")); err != nil {
		t.Fatal(err)
	}
	delete(want, "slack")
	put("slac2", make([]byte, 80-blockHeader-5))
	for i := 0; i < 500; i++ {
		put(string(key(i)), value(i))
	}
	// A big record reused for a smaller value: slack on a large block.
	put("big1", big(0)[:writeChunk-200])
	slack := 0
	for off := int64(headerPage); off < int64(df.hdr.tail); {
		h := readBlockHdr(df.m[off:])
		if h.kind == kindRecord && h.slack != 0 {
			slack++
		}
		off += h.size()
	}
	if slack < 2 {
		t.Fatalf("%d records with slack in the source, want 2", slack)
	}
	df.Close()

	check := func(what, p string) {
		t.Helper()
		v, err := Verify(p, Options{})
		if err != nil || !v.OK() {
			t.Fatalf("%s: Verify: %v %q", what, err, v.Problems)
		}
		if v.FreeBytes != 0 || v.Records != int64(len(want)) {
			t.Fatalf("%s: %d records, %d free bytes; want %d, 0", what, v.Records, v.FreeBytes, len(want))
		}
		r := mustOpenPath(t, p, Options{ReadOnly: true})
		defer r.Close()
		for k, w := range want {
			if got, err := r.Get([]byte(k)); err != nil || !bytes.Equal(got, w) {
				t.Fatalf("%s: Get(%q): %d bytes, %v; want %d bytes", what, k, len(got), err, len(w))
			}
		}
		// Every block is compact: no slack anywhere.
		m := r.m[:r.hdr.tail]
		for off := int64(headerPage); off < int64(len(m)); {
			h := readBlockHdr(m[off:])
			if h.slack != 0 {
				t.Fatalf("%s: block at %d has slack %d", what, off, h.slack)
			}
			off += h.size()
		}
	}
	dst := filepath.Join(t.TempDir(), "s.bdf")
	if _, err := Salvage(path, dst, Options{}); err != nil {
		t.Fatal(err)
	}
	check("salvage", dst)
	if err := Optimize(path, 0, Options{}); err != nil {
		t.Fatal(err)
	}
	check("optimize", path)
}

// TestOptimizeUncleanKeepsNewest optimizes a file whose writer died after
// an overwrite whose old version the scan can still see, and checks that
// the newest version of each key is the one kept.
func TestOptimizeUncleanKeepsNewest(t *testing.T) {
	df, path := mustOpen(t, Options{Buckets: 64})
	for i := 0; i < 200; i++ {
		df.Put(key(i), value(i))
	}
	df.Sync()
	// Append an older and a newer duplicate of two keys as raw blocks, as a
	// torn overwrite could leave them, then die without closing.
	df.mu.Lock()
	for _, d := range []struct {
		i   int
		seq uint64
		v   string
	}{{3, 0, "older"}, {4, 1 << 40, "newer"}} {
		n := recordSize(len(key(d.i)), len(d.v))
		off, err := df.allocLocked(n)
		if err != nil {
			t.Fatal(err)
		}
		writeRecord(df.m[off:off+n], key(d.i), []byte(d.v), hashKey(key(d.i)), d.seq, 0, 0)
	}
	df.mu.Unlock()
	df.Sync()
	abandon(t, df)
	if err := Optimize(path, 0, Options{}); err != nil {
		t.Fatal(err)
	}
	r := mustOpenPath(t, path, Options{ReadOnly: true})
	if s := r.Stats(); s.Records != 200 {
		t.Fatalf("%d records after Optimize, want 200", s.Records)
	}
	mustGet(t, r, key(3), string(value(3)))
	mustGet(t, r, key(4), "newer")
	mustGet(t, r, key(5), string(value(5)))
}

// TestKeyIndexGrows indexes far more records than the index was sized for
// (as when Salvage finds no header to size it by), with every key twice,
// and checks that growing the table loses no record and no duplicate.
func TestKeyIndexGrows(t *testing.T) {
	const n = 5000
	var m []byte
	m = append(m, make([]byte, headerPage)...)
	var offs []int64
	for round := 0; round < 2; round++ {
		for i := 0; i < n; i++ {
			v := value(i)
			if round == 1 {
				v = []byte("second")
			}
			b := make([]byte, recordSize(len(key(i)), len(v)))
			writeRecord(b, key(i), v, hashKey(key(i)), uint64(round*n+i+1), 0, 0)
			offs = append(offs, int64(len(m)))
			m = append(m, b...)
		}
	}
	x := newKeyIndex(m, 1)
	var dups int64
	for i, off := range offs {
		klen := int64(le.Uint32(m[off+24:]))
		_, d, replaced := x.addBatch([]scanned{{off: off, hash: hashKey(m[off+blockHeader : off+blockHeader+klen])}})
		dups += d
		if replaced != (i >= n) {
			t.Fatalf("record %d: replaced = %v", i, replaced)
		}
	}
	if len(x.ents) != n || dups != n || len(x.slots) < 2*n {
		t.Fatalf("%d entries, %d dups, %d slots; want %d, %d, at least %d", len(x.ents), dups, len(x.slots), n, n, 2*n)
	}
	for i, e := range x.ents {
		if e.off != offs[n+i] {
			t.Fatalf("entry %d is at %d, want the second version at %d", i, e.off, offs[n+i])
		}
	}
}
