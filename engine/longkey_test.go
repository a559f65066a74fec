package engine

import (
	"strings"
	"testing"

	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestIndexEntryTooLong: a row whose entry in an index would be longer than
// an index file holds (index.MaxKeySize) is refused with 1071 naming the
// index, before anything is written: the table stays usable and CHECK finds
// it consistent (the entry used to fail at commit, after the data file was
// written, and leave the table crashed). CreateIndex over such a row is
// 1071 too, and the table keeps its indexes.
func TestIndexEntryTooLong(t *testing.T) {
	for _, crashSafe := range []bool{false, true} {
		db := mustOpen(t, t.TempDir(), Options{})
		def := &TableDef{Name: "d", CrashSafe: crashSafe, PrimaryKey: []string{"id"},
			Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "u", Type: TypeText}, {Name: "k", Type: TypeText}},
			Indexes: []IndexDef{{Name: "byu", Columns: []string{"u"}, Unique: true}, {Name: "byk", Columns: []string{"k", "id"}}}}
		if err := db.CreateTable(bg, def); err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("x", index.MaxKeySize)
		write := func(f func(tx *Tx) error) error {
			tx, err := db.Begin(bg)
			if err != nil {
				t.Fatal(err)
			}
			if err := f(tx); err != nil {
				tx.Rollback()
				return err
			}
			return tx.Commit()
		}
		if err := write(func(tx *Tx) error { _, _, err := tx.Insert("d", Row{int64(1), "a", "a"}); return err }); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, ix string
			f        func(tx *Tx) error
		}{
			{"insert, unique", "byu", func(tx *Tx) error { _, _, err := tx.Insert("d", Row{int64(2), long, "b"}); return err }},
			{"insert, two parts", "byk", func(tx *Tx) error { _, _, err := tx.Insert("d", Row{int64(2), "b", long}); return err }},
			{"update", "byk", func(tx *Tx) error {
				h, _, ok, err := tx.Get("d", []any{int64(1)})
				if err != nil || !ok {
					t.Fatalf("get 1: %v %v", ok, err)
				}
				_, err = tx.Update("d", h, Row{int64(1), "a", long})
				return err
			}},
		} {
			err := write(c.f)
			if sqlerr.Code(err) != sqlerr.ErrTooLongKey || !strings.Contains(err.Error(), "'"+c.ix+"'") {
				t.Fatalf("crash-safe %v, %s: %v; want 1071 naming %s", crashSafe, c.name, err, c.ix)
			}
		}
		if err := write(func(tx *Tx) error { _, _, err := tx.Insert("d", Row{int64(3), "c", "c"}); return err }); err != nil {
			t.Fatalf("crash-safe %v: insert after the refused rows: %v", crashSafe, err)
		}
		if rep, err := db.Check(bg, "d"); err != nil || !rep.OK {
			t.Fatalf("crash-safe %v: check: %+v %v", crashSafe, rep, err)
		}
		// A row each of whose entries fits, then an index whose entry for
		// it does not.
		if err := db.CreateIndex(bg, "d", IndexDef{Name: "byk2", Columns: []string{"k"}}); err != nil {
			t.Fatalf("crash-safe %v: index on short values: %v", crashSafe, err)
		}
		if err := write(func(tx *Tx) error {
			_, _, err := tx.Insert("d", Row{int64(5), strings.Repeat("u", 200), long[:index.MaxKeySize-100]})
			return err
		}); err != nil {
			t.Fatalf("crash-safe %v: a value that fits: %v", crashSafe, err)
		}
		if err := db.CreateIndex(bg, "d", IndexDef{Name: "byk3", Columns: []string{"k", "u", "id"}}); sqlerr.Code(err) != sqlerr.ErrTooLongKey || !strings.Contains(err.Error(), "'byk3'") {
			t.Fatalf("crash-safe %v: CreateIndex over a row too long for it: %v; want 1071 naming byk3", crashSafe, err)
		}
		if n := len(db.tables["d"].definition().Indexes); n != 3 {
			t.Errorf("crash-safe %v: %d indexes after the refused CreateIndex, want 3", crashSafe, n)
		}
		if rep, err := db.Check(bg, "d"); err != nil || !rep.OK {
			t.Fatalf("crash-safe %v: check at the end: %+v %v", crashSafe, rep, err)
		}
	}
}
