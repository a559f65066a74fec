package ulog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
)

// DefaultSegmentBytes is the size past which a segment is rotated.
const DefaultSegmentBytes = 64 << 20

// Options configure a Log. The zero value is usable.
type Options struct {
	FS           vfs.FS // nil means vfs.Default
	SegmentBytes int64  // rotate past this size; 0 means DefaultSegmentBytes
	// Now returns the commit time for a record appended without one; nil
	// means time.Now. Tests set it to get exact timestamps.
	Now func() time.Time
}

// Log appends to an update log. A Log is safe for concurrent use; appends
// are numbered in the order they are made.
//
// Append only encodes the frame into an in-memory buffer; Flush writes the
// buffer to the segment and SyncThrough writes and syncs it. One goroutine
// at a time (the flusher, holding flushMu) touches the segment file, so
// Append never waits for a write or an fsync in progress: a write into a
// page the kernel is writing back waits for that writeback, and an Append
// made under the engine's table locks must not wait for an fsync. While one
// flusher syncs, later appends gather in the buffer, and the next flusher
// writes and syncs them all at once (group commit).
type Log struct {
	dir  string
	opts Options

	mu         sync.Mutex // protects the fields below
	lastSeq    uint64     // last record appended (buffered or written)
	lastT      int64      // commit time of the last record: times never go backwards
	writtenSeq uint64     // every record <= writtenSeq is in the segment files
	syncedSeq  uint64     // every record <= syncedSeq is durable
	failed     error      // a failed fsync: nothing more is taken (see flush)
	writeErr   error      // the last write failed: its frames wait in pend for the next flush
	closed     bool
	pend       []byte // frames appended but not yet written, back to back
	pendLens   []int  // their sizes
	pendFirst  uint64 // sequence number of the first of them
	spare      []byte // a drained buffer, for reuse
	spareLens  []int

	flushMu sync.Mutex // the flusher: protects the fields below
	f       vfs.File
	name    string
	size    int64 // bytes in the current segment
	alloc   int64 // the segment's zero-filled length (>= size): see extendLocked
}

// Open opens (creating if needed) the update log in dir for appending. A
// torn frame at the end of the newest segment is cut; damage elsewhere is
// left for Verify and Read to report, since appending after it is harmless.
func Open(dir string, o Options) (*Log, error) {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := o.FS.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blitz/ulog: create %s: %w", dir, err)
	}
	l := &Log{dir: dir, opts: o}
	segs, err := segments(o.FS, dir)
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return l, nil // the first flush creates segment 1
	}
	last := segs[len(segs)-1]
	path := filepath.Join(dir, last.name)
	data, err := vfs.ReadFile(o.FS, path)
	if err != nil {
		return nil, fmt.Errorf("blitz/ulog: read %s: %w", path, err)
	}
	if len(data) < HeaderSize {
		// A crash while creating the segment: start it again.
		data = appendHeader(nil)
	} else if err := checkHeader(data); err != nil {
		return nil, &DamageError{File: path, Offset: 0, Reason: err.Error()}
	}
	off := HeaderSize
	l.lastSeq = last.first - 1
	for off < len(data) {
		rec, n, err := parseFrame(data[off:])
		if err != nil || rec.Seq != l.lastSeq+1 {
			break // the torn tail (or zero-filled space) of the newest segment: a normal end
		}
		l.lastSeq, l.lastT = rec.Seq, rec.Time
		off += n
	}
	l.writtenSeq, l.syncedSeq = l.lastSeq, l.lastSeq
	f, err := o.FS.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("blitz/ulog: open %s: %w", path, err)
	}
	if off < len(data) || len(data) == HeaderSize {
		if _, err := f.WriteAt(data[:HeaderSize], 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("blitz/ulog: %s: %w", path, err)
		}
		if err := f.Truncate(int64(off)); err != nil {
			f.Close()
			return nil, fmt.Errorf("blitz/ulog: cut torn tail of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("blitz/ulog: %s: %w", path, err)
		}
	}
	l.f, l.name, l.size, l.alloc = f, path, int64(off), int64(off)
	return l, nil
}

// LastSeq returns the sequence number of the last record appended (0 if
// the log is empty).
func (l *Log) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastSeq
}

// Append adds one committed transaction to the log and returns its sequence
// number. It only buffers the frame: call Flush before acknowledging the
// commit when it must survive a crash of the process, SyncThrough when it
// must survive a power cut. A zero t means now.
func (l *Log) Append(ops []Op, t time.Time) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, ErrClosed
	}
	if l.failed != nil {
		return 0, fmt.Errorf("%w: %v", ErrFailed, l.failed)
	}
	if t.IsZero() {
		t = l.opts.Now()
	}
	ts := t.UnixNano()
	if ts < l.lastT {
		ts = l.lastT // a wall clock stepped back; commit order wins
	}
	rec := Record{Seq: l.lastSeq + 1, Time: ts, Ops: ops}
	n := len(l.pend)
	buf, err := AppendFrame(l.pend, &rec)
	if err != nil {
		l.pend = buf[:n]
		return 0, err
	}
	if len(l.pendLens) == 0 {
		l.pendFirst = rec.Seq
	}
	l.pend = buf
	l.pendLens = append(l.pendLens, len(buf)-n)
	l.lastSeq, l.lastT = rec.Seq, ts
	return rec.Seq, nil
}

// Flush writes every appended record to the segment files (without
// syncing): it survives a crash of the process, not a power cut.
func (l *Log) Flush() error { return l.flush(0, false) }

// WriteFailed returns the error of the last write of the log if it failed
// (its records wait in memory for the next Flush or SyncThrough), or nil.
func (l *Log) WriteFailed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeErr
}

// SyncThrough makes every record up to seq durable. Concurrent callers
// share fsyncs (group commit): a caller whose record an earlier fsync
// covered returns at once, and one fsync covers every record appended
// before it started. Appends go on meanwhile.
func (l *Log) SyncThrough(seq uint64) error { return l.flush(seq, true) }

// Sync makes every appended record durable.
func (l *Log) Sync() error {
	return l.flush(l.LastSeq(), true)
}

func (l *Log) flush(seq uint64, sync bool) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	switch {
	case sync && l.syncedSeq >= seq:
		l.mu.Unlock()
		return nil
	case l.failed != nil:
		err := l.failed
		l.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrFailed, err)
	case l.closed:
		l.mu.Unlock()
		return ErrClosed
	case !sync && len(l.pendLens) == 0:
		l.mu.Unlock()
		return nil
	}
	pend, lens, first, through := l.pend, l.pendLens, l.pendFirst, l.lastSeq
	l.pend, l.pendLens = l.spare[:0], l.spareLens[:0]
	l.mu.Unlock()

	done, err := l.writeLocked(pend, lens, first)
	if err == nil && sync && l.f != nil {
		if serr := l.f.Sync(); serr != nil {
			err = &syncError{path: l.name, err: serr}
		}
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	var se *syncError
	switch {
	case errors.As(err, &se):
		// After a failed fsync the page cache no longer tells what is on
		// disk (a retried fsync may succeed without writing the pages the
		// failed one dropped): take nothing more until a reopen reads
		// back what is there.
		l.failed = err
		return err
	case err != nil:
		// A write failed (a full disk): the kernel took none of the
		// pages it refused, so keep the records not written, in order,
		// ahead of those appended meanwhile; the next flush writes them
		// again at the same place (the same bytes, so whatever part of
		// them did land is a prefix of what follows).
		skip := 0
		for _, n := range lens[:done] {
			skip += n
		}
		rest := make([]byte, 0, len(pend)-skip+len(l.pend))
		rest = append(append(rest, pend[skip:]...), l.pend...)
		restLens := append(append(make([]int, 0, len(lens)-done+len(l.pendLens)), lens[done:]...), l.pendLens...)
		l.pend, l.pendLens, l.pendFirst = rest, restLens, first+uint64(done)
		l.writtenSeq = first + uint64(done) - 1
		l.writeErr = err
		return err
	}
	l.spare, l.spareLens = pend[:0], lens[:0]
	l.writeErr = nil
	l.writtenSeq = through
	if sync {
		l.syncedSeq = through
	}
	return nil
}

// writeLocked writes frames (their sizes in lens, the first numbered
// first) to the segments, rotating as they fill, and returns how many of
// them it wrote (all but on error). l.flushMu must be held.
func (l *Log) writeLocked(frames []byte, lens []int, first uint64) (int, error) {
	start, end := 0, 0 // the run of frames not yet written: frames[start:end]
	done := 0          // frames written
	writeRun := func(to int) error {
		if end == start {
			return nil
		}
		if err := l.extendLocked(l.size + int64(end-start)); err != nil {
			return err
		}
		if _, err := l.f.WriteAt(frames[start:end], l.size); err != nil {
			return fmt.Errorf("blitz/ulog: append to %s: %w", l.name, err)
		}
		l.size += int64(end - start)
		start, done = end, to
		return nil
	}
	for i, n := range lens {
		pending := int64(end - start)
		if l.f == nil || l.size+pending+int64(n) > l.opts.SegmentBytes && l.size+pending > HeaderSize {
			if err := writeRun(i); err != nil {
				return done, err
			}
			if err := l.rotateLocked(first + uint64(i)); err != nil {
				return done, err
			}
		}
		end += n
	}
	if err := writeRun(len(lens)); err != nil {
		return done, err
	}
	return done, nil
}

// syncError marks a failed fsync of a segment.
type syncError struct {
	path string
	err  error
}

func (e *syncError) Error() string { return fmt.Sprintf("blitz/ulog: fsync of %s: %v", e.path, e.err) }
func (e *syncError) Unwrap() error { return e.err }

// rotateLocked trims, syncs and closes the current segment and starts a new
// one whose first frame will be seq. l.flushMu must be held.
func (l *Log) rotateLocked(seq uint64) error {
	if l.f != nil {
		if err := l.f.Truncate(l.size); err != nil { // drop the zero-filled tail: only the newest segment has one
			return fmt.Errorf("blitz/ulog: trim %s: %w", l.name, err)
		}
		if err := l.f.Sync(); err != nil {
			return &syncError{path: l.name, err: err}
		}
		err := l.f.Close()
		l.f = nil
		if err != nil {
			return err
		}
	}
	path := filepath.Join(l.dir, segmentName(seq))
	f, err := vfs.Create(l.opts.FS, path)
	if err != nil {
		return fmt.Errorf("blitz/ulog: create %s: %w", path, err)
	}
	if _, err := f.WriteAt(appendHeader(nil), 0); err != nil {
		f.Close()
		return fmt.Errorf("blitz/ulog: %s: %w", path, err)
	}
	if err := l.opts.FS.SyncDir(l.dir); err != nil {
		f.Close()
		return fmt.Errorf("blitz/ulog: sync directory %s: %w", l.dir, err)
	}
	l.f, l.name, l.size, l.alloc = f, path, HeaderSize, HeaderSize
	return nil
}

// zeroChunk is how far a segment is zero-filled ahead of its records.
const zeroChunk = 1 << 20

var zeros = make([]byte, zeroChunk)

// extendLocked zero-fills the segment ahead of need, in large steps, so that
// most writes land inside the file and the fdatasync of a commit does not
// also have to commit a new file size (which costs a journal commit).
// Readers and Open treat the zeros after the last frame of the newest
// segment as its end; rotation and Close trim them. l.flushMu must be held.
func (l *Log) extendLocked(need int64) error {
	if need <= l.alloc {
		return nil
	}
	target := max(need, l.alloc+min(zeroChunk, l.opts.SegmentBytes))
	for off := l.alloc; off < target; {
		n := min(int64(len(zeros)), target-off)
		if _, err := l.f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("blitz/ulog: extend %s: %w", l.name, err)
		}
		off += n
	}
	l.alloc = target
	return nil
}

// Close writes, syncs and closes the log.
func (l *Log) Close() error {
	err := l.Sync()
	if errors.Is(err, ErrClosed) {
		return nil
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	if l.f == nil {
		return err
	}
	if terr := l.f.Truncate(l.size); err == nil && terr != nil {
		err = terr
	} else if terr == nil {
		if serr := l.f.Sync(); err == nil {
			err = serr
		}
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

type segment struct {
	name  string
	first uint64
}

// segments lists the segment files of dir in log order.
func segments(fs vfs.FS, dir string) ([]segment, error) {
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blitz/ulog: list %s: %w", dir, err)
	}
	var segs []segment
	for _, n := range names {
		if !strings.HasSuffix(n, SegmentSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(n, SegmentSuffix), 10, 64)
		if err != nil || first == 0 {
			continue
		}
		segs = append(segs, segment{name: n, first: first})
	}
	// ReadDir sorts names, and fixed-width names sort in numeric order.
	return segs, nil
}
