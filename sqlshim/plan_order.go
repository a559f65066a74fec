package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// ORDER BY a secondary index's columns with LIMIT: SELECT * FROM t
// ORDER BY created_at DESC LIMIT 10 over KEY(created_at), or WHERE
// user = 7 ORDER BY created_at LIMIT 10 over KEY(user, created_at). The
// access path then reads the index in ORDER BY order with a Limit hint,
// which lets the engine walk it, looking up each row as it goes
// (engine/ixwalk.go), and the SELECT stops reading once its ORDER BY ...
// LIMIT keeps offset+count rows, as for the primary key (plan_keyset.go).
// WHERE still judges every row read.
//
// The index's order is ORDER BY's only when ORDER BY names index
// columns, the same direction for all, that follow on from the columns
// the access path fixes by equalities, each whole (no prefix part) and
// keyed in the order ORDER BY sorts its values (engine.KeySortsAsColumn:
// not ENUM, SET, BIT, JSON or binary strings). Ties come in primary-key
// order, reversed for DESC. Anything else is sorted as before.

// indexOrder makes p read ti's rows in the order of the secondary-index
// columns cols (a plain scan or p's own index) when that order can be
// trusted, and reports whether it does. The caller sets the direction
// and the Limit.
func (x *execCtx) indexOrder(ti *tableInfo, p *accessPath, cols []int, hints []*ast.IndexHint) bool {
	switch {
	case p.kind == accessAll && p.index == "":
		allowed, _, err := x.allowedIndexes(ti, hints)
		if err != nil {
			return false
		}
		for i := range ti.def.Indexes {
			ix := &ti.def.Indexes[i]
			if ix.Hidden || allowed != nil && !allowed[lower(ix.Name)] {
				continue
			}
			if ordersBy(ti, ix, 0, 0, cols) {
				p.kind, p.index, p.scan = "index", ix.Name, engine.Scan{Index: ix.Name}
				return true
			}
		}
		return false
	case p.kind == "index" && p.index != "PRIMARY" && p.index != "": // FORCE INDEX without WHERE
		ix := secondaryIndex(ti, p.index)
		return ix != nil && ordersBy(ti, ix, 0, 0, cols)
	case p.kind == accessRef && p.index != "PRIMARY":
		ix := secondaryIndex(ti, p.index)
		return ix != nil && ordersBy(ti, ix, p.keyCols, p.keyCols, cols)
	case p.kind == accessRange && p.index != "PRIMARY":
		// keyCols counts the column of the range after the equalities.
		ix := secondaryIndex(ti, p.index)
		return ix != nil && ordersBy(ti, ix, p.keyCols-1, p.keyCols, cols)
	}
	return false
}

// ordersBy reports whether reading index ix with its first eq columns
// fixed by equalities, the first used of them by the access path, gives
// rows in the order of ORDER BY cols: cols are ix's columns from some j
// <= eq on, each whole and keyed as it sorts, and past the last of ix's
// columns the first of the primary key's (an entry's key is its
// columns, then the primary key: ORDER BY created_at, id).
func ordersBy(ti *tableInfo, ix *engine.IndexDef, eq, used int, cols []int) bool {
	n := len(ix.Columns)
	pk := ti.def.PrimaryKey
	for j := 0; j <= eq && j < n; j++ {
		match := true
		for k, col := range cols {
			var want int
			switch {
			case j+k < n:
				want = ti.column(ix.Columns[j+k])
			case j+k-n < len(pk):
				want = ti.column(pk[j+k-n])
				if p := ti.def.PrimaryPrefix; j+k-n < len(p) && p[j+k-n] > 0 {
					want = -1
				}
			default:
				want = -1
			}
			if want < 0 || want != col {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		for k := 0; k < min(max(j+len(cols), used), n); k++ {
			if k < len(ix.Prefix) && ix.Prefix[k] > 0 {
				return false
			}
		}
		for _, col := range cols {
			if !ti.def.KeySortsAsColumn(&ti.def.Columns[col]) {
				return false
			}
		}
		return true
	}
	return false
}

// secondaryIndex returns ti's visible secondary index named name, nil if
// none.
func secondaryIndex(ti *tableInfo, name string) *engine.IndexDef {
	for i := range ti.def.Indexes {
		if ix := &ti.def.Indexes[i]; !ix.Hidden && strings.EqualFold(ix.Name, name) {
			return ix
		}
	}
	return nil
}
