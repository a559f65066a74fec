package engine

import "fmt"

// ScanRead is Scan for callers that only read: fn must not write through
// tx while the scan runs. A full scan in data-file order (s.Index == "")
// then hands each row to fn as it is decoded instead of collecting every
// row first, which saves a copy of the table in memory; other scans are
// Scan's.
func (tx *Tx) ScanRead(table string, s Scan, fn func(h Handle, row Row) (bool, error)) error {
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
	err = t.scanMerged(func(k, v []byte) error {
		if ws != nil && ws.m[string(k)] != nil {
			return nil
		}
		row, err := decodeRow(v, def)
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
		row, err := decodeRow(p.new, def)
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
