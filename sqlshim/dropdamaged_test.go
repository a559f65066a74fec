package sqlshim

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
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
	// SHOW TABLES lists it, as MariaDB lists a table whose .frm it cannot
	// read, so that the user finds it; SHOW TABLE STATUS shows it crashed.
	if got := queryStrings(t, db, "SHOW TABLES"); strings.Join(got, ",") != "t,u" {
		t.Fatalf("SHOW TABLES with t damaged: %v, want t,u", got)
	}
	var name, state string
	rows, err := db.Query("SHOW TABLE STATUS LIKE 't'")
	if err != nil {
		t.Fatalf("SHOW TABLE STATUS with t damaged: %v", err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(sql.NullString)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		name, state = vals[0].(*sql.NullString).String, vals[len(vals)-1].(*sql.NullString).String
	}
	rows.Close()
	if name != "t" || state != "crashed" {
		t.Fatalf("SHOW TABLE STATUS of the damaged table: name %q state %q, want t crashed", name, state)
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

// queryStrings returns the first column of each row q returns.
func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
