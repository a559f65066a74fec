package command

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileRun runs the CLI and fails the test unless it exits with want.
func fileRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	if code != want {
		t.Fatalf("blitz %s: exit %d (want %d)\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String()
}

func TestFileRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.bdf")
	fileRun(t, ExitOK, "file", "put", p, "k1", "v1")
	fileRun(t, ExitOK, "file", "put", p, "k2", "v2")
	fileRun(t, ExitFailed, "file", "put", "--keep", p, "k2", "other")
	if out := fileRun(t, ExitOK, "file", "get", p, "k2"); out != "v2\n" {
		t.Fatalf("get: %q", out)
	}
	fileRun(t, ExitFailed, "file", "get", p, "missing")
	if out := fileRun(t, ExitOK, "file", "list", "--values", p); out != "k1\tv1\nk2\tv2\n" {
		t.Fatalf("list: %q", out)
	}
	fileRun(t, ExitOK, "file", "delete", p, "k1")
	fileRun(t, ExitFailed, "file", "delete", p, "k1")
	out := fileRun(t, ExitOK, "file", "inform", p)
	for _, want := range []string{"flags: none\n", "records: 1\n", "format version: 1\n", "buckets: 131072\n", "used buckets: 1\n", "free space: 48\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("inform lacks %q:\n%s", want, out)
		}
	}
	fileRun(t, ExitOK, "file", "optimize", p, "100")
	if out := fileRun(t, ExitOK, "file", "inform", p); !strings.Contains(out, "buckets: 100\n") || !strings.Contains(out, "free space: 0\n") {
		t.Fatalf("inform after optimize:\n%s", out)
	}
	if out := fileRun(t, ExitOK, "file", "check", p); !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("check: %q", out)
	}
}

func TestFileReadOnlyCommandsLeaveFileUnchanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.bdf")
	fileRun(t, ExitOK, "file", "put", p, "k", "v")
	before, _ := os.ReadFile(p)
	fileRun(t, ExitOK, "file", "inform", p)
	fileRun(t, ExitOK, "file", "get", p, "k")
	fileRun(t, ExitOK, "file", "list", p)
	fileRun(t, ExitOK, "file", "check", p)
	fileRun(t, ExitOK, "file", "salvage", p, p+".salvaged")
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("a read-only command changed the file")
	}
}

func TestFileSalvageAndDamage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.bdf")
	fileRun(t, ExitOK, "bench", "write", p, "1000", "64")
	f, _ := os.OpenFile(p, os.O_RDWR, 0)
	fi, _ := f.Stat()
	f.WriteAt(bytes.Repeat([]byte{0xAB}, 100), fi.Size()/2)
	f.Close()
	fileRun(t, ExitFailed, "file", "check", p)
	out := fileRun(t, ExitOK, "file", "salvage", p, p+".new")
	if !strings.Contains(out, "damaged regions: 1") || !strings.Contains(out, "dropped: offset ") {
		t.Fatalf("salvage report:\n%s", out)
	}
	fileRun(t, ExitOK, "file", "check", p+".new")
}

func TestFileUsageErrors(t *testing.T) {
	fileRun(t, ExitUsage, "file", "get", "only-path")
	fileRun(t, ExitUsage, "file", "optimize", "p", "not-a-number")
	fileRun(t, ExitUsage, "bench", "write", "p")
	fileRun(t, ExitUsage, "bench", "write", "-bogus", "p", "10")
	fileRun(t, ExitFailed, "file", "inform", filepath.Join(t.TempDir(), "missing"))
}

// damageOlderHeaderSlot flips a byte in the header slot (offset 0 or 512)
// that the last clean close did not write, and returns its offset: the file
// still opens, from the other slot, as it was.
func damageOlderHeaderSlot(t *testing.T, p string) int64 {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	off := int64(0)
	if binary.LittleEndian.Uint64(b[16:]) > binary.LittleEndian.Uint64(b[512+16:]) {
		off = 512
	}
	b[off+20] ^= 0x5a // the counter: the slot's CRC no longer matches
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return off
}

// TestFileCheckDamagedHeaderSlot: file check reports a header slot that
// does not verify (the file opens from the other) and says that file
// repair rewrites it, without changing the file; file repair does.
func TestFileCheckDamagedHeaderSlot(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.bdf")
	fileRun(t, ExitOK, "file", "put", p, "k1", "v1")
	fileRun(t, ExitOK, "file", "put", p, "k2", "v2")
	off := damageOlderHeaderSlot(t, p)
	before, _ := os.ReadFile(p)
	out := fileRun(t, ExitFailed, "file", "check", p)
	if !strings.Contains(out, fmt.Sprintf("problem: header slot at offset %d does not verify", off)) ||
		!strings.Contains(out, "records: 2\n") || !strings.HasSuffix(out, "to repair: blitz file repair "+p+"\n") {
		t.Fatalf("check of a damaged header slot:\n%s", out)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("file check changed the file")
	}
	out = fileRun(t, ExitOK, "file", "repair", p)
	if out != fmt.Sprintf("rewrote the damaged header slot at offset %d\nok\n", off) {
		t.Fatalf("repair: %q", out)
	}
	if out := fileRun(t, ExitOK, "file", "check", p); !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("check after repair: %q", out)
	}
	if out := fileRun(t, ExitOK, "file", "repair", p); out != "nothing to rewrite\nok\n" {
		t.Fatalf("second repair: %q", out)
	}
	missing := filepath.Join(t.TempDir(), "missing.bdf")
	fileRun(t, ExitFailed, "file", "repair", missing)
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("file repair created a missing file")
	}
}

// TestFileArgs: a directory or a missing path given as a data file is
// refused, naming it, and nothing is created (delete used to create an
// empty data file to find the key absent in); salvage never writes over
// an existing file (it used to replace it: the destination may be another
// data file).
func TestFileArgs(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.bdf")
	for _, args := range [][]string{
		{"inform", dir}, {"check", dir}, {"repair", dir}, {"get", dir, "k"}, {"put", dir, "k", "v"},
		{"delete", dir, "k"}, {"list", dir}, {"optimize", dir}, {"salvage", dir, missing},
	} {
		code, out, errs := run(t, "", append([]string{"file"}, args...)...)
		if code != ExitFailed || out != "" || errs != "blitz: "+dir+" is a directory, not a data file\n" {
			t.Errorf("file %v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	for _, args := range [][]string{
		{"inform", missing}, {"check", missing}, {"repair", missing}, {"get", missing, "k"},
		{"delete", missing, "k"}, {"list", missing}, {"optimize", missing}, {"salvage", missing, missing + ".new"},
	} {
		code, out, errs := run(t, "", append([]string{"file"}, args...)...)
		if code != ExitFailed || out != "" || errs != "blitz: "+missing+" does not exist\n" {
			t.Errorf("file %v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("files created: %v", ents)
	}
	src, dst := filepath.Join(dir, "src.bdf"), filepath.Join(dir, "other.bdf")
	fileRun(t, ExitOK, "file", "put", src, "k", "v")
	fileRun(t, ExitOK, "file", "put", dst, "mine", "keep")
	code, _, errs := run(t, "", "file", "salvage", src, dst)
	if code != ExitFailed || !strings.Contains(errs, dst+" exists: salvage writes a new file") {
		t.Fatalf("salvage onto an existing file: exit %d, stderr %q", code, errs)
	}
	if out := fileRun(t, ExitOK, "file", "get", dst, "mine"); out != "keep\n" {
		t.Fatalf("the existing destination was changed: %q", out)
	}
}
