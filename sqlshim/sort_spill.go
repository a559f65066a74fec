package sqlshim

import (
	"bufio"
	"container/heap"
	"os"
	"slices"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// extSort is ORDER BY's sort (without LIMIT: ORDER BY ... LIMIT keeps a
// top-n heap, exec_topn.go) under the session's memory budget
// (blitz_memory_budget). Rows arrive with their sort keys; while the rows
// held stay within the budget (estimated by rowBytes) they are sorted in
// memory at the end. Past it, the rows held are sorted and written as a
// run to a temporary file (the hash join's row encoding, join_spill.go)
// and memory starts again empty; at the end the runs and the rows still
// held are merged. The sort is stable: rows with equal keys come out in
// arrival order, as sort.SliceStable over every row would give them (a
// run holds rows that arrived before those of any later run, and the
// merge breaks ties by run). The files live in one temporary directory
// that close removes; callers defer close, so it goes however the
// statement ends.
type extSort struct {
	items  []*ast.ByItem
	budget int64
	mem    int64
	buf    []sortRow
	dir    string
	runs   []sortRun
	row    []any // encoding buffer: keys then values
}

// sortRun is a run written to a file (closed: a merge opens at most
// mergeFanIn of them at once).
type sortRun struct {
	name string
	n    int // rows
}

type sortRow struct {
	vals, keys []any
}

// mergeFanIn is the most runs merged at once; more are first merged in
// groups into longer runs, so a huge sort does not open a file per run.
// (A variable for tests.)
var mergeFanIn = 64

func newExtSort(items []*ast.ByItem, budget int64) *extSort {
	return &extSort{items: items, budget: budget}
}

func (s *extSort) less(a, b []any) bool { return lessKeys(a, b, s.items) }

// add takes a row and its ORDER BY keys (one per item); s keeps both.
func (s *extSort) add(vals, keys []any) error {
	s.buf = append(s.buf, sortRow{vals, keys})
	s.mem += rowBytes(vals) + rowBytes(keys) + 48
	if s.mem > s.budget {
		return s.spillRun()
	}
	return nil
}

// sortBuf sorts the rows held, stably: by their keys, then by arrival.
// (An O(n log n) sort of positions with arrival as the last key; the
// stable sort of the rows themselves moved them O(n log² n) times.)
func (s *extSort) sortBuf() {
	if len(s.buf) < 2 {
		return
	}
	idx := make([]int, len(s.buf))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := compareKeys(s.buf[a].keys, s.buf[b].keys, s.items); c != 0 {
			return c
		}
		return a - b
	})
	sorted := make([]sortRow, len(s.buf))
	for i, j := range idx {
		sorted[i] = s.buf[j]
	}
	s.buf = sorted
}

// compareKeys orders two sort keys by the ORDER BY items' directions, as
// lessKeys does, in one pass: -1, 0 or 1.
func compareKeys(a, b []any, items []*ast.ByItem) int {
	for i, it := range items {
		if c := compareForSort(a[i], b[i]); c != 0 {
			if it.Desc {
				return -c
			}
			return c
		}
	}
	return 0
}

// newRun creates an empty run file.
func (s *extSort) newRun() (*spillFile, error) {
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "blitz-sort-")
		if err != nil {
			return nil, internalf("sort spill: %v", err)
		}
		s.dir = dir
		sortSpills.Add(1)
	}
	f, err := os.CreateTemp(s.dir, "run")
	if err != nil {
		return nil, internalf("sort spill: %v", err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// writeRow appends keys and vals to run f.
func (s *extSort) writeRow(f *spillFile, keys, vals []any) error {
	s.row = append(append(s.row[:0], keys...), vals...)
	return f.write(s.row)
}

// endRun flushes and closes run file f.
func endRun(f *spillFile) (sortRun, error) {
	err := f.w.Flush()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return sortRun{name: f.f.Name(), n: f.n}, spillErr(err)
}

// spillRun writes the rows held, sorted, as a new run.
func (s *extSort) spillRun() error {
	s.sortBuf()
	f, err := s.newRun()
	if err != nil {
		return err
	}
	for _, r := range s.buf {
		if err = s.writeRow(f, r.keys, r.vals); err != nil {
			break
		}
	}
	run, cerr := endRun(f)
	if err == nil {
		err = cerr
	}
	if err != nil {
		return err // close removes the file with the directory
	}
	s.runs = append(s.runs, run)
	clear(s.buf)
	s.buf, s.mem = s.buf[:0], 0
	return nil
}

// each calls fn with every row in ORDER BY order until fn returns false
// or an error.
func (s *extSort) each(fn func(vals []any) (bool, error)) error {
	s.sortBuf()
	if len(s.runs) == 0 {
		for _, r := range s.buf {
			if more, err := fn(r.vals); err != nil || !more {
				return err
			}
		}
		return nil
	}
	// Merge consecutive groups of runs until few enough remain; a merged
	// run takes its group's place, so run order stays arrival order.
	for len(s.runs)+1 > mergeFanIn {
		var merged []sortRun
		for i := 0; i < len(s.runs); i += mergeFanIn {
			group := s.runs[i:min(i+mergeFanIn, len(s.runs))]
			if len(group) == 1 {
				merged = append(merged, group[0])
				continue
			}
			out, err := s.newRun()
			if err != nil {
				return err
			}
			err = s.merge(group, nil, func(keys, vals []any) (bool, error) {
				return true, s.writeRow(out, keys, vals)
			})
			run, cerr := endRun(out)
			if err == nil {
				err = cerr
			}
			if err != nil {
				return err // close removes the files with the directory
			}
			merged = append(merged, run)
			for _, r := range group {
				os.Remove(r.name)
			}
		}
		s.runs = merged
	}
	return s.merge(s.runs, s.buf, func(_, vals []any) (bool, error) { return fn(vals) })
}

// mergeSource is one sorted input of a merge: a run file being read, or
// the rows still in memory.
type mergeSource struct {
	r     *bufio.Reader
	left  int       // rows of the file not yet read
	mem   []sortRow // the in-memory rows not yet taken
	keys  []any     // the current row
	vals  []any
	index int // position among the sources: breaks ties
}

func (m *mergeSource) next(nk int) (bool, error) {
	if m.r == nil {
		if len(m.mem) == 0 {
			return false, nil
		}
		m.keys, m.vals, m.mem = m.mem[0].keys, m.mem[0].vals, m.mem[1:]
		return true, nil
	}
	if m.left == 0 {
		return false, nil
	}
	m.left--
	row, err := decodeSpillRow(m.r)
	if err != nil {
		return false, spillErr(err)
	}
	if len(row) < nk {
		return false, internalf("sort spill: short row")
	}
	m.keys, m.vals = row[:nk:nk], row[nk:]
	return true, nil
}

// mergeHeap orders the sources by their current rows' keys, then by
// index.
type mergeHeap struct {
	s   *extSort
	src []*mergeSource
}

func (h *mergeHeap) Len() int { return len(h.src) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.src[i], h.src[j]
	if h.s.less(a.keys, b.keys) {
		return true
	}
	if h.s.less(b.keys, a.keys) {
		return false
	}
	return a.index < b.index
}
func (h *mergeHeap) Swap(i, j int) { h.src[i], h.src[j] = h.src[j], h.src[i] }
func (h *mergeHeap) Push(x any)    { h.src = append(h.src, x.(*mergeSource)) }
func (h *mergeHeap) Pop() any {
	x := h.src[len(h.src)-1]
	h.src = h.src[:len(h.src)-1]
	return x
}

// merge calls fn with the rows of runs (each sorted, in arrival order)
// and then of mem (sorted, the latest rows) in order, stably, until fn
// returns false or an error.
func (s *extSort) merge(runs []sortRun, mem []sortRow, fn func(keys, vals []any) (bool, error)) error {
	nk := len(s.items)
	h := &mergeHeap{s: s}
	add := func(m *mergeSource) error {
		ok, err := m.next(nk)
		if ok {
			h.src = append(h.src, m)
		}
		return err
	}
	for i, r := range runs {
		f, err := os.Open(r.name)
		if err != nil {
			return spillErr(err)
		}
		defer f.Close()
		if err := add(&mergeSource{r: bufio.NewReaderSize(f, 32<<10), left: r.n, index: i}); err != nil {
			return err
		}
	}
	if err := add(&mergeSource{mem: mem, index: len(runs)}); err != nil {
		return err
	}
	heap.Init(h)
	for len(h.src) > 0 {
		m := h.src[0]
		if more, err := fn(m.keys, m.vals); err != nil || !more {
			return err
		}
		ok, err := m.next(nk)
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return nil
}

// close removes the run files.
func (s *extSort) close() {
	s.runs = nil
	if s.dir != "" {
		os.RemoveAll(s.dir)
		s.dir = ""
	}
}
