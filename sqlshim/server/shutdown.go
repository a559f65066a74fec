package server

import (
	"context"
	"encoding/binary"
)

// COM_SHUTDOWN (mariadb-admin shutdown) stops the server as SIGTERM does
// (Shutdown: running statements finish, open transactions roll back, the
// database is closed cleanly). vitess answers it with error 1047 like any
// command it does not route, so the server takes it out of the client's
// bytes where it takes COM_STATISTICS (statistics.go's takeCommands). The
// packet is the command byte and, from every current client, one byte of
// shutdown level, which MariaDB ignores but for KILL_CONNECTION-style
// levels blitz does not have: any level stops the server. Only a
// logged-in client may ask; blitz has one user, so every logged-in client
// holds MariaDB's SHUTDOWN privilege.
//
// MariaDB answers with an EOF packet before it goes down; an OK packet
// (what a client that set CLIENT_DEPRECATE_EOF receives in its place)
// is read the same way by every client library, so the server sends
// that.

// The SHUTDOWN statement does the same (MariaDB's SHUTDOWN [WAIT FOR ALL
// {SLAVES | REPLICAS}]: blitz has no replicas to wait for).

// comShutdown is the command byte of COM_SHUTDOWN (part of the protocol).
const comShutdown = 0x08

// takeShutdown answers a COM_SHUTDOWN packet and starts the shutdown. It
// returns false, leaving the packet to vitess, before the client has
// logged in.
func (c *serverConn) takeShutdown() bool {
	if !c.loggedIn.Load() {
		return false
	}
	c.s.stats.queries.Add(1)
	ok := []byte{7, 0, 0, 1, 0x00, 0, 0, 0, 0, 0, 0} // OK: no rows, no id, status and warnings below
	binary.LittleEndian.PutUint16(ok[7:], serverStatusAutocommit)
	c.Conn.Write(ok) // a client gone already changes nothing: the server goes down
	c.s.requestShutdown("COM_SHUTDOWN")
	return true
}

// serverStatusAutocommit is SERVER_STATUS_AUTOCOMMIT in an OK packet's
// status flags (part of the protocol).
const serverStatusAutocommit = 0x0002

// requestShutdown starts Shutdown on a goroutine of its own (the caller
// is a connection, which Shutdown waits for) and returns at once. Serve
// returns ErrServerClosed once Shutdown has closed the database.
func (s *Server) requestShutdown(by string) {
	s.opts.Logger.Info("shutting down", "requested_by", by)
	go s.Shutdown(context.Background())
}

// shutdown is the SHUTDOWN statement; toks follow the word SHUTDOWN.
func (h *handler) shutdown(toks []token) (*Result, bool, error) {
	if len(toks) > 0 && toks[len(toks)-1].text == ";" {
		toks = toks[:len(toks)-1]
	}
	if len(toks) != 0 && !(len(toks) == 4 && toks[0].is("wait") && toks[1].is("for") && toks[2].is("all") &&
		(toks[3].is("slaves") || toks[3].is("replicas"))) {
		return nil, false, nil // the session's syntax error
	}
	h.s.requestShutdown("SHUTDOWN")
	return &Result{}, true, nil
}
