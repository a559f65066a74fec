package txn

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
)

// SyncMode says when a commit counts as durable.
type SyncMode int

const (
	// SyncFull (the default) acknowledges a commit once its group has been
	// written and fdatasync'ed: it survives a power cut.
	SyncFull SyncMode = iota
	// SyncOff acknowledges a commit once its group has been written to the
	// kernel: it survives a process crash, not a power cut. Segment rotation
	// and checkpoints still sync.
	SyncOff
)

// DefaultSegmentBytes is the segment size used when Options.SegmentBytes is 0
// and the disk has room for it (see MinAutoSegmentBytes).
const DefaultSegmentBytes = 64 << 20

// MinAutoSegmentBytes is the smallest segment size OpenWAL picks by itself.
// With Options.SegmentBytes 0 on a filesystem that reports its free space
// (the OS one), a segment is at most a quarter of the space free when the
// WAL is opened, halving DefaultSegmentBytes down to this size, so that a
// database opens on a small disk (a CI tmpfs, a nearly full volume). The
// size of segments is not part of the format: segments of any sizes are
// read back.
const MinAutoSegmentBytes = 1 << 20

// maxFreeSegments bounds how many recycled segments are kept for reuse.
const maxFreeSegments = 2

// Options configure a WAL. The zero value is usable.
type Options struct {
	// FS is the filesystem; nil means vfs.Default.
	FS vfs.FS
	// Sync is the durability mode; the zero value is SyncFull.
	Sync SyncMode
	// SegmentBytes is the size of a segment file (preallocated and zeroed
	// when created, so that an fdatasync of a commit writes no metadata); 0
	// means DefaultSegmentBytes, made smaller on a small disk (see
	// MinAutoSegmentBytes). A frame larger than this gets a segment of its
	// own that grows past it. Creating a segment needs this much free space:
	// OpenWAL returns a *NoSpaceError when the disk has less.
	SegmentBytes int64
	// Logger receives recovery and checkpoint notes; nil means slog.Default().
	Logger *slog.Logger
}

// Stats are counters since OpenWAL.
type Stats struct {
	Commits int64 // frames appended by Commit
	Groups  int64 // group writes (each one write call per segment touched)
	Syncs   int64 // fdatasync calls on segments
	Bytes   int64 // bytes of frames appended
	Rotated int64 // segments started
}

// WAL is the redo log of a database. It is safe for concurrent use: any
// number of goroutines may Commit at once (they share writes and syncs);
// BeginCheckpoint/EndCheckpoint are meant to be called by one checkpointer.
type WAL struct {
	dir      string
	fs       vfs.FS
	opts     Options
	log      *slog.Logger
	segBytes int64
	autoSize bool // segBytes was not given: fit it to the disk at open

	rec        RecoveryInfo
	replaySegs []segment // segments as found by OpenWAL (for Replay)
	replayLast LSN       // last valid LSN found by OpenWAL

	// Lock order: mu is the only lock; no I/O is done while holding it.
	mu        sync.Mutex  // protects the fields below
	idle      sync.Cond   // signalled (with mu) when flushing becomes false
	failed    error       // set after a failed sync (or cut-back); every append fails from then on (writefail.go)
	stalled   error       // set after a failed write; appends fail until Resume (writefail.go)
	cutDue    *flushStart // the failed flush not yet cut from the log (Resume retries)
	lostBytes int64       // frame bytes of the groups failed since the stall (Resume takes them off bytes)
	closed    bool
	nextLSN   LSN    // LSN of the next frame appended
	cur       *group // the group new frames join
	flushing  bool   // a goroutine owns the flush (w.f, w.writeOff) and will flush cur
	appendOff int64  // where the next appended frame will start in the newest segment
	segs      []segment
	free      []string // recycled segment paths ready for reuse
	durable   LSN      // every frame through it is written (and synced under SyncFull)
	want      int      // committers seen active at the last flush: a leader waits for this many (see lead)
	spare     []byte   // a flushed group's buffer, for the next group to fill
	bytes     int64    // cumulative frame bytes appended since OpenWAL (plus those found after the checkpoint)
	ckpt      struct {
		active    bool  // BeginCheckpoint returned, EndCheckpoint not yet
		through   LSN   // of the active checkpoint
		beginByte int64 // bytes at the begin frame
		base      int64 // bytes at the begin frame of the last completed checkpoint
		completed bool  // a checkpoint completed since OpenWAL
	}
	stats     Stats
	preparing bool           // a background goroutine is preparing a free segment
	prepWG    sync.WaitGroup // that goroutine

	// Owned by the goroutine that set flushing (handed over with it).
	f         vfs.File // the newest segment (nil after a failed rotation)
	fpath     string   // its path
	writeOff  int64
	synced    LSN         // every frame through it is fdatasync'ed: the group frame's value
	newest    LSN         // first LSN of the segment the NEWEST file names (0: unknown); see newest.go
	syncNanos int64       // moving average of a group sync's duration
	fillNanos int64       // moving average of the time from a group's release until the next group was full
	released  time.Time   // when the last flushed group was released
	grow      bool        // the group being flushed filled: let the next one try for one more
	probing   bool        // want is one more than was seen (a try after grow)
	holdGrow  int         // groups to go before the next try
	backoff   int         // what holdGrow is set to after a try fails (doubling)
	timer     *time.Timer // for lead's wait
}

// segment is one live segment file.
type segment struct {
	first LSN
	path  string
}

// group is the frames that one write (and one sync) makes durable.
type group struct {
	buf     []byte // frames, starting with the group frame (sealed by flush)
	cuts    []cut  // where in buf a new segment starts
	n       int    // frames in buf
	commits int    // commit frames among them (Stats.Commits takes them back if the write fails)
	last    LSN
	// target and full let a leader wait for the group to fill (see lead):
	// the append that brings n to target closes full.
	target int
	full   chan struct{}
	done   chan struct{} // closed once the group is flushed; err is set before
	lead   chan struct{} // (buffer 1) tells one waiting member to flush this group
	err    error
}

// cut marks the start, at buf[off:], of the frames of a new segment.
type cut struct {
	off   int
	first LSN
}

// maxSpareBuf bounds the group buffer kept for reuse (a large transaction's
// buffer is left to the collector).
const maxSpareBuf = 1 << 20

func newGroup() *group {
	return &group{done: make(chan struct{}), lead: make(chan struct{}, 1)}
}

// Commit appends b as one record and returns its LSN once the record is
// durable (SyncFull) or written (SyncOff). Concurrent callers share one write
// and one fdatasync. ctx is only checked before the record is appended: once
// appended, Commit waits for the outcome, so that an error always means the
// write or sync failed. If that write or sync fails, every commit of the group
// gets an error wrapping the cause and either ErrWriteFailed (a write failed:
// the commit is cut from the log, and appends fail until Resume) or
// ErrWALFailed (an fsync failed: the commit is in doubt, replayed after a
// reopen or not, never partly, and the WAL refuses appends until reopened);
// see writefail.go. An empty batch is logged too.
func (w *WAL) Commit(ctx context.Context, b Batch) (LSN, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	size := b.EncodedSize()
	if size > MaxPayload {
		return 0, fmt.Errorf("%w: %d bytes", ErrTooLarge, size)
	}
	return w.append(frameCommit, size, func(dst []byte, _ LSN) []byte { return b.AppendEncoded(dst) })
}

// CommitAsync appends b as one record like Commit but returns as soon as the
// record has its place in the log, with a Waiter, whose Wait method blocks
// until the record is durable (or written, under SyncOff) and returns what
// Commit would have. The caller must call it exactly once, and soon: the
// group the record joined may not be flushed before. Records are durable in LSN order, so a
// record appended after this one can never be durable while this one is
// not; an engine may therefore release its locks between CommitAsync and
// wait (early lock release) without a later transaction's commit depending
// on data that could be lost.
func (w *WAL) CommitAsync(ctx context.Context, b Batch) (LSN, Waiter, error) {
	if err := ctx.Err(); err != nil {
		return 0, Waiter{}, err
	}
	size := b.EncodedSize()
	if size > MaxPayload {
		return 0, Waiter{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, size)
	}
	return w.appendStart(frameCommit, size, b, nil)
}

// append adds one frame of type t, whose payload (size bytes) encode appends,
// to the current group and waits for the group to be flushed.
func (w *WAL) append(t frameType, size int, encode func(dst []byte, lsn LSN) []byte) (LSN, error) {
	lsn, wait, err := w.appendStart(t, size, nil, encode)
	if err != nil {
		return 0, err
	}
	if err := wait.Wait(); err != nil {
		return 0, err
	}
	return lsn, nil
}

// Waiter is a record's place in its group's flush, which CommitAsync returns.
// It is a value, so that a commit allocates no function to wait with.
type Waiter struct {
	w      *WAL
	g      *group
	leader bool // the record started the group's flush: it leads it
}

// Wait blocks until the record's group is flushed (leading the flush when
// it falls to this member) and returns the flush's error. It must be called
// exactly once.
func (wt Waiter) Wait() error {
	w, g := wt.w, wt.g
	if wt.leader {
		w.mu.Lock()
		w.lead(g) // unlocks
	} else {
		select {
		case <-g.done:
		case <-g.lead:
			w.mu.Lock()
			w.lead(g) // unlocks
		}
	}
	return g.err
}

// appendStart adds the frame to the current group and returns what waits
// for (or leads) the group's flush. Its payload is what encode appends, or
// with encode nil b's encoding (a direct call: the caller's batch and its
// keys may then live on its stack).
func (w *WAL) appendStart(t frameType, size int, b Batch, encode func(dst []byte, lsn LSN) []byte) (LSN, Waiter, error) {
	frameSize := int64(FrameHeaderSize + size)
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, Waiter{}, ErrClosed
	}
	if err := w.refusalLocked(); err != nil {
		w.mu.Unlock()
		return 0, Waiter{}, err
	}
	g := w.cur
	lsn := w.nextLSN
	// The first frame of a group comes after its group frame, in the
	// same segment.
	var lead int64
	if g.n == 0 {
		lead = groupFrameSize
	}
	if w.appendOff > SegmentHeaderSize && w.appendOff+lead+frameSize > w.segBytes {
		g.cuts = append(g.cuts, cut{off: len(g.buf), first: lsn})
		w.appendOff = SegmentHeaderSize
	}
	groupStart := len(g.buf)
	if lead > 0 {
		g.buf = appendGroupFrame(g.buf, lsn)
	}
	start := len(g.buf)
	g.buf = appendFrameHeader(g.buf, t, lsn)
	if encode != nil {
		g.buf = encode(g.buf, lsn)
	} else {
		g.buf = b.AppendEncoded(g.buf)
	}
	if err := finishFrame(g.buf, start); err != nil {
		g.buf = g.buf[:groupStart]
		if n := len(g.cuts); n > 0 && g.cuts[n-1].off == groupStart {
			g.cuts = g.cuts[:n-1] // cannot happen with size checked, but stay consistent
		}
		w.mu.Unlock()
		return 0, Waiter{}, err
	}
	w.nextLSN++
	frameSize += lead
	w.appendOff += frameSize
	if w.appendOff > w.segBytes/2 && w.appendOff-frameSize <= w.segBytes/2 {
		w.prepareLocked()
	}
	w.bytes += frameSize
	w.stats.Bytes += frameSize
	if t == frameCommit {
		w.stats.Commits++
		g.commits++
	}
	if t == frameCheckpointBegin {
		w.ckpt.beginByte = w.bytes - frameSize + lead
	}
	g.n++
	g.last = lsn
	if g.full != nil && g.n >= g.target {
		close(g.full)
		g.full = nil
	}
	leader := !w.flushing
	w.flushing = true
	w.mu.Unlock()
	return lsn, Waiter{w: w, g: g, leader: leader}, nil
}

// refusalLocked returns why appends are refused now, or nil. Called with mu
// held.
func (w *WAL) refusalLocked() error {
	if w.failed != nil {
		return w.failed
	}
	return w.stalled
}

// maxGroupWait bounds how long a leader waits for its group to fill (see
// lead).
const maxGroupWait = 2 * time.Millisecond

// minBackoff and maxBackoff bound how many groups a leader lets pass before
// trying again for a bigger group after a try failed (see lead).
const minBackoff, maxBackoff = 8, 1024

// lead flushes g, which the caller (a member of g) now owns the flush of.
// It is called with mu held and unlocks it.
//
// Before flushing, the leader lets g fill: if more committers were active at
// the last flush (want) than g holds, it waits until that many have joined
// or a deadline passes. Without this wait, closed-loop committers split into
// two alternating part-size groups (one syncing while the other gathers),
// cutting the commits per fdatasync. A lone committer never waits (want is
// 1), so it pays only the raw write and fdatasync.
//
// want is what was seen at the last flush (the group and those who joined
// the next one meanwhile), but a dip in it must not stick: committers that
// come back spread out would then settle into several small groups, each
// flushed as soon as its smaller want is met. So a group that fills lets the
// next one try for one more. A try that fails (the group does not fill)
// holds tries off for the next 8 groups, doubling up to 1024 while they
// keep failing, so a steady set of committers, even a lone one, seldom pays
// for a try; a failed try teaches nothing about fill times either.
//
// The deadline adapts to how the committers come back. In-process they are
// back within microseconds of their group's release, and half a sync time
// is the right wait: a straggler then leads the next group, whose sync
// overlaps the others' work. The clients of a server come back a network
// round trip and a statement later, which can be longer than a sync; half
// a sync time then flushes whoever has arrived and the rest settle into
// more, smaller groups. So the leader keeps fillNanos, the moving average
// of how long groups took to fill counted from the previous release (a
// group that did not fill counts as 3/2 of the time it was given, so the
// estimate grows until groups fill), and when that is longer than a sync it
// waits, counted from the release, 5/4 of it instead. The wait is capped at
// maxGroupWait. A leader arriving more than maxGroupWait after the last
// release (the committers were idle) waits half a sync time and leaves the
// estimate alone.
//
// Measured (bench/commit, bench/serve): 16 in-process committers are
// unchanged by this; with a 300µs pause after each commit they went from
// 8.5 to 15.8 commits per fdatasync and about twice the commit rate; 16
// blitz serve clients from 9.7 to 15.7 commits per fdatasync and 2-4% more
// commits per second, the rest of their time being round trips.
func (w *WAL) lead(g *group) {
	if w.cur != g {
		// Cannot happen: cur only changes hands with the flush.
		panic("blitz/txn: flush handed to a member of another group")
	}
	w.grow = false
	if w.opts.Sync == SyncFull && g.n >= w.want {
		w.grow = w.holdGrow == 0
		w.holdGrow = max(w.holdGrow-1, 0)
		if w.probing {
			w.backoff = minBackoff
		}
	} else if w.opts.Sync == SyncFull {
		// A group released more than maxGroupWait ago is not the one these
		// committers came back from: wait half a sync time, learn nothing.
		since := time.Since(w.released)
		fresh := since > maxGroupWait
		d := time.Duration(w.syncNanos / 2)
		if !fresh && w.fillNanos > w.syncNanos {
			d = time.Duration(w.fillNanos*5/4) - since
		}
		d = max(min(d, maxGroupWait), 10*time.Microsecond)
		g.target, g.full = w.want, make(chan struct{})
		full := g.full
		w.mu.Unlock()
		if w.timer == nil {
			w.timer = time.NewTimer(d)
		} else {
			w.timer.Reset(d)
		}
		filled := false
		select {
		case <-full:
			w.timer.Stop()
			filled = true
		case <-w.timer.C:
		}
		switch {
		case filled:
			w.grow = w.holdGrow == 0
			w.holdGrow = max(w.holdGrow-1, 0)
			if w.probing {
				w.backoff = minBackoff
			}
		case w.probing:
			// The one more did not come: there are probably no more
			// committers. Try again later, and later each time it fails
			// (a lone committer pays for a try less and less often).
			w.holdGrow = w.backoff
			w.backoff = min(2*w.backoff, maxBackoff)
			fresh = true // a failed try says nothing about fill times
		default:
			w.holdGrow = minBackoff
		}
		if !fresh {
			sample := min(int64(time.Since(w.released)), int64(maxGroupWait))
			if !filled {
				sample = sample * 3 / 2
			}
			w.fillNanos += (sample - w.fillNanos) / 8
		}
		w.mu.Lock()
		g.full = nil
	}
	w.cur = newGroup()
	w.cur.buf, w.spare = w.spare, nil
	w.mu.Unlock()
	w.flushAndHandOff(g)
}

// flushAndHandOff flushes g (the caller owns the flush), then hands the flush
// to a member of the next group if it has any, and releases g's members.
func (w *WAL) flushAndHandOff(g *group) {
	w.mu.Lock()
	err := w.refusalLocked()
	start := flushStart{seg: w.segs[len(w.segs)-1].first, off: w.writeOff}
	w.mu.Unlock()
	if err == nil {
		if err = w.flush(g); err != nil {
			err = w.failFlush(g, start, err)
		}
	}
	w.mu.Lock()
	if err != nil {
		g.err = err
		w.lostBytes += int64(len(g.buf))
		// The stats count what reached the log: not this group.
		w.stats.Commits -= int64(g.commits)
		w.stats.Bytes -= int64(len(g.buf))
	} else {
		w.durable = g.last
	}
	w.want = g.n + w.cur.n
	w.probing = w.grow && w.want <= g.n
	if w.probing {
		w.want = g.n + 1
	}
	if cap(g.buf) <= maxSpareBuf {
		// Nothing reads g's frames once written: its buffer serves the
		// group after next, so a steady load appends without growing one.
		w.spare = g.buf[:0]
	}
	if next := w.cur; next.n > 0 {
		next.lead <- struct{}{}
	} else {
		w.flushing = false
		w.idle.Broadcast()
	}
	w.released = time.Now()
	w.mu.Unlock()
	close(g.done)
}

// flush writes g's frames to the segments they belong to, rotating at its
// cuts, and syncs (under SyncFull). The caller owns the flush.
func (w *WAL) flush(g *group) error {
	// The previous group's sync has returned: say so in this group's
	// group frame, which recovery reads as proof that every frame through
	// synced was durable before this write began (see the format comment).
	sealGroupFrame(g.buf[:groupFrameSize], w.synced)
	start := 0
	for _, c := range g.cuts {
		if err := w.write(g.buf[start:c.off]); err != nil {
			return err
		}
		if err := w.rotate(c.first); err != nil {
			return err
		}
		start = c.off
	}
	if cap(g.buf)-len(g.buf) < FrameHeaderSize {
		// Room for writeLast's end mark in the buffer itself, which
		// serves a later group (flushAndHandOff): else writeLast would
		// copy the frames into a new one at every flush.
		g.buf = slices.Grow(g.buf, FrameHeaderSize)
	}
	if err := w.writeLast(g.buf[start:]); err != nil {
		return err
	}
	w.mu.Lock()
	w.stats.Groups++
	w.mu.Unlock()
	if w.opts.Sync == SyncFull {
		if err := failpoint("beforeGroupSync"); err != nil {
			return &syncError{path: w.fpath, err: err}
		}
		t0 := time.Now()
		if err := w.f.Sync(); err != nil {
			return &syncError{path: w.fpath, err: err}
		}
		w.syncNanos += (int64(time.Since(t0)) - w.syncNanos) / 8
		w.synced = g.last
		w.mu.Lock()
		w.stats.Syncs++
		w.mu.Unlock()
	}
	return nil
}

// endMark is written after the last frame of every group write (and
// overwritten by the next): a zeroed frame header, the clean end of the
// log. Without it, the bytes after the last frame of a recycled segment
// are an older life's frames at offsets that need not line up with the new
// ones, and reading them looks like a torn frame.
var endMark [FrameHeaderSize]byte

// writeLast writes p, the last frames of a group, followed by endMark when
// the segment has room for it (p is the tail of the group's buffer, so the
// mark goes into its spare capacity, in the same write).
func (w *WAL) writeLast(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n := len(p)
	if w.writeOff+int64(n)+FrameHeaderSize <= w.segBytes {
		p = append(p, endMark[:]...)
	}
	if _, err := w.f.WriteAt(p, w.writeOff); err != nil {
		return err
	}
	w.writeOff += int64(n)
	return nil
}

func (w *WAL) write(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if _, err := w.f.WriteAt(p, w.writeOff); err != nil {
		return err
	}
	w.writeOff += int64(len(p))
	return nil
}

// rotate syncs and closes the current segment and starts the segment whose
// first frame is first. The caller owns the flush.
func (w *WAL) rotate(first LSN) error {
	if err := failpoint("beforeSegmentSync"); err != nil {
		return &syncError{path: w.fpath, err: err}
	}
	if err := w.f.Sync(); err != nil {
		return &syncError{path: w.fpath, err: err}
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return err
	}
	w.synced = first - 1
	f, path, err := w.createSegment(first)
	if err != nil {
		return err
	}
	w.f, w.fpath, w.writeOff = f, path, SegmentHeaderSize
	w.markNewest(first)
	w.mu.Lock()
	w.segs = append(w.segs, segment{first: first, path: path})
	w.stats.Syncs++
	w.stats.Rotated++
	w.mu.Unlock()
	return nil
}

// Size returns the bytes of frames logged since the begin frame of the last
// completed checkpoint (or, with none, since the log began): what replay would
// read. The engine starts a checkpoint when it grows too large.
func (w *WAL) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bytes - w.ckpt.base
}

// Stats returns counters since OpenWAL.
func (w *WAL) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Recovery returns what OpenWAL found.
func (w *WAL) Recovery() RecoveryInfo { return w.rec }

// Dir returns the WAL directory.
func (w *WAL) Dir() string { return w.dir }

// Close waits for appends in flight, syncs the current segment and closes
// it. Calls after Close return ErrClosed. Close after a failure only closes
// the file and returns nil. Close does not checkpoint: that is the engine's
// job before closing.
func (w *WAL) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	for w.flushing {
		w.idle.Wait()
	}
	w.mu.Unlock()
	w.prepWG.Wait()
	w.mu.Lock()
	failed := w.failed
	f := w.f
	w.f = nil
	w.mu.Unlock()
	if f == nil {
		return nil
	}
	var err error
	if failed == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && failed == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("blitz/txn: close WAL: %w", err)
	}
	return nil
}

// failpointHook, when set by a test, is called at each named failpoint (just
// before every fsync and rename); a non-nil result is returned as the error
// of that sync or rename.
var failpointHook func(name string) error

func failpoint(name string) error {
	if h := failpointHook; h != nil {
		return h(name)
	}
	return nil
}
