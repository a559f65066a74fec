package datafile

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// makeFile writes n records key(i) = value(i) and closes the file cleanly.
func makeFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.bdf")
	df, err := Open(path, Options{Buckets: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := df.Put(key(i), value(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := df.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func value(i int) []byte { return bytes.Repeat(key(i), 1+i%7) }

// salvageAndCount salvages src and returns the report and the keys the
// result holds with their correct value.
func salvageAndCount(t *testing.T, src string, n int) (SalvageReport, int) {
	t.Helper()
	before, _ := os.ReadFile(src)
	dst := filepath.Join(t.TempDir(), "dst.bdf")
	r, err := Salvage(src, dst, Options{})
	if err != nil {
		t.Fatalf("Salvage: %v", err)
	}
	if after, _ := os.ReadFile(src); !bytes.Equal(before, after) {
		t.Fatal("Salvage modified its source")
	}
	v, err := Verify(dst, Options{})
	if err != nil || !v.OK() {
		t.Fatalf("salvaged file does not verify: %v %q", err, v.Problems)
	}
	df, err := Open(dst, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	good := 0
	for i := 0; i < n; i++ {
		if v, err := df.Get(key(i)); err == nil && bytes.Equal(v, value(i)) {
			good++
		} else if err == nil {
			t.Fatalf("salvaged key %d has a wrong value %q", i, v)
		}
	}
	if int64(good) != r.Kept {
		t.Fatalf("report says %d kept, the file holds %d", r.Kept, good)
	}
	return r, good
}

func damage(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func garbage(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestSalvageIntactFile(t *testing.T) {
	src := makeFile(t, 1000)
	r, good := salvageAndCount(t, src, 1000)
	if good != 1000 || r.Damaged != 0 || !r.HeaderValid {
		t.Fatalf("intact file: %+v, %d good", r, good)
	}
}

func TestSalvageDamage(t *testing.T) {
	const n = 2000
	bucketEnd := int64(headerPage + recordSize(0, 8*1024))
	cases := []struct {
		name      string
		damage    func(t *testing.T, path string, size int64)
		minGood   int
		wantDrops bool
	}{
		{"garbage in the middle", func(t *testing.T, p string, size int64) {
			damage(t, p, size/2, garbage(1000, 1))
		}, n - 40, true},
		{"torn tail", func(t *testing.T, p string, size int64) {
			if err := os.Truncate(p, size-37); err != nil {
				t.Fatal(err)
			}
		}, n - 1, true},
		{"destroyed header", func(t *testing.T, p string, size int64) {
			damage(t, p, 0, garbage(headerPage, 2))
		}, n, false},
		{"destroyed bucket array", func(t *testing.T, p string, size int64) {
			damage(t, p, headerPage, garbage(int(bucketEnd-headerPage), 3))
		}, n, true},
		{"many small holes", func(t *testing.T, p string, size int64) {
			for i := int64(0); i < 20; i++ {
				damage(t, p, bucketEnd+i*(size-bucketEnd)/20+7, garbage(5, uint64(i)))
			}
		}, n - 20, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := makeFile(t, n)
			fi, _ := os.Stat(src)
			c.damage(t, src, fi.Size())
			r, good := salvageAndCount(t, src, n)
			if good < c.minGood {
				t.Fatalf("kept %d of %d records (want at least %d); report %+v", good, n, c.minGood, r)
			}
			if c.wantDrops != (r.Damaged > 0) || len(r.Drops) != int(r.Damaged) {
				t.Fatalf("damage report: %+v", r)
			}
			// Open on the damaged file must fail or work, never panic, and a
			// writer's scan must open it when only the header is intact.
			if df, err := Open(src, Options{ReadOnly: true}); err == nil {
				df.Iterate(func(k, v []byte) error { return nil })
				df.Close()
			}
		})
	}
}

func TestSalvageKeepsNewestVersion(t *testing.T) {
	for _, newerLast := range []bool{true, false} {
		src := makeFile(t, 10)
		// Append a second version of key(3) as a raw block past the tail,
		// as a torn overwrite could leave it, with a higher or lower seq.
		seq := uint64(1000)
		if !newerLast {
			seq = 0
		}
		v := []byte("other version")
		b := make([]byte, recordSize(len(key(3)), len(v)))
		writeRecord(b, key(3), v, hashKey(key(3)), seq, 0, 0)
		fi, _ := os.Stat(src)
		damage(t, src, fi.Size(), b)
		dst := filepath.Join(t.TempDir(), "dst")
		r, err := Salvage(src, dst, Options{})
		if err != nil || r.Kept != 10 || r.Superseded != 1 {
			t.Fatalf("Salvage: %v %+v", err, r)
		}
		df := mustOpenPath(t, dst, Options{})
		got, _ := df.Get(key(3))
		if want := value(3); newerLast {
			want = v
			if !bytes.Equal(got, want) {
				t.Fatalf("newerLast=%v: key 3 = %q, want %q", newerLast, got, want)
			}
		} else if !bytes.Equal(got, want) {
			t.Fatalf("newerLast=%v: key 3 = %q, want %q", newerLast, got, want)
		}
		// The writer's rebuild after a crash makes the same choice.
		df.Close()
	}
}

func TestSalvageNeverResurrectsDeleted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.bdf")
	df, _ := Open(path, Options{})
	for i := 0; i < 100; i++ {
		df.Put(key(i), value(i))
	}
	for i := 0; i < 100; i += 2 {
		df.Delete(key(i))
	}
	df.Close()
	dst := filepath.Join(t.TempDir(), "dst")
	r, err := Salvage(path, dst, Options{})
	if err != nil || r.Kept != 50 {
		t.Fatalf("Salvage after deletes: %v %+v", err, r)
	}
}

func TestUncleanOpenWithDamageSetsFatal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "u.bdf")
	df, _ := Open(path, Options{Buckets: 64})
	for i := 0; i < 500; i++ {
		df.Put(key(i), value(i))
	}
	mid := int64(df.hdr.tail) / 2
	abandon(t, df)
	damage(t, path, mid, garbage(100, 9))
	df = mustOpenPath(t, path, Options{})
	if df.FoundFlags()&FlagOpen == 0 || df.Stats().Flags&FlagFatal == 0 {
		t.Fatalf("flags: found %v now %v", df.FoundFlags(), df.Stats().Flags)
	}
	got := 0
	for i := 0; i < 500; i++ {
		if v, err := df.Get(key(i)); err == nil && bytes.Equal(v, value(i)) {
			got++
		}
	}
	if got < 490 || int64(got) != df.Stats().Records {
		t.Fatalf("%d records readable after rebuild, %d counted", got, df.Stats().Records)
	}
	// The file takes writes again and the result verifies (see mustOpen).
	for i := 0; i < 500; i++ {
		if err := df.Put(key(i), value(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyCrashed checks that recovery tells a file a crash merely left
// open (stale header and count: reopen repairs it) from one with damaged
// bytes before intact blocks (salvage), and a cut tail from damage.
func TestVerifyCrashed(t *testing.T) {
	crashed := func(t *testing.T) (string, int64) {
		path := filepath.Join(t.TempDir(), "c.bdf")
		df, err := Open(path, Options{Buckets: 64})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 500; i++ {
			if err := df.Put(key(i), value(i)); err != nil {
				t.Fatal(err)
			}
		}
		tail := int64(df.hdr.tail)
		abandon(t, df)
		return path, tail
	}
	t.Run("intact", func(t *testing.T) {
		path, _ := crashed(t)
		strict, err := Verify(path, Options{})
		if err == nil && strict.OK() {
			t.Fatalf("strict Verify of a crashed file: %v %q", err, strict.Problems)
		}
		r, err := VerifyCrashed(path, Options{})
		if err != nil || !r.Unclean || r.Damaged || r.NeedsSalvage() || r.Records != 500 {
			t.Fatalf("VerifyCrashed: %v %+v", err, r)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		path, tail := crashed(t)
		damage(t, path, tail/2, garbage(100, 3))
		r, err := VerifyCrashed(path, Options{})
		if err != nil || !r.Damaged || !r.NeedsSalvage() || r.Records >= 500 {
			t.Fatalf("VerifyCrashed: %v %+v", err, r)
		}
	})
	t.Run("cut tail", func(t *testing.T) {
		path, tail := crashed(t)
		damage(t, path, tail-8, garbage(8, 4)) // tears the last record
		r, err := VerifyCrashed(path, Options{})
		if err != nil || r.Damaged || r.NeedsSalvage() || r.LostTail == 0 || r.Records != 499 {
			t.Fatalf("VerifyCrashed: %v %+v", err, r)
		}
	})
	t.Run("clean", func(t *testing.T) {
		path := makeFile(t, 100)
		r, err := VerifyCrashed(path, Options{})
		if err != nil || r.Unclean || r.NeedsSalvage() {
			t.Fatalf("VerifyCrashed of a clean file: %v %+v", err, r)
		}
		damage(t, path, headerPage+recordSize(0, 8*1024)+40, garbage(16, 5))
		if r, _ := VerifyCrashed(path, Options{}); !r.NeedsSalvage() {
			t.Fatalf("damaged clean file needs no salvage? %+v", r)
		}
	})
}
