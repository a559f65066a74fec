package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/keyenc"
	bolt "go.etcd.io/bbolt"
)

// seed returns the seed of a randomized test, from BLITZ_SEED when set, and
// logs it so that a failure can be replayed.
func seed(t testing.TB) int64 {
	s := time.Now().UnixNano() % 1e9
	if env := os.Getenv("BLITZ_SEED"); env != "" {
		s, _ = strconv.ParseInt(env, 10, 64)
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", s, s)
	return s
}

func torture() bool { return os.Getenv("BLITZ_TORTURE") == "1" }

// checkFileConsistent runs bbolt's own consistency check on a closed index
// file.
func checkFileConsistent(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("bbolt open %s: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bbolt check %s: %v", path, err)
	}
}

// mustCreate creates an empty index in a temporary directory; cleanup
// abandons it if the test left it open.
func mustCreate(t testing.TB, o Options) *Index {
	t.Helper()
	ix, err := Create(filepath.Join(t.TempDir(), "t.i.bix"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Abandon() })
	return ix
}

func pkOf(i int) []byte { return keyenc.AppendInt(nil, int64(i)) }

func colsOf(a int, s string) []byte {
	var b []byte
	if a < 0 {
		b = keyenc.AppendNull(b)
	} else {
		b = keyenc.AppendInt(b, int64(a))
	}
	return keyenc.AppendBytes(b, []byte(s))
}

// model is the reference: a sorted set of (cols, pk) entries.
type model struct {
	unique bool
	ents   []entry
}

type entry struct{ cols, pk []byte }

func cmpEntry(a, b entry) int {
	if c := bytes.Compare(a.cols, b.cols); c != 0 {
		return c
	}
	return bytes.Compare(a.pk, b.pk)
}

func (m *model) owner(cols []byte) []byte {
	if !m.unique || keyenc.HasNull(cols) {
		return nil
	}
	i, _ := slices.BinarySearchFunc(m.ents, entry{cols: cols}, cmpEntry)
	if i < len(m.ents) && bytes.Equal(m.ents[i].cols, cols) {
		return m.ents[i].pk
	}
	return nil
}

func (m *model) insert(cols, pk []byte) bool {
	if o := m.owner(cols); o != nil {
		return bytes.Equal(o, pk)
	}
	e := entry{cols, pk}
	if i, found := slices.BinarySearchFunc(m.ents, e, cmpEntry); !found {
		m.ents = slices.Insert(m.ents, i, e)
	}
	return true
}

func (m *model) delete(cols, pk []byte) {
	if i, found := slices.BinarySearchFunc(m.ents, entry{cols, pk}, cmpEntry); found {
		m.ents = slices.Delete(m.ents, i, i+1)
	}
}

// scan returns the model's entries between lo and hi, comparing each
// entry's column prefix as Bound documents.
func (m *model) scan(lo, hi Bound, reverse bool) []entry {
	var out []entry
	for _, e := range m.ents {
		if !lo.Unbounded {
			p := e.cols[:min(len(e.cols), len(lo.Key))]
			if c := bytes.Compare(p, lo.Key); c < 0 || c == 0 && !lo.Inclusive {
				continue
			}
		}
		if !hi.Unbounded {
			p := e.cols[:min(len(e.cols), len(hi.Key))]
			if c := bytes.Compare(p, hi.Key); c > 0 || c == 0 && !hi.Inclusive {
				continue
			}
		}
		out = append(out, e)
	}
	if reverse {
		slices.Reverse(out)
	}
	return out
}

func scanAll(t testing.TB, ix *Index, lo, hi Bound, reverse bool) []entry {
	t.Helper()
	var out []entry
	if err := ix.Scan(lo, hi, reverse, func(c, p []byte) bool {
		out = append(out, entry{bytes.Clone(c), bytes.Clone(p)})
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func fmtEntries(es []entry) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("%s/%s ", fmtKey(e.cols), fmtKey(e.pk))
	}
	return s
}

func randBound(r *rand.Rand) Bound {
	switch r.Intn(5) {
	case 0:
		return Bound{Unbounded: true}
	case 1:
		return Bound{Key: keyenc.AppendInt(nil, int64(r.Intn(12))), Inclusive: r.Intn(2) == 0}
	case 2:
		return Bound{Key: keyenc.AppendNull(nil), Inclusive: r.Intn(2) == 0}
	default:
		return Bound{Key: colsOf(r.Intn(12)-1, randStr(r)), Inclusive: r.Intn(2) == 0}
	}
}

func randStr(r *rand.Rand) string { return []string{"", "a", "a\x00", "b", "bb"}[r.Intn(5)] }

// checkAgainst compares every read form of ix with the model.
func checkAgainst(t testing.TB, r *rand.Rand, ix *Index, m *model, what string) {
	t.Helper()
	all := scanAll(t, ix, Bound{Unbounded: true}, Bound{Unbounded: true}, false)
	if !slices.EqualFunc(all, m.ents, func(a, b entry) bool { return cmpEntry(a, b) == 0 }) {
		t.Fatalf("%s: full scan\n got %s\nwant %s", what, fmtEntries(all), fmtEntries(m.ents))
	}
	for i := 0; i < 20; i++ {
		lo, hi, rev := randBound(r), randBound(r), r.Intn(2) == 0
		got, want := scanAll(t, ix, lo, hi, rev), m.scan(lo, hi, rev)
		if !slices.EqualFunc(got, want, func(a, b entry) bool { return cmpEntry(a, b) == 0 }) {
			t.Fatalf("%s: scan %+v %+v rev=%v\n got %s\nwant %s", what, lo, hi, rev, fmtEntries(got), fmtEntries(want))
		}
		n, err := ix.Count(lo, hi)
		if err != nil || n != int64(len(want)) {
			t.Fatalf("%s: count %+v %+v = %d, %v; want %d", what, lo, hi, n, err, len(want))
		}
		key := colsOf(r.Intn(12)-1, randStr(r))
		if r.Intn(2) == 0 {
			key = keyenc.AppendInt(nil, int64(r.Intn(12)))
		}
		var pks [][]byte
		if err := ix.Lookup(key, func(pk []byte) bool { pks = append(pks, bytes.Clone(pk)); return true }); err != nil {
			t.Fatal(err)
		}
		wantE := m.scan(Bound{Key: key, Inclusive: true}, Bound{Key: key, Inclusive: true}, false)
		if len(pks) != len(wantE) {
			t.Fatalf("%s: lookup %s: %d pks, want %d", what, fmtKey(key), len(pks), len(wantE))
		}
		for j := range pks {
			if !bytes.Equal(pks[j], wantE[j].pk) {
				t.Fatalf("%s: lookup %s: pk %d differs", what, fmtKey(key), j)
			}
		}
	}
}

// rebuild builds the index at path from the model's entries, as one row per
// entry.
func rebuild(t testing.TB, path string, m *model, stamp uint64) {
	t.Helper()
	scan := func(yield func(pk, row []byte) error) error {
		for _, e := range m.ents {
			if err := yield(e.pk, e.cols); err != nil {
				return err
			}
		}
		return nil
	}
	spec := BuildSpec{Path: path, Unique: m.unique, Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
		return append(dst, row), nil
	}}
	if _, err := Build(context.Background(), scan, []BuildSpec{spec}, BuildOptions{Stamp: stamp, MemoryBytes: 4096, TempDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	checkFileConsistent(t, path)
}

// TestRandomAgainstModel interleaves inserts, deletes, flushes, clean
// reopens and rebuilds at random, checking every lookup and scan form
// against a sorted-slice model after each step.
func TestRandomAgainstModel(t *testing.T) {
	steps := 300
	if torture() {
		steps = 5000
	}
	for _, unique := range []bool{false, true} {
		t.Run(fmt.Sprintf("unique=%v", unique), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed(t)))
			o := Options{Unique: unique, BufferBytes: 2000, FlushInterval: -1}
			ix := mustCreate(t, o)
			path := ix.Path()
			m := &model{unique: unique}
			stamp := uint64(1)
			for step := 0; step < steps; step++ {
				switch op := r.Intn(100); {
				case op < 55:
					cols, pk := colsOf(r.Intn(12)-1, randStr(r)), pkOf(r.Intn(40))
					ok := m.insert(cols, pk)
					err := ix.Insert(cols, pk)
					if ok != (err == nil) || (err != nil && !errors.Is(err, ErrDuplicate)) {
						t.Fatalf("step %d: insert %s %s: err %v, model ok %v", step, fmtKey(cols), fmtKey(pk), err, ok)
					}
				case op < 80:
					var cols, pk []byte
					if len(m.ents) > 0 && r.Intn(3) > 0 {
						e := m.ents[r.Intn(len(m.ents))]
						cols, pk = e.cols, e.pk
					} else {
						cols, pk = colsOf(r.Intn(12)-1, randStr(r)), pkOf(r.Intn(40))
					}
					m.delete(cols, pk)
					if err := ix.Delete(cols, pk); err != nil {
						t.Fatal(err)
					}
				case op < 88:
					if err := ix.Flush(); err != nil {
						t.Fatal(err)
					}
				case op < 95:
					stamp++
					if err := ix.Close(stamp); err != nil {
						t.Fatal(err)
					}
					checkFileConsistent(t, path)
					var err error
					if ix, err = Open(path, stamp, o); err != nil {
						t.Fatalf("step %d: reopen: %v", step, err)
					}
				default:
					if err := ix.Abandon(); err != nil {
						t.Fatal(err)
					}
					if _, err := Open(path, stamp, o); !errors.Is(err, ErrStale) {
						t.Fatalf("abandoned file opened: %v", err)
					}
					stamp++
					rebuild(t, path, m, stamp)
					var err error
					if ix, err = Open(path, stamp, o); err != nil {
						t.Fatalf("step %d: open rebuilt: %v", step, err)
					}
				}
				if step%5 == 0 {
					checkAgainst(t, r, ix, m, fmt.Sprintf("step %d", step))
				}
			}
			checkAgainst(t, r, ix, m, "end")
			if err := ix.Close(99); err != nil {
				t.Fatal(err)
			}
			checkFileConsistent(t, path)
		})
	}
}

// TestStaleFilesRefused checks that Open refuses, with ErrStale and without
// reading it, every file that is not a cleanly closed index with the asked
// stamp, and that a rebuild makes it usable.
func TestStaleFilesRefused(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bix")
	m := &model{}
	for i := 0; i < 3000; i++ {
		m.insert(colsOf(i%50, "x"), pkOf(i))
	}
	rebuild(t, good, m, 7)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(seed(t)))
	random := make([]byte, len(data))
	r.Read(random)
	torn := bytes.Clone(data)
	copy(torn[:4096], make([]byte, 4096)) // first meta page zeroed: the other still valid
	cases := []struct {
		name  string
		bytes []byte // nil: no file
		stamp uint64
		ok    bool
	}{
		{"missing", nil, 7, false},
		{"empty", []byte{}, 7, false},
		{"random bytes", random, 7, false},
		{"truncated to half", data[:len(data)/2], 7, false},
		{"truncated to one page", data[:4096], 7, false},
		{"wrong stamp", data, 8, false},
		{"first meta page zeroed", torn, 7, false}, // bbolt could read it; the checksum refuses any change
		{"good", data, 7, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.bix")
			if c.bytes != nil {
				if err := os.WriteFile(path, c.bytes, 0o644); err != nil {
					t.Fatal(err)
				}
				// The good file's checksum sidecar goes along: only the
				// content decides.
				sum, err := os.ReadFile(SumPath(good))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(SumPath(path), sum, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ix, err := Open(path, c.stamp, Options{})
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := ix.Count(Bound{Unbounded: true}, Bound{Unbounded: true}); n != 3000 {
					t.Fatalf("count %d", n)
				}
				ix.Abandon()
				return
			}
			if !errors.Is(err, ErrStale) {
				t.Fatalf("Open = %v, want ErrStale", err)
			}
			rebuild(t, path, m, c.stamp)
			ix, err = Open(path, c.stamp, Options{})
			if err != nil {
				t.Fatalf("after rebuild: %v", err)
			}
			if n, _ := ix.Count(Bound{Unbounded: true}, Bound{Unbounded: true}); n != 3000 {
				t.Fatalf("count after rebuild %d", n)
			}
			ix.Close(c.stamp)
		})
	}
}

// TestOpenClearsStamp checks that a file opened for writing and not closed
// (a crash) is refused by the next Open.
func TestOpenClearsStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.bix")
	rebuild(t, path, &model{}, 3)
	ix, err := Open(path, 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix.Insert(colsOf(1, "a"), pkOf(1))
	ix.Flush()
	crashed, _ := os.ReadFile(path) // the file as a crash would leave it
	ix.Close(3)
	copyPath := filepath.Join(t.TempDir(), "crashed.bix")
	os.WriteFile(copyPath, crashed, 0o644)
	if _, err := Open(copyPath, 3, Options{}); !errors.Is(err, ErrStale) {
		t.Fatalf("crashed file: %v, want ErrStale", err)
	}
	if ix, err = Open(path, 3, Options{}); err != nil {
		t.Fatalf("cleanly closed file: %v", err)
	}
	ix.Abandon()
}

func TestUniqueNullsAndDuplicates(t *testing.T) {
	ix := mustCreate(t, Options{Unique: true})
	if err := ix.Insert(colsOf(1, "a"), pkOf(1)); err != nil {
		t.Fatal(err)
	}
	err := ix.Insert(colsOf(1, "a"), pkOf(2))
	var de *DuplicateError
	if !errors.As(err, &de) || !errors.Is(err, ErrDuplicate) || !bytes.Equal(de.OtherPK, pkOf(1)) {
		t.Fatalf("duplicate insert: %v", err)
	}
	ix.Flush() // now the owner is in the file
	if err := ix.Insert(colsOf(1, "a"), pkOf(3)); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate of a flushed entry: %v", err)
	}
	for i := 0; i < 3; i++ { // NULL columns may repeat
		if err := ix.Insert(colsOf(-1, "a"), pkOf(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	ix.Delete(colsOf(1, "a"), pkOf(9)) // not the owner: no effect
	if n, _ := ix.Count(Bound{Unbounded: true}, Bound{Unbounded: true}); n != 4 {
		t.Fatalf("count %d, want 4", n)
	}
	ix.Delete(colsOf(1, "a"), pkOf(1))
	if err := ix.Insert(colsOf(1, "a"), pkOf(2)); err != nil {
		t.Fatalf("insert after delete: %v", err)
	}
}

func TestBuildDuplicateNamesIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.u.bix")
	scan := func(yield func(pk, row []byte) error) error {
		for i := 0; i < 100; i++ {
			if err := yield(pkOf(i), colsOf(i%99, "")); err != nil {
				return err
			}
		}
		return nil
	}
	tmp := t.TempDir()
	_, err := Build(context.Background(), scan, []BuildSpec{{Path: path, Unique: true, Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
		return append(dst, row), nil
	}}}, BuildOptions{MemoryBytes: 1000, TempDir: tmp})
	var de *DuplicateError
	if !errors.As(err, &de) || de.Index != path || !bytes.Equal(de.Cols, colsOf(0, "")) {
		t.Fatalf("Build = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("failed build left %s", path)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if left, _ := os.ReadDir(filepath.Dir(path)); len(left) != 0 {
		t.Fatalf("build files left: %v", left)
	}
}

// TestCloseUnchangedKeepsFile: an index opened and closed with the same
// stamp and no change in between is left byte for byte as it was (no
// stamp rewrite, no checksum pass); a change moves the stamp.
func TestCloseUnchangedKeepsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u.bix")
	ix, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Insert([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(7); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := os.ReadFile(SumPath(path))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		return string(b) + string(s) + fi.ModTime().String()
	}
	before := read()
	ix, err = Open(path, 7, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ix.Lookup([]byte("a"), func(pk []byte) bool { n++; return true })
	if err := ix.Close(7); err != nil || n != 1 {
		t.Fatalf("close: %v, %d entries found", err, n)
	}
	if read() != before {
		t.Fatal("closing an unchanged index rewrote it")
	}
	// A change: the old stamp no longer opens it, the new one does.
	ix, err = Open(path, 7, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Insert([]byte("b"), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(8); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, 7, Options{}); !errors.Is(err, ErrStale) {
		t.Fatalf("old stamp after a change: %v", err)
	}
	ix, err = Open(path, 8, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Abandoned without a change: stale all the same.
	if err := ix.Abandon(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, 8, Options{}); !errors.Is(err, ErrStale) {
		t.Fatalf("abandoned index opened: %v", err)
	}
}

// TestCRCJoin checks crcJoin against the checksum of the concatenation.
func TestCRCJoin(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	for _, n := range []int{0, 1, 2, 7, 8, 100, 4096, 8192, 70000} {
		for _, m := range []int{0, 1, 3, 8192} {
			a, b := make([]byte, m), make([]byte, n)
			r.Read(a)
			r.Read(b)
			want := crc32.Checksum(append(bytes.Clone(a), b...), castagnoli)
			if got := crcJoin(crc32.Checksum(a, castagnoli), crc32.Checksum(b, castagnoli), int64(n)); got != want {
				t.Fatalf("crcJoin(%d bytes, %d bytes) = %08x, want %08x", m, n, got, want)
			}
		}
	}
}

// TestHas checks Has against Lookup for unique and non-unique indexes,
// buffered and flushed entries, and NULL columns.
func TestHas(t *testing.T) {
	for _, unique := range []bool{false, true} {
		ix, err := Create(filepath.Join(t.TempDir(), "h.bix"), Options{Unique: unique})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 50; i++ {
			cols := keyenc.AppendInt(nil, int64(i%10))
			if unique {
				cols = keyenc.AppendInt(nil, int64(i))
			}
			if err := ix.Insert(cols, []byte(fmt.Sprint("pk", i))); err != nil {
				t.Fatal(err)
			}
			if i == 25 {
				if err := ix.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		null := keyenc.AppendNull(nil)
		ix.Insert(null, []byte("n1"))
		ix.Insert(null, []byte("n2"))
		for i := 0; i < 50; i++ {
			cols := keyenc.AppendInt(nil, int64(i%10))
			if unique {
				cols = keyenc.AppendInt(nil, int64(i))
			}
			if ok, err := ix.Has(cols, []byte(fmt.Sprint("pk", i))); err != nil || !ok {
				t.Fatalf("unique=%v: entry %d not found: %v", unique, i, err)
			}
			if ok, _ := ix.Has(cols, []byte(fmt.Sprint("pk", i+1))); ok && unique {
				t.Fatalf("unique=%v: entry %d found with the wrong primary key", unique, i)
			}
		}
		if ok, _ := ix.Has(null, []byte("n2")); !ok {
			t.Fatal("NULL entry not found")
		}
		if ok, _ := ix.Has(keyenc.AppendInt(nil, 99), []byte("pk1")); ok {
			t.Fatal("absent entry found")
		}
		ix.Delete(keyenc.AppendInt(nil, 3), []byte("pk3"))
		if ok, _ := ix.Has(keyenc.AppendInt(nil, 3), []byte("pk3")); ok {
			t.Fatal("deleted entry found")
		}
		ix.Abandon()
	}
}
