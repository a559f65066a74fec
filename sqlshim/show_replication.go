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
// statements of this file and SHOW ENGINE (show_engine.go), START and
// STOP SLAVE (below) and FLUSH of MariaDB's kinds the parser does not
// know (exec_flush.go). The result
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
	if adm, ok := parseReplicaControl(toks); ok {
		return adm, nil, true
	}
	if adm, ok := parseFlushUnparsed(toks); ok { // exec_flush.go
		return adm, nil, true
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

// START | STOP {SLAVE | REPLICA} [thread options ...] [connection
// options] and START | STOP ALL {SLAVES | REPLICAS} (mariadb-admin
// start-slave, stop-all-slaves, ...), which TiDB's parser does not read,
// are recognised after it refused the text and answered as by a MariaDB
// that replicates from nowhere: START SLAVE is error 1200 (no master was
// set: blitz has no CHANGE MASTER TO), STOP SLAVE succeeds with Note 1255
// "Slave already has been stopped", and the ALL forms succeed.

// opReplicaControl is the adminStmt op of those statements; adminStmt.show
// is "start", "stop" or "all".
const opReplicaControl = "replica control"

// parseReplicaControl recognises them in text the parser refused.
func parseReplicaControl(toks []token) (*adminStmt, bool) {
	if len(toks) < 2 || toks[0].kind != 'w' || toks[1].kind != 'w' {
		return nil, false
	}
	verb, what := strings.ToUpper(toks[0].text), strings.ToUpper(toks[1].text)
	if verb != "START" && verb != "STOP" {
		return nil, false
	}
	switch {
	case what == "ALL" && len(toks) == 3 && (strings.EqualFold(toks[2].text, "SLAVES") || strings.EqualFold(toks[2].text, "REPLICAS")):
		return &adminStmt{op: opReplicaControl, show: "all"}, true
	case what == "SLAVE" || what == "REPLICA":
		return &adminStmt{op: opReplicaControl, show: strings.ToLower(verb)}, true
	}
	return nil, false
}

// replicaControl answers an adminStmt of op opReplicaControl.
func (x *execCtx) replicaControl(st *adminStmt) (Result, error) {
	switch st.show {
	case "start":
		return Result{}, errf(errBadSlave, "Misconfigured slave: MASTER_HOST was not set; Fix in config file or with CHANGE MASTER TO")
	case "stop":
		x.s.addNote(errSlaveWasNotRunning, "Slave already has been stopped")
	}
	return Result{}, nil
}

// MariaDB's ER_BAD_SLAVE and ER_SLAVE_WAS_NOT_RUNNING.
const (
	errBadSlave           = 1200
	errSlaveWasNotRunning = 1255
)
