package sqlshim

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// Collations of comparisons with a subquery, checked before any row is
// read. Evaluation combines the collations of x IN (SELECT ...), x = ANY
// (SELECT ...) and x = (SELECT ...) from the subquery's result, so it
// finds an illegal mix (1267) only when there is an outer row and, for IN
// and ANY, a subquery row; MariaDB finds it when it prepares the
// statement, rows or none. checkSubqueryColls finds it first from the
// subquery's select list (subqueryFieldColls), where that is known
// without running it.

// checkSubqueryColls is error 1267 for the first comparison with a
// subquery in e (not inside another subquery) whose sides' collations do
// not combine, as evaluation would report it.
func (c *evalCtx) checkSubqueryColls(e ast.Node) error {
	if e == nil {
		return nil
	}
	v := &subqueryCmpVisitor{c: c}
	e.Accept(v)
	return v.err
}

// subqueryCmpVisitor is checkSubqueryColls's walk.
type subqueryCmpVisitor struct {
	c   *evalCtx
	err error
}

func (v *subqueryCmpVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if v.err != nil {
		return n, true
	}
	switch x := n.(type) {
	case *ast.SubqueryExpr:
		return n, true // its own comparisons are its own statement's
	case *ast.PatternInExpr:
		if sq, ok := x.Sel.(*ast.SubqueryExpr); ok {
			v.check("=", x.Expr, sq)
		}
	case *ast.CompareSubqueryExpr:
		if sq, ok := x.R.(*ast.SubqueryExpr); ok {
			v.check(anyAllOpText(x.Op, x.All), x.L, sq)
		}
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE, opcode.NullEQ:
			if sq, ok := unparen(x.R).(*ast.SubqueryExpr); ok {
				v.check(opText(x.Op), x.L, sq)
			} else if sq, ok := unparen(x.L).(*ast.SubqueryExpr); ok {
				v.checkRev(opText(x.Op), sq, x.R)
			}
		}
	}
	return n, false
}

func (v *subqueryCmpVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// check looks at left op sq.
func (v *subqueryCmpVisitor) check(op string, left ast.ExprNode, sq *ast.SubqueryExpr) {
	right := v.c.subqueryFieldColls(sq)
	l := v.c.rowColls(left, nil)
	if right == nil || len(l) != len(right) {
		return // unknown, or the operand error evaluation reports
	}
	_, v.err = pairColls(op, l, right)
}

// checkRev looks at sq op right.
func (v *subqueryCmpVisitor) checkRev(op string, sq *ast.SubqueryExpr, right ast.ExprNode) {
	left := v.c.subqueryFieldColls(sq)
	r := v.c.rowColls(right, nil)
	if left == nil || len(left) != len(r) {
		return
	}
	_, v.err = pairColls(op, left, r)
}

// subqueryFieldColls returns the collation of each column of subquery
// x's result as its select list gives it, worked out without running it
// over the one table it reads (its columns, then the enclosing query's);
// a column named nowhere is utf8mb4_bin, implicit, which combines with
// every other, so that no mix is reported that evaluation would not
// find. nil when x is not one SELECT of one base table.
func (c *evalCtx) subqueryFieldColls(x *ast.SubqueryExpr) []exprColl {
	sel, ok := x.Query.(*ast.SelectStmt)
	if !ok || c.x == nil || sel.Fields == nil || sel.From == nil || sel.From.TableRefs == nil || sel.From.TableRefs.Right != nil {
		return nil
	}
	ts, ok := sel.From.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return nil
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil
	}
	def, err := c.x.tableDef(tn, true)
	if err != nil {
		return nil
	}
	inner := c.x.newEval(newTableInfo(def, ts.AsName.O), "SELECT")
	inner.outer = c
	var out []exprColl
	for _, f := range sel.Fields.Fields {
		if f.WildCard == nil {
			out = append(out, inner.collOf(f.Expr))
			continue
		}
		if f.WildCard.Table.L != "" && f.WildCard.Table.L != tn.Name.L && f.WildCard.Table.L != ts.AsName.L {
			return nil
		}
		for i := range def.Columns {
			out = append(out, columnColl(&def.Columns[i]))
		}
	}
	return out
}
