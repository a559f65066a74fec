package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// fkTables creates parent p (id) and child c (id, pid) whose key fk has
// the given ON DELETE action.
func fkTables(t testing.TB, db *DB, onDelete RefAction) {
	t.Helper()
	p := &TableDef{Name: "p", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}}, PrimaryKey: []string{"id"}, CrashSafe: true}
	c := &TableDef{Name: "c", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}, {Name: "pid", Type: TypeInt}},
		PrimaryKey: []string{"id"}, Indexes: []IndexDef{{Name: "fk", Columns: []string{"pid"}}}, CrashSafe: true,
		ForeignKeys: []ForeignKeyDef{{Name: "fk", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: onDelete, OnUpdate: RefNoAction}}}
	for _, d := range []*TableDef{p, c} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
}

func fkExec(t *testing.T, db *DB, fn func(tx *Tx) error) error {
	t.Helper()
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func fkCount(t *testing.T, db *DB, table string) int64 {
	t.Helper()
	st, err := db.Status(table)
	if err != nil {
		t.Fatal(err)
	}
	return st.Rows
}

// TestForeignKeyDefinitionKept: the keys survive a reopen (the .def
// field "foreign_keys"), and a definition file written without the field
// reads as a table without keys.
func TestForeignKeyDefinitionKept(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	fkTables(t, db, RefCascade)
	db.Close()
	db = mustOpen(t, dir, Options{})
	d, err := db.Table("c")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ForeignKeys) != 1 || d.ForeignKeys[0].Clause() != "CONSTRAINT `fk` FOREIGN KEY (`pid`) REFERENCES `p` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION" {
		t.Fatalf("keys after reopen: %+v", d.ForeignKeys)
	}
	if tables, fks := db.ReferencedBy("P"); len(tables) != 1 || tables[0] != "c" || fks[0].Name != "fk" {
		t.Fatalf("ReferencedBy(P) = %v %v", tables, fks)
	}
	db.Close()
	b, err := os.ReadFile(filepath.Join(dir, "c.def"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"foreign_keys"`) || !strings.Contains(string(b), `"format": 1,`) {
		t.Fatalf("c.def does not hold the key in format 1:\n%s", b)
	}
	// A reader that predates the field ignores it, like an unknown one.
	old := strings.Replace(string(unsummed(b)), `"foreign_keys"`, `"foreign_keys_from_the_future"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "c.def"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	defer db.Close()
	if d, err := db.Table("c"); err != nil || len(d.ForeignKeys) != 0 {
		t.Fatalf("a definition without the field: %v, %+v", err, d)
	}
}

// TestForeignKeyEnforced drives the engine's checks and actions directly.
func TestForeignKeyEnforced(t *testing.T) {
	for _, action := range []RefAction{RefRestrict, RefCascade, RefSetNull} {
		t.Run(action.String(), func(t *testing.T) {
			db := mustOpen(t, t.TempDir(), Options{})
			defer db.Close()
			fkTables(t, db, action)
			if err := fkExec(t, db, func(tx *Tx) error { _, _, err := tx.Insert("c", Row{int64(1), int64(7)}); return err }); sqlerr.Code(err) != sqlerr.ErrNoReferencedRow {
				t.Fatalf("orphan insert: %v", err)
			}
			if err := fkExec(t, db, func(tx *Tx) error {
				if _, _, err := tx.Insert("p", Row{int64(7)}); err != nil {
					return err
				}
				_, _, err := tx.Insert("c", Row{int64(1), int64(7)}) // its parent is the transaction's own
				return err
			}); err != nil {
				t.Fatal(err)
			}
			// With checks off, anything goes.
			if err := fkExec(t, db, func(tx *Tx) error {
				tx.SetForeignKeyChecks(false)
				_, _, err := tx.Insert("c", Row{int64(2), int64(8)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			err := fkExec(t, db, func(tx *Tx) error {
				h, _, ok, err := tx.Get("p", []any{int64(7)})
				if err != nil || !ok {
					t.Fatalf("get p 7: %v %v", ok, err)
				}
				return tx.Delete("p", h)
			})
			var fe *ForeignKeyError
			switch action {
			case RefRestrict:
				if sqlerr.Code(err) != sqlerr.ErrRowIsReferenced || !asFK(err, &fe) || fe.Table != "c" {
					t.Fatalf("restricted delete: %v", err)
				}
				if fkCount(t, db, "p") != 1 || fkCount(t, db, "c") != 2 {
					t.Fatal("the refused delete changed rows")
				}
			case RefCascade:
				if err != nil || fkCount(t, db, "p") != 0 || fkCount(t, db, "c") != 1 {
					t.Fatalf("cascade: %v, p %d c %d rows", err, fkCount(t, db, "p"), fkCount(t, db, "c"))
				}
			case RefSetNull:
				if err != nil {
					t.Fatal(err)
				}
				tx, _ := db.Begin(bg)
				_, r, ok, err := tx.Get("c", []any{int64(1)})
				tx.Rollback()
				if err != nil || !ok || r[1] != nil {
					t.Fatalf("SET NULL left %v (%v)", r, err)
				}
			}
		})
	}
}

func asFK(err error, fe **ForeignKeyError) bool {
	e, ok := err.(*ForeignKeyError)
	*fe = e
	return ok
}

// BenchmarkUpdateNoKeys measures Update of a table that no foreign key
// involves: the path every UPDATE takes, which now asks whether some
// table references this one.
func BenchmarkUpdateNoKeys(b *testing.B) {
	db, err := Open(b.TempDir(), Options{Sync: SyncOff})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	def := &TableDef{Name: "t", Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "v", Type: TypeBigInt}}, PrimaryKey: []string{"id"}}
	if err := db.CreateTable(bg, def); err != nil {
		b.Fatal(err)
	}
	tx, _ := db.Begin(bg)
	h, _, err := tx.Insert("t", Row{int64(1), int64(0)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if h, err = tx.Update("t", h, Row{int64(1), int64(i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	tx.Rollback()
}

// pkPrefixTables creates parent p (id) and child c (pid, n) whose primary
// key (pid, n) is led by its key's column pid: no secondary index serves
// the key, as in MariaDB, which uses the clustered primary key. The child
// gets perParent rows for each of parents parent rows.
func pkPrefixTables(t testing.TB, db *DB, onDelete RefAction, parents, perParent int) {
	t.Helper()
	p := &TableDef{Name: "p", Columns: []Column{{Name: "id", Type: TypeInt, NotNull: true}}, PrimaryKey: []string{"id"}}
	c := &TableDef{Name: "c", Columns: []Column{{Name: "pid", Type: TypeInt, NotNull: true}, {Name: "n", Type: TypeInt, NotNull: true}, {Name: "v", Type: TypeInt}},
		PrimaryKey:  []string{"pid", "n"},
		ForeignKeys: []ForeignKeyDef{{Name: "fk", Columns: []string{"pid"}, RefTable: "p", RefColumns: []string{"id"}, OnDelete: onDelete}}}
	for _, d := range []*TableDef{p, c} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < parents; i++ {
		if _, _, err := tx.Insert("p", Row{int64(i)}); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < perParent; j++ {
			if _, _, err := tx.Insert("c", Row{int64(i), int64(j), int64(j)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDeleteParentPKPrefix deletes a parent row whose child table
// (100k rows) finds its rows through a key led by the child's composite
// primary key: with an index, the cost of a few child rows, not of the
// child table. Each iteration deletes one parent (RESTRICT: one with no
// children; CASCADE: one with 2 children) and rolls back.
func BenchmarkDeleteParentPKPrefix(b *testing.B) {
	for _, tc := range []struct {
		name   string
		action RefAction
	}{{"restrict", RefRestrict}, {"cascade", RefCascade}} {
		b.Run(tc.name+"/children=100k", func(b *testing.B) {
			db, err := Open(b.TempDir(), Options{Sync: SyncOff})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			const parents, per = 50000, 2
			pkPrefixTables(b, db, tc.action, parents, per)
			tx, err := db.Begin(bg)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := tx.Insert("p", Row{int64(parents)}); err != nil { // no children
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			victim := int64(parents) // RESTRICT: childless, so the delete succeeds
			if tc.action == RefCascade {
				victim = parents / 2
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx, err := db.Begin(bg)
				if err != nil {
					b.Fatal(err)
				}
				h, _, ok, err := tx.Get("p", []any{victim})
				if err != nil || !ok {
					b.Fatal(ok, err)
				}
				if err := tx.Delete("p", h); err != nil {
					b.Fatal(err)
				}
				if tc.action == RefCascade {
					if _, _, ok, _ := tx.Get("c", []any{victim, int64(1)}); ok {
						b.Fatal("child row not deleted by the cascade")
					}
				}
				tx.Rollback()
			}
			b.StopTimer()
		})
	}
}

// deleteParent deletes row id of table p in a transaction of its own.
func deleteParent(t *testing.T, db *DB, id int64) error {
	t.Helper()
	return fkExec(t, db, func(tx *Tx) error {
		h, _, _, err := tx.Get("p", []any{id})
		if err != nil {
			return err
		}
		return tx.Delete("p", h)
	})
}

// hiddenIndexes returns the names of table's hidden indexes.
func hiddenIndexes(t *testing.T, db *DB, table string) []string {
	t.Helper()
	d, err := db.Table(table)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ix := range d.Indexes {
		if ix.Hidden {
			names = append(names, ix.Name+"("+strings.Join(ix.Columns, ",")+")")
		}
	}
	return names
}

// TestForeignKeyPKPrefixIndex: a key whose columns lead a composite
// primary key gets a hidden index, which the checks from the parent side
// use; it is kept across a reopen, goes when another index serves the
// key and comes back when that index is dropped.
func TestForeignKeyPKPrefixIndex(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	pkPrefixTables(t, db, RefCascade, 3, 2)
	if got := hiddenIndexes(t, db, "c"); len(got) != 1 || got[0] != "#pk1(pid)" {
		t.Fatalf("hidden indexes of c: %v, want [#pk1(pid)]", got)
	}
	d, _ := db.Table("c")
	if s, get := keyScan(d, []string{"pid"}, []any{int64(1)}); get || s.Index != "#pk1" {
		t.Fatalf("children are found by %+v (get %v), want a scan of #pk1", s, get)
	}
	if err := deleteParent(t, db, 1); err != nil {
		t.Fatal(err)
	}
	if n := fkCount(t, db, "c"); n != 4 {
		t.Fatalf("c has %d rows after the cascade, want 4", n)
	}
	db.Close()

	db = mustOpen(t, dir, Options{})
	defer db.Close()
	if got := hiddenIndexes(t, db, "c"); len(got) != 1 {
		t.Fatalf("hidden indexes of c after reopen: %v", got)
	}
	// RESTRICT through the hidden index, after the reopen.
	nd := d.Clone()
	nd.ForeignKeys[0].OnDelete = RefRestrict
	if err := db.AlterColumns(bg, "c", nd, []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	var fe *ForeignKeyError
	if err := deleteParent(t, db, 2); !asFK(err, &fe) || fe.Code != sqlerr.ErrRowIsReferenced {
		t.Fatalf("delete of a referenced parent: %v, want 1451", err)
	}
	// A visible index led by the key's columns makes the hidden one go
	// (at the next change of the definition); dropping it brings the
	// hidden one back.
	if err := db.CreateIndex(bg, "c", IndexDef{Name: "k", Columns: []string{"pid", "v"}}); err != nil {
		t.Fatal(err)
	}
	d, _ = db.Table("c")
	if err := db.AlterColumns(bg, "c", d, []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if got := hiddenIndexes(t, db, "c"); len(got) != 0 {
		t.Fatalf("hidden indexes of c beside index k: %v", got)
	}
	if err := db.DropIndex(bg, "c", "k"); err != nil {
		t.Fatal(err)
	}
	if got := hiddenIndexes(t, db, "c"); len(got) != 1 || got[0] != "#pk1(pid)" {
		t.Fatalf("hidden indexes of c after DROP INDEX k: %v", got)
	}
	if rep, err := db.Check(bg, "c"); err != nil || !rep.OK {
		t.Fatalf("check c with its hidden index: %+v %v", rep, err)
	}
	// The index built by DropIndex holds the rows: the check finds them.
	if err := deleteParent(t, db, 2); !asFK(err, &fe) || fe.Code != sqlerr.ErrRowIsReferenced {
		t.Fatalf("delete of a referenced parent after DROP INDEX: %v, want 1451", err)
	}
	// Without the key, no hidden index.
	d, _ = db.Table("c")
	nd = d.Clone()
	nd.ForeignKeys = nil
	if err := db.AlterColumns(bg, "c", nd, []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if got := hiddenIndexes(t, db, "c"); len(got) != 0 {
		t.Fatalf("hidden indexes of c without its key: %v", got)
	}
	if rep, err := db.Check(bg, "c"); err != nil || !rep.OK {
		t.Fatalf("check c: %+v %v", rep, err)
	}
}

// TestForeignKeyHiddenIndexNameTaken: a user's index may take the name
// of a hidden index (#pk1): the hidden one is renamed and keeps serving
// the key, across a reopen and in an update-log replay; a second user
// index on the new name moves it on again.
func TestForeignKeyHiddenIndexNameTaken(t *testing.T) {
	root := t.TempDir()
	dir, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	db := mustOpen(t, dir, Options{ULogDir: ulogDir})
	pkPrefixTables(t, db, RefRestrict, 3, 2)
	if err := db.CreateIndex(bg, "c", IndexDef{Name: "#PK1", Columns: []string{"v"}}); err != nil {
		t.Fatalf("CREATE INDEX #PK1 beside the hidden #pk1: %v", err)
	}
	if got := hiddenIndexes(t, db, "c"); len(got) != 1 || got[0] != "#pk1_(pid)" {
		t.Fatalf("hidden indexes of c: %v, want [#pk1_(pid)]", got)
	}
	var fe *ForeignKeyError
	if err := deleteParent(t, db, 1); !asFK(err, &fe) || fe.Code != sqlerr.ErrRowIsReferenced {
		t.Fatalf("delete of a referenced parent: %v, want 1451", err)
	}
	if err := db.CreateIndex(bg, "c", IndexDef{Name: "#pk1_", Columns: []string{"n"}}); err != nil {
		t.Fatalf("CREATE INDEX #pk1_: %v", err)
	}
	if got := hiddenIndexes(t, db, "c"); len(got) != 1 || got[0] != "#pk1__(pid)" {
		t.Fatalf("hidden indexes of c: %v, want [#pk1__(pid)]", got)
	}
	if err := db.CreateIndex(bg, "c", IndexDef{Name: "#pk1", Columns: []string{"n"}}); sqlerr.Code(err) != sqlerr.ErrDupKeyName {
		t.Fatalf("a second visible #pk1: %v, want 1061", err)
	}
	if rep, err := db.Check(bg, "c"); err != nil || !rep.OK {
		t.Fatalf("check c: %+v %v", rep, err)
	}
	want := dumpDB(t, db)
	db.Close()

	db = mustOpen(t, dir, Options{})
	if rep, err := db.Check(bg, "c"); err != nil || !rep.OK {
		t.Fatalf("check c after reopen: %+v %v", rep, err)
	}
	if err := deleteParent(t, db, 1); !asFK(err, &fe) || fe.Code != sqlerr.ErrRowIsReferenced {
		t.Fatalf("delete of a referenced parent after reopen: %v, want 1451", err)
	}
	db.Close()
	rdb := replayInto(t, filepath.Join(root, "r"), ulogDir, 1<<62)
	defer rdb.Close()
	compareDumps(t, "replayed", dumpDB(t, rdb), want)
	if got := hiddenIndexes(t, rdb, "c"); len(got) != 1 || got[0] != "#pk1__(pid)" {
		t.Fatalf("hidden indexes of the replayed c: %v, want [#pk1__(pid)]", got)
	}
}
