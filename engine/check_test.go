package engine

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestChecksSurviveReopen stores CHECK constraints with a table and reads
// them back after a close and reopen, in their order.
func TestChecksSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	def := accountsDef("acct", false)
	def.Checks = []CheckDef{
		{Name: "balance", Column: "balance", Expr: "`balance` >= 0"},
		{Name: "CONSTRAINT_1", Expr: "`owner` <> `note`"},
	}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, Options{})
	got, err := db.Table("acct")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Checks, def.Checks) {
		t.Fatalf("checks after reopen = %+v, want %+v", got.Checks, def.Checks)
	}
	// A clone does not share the slice.
	c := got.Clone()
	c.Checks[0].Expr = "changed"
	if again, _ := db.Table("acct"); again.Checks[0].Expr != "`balance` >= 0" {
		t.Fatalf("Clone shares Checks: %+v", again.Checks)
	}
}

// TestChecksDefFormat: checks add an optional field and no format number;
// a definition file without the field reads as a table without checks,
// and a check without a condition is refused, naming the file.
func TestChecksDefFormat(t *testing.T) {
	def := accountsDef("f", false)
	plain, err := encodeDef(def, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	def.Checks = []CheckDef{{Name: "c", Expr: "`id` = 1"}}
	b, err := encodeDef(def, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"format": 1,`)) || !bytes.Contains(b, []byte(`"checks"`)) {
		t.Fatalf("definition with a check:\n%s", b)
	}
	if bytes.Contains(plain, []byte(`"checks"`)) {
		t.Fatalf("definition without checks names them:\n%s", plain)
	}
	old, _, err := decodeDef(plain, "f.def")
	if err != nil || len(old.Checks) != 0 {
		t.Fatalf("old file: checks %v, err %v", old.Checks, err)
	}
	bad := bytes.Replace(b, []byte("\"expr\": \"`id` = 1\""), []byte(`"expr": ""`), 1)
	if _, _, err := decodeDef(bad, "f.def"); err == nil || !strings.Contains(err.Error(), "f.def") {
		t.Fatalf("check without a condition: err %v", err)
	}
}
