package datafile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkPut(b *testing.B) {
	for _, n := range []int{8, 100} {
		b.Run(fmt.Sprintf("value=%d", n), func(b *testing.B) {
			df, err := Open(filepath.Join(b.TempDir(), "b.bdf"), Options{Buckets: int64(2 * b.N), NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer df.Close()
			v := make([]byte, n)
			var kb [8]byte
			b.SetBytes(int64(8 + n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := df.Put(benchKey(&kb, i), v); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got := df.Stats().Records; got != int64(b.N) {
				b.Fatalf("%d records, want %d", got, b.N)
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	const n = 100000
	df, err := Open(filepath.Join(b.TempDir(), "b.bdf"), Options{Buckets: 2 * n, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer df.Close()
	var kb [8]byte
	for i := 0; i < n; i++ {
		df.Put(benchKey(&kb, i), benchKey(&kb, i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if _, err := df.Get(benchKey(&kb, i%n)); err == nil {
			hits++
		}
	}
	b.StopTimer()
	if hits != b.N {
		b.Fatalf("%d hits of %d", hits, b.N)
	}
}

func benchKey(b *[8]byte, n int) []byte {
	for i := 7; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return b[:]
}

func Example() {
	dir := exampleDir()
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "example.bdf")
	df, err := Open(path, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	df.Put([]byte("k"), []byte("v"))
	v, _ := df.Get([]byte("k"))
	fmt.Printf("%s %v\n", v, df.Stats().Records)
	df.Close()
	// Output: v 1
}

func exampleDir() string {
	d, err := os.MkdirTemp("", "datafile-example")
	if err != nil {
		panic(err)
	}
	return d
}
