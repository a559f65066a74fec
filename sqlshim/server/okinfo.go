package server

import "strings"

// The info text of an OK packet ("Rows matched: 1  Changed: 1  Warnings:
// 0", "Statement prepared") is, on the wire of MySQL and MariaDB servers, a
// length-encoded string after the warning count, and libmariadb and
// libmysqlclient read it so: a length byte, then that many bytes, checked
// against the packet's end (error 2027 "Malformed packet" past it).
//
// The vitess protocol writer we use (Conn.writeOKPacketWithInfo) writes
// the byte '#' (35) where the length goes, then the whole text. A client
// therefore takes the text to be 35 bytes long: a shorter one runs past
// the end of the packet and the client reports 2027 (the mariadb client
// after PREPARE's "Statement prepared"); a longer one is read as its first
// 35 bytes followed by bytes the client skips (libmariadb shows the whole
// text anyway: it prints the text up to the NUL it puts after a packet).
//
// wireInfo is info as handed to that writer: padded with NUL bytes to
// those 35, so that the '#' is a true length and the packet parses; a
// client that reads the text as a C string (the mariadb client) shows
// info exactly. A text of 35 bytes or more, or an empty one (no text is
// sent), is left as it is.
func wireInfo(info string) string {
	if info == "" || len(info) >= vitessInfoLen {
		return info
	}
	return info + strings.Repeat("\x00", vitessInfoLen-len(info))
}

// vitessInfoLen is the length the client reads in the '#' byte vitess
// writes before an OK packet's info text.
const vitessInfoLen = '#'
