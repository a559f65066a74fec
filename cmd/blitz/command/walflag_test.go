package command

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/engine"
)

// TestWALSegmentSizeFlag: --wal-segment-size sets the size of the WAL's
// segment files; a bad size is a usage error naming the flag.
func TestWALSegmentSizeFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	code, out, errs := run(t, "", "sql", "-d", dir, "--wal-segment-size", "256K", "-e",
		"CREATE TABLE t (a INT PRIMARY KEY) ENGINE=BLITZDB, CRASH_SAFE", "-e", "INSERT INTO t VALUES (1)")
	if code != ExitOK {
		t.Fatalf("sql: exit %d\n%s%s", code, out, errs)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment")
	}
	fi, err := os.Stat(segs[len(segs)-1])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 256<<10 {
		t.Errorf("segment %s is %d bytes, want 256K", segs[len(segs)-1], fi.Size())
	}
	for _, verb := range [][]string{{"sql", "-e", "SELECT 1"}, {"serve"}, {"check", "t"}, {"repair", "t"}} {
		for _, bad := range []string{"1K", "lots"} {
			args := append([]string{verb[0], "-d", dir, "--wal-segment-size", bad}, verb[1:]...)
			code, _, errs := run(t, "", args...)
			if code != ExitUsage || !strings.Contains(errs, "--wal-segment-size") {
				t.Errorf("%v: exit %d, stderr %q; want %d naming the flag", args, code, errs, ExitUsage)
			}
		}
	}
}

// TestSmallDisk: on a filesystem with less free space than a default WAL
// segment (64 MiB), a new database opens with smaller segments; a segment
// size the disk cannot hold fails with a message that names the directory,
// the size and the flag, and leaves no directory behind. Needs root to
// mount a tmpfs: skipped otherwise.
func TestSmallDisk(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })

	dir := filepath.Join(mnt, "db")
	code, out, errs := run(t, "", "sql", "-d", dir, "-e", "CREATE TABLE t (a INT PRIMARY KEY) ENGINE=BLITZDB, CRASH_SAFE",
		"-e", "INSERT INTO t VALUES (1)", "-e", "SELECT a FROM t")
	if code != ExitOK || out != "a\n1\n" {
		t.Fatalf("sql on a 12 MiB disk: exit %d\n%s%s", code, out, errs)
	}

	dir2 := filepath.Join(mnt, "db2")
	code, _, errs = run(t, "", "sql", "-d", dir2, "--wal-segment-size", "64M", "-e", "SELECT 1")
	if code != ExitFailed {
		t.Fatalf("64M segments on a 12 MiB disk: exit %d, want %d; stderr %s", code, ExitFailed, errs)
	}
	for _, s := range []string{filepath.Join(dir2, "wal"), "64 MiB", "no space left on device", "--wal-segment-size"} {
		if !strings.Contains(errs, s) {
			t.Errorf("error %q does not say %q", errs, s)
		}
	}
	if _, err := os.Stat(dir2); !os.IsNotExist(err) {
		t.Errorf("the failed open left %s behind (%v)", dir2, err)
	}
}

// TestServePortTakenLeavesNoDirectory: blitz serve -d NEWDIR that cannot
// listen fails naming the address and does not leave NEWDIR (LOCK, wal/)
// behind; an existing database directory is left as it was.
func TestServePortTakenLeavesNoDirectory(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	root := t.TempDir()
	dir := filepath.Join(root, "new", "db")
	code, _, errs := run(t, "", "serve", "-d", dir, "--listen", l.Addr().String())
	if code != ExitFailed || !strings.Contains(errs, l.Addr().String()) {
		t.Fatalf("serve on a taken port: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); !os.IsNotExist(err) {
		t.Errorf("serve that could not listen left %s behind (%v)", filepath.Join(root, "new"), err)
	}

	// An existing database keeps its files.
	old := filepath.Join(root, "old")
	if code, out, errs := run(t, "", "sql", "-d", old, "-e", "CREATE TABLE t (a INT)"); code != ExitOK {
		t.Fatalf("sql: exit %d\n%s%s", code, out, errs)
	}
	if code, _, _ := run(t, "", "serve", "-d", old, "--listen", l.Addr().String()); code != ExitFailed {
		t.Fatalf("serve on a taken port: exit %d", code)
	}
	for _, f := range []string{"LOCK", "wal", "t.def", "t.bdf"} {
		if _, err := os.Stat(filepath.Join(old, f)); err != nil {
			t.Errorf("existing database lost %s: %v", f, err)
		}
	}

	// The address is checked before the database is opened (which may
	// mean a long recovery): with the database held by another process,
	// the error is still the taken address.
	db, err := engine.Open(old, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	code, _, errs = run(t, "", "serve", "-d", old, "--listen", l.Addr().String(), "--auto-recover")
	if code != ExitFailed || !strings.Contains(errs, l.Addr().String()) || !strings.Contains(errs, "address already in use") {
		t.Fatalf("serve on a taken port of a locked database: exit %d, stderr %q; want the address named first", code, errs)
	}
}
