package server

import (
	"bytes"
	"encoding/binary"

	"github.com/dolthub/vitess/go/mysql"
)

// The info text of an OK packet ("Records: 2  Duplicates: 0  Warnings:
// 0", "Rows matched: 1  Changed: 1  Warnings: 0", "Statement prepared")
// is, on the wire of MariaDB (and MySQL), a length-encoded string after
// the warning count:
//
//	| 0x00 | affected rows (lenenc) | insert id (lenenc) | status (2) | warnings (2) | len (lenenc) | info |
//
// The vitess protocol writer we use does not write that:
//   - in the text protocol (Conn.writeOKPacketWithInfo) it writes the byte
//     '#' where the length goes, then the text. libmariadb reads the '#'
//     as a length of 35 (a shorter text runs past the packet: error 2027
//     "Malformed packet"), mysql2 shows "#Records: 2 ...";
//   - after COM_STMT_EXECUTE (Conn.writeOKPacket) it writes no info and a
//     warning count of 0, so mysql2 reports changedRows 0 for a prepared
//     UPDATE (it parses "Changed: N" from the info);
//   - its handshake does not offer CLIENT_SESSION_TRACK. mysql2 reads the
//     info as a length-encoded string only when the server offers it
//     (else as the rest of the packet, length byte and all), as MariaDB
//     does.
//
// So the server rewrites those three packets on their way out
// (serverConn.Write): the handshake gets the CLIENT_SESSION_TRACK flag
// (no session state is ever sent: the status flag that announces it is
// never set, which the protocol allows), and the statement's OK packet
// gets the length and the info (and, after COM_STMT_EXECUTE, the warning
// count). The handler arms the rewrite of an OK packet right before the
// packet is written and flushes it right after (startOKInfo and
// finishOKInfo), so the packet is the only thing in those writes; each
// rewrite checks that the packet is exactly the one it expects and
// otherwise sends it untouched.

// Kinds of packet rewrite (serverConn.patch.kind).
const (
	patchNone      = iota
	patchHandshake // the server's handshake: offer CLIENT_SESSION_TRACK
	patchOKInfo    // an OK packet: info (and warnings) as MariaDB writes them
)

// capSessionTrackByte and capSessionTrackBit place CLIENT_SESSION_TRACK
// (1 << 23) in the upper two bytes of the handshake's capability flags.
const (
	capSessionTrackByte = 0
	capSessionTrackBit  = 1 << 7
)

// packetPatch is the state of one packet rewrite: the packet's bytes are
// held back until it is whole, rewritten, then sent in one write.
type packetPatch struct {
	kind int
	// For patchOKInfo: the statement's info text and, after
	// COM_STMT_EXECUTE (prepared), its warning count.
	info     string
	prepared bool
	warnings uint16

	n   int        // bytes of the packet held in buf (header included)
	buf [1024]byte // the packet; one longer is sent untouched
}

// startOKInfo flushes what vitess has buffered for the client and arms
// the rewrite of the next packet, the OK packet of a statement whose info
// text is info (prepared: after COM_STMT_EXECUTE, whose OK packet vitess
// writes without info and with a warning count of 0).
func (sc *serverConn) startOKInfo(c *mysql.Conn, info string, prepared bool, warnings uint16) error {
	if err := c.FlushBuffer(); err != nil {
		return err
	}
	sc.patch.kind, sc.patch.info, sc.patch.prepared, sc.patch.warnings, sc.patch.n = patchOKInfo, info, prepared, warnings, 0
	return nil
}

// finishOKInfo sends the OK packet startOKInfo armed the rewrite of.
func (sc *serverConn) finishOKInfo(c *mysql.Conn) error {
	err := c.FlushBuffer()
	if werr := sc.endPatch(); err == nil {
		err = werr
	}
	sc.patch.info = ""
	return err
}

// endPatch disarms the rewrite, sending what it held (a packet that never
// completed: not expected) as it was.
func (sc *serverConn) endPatch() error {
	held := sc.patch.n
	sc.patch.kind, sc.patch.n = patchNone, 0
	if held == 0 {
		return nil
	}
	_, err := sc.Conn.Write(sc.patch.buf[:held])
	return err
}

// writePatched is Write while a rewrite is armed: p's bytes of the packet
// are held until it is whole; then the rewritten packet and what follows
// it in p are sent.
func (sc *serverConn) writePatched(p []byte) (int, error) {
	pp := &sc.patch
	total := len(p)
	for len(p) > 0 {
		if pp.n < 4 { // the header
			k := copy(pp.buf[pp.n:4], p)
			pp.n += k
			p = p[k:]
			if pp.n < 4 {
				break
			}
		}
		need := 4 + (int(pp.buf[0]) | int(pp.buf[1])<<8 | int(pp.buf[2])<<16)
		if need > len(pp.buf) {
			break // too long for an expected packet: send it as it is
		}
		k := copy(pp.buf[pp.n:need], p)
		pp.n += k
		p = p[k:]
		if pp.n < need {
			break // the rest comes in a later write
		}
		out := pp.rewrite()
		pp.kind, pp.n = patchNone, 0
		if _, err := sc.Conn.Write(out); err != nil {
			return 0, err
		}
		break
	}
	if pp.kind != patchNone && len(p) > 0 {
		if err := sc.endPatch(); err != nil {
			return 0, err
		}
	}
	if len(p) > 0 {
		if _, err := sc.Conn.Write(p); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// rewrite is the whole packet held in buf, rewritten if it is the one
// expected, else as it is.
func (pp *packetPatch) rewrite() []byte {
	pkt := pp.buf[:pp.n]
	body := pkt[4:]
	switch pp.kind {
	case patchHandshake:
		// | 10 | version NUL | id (4) | scramble (8) | 0 | caps low (2) | charset | status (2) | caps high (2) | ...
		ver := bytes.IndexByte(body, 0)
		at := ver + 1 + 4 + 8 + 1 + 2 + 1 + 2 + capSessionTrackByte
		if len(body) > 0 && body[0] == 10 && ver > 0 && at < len(body) {
			body[at] |= capSessionTrackBit
		}
		return pkt
	case patchOKInfo:
		w, ok := okHeaderLen(body)
		if !ok {
			return pkt
		}
		info := pp.info
		var n int // the rewritten body's length
		switch {
		case !pp.prepared && len(body) == w+1+len(info) && body[w] == '#' && string(body[w+1:]) == info:
			n = w // vitess: '#' + info
		case pp.prepared && len(body) == w:
			binary.LittleEndian.PutUint16(body[w-2:], pp.warnings)
			n = w
			if info == "" {
				return pkt
			}
		default:
			return pkt
		}
		lenSize := 1
		if len(info) >= 251 {
			lenSize = 3
		}
		if 4+n+lenSize+len(info) > len(pp.buf) || len(info) >= 1<<16 {
			return pkt
		}
		out := pp.buf[:4+n+lenSize+len(info)]
		copy(out[4+n+lenSize:], info) // the text may move: it is a string, not buf
		if lenSize == 1 {
			out[4+n] = byte(len(info))
		} else {
			out[4+n], out[4+n+1], out[4+n+2] = 0xfc, byte(len(info)), byte(len(info)>>8)
		}
		size := len(out) - 4
		out[0], out[1], out[2] = byte(size), byte(size>>8), byte(size>>16)
		return out
	}
	return pkt
}

// okHeaderLen is the length of an OK packet's fixed part (the marker,
// affected rows, insert id, status and warnings), false if body is not
// an OK packet.
func okHeaderLen(body []byte) (int, bool) {
	if len(body) == 0 || body[0] != 0x00 {
		return 0, false
	}
	pos := 1
	for range 2 {
		if pos >= len(body) {
			return 0, false
		}
		switch b := body[pos]; {
		case b < 0xfb:
			pos++
		case b == 0xfc:
			pos += 3
		case b == 0xfd:
			pos += 4
		case b == 0xfe:
			pos += 9
		default:
			return 0, false
		}
	}
	pos += 4 // status, warnings
	if pos > len(body) {
		return 0, false
	}
	return pos, true
}
