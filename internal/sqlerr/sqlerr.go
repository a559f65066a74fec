// Package sqlerr is the MySQL-compatible error every layer above the storage
// files returns to a SQL client: a MySQL error number, its SQLSTATE and a
// message, so that the shell prints "ERROR 1062 (23000): ..." and the server
// sends the same triple over the wire.
package sqlerr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// MySQL error numbers blitz returns. The numbers and SQLSTATEs are MySQL's
// and part of the wire protocol: never change them.
const (
	ErrDupEntry           = 1062 // Duplicate entry '%s' for key '%s'
	ErrNoSuchTable        = 1146 // Table '%s' doesn't exist
	ErrTableExists        = 1050 // Table '%s' already exists
	ErrBadField           = 1054 // Unknown column '%s' in '%s'
	ErrParse              = 1064 // You have an error in your SQL syntax; ... near '%s' at line %d
	ErrCrashedTable       = 1194 // Table '%s' is marked as crashed and should be repaired
	ErrDataTooLong        = 1406 // Data too long for column '%s' at row %d
	ErrDataTruncated      = 1265 // Data truncated for column '%s' at row %d
	ErrBadNull            = 1048 // Column '%s' cannot be null
	ErrNoDefault          = 1364 // Field '%s' doesn't have a default value
	ErrOutOfRange         = 1264 // Out of range value for column '%s' at row %d
	ErrTruncatedWrong     = 1366 // Incorrect %s value: '%s' for column '%s' at row %d
	ErrTruncatedValue     = 1292 // Truncated incorrect %s value: '%s'
	ErrDivByZero          = 1365 // Division by 0
	ErrStackOverrun       = 1436 // Thread stack overrun (here: a statement nested too deeply)
	ErrCutByGroupConcat   = 1260 // Row %u was cut by GROUP_CONCAT()
	ErrPacketOverflowed   = 1301 // Result of %s() was larger than max_allowed_packet (%d) - truncated
	ErrNotSupported       = 1235 // This version of MySQL doesn't yet support '%s'
	ErrDupKeyName         = 1061 // Duplicate key name '%s'
	ErrCantDropKey        = 1091 // Can't DROP '%s'; check that column/key exists
	ErrDupFieldName       = 1060 // Duplicate column name '%s'
	ErrMultiplePriKey     = 1068 // Multiple primary key defined
	ErrUnknownStorage     = 1286 // Unknown storage engine '%s'
	ErrUsingOtherHandler  = 1266 // Using storage engine %s for table '%s'
	ErrIllegalHaForCreate = 1031 // Storage engine %s of the table %s doesn't have this option
	ErrWrongValueCount    = 1136 // Column count doesn't match value count at row %d
	ErrNonUniq            = 1052 // Column '%s' in %s is ambiguous
	ErrKeyDoesNotExist    = 1176 // Key '%s' doesn't exist in table '%s'
	ErrLockWaitTimeout    = 1205 // Lock wait timeout exceeded; try restarting transaction
	ErrLockDeadlock       = 1213 // Deadlock found when trying to get lock; try restarting transaction
	ErrAccessDenied       = 1045 // Access denied for user '%s'@'%s' (using password: %s)
	ErrUnknown            = 1105 // Unknown error
	ErrWrongArguments     = 1210 // Incorrect arguments to %s
	ErrInvalidGroupFunc   = 1111 // Invalid use of group function
	ErrWrongFieldWithGrp  = 1055 // not in GROUP BY
	ErrWrongGroupField    = 1056 // Can't group on '%s'
	ErrTooBigRowSize      = 1118 // Row size too large
	ErrDiskFull           = 1021 // Disk full (%s); waiting for someone to free some space...
	ErrCantLock           = 1015 // Can't lock file (errno: %d)
	ErrCantOpenFile       = 1016 // Can't open file: '%s' (errno: %d "%s")
	ErrSpDoesNotExist     = 1305 // FUNCTION %s does not exist
	ErrTrgDoesNotExist    = 1360 // Trigger does not exist
	ErrEventDoesNotExist  = 1539 // Unknown event '%s'
	ErrWrongParamCount    = 1582 // Incorrect parameter count in the call to native function '%s'
	ErrConstraintFailed   = 4025 // CONSTRAINT %s failed for %s (a JSON column's value that is not JSON)
	ErrTableMustHaveCols  = 1113 // A table must have at least 1 column
	ErrWrongAutoKey       = 1075 // there can be only one auto column and it must be defined as a key
	ErrBlobKeyWithoutLen  = 1170 // BLOB/TEXT column '%s' used in key specification without a key length
	ErrTooLongKey         = 1071 // Specified key was too long; max key length is %d bytes
	ErrWrongSubKey        = 1089 // Incorrect prefix key; the used key part isn't a string, ...
	ErrKeyPartZero        = 1391 // Key part '%s' length cannot be 0
	ErrInvalidDefault     = 1067 // Invalid default value for '%s'
	ErrInvalidOnUpdate    = 1294 // Invalid ON UPDATE clause for '%s' column
	ErrNoDB               = 1046 // No database selected
	ErrUnknownSystemVar   = 1193 // Unknown system variable '%s'
	ErrUnknownTable       = 1051 // Unknown table '%s'
	ErrSubqueryNo1Row     = 1242 // Subquery returns more than 1 row
	ErrOperandColumns     = 1241 // Operand should contain %d column(s)
	ErrQueryInterrupted   = 1317 // Query execution was interrupted
	ErrTooManyConnections = 1040 // Too many connections
	ErrNetPacketTooLarge  = 1153 // Got a packet bigger than 'max_allowed_packet' bytes
	ErrWrongValueForVar   = 1231 // Variable '%s' can't be set to the value of '%s'
	ErrWrongTypeForVar    = 1232 // Incorrect argument type to variable '%s'
	ErrLocalVariable      = 1228 // Variable '%s' is a SESSION variable and can't be used with SET GLOBAL
	ErrBadDB              = 1049 // Unknown database '%s'
	ErrNonexistingGrant   = 1141 // There is no such grant defined for user '%s' on host '%s'
	ErrWarnTooFewRecords  = 1261 // Row %ld doesn't contain data for all columns
	ErrWarnTooManyRecords = 1262 // Row %ld was truncated; it contained more data than there were input columns
	ErrWarnNullToNotNull  = 1263 // Column set to default value; NULL supplied to NOT NULL column '%s' at row %ld
	ErrNotAllowedCommand  = 1148 // The used command is not allowed with this MariaDB version
	ErrSpecificAccess     = 1227 // Access denied; you need (at least one of) the %s privilege(s) for this operation
	ErrUnknownCharset     = 1115 // Unknown character set: '%s'
	ErrUnknownCollation   = 1273 // Unknown collation: '%s'
	ErrCollationCharset   = 1253 // COLLATION '%s' is not valid for CHARACTER SET '%s'
	ErrUnsupportedPS      = 1295 // This command is not supported in the prepared statement protocol yet
	ErrFileNotFound       = 29   // File '%s' not found (Errcode: %d "%s")
	ErrFileRead           = 23   // Error reading file '%s' (Errcode: %d "%s")
	ErrWrongObject        = 1347 // '%s.%s' is not of type '%s'
	ErrNonUpdatable       = 1288 // The target table %s of the %s is not updatable
	ErrNonInsertable      = 1471 // The target table %s of the %s is not insertable-into
	ErrNonUpdatableColumn = 1348 // Column '%s' is not updatable
	ErrViewWrongList      = 1353 // View's SELECT and view's field list have different column counts
	ErrViewInvalid        = 1356 // View '%s.%s' references invalid table(s) or column(s) or function(s) or definer/invoker of view lack rights to use them
	ErrViewCheckFailed    = 1369 // CHECK OPTION failed %s
	ErrViewRecursive      = 1462 // %s contains view recursion
	ErrIsView             = 1965 // '%s.%s' is a view
	ErrCantChangeTxChar   = 1568 // Transaction characteristics can't be changed while a transaction is in progress
	ErrUnknownView        = 4092 // Unknown VIEW: '%s'
	ErrCantCreateTable    = 1005 // Can't create table %s (errno: %d "%s")
	ErrErrorOnRename      = 1025 // Error on rename of '%s' to '%s' (errno: %d "%s")
	ErrCannotAddForeign   = 1215 // Cannot add foreign key constraint for `%s`
	ErrRowIsReferenced    = 1451 // Cannot delete or update a parent row: a foreign key constraint fails (%s)
	ErrNoReferencedRow    = 1452 // Cannot add or update a child row: a foreign key constraint fails (%s)
	ErrDropIndexFK        = 1553 // Cannot drop index '%s': needed in a foreign key constraint
	ErrTruncateReferenced = 1701 // Cannot truncate a table referenced in a foreign key constraint (%s)
	ErrFKColumnChange     = 1832 // Cannot change column '%s': used in a foreign key constraint '%s'
	ErrFKRefColumnChange  = 1833 // Cannot change column '%s': used in a foreign key constraint '%s' of table '%s'
	ErrNoBinaryLogging    = 1381 // You are not using binary logging
	ErrGlobalLocalVar     = 1238 // Variable '%s' is a read only variable | is a GLOBAL variable
	ErrOptionPrevents     = 1290 // The MariaDB server is running with the %s option so it cannot execute this statement
)

// states maps error numbers to SQLSTATE; numbers not listed use "HY000".
var states = map[int]string{
	ErrDupEntry: "23000", ErrNoSuchTable: "42S02", ErrTableExists: "42S01",
	ErrBadField: "42S22", ErrParse: "42000", ErrDataTooLong: "22001", ErrDataTruncated: "01000",
	ErrBadNull: "23000", ErrOutOfRange: "22003", ErrTruncatedWrong: "HY000",
	ErrTruncatedValue: "22007", ErrDivByZero: "22012", ErrNotSupported: "42000",
	ErrDupKeyName: "42000", ErrCantDropKey: "42000", ErrDupFieldName: "42S21",
	ErrMultiplePriKey: "42000", ErrUnknownStorage: "42000", ErrWrongValueCount: "21S01",
	ErrNonUniq: "23000", ErrKeyDoesNotExist: "42000", ErrAccessDenied: "28000",
	ErrInvalidGroupFunc: "HY000", ErrWrongFieldWithGrp: "42000", ErrWrongGroupField: "42000", ErrTooBigRowSize: "42000",
	ErrSpDoesNotExist: "42000", ErrWrongParamCount: "42000", ErrConstraintFailed: "23000",
	ErrTableMustHaveCols: "42000", ErrWrongAutoKey: "42000", ErrBlobKeyWithoutLen: "42000",
	ErrTooLongKey: "42000", ErrInvalidDefault: "42000", ErrNoDB: "3D000",
	ErrUnknownSystemVar: "HY000", ErrUnknownTable: "42S02", ErrSubqueryNo1Row: "21000",
	ErrOperandColumns: "21000", ErrQueryInterrupted: "70100", ErrTooManyConnections: "08004",
	ErrNetPacketTooLarge: "08S01", ErrNoDefault: "HY000", ErrWrongArguments: "HY000",
	ErrWrongValueForVar: "42000", ErrWrongTypeForVar: "42000", ErrLocalVariable: "HY000",
	ErrBadDB: "42000", ErrNonexistingGrant: "42000", ErrWarnTooFewRecords: "01000",
	ErrWarnTooManyRecords: "01000", ErrWarnNullToNotNull: "22004", ErrNotAllowedCommand: "42000",
	ErrSpecificAccess: "42000", ErrUnknownCharset: "42000", ErrCollationCharset: "42000", ErrLockDeadlock: "40001",
	ErrViewCheckFailed: "44000", ErrIsView: "42S02", ErrUnknownView: "42S02",
	ErrCantChangeTxChar: "25001", ErrRowIsReferenced: "23000", ErrNoReferencedRow: "23000",
	ErrTruncateReferenced: "42000", 1239: "42000", 1439: "42000", 1103: "42000", 1059: "42000", 1166: "42000", 1280: "42000",
}

// Error is an error with a MySQL error number and SQLSTATE.
type Error struct {
	Code    int    // MySQL error number, e.g. 1062
	State   string // SQLSTATE, e.g. "23000"
	Message string // the text after "ERROR 1062 (23000): "
	cause   error  // the underlying error, if any
}

// Error returns the message in MySQL's shape: "ERROR 1062 (23000): ...".
func (e *Error) Error() string {
	return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.State, e.Message)
}

// Unwrap returns the underlying error, so errors.Is sees through an Error.
func (e *Error) Unwrap() error { return e.cause }

// New returns an Error with code, its SQLSTATE, and a formatted message.
func New(code int, format string, args ...any) *Error {
	return &Error{Code: code, State: State(code), Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error with code whose message is msg and which wraps cause.
func Wrap(code int, cause error, format string, args ...any) *Error {
	e := New(code, format, args...)
	e.cause = cause
	return e
}

// State returns the SQLSTATE of a MySQL error number ("HY000" if unknown).
func State(code int) string {
	if s, ok := states[code]; ok {
		return s
	}
	return "HY000"
}

// As returns err as an *Error. An error that is not one becomes
// ER_UNKNOWN_ERROR (1105) with err's text, so every error can be reported
// to a client with a number.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, syscall.ENOSPC) {
		return diskFull(err)
	}
	return &Error{Code: ErrUnknown, State: "HY000", Message: err.Error(), cause: err}
}

// diskFull is MySQL's 1021 for an error caused by a full disk, naming the
// file that could not grow. Unlike MariaDB, blitz does not wait for space:
// the statement fails, and the message (err's text follows) says what it
// left done.
func diskFull(err error) *Error {
	file := "?"
	var pe *fs.PathError
	if errors.As(err, &pe) {
		file = pe.Path
	}
	return Wrap(ErrDiskFull, err, "Disk full (%s); free some space: %v", file, err)
}

// Code returns the MySQL error number of err, or 0 if err is nil.
func Code(err error) int {
	if err == nil {
		return 0
	}
	return As(err).Code
}
