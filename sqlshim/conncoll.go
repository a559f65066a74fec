package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/collate"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// The connection's collation (@@collation_connection), as MariaDB gives
// it to string literals, string parameters, and the text functions make
// of numbers and dates: they compare under it, coercibly, so that a
// column's collation still wins (collation_expr.go). SET NAMES, SET
// CHARACTER SET, SET collation_connection and SET
// character_set_connection change it; under blitz serve the server keeps
// those variables (its handshake sets them from the client's collation
// id) and tells the session with SetConnectionCollation. A session
// starts with utf8mb4_bin, which is what blitz sql and the database/sql
// driver report and compare under.
//
// The name is resolved to a collation once, when it is set: a literal's
// derivation (evalCtx.litColl) reads a field of the session.

// connCollation is a session's connection collation.
type connCollation struct {
	name string   // as @@collation_connection reports it ("" until set: utf8mb4_bin)
	lit  exprColl // what a literal gets: the collation blitz compares under, coercible
}

// defaultConnColl is the connection collation of a new session.
var defaultConnColl = connCollation{name: collate.Bin.Name, lit: binColl}

// SetConnectionCollation sets the collation string literals and
// parameters of the session's statements compare under, by its MariaDB
// name (utf8mb3_general_ci, utf8mb4_unicode_ci, latin1_swedish_ci, ...);
// "" is utf8mb4_bin. A collation blitz does not have compares as its
// stand-in (connCollFor). A server calls it whenever
// @@collation_connection changes, from the goroutine that runs the
// session's statements (between statements, or inside a SET that the
// session forwarded to its SystemVars).
func (s *Session) SetConnectionCollation(name string) {
	if name == "" {
		s.conn = defaultConnColl
		return
	}
	s.conn = connCollation{name: name, lit: exprColl{connCollFor(name), derivCoercible, nil}}
}

// connCollFor returns the collation blitz compares a connection
// collation's literals under: the collation of that name, or its
// stand-in (latin1_swedish_ci: utf8mb4_general_ci), binary as
// utf8mb4_nopad_bin (bytes, trailing spaces count); of a collation
// blitz has no stand-in for, utf8mb4_general_ci for a case-insensitive
// one (_ci) and utf8mb4_bin for any other.
func connCollFor(name string) *collate.Collation {
	n := strings.ToLower(name)
	if c, ok := collate.ByName(n); ok {
		return c
	}
	if c, ok := collate.Approximations[n]; ok {
		return c
	}
	switch {
	case n == "binary":
		return collate.NoPadBin
	case strings.HasSuffix(n, "_ci"):
		return collate.GeneralCI
	}
	return collate.Bin
}

// litColl is what a string literal or parameter of c's statement gets:
// the connection's collation, coercible; utf8mb4_bin in a table
// definition's expressions (evalCtx.defn). MariaDB gives a generated
// column's and a CHECK constraint's literals the table's collation
// instead: blitz keeps what it stored before connection collations.
func (c *evalCtx) litColl() exprColl {
	if c.s == nil || c.defn {
		return binColl
	}
	return c.s.conn.lit
}

// setConnVar runs SET collation_connection = c or SET
// character_set_connection = cs (each with DEFAULT: back to utf8mb4_bin)
// in a session without SystemVars (blitz sql, the database/sql driver),
// which keeps collation_connection itself (SET NAMES and SET CHARACTER
// SET: setExternalVar). It reports false for any other variable. Bad
// names are errors 1115 and 1273, as in MariaDB.
func (x *execCtx) setConnVar(v *ast.VariableAssignment) (bool, error) {
	name := strings.ToLower(v.Name)
	if name != "collation_connection" && name != "character_set_connection" {
		return false, nil
	}
	if v.IsGlobal {
		return true, nil // accepted without effect, as before: a session has no global scope to change
	}
	text, isDefault, err := x.setText(v)
	if err != nil {
		return true, err
	}
	var coll string
	switch {
	case isDefault:
	case name == "collation_connection":
		_, c, err := charset.OfCollation(text)
		if err != nil {
			return true, err
		}
		coll = c
	default:
		cs, err := charset.Lookup(text)
		if err != nil {
			return true, err
		}
		coll = cs.Collation
	}
	x.s.SetConnectionCollation(coll)
	return true, nil
}

// setText returns the text a SET assignment gives a variable that takes
// a name (a string, or a bare word as MariaDB reads SET NAMES utf8mb4 or
// SET collation_connection = utf8mb4_bin), or that it is DEFAULT.
func (x *execCtx) setText(v *ast.VariableAssignment) (string, bool, error) {
	switch e := v.Value.(type) {
	case nil, *ast.DefaultExpr:
		return "", true, nil
	case *ast.ColumnNameExpr:
		if e.Name.Table.L == "" {
			return e.Name.Name.O, strings.EqualFold(e.Name.Name.O, "default"), nil
		}
	}
	val, err := x.newEval(nil, "field list").eval(v.Value)
	if err != nil {
		return "", false, err
	}
	if val == nil {
		return "", false, errf(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of 'NULL'", strings.ToLower(v.Name))
	}
	s := toString(val)
	return s, strings.EqualFold(s, "default"), nil
}

// varValue returns @@collation_connection or @@character_set_connection
// (name) of a session without SystemVars.
func (cc connCollation) varValue(name string) string {
	if name == "collation_connection" {
		return cc.name
	}
	if c, _, err := charset.OfCollation(cc.name); err == nil {
		return c.Name
	}
	return "utf8mb4"
}
