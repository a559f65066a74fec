package sqlshim

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestDriverReadOnlyTx: database/sql's BeginTx with ReadOnly starts a
// READ ONLY transaction, whose writes fail with 1792; the next one writes.
func TestDriverReadOnlyTx(t *testing.T) {
	db, err := sql.Open("blitz", filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t (a INT)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(t.Context(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); sqlerr.Code(err) != 1792 {
		t.Errorf("write in a read-only transaction: %v, want error 1792", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO t VALUES (2)"); err != nil {
		t.Errorf("write after it: %v", err)
	}
}
