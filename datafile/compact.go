package datafile

import (
	"sync/atomic"

	"github.com/blitzdb/blitz/internal/vfs"
	"golang.org/x/sys/unix"
)

// writeChunk is how many bytes of records compactWriter gathers before it
// writes them: large enough that the system-call cost vanishes, small
// enough to stay in the processor's cache while it is filled and copied.
const writeChunk = 1 << 20

// compactWriter writes a new, compact data file front to back, for Optimize
// and Salvage: the header page, the bucket block right after it, then every
// record appended in order, with no free space.
//
// It does not go through a mapping of the new file. Writing a fresh file
// through a shared mapping costs a page fault (and, on most filesystems, a
// page_mkwrite call) for every 4 KiB page, and the bucket array would be
// written twice (cleared, then each chain head rewritten in random order).
// Instead the records are gathered in a buffer and written with large
// sequential WriteAt calls, and the bucket array lives in memory until the
// end: since records are only appended, a record's chain link is known when
// it is appended (the bucket's current head), so each record is written
// once, complete, and the bucket array once, at the end.
//
// The file becomes a data file only at finish, which syncs the records and
// the bucket block, then writes the header page and syncs again: until then
// it has no valid header, so an interrupted rewrite can never be mistaken
// for a sound file. A private file (Optimize's temporary, which nobody
// opens and which becomes the data file only when renamed after finish)
// gets one sync for everything.
type compactWriter struct {
	f       vfs.File
	nb      uint64
	bucket  []byte // the bucket block: block header, then nb little-endian chain heads
	buf     []byte // records not yet written; buf[0] goes at file offset bufOff
	bufOff  int64
	tail    int64 // end of the last record appended
	records uint64
	hinted  int64  // end of the range the last writeback hint covered (writer goroutine only)
	sink    uint64 // see addBatch
	private bool   // see above

	jobs   chan writeJob // to the writer goroutine (see start)
	free   chan []byte   // buffers it has written
	done   chan struct{} // closed when it exits
	werr   error         // its first error (read after done)
	failed atomic.Bool   // set with werr, to stop early
}

// scanned is a record a scan found and verified.
type scanned struct {
	off  int64  // its offset in the source
	n    int64  // its length without padding: blockHeader+klen+vlen
	hash uint64 // its key's hash
}

// batchSize is how many records addBatch and keyIndex.addBatch take at a
// time. Each record costs a read of a random chain head (or of a random
// slot of the key index): in arrays of tens of megabytes these miss every cache,
// and one at a time each would stall the processor for a full memory
// latency. Touching the heads of a whole batch first, in a loop that does
// nothing else, lets the processor have all those misses in flight at once;
// the real work then finds them in cache. The batch is small enough that
// the touching loop fits in the processor's reorder window.
const batchSize = 32

// newCompactWriter returns a writer of a new file of nb buckets to f, which
// must be empty. Its writer goroutine runs until stop (or finish).
func newCompactWriter(f vfs.File, nb uint64) *compactWriter {
	bsize := recordSize(0, int(8*nb))
	w := &compactWriter{
		f:      f,
		nb:     nb,
		bucket: make([]byte, bsize),
		buf:    make([]byte, 0, writeChunk),
		bufOff: headerPage + bsize,
		tail:   headerPage + bsize,
		hinted: headerPage + bsize,
	}
	w.start()
	return w
}

// heads returns the chain heads (the bucket block's payload).
func (w *compactWriter) heads() []byte { return w.bucket[blockHeader:] }

// addBatch appends the records of batch, blocks of the source m (see add
// and batchSize).
func (w *compactWriter) addBatch(m []byte, batch []scanned) error {
	heads := w.heads()
	var sink uint64
	for i := range batch {
		sink += le.Uint64(heads[8*bucketOf(batch[i].hash, w.nb):])
	}
	w.sink += sink // a load whose result is never used could be dropped
	for i := range batch {
		r := &batch[i]
		if err := w.add(m[r.off:r.off+r.n], r.hash); err != nil {
			return err
		}
	}
	return nil
}

// add appends the record block blk: exactly blockHeader+klen+vlen bytes of
// a record whose checksum the caller has verified, with h the hash of its
// key. The block is copied as it is (no second checksum pass: the CRC it
// carries covers every byte copied but the chain link, which the CRC does
// not cover); only a block that carries slack, or whose hash byte does not
// match its key, is rewritten and resealed.
func (w *compactWriter) add(blk []byte, h uint64) error {
	size := align16(int64(len(blk)))
	slot := 8 * bucketOf(h, w.nb)
	heads := w.heads()
	next := le.Uint64(heads[slot:])
	le.PutUint64(heads[slot:], uint64(w.tail))
	w.records++
	if size > writeChunk {
		return w.addLarge(blk, h, next)
	}
	if int64(len(w.buf))+size > int64(cap(w.buf)) {
		if err := w.flush(); err != nil {
			return err
		}
	}
	n := len(w.buf)
	w.buf = w.buf[:n+int(size)]
	b := w.buf[n:]
	copy(b, blk)
	clear(b[len(blk):]) // padding
	fixBlockHeader(b, h, next, int64(len(blk)-blockHeader))
	w.tail += size
	return nil
}

// fixBlockHeader sets the chain link of the record block in b to next, and
// resets its slack and hash byte if they are not what a compact file holds
// (resealing it then: both are under the CRC).
func fixBlockHeader(b []byte, h, next uint64, payloadLen int64) {
	le.PutUint64(b[8:], next)
	if le.Uint16(b[6:]) != 0 || b[5] != byte(h) {
		le.PutUint16(b[6:], 0)
		b[5] = byte(h)
		sealBlock(b, payloadLen)
	}
}

// addLarge writes a record larger than the buffer straight from blk, so
// that a large value is never copied into a buffer of its own size.
func (w *compactWriter) addLarge(blk []byte, h, next uint64) error {
	if err := w.flush(); err != nil {
		return err
	}
	hdr := make([]byte, blockHeader) // written later, by the writer goroutine
	copy(hdr, blk)
	if le.Uint16(hdr[6:]) != 0 || hdr[5] != byte(h) {
		// Resealing needs the whole block in one piece: a rare case
		// (slack only comes from reused space), so copy it.
		b := make([]byte, align16(int64(len(blk))))
		copy(b, blk)
		fixBlockHeader(b, h, next, int64(len(blk)-blockHeader))
		return w.write(b)
	}
	le.PutUint64(hdr[8:], next)
	if err := w.write(hdr); err != nil {
		return err
	}
	if err := w.write(blk[blockHeader:]); err != nil {
		return err
	}
	return w.write(make([]byte, align16(int64(len(blk)))-int64(len(blk))))
}

// write queues b to be written at the current end of the file (the buffer
// must be empty); b must stay unchanged until stop.
func (w *compactWriter) write(b []byte) error {
	if w.failed.Load() {
		return w.stop()
	}
	w.jobs <- writeJob{b: b, off: w.bufOff}
	w.bufOff += int64(len(b))
	w.tail = w.bufOff
	return nil
}

// flush queues the buffered records for writing and takes a free buffer.
func (w *compactWriter) flush() error {
	if w.failed.Load() {
		return w.stop()
	}
	if len(w.buf) == 0 {
		return nil
	}
	w.jobs <- writeJob{b: w.buf, off: w.bufOff, pooled: true}
	w.bufOff += int64(len(w.buf))
	w.buf = <-w.free
	return nil
}

// writeJob is a write for the writer goroutine.
type writeJob struct {
	b      []byte
	off    int64
	pooled bool // b is a buffer to hand back once written
}

// start starts the writer goroutine. The records are written by a
// goroutine of their own, from two buffers in turn, so that the system
// calls (copying into the page cache, allocating blocks) run on another
// core while the next buffer fills. stop must be called.
func (w *compactWriter) start() {
	w.jobs = make(chan writeJob, 2)
	w.free = make(chan []byte, 2)
	w.free <- make([]byte, 0, writeChunk)
	w.done = make(chan struct{})
	go func() {
		defer close(w.done)
		for j := range w.jobs {
			if w.werr == nil {
				if _, err := w.f.WriteAt(j.b, j.off); err != nil {
					w.werr = err
					w.failed.Store(true)
				} else {
					w.hintWriteback(j.off + int64(len(j.b)))
				}
			}
			if j.pooled {
				w.free <- j.b[:0]
			}
		}
	}()
}

// stop waits for the queued writes and stops the writer goroutine. It
// returns the first write error, and may be called more than once.
func (w *compactWriter) stop() error {
	if w.jobs != nil {
		close(w.jobs)
		<-w.done
		w.jobs = nil
	}
	return w.werr
}

// reset empties the file and the writer, to start over.
func (w *compactWriter) reset() error {
	if err := w.stop(); err != nil {
		return err
	}
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	clear(w.bucket)
	start := headerPage + int64(len(w.bucket))
	w.buf = w.buf[:0]
	w.bufOff, w.tail, w.hinted, w.records = start, start, start, 0
	w.start()
	return nil
}

// writebackStep is how many written bytes go by between two writeback
// hints.
const writebackStep = 8 << 20

// hintWriteback asks the kernel to start writing out what was written up
// to end, without waiting: the disk then works while the scan goes on, and
// the sync at finish waits for the last few megabytes only, instead of for
// the whole file. It is a hint (errors are ignored; the sync at finish is
// what makes the file durable), and only for files of the real filesystem.
// Only the writer goroutine calls it.
func (w *compactWriter) hintWriteback(end int64) {
	if end-w.hinted < writebackStep {
		return
	}
	if fd, ok := w.f.(interface{ Fd() uintptr }); ok {
		unix.SyncFileRange(int(fd.Fd()), w.hinted, end-w.hinted, unix.SYNC_FILE_RANGE_WRITE)
	}
	w.hinted = end
}

// finish writes the bucket block and the header page, in that order with a
// sync after each (one sync in all for a private file), making the file a cleanly closed data file with seq as
// its sequence high-water mark and flags as its header flags.
func (w *compactWriter) finish(seq uint64, flags Flags) error {
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.stop(); err != nil {
		return err
	}
	putBlockHdr(w.bucket, &blockHdr{kind: kindBuckets, vlen: uint32(8 * w.nb)})
	sealBlock(w.bucket, 0)
	if _, err := w.f.WriteAt(w.bucket, headerPage); err != nil {
		return err
	}
	if !w.private {
		// The header must not reach the disk before what it describes.
		if err := w.f.Sync(); err != nil {
			return err
		}
	}
	// Both slots get the header (counters 1 and 2), so that either sector
	// alone still opens the file; a writer's next header goes to slot 0.
	h := header{version: formatVersion, flags: flags &^ FlagOpen, counter: 1, generation: 1,
		buckets: w.nb, bucketOff: headerPage, records: w.records, tail: uint64(w.tail), seq: seq}
	page := make([]byte, headerPage)
	h.encode(page)
	h.counter = 2
	h.encode(page[headerSlot1:])
	if _, err := w.f.WriteAt(page, 0); err != nil {
		return err
	}
	return w.f.Sync()
}

// keyIndex finds earlier records of the same key during a scan that must
// keep only the newest version of each key (Salvage, and Optimize of a file
// whose writer died). It indexes the records it has seen by key hash in
// memory, pointing into the source mapping, so a lookup reads the source and
// never the file being written. Its entries list each key's newest version
// in the order keys were first seen, for writeTo: Optimize of an unclean
// file writes from it once the scan is over, and so does Salvage when a
// record superseded one it had already written.
//
// The index is an open-addressing table of 8-byte slots, each holding an
// entry number and the top bits of the key's hash: a lookup usually costs
// one cache miss, in the slot, and only a record whose tag matches (in
// practice, the same key) is compared with the source.
type keyIndex struct {
	m     []byte   // the source
	slots []uint64 // 0 = empty, else tag<<idxBits | (1 + index in ents); a power of two long
	ents  []keyEnt // the records kept, in scan order
	sink  uint64   // see addBatch
}

type keyEnt struct {
	off  int64  // the record's offset in the source
	hash uint64 // its key's hash
}

const (
	idxBits = 40 // bits of a slot for the entry number: 2^40 records is far past any file
	idxMask = 1<<idxBits - 1
)

// newKeyIndex returns an index of the records of m sized for about records
// of them (it grows if there are more).
func newKeyIndex(m []byte, records int64) *keyIndex {
	n := 1024
	for int64(n) < 2*records {
		n *= 2
	}
	return &keyIndex{m: m, slots: make([]uint64, n), ents: make([]keyEnt, 0, records)}
}

// addBatch adds the records of batch (see add and batchSize). It returns
// the records seen for the first time (batch compacted in place), how many
// records superseded an earlier version or were superseded by one, and
// whether a record superseded one seen earlier (which the caller may have
// written already).
func (x *keyIndex) addBatch(batch []scanned) (fresh []scanned, dups int64, replaced bool) {
	if 2*(len(x.ents)+len(batch)) > len(x.slots) {
		x.grow()
	}
	mask := uint64(len(x.slots) - 1)
	var sink uint64
	for i := range batch {
		sink += x.slots[batch[i].hash&mask]
	}
	x.sink += sink // a load whose result is never used could be dropped
	fresh = batch[:0]
	for _, r := range batch {
		switch x.add(r.off, r.hash) {
		case addedNew:
			fresh = append(fresh, r)
		case addedNewer:
			replaced = true
			dups++
		default:
			dups++
		}
	}
	return fresh, dups, replaced
}

// What keyIndex.add did.
const (
	addedNew   = iota // the key's first version
	addedOlder        // a version older than the one indexed: dropped
	addedNewer        // a version newer than the one indexed, which it replaced
)

// grow doubles the table (at most half full keeps the probes short).
func (x *keyIndex) grow() {
	x.slots = make([]uint64, 2*len(x.slots))
	mask := uint64(len(x.slots) - 1)
	for i, e := range x.ents {
		j := e.hash & mask
		for x.slots[j] != 0 {
			j = (j + 1) & mask
		}
		x.slots[j] = e.hash>>idxBits<<idxBits | uint64(i+1)
	}
}

// add records the verified record at off in the source, with key hash h
// (the table has room). Of two versions of a key, the one with the higher
// sequence number stays, the earlier one in scan order on a tie.
func (x *keyIndex) add(off int64, h uint64) int {
	m := x.m
	klen := int64(le.Uint32(m[off+24:]))
	key := m[off+blockHeader : off+blockHeader+klen]
	mask := uint64(len(x.slots) - 1)
	tag := h >> idxBits << idxBits
	j := h & mask
	for ; x.slots[j] != 0; j = (j + 1) & mask {
		s := x.slots[j]
		if s&^idxMask != tag {
			continue
		}
		e := &x.ents[s&idxMask-1]
		if e.hash != h || int64(le.Uint32(m[e.off+24:])) != klen ||
			string(m[e.off+blockHeader:e.off+blockHeader+klen]) != string(key) {
			continue
		}
		if le.Uint64(m[off+16:]) > le.Uint64(m[e.off+16:]) {
			e.off = off
			return addedNewer
		}
		return addedOlder
	}
	x.ents = append(x.ents, keyEnt{off: off, hash: h})
	x.slots[j] = tag | uint64(len(x.ents))
	return addedNew
}

// writeTo appends the indexed records to w in scan order (their checksums
// were verified by the scan that indexed them).
func (x *keyIndex) writeTo(w *compactWriter) error {
	x.slots = nil // no longer needed: let the collector have it
	m := x.m
	var batch [batchSize]scanned
	for i := 0; i < len(x.ents); i += batchSize {
		ents := x.ents[i:min(i+batchSize, len(x.ents))]
		for j, e := range ents {
			n := blockHeader + int64(le.Uint32(m[e.off+24:])) + int64(le.Uint32(m[e.off+28:]))
			if e.off+n > int64(len(m)) {
				// Only if the source changed under the scan (a caller
				// that took no lock): refuse rather than copy past its end.
				return &CorruptionError{Offset: e.off, Reason: "record changed during the scan"}
			}
			batch[j] = scanned{off: e.off, n: n, hash: e.hash}
		}
		if err := w.addBatch(m, batch[:len(ents)]); err != nil {
			return err
		}
	}
	return nil
}

// adviseSequential tells the kernel that m, a read-only mapping of f, is
// about to be read front to back once: read ahead aggressively and drop
// pages behind. Advice only: errors are ignored, and a file that is not a
// real file (the in-memory filesystems of the tests) gets none.
func adviseSequential(f vfs.File, m []byte) {
	if _, ok := f.(interface{ Fd() uintptr }); !ok || len(m) == 0 {
		return
	}
	unix.Madvise(m, unix.MADV_SEQUENTIAL)
}
