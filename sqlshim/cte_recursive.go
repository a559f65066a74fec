package sqlshim

import (
	"unicode/utf8"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
	"github.com/shopspring/decimal"
)

// Recursive common table expressions (WITH RECURSIVE), run as MariaDB
// runs them.
//
// The CTE's query is a set operation whose SELECTs are anchors (they do
// not name the CTE) and steps (they do). The anchors run once; their rows
// are the first rows of the result and the first working table. Each
// iteration runs every step with the CTE's name bound to the working
// table (the rows the iteration before added: recFrame); the rows the
// steps return, converted to the anchors' column types, are added to the
// result and become the next working table. The iteration stops when an
// iteration adds nothing. With UNION DISTINCT a row already in the result
// is not added again, which ends a walk around a cycle; UNION ALL keeps
// every row.
//
// The result's columns are the anchors' (named after the first SELECT, or
// the CTE's column list), and a step's value is stored as into a column
// of that type: text longer than the anchor's is error 1406 in strict
// mode, cut with warning 1265 outside it; a number out of the type's range
// is error 1264 (clipped outside strict mode). Widen an anchor's column
// with CAST(... AS CHAR(n)) to build longer strings.
//
// Bounds, as MariaDB's: at most @@max_recursive_iterations iterations
// (default 1000), then the result stops with warning 1931; KILL QUERY or
// a cancelled context stops it between (and inside) iterations with error
// 1317. Beyond MariaDB: the rows a recursive CTE holds (its result, and
// the keys of UNION DISTINCT) may take at most blitz_memory_budget bytes
// of row values (rowBytes), else error 1114 names the CTE, so a runaway
// recursion ends with an error rather than exhausting memory.
//
// Refused as MariaDB refuses them: a CTE without an anchor (4005); a step
// that names the CTE twice, in a subquery or on the inner side of an
// outer join, or that aggregates or uses a window function (4008); ORDER
// BY or LIMIT on the whole query, and ALL mixed with DISTINCT (1235).
// Refused by blitz (1235): INTERSECT and EXCEPT in the CTE's query, a
// parenthesised set operation that names the CTE, and mutual recursion.

// DefaultMaxRecursiveIterations is @@max_recursive_iterations's default,
// MariaDB 10.11's.
const DefaultMaxRecursiveIterations = 1000

// maxRecursiveIterationsLimit is the largest value SET accepts (larger
// ones are clipped to it, as MariaDB does).
const maxRecursiveIterationsLimit = 4294967295

const maxRecursiveIterationsVar = "max_recursive_iterations"

// MariaDB's error numbers for recursive CTEs.
const (
	errRecursiveRestricted = 4008 // ER_NOT_STANDARD_COMPLIANT_RECURSIVE
	errIterationsExceeded  = 1931 // ER_QUERY_RESULT_INCOMPLETE (a warning)
	errRecordFileFull      = 1114 // ER_RECORD_FILE_FULL
)

// recFrame binds a recursive CTE's name to its working table while its
// steps run.
type recFrame struct {
	name string // lower case
	res  Result
}

// recursiveFrame returns the working table a marked reference reads: the
// innermost frame of its name.
func (x *execCtx) recursiveFrame(tn *ast.TableName) (*Result, error) {
	for i := len(x.recFrames) - 1; i >= 0; i-- {
		if f := x.recFrames[i]; f.name == tn.Name.L {
			return &f.res, nil
		}
	}
	return nil, errRestricted(tn.Name.O)
}

func errRestricted(name string) error {
	return errf(errRecursiveRestricted, "Restrictions imposed on recursive definitions are violated for table '%s'", name)
}

// recSpec is a recursive CTE's query taken apart.
type recSpec struct {
	name     string // as written
	anchors  *ast.SetOprSelectList
	steps    []ast.Node // *ast.SelectStmt, or a parenthesised one with its ORDER BY and LIMIT
	distinct bool       // UNION DISTINCT, else UNION ALL
}

// recursiveSpec checks n, a recursive CTE's query, and splits it into
// anchors and steps.
func recursiveSpec(n *ast.SetOprStmt) (*recSpec, error) {
	if n.OrderBy != nil || n.Limit != nil {
		return nil, errWindowNotYet("global ORDER_BY/LIMIT in recursive CTE spec")
	}
	if n.SelectList == nil || len(n.SelectList.Selects) == 0 {
		return nil, internalf("recursive CTE without SELECTs")
	}
	sp := &recSpec{anchors: &ast.SetOprSelectList{}}
	var all, distinct, other bool
	for i, part := range n.SelectList.Selects {
		var op *ast.SetOprType
		switch s := part.(type) {
		case *ast.SelectStmt:
			op = s.AfterSetOperator
		case *ast.SetOprSelectList:
			op = s.AfterSetOperator
		}
		if i > 0 && op != nil {
			switch *op {
			case ast.UnionAll:
				all = true
			case ast.Union:
				distinct = true
			default:
				other = true
			}
		}
		refs := markedRefs(part)
		if len(refs) == 0 {
			sp.anchors.Selects = append(sp.anchors.Selects, part)
			continue
		}
		for _, r := range refs {
			if sp.name == "" {
				sp.name = r.Name.O
			} else if r.Name.L != lower(sp.name) {
				return nil, errRestricted(r.Name.O)
			}
		}
		s, ok := part.(*ast.SelectStmt)
		if l, isList := part.(*ast.SetOprSelectList); isList && len(l.Selects) == 1 {
			s, ok = l.Selects[0].(*ast.SelectStmt)
		}
		if !ok {
			return nil, errNotSupported("a parenthesised set operation that refers to its recursive common table expression")
		}
		if err := checkStep(s, sp.name, len(refs)); err != nil {
			return nil, err
		}
		sp.steps = append(sp.steps, part)
	}
	if all && (distinct || other) {
		return nil, errWindowNotYet("mix of ALL and DISTINCT UNION operations in recursive CTE spec")
	}
	if other {
		return nil, errNotSupported("INTERSECT and EXCEPT in a recursive common table expression")
	}
	sp.distinct = distinct
	if len(sp.anchors.Selects) == 0 {
		return nil, errf(errNoAnchors, "No anchors for recursive WITH element '%s'", sp.name)
	}
	if len(sp.steps) == 0 {
		return nil, internalf("recursive CTE without a recursive part")
	}
	return sp, nil
}

// checkStep refuses what MariaDB refuses in a recursive part (4008): more
// than one reference to the CTE, one in a subquery or on the inner side
// of an outer join, aggregates and window functions.
func checkStep(s *ast.SelectStmt, name string, refs int) error {
	if refs > 1 {
		return errRestricted(name)
	}
	bad := false
	s.Accept(visitFunc(func(n ast.Node) bool {
		switch t := n.(type) {
		case *ast.SubqueryExpr:
			bad = bad || hasAnyMarkedRef(t)
			return false
		case *ast.Join:
			if t.Right != nil && (t.Tp == ast.LeftJoin && hasAnyMarkedRef(t.Right) || t.Tp == ast.RightJoin && hasAnyMarkedRef(t.Left)) {
				bad = true
			}
		}
		return !bad
	}))
	if !bad {
		bad = aggregatesIn(s)
	}
	if bad {
		return errRestricted(name)
	}
	return nil
}

// aggregatesIn reports whether s's own select list, HAVING or ORDER BY
// holds an aggregate or a window function (not a subquery's).
func aggregatesIn(s *ast.SelectStmt) bool {
	found := false
	f := visitFunc(func(n ast.Node) bool {
		switch n.(type) {
		case *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
			found = true
		case *ast.SubqueryExpr:
			return false
		}
		return !found
	})
	if s.Fields != nil {
		s.Fields.Accept(f)
	}
	if s.Having != nil {
		s.Having.Accept(f)
	}
	if s.OrderBy != nil {
		s.OrderBy.Accept(f)
	}
	return found
}

// markedRefs returns the marked references in n that belong to the CTE
// whose query holds n: not those inside another recursive CTE's query.
func markedRefs(n ast.Node) []*ast.TableName {
	var refs []*ast.TableName
	n.Accept(visitFunc(func(c ast.Node) bool {
		switch t := c.(type) {
		case *ast.SetOprStmt:
			return t.With != recursiveMark
		case *ast.TableName:
			if isRecursiveRef(t) {
				refs = append(refs, t)
			}
		}
		return true
	}))
	return refs
}

func hasAnyMarkedRef(n ast.Node) bool { return len(markedRefs(n)) > 0 }

// recursiveCTE runs the query of a recursive CTE (n.With is
// recursiveMark).
func (x *execCtx) recursiveCTE(n *ast.SetOprStmt) (Result, error) {
	sp, err := recursiveSpec(n)
	if err != nil {
		return Result{}, err
	}
	first, err := x.setOprList(sp.anchors)
	if err != nil {
		return Result{}, err
	}
	stores := storeColumns(sp.anchors, first.cols)
	cols := make([]Column, len(first.cols))
	for i, c := range first.cols {
		cols[i] = c
		cols[i].Table, cols[i].def = "", nil
		cols[i].Flags &^= mysql.NotNullFlag | mysql.PriKeyFlag | mysql.UniqueKeyFlag | mysql.MultipleKeyFlag | mysql.AutoIncrementFlag
	}
	st := &recState{x: x, name: sp.name, cols: cols, stores: stores, seen: map[string]bool{}}
	if st.distinct = sp.distinct; st.distinct {
		st.colls = colColls(cols)
	}
	work, err := st.add(first.rows, false)
	if err != nil {
		return Result{}, err
	}
	limit := x.s.maxRecursiveIterations
	for iter := uint64(0); len(work) > 0; iter++ {
		if iter >= limit {
			x.s.addWarning(errIterationsExceeded, "Query execution was interrupted. The query exceeded %s = %d. The query result may be incomplete", maxRecursiveIterationsVar, limit)
			break
		}
		if err := x.interrupted(); err != nil {
			return Result{}, err
		}
		next, err := x.runSteps(sp, cols, work)
		if err != nil {
			return Result{}, err
		}
		if work, err = st.add(next, true); err != nil {
			return Result{}, err
		}
	}
	rows := st.rows
	if rows == nil {
		rows = [][]any{}
	}
	st.describe()
	return Result{Columns: cols, Rows: rows}, nil
}

// describe sets the metadata of the result's columns after the types
// their values were stored as: an integer column's type, a text column's
// declared length, or else the longest value's (as a derived table's
// metadata covers its values, CREATE TABLE ... SELECT sizes columns by it).
func (st *recState) describe() {
	for i := range st.cols {
		c, store := &st.cols[i], st.stores[i]
		if store != nil && store.Type.IsInteger() {
			for _, it := range intTypes {
				if it.eng == store.Type {
					c.Type, c.Length = it.wire, uint32(it.width)
				}
			}
			continue
		}
		switch c.Type {
		case mysql.TypeVarString, mysql.TypeVarchar, mysql.TypeString, mysql.TypeNull:
		default:
			continue
		}
		binary := c.Flags&mysql.BinaryFlag != 0
		if store != nil && (store.Type == engine.TypeVarChar || store.Type == engine.TypeVarBinary) {
			c.Type, c.Length = mysql.TypeVarString, uint32(store.Length)
			if !binary {
				c.Length *= 4
			}
			continue
		}
		longest := 0
		for _, r := range st.rows {
			switch v := r[i].(type) {
			case string:
				longest = max(longest, utf8.RuneCountInString(v))
			case []byte:
				longest = max(longest, len(v))
			}
		}
		if !binary {
			longest *= 4
		}
		c.Length = max(c.Length, uint32(longest))
	}
}

// runSteps runs the recursive parts of sp once, its name bound to work,
// and returns their rows.
func (x *execCtx) runSteps(sp *recSpec, cols []Column, work [][]any) ([][]any, error) {
	x.recFrames = append(x.recFrames, &recFrame{name: lower(sp.name), res: Result{Columns: cols, Rows: work}})
	defer func() { x.recFrames = x.recFrames[:len(x.recFrames)-1] }()
	var next [][]any
	for _, s := range sp.steps {
		r, err := x.runStep(s)
		if err != nil {
			return nil, err
		}
		if len(r.cols) != len(cols) {
			e := newErr(errWrongColumnCount, "The used SELECT statements have a different number of columns")
			e.State = "21000"
			return nil, e
		}
		next = append(next, r.rows...)
	}
	return next, nil
}

// runStep runs one recursive part of a CTE.
func (x *execCtx) runStep(n ast.Node) (unionPart, error) {
	if l, ok := n.(*ast.SetOprSelectList); ok {
		p, err := x.setOprList(l)
		if err != nil {
			return unionPart{}, err
		}
		return x.orderLimit(p, l.OrderBy, l.Limit)
	}
	r, err := x.selectStmt(n.(*ast.SelectStmt))
	return unionPart{r.Columns, r.Rows}, err
}

// interrupted returns error 1317 once the statement's context is done
// (KILL QUERY, a cancelled or expired context).
func (x *execCtx) interrupted() error {
	if x.ctx != nil && x.ctx.Err() != nil {
		return errf(sqlerr.ErrQueryInterrupted, "Query execution was interrupted")
	}
	return nil
}

// recState is a recursive CTE's result as it grows.
type recState struct {
	x        *execCtx
	name     string
	cols     []Column
	stores   []*engine.Column // how a column's values are stored, nil: as they are
	distinct bool
	colls    []*collate.Collation
	seen     map[string]bool // UNION DISTINCT: the rows' keys
	rows     [][]any
	mem      int64 // estimated bytes held (rowBytes, and the keys)
}

// add converts rows (converted: from a step) to the result's columns,
// drops those already there (UNION DISTINCT), appends the rest to the
// result and returns them.
func (st *recState) add(rows [][]any, convert bool) ([][]any, error) {
	budget := st.x.s.memBudget
	var added [][]any
	for _, r := range rows {
		if convert {
			if err := st.convert(r, len(st.rows)+len(added)+1); err != nil {
				return nil, err
			}
		}
		if st.distinct {
			k := groupKey(collKeys(r, st.colls))
			if st.seen[k] {
				continue
			}
			st.seen[k] = true
			st.mem += int64(len(k)) + 16
		}
		added = append(added, r)
		st.mem += rowBytes(r)
		if st.mem > budget {
			return nil, errf(errRecordFileFull, "The table '%s' is full (the recursive common table expression holds more than blitz_memory_budget = %d bytes)", st.name, budget)
		}
	}
	st.rows = append(st.rows, added...)
	return added, nil
}

// convert stores each value of a step's row r (the result's row rowNum)
// as into its column, in place.
func (st *recState) convert(r []any, rowNum int) error {
	x := st.x
	for i, v := range r {
		c := st.stores[i]
		if c == nil || v == nil {
			continue
		}
		if b, ok := v.(bool); ok {
			v = boolVal(b)
		}
		var cv any
		var err error
		if x.s.sqlMode.strict() {
			cv, err = engine.Coerce(c, v, rowNum)
		} else {
			var warn error
			cv, warn, err = engine.CoerceLoose(c, v, rowNum)
			if err == nil && warn != nil {
				e := sqlerr.As(qualifyColumn(warn, x.s.DBName, st.name, c.Name, rowNum))
				x.s.addWarning(e.Code, "%s", e.Message)
			}
		}
		if err != nil {
			return qualifyColumn(err, x.s.DBName, st.name, c.Name, rowNum)
		}
		r[i] = cv
	}
	return nil
}

// storeColumns returns, for each column of a recursive CTE's result, the
// column its values are stored as, like a column of MariaDB's temporary
// table (nil: values are kept as the steps compute them). The type is
// the anchors': a table column's definition; for a lone anchor's literal
// or CAST, the type MariaDB gives it (1 is INT, 'ab' VARCHAR(2), 1.5
// DECIMAL(2,1), CAST(x AS CHAR(10)) VARCHAR(10)); else what the result's
// metadata says of integers, DECIMAL scales and dates. Text of other
// expressions is not cut: its declared length is not known here.
func storeColumns(anchors *ast.SetOprSelectList, cols []Column) []*engine.Column {
	var fields []*ast.SelectField
	if len(anchors.Selects) == 1 {
		if s, ok := anchors.Selects[0].(*ast.SelectStmt); ok && s.Fields != nil && len(s.Fields.Fields) == len(cols) {
			fields = s.Fields.Fields
			for _, f := range fields {
				if f.WildCard != nil {
					fields = nil
					break
				}
			}
		}
	}
	out := make([]*engine.Column, len(cols))
	for i, c := range cols {
		var col *engine.Column
		switch {
		case c.def != nil:
			d := *c.def
			d.NotNull, d.HasDefault, d.Default, d.AutoIncrement, d.DefaultNow, d.OnUpdateNow = false, false, nil, false, false, false
			col = &d
		case fields != nil:
			col = declaredColumn(fields[i].Expr)
		}
		if col == nil {
			col = metaColumn(c)
		}
		if col != nil {
			col.Name = c.Name
			if col.Collation == nil && (col.Type == engine.TypeVarChar || col.Type == engine.TypeChar) {
				col.Collation = derivedCollation(c)
			}
		}
		out[i] = col
	}
	return out
}

// declaredColumn is the type MariaDB gives a literal or a CAST with a
// length (nil for other expressions).
func declaredColumn(e ast.ExprNode) *engine.Column {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	switch x := e.(type) {
	case *test_driver.ValueExpr:
		switch v := literal(x).(type) {
		case int64:
			if v > -1e9 && v < 1e9 { // nine digits or fewer: INT, as MariaDB types them
				return &engine.Column{Type: engine.TypeInt}
			}
			return &engine.Column{Type: engine.TypeBigInt}
		case uint64:
			return &engine.Column{Type: engine.TypeBigInt, Unsigned: true}
		case string:
			return &engine.Column{Type: engine.TypeVarChar, Length: max(utf8.RuneCountInString(v), 1)}
		case []byte:
			return &engine.Column{Type: engine.TypeVarBinary, Length: max(len(v), 1)}
		case decimal.Decimal:
			scale := max(int(-v.Exponent()), 0)
			digits := len(v.Coefficient().String())
			if v.Sign() < 0 {
				digits--
			}
			return &engine.Column{Type: engine.TypeDecimal, Precision: min(max(digits, scale, 1), 65), Scale: scale}
		}
	case *ast.FuncCastExpr:
		tp := x.Tp
		switch tp.GetType() {
		case mysql.TypeVarString, mysql.TypeString, mysql.TypeVarchar:
			if n := tp.GetFlen(); n > 0 && n <= 65535 {
				if tp.GetCharset() == "binary" {
					return &engine.Column{Type: engine.TypeVarBinary, Length: n}
				}
				return &engine.Column{Type: engine.TypeVarChar, Length: n}
			}
		case mysql.TypeNewDecimal:
			if p, sc := tp.GetFlen(), tp.GetDecimal(); p > 0 && p <= 65 && sc >= 0 && sc <= p {
				return &engine.Column{Type: engine.TypeDecimal, Precision: p, Scale: sc}
			}
		}
	}
	return nil
}

// metaColumn is what a result column's metadata tells of how its values
// are stored: integers their type's range, DECIMAL its scale, dates their
// type; nil for the rest.
func metaColumn(c Column) *engine.Column {
	col := &engine.Column{Unsigned: c.Flags&mysql.UnsignedFlag != 0}
	for _, it := range intTypes {
		if it.wire == c.Type {
			col.Type = it.eng
			return col
		}
	}
	switch c.Type {
	case mysql.TypeNewDecimal:
		col.Type, col.Precision, col.Scale = engine.TypeDecimal, 65, min(int(c.Decimals), 30)
		return col
	case mysql.TypeDate:
		col.Type = engine.TypeDate
		return col
	case mysql.TypeDatetime:
		col.Type, col.Scale = engine.TypeDateTime, int(min(c.Decimals, 6))
		return col
	}
	return nil
}

// setMaxRecursiveIterations runs SET [SESSION] max_recursive_iterations =
// v: DEFAULT is 1000; a negative value becomes 0 and one past 4294967295
// that, with warning 1292; anything but an integer is error 1232.
func (x *execCtx) setMaxRecursiveIterations(v *ast.VariableAssignment) error {
	if v.IsGlobal || v.IsInstance {
		return errNotSupported("SET GLOBAL " + maxRecursiveIterationsVar)
	}
	n, isDefault, err := x.unsignedVarValue(v, maxRecursiveIterationsVar) // selectlimit.go
	if err != nil {
		return err
	}
	if isDefault {
		x.s.maxRecursiveIterations = DefaultMaxRecursiveIterations
		return nil
	}
	if n > maxRecursiveIterationsLimit {
		x.s.addWarning(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%d'", maxRecursiveIterationsVar, n)
		n = maxRecursiveIterationsLimit
	}
	x.s.maxRecursiveIterations = n
	return nil
}

// MaxRecursiveIterations returns the session's @@max_recursive_iterations.
func (s *Session) MaxRecursiveIterations() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxRecursiveIterations
}
