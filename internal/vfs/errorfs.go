package vfs

import (
	"errors"
	"io"
	"os"
	"sync"
)

// ErrInjected is the error ErrorFS returns from a call it was told to fail.
var ErrInjected = errors.New("blitz/vfs: injected I/O error")

// Op is a set of call kinds ErrorFS can fail.
type Op uint32

// The call kinds.
const (
	OpOpen Op = 1 << iota
	OpRead
	OpWrite
	OpSync // File.Sync
	OpTruncate
	OpPreallocate
	OpMap
	OpRemove
	OpRename
	OpMkdir
	OpReadDir
	OpStat
	OpSyncDir
	OpLock
	OpClose

	// OpAll is every kind of call.
	OpAll Op = 1<<iota - 1
	// OpMutating is every call that changes the disk.
	OpMutating = OpOpen | OpWrite | OpSync | OpTruncate | OpPreallocate | OpRemove | OpRename | OpMkdir | OpSyncDir
)

// ErrorFS wraps a filesystem and makes chosen calls fail, the way SQLite's
// I/O-error tests do: FailAfter(n, ops, persistent) fails the n-th call of a
// kind in ops (counted from 1 from the FailAfter call), and, if persistent,
// every such call after it. A failed call does nothing and returns Err
// (ErrInjected unless set). Calls of kinds not in ops are never failed and not
// counted.
type ErrorFS struct {
	FS
	mu         sync.Mutex
	ops        Op
	n, calls   int
	persistent bool
	hits       int
	err        error
	only       func(name string) bool // nil: every file
}

// NewErrorFS wraps inner; it fails nothing until FailAfter is called.
func NewErrorFS(inner FS) *ErrorFS { return &ErrorFS{FS: inner, err: ErrInjected} }

// FailAfter arms the fault: see ErrorFS. n <= 0 disarms it.
func (e *ErrorFS) FailAfter(n int, ops Op, persistent bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n, e.ops, e.persistent, e.calls, e.hits = n, ops, persistent, 0, 0
}

// SetError sets the error failed calls return (for example an error wrapping
// syscall.ENOSPC to play a full disk).
func (e *ErrorFS) SetError(err error) { e.mu.Lock(); e.err = err; e.mu.Unlock() }

// Only limits the calls counted and failed to those on files (or
// directories) whose name only accepts, as a full disk fails the writes of
// some files before others; nil counts every file. It stays in force across
// FailAfter calls.
func (e *ErrorFS) Only(only func(name string) bool) { e.mu.Lock(); e.only = only; e.mu.Unlock() }

// Disarm stops failing calls.
func (e *ErrorFS) Disarm() { e.FailAfter(0, 0, false) }

// Calls returns how many calls of the armed kinds were made since FailAfter.
func (e *ErrorFS) Calls() int { e.mu.Lock(); defer e.mu.Unlock(); return e.calls }

// Hits returns how many calls were failed since FailAfter.
func (e *ErrorFS) Hits() int { e.mu.Lock(); defer e.mu.Unlock(); return e.hits }

func (e *ErrorFS) fail(op Op, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n <= 0 || e.ops&op == 0 || (e.only != nil && !e.only(name)) {
		return nil
	}
	e.calls++
	if e.calls == e.n || (e.persistent && e.calls > e.n) {
		e.hits++
		return e.err
	}
	return nil
}

// OpenFile implements FS.
func (e *ErrorFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if err := e.fail(OpOpen, name); err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := e.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &errFile{File: f, e: e}, nil
}

// Remove implements FS.
func (e *ErrorFS) Remove(name string) error {
	if err := e.fail(OpRemove, name); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return e.FS.Remove(name)
}

// Rename implements FS.
func (e *ErrorFS) Rename(oldname, newname string) error {
	if err := e.fail(OpRename, oldname); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return e.FS.Rename(oldname, newname)
}

// MkdirAll implements FS.
func (e *ErrorFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := e.fail(OpMkdir, dir); err != nil {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return e.FS.MkdirAll(dir, perm)
}

// ReadDir implements FS.
func (e *ErrorFS) ReadDir(dir string) ([]string, error) {
	if err := e.fail(OpReadDir, dir); err != nil {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: err}
	}
	return e.FS.ReadDir(dir)
}

// Stat implements FS.
func (e *ErrorFS) Stat(name string) (os.FileInfo, error) {
	if err := e.fail(OpStat, name); err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	return e.FS.Stat(name)
}

// SyncDir implements FS.
func (e *ErrorFS) SyncDir(dir string) error {
	if err := e.fail(OpSyncDir, dir); err != nil {
		return &os.PathError{Op: "syncdir", Path: dir, Err: err}
	}
	return e.FS.SyncDir(dir)
}

// Lock implements FS.
func (e *ErrorFS) Lock(name string, exclusive bool) (io.Closer, error) {
	if err := e.fail(OpLock, name); err != nil {
		return nil, &os.PathError{Op: "lock", Path: name, Err: err}
	}
	return e.FS.Lock(name, exclusive)
}

type errFile struct {
	File
	e *ErrorFS
}

func (f *errFile) wrap(op string, err error) error {
	return &os.PathError{Op: op, Path: f.Name(), Err: err}
}

func (f *errFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.e.fail(OpRead, f.Name()); err != nil {
		return 0, f.wrap("read", err)
	}
	return f.File.ReadAt(p, off)
}

func (f *errFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.e.fail(OpWrite, f.Name()); err != nil {
		return 0, f.wrap("write", err)
	}
	return f.File.WriteAt(p, off)
}

func (f *errFile) Sync() error {
	if err := f.e.fail(OpSync, f.Name()); err != nil {
		return f.wrap("sync", err)
	}
	return f.File.Sync()
}

func (f *errFile) Truncate(size int64) error {
	if err := f.e.fail(OpTruncate, f.Name()); err != nil {
		return f.wrap("truncate", err)
	}
	return f.File.Truncate(size)
}

func (f *errFile) Preallocate(size int64) error {
	if err := f.e.fail(OpPreallocate, f.Name()); err != nil {
		return f.wrap("fallocate", err)
	}
	return f.File.Preallocate(size)
}

func (f *errFile) Map(size int, writable bool) ([]byte, error) {
	if err := f.e.fail(OpMap, f.Name()); err != nil {
		return nil, f.wrap("mmap", err)
	}
	return f.File.Map(size, writable)
}

// Close always closes the file (a failed close still releases it, as on
// Linux) but may report an error.
func (f *errFile) Close() error {
	err := f.File.Close()
	if ferr := f.e.fail(OpClose, f.Name()); ferr != nil && err == nil {
		return f.wrap("close", ferr)
	}
	return err
}
