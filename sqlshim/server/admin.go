package server

import (
	"context"
	"net"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/sqlshim"
	"github.com/dolthub/vitess/go/mysql"
)

// admin answers the statements that are the server's business rather than
// the SQL layer's: reading system variables (the SELECT @@... every client
// sends at connect), setting session variables, DATABASE(), USE, SHOW
// VARIABLES, SHOW STATUS, SHOW PROCESSLIST, SHOW DATABASES and SHUTDOWN. It returns
// ok=false for any other statement, which then goes to the session.
func (h *handler) admin(ctx context.Context, c *mysql.Conn, st *conn, query string) (*Result, bool, error) {
	switch firstWord(query) {
	case "select":
		// Only a SELECT of variables and connection functions is ours.
		if !strings.Contains(query, "@@") && !strings.Contains(query, "(") {
			return nil, false, nil
		}
	case "set", "show", "use", "kill", "shutdown":
	default:
		return nil, false, nil
	}
	toks, ok := lex(query)
	if !ok || len(toks) == 0 {
		return nil, false, nil
	}
	switch {
	case toks[0].is("select"):
		return h.selectVars(ctx, st, toks[1:])
	case toks[0].is("set"):
		return h.set(ctx, st, toks[1:])
	case toks[0].is("show"):
		return h.show(ctx, st, toks[1:])
	case toks[0].is("kill"):
		return h.kill(toks[1:])
	case toks[0].is("shutdown"):
		return h.shutdown(toks[1:])
	case toks[0].is("use") && len(toks) == 2 && toks[1].kind == tokWord:
		if err := h.ComInitDB(c, toks[1].text); err != nil {
			return nil, true, err
		}
		return &Result{}, true, nil
	}
	return nil, false, nil
}

// Variables the server keeps per session and reports; set with SET, read
// with @@name. They are stored and reported for clients' sake: blitz's
// behaviour does not change with them, but for the character sets and
// collation_connection (charset.go). A Session that keeps one of them
// itself (SessionVariables: sqlshim's sql_mode, time_zone, ...) answers
// for it instead, and acts on it.
var sessionVarDefaults = map[string]any{
	"character_set_client":     "utf8mb4",
	"character_set_connection": "utf8mb4",
	"character_set_results":    "utf8mb4",
	"collation_connection":     "utf8mb4_general_ci",
	"sql_mode":                 "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION",
	"time_zone":                "SYSTEM",
	"transaction_isolation":    "READ-COMMITTED",
	"tx_isolation":             "READ-COMMITTED",
	"transaction_read_only":    int64(0),
	"tx_read_only":             int64(0),
	"sql_select_limit":         uint64(18446744073709551615),
	"max_join_size":            uint64(18446744073709551615), // mariadb --safe-updates sets it: kept, not acted on
	"net_write_timeout":        int64(60),
	"net_read_timeout":         int64(30),
	"sql_auto_is_null":         int64(0),
	"sql_safe_updates":         int64(0),
	"unique_checks":            int64(1),
	"foreign_key_checks":       int64(1),
	"max_execution_time":       int64(0),
	"sql_notes":                int64(1),
	"sql_quote_show_create":    int64(1),
	"names":                    "utf8mb4", // SET NAMES, not a variable of its own
	"div_precision_increment":  int64(4),
	"group_concat_max_len":     int64(1024),
	"session_track_schema":     int64(1),
	"long_query_time":          "10.000000",
}

// serverVar returns a variable that depends on the server's configuration
// or the connection, and false for an unknown name.
func (h *handler) serverVar(st *conn, name string) (any, bool) {
	if v, ok := st.vars[name]; ok {
		return v, true // SET by the session (read-only names are refused)
	}
	o := &h.s.opts
	switch name {
	case "version":
		return o.ServerVersion, true
	case "version_comment":
		return "blitz server (MySQL protocol)", true
	case "version_compile_os":
		return runtime.GOOS, true
	case "version_compile_machine":
		return runtime.GOARCH, true
	case "protocol_version":
		return int64(10), true
	case "max_allowed_packet":
		return o.MaxPacket, true
	case "max_connections":
		return int64(o.MaxConnections), true
	case "wait_timeout", "interactive_timeout":
		return int64(o.IdleTimeout / time.Second), true
	case "auto_increment_increment", "auto_increment_offset":
		return int64(1), true
	case "autocommit":
		if st.sess != nil && !st.sess.Autocommit() {
			return int64(0), true
		}
		return int64(1), true
	case "in_transaction":
		if st.sess != nil && st.sess.InTransaction() {
			return int64(1), true
		}
		return int64(0), true
	case "warning_count":
		return int64(st.warnings), true
	case "error_count":
		return int64(0), true
	case "character_set_server", "character_set_database":
		return "utf8mb4", true
	case "character_set_system":
		return "utf8mb3", true
	case "character_set_filesystem":
		return "binary", true
	case "collation_server", "collation_database":
		return "utf8mb4_general_ci", true
	case "system_time_zone":
		return "UTC", true
	case "lower_case_table_names":
		return int64(sqlshim.LowerCaseTableNames), true
	case "lower_case_file_system":
		if sqlshim.LowerCaseFileSystem {
			return int64(1), true
		}
		return int64(0), true
	case "default_storage_engine", "storage_engine":
		return "BLITZDB", true
	case "hostname":
		host, _ := osHostname()
		return host, true
	case "port":
		if a, ok := h.s.tcpAddr.(*net.TCPAddr); ok {
			return int64(a.Port), true
		}
		return int64(0), true
	case "socket":
		return o.Socket, true
	case "read_only":
		return int64(0), true
	case "have_ssl", "have_openssl":
		return "DISABLED", true
	case "query_cache_size":
		return int64(0), true
	case "query_cache_type":
		return "OFF", true
	case "performance_schema":
		return int64(0), true
	case "init_connect":
		return "", true
	case "license":
		return "Apache-2.0", true
	case "secure_file_priv":
		// NULL, MySQL's "import and export disabled": the server reads
		// and writes no file a client names (LOAD DATA INFILE, SELECT ...
		// INTO OUTFILE are 1290); LOAD DATA LOCAL INFILE reads the
		// client's. With Options.SecureFilePriv, that directory, with a
		// trailing slash as MariaDB shows it.
		if d := o.SecureFilePriv; d != "" {
			return strings.TrimSuffix(d, "/") + "/", true
		}
		return nil, true
	}
	if src, ok := h.s.backend.(InstanceVarSource); ok {
		if v, ok := src.InstanceVar(name); ok {
			return v, true // datadir, basedir, ... (sqlshim.InstanceVar)
		}
	}
	if v, ok := sessionVarDefaults[name]; ok {
		return v, true
	}
	v, ok := moreVarDefaults[name] // sysvars.go
	return v, ok
}

// sessionScope reports whether the @@ variable text (without @@) names
// the session's value: @@SESSION.x or @@LOCAL.x.
func sessionScope(text string) bool {
	t := strings.ToLower(text)
	return strings.HasPrefix(t, "session.") || strings.HasPrefix(t, "local.")
}

// varName strips a scope prefix (session., global., local.) and lower-cases.
func varName(s string) string {
	s = strings.ToLower(s)
	for _, p := range []string{"session.", "global.", "local."} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// selectVars answers SELECT of system variables and connection functions
// only, e.g. "select @@version_comment limit 1",
// "SELECT @@session.auto_increment_increment AS auto_increment_increment,
// @@character_set_client ...", "SELECT DATABASE()".
func (h *handler) selectVars(ctx context.Context, st *conn, toks []token) (*Result, bool, error) {
	var cols []Column
	var row []any
	i := 0
	for {
		if i >= len(toks) {
			return nil, false, nil
		}
		var name string
		var val any
		switch t := toks[i]; {
		case t.kind == tokSysVar:
			n := varName(t.text)
			if h.sessionVar(ctx, st, n) {
				return nil, false, nil // the session's own: it answers the SELECT
			}
			v, ok := h.serverVar(st, n)
			if !ok {
				return nil, true, sqlerr.New(sqlerr.ErrUnknownSystemVar, "Unknown system variable '%s'", n)
			}
			if globalOnlyVars[n] && sessionScope(t.text) {
				return nil, true, sqlerr.New(errReadOnlyVar, "Variable '%s' is a GLOBAL variable", n)
			}
			name, val = "@@"+t.text, v
			if v == nil {
				val = nullString{} // character_set_results, secure_file_priv: a NULL string, as in MariaDB
			}
			i++
		case t.kind == tokWord && i+2 < len(toks) && toks[i+1].is("(") && toks[i+2].is(")"):
			v, ok := h.connFunc(st, strings.ToLower(t.text))
			if !ok {
				return nil, false, nil
			}
			name, val = t.text+"()", v
			i += 3
		default:
			return nil, false, nil
		}
		// optional alias
		if i < len(toks) && toks[i].is("as") {
			i++
			if i >= len(toks) || (toks[i].kind != tokWord && toks[i].kind != tokString) {
				return nil, false, nil
			}
			name = toks[i].text
			i++
		} else if i < len(toks) && (toks[i].kind == tokString || toks[i].kind == tokWord && !toks[i].is("from") && !toks[i].is("limit")) {
			name = toks[i].text
			i++
		}
		if _, ok := val.(nullString); ok {
			cols = append(cols, Column{Name: name, Type: typeVarStr, Length: 4})
			row = append(row, nil)
		} else {
			cols = append(cols, valueColumn(name, val))
			row = append(row, val)
		}
		if i < len(toks) && toks[i].is(",") {
			i++
			continue
		}
		break
	}
	if i+1 < len(toks) && toks[i].is("from") && toks[i+1].is("dual") {
		i += 2
	}
	limit := -1
	if i+1 < len(toks) && toks[i].is("limit") && toks[i+1].kind == tokNumber {
		n, err := strconv.Atoi(toks[i+1].text)
		if err != nil {
			return nil, false, nil
		}
		limit, i = n, i+2
	}
	if i != len(toks) {
		return nil, false, nil
	}
	r := &Result{Columns: cols, Rows: [][]any{row}}
	if limit == 0 {
		r.Rows = [][]any{}
	}
	return r, true, nil
}

// connFunc returns the value of a connection function such as DATABASE().
func (h *handler) connFunc(st *conn, name string) (any, bool) {
	switch name {
	case "database", "schema":
		if da, ok := st.sess.(DatabaseAware); ok {
			if _, ok := da.CurrentDatabase(); !ok {
				return nullString{}, true // after DROP DATABASE of it
			}
		}
		return h.s.opts.Database, true
	case "user", "session_user", "system_user", "current_user":
		st.mu.Lock()
		u := st.mu.user
		st.mu.Unlock()
		if name == "current_user" {
			return u + "@%", true
		}
		return u + "@" + st.host, true
	case "connection_id":
		return uint64(st.id), true
	case "version":
		return h.s.opts.ServerVersion, true
	}
	return nil, false
}

// nullString is a variable's NULL that reads as a string column.
type nullString struct{}

// valueColumn returns result-set metadata for a server-computed value.
func valueColumn(name string, v any) Column {
	switch x := v.(type) {
	case int64:
		return Column{Name: name, Type: typeLonglong, Length: 21, Flags: flagNotNull | flagBinary}
	case uint64:
		return Column{Name: name, Type: typeLonglong, Length: 20, Flags: flagNotNull | flagUnsigned | flagBinary}
	case string:
		return Column{Name: name, Type: typeVarStr, Length: uint32(max(len(x), 1) * 4)}
	}
	return Column{Name: name, Type: typeNull, Flags: flagBinary}
}

// set handles SET of session variables. Assignments to autocommit go to
// the session; the others the server keeps (see sessionVarDefaults). A SET
// of user variables (@x) or of anything the server does not know goes to
// the session whole.
func (h *handler) set(ctx context.Context, st *conn, toks []token) (*Result, bool, error) {
	if len(toks) > 0 && (toks[0].is("transaction") || (len(toks) > 1 && toks[1].is("transaction"))) {
		return nil, false, nil
	}
	assign := map[string]any{}
	var order []string
	put := func(k string, v any) {
		if _, ok := assign[k]; !ok {
			order = append(order, k)
		}
		assign[k] = v
	}
	// putAll puts the character set variables a SET writes (charset.go);
	// DEFAULT is "default", which the loop below deletes.
	putAll := func(as []assignment) {
		for _, a := range as {
			if a.toDefault {
				put(a.name, "default")
			} else {
				put(a.name, a.v)
			}
		}
	}
	i := 0
	for i < len(toks) {
		t := toks[i]
		switch {
		case t.is("names"):
			if i+1 >= len(toks) || (toks[i+1].kind != tokWord && toks[i+1].kind != tokString) {
				return nil, false, nil
			}
			cs, coll := toks[i+1].text, ""
			i += 2
			if i+1 < len(toks) && toks[i].is("collate") {
				coll = toks[i+1].text
				i += 2
			}
			as, err := namesAssign(cs, coll, true)
			if err != nil {
				return nil, true, err
			}
			putAll(as)
		case t.is("character") && i+2 < len(toks) && toks[i+1].is("set"), t.is("charset"):
			if t.is("character") {
				i++
			}
			if i+1 >= len(toks) {
				return nil, false, nil
			}
			as, err := namesAssign(toks[i+1].text, "", false)
			if err != nil {
				return nil, true, err
			}
			putAll(as)
			i += 2
		default:
			var name string
			switch {
			case t.kind == tokSysVar:
				name = varName(t.text)
				i++
			case t.is("session") || t.is("local") || t.is("global"):
				if i+1 >= len(toks) || toks[i+1].kind != tokWord {
					return nil, false, nil
				}
				name = strings.ToLower(toks[i+1].text)
				i += 2
			case t.kind == tokWord:
				name = strings.ToLower(t.text)
				i++
			default:
				return nil, false, nil // user variables and the rest: the SQL layer's
			}
			if i >= len(toks) || !toks[i].is("=") {
				return nil, false, nil
			}
			i++
			v, n, ok := setValue(toks[i:])
			if !ok {
				return nil, false, nil
			}
			i += n
			if h.sessionVar(ctx, st, name) {
				return nil, false, nil // the session's own: it runs the SET
			}
			if err := checkSettable(name); err != nil {
				return nil, true, err
			}
			if _, known := h.serverVar(st, name); !known {
				return nil, true, sqlerr.New(sqlerr.ErrUnknownSystemVar, "Unknown system variable '%s'", name)
			}
			if charsetVar(name) {
				as, err := charsetAssign(name, v, false)
				if err != nil {
					return nil, true, err
				}
				putAll(as)
				break
			}
			put(name, v)
		}
		if i < len(toks) {
			if !toks[i].is(",") {
				return nil, false, nil
			}
			i++
		}
	}
	if len(order) == 0 {
		return nil, false, nil
	}
	for _, k := range order {
		v := assign[k]
		if k == "autocommit" {
			on, ok := boolValue(v)
			if !ok {
				return nil, true, sqlerr.New(1231, "Variable 'autocommit' can't be set to the value of '%v'", v)
			}
			sess, err := h.session(ctx, st)
			if err != nil {
				return nil, true, err
			}
			stmt := "SET autocommit = 0"
			if on {
				stmt = "SET autocommit = 1"
			}
			if _, err := sess.Exec(ctx, stmt, nil); err != nil {
				return nil, true, err
			}
			continue
		}
		if s, ok := v.(string); ok && strings.EqualFold(s, "default") {
			delete(st.vars, k)
			continue
		}
		st.vars[k] = v
	}
	st.charsetsChanged()
	return &Result{}, true, nil
}

// setValue reads the value of one SET assignment: a literal, a word (ON,
// utf8mb4, DEFAULT) or a negative number.
func setValue(toks []token) (any, int, bool) {
	if len(toks) == 0 {
		return nil, 0, false
	}
	neg := toks[0].is("-")
	if neg {
		toks = toks[1:]
		if len(toks) == 0 || toks[0].kind != tokNumber {
			return nil, 0, false
		}
	}
	if len(toks) > 1 && !toks[1].is(",") {
		return nil, 0, false
	}
	t := toks[0]
	switch t.kind {
	case tokNumber:
		s := t.text
		if neg {
			s = "-" + s
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, 1 + b2i(neg), true
		}
		return s, 1 + b2i(neg), true
	case tokString, tokWord:
		return t.text, 1, true
	}
	return nil, 0, false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// boolValue reads ON/OFF/1/0/TRUE/FALSE.
func boolValue(v any) (bool, bool) {
	switch x := v.(type) {
	case int64:
		return x != 0, x == 0 || x == 1
	case string:
		switch strings.ToLower(x) {
		case "on", "true", "1":
			return true, true
		case "off", "false", "0":
			return false, true
		}
	}
	return false, false
}

// show answers SHOW VARIABLES, SHOW STATUS, SHOW PROCESSLIST and SHOW
// DATABASES.
func (h *handler) show(ctx context.Context, st *conn, toks []token) (*Result, bool, error) {
	if len(toks) > 0 && (toks[0].is("global") || toks[0].is("session") || toks[0].is("local")) {
		toks = toks[1:]
	}
	full := len(toks) > 0 && toks[0].is("full")
	if full {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil, false, nil
	}
	what := strings.ToLower(toks[0].text)
	pattern := ""
	switch rest := toks[1:]; {
	case len(rest) == 0:
	case len(rest) == 2 && rest[0].is("like") && rest[1].kind == tokString:
		pattern = rest[1].text
	default:
		return nil, false, nil
	}
	switch {
	case what == "variables" && !full:
		vars := h.variables(st)
		if sess, err := h.session(ctx, st); err == nil {
			if sv, ok := sess.(SessionVariables); ok {
				// The session's own replace the server's of the same name.
				own := sv.Variables()
				vars = slices.DeleteFunc(vars, func(p [2]string) bool {
					return slices.ContainsFunc(own, func(o [2]string) bool { return o[0] == p[0] })
				})
				vars = append(vars, own...)
			}
		}
		for i := range vars {
			vars[i][1] = sqlshim.ShowVariableText(vars[i][0], vars[i][1])
		}
		return nameValues(vars, pattern), true, nil
	case what == "status" && !full:
		return nameValues(h.status(), pattern), true, nil
	case what == "processlist" && pattern == "":
		return h.processlist(full), true, nil
	case (what == "databases" || what == "schemas") && !full:
		r := &Result{Columns: []Column{{Name: "Database", Type: typeVarStr, Length: 256}}, Rows: [][]any{}}
		if pattern == "" || like(h.s.opts.Database, pattern) {
			r.Rows = append(r.Rows, []any{h.s.opts.Database})
		}
		return r, true, nil
	}
	return nil, false, nil
}

// nameValues builds the Variable_name/Value result of SHOW VARIABLES and
// SHOW STATUS from pairs sorted by name, keeping those matching pattern.
func nameValues(pairs [][2]string, pattern string) *Result {
	r := &Result{Columns: []Column{
		{Name: "Variable_name", Type: typeVarStr, Length: 256, Flags: flagNotNull},
		{Name: "Value", Type: typeVarStr, Length: 4096},
	}, Rows: [][]any{}}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0] < pairs[j][0] })
	for _, p := range pairs {
		if pattern == "" || like(p[0], pattern) {
			r.Rows = append(r.Rows, []any{p[0], p[1]})
		}
	}
	return r
}

// sessionVar reports whether name is a variable the session keeps itself
// (see SessionVariables).
func (h *handler) sessionVar(ctx context.Context, st *conn, name string) bool {
	sess, err := h.session(ctx, st)
	if err != nil {
		return false
	}
	sv, ok := sess.(SessionVariables)
	if !ok {
		return false
	}
	for _, p := range sv.Variables() {
		if p[0] == name {
			return true
		}
	}
	return false
}

// variables lists every variable @@name can read.
func (h *handler) variables(st *conn) [][2]string {
	names := []string{"version", "version_comment", "version_compile_os", "version_compile_machine",
		"protocol_version", "max_allowed_packet", "max_connections", "wait_timeout", "interactive_timeout",
		"auto_increment_increment", "auto_increment_offset", "autocommit", "in_transaction", "warning_count", "error_count",
		"character_set_server", "character_set_database", "character_set_system", "character_set_filesystem",
		"collation_server", "collation_database", "system_time_zone", "lower_case_table_names", "lower_case_file_system",
		"default_storage_engine", "storage_engine", "hostname", "port", "socket", "read_only", "have_ssl", "have_openssl",
		"query_cache_size", "query_cache_type", "performance_schema", "init_connect", "license",
		"datadir", "basedir", "pid_file", "log_error", "secure_file_priv"}
	for n := range sessionVarDefaults {
		if n != "names" {
			names = append(names, n)
		}
	}
	for n := range moreVarDefaults {
		names = append(names, n)
	}
	out := make([][2]string, 0, len(names))
	for _, n := range names {
		v, _ := h.serverVar(st, n)
		out = append(out, [2]string{n, formatValue(Column{}, v)})
	}
	return out
}

// StatusReporter is implemented by a Backend that has counters of its own
// for SHOW STATUS (commits, fsyncs, recovery performed at startup).
type StatusReporter interface {
	// Status returns name/value pairs; names should start with "Blitz_".
	Status() [][2]string
}

// status lists SHOW STATUS: the server's counters and the backend's.
func (h *handler) status() [][2]string {
	s := h.s
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	out := [][2]string{
		{"Aborted_clients", n(s.stats.abortedClients.Load())},
		{"Aborted_connects", n(s.stats.abortedConnects.Load())},
		{"Connections", n(s.stats.connections.Load())},
		{"Max_used_connections", n(s.stats.maxUsed.Load())},
		{"Queries", n(s.stats.queries.Load())},
		{"Questions", n(s.stats.queries.Load())},
		{"Threads_connected", n(s.open.Load())},
		{"Threads_running", n(s.stats.running.Load())},
		{"Uptime", n(int64(time.Since(s.started) / time.Second))},
		{"Blitz_idle_timeouts", n(s.stats.idleTimeouts.Load())},
	}
	if r, ok := s.backend.(StatusReporter); ok {
		out = append(out, r.Status()...)
	}
	return out
}

// kill answers KILL [QUERY | CONNECTION] id (the id of SHOW PROCESSLIST
// and CONNECTION_ID(); the mariadb client sends KILL QUERY on Ctrl-C).
// QUERY interrupts the connection's running statement, which fails with
// error 1317 (a SLEEP too, as in MariaDB), and leaves the connection open; CONNECTION,
// the default, also closes the connection, rolling back its transaction.
// Killing one's own connection closes it after the reply.
func (h *handler) kill(toks []token) (*Result, bool, error) {
	conn := true
	if len(toks) > 0 && (toks[0].is("query") || toks[0].is("connection")) {
		conn = toks[0].is("connection")
		toks = toks[1:]
	}
	if len(toks) != 1 || toks[0].kind != tokNumber {
		return nil, false, nil // let the SQL layer report the syntax
	}
	id, err := strconv.ParseUint(toks[0].text, 10, 32)
	h.s.mu.Lock()
	target := h.s.mu.conns[uint32(id)]
	h.s.mu.Unlock()
	if err != nil || target == nil {
		return nil, true, newError(errNoSuchThread, "Unknown thread id: %s", toks[0].text)
	}
	target.kill(conn)
	return &Result{}, true, nil
}

// processlist answers SHOW [FULL] PROCESSLIST: one row per connection.
func (h *handler) processlist(full bool) *Result {
	r := &Result{Columns: []Column{
		{Name: "Id", Type: typeLonglong, Length: 21, Flags: flagNotNull | flagUnsigned | flagBinary},
		{Name: "User", Type: typeVarStr, Length: 128, Flags: flagNotNull},
		{Name: "Host", Type: typeVarStr, Length: 256, Flags: flagNotNull},
		{Name: "db", Type: typeVarStr, Length: 256},
		{Name: "Command", Type: typeVarStr, Length: 64, Flags: flagNotNull},
		{Name: "Time", Type: typeLonglong, Length: 7, Flags: flagNotNull | flagBinary},
		{Name: "State", Type: typeVarStr, Length: 120},
		{Name: "Info", Type: typeVarStr, Length: 400},
	}, Rows: [][]any{}}
	for _, p := range h.processRows() {
		var infoV, state any
		if info := p.Info; info != "" {
			if !full && len(info) > 100 {
				info = info[:100]
			}
			infoV, state = info, p.State
		}
		r.Rows = append(r.Rows, []any{uint64(p.ID), p.User, p.Host, p.DB, p.Command,
			int64(p.Time / time.Second), state, infoV})
	}
	return r
}

// processRows lists the connections by id: what SHOW PROCESSLIST shows,
// and what a session's information_schema.PROCESSLIST reads
// (ProcessListAware).
func (h *handler) processRows() []ProcessRow {
	h.s.mu.Lock()
	conns := make([]*conn, 0, len(h.s.mu.conns))
	for _, c := range h.s.mu.conns {
		conns = append(conns, c)
	}
	h.s.mu.Unlock()
	sort.Slice(conns, func(i, j int) bool { return conns[i].id < conns[j].id })
	rows := make([]ProcessRow, 0, len(conns))
	for _, c := range conns {
		c.mu.Lock()
		p := ProcessRow{ID: c.id, User: c.mu.user, Host: c.host, DB: h.s.opts.Database, Command: c.mu.command,
			Time: time.Since(c.mu.since), Info: c.mu.info}
		c.mu.Unlock()
		if p.Info != "" {
			p.State = "executing"
		}
		rows = append(rows, p)
	}
	return rows
}
