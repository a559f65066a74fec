package sqlerr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestErrorShape(t *testing.T) {
	e := New(ErrDupEntry, "Duplicate entry '%s' for key '%s'", "1", "PRIMARY")
	if got, want := e.Error(), "ERROR 1062 (23000): Duplicate entry '1' for key 'PRIMARY'"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("insert: %w", e)
	if Code(wrapped) != ErrDupEntry {
		t.Fatalf("Code through wrapping = %d", Code(wrapped))
	}
	plain := errors.New("disk on fire")
	if got := As(plain); got.Code != ErrUnknown || got.Message != "disk on fire" || !errors.Is(got, plain) {
		t.Fatalf("As(plain) = %+v", got)
	}
	if State(99999) != "HY000" || State(ErrNoSuchTable) != "42S02" {
		t.Fatal("State table wrong")
	}
	if Code(nil) != 0 || As(nil) != nil {
		t.Fatal("nil handling")
	}
}

// TestDiskFull: an error caused by ENOSPC reaches a client as 1021 naming
// the file that could not grow, with the whole story after it.
func TestDiskFull(t *testing.T) {
	cause := &fs.PathError{Op: "write", Path: "/db/wal/0001.wal", Err: syscall.ENOSPC}
	err := fmt.Errorf("blitz/engine: commit: %w", cause)
	got := As(err)
	want := "ERROR 1021 (HY000): Disk full (/db/wal/0001.wal); free some space: blitz/engine: commit: write /db/wal/0001.wal: no space left on device"
	if got.Error() != want || !errors.Is(got, syscall.ENOSPC) {
		t.Fatalf("As = %q, want %q", got.Error(), want)
	}
	if Code(fmt.Errorf("x: %w", syscall.ENOSPC)) != ErrDiskFull {
		t.Fatal("ENOSPC without a path is not 1021")
	}
}
