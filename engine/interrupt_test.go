package engine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/blitzdb/blitz/index"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// doneAfter is a context whose Err turns to context.Canceled at its
// after-th call: a statement interrupted at a chosen point of its work,
// with no timing involved (Done never fires: the lock waits of DDL do not
// see it).
type doneAfter struct {
	context.Context
	after, calls atomic.Int64
}

func (c *doneAfter) Err() error {
	if c.calls.Add(1) >= c.after.Load() {
		return context.Canceled
	}
	return nil
}

// TestDDLInterrupted: CreateIndex, AlterColumns (a rewrite), Optimize, a
// quick Repair and Check whose context is done in the middle of their scan, copy
// or index build fail with 1317 and leave the table as it was: its rows,
// its definition and indexes (answering queries), CHECK ok, no temporary
// file. Then the same statements, not interrupted, succeed.
func TestDDLInterrupted(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	def := &TableDef{Name: "d", PrimaryKey: []string{"id"},
		Columns: []Column{{Name: "id", Type: TypeBigInt, NotNull: true}, {Name: "v", Type: TypeBigInt}, {Name: "s", Type: TypeText}},
		Indexes: []IndexDef{{Name: "byv", Columns: []string{"v"}}}}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	const rows = 5 * (1 << 12) // five context checks of a scan
	tx, err := db.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if _, _, err := tx.Insert("d", Row{int64(i), int64(i % 100), fmt.Sprintf("s%06d", rows-i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wider := def.Clone()
	wider.Columns[1].Type = TypeText // a rewrite of every row
	steps := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"alter", func(ctx context.Context) error { return db.AlterColumns(ctx, "d", wider, []int{0, 1, 2}) }},
		{"create index", func(ctx context.Context) error {
			return db.CreateIndex(ctx, "d", IndexDef{Name: "bys", Columns: []string{"s"}})
		}},
		{"optimize", func(ctx context.Context) error { return db.Optimize(ctx, "d") }},
		{"repair quick", func(ctx context.Context) error { _, err := db.Repair(ctx, "d", true); return err }},
		{"check", func(ctx context.Context) error { _, err := db.Check(ctx, "d"); return err }},
	}
	check := func(t *testing.T, wantIndexes string, vType Type, v7 any) {
		t.Helper()
		d, err := db.Table("d")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ix := range d.Indexes {
			names = append(names, ix.Name)
		}
		if strings.Join(names, ",") != wantIndexes || d.Columns[1].Type != vType {
			t.Errorf("definition: indexes %v, v %v; want %s, %v", names, d.Columns[1].Type, wantIndexes, vType)
		}
		tx, err := db.Begin(bg)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		n := 0
		if err := tx.Scan("d", Scan{}, func(Handle, Row) (bool, error) { n++; return true, nil }); err != nil || n != rows {
			t.Errorf("scan: %d rows (%v), want %d", n, err, rows)
		}
		n = 0
		if err := tx.Scan("d", Scan{Index: "byv", Lo: Bound{Values: []any{v7}, Inclusive: true}, Hi: Bound{Values: []any{v7}, Inclusive: true}}, func(Handle, Row) (bool, error) { n++; return true, nil }); err != nil || n < rows/100 || n > rows/100+1 {
			t.Errorf("scan of byv = 7: %d rows (%v), want about %d", n, err, rows/100)
		}
		if rep, err := db.Check(bg, "d"); err != nil || !rep.OK {
			t.Errorf("check: %+v %v", rep, err)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if _, tmp := index.BuildTemp(e.Name()); tmp || strings.HasSuffix(e.Name(), rebuildSuffix) {
				t.Errorf("left in the database directory: %s", e.Name())
			}
		}
	}
	for _, s := range steps {
		for _, after := range []int64{1, 3, 6} {
			t.Run(fmt.Sprintf("%s/after=%d", s.name, after), func(t *testing.T) {
				ctx := &doneAfter{Context: bg}
				ctx.after.Store(after)
				err := s.run(ctx)
				if sqlerr.Code(err) != sqlerr.ErrQueryInterrupted {
					t.Fatalf("interrupted at check %d: %v, want 1317", after, err)
				}
				check(t, "byv", TypeBigInt, int64(7))
			})
		}
	}
	for _, s := range steps {
		if err := s.run(bg); err != nil {
			t.Fatalf("%s, not interrupted: %v", s.name, err)
		}
	}
	check(t, "byv,bys", TypeText, "7")
}
