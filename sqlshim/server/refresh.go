package server

import "strconv"

// COM_REFRESH (mariadb-admin refresh, flush-threads; mariadb-dump
// --flush-logs) and COM_DEBUG (mariadb-admin debug) are commands vitess
// routes to no Handler method: it answers them with error 1047 "command
// handling not implemented yet: 7", which reads as a broken server. So
// takeStandIns (prepare.go) hands vitess, in each one's place, a
// COM_QUERY of the statement that does the same in blitz, and the client
// gets that statement's answer (an OK packet, or its error):
//
//   - COM_REFRESH whose options hold REFRESH_TABLES is FLUSH TABLES
//     (committed changes made durable, exec_flush.go); any other is FLUSH
//     LOGS, which does nothing: blitz keeps no server logs, host or
//     thread cache or privilege tables for the other options to reset.
//   - COM_DEBUG, which makes MariaDB write debugging information to its
//     error log, is DO 0: blitz has nothing of the kind to write.
//
// The statement names the command in a comment, so SHOW PROCESSLIST
// tells where it came from.

// Command bytes and COM_REFRESH's option bit (part of the protocol).
const (
	comRefresh    = 0x07
	comDebug      = 0x0d
	refreshTables = 0x04
)

// commandStandIn returns the statement that answers the command packet
// payload (one whole packet that starts a command), "" for a packet that
// is not COM_REFRESH or COM_DEBUG.
func commandStandIn(payload []byte) string {
	if len(payload) == 0 {
		return ""
	}
	switch {
	case payload[0] == comRefresh && len(payload) <= 2:
		opts := byte(0)
		if len(payload) == 2 {
			opts = payload[1]
		}
		what := "LOGS"
		if opts&refreshTables != 0 {
			what = "TABLES"
		}
		return "FLUSH /* COM_REFRESH " + strconv.Itoa(int(opts)) + " */ " + what
	case payload[0] == comDebug && len(payload) == 1:
		return "DO /* COM_DEBUG */ 0"
	}
	return ""
}

// appendQuery appends to b a COM_QUERY packet of query, sequence number 0.
func appendQuery(b []byte, query string) []byte {
	n := len(query) + 1
	b = append(b, byte(n), byte(n>>8), byte(n>>16), 0, comQuery)
	return append(b, query...)
}

// comQuery is the command byte of COM_QUERY (part of the protocol).
const comQuery = 0x03
