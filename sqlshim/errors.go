package sqlshim

import (
	"fmt"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// MySQL error numbers the SQL layer needs that internal/sqlerr does not
// list. They are MySQL's and part of the protocol: never change them.
const (
	errDataOutOfRange     = 1690 // %s value is out of range in '%s'
	errCantDropField      = 1091 // Can't DROP '%s'; check that column/key exists (same number as sqlerr.ErrCantDropKey)
	errTooManyRows        = 1172 // Result consisted of more than one row
	errWrongUsage         = 1221 // Incorrect usage of %s and %s
	errNoSuchIndex        = 1176 // Key '%s' doesn't exist in table '%s' (sqlerr.ErrKeyDoesNotExist)
	errCantDoThisInTx     = 1179 // You are not allowed to execute this command in a transaction
	errWrongValue         = 1525 // Incorrect %s value: '%s'
	errIllegalReference   = 1247 // Reference '%s' not supported (%s)
	errWrongArgCount      = 1582 // Incorrect parameter count in the call to native function '%s'
	errFuncNotExists      = 1305 // FUNCTION %s does not exist
	errParamCount         = 1210 // Incorrect arguments to EXECUTE
	errNoData             = 1329 // No data - zero rows fetched, selected, or processed
	errDeprecated         = 1287 // %s is deprecated and will be removed in a future release
	errWrongParamsToFn    = 1583 // Incorrect parameters in the call to native function '%s'
	errWrongValueForFn    = 1411 // Incorrect %s value: '%s' for function %s
	errDatetimeOverflow   = 1441 // Datetime function: %s field overflow
	errDBCreateExists     = 1007 // Can't create database '%s'; database exists
	errDBDropExists       = 1008 // Can't drop database '%s'; database doesn't exist
	errWrongIndexName     = 1280 // Incorrect index name '%s'
	errUpdateTableUsed    = 1093 // Table '%s' is specified twice, both as a target for '%s' and as a separate source for data
	errTooBigScale        = 1425 // Too big scale specified for '%s'. Maximum is %d
	errFulltextNotFound   = 1191 // Can't find FULLTEXT index matching the column list
	errTooBigPrecision    = 1426 // Too big precision specified for '%s'. Maximum is %d
	errScaleOverPrecision = 1427 // For float(M,D), double(M,D) or decimal(M,D), M must be >= D (column '%s')
	errFileExists         = 1086 // File '%s' already exists
	errCantCreateFile     = 1    // Can't create/write to file '%s' (Errcode: %d "%s")
	errFileWrite          = 3    // Error writing file '%s' (Errcode: %d "%s")
)

// localStates holds the SQLSTATEs of the local numbers above.
var localStates = map[int]string{
	errDataOutOfRange: "22003", errTooManyRows: "42000", errWrongUsage: "HY000",
	errCantDoThisInTx: "25000", errWrongValue: "HY000", errIllegalReference: "42S22",
	errWrongColumnCount: "21000", errNoData: "02000", errTooBigFieldLength: "42000",
	errWrongParamsToFn: "42000", errDatetimeOverflow: "22008",
	errKeyColumnDoesNotExist: "42000", errCantRemoveAllFields: "42000", errRegexp: "42000",
	errWrongIndexName: "42000", errReadOnlyTx: "25006",
	errTooBigScale: "42000", errTooBigPrecision: "42000", errScaleOverPrecision: "42000",
}

// newErr returns an *sqlerr.Error for code, with the SQLSTATE of a local
// code when sqlerr does not know it.
func newErr(code int, format string, args ...any) *sqlerr.Error {
	e := sqlerr.New(code, format, args...)
	if st, ok := localStates[code]; ok && e.State == "HY000" {
		e.State = st
	}
	return e
}

// errParse is 1064 with MySQL's wording (near the text, at a line of the
// statement).
func errParse(near string, line int) error {
	if len(near) > 80 {
		near = near[:80]
	}
	return newErr(sqlerr.ErrParse, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '%s' at line %d", near, line)
}

// errNoFulltextIndex is MariaDB's 1191 for MATCH ... AGAINST: blitz has no
// FULLTEXT indexes (CREATE FULLTEXT INDEX is refused with 1235), so no
// column list ever has one.
func errNoFulltextIndex() error {
	return errf(errFulltextNotFound, "Can't find FULLTEXT index matching the column list")
}

// errNotSupported is 1235 for a feature this version does not have.
func errNotSupported(what string) error {
	return newErr(sqlerr.ErrNotSupported, "This version of MySQL doesn't yet support '%s'", what)
}

func errUnknownColumn(name, where string) error {
	return newErr(sqlerr.ErrBadField, "Unknown column '%s' in '%s'", name, where)
}

func errNoTable(db, table string) error {
	return newErr(sqlerr.ErrNoSuchTable, "Table '%s.%s' doesn't exist", db, table)
}

func errf(code int, format string, args ...any) error { return newErr(code, format, args...) }

// internalf reports a bug in the SQL layer as MySQL's unknown error.
func internalf(format string, args ...any) error {
	return newErr(sqlerr.ErrUnknown, "blitz/sqlshim: %s", fmt.Sprintf(format, args...))
}
