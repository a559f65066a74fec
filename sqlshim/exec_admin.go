package sqlshim

import (
	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// admin runs CHECK TABLE, REPAIR TABLE and OPTIMIZE TABLE, answering with MySQL's result
// set: one or more rows of (Table, Op, Msg_type, Msg_text) per table, the
// last of which is the verdict ("status", "OK") or ("error", "Corrupt").
// A table that cannot be opened gets an Error row and "Operation failed",
// as MySQL does, rather than failing the statement.
func (x *execCtx) admin(st *adminStmt) (Result, error) {
	if st.op == "checksum" {
		return x.checksumTables(st) // checksum.go
	}
	cols := textColumns("Table", "Op", "Msg_type", "Msg_text")
	rows := [][]any{}
	for i, t := range st.tables {
		if sc := st.schemas[i]; x.s.otherDB(sc) {
			full := sc + "." + t
			rows = append(rows,
				[]any{full, st.op, "Error", sqlerr.As(errNoTable(sc, t)).Message},
				[]any{full, st.op, "status", "Operation failed"})
			continue
		}
		full := x.s.DBName + "." + t
		db := x.s.owner(t)
		if db == x.s.db && x.s.db.IsView(t) { // a temporary table shadows a view
			rows = append(rows, x.adminView(st.op, t)...)
			continue
		}
		if _, err := db.Table(t); err != nil && sqlerr.Code(err) != sqlerr.ErrCrashedTable {
			rows = append(rows,
				[]any{full, st.op, "Error", sqlerr.As(errNoTable(x.s.DBName, t)).Message},
				[]any{full, st.op, "status", "Operation failed"})
			continue
		}
		if st.op == "check" {
			rep, err := db.Check(x.ctx, t)
			if err != nil {
				verdict := []any{full, st.op, "error", "Corrupt"}
				if c := sqlerr.Code(err); c == sqlerr.ErrLockWaitTimeout || c == sqlerr.ErrQueryInterrupted {
					// The check did not run: that says nothing of the table.
					verdict = []any{full, st.op, "status", "Operation failed"}
				}
				rows = append(rows, []any{full, st.op, "error", sqlerr.As(err).Message}, verdict)
				continue
			}
			for _, p := range rep.Problems {
				rows = append(rows, []any{full, st.op, "error", p})
			}
			for _, n := range rep.Notes {
				rows = append(rows, []any{full, st.op, "note", n})
			}
			if rep.OK {
				rows = append(rows, []any{full, st.op, "status", "OK"})
			} else {
				rows = append(rows, []any{full, st.op, "error", "Corrupt"})
			}
			continue
		}
		var err error
		var rep engine.RepairReport
		if st.op == "optimize" {
			err = db.Optimize(x.ctx, t)
		} else {
			rep, err = db.Repair(x.ctx, t, st.quick)
		}
		for _, w := range rep.Warnings {
			rows = append(rows, []any{full, st.op, "warning", w})
		}
		if err != nil {
			rows = append(rows,
				[]any{full, st.op, "error", sqlerr.As(err).Message},
				[]any{full, st.op, "status", "Operation failed"})
			continue
		}
		rows = append(rows, []any{full, st.op, "status", "OK"})
	}
	return Result{Columns: cols, Rows: rows}, nil
}
