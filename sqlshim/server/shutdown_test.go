package server

import (
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// TestShutdownStatement: SHUTDOWN and SHUTDOWN WAIT FOR ALL REPLICAS
// stop the server; an open transaction of another connection rolls back
// (Shutdown's order), and a malformed SHUTDOWN is a syntax error that
// changes nothing.
func TestShutdownStatement(t *testing.T) {
	for _, stmt := range []string{"SHUTDOWN", "shutdown wait for all replicas"} {
		t.Run(stmt, func(t *testing.T) {
			s := startSQLShim(t, Options{})
			db := sqlshimDB(t, s, "")
			if _, err := db.Exec("SHUTDOWN NOW"); errNumber(err) != 1064 {
				t.Fatalf("SHUTDOWN NOW: %v, want 1064", err)
			}
			if s.draining.Load() {
				t.Fatal("a malformed SHUTDOWN started the shutdown")
			}
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
			select {
			case <-s.done:
			case <-time.After(15 * time.Second):
				t.Fatalf("the server did not shut down after %s", stmt)
			}
			if s.shutdownErr != nil {
				t.Errorf("closing the database: %v", s.shutdownErr)
			}
		})
	}
}

// TestShutdownBeforeLogin: a COM_SHUTDOWN sent behind a login that fails
// (pipelined with the handshake response and with the auth-switch
// response) does not stop the server.
func TestShutdownBeforeLogin(t *testing.T) {
	s := startSQLShim(t, Options{User: "u", Password: "pw"})
	shutdown := []byte{2, 0, 0, 0, comShutdown, 0}
	for _, plugin := range []string{"mysql_native_password", "caching_sha2_password"} {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil { // the handshake
			t.Fatal(err)
		}
		resp := binary.LittleEndian.AppendUint32(nil, capProtocol41|capSecureConn|capPluginAuth)
		resp = binary.LittleEndian.AppendUint32(resp, 16<<20)
		resp = append(resp, 45)
		resp = append(resp, make([]byte, 23)...)
		resp = append(resp, "u\x00"...)
		resp = append(resp, 0) // no auth response: wrong for a password
		resp = append(resp, plugin+"\x00"...)
		frame := append([]byte{byte(len(resp)), byte(len(resp) >> 8), 0, 1}, resp...)
		c.Write(append(frame, shutdown...))
		// Whatever comes back (an auth switch, then 1045), answer with
		// COM_SHUTDOWN again until the server closes the connection.
		for i := 0; i < 3; i++ {
			if _, err := c.Read(buf); err != nil {
				break
			}
			c.Write(shutdown)
		}
		c.Close()
	}
	time.Sleep(100 * time.Millisecond)
	if s.draining.Load() {
		t.Fatal("COM_SHUTDOWN before a login stopped the server")
	}
}
