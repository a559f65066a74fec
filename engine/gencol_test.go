package engine

import (
	"bytes"
	"strings"
	"testing"
)

// genDef has a virtual and a stored generated column and a default
// expression (definition format 5).
func genDef() *TableDef {
	return &TableDef{Name: "g", PrimaryKey: []string{"id"}, Columns: []Column{
		{Name: "id", Type: TypeInt, NotNull: true},
		{Name: "a", Type: TypeInt},
		{Name: "v", Type: TypeInt, Generated: "`a` * 2"},
		{Name: "s", Type: TypeVarChar, Length: 10, Generated: "concat('x',`a`)", Stored: true},
		{Name: "d", Type: TypeInt, DefaultExpr: "(`a` + 1)"},
	}, Indexes: []IndexDef{{Name: "v", Columns: []string{"v"}}}}
}

// TestGeneratedDefFormat: a table with a generated column or a default
// expression is definition format 5 and round-trips, through the file
// and a reopen; a table without keeps its older format and bytes; files
// older builds wrote still open; an older reader's limit (format 5 in a
// build that knows 4) is the error such a build gives.
func TestGeneratedDefFormat(t *testing.T) {
	d := genDef()
	b, err := encodeDef(d, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format": 5`, `"generated": "` + "`a` * 2" + `"`, `"stored": true`, `"default_expr": "(` + "`a` + 1)" + `"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("encoded definition lacks %s:\n%s", want, b)
		}
	}
	got, _, err := decodeDef(b, "g.def")
	if err != nil {
		t.Fatal(err)
	}
	if !sameDef(got, d) || got.Columns[2].Generated != "`a` * 2" || got.Columns[2].Stored || !got.Columns[3].Stored || got.Columns[4].DefaultExpr != "(`a` + 1)" {
		t.Errorf("definition does not round-trip: %+v", got.Columns)
	}
	// Only the default expression: format 5 as well.
	onlyDefault := &TableDef{Name: "e", Columns: []Column{{Name: "a", Type: TypeInt}, {Name: "b", Type: TypeInt, DefaultExpr: "(`a` + 1)"}}}
	if eb, _ := encodeDef(onlyDefault, 0, 0, 0); !bytes.Contains(eb, []byte(`"format": 5`)) {
		t.Errorf("a default expression alone:\n%s", eb)
	}
	// A table without them keeps format 1 and writes none of the fields.
	plain := &TableDef{Name: "p", Columns: []Column{{Name: "a", Type: TypeInt}}}
	pb, _ := encodeDef(plain, 0, 0, 0)
	if !bytes.Contains(pb, []byte(`"format": 1`)) || bytes.Contains(pb, []byte("generated")) || bytes.Contains(pb, []byte("default_expr")) {
		t.Errorf("plain table:\n%s", pb)
	}
	// Files as builds before format 5 wrote them open, with no expressions.
	for _, old := range []string{
		`{"format": 1, "table": {"name": "o", "columns": [{"name": "id", "type": "INT", "not_null": true}, {"name": "n", "type": "VARCHAR", "length": 10, "has_default": true, "default": "x"}], "primary_key": ["id"]}, "auto_reserved": 0, "rowid_reserved": 0, "written": "2026-01-01T00:00:00Z"}`,
		`{"format": 4, "table": {"name": "o", "columns": [{"name": "id", "type": "INT", "not_null": true}, {"name": "n", "type": "VARCHAR", "length": 10, "collation": "utf8mb4_general_ci"}], "primary_key": ["id"]}, "auto_reserved": 7, "rowid_reserved": 0, "written": "2026-01-01T00:00:00Z"}`,
	} {
		od, ctr, err := decodeDef([]byte(old), "o.def")
		if err != nil {
			t.Fatalf("old definition: %v", err)
		}
		if len(od.Columns) != 2 || od.Columns[1].Generated != "" || od.Columns[1].DefaultExpr != "" || od.Columns[1].Stored {
			t.Errorf("old definition read as %+v", od.Columns)
		}
		if strings.Contains(old, `"format": 4`) && (ctr.autoRes != 7 || od.Columns[1].Collation == nil) {
			t.Errorf("format 4 definition lost its collation or counters: %+v %+v", od.Columns[1], ctr)
		}
	}
	// The fields in a file that claims an older format are not taken: the
	// writer would have said 5.
	old4 := bytes.Replace(unsummed(b), []byte(`"format": 5`), []byte(`"format": 4`), 1)
	if od, _, err := decodeDef(old4, "g.def"); err != nil || od.Columns[2].Generated != "" {
		t.Errorf("format 4 with format 5's fields: %v, %+v", err, od)
	}
	if _, _, err := decodeDef(bytes.Replace(unsummed(b), []byte(`"format": 5`), []byte(`"format": 99`), 1), "g.def"); err == nil || !strings.Contains(err.Error(), "unsupported format 99") {
		t.Errorf("format 99: %v", err)
	}

	// Through the files: create, write a row with its computed values,
	// reopen, and find the definition and the row by the virtual column's
	// index.
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, genDef()); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "g", Row{int64(1), int64(21), int64(42), "x21", int64(22)})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	rd, err := db.Table("g")
	if err != nil {
		t.Fatal(err)
	}
	if !sameDef(rd, genDef()) {
		t.Errorf("reopened definition %+v", rd.Columns)
	}
	tx, _ := db.Begin(bg)
	defer tx.Rollback()
	n := 0
	b42 := Bound{Values: []any{int64(42)}, Inclusive: true}
	if err := tx.Scan("g", Scan{Index: "v", Lo: b42, Hi: b42}, func(_ Handle, r Row) (bool, error) {
		n++
		return true, nil
	}); err != nil || n != 1 {
		t.Errorf("scan of v = 42 after reopen: %d rows, %v", n, err)
	}
}
