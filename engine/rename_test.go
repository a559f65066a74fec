package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

var swapPairs = []RenamePair{{From: "a", To: "tmp"}, {From: "b", To: "a"}, {From: "tmp", To: "b"}}

// swapSetup creates a (accounts: 4 columns, rows 1..5) and b (items: 3
// columns, rows 1..3), each with a secondary index, and c, untouched.
func swapSetup(t *testing.T, db *DB) {
	t.Helper()
	for _, d := range []*TableDef{accountsDef("a", false), itemsDef("b", true), heapDef("c")} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	for i := int64(1); i <= 5; i++ {
		insert(t, db, "a", Row{i, fmt.Sprint("o", i), i * 10, nil})
		if i <= 3 {
			insert(t, db, "b", Row{nil, i * 100, "x"})
		}
	}
	insert(t, db, "c", Row{int64(1), "c"})
}

// swapState says which way round a and b are: "old" (a is the accounts
// table), "new" (a is the items table), or what is wrong. Every table is
// checked (CHECK TABLE, its index scans) and no file of a staging name is
// left.
func swapState(t *testing.T, fs vfs.FS, dir string, db *DB) string {
	t.Helper()
	names := db.Tables()
	sort.Strings(names)
	if fmt.Sprint(names) != "[a b c]" {
		return fmt.Sprintf("tables %v", names)
	}
	for _, n := range names {
		if rep, err := db.Check(bg, n); err != nil || !rep.OK {
			return fmt.Sprintf("CHECK TABLE %s: %v %v", n, rep.Problems, err)
		}
	}
	files, _ := fs.ReadDir(dir)
	for _, f := range files {
		if strings.HasPrefix(f, renameStagePrefix) || f == renameIntentName || f == ulogIntentName {
			return "file left: " + f
		}
	}
	a, _ := db.Table("a")
	b, _ := db.Table("b")
	ra, rb := ids(t, db, "a", Scan{}), ids(t, db, "b", Scan{})
	ia := ids(t, db, "a", Scan{Index: a.Indexes[0].Name})
	ib := ids(t, db, "b", Scan{Index: b.Indexes[0].Name})
	switch {
	case len(a.Columns) == 4 && len(b.Columns) == 3 && len(ra) == 5 && len(rb) == 3 && len(ia) == 5 && len(ib) == 3:
		return "old"
	case len(a.Columns) == 3 && len(b.Columns) == 4 && len(ra) == 3 && len(rb) == 5 && len(ia) == 3 && len(ib) == 5:
		return "new"
	}
	return fmt.Sprintf("a: %d columns, rows %v (index %v); b: %d columns, rows %v (index %v)", len(a.Columns), ra, ia, len(b.Columns), rb, ib)
}

// TestRenameTablesSwap: the swap and the errors that leave everything as
// it was.
func TestRenameTablesSwap(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	swapSetup(t, db)
	for _, bad := range []struct {
		pairs []RenamePair
		code  int
	}{
		{[]RenamePair{{"a", "x"}, {"nosuch", "y"}}, sqlerr.ErrNoSuchTable},
		{[]RenamePair{{"a", "x"}, {"b", "x"}}, sqlerr.ErrTableExists},
		{[]RenamePair{{"a", "x"}, {"b", "c"}}, sqlerr.ErrTableExists},
		{[]RenamePair{{"a", "x"}, {"a", "y"}}, sqlerr.ErrNoSuchTable},
	} {
		if err := db.RenameTables(bg, bad.pairs); sqlerr.Code(err) != bad.code {
			t.Errorf("RenameTables(%v): %v, want error %d", bad.pairs, err, bad.code)
		}
		if s := swapState(t, vfs.Default, dir, db); s != "old" {
			t.Fatalf("after the failed RenameTables(%v): %s", bad.pairs, s)
		}
	}
	if err := db.RenameTables(bg, swapPairs); err != nil {
		t.Fatal(err)
	}
	if s := swapState(t, vfs.Default, dir, db); s != "new" {
		t.Fatalf("after the swap: %s", s)
	}
	insert(t, db, "a", Row{nil, int64(7), "after"})
	db.Close()
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "a", Scan{Index: "by_v"}); len(got) != 4 {
		t.Fatalf("a after reopening: %v", got)
	}
}

// TestRenameTablesPowerCut cuts the power at every sync point of a
// three-pair swap, then at every sync point of the open that finishes it:
// the database always has a and b the old way round or the new one
// (never tmp, never half), the new one if RenameTables returned, and
// every table checks.
func TestRenameTablesPowerCut(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "db")
	os.MkdirAll(dir, 0o755) // index files live outside the vfs
	base := vfs.NewCrash()
	o := Options{FS: base, WALSegmentBytes: walSeg, AutoRecover: true}
	db, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	swapSetup(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	recoveryCuts := 0
	for k := 1; ; k++ {
		if k > 200 {
			t.Fatal("the rename never ran to its end")
		}
		resetIndexes(t, dir)
		fs := base.Clone()
		o.FS = fs
		db, err := Open(dir, o)
		if err != nil {
			t.Fatal(err)
		}
		fs.CutPowerAtSync(k, int64(k))
		done := db.RenameTables(bg, swapPairs) == nil
		db.closeAfterCut()
		last := !fs.IsCut()
		crashed := fs.AfterCut()
		var intent []byte
		if b, err := vfs.ReadFile(crashed, filepath.Join(dir, renameIntentName)); err == nil {
			intent = b
		}
		// The open after the cut, itself cut at every sync point while
		// a rename is to be finished.
		for j := 1; intent != nil && j <= 30; j++ {
			ofs := crashed.Clone()
			ofs.CutPowerAtSync(j, int64(j))
			o.FS = ofs
			if db, err := Open(dir, o); err == nil {
				db.closeAfterCut()
			}
			if !ofs.IsCut() {
				break
			}
			recoveryCuts++
			o.FS = ofs.AfterCut()
			db, err := Open(dir, o)
			if err != nil {
				t.Fatalf("k=%d j=%d: open after a cut in the open: %v", k, j, err)
			}
			s := swapState(t, o.FS, dir, db)
			db.Close()
			var in renameIntent
			json.Unmarshal(intent, &in)
			if s != "new" && s != "old" || s == "old" && in.Version == 2 {
				t.Fatalf("k=%d j=%d (intent %s): %s", k, j, intent, s)
			}
		}
		o.FS = crashed
		db, err = Open(dir, o)
		if err != nil {
			t.Fatalf("k=%d: open after the cut: %v", k, err)
		}
		s := swapState(t, crashed, dir, db)
		db.Close()
		if s != "old" && s != "new" || done && s != "new" || intent != nil && s != "new" {
			t.Fatalf("k=%d (RenameTables returned %v, intent %s): %s", k, done, intent, s)
		}
		seen[s]++
		if last {
			break
		}
	}
	if seen["old"] == 0 || seen["new"] == 0 {
		t.Fatalf("the cuts found only %v: the test checks too little", seen)
	}
	t.Logf("cuts in the rename, by outcome: %v; cuts in the open that finished it: %d", seen, recoveryCuts)
}

// TestRestoreSwapPowerCut: the update log holds a three-pair swap as one
// frame of three renames; a restore cut at every sync point and run
// again ends in the source's state (a swap replayed again from its first
// rename would swap back: Restore notes its progress inside the frame).
func TestRestoreSwapPowerCut(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	os.MkdirAll(src, 0o755)
	os.MkdirAll(dest, 0o755)
	base := vfs.NewCrash()
	db, err := Open(src, Options{FS: base, ULogDir: ulogDir, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	swapSetup(t, db)
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.RenameTables(bg, swapPairs); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{nil, int64(9), "after the swap"})
	want := dumpDB(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	frames := 0
	for k := 1; ; k += cutStep() {
		if k > 500 {
			t.Fatal("the restore never completed")
		}
		restored := filepath.Join(root, fmt.Sprint("r", k))
		os.MkdirAll(restored, 0o755)
		fs := base.Clone()
		fs.CutPowerAtSync(k, int64(k))
		_, rerr := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: fs})
		cut := fs.IsCut()
		if rerr != nil && !cut {
			t.Fatalf("k=%d: restore failed without a cut: %v", k, rerr)
		}
		after := fs.AfterCut()
		if b, err := vfs.ReadFile(after, filepath.Join(restored, RestoreStateFile)); err == nil && strings.Contains(string(b), "applied_ops") {
			frames++
		}
		if _, err := Restore(restored, dest, RestoreOptions{ULogDir: ulogDir, FS: after}); err != nil {
			t.Fatalf("k=%d: restore again after a cut: %v", k, err)
		}
		rdb, err := Open(restored, Options{FS: after, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatalf("k=%d: open: %v", k, err)
		}
		compareDumps(t, fmt.Sprintf("k=%d: restore cut and run again", k), dumpDB(t, rdb), want)
		rdb.Close()
		os.RemoveAll(restored)
		if t.Failed() {
			return
		}
		if !cut {
			break
		}
	}
	if frames == 0 {
		t.Fatal("no cut stopped a restore inside the swap's frame: the test checks too little")
	}
	t.Logf("cuts that stopped the restore inside the swap's frame: %d", frames)
}

// FuzzIntentFiles opens a database whose RENAME.pending and ULOG.pending
// hold arbitrary bytes: Open either fails with an error or opens (and
// closes); it never panics.
func FuzzIntentFiles(f *testing.F) {
	f.Add([]byte(`{"version":2,"pairs":[{"from":"a","to":"t"},{"from":"b","to":"a"},{"from":"t","to":"b"}],"moves":[{"from":"a","to":"b"},{"from":"b","to":"a"}],"phase":1}`),
		[]byte(`{"version":1,"seq":0,"ops":[{"table":"a","ddl":{"v":1,"op":"rename_table","def":null,"to":"t"}}]}`))
	f.Add([]byte(`{"version":2,"pairs":[{"from":"a","to":"c"}],"moves":[{"from":"a","to":"c"}],"phase":2}`), []byte(`{"version":1,"seq":9,"ops":[]}`))
	f.Add([]byte(`{"version":1,"from":"a","to":"c"}`), []byte(`{"version":1,"seq":0,"ops":[{"table":"zz","ddl":{"v":1,"op":"drop_table","def":null}}]}`))
	f.Add([]byte(`{"version":3}`), []byte(`not json`))
	f.Add([]byte{}, []byte{})
	root := f.TempDir()
	dir, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	base := vfs.NewCrash()
	o := Options{FS: base, ULogDir: ulogDir, WALSegmentBytes: walSeg}
	db, err := Open(dir, o)
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if err := db.CreateTable(bg, heapDef(n)); err != nil {
			f.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rename, ulogIntent []byte) {
		fs := base.Clone()
		for name, b := range map[string][]byte{renameIntentName: rename, ulogIntentName: ulogIntent} {
			if len(b) > 0 {
				if err := vfs.WriteFileAtomic(fs, filepath.Join(dir, name), b); err != nil {
					t.Fatal(err)
				}
			}
		}
		o := o
		o.FS = fs
		db, err := Open(dir, o)
		if err != nil {
			if !strings.Contains(err.Error(), "blitz/") {
				t.Fatalf("error without a package prefix: %v", err)
			}
			return
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}
