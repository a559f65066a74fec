// Package index keeps blitz's secondary indexes (and the ordered view of a
// table's primary key): one bbolt file per index, an in-memory write buffer
// merged with the file on every read, and a fast bulk rebuild.
//
// Index files are disposable: they are never fsynced in normal operation,
// and a stamp written by a clean Close ties a file to one generation of its
// table's data file. Open refuses (ErrStale) any file that is missing,
// damaged or not stamped with the generation asked for; the caller then
// rebuilds it with Build from one scan of the data file.
//
// Keys are keyenc tuples: cols is the encoded column tuple of an entry and
// pk the encoded primary key. Both must be well-formed keyenc tuples (they
// must be self-delimiting for ranges and prefixes to work).
//
// # Concurrency
//
// An Index is safe for concurrent use by many readers (Lookup, Scan, Count)
// and writers (Insert, Delete, Flush); writes are serialised internally, so
// the intended use is one writer at a time. Each read sees one consistent
// state of the index: the write buffer as it was when the read started,
// merged with the file as it was then (a read holds a bbolt read
// transaction). A read's callback must not call methods of the same Index:
// bbolt may need to remap the file, which waits for every open read.
//
// Lock order: flushMu, then wmu, then mu.
package index

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/blitzdb/blitz/internal/keyenc"
	"github.com/google/btree"
	bolt "go.etcd.io/bbolt"
)

// Options configures an open Index. The zero value is a sensible default.
type Options struct {
	// Unique makes the index unique: Insert refuses a second primary key for
	// the same columns, unless the columns hold a NULL. It must match the
	// Unique the file was built or created with.
	Unique bool

	// BufferBytes bounds the memory of the write buffer (keys, values and an
	// estimate of the tree's overhead). A write that fills it flushes the
	// buffer to the file first. 0 means 32 MiB.
	BufferBytes int

	// FlushInterval is how often a background goroutine flushes buffered
	// writes to the file. 0 means one second; a negative value disables the
	// background flush (writes then reach the file when the buffer fills, on
	// Flush and on Close).
	FlushInterval time.Duration
}

const (
	defaultBufferBytes   = 32 << 20
	defaultFlushInterval = time.Second
	itemOverhead         = 64 // buffer bytes charged per entry beyond key and value
	initialMmapSize      = 256 << 20
	minAllocSize         = 1 << 20  // see openBoltFile
	maxAllocSize         = 64 << 20 // see openBoltFile
	// backlogFactor: while flushes fail (a full disk), the buffer takes
	// writes up to this many times BufferBytes before refusing them.
	backlogFactor = 4
)

// item is one buffered write: an entry to put, or a tombstone.
type item struct {
	key, val []byte
	del      bool
}

func itemLess(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 }

func newBuffer() *btree.BTreeG[item] { return btree.NewG(32, itemLess) }

// Index is an open index file. See the package comment for concurrency.
type Index struct {
	path   string
	unique bool
	limit  int
	db     *bolt.DB

	flushMu sync.Mutex // serialises flushes; held across the bbolt commit
	wmu     sync.Mutex // serialises writers and freezing the buffer

	mu struct {
		sync.Mutex                     // protects the following fields
		buf        *btree.BTreeG[item] // writes not yet flushed; mutated by writers
		snap       *btree.BTreeG[item] // read-only clone of buf for readers; nil after a write
		frozen     *btree.BTreeG[item] // writes being flushed; read-only
		bufBytes   int
		closed     bool
		// flushErr is why the last flush failed (nil after one that
		// worked): its writes went back into buf, and a full buffer
		// takes writes up to backlogFactor times its size meanwhile.
		flushErr error
	}

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}

	// stamped is set while the file on disk still carries the valid stamp
	// it was opened with (stamp): Open leaves it there and the first flush
	// removes it, in the same bbolt transaction as the first change. A
	// session that changes nothing then closes without rewriting the file
	// or its checksum. Guarded by flushMu.
	stamped bool
	stamp   uint64
}

func boltOptions() *bolt.Options {
	return &bolt.Options{
		Timeout:         time.Second,
		NoSync:          true,
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: initialMmapSize,
	}
}

// Open opens an existing index file for reads and writes. It returns an error
// satisfying errors.Is(err, ErrStale) if the file is missing, damaged (not a
// bbolt file, truncated, without its buckets) or not stamped with stamp;
// the caller then rebuilds it (Build) and opens it again.
//
// Open clears the stamp, durably (one fsync), before it returns: from then
// on the file is valid again only after a clean Close, so a crash at any
// point leaves a file the next Open refuses.
func Open(path string, stamp uint64, o Options) (*Index, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s: missing", ErrStale, path)
		}
		return nil, fmt.Errorf("blitz/index: open %s: %w", path, err)
	}
	if err := verifySum(path); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStale, path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("blitz/index: open %s: %w", path, err)
	}
	err = checkFile(f, fi.Size())
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrStale, path, err)
	}
	db, err := openBolt(path)
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("blitz/index: open %s: in use by another process: %w", path, err)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrStale, path, err)
	}
	if err := checkStamp(db, stamp); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrStale, path, err)
	}
	// The stamp stays until the first change (see Index.stamped): the
	// engine never trusts an index file of a data file that was not closed
	// cleanly, stamp or no stamp, so it need not be cleared at open.
	ix := newIndex(path, db, o)
	ix.stamped, ix.stamp = true, stamp
	return ix, nil
}

// openBolt opens a bbolt file that checkFile accepted, turning a panic or a
// memory fault on damaged pages into an error.
func openBolt(path string) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("damaged file: %v", r)
		}
	}()
	return openBoltFile(path)
}

// openBoltFile opens (or creates) the bbolt file at path with the index's
// options and sets its growth step: bbolt's default grows any file whose
// mapping is larger than 16 MiB (ours starts at 256 MiB) by 16 MiB at a
// time, which made the index of a four-row table a 16 MiB file, read
// whole at every clean close for its checksum. The step is a quarter of
// the file's size, between 1 and 64 MiB.
func openBoltFile(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o644, boltOptions())
	if err != nil {
		return nil, err
	}
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	db.AllocSize = int(min(max(size/4, minAllocSize), maxAllocSize))
	return db, nil
}

// checkStamp reports why db is not stamped with stamp, or nil if it is.
func checkStamp(db *bolt.DB, stamp uint64) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("damaged file: %v", r)
		}
	}()
	return db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketIdx) == nil {
			return errors.New("no entries bucket")
		}
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return errors.New("no meta bucket")
		}
		v := m.Get(keyStamp)
		switch {
		case v == nil:
			return errors.New("not stamped (not closed cleanly)")
		case len(v) != 8:
			return fmt.Errorf("malformed stamp %x", v)
		case binary.NativeEndian.Uint64(v) != stamp:
			return fmt.Errorf("stamped %d, want %d", binary.NativeEndian.Uint64(v), stamp)
		}
		return nil
	})
}

// Create creates a new, empty index file at path, replacing any file there.
// The new file carries no stamp until Close.
func Create(path string, o Options) (*Index, error) {
	if err := os.Remove(SumPath(path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blitz/index: create %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blitz/index: create %s: %w", path, err)
	}
	db, err := openBoltFile(path)
	if err != nil {
		return nil, fmt.Errorf("blitz/index: create %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket(bucketIdx); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketMeta)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("blitz/index: create %s: %w", path, err)
	}
	return newIndex(path, db, o), nil
}

func newIndex(path string, db *bolt.DB, o Options) *Index {
	ix := &Index{path: path, unique: o.Unique, limit: o.BufferBytes, db: db}
	if ix.limit <= 0 {
		ix.limit = defaultBufferBytes
	}
	ix.mu.buf = newBuffer()
	interval := o.FlushInterval
	if interval == 0 {
		interval = defaultFlushInterval
	}
	ix.stop, ix.done = make(chan struct{}), make(chan struct{})
	if interval < 0 {
		close(ix.done)
		return ix
	}
	go ix.flusher(interval)
	return ix
}

// flusher flushes the buffer every interval until stop is closed. A failed
// flush is retried at the next tick.
func (ix *Index) flusher(interval time.Duration) {
	defer close(ix.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ix.stop:
			return
		case <-t.C:
			_ = ix.Flush()
		}
	}
}

func (ix *Index) stopFlusher() {
	ix.stopOnce.Do(func() { close(ix.stop) })
	<-ix.done
}

// Path returns the file of the index.
func (ix *Index) Path() string { return ix.path }

// usableLocked returns ErrClosed after Close or Abandon. ix.mu must be held.
func (ix *Index) usableLocked() error {
	if ix.mu.closed {
		return ErrClosed
	}
	return nil
}

// Insert adds the entry (cols, pk). Adding an entry that is already there
// does nothing. A write that fills the buffer flushes it; if that flush
// fails the write stays buffered and Insert still succeeds, but once the
// buffer holds backlogFactor times its size it refuses writes with the
// flush's error (ErrBacklog). On a unique index it returns a *DuplicateError (errors.Is
// ErrDuplicate) if another primary key has cols, whether that entry is
// buffered or in the file; entries whose cols hold a NULL are exempt. The
// index keeps its own copies of cols and pk.
func (ix *Index) Insert(cols, pk []byte) error {
	return ix.writeFlush(cols, pk, false)
}

// Delete removes the entry (cols, pk). Deleting an entry that is not there
// does nothing; on a unique index, the entry under cols is removed only if
// it belongs to pk.
func (ix *Index) Delete(cols, pk []byte) error {
	return ix.writeFlush(cols, pk, true)
}

// writeFlush is Insert (del false) and Delete.
func (ix *Index) writeFlush(cols, pk []byte, del bool) error {
	full, err := ix.write(cols, pk, del)
	if errors.Is(err, ErrBacklog) && ix.Flush() == nil {
		full, err = ix.write(cols, pk, del) // space came back
	}
	if err == nil && full {
		ix.Flush() // on failure the write is still buffered; see write
	}
	return err
}

// write buffers one insert or delete and reports whether the buffer is full.
func (ix *Index) write(cols, pk []byte, del bool) (bool, error) {
	_, k, v := entryKV(make([]byte, 0, len(cols)+len(pk)+2), ix.unique, cols, pk)
	if len(k) > MaxKeySize {
		return false, fmt.Errorf("%w: %d bytes (limit %d)", ErrKeyTooLarge, len(k), MaxKeySize)
	}
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	if ix.unique && !keyenc.HasNull(cols) { // keyed by cols alone: check the owner
		owner, found, err := ix.get(k)
		if err != nil {
			return false, err
		}
		switch {
		case !del && found && bytes.Equal(owner, pk):
			return false, nil
		case !del && found:
			return false, &DuplicateError{Index: ix.path, Cols: k, PK: v, OtherPK: owner}
		case del && (!found || !bytes.Equal(owner, pk)):
			return false, nil
		}
	}
	it := item{key: k, val: v, del: del}
	if del {
		it.val = nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.usableLocked(); err != nil {
		return false, err
	}
	if ix.mu.flushErr != nil && ix.mu.bufBytes >= backlogFactor*ix.limit {
		return false, fmt.Errorf("%w: %s: %d bytes of writes wait for a flush, which failed: %w", ErrBacklog, ix.path, ix.mu.bufBytes, ix.mu.flushErr)
	}
	if old, ok := ix.mu.buf.ReplaceOrInsert(it); ok {
		ix.mu.bufBytes -= len(old.key) + len(old.val) + itemOverhead
	}
	ix.mu.bufBytes += len(it.key) + len(it.val) + itemOverhead
	ix.mu.snap = nil
	return ix.mu.bufBytes >= ix.limit, nil
}

// get returns the value stored under key, looking at the buffer, the part
// being flushed and the file, newest first. The returned slice is a copy.
func (ix *Index) get(key []byte) (val []byte, found bool, err error) {
	ix.mu.Lock()
	if err := ix.usableLocked(); err != nil {
		ix.mu.Unlock()
		return nil, false, err
	}
	for _, t := range []*btree.BTreeG[item]{ix.mu.buf, ix.mu.frozen} {
		if t == nil {
			continue
		}
		if it, ok := t.Get(item{key: key}); ok {
			ix.mu.Unlock()
			return it.val, !it.del, nil
		}
	}
	tx, err := ix.db.Begin(false)
	ix.mu.Unlock()
	if err != nil {
		return nil, false, fmt.Errorf("blitz/index: %s: %w", ix.path, err)
	}
	defer tx.Rollback()
	v := tx.Bucket(bucketIdx).Get(key)
	if v == nil {
		return nil, false, nil
	}
	return append([]byte(nil), v...), true, nil
}

// Flush writes every buffered insert and delete to the file in one bbolt
// transaction (not synced: index files are synced only at Close). Reads go on
// meanwhile, and so do writes, into a fresh buffer. A failed flush (a full
// disk) changes nothing in the file, since its bbolt transaction rolls back,
// and puts its writes back into the buffer, so that the next flush retries
// them: reads and writes go on as before.
func (ix *Index) Flush() error {
	ix.flushMu.Lock()
	defer ix.flushMu.Unlock()
	ix.wmu.Lock()
	frozen, err := ix.freeze()
	ix.wmu.Unlock()
	if err != nil || frozen == nil {
		return err
	}
	return ix.commit(frozen)
}

// freeze moves the buffer aside for a flush and returns it, or nil if it is
// empty. ix.flushMu and ix.wmu must be held.
func (ix *Index) freeze() (*btree.BTreeG[item], error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if err := ix.usableLocked(); err != nil {
		return nil, err
	}
	if ix.mu.buf.Len() == 0 {
		return nil, nil
	}
	f := ix.mu.buf
	ix.mu.frozen, ix.mu.buf, ix.mu.snap, ix.mu.bufBytes = f, newBuffer(), nil, 0
	return f, nil
}

// commit writes a frozen buffer to the file. ix.flushMu must be held.
func (ix *Index) commit(frozen *btree.BTreeG[item]) error {
	err := ix.db.Update(func(tx *bolt.Tx) error {
		if ix.stamped {
			// The first change: the stamp goes with it.
			if err := tx.Bucket(bucketMeta).Delete(keyStamp); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketIdx)
		var err error
		frozen.Ascend(func(it item) bool {
			if it.del {
				err = b.Delete(it.key)
			} else {
				err = b.Put(it.key, it.val)
			}
			return err == nil
		})
		return err
	})
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.mu.flushErr = err
	if err != nil {
		// Writes made since the freeze are newer than the frozen ones
		// for the same key and keep their place.
		frozen.Ascend(func(it item) bool {
			if !ix.mu.buf.Has(it) {
				ix.mu.buf.ReplaceOrInsert(it)
				ix.mu.bufBytes += len(it.key) + len(it.val) + itemOverhead
			}
			return true
		})
		ix.mu.frozen, ix.mu.snap = nil, nil
		return fmt.Errorf("blitz/index: flush %s: %w", ix.path, err)
	}
	ix.mu.frozen = nil
	ix.stamped = false
	return nil
}

// Close flushes the buffer, syncs the file and stamps it with stamp, the
// generation of the data file it now matches: a clean close, after which
// Open(path, stamp) accepts the file. If the flush fails the file is closed
// unstamped and the error returned.
func (ix *Index) Close(stamp uint64) error {
	ix.stopFlusher()
	ix.flushMu.Lock()
	defer ix.flushMu.Unlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	frozen, err := ix.freeze()
	if errors.Is(err, ErrClosed) {
		return err
	}
	if err == nil && frozen != nil {
		err = ix.commit(frozen)
	}
	if err == nil && ix.stamped && ix.stamp == stamp {
		// Nothing changed since Open and the data file kept its
		// generation: the file, its stamp and its checksum stand as they
		// are.
		ix.mu.Lock()
		ix.mu.closed = true
		ix.mu.Unlock()
		if err := ix.db.Close(); err != nil {
			return fmt.Errorf("blitz/index: close %s: %w", ix.path, err)
		}
		return nil
	}
	if err == nil {
		err = ix.db.Sync()
	}
	if err == nil {
		// The stamp goes in a synced transaction of its own, after every
		// page it vouches for is on disk.
		ix.db.NoSync = false
		err = ix.db.Update(func(tx *bolt.Tx) error {
			var v [8]byte
			binary.NativeEndian.PutUint64(v[:], stamp)
			return tx.Bucket(bucketMeta).Put(keyStamp, v[:])
		})
	}
	ix.mu.Lock()
	ix.mu.closed = true
	ix.mu.Unlock()
	if cerr := ix.db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = writeSum(ix.path)
	}
	if err != nil {
		return fmt.Errorf("blitz/index: close %s: %w", ix.path, err)
	}
	return nil
}

// Abandon closes the index without flushing or stamping it: buffered writes
// are dropped and the file must be rebuilt before it is used again.
func (ix *Index) Abandon() error {
	ix.stopFlusher()
	ix.flushMu.Lock()
	defer ix.flushMu.Unlock()
	ix.wmu.Lock()
	defer ix.wmu.Unlock()
	ix.mu.Lock()
	if ix.mu.closed {
		ix.mu.Unlock()
		return ErrClosed
	}
	ix.mu.closed = true
	ix.mu.Unlock()
	if ix.stamped {
		// Still stamped (nothing was flushed): take the stamp away, so
		// that the file is rebuilt before it is used again as promised,
		// even if the data file keeps its generation.
		err := ix.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyStamp) })
		if err == nil {
			err = ix.db.Sync()
		}
		ix.stamped = false
		if err != nil {
			ix.db.Close()
			return fmt.Errorf("blitz/index: abandon %s: clear stamp: %w", ix.path, err)
		}
	}
	return ix.db.Close()
}
