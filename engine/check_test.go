package engine

import (
	"bytes"
	"path/filepath"
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
	def.LegacyKeys = true // key format 1, so that the checks alone decide the format
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

// TestChecksThroughBackupAndLog: the checks of a backed-up table, and
// those an ALTER adds after the backup, come back from Restore with the
// update log.
func TestChecksThroughBackupAndLog(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	def := itemsDef("items", false)
	def.Checks = []CheckDef{{Name: "CONSTRAINT_1", Expr: "`v` > 0"}}
	if err := db.CreateTable(bg, def); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	nd, err := db.Table("items")
	if err != nil {
		t.Fatal(err)
	}
	nd.Checks = append(nd.Checks, CheckDef{Name: "note", Column: "note", Expr: "`note` <> ''"})
	from := make([]int, len(nd.Columns))
	for i := range from {
		from[i] = i
	}
	if err := db.AlterColumns(bg, "items", nd, from); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := filepath.Join(root, "r")
	if _, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir}); err != nil {
		t.Fatal(err)
	}
	rdb := mustOpen(t, r, Options{})
	got, err := rdb.Table("items")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Checks, nd.Checks) {
		t.Fatalf("restored checks = %+v, want %+v", got.Checks, nd.Checks)
	}
}
