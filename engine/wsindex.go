package engine

import (
	"bytes"

	"github.com/google/btree"
)

// A write set's rows by secondary index, for Scan.
//
// A scan of an index returns the committed rows the index finds and the
// rows the transaction wrote whose columns fall in the scan's range. The
// second part used to decode every row the write set holds, on every
// scan: a cascade that updates child rows (ON DELETE SET NULL, ON UPDATE
// CASCADE) looks children up once per parent row, so deleting n parents
// cost O(n²). Each index the transaction scans instead gets an ordered
// view of the written rows, built on its first scan and kept up to date
// from then on, so a scan visits only the written rows in its range.
//
// Like writeSet.uniq, the views are only added to: an entry holds the
// pending change it was made from, and counts only while the write set
// still holds that very change for its key (pending values are never
// changed in place), so a later change of the row or a rollback needs no
// removal. record queues every key it writes (wsViews.pend) once a view exists,
// and RollbackTo queues every key it gives back a written row; the next
// scan adds them to every view there is.
//
// A scan of the primary key has the same problem and gets the same cure:
// a view of the written rows in key order (wsViews.pk), whose entries have
// the row key as their columns.

// wsViews are a write set's views.
type wsViews struct {
	by   []*btree.BTreeG[ixPut] // by index number; nil for an index not scanned yet
	pk   *btree.BTreeG[ixPut]   // by primary key; nil until the primary key is scanned
	pend []string               // keys written since the last scan, which by and pk may not hold
}

// ixPut is one entry of a view: the row key has the index columns cols
// in the change p.
type ixPut struct {
	cols, key string
	p         *pending
}

func ixPutLess(a, b ixPut) bool {
	if a.cols != b.cols {
		return a.cols < b.cols
	}
	return a.key < b.key
}

// queueIx notes that key now has a change the views may not hold.
func (ws *writeSet) queueIx(key string, p *pending) {
	if ws.views != nil && p != nil && !p.del {
		ws.views.pend = append(ws.views.pend, key)
	}
}

// viewsUpToDate returns the write set's views (made on first use) with
// the queued keys added to each.
func (ws *writeSet) viewsUpToDate() *wsViews {
	vs := ws.views
	if vs == nil {
		vs = &wsViews{by: make([]*btree.BTreeG[ixPut], len(ws.def.Indexes))}
		ws.views = vs
	}
	for _, k := range vs.pend {
		p := ws.m[k]
		if p == nil || p.del {
			continue
		}
		if vs.pk != nil {
			vs.pk.ReplaceOrInsert(ixPut{cols: k, key: k, p: p})
		}
		var r Row
		for j, v := range vs.by {
			if v == nil {
				continue
			}
			if r == nil {
				var err error
				if r, err = decodeRow(p.new, ws.def); err != nil {
					break
				}
			}
			v.ReplaceOrInsert(ixPut{cols: string(encodeCols(nil, ws.def, r, ws.ixPos[j])), key: k, p: p})
		}
	}
	vs.pend = vs.pend[:0]
	return vs
}

// pkView returns the view of the primary key, up to date.
func (ws *writeSet) pkView() *btree.BTreeG[ixPut] {
	vs := ws.viewsUpToDate()
	if vs.pk == nil {
		v := btree.NewG(16, ixPutLess)
		for k, p := range ws.m {
			if !p.del {
				v.ReplaceOrInsert(ixPut{cols: k, key: k, p: p})
			}
		}
		vs.pk = v
	}
	return vs.pk
}

// ixView returns the view of index i (with key parts pos), up to date.
func (ws *writeSet) ixView(i int, pos []keyPart) *btree.BTreeG[ixPut] {
	vs := ws.viewsUpToDate()
	if vs.by[i] == nil {
		v := btree.NewG(16, ixPutLess)
		for k, p := range ws.m {
			if p.del {
				continue
			}
			r, err := decodeRow(p.new, ws.def)
			if err != nil {
				continue
			}
			v.ReplaceOrInsert(ixPut{cols: string(encodeCols(nil, ws.def, r, pos)), key: k, p: p})
		}
		vs.by[i] = v
	}
	return vs.by[i]
}

// ixRange calls fn for the key, value and index columns of each row the
// transaction wrote whose columns of index i (key parts pos) are in r.
func (tx *Tx) ixRange(ws *writeSet, i int, pos []keyPart, r keyRange, fn func(key string, val []byte, cols []byte)) {
	tx.viewRange(ws, ws.ixView(i, pos), r, fn)
}

// pkRange calls fn for the key and value of each row the transaction
// wrote whose key is in r, in key order.
func (tx *Tx) pkRange(ws *writeSet, r keyRange, fn func(key string, val []byte)) {
	tx.viewRange(ws, ws.pkView(), r, func(key string, val, _ []byte) { fn(key, val) })
}

// viewRange calls fn for each live entry of the view v in r.
func (tx *Tx) viewRange(ws *writeSet, v *btree.BTreeG[ixPut], r keyRange, fn func(key string, val []byte, cols []byte)) {
	visit := func(e ixPut) bool {
		tx.wsVisits++
		if r.end != nil && bytes.Compare([]byte(e.cols), r.end) >= 0 {
			return false
		}
		if ws.m[e.key] != e.p || !r.contains([]byte(e.cols)) {
			return true // superseded, rolled back, or before the start
		}
		fn(e.key, e.p.new, []byte(e.cols))
		return true
	}
	if r.start == nil {
		v.Ascend(visit)
	} else {
		v.AscendGreaterOrEqual(ixPut{cols: string(r.start)}, visit)
	}
}
