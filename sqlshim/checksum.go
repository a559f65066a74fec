package sqlshim

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/shopspring/decimal"
)

// CHECKSUM TABLE t [, t2 ...] [QUICK | EXTENDED] answers one row per table,
// (Table, Checksum), as MariaDB does. The checksum is blitz's own: the sum
// modulo 2^32 of the CRC-32 (IEEE) of each row's canonical encoding
// (checksumRow), so it does not depend on where rows sit in the data
// file (OPTIMIZE keeps it) and changes when any value of any row does;
// an empty table's is 0. It is not MariaDB's number for the same rows,
// which depends on its row format. QUICK asks for a checksum kept live,
// which blitz does not keep: NULL, as MariaDB answers for InnoDB. A
// missing table, or a view, is NULL with the error (1146, 1347) among the
// statement's diagnostics, as in MariaDB.

func (x *execCtx) checksumTables(st *adminStmt) (Result, error) {
	cols := textColumns("Table", "Checksum")
	intColumn(cols, "Checksum")
	quick := false
	for _, o := range st.options {
		if o == "QUICK" {
			quick = true
		}
	}
	rows := [][]any{}
	for i, t := range st.tables {
		if sc := st.schemas[i]; x.s.otherDB(sc) {
			e := sqlerr.As(errNoTable(sc, t))
			x.s.addCondition("Error", e.Code, "%s", e.Message)
			rows = append(rows, []any{sc + "." + t, nil})
			continue
		}
		full := x.s.DBName + "." + t
		db := x.s.owner(t)
		if db == x.s.db && x.s.db.IsView(t) {
			x.s.addCondition("Error", sqlerr.ErrWrongObject, "'%s' is not of type 'BASE TABLE'", full)
			rows = append(rows, []any{full, nil})
			continue
		}
		if _, err := db.Table(t); err != nil {
			e := sqlerr.As(mapErr(err))
			if e.Code == sqlerr.ErrNoSuchTable || e.Code == 0 {
				e = sqlerr.As(errNoTable(x.s.DBName, t))
			}
			x.s.addCondition("Error", e.Code, "%s", e.Message)
			rows = append(rows, []any{full, nil})
			continue
		}
		if quick {
			rows = append(rows, []any{full, nil})
			continue
		}
		var sum uint32
		var buf []byte
		err := x.tx.Scan(t, engine.Scan{}, func(_ engine.Handle, row engine.Row) (bool, error) {
			if err := x.ctx.Err(); err != nil {
				return false, err
			}
			buf = checksumRow(buf[:0], row)
			sum += crc32.ChecksumIEEE(buf)
			return true, nil
		})
		if err != nil {
			return Result{}, err
		}
		rows = append(rows, []any{full, int64(sum)})
	}
	return Result{Columns: cols, Rows: rows}, nil
}

// checksumRow appends the canonical encoding of row that CHECKSUM TABLE
// hashes: per column a type byte, then the value (integers as varints,
// floats by their bits, text and bytes length-prefixed, dates as
// microseconds). It depends only on the values, not on how the engine
// stores them.
func checksumRow(b []byte, row engine.Row) []byte {
	text := func(tag byte, s string) []byte {
		b = append(b, tag)
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	for _, v := range row {
		switch x := v.(type) {
		case nil:
			b = append(b, 0)
		case int64:
			b = binary.AppendVarint(append(b, 'i'), x)
		case uint64:
			b = binary.AppendUvarint(append(b, 'u'), x)
		case float64:
			b = binary.LittleEndian.AppendUint64(append(b, 'f'), math.Float64bits(x))
		case string:
			b = text('s', x)
		case []byte:
			b = text('b', string(x))
		case decimal.Decimal:
			b = text('d', x.String())
		case time.Time:
			b = binary.AppendVarint(append(b, 't'), x.UnixMicro())
		case time.Duration:
			b = binary.AppendVarint(append(b, 'T'), int64(x/time.Microsecond))
		case engine.ZeroDate:
			b = text('z', x.String())
		case engine.Enum:
			b = binary.AppendUvarint(append(b, 'e'), uint64(x.Index))
		case engine.Set:
			b = binary.AppendUvarint(append(b, 'S'), x.Bits)
		default:
			b = text('x', toString(x))
		}
	}
	return b
}
