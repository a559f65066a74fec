package ulog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/vfs"
)

var t0 = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func put(table, k, v string) Op {
	return Op{Kind: OpPut, Table: table, Key: []byte(k), Value: []byte(v)}
}

// writeLog appends n one-op records, the i-th at t0+i seconds.
func writeLog(t *testing.T, dir string, n int, segBytes int64) {
	t.Helper()
	l, err := Open(dir, Options{SegmentBytes: segBytes})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		seq, err := l.Append([]Op{put("t", fmt.Sprint(i), fmt.Sprint("v", i))}, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("append %d got seq %d", i, seq)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, dir string, o ReadOptions) ([]uint64, ReadReport, error) {
	t.Helper()
	var seqs []uint64
	rep, err := Read(dir, o, func(r *Record) error {
		if len(r.Ops) != 1 || string(r.Ops[0].Key) != fmt.Sprint(r.Seq) {
			t.Fatalf("record %d has ops %+v", r.Seq, r.Ops)
		}
		seqs = append(seqs, r.Seq)
		return nil
	})
	return seqs, rep, err
}

func TestAppendReadRotate(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 100, 512)
	seqs, rep, err := readAll(t, dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 100 || rep.Segments < 5 || rep.LastSeq != 100 || rep.TornTail {
		t.Fatalf("read %d records over %d segments, report %+v", len(seqs), rep.Segments, rep)
	}
	// Reopen and continue: numbering goes on.
	l, err := Open(dir, Options{SegmentBytes: 512})
	if err != nil {
		t.Fatal(err)
	}
	if l.LastSeq() != 100 {
		t.Fatalf("LastSeq after reopen = %d", l.LastSeq())
	}
	if seq, err := l.Append([]Op{put("t", "101", "x")}, t0.Add(101*time.Second)); err != nil || seq != 101 {
		t.Fatalf("append after reopen: %d %v", seq, err)
	}
	l.Close()
}

func TestSinceUntilAfterSeq(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 10, 0)
	seqs, _, err := readAll(t, dir, ReadOptions{Since: t0.Add(3 * time.Second), Until: t0.Add(7 * time.Second)})
	if err != nil || fmt.Sprint(seqs) != "[3 4 5 6 7]" {
		t.Fatalf("since/until: %v %v", seqs, err)
	}
	seqs, _, err = readAll(t, dir, ReadOptions{AfterSeq: 8})
	if err != nil || fmt.Sprint(seqs) != "[9 10]" {
		t.Fatalf("after seq: %v %v", seqs, err)
	}
}

func TestTornTailIsCutOnOpen(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 5, 0)
	path := filepath.Join(dir, segmentName(1))
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()-3); err != nil { // tear the last frame
		t.Fatal(err)
	}
	seqs, rep, err := readAll(t, dir, ReadOptions{})
	if err != nil || len(seqs) != 4 || !rep.TornTail {
		t.Fatalf("torn tail read: %v %+v %v", seqs, rep, err)
	}
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.LastSeq() != 4 {
		t.Fatalf("LastSeq = %d after cutting the torn frame", l.LastSeq())
	}
	if seq, _ := l.Append([]Op{put("t", "5", "again")}, t0.Add(5*time.Second)); seq != 5 {
		t.Fatalf("seq after torn tail = %d", seq)
	}
	l.Close()
	if seqs, rep, err := readAll(t, dir, ReadOptions{}); err != nil || len(seqs) != 5 || rep.TornTail {
		t.Fatalf("after re-append: %v %+v %v", seqs, rep, err)
	}
}

func TestDamageInTheMiddleStopsOrSkips(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 20, 0)
	path := filepath.Join(dir, segmentName(1))
	data, _ := os.ReadFile(path)
	// Find record 8's frame and flip a payload byte.
	off := HeaderSize
	for i := 1; i < 8; i++ {
		_, n, err := parseFrame(data[off:])
		if err != nil {
			t.Fatal(err)
		}
		off += n
	}
	data[off+FrameHeaderSize+2] ^= 0xff
	os.WriteFile(path, data, 0o644)

	seqs, rep, err := readAll(t, dir, ReadOptions{})
	var d *DamageError
	if !errors.As(err, &d) || d.Offset != int64(off) || d.File != path {
		t.Fatalf("want damage at %s:%d, got %v", path, off, err)
	}
	if len(seqs) != 7 || rep.LastSeq != 7 {
		t.Fatalf("stopped after %v (report %+v), want records 1..7", seqs, rep)
	}
	seqs, rep, err = readAll(t, dir, ReadOptions{SkipDamaged: true})
	if err != nil || len(seqs) != 19 || len(rep.Damage) != 1 {
		t.Fatalf("skip damaged: %v %+v %v", seqs, rep, err)
	}
	vr, err := Verify(dir, nil)
	if err != nil || len(vr.Damage) != 1 || vr.Frames != 19 {
		t.Fatalf("verify: %+v %v", vr, err)
	}
}

func TestTimesNeverGoBackwards(t *testing.T) {
	dir := t.TempDir()
	l, _ := Open(dir, Options{})
	l.Append([]Op{put("t", "1", "a")}, t0.Add(time.Hour))
	l.Append([]Op{put("t", "2", "b")}, t0) // clock stepped back
	l.Close()
	var times []int64
	Read(dir, ReadOptions{}, func(r *Record) error { times = append(times, r.Time); return nil })
	if len(times) != 2 || times[1] < times[0] {
		t.Fatalf("times %v", times)
	}
}

func FuzzParseFrame(f *testing.F) {
	b, _ := AppendFrame(nil, &Record{Seq: 1, Time: 5, Ops: []Op{put("t", "k", "v"), {Kind: OpDelete, Table: "t", Key: []byte("x")}}})
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, n, err := parseFrame(data)
		if err != nil {
			return
		}
		again, err := AppendFrame(nil, &rec)
		if err != nil || string(again) != string(data[:n]) {
			t.Fatalf("round trip differs")
		}
	})
}

func TestCompleteLength(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, 3, 0)
	data, err := os.ReadFile(filepath.Join(dir, segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	n, first, last, err := CompleteLength(data)
	if err != nil || n != int64(len(data)) || first != 1 || last != 3 {
		t.Fatalf("whole segment: %d %d %d %v (len %d)", n, first, last, err, len(data))
	}
	// A frame still being appended is not part of the complete prefix.
	n2, _, last2, _ := CompleteLength(append(data[:len(data):len(data)], data[HeaderSize:HeaderSize+10]...))
	if n2 != n || last2 != 3 {
		t.Fatalf("with partial frame: %d %d", n2, last2)
	}
	cut := data[:len(data)-1]
	n3, _, last3, _ := CompleteLength(cut)
	if n3 >= n || last3 != 2 {
		t.Fatalf("torn last frame: %d %d", n3, last3)
	}
	if n, _, _, err := CompleteLength(data[:HeaderSize-1]); n != 0 || err != nil {
		t.Fatalf("short header: %d %v", n, err)
	}
	if _, _, _, err := CompleteLength([]byte("NOTAULOG00000000")); err == nil {
		t.Fatal("bad magic accepted")
	}
}

// TestZeroFilledTail: the zeros the writer fills ahead of its records are
// the clean end of the newest segment, for readers of a live log and for a
// writer reopening the log after a crash; rotation trims them.
func TestZeroFilledTail(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		seq, err := l.Append([]Op{{Kind: OpPut, Table: "t", Key: []byte{byte(i)}, Value: make([]byte, 200)}}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.SyncThrough(seq); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Read(dir, ReadOptions{}, func(*Record) error { return nil })
	if err != nil || rep.TornTail || rep.LastSeq != 100 || len(rep.Damage) != 0 {
		t.Fatalf("live log: %+v %v", rep, err)
	}
	segs, _ := segments(vfs.Default, dir)
	for _, sg := range segs[:len(segs)-1] {
		data, _ := os.ReadFile(filepath.Join(dir, sg.name))
		if data[len(data)-1] == 0 && len(data) > 8<<10+1<<10 {
			t.Fatalf("rotated segment %s keeps a zero tail (%d bytes)", sg.name, len(data))
		}
	}
	// A crash (no Close): the next writer continues after record 100.
	l2, err := Open(dir, Options{SegmentBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if l2.LastSeq() != 100 {
		t.Fatalf("reopened at %d", l2.LastSeq())
	}
	if _, err := l2.Append([]Op{{Kind: OpDelete, Table: "t", Key: []byte{1}}}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	l2.Close() // l is left open, as a crashed process would
	rep, err = Verify(dir, nil)
	if err != nil || rep.TornTail || rep.LastSeq != 101 || len(rep.Damage) != 0 {
		t.Fatalf("after reopen: %+v %v", rep, err)
	}
}

// TestConcurrentAppendSync: appends from many goroutines, each followed by
// SyncThrough or Flush, across rotations: every record is in the log once,
// in sequence order, and a record is durable when SyncThrough returns.
func TestConcurrentAppendSync(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 200
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := 0; i < each; i++ {
				seq, err := l.Append([]Op{put("t", fmt.Sprint(w, "-", i), "v")}, time.Time{})
				if err == nil {
					if i%2 == 0 {
						err = l.SyncThrough(seq)
					} else {
						err = l.Flush()
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	rep, err := Read(dir, ReadOptions{}, func(r *Record) error {
		k := string(r.Ops[0].Key)
		if seen[k] {
			return fmt.Errorf("record %s twice", k)
		}
		seen[k] = true
		return nil
	})
	if err != nil || rep.LastSeq != workers*each || len(seen) != workers*each || rep.Segments < 2 || rep.TornTail {
		t.Fatalf("%+v %v (%d records)", rep, err, len(seen))
	}
}

// TestCompleteLengthZeroFilledTail: the newest segment of a live log has
// zeros past its last frame (the writer fills ahead); CompleteLength (what
// an incremental backup ships) must stop at the last frame, not fail.
func TestCompleteLengthZeroFilledTail(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var seq uint64
	for i := 0; i < 5; i++ {
		if seq, err = l.Append([]Op{{Kind: OpPut, Table: "t", Key: []byte{byte(i)}, Value: []byte("v")}}, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.SyncThrough(seq); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, segmentName(1)))
	if err != nil {
		t.Fatal(err)
	}
	n, first, last, err := CompleteLength(data)
	if err != nil || first != 1 || last != 5 {
		t.Fatalf("CompleteLength of a live segment: %d %d %d %v (file %d bytes)", n, first, last, err, len(data))
	}
	for _, b := range data[n:] {
		if b != 0 {
			t.Fatalf("CompleteLength stops at %d, before non-zero bytes", n)
		}
	}
}
