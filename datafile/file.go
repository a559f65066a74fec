package datafile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/blitzdb/blitz/internal/vfs"
)

// DefaultBuckets is the bucket count of a file created with Options.Buckets 0.
const DefaultBuckets = 1 << 17

// maxBuckets bounds the bucket count (the bucket block's vlen is 32 bits).
const maxBuckets = 1 << 28

// loadFactor is the records-per-bucket ratio past which Put grows the
// bucket array (unless Options.NoGrow).
const loadFactor = 4

// Options configure Open. The zero value opens (or creates) a file for
// reading and writing on the real filesystem.
type Options struct {
	// FS is the filesystem; nil means vfs.Default.
	FS vfs.FS
	// Buckets is the bucket-count hint used when creating a file; 0 means
	// DefaultBuckets. An existing file keeps its own count.
	Buckets int64
	// ReadOnly opens the file with a shared lock, for reads only; the header
	// is not touched. The file must exist.
	ReadOnly bool
	// NoLock takes no flock at all. For repair tools only: two writers on
	// one file destroy it.
	NoLock bool
	// NoGrow disables the automatic growth of the bucket array.
	NoGrow bool
	// NoSync makes Sync and Close skip fdatasync (benchmarks and bulk loads
	// that are redone after a crash, like tchtest's default). Close still
	// clears the open flag, so after a power cut such a file may claim to be
	// clean while missing data; reads then report corruption, never garbage.
	NoSync bool
	// CreateClean makes a new file start closed cleanly, trimmed to its
	// tail: FlagOpen is set at its first change, as for a file opened after
	// a clean close, so a writer that dies before changing it leaves a file
	// that is not "crashed". For files whose only changes are those made
	// through File; not for a file a log replay may owe changes to, whose
	// owner relies on FlagOpen to know that the log must be read. Without
	// it a new file is marked open from its creation.
	CreateClean bool

	// rawCrashed, for a read-only open of a file whose open flag is set,
	// skips the header's structural check (a dead writer's header is
	// stale): the handle is then only good for scanning the mapping.
	rawCrashed bool
}

// File is an open data file. It is safe for concurrent use: any number of
// Get, Iterate and Stats calls run in parallel; a write waits for them and
// excludes them while it runs, so readers never see a half-written record.
type File struct {
	path string
	fs   vfs.FS
	opts Options
	f    vfs.File
	lock io.Closer

	foundFlags Flags
	foundGen   uint64
	// badSlot is the offset of the header slot that did not verify at Open
	// while the other did, -1 if none; a writer's Open rewrote it.
	badSlot int64

	// mu protects the fields below. Readers take it shared, writers
	// exclusive; growing the mapping happens under the exclusive lock.
	mu         sync.RWMutex
	m          []byte // the mapping of the whole physical file
	hdr        header // the in-memory header; the disk copy follows at Sync and Close
	bucketBase int64  // offset of the first chain head (hdr.bucketOff + blockHeader)
	free       freePool
	// freeUnloaded: the free pool has not been read from the block
	// headers yet (a clean file with free space, opened for writing, not
	// changed since); hdr.freeBytes is then still its size.
	freeUnloaded bool
	closed       bool
	failed       error // set when a write or sync failed; writes are refused after
	dirty        bool  // written since the last sync
	changed      bool  // this writer changed the file: the generation moved on (changedLocked)
	marked       bool  // a header with FlagOpen is on disk (written at the first change, not at Open)
	allocSize    int64 // the true size of the block the last allocLocked returned

	// waitMu protects the fields below, which tell a reader holding mu
	// shared for a long time (a paced Iterate, see Contended) that a
	// writer waits for it.
	waitMu  sync.Mutex
	writers int           // writers waiting for mu
	waitCh  chan struct{} // closed while writers > 0; nil until first needed
}

// Open opens the data file at path, creating it if it is missing (unless
// o.ReadOnly). A second writer gets an error wrapping ErrLocked. After an
// unclean shutdown (FoundFlags has FlagOpen) a writer rebuilds the bucket
// chains, the record count and the free-space map by one scan of the file;
// damage found by that scan sets FlagFatal but does not stop the open.
func Open(path string, o Options) (*File, error) {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	df := &File{path: path, fs: o.FS, opts: o, badSlot: -1}
	if err := df.open(); err != nil {
		df.release()
		return nil, err
	}
	return df, nil
}

func (df *File) open() error {
	fsys, path, o := df.fs, df.path, df.opts
	created := false
	if o.ReadOnly {
		if _, err := fsys.Stat(path); err != nil {
			return fmt.Errorf("blitz/datafile: %w", err) // "stat PATH: ..."
		}
	} else if _, err := fsys.Stat(path); errors.Is(err, fs.ErrNotExist) {
		created = true
	}
	if !o.NoLock {
		l, err := fsys.Lock(path, !o.ReadOnly)
		if err != nil {
			if errors.Is(err, vfs.ErrLocked) {
				return fmt.Errorf("open %s: %w", path, ErrLocked)
			}
			return fmt.Errorf("blitz/datafile: lock %s: %w", path, err)
		}
		df.lock = l
	}
	flag := os.O_RDWR | os.O_CREATE
	if o.ReadOnly {
		flag = os.O_RDONLY
	}
	f, err := fsys.OpenFile(path, flag, 0o644)
	if err != nil {
		return fmt.Errorf("blitz/datafile: %w", err) // "open PATH: ..."
	}
	df.f = f
	size, err := f.Size()
	if err != nil {
		return err
	}
	if size == 0 {
		if o.ReadOnly {
			return &CorruptionError{File: path, Offset: 0, Reason: "empty file"}
		}
		if err := df.initLocked(); err != nil {
			if created {
				// The file this call created holds nothing (a full
				// disk failed its header or bucket array): leave
				// nothing behind for the caller to clean up.
				fsys.Remove(path)
			}
			return err
		}
		if created {
			if err := fsys.SyncDir(vfs.Dir(path)); err != nil {
				return err
			}
		}
		return nil
	}
	page := make([]byte, min(size, headerPage))
	if _, err := f.ReadAt(page, 0); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	h, ok, bad := bestHeader(page)
	df.badSlot = bad
	if !ok {
		return &CorruptionError{File: path, Offset: 0, Reason: "no valid header (not a blitz data file, or its header is destroyed)"}
	}
	if h.version != formatVersion {
		return fmt.Errorf("open %s: %w %d", path, ErrVersion, h.version)
	}
	df.hdr = h
	df.foundFlags = h.flags
	df.foundGen = h.generation
	if size < headerPage {
		return &CorruptionError{File: path, Offset: size, Reason: "file shorter than its header page"}
	}
	if df.m, err = f.Map(int(size), !o.ReadOnly); err != nil {
		return err
	}
	if o.ReadOnly {
		if o.rawCrashed && h.flags&FlagOpen != 0 {
			return nil
		}
		return df.checkHeaderLocked()
	}
	df.hdr.flags |= FlagOpen
	if h.flags&FlagOpen != 0 {
		if err := df.changedLocked(); err != nil { // the rebuild rewrites chains, gaps and counts
			return err
		}
		if err := df.rebuildLocked(); err != nil {
			return err
		}
	} else {
		if err := df.checkHeaderLocked(); err != nil {
			return err
		}
		if df.badSlot >= 0 {
			if err := df.rewriteBadSlotLocked(); err != nil {
				return err
			}
		}
		// The free pool is read from the block headers at the first
		// change (changedLocked), not here: a session that only reads
		// does not pay a pass over every block (26 ms for 1M rows).
		df.freeUnloaded = h.freeBytes > 0
	}
	if df.changed {
		return df.writeHeaderLocked()
	}
	// A file closed cleanly is left untouched until this writer first
	// changes it (changedLocked marks it open then, before the change):
	// a session that only reads neither syncs a header at open nor at
	// close, and if it dies the file is still the clean one it found.
	return nil
}

// rewriteBadSlotLocked copies the header of a file closed cleanly into
// the slot that did not verify, with the next counter, and syncs it: the
// file is as it was (still closed cleanly, same generation, so index
// files stamped with it stay valid), with both copies of its header
// again. A crash during the write leaves the good slot as it was. (A file
// found open gets both slots rewritten by its reopen's header writes.)
func (df *File) rewriteBadSlotLocked() error {
	h := df.hdr
	h.flags = df.foundFlags
	h.counter++
	if slotFor(h.counter) != df.badSlot {
		h.counter++ // keep the alternation: the next write goes to the other slot
	}
	h.encode(df.m[df.badSlot : df.badSlot+headerSize])
	if err := df.syncLocked(); err != nil {
		return fmt.Errorf("blitz/datafile: rewrite header slot at offset %d of %s: %w", df.badSlot, df.path, err)
	}
	df.hdr.counter = h.counter
	return nil
}

// initLocked lays out a new, empty file.
func (df *File) initLocked() error {
	nb := df.opts.Buckets
	if nb <= 0 {
		nb = DefaultBuckets
	}
	nb = min(nb, maxBuckets)
	df.hdr = header{version: formatVersion, flags: FlagOpen, generation: 1, tail: headerPage}
	df.changed = true // a new file: generation 1 is its own (unless CreateClean)
	if err := df.ensureLocked(headerPage + recordSize(0, int(8*nb)) + 1<<20); err != nil {
		return err
	}
	off, err := df.allocLocked(recordSize(0, int(8*nb)))
	if err != nil {
		return err
	}
	df.writeBucketBlockLocked(off, uint64(nb), uint16((df.allocSize-recordSize(0, int(8*nb)))/16))
	df.hdr.buckets, df.hdr.bucketOff = uint64(nb), uint64(off)
	df.bucketBase = off + blockHeader
	// First with FlagOpen: a crash before this sync completes leaves a
	// file that is rebuilt, not trusted.
	if err := df.writeHeaderLocked(); err != nil {
		return err
	}
	if !df.opts.CreateClean {
		return nil
	}
	// The empty file is now whole on disk: close it cleanly (trimmed to
	// its tail, FlagOpen cleared, synced) and map it again, leaving
	// FlagOpen to the first change (changedLocked), as for a file opened
	// after a clean close. A table created but never written is then not
	// "crashed" after a kill -9: nothing of it was at risk. The first
	// change also moves the generation on, so that index files stamped
	// with generation 1 stop matching it.
	if err := df.closeCleanLocked(); err != nil {
		return err
	}
	if df.m, err = df.f.Map(int(df.hdr.tail), true); err != nil {
		return err
	}
	df.hdr.flags |= FlagOpen
	df.marked, df.changed = false, false
	return nil
}

// writeBucketBlockLocked writes an empty bucket block of nb chain heads at off.
//
// The block header is built aside and copied in one piece, then the
// chain heads are cleared: the header is never zero on the way. A
// rebuild (rebuildLocked) rewrites in place the block the header on disk
// names; zeroing it first, as this did, left a window in which a kill
// -9 made the file's bucket array "not verify", so that the next open
// took the file for damaged and salvaged it instead of rebuilding it
// (found by autorecover's TestKill9DDLTorture). Chain heads a crash
// leaves half cleared are rebuilt by the next open, the open flag being
// set whenever this runs on an existing file.
func (df *File) writeBucketBlockLocked(off int64, nb uint64, slack uint16) {
	b := df.m[off : off+recordSize(0, int(8*nb))]
	var hdr [blockHeader]byte
	putBlockHdr(hdr[:], &blockHdr{kind: kindBuckets, slack: slack, vlen: uint32(8 * nb)})
	sealBlock(hdr[:], 0)
	copy(b, hdr[:])
	clear(b[blockHeader:])
}

// checkHeaderLocked checks that the header's pointers fit the file.
func (df *File) checkHeaderLocked() error {
	h := &df.hdr
	size := int64(len(df.m))
	bad := func(why string) error {
		return &CorruptionError{File: df.path, Offset: 0, Reason: "header: " + why}
	}
	if h.tail < headerPage || int64(h.tail) > size || h.tail%blockAlign != 0 {
		return bad("tail out of range")
	}
	if h.buckets == 0 || h.buckets > maxBuckets || h.bucketOff < headerPage || h.bucketOff%blockAlign != 0 ||
		int64(h.bucketOff)+recordSize(0, int(8*h.buckets)) > int64(h.tail) {
		return bad("bucket array out of range")
	}
	bh, _, why := checkBlock(df.m[h.bucketOff:h.tail])
	if why != "" || bh.kind != kindBuckets || uint64(bh.vlen) != 8*h.buckets {
		return &CorruptionError{File: df.path, Offset: int64(h.bucketOff), Reason: "bucket array block does not verify"}
	}
	df.bucketBase = int64(h.bucketOff) + blockHeader
	return nil
}

// freeBytesLocked is the size of the free pool: the header's count while
// the pool is not loaded (a reader, or a writer before its first change).
func (df *File) freeBytesLocked() uint64 {
	if df.opts.ReadOnly || df.freeUnloaded {
		return df.hdr.freeBytes
	}
	return uint64(df.free.bytes)
}

// writeHeaderLocked writes the in-memory header to the slot not written
// last and syncs the file, so that the other slot stays durable meanwhile.
func (df *File) writeHeaderLocked() error {
	df.hdr.counter++
	df.hdr.freeBytes = df.freeBytesLocked()
	off := 0
	if df.hdr.counter%2 == 0 {
		off = headerSlot1
	}
	df.hdr.encode(df.m[off : off+headerSize])
	if df.hdr.flags&FlagOpen != 0 {
		df.marked = true
	}
	return df.syncLocked()
}

func (df *File) syncLocked() error {
	df.dirty = false
	if df.opts.NoSync {
		return nil
	}
	if err := df.f.Sync(); err != nil {
		df.failed = err
		return err
	}
	return nil
}

// growSlack is the unit a data file grows by when the disk is too full
// for its usual step (ensureLocked).
const growSlack = 64 << 10

// ensureLocked makes sure the file and the mapping are at least size bytes
// long, growing the file in large preallocated steps and remapping it. A
// full disk is reported here (ENOSPC from Preallocate), never as a fault.
// When the disk has no room for the step but may have it for size (a
// nearly full disk: the step doubles the file), the file grows to size
// alone, rounded up to growSlack: the write, the checkpoint or the CREATE
// TABLE goes through instead of failing with space left for it.
func (df *File) ensureLocked(size int64) error {
	cur := int64(len(df.m))
	if size <= cur {
		return nil
	}
	n := max(size, 2*cur, 1<<20)
	if cur >= 1<<30 {
		n = max(size, cur+1<<30)
	}
	n = (n + 1<<20 - 1) &^ (1<<20 - 1)
	err := df.f.Preallocate(n)
	if least := (size + growSlack - 1) &^ (growSlack - 1); err != nil && least < n && errors.Is(err, syscall.ENOSPC) {
		n, err = least, df.f.Preallocate(least)
	}
	if err != nil {
		return fmt.Errorf("blitz/datafile: grow %s to %d bytes: %w", df.path, n, err)
	}
	if df.m != nil {
		if err := df.f.Unmap(df.m); err != nil {
			df.failed = err
			return err
		}
		df.m = nil
	}
	m, err := df.f.Map(int(n), true)
	if err != nil {
		df.failed = err
		return err
	}
	df.m = m
	return nil
}

// FoundFlags returns the header flags as found at Open, before this open
// set FlagOpen: FlagOpen here means the last writer died.
func (df *File) FoundFlags() Flags { return df.foundFlags }

// DamagedHeaderSlot returns the offset of the header slot (0 or 512) that
// did not verify at Open while the other did, and -1 if both did (or the
// file was new). The file opened from the other slot; a writer's Open
// rewrote the damaged one from it.
func (df *File) DamagedHeaderSlot() int64 { return df.badSlot }

// FoundGeneration returns the generation in the header as found at Open
// (the one the last clean close left).
func (df *File) FoundGeneration() uint64 { return df.foundGen }

// Generation returns the current generation: FoundGeneration until this
// writer changes the file (or found it not closed cleanly), then
// FoundGeneration+1, which Close records. A session that changes nothing
// leaves the generation as it was, so index files stamped with it stay
// valid without being rewritten.
func (df *File) Generation() uint64 {
	df.mu.RLock()
	defer df.mu.RUnlock()
	return df.hdr.generation
}

// changedLocked notes that this writer is about to change the file: the
// first change moves the generation on (see Generation) and, if the header
// on disk does not say so yet, writes and syncs it with FlagOpen before any
// changed byte can reach the disk. Every mutation calls it first.
func (df *File) changedLocked() error {
	if df.freeUnloaded {
		if err := df.loadFreeLocked(); err != nil {
			return err
		}
		df.freeUnloaded = false
	}
	if !df.changed {
		df.changed = true
		df.hdr.generation++
	}
	if !df.marked {
		if err := df.writeHeaderLocked(); err != nil {
			return err
		}
	}
	df.dirty = true
	return nil
}

// lockWrite takes mu exclusively, for a writer. A writer that has to wait
// first says so (Contended), so that a reader holding mu while it waits
// for something else can let go instead of deadlocking with it. The
// uncontended path is one TryLock: no allocation, no waitMu.
func (df *File) lockWrite() {
	if df.mu.TryLock() {
		return
	}
	df.waitMu.Lock()
	if df.writers++; df.writers == 1 && df.waitCh != nil {
		// A reader holds the open channel: tell it. With none, no
		// channel is made; Contended makes one closed while writers > 0.
		close(df.waitCh)
	}
	df.waitMu.Unlock()
	df.mu.Lock()
	df.waitMu.Lock()
	if df.writers--; df.writers == 0 {
		df.waitCh = nil // the next Contended gets a fresh, open channel
	}
	df.waitMu.Unlock()
}

// Contended returns a channel that is closed once a writer waits for the
// file (a Put, Delete, Sync, MarkFatal or Close that found it locked).
// A reader that keeps the file's read lock across a wait of its own, such
// as an Iterate whose fn waits for a slow consumer, selects on it and
// stops waiting when it closes: the writer waits for the reader, and
// every new reader waits for the writer, so a consumer that itself reads
// the file would otherwise never be served.
func (df *File) Contended() <-chan struct{} {
	df.waitMu.Lock()
	defer df.waitMu.Unlock()
	if df.waitCh == nil {
		df.waitCh = make(chan struct{})
		if df.writers > 0 {
			close(df.waitCh)
		}
	}
	return df.waitCh
}

// Path returns the path the file was opened with.
func (df *File) Path() string { return df.path }

// Sync makes every write so far durable, and the header with it. A file not
// changed since its header on disk said it was closed cleanly has nothing to
// sync, and Sync leaves it so: it does not mark the file open (which would
// make a kill -9 leave it "crashed" with nothing at risk).
func (df *File) Sync() error {
	df.lockWrite()
	defer df.mu.Unlock()
	if err := df.writableLocked(); err != nil {
		return err
	}
	if !df.marked {
		return nil
	}
	if err := df.syncLocked(); err != nil {
		return err
	}
	return df.writeHeaderLocked()
}

// MarkFatal sets FlagFatal in the header (synced), for a caller that found
// damage through the file, and records reason nowhere but in the error
// returned by a later failure.
func (df *File) MarkFatal(reason string) error {
	df.lockWrite()
	defer df.mu.Unlock()
	if err := df.writableLocked(); err != nil {
		return err
	}
	df.hdr.flags |= FlagFatal
	if err := df.writeHeaderLocked(); err != nil {
		return fmt.Errorf("blitz/datafile: mark %s fatal (%s): %w", df.path, reason, err)
	}
	return nil
}

// Close closes the file. For a writer it syncs the data, trims the
// preallocated space past the tail and clears FlagOpen (synced): only then
// is the shutdown clean. Close after Close returns ErrClosed.
func (df *File) Close() error {
	df.lockWrite()
	defer df.mu.Unlock()
	if df.closed {
		return ErrClosed
	}
	df.closed = true
	var err error
	if !df.opts.ReadOnly && df.failed == nil && df.marked {
		err = df.closeCleanLocked()
	}
	if rerr := df.release(); err == nil {
		err = rerr
	}
	return err
}

func (df *File) closeCleanLocked() error {
	if err := df.syncLocked(); err != nil {
		return err
	}
	if err := df.f.Unmap(df.m); err != nil {
		return err
	}
	df.m = nil
	if err := df.f.Truncate(int64(df.hdr.tail)); err != nil {
		return err
	}
	df.hdr.flags &^= FlagOpen
	df.hdr.counter++
	df.hdr.freeBytes = df.freeBytesLocked()
	off := int64(0)
	if df.hdr.counter%2 == 0 {
		off = headerSlot1
	}
	var b [headerSize]byte
	df.hdr.encode(b[:])
	if _, err := df.f.WriteAt(b[:], off); err != nil {
		return err
	}
	return df.syncLocked()
}

// release unmaps and closes everything Open acquired.
func (df *File) release() error {
	var err error
	if df.m != nil {
		err = df.f.Unmap(df.m)
		df.m = nil
	}
	if df.f != nil {
		if cerr := df.f.Close(); err == nil {
			err = cerr
		}
		df.f = nil
	}
	if df.lock != nil {
		if cerr := df.lock.Close(); err == nil {
			err = cerr
		}
		df.lock = nil
	}
	return err
}

// readableLocked reports why the file cannot be read: closed, or its
// mapping lost (a failed remap while growing leaves none: the writer has
// failed, and readers get its error instead of touching a nil mapping).
func (df *File) readableLocked() error {
	switch {
	case df.closed:
		return ErrClosed
	case df.m == nil:
		return fmt.Errorf("%w: %v", ErrFailed, df.failed)
	}
	return nil
}

func (df *File) writableLocked() error {
	switch {
	case df.closed:
		return ErrClosed
	case df.opts.ReadOnly:
		return ErrReadOnly
	case df.failed != nil:
		return fmt.Errorf("%w: %v", ErrFailed, df.failed)
	}
	return nil
}

// Stats describe a data file.
type Stats struct {
	Buckets       int64 // bucket count
	UsedBuckets   int64 // buckets with at least one record
	Records       int64 // live records
	FileSize      int64 // logical size: the end of the last block
	FreeBytes     int64 // bytes in free blocks, reusable by later writes
	FormatVersion int   // on-disk format version
	Flags         Flags // current header flags
	FoundFlags    Flags // header flags as found at Open
	Generation    uint64
}

// RecordBytes returns about how many bytes the file's records take: the
// block area less its free space and the bucket array. Unlike Stats it
// reads nothing but the header: callers size their buffers with it.
func (df *File) RecordBytes() int64 {
	df.mu.RLock()
	defer df.mu.RUnlock()
	n := int64(df.hdr.tail) - headerPage - int64(df.freeBytesLocked()) - 8*int64(df.hdr.buckets)
	return max(n, 0)
}

// Stats returns the file's statistics; counting UsedBuckets reads the whole
// bucket array.
func (df *File) Stats() Stats {
	df.mu.RLock()
	defer df.mu.RUnlock()
	s := df.headerStatsLocked()
	if df.closed || df.m == nil || df.bucketBase == 0 {
		return s
	}
	arr := df.m[df.bucketBase : df.bucketBase+8*int64(df.hdr.buckets)]
	for i := 0; i < len(arr); i += 8 {
		if binary.LittleEndian.Uint64(arr[i:]) != 0 {
			s.UsedBuckets++
		}
	}
	return s
}

// HeaderStats returns the statistics the header holds, which is all of
// Stats but UsedBuckets (left 0): it reads nothing from the file, so
// SHOW TABLE STATUS and the like cost the same on any size of table.
func (df *File) HeaderStats() Stats {
	df.mu.RLock()
	defer df.mu.RUnlock()
	return df.headerStatsLocked()
}

func (df *File) headerStatsLocked() Stats {
	return Stats{
		Buckets:       int64(df.hdr.buckets),
		Records:       int64(df.hdr.records),
		FileSize:      int64(df.hdr.tail),
		FreeBytes:     int64(df.freeBytesLocked()),
		FormatVersion: int(df.hdr.version),
		Flags:         df.hdr.flags,
		FoundFlags:    df.foundFlags,
		Generation:    df.hdr.generation,
	}
}
