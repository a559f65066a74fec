package index

import (
	"bytes"
	"fmt"

	"github.com/blitzdb/blitz/internal/keyenc"
	"github.com/google/btree"
	bolt "go.etcd.io/bbolt"
)

// Bound is one end of a range of encoded column tuples. Key is compared with
// the same-length prefix of each entry's columns, so a Key made of the first
// n elements of a tuple bounds on those n columns: lo {Key: (5), Inclusive}
// starts at the first entry whose first column is 5, hi {Key: (5),
// Inclusive} ends after the last one.
type Bound struct {
	Key       []byte
	Inclusive bool
	Unbounded bool // no bound at this end; Key and Inclusive are ignored
}

// keyRange is a half-open range [start, end) of bbolt keys; nil start is
// unbounded below, nil end unbounded above.
type keyRange struct {
	start, end []byte
	empty      bool
}

func makeRange(lo, hi Bound) keyRange {
	var r keyRange
	if !lo.Unbounded {
		if lo.Inclusive {
			r.start = lo.Key
		} else if r.start = keyenc.PrefixEnd(lo.Key); r.start == nil {
			r.empty = true
		}
	}
	if !hi.Unbounded {
		if hi.Inclusive {
			r.end = keyenc.PrefixEnd(hi.Key) // nil: nothing above, unbounded
		} else if r.end = hi.Key; len(r.end) == 0 {
			r.empty = true
		}
	}
	if r.start != nil && r.end != nil && bytes.Compare(r.start, r.end) >= 0 {
		r.empty = true
	}
	return r
}

func (r keyRange) below(k []byte) bool { return r.end == nil || bytes.Compare(k, r.end) < 0 }
func (r keyRange) above(k []byte) bool { return r.start == nil || bytes.Compare(k, r.start) >= 0 }

// Lookup calls fn with the primary key of every entry whose columns equal
// cols, or start with cols when cols holds only the first elements of the
// tuple, in (cols, pk) order, until fn returns false. pk is valid only during
// the call.
func (ix *Index) Lookup(cols []byte, fn func(pk []byte) bool) error {
	return ix.Scan(Bound{Key: cols, Inclusive: true}, Bound{Key: cols, Inclusive: true}, false,
		func(_, pk []byte) bool { return fn(pk) })
}

// Scan calls fn for every entry whose columns lie between lo and hi (see
// Bound), in (cols, pk) order, descending if reverse, until fn returns false.
// cols and pk are valid only during the call; fn must not call methods of
// ix.
func (ix *Index) Scan(lo, hi Bound, reverse bool, fn func(cols, pk []byte) bool) error {
	r := makeRange(lo, hi)
	if r.empty {
		return ix.checkUsable()
	}
	return ix.merged(r, reverse, func(k, v []byte) (bool, error) {
		cols, pk, err := splitEntry(ix.unique, k, v)
		if err != nil {
			return false, fmt.Errorf("%s: %w", ix.path, err)
		}
		return fn(cols, pk), nil
	})
}

// ScanAfter is Scan resumed past the entry (cols, pk) that an earlier
// Scan of the same range handed over: it calls fn for the entries after
// that one in the direction of reverse, as the index holds them now. A
// caller reads a long range in short pieces this way, without holding
// the index file open between them.
func (ix *Index) ScanAfter(lo, hi Bound, reverse bool, cols, pk []byte, fn func(cols, pk []byte) bool) error {
	r := makeRange(lo, hi)
	_, k, _ := entryKV(nil, ix.unique, cols, pk)
	if !reverse {
		// The least key above k: no other entry's key starts with k (the
		// columns are a tuple of self-delimiting elements, and a unique
		// entry's key is its columns alone).
		if start := append(k, 0); r.start == nil || bytes.Compare(start, r.start) > 0 {
			r.start = start
		}
	} else if r.end == nil || bytes.Compare(k, r.end) < 0 {
		r.end = k
	}
	if r.empty || r.start != nil && r.end != nil && bytes.Compare(r.start, r.end) >= 0 {
		return ix.checkUsable()
	}
	return ix.merged(r, reverse, func(k, v []byte) (bool, error) {
		cols, pk, err := splitEntry(ix.unique, k, v)
		if err != nil {
			return false, fmt.Errorf("%s: %w", ix.path, err)
		}
		return fn(cols, pk), nil
	})
}

// Count returns the number of entries whose columns lie between lo and hi.
// It visits every such entry.
func (ix *Index) Count(lo, hi Bound) (int64, error) {
	r := makeRange(lo, hi)
	if r.empty {
		return 0, ix.checkUsable()
	}
	var n int64
	err := ix.merged(r, false, func(k, v []byte) (bool, error) { n++; return true, nil })
	return n, err
}

func (ix *Index) checkUsable() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.usableLocked()
}

// merged calls fn for every live entry in r: the buffer as it is now merged
// over the file as it is now, buffered writes winning.
func (ix *Index) merged(r keyRange, reverse bool, fn func(k, v []byte) (bool, error)) error {
	ix.mu.Lock()
	if err := ix.usableLocked(); err != nil {
		ix.mu.Unlock()
		return err
	}
	if ix.mu.snap == nil {
		ix.mu.snap = ix.mu.buf.Clone()
	}
	buf, frozen := ix.mu.snap, ix.mu.frozen
	tx, err := ix.db.Begin(false)
	ix.mu.Unlock()
	if err != nil {
		return fmt.Errorf("blitz/index: %s: %w", ix.path, err)
	}
	defer tx.Rollback()

	mem := bufferRange(buf, frozen, r)
	c := tx.Bucket(bucketIdx).Cursor()
	var k, v []byte
	if !reverse {
		if r.start == nil {
			k, v = c.First()
		} else {
			k, v = c.Seek(r.start)
		}
	} else {
		if r.end == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(r.end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	inRange := func(k []byte) bool {
		if k == nil {
			return false
		}
		if reverse {
			return r.above(k)
		}
		return r.below(k)
	}
	i, step := 0, 1
	if reverse {
		i, step = len(mem)-1, -1
	}
	for {
		fileOK := inRange(k)
		memOK := i >= 0 && i < len(mem)
		if !fileOK && !memOK {
			return nil
		}
		var emitK, emitV []byte
		switch {
		case !memOK:
			emitK, emitV = k, v
			k, v = next(c, reverse)
		default:
			cmp := 0
			if fileOK {
				cmp = bytes.Compare(mem[i].key, k)
				if reverse {
					cmp = -cmp
				}
			} else {
				cmp = -1
			}
			if cmp > 0 {
				emitK, emitV = k, v
				k, v = next(c, reverse)
			} else {
				if cmp == 0 {
					k, v = next(c, reverse)
				}
				it := mem[i]
				i += step
				if it.del {
					continue
				}
				emitK, emitV = it.key, it.val
			}
		}
		if ok, err := fn(emitK, emitV); err != nil || !ok {
			return err
		}
	}
}

func next(c *bolt.Cursor, reverse bool) ([]byte, []byte) {
	if reverse {
		return c.Prev()
	}
	return c.Next()
}

// bufferRange returns the buffered writes in r in key order, those of buf
// replacing those of frozen for the same key.
func bufferRange(buf, frozen *btree.BTreeG[item], r keyRange) []item {
	collect := func(t *btree.BTreeG[item]) []item {
		var out []item
		if t == nil {
			return nil
		}
		add := func(it item) bool { out = append(out, it); return true }
		switch {
		case r.start == nil && r.end == nil:
			t.Ascend(add)
		case r.end == nil:
			t.AscendGreaterOrEqual(item{key: r.start}, add)
		case r.start == nil:
			t.AscendLessThan(item{key: r.end}, add)
		default:
			t.AscendRange(item{key: r.start}, item{key: r.end}, add)
		}
		return out
	}
	a, b := collect(frozen), collect(buf)
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]item, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch c := bytes.Compare(a[0].key, b[0].key); {
		case c < 0:
			out, a = append(out, a[0]), a[1:]
		case c > 0:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, b[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// Has reports whether the index holds the entry (cols, pk), reading only
// that entry: Lookup visits every entry with cols, which for a non-unique
// index with many equal values is a long walk per row (CHECK TABLE asks
// for each row's entry).
func (ix *Index) Has(cols, pk []byte) (bool, error) {
	_, k, v := entryKV(nil, ix.unique, cols, pk)
	r := keyRange{start: k, end: append(append([]byte(nil), k...), 0)}
	found := false
	err := ix.merged(r, false, func(ek, ev []byte) (bool, error) {
		found = bytes.Equal(ek, k) && bytes.Equal(ev, v)
		return false, nil
	})
	return found, err
}
