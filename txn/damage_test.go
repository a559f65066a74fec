package txn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// TestDamageInNewestSegment: a byte flipped in a frame in the middle of the
// newest segment, with later group writes after it, is corruption naming
// the segment, the offset and the LSN of the damaged frame, and the log is
// left as it is (the version 1 format cut it there as a torn tail, dropping
// the acknowledged commits after it). Under SyncOff nothing in the newest
// segment is known synced, so the same damage still reads as a torn tail.
func TestDamageInNewestSegment(t *testing.T) {
	const commits, k = 10, 4 // damage the group write of the fifth commit (LSN 5)
	for _, tc := range []struct {
		name   string
		sync   SyncMode
		flip   int64 // offset of the flipped byte in the damaged group write
		badOff int64 // offset of the bad frame in it
	}{
		{"commit payload", SyncFull, groupFrameSize + FrameHeaderSize + 2, groupFrameSize},
		{"commit length", SyncFull, groupFrameSize + 5, groupFrameSize},
		{"group frame", SyncFull, FrameHeaderSize + 3, 0},
		{"SyncOff", SyncOff, groupFrameSize + FrameHeaderSize + 2, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := mustOpen(t, nil, "", Options{Sync: tc.sync})
			var offs []int64 // where each group write starts
			for i := 0; i < commits; i++ {
				offs = append(offs, w.appendOff)
				mustCommit(t, w, put(fmt.Sprint(i), "value"))
			}
			path := w.segs[len(w.segs)-1].path
			w.Close()
			corrupt(t, path, offs[k]+tc.flip)
			damaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			w2, err := OpenWAL(w.dir, w.opts)
			if tc.badOff < 0 {
				if err != nil {
					t.Fatalf("OpenWAL under SyncOff: %v", err)
				}
				if rec := w2.Recovery(); !rec.TornTail || rec.Records != k {
					t.Fatalf("SyncOff: recovery %+v, want a torn tail after %d records", rec, k)
				}
				w2.Close()
				return
			}
			var ce *CorruptionError
			if !errors.As(err, &ce) || ce.File != path || ce.Offset != offs[k]+tc.badOff || ce.LSN != k+1 {
				t.Fatalf("OpenWAL: %v (%+v); want corruption in %s at offset %d, LSN %d", err, ce, path, offs[k]+tc.badOff, k+1)
			}
			msg := err.Error()
			for _, want := range []string{path, fmt.Sprintf("offset %d", offs[k]+tc.badOff), fmt.Sprintf("LSN %d", k+1), "not a torn write"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not say %q", msg, want)
				}
			}
			t.Log(msg)
			if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, damaged) {
				t.Fatalf("the failed open changed the segment (%d bytes, was %d): %v", len(after), len(damaged), err)
			}
			corrupt(t, path, offs[k]+tc.flip) // undo the damage: every commit is there
			w = reopen(t, w)
			if rec, got := w.Recovery(), replayAll(t, w); rec.TornTail || len(got) != commits {
				t.Fatalf("after undoing the damage: %+v, %d records", rec, len(got))
			}
		})
	}
}

// TestDamageInOneGroupWrite: in a group write of several commits, damage to
// its first commit is proven by the next group write, whatever group sizes
// the committers made.
func TestDamageInOneGroupWrite(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	ctx := context.Background()
	var waits []Waiter
	var groupAt int64 = w.appendOff
	for i := 0; i < 5; i++ {
		_, wt, err := w.CommitAsync(ctx, put(fmt.Sprint(i), "value"))
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, wt)
	}
	for _, wt := range waits {
		if err := wt.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	if s := w.Stats(); s.Groups != 1 {
		t.Fatalf("%d groups, want the 5 commits in one", s.Groups)
	}
	mustCommit(t, w, put("later", "value"))
	path := w.segs[len(w.segs)-1].path
	w.Close()
	corrupt(t, path, groupAt+groupFrameSize+FrameHeaderSize+1)
	_, err := OpenWAL(w.dir, w.opts)
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.LSN != 1 || ce.Offset != groupAt+groupFrameSize {
		t.Fatalf("OpenWAL: %v", err)
	}
	corrupt(t, path, groupAt+groupFrameSize+FrameHeaderSize+1)
}

// TestTornFinalGroupWrite: a power cut during the fdatasync of a group
// write of several commits keeps, drops or garbles each of its sectors
// independently, so intact frames of the write may follow a lost one
// (holes). That is a torn write, the normal end of the log: the log opens,
// cut at the first bad frame, with every acknowledged commit and a prefix
// of the others. Some seeds must produce holes for the test to mean
// anything.
func TestTornFinalGroupWrite(t *testing.T) {
	const acked, last = 6, 8
	batch := func(i int) Batch {
		return Batch{{Table: "t", Kind: OpPut, Key: []byte(fmt.Sprint(i)), Value: bytes.Repeat([]byte{byte('a' + i)}, 300)}}
	}
	holes, torn := 0, 0
	base := seed(t)
	for s := int64(0); s < 64; s++ {
		fs := vfs.NewCrash()
		o := Options{FS: fs, SegmentBytes: 64 << 10, Logger: quiet}
		w, err := OpenWAL("/wal", o)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < acked; i++ {
			mustCommit(t, w, batch(i))
		}
		// The final group write: last commits in one write, whose sync the
		// power fails at.
		start := w.appendOff
		var frames [][]byte // the frames of the final write, as written
		var waits []Waiter
		for i := acked; i < acked+last; i++ {
			lsn, wt, err := w.CommitAsync(context.Background(), batch(i))
			if err != nil {
				t.Fatal(err)
			}
			f, _ := appendFrame(nil, frameCommit, lsn, batch(i).AppendEncoded(nil))
			frames = append(frames, f)
			waits = append(waits, wt)
		}
		fs.CutPowerAtSync(1, base+s)
		for _, wt := range waits {
			if err := wt.Wait(); !errors.Is(err, vfs.ErrPowerCut) {
				t.Fatalf("commit of the cut write: %v", err)
			}
		}
		w.Close()
		after := fs.AfterCut()
		// Which frames of the final write survived whole?
		img, err := vfs.ReadFile(after, w.segs[0].path)
		if err != nil {
			t.Fatal(err)
		}
		off, lost := start+groupFrameSize, false
		for _, f := range frames {
			whole := bytes.Equal(img[off:off+int64(len(f))], f)
			if !whole {
				lost = true
			} else if lost {
				holes++
				break
			}
			off += int64(len(f))
		}
		o.FS = after
		w, err = OpenWAL("/wal", o)
		if err != nil {
			t.Fatalf("seed %d: a torn final write does not open: %v", base+s, err)
		}
		rec := w.Recovery()
		if rec.TornTail {
			torn++
		}
		got := replayAll(t, w)
		if len(got) < acked {
			t.Fatalf("seed %d: %d records replayed, %d were acknowledged", base+s, len(got), acked)
		}
		for i, r := range got {
			if r.lsn != LSN(i+1) || !sameBatch(r.b, batch(i)) {
				t.Fatalf("seed %d: record %d is LSN %d %v", base+s, i, r.lsn, r.b)
			}
		}
		w.Close()
	}
	t.Logf("64 cuts: %d torn tails, %d with intact frames after a lost one", torn, holes)
	if holes == 0 || torn == 0 {
		t.Fatalf("no cut made holes in the final write (%d torn): the test proves nothing", torn)
	}
}

// TestRecycledSegmentStaleGroupFrames: past the end of the log in a
// recycled segment lie valid group frames of its older life, with synced
// values that may look large; their LSNs are below the segment's, so a
// torn last frame there is still a torn tail, not corruption.
func TestRecycledSegmentStaleGroupFrames(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 8 << 10})
	value := strings.Repeat("v", 100)
	for i := 0; i < 200; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), value))
	}
	through, err := w.BeginCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	first := w.segs[len(w.segs)-1].first
	for w.segs[len(w.segs)-1].first == first {
		mustCommit(t, w, put("next", value)) // into a recycled segment
	}
	var lastAt int64
	for i := 0; i < 3; i++ {
		lastAt = w.appendOff
		mustCommit(t, w, put("last", value))
	}
	seg := w.segs[len(w.segs)-1]
	w.Close()
	b, err := os.ReadFile(seg.path)
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for i := lastAt + 1; i+groupFrameSize <= int64(len(b)); i++ {
		g := b[i : i+groupFrameSize]
		if bytes.Equal(g[4:9], groupPattern) && crc32.Checksum(g[4:], castagnoli) == binary.LittleEndian.Uint32(g) &&
			LSN(binary.LittleEndian.Uint64(g[9:])) < seg.first {
			stale++
		}
	}
	if stale == 0 {
		t.Fatalf("setup: %s holds no stale group frame past the log", seg.path)
	}
	corrupt(t, seg.path, lastAt+groupFrameSize+FrameHeaderSize+2)
	w = reopen(t, w)
	if rec := w.Recovery(); !rec.TornTail || rec.TornFile != seg.path || rec.TornOffset != lastAt {
		t.Fatalf("recovery %+v, want a torn tail at %d with %d stale group frames after it", rec, lastAt, stale)
	}
}

// writeV1Segment writes a version 1 segment (no group frames) at dir
// holding commits first..first+n-1 (put(i, "v1")), zero-filled to size.
func writeV1Segment(t *testing.T, dir string, first LSN, n int, size int) (path string, offs []int64) {
	t.Helper()
	hdr := appendSegmentHeader(nil, first)
	binary.LittleEndian.PutUint32(hdr[8:], 1)
	binary.LittleEndian.PutUint32(hdr[24:], crc32.Checksum(hdr[:24], castagnoli))
	b := hdr
	for i := 0; i < n; i++ {
		offs = append(offs, int64(len(b)))
		var err error
		if b, err = appendFrame(b, frameCommit, first+LSN(i), put(fmt.Sprint(i), "v1").AppendEncoded(nil)); err != nil {
			t.Fatal(err)
		}
	}
	b = append(b, make([]byte, size-len(b))...)
	path = filepath.Join(dir, segmentName(first))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, offs
}

func segmentVersion(t *testing.T, path string) uint32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, v, err := parseSegmentHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVersion1Segments: a log written in format version 1 opens and
// replays; new frames go to a version 2 segment; damage in the middle of a
// version 1 newest segment keeps the old rule (a torn tail), and an empty
// version 1 segment is recreated rather than appended to.
func TestVersion1Segments(t *testing.T) {
	t.Run("replay and append", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "wal")
		v1, _ := writeV1Segment(t, dir, 1, 5, 64<<10)
		w := mustOpen(t, nil, dir, Options{})
		if rec := w.Recovery(); rec.TornTail || rec.Records != 5 || rec.LastLSN != 5 {
			t.Fatalf("recovery %+v", rec)
		}
		if got := replayAll(t, w); len(got) != 5 || !sameBatch(got[4].b, put("4", "v1")) {
			t.Fatalf("replayed %d", len(got))
		}
		if lsn := mustCommit(t, w, put("new", "v2")); lsn != 6 {
			t.Fatalf("LSN %d", lsn)
		}
		if v := segmentVersion(t, w.segs[len(w.segs)-1].path); v != Version || w.segs[0].path != v1 {
			t.Fatalf("appended to a version %d segment; segments %v", v, w.segs)
		}
		w = reopen(t, w)
		if got := replayAll(t, w); len(got) != 6 || !sameBatch(got[5].b, put("new", "v2")) {
			t.Fatalf("replayed %d after reopen", len(got))
		}
	})
	t.Run("damage reads as torn", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "wal")
		path, offs := writeV1Segment(t, dir, 1, 5, 64<<10)
		corrupt(t, path, offs[2]+FrameHeaderSize+1)
		w := mustOpen(t, nil, dir, Options{})
		if rec := w.Recovery(); !rec.TornTail || rec.Records != 2 || rec.TornOffset != offs[2] {
			t.Fatalf("recovery %+v", rec)
		}
	})
	t.Run("empty segment recreated", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "wal")
		path, _ := writeV1Segment(t, dir, 1, 0, 64<<10)
		w := mustOpen(t, nil, dir, Options{})
		mustCommit(t, w, put("a", "b"))
		if v := segmentVersion(t, path); v != Version {
			t.Fatalf("the empty version 1 segment was appended to as it was (version %d)", v)
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		hdr := appendSegmentHeader(nil, 1)
		binary.LittleEndian.PutUint32(hdr[8:], Version+1)
		binary.LittleEndian.PutUint32(hdr[24:], crc32.Checksum(hdr[:24], castagnoli))
		if _, _, err := parseSegmentHeader(hdr); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("version %d", Version+1)) {
			t.Fatalf("parse of a version %d header: %v", Version+1, err)
		}
	})
}

// TestGroupFrameRules: what the frame reader accepts of group frames.
func TestGroupFrameRules(t *testing.T) {
	group := func(lsn, synced LSN) []byte {
		g := appendGroupFrame(nil, lsn)
		sealGroupFrame(g, synced)
		return g
	}
	commit := func(lsn LSN) []byte {
		f, _ := appendFrame(nil, frameCommit, lsn, []byte{0})
		return f
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name    string
		b       []byte
		version uint32
		frames  int
		kind    endKind
		end     int64
	}{
		{"grouped", cat(group(7, 6), commit(7), commit(8), group(9, 8), commit(9)), Version, 3, endClean, 2*groupFrameSize + 3*minFrameSize},
		{"dangling group frame", cat(group(7, 6), commit(7), group(8, 7)), Version, 1, endClean, groupFrameSize + minFrameSize},
		{"group frame then bad frame", cat(group(7, 6), commit(7), group(8, 7), commit(8)[:10]), Version, 1, endTorn, groupFrameSize + minFrameSize},
		{"two group frames", cat(group(7, 6), group(7, 6), commit(7)), Version, 0, endTorn, 0},
		{"synced not below its LSN", cat(group(7, 7), commit(7)), Version, 0, endTorn, 0},
		{"stale group frame", cat(commit(7), group(3, 2), commit(3)), Version, 1, endClean, minFrameSize},
		{"version 1", cat(group(7, 6), commit(7)), 1, 0, endTorn, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, end := readFrames(t, tc.b, tc.version)
			if n != tc.frames || end.Kind != tc.kind || end.Offset != tc.end {
				t.Fatalf("%d frames, end %+v; want %d frames, kind %d at %d", n, end, tc.frames, tc.kind, tc.end)
			}
		})
	}
}

// TestWriteFailureAfterRotationInGroup: a group write that rotated (its
// first frames synced into the old segment) and then failed is cut back,
// and its LSNs are reused after Resume; the group frames written from then
// on must not claim those LSNs as synced, or the log would stop reading at
// the first of them and lose the commits acknowledged after Resume.
func TestWriteFailureAfterRotationInGroup(t *testing.T) {
	mem := vfs.NewCrash()
	efs := vfs.NewErrorFS(mem)
	w, err := OpenWAL("/wal", Options{FS: efs, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	big := func(k string) Batch {
		return Batch{{Table: "t", Kind: OpPut, Key: []byte(k), Value: bytes.Repeat([]byte("v"), 150)}}
	}
	mustCommit(t, w, big("before"))
	// The third write to a file other than the first segment is the group's
	// part in the new one (after its zero fill and its header).
	first := segmentName(1)
	efs.Only(func(name string) bool { return !strings.HasSuffix(name, first) && !isNewestFile(name) })
	efs.FailAfter(3, vfs.OpWrite, false)
	var waits []Waiter
	for i := 0; i < 3; i++ {
		_, wt, err := w.CommitAsync(context.Background(), big(fmt.Sprint("failed", i)))
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, wt)
	}
	for _, wt := range waits {
		if err := wt.Wait(); !errors.Is(err, ErrWriteFailed) {
			t.Fatalf("commit of the failed group: %v", err)
		}
	}
	if efs.Hits() != 1 || w.Stats().Rotated != 1 {
		t.Fatalf("setup: %d writes failed, %d rotations; want the group's part in a new segment to fail", efs.Hits(), w.Stats().Rotated)
	}
	efs.Disarm()
	if durable, stalled, err := w.Resume(); err != nil || !stalled || durable != 1 {
		t.Fatalf("Resume = %d %v %v", durable, stalled, err)
	}
	for i := 0; i < 4; i++ {
		mustCommit(t, w, big(fmt.Sprint("after", i)))
	}
	w.Close()
	w, err = OpenWAL("/wal", Options{FS: mem, SegmentBytes: 512, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	got := replayAll(t, w)
	if rec := w.Recovery(); rec.TornTail || len(got) != 5 {
		t.Fatalf("after reopening: %d records (want 5), recovery %+v", len(got), rec)
	}
}
