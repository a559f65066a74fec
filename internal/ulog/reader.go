package ulog

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
)

// ReadOptions select what Read delivers. The zero value reads everything and
// stops at the first damage.
type ReadOptions struct {
	FS       vfs.FS    // nil means vfs.Default
	AfterSeq uint64    // deliver only records with Seq > AfterSeq
	Since    time.Time // deliver only records committed at or after Since
	Until    time.Time // stop before the first record committed after Until
	// SkipDamaged resynchronises past damage on the next frame that verifies
	// instead of stopping; every skipped region is listed in the report.
	SkipDamaged bool
}

// ReadReport says what Read saw.
type ReadReport struct {
	Segments  int
	Frames    int    // frames that verified (delivered or filtered out)
	Delivered int    // records passed to the callback
	FirstSeq  uint64 // first and last verified sequence numbers (0 if none)
	LastSeq   uint64
	TornTail  bool           // the newest segment ended inside a frame (a crash while appending: normal)
	Damage    []*DamageError // regions skipped (SkipDamaged) or the damage that stopped the read
}

// Read calls fn for every record of the log in dir, in order, as opts
// selects. fn's record (and its byte slices) are valid only during the call.
// Damage stops the read with a *DamageError naming the file and offset, after
// every good record before it was delivered, unless opts.SkipDamaged.
func Read(dir string, opts ReadOptions, fn func(*Record) error) (ReadReport, error) {
	fs := opts.FS
	if fs == nil {
		fs = vfs.Default
	}
	var rep ReadReport
	segs, err := segments(fs, dir)
	if err != nil {
		return rep, err
	}
	rep.Segments = len(segs)
	var expect uint64 // next sequence number; 0 until the first frame
	damage := func(path string, off int, reason string) error {
		d := &DamageError{File: path, Offset: int64(off), Reason: reason, LastGood: rep.LastSeq}
		rep.Damage = append(rep.Damage, d)
		if opts.SkipDamaged {
			return nil
		}
		return d
	}
	for i, sg := range segs {
		path := filepath.Join(dir, sg.name)
		newest := i == len(segs)-1
		data, err := vfs.ReadFile(fs, path)
		if err != nil {
			return rep, fmt.Errorf("blitz/ulog: read %s: %w", path, err)
		}
		if err := checkHeader(data); err != nil {
			if newest && len(data) < HeaderSize {
				rep.TornTail = true
				break
			}
			if err := damage(path, 0, err.Error()); err != nil {
				return rep, err
			}
			continue
		}
		if expect != 0 && sg.first != expect {
			if err := damage(path, 0, fmt.Sprintf("segment starts at record %d, expected %d (a segment is missing)", sg.first, expect)); err != nil {
				return rep, err
			}
		}
		off := HeaderSize
		for off < len(data) {
			rec, n, perr := parseFrame(data[off:])
			if perr == nil && expect != 0 && rec.Seq != expect && !(opts.SkipDamaged && rec.Seq > expect) {
				perr = fmt.Errorf("record %d where %d was expected", rec.Seq, expect)
			}
			if perr != nil {
				if newest && nextValid(data, off+1) < 0 {
					// Damage with nothing after it in the newest segment: a
					// crash while appending, the normal end; or only the
					// zeros the writer fills ahead of its records.
					rep.TornTail = !allZero(data[off:])
					break
				}
				if err := damage(path, off, perr.Error()); err != nil {
					return rep, err
				}
				next := nextValid(data, off+1)
				if next < 0 {
					break
				}
				off = next
				continue
			}
			off += n
			expect = rec.Seq + 1
			rep.Frames++
			if rep.FirstSeq == 0 {
				rep.FirstSeq = rec.Seq
			}
			rep.LastSeq = rec.Seq
			if rec.Seq <= opts.AfterSeq || (!opts.Since.IsZero() && rec.Time < opts.Since.UnixNano()) {
				continue
			}
			if !opts.Until.IsZero() && rec.Time > opts.Until.UnixNano() {
				return rep, nil
			}
			rep.Delivered++
			if err := fn(&rec); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// nextValid returns the offset of the next frame at or after off that
// verifies, or -1.
func nextValid(data []byte, off int) int {
	for ; off+FrameHeaderSize <= len(data); off++ {
		if _, _, err := parseFrame(data[off:]); err == nil {
			return off
		}
	}
	return -1
}

// Verify checks every frame of the log in dir and reports what it found,
// without stopping at damage.
func Verify(dir string, fs vfs.FS) (ReadReport, error) {
	return Read(dir, ReadOptions{FS: fs, SkipDamaged: true}, func(*Record) error { return nil })
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
