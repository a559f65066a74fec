package datafile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHoldsRecords: a file created and never written holds no record,
// closed cleanly or not (a CREATE TABLE cut short leaves either); one
// written holds records, closed cleanly or abandoned by a writer that
// died before its header said so; anything that is not a data file is
// taken as holding records, with an error. The file is left unchanged.
func TestHoldsRecords(t *testing.T) {
	holds := func(path string) (bool, error) {
		t.Helper()
		before, _ := os.ReadFile(path)
		got, err := HoldsRecords(path, Options{})
		if after, _ := os.ReadFile(path); string(after) != string(before) {
			t.Fatalf("HoldsRecords changed %s", path)
		}
		return got, err
	}
	create := func(o Options) (*File, string) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "t.bdf")
		df, err := Open(path, o)
		if err != nil {
			t.Fatal(err)
		}
		return df, path
	}
	for _, o := range []Options{{}, {CreateClean: true}} {
		df, path := create(o)
		if err := df.Sync(); err != nil {
			t.Fatal(err)
		}
		abandon(t, df)
		if got, err := holds(path); got || err != nil {
			t.Errorf("new file (CreateClean %v), writer died: holds %v, %v; want false", o.CreateClean, got, err)
		}
	}

	df, path := create(Options{CreateClean: true})
	if err := df.Put(key(1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	abandon(t, df) // the header on disk still says "no records"
	if got, err := holds(path); !got || err != nil {
		t.Errorf("file written by a writer that died: holds %v, %v; want true", got, err)
	}

	df, path = create(Options{})
	if err := df.Put(key(1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := df.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := holds(path); !got || err != nil {
		t.Errorf("file closed cleanly with a record: holds %v, %v; want true", got, err)
	}

	for _, size := range []int{0, 100, 8192} {
		zeros := filepath.Join(t.TempDir(), "zeros.bdf")
		if err := os.WriteFile(zeros, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := holds(zeros); got || err != nil {
			t.Errorf("a file of %d zero bytes (a creation cut short): holds %v, %v; want false", size, got, err)
		}
	}
	junk := filepath.Join(t.TempDir(), "junk.bdf")
	if err := os.WriteFile(junk, []byte("not a data file, but something"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := holds(junk); !got || err == nil {
		t.Errorf("a file that is no data file: holds %v, %v; want true and an error", got, err)
	}
	if got, err := HoldsRecords(t.TempDir(), Options{}); !got || err == nil {
		t.Errorf("a directory: holds %v, %v; want true and an error", got, err)
	}
}
