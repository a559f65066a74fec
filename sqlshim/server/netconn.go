package server

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// maxFrame is the largest MySQL packet frame; a frame of exactly this size
// is continued by the next one (part of the protocol).
const maxFrame = 1<<24 - 1

// limitListener wraps the listening socket. It refuses connections beyond
// the configured maximum with MySQL's 1040 "Too many connections" (rather
// than queueing them, as vitess's own limit does), and wraps every accepted
// connection in a serverConn.
type limitListener struct {
	net.Listener
	s *Server
}

// Accept returns the next connection under the limit; connections over it
// are answered with 1040 and closed here.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.stats.connections.Add(1)
		if l.s.draining.Load() {
			writeErrorFrame(c, 0, errServerShutdown, "08S01", "Server shutdown in progress")
			c.Close()
			continue
		}
		n := l.s.open.Add(1)
		if max := l.s.opts.MaxConnections; max > 0 && n > int64(max) {
			l.s.open.Add(-1)
			l.s.stats.abortedConnects.Add(1)
			writeErrorFrame(c, 0, sqlerr.ErrTooManyConnections, sqlerr.State(sqlerr.ErrTooManyConnections), "Too many connections")
			c.Close()
			continue
		}
		for {
			m := l.s.stats.maxUsed.Load()
			if n <= m || l.s.stats.maxUsed.CompareAndSwap(m, n) {
				break
			}
		}
		sc := &serverConn{Conn: c, s: l.s}
		sc.patch.kind = patchHandshake // okinfo.go
		return sc, nil
	}
}

// serverConn is one client connection as the protocol code sees it. It
// enforces the idle timeout (a deadline on every read: the server reads
// only while it waits for the client), the maximum packet size (checked on
// the frame headers as they arrive, before the packet is buffered), and
// the drain at shutdown (reads end, writes still go out).
type serverConn struct {
	net.Conn
	s *Server

	draining  atomic.Bool
	closeOnce sync.Once
	// busy is set while a statement runs: the client's packets then belong
	// to it (LOAD DATA LOCAL's file), and none is taken for a command.
	busy atomic.Bool
	// loggedIn is set once the client's login has succeeded (auth.go's
	// loginMarker), on the connection's goroutine.
	loggedIn atomic.Bool

	// The frame parser's state, used by Read only (one reader at a time).
	deadline time.Time // the read deadline last set (see Read)

	hdr     [4]byte
	hdrGot  int   // header bytes seen of the current frame
	remain  int   // payload bytes still to come in the current frame
	total   int64 // payload bytes of the current packet so far
	lastOne bool  // the current frame ends its packet

	// The capability flags of the client's first packet (its handshake
	// response), which vitess keeps only in part: LOAD DATA LOCAL needs
	// CLIENT_LOCAL_FILES.
	clientFlags uint32
	flagsGot    int
	packets     int // packets read whole

	// pending: bytes for vitess that Read has not handed over yet (a
	// COM_STMT_PREPARE or COM_REFRESH stand-in and what followed it;
	// prepare.go).
	pending []byte
	prepSeq uint64
	// standIns: the client's text of each stand-in, by its text. Read
	// writes it and ComPrepare reads it, both on the connection's
	// goroutine; the lock is for the race detector's sake and any later
	// caller.
	prepMu   sync.Mutex
	standIns map[string]string

	// patch: the rewrite of a packet on its way out (okinfo.go). Armed
	// and used on the connection's goroutine only (the handshake's
	// before the connection is handed over).
	patch packetPatch
}

// clientLocalFiles is the CLIENT_LOCAL_FILES capability flag.
const clientLocalFiles = 1 << 7

// localFiles reports whether the client said it will send files for LOAD
// DATA LOCAL INFILE.
func (c *serverConn) localFiles() bool {
	return c.flagsGot == 4 && c.clientFlags&clientLocalFiles != 0
}

// Read reads from the client, ending with io.EOF once the server drains.
func (c *serverConn) Read(b []byte) (int, error) {
	if c.draining.Load() {
		return 0, io.EOF
	}
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		if perr := c.scan(b[:n]); perr != nil {
			return 0, perr
		}
		return n, nil
	}
	if d := c.s.opts.IdleTimeout; d > 0 {
		// Moving the deadline is a timer update in the runtime; a busy
		// connection reads thousands of times a second, so it moves only
		// once it is a second (or 1% of the timeout, if less) out of date.
		now := time.Now()
		if dl := now.Add(d); dl.Sub(c.deadline) >= min(time.Second, d/100) {
			c.Conn.SetReadDeadline(dl)
			c.deadline = dl
		}
	}
	if c.draining.Load() { // see drain for why the second look
		return 0, io.EOF
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		n = len(c.takeCommands(b[:n]))
		if n == 0 && err == nil {
			return c.Read(b) // the read held only commands answered here
		}
		out, perr := c.takeStandIns(b[:n])
		if perr != nil {
			return 0, perr
		}
		if len(out) != n || &out[0] != &b[0] {
			c.pending = out
			n = copy(b, c.pending)
			c.pending = c.pending[n:]
		}
	}
	if err != nil && c.draining.Load() {
		return n, io.EOF
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.s.stats.idleTimeouts.Add(1)
	}
	if perr := c.scan(b[:n]); perr != nil {
		return 0, perr
	}
	return n, err
}

// Write writes to the client; the packets okinfo.go rewrites go through
// writePatched.
func (c *serverConn) Write(p []byte) (int, error) {
	if c.patch.kind == patchNone {
		return c.Conn.Write(p)
	}
	return c.writePatched(p)
}

// errPacketTooLarge ends a connection whose client sent a packet over the
// limit (after the client has been told with 1153).
var errPacketTooLarge = errors.New("blitz/server: packet larger than max_allowed_packet")

// scan follows the frame headers in p and, when a packet grows past the
// maximum, tells the client (1153, as MySQL does) and fails the read, which
// closes the connection.
func (c *serverConn) scan(p []byte) error {
	max := c.s.maxPacket()
	for i := 0; i < len(p); {
		if c.hdrGot < 4 {
			c.hdr[c.hdrGot] = p[i]
			c.hdrGot++
			i++
			if c.hdrGot < 4 {
				continue
			}
			n := int(c.hdr[0]) | int(c.hdr[1])<<8 | int(c.hdr[2])<<16
			c.remain = n
			c.total += int64(n)
			c.lastOne = n < maxFrame
			if c.total > max {
				writeErrorFrame(c.Conn, c.hdr[3]+1, sqlerr.ErrNetPacketTooLarge, sqlerr.State(sqlerr.ErrNetPacketTooLarge), "Got a packet bigger than 'max_allowed_packet' bytes")
				c.s.stats.abortedClients.Add(1)
				// Read the rest of the frame (for a bounded time) before the
				// connection closes: closing with unread input resets it,
				// and the client would lose the error.
				left := c.remain - min(c.remain, len(p)-i)
				c.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.CopyN(io.Discard, c.Conn, int64(left))
				return errPacketTooLarge
			}
		} else {
			k := min(c.remain, len(p)-i)
			for j := 0; c.packets == 0 && j < k && c.flagsGot < 4; j++ {
				c.clientFlags |= uint32(p[i+j]) << (8 * c.flagsGot)
				c.flagsGot++
			}
			i += k
			c.remain -= k
		}
		if c.hdrGot == 4 && c.remain == 0 {
			c.hdrGot = 0
			if c.lastOne {
				c.total = 0
				c.packets++
			}
		}
	}
	return nil
}

// drain makes the connection's reads end: a read in progress returns at
// once, later ones return io.EOF. Writes still work, so a statement that
// is running delivers its result before the connection closes.
func (c *serverConn) drain() {
	// The flag goes first and the deadline second: a Read that saw no flag
	// has set its own deadline before ours, so ours wins.
	c.draining.Store(true)
	c.Conn.SetReadDeadline(time.Unix(1, 0))
}

// Close closes the connection once and gives its slot back.
func (c *serverConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = c.Conn.Close()
		c.s.open.Add(-1)
	})
	return err
}

// writeErrorFrame writes one MySQL ERR packet with sequence number seq
// straight to the socket, for the errors sent outside the protocol code
// (too many connections, packet too large, shutdown).
func writeErrorFrame(w io.Writer, seq byte, code int, state, msg string) {
	payload := make([]byte, 0, 9+len(msg))
	payload = append(payload, 0xff)
	payload = binary.LittleEndian.AppendUint16(payload, uint16(code))
	payload = append(payload, '#')
	payload = append(payload, state...)
	payload = append(payload, msg...)
	frame := make([]byte, 4, 4+len(payload))
	frame[0], frame[1], frame[2], frame[3] = byte(len(payload)), byte(len(payload)>>8), byte(len(payload)>>16), seq
	frame = append(frame, payload...)
	if c, ok := w.(net.Conn); ok {
		c.SetWriteDeadline(time.Now().Add(time.Second))
	}
	w.Write(frame)
}
