package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// The SHOW statements about binary logs and replication, which monitoring
// tools and GUI clients send (mytop, mariadb-admin, DBeaver's server
// status), are answered as a MariaDB that has no binary log and is no
// replica answers them: blitz has neither (its update log is `blitz ulog`,
// which no SHOW reports on).
//
//   - SHOW {BINARY | MASTER} LOGS: error 1381 "You are not using binary
//     logging".
//   - SHOW {MASTER | BINLOG} STATUS, SHOW {SLAVE | REPLICA} STATUS, SHOW
//     ALL {SLAVES | REPLICAS} STATUS, SHOW {BINLOG | RELAYLOG} EVENTS,
//     SHOW {SLAVE | REPLICA} HOSTS: an empty result with
//     MariaDB 10.11's columns.
//
// TiDB's parser reads SHOW MASTER STATUS and SHOW {SLAVE | REPLICA}
// STATUS (showRows answers them); the others are
// recognised after it refused the text, as SHOW ENGINE is
// (show_engine.go), and so is SHOW STORAGE ENGINES, MariaDB's synonym of
// SHOW ENGINES.

// opShowEmpty is the adminStmt op of a SHOW recognised after the parser
// refused it: adminStmt.show names its answer in emptyShows, or is
// showBinaryLogs.
const opShowEmpty = "show empty"

// showBinaryLogs is adminStmt.show for SHOW {BINARY | MASTER} LOGS.
const showBinaryLogs = "binary logs"

// Column lists of the empty results, as MariaDB 10.11 names them.
var (
	masterStatusCols = []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"}
	slaveStatusCols  = []string{"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Connect_Retry",
		"Master_Log_File", "Read_Master_Log_Pos", "Relay_Log_File", "Relay_Log_Pos", "Relay_Master_Log_File",
		"Slave_IO_Running", "Slave_SQL_Running", "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table",
		"Replicate_Ignore_Table", "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Last_Errno",
		"Last_Error", "Skip_Counter", "Exec_Master_Log_Pos", "Relay_Log_Space", "Until_Condition",
		"Until_Log_File", "Until_Log_Pos", "Master_SSL_Allowed", "Master_SSL_CA_File", "Master_SSL_CA_Path",
		"Master_SSL_Cert", "Master_SSL_Cipher", "Master_SSL_Key", "Seconds_Behind_Master",
		"Master_SSL_Verify_Server_Cert", "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error",
		"Replicate_Ignore_Server_Ids", "Master_Server_Id", "Master_SSL_Crl", "Master_SSL_Crlpath", "Using_Gtid",
		"Gtid_IO_Pos", "Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids", "Parallel_Mode", "SQL_Delay",
		"SQL_Remaining_Delay", "Slave_SQL_Running_State", "Slave_DDL_Groups", "Slave_Non_Transactional_Groups",
		"Slave_Transactional_Groups", "Replicate_Rewrite_DB"}
	allSlavesStatusCols = append(append([]string{"Connection_name", "Slave_SQL_State"}, slaveStatusCols...),
		"Retried_transactions", "Max_relay_log_size", "Executed_log_entries", "Slave_received_heartbeats",
		"Slave_heartbeat_period", "Gtid_Slave_Pos")
	logEventsCols  = []string{"Log_name", "Pos", "Event_type", "Server_id", "End_log_pos", "Info"}
	slaveHostsCols = []string{"Server_id", "Host", "Port", "Master_id"}
)

// emptyShows are the columns of each empty answer, by adminStmt.show.
var emptyShows = map[string][]string{
	"master status": masterStatusCols, "all slaves status": allSlavesStatusCols,
	"log events": logEventsCols, "slave hosts": slaveHostsCols,
}

// parseShowUnparsed recognises, in text the parser refused, the SHOW
// statements of this file and SHOW ENGINE (show_engine.go). The result
// is either an adminStmt or, for SHOW STORAGE ENGINES, the node of SHOW
// ENGINES; ok is false for any other text.
func parseShowUnparsed(text string) (adm *adminStmt, node ast.StmtNode, ok bool) {
	if se, ok := parseShowEngine(text); ok {
		return se, nil, true
	}
	toks := tokenize(text)
	if len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	var words []string
	for _, t := range toks {
		if t.kind != 'w' {
			break
		}
		words = append(words, strings.ToUpper(t.text))
	}
	if len(words) < 2 || words[0] != "SHOW" {
		return nil, nil, false
	}
	whole := len(words) == len(toks)
	show := ""
	switch strings.Join(words[1:min(len(words), 4)], " ") {
	case "STORAGE ENGINES":
		if whole {
			return nil, &ast.ShowStmt{Tp: ast.ShowEngines}, true
		}
	case "BINARY LOGS", "MASTER LOGS":
		show = showBinaryLogs
	case "ALL SLAVES STATUS", "ALL REPLICAS STATUS":
		show = "all slaves status"
	case "BINLOG STATUS": // MariaDB's synonym of SHOW MASTER STATUS
		show = "master status"
	case "SLAVE HOSTS", "REPLICA HOSTS":
		show = "slave hosts"
	}
	if show != "" {
		if !whole {
			return nil, nil, false
		}
		return &adminStmt{op: opShowEmpty, show: show}, nil, true
	}
	if len(words) >= 3 && (words[1] == "BINLOG" || words[1] == "RELAYLOG") && words[2] == "EVENTS" {
		// [IN 'log'] [FROM pos] [LIMIT [offset,] n]: whatever they
		// say, there are no events to list.
		if len(toks) == 3 || isEventsTail(toks[3]) {
			return &adminStmt{op: opShowEmpty, show: "log events"}, nil, true
		}
	}
	return nil, nil, false
}

// isEventsTail reports whether t may start what follows SHOW BINLOG
// EVENTS.
func isEventsTail(t token) bool {
	if t.kind != 'w' {
		return false
	}
	switch strings.ToUpper(t.text) {
	case "IN", "FROM", "LIMIT":
		return true
	}
	return false
}

// showEmpty answers an adminStmt of op opShowEmpty.
func (x *execCtx) showEmpty(st *adminStmt) (Result, error) {
	if st.show == showBinaryLogs {
		return Result{}, errf(sqlerr.ErrNoBinaryLogging, "You are not using binary logging")
	}
	return emptyResult(emptyShows[st.show]), nil
}

// emptyResult is a result of no rows with text columns named cols.
func emptyResult(cols []string) Result {
	return Result{Columns: textColumns(cols...), Rows: [][]any{}}
}

// replicationShow answers the SHOW statements of this file that the
// parser reads; ok is false for any other.
func replicationShow(n *ast.ShowStmt) (Result, bool) {
	switch n.Tp {
	case ast.ShowMasterStatus, ast.ShowBinlogStatus:
		return emptyResult(masterStatusCols), true
	case ast.ShowReplicaStatus:
		return emptyResult(slaveStatusCols), true
	}
	return Result{}, false
}
