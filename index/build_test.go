package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// buildRows is a table for the Build tests: row i has columns cols[i] and
// primary key pkOf(i).
type buildRows struct{ cols [][]byte }

func (r *buildRows) scan(yield func(pk, row []byte) error) error {
	var pk []byte
	for i, c := range r.cols {
		// Reuse pk's and row's memory, as a real scan may: Build must copy
		// what it keeps during the call.
		pk = append(pk[:0], pkOf(i)...)
		row := bytes.Clone(c)
		err := yield(pk, row)
		clear(row)
		if err != nil {
			return err
		}
	}
	return nil
}

// model returns what the index of the rows holds.
func (r *buildRows) model(unique bool) *model {
	m := &model{unique: unique}
	for i, c := range r.cols {
		m.ents = append(m.ents, entry{c, pkOf(i)})
	}
	m.sort()
	return m
}

// sort sorts the entries of a model filled by appending (insert is O(n)).
func (m *model) sort() { slices.SortFunc(m.ents, cmpEntry) }

// checkBuilt opens a built index and compares its entries with m's.
func checkBuilt(t *testing.T, path string, stamp uint64, m *model) {
	t.Helper()
	checkFileConsistent(t, path)
	ix, err := Open(path, stamp, Options{Unique: m.unique})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer ix.Abandon()
	got := scanAll(t, ix, Bound{Unbounded: true}, Bound{Unbounded: true}, false)
	if len(got) != len(m.ents) {
		t.Fatalf("%s: %d entries, want %d", path, len(got), len(m.ents))
	}
	for i := range got {
		if cmpEntry(got[i], m.ents[i]) != 0 {
			t.Fatalf("%s: entry %d is %s/%s, want %s/%s", path, i,
				fmtKey(got[i].cols), fmtKey(got[i].pk), fmtKey(m.ents[i].cols), fmtKey(m.ents[i].pk))
		}
	}
}

// checkNoFiles fails if any of dirs holds a file.
func checkNoFiles(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if left, _ := os.ReadDir(d); len(left) != 0 {
			t.Fatalf("files left in %s: %v", d, left)
		}
	}
}

// TestBuildManySpecs builds several indexes of one table in one Build, in
// memory and with spilled runs, with Parallel limits, and checks every
// entry of every file.
func TestBuildManySpecs(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	n := 30000
	rows := &buildRows{}
	for i := 0; i < n; i++ {
		// Unique on the whole row; many equal prefixes so that ties of the
		// radix sort's 8-byte prefix are common.
		rows.cols = append(rows.cols, colsOf(r.Intn(3)-1, fmt.Sprintf("%08d-%x", r.Intn(100), i)))
	}
	byA := func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row[:9]), nil }
	for _, mem := range []int64{0, 64 << 10} {
		for _, par := range []int{0, 1} {
			t.Run(fmt.Sprintf("mem=%d/par=%d", mem, par), func(t *testing.T) {
				dir, tmp := t.TempDir(), t.TempDir()
				specs := []BuildSpec{
					{Path: filepath.Join(dir, "u.bix"), Unique: true, Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }},
					{Path: filepath.Join(dir, "a.bix"), Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
						if row[0] == colsOf(-1, "")[0] {
							return dst, nil // NULLs not indexed
						}
						return byA(pk, row, dst)
					}},
					{Path: filepath.Join(dir, "n.bix"), Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }},
				}
				st, err := Build(context.Background(), rows.scan, specs, BuildOptions{Stamp: 5, MemoryBytes: mem, Parallel: par, TempDir: tmp})
				if err != nil {
					t.Fatal(err)
				}
				if mem > 0 && st.Runs == 0 {
					t.Fatalf("no runs spilled with %d bytes of memory", mem)
				}
				if st.Rows != int64(n) {
					t.Fatalf("rows %d", st.Rows)
				}
				checkBuilt(t, specs[0].Path, 5, rows.model(true))
				checkBuilt(t, specs[2].Path, 5, rows.model(false))
				ma := &model{}
				for i, c := range rows.cols {
					if c[0] != colsOf(-1, "")[0] {
						ma.ents = append(ma.ents, entry{c[:9], pkOf(i)})
					}
				}
				ma.sort()
				checkBuilt(t, specs[1].Path, 5, ma)
				if st.Entries[1] != int64(len(ma.ents)) {
					t.Fatalf("entries %v", st.Entries)
				}
				checkNoFiles(t, tmp)
			})
		}
	}
}

// TestBuildDuplicateFarApart finds a duplicate on a unique index whose two
// rows are far apart in the scan (different batches, different spilled
// runs) and leaves no file behind, not even the other specs'.
func TestBuildDuplicateFarApart(t *testing.T) {
	n := 20000
	rows := &buildRows{}
	for i := 0; i < n; i++ {
		rows.cols = append(rows.cols, colsOf(i, "x"))
	}
	rows.cols[n-3] = colsOf(7, "x") // the same as row 7
	for _, mem := range []int64{0, 32 << 10} {
		t.Run(fmt.Sprint("mem=", mem), func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			id := func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }
			specs := []BuildSpec{
				{Path: filepath.Join(dir, "n.bix"), Entries: id},
				{Path: filepath.Join(dir, "u.bix"), Unique: true, Entries: id},
			}
			_, err := Build(context.Background(), rows.scan, specs, BuildOptions{MemoryBytes: mem, TempDir: tmp})
			var de *DuplicateError
			if !errors.As(err, &de) || de.Index != specs[1].Path || !bytes.Equal(de.Cols, colsOf(7, "x")) {
				t.Fatalf("Build = %v", err)
			}
			pks := [][]byte{de.PK, de.OtherPK}
			slices.SortFunc(pks, bytes.Compare)
			if !bytes.Equal(pks[0], pkOf(7)) || !bytes.Equal(pks[1], pkOf(n-3)) {
				t.Fatalf("duplicate names %s and %s", fmtKey(de.PK), fmtKey(de.OtherPK))
			}
			checkNoFiles(t, dir, tmp)
		})
	}
}

// TestBuildErrorsLeaveNothing fails builds in each phase (an Entries error
// mid-scan, the scan's own error, a key too large, a spill that cannot be
// written, an index directory that does not exist) and checks that Build
// returns the error, replaces no file and leaves no temporary file.
func TestBuildErrorsLeaveNothing(t *testing.T) {
	n := 20000
	rows := &buildRows{}
	for i := 0; i < n; i++ {
		rows.cols = append(rows.cols, colsOf(i, "y"))
	}
	boom := errors.New("boom")
	id := func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }
	cases := []struct {
		name    string
		scan    func(yield func(pk, row []byte) error) error
		entries func(pk, row []byte, dst [][]byte) ([][]byte, error)
		mem     int64
		tmp     string // "" for a fresh directory
		subdir  string // index files go in this (missing) subdirectory
		want    error
	}{
		{name: "entries error", scan: rows.scan, entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
			if bytes.Equal(pk, pkOf(n/2)) {
				return dst, boom
			}
			return append(dst, row), nil
		}, want: boom},
		{name: "entries error with spills", mem: 32 << 10, scan: rows.scan, entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
			if bytes.Equal(pk, pkOf(n-1)) {
				return dst, boom
			}
			return append(dst, row), nil
		}, want: boom},
		{name: "scan error", entries: id, scan: func(yield func(pk, row []byte) error) error {
			for i := 0; i < n/2; i++ {
				if err := yield(pkOf(i), rows.cols[i]); err != nil {
					return err
				}
			}
			return boom
		}, want: boom},
		{name: "key too large", scan: rows.scan, entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
			if bytes.Equal(pk, pkOf(n/3)) {
				return append(dst, make([]byte, MaxKeySize+1)), nil
			}
			return append(dst, row), nil
		}, want: ErrKeyTooLarge},
		{name: "spill fails", mem: 32 << 10, tmp: "missing", scan: rows.scan, entries: id, want: os.ErrNotExist},
		{name: "index directory missing", subdir: "missing", scan: rows.scan, entries: id, want: os.ErrNotExist},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, tmp := t.TempDir(), t.TempDir()
			ixDir := dir
			if c.subdir != "" {
				ixDir = filepath.Join(dir, c.subdir)
			}
			// An existing (stale) file at one of the paths must survive a
			// failed build untouched.
			old := []byte("old contents")
			if err := os.WriteFile(filepath.Join(dir, "b.bix"), old, 0o644); err != nil {
				t.Fatal(err)
			}
			tmpDir := tmp
			if c.tmp != "" {
				tmpDir = filepath.Join(tmp, c.tmp)
			}
			specs := []BuildSpec{
				{Path: filepath.Join(ixDir, "a.bix"), Entries: c.entries},
				{Path: filepath.Join(dir, "b.bix"), Unique: true, Entries: id},
			}
			_, err := Build(context.Background(), c.scan, specs, BuildOptions{MemoryBytes: c.mem, TempDir: tmpDir})
			if !errors.Is(err, c.want) {
				t.Fatalf("Build = %v, want %v", err, c.want)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "b.bix")); !bytes.Equal(got, old) {
				t.Fatalf("failed build replaced b.bix")
			}
			os.Remove(filepath.Join(dir, "b.bix"))
			checkNoFiles(t, dir, tmp)
		})
	}
}

// TestBuildScanPanics checks that a panic out of the scan reaches Build's
// caller (and stops Build's goroutines: run with -race and the leak is a
// hang at the end of the test binary at worst).
func TestBuildScanPanics(t *testing.T) {
	dir := t.TempDir()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
		checkNoFiles(t, dir)
	}()
	Build(context.Background(), func(yield func(pk, row []byte) error) error {
		for i := 0; i < 10000; i++ {
			yield(pkOf(i), colsOf(i, ""))
		}
		panic("scan")
	}, []BuildSpec{{Path: filepath.Join(dir, "p.bix"), Entries: func(pk, row []byte, dst [][]byte) ([][]byte, error) {
		return append(dst, row), nil
	}}}, BuildOptions{TempDir: dir})
}

type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

// TestPageWriterError checks that a write error of the page writer reaches
// close, and that the loader can go on handing it buffers meanwhile.
func TestPageWriterError(t *testing.T) {
	pw := newPageWriter(&failAfter{n: 2}, 0)
	b := pw.put(make([]byte, 100))
	for i := 0; i < 5; i++ {
		b = pw.put(append(b[:0], make([]byte, 100)...))
	}
	if _, _, err := pw.close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("close = %v", err)
	}
	if _, _, err := pw.close(); err == nil {
		t.Fatal("second close lost the error")
	}
}

// TestBuildManyBlocks builds indexes of more entries than a sort block
// holds (each block is sorted on its own, then the blocks are merged), with
// keys whose 8-byte prefixes often tie, and a unique index whose duplicate
// rows land in different blocks.
func TestBuildManyBlocks(t *testing.T) {
	defer func(n int) { entBlock = n }(entBlock)
	entBlock = 4096
	r := rand.New(rand.NewSource(seed(t)))
	n := 3*entBlock + 1234
	rows := &buildRows{}
	for i := 0; i < n; i++ {
		// Prefix ties: "same-pfx" fills the 8-byte prefix after the tag.
		s := fmt.Sprintf("same-pfx%06d", r.Intn(n))
		if r.Intn(3) == 0 {
			s = fmt.Sprintf("%016x", r.Uint64())
		}
		rows.cols = append(rows.cols, colsOf(0, s+fmt.Sprint("/", i)))
	}
	dir := t.TempDir()
	id := func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }
	specs := []BuildSpec{
		{Path: filepath.Join(dir, "u.bix"), Unique: true, Entries: id},
		{Path: filepath.Join(dir, "n.bix"), Entries: id},
	}
	if _, err := Build(context.Background(), rows.scan, specs, BuildOptions{Stamp: 2, TempDir: dir}); err != nil {
		t.Fatal(err)
	}
	checkBuilt(t, specs[0].Path, 2, rows.model(true))
	checkBuilt(t, specs[1].Path, 2, rows.model(false))

	// Rows 10 and n-10 (blocks 0 and 3) share their columns.
	rows.cols[n-10] = rows.cols[10]
	dir = t.TempDir()
	specs[0].Path = filepath.Join(dir, "u.bix")
	specs[1].Path = filepath.Join(dir, "n.bix")
	_, err := Build(context.Background(), rows.scan, specs, BuildOptions{Stamp: 2, TempDir: dir})
	var de *DuplicateError
	if !errors.As(err, &de) || !bytes.Equal(de.Cols, rows.cols[10]) {
		t.Fatalf("Build = %v", err)
	}
	checkNoFiles(t, dir)
}

// TestSorterOrder checks that sort returns every entry added, in key
// order, for sizes around the block size and keys whose prefixes tie.
func TestSorterOrder(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	defer func(n int) { entBlock = n }(entBlock)
	entBlock = 4096
	for _, n := range []int{0, 1, 255, 256, 1000, entBlock - 1, entBlock, entBlock + 1, 2*entBlock + 77, 20*entBlock + 1} {
		s := &sorter{budget: 1 << 40}
		want := map[string]bool{}
		for i := 0; i < n; i++ {
			var k string
			switch r.Intn(3) {
			case 0:
				k = fmt.Sprintf("same-pfx%06d/%d", r.Intn(n), i) // ties on pfx
			case 1:
				k = fmt.Sprintf("%x/%d", r.Uint64(), i)
			default:
				k = fmt.Sprint("s", i%7, "/", i) // shorter than a prefix
			}
			want[k] = true
			if err := s.add([]byte(k), []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		s.sort()
		var ents []ent
		for buf := make([]ent, 0, 100); ; {
			if buf = s.take(buf[:0]); len(buf) == 0 {
				break
			}
			ents = append(ents, buf...)
		}
		if len(ents) != n {
			t.Fatalf("n=%d: sort gave %d entries", n, len(ents))
		}
		for i, e := range ents {
			if !want[string(s.key(e))] {
				t.Fatalf("n=%d: entry %d %q repeated or unknown", n, i, s.key(e))
			}
			delete(want, string(s.key(e)))
			if i > 0 && bytes.Compare(s.key(ents[i-1]), s.key(e)) >= 0 {
				t.Fatalf("n=%d: entries %d and %d out of order", n, i-1, i)
			}
		}
	}
}

// TestBuildLongKeys builds indexes whose keys are longer than half a page,
// up to MaxKeySize: every branch page then holds two long keys or more
// (overflowing the page), so that each level of the tree has fewer pages
// than the one below (with one key a page the build never ended). Run in
// a goroutine with a deadline, so that a regression fails instead of
// hanging the test binary.
func TestBuildLongKeys(t *testing.T) {
	for _, c := range []struct {
		name      string
		rows, max int
	}{
		{"3000 bytes", 200, 3000},
		{"up to the limit", 40, MaxKeySize - 64},
		{"mixed", 300, 9000},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(seed(t)))
			rows := &buildRows{}
			for i := 0; i < c.rows; i++ {
				n := c.max
				if c.name == "mixed" {
					n = 1 + r.Intn(c.max)
				}
				rows.cols = append(rows.cols, colsOf(1, fmt.Sprintf("%06d%s", i, bytes.Repeat([]byte{'k'}, n))))
			}
			dir := t.TempDir()
			whole := func(pk, row []byte, dst [][]byte) ([][]byte, error) { return append(dst, row), nil }
			specs := []BuildSpec{{Path: filepath.Join(dir, "u.bix"), Unique: true, Entries: whole}, {Path: filepath.Join(dir, "n.bix"), Entries: whole}}
			done := make(chan error, 1)
			go func() {
				_, err := Build(context.Background(), rows.scan, specs, BuildOptions{Stamp: 3, TempDir: t.TempDir()})
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("Build of long keys did not end in 60 s")
			}
			checkBuilt(t, specs[0].Path, 3, rows.model(true))
			checkBuilt(t, specs[1].Path, 3, rows.model(false))
		})
	}
}
