package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// rawConn is a minimal MySQL-protocol client for tests that look at
// packets as they are on the wire, which drivers parse away (the info
// text of an OK packet, the capability flags of the handshake). It logs
// in as a user without a password and runs statements that answer with
// an OK packet, in the text protocol (COM_QUERY) or the binary one
// (COM_STMT_PREPARE + COM_STMT_EXECUTE).
type rawConn struct {
	c          net.Conn
	r          *bufio.Reader
	serverCaps uint32 // the handshake's capability flags
	caps       uint32 // the flags this client sent
}

// Client capability flags (part of the protocol).
const (
	capConnectWithDB = 1 << 3
	capLocalFiles    = 1 << 7
	capProtocol41    = 1 << 9
	capTransactions  = 1 << 13
	capSecureConn    = 1 << 15
	capMultiResults  = 1 << 17
	capPluginAuth    = 1 << 19
	capSessionTrack  = 1 << 23
)

// rawDial connects to addr as user root (no password) on database db,
// asking for CLIENT_SESSION_TRACK when sessionTrack is set and the
// server offers it.
func rawDial(t *testing.T, addr, db string, sessionTrack bool) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	rc := &rawConn{c: c, r: bufio.NewReader(c)}
	hs, _ := rc.read(t)
	if len(hs) < 1 || hs[0] != 10 {
		t.Fatalf("handshake: % x", hs)
	}
	ver := bytes.IndexByte(hs[1:], 0)
	p := 1 + ver + 1 + 4 + 8 + 1 // version, connection id, scramble part 1, filler
	if ver < 0 || p+7 > len(hs) {
		t.Fatalf("handshake too short: % x", hs)
	}
	rc.serverCaps = uint32(binary.LittleEndian.Uint16(hs[p:])) | uint32(binary.LittleEndian.Uint16(hs[p+5:]))<<16
	rc.caps = capProtocol41 | capSecureConn | capPluginAuth | capConnectWithDB | capTransactions | capMultiResults | capLocalFiles
	if sessionTrack && rc.serverCaps&capSessionTrack != 0 {
		rc.caps |= capSessionTrack
	}
	resp := binary.LittleEndian.AppendUint32(nil, rc.caps)
	resp = binary.LittleEndian.AppendUint32(resp, 16<<20)
	resp = append(resp, 45) // utf8mb4_general_ci
	resp = append(resp, make([]byte, 23)...)
	resp = append(resp, "root\x00"...)
	resp = append(resp, 0) // no auth response: no password
	resp = append(resp, db+"\x00"...)
	resp = append(resp, "mysql_native_password\x00"...)
	rc.write(t, 1, resp)
	for {
		p, seq := rc.read(t)
		switch {
		case len(p) > 0 && p[0] == 0x00:
			return rc
		case len(p) > 0 && p[0] == 0xfe: // auth switch: no password either
			rc.write(t, seq+1, nil)
		default:
			t.Fatalf("login: % x", p)
		}
	}
}

// read reads one packet (no multi-frame packets: tests do not need them)
// and its sequence number.
func (rc *rawConn) read(t *testing.T) ([]byte, byte) {
	t.Helper()
	var h [4]byte
	if _, err := io.ReadFull(rc.r, h[:]); err != nil {
		t.Fatalf("read packet header: %v", err)
	}
	p := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
	if _, err := io.ReadFull(rc.r, p); err != nil {
		t.Fatalf("read packet: %v", err)
	}
	return p, h[3]
}

func (rc *rawConn) write(t *testing.T, seq byte, p []byte) {
	t.Helper()
	frame := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), seq}
	if _, err := rc.c.Write(append(frame, p...)); err != nil {
		t.Fatalf("write packet: %v", err)
	}
}

// query runs q with COM_QUERY and returns its OK packet. A LOAD DATA
// LOCAL is sent file as the file's content.
func (rc *rawConn) query(t *testing.T, q string, file []byte) []byte {
	t.Helper()
	rc.write(t, 0, append([]byte{0x03}, q...))
	p, seq := rc.read(t)
	if len(p) > 0 && p[0] == 0xfb {
		rc.write(t, seq+1, file)
		rc.write(t, seq+2, nil)
		p, _ = rc.read(t)
	}
	if len(p) == 0 || p[0] != 0x00 {
		t.Fatalf("%s: not an OK packet: % x %q", q, p, p)
	}
	return p
}

// execute prepares q (no parameters, no result columns), executes it
// once and returns the execution's OK packet.
func (rc *rawConn) execute(t *testing.T, q string) []byte {
	t.Helper()
	rc.write(t, 0, append([]byte{0x16}, q...))
	p, _ := rc.read(t)
	if len(p) < 12 || p[0] != 0x00 {
		t.Fatalf("prepare %s: % x %q", q, p, p)
	}
	id := binary.LittleEndian.Uint32(p[1:])
	if cols, params := binary.LittleEndian.Uint16(p[5:]), binary.LittleEndian.Uint16(p[7:]); cols != 0 || params != 0 {
		t.Fatalf("prepare %s: %d columns, %d parameters", q, cols, params)
	}
	exec := binary.LittleEndian.AppendUint32([]byte{0x17}, id)
	exec = append(exec, 0, 1, 0, 0, 0) // no cursor, one iteration
	rc.write(t, 0, exec)
	ok, _ := rc.read(t)
	if len(ok) == 0 || ok[0] != 0x00 {
		t.Fatalf("execute %s: not an OK packet: % x %q", q, ok, ok)
	}
	rc.write(t, 0, binary.LittleEndian.AppendUint32([]byte{0x19}, id)) // COM_STMT_CLOSE: no answer
	return ok
}

// okPacket is an OK packet's fields; info is the text after the warning
// count as the protocol defines it, a length-encoded string, and tail
// what follows it (session state, with CLIENT_SESSION_TRACK).
type okPacket struct {
	affected, insertID uint64
	status, warnings   uint16
	info               string
	tail               []byte
}

func (o okPacket) String() string {
	return fmt.Sprintf("affected %d, insert id %d, warnings %d, info %q, then % x", o.affected, o.insertID, o.warnings, o.info, o.tail)
}

// parseOK reads an OK packet. It fails when the info's length runs past
// the packet (the client's error 2027 "Malformed packet").
func parseOK(p []byte) (okPacket, error) {
	var o okPacket
	pos := 1
	lenenc := func() (uint64, bool) {
		if pos >= len(p) {
			return 0, false
		}
		b := p[pos]
		pos++
		n := map[byte]int{0xfc: 2, 0xfd: 3, 0xfe: 8}[b]
		if b < 0xfb {
			return uint64(b), true
		}
		if n == 0 || pos+n > len(p) {
			return 0, false
		}
		var v uint64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | uint64(p[pos+i])
		}
		pos += n
		return v, true
	}
	var ok1, ok2 bool
	o.affected, ok1 = lenenc()
	o.insertID, ok2 = lenenc()
	if !ok1 || !ok2 || pos+4 > len(p) {
		return o, fmt.Errorf("OK packet too short: % x", p)
	}
	o.status, o.warnings = binary.LittleEndian.Uint16(p[pos:]), binary.LittleEndian.Uint16(p[pos+2:])
	pos += 4
	if pos == len(p) {
		return o, nil
	}
	n, ok := lenenc()
	if !ok || pos+int(n) > len(p) {
		return o, fmt.Errorf("info length runs past the packet (malformed): % x", p)
	}
	o.info, o.tail = string(p[pos:pos+int(n)]), p[pos+int(n):]
	return o, nil
}
