package ulog

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/internal/vfs"
)

// TestWriteFailureRetries fails the log's writes (ENOSPC) from the n-th
// on, for n = 1, 2, ... through rotations: the flush fails naming the
// segment, the log keeps taking appends, and once space is back the next
// sync writes every record, so that after a power cut the log reads
// 1..last with no gap and nothing lost.
func TestWriteFailureRetries(t *testing.T) {
	for n := 1; ; n++ {
		mem := vfs.NewCrash()
		e := vfs.NewErrorFS(mem)
		e.SetError(syscall.ENOSPC)
		l, err := Open("/ulog", Options{FS: e, SegmentBytes: 300})
		if err != nil {
			t.Fatal(err)
		}
		seq := uint64(0)
		appendSync := func() error {
			var err error
			if seq, err = l.Append([]Op{put("t", fmt.Sprint(seq+1), "value")}, t0); err != nil {
				t.Fatalf("n=%d: append: %v", n, err)
			}
			return l.SyncThrough(seq)
		}
		for i := 0; i < 3; i++ {
			if err := appendSync(); err != nil {
				t.Fatal(err)
			}
		}
		e.FailAfter(n, vfs.OpWrite|vfs.OpTruncate|vfs.OpOpen, true)
		for i := 0; i < 15 && err == nil; i++ {
			err = appendSync()
		}
		e.Disarm()
		if err == nil {
			if e.Hits() > 0 {
				t.Fatalf("n=%d: writes failed, syncs did not", n)
			}
			t.Logf("done after n=%d", n-1)
			l.Close()
			return
		}
		if !errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrFailed) || l.WriteFailed() == nil {
			t.Fatalf("n=%d: sync error = %v (WriteFailed %v), want ENOSPC, not final", n, err, l.WriteFailed())
		}
		if err := appendSync(); err != nil {
			t.Fatalf("n=%d: sync with space back: %v", n, err)
		}
		if l.WriteFailed() != nil {
			t.Fatalf("n=%d: WriteFailed after a good write: %v", n, l.WriteFailed())
		}
		mem.CutPower(int64(n))
		seqs, _, err := readAll(t, "/ulog", ReadOptions{FS: mem.AfterCut()})
		if err != nil {
			t.Fatalf("n=%d: read: %v", n, err)
		}
		if uint64(len(seqs)) != seq || (len(seqs) > 0 && seqs[len(seqs)-1] != seq) {
			t.Fatalf("n=%d: read %v, want 1..%d", n, seqs, seq)
		}
		if n > 200 {
			t.Fatal("never ran out of writes to fail")
		}
	}
}

// TestSyncFailureIsFinal: a failed fsync of the log is not retried; every
// later append fails with ErrFailed naming the cause.
func TestSyncFailureIsFinal(t *testing.T) {
	e := vfs.NewErrorFS(vfs.NewCrash())
	e.SetError(syscall.EIO)
	l, err := Open("/ulog", Options{FS: e})
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := l.Append([]Op{put("t", "1", "v")}, t0)
	if err := l.SyncThrough(seq); err != nil {
		t.Fatal(err)
	}
	e.FailAfter(1, vfs.OpSync, false)
	seq, _ = l.Append([]Op{put("t", "2", "v")}, t0)
	if err := l.SyncThrough(seq); !errors.Is(err, syscall.EIO) {
		t.Fatalf("sync = %v, want EIO", err)
	}
	e.Disarm()
	if _, err := l.Append([]Op{put("t", "3", "v")}, t0); !errors.Is(err, ErrFailed) || !strings.Contains(err.Error(), "fsync of /ulog/") {
		t.Fatalf("append after a failed fsync = %v, want ErrFailed naming the segment", err)
	}
}
