package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

// rowsText returns the rows s visits, one fmt line each, sorted.
func rowsText(t *testing.T, db *DB, table string, s Scan) string {
	t.Helper()
	tx := mustTx(t, db)
	defer tx.Rollback()
	var out []string
	if err := tx.Scan(table, s, func(h Handle, r Row) (bool, error) {
		out = append(out, fmt.Sprint(r))
		return true, nil
	}); err != nil {
		t.Fatalf("Scan %s %+v: %v", table, s, err)
	}
	if s.Index == "" {
		sort.Strings(out)
	}
	return strings.Join(out, ";")
}

func mustAlter(t *testing.T, db *DB, name string, nd *TableDef, from ...int) {
	t.Helper()
	if err := db.AlterColumns(bg, name, nd, from); err != nil {
		t.Fatalf("AlterColumns %s: %v", name, err)
	}
}

func TestAlterColumns(t *testing.T) {
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, Options{})
			if err := db.CreateTable(bg, accountsDef("a", cs)); err != nil {
				t.Fatal(err)
			}
			insert(t, db, "a", Row{int64(1), "ann", int64(10), nil}, Row{int64(2), "bob", int64(20), "hi"},
				Row{int64(3), "cid", int64(300), nil})

			// Drop a column: rows rewritten.
			nd, _ := db.Table("a")
			nd = nd.Clone()
			nd.Columns = nd.Columns[:3]
			mustAlter(t, db, "a", nd, 0, 1, 2)
			if got := rowsText(t, db, "a", Scan{}); got != "[1 ann 10];[2 bob 20];[3 cid 300]" {
				t.Fatalf("after drop: %s", got)
			}

			// A new column first, with a default; balance becomes VARCHAR.
			nd = nd.Clone()
			nd.Columns[2] = Column{Name: "balance", Type: TypeVarChar, Length: 8}
			nd.Columns = append([]Column{{Name: "tag", Type: TypeInt, HasDefault: true, Default: int64(7)}}, nd.Columns...)
			mustAlter(t, db, "a", nd, -1, 0, 1, 2)
			if got := rowsText(t, db, "a", Scan{}); got != "[7 1 ann 10];[7 2 bob 20];[7 3 cid 300]" {
				t.Fatalf("after add first + retype: %s", got)
			}
			if got := rowsText(t, db, "a", Scan{Index: "by_balance"}); got != "[7 1 ann 10];[7 2 bob 20];[7 3 cid 300]" {
				t.Fatalf("by_balance (now text order): %s", got)
			}

			// A value that does not fit: an error naming the row; nothing changes.
			before, _ := db.Table("a")
			bad := nd.Clone()
			bad.Columns[3] = Column{Name: "balance", Type: TypeTinyInt}
			err := db.AlterColumns(bg, "a", bad, []int{0, 1, 2, 3})
			if sqlerr.Code(err) != sqlerr.ErrOutOfRange || !strings.Contains(err.Error(), "at row") {
				t.Fatalf("out of range: %v", err)
			}
			if after, _ := db.Table("a"); !sameDef(before, after) {
				t.Fatalf("definition changed by a failed alter")
			}
			if got := rowsText(t, db, "a", Scan{Index: "by_owner"}); got != "[7 1 ann 10];[7 2 bob 20];[7 3 cid 300]" {
				t.Fatalf("after failed alter: %s", got)
			}

			// NOT NULL over a NULL: 1265.
			insert(t, db, "a", Row{nil, int64(4), "dan", nil})
			nn := nd.Clone()
			nn.Columns[3].NotNull = true
			if err := db.AlterColumns(bg, "a", nn, []int{0, 1, 2, 3}); sqlerr.Code(err) != sqlerr.ErrDataTruncated {
				t.Fatalf("NOT NULL over NULL: %v", err)
			}

			// A unique index that the conversion would break: 1062, unchanged.
			dup := nd.Clone()
			dup.Columns[2] = Column{Name: "owner", Type: TypeVarChar, Length: 32, NotNull: true}
			dup.Columns[3] = Column{Name: "balance", Type: TypeInt}
			dup.Indexes = append(dup.Indexes, IndexDef{Name: "u_tag", Columns: []string{"tag"}, Unique: true})
			if err := db.AlterColumns(bg, "a", dup, []int{0, 1, 2, 3}); sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "u_tag") {
				t.Fatalf("duplicate: %v", err)
			}

			// Rename a column: definition only, the index follows.
			rn := nd.Clone()
			rn.Columns[2].Name = "who"
			rn.Indexes[0].Columns = []string{"who"}
			rebuilds := db.Stats().IndexRebuilds
			mustAlter(t, db, "a", rn, 0, 1, 2, 3)
			if db.Stats().IndexRebuilds != rebuilds {
				t.Fatal("a rename rebuilt indexes")
			}
			if got := rowsText(t, db, "a", Scan{Index: "by_owner", Lo: Bound{Values: []any{"bob"}, Inclusive: true}}); !strings.HasPrefix(got, "[7 2 bob 20]") {
				t.Fatalf("renamed index: %s", got)
			}

			// A default change over rows older than the column keeps their value.
			if err := db.AddColumn(bg, "a", Column{Name: "late", Type: TypeInt, HasDefault: true, Default: int64(5)}); err != nil {
				t.Fatal(err)
			}
			ld, _ := db.Table("a")
			ld = ld.Clone()
			ld.Columns[4].Default = int64(9)
			mustAlter(t, db, "a", ld, 0, 1, 2, 3, 4)
			insert(t, db, "a", Row{int64(0), int64(5), "eve", nil, nil})
			if got := rowsText(t, db, "a", Scan{Index: "PRIMARY"}); got != "[7 1 ann 10 5];[7 2 bob 20 5];[7 3 cid 300 5];[<nil> 4 dan <nil> 5];[0 5 eve <nil> <nil>]" {
				t.Fatalf("after default change: %s", got)
			}
			want := rowsText(t, db, "a", Scan{Index: "by_owner"})
			db.Close()
			db2 := mustOpen(t, dir, Options{})
			if got := rowsText(t, db2, "a", Scan{Index: "by_owner"}); got != want {
				t.Fatalf("after reopen: %s, want %s", got, want)
			}
			if st := db2.Stats(); st.IndexRebuilds != 0 {
				t.Fatalf("reopen rebuilt %d indexes", st.IndexRebuilds)
			}
		})
	}
}

func TestAlterColumnsHiddenRowID(t *testing.T) {
	db := mustOpen(t, t.TempDir(), Options{})
	if err := db.CreateTable(bg, heapDef("h")); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "h", Row{int64(1), "x"}, Row{int64(1), "y"})
	nd := &TableDef{Name: "h", Columns: []Column{{Name: "b", Type: TypeVarChar, Length: 20}, {Name: "a", Type: TypeDouble}},
		Indexes: []IndexDef{{Name: "by_a", Columns: []string{"a"}}}}
	mustAlter(t, db, "h", nd, 1, 0)
	if got := rowsText(t, db, "h", Scan{Index: "by_a"}); got != "[x 1];[y 1]" {
		t.Fatalf("rows: %s", got)
	}
	// Adding a primary key rewrites the rows under their keys: a repeated
	// key is 1062 and leaves the table as it was.
	withPK := &TableDef{Name: "h", Columns: nd.Columns, PrimaryKey: []string{"a"}, Indexes: nd.Indexes}
	if err := db.AlterColumns(bg, "h", withPK, []int{0, 1}); sqlerr.Code(err) != sqlerr.ErrDupEntry {
		t.Fatalf("adding a primary key over a repeated value: %v", err)
	}
	withPK.PrimaryKey = []string{"b"}
	mustAlter(t, db, "h", withPK, 0, 1)
	if got := rowsText(t, db, "h", Scan{Index: "PRIMARY"}); got != "[x 1];[y 1]" {
		t.Fatalf("rows by the new primary key: %s", got)
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, r, ok, err := tx.Get("h", []any{"y"}); err != nil || !ok || r[1] != float64(1) {
		t.Fatalf("Get by the new key: %v %v %v", r, ok, err)
	}
	tx.Rollback()
	// Dropping it again gives the rows hidden row ids 1, 2, ... in the
	// order of their keys (so that the update log replays it alike), and
	// new rows the ids after them.
	insert(t, db, "h", Row{"a", float64(3)})
	mustAlter(t, db, "h", nd, 0, 1)
	insert(t, db, "h", Row{"a", float64(4)})
	tx, err = db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	want := map[string]string{"a 3": "1", "x 1": "2", "y 1": "3", "a 4": "4"}
	n := 0
	err = tx.Scan("h", Scan{}, func(h Handle, r Row) (bool, error) {
		n++
		id, ok := want[fmt.Sprint(r[0], " ", r[1])]
		if !ok || string(h) != string(appendKeyValue(nil, uint64(id[0]-'0'))) {
			t.Errorf("row %v has handle %x, want row id %s", r, h, id)
		}
		return true, nil
	})
	if err != nil || n != len(want) {
		t.Fatalf("scan: %d rows, %v", n, err)
	}
}

// TestAlterColumnsPowerCut cuts the power at every sync point of a
// rebuild: the reopened database has the old table or the new one, whole,
// for a plain and a crash-safe table alike, without repair.
func TestAlterColumnsPowerCut(t *testing.T) {
	skipUnderRace(t) // a cut reads the mapped data files as they change (see cutPower)
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			dir := t.TempDir()
			base := vfs.NewCrash()
			if err := base.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db, err := Open(dir, Options{FS: base, WALSegmentBytes: walSeg})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.CreateTable(bg, accountsDef("a", cs)); err != nil {
				t.Fatal(err)
			}
			for i := int64(0); i < 40; i++ {
				insert(t, db, "a", Row{i, fmt.Sprint("o", i), i * 10, nil})
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			old, _ := decodeDefFile(t, base, dir, "a")
			nd := old.Clone()
			nd.Columns = []Column{nd.Columns[2], nd.Columns[0], {Name: "owner", Type: TypeVarChar, Length: 40, NotNull: true}}
			from := []int{2, 0, 1}
			oldRows, newRows := "", ""
			run := func(fs *vfs.CrashFS) error {
				db, err := Open(dir, Options{FS: fs, WALSegmentBytes: walSeg})
				if err != nil {
					return err
				}
				defer db.Close()
				if oldRows == "" {
					oldRows = rowsText(t, db, "a", Scan{Index: "by_owner"})
				}
				return db.AlterColumns(bg, "a", nd, from)
			}
			probe := base.Clone()
			resetIndexFiles(t, dir)
			start := probe.SyncPoints()
			if err := run(probe); err != nil {
				t.Fatal(err)
			}
			points := probe.SyncPoints() - start
			{
				db := mustOpen(t, dir, Options{FS: probe, WALSegmentBytes: walSeg})
				newRows = rowsText(t, db, "a", Scan{Index: "by_owner"})
				db.Close()
			}
			t.Logf("%d sync points", points)
			if points < 5 {
				t.Fatalf("only %d sync points", points)
			}
			sawOld, sawNew := false, false
			for k := 1; k <= points; k++ {
				resetIndexFiles(t, dir)
				fs := base.Clone()
				// Open itself reaches no sync point on a clean database.
				fs.CutPowerAtSync(k, int64(k))
				run(fs)
				after := fs.AfterCut()
				db := mustOpen(t, dir, Options{FS: after, WALSegmentBytes: walSeg})
				def, err := db.Table("a")
				if err != nil {
					t.Fatalf("k=%d: %v", k, err)
				}
				got := rowsText(t, db, "a", Scan{Index: "by_owner"})
				switch {
				case sameDef(def, old) && got == oldRows:
					sawOld = true
				case sameDef(def, nd) && got == newRows:
					sawNew = true
				default:
					t.Fatalf("k=%d of %d: a mix: columns %v rows %s", k, points, def.Columns, got)
				}
				if rep, err := db.Check(bg, "a"); err != nil || !rep.OK {
					t.Fatalf("k=%d: check: %v %v", k, err, rep.Problems)
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				for _, n := range mustReadDir(t, after, dir) {
					if strings.Contains(n, rebuildSuffix) {
						t.Fatalf("k=%d: %s left behind", k, n)
					}
				}
			}
			if !sawOld || !sawNew {
				t.Fatalf("cuts gave old %v new %v: not a test of both sides", sawOld, sawNew)
			}
		})
	}
}

func decodeDefFile(t *testing.T, fs vfs.FS, dir, name string) (*TableDef, error) {
	t.Helper()
	b, err := vfs.ReadFile(fs, filepath.Join(dir, name+defSuffix))
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := decodeDef(b, name)
	if err != nil {
		t.Fatal(err)
	}
	return d, nil
}

func mustReadDir(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// resetIndexFiles removes the index files (on the real disk, whatever
// the FS of the data files): each cut starts from files the clone and
// the disk agree on.
func resetIndexFiles(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), indexSuffix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// TestAlterColumnsReplay: the update log replays column changes (rebuild
// and definition-only), twice without harm.
func TestAlterColumnsReplay(t *testing.T) {
	root := t.TempDir()
	src, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	if err := db.CreateTable(bg, itemsDef("t", true)); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, itemsDef("p", false)); err != nil {
		t.Fatal(err)
	}
	for _, tb := range []string{"t", "p"} {
		insert(t, db, tb, Row{nil, int64(5), "a"}, Row{nil, int64(6), nil})
		nd, _ := db.Table(tb)
		nd = nd.Clone()
		nd.Columns = []Column{nd.Columns[0], {Name: "flag", Type: TypeTinyInt, NotNull: true}, {Name: "v", Type: TypeVarChar, Length: 10, NotNull: true}}
		mustAlter(t, db, tb, nd, 0, -1, 1)
		insert(t, db, tb, Row{nil, int64(1), "7"})
		rn := nd.Clone()
		rn.Columns[2].Name, rn.Indexes[0].Columns = "w", []string{"w"}
		rn.Columns[1].HasDefault, rn.Columns[1].Default = true, int64(3)
		mustAlter(t, db, tb, rn, 0, 1, 2)
		insert(t, db, tb, Row{nil, int64(3), "8"})
	}
	want := dumpDB(t, db)
	if got := rowsText(t, db, "t", Scan{Index: "PRIMARY"}); got != "[1 0 5];[2 0 6];[3 1 7];[4 3 8]" {
		t.Fatalf("rows: %s", got)
	}
	db.Close()
	rdb := replayInto(t, filepath.Join(root, "r"), ulogDir, 1<<62)
	compareDumps(t, "replayed", dumpDB(t, rdb), want)
	rdb.Close()
	rdb = replayInto(t, filepath.Join(root, "r"), ulogDir, 1<<62)
	compareDumps(t, "replayed twice", dumpDB(t, rdb), want)
}

// TestAlterColumnsInZoneReplay: a change to and from TIMESTAMP converts
// in the given zone, and the update log replays it in that zone (its op
// is of format 2; one without a zone stays format 1).
func TestAlterColumnsInZoneReplay(t *testing.T) {
	root := t.TempDir()
	src, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	def := &TableDef{Name: "z", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true},
		{Name: "ts", Type: TypeTimestamp}, {Name: "dt", Type: TypeDateTime}}, PrimaryKey: []string{"id"}}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 1, 1, 10, 0, 0, 0, time.UTC)
	insert(t, db, "z", Row{int64(1), at, at})
	const zone = 2 * time.Hour
	nd := def.Clone()
	nd.Columns[1].Type, nd.Columns[2].Type = TypeDateTime, TypeTimestamp
	if err := db.AlterColumnsInZone(bg, "z", nd, []int{0, 1, 2}, zone); err != nil {
		t.Fatal(err)
	}
	// The instant 10:00 UTC is 12:00 on the wall clock; the wall clock
	// 10:00 is the instant 08:00 UTC.
	const want = "[1 2020-01-01 12:00:00 +0000 UTC 2020-01-01 08:00:00 +0000 UTC]"
	if got := rowsText(t, db, "z", Scan{Index: "PRIMARY"}); got != want {
		t.Fatalf("rows after the change in +02:00: %s, want %s", got, want)
	}
	// No TIMESTAMP change: the zone is not recorded.
	rn := nd.Clone()
	rn.Columns[0].Comment = "x"
	if err := db.AlterColumnsInZone(bg, "z", rn, []int{0, 1, 2}, zone); err != nil {
		t.Fatal(err)
	}
	dump := dumpDB(t, db)
	db.Close()
	var formats []int
	_, err := ulog.Read(ulogDir, ulog.ReadOptions{}, func(rec *ulog.Record) error {
		for _, op := range rec.Ops {
			if op.Kind == ulog.OpDDL {
				var d ddlRecord
				if err := json.Unmarshal(op.Value, &d); err != nil {
					return err
				}
				if d.Op == "alter_columns" {
					formats = append(formats, d.V)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(formats, []int{ddlFormatZone, ddlFormat}) {
		t.Fatalf("alter_columns op formats %v, want [%d %d]", formats, ddlFormatZone, ddlFormat)
	}
	rdb := replayInto(t, filepath.Join(root, "r"), ulogDir, 1<<62)
	defer rdb.Close()
	compareDumps(t, "replayed", dumpDB(t, rdb), dump)
	if got := rowsText(t, rdb, "z", Scan{Index: "PRIMARY"}); got != want {
		t.Fatalf("replayed rows: %s, want %s", got, want)
	}
}

// TestAlterColumnsIOErrors fails the n-th filesystem call of a rebuild,
// for every n: the failed AlterColumns leaves the old table usable in
// process (or, past the commit point, a table marked for a reopen), and a
// reopen finds the old table or the new one, whole.
func TestAlterColumnsIOErrors(t *testing.T) {
	dir := t.TempDir()
	base := vfs.NewMem()
	db, err := Open(dir, Options{FS: base, WALSegmentBytes: walSeg})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("a", false)); err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 20; i++ {
		insert(t, db, "a", Row{i, fmt.Sprint("o", i), i, nil})
	}
	old, _ := db.Table("a")
	oldRows := rowsText(t, db, "a", Scan{Index: "by_owner"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	nd := old.Clone()
	nd.Columns = []Column{nd.Columns[1], nd.Columns[0], {Name: "balance", Type: TypeDouble}}
	var newRows string
	{
		resetIndexFiles(t, dir)
		db := mustOpen(t, dir, Options{FS: base.Clone(), WALSegmentBytes: walSeg})
		mustAlter(t, db, "a", nd, 1, 0, 2)
		newRows = rowsText(t, db, "a", Scan{Index: "by_owner"})
		db.Close()
	}
	for n := 1; ; n++ {
		if n > 500 {
			t.Fatal("the rebuild never completed")
		}
		mem := base.Clone()
		resetIndexFiles(t, dir)
		e := vfs.NewErrorFS(mem)
		db, err := Open(dir, Options{FS: e, WALSegmentBytes: walSeg})
		if err != nil {
			t.Fatal(err)
		}
		e.FailAfter(n, vfs.OpAll, false)
		aerr := db.AlterColumns(bg, "a", nd, []int{1, 0, 2})
		hits := e.Hits()
		e.Disarm()
		if aerr != nil {
			if st, _ := db.Status("a"); !st.Crashed {
				def, _ := db.Table("a")
				if got := rowsText(t, db, "a", Scan{Index: "by_owner"}); !sameDef(def, old) || got != oldRows {
					t.Fatalf("n=%d: failed with %v but the table changed: %v %s", n, aerr, def.Columns, got)
				}
			}
		}
		db.Close()
		db = mustOpen(t, dir, Options{FS: mem, WALSegmentBytes: walSeg})
		def, _ := db.Table("a")
		got := rowsText(t, db, "a", Scan{Index: "by_owner"})
		if !(sameDef(def, old) && got == oldRows) && !(sameDef(def, nd) && got == newRows) {
			t.Fatalf("n=%d (%v): reopened as %v %s", n, aerr, def.Columns, got)
		}
		if rep, err := db.Check(bg, "a"); err != nil || !rep.OK {
			t.Fatalf("n=%d: check: %v %v", n, err, rep.Problems)
		}
		db.Close()
		if hits == 0 {
			t.Logf("completed at n=%d", n)
			break
		}
	}
}

// TestOldTextPrimaryKeyStillAlters: a table whose primary key is the whole
// of a TEXT column (which CREATE TABLE now refuses, 1170, as MariaDB does)
// but that an older build made still opens, renames and alters; a new
// definition with such a key is refused.
func TestOldTextPrimaryKeyStillAlters(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	def := &TableDef{Name: "old", Columns: []Column{{Name: "k", Type: TypeVarChar, Length: 20, NotNull: true}, {Name: "v", Type: TypeInt}}, PrimaryKey: []string{"k"}}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// What an older build wrote: the key column a TEXT.
	def.Columns[0] = Column{Name: "k", Type: TypeText, NotNull: true}
	b, err := encodeDef(def, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.def"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	defer db.Close()
	insert(t, db, "old", Row{"a", int64(1)})
	if err := db.RenameTable(bg, "old", "old2"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	nd, _ := db.Table("old2")
	nd = nd.Clone()
	nd.Columns = append(nd.Columns, Column{Name: "w", Type: TypeInt})
	mustAlter(t, db, "old2", nd, 0, 1, -1)
	if got := rowsText(t, db, "old2", Scan{}); got != "[a 1 <nil>]" {
		t.Fatalf("after alter: %s", got)
	}
	fresh := nd.Clone()
	fresh.Name = "fresh"
	if err := db.CreateTable(bg, fresh); sqlerr.Code(err) != sqlerr.ErrBlobKeyWithoutLen {
		t.Fatalf("new table with a TEXT primary key: %v, want 1170", err)
	}
	// A table that had a proper key cannot be altered into such a one.
	def2 := &TableDef{Name: "n", Columns: []Column{{Name: "k", Type: TypeVarChar, Length: 20, NotNull: true}}, PrimaryKey: []string{"k"}}
	if err := db.CreateTable(bg, def2); err != nil {
		t.Fatal(err)
	}
	nd2 := def2.Clone()
	nd2.Columns[0] = Column{Name: "k", Type: TypeText, NotNull: true}
	if err := db.AlterColumns(bg, "n", nd2, []int{0}); sqlerr.Code(err) != sqlerr.ErrBlobKeyWithoutLen {
		t.Fatalf("alter into a TEXT primary key: %v, want 1170", err)
	}
}

// An ALTER that only adds secondary indexes (ADD FOREIGN KEY with the
// index it needs, with a COMMENT) builds them beside the rows and commits
// with the definition, as CreateIndex does, instead of rewriting the data
// file; a duplicate in a new unique index fails it with 1062, the table
// as it was and no index file left.
func TestAlterAddsIndexesOnly(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, accountsDef("a", true)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "a", Row{int64(1), "ann", int64(10), "x"}, Row{int64(2), "bob", int64(20), "x"},
		Row{int64(3), "cid", int64(10), nil})
	data := filepath.Join(dir, "a.bdf")
	st, err := os.Stat(data)
	if err != nil {
		t.Fatal(err)
	}
	nd, _ := db.Table("a")
	nd = nd.Clone()
	nd.Comment = "indexed"
	nd.Indexes = append(nd.Indexes, IndexDef{Name: "by_note", Columns: []string{"note"}, Prefix: []int{2}},
		IndexDef{Name: "by_bo", Columns: []string{"balance", "owner"}, Unique: true})
	mustAlter(t, db, "a", nd, 0, 1, 2, 3)
	if st2, err := os.Stat(data); err != nil || !os.SameFile(st, st2) {
		t.Fatalf("the data file was rewritten (%v)", err)
	}
	if got := rowsText(t, db, "a", Scan{Index: "by_bo"}); got != "[1 ann 10 x];[3 cid 10 <nil>];[2 bob 20 x]" {
		t.Fatalf("by_bo: %s", got)
	}
	if got := rowsText(t, db, "a", Scan{Index: "by_note"}); got != "[3 cid 10 <nil>];[1 ann 10 x];[2 bob 20 x]" {
		t.Fatalf("by_note: %s", got)
	}
	insert(t, db, "a", Row{int64(4), "dan", int64(30), "y"})
	if got := rowsText(t, db, "a", Scan{Index: "by_bo", Lo: Bound{Values: []any{int64(30)}, Inclusive: true}}); got != "[4 dan 30 y]" {
		t.Fatalf("by_bo after an insert: %s", got)
	}
	// A duplicate in a new unique index: 1062, nothing changed.
	nd, _ = db.Table("a")
	before := nd.Clone()
	nd = nd.Clone()
	nd.Indexes = append(nd.Indexes, IndexDef{Name: "by_balance_u", Columns: []string{"balance"}, Unique: true})
	err = db.AlterColumns(bg, "a", nd, []int{0, 1, 2, 3})
	if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "by_balance_u") {
		t.Fatalf("a duplicate in the new unique index: %v", err)
	}
	if got, _ := db.Table("a"); !sameDef(got, before) {
		t.Fatalf("the definition changed: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "a.by_balance_u.bix")); !os.IsNotExist(err) {
		t.Fatalf("the failed index's file stays: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	if got := rowsText(t, db, "a", Scan{Index: "by_bo"}); got != "[1 ann 10 x];[3 cid 10 <nil>];[2 bob 20 x];[4 dan 30 y]" {
		t.Fatalf("by_bo after a reopen: %s", got)
	}
	if def, _ := db.Table("a"); def.Comment != "indexed" {
		t.Fatalf("comment after a reopen: %q", def.Comment)
	}
}
