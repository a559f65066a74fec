package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/blitzdb/blitz/txn"
)

func isWALPath(p string) bool {
	return strings.Contains(p, string(filepath.Separator)+walDir+string(filepath.Separator))
}

// wfModel is what the acknowledged commits left in table "a": balance by id.
type wfModel map[int64]int64

// wfTxn is transaction i on the crash-safe table "a": it moves row
// 1+i%5's balance (and so its by_balance entry), inserts row 100+i and
// deletes row 100+i-2. On success it applies the same to m.
func wfTxn(db *DB, i int64, m wfModel) error {
	tx, err := db.Begin(bg)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id := 1 + i%5
	h, r, ok, err := tx.Get("a", []any{id})
	if err != nil || !ok {
		return fmt.Errorf("row %d: %v %v", id, ok, err)
	}
	r[2] = r[2].(int64) + 1000 + i
	if _, err := tx.Update("a", h, r); err != nil {
		return err
	}
	// A long note: the WAL rotates through several segments.
	if _, _, err := tx.Insert("a", Row{100 + i, fmt.Sprintf("o%d", 100+i), i, strings.Repeat("n", 900)}); err != nil {
		return err
	}
	dh, _, dok, err := tx.Get("a", []any{100 + i - 2})
	if err != nil {
		return err
	}
	if dok {
		if err := tx.Delete("a", dh); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	m[id] = r[2].(int64)
	m[100+i] = i
	delete(m, 100+i-2)
	return nil
}

// checkModel verifies that table "a" holds exactly m, read by primary key
// and through the by_balance index, and that CHECK TABLE passes.
func checkModel(t *testing.T, db *DB, m wfModel, when string) {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	seen := map[int64]int64{}
	err = tx.Scan("a", Scan{Index: "by_balance"}, func(_ Handle, r Row) (bool, error) {
		id := r[0].(int64)
		if _, dup := seen[id]; dup {
			return false, fmt.Errorf("row %d twice in by_balance", id)
		}
		seen[id] = r[2].(int64)
		return true, nil
	})
	if err != nil {
		t.Fatalf("%s: scan by_balance: %v", when, err)
	}
	for id, bal := range m {
		if got, ok := seen[id]; !ok || got != bal {
			t.Errorf("%s: row %d by_balance = %d %v, want %d", when, id, got, ok, bal)
		}
		_, r, ok, err := tx.Get("a", []any{id})
		if err != nil || !ok || r[2].(int64) != bal {
			t.Errorf("%s: row %d = %v %v %v, want balance %d", when, id, r, ok, err, bal)
		}
	}
	for id := range seen {
		if _, ok := m[id]; !ok {
			t.Errorf("%s: row %d is visible, but no acknowledged commit left it", when, id)
		}
	}
	tx.Rollback()
	if rep, err := db.Check(bg, "a"); err != nil || !rep.OK {
		t.Errorf("%s: CHECK TABLE a: %v %v", when, rep.Problems, err)
	}
}

// wfSetup makes a database on a CrashFS with the crash-safe table "a"
// holding rows 1..5, and returns its model.
func wfSetup(t *testing.T, dir string, mem *vfs.CrashFS, ulogDir string) wfModel {
	db, err := Open(dir, Options{FS: mem, WALSegmentBytes: walSeg, ULogDir: ulogDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("a", true)); err != nil {
		t.Fatal(err)
	}
	m := wfModel{}
	tx := mustTx(t, db)
	for id := int64(1); id <= 5; id++ {
		if _, _, err := tx.Insert("a", Row{id, fmt.Sprintf("o%d", id), id, "n"}); err != nil {
			t.Fatal(err)
		}
		m[id] = id
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWALWriteFailureRollsBack fills the disk under the WAL (ENOSPC on its
// n-th write, and on every one after it until space is back), for n = 1,
// 2, ...: the commit that hits it fails with 1021 naming the segment, its
// rows and index entries are gone at once (by key, through the index,
// CHECK TABLE), commits go through again once space is back, without a
// reopen; after a power cut and recovery exactly the acknowledged commits
// are there, and the update log replays to the same rows.
func TestWALWriteFailureRollsBack(t *testing.T) {
	for n := 1; ; n++ {
		dir, ulogDir := t.TempDir(), filepath.Join(t.TempDir(), "ulog")
		mem := vfs.NewCrash()
		m := wfSetup(t, dir, mem, ulogDir)
		e := vfs.NewErrorFS(mem)
		e.SetError(syscall.ENOSPC)
		e.Only(isWALPath)
		db, err := Open(dir, Options{FS: e, WALSegmentBytes: walSeg, ULogDir: ulogDir})
		if err != nil {
			t.Fatal(err)
		}
		e.FailAfter(n, diskFullOps, true)
		i := int64(0)
		for ; i < 60; i++ {
			if err = wfTxn(db, i, m); err != nil {
				break
			}
		}
		hit := e.Hits() > 0
		if err == nil {
			if hit {
				t.Fatalf("n=%d: the WAL could not be written, yet every commit succeeded", n)
			}
			db.Close()
			t.Logf("done after n=%d", n-1)
			return
		}
		se := sqlerr.As(err)
		if se.Code != sqlerr.ErrDiskFull || !errors.Is(err, txn.ErrWriteFailed) || !strings.Contains(se.Message, walDir) {
			t.Fatalf("n=%d: commit error = %v (code %d), want 1021 naming a WAL file, wrapping ErrWriteFailed", n, err, se.Code)
		}
		checkModel(t, db, m, fmt.Sprintf("n=%d right after the failed commit", n))
		e.Disarm() // space is back
		for j := i + 1; j < i+30; j++ {
			if err := wfTxn(db, j, m); err != nil {
				t.Fatalf("n=%d: commit %d with space back: %v", n, j, err)
			}
		}
		checkModel(t, db, m, fmt.Sprintf("n=%d with space back", n))
		mem.CutPower(int64(n))
		after := mem.AfterCut()
		db.Close()
		rdb, err := Open(dir, Options{FS: after, AutoRecover: true, WALSegmentBytes: walSeg, ULogDir: ulogDir})
		if err != nil {
			t.Fatalf("n=%d: reopen after the power cut: %v", n, err)
		}
		checkModel(t, rdb, m, fmt.Sprintf("n=%d after a power cut", n))
		rdb.Close()
		checkULog(t, after, ulogDir, m, n)
		if n > 100 {
			t.Fatal("never ran out of WAL writes to fail")
		}
	}
}

// checkULog replays the update log onto an empty table and compares with m.
func checkULog(t *testing.T, fs vfs.FS, ulogDir string, m wfModel, n int) {
	t.Helper()
	rows := map[string][]byte{}
	_, err := ulog.Read(ulogDir, ulog.ReadOptions{FS: fs}, func(r *ulog.Record) error {
		for _, op := range r.Ops {
			switch {
			case op.Table != "a" || op.Kind == ulog.OpDDL:
			case op.Kind == ulog.OpDelete:
				delete(rows, string(op.Key))
			default:
				rows[string(op.Key)] = append([]byte(nil), op.Value...)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("n=%d: read the update log: %v", n, err)
	}
	def := accountsDef("a", true)
	got := wfModel{}
	for k, v := range rows {
		r, err := decodeRow(v, def)
		if err != nil {
			t.Fatalf("n=%d: update log row %x: %v", n, k, err)
		}
		got[r[0].(int64)] = r[2].(int64)
	}
	if fmt.Sprint(got) != fmt.Sprint(m) {
		t.Errorf("n=%d: the update log replays to\n%v\nwant\n%v", n, got, m)
	}
}

// TestWALSyncFailureNeedsReopen: an fsync of the WAL fails (EIO). The
// commit is reported in doubt, naming the segment and saying the database
// must be reopened; every later CRASH_SAFE commit is refused the same way,
// reads and plain-table commits go on; after a reopen commits succeed and
// every acknowledged row is there.
func TestWALSyncFailureNeedsReopen(t *testing.T) {
	dir := t.TempDir()
	mem := vfs.NewCrash()
	m := wfSetup(t, dir, mem, "")
	e := vfs.NewErrorFS(mem)
	e.SetError(syscall.EIO)
	e.Only(isWALPath)
	db, err := Open(dir, Options{FS: e, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("p", false)); err != nil {
		t.Fatal(err)
	}
	if err := wfTxn(db, 0, m); err != nil {
		t.Fatal(err)
	}
	e.FailAfter(1, vfs.OpSync, false)
	err = wfTxn(db, 1, wfModel{}) // in doubt: the model takes neither outcome
	e.Disarm()
	if !errors.Is(err, txn.ErrWALFailed) || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "in doubt") ||
		!strings.Contains(err.Error(), "reopened") || !strings.Contains(err.Error(), filepath.Join(dir, walDir)) {
		t.Fatalf("commit error = %v, want ErrWALFailed, in doubt, naming the segment, asking for a reopen", err)
	}
	if err := wfTxn(db, 2, m); !errors.Is(err, txn.ErrWALFailed) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("commit after the failed fsync = %v, want a refusal wrapping ErrWALFailed", err)
	}
	tx := mustTx(t, db)
	if _, _, ok, err := tx.Get("a", []any{int64(1)}); err != nil || !ok {
		t.Fatalf("read after the failed fsync: %v %v", ok, err)
	}
	tx.Rollback()
	insert(t, db, "p", Row{int64(1), "x", int64(1), "n"})
	db.Close()
	rdb := mustOpen(t, dir, Options{FS: mem, AutoRecover: true, WALSegmentBytes: walSeg})
	tx = mustTx(t, rdb)
	for id := range m {
		if id >= 100 {
			continue // row 101 is in doubt, and so is the deletion of row 99
		}
		if _, _, ok, err := tx.Get("a", []any{id}); err != nil || !ok {
			t.Errorf("acknowledged row %d after reopen: %v %v", id, ok, err)
		}
	}
	if _, _, ok, _ := tx.Get("a", []any{int64(100)}); !ok {
		t.Error("acknowledged row 100 lost")
	}
	tx.Rollback()
	if err := wfTxn(rdb, 3, wfModel{}); err != nil {
		t.Fatalf("commit after reopen: %v", err)
	}
}

// blockingFS fails the first WAL write of a commit after arm with ENOSPC,
// but first signals reached and waits for release.
type blockingFS struct {
	vfs.FS
	mu               sync.Mutex
	armed            bool
	reached, release chan struct{}
}

func (b *blockingFS) arm() {
	b.mu.Lock()
	b.armed, b.reached, b.release = true, make(chan struct{}), make(chan struct{})
	b.mu.Unlock()
}

func (b *blockingFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := b.FS.OpenFile(name, flag, perm)
	if err != nil || !isWALPath(name) {
		return f, err
	}
	return &blockingFile{File: f, b: b}, nil
}

// holdsCommit reports whether the WAL frames in p include a commit (see
// the frame layout in txn/format.go: CRC, length, type, LSN, payload).
func holdsCommit(p []byte) bool {
	for len(p) >= txn.FrameHeaderSize {
		n := int(binary.LittleEndian.Uint32(p[4:8]))
		if n == 0 || p[8] == 0 {
			return false // the end mark
		}
		if p[8] == 1 {
			return true
		}
		if txn.FrameHeaderSize+n > len(p) {
			return false
		}
		p = p[txn.FrameHeaderSize+n:]
	}
	return false
}

type blockingFile struct {
	vfs.File
	b *blockingFS
}

func (f *blockingFile) WriteAt(p []byte, off int64) (int, error) {
	f.b.mu.Lock()
	// Only a group holding a commit frame: the checkpoint loop's frames
	// go through.
	armed := f.b.armed && holdsCommit(p)
	if armed {
		f.b.armed = false
	}
	f.b.mu.Unlock()
	if armed {
		close(f.b.reached)
		<-f.b.release
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return f.File.WriteAt(p, off)
}

// TestWALWriteFailureStaleReader: a transaction that took a table's write
// lock while a commit's WAL write was in flight (early lock release) and
// read its rows cannot commit once that write failed and the rows were
// rolled back: it gets 1213 and may retry; its retry sees the rolled-back
// state and commits.
func TestWALWriteFailureStaleReader(t *testing.T) {
	dir := t.TempDir()
	mem := vfs.NewCrash()
	m := wfSetup(t, dir, mem, "")
	bfs := &blockingFS{FS: mem}
	db := mustOpen(t, dir, Options{FS: bfs, WALSegmentBytes: walSeg})
	bfs.arm()
	failed := make(chan error, 1)
	go func() { failed <- wfTxn(db, 0, wfModel{}) }()
	select {
	case <-bfs.reached: // T1 applied row 1's new balance and released its lock
	case err := <-failed:
		t.Fatalf("T1 ended without its WAL write: %v", err)
	}
	t2 := mustTx(t, db)
	h, r, ok, err := t2.Get("a", []any{int64(1)})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if r[2].(int64) == m[1] {
		t.Fatal("T2 does not see T1's applied row: the test sets nothing up")
	}
	r[2] = r[2].(int64) + 1
	if _, err := t2.Update("a", h, r); err != nil {
		t.Fatal(err)
	}
	close(bfs.release)
	if err := <-failed; !errors.Is(err, txn.ErrWriteFailed) {
		t.Fatalf("T1 = %v, want ErrWriteFailed", err)
	}
	if err := t2.Commit(); sqlerr.Code(err) != sqlerr.ErrLockDeadlock {
		t.Fatalf("T2 built on rolled-back rows, commit = %v, want 1213", err)
	}
	checkModel(t, db, m, "after T2's refusal")
	if err := wfTxn(db, 1, m); err != nil {
		t.Fatalf("retry: %v", err)
	}
	checkModel(t, db, m, "after the retry")
}

// TestWALWriteFailureMixed: a transaction writing a CRASH_SAFE and a plain
// table whose WAL write fails leaves nothing in the plain table either.
func TestWALWriteFailureMixed(t *testing.T) {
	dir := t.TempDir()
	mem := vfs.NewCrash()
	wfSetup(t, dir, mem, "")
	e := vfs.NewErrorFS(mem)
	e.SetError(syscall.ENOSPC)
	e.Only(isWALPath)
	db := mustOpen(t, dir, Options{FS: e, WALSegmentBytes: walSeg})
	if err := db.CreateTable(bg, accountsDef("p", false)); err != nil {
		t.Fatal(err)
	}
	e.FailAfter(1, diskFullOps, false)
	tx := mustTx(t, db)
	for _, name := range []string{"a", "p"} {
		if _, _, err := tx.Insert(name, Row{int64(50), "o50", int64(50), "n"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); !errors.Is(err, txn.ErrWriteFailed) {
		t.Fatalf("commit = %v, want ErrWriteFailed", err)
	}
	e.Disarm()
	tx = mustTx(t, db)
	for _, name := range []string{"a", "p"} {
		if _, _, ok, err := tx.Get(name, []any{int64(50)}); err != nil || ok {
			t.Errorf("%s: row of the failed commit: %v %v", name, ok, err)
		}
	}
	tx.Rollback()
	insert(t, db, "p", Row{int64(50), "o50", int64(50), "n"})
	insert(t, db, "a", Row{int64(50), "o50", int64(50), "n"})
}

// TestULogWriteFailure fills the disk under the update log, for a
// CRASH_SAFE and a plain table: the commit whose frame cannot be written
// is done (its row is there) and says the log will write it later; while
// the log still cannot write, a logged commit is refused with nothing of
// it done; once space is back commits go through without a reopen, and
// the log, after a power cut, replays to exactly the rows the table holds.
func TestULogWriteFailure(t *testing.T) {
	for _, crashSafe := range []bool{true, false} {
		t.Run(fmt.Sprintf("crash_safe=%v", crashSafe), func(t *testing.T) {
			dir, ulogDir := t.TempDir(), filepath.Join(t.TempDir(), "ulog")
			mem := vfs.NewCrash()
			e := vfs.NewErrorFS(mem)
			e.SetError(syscall.ENOSPC)
			e.Only(func(p string) bool { return strings.HasPrefix(p, ulogDir) })
			db, err := Open(dir, Options{FS: e, WALSegmentBytes: walSeg, ULogDir: ulogDir})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateTable(bg, accountsDef("a", crashSafe)); err != nil {
				t.Fatal(err)
			}
			row := func(id int64) Row { return Row{id, fmt.Sprintf("o%d", id), id, strings.Repeat("n", 900)} }
			ins := func(id int64) error {
				tx, err := db.Begin(bg)
				if err != nil {
					return err
				}
				if _, _, err := tx.Insert("a", row(id)); err != nil {
					tx.Rollback()
					return err
				}
				return tx.Commit()
			}
			m := wfModel{}
			for id := int64(1); id <= 3; id++ {
				if err := ins(id); err != nil {
					t.Fatal(err)
				}
				m[id] = id
			}
			e.FailAfter(1, diskFullOps, true)
			err = ins(10)
			if sqlerr.Code(err) != sqlerr.ErrDiskFull || !strings.Contains(err.Error(), "commit done") || !strings.Contains(err.Error(), "update log") {
				t.Fatalf("commit with the update log full = %v, want 1021 saying the commit is done", err)
			}
			m[10] = 10
			err = ins(11)
			if sqlerr.Code(err) != sqlerr.ErrDiskFull || !strings.Contains(err.Error(), "nothing of it done") {
				t.Fatalf("commit while the update log still cannot write = %v, want a refusal", err)
			}
			e.Disarm()
			for id := int64(12); id <= 40; id++ {
				if err := ins(id); err != nil {
					t.Fatalf("commit %d with space back: %v", id, err)
				}
				m[id] = id
			}
			checkModel(t, db, m, "with space back")
			if err := db.ulog.Sync(); err != nil {
				t.Fatal(err)
			}
			mem.CutPower(1)
			db.Close()
			checkULog(t, mem.AfterCut(), ulogDir, m, 0)
		})
	}
}

// noise returns n pseudo-random letters (rows that do not compress).
func noise(seed int64, n int) string {
	b := make([]byte, n)
	x := uint64(seed)*0x9e3779b97f4a7c15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = 'a' + byte(x%26)
	}
	return string(b)
}

// TestPlainWriteFailureTakenBack: the data file of a table without
// CRASH_SAFE cannot grow in the middle of a transaction's rows (the rows
// before were written, their index entries not yet): the rows are taken
// back, so the commit fails with 1021 and nothing of it is visible, CHECK
// TABLE passes, the update log replays to the same rows, and once space
// is back the same transaction commits.
func TestPlainWriteFailureTakenBack(t *testing.T) {
	dir, ulogDir := t.TempDir(), filepath.Join(t.TempDir(), "ulog")
	mem := vfs.NewCrash()
	e := vfs.NewErrorFS(mem)
	e.SetError(syscall.ENOSPC)
	e.Only(func(p string) bool { return strings.HasSuffix(p, dataSuffix) })
	db := mustOpen(t, dir, Options{FS: e, ULogDir: ulogDir})
	def := accountsDef("a", false) // named "a" for checkModel and checkULog
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	m := wfModel{}
	insert(t, db, "a", Row{int64(1), "o1", int64(1), "n"}, Row{int64(2), "o2", int64(2), "n"})
	m[1], m[2] = 1, 2
	bigTx := func() error {
		tx := mustTx(t, db)
		h, r, _, err := tx.Get("a", []any{int64(1)})
		if err != nil {
			return err
		}
		r[2], r[3] = int64(-1), noise(1, 60000)
		if _, err := tx.Update("a", h, r); err != nil {
			return err
		}
		dh, _, _, err := tx.Get("a", []any{int64(2)})
		if err != nil {
			return err
		}
		if err := tx.Delete("a", dh); err != nil {
			return err
		}
		for id := int64(10); id < 90; id++ {
			if _, _, err := tx.Insert("a", Row{id, fmt.Sprintf("o%d", id), id, noise(id, 60000)}); err != nil {
				return err
			}
		}
		return tx.Commit()
	}
	e.FailAfter(1, diskFullOps, true)
	err := bigTx()
	hits := e.Hits()
	e.Disarm()
	if hits == 0 {
		t.Fatal("the data file never had to grow: the test tests nothing")
	}
	if sqlerr.Code(err) != sqlerr.ErrDiskFull || !strings.Contains(err.Error(), "nothing of table a changed") {
		t.Fatalf("commit = %v, want 1021 saying nothing changed", err)
	}
	checkModel(t, db, m, "after the failed commit")
	if err := db.ulog.Sync(); err != nil {
		t.Fatal(err)
	}
	checkULog(t, mem, ulogDir, m, 0)
	if err := bigTx(); err != nil {
		t.Fatalf("with space back: %v", err)
	}
	m[1] = -1
	delete(m, 2)
	for id := int64(10); id < 90; id++ {
		m[id] = id
	}
	checkModel(t, db, m, "with space back")
	if err := db.ulog.Sync(); err != nil {
		t.Fatal(err)
	}
	checkULog(t, mem, ulogDir, m, 0)
}

// TestWALWriteFailureConcurrent: 8 committers each insert a row of their
// own and add 1 to a shared counter row (so later commits read earlier
// ones' rows, released early), while the disk under the WAL fills and
// frees again 5 times. Every commit succeeds or fails cleanly (1021, or
// 1213 for one that read rolled-back rows); at the end, and after a power
// cut, the rows are exactly the acknowledged ones and the counter is 1 +
// their number.
func TestWALWriteFailureConcurrent(t *testing.T) {
	dir := t.TempDir()
	mem := vfs.NewCrash()
	wfSetup(t, dir, mem, "")
	e := vfs.NewErrorFS(mem)
	e.SetError(syscall.ENOSPC)
	e.Only(isWALPath)
	db, err := Open(dir, Options{FS: e, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[int64]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := int64(0); c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := 1000 + c*100000 + i
				err := func() error {
					tx, err := db.Begin(bg)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					if err := tx.LockForWrite("a"); err != nil {
						return err
					}
					h, r, _, err := tx.Get("a", []any{int64(1)})
					if err != nil {
						return err
					}
					r[2] = r[2].(int64) + 1
					if _, err := tx.Update("a", h, r); err != nil {
						return err
					}
					if _, _, err := tx.Insert("a", Row{id, fmt.Sprintf("o%d", id), id, "n"}); err != nil {
						return err
					}
					return tx.Commit()
				}()
				switch code := sqlerr.Code(err); {
				case err == nil:
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				case code == sqlerr.ErrDiskFull || code == sqlerr.ErrLockDeadlock:
				default:
					t.Errorf("commit %d: %v", id, err)
					return
				}
			}
		}()
	}
	// Each round waits for commits to go through, then fills the disk
	// until a WAL write has failed: events, not sleeps, so a slow machine
	// (-race, a loaded CI) cannot make a round miss (each wait is bounded).
	ackedNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	waitFor := func(what string, cond func() bool) {
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				close(stop)
				wg.Wait()
				t.Fatalf("no %s within 10 s", what)
			}
		}
	}
	hits := 0
	for round := 0; round < 5; round++ {
		n := ackedNow()
		waitFor("acknowledged commit", func() bool { return ackedNow() >= n+3 })
		e.FailAfter(3, diskFullOps, true)
		waitFor("failed WAL write", func() bool { return e.Hits() > 0 })
		hits += e.Hits()
		e.Disarm()
	}
	n := ackedNow()
	waitFor("acknowledged commit after the last failure", func() bool { return ackedNow() >= n+3 })
	close(stop)
	wg.Wait()
	check := func(db *DB, when string) {
		tx := mustTx(t, db)
		defer tx.Rollback()
		_, r, _, err := tx.Get("a", []any{int64(1)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := r[2].(int64), int64(1+len(acked)); got != want {
			t.Errorf("%s: counter = %d, want 1 + %d acknowledged commits", when, got, len(acked))
		}
		n := 0
		err = tx.Scan("a", Scan{Index: "by_owner"}, func(_ Handle, r Row) (bool, error) {
			if id := r[0].(int64); id >= 1000 {
				n++
				if !acked[id] {
					t.Errorf("%s: row %d of a failed commit is there", when, id)
				}
			}
			return true, nil
		})
		if err != nil || n != len(acked) {
			t.Errorf("%s: %d rows of %d acknowledged commits (%v)", when, n, len(acked), err)
		}
	}
	check(db, "live")
	if rep, err := db.Check(bg, "a"); err != nil || !rep.OK {
		t.Errorf("CHECK TABLE: %v %v", rep.Problems, err)
	}
	t.Logf("%d commits acknowledged, %d WAL writes failed", len(acked), hits)
	if hits == 0 {
		t.Error("no WAL write failed: the test tests nothing")
	}
	mem.CutPower(1)
	after := mem.AfterCut()
	db.Close()
	rdb := mustOpen(t, dir, Options{FS: after, AutoRecover: true, WALSegmentBytes: walSeg})
	check(rdb, "after a power cut")
}
