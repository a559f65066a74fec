package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// diskFullOps are the calls a full disk fails: those that need new blocks.
const diskFullOps = vfs.OpWrite | vfs.OpPreallocate | vfs.OpTruncate

// diskFullFiles: which files run out of space, by how their names look.
// (Index files are bbolt files outside the vfs: no fault reaches them.)
var diskFullFiles = []struct {
	name  string
	match func(path string) bool
}{
	{"data file", func(p string) bool { return strings.HasSuffix(p, dataSuffix) }},
	{"rebuilt data file", func(p string) bool { return strings.HasSuffix(p, dataSuffix+rebuildSuffix) }},
	{"definition", func(p string) bool { return strings.Contains(p, defSuffix) }},
	{"WAL", func(p string) bool {
		return strings.Contains(p, string(filepath.Separator)+walDir+string(filepath.Separator))
	}},
	{"update log", func(p string) bool {
		return strings.Contains(p, string(filepath.Separator)+"ulog"+string(filepath.Separator))
	}},
}

// diskFullStatements: statements that write, each given the next free id
// (so that a retry after space is back inserts a new row). The rows they
// acknowledge are recorded in acked by table.
var diskFullStatements = []struct {
	name string
	run  func(db *DB, id int64, acked map[string][]int64) error
}{
	{"insert crash-safe", func(db *DB, id int64, acked map[string][]int64) error { return diskFullInsert(db, "a", id, acked) }},
	{"insert plain", func(db *DB, id int64, acked map[string][]int64) error { return diskFullInsert(db, "p", id, acked) }},
	{"update both", func(db *DB, id int64, acked map[string][]int64) error {
		tx, err := db.Begin(bg)
		if err != nil {
			return err
		}
		for _, name := range []string{"a", "p"} {
			h, r, ok, err := tx.Get(name, []any{int64(1)})
			if err == nil && !ok {
				err = errors.New("row 1 missing")
			}
			if err == nil {
				r[2] = r[2].(int64) + 1
				r[3] = strings.Repeat("x", 3000) // grows the record: new space
				_, err = tx.Update(name, h, r)
			}
			if err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}},
	{"create table", func(db *DB, id int64, acked map[string][]int64) error {
		return db.CreateTable(bg, accountsDef(fmt.Sprintf("n%d", id), id%2 == 0))
	}},
	{"add column", func(db *DB, id int64, acked map[string][]int64) error {
		return db.AddColumn(bg, "a", Column{Name: fmt.Sprintf("c%d", id), Type: TypeBigInt})
	}},
	{"create index", func(db *DB, id int64, acked map[string][]int64) error {
		return db.CreateIndex(bg, "p", IndexDef{Name: fmt.Sprintf("i%d", id), Columns: []string{"note"}})
	}},
	{"alter columns (rebuild)", func(db *DB, id int64, acked map[string][]int64) error {
		nd, err := db.Table("p")
		if err != nil {
			return err
		}
		nd = nd.Clone()
		nd.Columns[3].Type = TypeVarChar
		nd.Columns[3].Length = int(5000 + id)
		return db.AlterColumns(bg, "p", nd, []int{0, 1, 2, 3})
	}},
}

func diskFullInsert(db *DB, name string, id int64, acked map[string][]int64) error {
	tx, err := db.Begin(bg)
	if err != nil {
		return err
	}
	if _, _, err := tx.Insert(name, Row{id, fmt.Sprintf("%s%d", name, id), id, strings.Repeat("n", 2000)}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	acked[name] = append(acked[name], id)
	return nil
}

// TestDiskFull fills the disk (ENOSPC on every call that needs space) for
// one kind of file at a time, during each kind of writing statement. The
// statement fails with MySQL's 1021 "Disk full (FILE) ..." naming a file
// of that kind, or succeeds without needing it; nothing panics or hangs.
// Once space is back the same statement goes through, without a reopen;
// after a reopen it works, every acknowledged row is there and CHECK
// TABLE passes.
func TestDiskFull(t *testing.T) {
	dir, ulogDir := t.TempDir(), filepath.Join(t.TempDir(), "ulog")
	base := vfs.NewMem()
	opts := Options{FS: base, WALSegmentBytes: walSeg, ULogDir: ulogDir}
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	seed := map[string][]int64{}
	for _, name := range []string{"a", "p"} {
		if err := db.CreateTable(bg, accountsDef(name, name == "a")); err != nil {
			t.Fatal(err)
		}
		for i := int64(1); i <= 20; i++ {
			if err := diskFullInsert(db, name, i, seed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, file := range diskFullFiles {
		for _, st := range diskFullStatements {
			t.Run(file.name+"/"+st.name, func(t *testing.T) {
				mem := base.Clone()
				resetIndexes(t, dir)
				e := vfs.NewErrorFS(mem)
				e.SetError(syscall.ENOSPC)
				e.Only(file.match)
				o := opts
				o.FS = e
				db, err := Open(dir, o)
				if err != nil {
					t.Fatal(err)
				}
				acked := map[string][]int64{}
				before, err := mem.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				e.FailAfter(1, diskFullOps, true)
				err = st.run(db, 100, acked)
				hits := e.Hits()
				e.Disarm()
				if err != nil && file.name != "update log" {
					// A failed statement leaves no file behind (a
					// half-made data file of a rebuild, say). (A full
					// update log fails a DDL statement after its
					// effect: ULOG.pending then settles it at the next
					// open, ulogintent.go.)
					after, rerr := mem.ReadDir(dir)
					if rerr != nil {
						t.Fatal(rerr)
					}
					for _, n := range after {
						if !slices.Contains(before, n) {
							t.Errorf("the failed statement left %s behind", n)
						}
					}
				}
				switch {
				case err != nil && hits == 0:
					t.Fatalf("failed without a full disk: %v", err)
				case err != nil:
					se := sqlerr.As(err)
					if se.Code != sqlerr.ErrDiskFull || !strings.HasPrefix(se.Message, "Disk full (") {
						t.Errorf("error = %v (code %d), want 1021 Disk full", err, se.Code)
					}
					if file.name == "update log" && !strings.Contains(se.Message, "update log") {
						t.Errorf("error does not say the update log failed (what of the statement is done): %v", err)
					}
					var pe *os.PathError
					if !errors.As(err, &pe) || !file.match(pe.Path) || !strings.Contains(se.Message, filepath.Base(pe.Path)) {
						t.Errorf("error does not name the full file: %v", err)
					}
				}
				// Space is back: the statement goes through now, without
				// a reopen (a failed WAL write was cut from the log and
				// rolled back, the update log writes what it kept).
				if err := st.run(db, 101, acked); err != nil {
					t.Errorf("after space is back: %v", err)
				}
				if err := db.Close(); err != nil {
					t.Logf("close: %v", err)
				}
				rdb, err := Open(dir, Options{FS: mem, AutoRecover: true, WALSegmentBytes: walSeg, ULogDir: ulogDir})
				if err != nil {
					t.Fatalf("reopen: %v", err)
				}
				defer rdb.Close()
				if err := st.run(rdb, 102, acked); err != nil {
					t.Errorf("after a reopen with space back: %v", err)
				}
				for _, name := range rdb.Tables() {
					rep, err := rdb.Check(bg, name)
					if err != nil || !rep.OK {
						t.Errorf("CHECK TABLE %s after reopen: %v %v", name, rep.Problems, err)
					}
				}
				for name, ids := range acked {
					tx := mustTx(t, rdb)
					for _, id := range append(append([]int64(nil), seed[name]...), ids...) {
						if _, _, ok, err := tx.Get(name, []any{id}); err != nil || !ok {
							t.Errorf("%s: acknowledged row %d after reopen: %v %v", name, id, ok, err)
						}
					}
					tx.Rollback()
				}
			})
		}
	}
}

// TestDiskFullCheckpoint fills the disk while a checkpoint writes a
// crash-safe table's rows into its data file (FLUSH TABLES, the background
// checkpoint, Close). The checkpoint fails with 1021 naming the data file;
// once space is back the next checkpoint goes through without a reopen (the
// failed one must not stay "in progress", which kept every later checkpoint
// and a clean close from happening), and after a clean close the database
// opens with no table to recover and every acknowledged row there.
func TestDiskFullCheckpoint(t *testing.T) {
	dir := t.TempDir()
	mem := vfs.NewMem()
	e := vfs.NewErrorFS(mem)
	e.SetError(syscall.ENOSPC)
	e.Only(func(p string) bool { return strings.HasSuffix(p, dataSuffix) })
	opts := Options{FS: e, WALSegmentBytes: 8 << 20, noCheckpointLoop: true} // no checkpoint before Sync
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string][]int64{}
	for _, name := range []string{"a", "b"} {
		if err := db.CreateTable(bg, accountsDef(name, true)); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(1); i <= 1500; i++ {
		for _, name := range []string{"a", "b"} {
			if err := diskFullInsert(db, name, i, acked); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.FailAfter(1, diskFullOps, true)
	err = db.Sync()
	hits := e.Hits()
	e.Disarm()
	if hits == 0 {
		t.Fatalf("the checkpoint wrote no data file (err %v): the test no longer plays a full disk", err)
	}
	if se := sqlerr.As(err); err == nil || se.Code != sqlerr.ErrDiskFull || !strings.Contains(se.Message, dataSuffix) {
		t.Fatalf("checkpoint on a full disk: %v, want 1021 naming the data file", err)
	}
	for i := int64(1501); i <= 1510; i++ { // commits go on meanwhile
		if err := diskFullInsert(db, "a", i, acked); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Sync(); err != nil {
		t.Fatalf("checkpoint after space is back: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close after space is back: %v", err)
	}
	rdb, err := Open(dir, Options{FS: mem, WALSegmentBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	for name, ids := range acked {
		tx := mustTx(t, rdb)
		for _, id := range ids {
			if _, _, ok, err := tx.Get(name, []any{id}); err != nil || !ok {
				t.Fatalf("%s: acknowledged row %d after a clean close: %v %v", name, id, ok, err)
			}
		}
		tx.Rollback()
	}
}
