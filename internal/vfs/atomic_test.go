package vfs

import (
	"errors"
	"testing"
)

// A WriteFileAtomic that fails (a full disk) leaves the old file and no
// temporary file: a leftover name.tmp would be reported as debris by
// `blitz check` after every failed definition write.
func TestWriteFileAtomicFailureLeavesNoTemp(t *testing.T) {
	for name, op := range map[string]Op{"open": OpOpen, "write": OpWrite, "sync": OpSync, "rename": OpRename} {
		t.Run(name, func(t *testing.T) {
			e := NewErrorFS(NewMem())
			if err := WriteFileAtomic(e, "def", []byte("v1")); err != nil {
				t.Fatal(err)
			}
			e.FailAfter(1, op, false)
			if err := WriteFileAtomic(e, "def", []byte("v2")); !errors.Is(err, ErrInjected) {
				t.Fatalf("write with its %s failing: %v, want the injected error", name, err)
			}
			e.Disarm()
			if b, err := ReadFile(e, "def"); err != nil || string(b) != "v1" {
				t.Fatalf("def after the failed write: %q, %v; want v1", b, err)
			}
			if _, err := e.Stat("def.tmp"); err == nil {
				t.Fatal("def.tmp left behind by the failed write")
			}
		})
	}
}
