// Package vfs is the small filesystem interface that all blitz file I/O goes
// through, so tests can run the engine on filesystems that lose power, tear
// writes and fail calls on demand.
//
// Implementations:
//
//   - OS (Default): the real filesystem, with flock, fdatasync, fallocate and mmap.
//   - MemFS (NewMem): an in-memory filesystem for fast tests.
//   - CrashFS (NewCrash): an in-memory filesystem that keeps written-but-unsynced
//     data apart from synced data, so a test can cut the power: each unsynced
//     sector is kept, dropped or filled with garbage, and unsynced creates,
//     renames and removes may be lost.
//   - ErrorFS (NewErrorFS): wraps any FS and fails the N-th call of chosen kinds.
//
// Semantics every implementation keeps (they are those of Linux):
//
//   - File.Sync makes the file's data durable (fdatasync), including data written
//     through a mapping made by Map.
//   - A create, rename or remove is durable only after SyncDir on the parent
//     directory.
//   - A mapping made by File.Map aliases the file's bytes: writes through it are
//     visible to ReadAt and the other way round. After the file is extended
//     (Truncate, Preallocate or WriteAt past the end) a mapping must be unmapped
//     and made again before it covers the new range; callers never write through
//     an old mapping after extending the file.
package vfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
)

// File is an open file. A File is safe for concurrent ReadAt/WriteAt calls on
// disjoint ranges; other methods need external synchronisation.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Name returns the name the file was opened with.
	Name() string
	// Size returns the current size of the file in bytes.
	Size() (int64, error)
	// Sync makes the file's data durable (fdatasync).
	Sync() error
	// Truncate changes the size of the file; extending fills with zeros.
	Truncate(size int64) error
	// Preallocate makes sure the file is at least size bytes long with its
	// blocks reserved, so that later writes (and writes through a mapping) in
	// that range cannot fail for lack of space. A full disk is reported here as
	// an error wrapping syscall.ENOSPC, never later as a SIGBUS.
	Preallocate(size int64) error
	// Map maps the first size bytes of the file into memory. The file must be
	// at least size bytes long. writable maps it shared and read-write.
	Map(size int, writable bool) ([]byte, error)
	// Unmap releases a mapping made by Map.
	Unmap(b []byte) error
}

// FS is a filesystem. Implementations are safe for concurrent use.
type FS interface {
	// OpenFile opens name with os.O_* flags (O_RDONLY, O_RDWR, O_CREATE,
	// O_EXCL, O_TRUNC are supported).
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname if it exists.
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and any missing parents.
	MkdirAll(dir string, perm os.FileMode) error
	// ReadDir returns the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// Stat returns information about name; a missing file gives an error
	// satisfying errors.Is(err, fs.ErrNotExist).
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the creates, renames and removes in dir durable.
	SyncDir(dir string) error
	// Lock takes an advisory lock on name (creating it if needed): exclusive
	// for a writer, shared for readers. It never waits: if another holder
	// conflicts it returns an error wrapping ErrLocked. Close releases it.
	Lock(name string, exclusive bool) (io.Closer, error)
}

// MissingDirs returns dir and those of its parents that do not exist,
// deepest first: the directories MkdirAll(dir) would create, for a caller
// that must take them back if what it makes there fails. stat tells
// whether a path exists: an FS's Stat, or os.Lstat so that a symbolic
// link, even a dangling one, counts as there.
func MissingDirs(stat func(string) (os.FileInfo, error), dir string) []string {
	var made []string
	for d := filepath.Clean(dir); ; {
		if _, err := stat(d); !errors.Is(err, os.ErrNotExist) {
			return made
		}
		made = append(made, d)
		parent := filepath.Dir(d)
		if parent == d {
			return made
		}
		d = parent
	}
}

// ErrLocked is returned by FS.Lock when another process (or, for the
// in-memory filesystems, another holder) has a conflicting lock.
var ErrLocked = errors.New("blitz/vfs: locked by another process")

// Open opens name read-only.
func Open(fs FS, name string) (File, error) { return fs.OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates name for reading and writing.
func Create(fs FS, name string) (File, error) {
	return fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// ReadFile reads the whole of name.
func ReadFile(fs FS, name string) ([]byte, error) {
	f, err := Open(fs, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, err
	}
	return b, nil
}

// WriteFileAtomic replaces name with data so that after a crash name holds
// either its old content or data, never a mix: it writes name+".tmp", syncs
// it, renames it over name and syncs the directory. If it fails before the
// rename (a full disk), name is untouched and the temporary file removed.
func WriteFileAtomic(fs FS, name string, data []byte) error {
	tmp := name + ".tmp"
	if err := writeSynced(fs, tmp, data); err != nil {
		fs.Remove(tmp)
		return err
	}
	if err := fs.Rename(tmp, name); err != nil {
		fs.Remove(tmp)
		return err
	}
	return fs.SyncDir(Dir(name))
}

// writeSynced creates name holding data, synced.
func writeSynced(fs FS, name string, data []byte) error {
	f, err := Create(fs, name)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Dir returns the directory part of a slash-separated path ("." if none).
func Dir(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			if i == 0 {
				return "/"
			}
			return name[:i]
		}
	}
	return "."
}

// SpaceReporter is implemented by filesystems that can tell how much space is
// free (the OS filesystem does; the in-memory ones do not).
type SpaceReporter interface {
	// FreeSpace returns the bytes an unprivileged writer may still use on
	// the filesystem holding dir.
	FreeSpace(dir string) (int64, error)
}

// FreeSpace returns the free bytes on the filesystem holding dir, and false
// when fs cannot tell.
func FreeSpace(fs FS, dir string) (int64, bool) {
	r, ok := fs.(SpaceReporter)
	if !ok {
		return 0, false
	}
	n, err := r.FreeSpace(dir)
	if err != nil {
		return 0, false
	}
	return n, true
}

// WritableChecker is implemented by filesystems that can tell, without
// creating anything, whether the process may create and remove files in a
// directory (the OS filesystem does, with access(2); the in-memory ones do
// not).
type WritableChecker interface {
	// CheckWritable returns nil if the process may create and remove
	// files in dir, else an error saying why not (permission denied, a
	// read-only file system) that names dir.
	CheckWritable(dir string) error
}

// CheckWritable returns why the process may not create and remove files in
// dir, or nil if it may or fs cannot tell.
func CheckWritable(fs FS, dir string) error {
	c, ok := fs.(WritableChecker)
	if !ok {
		return nil
	}
	return c.CheckWritable(dir)
}
