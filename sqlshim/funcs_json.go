package sqlshim

import (
	"strings"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/jsondoc"
	"github.com/blitzdb/blitz/internal/like"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// This file holds the JSON functions of MariaDB 10.11 (JSON_EXTRACT,
// JSON_SET, JSON_OBJECT, ...) and the JSON aggregates' formatting; the
// documents and paths themselves are internal/jsondoc. As in MariaDB, a
// JSON document is text: a function reads each JSON argument by parsing
// it, and a text that is not JSON, or a path that is not a path, makes
// the result NULL with MariaDB's warning (4036-4046), naming the argument
// by its position.
//
// Like MariaDB, a value that is itself JSON (a JSON column, the result of
// a function that returns JSON) goes into a new document as JSON;
// anything else goes in as a string, number or boolean.

// jsonReturning are the functions whose result is a JSON document.
var jsonReturning = map[string]bool{
	"json_extract": true, "json_object": true, "json_array": true, "json_set": true,
	"json_insert": true, "json_replace": true, "json_remove": true, "json_array_append": true,
	"json_array_insert": true, "json_merge": true, "json_merge_patch": true,
	"json_merge_preserve": true, "json_compact": true, "json_detailed": true, "json_pretty": true,
	"json_query": true, "json_keys": true, "json_search": true,
}

// Error codes of JSON function arguments other than bad JSON text and
// bad paths (jsondoc's).
const (
	errJSONPathWild     = 4044 // Wildcards or range in JSON path not allowed
	errJSONOneOrAll     = 4046 // Argument 2 to function '%s' must be "one" or "all".
	errJSONPathNotAllow = 4051 // Path expression '$' is not allowed
)

// isJSONExpr reports whether e's value is a JSON document: a JSON column,
// or a function that returns one.
func (c *evalCtx) isJSONExpr(e ast.ExprNode) bool {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return c.isJSONExpr(x.Expr)
	case *ast.FuncCallExpr:
		return jsonReturning[x.FnName.L]
	case *ast.ColumnNameExpr:
		col := c.columnOf(x.Name)
		return col != nil && col.Type == engine.TypeJSON
	}
	return false
}

// columnOf is the definition of the column n names in c's table or
// join, or nil.
func (c *evalCtx) columnOf(n *ast.ColumnName) *engine.Column {
	if c.ti == nil {
		return nil
	}
	if c.ti.join != nil {
		if p := c.ti.join.position(n, c.clause); p >= 0 {
			return c.ti.join.columnAt(p)
		}
		return nil
	}
	if p := (tableScope{c.ti}).position(n, c.clause); p >= 0 {
		return &c.ti.def.Columns[p]
	}
	return nil
}

// isBoolExpr reports whether e is a boolean in MariaDB's eyes: TRUE,
// FALSE, a comparison or a logical operator. JSON takes it as true or
// false rather than 1 or 0.
func isBoolExpr(e ast.ExprNode) bool {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return isBoolExpr(x.Expr)
	case *test_driver.ValueExpr:
		return mysql.HasIsBooleanFlag(x.Type.GetFlag())
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.EQ, opcode.NE, opcode.LT, opcode.LE, opcode.GT, opcode.GE, opcode.NullEQ,
			opcode.LogicAnd, opcode.LogicOr, opcode.LogicXor:
			return true
		}
	case *ast.UnaryOperationExpr:
		return x.Op == opcode.Not
	case *ast.IsNullExpr, *ast.IsTruthExpr, *ast.PatternLikeOrIlikeExpr, *ast.PatternInExpr,
		*ast.BetweenExpr, *ast.ExistsSubqueryExpr, *ast.PatternRegexpExpr:
		return true
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "json_valid", "json_contains", "json_contains_path", "json_exists":
			return true
		}
	}
	return false
}

// jsonOf converts v, the value of argument e, to a JSON value: JSON
// text as the document it holds, a boolean as true or false, a number as
// a number, NULL as null, anything else as a string.
func (c *evalCtx) jsonOf(e ast.ExprNode, v any) *jsondoc.Value {
	if v == nil {
		return &jsondoc.Value{Kind: jsondoc.Null}
	}
	if e != nil && c.isJSONExpr(e) {
		if doc, err := jsondoc.Parse(toString(v)); err == nil {
			return doc
		}
	}
	if e != nil && isBoolExpr(e) {
		if b, _ := truthy(v); b {
			return &jsondoc.Value{Kind: jsondoc.True}
		}
		return &jsondoc.Value{Kind: jsondoc.False}
	}
	switch x := v.(type) {
	case int64, uint64, decimal.Decimal:
		return &jsondoc.Value{Kind: jsondoc.Number, Text: toString(x)}
	case float64:
		if x == 0 {
			x = 0 // MariaDB prints -0 as 0
		}
		return &jsondoc.Value{Kind: jsondoc.Number, Text: formatFloat(x)}
	case time.Time:
		text := toString(x)
		if isDateExpr(c.ti, e) {
			text = formatTime(x, true, 0)
		}
		return &jsondoc.Value{Kind: jsondoc.String, Text: text}
	}
	return &jsondoc.Value{Kind: jsondoc.String, Text: string(jsondoc.AppendEscaped(nil, toString(v)))}
}

// appendJSONArg appends argument e (value v) to a document that
// JSON_OBJECT, JSON_ARRAY or a JSON aggregate builds: a JSON column's
// text as it is written, anything else (a JSON function's result too)
// as jsonOf prints it.
func (c *evalCtx) appendJSONArg(b []byte, e ast.ExprNode, v any) []byte {
	if _, col := e.(*ast.ColumnNameExpr); col && v != nil && c.isJSONExpr(e) {
		if s := toString(v); jsondoc.Valid(s) {
			return append(b, s...)
		}
	}
	return c.jsonOf(e, v).AppendTo(b, jsondoc.Normal, 0)
}

// jsonFunc reads JSON arguments and paths, and warns as MariaDB does of
// those that are not.
type jsonFunc struct {
	c    *evalCtx
	name string // lower case, as MariaDB's messages name it
}

// doc parses argument i (from 0) as a document; ok is false (after the
// warning) when it is not one, or NULL.
func (f jsonFunc) doc(args []any, i int) (*jsondoc.Value, bool) {
	if args[i] == nil {
		return nil, false
	}
	v, err := jsondoc.Parse(toString(args[i]))
	if err != nil {
		if !jsonQuietDoc[f.name] {
			f.c.warning(err.Code, "%s", err.Message(i+1, f.name))
		}
		return nil, false
	}
	return v, true
}

// jsonQuietDoc are the functions that give no warning for a document
// that is not JSON: MariaDB reads their document only as far as the
// path's value, and says nothing of what follows. Here such a document
// is NULL throughout (MariaDB may find a value before the damage).
var jsonQuietDoc = map[string]bool{"json_keys": true, "json_value": true, "json_query": true, "json_exists": true}

// path parses argument i as a path; ok is false when it is not one, or
// NULL, or (wild false) it has wildcards.
func (f jsonFunc) path(args []any, i int, wild bool) (*jsondoc.Path, bool) {
	if args[i] == nil {
		return nil, false
	}
	p, err := jsondoc.ParsePath(toString(args[i]))
	if err != nil {
		f.c.warning(err.Code, "%s", err.Message(i+1, f.name))
		return nil, false
	}
	if !wild && p.Wild {
		f.c.warning(errJSONPathWild, "Wildcards or range in JSON path not allowed in argument %d to function '%s'", i+1, f.name)
		return nil, false
	}
	return p, true
}

// target is the one value path argument i selects in doc (argument 0),
// for the functions that take an optional path: nil when not found.
func (f jsonFunc) target(args []any, pathArg int) (*jsondoc.Value, bool) {
	var p *jsondoc.Path
	if pathArg < len(args) {
		var ok bool
		if p, ok = f.path(args, pathArg, false); !ok {
			return nil, false
		}
	}
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil, false
	}
	if p == nil {
		return doc, true
	}
	found := p.Find(doc)
	if len(found) == 0 {
		return nil, false
	}
	return found[0], true
}

// jsonFuncs are the JSON functions and their argument counts (hi < 0:
// any number).
var jsonFuncs = map[string][2]int{
	"json_valid": {1, 1}, "json_type": {1, 1}, "json_extract": {2, -1}, "json_unquote": {1, 1},
	"json_quote": {1, 1}, "json_object": {0, -1}, "json_array": {0, -1}, "json_length": {1, 2},
	"json_depth": {1, 1}, "json_keys": {1, 2}, "json_contains": {2, 3}, "json_contains_path": {3, -1},
	"json_search": {3, -1}, "json_set": {3, -1}, "json_insert": {3, -1}, "json_replace": {3, -1},
	"json_remove": {2, -1}, "json_array_append": {3, -1}, "json_array_insert": {3, -1},
	"json_merge": {2, -1}, "json_merge_preserve": {2, -1}, "json_merge_patch": {2, -1},
	"json_compact": {1, 1}, "json_detailed": {1, 2}, "json_pretty": {1, 2}, "json_value": {2, 2},
	"json_query": {2, 2}, "json_exists": {2, 2},
}

// jsonCall runs the JSON function name on args (the values of x.Args);
// handled is false when name is not one.
func (c *evalCtx) jsonCall(name string, x *ast.FuncCallExpr, args []any) (v any, handled bool, err error) {
	n, ok := jsonFuncs[name]
	if !ok {
		return nil, false, nil
	}
	bad := len(args) < n[0] || n[1] >= 0 && len(args) > n[1]
	switch name {
	case "json_object":
		bad = len(args)%2 != 0
	case "json_set", "json_insert", "json_replace", "json_array_append", "json_array_insert":
		bad = bad || len(args)%2 == 0
	}
	if bad {
		return nil, true, errf(errWrongArgCount, "Incorrect parameter count in the call to native function '%s'", x.FnName.O)
	}
	v = c.jsonResult(jsonFunc{c: c, name: name}, x, args)
	if s, ok := v.(string); ok {
		if long, err := c.tooLong(name, int64(len(s))); long {
			return nil, true, err
		}
	}
	return v, true, nil
}

func (c *evalCtx) jsonResult(f jsonFunc, x *ast.FuncCallExpr, args []any) any {
	switch f.name {
	case "json_valid":
		if args[0] == nil {
			return nil
		}
		if _, err := jsondoc.Parse(toString(args[0])); err != nil {
			if c.s != nil {
				c.s.addNote(err.Code, "%s", err.Message(1, f.name))
			}
			return int64(0)
		}
		return int64(1)
	case "json_type":
		if doc, ok := f.doc(args, 0); ok {
			return doc.TypeName()
		}
	case "json_extract":
		return f.extract(args)
	case "json_unquote":
		if args[0] == nil {
			return nil
		}
		s := toString(args[0])
		if len(s) < 2 || s[0] != '"' {
			return s
		}
		doc, err := jsondoc.Parse(s)
		if err != nil {
			c.warning(err.Code, "%s", err.Message(1, f.name))
			return s
		}
		if doc.Kind == jsondoc.String {
			return jsondoc.Unescape(doc.Text)
		}
		return s
	case "json_quote":
		switch args[0].(type) {
		case string, []byte:
			return jsondoc.Quote(toString(args[0]))
		}
	case "json_object":
		b := []byte{'{'}
		for i := 0; i < len(args); i += 2 {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, jsondoc.Quote(toString(args[i]))...)
			b = append(b, ": "...)
			b = c.appendJSONArg(b, x.Args[i+1], args[i+1])
		}
		return string(append(b, '}'))
	case "json_array":
		b := []byte{'['}
		for i, a := range args {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = c.appendJSONArg(b, x.Args[i], a)
		}
		return string(append(b, ']'))
	case "json_length":
		if t, ok := f.target(args, 1); ok {
			if t.IsScalar() {
				return int64(1)
			}
			return int64(len(t.Items))
		}
	case "json_depth":
		if doc, ok := f.doc(args, 0); ok {
			return int64(doc.Depth())
		}
	case "json_keys":
		if t, ok := f.target(args, 1); ok && t.Kind == jsondoc.Object {
			b := []byte{'['}
			seen := make(map[string]bool, len(t.Keys))
			for _, k := range t.Keys {
				if seen[k] {
					continue // a name given twice is listed once
				}
				if len(seen) > 0 {
					b = append(b, ", "...)
				}
				seen[k] = true
				b = append(b, '"')
				b = append(b, k...)
				b = append(b, '"')
			}
			return string(append(b, ']'))
		}
	case "json_contains":
		return f.contains(args)
	case "json_contains_path":
		return f.containsPath(args)
	case "json_search":
		return f.search(args)
	case "json_set", "json_insert", "json_replace":
		return f.set(x, args)
	case "json_remove":
		return f.remove(args)
	case "json_array_append", "json_array_insert":
		return f.arrayAdd(x, args)
	case "json_merge", "json_merge_preserve", "json_merge_patch":
		return f.merge(args)
	case "json_compact":
		if doc, ok := f.doc(args, 0); ok {
			return string(doc.AppendTo(nil, jsondoc.Compact, 0))
		}
	case "json_detailed", "json_pretty":
		if doc, ok := f.doc(args, 0); ok {
			return string(doc.AppendTo(nil, jsondoc.Detailed, 0))
		}
	case "json_value", "json_query":
		p, ok := f.path(args, 1, true)
		if !ok {
			return nil
		}
		doc, ok := f.doc(args, 0)
		if !ok {
			return nil
		}
		found := p.Find(doc)
		if len(found) != 1 || p.Wild {
			return nil
		}
		t := found[0]
		if f.name == "json_query" {
			if t.IsScalar() {
				return nil
			}
			return t.Raw
		}
		switch t.Kind {
		case jsondoc.String:
			return jsondoc.Unescape(t.Text)
		case jsondoc.True:
			return "1"
		case jsondoc.False:
			return "0"
		case jsondoc.Array, jsondoc.Object, jsondoc.Null:
			return nil
		}
		return t.Text
	case "json_exists":
		p, ok := f.path(args, 1, true)
		if !ok {
			return nil
		}
		if doc, ok := f.doc(args, 0); ok {
			return boolVal(p.Exists(doc))
		}
	}
	return nil
}

// paths parses the path arguments args[from:]; ok is false when any is
// NULL or not a path.
func (f jsonFunc) paths(args []any, from int, wild bool) ([]*jsondoc.Path, bool) {
	ps := make([]*jsondoc.Path, 0, len(args)-from)
	for i := from; i < len(args); i++ {
		p, ok := f.path(args, i, wild)
		if !ok {
			return nil, false
		}
		ps = append(ps, p)
	}
	return ps, true
}

// extract is JSON_EXTRACT: the one value a plain path selects, or, for
// several paths or a path with wildcards, an array of everything they
// select; NULL when they select nothing.
func (f jsonFunc) extract(args []any) any {
	ps, ok := f.paths(args, 1, true)
	if !ok {
		return nil
	}
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil
	}
	var found []*jsondoc.Value
	for _, p := range ps {
		found = append(found, p.Find(doc)...)
	}
	if len(found) == 0 {
		return nil
	}
	if len(ps) == 1 && !ps[0].Wild {
		return found[0].String()
	}
	return (&jsondoc.Value{Kind: jsondoc.Array, Items: found}).String()
}

func (f jsonFunc) contains(args []any) any {
	if args[0] == nil || args[1] == nil || len(args) == 3 && args[2] == nil {
		return nil
	}
	t, ok := f.target(args, 2)
	if !ok {
		return nil
	}
	cand, ok := f.doc(args, 1)
	if !ok {
		return nil
	}
	return boolVal(jsondoc.Contains(t, cand))
}

// oneOrAll reads the "one" or "all" argument (2) of JSON_CONTAINS_PATH
// and JSON_SEARCH; ok is false, with warning 4046, for anything else.
func (f jsonFunc) oneOrAll(v any) (all, ok bool) {
	switch strings.ToLower(toString(v)) {
	case "all":
		return true, true
	case "one":
		return false, true
	}
	f.c.warning(errJSONOneOrAll, "Argument 2 to function '%s' must be \"one\" or \"all\".", f.name)
	return false, false
}

func (f jsonFunc) containsPath(args []any) any {
	if args[1] == nil {
		return nil
	}
	all, ok := f.oneOrAll(args[1])
	if !ok {
		return nil
	}
	ps, ok := f.paths(args, 2, true)
	if !ok {
		return nil
	}
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil
	}
	for _, p := range ps {
		if p.Exists(doc) != all {
			return boolVal(!all)
		}
	}
	return boolVal(all)
}

// search is JSON_SEARCH(doc, one|all, pattern[, escape[, path...]]): the
// paths of the strings that match pattern as LIKE does, the first one or
// all of them, as a JSON string or an array of them.
func (f jsonFunc) search(args []any) any {
	if args[0] == nil || args[1] == nil || args[2] == nil {
		return nil
	}
	all, ok := f.oneOrAll(args[1])
	if !ok {
		return nil
	}
	escape := '\\'
	if len(args) > 3 && args[3] != nil {
		for _, r := range toString(args[3]) {
			escape = r
			break
		}
	}
	var within []*jsondoc.Path
	if len(args) > 4 {
		var ok bool
		if within, ok = f.paths(args, 4, true); !ok {
			return nil
		}
	}
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil
	}
	var under map[*jsondoc.Value]bool
	if within != nil {
		under = map[*jsondoc.Value]bool{}
		for _, p := range within {
			for _, v := range p.Find(doc) {
				under[v] = true
			}
		}
	}
	pattern := toString(args[2])
	var hits []string
	jsondoc.WalkPaths(doc, func(path string, v *jsondoc.Value, inside bool) bool {
		if under != nil && !inside && !under[v] {
			return false
		}
		if v.Kind == jsondoc.String && like.Match(jsondoc.Unescape(v.Text), pattern, escape) {
			hits = append(hits, path)
			if !all {
				return true
			}
		}
		return false
	}, under)
	switch {
	case len(hits) == 0:
		return nil
	case len(hits) == 1:
		return jsondoc.Quote(hits[0])
	}
	b := []byte{'['}
	for i, h := range hits {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, jsondoc.Quote(h)...)
	}
	return string(append(b, ']'))
}

// set is JSON_SET, JSON_INSERT and JSON_REPLACE: each path and value
// pair in turn.
func (f jsonFunc) set(x *ast.FuncCallExpr, args []any) any {
	mode := jsondoc.SetAny
	switch f.name {
	case "json_insert":
		mode = jsondoc.SetInsert
	case "json_replace":
		mode = jsondoc.SetReplace
	}
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil
	}
	for i := 1; i < len(args); i += 2 {
		p, ok := f.path(args, i, false)
		if !ok {
			return nil
		}
		doc = jsondoc.Set(doc, p, f.c.jsonOf(x.Args[i+1], args[i+1]), mode)
	}
	return doc.String()
}

func (f jsonFunc) remove(args []any) any {
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil
	}
	for i := 1; i < len(args); i++ {
		p, ok := f.path(args, i, false)
		if !ok {
			return nil
		}
		if len(p.Steps) == 0 {
			f.c.warning(errJSONPathNotAllow, "Path expression '$' is not allowed in argument %d to function '%s'.", i+1, f.name)
			return nil
		}
		jsondoc.Remove(doc, p)
	}
	return doc.String()
}

// arrayAdd is JSON_ARRAY_APPEND and JSON_ARRAY_INSERT.
func (f jsonFunc) arrayAdd(x *ast.FuncCallExpr, args []any) any {
	doc, ok := f.doc(args, 0)
	if !ok {
		return nil
	}
	for i := 1; i < len(args); i += 2 {
		p, ok := f.path(args, i, false)
		if !ok {
			return nil
		}
		val := f.c.jsonOf(x.Args[i+1], args[i+1])
		if f.name == "json_array_append" {
			if !jsondoc.ArrayAppend(doc, p, val) {
				return nil
			}
			continue
		}
		if len(p.Steps) == 0 || p.Steps[len(p.Steps)-1].Kind != jsondoc.StepIndex {
			return nil // a path that does not end in an index: NULL, as MariaDB
		}
		jsondoc.ArrayInsert(doc, p, val)
	}
	return doc.String()
}

// merge is JSON_MERGE_PRESERVE (JSON_MERGE) and JSON_MERGE_PATCH, left
// to right; NULL when any argument is.
func (f jsonFunc) merge(args []any) any {
	var acc *jsondoc.Value
	for i := range args {
		if args[i] == nil {
			return nil
		}
		d, ok := f.doc(args, i)
		if !ok {
			return nil
		}
		switch {
		case acc == nil:
			acc = d
		case f.name == "json_merge_patch":
			acc = jsondoc.MergePatch(acc, d)
		default:
			acc = jsondoc.MergePreserve(acc, d)
		}
	}
	return acc.String()
}

// jsonOperands prepares the operands of a comparison as MariaDB does
// when one side is JSON: a JSON string compares by its text without the
// quotes (JSON_EXTRACT(j, '$.name') = 'ann', JSON_EXTRACT(j, '$.n') > 9
// with n "10"), true and false with a number as 1 and 0.
func (c *evalCtx) jsonOperands(le, re ast.ExprNode, l, r any) (any, any) {
	unquote := func(e ast.ExprNode, v, other any) any {
		s, ok := v.(string)
		if !ok || other == nil || s == "" || s[0] != '"' && s[0] != 't' && s[0] != 'f' || !c.isJSONExpr(e) {
			return v
		}
		doc, err := jsondoc.Parse(s)
		switch {
		case err != nil:
		case doc.Kind == jsondoc.String:
			return jsondoc.Unescape(doc.Text)
		case doc.Kind == jsondoc.True && isNumeric(other):
			return int64(1)
		case doc.Kind == jsondoc.False && isNumeric(other):
			return int64(0)
		}
		return v
	}
	return unquote(le, l, r), unquote(re, r, l)
}

// jsonAggregate are the aggregates that build a JSON document.
var jsonAggregate = map[string]bool{ast.AggFuncJsonArrayagg: true, ast.AggFuncJsonObjectAgg: true}

// addJSONAgg folds one row into JSON_ARRAYAGG(v) or JSON_OBJECTAGG(k, v):
// each element or member is kept printed in st.parts (a JSON argument as
// written, as JSON_ARRAY does). JSON_OBJECTAGG skips a row whose key is
// NULL; JSON_ARRAYAGG keeps NULLs.
func (c *evalCtx) addJSONAgg(st *aggState, a *ast.AggregateFuncExpr, fn string, vals []any) {
	var b []byte
	if fn == ast.AggFuncJsonObjectAgg {
		if vals[0] == nil {
			return
		}
		b = append(jsondoc.AppendEscaped(append(b, '"'), toString(vals[0])), '"', ':')
		b = c.appendJSONArg(b, a.Args[1], vals[1])
	} else {
		b = c.appendJSONArg(b, a.Args[0], vals[0])
	}
	st.parts = append(st.parts, string(b))
}

// jsonAggResult is the document JSON_ARRAYAGG or JSON_OBJECTAGG built for
// a group: NULL without rows. MariaDB separates the elements of the
// array by "," and the members of the object by ", ".
func jsonAggResult(st *aggState, fn string) any {
	if st.parts == nil {
		return nil
	}
	if fn == ast.AggFuncJsonObjectAgg {
		return "{" + strings.Join(st.parts, ", ") + "}"
	}
	return "[" + strings.Join(st.parts, ",") + "]"
}

// jsonCheckNote adds the note MariaDB's check of a JSON column gives
// before its error 4025: why v is not JSON, as JSON_VALID says it.
func (x *execCtx) jsonCheckNote(v any) {
	if _, err := jsondoc.Parse(toString(v)); err != nil {
		x.s.addNote(err.Code, "%s", err.Message(1, "json_valid"))
	}
}

// qualifyConstraint completes the engine's error 4025 for a JSON column
// c of table ("CONSTRAINT `c` failed") as MariaDB words it: "CONSTRAINT
// `table.c` failed for `db`.`table`". Other errors are returned as they
// are.
func qualifyConstraint(err error, db, table string) error {
	e := sqlerr.As(err)
	if e == nil || e.Code != sqlerr.ErrConstraintFailed {
		return err
	}
	col, ok := strings.CutPrefix(e.Message, "CONSTRAINT `")
	if col, ok = strings.CutSuffix(col, "` failed"); !ok {
		return err
	}
	q := *e
	q.Message = "CONSTRAINT `" + table + "." + col + "` failed for " + quoteIdent(db) + "." + quoteIdent(table)
	return &q
}

// isJSONCheck reports whether check, a CHECK constraint of column col,
// makes it a JSON column: LONGTEXT CHECK (json_valid(col)) is how MariaDB
// prints (and mariadb-dump writes) a JSON column.
func isJSONCheck(col *engine.Column, check ast.ExprNode) bool {
	if col.Type != engine.TypeText || col.Length != 4294967295 {
		return false
	}
	f, ok := check.(*ast.FuncCallExpr)
	if !ok || f.FnName.L != "json_valid" || len(f.Args) != 1 {
		return false
	}
	cn, ok := f.Args[0].(*ast.ColumnNameExpr)
	return ok && cn.Name.Table.L == "" && strings.EqualFold(cn.Name.Name.O, col.Name)
}
