package server

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// okInfoCase is one statement and the info text MariaDB 10.11 sends in
// its OK packet ("" for none).
type okInfoCase struct {
	stmt, info string
	text       bool // text protocol only (LOAD DATA LOCAL, PREPARE)
}

// okInfoCases are run in order on one connection, in the text protocol
// and then, on a fresh table, as prepared statements.
var okInfoCases = []okInfoCase{
	{"DROP TABLE IF EXISTS oki", "", false},
	{"CREATE TABLE oki (a INT PRIMARY KEY, b INT)", "", false},
	{"INSERT INTO oki VALUES (1, 1)", "", false},
	{"INSERT INTO oki VALUES (2, 2), (3, 3)", "Records: 2  Duplicates: 0  Warnings: 0", false},
	{"INSERT IGNORE INTO oki VALUES (3, 3), (4, 4)", "Records: 2  Duplicates: 1  Warnings: 1", false},
	{"REPLACE INTO oki VALUES (4, 40), (5, 5)", "Records: 2  Duplicates: 1  Warnings: 0", false},
	{"INSERT INTO oki VALUES (5, 5), (6, 6) ON DUPLICATE KEY UPDATE b = b + 1", "Records: 2  Duplicates: 1  Warnings: 0", false},
	{"UPDATE oki SET b = b + 1", "Rows matched: 6  Changed: 6  Warnings: 0", false},
	{"UPDATE oki SET b = b WHERE a = 1", "Rows matched: 1  Changed: 0  Warnings: 0", false},
	{"UPDATE oki SET b = 7 WHERE a = 99", "Rows matched: 0  Changed: 0  Warnings: 0", false},
	{"DELETE FROM oki WHERE a = 6", "", false},
	{"ALTER TABLE oki ADD COLUMN c INT", "Records: 0  Duplicates: 0  Warnings: 0", false},
	{"CREATE INDEX oki_b ON oki (b)", "Records: 0  Duplicates: 0  Warnings: 0", false},
	{"LOAD DATA LOCAL INFILE 'oki.tsv' INTO TABLE oki", "Records: 2  Deleted: 0  Skipped: 0  Warnings: 0", true},
	{"PREPARE oki_s FROM 'SELECT 1'", "Statement prepared", true},
	{"DROP TABLE oki", "", false},
}

// okInfoFile is what the client sends for LOAD DATA LOCAL.
const okInfoFile = "10\t10\t10\n11\t11\t11\n"

// checkOKInfo runs okInfoCases on the server at addr, database db, and
// checks each OK packet: it parses as the protocol says (the info a
// length-encoded string), its info is MariaDB's and its warning count
// the info's.
func checkOKInfo(t *testing.T, addr, db string) {
	for _, sessionTrack := range []bool{true, false} {
		for _, prepared := range []bool{false, true} {
			rc := rawDial(t, addr, db, sessionTrack)
			for _, c := range okInfoCases {
				if prepared && c.text {
					continue
				}
				var p []byte
				if prepared {
					p = rc.execute(t, c.stmt)
				} else {
					p = rc.query(t, c.stmt, []byte(okInfoFile))
				}
				o, err := parseOK(p)
				switch {
				case err != nil:
					t.Errorf("session track %v, prepared %v: %s: %v", sessionTrack, prepared, c.stmt, err)
				case o.info != c.info || len(o.tail) != 0:
					t.Errorf("session track %v, prepared %v: %s: %v, want info %q", sessionTrack, prepared, c.stmt, o, c.info)
				case strings.Contains(c.info, "Warnings: ") && !strings.HasSuffix(c.info, fmt.Sprintf("Warnings: %d", o.warnings)):
					t.Errorf("session track %v, prepared %v: %s: warning count %d, info %q", sessionTrack, prepared, c.stmt, o.warnings, o.info)
				}
			}
		}
	}
}

// TestOKPacketInfoOnTheWire: the info text of the OK packets blitz serve
// sends after multi-row INSERT, UPDATE, ALTER, LOAD DATA and PREPARE is on
// the wire what MariaDB sends, a length-encoded string, in the text and
// the binary protocol, with and without CLIENT_SESSION_TRACK (which
// mysql2 asks for: it then reads the info as a length-encoded string,
// and parses changedRows from it).
func TestOKPacketInfoOnTheWire(t *testing.T) {
	s := startSQLShim(t, Options{})
	checkOKInfo(t, s.Addr().String(), "e2e")
}

// TestOKPacketInfoMariaDB runs the same checks on a MariaDB server, to
// show that the expectations are MariaDB's: BLITZ_MARIADB_ADDR=host:port
// of one whose root has no password and which has a database test.
func TestOKPacketInfoMariaDB(t *testing.T) {
	addr := os.Getenv("BLITZ_MARIADB_ADDR")
	if addr == "" {
		t.Skip("BLITZ_MARIADB_ADDR is not set")
	}
	checkOKInfo(t, addr, "test")
}
