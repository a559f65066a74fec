package vfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"testing"
)

func mustWrite(t *testing.T, fsys FS, name string, data []byte, sync bool) File {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestMemBasics(t *testing.T) {
	m := NewMem()
	if _, err := m.OpenFile("d/x", os.O_RDWR|os.O_CREATE, 0o644); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("create in missing dir: %v", err)
	}
	if err := m.MkdirAll("d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	f := mustWrite(t, m, "d/x", []byte("hello"), false)
	if _, err := f.WriteAt([]byte("!"), 9); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(m, "d/x")
	if err != nil || !bytes.Equal(b, []byte("hello\x00\x00\x00\x00!")) {
		t.Fatalf("read %q %v", b, err)
	}
	p := make([]byte, 4)
	if n, err := f.ReadAt(p, 8); n != 2 || err != io.EOF {
		t.Fatalf("short read n=%d err=%v", n, err)
	}
	names, _ := m.ReadDir("d")
	if len(names) != 2 || names[0] != "e" || names[1] != "x" {
		t.Fatalf("ReadDir %v", names)
	}
	if err := m.Rename("d/x", "d/y"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stat("d/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat old name: %v", err)
	}
	if fi, err := m.Stat("d/y"); err != nil || fi.Size() != 10 {
		t.Fatalf("stat new name: %v %v", fi, err)
	}
	if err := m.Remove("d"); err == nil {
		t.Fatal("removed a non-empty directory")
	}
	// A writable mapping aliases the file.
	mp, err := f.Map(5, true)
	if err != nil {
		t.Fatal(err)
	}
	copy(mp, "HELLO")
	if b, _ := ReadFile(m, "d/y"); string(b[:5]) != "HELLO" {
		t.Fatalf("mapping not visible: %q", b)
	}
	f.Close()
	if _, err := f.ReadAt(p, 0); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestMemLock(t *testing.T) {
	m := NewMem()
	l, err := m.Lock("LOCK", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lock("LOCK", false); !errors.Is(err, ErrLocked) {
		t.Fatalf("shared under exclusive: %v", err)
	}
	l.Close()
	s1, err := m.Lock("LOCK", false)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := m.Lock("LOCK", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lock("LOCK", true); !errors.Is(err, ErrLocked) {
		t.Fatalf("exclusive under shared: %v", err)
	}
	s1.Close()
	s2.Close()
	if l, err = m.Lock("LOCK", true); err != nil {
		t.Fatal(err)
	}
	l.Close()
}

// TestCrashKeepsSynced: whatever the seed, synced data and synced names
// survive, and an unsynced sector is either old, new or (garbage) anything,
// never a mix within a sector when garbage is off.
func TestCrashKeepsSynced(t *testing.T) {
	old := bytes.Repeat([]byte{'a'}, 4*SectorSize)
	neu := bytes.Repeat([]byte{'b'}, 4*SectorSize)
	sawOld, sawNew := false, false
	for seed := int64(0); seed < 64; seed++ {
		c := NewCrash()
		c.NoGarbage()
		f := mustWrite(t, c, "f", old, true)
		if err := c.SyncDir("."); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(neu, 0); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, c, "unsynced-name", []byte("x"), true)
		c.CutPower(seed)
		if _, err := f.WriteAt(neu, 0); !errors.Is(err, ErrPowerCut) {
			t.Fatalf("write after cut: %v", err)
		}
		a := c.AfterCut()
		b, err := ReadFile(a, "f")
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != len(old) {
			t.Fatalf("size %d", len(b))
		}
		for s := 0; s < 4; s++ {
			sec := b[s*SectorSize : (s+1)*SectorSize]
			switch {
			case bytes.Equal(sec, old[:SectorSize]):
				sawOld = true
			case bytes.Equal(sec, neu[:SectorSize]):
				sawNew = true
			default:
				t.Fatalf("seed %d: sector %d torn", seed, s)
			}
		}
		if _, err := a.Stat("unsynced-name"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		// The image is durable: a second cut right away changes nothing.
		b2, _ := ReadFile(a.AfterCut(), "f")
		if !bytes.Equal(b, b2) {
			t.Fatal("image after a second cut differs")
		}
	}
	if !sawOld || !sawNew {
		t.Fatalf("cuts never chose both outcomes (old %v, new %v)", sawOld, sawNew)
	}
}

// TestCrashRenameJournal: unsynced namespace operations survive as a prefix,
// so an atomic replace (write tmp, sync, rename) leaves the old or the new
// file, never neither.
func TestCrashRenameJournal(t *testing.T) {
	outcomes := map[string]bool{}
	for seed := int64(0); seed < 40; seed++ {
		c := NewCrash()
		if err := WriteFileAtomic(c, "def", []byte("v1")); err != nil {
			t.Fatal(err)
		}
		f := mustWrite(t, c, "def.tmp", []byte("v2"), true)
		f.Close()
		if err := c.Rename("def.tmp", "def"); err != nil {
			t.Fatal(err)
		}
		c.CutPower(seed)
		b, err := ReadFile(c.AfterCut(), "def")
		if err != nil {
			t.Fatalf("seed %d: def lost: %v", seed, err)
		}
		outcomes[string(b)] = true
	}
	if !outcomes["v1"] || !outcomes["v2"] || len(outcomes) != 2 {
		t.Fatalf("outcomes %v", outcomes)
	}
}

func TestCutPowerAtSync(t *testing.T) {
	c := NewCrash()
	c.CutPowerAtSync(2, 1)
	f := mustWrite(t, c, "f", []byte("one"), true)
	if _, err := f.WriteAt([]byte("two"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, ErrPowerCut) {
		t.Fatalf("second sync: %v", err)
	}
	if c.SyncPoints() != 2 {
		t.Fatalf("sync points %d", c.SyncPoints())
	}
	a := c.AfterCut()
	if _, err := a.Stat("f"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	// The new filesystem works and can be cut again.
	mustWrite(t, a, "g", []byte("x"), true)
}

func TestErrorFS(t *testing.T) {
	e := NewErrorFS(NewMem())
	f := mustWrite(t, e, "f", []byte("abc"), true)
	e.FailAfter(2, OpWrite|OpSync, false)
	if _, err := f.WriteAt([]byte("x"), 0); err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("second call: %v", err)
	}
	if _, err := f.WriteAt([]byte("y"), 1); err != nil {
		t.Fatalf("third call (not persistent): %v", err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); err != nil {
		t.Fatalf("reads are not armed: %v", err)
	}
	if e.Calls() != 3 || e.Hits() != 1 {
		t.Fatalf("calls %d hits %d", e.Calls(), e.Hits())
	}
	e.FailAfter(1, OpAll, true)
	for i := 0; i < 3; i++ {
		if _, err := e.Stat("f"); !errors.Is(err, ErrInjected) {
			t.Fatalf("persistent: %v", err)
		}
	}
	e.Disarm()
	b, err := ReadFile(e, "f")
	if err != nil || string(b) != "xyc" {
		t.Fatalf("content %q %v", b, err)
	}
}

// TestCrashPowersafeOverwrite: a garbled sector garbles only the bytes
// written since the last sync; synced bytes beside them in the sector keep
// their value.
func TestCrashPowersafeOverwrite(t *testing.T) {
	garbled := false
	for seed := int64(0); seed < 64; seed++ {
		c := NewCrash()
		f := mustWrite(t, c, "f", []byte("synced-header"), true)
		if err := c.SyncDir("."); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte{'n'}, 100), 100); err != nil {
			t.Fatal(err)
		}
		c.CutPower(seed)
		b, err := ReadFile(c.AfterCut(), "f")
		if err != nil {
			t.Fatal(err)
		}
		if string(b[:13]) != "synced-header" {
			t.Fatalf("seed %d: synced bytes changed: %q", seed, b[:13])
		}
		if len(b) == 200 {
			tail := b[100:]
			if !bytes.Equal(tail, bytes.Repeat([]byte{'n'}, 100)) && !bytes.Equal(tail, make([]byte, 100)) {
				garbled = true
			}
		}
	}
	if !garbled {
		t.Fatal("no seed garbled the unsynced write")
	}
}
