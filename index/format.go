package index

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/blitzdb/blitz/internal/keyenc"
)

// An index file is a bbolt database with two buckets:
//
//	"idx"   the entries, one bbolt key/value per index entry
//	"meta"  "stamp" -> generation (8B LE) of the data file this file matches;
//	        present only after a clean Close or a Build
//
// Entry layout (cols and pk are keyenc tuples):
//
//	unique index, cols without NULL:   key = cols        value = pk
//	any other entry:                   key = cols ‖ pk   value = uvarint(len(pk))
//
// so that bbolt's key order is (cols, pk) order, a unique index can find the
// owner of cols with one Get, and rows whose unique columns hold NULL (which
// SQL lets repeat) still get one entry each. Because keyenc tuples are
// self-delimiting, a range on cols is the same range on bbolt keys.
//
// Bulk loading writes the bbolt file itself, page by page (see loader): bbolt
// version 2 pages in the platform's byte order, the order bbolt reads them
// in. That layout is bbolt's, not ours; tests open every built file with
// bbolt and run its consistency check.
//
// The bucket names and the stamp key are part of the format and must not
// change.
var (
	bucketIdx  = []byte("idx")
	bucketMeta = []byte("meta")
	keyStamp   = []byte("stamp")
)

// MaxKeySize is bbolt's limit on a key: the longest (columns, primary
// key) entry an index can hold.
const MaxKeySize = 32768

// entryKV returns the bbolt key and value of the entry (cols, pk), appended
// to buf (which it may grow), as two subslices of the result.
func entryKV(buf []byte, unique bool, cols, pk []byte) (all, k, v []byte) {
	buf, klen, _ := appendEntryKV(buf[:0], unique, cols, pk)
	return buf, buf[:klen], buf[klen:]
}

// appendEntryKV appends the bbolt key and then the value of the entry
// (cols, pk) to buf and returns it and their lengths.
func appendEntryKV(buf []byte, unique bool, cols, pk []byte) (_ []byte, klen, vlen int) {
	n := len(buf)
	buf = append(append(buf, cols...), pk...)
	if unique && !keyenc.HasNull(cols) {
		return buf, len(cols), len(pk)
	}
	klen = len(buf) - n
	buf = binary.AppendUvarint(buf, uint64(len(pk)))
	return buf, klen, len(buf) - n - klen
}

// splitEntry returns the columns and primary key of a stored entry. It
// returns an error, never panics, on a malformed value.
func splitEntry(unique bool, k, v []byte) (cols, pk []byte, err error) {
	if unique && !keyenc.HasNull(k) {
		return k, v, nil
	}
	n, w := binary.Uvarint(v)
	if w <= 0 || w != len(v) || n > uint64(len(k)) {
		return nil, nil, fmt.Errorf("blitz/index: malformed entry value %x for key %x", v, k)
	}
	return k[:len(k)-int(n)], k[len(k)-int(n):], nil
}

// bbolt on-disk constants (bbolt's internal/common, format version 2).
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	elemSize         = 16 // leaf and branch element headers alike
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	bucketLeafFlag   = 0x01
	pgidNoFreelist   = ^uint64(0)
	metaChecksumSpan = 56 // meta bytes the checksum covers
)

var ne = binary.NativeEndian // bbolt's byte order

// boltMeta is the part of a bbolt meta page this package reads and writes.
type boltMeta struct {
	pageSize uint32
	root     uint64 // root bucket's root page
	pgid     uint64 // high water mark: pages in use
	txid     uint64
}

func (m *boltMeta) encode(p []byte, id uint64) {
	ne.PutUint64(p[0:], id)
	ne.PutUint16(p[8:], metaPageFlag)
	b := p[pageHeaderSize:]
	ne.PutUint32(b[0:], boltMagic)
	ne.PutUint32(b[4:], boltVersion)
	ne.PutUint32(b[8:], m.pageSize)
	ne.PutUint32(b[12:], 0)
	ne.PutUint64(b[16:], m.root)
	ne.PutUint64(b[24:], 0)
	ne.PutUint64(b[32:], pgidNoFreelist)
	ne.PutUint64(b[40:], m.pgid)
	ne.PutUint64(b[48:], m.txid)
	h := fnv.New64a()
	h.Write(b[:metaChecksumSpan])
	ne.PutUint64(b[metaChecksumSpan:], h.Sum64())
}

func decodeMeta(p []byte) (boltMeta, bool) {
	if len(p) < pageHeaderSize+metaChecksumSpan+8 {
		return boltMeta{}, false
	}
	b := p[pageHeaderSize:]
	h := fnv.New64a()
	h.Write(b[:metaChecksumSpan])
	if ne.Uint32(b[0:]) != boltMagic || ne.Uint32(b[4:]) != boltVersion || ne.Uint64(b[metaChecksumSpan:]) != h.Sum64() {
		return boltMeta{}, false
	}
	m := boltMeta{pageSize: ne.Uint32(b[8:]), root: ne.Uint64(b[16:]), pgid: ne.Uint64(b[40:]), txid: ne.Uint64(b[48:])}
	if m.pageSize < 1024 || m.pageSize > 1<<24 || m.pageSize&(m.pageSize-1) != 0 || m.root >= m.pgid || m.pgid < 2 {
		return boltMeta{}, false
	}
	return m, true
}

// checkFile reads the two meta pages of a bbolt file and checks that the
// newest valid one describes a file no larger than the one on disk, so that
// bbolt never maps pages past the end of a truncated file. It returns an
// error describing the damage.
func checkFile(r io.ReaderAt, size int64) error {
	var best boltMeta
	found := false
	buf := make([]byte, 4096)
	if n, _ := r.ReadAt(buf, 0); n == len(buf) {
		if m, ok := decodeMeta(buf); ok {
			best, found = m, true
		}
	}
	// The second meta page sits one page in; its size is what the first
	// says, or (if the first is damaged) one of the sizes bbolt tries.
	offsets := []int64{4096}
	if found {
		offsets = []int64{int64(best.pageSize)}
	} else {
		for ps := int64(1024); ps <= 1<<24; ps <<= 1 {
			offsets = append(offsets, ps)
		}
	}
	for _, off := range offsets {
		if n, _ := r.ReadAt(buf, off); n < pageHeaderSize+metaChecksumSpan+8 {
			continue
		}
		if m, ok := decodeMeta(buf); ok && int64(m.pageSize) == off && (!found || m.txid > best.txid) {
			best, found = m, true
		}
	}
	if !found {
		return fmt.Errorf("no valid bbolt meta page")
	}
	if need := int64(best.pgid) * int64(best.pageSize); size < need {
		return fmt.Errorf("file is %d bytes, its meta page needs %d (truncated)", size, need)
	}
	return nil
}

// loader writes a bbolt file from entries given in strictly increasing key
// order: full leaf pages written sequentially, then the branch levels, the
// meta bucket, the root bucket and the two meta pages. It is the bulk-load
// path of Build; bbolt itself takes over for later writes.
type loader struct {
	out      *pageWriter // sequential writes from page 2 on
	pageSize int
	next     uint64 // next free page id

	// Pages are built in place in buf and handed to out in large writes,
	// so each byte is copied once on its way to the file.
	buf []byte

	// the leaf page being filled
	elems []byte // element headers, elemSize each, pos fixed up on flush
	data  []byte // keys and values
	count int
	first []byte // first key of the current page

	children []child // pages of the level being built
}

// loaderBuf is how many bytes of pages loader gathers before writing them.
const loaderBuf = 1 << 20

type child struct {
	key  []byte
	pgid uint64
}

func newLoader(out *pageWriter, pageSize int) *loader {
	return &loader{out: out, pageSize: pageSize, next: 2, buf: make([]byte, 0, loaderBuf+pageSize)}
}

// pageWriter writes the loader's buffers to a file on a goroutine of its
// own, so that the file system's copy of one buffer overlaps the building
// of the next (two buffers circulate). It takes the CRC32C of all it
// writes, while the buffer is still in cache, so that Build never reads
// the file back to checksum it.
type pageWriter struct {
	w    io.Writer
	off  int64 // file offset of the first byte written
	in   chan []byte
	free chan []byte
	done chan struct{}
	crc  uint32
	n    int64
	err  error // the first write error; read after close
}

// writebackEvery is how many bytes pageWriter writes between two requests
// to the kernel to start writing them back.
const writebackEvery = 8 << 20

// newPageWriter returns a pageWriter writing to w, whose first byte goes at
// offset off of the file (if w is one).
func newPageWriter(w io.Writer, off int64) *pageWriter {
	pw := &pageWriter{w: w, off: off, in: make(chan []byte, 1), free: make(chan []byte, 2), done: make(chan struct{})}
	pw.free <- make([]byte, 0, loaderBuf+os.Getpagesize())
	f, _ := w.(*os.File)
	go func() {
		defer close(pw.done)
		var flushed int64 // bytes whose writeback was started
		for b := range pw.in {
			if pw.err == nil {
				pw.crc = crc32.Update(pw.crc, castagnoli, b)
				pw.n += int64(len(b))
				_, pw.err = pw.w.Write(b)
			}
			if f != nil && pw.err == nil && pw.n-flushed >= writebackEvery {
				// Start writing these pages back now, without waiting:
				// the fsync at the end of the build (which took as long
				// as building the pages of a 60 MB file on the bench)
				// then has little left to do. Only a hint: its error, if
				// any, is the fsync's to report.
				unix.SyncFileRange(int(f.Fd()), pw.off+flushed, pw.n-flushed, unix.SYNC_FILE_RANGE_WRITE)
				flushed = pw.n
			}
			pw.free <- b[:0]
		}
	}()
	return pw
}

// put queues b for writing and returns an empty buffer to fill next.
func (pw *pageWriter) put(b []byte) []byte {
	pw.in <- b
	return <-pw.free
}

// close waits for the queued writes and returns the CRC32C and length of
// what was written, or the first error. It may be called more than once.
func (pw *pageWriter) close() (crc uint32, n int64, err error) {
	select {
	case <-pw.done:
	default:
		close(pw.in)
		<-pw.done
	}
	return pw.crc, pw.n, pw.err
}

// add appends one entry; keys must increase strictly.
func (l *loader) add(k, v []byte, flags uint32) {
	need := elemSize + len(k) + len(v)
	if l.count > 0 && pageHeaderSize+len(l.elems)+len(l.data)+need > l.pageSize {
		l.flushLeaf(leafPageFlag)
	}
	if l.count == 0 {
		l.first = append(l.first[:0], k...)
	}
	var e [elemSize]byte
	ne.PutUint32(e[0:], flags)
	ne.PutUint32(e[4:], uint32(len(l.data))) // offset into data; fixed on flush
	ne.PutUint32(e[8:], uint32(len(k)))
	ne.PutUint32(e[12:], uint32(len(v)))
	l.elems = append(l.elems, e[:]...)
	l.data = append(append(l.data, k...), v...)
	l.count++
}

// flushLeaf writes the page being filled (even an empty one) and records it
// as a child of the level above.
func (l *loader) flushLeaf(flags uint16) {
	size := pageHeaderSize + len(l.elems) + len(l.data)
	npages := (size + l.pageSize - 1) / l.pageSize
	if npages == 0 {
		npages = 1
	}
	at := len(l.buf)
	l.buf = slices.Grow(l.buf, npages*l.pageSize)[:at+npages*l.pageSize]
	p := l.buf[at:]
	clear(p)
	id := l.next
	ne.PutUint64(p[0:], id)
	ne.PutUint16(p[8:], flags)
	ne.PutUint16(p[10:], uint16(l.count))
	ne.PutUint32(p[12:], uint32(npages-1))
	copy(p[pageHeaderSize:], l.elems)
	copy(p[pageHeaderSize+len(l.elems):], l.data)
	// pos is relative to the element's own address.
	for i := 0; i < l.count; i++ {
		e := p[pageHeaderSize+i*elemSize:]
		off := 4
		if flags == branchPageFlag {
			off = 0
		}
		dataOff := ne.Uint32(e[off:])
		ne.PutUint32(e[off:], uint32((l.count-i)*elemSize)+dataOff)
	}
	if len(l.buf) >= loaderBuf {
		l.flush()
	}
	l.next += uint64(npages)
	l.children = append(l.children, child{key: append([]byte(nil), l.first...), pgid: id})
	l.elems, l.data, l.count = l.elems[:0], l.data[:0], 0
}

// flush writes the pages gathered in buf.
func (l *loader) flush() {
	if len(l.buf) > 0 {
		l.buf = l.out.put(l.buf)
	}
}

// finishTree writes the pending leaf and the branch levels above the leaves
// and returns the root page of the tree.
func (l *loader) finishTree() uint64 {
	if l.count > 0 || len(l.children) == 0 {
		l.flushLeaf(leafPageFlag)
	}
	for len(l.children) > 1 {
		level := l.children
		l.children = nil
		for _, c := range level {
			// A branch page takes at least two children, overflowing
			// the page size when their keys are long (as bbolt's own
			// splits never leave fewer than two keys a node): with one,
			// keys of more than half a page would give every level as
			// many pages as the one below, and the loop would not end.
			need := elemSize + len(c.key)
			if l.count >= 2 && pageHeaderSize+len(l.elems)+len(l.data)+need > l.pageSize {
				l.flushLeaf(branchPageFlag)
			}
			if l.count == 0 {
				l.first = append(l.first[:0], c.key...)
			}
			var e [elemSize]byte
			ne.PutUint32(e[0:], uint32(len(l.data)))
			ne.PutUint32(e[4:], uint32(len(c.key)))
			ne.PutUint64(e[8:], c.pgid)
			l.elems = append(l.elems, e[:]...)
			l.data = append(l.data, c.key...)
			l.count++
		}
		l.flushLeaf(branchPageFlag)
	}
	root := l.children[0].pgid
	l.children = l.children[:0]
	return root
}

// finish writes the entries tree's companions (meta bucket with the stamp,
// root bucket) and returns the meta to write on pages 0 and 1.
func (l *loader) finish(stamp uint64) boltMeta {
	idxRoot := l.finishTree()
	var v [8]byte
	ne.PutUint64(v[:], stamp)
	l.add(keyStamp, v[:], 0)
	metaRoot := l.finishTree()
	var b1, b2 [16]byte
	ne.PutUint64(b1[:], idxRoot)
	ne.PutUint64(b2[:], metaRoot)
	if bytes.Compare(bucketIdx, bucketMeta) >= 0 {
		panic("bucket names out of order")
	}
	l.add(bucketIdx, b1[:], bucketLeafFlag)
	l.add(bucketMeta, b2[:], bucketLeafFlag)
	root := l.finishTree()
	l.flush()
	return boltMeta{pageSize: uint32(l.pageSize), root: root, pgid: l.next, txid: 3}
}

// metaPages returns the two meta pages for m.
func metaPages(m boltMeta) []byte {
	p := make([]byte, 2*int(m.pageSize))
	m0 := m
	m0.txid = m.txid - 1
	m0.encode(p, 0)
	m.encode(p[m.pageSize:], 1)
	return p
}
