package server

import (
	"io"
	"strconv"
	"strings"
)

// COM_STMT_PREPARE: vitess's protocol code parses the statement with its
// own SQL parser before it calls the Handler, to count the placeholders,
// and fails the prepare (1105) when that parser cannot read the text,
// though sqlshim could run it (RETURNING, CHECK TABLE, CRASH_SAFE, ...).
// So serverConn.Read hands vitess a stand-in for every COM_STMT_PREPARE:
// a statement of its own, "SELECT 1 /* blitz prepare N */", which vitess
// parses in no time, and keeps the client's text; ComPrepare swaps the
// text back before sqlshim prepares it, and sets the parameter count from
// sqlshim's parse (it did so before: vitess's count was never used).

// comPrepare is the command byte of COM_STMT_PREPARE (part of the
// protocol).
const comPrepare = 0x16

// maxStandIns bounds the texts a connection keeps for stand-ins vitess has
// not passed on yet (it passes each on at once, unless it refuses the
// command, as it does with a cursor open).
const maxStandIns = 64

const standInPrefix = "SELECT 1 /* blitz prepare "

// takeStandIns replaces each COM_STMT_PREPARE packet among the whole
// packets p starts with (p is the bytes just read at a command boundary)
// by its stand-in, and each COM_REFRESH and COM_DEBUG by the COM_QUERY
// that answers it (refresh.go), and returns the bytes to hand vitess in
// p's place: p itself when it holds none. Clients send a prepare right behind a
// COM_STMT_CLOSE, so the packets are walked, not just the first. A prepare
// split across reads is read whole first (it is at most
// max_allowed_packet); the walk stops at anything else split, or at a
// packet of more than one frame, and hands the rest on as it is.
func (c *serverConn) takeStandIns(p []byte) ([]byte, error) {
	if c.packets == 0 || c.busy.Load() || c.hdrGot != 0 || c.remain != 0 || c.total != 0 {
		return p, nil
	}
	var out []byte // nil until a packet to replace is met
	i := 0
	for i+5 <= len(p) {
		n := int(p[i]) | int(p[i+1])<<8 | int(p[i+2])<<16
		isPrepare := p[i+3] == 0 && p[i+4] == comPrepare
		if n >= maxFrame || (isPrepare && int64(n) > c.s.maxPacket()) {
			break // vitess's own path; scan refuses an oversize packet
		}
		if i+4+n > len(p) {
			if !isPrepare {
				break
			}
			whole := make([]byte, i+4+n)
			copy(whole, p)
			if _, err := io.ReadFull(c.Conn, whole[len(p):]); err != nil {
				return nil, err
			}
			p = whole
		}
		query := ""
		if n <= 2 && p[i+3] == 0 && !isPrepare {
			query = commandStandIn(p[i+4 : i+4+n]) // refresh.go
		}
		if (isPrepare || query != "") && out == nil {
			out = make([]byte, 0, len(p)+64)
			out = append(out, p[:i]...)
		}
		if isPrepare {
			out = c.appendStandIn(out, string(p[i+5:i+4+n]))
		} else if query != "" {
			out = appendQuery(out, query)
		} else if out != nil {
			out = append(out, p[i:i+4+n]...)
		}
		i += 4 + n
	}
	if out == nil {
		return p, nil
	}
	return append(out, p[i:]...), nil
}

// appendStandIn appends to b the COM_STMT_PREPARE packet of a stand-in
// for query, and keeps query for preparedText.
func (c *serverConn) appendStandIn(b []byte, query string) []byte {
	c.prepSeq++
	standIn := standInPrefix + strconv.FormatUint(c.prepSeq, 10) + " */"
	c.prepMu.Lock()
	if c.standIns == nil || len(c.standIns) >= maxStandIns {
		c.standIns = make(map[string]string)
	}
	c.standIns[standIn] = query
	c.prepMu.Unlock()
	n := len(standIn) + 1
	b = append(b, byte(n), byte(n>>8), byte(n>>16), 0, comPrepare)
	return append(b, standIn...)
}

// preparedText returns the client's text of the statement vitess passes to
// ComPrepare as query: query itself unless it is one of c's stand-ins.
func (c *serverConn) preparedText(query string) string {
	if c == nil || !strings.HasPrefix(query, standInPrefix) {
		return query
	}
	c.prepMu.Lock()
	defer c.prepMu.Unlock()
	if q, ok := c.standIns[query]; ok {
		delete(c.standIns, query)
		return q
	}
	return query
}
