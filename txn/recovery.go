package txn

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/blitzdb/blitz/internal/vfs"
)

// RecoveryInfo is what OpenWAL found in the log.
type RecoveryInfo struct {
	// LastCheckpoint is the through LSN of the last completed checkpoint
	// (0 if none): the data files hold every change up to it.
	LastCheckpoint LSN
	// CheckpointInterrupted is set when a checkpoint was begun after the last
	// completed one and never ended: the data files may hold a partial,
	// unsynced application of records after LastCheckpoint (through
	// InterruptedThrough), so the engine must salvage them before replay.
	CheckpointInterrupted bool
	InterruptedThrough    LSN
	// Records is the number of commit records Replay yields.
	Records int
	// FirstLSN and LastLSN bound the frames found (0 if none).
	FirstLSN, LastLSN LSN
	// Segments is the number of segment files read.
	Segments int
	// TornTail is set when the newest segment ended in a torn or damaged
	// frame (a crash during an append: the normal end of the log). TornFile,
	// TornOffset and TornReason say where and why; the segment was cut there.
	TornTail   bool
	TornFile   string
	TornOffset int64
	TornReason string
	// SkippedDamage says, one line per damaged region, where the log was
	// found damaged in frames that the last completed checkpoint covers:
	// their changes are in the data files, so they are not needed and were
	// skipped (damage in frames it does not cover fails OpenWAL).
	SkippedDamage []string
}

// damagedRegion is a run of LSNs that could not be read, in a segment
// that goes on after it (a later group frame was found past the damage)
// or before the next segment.
type damagedRegion struct {
	from, to LSN              // the LSNs lost to the damage
	why      string           // what was found, for the note when it is skipped
	err      *CorruptionError // what OpenWAL returns unless a checkpoint covers to
}

// scanResult is what one segment holds.
type scanResult struct {
	last    LSN // last valid LSN, first-1 if none
	end     frameEnd
	size    int64
	version uint32 // format version of the segment header
	hdrErr  error  // header unreadable or not matching the name
	// damage lists the bad frames the scan read past: each was followed
	// by a valid group frame of a later write (see resync in scanSegment).
	damage []damagedRegion
}

// scanSegment reads the frames of the segment s, calling visit for each in
// order (visit's frame payload is valid only during the call).
func (w *WAL) scanSegment(s segment, visit func(frame) error) (scanResult, error) {
	res := scanResult{last: s.first - 1}
	f, err := w.fs.OpenFile(s.path, os.O_RDONLY, 0)
	if err != nil {
		return res, fmt.Errorf("blitz/txn: open segment: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return res, fmt.Errorf("blitz/txn: size of %s: %w", s.path, err)
	}
	res.size = size
	hdr := make([]byte, SegmentHeaderSize)
	if size < SegmentHeaderSize {
		res.hdrErr = errors.New("segment shorter than its header")
		return res, nil
	}
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return res, fmt.Errorf("blitz/txn: read %s: %w", s.path, err)
	}
	first, version, err := parseSegmentHeader(hdr)
	if err == nil && first != s.first {
		err = fmt.Errorf("header names first LSN %d, file name %d", first, s.first)
	}
	if err != nil {
		res.hdrErr = err
		return res, nil
	}
	res.version = version
	fr := newFrameReader(io.NewSectionReader(f, SegmentHeaderSize, size-SegmentHeaderSize), SegmentHeaderSize, size, s.first, version)
	for {
		fm, end, ok, err := fr.next()
		if err != nil {
			return res, fmt.Errorf("blitz/txn: read %s: %w", s.path, err)
		}
		if !ok && end.Kind == endTorn && version >= 2 {
			// A bad frame followed by a valid group frame of a later
			// write is damage, not a torn write (see the format
			// comment): read on from that group frame, and let OpenWAL
			// decide whether the frames lost are needed.
			ev, found, err := findDurableEvidence(f, end.At, end.At+1, size, end.Expect)
			if err != nil {
				return res, fmt.Errorf("blitz/txn: read %s: %w", s.path, err)
			}
			if found {
				why := fmt.Sprintf("%s; a later group write follows at offset %d, LSN %d", end.Reason, ev.Offset, ev.LSN)
				res.damage = append(res.damage, damagedRegion{from: end.Expect, to: ev.LSN - 1, why: why, err: &CorruptionError{
					File: s.path, Offset: end.At, LSN: end.Expect, Reason: fmt.Sprintf(
						"%s, but the frame was synced: a later group write (its group frame at offset %d, LSN %d) began once the log was synced through LSN %d; "+
							"this is damage to committed transactions, not a torn write, so the log is not cut there",
						end.Reason, ev.Offset, ev.LSN, ev.Synced)}})
				fr = newFrameReader(io.NewSectionReader(f, ev.Offset, size-ev.Offset), ev.Offset, size, ev.LSN, version)
				continue
			}
		}
		if !ok {
			res.end = end
			return res, nil
		}
		res.last = fm.LSN
		if visit != nil {
			if err := visit(fm); err != nil {
				return res, err
			}
		}
	}
}

// OpenWAL opens the WAL in dir (creating dir if missing), reads every
// segment to find the last completed checkpoint and the end of the log, and
// gets ready to append. A torn or damaged frame at the end of the newest
// segment is the normal end of the log: it is cut off (the newest segment is
// truncated there and a new segment started, so no byte of the torn write can
// ever be read as a frame again), and logged and reported in Recovery. Damage
// anywhere else, missing LSNs, or a missing newest segment (newest.go) is
// returned as a *CorruptionError naming the file and offset, except damage
// to frames the last completed checkpoint covers, which loses nothing: it
// is skipped, logged and reported in RecoveryInfo.SkippedDamage. Call
// Replay next to get the records to redo.
func OpenWAL(dir string, o Options) (*WAL, error) {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	auto := o.SegmentBytes <= 0
	if auto {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SegmentBytes < SegmentHeaderSize+FrameHeaderSize+1 {
		o.SegmentBytes = SegmentHeaderSize + FrameHeaderSize + 1
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	w := &WAL{dir: dir, fs: o.FS, opts: o, log: o.Logger, segBytes: o.SegmentBytes, autoSize: auto, backoff: minBackoff}
	w.idle.L = &w.mu
	w.cur = newGroup()
	if err := w.open(); err != nil {
		if w.f != nil {
			w.f.Close()
			w.f = nil
		}
		var nospace *NoSpaceError
		if errors.As(err, &nospace) {
			return nil, err // names the directory already
		}
		return nil, fmt.Errorf("blitz/txn: open WAL %s: %w", dir, err)
	}
	return w, nil
}

func (w *WAL) open() error {
	if err := w.fs.MkdirAll(w.dir, 0o755); err != nil {
		return err
	}
	if w.autoSize {
		w.fitSegmentsToDisk()
	}
	names, err := w.fs.ReadDir(w.dir)
	if err != nil {
		return err
	}
	var segs []segment
	var retired LSN // the highest first LSN of a retired segment (see checkRetired)
	var retiredName string
	for _, n := range names {
		if lsn, ok := parseSegmentName(n); ok {
			segs = append(segs, segment{first: lsn, path: filepath.Join(w.dir, n)})
		} else if strings.HasSuffix(n, FreeSuffix) {
			if lsn, ok := parseSegmentName(strings.TrimSuffix(n, FreeSuffix) + SegmentSuffix); ok && lsn > retired {
				retired, retiredName = lsn, n
			}
			if len(w.free) < maxFreeSegments {
				w.free = append(w.free, filepath.Join(w.dir, n))
			} else if err := w.fs.Remove(filepath.Join(w.dir, n)); err != nil {
				return err
			}
		}
	}
	// Names have a fixed width, so ReadDir's order is LSN order.
	rec := &w.rec
	rec.Segments = len(segs)
	var (
		commits       int // commit frames seen
		commitsAtBgn  int // commits seen when the last begin frame was read
		commitsAtCkpt int // commits with LSN <= LastCheckpoint
		bytes         int64
		bytesAtBgn    int64
		bytesAtCkpt   int64
	)
	var curPath string
	visit := func(f frame) error {
		bytes += f.Group
		switch f.Type {
		case frameCommit:
			if _, err := DecodeBatch(f.Payload); err != nil {
				return &CorruptionError{File: curPath, Offset: f.Offset, LSN: f.LSN, Reason: "commit record: " + err.Error()}
			}
			commits++
		case frameCheckpointBegin, frameCheckpointEnd:
			through, err := parseCheckpointPayload(f.Payload)
			if err != nil {
				return &CorruptionError{File: curPath, Offset: f.Offset, LSN: f.LSN, Reason: err.Error()}
			}
			if f.Type == frameCheckpointBegin {
				rec.CheckpointInterrupted, rec.InterruptedThrough = true, through
				commitsAtBgn, bytesAtBgn = commits, bytes
			} else if rec.CheckpointInterrupted && through == rec.InterruptedThrough {
				rec.LastCheckpoint = through
				rec.CheckpointInterrupted, rec.InterruptedThrough = false, 0
				commitsAtCkpt, bytesAtCkpt = commitsAtBgn, bytesAtBgn
			}
		}
		if rec.FirstLSN == 0 {
			rec.FirstLSN = f.LSN
		}
		rec.LastLSN = f.LSN
		bytes += f.Size
		return nil
	}
	var newest scanResult
	var damage []damagedRegion // in LSN order
	for i, s := range segs {
		curPath = s.path
		res, err := w.scanSegment(s, visit)
		if err != nil {
			return err
		}
		damage = append(damage, res.damage...)
		if i == len(segs)-1 {
			newest = res
			break
		}
		next := segs[i+1].first
		switch {
		case res.hdrErr != nil:
			damage = append(damage, damagedRegion{from: s.first, to: next - 1, why: "segment header: " + res.hdrErr.Error(),
				err: &CorruptionError{File: s.path, Offset: 0, Reason: res.hdrErr.Error()}})
		case res.last+1 < next:
			damage = append(damage, damagedRegion{from: res.last + 1, to: next - 1, why: res.end.Reason,
				err: &CorruptionError{File: s.path, Offset: res.end.At, LSN: res.last + 1, Reason: fmt.Sprintf(
					"segment ends at LSN %d (%s) but the next segment starts at LSN %d", res.last, res.end.Reason, next)}})
		case res.last+1 > next:
			return &CorruptionError{File: s.path, Offset: res.end.At, LSN: next, Reason: fmt.Sprintf(
				"segment ends at LSN %d (%s) but the next segment starts at LSN %d", res.last, res.end.Reason, next)}
		}
	}
	if err := w.checkNewest(segs, rec.LastLSN); err != nil {
		return err
	}
	if err := w.checkRetired(retired, retiredName, segs, rec.LastLSN); err != nil {
		return err
	}
	// Damage in frames the last completed checkpoint covers loses
	// nothing: their changes are in the data files. Any other is refused.
	for _, d := range damage {
		if d.to > rec.LastCheckpoint {
			return d.err
		}
		msg := fmt.Sprintf("%s at offset %d: LSNs %d to %d unreadable (%s); the checkpoint through LSN %d covers them, so they are not needed",
			d.err.File, d.err.Offset, d.from, d.to, d.why, rec.LastCheckpoint)
		rec.SkippedDamage = append(rec.SkippedDamage, msg)
		w.log.Warn("blitz/txn: WAL damage in frames already checkpointed into the data files: skipped, nothing is lost",
			"segment", d.err.File, "offset", d.err.Offset, "from_lsn", d.from, "to_lsn", d.to, "last_checkpoint", rec.LastCheckpoint, "reason", d.why)
	}
	if len(segs) > 0 && segs[0].first > rec.LastCheckpoint+1 {
		return &CorruptionError{File: segs[0].path, Offset: 0, Reason: fmt.Sprintf(
			"log starts at LSN %d but the last completed checkpoint covers only LSNs through %d", segs[0].first, rec.LastCheckpoint)}
	}
	rec.Records = commits - commitsAtCkpt
	w.bytes = bytes - bytesAtCkpt
	w.replaySegs = segs
	w.replayLast = rec.LastLSN

	var reuse string // the newest segment, empty and whole: appended to as it is
	if len(segs) == 0 {
		w.nextLSN = 1
	} else {
		n := segs[len(segs)-1]
		w.nextLSN = newest.last + 1
		switch {
		case newest.hdrErr != nil:
			rec.TornTail, rec.TornFile, rec.TornOffset, rec.TornReason = true, n.path, 0, newest.hdrErr.Error()
		case newest.end.Kind == endTorn:
			rec.TornTail, rec.TornFile, rec.TornOffset, rec.TornReason = true, n.path, newest.end.Offset, newest.end.Reason
		}
		if rec.TornTail {
			w.log.Warn("blitz/txn: WAL ends in a torn frame (crash during an append); cutting it",
				"segment", n.path, "offset", rec.TornOffset, "reason", rec.TornReason, "last_lsn", newest.last)
		}
		// Never append after what was found: bytes of an unsynced write may
		// lie beyond the end. Cut the newest segment there and start anew.
		switch {
		case newest.last >= n.first:
			if err := w.truncate(n.path, newest.end.Offset); err != nil {
				return err
			}
		case newest.hdrErr == nil && newest.version == Version && newest.end.Kind == endClean && newest.end.Offset == SegmentHeaderSize && newest.size >= w.segBytes:
			// No frame since its header, which names the next LSN, and
			// full size: the state createSegment would recreate (by
			// zero-filling the whole segment, tens of milliseconds on
			// every open, a read-only `blitz sql` included), or that of
			// a recycled segment (stale bytes after the header end at
			// the first frame the scan rejects; appends overwrite them
			// and end each group with a zeroed frame header). Append to
			// it as it is, unless it is of an older format version.
			reuse = n.path
		default:
			segs = segs[:len(segs)-1] // recreated below under the same name
		}
	}
	w.segs = append([]segment(nil), segs...)
	if reuse != "" {
		f, err := w.fs.OpenFile(reuse, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("reopen segment: %w", err)
		}
		// The directory entry may not be durable if the process that
		// created the file died before syncing it.
		if err := w.syncDir(); err != nil {
			f.Close()
			return err
		}
		w.f, w.fpath, w.writeOff, w.appendOff = f, reuse, SegmentHeaderSize, SegmentHeaderSize
		w.markNewest(w.segs[len(w.segs)-1].first)
	} else {
		f, path, err := w.createSegment(w.nextLSN)
		if err != nil {
			return err
		}
		w.f, w.fpath, w.writeOff, w.appendOff = f, path, SegmentHeaderSize, SegmentHeaderSize
		w.segs = append(w.segs, segment{first: w.nextLSN, path: path})
		w.markNewest(w.nextLSN)
	}
	w.durable = w.nextLSN - 1
	// What was found was synced: by the cut above, or before a later
	// segment got its first frame.
	w.synced = w.durable
	if rec.Segments > 0 {
		w.log.Info("blitz/txn: WAL recovered", "dir", w.dir, "segments", rec.Segments,
			"last_checkpoint", rec.LastCheckpoint, "checkpoint_interrupted", rec.CheckpointInterrupted,
			"records", rec.Records, "torn_tail", rec.TornTail)
	}
	return nil
}

// truncate cuts the segment at path to size and syncs it.
func (w *WAL) truncate(path string, size int64) error {
	f, err := w.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("cut %s at %d: %w", path, size, err)
	}
	if err := failpoint("beforeTruncateSync"); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cut %s at %d: %w", path, size, err)
	}
	return nil
}

// Replay calls fn, in LSN order, for every commit record after the last
// completed checkpoint that OpenWAL found. b aliases a buffer reused after fn
// returns: fn must copy what it keeps. An error from fn stops the replay and
// is returned. Replay reads the segments again; call it before the first
// checkpoint (it returns ErrReplayAfterCheckpoint after one), typically right
// after OpenWAL. Commits appended since OpenWAL are not replayed.
func (w *WAL) Replay(fn func(lsn LSN, b Batch) error) error {
	w.mu.Lock()
	done := w.ckpt.completed
	w.mu.Unlock()
	if done {
		return ErrReplayAfterCheckpoint
	}
	from := w.rec.LastCheckpoint
	errStop := errors.New("stop")
	var fnErr error
	for i, s := range w.replaySegs {
		if i+1 < len(w.replaySegs) && w.replaySegs[i+1].first <= from+1 {
			continue // wholly covered by the checkpoint
		}
		_, err := w.scanSegment(s, func(f frame) error {
			if f.LSN > w.replayLast {
				return errStop
			}
			if f.Type != frameCommit || f.LSN <= from {
				return nil
			}
			b, err := DecodeBatch(f.Payload)
			if err != nil {
				return &CorruptionError{File: s.path, Offset: f.Offset, LSN: f.LSN, Reason: "commit record: " + err.Error()}
			}
			if err := fn(f.LSN, b); err != nil {
				fnErr = err
				return errStop
			}
			return nil
		})
		if fnErr != nil {
			return fnErr
		}
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("blitz/txn: replay: %w", err)
		}
	}
	return nil
}
