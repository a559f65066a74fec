package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"math/rand"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SectorSize is the unit CrashFS treats as atomic: after a power cut each
// 512-byte sector written since the last sync is kept whole, lost whole, or
// (with garbage enabled) replaced by random bytes, never split.
const SectorSize = 512

// ErrPowerCut is returned by every call on a CrashFS after its power was cut.
var ErrPowerCut = errors.New("blitz/vfs: power cut (simulated)")

// CrashFS is an in-memory filesystem that remembers, for every file, what was
// last made durable by Sync and, for the namespace, which creates, renames and
// removes were made durable by SyncDir. A test can cut the power at any moment
// (CutPower) or at the k-th sync point (CutPowerAtSync); AfterCut then gives a
// fresh CrashFS holding what a disk could plausibly hold after the cut:
//
//   - every synced byte;
//   - of each sector written since its file's last Sync: the new content, the
//     old content, or (unless NoGarbage) random bytes in place of the bytes
//     that changed, chosen per sector. Bytes that did not change keep their
//     value even in a garbled sector: the "powersafe overwrite" property
//     SQLite also assumes of disks, without which no synced byte that shares
//     a sector with a later write could be trusted;
//   - a file size that is either the synced size or the current size;
//   - of the namespace operations since the last SyncDir (kept in one ordered
//     journal, as a journaling filesystem does): a random prefix.
//
// Directories are created durably. Without a cut a CrashFS is just an
// in-memory filesystem; NewMem returns one.
type CrashFS struct {
	mu        sync.Mutex
	dirs      map[string]bool
	cur       map[string]*memNode // namespace as the running process sees it
	dur       map[string]*memNode // namespace as the disk holds it
	journal   []nsOp              // namespace ops not yet durable
	locks     map[string]*memLock
	syncs     int   // sync points passed (File.Sync and SyncDir calls)
	cutAt     int   // cut at this sync point (0 = never)
	seed      int64 // randomness for the cut
	noGarbage bool
	cut       bool
	after     *CrashFS // image computed at the cut
}

type nsOp struct {
	kind     byte // 'c' create/replace name with node, 'r' remove name, 'm' rename
	name, to string
	node     *memNode
}

type memNode struct {
	data   []byte   // current content (len = current size)
	synced []byte   // durable content (len = durable size)
	dirty  []uint64 // bitmap of sectors written since the last sync
	mapped bool     // a writable mapping exists: diff whole file at sync/cut
}

type memLock struct {
	excl   bool
	shared int
}

// NewMem returns an empty in-memory filesystem.
func NewMem() *CrashFS { return NewCrash() }

// NewCrash returns an empty in-memory filesystem whose power can be cut.
func NewCrash() *CrashFS {
	return &CrashFS{
		dirs:  map[string]bool{".": true, "/": true},
		cur:   map[string]*memNode{},
		dur:   map[string]*memNode{},
		locks: map[string]*memLock{},
	}
}

// NoGarbage makes a cut only keep or drop unsynced sectors, never fill them
// with random bytes (for code that promises nothing about garbage).
func (c *CrashFS) NoGarbage() { c.mu.Lock(); c.noGarbage = true; c.mu.Unlock() }

// CutPowerAtSync arranges for the power to fail at the k-th sync point from
// now (k >= 1): that File.Sync or SyncDir call does not take effect and
// returns ErrPowerCut, as does every call after it.
func (c *CrashFS) CutPowerAtSync(k int, seed int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cutAt = c.syncs + k
	c.seed = seed
}

// CutPower cuts the power now.
func (c *CrashFS) CutPower(seed int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seed = seed
	c.cutLocked()
}

// SyncPoints returns how many sync points (File.Sync and SyncDir calls) have
// been reached, counting the one the power was cut at.
func (c *CrashFS) SyncPoints() int { c.mu.Lock(); defer c.mu.Unlock(); return c.syncs }

// IsCut reports whether the power has been cut.
func (c *CrashFS) IsCut() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.cut }

// AfterCut returns the filesystem as found after the cut: a new CrashFS in
// which everything is durable and no locks are held. If the power was never
// cut it is cut now.
func (c *CrashFS) AfterCut() *CrashFS {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cut {
		c.cutLocked()
	}
	return c.after
}

// Clone returns a new CrashFS holding the current content of c (every file
// as the running process sees it, all of it durable), for tests that start
// many runs from one state. It is an error to clone after a cut: use
// AfterCut.
func (c *CrashFS) Clone() *CrashFS {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		panic("vfs: Clone after a power cut; use AfterCut")
	}
	out := NewCrash()
	out.noGarbage = c.noGarbage
	for d := range c.dirs {
		out.dirs[d] = true
	}
	copies := map[*memNode]*memNode{}
	for name, n := range c.cur {
		cp, ok := copies[n]
		if !ok {
			cp = &memNode{data: append([]byte(nil), n.data...)}
			cp.synced = append([]byte(nil), n.data...)
			copies[n] = cp
		}
		out.cur[name], out.dur[name] = cp, cp
	}
	return out
}

func (c *CrashFS) cutLocked() {
	c.cut = true
	r := rand.New(rand.NewSource(c.seed))
	// Namespace: durable entries plus a random prefix of the journal.
	ns := make(map[string]*memNode, len(c.dur))
	for k, v := range c.dur {
		ns[k] = v
	}
	keep := 0
	if len(c.journal) > 0 {
		keep = r.Intn(len(c.journal) + 1)
	}
	for _, op := range c.journal[:keep] {
		applyNS(ns, op)
	}
	out := NewCrash()
	for d := range c.dirs {
		out.dirs[d] = true
	}
	images := map[*memNode]*memNode{}
	names := make([]string, 0, len(ns))
	for k := range ns {
		names = append(names, k)
	}
	sort.Strings(names) // deterministic use of r
	for _, name := range names {
		n := ns[name]
		img, ok := images[n]
		if !ok {
			img = &memNode{}
			img.data = c.crashImage(n, r)
			img.synced = append([]byte(nil), img.data...)
			images[n] = img
		}
		out.cur[name] = img
		out.dur[name] = img
	}
	c.after = out
}

// crashImage returns what the disk holds of n after a cut.
func (c *CrashFS) crashImage(n *memNode, r *rand.Rand) []byte {
	size := len(n.synced)
	if len(n.data) != size && r.Intn(2) == 0 {
		size = len(n.data)
	}
	img := make([]byte, size)
	copy(img, n.synced)
	for _, s := range n.changedSectors() {
		lo := s * SectorSize
		if lo >= int64(size) {
			continue
		}
		hi := min(lo+SectorSize, int64(size))
		switch r.Intn(3) {
		case 0: // the new content reached the disk
			clear(img[lo:hi])
			if lo < int64(len(n.data)) {
				copy(img[lo:hi], n.data[lo:min(hi, int64(len(n.data)))])
			}
		case 1: // nothing reached the disk
		case 2:
			if c.noGarbage {
				continue
			}
			// Powersafe overwrite: a torn write garbles only the bytes
			// written, never its neighbours in the same sector. Bytes
			// written with the value they had are indistinguishable from
			// untouched ones and are left alone.
			for i := lo; i < hi; i++ {
				var nb byte
				if i < int64(len(n.data)) {
					nb = n.data[i]
				}
				if i >= int64(len(n.synced)) || nb != n.synced[i] {
					img[i] = byte(r.Intn(256))
				}
			}
		}
	}
	return img
}

// changedSectors lists the sectors whose content may differ from the synced
// image, in order.
func (n *memNode) changedSectors() []int64 {
	var out []int64
	if n.mapped {
		end := max(len(n.data), len(n.synced))
		for lo := 0; lo < end; lo += SectorSize {
			a := sector(n.data, lo)
			b := sector(n.synced, lo)
			if !bytes.Equal(a, b) || len(a) != len(b) {
				out = append(out, int64(lo/SectorSize))
			}
		}
		return out
	}
	n.eachDirty(func(s int64) { out = append(out, s) })
	return out
}

// eachDirty calls fn for each dirty sector, in order.
func (n *memNode) eachDirty(fn func(s int64)) {
	for w, word := range n.dirty {
		for word != 0 {
			b := word & -word
			fn(int64(w)*64 + int64(bits.TrailingZeros64(b)))
			word &^= b
		}
	}
}

func sector(b []byte, lo int) []byte {
	if lo >= len(b) {
		return nil
	}
	return b[lo:min(lo+SectorSize, len(b))]
}

func (n *memNode) markDirty(lo, hi int64) {
	if hi <= lo {
		return
	}
	last := (hi - 1) / SectorSize
	if need := int(last/64) + 1; need > len(n.dirty) {
		n.dirty = append(n.dirty, make([]uint64, need-len(n.dirty))...)
	}
	for s := lo / SectorSize; s <= last; {
		if s%64 == 0 && s+63 <= last {
			n.dirty[s/64] = ^uint64(0)
			s += 64
			continue
		}
		n.dirty[s/64] |= 1 << (s % 64)
		s++
	}
}

func (n *memNode) sync() {
	if n.mapped {
		n.synced = append(n.synced[:0], n.data...)
	} else {
		if cap(n.synced) < len(n.data) {
			s := make([]byte, len(n.data), len(n.data)+len(n.data)/4)
			copy(s, n.synced)
			n.synced = s
		} else {
			old := len(n.synced)
			n.synced = n.synced[:len(n.data)]
			if old < len(n.data) {
				clear(n.synced[old:])
			}
		}
		n.eachDirty(func(s int64) {
			lo := s * SectorSize
			if lo >= int64(len(n.data)) {
				return
			}
			hi := min(lo+SectorSize, int64(len(n.data)))
			copy(n.synced[lo:hi], n.data[lo:hi])
		})
	}
	n.dirty = nil
}

func applyNS(ns map[string]*memNode, op nsOp) {
	switch op.kind {
	case 'c':
		ns[op.name] = op.node
	case 'r':
		delete(ns, op.name)
	case 'm':
		if n, ok := ns[op.name]; ok {
			ns[op.to] = n
			delete(ns, op.name)
		}
	}
}

// syncPoint counts a sync point and cuts the power if it is the chosen one.
func (c *CrashFS) syncPoint() error {
	if c.cut {
		return ErrPowerCut
	}
	c.syncs++
	if c.cutAt > 0 && c.syncs >= c.cutAt {
		c.cutLocked()
		return ErrPowerCut
	}
	return nil
}

func clean(name string) string { return path.Clean(name) }

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

func (c *CrashFS) logNS(op nsOp) {
	applyNS(c.cur, op)
	c.journal = append(c.journal, op)
}

// OpenFile implements FS.
func (c *CrashFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	name = clean(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return nil, ErrPowerCut
	}
	if c.dirs[name] {
		if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
	}
	n, ok := c.cur[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, pathErr("open", name, fs.ErrExist)
	case !ok && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, fs.ErrNotExist)
	case !ok:
		if !c.dirs[path.Dir(name)] {
			return nil, pathErr("open", name, fs.ErrNotExist)
		}
		n = &memNode{}
		c.logNS(nsOp{kind: 'c', name: name, node: n})
	}
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	if ok && flag&os.O_TRUNC != 0 && writable {
		n.data = n.data[:0]
	}
	return &memFile{fs: c, n: n, name: name, writable: writable}, nil
}

// Remove implements FS.
func (c *CrashFS) Remove(name string) error {
	name = clean(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return ErrPowerCut
	}
	if _, ok := c.cur[name]; ok {
		c.logNS(nsOp{kind: 'r', name: name})
		return nil
	}
	if c.dirs[name] {
		prefix := name + "/"
		for k := range c.cur {
			if strings.HasPrefix(k, prefix) {
				return pathErr("remove", name, syscall.ENOTEMPTY)
			}
		}
		for d := range c.dirs {
			if strings.HasPrefix(d, prefix) {
				return pathErr("remove", name, syscall.ENOTEMPTY)
			}
		}
		delete(c.dirs, name)
		return nil
	}
	return pathErr("remove", name, fs.ErrNotExist)
}

// Rename implements FS.
func (c *CrashFS) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return ErrPowerCut
	}
	if _, ok := c.cur[oldname]; !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if !c.dirs[path.Dir(newname)] {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if oldname == newname {
		return nil
	}
	c.logNS(nsOp{kind: 'm', name: oldname, to: newname})
	return nil
}

// MkdirAll implements FS. Directories are created durably.
func (c *CrashFS) MkdirAll(dir string, perm os.FileMode) error {
	dir = clean(dir)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return ErrPowerCut
	}
	for d := dir; !c.dirs[d]; d = path.Dir(d) {
		if _, ok := c.cur[d]; ok {
			return pathErr("mkdir", d, syscall.ENOTDIR)
		}
		c.dirs[d] = true
	}
	return nil
}

// ReadDir implements FS.
func (c *CrashFS) ReadDir(dir string) ([]string, error) {
	dir = clean(dir)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return nil, ErrPowerCut
	}
	if !c.dirs[dir] {
		return nil, pathErr("readdir", dir, fs.ErrNotExist)
	}
	var names []string
	for k := range c.cur {
		if path.Dir(k) == dir {
			names = append(names, path.Base(k))
		}
	}
	for d := range c.dirs {
		if d != dir && path.Dir(d) == dir {
			names = append(names, path.Base(d))
		}
	}
	sort.Strings(names)
	return names, nil
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string       { return path.Base(i.name) }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() os.FileMode {
	if i.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}

// Stat implements FS.
func (c *CrashFS) Stat(name string) (os.FileInfo, error) {
	name = clean(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return nil, ErrPowerCut
	}
	if n, ok := c.cur[name]; ok {
		return memInfo{name: name, size: int64(len(n.data))}, nil
	}
	if c.dirs[name] {
		return memInfo{name: name, dir: true}, nil
	}
	return nil, pathErr("stat", name, fs.ErrNotExist)
}

// SyncDir implements FS. It makes every pending namespace operation durable
// (a journaling filesystem commits its whole journal), and is a sync point.
func (c *CrashFS) SyncDir(dir string) error {
	dir = clean(dir)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.syncPoint(); err != nil {
		return err
	}
	if !c.dirs[dir] {
		return pathErr("syncdir", dir, fs.ErrNotExist)
	}
	for _, op := range c.journal {
		applyNS(c.dur, op)
	}
	c.journal = nil
	return nil
}

type memLockHandle struct {
	c    *CrashFS
	name string
	excl bool
	once sync.Once
}

func (h *memLockHandle) Close() error {
	h.once.Do(func() {
		h.c.mu.Lock()
		defer h.c.mu.Unlock()
		l := h.c.locks[h.name]
		if l == nil {
			return
		}
		if h.excl {
			l.excl = false
		} else {
			l.shared--
		}
		if !l.excl && l.shared == 0 {
			delete(h.c.locks, h.name)
		}
	})
	return nil
}

// Lock implements FS; locks are held per CrashFS, as if by other processes.
func (c *CrashFS) Lock(name string, exclusive bool) (io.Closer, error) {
	name = clean(name)
	f, err := c.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.locks[name]
	if l == nil {
		l = &memLock{}
		c.locks[name] = l
	}
	if l.excl || (exclusive && l.shared > 0) {
		return nil, fmt.Errorf("%s: %w", name, ErrLocked)
	}
	if exclusive {
		l.excl = true
	} else {
		l.shared++
	}
	return &memLockHandle{c: c, name: name, excl: exclusive}, nil
}

type memFile struct {
	fs       *CrashFS
	n        *memNode
	name     string
	writable bool
	closed   bool
}

func (f *memFile) Name() string { return f.name }

func (f *memFile) check(op string) error {
	if f.fs.cut {
		return ErrPowerCut
	}
	if f.closed {
		return pathErr(op, f.name, fs.ErrClosed)
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	if off < 0 {
		return 0, pathErr("write", f.name, syscall.EINVAL)
	}
	end := off + int64(len(p))
	f.n.grow(end)
	copy(f.n.data[off:], p)
	f.n.markDirty(off, end)
	return len(p), nil
}

// grow extends data to at least size bytes, zero-filled, marking the new
// range dirty.
func (n *memNode) grow(size int64) {
	old := int64(len(n.data))
	if size <= old {
		return
	}
	if size <= int64(cap(n.data)) && !n.mapped {
		n.data = n.data[:size]
		clear(n.data[old:])
	} else {
		d := make([]byte, size, size+size/4)
		copy(d, n.data)
		n.data = d
	}
	n.markDirty(old, size)
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

func (f *memFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("stat"); err != nil {
		return 0, err
	}
	return int64(len(f.n.data)), nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, fs.ErrClosed)
	}
	if err := f.fs.syncPoint(); err != nil {
		return err
	}
	f.n.sync()
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("truncate"); err != nil {
		return err
	}
	if !f.writable {
		return pathErr("truncate", f.name, syscall.EBADF)
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	if size <= int64(len(f.n.data)) {
		f.n.markDirty(size, int64(len(f.n.data)))
		f.n.data = f.n.data[:size]
		return nil
	}
	f.n.grow(size)
	return nil
}

func (f *memFile) Preallocate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("fallocate"); err != nil {
		return err
	}
	if !f.writable {
		return pathErr("fallocate", f.name, syscall.EBADF)
	}
	f.n.grow(size)
	return nil
}

func (f *memFile) Map(size int, writable bool) ([]byte, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.check("mmap"); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, nil
	}
	if size > len(f.n.data) {
		return nil, pathErr("mmap", f.name, syscall.EINVAL)
	}
	if writable {
		if !f.writable {
			return nil, pathErr("mmap", f.name, syscall.EACCES)
		}
		f.n.mapped = true
		return f.n.data[:size:size], nil
	}
	// A read-only mapping: a copy is indistinguishable to a reader that
	// never writes the file through another handle while mapped; alias the
	// bytes anyway so concurrent writers stay visible.
	return f.n.data[:size:size], nil
}

func (f *memFile) Unmap(b []byte) error { return nil }
