package sqlshim

import (
	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// rollup computes the super-aggregate rows of GROUP BY ... WITH ROLLUP.
// While the rows are grouped, each row is also added to one group per
// proper prefix of its GROUP BY key (level L keeps the first L items, L
// from len-1 down to 0, the grand total); after the detail groups are
// sorted, the level-L row of a prefix follows the last detail row with that
// prefix, as in MariaDB. In a super-aggregate row the rolled-up GROUP BY
// items are NULL: a plain column through the row it is evaluated on, a
// positional or alias reference, or a select expression written as the
// GROUP BY item, through the output value.
type rollup struct {
	gbPos  []int               // row position of a plain-column item, else -1
	levels []map[string]*group // levels[L]: the groups of the L-item prefixes
	aggs   []*ast.AggregateFuncExpr
	nulls  [][]bool // nulls[L][i]: output field i is NULL at level L
	kb     []byte
}

func newRollup(items []*ast.ByItem, gbPos []int, fields []outField, aggs []*ast.AggregateFuncExpr) *rollup {
	n := len(items)
	r := &rollup{gbPos: gbPos, aggs: aggs, levels: make([]map[string]*group, n), nulls: make([][]bool, n)}
	// rolled[k]: the output fields that are GROUP BY item k.
	rolled := make([][]int, n)
	for k, it := range items {
		if pos, ok := positionRef(it.Expr); ok && pos >= 1 && pos <= len(fields) {
			rolled[k] = append(rolled[k], pos-1)
			continue
		}
		if a := aliasRef(it.Expr, fields); a != nil && gbPos[k] < 0 {
			rolled[k] = append(rolled[k], aliasIndex(a, fields))
			continue
		}
		if gbPos[k] >= 0 {
			continue // the row's column is set to NULL instead
		}
		text := exprText(it.Expr)
		for i, f := range fields {
			if exprText(f.expr) == text {
				rolled[k] = append(rolled[k], i)
			}
		}
	}
	for L := range n {
		r.levels[L] = map[string]*group{}
		r.nulls[L] = make([]bool, len(fields))
		for k := L; k < n; k++ {
			for _, i := range rolled[k] {
				r.nulls[L][i] = true
			}
		}
	}
	return r
}

// add adds the current row of ec, whose GROUP BY values are key, to the
// group of each prefix of key.
func (r *rollup) add(ec *evalCtx, key []any, row engine.Row) error {
	for L := range r.levels {
		r.kb = appendGroupKey(r.kb[:0], key[:L])
		g := r.levels[L][string(r.kb)]
		if g == nil {
			g = newGroup(r.aggs)
			g.first = append(engine.Row(nil), row...)
			g.key = append([]any(nil), key[:L]...)
			r.levels[L][string(r.kb)] = g
		}
		if err := g.add(ec); err != nil {
			return err
		}
	}
	return nil
}

// after returns the levels whose rows follow the detail group with key cur
// when next (nil at the end) is the key of the detail group after it:
// from the deepest level down to the first item at which they differ.
func (r *rollup) after(cur, next []any) []int {
	d := -1
	if next != nil {
		for d = 0; d < len(cur); d++ {
			if groupKey(cur[d:d+1]) != groupKey(next[d:d+1]) {
				break
			}
		}
	}
	var ls []int
	for L := len(r.levels) - 1; L > d; L-- {
		ls = append(ls, L)
	}
	return ls
}

// group returns the level-L group of key's prefix, and the row to evaluate
// its output on: its first row with the rolled-up plain columns NULL.
func (r *rollup) group(L int, key []any) (*group, engine.Row) {
	g := r.levels[L][groupKey(key[:L])]
	row := append(engine.Row(nil), g.first...)
	for k := L; k < len(r.gbPos); k++ {
		if p := r.gbPos[k]; p >= 0 {
			row[p] = nil
		}
	}
	return g, row
}
