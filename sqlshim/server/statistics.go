package server

import (
	"fmt"
	"time"
)

// COM_STATISTICS (mariadb-admin status, the status line of mariadb-admin
// version, the mariadb client's "status" command) asks for one line of
// counters, answered with a bare text packet. vitess's protocol code
// routes it to no Handler method (it answers every command it does not
// know with error 1047 "command handling not implemented yet: 9"), so the
// server answers it where it sees the client's bytes: serverConn.Read
// takes a COM_STATISTICS packet out of what it hands to vitess and writes
// the reply itself. vitess is then waiting for its next command, so
// nothing else writes to the connection meanwhile.

// comStatistics is the command byte of COM_STATISTICS (part of the
// protocol).
const comStatistics = 0x09

// statisticsPacket is a whole COM_STATISTICS packet as it reaches the
// server: a frame of one byte with sequence number 0, then the command.
var statisticsPacket = [5]byte{1, 0, 0, 0, comStatistics}

// statistics is the text of the COM_STATISTICS reply, in MariaDB's form
// ("Uptime: 404  Threads: 1  Questions: 362  Slow queries: 0  Opens: 108
// Open tables: 15  Queries per second avg: 0.896"). blitz keeps every
// table open, so Opens and Open tables are its tables; it logs no slow
// queries.
func (s *Server) statistics() string {
	up := time.Since(s.started)
	questions := s.stats.queries.Load()
	tables := "0"
	if r, ok := s.backend.(StatusReporter); ok {
		for _, kv := range r.Status() {
			if kv[0] == "Blitz_tables" {
				tables = kv[1]
			}
		}
	}
	sec := int64(up / time.Second)
	qps := 0.0
	if sec > 0 {
		qps = float64(questions) / float64(sec)
	}
	return fmt.Sprintf("Uptime: %d  Threads: %d  Questions: %d  Slow queries: 0  Opens: %s  Open tables: %s  Queries per second avg: %.3f",
		sec, s.open.Load(), questions, tables, tables, qps)
}

// takeCommands answers the COM_STATISTICS and COM_SHUTDOWN packets that
// p, the bytes just read at a packet boundary between statements, starts
// with, and returns the rest of p (p's own memory). A packet split across
// reads is left to vitess (error 1047, the connection stays open): clients
// send these few bytes in one write. While a statement runs (busy) the
// bytes are its own: a LOAD DATA LOCAL file whose packet numbers wrap to 0
// may hold a short packet that looks the same. Only a packet with sequence
// number 0 starts a command: the login's packets continue the handshake's
// numbering.
func (c *serverConn) takeCommands(p []byte) []byte {
	for len(p) >= 5 && p[3] == 0 && (p[4] == comStatistics || p[4] == comShutdown) &&
		c.packets > 0 && !c.busy.Load() && c.hdrGot == 0 && c.remain == 0 && c.total == 0 {
		switch {
		case [5]byte(p[:5]) == statisticsPacket:
			c.s.stats.queries.Add(1)
			text := c.s.statistics()
			frame := make([]byte, 4, 4+len(text))
			frame[0], frame[1], frame[2], frame[3] = byte(len(text)), byte(len(text)>>8), byte(len(text)>>16), 1
			if _, err := c.Conn.Write(append(frame, text...)); err != nil {
				return p // vitess meets the broken connection itself
			}
			p = p[:copy(p, p[5:])]
		case p[4] == comShutdown && p[1] == 0 && p[2] == 0 && (p[0] == 1 || p[0] == 2 && len(p) >= 6):
			size := 4 + int(p[0])
			if !c.takeShutdown() {
				return p
			}
			p = p[:copy(p, p[size:])]
		default:
			return p
		}
	}
	return p
}
