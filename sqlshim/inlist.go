package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Long IN lists of constants, as ORMs write them (WHERE id IN (1, 2, ...,
// 5000) to load the rows a page refers to), are evaluated once per
// statement and looked up in a hash instead of compared one by one on
// every row: 20,000 ids against 200,000 rows took five minutes. (The
// planner reads only the listed keys when the column leads an index:
// plan.go.)

// inListMin is the shortest list worth indexing.
const inListMin = 8

// inList is a constant IN list evaluated once for the statement.
type inList struct {
	vals    []any // the values, NULLs left out
	sawNull bool
	ints    map[int64]struct{} // when every value is an int64
	// strs holds the values by strKey when every value is a string; it is
	// built with the comparison's collation, known at the first string
	// probe (collDone).
	strs     map[string][]string
	collDone bool
	coll     *collate.Collation
	collErr  error
}

// constInList returns x's list evaluated for the statement, or nil when it
// is not a long list of literals and parameters (then in() evaluates it
// as before).
func (c *evalCtx) constInList(x *ast.PatternInExpr) *inList {
	if c.x == nil || len(x.List) < inListMin {
		return nil
	}
	if l, ok := c.x.inLists[x]; ok {
		return l
	}
	var l *inList
	if c.cacheableIn(x) {
		l = &inList{}
		allInts := true
		for _, e := range x.List {
			w, err := c.eval(e)
			if err != nil {
				l = nil
				break
			}
			if w == nil {
				l.sawNull = true
				continue
			}
			if _, ok := w.(int64); !ok {
				allInts = false
			}
			l.vals = append(l.vals, w)
		}
		if l != nil && allInts {
			l.ints = make(map[int64]struct{}, len(l.vals))
			for _, w := range l.vals {
				l.ints[w.(int64)] = struct{}{}
			}
		}
	}
	if c.x.inLists == nil {
		c.x.inLists = map[*ast.PatternInExpr]*inList{}
	}
	c.x.inLists[x] = l
	return l
}

// cacheableIn reports whether every element of x's list is a literal or a
// parameter (the same value on every row), and x's operand is not a YEAR
// column (whose comparisons convert each constant: yearConstant).
func (c *evalCtx) cacheableIn(x *ast.PatternInExpr) bool {
	for _, e := range x.List {
		if u, ok := e.(*ast.UnaryOperationExpr); ok && u.Op == opcode.Minus {
			e = u.V
		}
		switch e.(type) {
		case *test_driver.ValueExpr, *test_driver.ParamMarkerExpr:
		default:
			return false
		}
	}
	if cn, ok := x.Expr.(*ast.ColumnNameExpr); ok && c.ti != nil {
		if i := c.ti.column(cn.Name.Name.O); i >= 0 && c.ti.def.Columns[i].Type == engine.TypeYear {
			return false
		}
	}
	return true
}

// test answers v IN (list) (x.Not: NOT IN) as in() does.
func (l *inList) test(c *evalCtx, x *ast.PatternInExpr, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	found := false
	switch k := v.(type) {
	case int64:
		if l.ints != nil {
			_, found = l.ints[k]
			return l.answer(x, found), nil
		}
	case string:
		if err := l.collation(c, x); err != nil {
			return nil, err
		}
		if l.strs != nil {
			for _, w := range l.strs[strKey(k, l.coll)] {
				if cmpColl(k, w, l.coll) == 0 {
					found = true
					break
				}
			}
			return l.answer(x, found), nil
		}
	}
	var coll *collate.Collation
	switch v.(type) {
	case string:
		coll = l.coll
	case engine.Enum, engine.Set:
		// Compared with the list's text under the collation, as MariaDB
		// compares 'ADMIN' with an ENUM column.
		if err := l.collation(c, x); err != nil {
			return nil, err
		}
		coll = l.coll
	}
	for _, w := range l.vals {
		if cmpColl(v, w, coll) == 0 {
			found = true
			break
		}
	}
	return l.answer(x, found), nil
}

func (l *inList) answer(x *ast.PatternInExpr, found bool) any {
	if !found && l.sawNull {
		return nil
	}
	return boolVal(found != x.Not)
}

// collation works out, once, the collation a string operand is compared
// under (an illegal mix is the error, on every row as in()), and indexes
// the values by it when they are all strings.
func (l *inList) collation(c *evalCtx, x *ast.PatternInExpr) error {
	if l.collDone {
		return l.collErr
	}
	l.collDone = true
	l.coll, l.collErr = c.compareColl("in", append([]ast.ExprNode{x.Expr}, x.List...)...)
	if l.collErr != nil {
		return l.collErr
	}
	strs := make(map[string][]string, len(l.vals))
	for _, w := range l.vals {
		s, ok := w.(string)
		if !ok {
			return nil
		}
		k := strKey(s, l.coll)
		strs[k] = append(strs[k], s)
	}
	l.strs = strs
	return nil
}

// strKey is a key that two strings equal under coll share (cmpColl
// decides among those that share one): the weight string under a
// collation other than utf8mb4_bin, else the text without trailing spaces
// (utf8mb4_bin pads; its NO PAD form then compares them apart).
func strKey(s string, coll *collate.Collation) string {
	if coll != nil && !coll.IsBin() {
		return string(coll.AppendKey(nil, s))
	}
	return strings.TrimRight(s, " ")
}
