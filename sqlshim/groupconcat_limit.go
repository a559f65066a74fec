package sqlshim

import (
	"math"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// GROUP_CONCAT(... LIMIT [offset,] count) is MariaDB's, not TiDB's parser's.
// Before parsing, the LIMIT is moved into the call's ORDER BY list as one
// last item, a call of groupConcatLimitFunc(offset, count) (an ORDER BY
// is added when there is none):
//
//	GROUP_CONCAT(a ORDER BY a SEPARATOR '-' LIMIT 1, 2)
//	GROUP_CONCAT(a ORDER BY a , blitz_group_concat_limit(1, 2) SEPARATOR '-' )
//
// groupConcatOrder splits it off again wherever the ORDER BY is read, so
// the marker is never evaluated as a sort key. The nodes' texts (a
// select-list item's is its column name, a view's query its source) get
// the statement's own text back (restoreFieldTexts).

// groupConcatLimitFunc names the marker call.
const groupConcatLimitFunc = "blitz_group_concat_limit"

// textFix is one rewritten piece of a statement: the text the parser saw
// and the text the user wrote.
type textFix struct{ rewritten, original string }

// rewriteGroupConcatLimit rewrites every GROUP_CONCAT(... LIMIT ...) of sql
// as described above. A LIMIT that is not `count`, `offset, count` or
// `count OFFSET offset` (numbers or ? placeholders) is error 1064 naming
// what follows the LIMIT, as in MariaDB.
func rewriteGroupConcatLimit(sql string) (string, []textFix, error) {
	if !containsFold(sql, "GROUP_CONCAT") || !containsFold(sql, "LIMIT") {
		return sql, nil, nil
	}
	toks := tokenize(sql)
	match := matchParens(toks)
	var b strings.Builder
	var fixes []textFix
	done := 0 // sql[:done] is in b
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].kind != 'w' || !strings.EqualFold(toks[i].text, "GROUP_CONCAT") || toks[i+1].text != "(" || match[i+1] < 0 {
			continue
		}
		open, closing := i+1, match[i+1]
		order, sep, limit := -1, -1, -1
		for j := open + 1; j < closing; j++ {
			if toks[j].text == "(" && match[j] > j {
				j = match[j] // skip nested parentheses
				continue
			}
			if toks[j].kind != 'w' {
				continue
			}
			switch strings.ToUpper(toks[j].text) {
			case "ORDER":
				order = j
			case "SEPARATOR":
				sep = j
			case "LIMIT":
				limit = j
			}
		}
		if limit < 0 {
			continue
		}
		offset, count, ok := limitArgs(toks[limit+1 : closing])
		if !ok {
			return "", nil, syntaxError(sql, toks, limit+1)
		}
		marker := groupConcatLimitFunc + "(" + offset + ", " + count + ")"
		if order >= 0 {
			marker = ", " + marker + " "
		} else {
			marker = " ORDER BY " + marker + " "
		}
		at := toks[limit].start // where the marker goes: before SEPARATOR, or in place of the LIMIT
		if sep >= 0 && sep < limit {
			at = toks[sep].start
		}
		callStart := toks[i].start
		var call strings.Builder
		call.WriteString(sql[callStart:at])
		call.WriteString(marker)
		call.WriteString(sql[at:toks[limit].start])
		call.WriteString(sql[toks[closing].start:toks[closing].end])
		b.WriteString(sql[done:callStart])
		b.WriteString(call.String())
		fixes = append(fixes, textFix{call.String(), sql[callStart:toks[closing].end]})
		done = toks[closing].end
		i = closing
	}
	if fixes == nil {
		return sql, nil, nil
	}
	b.WriteString(sql[done:])
	return b.String(), fixes, nil
}

// limitArgs reads the tokens after a GROUP_CONCAT's LIMIT: the offset and
// count texts (a number or ?).
func limitArgs(toks []token) (offset, count string, ok bool) {
	arg := func(t token) bool { return t.kind == 'n' && strings.Trim(t.text, "0123456789") == "" || t.text == "?" }
	switch {
	case len(toks) == 1 && arg(toks[0]):
		return "0", toks[0].text, true
	case len(toks) == 3 && arg(toks[0]) && toks[1].text == "," && arg(toks[2]):
		return toks[0].text, toks[2].text, true
	case len(toks) == 3 && arg(toks[0]) && strings.EqualFold(toks[1].text, "OFFSET") && arg(toks[2]):
		return toks[2].text, toks[0].text, true
	}
	return "", "", false
}

// groupConcatOrder splits a GROUP_CONCAT's ORDER BY list into the sort
// items and the LIMIT marker (nil when there is no LIMIT).
func groupConcatOrder(a *ast.AggregateFuncExpr) (items []*ast.ByItem, limit *ast.FuncCallExpr) {
	if a.Order == nil {
		return nil, nil
	}
	items = a.Order.Items
	if n := len(items); n > 0 {
		if f, ok := items[n-1].Expr.(*ast.FuncCallExpr); ok && f.FnName.L == groupConcatLimitFunc && len(f.Args) == 2 {
			return items[:n-1], f
		}
	}
	return items, nil
}

// groupConcatLimit evaluates the marker's offset and count (numbers or
// placeholder values; a negative or NULL one counts as 0).
func (c *evalCtx) groupConcatLimit(f *ast.FuncCallExpr) (offset, count int64) {
	var n [2]int64
	for i, a := range f.Args {
		if v, err := c.eval(a); err == nil && v != nil {
			if u, ok := v.(uint64); ok {
				n[i] = int64(min(u, math.MaxInt64))
			} else {
				n[i] = max(toInt(v), 0)
			}
		}
	}
	return n[0], n[1]
}

// restoreFieldTexts gives the nodes of node (select-list items, a view's
// query) the text the user wrote where fixes rewrote it.
func restoreFieldTexts(node ast.Node, fixes []textFix) {
	if len(fixes) == 0 {
		return
	}
	node.Accept(&fieldTextFixer{fixes})
}

type fieldTextFixer struct{ fixes []textFix }

func (v *fieldTextFixer) Enter(n ast.Node) (ast.Node, bool) {
	if text := n.Text(); strings.Contains(text, groupConcatLimitFunc) {
		for _, fx := range v.fixes {
			text = strings.ReplaceAll(text, fx.rewritten, fx.original)
		}
		n.SetText(nil, text)
	}
	return n, false
}

func (v *fieldTextFixer) Leave(n ast.Node) (ast.Node, bool) { return n, true }
