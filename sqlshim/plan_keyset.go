package sqlshim

import (
	"math"
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Keyset pagination: SELECT ... WHERE id > 1234 ORDER BY id LIMIT 20 on
// an integer primary key (and the first page, the previous one, ORDER BY
// id DESC LIMIT 1). When the access path reads the primary key with every
// column before the last fixed by an equality (or reads the whole table
// of a one-column key) and ORDER BY is that last column, the path reads
// the rows in ORDER BY order: it asks the engine for them in key order
// with a Limit hint (engine.Scan.Limit, which lets it look the keys up
// one by one instead of reading the whole range, engine/pkwalk.go), and
// the SELECT stops reading once its ORDER BY ... LIMIT keeps offset+count
// rows: every later row sorts after them. WHERE and HAVING still judge
// every row read, so rows they reject only make the read go on.

// keysetOrder makes p read ti's rows in the order of order when that is
// the order of the primary key as above, asking for about limit rows,
// and reports whether it does. hints are the table's index hints; where
// is the statement's WHERE clause.
//
// A full scan becomes a read in key order only without WHERE: with one,
// the rows it rejects may be most of the table, and once the engine's
// walk gives up (after an eighth of the table's rows in lookups) it reads
// the rest in key order by copying and sorting it, where the full scan
// it replaces streams the file and drops rejected rows before decoding
// them (WHERE v = <no such value> ORDER BY id LIMIT 20 on 500k rows:
// 330 ms instead of 28 ms). A key range is read in key order anyway.
func (x *execCtx) keysetOrder(ti *tableInfo, p *accessPath, where ast.ExprNode, order *ast.OrderByClause, fields []outField, hints []*ast.IndexHint, limit int64) bool {
	if order == nil || limit <= 0 || limit > math.MaxInt32 || p.points != nil {
		return false
	}
	cols, desc, ok := orderColumns(ti, order, fields)
	if !ok {
		return false
	}
	if !x.pkOrder(ti, p, where, cols, hints) && !x.indexOrder(ti, p, cols, hints) {
		return false
	}
	p.scan.Reverse, p.scan.Limit = desc, int32(limit)
	return true
}

// orderColumns returns the columns of ti that order names, in order, and
// whether it sorts them descending; ok is false unless every item is a
// plain column of ti (not a select-list alias of something else) and all
// go the same direction.
func orderColumns(ti *tableInfo, order *ast.OrderByClause, fields []outField) (cols []int, desc, ok bool) {
	for i, it := range order.Items {
		cn, ok := unparen(it.Expr).(*ast.ColumnNameExpr)
		if !ok || cn.Name.Table.L != "" && cn.Name.Table.L != strings.ToLower(ti.alias) || cn.Name.Schema.L != "" {
			return nil, false, false
		}
		if i > 0 && it.Desc != desc {
			return nil, false, false
		}
		desc = it.Desc
		col := ti.column(cn.Name.Name.O)
		if col < 0 {
			return nil, false, false
		}
		if cn.Name.Table.L == "" {
			// An unqualified name is a select-list alias first.
			for _, f := range fields {
				if f.alias == cn.Name.Name.L && f.col != col {
					return nil, false, false
				}
			}
		}
		cols = append(cols, col)
	}
	return cols, desc, true
}

// pkOrder makes p read in primary-key order when ORDER BY cols is the
// last column of an integer primary key, as above.
func (x *execCtx) pkOrder(ti *tableInfo, p *accessPath, where ast.ExprNode, cols []int, hints []*ast.IndexHint) bool {
	pk := ti.def.PrimaryKey
	if len(pk) == 0 || len(cols) != 1 {
		return false
	}
	col := cols[0]
	if col != ti.column(pk[len(pk)-1]) || !ti.def.Columns[col].Type.IsInteger() {
		return false
	}
	switch {
	case p.kind == accessAll && p.index == "" && len(pk) == 1 && where == nil:
		allowed, _, err := x.allowedIndexes(ti, hints)
		if err != nil || allowed != nil && !allowed["primary"] {
			return false
		}
		p.kind, p.index, p.scan = "index", "PRIMARY", engine.Scan{Index: "PRIMARY"}
	case p.index == "PRIMARY" && p.kind == accessRange && p.keyCols == len(pk):
	case p.index == "PRIMARY" && p.kind == accessRef && p.keyCols == len(pk)-1:
	default:
		return false
	}
	return true
}
