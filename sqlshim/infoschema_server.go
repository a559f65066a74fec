package sqlshim

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// The information_schema views and SHOW statements that GUI clients and
// administration tools read about the server rather than the tables:
// variables, status counters, plugins, privileges, roles, partitions and
// the tables held open. Blitz answers them from what it has (one user
// with every privilege, no roles, no partitioning, every table open),
// with MariaDB 10.11's columns.

// isNameValue turns the rows of SHOW VARIABLES or SHOW STATUS into those
// of information_schema's GLOBAL_/SESSION_VARIABLES or _STATUS: the names
// in upper case, as MariaDB shows them there.
func isNameValue(r Result, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	rows := make([][]any, len(r.Rows))
	for i, row := range r.Rows {
		rows[i] = []any{strings.ToUpper(row[0].(string)), row[1]}
	}
	return Result{Columns: textColumns("VARIABLE_NAME", "VARIABLE_VALUE"), Rows: rows}, nil
}

// isPartitions has one row per base table with the partition columns
// NULL, as MariaDB shows a table that is not partitioned (blitz ignores
// PARTITION BY), and the sizes SHOW TABLE STATUS gives.
func (x *execCtx) isPartitions() (Result, error) {
	st, err := x.tableStatus(&ast.ShowStmt{Tp: ast.ShowTableStatus})
	if err != nil {
		return Result{}, err
	}
	cols := textColumns("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "PARTITION_NAME", "SUBPARTITION_NAME", "PARTITION_ORDINAL_POSITION", "SUBPARTITION_ORDINAL_POSITION", "PARTITION_METHOD", "SUBPARTITION_METHOD", "PARTITION_EXPRESSION", "SUBPARTITION_EXPRESSION", "PARTITION_DESCRIPTION", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH", "INDEX_LENGTH", "DATA_FREE", "CREATE_TIME", "UPDATE_TIME", "CHECK_TIME", "CHECKSUM", "PARTITION_COMMENT", "NODEGROUP", "TABLESPACE_NAME")
	intColumn(cols, "PARTITION_ORDINAL_POSITION", "SUBPARTITION_ORDINAL_POSITION", "TABLE_ROWS", "AVG_ROW_LENGTH", "DATA_LENGTH", "MAX_DATA_LENGTH", "INDEX_LENGTH", "DATA_FREE", "CHECKSUM")
	rows := [][]any{}
	for _, r := range st.Rows {
		if r[1] == nil { // a view: no engine, no partitions row
			continue
		}
		// SHOW TABLE STATUS: Name Engine Version Row_format Rows
		// Avg_row_length Data_length Max_data_length Index_length Data_free
		// Auto_increment Create_time Update_time Check_time Collation
		// Checksum ...
		rows = append(rows, []any{"def", x.s.DBName, r[0], nil, nil, nil, nil, nil, nil, nil, nil, nil,
			r[4], r[5], r[6], r[7], r[8], r[9], r[11], r[12], r[13], r[15], "", "", nil})
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// blitzPlugins are the plugins blitz would list: its storage engine and
// the one authentication method blitz serve speaks.
var blitzPlugins = []struct{ name, typ, description string }{
	{"BLITZDB", "STORAGE ENGINE", "hash data files, disposable indexes, CRASH_SAFE tables"},
	{"mysql_native_password", "AUTHENTICATION", "password checked with the mysql_native_password scramble (blitz serve --user/--password)"},
}

// pluginLicense is what blitz shows as every plugin's license: its own
// (@@license of blitz serve).
const pluginLicense = "Apache-2.0"

func isPlugins() Result {
	cols := textColumns("PLUGIN_NAME", "PLUGIN_VERSION", "PLUGIN_STATUS", "PLUGIN_TYPE", "PLUGIN_TYPE_VERSION", "PLUGIN_LIBRARY", "PLUGIN_LIBRARY_VERSION", "PLUGIN_AUTHOR", "PLUGIN_DESCRIPTION", "PLUGIN_LICENSE", "LOAD_OPTION", "PLUGIN_MATURITY", "PLUGIN_AUTH_VERSION")
	rows := [][]any{}
	for _, p := range blitzPlugins {
		rows = append(rows, []any{p.name, "1.0", "ACTIVE", p.typ, "1.0", nil, nil, "blitz", p.description, pluginLicense, "FORCE", "Stable", "1.0"})
	}
	return Result{Columns: cols, Rows: rows}
}

// showPlugins is SHOW PLUGINS: Name Status Type Library License.
func showPlugins() Result {
	rows := [][]any{}
	for _, p := range blitzPlugins {
		rows = append(rows, []any{p.name, "ACTIVE", p.typ, nil, pluginLicense})
	}
	return Result{Columns: textColumns("Name", "Status", "Type", "Library", "License"), Rows: rows}
}

// globalPrivileges are the privileges of ALL PRIVILEGES ON *.* in MariaDB
// 10.11, the grant SHOW GRANTS reports for the one user blitz has.
var globalPrivileges = []string{
	"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "RELOAD", "SHUTDOWN", "PROCESS", "FILE",
	"REFERENCES", "INDEX", "ALTER", "SHOW DATABASES", "SUPER", "CREATE TEMPORARY TABLES", "LOCK TABLES",
	"EXECUTE", "REPLICATION SLAVE", "BINLOG MONITOR", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE",
	"ALTER ROUTINE", "CREATE USER", "EVENT", "TRIGGER", "CREATE TABLESPACE", "DELETE HISTORY", "SET USER",
	"FEDERATED ADMIN", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN",
	"REPLICATION MASTER ADMIN", "BINLOG ADMIN", "BINLOG REPLAY", "SLAVE MONITOR",
}

// isUserPrivileges lists the session's account with every global
// privilege, grantable (SHOW GRANTS: ALL PRIVILEGES WITH GRANT OPTION).
func (x *execCtx) isUserPrivileges() Result {
	c := x.s.client
	grantee := "'" + strings.ReplaceAll(c.User, "'", "''") + "'@'" + strings.ReplaceAll(c.AccountHost, "'", "''") + "'"
	rows := make([][]any, 0, len(globalPrivileges))
	for _, p := range globalPrivileges {
		rows = append(rows, []any{grantee, "def", p, "YES"})
	}
	return Result{Columns: textColumns("GRANTEE", "TABLE_CATALOG", "PRIVILEGE_TYPE", "IS_GRANTABLE"), Rows: rows}
}

// showOpenTables is SHOW OPEN TABLES [FROM db] [LIKE ...]: blitz keeps
// every table of its database open, none name-locked; In_use is 0 (LOCK
// TABLES locks are not counted here). Another database has no open
// tables, as in MariaDB (no error).
func (x *execCtx) showOpenTables(n *ast.ShowStmt) (Result, error) {
	pat, err := x.showPattern(n)
	if err != nil {
		return Result{}, err
	}
	rows := [][]any{}
	other := n.DBName != "" && !strings.EqualFold(n.DBName, x.s.DBName)
	for _, ti := range x.infoTables() {
		if !other && (pat == nil || tableNameLike(ti.name, *pat)) {
			rows = append(rows, []any{x.s.DBName, ti.name, int64(0), int64(0)})
		}
	}
	cols := textColumns("Database", "Table", "In_use", "Name_locked")
	intColumn(cols, "In_use", "Name_locked")
	return Result{Columns: cols, Rows: rows}, nil
}
