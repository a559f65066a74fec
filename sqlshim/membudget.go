package sqlshim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/blitzdb/blitz/internal/like"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// The session variable blitz_memory_budget bounds, in estimated bytes of
// row values (rowBytes), what one hash join's build side and one sort may
// hold in memory; past it they spill to temporary files (join_spill.go,
// sort_spill.go), removed when the statement ends however it ends.
//
// It is set with SET [SESSION] blitz_memory_budget = N or SET
// @@blitz_memory_budget = N (DEFAULT restores 256 MiB), read with
// SELECT @@blitz_memory_budget and SHOW VARIABLES. Values below
// MinMemoryBudget are raised to it with warning 1292, as MySQL truncates
// an out-of-range system variable; a negative value is error 1231, a
// value that is not an integer error 1232.

// DefaultMemoryBudget is blitz_memory_budget's default: 256 MiB.
const DefaultMemoryBudget int64 = 256 << 20

// MinMemoryBudget is the smallest blitz_memory_budget SET accepts: 64 KiB.
const MinMemoryBudget int64 = 64 << 10

const memoryBudgetVar = "blitz_memory_budget"

// defaultMemoryBudget is the budget a new session starts with (tests
// lower it below MinMemoryBudget to make every join spill).
var defaultMemoryBudget = DefaultMemoryBudget

// sortSpills counts the sorts that spilled (SHOW STATUS Blitz_sort_spills).
var sortSpills atomic.Int64

// MemoryBudget returns the session's blitz_memory_budget.
func (s *Session) MemoryBudget() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.memBudget
}

// SetMemoryBudget sets the session's blitz_memory_budget in bytes (as
// SET does: a value below MinMemoryBudget is raised to it; a negative one
// is an error).
func (s *Session) SetMemoryBudget(n int64) error {
	if n < 0 {
		return fmt.Errorf("blitz/sqlshim: memory budget %d: must not be negative", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.memBudget = max(n, MinMemoryBudget)
	return nil
}

// ParseSize reads a byte count with an optional K, M or G suffix (powers
// of 1024, case-insensitive, an optional trailing B: 64M, 512KiB, 1g,
// 65536), as the DSN option memory_budget and the --memory-budget flags
// take it.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional K, M or G suffix", s)
	}
	return n * mult, nil
}

// setMemoryBudget runs SET blitz_memory_budget = v.
func (x *execCtx) setMemoryBudget(v *ast.VariableAssignment) error {
	if v.IsGlobal || v.IsInstance {
		return errf(sqlerr.ErrLocalVariable, "Variable '%s' is a SESSION variable and can't be used with SET GLOBAL", memoryBudgetVar)
	}
	if _, ok := v.Value.(*ast.DefaultExpr); ok || v.Value == nil {
		x.s.memBudget = DefaultMemoryBudget
		return nil
	}
	val, err := x.newEval(nil, "field list").eval(v.Value)
	if err != nil {
		return err
	}
	var n int64
	switch t := val.(type) {
	case int64:
		n = t
	case uint64:
		n = int64(min(t, 1<<62))
	case nil:
		return errf(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of 'NULL'", memoryBudgetVar)
	default:
		return errf(sqlerr.ErrWrongTypeForVar, "Incorrect argument type to variable '%s'", memoryBudgetVar)
	}
	if n < 0 {
		return errf(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of '%d'", memoryBudgetVar, n)
	}
	if n < MinMemoryBudget {
		x.s.addWarning(sqlerr.ErrTruncatedValue, "Truncated incorrect %s value: '%d'", memoryBudgetVar, n)
		n = MinMemoryBudget
	}
	x.s.memBudget = n
	return nil
}

// showVariables answers SHOW [SESSION|GLOBAL] VARIABLES [LIKE 'pattern']
// with the variables @@name reads.
func (x *execCtx) showVariables(n *ast.ShowStmt) (Result, error) {
	pat, err := x.showPattern(n)
	if err != nil {
		return Result{}, err
	}
	ec := x.newEval(nil, "field list")
	var rows [][]any
	for _, name := range systemVarNames {
		if pat != nil && !like.Match(name, *pat, '\\') {
			continue
		}
		v, err := ec.variable(&ast.VariableExpr{Name: name, IsSystem: true})
		if err != nil {
			return Result{}, err
		}
		rows = append(rows, []any{name, showVarText(name, v)})
	}
	if rows == nil {
		rows = [][]any{}
	}
	return Result{Columns: textColumns("Variable_name", "Value"), Rows: rows}, nil
}

// onOffVars are the boolean variables SHOW VARIABLES shows as ON or OFF
// (SELECT @@name reads 1 or 0), as MariaDB does: of the variables blitz
// or blitz serve reports, those MariaDB 10.11 declares boolean.
var onOffVars = map[string]bool{
	"autocommit": true, "explicit_defaults_for_timestamp": true, fkCheckVar: true, "local_infile": true,
	"log_bin": true, "lower_case_file_system": true, "performance_schema": true, "read_only": true,
	"session_track_schema": true, "sql_auto_is_null": true, "sql_big_selects": true, "sql_log_bin": true, "sql_log_off": true,
	"sql_notes": true, "sql_quote_show_create": true, "sql_safe_updates": true, "sql_warnings": true,
	"transaction_read_only": true, "tx_read_only": true, "unique_checks": true,
}

// ShowVariableText is the text SHOW VARIABLES shows for system variable
// name (lower-case) whose value, as SELECT @@name reads it, has text v:
// ON or OFF for a boolean variable, as MariaDB shows them, else v.
func ShowVariableText(name, v string) string {
	if !onOffVars[name] {
		return v
	}
	switch strings.ToUpper(v) {
	case "0", "OFF":
		return "OFF"
	}
	return "ON"
}

// showVarText is the text SHOW VARIABLES shows for variable name of value v.
func showVarText(name string, v any) string {
	return ShowVariableText(name, toString(v))
}

// showStatus answers SHOW [SESSION|GLOBAL] STATUS [LIKE 'pattern'] with the
// SQL layer's counters (since the process started), or with the status
// source's list (SetStatusSource).
func (x *execCtx) showStatus(n *ast.ShowStmt) (Result, error) {
	pat, err := x.showPattern(n)
	if err != nil {
		return Result{}, err
	}
	pairs := StatusCounters()
	if x.s.statusSource != nil {
		pairs = x.s.statusSource()
		slices.SortFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	}
	rows := [][]any{}
	for _, p := range pairs {
		if pat == nil || like.Match(p[0], *pat, '\\') {
			rows = append(rows, []any{p[0], p[1]})
		}
	}
	return Result{Columns: textColumns("Variable_name", "Value"), Rows: rows}, nil
}

// StatusCounters returns the SQL layer's counters for SHOW STATUS, by
// name: the hash joins and the sorts that spilled to temporary files.
func StatusCounters() [][2]string {
	return [][2]string{
		{"Blitz_join_spills", strconv.FormatInt(joinSpills.Load(), 10)},
		{"Blitz_sort_spills", strconv.FormatInt(sortSpills.Load(), 10)},
	}
}

func (x *execCtx) showPattern(n *ast.ShowStmt) (*string, error) {
	if n.Pattern == nil {
		return nil, nil
	}
	v, err := x.newEval(nil, "field list").eval(n.Pattern.Pattern)
	if err != nil {
		return nil, err
	}
	s := toString(v)
	return &s, nil
}

// systemVarNames are the variables SHOW VARIABLES lists, sorted.
var systemVarNames = []string{
	"autocommit", "basedir", memoryBudgetVar, "character_set_client", "character_set_connection",
	"character_set_database", "character_set_results", "character_set_server",
	"collation_connection", "collation_database", "collation_server", "datadir",
	"div_precision_increment", "foreign_key_checks", "hostname", "log_error", "lower_case_file_system", "lower_case_table_names", "max_allowed_packet",
	maxRecursiveIterationsVar, "pid_file", "port", "secure_file_priv", "socket",
	"sql_mode", "sql_notes", "sql_quote_show_create", "sql_safe_updates", selectLimitVar, "system_time_zone", "time_zone", "tmpdir",
	"transaction_isolation", "transaction_read_only", "tx_isolation", "tx_read_only", "unique_checks", "version", "version_comment",
}
