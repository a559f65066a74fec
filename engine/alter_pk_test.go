package engine

import (
	"path/filepath"
	"testing"
)

// TestRestoreDropPrimaryKeyFromLog: dropping a primary key gives the rows
// hidden row ids in the order of their old keys, so a restore that replays
// the change from the update log, and the later changes that name rows by
// those ids, ends with the same rows under the same ids.
func TestRestoreDropPrimaryKeyFromLog(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	def := &TableDef{Name: "p", Columns: []Column{{Name: "k", Type: TypeVarChar, Length: 10, NotNull: true}, {Name: "v", Type: TypeBigInt}},
		PrimaryKey: []string{"k"}, Indexes: []IndexDef{{Name: "by_v", Columns: []string{"v"}}}}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "p", Row{"m", int64(1)}, Row{"c", int64(2)}, Row{"x", int64(3)})
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "p", Row{"a", int64(4)})
	nd := def.Clone()
	nd.PrimaryKey = nil
	mustAlter(t, db, "p", nd, 0, 1)
	insert(t, db, "p", Row{"z", int64(5)}, Row{"c", int64(6)}) // a repeated k is allowed now
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	var hs []Handle
	if err := tx.Scan("p", Scan{Index: "by_v"}, func(h Handle, r Row) (bool, error) {
		hs = append(hs, h)
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Update("p", hs[1], Row{"c", int64(20)}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Delete("p", hs[0]); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := rowsText(t, db, "p", Scan{Index: "by_v"}); got != "[x 3];[a 4];[z 5];[c 6];[c 20]" {
		t.Fatalf("rows: %s", got)
	}
	want := dumpDB(t, db)
	db.Close()
	r := filepath.Join(root, "r")
	if _, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir}); err != nil {
		t.Fatal(err)
	}
	rdb := mustOpen(t, r, Options{})
	compareDumps(t, "drop primary key replayed on the backup", dumpDB(t, rdb), want)
	rdb.Close()
	ref := replayInto(t, filepath.Join(root, "ref"), ulogDir, 1<<62)
	compareDumps(t, "drop primary key replayed from scratch", dumpDB(t, ref), want)
}
