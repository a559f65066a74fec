package sqlshim

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestAlterForceKeyFormat: a table written before key format 2 (the
// engine's fixture testdata/keyformat1, with primary keys 'a' and 'a ')
// answers queries as before; ALTER TABLE ... FORCE, which rebuilds it in
// key format 2, reports the duplicate and keeps both rows until one goes.
func TestAlterForceKeyFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fix := "../engine/testdata/keyformat1/"
	def, err := os.ReadFile(fix + "old.def")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.def"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fix + "old.bdf.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	bdf, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.bdf"), bdf, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := NewSession(db)
	rows := func(q string) string {
		t.Helper()
		r := mustRun(t, s, q)
		var out []string
		for _, row := range r.Rows {
			out = append(out, fmt.Sprint(row...))
		}
		return strings.Join(out, " ")
	}
	const all = "[a]1 [a ]2 [b]3"
	if got := rows("SELECT CONCAT('[', a, ']'), n FROM old ORDER BY n"); got != all {
		t.Fatalf("rows: %s", got)
	}
	if got := rows("SELECT n FROM old WHERE a = 'a ' ORDER BY n"); got != "1 2" {
		t.Errorf("a = 'a ': %s", got)
	}
	if got := rows("CHECK TABLE old"); !strings.Contains(got, "checknotekeys of key format 1") || !strings.HasSuffix(got, "checkstatusOK") {
		t.Errorf("CHECK TABLE: %s", got)
	}
	_, err = s.ExecOne(context.Background(), "ALTER TABLE old FORCE", nil)
	if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "for key 'PRIMARY'") {
		t.Fatalf("ALTER TABLE FORCE with 'a' and 'a ': %v", err)
	}
	if got := rows("SELECT CONCAT('[', a, ']'), n FROM old ORDER BY n"); got != all {
		t.Fatalf("rows after the failed ALTER: %s", got)
	}
	mustRun(t, s, "UPDATE old SET b = 'x  ' WHERE n = 1")
	mustRun(t, s, "DELETE FROM old WHERE n = 2")
	mustRun(t, s, "ALTER TABLE old FORCE")
	if d, _ := db.Table("old"); d.LegacyKeys {
		t.Fatal("still of key format 1 after ALTER TABLE FORCE")
	}
	_, err = s.ExecOne(context.Background(), "INSERT INTO old VALUES ('a ', 'v', 4)", nil)
	if sqlerr.Code(err) != sqlerr.ErrDupEntry || !strings.Contains(err.Error(), "Duplicate entry 'a ' for key 'PRIMARY'") {
		t.Errorf("insert of 'a ' after the conversion: %v", err)
	}
	if got := rows("SELECT CONCAT('[', b, ']'), n FROM old WHERE a = 'a   '"); got != "[x  ]1" {
		t.Errorf("a = 'a   ' after the conversion: %s", got)
	}
}

// TestCreateLikeKeyFormat: CREATE TABLE ... LIKE a key-format-1 table
// makes a table of key format 2.
func TestCreateLikeKeyFormat(t *testing.T) {
	s := newTestSession(t)
	mustRun(t, s, "CREATE TABLE a1 (a VARCHAR(10) PRIMARY KEY)")
	def, err := s.db.Table("a1")
	if err != nil {
		t.Fatal(err)
	}
	def.Name, def.LegacyKeys = "old1", true
	if err := s.db.CreateTable(context.Background(), def); err != nil {
		t.Fatal(err)
	}
	mustRun(t, s, "INSERT INTO old1 VALUES ('a'), ('a ')")
	mustRun(t, s, "CREATE TABLE new1 LIKE old1")
	mustRun(t, s, "INSERT INTO new1 VALUES ('a')")
	if _, err := s.ExecOne(context.Background(), "INSERT INTO new1 VALUES ('a ')", nil); sqlerr.Code(err) != sqlerr.ErrDupEntry {
		t.Errorf("insert of 'a ' next to 'a' in the copy: %v", err)
	}
}
