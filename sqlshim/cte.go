package sqlshim

import (
	"fmt"
	"maps"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Common table expressions (WITH name [(cols)] AS (query) ...).
//
// A non-recursive CTE is a named derived table, so a statement with a WITH
// clause is rewritten once, at parse time, into the same statement with
// each reference to a CTE replaced by that CTE's query as a derived table
// (aliased by the reference's alias, else by the CTE's name); the
// executor then runs derived tables as it always does, and a cached
// statement is cached already rewritten. A CTE may use the CTEs listed
// before it in its clause and those of enclosing clauses. A column list
// becomes the aliases of the query's select list.
//
// The references share the CTE's query node: the executor keeps no state
// in the nodes it runs (its caches live in the execution), so one query
// tree can be run at two places of a statement, as a self-join of a CTE
// does. The tree stays acyclic: a CTE's query can only refer to CTEs
// before it (in a WITH RECURSIVE clause, to those it depends on), and a
// recursive CTE's references to itself stay table names. The rewrite
// runs after the ? placeholders are numbered, and keeps the text the
// column headers are taken from.
//
// A recursive CTE (WITH RECURSIVE, a CTE whose query names itself) is
// substituted the same way, as its query: a set operation that the
// executor recognises by its WITH field, set to recursiveMark, and runs
// by iteration (cte_recursive.go). Its references to itself stay table
// names, marked (IsAlias, a field TiDB's planner sets and its parser
// never does; blitz reads it nowhere else) by markRecursiveRefs
// before any substitution, so that a table of the same name that another
// CTE's query substitutes into it is still the table. In a WITH RECURSIVE
// clause a CTE may also use the ones after it, unless they use it back
// (mutual recursion, refused with 1235).

// expandCTEs rewrites the WITH clauses of n away (parseOne calls it only
// for a statement that has one, as its placeholder walk finds).
func expandCTEs(n ast.StmtNode) error {
	markRecursiveRefs(n)
	e := &cteExpander{}
	n.Accept(e)
	if e.err != nil {
		return e.err
	}
	return checkExpansion(n)
}

// maxDerivedInstances bounds how many derived tables a statement may run
// once its CTEs are substituted. Each reference runs its CTE's query, so
// a chain of CTEs that each use the one before twice doubles the work at
// every link: 30 links would run a billion queries.
const maxDerivedInstances = 1000

// checkExpansion refuses a statement whose CTE references expand to more
// than maxDerivedInstances derived tables (1235). Counting shares the work
// for shared queries, so it takes time in the size of the text, not of
// the expansion.
func checkExpansion(n ast.Node) error {
	if derivedWeight(n, map[ast.Node]int{}) > maxDerivedInstances {
		return errNotSupported(fmt.Sprintf("common table expressions that expand to more than %d derived tables", maxDerivedInstances))
	}
	return nil
}

// derivedWeight counts the derived tables of n, each shared query as many
// times as it is referenced (memo holds the counts of queries seen).
func derivedWeight(n ast.Node, memo map[ast.Node]int) int {
	total := 0
	n.Accept(visitFunc(func(c ast.Node) bool {
		if total > maxDerivedInstances {
			return false
		}
		ts, ok := c.(*ast.TableSource)
		if !ok {
			return true
		}
		switch q := ts.Source.(type) {
		case *ast.SelectStmt, *ast.SetOprStmt:
			w, ok := memo[q]
			if !ok {
				memo[q] = maxDerivedInstances + 1 // a cycle cannot happen; if it did, it is too big
				w = 1 + derivedWeight(q, memo)
				memo[q] = w
			}
			total += w
			return false
		}
		return true
	}))
	return total
}

// visitFunc is an ast.Visitor that calls f on entering each node and
// stops descending where f returns false.
type visitFunc func(ast.Node) bool

func (f visitFunc) Enter(n ast.Node) (ast.Node, bool) { return n, !f(n) }
func (f visitFunc) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// withField points at the WITH clause field of the statements that have
// one, or is nil.
func withField(n ast.Node) **ast.WithClause {
	switch s := n.(type) {
	case *ast.SelectStmt:
		return &s.With
	case *ast.SetOprStmt:
		return &s.With
	case *ast.UpdateStmt:
		return &s.With
	case *ast.DeleteStmt:
		return &s.With
	}
	return nil
}

func withOf(n ast.Node) *ast.WithClause {
	if p := withField(n); p != nil {
		return *p
	}
	return nil
}

type cteExpander struct {
	err error
}

// Enter expands the WITH clause of each statement on the way down, so that
// the clauses inside the CTEs it substitutes are expanded after it.
func (e *cteExpander) Enter(n ast.Node) (ast.Node, bool) {
	if e.err != nil {
		return n, true
	}
	if w := withOf(n); w != nil && w != recursiveMark {
		*withField(n) = nil
		e.err = expandWith(n, w)
	}
	return n, e.err != nil
}

func (e *cteExpander) Leave(n ast.Node) (ast.Node, bool) { return n, e.err == nil }

// expandWith substitutes the CTEs of w into body (the statement w belonged
// to).
func expandWith(body ast.Node, w *ast.WithClause) error {
	seen := map[string]bool{}
	for _, c := range w.CTEs {
		if seen[c.Name.L] {
			return errf(4004, "Duplicate query name `%s` in WITH clause", c.Name.O)
		}
		seen[c.Name.L] = true
		if w.IsRecursive && hasRecursiveRef(c.Query, c.Name.L) {
			q, ok := c.Query.Query.(*ast.SetOprStmt)
			if !ok {
				return errf(errNoAnchors, "No anchors for recursive WITH element '%s'", c.Name.O)
			}
			if own := q.With; own != nil && own != recursiveMark {
				// The query's own WITH clause gives way to the mark.
				q.With = nil
				if err := expandWith(q, own); err != nil {
					return err
				}
			}
			q.With = recursiveMark
		}
		if len(c.ColNameList) > 0 {
			if err := applyColumnList(c.Query.Query, c); err != nil {
				return err
			}
		}
	}
	order := w.CTEs
	if w.IsRecursive {
		var err error
		if order, err = dependencyOrder(w.CTEs); err != nil {
			return err
		}
	}
	// Each CTE sees the ones before it: substitute them into its query
	// first, then all of them into the body.
	for i, c := range order {
		substitute(c.Query, order[:i])
	}
	substitute(body, w.CTEs)
	// Checked before the expander walks into what was substituted (the
	// walk follows every reference).
	return checkExpansion(body)
}

// dependencyOrder returns the CTEs of a WITH RECURSIVE clause ordered so
// that each comes after those it uses (its own name aside), as written
// where the order allows. CTEs that use each other are refused (1235).
func dependencyOrder(ctes []*ast.CommonTableExpression) ([]*ast.CommonTableExpression, error) {
	uses := make([][]int, len(ctes))
	for i, c := range ctes {
		for j, d := range ctes {
			if i != j && refersTo(c.Query, d.Name.L) {
				uses[i] = append(uses[i], j)
			}
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(ctes))
	order := make([]*ast.CommonTableExpression, 0, len(ctes))
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			return errNotSupported("mutually recursive common table expressions")
		}
		state[i] = visiting
		for _, j := range uses[i] {
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = done
		order = append(order, ctes[i])
		return nil
	}
	for i := range ctes {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// recursiveMark is the WITH field of a recursive CTE's query once its
// clause is expanded (a clause without CTEs, which the parser never
// makes): the executor runs such a set operation by iteration.
var recursiveMark = &ast.WithClause{IsRecursive: true}

// errNoAnchors is MariaDB's ER_RECURSIVE_WITHOUT_ANCHORS.
const errNoAnchors = 4005

// markRecursiveRefs marks, in every WITH RECURSIVE clause of n, each
// CTE's references to itself (see the top of this file). It runs on the
// statement as parsed: no query is shared yet.
func markRecursiveRefs(n ast.Node) {
	n.Accept(visitFunc(func(c ast.Node) bool {
		if w := withOf(c); w != nil && w.IsRecursive {
			for _, cte := range w.CTEs {
				markSelfRefs(cte.Query, cte.Name.L)
			}
		}
		return true
	}))
}

// markSelfRefs marks the FROM references to name in n (selfRefs).
func markSelfRefs(n ast.Node, name string) {
	selfRefs(n, name, func(tn *ast.TableName) bool {
		tn.IsAlias = true
		return true
	})
}

// selfRefs calls f on each FROM reference to name in n, except below a
// nested WITH clause that defines name again and inside the query of
// another recursive CTE, until f returns false.
func selfRefs(n ast.Node, name string, f func(*ast.TableName) bool) {
	stop := false
	n.Accept(visitFunc(func(c ast.Node) bool {
		if stop {
			return false
		}
		if w := withOf(c); w != nil && c != n {
			if w == recursiveMark {
				return false
			}
			for _, cte := range w.CTEs {
				if cte.Name.L == name {
					return false
				}
			}
		}
		if ts, ok := c.(*ast.TableSource); ok {
			if tn, ok := ts.Source.(*ast.TableName); ok && tn.Schema.L == "" && tn.Name.L == name {
				stop = !f(tn)
			}
		}
		return !stop
	}))
}

// isRecursiveRef reports whether tn is a recursive CTE's reference to
// itself (markRecursiveRefs).
func isRecursiveRef(tn *ast.TableName) bool { return tn.IsAlias && tn.Schema.L == "" }

// hasRecursiveRef reports whether n holds a marked reference to name.
func hasRecursiveRef(n ast.Node, name string) bool {
	found := false
	selfRefs(n, name, func(tn *ast.TableName) bool {
		found = isRecursiveRef(tn)
		return !found
	})
	return found
}

// refersTo reports whether a table reference without a schema named name
// occurs in n.
func refersTo(n ast.Node, name string) bool {
	found := false
	n.Accept(visitFunc(func(n ast.Node) bool {
		if t, ok := n.(*ast.TableName); ok && t.Schema.L == "" && t.Name.L == name {
			found = true
		}
		return !found
	}))
	return found
}

// substitute replaces, in n, each FROM reference to one of ctes by its
// query. A nested WITH clause that defines one of the names hides that
// CTE below it.
func substitute(n ast.Node, ctes []*ast.CommonTableExpression) {
	if len(ctes) == 0 {
		return
	}
	byName := map[string]*ast.CommonTableExpression{}
	for _, c := range ctes {
		byName[c.Name.L] = c
	}
	n.Accept(&cteSubst{byName: byName, root: n})
}

type cteSubst struct {
	byName map[string]*ast.CommonTableExpression
	root   ast.Node
}

func (s *cteSubst) Enter(n ast.Node) (ast.Node, bool) {
	if w := withOf(n); w != nil && n != s.root {
		var hidden map[string]*ast.CommonTableExpression
		for _, c := range w.CTEs {
			if s.byName[c.Name.L] != nil {
				if hidden == nil {
					hidden = maps.Clone(s.byName)
				}
				delete(hidden, c.Name.L)
			}
		}
		if hidden != nil {
			if len(hidden) > 0 {
				n.Accept(&cteSubst{byName: hidden, root: n})
			}
			return n, true
		}
	}
	ts, ok := n.(*ast.TableSource)
	if !ok {
		return n, false
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok || tn.Schema.L != "" || isRecursiveRef(tn) {
		return n, false
	}
	c := s.byName[tn.Name.L]
	if c == nil {
		return n, false
	}
	ts.Source = c.Query.Query
	if ts.AsName.L == "" {
		ts.AsName = c.Name
	}
	return n, true // the CTE's query had its own turn
}

func (s *cteSubst) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// applyColumnList names q's columns after c's column list (4002 when the
// counts differ).
func applyColumnList(q ast.ResultSetNode, c *ast.CommonTableExpression) error {
	var sel *ast.SelectStmt
	switch s := q.(type) {
	case *ast.SelectStmt:
		sel = s
	case *ast.SetOprStmt:
		if s.SelectList != nil && len(s.SelectList.Selects) > 0 {
			sel, _ = s.SelectList.Selects[0].(*ast.SelectStmt)
		}
	}
	if sel == nil || sel.Fields == nil {
		return errNotSupported("a column list on this common table expression")
	}
	for _, f := range sel.Fields.Fields {
		if f.WildCard != nil {
			return errNotSupported("a column list on a common table expression that selects *")
		}
	}
	if len(sel.Fields.Fields) != len(c.ColNameList) {
		return errf(4002, "WITH column list and SELECT field list have different column counts")
	}
	for i, f := range sel.Fields.Fields {
		f.AsName = c.ColNameList[i]
	}
	// A recursive CTE's anchors may follow a recursive part: they name
	// the working table's columns, so each SELECT of the same width
	// takes the names (another width is error 1222 when it runs).
	if u, ok := q.(*ast.SetOprStmt); ok && u.With == recursiveMark {
		for _, part := range u.SelectList.Selects {
			if s, ok := part.(*ast.SelectStmt); ok && s.Fields != nil && len(s.Fields.Fields) == len(c.ColNameList) {
				for i, f := range s.Fields.Fields {
					if f.WildCard == nil {
						f.AsName = c.ColNameList[i]
					}
				}
			}
		}
	}
	return nil
}
