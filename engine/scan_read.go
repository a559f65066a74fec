package engine

import "fmt"

// ScanRead is Scan for callers that only read: fn must not write through
// tx while the scan runs. A full scan in data-file order (s.Index == "")
// then hands each row to fn as it is decoded instead of collecting every
// row first, which saves a copy of the table in memory; other scans are
// Scan's.
func (tx *Tx) ScanRead(table string, s Scan, fn func(h Handle, row Row) (bool, error)) error {
	return tx.ScanReadWith(table, s, ReadOptions{}, fn)
}

// ReadOptions let a read-only full scan do less work per row. They only
// apply to a full scan in data-file order (Scan.Index == ""); other scans
// ignore them and hand over whole rows.
type ReadOptions struct {
	// Columns, if not nil, marks (by position) the columns the caller
	// reads; the others are not decoded and are nil in the row. Decoding
	// a value allocates (strings, boxed integers and times): a query
	// that uses two columns of ten should not pay for ten.
	Columns []bool
	// Ranges skip rows before they are decoded: a row is handed to fn
	// only if every range holds (see ColumnRange). The caller still
	// applies its own conditions: the ranges are a cheap first cut.
	Ranges []ColumnRange
	// Reuse hands fn the same Row each time, overwritten by the next
	// row: fn must copy the values it keeps beyond the call (values
	// themselves are never overwritten, only the slice holding them).
	Reuse bool
}

// ScanReadWith is ScanRead with the work per row narrowed by o.
func (tx *Tx) ScanReadWith(table string, s Scan, o ReadOptions, fn func(h Handle, row Row) (bool, error)) error {
	if s.Index != "" {
		return tx.Scan(table, s, fn)
	}
	t, err := tx.readTable(table)
	if err != nil {
		return err
	}
	t.mu.RLock()
	def := t.def
	t.mu.RUnlock()
	ws := tx.ws[t]
	stop := errStopScan
	need := o.Columns
	if len(need) != len(def.Columns) {
		need = nil // not this definition's (changed since planning): decode everything
	}
	var ranges []ColumnRange
	for _, rg := range o.Ranges {
		// Only columns stored as zig-zag varints can be compared raw.
		if rg.Col >= 0 && rg.Col < len(def.Columns) {
			if c := &def.Columns[rg.Col]; (c.Type.IsInteger() && !c.Unsigned) || c.Type.IsTime() {
				ranges = append(ranges, rg)
			}
		}
	}
	var buf Row
	var in interner
	decode := func(v []byte) (Row, error) {
		r := buf
		if r == nil || !o.Reuse {
			r = make(Row, len(def.Columns))
			if o.Reuse {
				buf = r
			}
		}
		if err := decodeRowInto(r, v, def, need, &in); err != nil {
			return nil, err
		}
		return r, nil
	}
	var keep func([]byte) bool
	if len(ranges) > 0 {
		keep = func(v []byte) bool { return rowInRanges(v, def, ranges) }
	}
	err = t.scanMergedKeep(keep, func(k, v []byte) error {
		if ws != nil && ws.m[string(k)] != nil {
			return nil
		}
		if keep != nil && !keep(v) { // overlay rows: scanMergedKeep filters only the file's
			return nil
		}
		row, err := decode(v)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", k, table, err))
		}
		more, err := fn(Handle(k), row)
		if err != nil {
			return err
		}
		if !more {
			return stop
		}
		return nil
	})
	if err == stop {
		return nil
	}
	if err != nil || ws == nil {
		return err
	}
	for k, p := range ws.m {
		if p.del {
			continue
		}
		if len(ranges) > 0 && !rowInRanges(p.new, def, ranges) {
			continue
		}
		row, err := decode(p.new)
		if err != nil {
			return t.dataErr(fmt.Errorf("row %x of %s: %w", k, table, err))
		}
		more, err := fn(Handle(k), row)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

type stopScan struct{}

func (stopScan) Error() string { return "scan stopped" }

var errStopScan error = stopScan{}
