package sqlshim

import (
	"math"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// SET sql_select_limit = n cuts the result of a SELECT or UNION sent to
// the client that has no LIMIT of its own to its first n rows, as in
// MariaDB: not a subquery's rows, nor those INSERT ... SELECT or CREATE
// TABLE ... SELECT read. mariadb --safe-updates sets it to 1000 on
// connect. DEFAULT is no limit (18446744073709551615).

// selectLimitVar is the variable's name.
const selectLimitVar = "sql_select_limit"

// noSelectLimit is the variable's default: no limit.
const noSelectLimit = math.MaxUint64

// setSelectLimit runs SET [SESSION] sql_select_limit = v: a negative value
// is 0 with warning 1292, anything but an integer error 1232.
func (x *execCtx) setSelectLimit(v *ast.VariableAssignment) error {
	if v.IsGlobal || v.IsInstance {
		return errNotSupported("SET GLOBAL " + selectLimitVar)
	}
	n, isDefault, err := x.unsignedVarValue(v, selectLimitVar)
	if err != nil {
		return err
	}
	if isDefault {
		n = noSelectLimit
	}
	x.s.selectLimit = n
	return nil
}

// unsignedVarValue is the value SET assigns an unsigned integer variable
// name: isDefault for DEFAULT; a negative value is 0 with warning 1292,
// anything but an integer error 1232, as in MariaDB.
func (x *execCtx) unsignedVarValue(v *ast.VariableAssignment, name string) (n uint64, isDefault bool, err error) {
	if _, ok := v.Value.(*ast.DefaultExpr); ok || v.Value == nil {
		return 0, true, nil
	}
	val, err := x.newEval(nil, "field list").eval(v.Value)
	if err != nil {
		return 0, false, err
	}
	switch t := val.(type) {
	case int64:
		if t < 0 {
			x.s.addWarning(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%d'", name, t)
			t = 0
		}
		return uint64(t), false, nil
	case uint64:
		return t, false, nil
	}
	return 0, false, errf(sqlerr.ErrWrongTypeForVar, "Incorrect argument type to variable '%s'", name)
}

// cutToSelectLimit applies @@sql_select_limit to r, the result of the
// client's statement n.
func (s *Session) cutToSelectLimit(n ast.StmtNode, r Result, err error) (Result, error) {
	if err != nil || s.selectLimit == noSelectLimit || uint64(len(r.Rows)) <= s.selectLimit {
		return r, err
	}
	switch st := n.(type) {
	case *ast.SelectStmt:
		if st.Limit != nil {
			return r, err
		}
	case *ast.SetOprStmt:
		if st.Limit != nil {
			return r, err
		}
	default:
		return r, err
	}
	r.Rows = r.Rows[:s.selectLimit]
	return r, err
}

// SelectLimit reports @@sql_select_limit.
func (s *Session) SelectLimit() uint64 { return s.selectLimit }
