package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// sqlMode is a session's sql_mode: one bit per flag of sqlModeFlags, in
// MariaDB's numbering (SET sql_mode = 5 means REAL_AS_FLOAT,ANSI_QUOTES).
type sqlMode uint64

// sqlModeFlags are MariaDB's sql_mode flags in the order of their bits,
// the order @@sql_mode lists them in.
var sqlModeFlags = []string{
	"REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE", "IGNORE_BAD_TABLE_OPTIONS",
	"ONLY_FULL_GROUP_BY", "NO_UNSIGNED_SUBTRACTION", "NO_DIR_IN_CREATE", "POSTGRESQL", "ORACLE",
	"MSSQL", "DB2", "MAXDB", "NO_KEY_OPTIONS", "NO_TABLE_OPTIONS", "NO_FIELD_OPTIONS", "MYSQL323",
	"MYSQL40", "ANSI", "NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES",
	"STRICT_ALL_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE", "ALLOW_INVALID_DATES",
	"ERROR_FOR_DIVISION_BY_ZERO", "TRADITIONAL", "NO_AUTO_CREATE_USER", "HIGH_NOT_PRECEDENCE",
	"NO_ENGINE_SUBSTITUTION", "PAD_CHAR_TO_FULL_LENGTH", "EMPTY_STRING_IS_NULL",
	"SIMULTANEOUS_ASSIGNMENT", "TIME_ROUND_FRACTIONAL",
}

// The flags blitz acts on.
var (
	modePipesAsConcat        = mustMode("PIPES_AS_CONCAT")
	modeANSIQuotes           = mustMode("ANSI_QUOTES")
	modeIgnoreSpace          = mustMode("IGNORE_SPACE")
	modeNoAutoValueOnZero    = mustMode("NO_AUTO_VALUE_ON_ZERO")
	modeNoBackslashEscapes   = mustMode("NO_BACKSLASH_ESCAPES")
	modeHighNotPrecedence    = mustMode("HIGH_NOT_PRECEDENCE")
	modeNoEngineSubstitution = mustMode("NO_ENGINE_SUBSTITUTION")
	modeStrictTrans          = mustMode("STRICT_TRANS_TABLES")
	modeStrictAll            = mustMode("STRICT_ALL_TABLES")
	modeErrorForDivByZero    = mustMode("ERROR_FOR_DIVISION_BY_ZERO")
)

// strict reports whether the mode is strict for blitz tables (all of them
// transactional): STRICT_TRANS_TABLES or STRICT_ALL_TABLES.
func (m sqlMode) strict() bool { return m.has(modeStrictTrans) || m.has(modeStrictAll) }

// defaultSQLMode is @@sql_mode until a session sets it.
var defaultSQLMode = mustMode("STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION")

// sqlModeCombos are the flags a combination mode sets besides its own.
var sqlModeCombos = map[sqlMode]sqlMode{
	mustMode("ANSI"):        mustMode("REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE"),
	mustMode("TRADITIONAL"): mustMode("STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION"),
	mustMode("ORACLE"):      mustMode("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS,NO_AUTO_CREATE_USER,SIMULTANEOUS_ASSIGNMENT"),
	mustMode("POSTGRESQL"):  mustMode("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS"),
	mustMode("MSSQL"):       mustMode("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS"),
	mustMode("DB2"):         mustMode("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS"),
	mustMode("MAXDB"):       mustMode("PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,NO_KEY_OPTIONS,NO_TABLE_OPTIONS,NO_FIELD_OPTIONS,NO_AUTO_CREATE_USER"),
	mustMode("MYSQL323"):    mustMode("HIGH_NOT_PRECEDENCE"),
	mustMode("MYSQL40"):     mustMode("HIGH_NOT_PRECEDENCE"),
}

// modeBits returns the bits of a comma-separated list of flags (any case,
// blanks around them ignored), or the first name that is not a flag.
func modeBits(list string) (sqlMode, string) {
	var m sqlMode
	for _, p := range strings.Split(list, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		i := 0
		for i < len(sqlModeFlags) && sqlModeFlags[i] != p {
			i++
		}
		if i == len(sqlModeFlags) {
			return 0, p
		}
		m |= 1 << i
	}
	return m, ""
}

func mustMode(list string) sqlMode {
	m, bad := modeBits(list)
	if bad != "" {
		panic("blitz/sqlshim: unknown sql_mode flag " + bad)
	}
	return m
}

// parseSQLMode is the mode SET sql_mode = v sets: v is a list of flags or
// the number of their bits; combination modes bring their flags. An
// unknown flag is error 1231, as in MariaDB.
func parseSQLMode(v any) (sqlMode, error) {
	var m sqlMode
	switch n := v.(type) {
	case int64, uint64:
		if i, ok := n.(int64); ok && i < 0 || uint64(toInt(n)) >= 1<<len(sqlModeFlags) {
			return 0, errf(sqlerr.ErrWrongValueForVar, "Variable 'sql_mode' can't be set to the value of '%s'", toString(v))
		}
		m = sqlMode(toInt(n))
	default:
		var bad string
		if m, bad = modeBits(toString(v)); bad != "" {
			return 0, errf(sqlerr.ErrWrongValueForVar, "Variable 'sql_mode' can't be set to the value of '%s'", bad)
		}
	}
	for combo, flags := range sqlModeCombos {
		if m.has(combo) {
			m |= flags
		}
	}
	return m, nil
}

func (m sqlMode) has(flag sqlMode) bool { return m&flag == flag }

// String is the mode as @@sql_mode shows it: its flags in bit order.
func (m sqlMode) String() string {
	var out []string
	for i, f := range sqlModeFlags {
		if m&(1<<i) != 0 {
			out = append(out, f)
		}
	}
	return strings.Join(out, ",")
}

// setSQLMode sets the session's sql_mode and gives its parser the flags
// that change how statements parse: ANSI_QUOTES ("x" is an identifier),
// PIPES_AS_CONCAT (|| concatenates), NO_BACKSLASH_ESCAPES, IGNORE_SPACE
// and HIGH_NOT_PRECEDENCE. Of the rest only NO_AUTO_VALUE_ON_ZERO and
// NO_ENGINE_SUBSTITUTION change anything: blitz is always strict. The
// cached statement shapes were parsed under the old mode, so they go.
func (s *Session) setSQLMode(m sqlMode) {
	s.sqlMode = m
	var pm mysql.SQLMode
	for flag, p := range map[sqlMode]mysql.SQLMode{
		modeANSIQuotes: mysql.ModeANSIQuotes, modePipesAsConcat: mysql.ModePipesAsConcat,
		modeNoBackslashEscapes: mysql.ModeNoBackslashEscapes, modeIgnoreSpace: mysql.ModeIgnoreSpace,
		modeHighNotPrecedence: mysql.ModeHighNotPrecedence,
	} {
		if m.has(flag) {
			pm |= p
		}
	}
	s.parser.SetSQLMode(pm)
	s.lexMode = m.has(modeANSIQuotes) || m.has(modeNoBackslashEscapes)
	s.shapes = nil
}

// SQLMode returns the session's @@sql_mode.
func (s *Session) SQLMode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sqlMode.String()
}
