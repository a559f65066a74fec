//go:build linux

package index

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A flush that fails because the disk is full must cost nothing: the file
// keeps its last good state (bbolt rolls the transaction back), the writes
// stay buffered and visible, unique checks still see them, and the next
// flush after space comes back writes them. It used to leave the index
// broken, every later read failing until the table was repaired.
//
// The full disk is RLIMIT_FSIZE (writes past the limit fail with EFBIG;
// the Go runtime ignores SIGXFSZ), set in a child process so that no other
// test sees it.
func TestFlushFailureKeepsWrites(t *testing.T) {
	if os.Getenv("BLITZ_INDEX_FSIZE_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFlushFailureKeepsWrites$", "-test.v")
		cmd.Env = append(os.Environ(), "BLITZ_INDEX_FSIZE_CHILD=1", "TMPDIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestFlushFailureKeepsWrites") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	path := filepath.Join(t.TempDir(), "t.u.bix")
	const buf = 64 << 10
	ix, err := Create(path, Options{Unique: true, BufferBytes: buf, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Abandon()
	pad := strings.Repeat("x", 100)
	for i := 0; i < 100; i++ {
		if err := ix.Insert(colsOf(i, pad), pkOf(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	full := syscall.Rlimit{Cur: uint64(st.Size()), Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		t.Skipf("cannot set RLIMIT_FSIZE: %v", err)
	}
	// The file cannot grow: writes past the buffer's size go in, flushes
	// (automatic when the buffer fills, and explicit) fail.
	n := 100
	var backlog error
	for ; n < 100000; n++ {
		if err := ix.Insert(colsOf(n, pad), pkOf(n)); err != nil {
			backlog = err
			break
		}
	}
	// bbolt reports a failed resize as text, without the errno.
	fileTooLarge := func(err error) bool {
		return err != nil && (errors.Is(err, syscall.EFBIG) || strings.Contains(err.Error(), syscall.EFBIG.Error()))
	}
	if !errors.Is(backlog, ErrBacklog) || !fileTooLarge(backlog) {
		t.Fatalf("writes while flushes fail: stopped at %d with %v, want ErrBacklog with the flush's error", n, backlog)
	}
	if n < backlogFactor*buf/(100+itemOverhead+20) {
		t.Fatalf("the buffer refused writes after %d entries, before it held %d times its size", n, backlogFactor)
	}
	if err := ix.Flush(); !fileTooLarge(err) {
		t.Fatalf("Flush on a full disk: %v, want EFBIG", err)
	}
	check := func(when string) {
		t.Helper()
		got := 0
		if err := ix.Scan(Bound{Unbounded: true}, Bound{Unbounded: true}, false, func(cols, pk []byte) bool { got++; return true }); err != nil {
			t.Fatalf("%s: Scan: %v", when, err)
		}
		if got != n {
			t.Fatalf("%s: Scan found %d entries, want %d", when, got, n)
		}
		var dup *DuplicateError
		if err := ix.Insert(colsOf(n-1, pad), pkOf(n+1)); !errors.As(err, &dup) {
			t.Fatalf("%s: duplicate of a buffered entry: %v, want a DuplicateError", when, err)
		}
	}
	check("disk full")

	// Space comes back: the next flush writes everything.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	if err := ix.Insert(colsOf(n, pad), pkOf(n)); err != nil {
		t.Fatalf("write after space came back: %v", err)
	}
	n++
	if err := ix.Flush(); err != nil {
		t.Fatalf("Flush after space came back: %v", err)
	}
	check("after the flush")
	if err := ix.Close(7); err != nil {
		t.Fatal(err)
	}
	checkFileConsistent(t, path)
	ix, err = Open(path, 7, Options{Unique: true, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	check("reopened")
}
