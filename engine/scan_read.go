package engine

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
)

// ScanRead is Scan for callers that only read: fn must not write through
// tx while the scan runs. A full scan in data-file order (s.Index == "")
// then hands each row to fn as it is decoded instead of collecting every
// row first, which saves a copy of the table in memory; other scans are
// Scan's.
func (tx *Tx) ScanRead(table string, s Scan, fn func(h Handle, row Row) (bool, error)) error {
	return tx.ScanReadWith(table, s, ReadOptions{}, fn)
}

// ReadOptions let a read-only full scan do less work per row. They only
// apply to a full scan in data-file order (Scan.Index == "") and to a walk
// of a secondary index (a Scan with a Limit, ixwalk.go): it skips rows by
// Ranges, and hands over the rows of its pass over the file, if it gives
// up and OrderLost is set, as Columns and Reuse say. Other scans ignore
// them and hand over whole rows.
type ReadOptions struct {
	// OrderLost, if set, lets a walk of a secondary index that gives up
	// (its caller rejects most rows) hand the rest of its range over in
	// no particular order, after calling OrderLost, instead of sorting it
	// first: a caller that keeps the first rows of the order itself (a
	// top-N heap) then pays one streamed pass over the file, as for a
	// full scan. The rows are those of the range either way, each once.
	OrderLost func()
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
		if s.Limit > 0 && (len(o.Ranges) > 0 || o.OrderLost != nil) && !eqFold(s.Index, "PRIMARY") {
			return tx.scan(table, s, &o, fn) // for a walk of the index
		}
		return tx.Scan(table, s, fn)
	}
	t, err := tx.readTable(table)
	if err != nil {
		return err
	}
	t.mu.RLock()
	def := t.def
	t.mu.RUnlock()
	ws := tx.wsOf(t)
	stop := errStopScan
	need := o.Columns
	if len(need) != len(def.Columns) {
		need = nil // not this definition's (changed since planning): decode everything
	}
	ranges := rawRanges(def, o.Ranges)
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
	err = t.scanMergedStream(keep, func(k, v []byte) error {
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

// rawRanges returns the ranges of rs that rowInRanges can judge on d's
// encoded rows: those of columns stored as zig-zag varints.
func rawRanges(d *TableDef, rs []ColumnRange) []ColumnRange {
	var ranges []ColumnRange
	for _, rg := range rs {
		if rg.Col >= 0 && rg.Col < len(d.Columns) {
			if c := &d.Columns[rg.Col]; (c.Type.IsInteger() && !c.Unsigned) || c.Type.IsTime() {
				ranges = append(ranges, rg)
			}
		}
	}
	return ranges
}

type stopScan struct{}

func (stopScan) Error() string { return "scan stopped" }

var errStopScan error = stopScan{}

// scanStreamChunk is the size of the pieces scanMergedStream hands over,
// and scanStreamAhead how many complete pieces the copier may hold that fn
// has not taken yet: a full scan holds at most about
// (scanStreamAhead+2)*scanStreamChunk of the table at once (the queue, the
// piece being filled, the piece fn reads), whatever the table's size.
const (
	scanStreamChunk = 256 << 10
	scanStreamAhead = 4
)

// scanMergedStream is scanMergedKeep with the copy overlapped with fn: a
// goroutine walks the data file under its read lock and copies the kept
// records into chunks, and fn consumes each chunk as soon as it is
// complete instead of after the whole file. On a machine with a second
// core, reading and verifying the file then costs next to no wall time.
//
// The copier stays at most scanStreamAhead chunks ahead of fn, so memory
// is bounded, not a copy of the table. While it waits for fn it still
// holds the file's read lock, which a writer must not wait behind
// forever: fn may read the table, and a read queued behind a waiting
// writer would wait for the copier, which waits for fn. So the copier
// also watches datafile.File.Contended, and once a writer waits it stops
// waiting for fn and copies the rest of the file without bound (as every
// scan did before), releasing the lock as soon as the walk ends, whatever
// fn does. The rows fn sees are those of one moment of the file either
// way. A corrupt record ends the scan with its error after fn has seen
// the rows before it.
func (t *table) scanMergedStream(keep func(val []byte) bool, fn func(key, val []byte) error) error {
	df, over, err := t.mergeSources()
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		chunks  [][]byte
		done    bool
		walkErr error
		stop    atomic.Bool
		quit    = make(chan struct{})
		ahead   = make(chan struct{}, scanStreamAhead) // one token per chunk fn has not taken
		spent   = make(chan []byte, scanStreamAhead)   // chunks fn is done with, for reuse
	)
	// The first chunk is no larger than the table: a small table's scan
	// need not allocate a whole chunk.
	first := int(min(df.RecordBytes()+2*binary.MaxVarintLen64, scanStreamChunk))
	var contended <-chan struct{}
	unbounded := false
	// publish queues c for fn. It waits while the copier is
	// scanStreamAhead chunks ahead, unless a writer waits for the file
	// (then it never waits again) or fn stopped.
	publish := func(c []byte) error {
		if !unbounded {
			select {
			case ahead <- struct{}{}:
			default:
				if contended == nil {
					contended = df.Contended()
				}
				select {
				case ahead <- struct{}{}:
				case <-contended:
					unbounded = true
				case <-quit:
					return errStopScan
				}
			}
		}
		mu.Lock()
		chunks = append(chunks, c)
		cond.Signal()
		mu.Unlock()
		return nil
	}
	go func() {
		var buf []byte
		err := df.Iterate(func(k, v []byte) error {
			if stop.Load() {
				return errStopScan
			}
			if _, ok := over[string(k)]; ok {
				return nil
			}
			if keep != nil && !keep(v) {
				return nil
			}
			n := 2*binary.MaxVarintLen64 + len(k) + len(v)
			if len(buf)+n > cap(buf) {
				if len(buf) > 0 {
					if err := publish(buf); err != nil {
						return err
					}
				}
				buf = nil
				if n <= scanStreamChunk {
					select {
					case buf = <-spent:
					default:
					}
				}
				if buf == nil {
					size := scanStreamChunk
					if first > 0 {
						size, first = first, 0
					}
					buf = make([]byte, 0, max(n, size))
				}
			}
			buf = appendKV(buf, k, v)
			return nil
		})
		if len(buf) > 0 && err == nil {
			err = publish(buf)
		}
		mu.Lock()
		done, walkErr = true, err
		cond.Signal()
		mu.Unlock()
	}()
	// finish stops the copier and waits for it: the file's lock is
	// released and no goroutine outlives the scan.
	finish := func() error {
		stop.Store(true)
		close(quit)
		mu.Lock()
		for !done {
			cond.Wait()
		}
		err := walkErr
		mu.Unlock()
		if err == errStopScan {
			return nil
		}
		return err
	}
	for i := 0; ; i++ {
		mu.Lock()
		for i >= len(chunks) && !done {
			cond.Wait()
		}
		if i >= len(chunks) {
			mu.Unlock()
			break
		}
		p := chunks[i]
		chunks[i] = nil // consumed: let it go once fn no longer refers to it
		mu.Unlock()
		err := eachKV(p, fn)
		select { // a chunk published after a writer came took no token
		case <-ahead:
		default:
		}
		if cap(p) == scanStreamChunk {
			select { // fn's arguments were valid only during its calls
			case spent <- p[:0]:
			default:
			}
		}
		if err != nil {
			finish()
			return err
		}
	}
	if err := finish(); err != nil {
		return t.dataErr(err)
	}
	return overlayRows(over, fn)
}
