package sqlshim

import (
	"strings"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Stored routines, triggers and events: blitz has none. Dumps and
// migration tools still send their DDL (mariadb-dump --routines --triggers
// --events writes `DROP PROCEDURE IF EXISTS` before each `CREATE
// PROCEDURE`), and TiDB's parser reads almost none of it, so without this
// file they were syntax errors (1064) that sent users hunting for a typo.
// Recognised before the parser, as MariaDB answers a database that has
// no such object:
//
//	CREATE [OR REPLACE] [DEFINER = u@h] [AGGREGATE] PROCEDURE|FUNCTION|TRIGGER|EVENT ...
//	    1235 "This version of MySQL doesn't yet support 'CREATE TRIGGER'"
//	DROP PROCEDURE|FUNCTION|TRIGGER|EVENT IF EXISTS name
//	    succeeds with MariaDB's note (1305, 1360)
//	DROP PROCEDURE|FUNCTION|TRIGGER|EVENT name, CALL name[(...)],
//	ALTER PROCEDURE|FUNCTION|EVENT name ...
//	    MariaDB's error: 1305, 1360, 1539
//	XA START | END | PREPARE | COMMIT | ROLLBACK | RECOVER ...
//	    1235 "This version of MySQL doesn't yet support 'XA transactions'"
//
// All but CALL commit the open transaction first, as MariaDB's do (its
// implicit commit comes before the statement runs, so a CREATE TRIGGER on
// a table that does not exist, a DROP of a routine that does not exist,
// commit all the same): an application written for MariaDB that sends
// BEGIN, INSERT, CREATE TRIGGER expects its INSERT committed whatever
// becomes of the trigger. Blitz refuses every CREATE form, so it cannot
// tell a well-formed one from one MariaDB would refuse as a syntax error
// (which commits nothing there): it commits for all, as for the well-formed
// ones a dump or a migration sends. (testdata/sql/routines.test and
// routines_commit.test, checked against MariaDB; the CREATE forms in
// testdata/sql/blitz/unsupported.test.)

// routineStmt is one of the DROP or CALL statements above, answered when
// it runs (the message names the session's database).
type routineStmt struct {
	verb     string // "CREATE", "ALTER", "DROP" or "CALL"
	kind     string // PROCEDURE, FUNCTION, TRIGGER or EVENT
	db, name string // db is "" when the name is not qualified
	ifExists bool
}

// IsCreateRoutine reports whether sql is a CREATE PROCEDURE, FUNCTION,
// TRIGGER or EVENT (parseRoutine): a statement whose body may hold ';'.
// blitz serve keeps one whole when a client sends it in a multi-statement
// COM_QUERY (the mariadb client does, after DELIMITER ;;), where splitting
// it at its body's ';' ran the pieces as statements of their own.
func IsCreateRoutine(sql string) bool {
	st, ok, err := parseRoutine(sql)
	return err == nil && ok && st != nil && st.verb == "CREATE"
}

// routineHead is how much of a statement's text the recogniser reads: the
// words it looks for come first.
const routineHead = 512

// parseRoutine recognises the statements above. ok is false when sql is
// none of them; otherwise st is the statement to answer when it runs (a
// CREATE's refusal included, after the implicit commit).
func parseRoutine(sql string) (st *routineStmt, ok bool, err error) {
	w, sure := leadingWord(sql)
	if sure {
		switch strings.ToUpper(w) {
		case "CREATE", "DROP", "CALL", "ALTER":
		case "XA":
			// XA transactions, which TiDB's parser does not read either.
			return nil, true, errNotSupported("XA transactions")
		default:
			return nil, false, nil
		}
	}
	head := sql
	if len(head) > routineHead {
		head = head[:routineHead]
	}
	toks := tokenize(unversion(head))
	word := func(i int) string {
		if i < len(toks) && toks[i].kind == 'w' {
			return strings.ToUpper(toks[i].text)
		}
		return ""
	}
	kindAt := func(i int) string {
		switch k := word(i); k {
		case "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT":
			return k
		}
		return ""
	}
	isName := func(i int) bool { return i < len(toks) && (toks[i].kind == 'w' || toks[i].kind == 'q') }
	switch word(0) {
	case "CALL":
		if !isName(1) {
			return nil, false, nil
		}
		st = &routineStmt{verb: "CALL", kind: "PROCEDURE"}
		st.db, st.name = routineName(toks, 1)
		return st, true, nil
	case "CREATE":
		i := 1
		if word(i) == "OR" && word(i+1) == "REPLACE" {
			i += 2
		}
		if word(i) == "DEFINER" {
			i = skipDefiner(toks, i+1)
		}
		if word(i) == "AGGREGATE" {
			i++
		}
		if k := kindAt(i); k != "" && createShaped(toks, i+1, k, word, isName) {
			return &routineStmt{verb: "CREATE", kind: k}, true, nil
		}
	case "ALTER":
		// MariaDB has no ALTER TRIGGER: that stays the parser's error.
		k := kindAt(1)
		if k == "" || k == "TRIGGER" || !isName(2) {
			return nil, false, nil
		}
		st = &routineStmt{verb: "ALTER", kind: k}
		st.db, st.name = routineName(toks, 2)
		return st, true, nil
	case "DROP":
		k := kindAt(1)
		if k == "" {
			return nil, false, nil
		}
		st = &routineStmt{verb: "DROP", kind: k}
		i := 2
		if word(i) == "IF" && word(i+1) == "EXISTS" {
			i, st.ifExists = i+2, true
		}
		if !isName(i) {
			return nil, false, nil // malformed: the parser says where
		}
		st.db, st.name = routineName(toks, i)
		return st, true, nil
	}
	return nil, false, nil
}

// createShaped reports whether toks from i on begin as a CREATE of kind
// does in MariaDB's grammar ([IF NOT EXISTS] name, then "(" for a routine,
// BEFORE|AFTER INSERT|UPDATE|DELETE ON for a trigger, ON SCHEDULE for an
// event). One that does not is a syntax error, which commits nothing: it
// is left to the parser.
func createShaped(toks []token, i int, kind string, word func(int) string, isName func(int) bool) bool {
	if word(i) == "IF" && word(i+1) == "NOT" && word(i+2) == "EXISTS" {
		i += 3
	}
	if !isName(i) {
		return false
	}
	if i+2 < len(toks) && toks[i+1].text == "." && isName(i+2) {
		i += 2
	}
	i++
	switch kind {
	case "PROCEDURE", "FUNCTION":
		return i < len(toks) && toks[i].text == "("
	case "TRIGGER":
		w := word(i + 1)
		return (word(i) == "BEFORE" || word(i) == "AFTER") && (w == "INSERT" || w == "UPDATE" || w == "DELETE") && word(i+2) == "ON"
	case "EVENT":
		return word(i) == "ON" && word(i+1) == "SCHEDULE"
	}
	return false
}

// run answers the statement as MariaDB does for an object that does not
// exist: a note for DROP ... IF EXISTS, else the error.
func (st *routineStmt) run(s *Session) error {
	if st.verb == "CREATE" {
		return errNotSupported("CREATE " + st.kind)
	}
	db := st.db
	if db == "" {
		db = s.DBName
	}
	var code int
	var msg string
	switch {
	case st.kind == "TRIGGER":
		code, msg = sqlerr.ErrTrgDoesNotExist, "Trigger does not exist"
	case st.kind == "EVENT" && st.ifExists:
		code, msg = sqlerr.ErrSpDoesNotExist, "Event "+st.name+" does not exist"
	case st.kind == "EVENT":
		code, msg = sqlerr.ErrEventDoesNotExist, "Unknown event '"+st.name+"'"
	default:
		code, msg = sqlerr.ErrSpDoesNotExist, st.kind+" "+db+"."+st.name+" does not exist"
	}
	if st.ifExists {
		s.addNote(code, "%s", msg)
		return nil
	}
	return errf(code, "%s", msg)
}

// routineName reads name or db.name at toks[i].
func routineName(toks []token, i int) (db, name string) {
	if i+2 < len(toks) && toks[i+1].text == "." && (toks[i+2].kind == 'w' || toks[i+2].kind == 'q') {
		return unquoteIdent(toks[i]), unquoteIdent(toks[i+2])
	}
	return "", unquoteIdent(toks[i])
}

// skipDefiner skips the value of DEFINER = (at toks[i], the '='):
// user@host (each a word, quoted identifier or string) or CURRENT_USER [()].
func skipDefiner(toks []token, i int) int {
	if i < len(toks) && toks[i].text == "=" {
		i++
	}
	if i < len(toks) && strings.EqualFold(toks[i].text, "CURRENT_USER") {
		i++
		if i+1 < len(toks) && toks[i].text == "(" && toks[i+1].text == ")" {
			i += 2
		}
		return i
	}
	i++ // the user
	if i+1 < len(toks) && toks[i].text == "@" {
		i += 2 // the host
	}
	return i
}

// unversion returns sql with the markers of MySQL's versioned comments
// (`/*!50003 ` and their `*/`) blanked out, so that their text reads as
// the statement it is, as dumps write `/*!50003 CREATE*/ /*!50017
// DEFINER=...*/ /*!50003 TRIGGER ...`. Strings and plain comments are left
// as they are.
func unversion(sql string) string {
	if !strings.Contains(sql, "/*!") {
		return sql
	}
	b := []byte(sql)
	open := false // inside a versioned comment
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(sql, i) - 1
		case c == '/' && i+2 < len(b) && b[i+1] == '*' && b[i+2] == '!' && !open:
			b[i], b[i+1], b[i+2] = ' ', ' ', ' '
			for i += 3; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
				b[i] = ' '
			}
			i--
			open = true
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return string(b)
			}
			i += j + 3
		case c == '*' && open && i+1 < len(b) && b[i+1] == '/':
			b[i], b[i+1] = ' ', ' '
			open = false
			i++
		}
	}
	return string(b)
}
