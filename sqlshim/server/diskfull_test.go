package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/go-sql-driver/mysql"
)

// TestServeDiskFullWAL: the served database's WAL cannot be written (a
// full disk): an INSERT into a CRASH_SAFE table fails with 1021 naming the
// WAL segment and leaves no row; reads go on; once space is freed the
// same server takes the INSERT, without a restart.
func TestServeDiskFullWAL(t *testing.T) {
	e := vfs.NewErrorFS(vfs.NewMem())
	e.SetError(syscall.ENOSPC)
	e.Only(func(p string) bool {
		return strings.Contains(p, string(filepath.Separator)+"wal"+string(filepath.Separator))
	})
	dir := filepath.Join(t.TempDir(), "e2e")
	if err := os.Mkdir(dir, 0o755); err != nil { // the index files live outside the vfs
		t.Fatal(err)
	}
	edb, err := engine.Open(dir, engine.Options{FS: e})
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, NewSQLShimBackend(edb), Options{Database: "e2e"})
	t.Cleanup(func() { edb.Close() })
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), KEY (v)) ENGINE = BLITZDB, CRASH_SAFE")
	mustExecS(t, db, "INSERT INTO t VALUES (1, 'one')")
	count := func() int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE v >= ''").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.FailAfter(1, vfs.OpWrite|vfs.OpPreallocate|vfs.OpTruncate, true)
	_, err = db.Exec("INSERT INTO t VALUES (2, 'two')")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1021 || !strings.Contains(me.Message, ".wal") {
		t.Fatalf("INSERT with the disk full = %v, want 1021 naming the WAL segment", err)
	}
	if n := count(); n != 1 {
		t.Fatalf("rows after the failed INSERT = %d, want 1", n)
	}
	e.Disarm() // space freed
	mustExecS(t, db, "INSERT INTO t VALUES (2, 'two')")
	if n := count(); n != 2 {
		t.Fatalf("rows after the INSERT with space back = %d, want 2", n)
	}
}
