package sqlshim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/blitzdb/blitz/engine"
)

// TestGeneratedIndexRebuild: the index over a virtual column is rebuilt
// from the data file after a kill -9 (auto-recovery) and by REPAIR
// TABLE, and answers as before: the engine, which rebuilds it without
// the SQL layer, finds the computed values stored in the rows.
func TestGeneratedIndexRebuild(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "db")
	open := func(dir string) (*engine.DB, *Session) {
		t.Helper()
		db, err := engine.Open(dir, engine.Options{AutoRecover: true})
		if err != nil {
			t.Fatal(err)
		}
		return db, NewSession(db)
	}
	exec := func(s *Session, q string) []Result {
		t.Helper()
		r, err := s.Exec(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return r
	}
	db, s := open(dir)
	exec(s, "CREATE TABLE g (id INT PRIMARY KEY, a INT, v INT AS (a * 10) VIRTUAL, w VARCHAR(20) AS (concat('w', a)) STORED, KEY (v), UNIQUE KEY (w))")
	for i := 1; i <= 200; i++ {
		exec(s, fmt.Sprintf("INSERT INTO g (id, a) VALUES (%d, %d)", i, i))
	}
	// Move half the rows: their old index entries must go.
	exec(s, "UPDATE g SET a = a + 1000 WHERE id % 2 = 0")
	check := func(stage string) {
		t.Helper()
		for _, c := range []struct {
			q    string
			want string
		}{
			{"SELECT COUNT(*) FROM g WHERE v = 30", "1"},
			{"SELECT COUNT(*) FROM g WHERE v = 40", "0"},
			{"SELECT id FROM g WHERE v = 10040", "4"},
			{"SELECT id FROM g WHERE w = 'w1004'", "4"},
			{"SELECT COUNT(*) FROM g WHERE v BETWEEN 10000 AND 20000", "100"},
		} {
			r := exec(s, c.q)
			if got := fmt.Sprint(r[0].Rows[0][0]); got != c.want {
				t.Errorf("%s: %s = %s, want %s", stage, c.q, got, c.want)
			}
		}
	}
	check("written")
	// kill -9: a copy of the files while the database is open, without
	// the clean close (the data file's open flag is set, the index files
	// carry no valid stamp).
	killed := filepath.Join(t.TempDir(), "killed")
	copyDirTree(t, dir, killed)
	// And the index files lost too: they can only come back from the rows.
	ix, _ := filepath.Glob(filepath.Join(killed, "g.*.bix"))
	if len(ix) != 2 {
		t.Fatalf("index files %v, want g's two", ix)
	}
	for _, p := range ix {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db.Close()
	db, s = open(killed)
	check("after kill -9 and recovery")
	exec(s, "REPAIR TABLE g")
	check("after REPAIR TABLE")
	s.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
