package ulog

import (
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
type Log struct {
	dir  string
	opts Options

	mu      sync.Mutex // protects the fields below
	f       vfs.File
	name    string
	size    int64 // bytes in the current segment
	alloc   int64 // the segment's zero-filled length (>= size): see extendLocked
	lastSeq uint64
	lastT   int64 // commit time of the last record: times never go backwards
	failed  error
	closed  bool
	buf     []byte

	// Group sync (SyncThrough): one fsync covers every record appended
	// before it started; callers whose record it covered return without
	// one of their own.
	syncMu    sync.Mutex // one SyncThrough fsync at a time
	syncedSeq uint64     // every record <= syncedSeq is durable (mu)
	syncing   vfs.File   // the segment an unlocked fsync is running on (mu)
	retired   vfs.File   // that segment, if a rotation retired it meanwhile: closed by the syncer (mu)
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
		return l, nil // the first Append creates segment 1
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
			break // the torn tail of the newest segment: a normal end
		}
		l.lastSeq, l.lastT = rec.Seq, rec.Time
		off += n
	}
	l.syncedSeq = l.lastSeq
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

// LastSeq returns the sequence number of the last record in the log (0 if
// the log is empty).
func (l *Log) LastSeq() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastSeq
}

// Append adds one committed transaction to the log and returns its sequence
// number. It writes but does not sync: call Sync before acknowledging the
// commit when it must survive a power cut. A zero t means now.
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
	buf, err := AppendFrame(l.buf[:0], &rec)
	if err != nil {
		return 0, err
	}
	l.buf = buf
	if l.f == nil || l.size+int64(len(buf)) > l.opts.SegmentBytes && l.size > HeaderSize {
		if err := l.rotateLocked(rec.Seq); err != nil {
			l.failed = err
			return 0, err
		}
	}
	if err := l.extendLocked(l.size + int64(len(buf))); err != nil {
		l.failed = err
		return 0, err
	}
	if _, err := l.f.WriteAt(buf, l.size); err != nil {
		l.failed = err
		return 0, fmt.Errorf("blitz/ulog: append to %s: %w", l.name, err)
	}
	l.size += int64(len(buf))
	l.lastSeq, l.lastT = rec.Seq, ts
	return rec.Seq, nil
}

// rotateLocked syncs and closes the current segment and starts a new one
// whose first frame will be seq. l.mu must be held.
func (l *Log) rotateLocked(seq uint64) error {
	if l.f != nil {
		if err := l.f.Truncate(l.size); err != nil { // drop the zero-filled tail: only the newest segment has one
			return fmt.Errorf("blitz/ulog: trim %s: %w", l.name, err)
		}
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("blitz/ulog: sync %s: %w", l.name, err)
		}
		l.syncedSeq = l.lastSeq
		if l.f == l.syncing {
			l.retired = l.f // SyncThrough is fsyncing it without l.mu: it closes it
		} else if err := l.f.Close(); err != nil {
			return err
		}
		l.f = nil
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
// most appends write inside the file and the fdatasync of a commit does not
// also have to commit a new file size (which costs a journal commit and
// made group-synced commits several times slower). Readers and Open treat
// the zeros after the last frame of the newest segment as its end; rotation
// and Close trim them.
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

// Sync makes every appended record durable.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.failed != nil {
		return fmt.Errorf("%w: %v", ErrFailed, l.failed)
	}
	if l.f == nil {
		return nil
	}
	if err := l.f.Sync(); err != nil {
		l.failed = err
		return fmt.Errorf("blitz/ulog: sync %s: %w", l.name, err)
	}
	l.syncedSeq = l.lastSeq
	return nil
}

// SyncThrough makes every record up to seq durable. Concurrent callers
// share fsyncs: the fsync runs without blocking Append, and a caller whose
// record an fsync started after its append already covered returns at once
// (group commit).
func (l *Log) SyncThrough(seq uint64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	switch {
	case l.closed && l.syncedSeq < seq:
		l.mu.Unlock()
		return ErrClosed
	case l.failed != nil:
		err := l.failed
		l.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrFailed, err)
	case l.syncedSeq >= seq || l.f == nil:
		l.mu.Unlock()
		return nil
	}
	f, name, through := l.f, l.name, l.lastSeq
	l.syncing = f
	l.mu.Unlock()
	err := f.Sync()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.syncing = nil
	if l.retired == f {
		// A rotation synced and retired this segment while we ran: it
		// holds every record <= through, and they are durable.
		l.retired = nil
		f.Close()
		err = nil
	}
	if err != nil {
		l.failed = err
		return fmt.Errorf("blitz/ulog: sync %s: %w", name, err)
	}
	l.syncedSeq = max(l.syncedSeq, through)
	return nil
}

// Close syncs and closes the log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Truncate(l.size)
	if l.f == l.syncing {
		// A SyncThrough is fsyncing it: sync here too, and let it close.
		if serr := l.f.Sync(); err == nil {
			err = serr
		}
		l.retired, l.f = l.f, nil
		return err
	}
	if serr := l.f.Sync(); err == nil {
		err = serr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
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
