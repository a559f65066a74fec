package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/collate"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// This file runs UNION, EXCEPT and INTERSECT ([ALL | DISTINCT]), as a
// statement, in INSERT ... SELECT, CREATE TABLE ... SELECT and in
// subqueries.
//
// MySQL's rules: the result's columns are named after the first SELECT's;
// every SELECT must have as many columns (error 1222); the operators are
// applied left to right, INTERSECT first (it binds tighter), so a UNION
// DISTINCT removes the duplicates of everything to its left, including
// rows an earlier UNION ALL kept; EXCEPT [ALL] and INTERSECT [ALL] are set
// (or, with ALL, multiset) difference and intersection; ORDER
// BY and LIMIT after the last SELECT apply to the whole result, and refer
// to its columns by name or position; a parenthesized SELECT may have its
// own ORDER BY and LIMIT. Rows come out in the order of the SELECTs, a
// duplicate where its first copy was.

// errWrongColumnCount is MySQL's ER_WRONG_NUMBER_OF_COLUMNS_IN_SELECT.
const errWrongColumnCount = 1222

// errTableInOrder is MySQL's ER_TABLENAME_NOT_ALLOWED_HERE: a union's ORDER
// BY naming a column of one of its SELECTs' tables.
const errTableInOrder = 1250

// qualifiedFinder finds a table-qualified column outside subqueries.
type qualifiedFinder struct{ table string }

func (f *qualifiedFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		if f.table == "" && x.Name.Table.O != "" {
			f.table = x.Name.Table.O
		}
		return n, true
	case *ast.SubqueryExpr:
		return n, true
	}
	return n, false
}

func (f *qualifiedFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// unionPart is the result of one operand of a set operation.
type unionPart struct {
	cols []Column
	rows [][]any
}

func (x *execCtx) union(n *ast.SetOprStmt) (Result, error) {
	if n.With == recursiveMark {
		return x.recursiveCTE(n)
	}
	if n.With != nil {
		return Result{}, errNotSupported("WITH")
	}
	if n.SelectList == nil {
		return Result{}, internalf("UNION without SELECTs")
	}
	p, err := x.setOprList(n.SelectList)
	if err != nil {
		return Result{}, err
	}
	if p, err = x.orderLimit(p, n.OrderBy, n.Limit); err != nil {
		return Result{}, err
	}
	if p.rows == nil {
		p.rows = [][]any{}
	}
	return Result{Columns: p.cols, Rows: p.rows}, nil
}

// setOprList runs the operands of a set operation and combines them.
func (x *execCtx) setOprList(l *ast.SetOprSelectList) (unionPart, error) {
	if l.With != nil {
		return unionPart{}, errNotSupported("WITH")
	}
	if len(l.Selects) == 0 {
		return unionPart{}, internalf("UNION without SELECTs")
	}
	parts := make([]unionPart, 0, len(l.Selects))
	ops := make([]ast.SetOprType, 0, len(l.Selects))
	for i, node := range l.Selects {
		var op *ast.SetOprType
		var p unionPart
		switch s := node.(type) {
		case *ast.SelectStmt:
			op = s.AfterSetOperator
			r, err := x.selectStmt(s)
			if err != nil {
				return unionPart{}, err
			}
			p = unionPart{r.Columns, r.Rows}
		case *ast.SetOprSelectList:
			op = s.AfterSetOperator
			var err error
			if p, err = x.setOprList(s); err != nil {
				return unionPart{}, err
			}
			if p, err = x.orderLimit(p, s.OrderBy, s.Limit); err != nil {
				return unionPart{}, err
			}
		case *ast.SetOprStmt:
			r, err := x.union(s)
			if err != nil {
				return unionPart{}, err
			}
			p = unionPart{r.Columns, r.Rows}
		default:
			return unionPart{}, errNotSupported("this kind of query in UNION")
		}
		kind := ast.Union
		if op != nil {
			kind = *op
		}
		if i > 0 && len(p.cols) != len(parts[0].cols) {
			e := newErr(errWrongColumnCount, "The used SELECT statements have a different number of columns")
			e.State = "21000"
			return unionPart{}, e
		}
		parts = append(parts, p)
		ops = append(ops, kind)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	cols, err := unifyUnion(parts)
	if err != nil {
		return unionPart{}, err
	}
	// INTERSECT binds tighter than UNION and EXCEPT: each run of
	// INTERSECTs is one term; the terms combine left to right.
	type term struct {
		op   ast.SetOprType
		rows [][]any
	}
	terms := []term{{rows: parts[0].rows}}
	for i := 1; i < len(parts); i++ {
		if ops[i] == ast.Intersect || ops[i] == ast.IntersectAll {
			last := &terms[len(terms)-1]
			last.rows = setOperation(ops[i], last.rows, parts[i].rows, colColls(cols))
			continue
		}
		terms = append(terms, term{ops[i], parts[i].rows})
	}
	rows := terms[0].rows
	for _, t := range terms[1:] {
		rows = setOperation(t.op, rows, t.rows, colColls(cols))
	}
	return unionPart{cols, rows}, nil
}

// setOperation combines the rows of two operands (rows are equal when
// every value is, NULLs equal to each other, text under the columns'
// collations colls). The DISTINCT forms remove duplicates from their
// whole result; rows keep the order of a, then b.
func setOperation(op ast.SetOprType, a, b [][]any, colls []*collate.Collation) [][]any {
	groupKey := func(r []any) string { return groupKey(collKeys(r, colls)) }
	out := make([][]any, 0, len(a))
	seen := map[string]bool{}
	distinct := func(r []any) bool {
		k := groupKey(r)
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	counts := map[string]int{}
	if op != ast.Union && op != ast.UnionAll {
		for _, r := range b {
			counts[groupKey(r)]++
		}
	}
	switch op {
	case ast.UnionAll:
		out = append(append(out, a...), b...)
	case ast.Union:
		for _, rows := range [][][]any{a, b} {
			for _, r := range rows {
				if distinct(r) {
					out = append(out, r)
				}
			}
		}
	case ast.Except, ast.Intersect:
		for _, r := range a {
			if (counts[groupKey(r)] > 0) == (op == ast.Intersect) && distinct(r) {
				out = append(out, r)
			}
		}
	case ast.ExceptAll:
		for _, r := range a {
			if k := groupKey(r); counts[k] > 0 {
				counts[k]--
			} else {
				out = append(out, r)
			}
		}
	case ast.IntersectAll:
		for _, r := range a {
			if k := groupKey(r); counts[k] > 0 {
				counts[k]--
				out = append(out, r)
			}
		}
	}
	return out
}

// unifyUnion gives every column of a set operation one type, decided as
// MySQL does from the declared types of all operands (an operand without
// rows counts too): numbers of different kinds become the widest (DOUBLE,
// else DECIMAL with the largest scale), DATE with DATETIME becomes
// DATETIME, anything else mixed with strings becomes a string (a DATE as
// '2024-01-31', a DECIMAL with its scale). A column only NULL (an
// expression that produced no value) does not take part. It converts the
// rows in place and returns the result's columns.
func unifyUnion(parts []unionPart) ([]Column, error) {
	cols := append([]Column(nil), parts[0].cols...)
	for i := range cols {
		cols[i].Table = ""
		sameType := true
		kinds := map[byte]bool{}
		scale, frac := uint8(0), uint8(0)
		allDate := true
		var first *Column
		for _, p := range parts {
			c := p.cols[i]
			if c.Type != cols[i].Type || c.Decimals != cols[i].Decimals || c.Flags&mysql.UnsignedFlag != cols[i].Flags&mysql.UnsignedFlag {
				sameType = false
			}
			k := columnKind(c)
			if k == 'n' {
				continue
			}
			if first == nil {
				first = &p.cols[i]
			}
			kinds[k] = true
			switch k {
			case 'd':
				scale = max(scale, c.Decimals)
			case 't':
				allDate = allDate && c.Type == mysql.TypeDate
				if c.Type != mysql.TypeDate {
					frac = max(frac, c.Decimals)
				}
			}
		}
		name := cols[i].Name
		var conv func(c Column, v any) any
		switch {
		case len(kinds) == 0:
			continue // NULLs only
		case kinds['s'] || kinds['b'] || kinds['t'] && len(kinds) > 1:
			if len(kinds) == 1 && sameType {
				continue
			}
			conv = func(c Column, v any) any {
				s, _ := FormatValue(c, v)
				if kinds['b'] {
					return []byte(s)
				}
				return s
			}
			maxLen := 1
			for _, p := range parts {
				for _, r := range p.rows {
					if r[i] != nil {
						s, _ := FormatValue(p.cols[i], r[i])
						maxLen = max(maxLen, len(s))
					}
				}
			}
			cols[i] = Column{Name: name, Type: mysql.TypeVarString, Length: uint32(maxLen * 4)}
			if kinds['b'] {
				cols[i].Flags, cols[i].Length = mysql.BinaryFlag, uint32(maxLen)
			}
		case kinds['t']:
			if sameType {
				continue
			}
			if allDate {
				cols[i] = Column{Name: name, Type: mysql.TypeDate, Length: 10}
			} else {
				cols[i] = Column{Name: name, Type: mysql.TypeDatetime, Length: 19, Decimals: frac}
			}
		case kinds['f']:
			conv = func(_ Column, v any) any { return toFloat(v) }
			if !sameType {
				// The most digits of the parts: a DOUBLE of fixed
				// decimals (PI(), ROUND(x, 2)) keeps them beside integers
				// and DECIMALs; any other DOUBLE is not fixed (31).
				dec := uint8(0)
				for _, p := range parts {
					if columnKind(p.cols[i]) != 'n' {
						dec = max(dec, min(p.cols[i].Decimals, notFixed))
					}
				}
				cols[i] = Column{Name: name, Type: mysql.TypeDouble, Length: 23, Decimals: dec}
			}
		case kinds['d']:
			conv = func(_ Column, v any) any { return toDecimal(v).Round(int32(scale)) }
			cols[i] = Column{Name: name, Type: mysql.TypeNewDecimal, Length: 66, Decimals: scale}
			if ip, uns, ok := unionIntPart(parts, i); ok {
				// The most integer digits and the most decimals of the
				// parts, as MariaDB: c UNION 1.5 is 13 long (10 + 1 + 1
				// digits, point, sign).
				decColumnType(&cols[i], decOf(ip+int(scale), int(scale), uns))
			}
		default: // integers
			// The most digits of the parts and a sign unless all are
			// unsigned, as MariaDB: 1 UNION 2 is INT(2).
			ip, uns, _ := unionIntPart(parts, i)
			if sameType {
				if cols[i].def == nil {
					cols[i].Length = uint32(ip + b2i(!uns))
				}
				continue
			}
			if t, ok := unionIntType(parts, i); ok {
				cols[i] = Column{Name: name, Type: t, Length: uint32(ip + b2i(!uns))}
				if uns {
					cols[i].Flags |= mysql.UnsignedFlag
				}
				continue
			}
			// Signed and unsigned: a DECIMAL of the most digits, as
			// MariaDB (c UNION u is DECIMAL(10,0)).
			cols[i] = Column{Name: name}
			decColumnType(&cols[i], decOf(ip, 0, false))
		}
		if first != nil && cols[i].Type == mysql.TypeNull {
			cols[i] = *first
			cols[i].Name, cols[i].Table = name, ""
		}
		if conv == nil {
			continue
		}
		for _, p := range parts {
			for _, r := range p.rows {
				if r[i] != nil {
					r[i] = conv(p.cols[i], r[i])
				}
			}
		}
	}
	for i := range cols {
		// NOT NULL only if no part can give a NULL.
		cols[i].Flags |= mysql.NotNullFlag
		for _, p := range parts {
			if p.cols[i].Flags&mysql.NotNullFlag == 0 {
				cols[i].Flags &^= mysql.NotNullFlag
			}
		}
		cols[i].Collation = nil
		if cols[i].Flags&mysql.BinaryFlag == 0 && columnKind(cols[i]) == 's' {
			var err error
			if cols[i].Collation, err = unionCollation(parts, i); err != nil {
				return nil, err
			}
		}
	}
	return cols, nil
}

// columnKind classifies a result column by its declared type: 'i'
// integer, 'd' DECIMAL, 'f' FLOAT/DOUBLE, 's' text, 'b' bytes, 't' date
// and time, 'n' NULL (no type).
// unionIntPart is the most integer digits of column i among the parts
// of a UNION whose result is a DECIMAL, and whether all are unsigned; ok
// is false if a part's column is not an integer or DECIMAL of known
// precision (Column.decPrec, or a table column's definition).
func unionIntPart(parts []unionPart, i int) (ip int, unsigned, ok bool) {
	unsigned = true
	for _, p := range parts {
		c := &p.cols[i]
		uns := c.Flags&mysql.UnsignedFlag != 0
		switch columnKind(*c) {
		case 'n':
			continue
		case 'i':
			n := int(c.decPrec)
			if n == 0 {
				n = int(c.Length) - b2i(!uns) // a table column: INT is 11
			}
			ip = max(ip, n)
		case 'd':
			switch {
			case c.def != nil:
				ip = max(ip, c.def.Precision-c.def.Scale)
			case c.decPrec > 0:
				ip = max(ip, int(c.decPrec)-int(c.Decimals))
			default:
				return 0, false, false
			}
		default:
			return 0, false, false
		}
		unsigned = unsigned && uns
	}
	return ip, unsigned, true
}

// unionIntType is the widest integer type of column i among the parts
// of a UNION of integers (and NULLs); ok is false when they mix signed
// and unsigned integers.
func unionIntType(parts []unionPart, i int) (typ byte, ok bool) {
	var s, u bool
	for _, p := range parts {
		c := p.cols[i]
		if columnKind(c) != 'i' {
			continue
		}
		if c.Flags&mysql.UnsignedFlag != 0 {
			u = true
		} else {
			s = true
		}
		if typ == 0 || intTypeRank(c.Type) > intTypeRank(typ) {
			typ = c.Type
		}
	}
	return typ, typ != 0 && !(s && u)
}

func columnKind(c Column) byte {
	switch c.Type {
	case mysql.TypeNull:
		return 'n'
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong, mysql.TypeYear, mysql.TypeBit:
		return 'i'
	case mysql.TypeNewDecimal:
		return 'd'
	case mysql.TypeFloat, mysql.TypeDouble:
		return 'f'
	case mysql.TypeDate, mysql.TypeDatetime, mysql.TypeTimestamp:
		return 't'
	}
	if c.Flags&mysql.BinaryFlag != 0 {
		return 'b'
	}
	return 's'
}

// orderLimit applies ORDER BY and LIMIT to a union's rows; ORDER BY names
// the result's columns (or their positions).
func (x *execCtx) orderLimit(p unionPart, order *ast.OrderByClause, limit *ast.Limit) (unionPart, error) {
	count, offset, err := x.limitValues(limit)
	if err != nil {
		return unionPart{}, err
	}
	if order != nil {
		for _, it := range order.Items {
			f := &qualifiedFinder{}
			it.Expr.Accept(f)
			if f.table != "" {
				e := newErr(errTableInOrder, "Table '%s' from one of the SELECTs cannot be used in ORDER BY", f.table)
				e.State = "42000"
				return unionPart{}, e
			}
		}
		// The sort spills past the session's memory budget (sort_spill.go).
		es := newExtSort(order.Items, x.s.memBudget)
		defer es.close()
		ec := x.newEval(nil, "ORDER BY")
		colls := unionOrderColls(order.Items, p.cols)
		for ri, r := range p.rows {
			aliases := make(map[string]any, len(p.cols))
			for i := len(p.cols) - 1; i >= 0; i-- {
				aliases[strings.ToLower(p.cols[i].Name)] = r[i]
			}
			ec.aliases = aliases
			keys := make([]any, 0, len(order.Items))
			for _, it := range order.Items {
				var v any
				if pos, ok := positionRef(it.Expr); ok {
					if pos < 1 || pos > len(p.cols) {
						return unionPart{}, errUnknownColumn(sprintf("%d", pos), "ORDER BY")
					}
					v = r[pos-1]
				} else if v, err = ec.eval(it.Expr); err != nil {
					return unionPart{}, err
				}
				if colls != nil {
					v = collKey(v, colls[len(keys)])
				}
				keys = append(keys, v)
			}
			if err := es.add(r, keys); err != nil {
				return unionPart{}, err
			}
			p.rows[ri] = nil // es holds it now (or has written it out)
		}
		// Only the rows LIMIT keeps are merged back.
		sorted := make([][]any, 0, len(p.rows))
		skip := offset
		err := es.each(func(vals []any) (bool, error) {
			if count >= 0 && int64(len(sorted)) >= count {
				return false, nil
			}
			if skip > 0 {
				skip--
				return true, nil
			}
			sorted = append(sorted, vals)
			return true, nil
		})
		if err != nil {
			return unionPart{}, err
		}
		p.rows = sorted
		offset = 0
	}
	if offset > 0 {
		if offset >= int64(len(p.rows)) {
			p.rows = nil
		} else {
			p.rows = p.rows[offset:]
		}
	}
	if count >= 0 && int64(len(p.rows)) > count {
		p.rows = p.rows[:count]
	}
	return p, nil
}
