package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Optimize gives back the space of deleted rows and keeps the rows, their
// index entries and the table, for both kinds of table, across a reopen.
func TestOptimizeCompacts(t *testing.T) {
	for _, cs := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashsafe=%v", cs), func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, Options{})
			if err := db.CreateTable(bg, accountsDef("a", cs)); err != nil {
				t.Fatal(err)
			}
			note := strings.Repeat("n", 2000)
			var rows []Row
			for i := 1; i <= 3000; i++ {
				rows = append(rows, Row{int64(i), fmt.Sprintf("o%05d", i), int64(i % 7), note})
			}
			insert(t, db, "a", rows...)
			tx := mustTx(t, db)
			for i := 4; i <= 3000; i++ {
				h, _, ok, err := tx.Get("a", []any{int64(i)})
				if err != nil || !ok {
					t.Fatalf("get %d: %v, %v", i, ok, err)
				}
				if err := tx.Delete("a", h); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			size := func() int64 {
				st, err := os.Stat(dir + "/a.bdf")
				if err != nil {
					t.Fatal(err)
				}
				return st.Size()
			}
			before := size()
			if err := db.Optimize(bg, "a"); err != nil {
				t.Fatalf("Optimize: %v", err)
			}
			if after := size(); after > before/2 {
				t.Fatalf("data file %d bytes before Optimize, %d after: no space given back", before, after)
			}
			want := "[1 o00001 1 " + note + "];[2 o00002 2 " + note + "];[3 o00003 3 " + note + "]"
			for _, when := range []string{"optimized", "reopened"} {
				if got := rowsText(t, db, "a", Scan{}); got != want {
					t.Fatalf("%s: rows %.80s...", when, got)
				}
				if got := rowsText(t, db, "a", Scan{Index: "by_owner"}); got != want {
					t.Fatalf("%s: rows through by_owner %.80s...", when, got)
				}
				insertErr := func() error {
					tx := mustTx(t, db)
					defer tx.Rollback()
					_, _, err := tx.Insert("a", Row{int64(99), "o00002", int64(0), nil})
					return err
				}()
				if insertErr == nil {
					t.Fatalf("%s: the unique index by_owner took a duplicate", when)
				}
				db.Close()
				db = mustOpen(t, dir, Options{})
			}
			db.Close()
		})
	}
}
