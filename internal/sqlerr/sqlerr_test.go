package sqlerr

import (
	"errors"
	"fmt"
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
