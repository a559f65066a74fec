package txn

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// seed returns the seed for a randomized test: BLITZ_SEED if set, else a
// fresh one. It logs the seed so that a failure can be replayed.
func seed(t testing.TB) int64 {
	s := rand.Int63()
	if v := os.Getenv("BLITZ_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("BLITZ_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (replay with BLITZ_SEED=%d)", s, s)
	return s
}

func TestFormatWorkedExample(t *testing.T) {
	b := Batch{{Table: "t", Kind: OpPut, Key: []byte("k"), Value: []byte("v")}}
	got, err := appendFrame(nil, frameCommit, 1, b.AppendEncoded(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := "6560f0eb" + "08000000" + "01" + "0100000000000000" + "0101017401 6b0176"
	want = string(bytes.ReplaceAll([]byte(want), []byte(" "), nil))
	if hex.EncodeToString(got) != want {
		t.Fatalf("frame = %x\nwant    %s (update the example in format.go if the format changed on purpose)", got, want)
	}
	g := appendGroupFrame(nil, 1)
	sealGroupFrame(g, 0)
	want = "8a857a2e" + "08000000" + "04" + "0100000000000000" + "0000000000000000"
	if hex.EncodeToString(g) != want {
		t.Fatalf("group frame = %x\nwant          %s (update the example in format.go if the format changed on purpose)", g, want)
	}
	// What a WAL writes: the group frame, then the commit.
	w := mustOpen(t, nil, "", Options{})
	mustCommit(t, w, b)
	body := make([]byte, len(g)+len(got))
	if _, err := w.f.ReadAt(body, SegmentHeaderSize); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, append(g, got...)) {
		t.Fatalf("first group write = %x\nwant                %x%x", body, g, got)
	}
}

func randomBatch(r *rand.Rand) Batch {
	n := r.Intn(5)
	b := make(Batch, n)
	for i := range b {
		b[i] = Op{Table: fmt.Sprintf("t%d", r.Intn(3)), Kind: OpPut, Key: randBytes(r, 1+r.Intn(20))}
		if r.Intn(4) == 0 {
			b[i].Kind = OpDelete
		} else {
			b[i].Value = randBytes(r, r.Intn(300))
		}
	}
	return b
}

func randBytes(r *rand.Rand, n int) []byte {
	p := make([]byte, n)
	r.Read(p)
	return p
}

// sameBatch compares batches treating nil and empty slices alike.
func sameBatch(a, b Batch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Table != b[i].Table || a[i].Kind != b[i].Kind ||
			!bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func TestFrameRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(seed(t)))
	var buf []byte
	var want []Batch
	for i := 0; i < 500; i++ {
		b := randomBatch(r)
		if b.EncodedSize() != len(b.AppendEncoded(nil)) {
			t.Fatalf("EncodedSize %d != %d", b.EncodedSize(), len(b.AppendEncoded(nil)))
		}
		var err error
		if buf, err = appendFrame(buf, frameCommit, LSN(i+1), b.AppendEncoded(nil)); err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
	}
	fr := newFrameReader(bytes.NewReader(buf), 0, int64(len(buf)), 1, Version)
	for i := 0; ; i++ {
		f, end, ok, err := fr.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if i != len(want) || end.Kind != endClean || end.Offset != int64(len(buf)) {
				t.Fatalf("stopped after %d frames: %+v", i, end)
			}
			break
		}
		if f.LSN != LSN(i+1) || f.Type != frameCommit {
			t.Fatalf("frame %d: lsn %d type %d", i, f.LSN, f.Type)
		}
		got, err := DecodeBatch(f.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBatch(got, want[i]) {
			t.Fatalf("frame %d: got %+v want %+v", i, got, want[i])
		}
	}
}

// TestFrameReaderEnds checks how each kind of end of a segment is classified.
func TestFrameReaderEnds(t *testing.T) {
	one, _ := appendFrame(nil, frameCommit, 7, []byte{0})
	two, _ := appendFrame(append([]byte(nil), one...), frameCommit, 8, []byte{0})
	stale, _ := appendFrame(append([]byte(nil), one...), frameCommit, 3, []byte{0})
	flipped := append([]byte(nil), two...)
	flipped[len(one)+FrameHeaderSize] ^= 1
	for _, tc := range []struct {
		name   string
		b      []byte
		frames int
		kind   endKind
	}{
		{"eof", one, 1, endClean},
		{"zeros", append(append([]byte(nil), one...), make([]byte, 100)...), 1, endClean},
		{"stale", stale, 1, endClean},
		{"short header", two[:len(one)+5], 1, endTorn},
		{"short payload", two[:len(two)-1], 1, endTorn},
		{"checksum", flipped, 1, endTorn},
		{"huge length", append(append([]byte(nil), one...), 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 1, 8, 0, 0, 0, 0, 0, 0, 0, 0), 1, endTorn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, end := readFrames(t, tc.b, Version)
			if n != tc.frames || end.Kind != tc.kind || end.Offset != int64(len(one)) {
				t.Fatalf("frames %d end %+v, want %d frames, kind %d at %d", n, end, tc.frames, tc.kind, len(one))
			}
		})
	}
}

// readFrames reads the frames of b, a segment's frames of the given format
// version from LSN 7, and returns how many it read and how they ended.
func readFrames(t *testing.T, b []byte, version uint32) (int, frameEnd) {
	t.Helper()
	fr := newFrameReader(bytes.NewReader(b), 0, int64(len(b)), 7, version)
	for n := 0; ; n++ {
		_, end, ok, err := fr.next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return n, end
		}
	}
}

func TestDecodeBatchRejects(t *testing.T) {
	good := Batch{{Table: "t", Kind: OpPut, Key: []byte("k"), Value: []byte("v")}}.AppendEncoded(nil)
	for i := 0; i < len(good); i++ {
		if _, err := DecodeBatch(good[:i]); err == nil {
			t.Errorf("prefix of %d bytes decoded", i)
		}
	}
	if _, err := DecodeBatch(append(good, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	bad := append([]byte(nil), good...)
	bad[1] = 9
	if _, err := DecodeBatch(bad); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := DecodeBatch([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3}); err == nil {
		t.Error("huge count accepted")
	}
	b, err := DecodeBatch([]byte{0})
	if err != nil || len(b) != 0 {
		t.Errorf("empty batch: %v %v", b, err)
	}
}

func TestSegmentHeader(t *testing.T) {
	h := appendSegmentHeader(nil, 42)
	if len(h) != SegmentHeaderSize {
		t.Fatalf("header is %d bytes", len(h))
	}
	if first, v, err := parseSegmentHeader(h); err != nil || first != 42 || v != Version {
		t.Fatalf("parse: %d %d %v", first, v, err)
	}
	for i := 0; i < 28; i++ {
		c := append([]byte(nil), h...)
		c[i] ^= 0x10
		if _, _, err := parseSegmentHeader(c); err == nil {
			t.Errorf("flip at %d accepted", i)
		}
	}
	if lsn, ok := parseSegmentName(segmentName(12345)); !ok || lsn != 12345 {
		t.Fatalf("name round trip: %d %v", lsn, ok)
	}
	for _, n := range []string{"00000000000000000000.wal", "0000000000000000001.wal", "99999999999999999999.wal", "0000000000000000000x.wal", "00000000000000000001.free"} {
		if _, ok := parseSegmentName(n); ok {
			t.Errorf("%s accepted", n)
		}
	}
}

// FuzzDecodeFrames reads arbitrary bytes as a segment body: it must never
// panic, never allocate beyond the input's size, and every frame it accepts
// must re-encode to the same bytes.
func FuzzDecodeFrames(f *testing.F) {
	one, _ := appendFrame(nil, frameCommit, 1, Batch{{Table: "t", Kind: OpPut, Key: []byte("k"), Value: []byte("v")}}.AppendEncoded(nil))
	two, _ := appendFrame(append([]byte(nil), one...), frameCheckpointBegin, 2, checkpointPayload(1))
	f.Add(one)
	f.Add(two)
	f.Add(two[:len(two)-3])
	f.Add([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 1, 0, 0, 0, 0, 0, 0, 0})
	// Version 2: group frames before frames, and a later group write past
	// a damaged frame.
	g1 := appendGroupFrame(nil, 1)
	sealGroupFrame(g1, 0)
	grouped := append(append([]byte(nil), g1...), one...)
	g2 := appendGroupFrame(nil, 2)
	sealGroupFrame(g2, 1)
	grouped = append(append(grouped, g2...), two[len(one):]...)
	f.Add(grouped)
	damaged := append([]byte(nil), grouped...)
	damaged[len(g1)+FrameHeaderSize] ^= 1
	f.Add(damaged)
	f.Add(append(append([]byte(nil), g1...), g1...))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := newFrameReader(bytes.NewReader(b), 0, int64(len(b)), 0, Version)
		var off int64
		for {
			fm, end, ok, err := fr.next()
			if err != nil {
				t.Fatal(err)
			}
			if cap(fr.buf) > len(b) {
				t.Fatalf("allocated %d bytes for a %d-byte input", cap(fr.buf), len(b))
			}
			if !ok {
				if end.Offset != off || end.At < end.Offset || end.At > int64(len(b)) {
					t.Fatalf("end at %d (bad frame at %d), frames end at %d", end.Offset, end.At, off)
				}
				if end.Kind != endTorn || end.Expect == 0 {
					return
				}
				ev, found, err := findDurableEvidence(bytes.NewReader(b), end.At, end.At+1, int64(len(b)), end.Expect)
				if err != nil {
					t.Fatal(err)
				}
				if found {
					g := b[ev.Offset : ev.Offset+groupFrameSize]
					re := appendGroupFrame(nil, ev.LSN)
					sealGroupFrame(re, ev.Synced)
					if ev.Offset <= end.At || !bytes.Equal(g, re) || ev.LSN <= end.Expect || ev.Synced < end.Expect || ev.Synced >= ev.LSN {
						t.Fatalf("evidence %+v for a bad frame at %d (LSN %d) is not a valid later group frame: %x", ev, end.At, end.Expect, g)
					}
				}
				return
			}
			if fm.Group > 0 {
				if fm.Group != groupFrameSize || fm.Offset != off+fm.Group {
					t.Fatalf("frame at %d after a group frame of %d bytes, previous frame ended at %d", fm.Offset, fm.Group, off)
				}
				off += fm.Group
			}
			re, err := appendFrame(nil, fm.Type, fm.LSN, fm.Payload)
			if err != nil || !bytes.Equal(re, b[off:off+fm.Size]) {
				t.Fatalf("frame at %d does not re-encode: %v", off, err)
			}
			if fm.Type == frameCommit {
				DecodeBatch(fm.Payload)
			}
			off += fm.Size
		}
	})
}

// FuzzDecodeBatch decodes arbitrary bytes as a commit payload: no panic, an
// allocation bounded by the input, and a decoded batch re-encodes exactly.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(Batch{{Table: "t", Kind: OpPut, Key: []byte("k"), Value: []byte("v")}}.AppendEncoded(nil))
	f.Add(Batch{{Table: "a", Kind: OpDelete, Key: []byte("x")}, {Table: "a", Kind: OpPut, Key: []byte("y")}}.AppendEncoded(nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := DecodeBatch(p)
		if err != nil {
			return
		}
		if cap(b) > len(p)/minOpSize+1 {
			t.Fatalf("cap %d for %d bytes", cap(b), len(p))
		}
		if re := b.AppendEncoded(nil); !bytes.Equal(re, p) {
			// Non-minimal uvarints decode but re-encode shorter; anything else is a bug.
			b2, err := DecodeBatch(re)
			if err != nil || !reflect.DeepEqual(len(b2), len(b)) || !sameBatch(b, b2) {
				t.Fatalf("re-encoding differs: %x vs %x", re, p)
			}
		}
	})
}
