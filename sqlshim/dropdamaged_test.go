package sqlshim

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// A table whose definition file is damaged answers 1194 and cannot be
// repaired (the definition is what REPAIR rebuilds from), so DROP TABLE
// must remove it, as MariaDB drops a crashed table: it used to answer
// "Unknown table" and leave the user no way out but deleting files.
func TestDropTableDamagedDefinition(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("blitz", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT, KEY kv (v))",
		"INSERT INTO t VALUES (1, 2)",
		"CREATE TABLE u (id INT PRIMARY KEY)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	if err := os.WriteFile(filepath.Join(dir, "t.def"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err = sql.Open("blitz", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("SELECT * FROM t"); errCode(err) != sqlerr.ErrCrashedTable {
		t.Fatalf("SELECT from a damaged definition: %v, want 1194", err)
	}
	if _, err := db.Exec("DROP TABLE t, u"); err != nil {
		t.Fatalf("DROP TABLE of a damaged definition: %v", err)
	}
	if _, err := db.Exec("DROP TABLE t"); errCode(err) != sqlerr.ErrUnknownTable {
		t.Fatalf("second DROP TABLE: %v, want 1051", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "t.*"))
	if len(left) > 0 {
		t.Fatalf("files left after the drop: %v", left)
	}
	if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatalf("CREATE TABLE after the drop: %v", err)
	}
}
