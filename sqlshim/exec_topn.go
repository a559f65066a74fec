package sqlshim

import (
	"container/heap"
	"sort"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// topN keeps the first n rows in ORDER BY order of a SELECT with LIMIT
// (n = offset + count) in a max-heap, so that ORDER BY ... LIMIT holds n
// rows instead of every row. Ties keep arrival order, as the stable sort
// of the full result would: a row equal to the worst kept one is dropped.
type topN struct {
	n     int
	items []*ast.ByItem
	rows  []topRow
	seq   int
	mem   int64 // estimated bytes of the rows kept (rowBytes)
	// inOrder: the rows come in ORDER BY order (plan_keyset.go), so that
	// once n are kept no later row can take a place (full).
	inOrder bool
}

// full reports whether t (nil: none) keeps its n rows of rows that come
// in order: the caller may stop reading.
func (t *topN) full() bool { return t != nil && t.inOrder && len(t.rows) >= t.n }

type topRow struct {
	vals, keys []any
	seq        int
}

func newTopN(n int64, items []*ast.ByItem) *topN {
	return &topN{n: int(n), items: items}
}

// after reports whether a comes after b in the output order.
func (t *topN) after(a, b topRow) bool {
	if lessKeys(b.keys, a.keys, t.items) {
		return true
	}
	if lessKeys(a.keys, b.keys, t.items) {
		return false
	}
	return a.seq > b.seq
}

func (t *topN) Len() int           { return len(t.rows) }
func (t *topN) Less(i, j int) bool { return t.after(t.rows[i], t.rows[j]) }
func (t *topN) Swap(i, j int)      { t.rows[i], t.rows[j] = t.rows[j], t.rows[i] }
func (t *topN) Push(x any)         { t.rows = append(t.rows, x.(topRow)) }
func (t *topN) Pop() any {
	r := t.rows[len(t.rows)-1]
	t.rows = t.rows[:len(t.rows)-1]
	return r
}

func (t *topN) add(vals, keys []any) {
	r := topRow{vals, keys, t.seq}
	t.seq++
	if t.n <= 0 {
		return
	}
	if len(t.rows) < t.n {
		heap.Push(t, r)
		t.mem += topRowBytes(r)
		return
	}
	if t.after(r, t.rows[0]) {
		return
	}
	t.mem += topRowBytes(r) - topRowBytes(t.rows[0])
	t.rows[0] = r
	heap.Fix(t, 0)
}

func topRowBytes(r topRow) int64 { return rowBytes(r.vals) + rowBytes(r.keys) + 56 }

// sorted returns the kept rows in output order.
func (t *topN) sorted() []topRow {
	out := append([]topRow(nil), t.rows...)
	sort.Slice(out, func(i, j int) bool { return t.after(out[j], out[i]) })
	return out
}
