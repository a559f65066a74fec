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
	old := strings.Replace(string(b), `"foreign_keys"`, `"foreign_keys_from_the_future"`, 1)
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
