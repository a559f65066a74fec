package sqlshim

import (
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// This file holds SHOW WARNINGS and SHOW ERRORS: the diagnostics of the
// statement before, with MariaDB's LIMIT (which TiDB's parser does not
// read after them) and SHOW COUNT(*) WARNINGS | ERRORS.

// stripShowLimit cuts MariaDB's `LIMIT [offset,] count` or `LIMIT count
// OFFSET offset` from the end of SHOW WARNINGS or SHOW ERRORS, which
// TiDB's parser refuses, and returns the text without it. lim is nil for
// any other statement or when there is no LIMIT; a malformed LIMIT is left
// in place for the parser to report.
func stripShowLimit(sql string) (text string, lim *ast.Limit) {
	if w, sure := leadingWord(sql); sure && !strings.EqualFold(w, "SHOW") {
		return sql, nil
	}
	toks := tokenize(sql)
	if len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	i := 1
	if len(toks) < 4 || !strings.EqualFold(toks[0].text, "SHOW") {
		return sql, nil
	}
	// COUNT(*) has no LIMIT in MariaDB: only the plain form.
	if w := strings.ToUpper(toks[i].text); w != "WARNINGS" && w != "ERRORS" || toks[i].kind != 'w' {
		return sql, nil
	}
	i++
	if !strings.EqualFold(toks[i].text, "LIMIT") {
		return sql, nil
	}
	num := func(t token) (uint64, bool) {
		if t.kind != 'n' {
			return 0, false
		}
		n, err := strconv.ParseUint(t.text, 10, 64)
		return n, err == nil
	}
	rest := toks[i+1:]
	var count, offset uint64
	var ok1, ok2 bool
	switch {
	case len(rest) == 1:
		count, ok1 = num(rest[0])
		ok2 = true
	case len(rest) == 3 && rest[1].text == ",":
		offset, ok1 = num(rest[0])
		count, ok2 = num(rest[2])
	case len(rest) == 3 && strings.EqualFold(rest[1].text, "OFFSET"):
		count, ok1 = num(rest[0])
		offset, ok2 = num(rest[2])
	}
	if !ok1 || !ok2 {
		return sql, nil
	}
	return sql[:toks[i].start], &ast.Limit{Count: ast.NewValueExpr(count, "", ""), Offset: ast.NewValueExpr(offset, "", "")}
}

// showDiagnostics answers SHOW WARNINGS, SHOW ERRORS (errors only) and
// their COUNT(*) forms from the diagnostics of the statement before, as
// MariaDB does; n.Limit (stripShowLimit) picks rows as a SELECT's LIMIT
// does.
func (x *execCtx) showDiagnostics(n *ast.ShowStmt) (Result, error) {
	errorsOnly := n.Tp == ast.ShowErrors
	if n.CountWarningsOrErrors {
		name := "@@session.warning_count"
		if errorsOnly {
			name = "@@session.error_count"
		}
		cols := textColumns(name)
		intColumn(cols, name)
		c := int64(0)
		for _, w := range x.s.prevWarnings {
			if !errorsOnly || w.Level == "Error" {
				c++
			}
		}
		return Result{Columns: cols, Rows: [][]any{{c}}}, nil
	}
	cols := textColumns("Level", "Code", "Message")
	intColumn(cols, "Code")
	rows := [][]any{}
	for _, w := range x.s.prevWarnings {
		if errorsOnly && w.Level != "Error" {
			continue
		}
		rows = append(rows, []any{w.Level, int64(w.Code), w.Message})
	}
	count, offset, err := x.limitValues(n.Limit)
	if err != nil {
		return Result{}, err
	}
	rows = rows[min(offset, int64(len(rows))):]
	if count >= 0 {
		rows = rows[:min(count, int64(len(rows)))]
	}
	return Result{Columns: cols, Rows: rows}, nil
}
