package server

import (
	"strings"

	"github.com/dolthub/vitess/go/mysql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"

	"github.com/blitzdb/blitz/internal/charset"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// A connection's character sets, as MariaDB applies them: the statement
// text (and the string parameters of prepared statements) arrives in
// character_set_client and is converted to UTF-8, what blitz stores;
// result text (values, column names, error messages) is converted to
// character_set_results (NULL: sent as stored). A character the results'
// set does not have is sent as '?'. SET NAMES, SET CHARACTER SET, SET
// character_set_client/_results/_connection, SET collation_connection
// and the handshake's collation id set them; @@character_set_* and
// @@collation_connection read them back. Only the sets internal/charset
// converts are accepted (an unknown name is 1115, as in MariaDB).
// character_set_connection is reported and kept, but literals are UTF-8
// whatever it says: blitz has no text in other sets. collation_connection
// is what the session's string literals compare under: the server tells
// the session (CollationAware) whenever it changes.
//
// UTF-8 and binary clients, the common case, cost nothing per statement:
// conn.clientCS and conn.resultsCS are nil for them, and every conversion is
// behind a nil check.

// charsetVars are the variables that name the connection's character
// sets, which SET checks and the connection applies.
func charsetVar(name string) bool {
	switch name {
	case "character_set_client", "character_set_results", "character_set_connection", "collation_connection":
		return true
	}
	return false
}

// assignment is one variable a SET writes (v nil with toDefault: back to
// its default).
type assignment struct {
	name      string
	v         any
	toDefault bool
}

// charsetAssign checks SET name = v for one of charsetVar's names and
// returns what to store: the set's name as MariaDB reports it (utf8 is
// utf8mb3), and for character_set_connection and collation_connection
// the other of the pair, as MariaDB keeps them together.
func charsetAssign(name string, v any, toDefault bool) ([]assignment, error) {
	s, isString := v.(string)
	if isString && strings.EqualFold(s, "default") {
		toDefault = true
	}
	if toDefault {
		switch name {
		case "character_set_connection", "collation_connection":
			return []assignment{{name: "character_set_connection", toDefault: true}, {name: "collation_connection", toDefault: true}}, nil
		}
		return []assignment{{name: name, toDefault: true}}, nil
	}
	if isString && strings.EqualFold(s, "null") { // SET name = NULL, as the server's SET reads it
		v, isString = nil, false
	}
	if name == "character_set_results" && (v == nil || s == "") {
		return []assignment{{name: name, v: nil}}, nil
	}
	if !isString {
		return nil, sqlerr.New(sqlerr.ErrWrongValueForVar, "Variable '%s' can't be set to the value of '%s'", name, valueText(v))
	}
	if name == "collation_connection" {
		cs, coll, err := charset.OfCollation(s)
		if err != nil {
			return nil, err
		}
		return []assignment{{name: "collation_connection", v: coll}, {name: "character_set_connection", v: cs.Name}}, nil
	}
	lookup := charset.Lookup
	if name == "character_set_client" {
		lookup = charset.ForClient
	}
	cs, err := lookup(s)
	if err != nil {
		return nil, err
	}
	if name == "character_set_connection" {
		return []assignment{{name: name, v: cs.Name}, {name: "collation_connection", v: cs.Collation}}, nil
	}
	return []assignment{{name: name, v: cs.Name}}, nil
}

// namesAssign returns the variables SET NAMES cs [COLLATE coll] (names)
// or SET CHARACTER SET cs sets. SET CHARACTER SET sets the connection's
// set to the database's (utf8mb4), as MariaDB does.
func namesAssign(cs, coll string, names bool) ([]assignment, error) {
	c, connColl, err := charset.ForNames(cs, coll)
	if err != nil {
		return nil, err
	}
	conn := c.Name
	if !names {
		conn, connColl = charset.UTF8MB4.Name, charset.UTF8MB4.Collation
	}
	return []assignment{
		{name: "character_set_client", v: c.Name},
		{name: "character_set_results", v: c.Name},
		{name: "character_set_connection", v: conn},
		{name: "collation_connection", v: connColl},
	}, nil
}

// valueText is v as an error message shows it.
func valueText(v any) string {
	if v == nil {
		return "NULL"
	}
	return formatValue(Column{}, v)
}

// apply stores assignments in the connection's variables; charsetsChanged
// must follow.
func (c *conn) apply(as []assignment) {
	for _, a := range as {
		if a.toDefault {
			delete(c.vars, a.name)
		} else {
			c.vars[a.name] = a.v
		}
	}
}

// charsetsChanged works out the connection's conversions from its
// variables, after a SET of them, and tells its session the collation
// its literals compare under.
func (c *conn) charsetsChanged() {
	c.collationChanged()
	c.clientCS, c.resultsCS = nil, nil
	if s, ok := c.vars["character_set_client"].(string); ok {
		if cs, err := charset.Lookup(s); err == nil && !cs.Identity() {
			c.clientCS = cs
		}
	}
	if s, ok := c.vars["character_set_results"].(string); ok {
		if cs, err := charset.Lookup(s); err == nil && !cs.Identity() {
			c.resultsCS = cs
		}
	}
}

// collationChanged tells the connection's session, if it has one yet,
// its @@collation_connection (handler.session tells a new one).
func (c *conn) collationChanged() {
	ca, ok := c.sess.(CollationAware)
	if !ok {
		return
	}
	coll, _ := c.vars["collation_connection"].(string)
	if coll == "" {
		coll, _ = sessionVarDefaults["collation_connection"].(string)
	}
	ca.SetConnectionCollation(coll)
}

// initCharset sets the connection's character sets from the collation id
// of its handshake, once, before its first statement (vitess tells the
// handler of the connection before the handshake).
func (c *conn) initCharset(vc *mysql.Conn) {
	if c.charset {
		return
	}
	c.charset = true
	if cs, coll, ok := charset.ByID(uint16(vc.CharacterSet)); ok {
		c.vars["character_set_client"] = cs.Name
		c.vars["character_set_connection"] = cs.Name
		c.vars["character_set_results"] = cs.Name
		c.vars["collation_connection"] = coll
		c.charsetsChanged()
	}
}

// textParam reports whether a prepared statement's parameter of wire type
// typ (vitess's mapping of it) is text in character_set_client: CHAR,
// VARCHAR and VAR_STRING are; the BLOB types are bytes, as in MariaDB.
func textParam(typ int32) bool {
	switch querypb.Type(typ) {
	case querypb.Type_CHAR, querypb.Type_VARCHAR:
		return true
	}
	return false
}
