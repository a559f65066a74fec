package txn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/blitzdb/blitz/internal/vfs"
)

// The newest-segment mark (see "The NEWEST file" in the package comment).
//
// Only the newest segment can hold the end of the log, and a log whose
// newest segment is gone reads as a log that ended cleanly one segment
// earlier (or, if it was the only one, as an empty log): the commits in it
// would be dropped without a word. The WAL directory therefore holds a small
// file naming the first LSN of the newest segment, replaced atomically each
// time a segment is started. OpenWAL refuses a log whose segments all start
// below the LSN it names.

// Wire constants of the NEWEST file: part of the format, never change them.
const (
	// NewestName is the name of the newest-segment mark in the WAL directory.
	NewestName = "NEWEST"
	// newestMagic opens the NEWEST file.
	newestMagic = "BLITZNEW"
	// newestVersion is the format version of the NEWEST file.
	newestVersion = 1
	// newestSize is the size of the NEWEST file.
	newestSize = 28
)

// appendNewest appends the NEWEST file's bytes naming the segment whose
// first frame is first.
func appendNewest(b []byte, first LSN) []byte {
	return appendStamp(b, newestMagic, newestVersion, first)
}

// parseNewest decodes the NEWEST file.
func parseNewest(b []byte) (LSN, error) {
	if len(b) != newestSize {
		return 0, fmt.Errorf("%d bytes, want %d", len(b), newestSize)
	}
	if string(b[:8]) != newestMagic {
		return 0, errors.New("bad magic")
	}
	if crc32.Checksum(b[:24], castagnoli) != binary.LittleEndian.Uint32(b[24:]) {
		return 0, errors.New("checksum mismatch")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != newestVersion {
		return 0, fmt.Errorf("unsupported version %d (this blitz reads version %d)", v, newestVersion)
	}
	first := LSN(binary.LittleEndian.Uint64(b[16:]))
	if first == 0 {
		return 0, errors.New("names LSN 0")
	}
	return first, nil
}

func (w *WAL) newestPath() string { return filepath.Join(w.dir, NewestName) }

// readNewest returns the first LSN of the newest segment as the NEWEST file
// names it, or 0 if there is no such file (a log written before it existed)
// or it cannot be read (logged: the check it serves is then skipped).
func (w *WAL) readNewest() LSN {
	b, err := vfs.ReadFile(w.fs, w.newestPath())
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			w.log.Warn("blitz/txn: cannot read the WAL's newest-segment mark; a missing newest segment cannot be detected at this open", "file", w.newestPath(), "err", err)
		}
		return 0
	}
	first, err := parseNewest(b)
	if err != nil {
		w.log.Warn("blitz/txn: the WAL's newest-segment mark is damaged; a missing newest segment cannot be detected at this open (the mark is rewritten)", "file", w.newestPath(), "err", err)
		return 0
	}
	return first
}

// markNewest makes the NEWEST file name the segment starting at first, if
// it does not already. The segment must be durable (created and its
// directory synced) before: the mark never names a segment that a crash
// could take away. A failure is only logged: a mark left naming an older
// segment weakens the check, it never makes a sound log look damaged.
func (w *WAL) markNewest(first LSN) {
	if w.newest == first {
		return
	}
	err := failpoint("beforeNewestWrite")
	if err == nil {
		err = vfs.WriteFileAtomic(w.fs, w.newestPath(), appendNewest(nil, first))
	}
	if err != nil {
		w.log.Warn("blitz/txn: could not update the WAL's newest-segment mark", "file", w.newestPath(), "segment", segmentName(first), "err", err)
		w.newest = 0 // unknown: written again at the next segment
		return
	}
	w.newest = first
}

// checkNewest returns a *CorruptionError if the NEWEST file names a
// segment later than every segment found (segs, in LSN order), whose last
// frame has LSN last: that segment, the newest of the log, is missing.
func (w *WAL) checkNewest(segs []segment, last LSN) error {
	w.newest = w.readNewest()
	if w.newest == 0 {
		return nil
	}
	var found LSN
	if n := len(segs); n > 0 {
		found = segs[n-1].first
	}
	if w.newest <= found {
		return nil
	}
	ends := "no segment is left"
	if len(segs) > 0 {
		ends = fmt.Sprintf("the log found ends at LSN %d in %s", last, filepath.Base(segs[len(segs)-1].path))
	}
	return &CorruptionError{File: filepath.Join(w.dir, segmentName(w.newest)), Offset: 0, LSN: w.newest, Missing: true, Reason: fmt.Sprintf(
		"%s names it as the newest segment of the log, but %s; the commits it held would be lost. "+
			"Put the file back and open again (nothing was changed); to give its commits up instead, remove %s and the recycled segments (*%s)",
		NewestName, ends, NewestName, FreeSuffix)}
}

// lowerNewest makes sure the NEWEST file names no segment after first,
// before the segments after first are removed (a write cut back, see
// cutBack): it names first, or is removed if it cannot be rewritten.
func (w *WAL) lowerNewest(first LSN) error {
	if w.newest != 0 && w.newest <= first {
		return nil
	}
	w.markNewest(first)
	if w.newest == first {
		return nil
	}
	if err := w.fs.Remove(w.newestPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", w.newestPath(), err)
	}
	return w.syncDir()
}

// checkRetired returns a *CorruptionError if a recycled segment's name
// (retiredName, naming first LSN retired) proves that the log once went
// further than the segments found (segs, whose last frame has LSN last):
// the newest segment and the NEWEST file both removed, which checkNewest
// cannot see. A segment is retired (renamed FIRST.free) only after a
// checkpoint-end frame past it is durable, and that frame's LSN is above
// retired; so a log found ending at or below retired has lost durable
// frames. It costs no I/O: the names come from the directory listing.
// Limits: without a recycled segment (removed with the rest, or none kept
// yet), or with a segment left that still holds that checkpoint, the loss
// of a newest segment holding only later commits stays undetected.
func (w *WAL) checkRetired(retired LSN, retiredName string, segs []segment, last LSN) error {
	if retired == 0 || last > retired {
		return nil
	}
	ends := "no segment is left"
	if len(segs) > 0 {
		ends = fmt.Sprintf("the log found ends at LSN %d in %s", last, filepath.Base(segs[len(segs)-1].path))
	}
	return &CorruptionError{File: filepath.Join(w.dir, retiredName), Offset: 0, Reason: fmt.Sprintf(
		"this recycled segment was retired by a checkpoint that ended past LSN %d, but %s: the newest segments of the log "+
			"and %s were removed, and the commits they held would be lost. Put them back and open again (nothing was changed); "+
			"to give their commits up instead, remove %s (if present) and the recycled segments (*%s) of %s",
		retired, ends, NewestName, NewestName, FreeSuffix, w.dir)}
}
