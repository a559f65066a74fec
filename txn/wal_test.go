package txn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustOpen opens a WAL in dir on fs (vfs.Default in a temp dir if fs is nil)
// and, at cleanup, closes it and checks that the log reopens without error.
func mustOpen(t testing.TB, fs vfs.FS, dir string, o Options) *WAL {
	t.Helper()
	if fs == nil {
		fs = vfs.Default
	}
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "wal")
	}
	o.FS = fs
	if o.Logger == nil {
		o.Logger = quiet
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = 64 << 10
	}
	w, err := OpenWAL(dir, o)
	if err != nil {
		t.Fatalf("OpenWAL: %v", err)
	}
	t.Cleanup(func() {
		w.Close()
		w2, err := OpenWAL(dir, o)
		if err != nil {
			t.Errorf("reopen at cleanup: %v", err)
			return
		}
		if err := w2.Replay(func(LSN, Batch) error { return nil }); err != nil {
			t.Errorf("replay at cleanup: %v", err)
		}
		w2.Close()
	})
	return w
}

// reopen closes w and opens the same log again.
func reopen(t testing.TB, w *WAL) *WAL {
	t.Helper()
	w.Close()
	o := w.opts
	w2, err := OpenWAL(w.dir, o)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { w2.Close() })
	return w2
}

type replayed struct {
	lsn LSN
	b   Batch
}

func replayAll(t testing.TB, w *WAL) []replayed {
	t.Helper()
	var out []replayed
	err := w.Replay(func(lsn LSN, b Batch) error {
		c := make(Batch, len(b))
		for i, op := range b {
			c[i] = Op{Table: op.Table, Kind: op.Kind, Key: append([]byte(nil), op.Key...), Value: append([]byte(nil), op.Value...)}
		}
		out = append(out, replayed{lsn, c})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return out
}

func put(k string, v string) Batch {
	return Batch{{Table: "t", Kind: OpPut, Key: []byte(k), Value: []byte(v)}}
}

func mustCommit(t testing.TB, w *WAL, b Batch) LSN {
	t.Helper()
	lsn, err := w.Commit(context.Background(), b)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return lsn
}

func TestCommitReplay(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	r := rand.New(rand.NewSource(seed(t)))
	var want []Batch
	for i := 0; i < 300; i++ {
		b := randomBatch(r)
		if lsn := mustCommit(t, w, b); lsn != LSN(i+1) {
			t.Fatalf("commit %d got LSN %d", i, lsn)
		}
		want = append(want, b)
	}
	w = reopen(t, w)
	got := replayAll(t, w)
	if len(got) != len(want) || w.Recovery().Records != len(want) {
		t.Fatalf("replayed %d (Records %d), want %d", len(got), w.Recovery().Records, len(want))
	}
	for i := range got {
		if got[i].lsn != LSN(i+1) || !sameBatch(got[i].b, want[i]) {
			t.Fatalf("record %d: lsn %d %+v, want %+v", i, got[i].lsn, got[i].b, want[i])
		}
	}
	if rec := w.Recovery(); rec.TornTail || rec.LastCheckpoint != 0 || rec.CheckpointInterrupted || rec.LastLSN != 300 {
		t.Fatalf("recovery %+v", rec)
	}
	if lsn := mustCommit(t, w, put("a", "b")); lsn != 301 {
		t.Fatalf("LSN after reopen %d", lsn)
	}
}

func TestRotationAndHugeRecord(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 4096})
	big := put("big", string(make([]byte, 20000)))
	var want []Batch
	for i := 0; i < 200; i++ {
		b := put(fmt.Sprint(i), "value")
		if i%50 == 25 {
			b = big
		}
		mustCommit(t, w, b)
		want = append(want, b)
	}
	if s := w.Stats(); s.Rotated < 5 {
		t.Fatalf("only %d rotations", s.Rotated)
	}
	w = reopen(t, w)
	got := replayAll(t, w)
	if len(got) != len(want) {
		t.Fatalf("replayed %d, want %d", len(got), len(want))
	}
	for i := range got {
		if !sameBatch(got[i].b, want[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
}

// TestAbandonCheckpoint: a checkpoint the engine could not finish (its
// data files did not fit on the disk) is given up; the next one begins and
// completes, and until then recovery replays from the last completed one.
func TestAbandonCheckpoint(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
	for i := 0; i < 10; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "v"))
	}
	through, err := w.BeginCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AbandonCheckpoint(through + 1); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("AbandonCheckpoint(wrong): %v", err)
	}
	if err := w.AbandonCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	if err := w.AbandonCheckpoint(through); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("AbandonCheckpoint twice: %v", err)
	}
	mustCommit(t, w, put("after", "v"))
	w = reopen(t, w)
	if rec := w.Recovery(); !rec.CheckpointInterrupted || rec.LastCheckpoint != 0 {
		t.Fatalf("recovery after an abandoned checkpoint %+v", rec)
	}
	if got := replayAll(t, w); len(got) != 11 {
		t.Fatalf("replayed %d records, want all 11", len(got))
	}
	through, err = w.BeginCheckpoint()
	if err != nil {
		t.Fatalf("BeginCheckpoint after an abandoned one: %v", err)
	}
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	w = reopen(t, w)
	if rec := w.Recovery(); rec.CheckpointInterrupted || rec.LastCheckpoint != through || rec.Records != 0 {
		t.Fatalf("recovery after a completed checkpoint %+v", rec)
	}
}

func TestCheckpoint(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
	for i := 0; i < 100; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "v"))
	}
	segsBefore := len(w.segs)
	through, err := w.BeginCheckpoint()
	if err != nil || through != 100 {
		t.Fatalf("BeginCheckpoint = %d, %v", through, err)
	}
	if _, err := w.BeginCheckpoint(); !errors.Is(err, ErrCheckpointInProgress) {
		t.Fatalf("second BeginCheckpoint: %v", err)
	}
	mustCommit(t, w, put("during", "v")) // LSN 102: after through, replayed
	if err := w.EndCheckpoint(through + 1); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("EndCheckpoint(wrong): %v", err)
	}
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	if len(w.segs) >= segsBefore {
		t.Fatalf("no segment retired: %d -> %d", segsBefore, len(w.segs))
	}
	if err := w.Replay(func(LSN, Batch) error { return nil }); !errors.Is(err, ErrReplayAfterCheckpoint) {
		t.Fatalf("Replay after checkpoint: %v", err)
	}
	mustCommit(t, w, put("after", "v"))
	w = reopen(t, w)
	rec := w.Recovery()
	if rec.LastCheckpoint != 100 || rec.CheckpointInterrupted || rec.Records != 2 {
		t.Fatalf("recovery %+v", rec)
	}
	got := replayAll(t, w)
	if len(got) != 2 || string(got[0].b[0].Key) != "during" || string(got[1].b[0].Key) != "after" {
		t.Fatalf("replayed %+v", got)
	}

	// A checkpoint begun and never ended is reported, and replay starts at
	// the last completed one.
	through2, err := w.BeginCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, w, put("x", "v"))
	w = reopen(t, w)
	rec = w.Recovery()
	if rec.LastCheckpoint != 100 || !rec.CheckpointInterrupted || rec.InterruptedThrough != through2 || rec.Records != 3 {
		t.Fatalf("recovery %+v", rec)
	}
	if n := len(replayAll(t, w)); n != 3 {
		t.Fatalf("replayed %d", n)
	}
	// Recycled segments get reused.
	for i := 0; i < 100; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "v"))
	}
	names, _ := vfs.Default.ReadDir(w.dir)
	t.Logf("files: %v", names)
}

func TestSize(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	if w.Size() != 0 {
		t.Fatalf("empty size %d", w.Size())
	}
	mustCommit(t, w, put("a", "b"))
	s1 := w.Size()
	if s1 <= FrameHeaderSize {
		t.Fatalf("size %d", s1)
	}
	through, _ := w.BeginCheckpoint()
	mustCommit(t, w, put("a", "b"))
	if err := w.EndCheckpoint(through); err != nil {
		t.Fatal(err)
	}
	// Left: the begin frame, one commit (s1: with its group frame) and the
	// end frame with its group frame.
	if got, want := w.Size(), int64(2*(FrameHeaderSize+8)+groupFrameSize)+s1; got != want {
		t.Fatalf("size after checkpoint %d, want %d", got, want)
	}
	w = reopen(t, w)
	if got, want := w.Size(), int64(2*(FrameHeaderSize+8)+groupFrameSize)+s1; got != want {
		t.Fatalf("size after reopen %d, want %d", got, want)
	}
}

// corrupt flips one byte of a file on the real filesystem.
func corrupt(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestTornTailCut(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	var offs []int64
	for i := 0; i < 10; i++ {
		offs = append(offs, w.appendOff)
		mustCommit(t, w, put(fmt.Sprint(i), "value"))
	}
	path := w.segs[len(w.segs)-1].path
	w.Close()
	corrupt(t, path, offs[9]+FrameHeaderSize+2) // the last frame's payload
	w = reopen(t, w)
	rec := w.Recovery()
	if !rec.TornTail || rec.TornFile != path || rec.TornOffset != offs[9] || rec.Records != 9 {
		t.Fatalf("recovery %+v", rec)
	}
	if got := replayAll(t, w); len(got) != 9 {
		t.Fatalf("replayed %d", len(got))
	}
	if lsn := mustCommit(t, w, put("new", "v")); lsn != 10 {
		t.Fatalf("LSN %d", lsn)
	}
	w = reopen(t, w)
	got := replayAll(t, w)
	if rec := w.Recovery(); rec.TornTail || len(got) != 10 || string(got[9].b[0].Key) != "new" {
		t.Fatalf("after second reopen: %+v, %d records", rec, len(got))
	}
}

func TestCorruptionInOlderSegment(t *testing.T) {
	w := mustOpen(t, nil, "", Options{SegmentBytes: 1024})
	for i := 0; i < 100; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "value"))
	}
	path := w.segs[1].path
	w.Close()
	off := int64(SegmentHeaderSize + FrameHeaderSize + 3) // inside the second frame's payload... of frame 1
	corrupt(t, path, off)
	_, err := OpenWAL(w.dir, w.opts)
	var ce *CorruptionError
	if !IsCorruption(err) || !errors.As(err, &ce) || ce.File != path || ce.Offset != SegmentHeaderSize {
		t.Fatalf("OpenWAL: %v", err)
	}
	t.Log(err)
	corrupt(t, path, off) // repair, then damage a header
	corrupt(t, path, 3)
	if _, err = OpenWAL(w.dir, w.opts); !IsCorruption(err) {
		t.Fatalf("OpenWAL with bad header: %v", err)
	}
	corrupt(t, path, 3)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err = OpenWAL(w.dir, w.opts); !IsCorruption(err) {
		t.Fatalf("OpenWAL with a missing segment: %v", err)
	}
	t.Log(err)
	// Leave a log that opens, for mustOpen's cleanup check.
	names, _ := os.ReadDir(w.dir)
	for _, n := range names {
		os.Remove(filepath.Join(w.dir, n.Name()))
	}
}

func TestGroupCommit(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	const goroutines, each = 32, 30
	var wg sync.WaitGroup
	lsns := make(chan LSN, goroutines*each)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				lsn, err := w.Commit(context.Background(), put(fmt.Sprintf("%d/%d", g, i), "v"))
				if err != nil {
					t.Error(err)
					return
				}
				lsns <- lsn
			}
		}()
	}
	wg.Wait()
	close(lsns)
	seen := map[LSN]bool{}
	for l := range lsns {
		if seen[l] {
			t.Fatalf("LSN %d twice", l)
		}
		seen[l] = true
	}
	s := w.Stats()
	t.Logf("stats %+v", s)
	if s.Commits != goroutines*each || s.Syncs >= s.Commits {
		t.Fatalf("commits %d syncs %d: no grouping", s.Commits, s.Syncs)
	}
	w = reopen(t, w)
	if got := replayAll(t, w); len(got) != goroutines*each {
		t.Fatalf("replayed %d", len(got))
	}
}

// TestGroupCommitRoundTrips: committers that come back a while after each
// acknowledgement (a server's clients, a round trip and a statement later)
// still share syncs. Here a sync takes 50µs and each committer pauses about
// a millisecond (time.Sleep's resolution): a leader that flushed after half
// a sync time with whoever had arrived grouped 1 to 3 commits per sync; one
// that learns how long its groups take to fill, and keeps trying for bigger
// groups, groups 4.3 to 7.4 (with -race too).
func TestGroupCommitRoundTrips(t *testing.T) {
	fs := slowSyncFS{FS: vfs.NewMem(), d: 50 * time.Microsecond}
	w := mustOpen(t, fs, "/wal", Options{})
	const committers, each = 8, 100
	var wg sync.WaitGroup
	for g := 0; g < committers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := w.Commit(context.Background(), put(fmt.Sprintf("%d/%d", g, i), "v")); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(500 * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	s := w.Stats()
	per := float64(s.Commits) / float64(s.Syncs)
	t.Logf("%d commits in %d syncs: %.1f per sync", s.Commits, s.Syncs, per)
	if per < 3.2 {
		t.Fatalf("%.1f commits per sync with %d committers pausing between commits; want >= 3.2", per, committers)
	}
}

// slowSyncFS is an FS whose files take d to sync, like a disk.
type slowSyncFS struct {
	vfs.FS
	d time.Duration
}

func (fs slowSyncFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := fs.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return slowSyncFile{File: f, d: fs.d}, nil
}

type slowSyncFile struct {
	vfs.File
	d time.Duration
}

func (f slowSyncFile) Sync() error {
	// Spin: time.Sleep rounds short waits up to about a millisecond here.
	for t0 := time.Now(); time.Since(t0) < f.d; {
	}
	return f.File.Sync()
}

func TestSyncOff(t *testing.T) {
	w := mustOpen(t, nil, "", Options{Sync: SyncOff})
	for i := 0; i < 50; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), "v"))
	}
	if s := w.Stats(); s.Syncs != 0 {
		t.Fatalf("%d syncs under SyncOff", s.Syncs)
	}
	w = reopen(t, w)
	if got := replayAll(t, w); len(got) != 50 {
		t.Fatalf("replayed %d", len(got))
	}
}

func TestFailedWALRefusesCommits(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	mustCommit(t, w, put("a", "1"))
	boom := errors.New("boom")
	failpointHook = func(name string) error {
		if name == "beforeGroupSync" {
			return boom
		}
		return nil
	}
	_, err := w.Commit(context.Background(), put("b", "2"))
	failpointHook = nil
	if !errors.Is(err, ErrWALFailed) || !errors.Is(err, boom) {
		t.Fatalf("Commit: %v", err)
	}
	if _, err := w.Commit(context.Background(), put("c", "3")); !errors.Is(err, ErrWALFailed) {
		t.Fatalf("Commit after failure: %v", err)
	}
	if _, err := w.BeginCheckpoint(); !errors.Is(err, ErrWALFailed) {
		t.Fatalf("BeginCheckpoint after failure: %v", err)
	}
	w = reopen(t, w)
	got := replayAll(t, w)
	if len(got) < 1 || string(got[0].b[0].Key) != "a" {
		t.Fatalf("replayed %+v", got)
	}
}

func TestCommitContextAndClose(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Commit(ctx, put("a", "b")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with canceled ctx: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(context.Background(), put("a", "b")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Commit after Close: %v", err)
	}
}

// TestPreparedSegments runs enough commits through 1 MiB segments that the
// next segment is prepared in the background and then used by rotation.
func TestPreparedSegments(t *testing.T) {
	w := mustOpen(t, vfs.Default, "", Options{SegmentBytes: prepareMinBytes})
	val := string(make([]byte, 4000))
	for i := 0; i < 800; i++ {
		mustCommit(t, w, put(fmt.Sprint(i), val))
	}
	if s := w.Stats(); s.Rotated < 2 {
		t.Fatalf("rotated %d times", s.Rotated)
	}
	w = reopen(t, w)
	if got := replayAll(t, w); len(got) != 800 {
		t.Fatalf("replayed %d", len(got))
	}
}

// TestReopenEmptyNewestSegment: a WAL whose newest segment holds no frame
// is reopened by appending to that segment as it is (no re-zeroing), and
// what is committed then replays, also after a segment that once held
// frames was emptied by a checkpoint.
func TestReopenEmptyNewestSegment(t *testing.T) {
	w := mustOpen(t, nil, "", Options{})
	w = reopen(t, w) // empty: the segment is reused
	w = reopen(t, w)
	mustCommit(t, w, put("a", "1"))
	w = reopen(t, w)
	if got := replayAll(t, w); len(got) != 1 || got[0].lsn != 1 {
		t.Fatalf("replayed %+v, want LSN 1", got)
	}
	w = reopen(t, w) // the newest segment is now an empty one again
	w = reopen(t, w)
	mustCommit(t, w, put("b", "2"))
	mustCommit(t, w, put("c", "3"))
	w = reopen(t, w)
	got := replayAll(t, w)
	if len(got) != 3 || got[2].lsn != 3 || !sameBatch(got[2].b, put("c", "3")) {
		t.Fatalf("replayed %+v, want LSNs 1-3", got)
	}
	if rec := w.Recovery(); rec.TornTail {
		t.Fatalf("recovery %+v", rec)
	}
}
