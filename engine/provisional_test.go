package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// A provisional table (CREATE TABLE ... SELECT) that was never confirmed
// is gone at the next open, its files with it, whatever its rows; a
// confirmed one stays. It used to stay, empty or partly filled, after a
// kill -9 between the CREATE and the fill's commit (found by
// autorecover's TestKill9DDLTorture).
func TestProvisionalTableDroppedAtOpen(t *testing.T) {
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			dir := t.TempDir()
			o := Options{ULogDir: t.TempDir()}
			db := mustOpen(t, dir, o)
			for _, name := range []string{"kept", "lost"} {
				if err := db.CreateTableProvisional(bg, accountsDef(name, cs)); err != nil {
					t.Fatal(err)
				}
				insert(t, db, name, Row{int64(1), "ann", int64(5), nil}, Row{int64(2), "bob", int64(7), "x"})
			}
			if err := db.ConfirmTable("kept"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "kept"+creatingSuffix)); !os.IsNotExist(err) {
				t.Fatalf("the marker of a confirmed table: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "lost"+creatingSuffix)); err != nil {
				t.Fatalf("the marker of a provisional table: %v", err)
			}
			seq := db.ULogSeq()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, o)
			// The update log has lost's CREATE and rows: it gets the drop.
			if got := db.ULogSeq(); got != seq+1 {
				t.Errorf("update log at %d after the open that dropped a provisional table, want %d", got, seq+1)
			}
			if got := ids(t, db, "kept", Scan{Index: "PRIMARY"}); fmt.Sprint(got) != "[1 2]" {
				t.Fatalf("confirmed table after reopen: %v", got)
			}
			if _, err := db.Table("lost"); sqlerr.Code(err) != sqlerr.ErrNoSuchTable {
				t.Fatalf("unconfirmed table after reopen: %v, want 1146", err)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if n := e.Name(); len(n) >= 4 && n[:4] == "lost" {
					t.Errorf("file %s of the dropped provisional table is left", n)
				}
			}
			// The name is free again, and a table made with it is empty.
			if err := db.CreateTable(bg, accountsDef("lost", cs)); err != nil {
				t.Fatal(err)
			}
			if got := ids(t, db, "lost", Scan{}); len(got) != 0 {
				t.Fatalf("new table of the dropped name holds %v", got)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = mustOpen(t, dir, o)
			if got := ids(t, db, "lost", Scan{}); len(got) != 0 {
				t.Fatalf("new table of the dropped name, reopened, holds %v", got)
			}
		})
	}
}

// A provisional table dropped before confirmation leaves no marker that
// would drop a later table of its name; one cannot be renamed meanwhile.
func TestProvisionalTableDropAndRename(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTableProvisional(bg, accountsDef("p", true)); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTable(bg, "p", "q"); sqlerr.Code(err) != sqlerr.ErrLockWaitTimeout {
		t.Fatalf("RENAME of a provisional table: %v, want 1205", err)
	}
	if err := db.DropTable(bg, "p"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("p", true)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "p", Row{int64(1), "ann", int64(5), nil})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "p", Scan{}); fmt.Sprint(got) != "[1]" {
		t.Fatalf("table re-created after dropping a provisional one: %v", got)
	}
}

// A power cut at every sync point of CREATE TABLE ... SELECT on a
// crash-safe table (provisional create, fill, confirm): after recovery the
// table is absent, or present with every row; present if ConfirmTable
// returned.
func TestProvisionalTablePowerCut(t *testing.T) {
	cuts := 0
	for k := 1; k <= 200; k++ {
		fs := vfs.NewCrash()
		dir := t.TempDir()
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatal(err)
		}
		fs.CutPowerAtSync(k, int64(k))
		confirmed := false
		if err := db.CreateTableProvisional(bg, accountsDef("c", true)); err == nil {
			if tx, err := db.Begin(bg); err == nil {
				for i := int64(1); i <= 20; i++ {
					tx.Insert("c", Row{i, fmt.Sprint("o", i), i, nil})
				}
				if tx.Commit() == nil {
					confirmed = db.ConfirmTable("c") == nil
				}
			}
		}
		db.closeAfterCut()
		if !fs.IsCut() {
			if !confirmed {
				t.Fatalf("k=%d: no cut, and the table was not confirmed", k)
			}
			break
		}
		cuts++
		db, err = Open(dir, Options{FS: fs.AfterCut(), AutoRecover: true, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("k=%d: Open after the cut: %v", k, err)
		}
		if _, err := db.Table("c"); err != nil {
			if confirmed {
				t.Errorf("k=%d: the confirmed table is gone: %v", k, err)
			}
		} else if got := ids(t, db, "c", Scan{Index: "PRIMARY"}); len(got) != 20 {
			t.Errorf("k=%d: the table is there with %d rows, want 20 (or no table)", k, len(got))
		} else if rep, err := db.Check(bg, "c"); err != nil || !rep.OK {
			t.Errorf("k=%d: Check: %v %v", k, rep.Problems, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if cuts == 0 {
		t.Fatal("no cut happened: the test checks nothing")
	}
}

// A backup taken while a CREATE TABLE ... SELECT fills its table leaves
// the table out: the statement has not taken effect.
func TestProvisionalTableNotBackedUp(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, accountsDef("a", true)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTableProvisional(bg, accountsDef("p", false)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "p", Row{int64(1), "ann", int64(5), nil})
	dest := filepath.Join(t.TempDir(), "backup")
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, dest, Options{})
	if got := fmt.Sprint(b.Tables()); got != "[a]" {
		t.Fatalf("tables of a backup taken while p was provisional: %s, want [a]", got)
	}
}
