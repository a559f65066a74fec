package server

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// latin1 'éÜ€': é, Ü and the euro sign (cp1252's 0x80).
const latin1Text = "\xe9\xdc\x80"

// TestLatin1Client: a go-sql-driver connection with charset=latin1 (SET
// NAMES latin1) sends latin1 text, over the text protocol and as prepared
// statements' parameters, and reads latin1 back; what is stored is UTF-8
// (HEX and a UTF-8 connection show it), and a character latin1 lacks
// reads as '?'.
func TestLatin1Client(t *testing.T) {
	s := startSQLShim(t, Options{})
	utf8DB := sqlshimDB(t, s, "")
	if _, err := utf8DB.Exec("CREATE TABLE cs (id INT PRIMARY KEY, s VARCHAR(20))"); err != nil {
		t.Fatal(err)
	}
	if _, err := utf8DB.Exec("INSERT INTO cs VALUES (100, '漢 é')"); err != nil {
		t.Fatal(err)
	}
	next := 0
	bothProtocols(t, s, "charset=latin1", func(t *testing.T, db *sql.DB, proto string) {
		var cs, coll string
		if err := db.QueryRow("SELECT @@character_set_client, @@collation_connection").Scan(&cs, &coll); err != nil || cs != "latin1" || coll != "latin1_swedish_ci" {
			t.Fatalf("@@character_set_client, @@collation_connection = %q %q, %v", cs, coll, err)
		}
		next++
		id := next
		// A literal in the statement's text, and a parameter.
		if _, err := db.Exec("INSERT INTO cs VALUES (?, '"+latin1Text+"')", id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO cs VALUES (?, ?)", id+1000, latin1Text); err != nil {
			t.Fatal(err)
		}
		for _, id := range []int{id, id + 1000} {
			var got, hex string
			if err := db.QueryRow("SELECT s, HEX(s) FROM cs WHERE id = ?", id).Scan(&got, &hex); err != nil {
				t.Fatal(err)
			}
			if got != latin1Text || hex != "C3A9C39CE282AC" {
				t.Errorf("row %d: read back %q, stored %s; want %q, C3A9C39CE282AC (UTF-8)", id, got, hex, latin1Text)
			}
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM cs WHERE s = ?", latin1Text).Scan(&n); err != nil || n != 2*next {
			t.Errorf("rows equal to the parameter: %d, %v; want %d", n, err, 2*next)
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM cs WHERE s = '" + latin1Text + "'").Scan(&n); err != nil || n != 2*next {
			t.Errorf("rows equal to the literal: %d, %v; want %d", n, err, 2*next)
		}
		var got string
		if err := utf8DB.QueryRow("SELECT s FROM cs WHERE id = ?", id).Scan(&got); err != nil || got != "éÜ€" {
			t.Errorf("on a UTF-8 connection: %q, %v; want éÜ€", got, err)
		}
		// Stored by a UTF-8 connection: 漢 is not in latin1.
		if err := db.QueryRow("SELECT s FROM cs WHERE id = 100").Scan(&got); err != nil || got != "? \xe9" {
			t.Errorf("'漢 é' read on latin1: %q, %v; want \"? \\xe9\"", got, err)
		}
		// Error messages are in latin1 too.
		_, err := db.Exec("SELECT * FROM `t\xe9st`")
		if errNumber(err) != 1146 || !strings.Contains(err.Error(), "t\xe9st") {
			t.Errorf("unknown table: %v, want 1146 naming t\\xe9st in latin1", err)
		}
	})
}

// TestLatin1MultiStatements: each statement of a multi-statement packet
// is converted with the character set in force when it runs.
func TestLatin1MultiStatements(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "charset=latin1&multiStatements=true")
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE ms (id INT PRIMARY KEY, s VARCHAR(10)); INSERT INTO ms VALUES (1, '\xe9'); SET NAMES utf8mb4; INSERT INTO ms VALUES (2, 'é'); SET NAMES latin1"); err != nil {
		t.Fatal(err)
	}
	var a, b string
	if err := db.QueryRow("SELECT HEX((SELECT s FROM ms WHERE id = 1)), HEX((SELECT s FROM ms WHERE id = 2))").Scan(&a, &b); err != nil || a != "C3A9" || b != "C3A9" {
		t.Fatalf("stored %s and %s, %v; want C3A9 twice", a, b, err)
	}
}

// TestCharsetHandshake: the collation a client names in its handshake
// (go-sql-driver's collation parameter) is the connection's character set
// without a SET NAMES.
func TestCharsetHandshake(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "collation=latin1_swedish_ci")
	var cs, results string
	if err := db.QueryRow("SELECT @@character_set_client, @@character_set_results").Scan(&cs, &results); err != nil || cs != "latin1" || results != "latin1" {
		t.Fatalf("got %q %q, %v; want latin1 latin1", cs, results, err)
	}
	var got string
	if err := db.QueryRow("SELECT CONCAT('" + latin1Text + "', '')").Scan(&got); err != nil || got != latin1Text {
		t.Fatalf("round trip: %q, %v", got, err)
	}
}

// TestCharsetSet: each form of SET that names a character set changes
// what @@character_set_* and @@collation_connection say and how text is
// converted; unknown names are MariaDB's 1115 and change nothing.
func TestCharsetSet(t *testing.T) {
	s := startSQLShim(t, Options{})
	ctx := context.Background()
	c, err := sqlshimDB(t, s, "").Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	vars := func() string {
		t.Helper()
		var cl, conn, res sql.NullString
		var coll string
		if err := c.QueryRowContext(ctx, "SELECT @@character_set_client, @@character_set_connection, @@character_set_results, @@collation_connection").Scan(&cl, &conn, &res, &coll); err != nil {
			t.Fatal(err)
		}
		return strings.Join([]string{cl.String, conn.String, res.String, coll}, " ")
	}
	// é as the connection returns it.
	eacute := func() string {
		t.Helper()
		var got string
		if err := c.QueryRowContext(ctx, "SELECT CONVERT(_utf8mb4 X'C3A9', CHAR)").Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, tc := range []struct{ set, vars, eacute string }{
		{"SET NAMES latin1", "latin1 latin1 latin1 latin1_swedish_ci", "\xe9"},
		{"SET NAMES utf8", "utf8mb3 utf8mb3 utf8mb3 utf8mb3_general_ci", "é"},
		{"SET NAMES 'latin1' COLLATE 'latin1_bin'", "latin1 latin1 latin1 latin1_bin", "\xe9"},
		{"SET CHARACTER SET utf8mb4", "utf8mb4 utf8mb4 utf8mb4 utf8mb4_general_ci", "é"},
		{"SET CHARACTER SET latin1", "latin1 utf8mb4 latin1 utf8mb4_general_ci", "\xe9"},
		{"SET character_set_results = utf8mb4", "latin1 utf8mb4 utf8mb4 utf8mb4_general_ci", "é"},
		{"SET character_set_results = ascii", "latin1 utf8mb4 ascii utf8mb4_general_ci", "?"},
		{"SET character_set_results = NULL", "latin1 utf8mb4  utf8mb4_general_ci", "é"},
		{"SET @a = 1, character_set_results = latin1", "latin1 utf8mb4 latin1 utf8mb4_general_ci", "\xe9"},
		{"SET character_set_connection = latin1", "latin1 latin1 latin1 latin1_swedish_ci", "\xe9"},
		{"SET collation_connection = utf8mb4_bin", "latin1 utf8mb4 latin1 utf8mb4_bin", "\xe9"},
		{"SET @a = 1, NAMES utf8mb4", "utf8mb4 utf8mb4 utf8mb4 utf8mb4_general_ci", "é"},
		{"SET NAMES cp1250", "cp1250 cp1250 cp1250 cp1250_general_ci", "\xe9"},
		{"SET NAMES koi8r", "koi8r koi8r koi8r koi8r_general_ci", "?"}, // no é in koi8r
		{"SET NAMES DEFAULT", "utf8mb4 utf8mb4 utf8mb4 utf8mb4_general_ci", "é"},
	} {
		if _, err := c.ExecContext(ctx, tc.set); err != nil {
			t.Fatalf("%s: %v", tc.set, err)
		}
		if got := vars(); got != tc.vars {
			t.Errorf("after %s: %q, want %q", tc.set, got, tc.vars)
		}
		if got := eacute(); got != tc.eacute {
			t.Errorf("after %s: é reads %q, want %q", tc.set, got, tc.eacute)
		}
	}
	before := vars()
	for _, tc := range []struct {
		set  string
		code uint16
	}{
		{"SET NAMES nosuch", 1115},
		{"SET NAMES 'nosuch' COLLATE 'nosuch_bin'", 1115},
		{"SET @a = 1, NAMES nosuch", 1115},
		{"SET CHARACTER SET nosuch", 1115},
		{"SET character_set_client = nosuch", 1115},
		{"SET @a = 1, character_set_results = 'nosuch'", 1115},
		{"SET character_set_connection = nosuch", 1115},
		{"SET collation_connection = nosuch", 1273},
		{"SET NAMES latin1 COLLATE utf8mb4_bin", 1253},
		{"SET character_set_client = ucs2", 1231},
		{"SET character_set_client = NULL", 1231},
		{"SET NAMES sjis", 1235}, // MariaDB's, not converted by blitz
		{"SET character_set_results = big5", 1235},
	} {
		_, err := c.ExecContext(ctx, tc.set)
		if errNumber(err) != tc.code {
			t.Errorf("%s: %v, want %d", tc.set, err, tc.code)
		}
		if got := vars(); got != before {
			t.Errorf("after the failed %s: %q, want %q", tc.set, got, before)
		}
	}
}
