package sqlshim

import (
	"time"

	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/shopspring/decimal"
)

// This file holds SHOW [FULL] PROCESSLIST and information_schema.PROCESSLIST:
// the sessions of a server (SetProcessList), or an embedded session's own
// row.

// Process is one session as SHOW PROCESSLIST shows it.
type Process struct {
	ID      uint64
	User    string
	Host    string
	DB      string // "": NULL
	Command string // "Query", "Sleep", ...
	Time    time.Duration
	State   string // "": NULL
	Info    string // the running statement, "" when none (NULL)
}

// SetProcessList makes SHOW PROCESSLIST and information_schema.PROCESSLIST
// list what list returns (a server's connections) instead of the
// session's own row. list must not call back into the session. Call it
// before the session runs statements.
func (s *Session) SetProcessList(list func() []Process) { s.processList = list }

// processes lists the sessions: the server's, or this one alone, running
// the statement x runs.
func (x *execCtx) processes() []Process {
	if x.s.processList != nil {
		return x.s.processList()
	}
	c := x.s.client
	return []Process{{ID: c.ID, User: c.User, Host: c.Host, DB: x.s.DBName, Command: "Query",
		Time: time.Since(x.now), State: "executing", Info: x.text}}
}

// nullText is s, or NULL for "".
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// showProcessList answers SHOW [FULL] PROCESSLIST (the server's columns;
// without FULL, Info is cut to 100 bytes).
func (x *execCtx) showProcessList(full bool) Result {
	cols := textColumns("Id", "User", "Host", "db", "Command", "Time", "State", "Info")
	intColumn(cols, "Id", "Time")
	rows := [][]any{}
	for _, p := range x.processes() {
		info := p.Info
		if !full && len(info) > 100 {
			info = info[:100]
		}
		rows = append(rows, []any{int64(p.ID), p.User, p.Host, nullText(p.DB), p.Command,
			int64(p.Time / time.Second), nullText(p.State), nullText(info)})
	}
	return Result{Columns: cols, Rows: rows}
}

// isProcessList is information_schema.PROCESSLIST, with MariaDB 10.11's
// columns; what blitz does not track (stages, memory, rows examined, the
// query and thread ids) is 0.
func (x *execCtx) isProcessList() Result {
	cols := textColumns("ID", "USER", "HOST", "DB", "COMMAND", "TIME", "STATE", "INFO", "TIME_MS", "STAGE",
		"MAX_STAGE", "PROGRESS", "MEMORY_USED", "MAX_MEMORY_USED", "EXAMINED_ROWS", "QUERY_ID", "INFO_BINARY", "TID")
	intColumn(cols, "ID", "TIME", "STAGE", "MAX_STAGE", "MEMORY_USED", "MAX_MEMORY_USED", "EXAMINED_ROWS", "QUERY_ID", "TID")
	for i := range cols {
		switch cols[i].Name {
		case "TIME_MS", "PROGRESS":
			cols[i].Type, cols[i].Length, cols[i].Decimals = mysql.TypeNewDecimal, 22, 3
		case "INFO_BINARY":
			cols[i].Type, cols[i].Flags = mysql.TypeBlob, mysql.BinaryFlag
		}
	}
	rows := [][]any{}
	for _, p := range x.processes() {
		var bin any
		if p.Info != "" {
			bin = []byte(p.Info)
		}
		ms := decimal.New(p.Time.Microseconds(), -3).Round(3)
		zero := int64(0)
		rows = append(rows, []any{int64(p.ID), p.User, p.Host, nullText(p.DB), p.Command,
			int64(p.Time / time.Second), nullText(p.State), nullText(p.Info), ms, zero,
			zero, decimal.New(0, -3), zero, zero, zero, zero, bin, zero})
	}
	return Result{Columns: cols, Rows: rows}
}
