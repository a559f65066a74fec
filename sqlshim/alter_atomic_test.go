package sqlshim

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/vfs"
)

// An ALTER TABLE of several changes to columns and indexes takes effect
// wholly or not at all across a crash, as in MariaDB: the power is cut at
// every sync point of the statement, and after recovery the table has the
// old definition or the new one, its rows intact. Each change used to be
// an engine call of its own, and a kill -9 between them left e.g. the
// column modified and the index missing (found by autorecover's
// TestKill9DDLTorture).
func TestAlterSeveralChangesAtomic(t *testing.T) {
	ctx := context.Background()
	for _, alter := range []string{
		"ALTER TABLE t MODIFY v VARCHAR(500) NOT NULL, ADD UNIQUE INDEX ug (g, id)",
		"ALTER TABLE t ADD COLUMN x INT DEFAULT 7, ADD INDEX ix (x)",
		"ALTER TABLE t DROP INDEX gi, ADD INDEX gv (g, v(10)), DROP COLUMN w",
	} {
		t.Run(alter, func(t *testing.T) {
			show := func(db *engine.DB) string {
				s := NewSession(db)
				defer s.Close()
				res, err := s.ExecOne(ctx, "SHOW CREATE TABLE t", nil)
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(res.Rows[0][1])
			}
			var before, after string // the definitions before and after the ALTER, by a run without a cut
			cuts, afterCuts := alterCutLoop(t, `CREATE TABLE t (id INT PRIMARY KEY, g INT NOT NULL, v VARCHAR(400) NOT NULL, w INT, KEY gi (g)) CRASH_SAFE;
					INSERT INTO t VALUES (1, 1, 'a', 1), (2, 1, 'b', NULL), (3, 2, 'c', 3)`, alter, 100, 1,
				func(db *engine.DB, s *Session) {
					before = show(db)
					if _, err := s.ExecOne(ctx, alter, nil); err != nil {
						t.Fatal(err)
					}
					after = show(db)
				},
				func(k int, db *engine.DB) bool {
					got := show(db)
					if got != after && got != before {
						t.Errorf("k=%d: after the cut the table is neither as before nor as after the ALTER:\n%s\nbefore:\n%s\nafter:\n%s", k, got, before, after)
					}
					s := NewSession(db)
					defer s.Close()
					res, err := s.ExecOne(ctx, "SELECT id, g, v FROM t ORDER BY id", nil)
					if err != nil || fmt.Sprint(res.Rows) != "[[1 1 a] [2 1 b] [3 2 c]]" {
						t.Errorf("k=%d: rows after the cut: %v, %v", k, res.Rows, err)
					}
					if res, err := s.ExecOne(ctx, "CHECK TABLE t", nil); err != nil || fmt.Sprint(res.Rows[len(res.Rows)-1][3]) != "OK" {
						t.Errorf("k=%d: CHECK TABLE: %v, %v", k, res.Rows, err)
					}
					return got == after
				})
			if afterCuts == 0 || afterCuts == cuts {
				t.Errorf("%d cuts, %d of them after the ALTER took effect: the cuts do not straddle it", cuts, afterCuts)
			}
		})
	}
}

// TestAlterComputedColumnsPowerCut cuts the power at every sync point of
// an ALTER TABLE that adds a generated column or a column with a DEFAULT
// expression. Such an ALTER is two steps (the new definition, then the
// rows' values); a cut between them used to leave every row with NULL in
// the new column while CHECK TABLE said OK (found by kill -9 of blitz
// sql). Now the first statement after the restart finishes it: the column
// is absent (the ALTER did not take effect) or holds the computed value
// in every row.
func TestAlterComputedColumnsPowerCut(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ alter, col, want string }{
		{"ALTER TABLE t ADD COLUMN gg INT AS (g+1) STORED", "gg", "g+1"},
		{"ALTER TABLE t ADD COLUMN d INT DEFAULT (g*2)", "d", "g*2"},
		{"ALTER TABLE t ADD COLUMN vv INT AS (g*3) VIRTUAL, ADD INDEX (vv)", "vv", "g*3"},
	} {
		t.Run(c.alter, func(t *testing.T) {
			cuts, finished := alterCutLoop(t, `CREATE TABLE t (id INT PRIMARY KEY, g INT NOT NULL) CRASH_SAFE;
					INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)`, c.alter, 100, 1, nil,
				func(k int, db *engine.DB) bool {
					s := NewSession(db)
					defer s.Close()
					def, err := db.Table("t")
					if err != nil {
						t.Fatal(err)
					}
					if res, err := s.ExecOne(ctx, "CHECK TABLE t", nil); err != nil || fmt.Sprint(res.Rows[len(res.Rows)-1][3]) != "OK" {
						t.Errorf("k=%d: CHECK TABLE: %v, %v", k, res.Rows, err)
					}
					if def.ColumnIndex(c.col) < 0 {
						return false
					}
					res, err := s.ExecOne(ctx, "SELECT COUNT(*) FROM t WHERE "+c.col+" IS NULL OR "+c.col+" <> "+c.want, nil)
					if err != nil || fmt.Sprint(res.Rows) != "[[0]]" {
						t.Errorf("k=%d: rows whose %s is not %s: %v, %v", k, c.col, c.want, res.Rows, err)
					}
					if def, _ := db.Table("t"); len(def.Fill) > 0 {
						t.Errorf("k=%d: still marked for filling: %v", k, def.Fill)
					}
					return true
				})
			if cuts == 0 || finished == 0 {
				t.Fatalf("%d cuts, %d with the column: the cuts do not straddle the ALTER", cuts, finished)
			}
			t.Logf("%d cuts, %d with the column", cuts, finished)
		})
	}
}

// TestAlterMixedChangesAtomic is TestAlterSeveralChangesAtomic for ALTER
// TABLE statements that mix kinds of change: columns and indexes with
// CHECK constraints, foreign keys, table options, index renames and RENAME
// TO. The power is cut at every sync point; after recovery the table
// (under its old name or its new one) is wholly as before or wholly as
// after, its rows intact. A kill -9 of blitz sql left e.g. t2 without the
// column an ALTER TABLE t RENAME TO t2, ADD COLUMN added, or the column
// without the CHECK added with it.
func TestAlterMixedChangesAtomic(t *testing.T) {
	ctx := context.Background()
	// A power cut inside DB.Close, after the data file is marked clean and
	// before the definition gets the exact counter, leaves the
	// AUTO_INCREMENT counter at its reservation (4096 above) after the
	// restart, with or without an ALTER: the tables are compared without
	// AUTO_INCREMENT = N, and an ALTER's AUTO_INCREMENT (above the
	// reservation) must be reached after it.
	counter := regexp.MustCompile(` AUTO_INCREMENT=([0-9]+)`)
	noCounter := func(s string) string { return counter.ReplaceAllString(s, "") }
	counterOf := func(s string) int {
		n := 0
		if m := counter.FindStringSubmatch(s); m != nil {
			fmt.Sscan(m[1], &n)
		}
		return n
	}
	for _, alter := range []string{
		"ALTER TABLE t RENAME TO t2, ADD COLUMN x INT",
		"ALTER TABLE t ADD COLUMN x INT, ADD CONSTRAINT ck CHECK (g >= 0)",
		"ALTER TABLE t ADD CONSTRAINT ck CHECK (g >= 0), DROP INDEX gi",
		"ALTER TABLE t DROP CHECK cw, MODIFY v VARCHAR(500) NOT NULL",
		"ALTER TABLE t MODIFY v VARCHAR(500) NOT NULL, COMMENT = 'changed'",
		"ALTER TABLE t DROP FOREIGN KEY fk, ADD COLUMN x INT",
		"ALTER TABLE t RENAME INDEX gi TO gj, ADD COLUMN x INT",
		"ALTER TABLE t ADD COLUMN x INT, ADD COLUMN y INT DEFAULT 5",
		"ALTER TABLE t ADD COLUMN x INT CHECK (x > 0), ADD INDEX vx (v(5))",
		"ALTER TABLE t CONVERT TO CHARACTER SET latin1, ADD COLUMN x INT",
		"ALTER TABLE t RENAME COLUMN v TO vv, RENAME TO t2",
		"ALTER TABLE t RENAME TO t2, COMMENT = 'moved', ADD CONSTRAINT ck CHECK (g >= 0)",
		"ALTER TABLE t ADD INDEX gw (g, w), RENAME TO t2, DROP CHECK cw",
		"ALTER TABLE t ADD COLUMN x INT CHECK (x > 0)",
		"ALTER TABLE t ADD COLUMN (x INT, y INT DEFAULT 5)",
		"ALTER TABLE t DROP CONSTRAINT cw, ADD CONSTRAINT cg CHECK (g < 10), RENAME INDEX gi TO gj",
		"ALTER TABLE t ADD COLUMN x INT, AUTO_INCREMENT = 10000",
		"ALTER TABLE t AUTO_INCREMENT = 10000, COMMENT = 'c'",
		"ALTER TABLE t DROP CONSTRAINT cw, AUTO_INCREMENT = 20000",
	} {
		t.Run(alter, func(t *testing.T) {
			// show is the table's SHOW CREATE TABLE, under whichever
			// name it has, and its rows.
			show := func(db *engine.DB) (string, string) {
				s := NewSession(db)
				defer s.Close()
				name := "t"
				if _, err := db.Table("t"); err != nil {
					name = "t2"
				}
				res, err := s.ExecOne(ctx, "SHOW CREATE TABLE "+name, nil)
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprint(res.Rows[0][1]), name
			}
			var before, after string
			cuts, afterCuts := alterCutLoop(t, `CREATE TABLE p (id INT PRIMARY KEY) CRASH_SAFE;
					INSERT INTO p VALUES (1), (2), (3);
					CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, g INT NOT NULL, v VARCHAR(400) NOT NULL, w INT,
						KEY gi (g), CONSTRAINT cw CHECK (w < 100), CONSTRAINT fk FOREIGN KEY (w) REFERENCES p (id)) CRASH_SAFE;
					INSERT INTO t VALUES (1, 1, 'a', 1), (2, 1, 'b', NULL), (3, 2, 'c', 3)`, alter, 200, 1,
				func(db *engine.DB, s *Session) {
					before, _ = show(db)
					if _, err := s.ExecOne(ctx, alter, nil); err != nil {
						t.Fatal(err)
					}
					after, _ = show(db)
					if after == before {
						t.Fatal("the ALTER changed nothing")
					}
				},
				func(k int, db *engine.DB) bool {
					got, name := show(db)
					done := noCounter(got) == noCounter(after)
					if done {
						if want := counterOf(after); want > 4096 && counterOf(got) < want {
							t.Errorf("k=%d: after the cut the table has the ALTER's changes but not its AUTO_INCREMENT = %d:\n%s", k, want, got)
						}
					} else if want := counterOf(after); noCounter(got) == noCounter(before) && want > 4096 && counterOf(got) >= want {
						t.Errorf("k=%d: after the cut the table has the ALTER's AUTO_INCREMENT = %d but not its other changes:\n%s", k, want, got)
					} else if noCounter(got) != noCounter(before) {
						t.Errorf("k=%d: after the cut the table is neither as before nor as after the ALTER:\n%s\nbefore:\n%s\nafter:\n%s", k, got, before, after)
					}
					s := NewSession(db)
					defer s.Close()
					res, err := s.ExecOne(ctx, "SELECT id, g FROM "+name+" ORDER BY id", nil)
					if err != nil || fmt.Sprint(res.Rows) != "[[1 1] [2 1] [3 2]]" {
						t.Errorf("k=%d: rows after the cut: %v, %v", k, res, err)
					}
					if res, err := s.ExecOne(ctx, "CHECK TABLE "+name, nil); err != nil || fmt.Sprint(res.Rows[len(res.Rows)-1][3]) != "OK" {
						t.Errorf("k=%d: CHECK TABLE: %v, %v", k, res, err)
					}
					return done
				})
			if afterCuts == 0 || afterCuts == cuts {
				t.Errorf("%d cuts, %d of them after the ALTER took effect: the cuts do not straddle it", cuts, afterCuts)
			}
			t.Logf("%d cuts, %d after", cuts, afterCuts)
		})
	}
}

// alterCutLoop is the loop of the ALTER power-cut tests. On a new CrashFS
// database set up by setup it first runs baseline (if not nil), which runs
// alter whole and notes the database before and after it; then, each on a
// database set up anew, alter with the power cut at sync point k = 1,
// 1+step, ... up to maxK, until alter ends before the cut. check gets each
// database as auto-recovery opens it after a cut and reports whether the
// ALTER took effect there. It returns the number of cuts and of those after
// which the ALTER had taken effect, and fails the test if there was no cut.
func alterCutLoop(t *testing.T, setup, alter string, maxK, step int, baseline func(db *engine.DB, s *Session), check func(k int, db *engine.DB) (done bool)) (cuts, doneCuts int) {
	t.Helper()
	ctx := context.Background()
	first := 1
	if baseline != nil {
		first = 0 // k = 0: no cut
	}
	for k := first; k <= maxK; k = max(k+step, 1) {
		fs, dir, db := openCrashDB(t)
		s := NewSession(db)
		if _, err := s.Exec(ctx, setup); err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			baseline(db, s)
			s.Close()
			db.Close()
			continue
		}
		db = cutAndReopen(t, fs, dir, db, s, k, alter)
		if db == nil {
			break
		}
		cuts++
		if check(k, db) {
			doneCuts++
		}
		db.Close()
	}
	if cuts == 0 {
		t.Fatal("no cut happened: the test checks nothing")
	}
	return cuts, doneCuts
}

// openCrashDB opens a new database on a CrashFS of its own, in a
// temporary directory: the start of each cut of the tests here.
func openCrashDB(t *testing.T) (*vfs.CrashFS, string, *engine.DB) {
	t.Helper()
	fs := vfs.NewCrash()
	dir := t.TempDir()
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := engine.Open(dir, engine.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return fs, dir, db
}

// cutAndReopen runs stmt on s with the power cut at sync point k of fs,
// closes s and db, and opens dir as the cut left it, with auto-recovery.
// It returns nil, with nothing open, if stmt ended before sync point k.
func cutAndReopen(t *testing.T, fs *vfs.CrashFS, dir string, db *engine.DB, s *Session, k int, stmt string) *engine.DB {
	t.Helper()
	fs.CutPowerAtSync(k, int64(k))
	s.ExecOne(context.Background(), stmt, nil) // fails at the cut
	s.Close()
	db.Close()
	if !fs.IsCut() {
		return nil
	}
	db, err := engine.Open(dir, engine.Options{FS: fs.AfterCut(), AutoRecover: true})
	if err != nil {
		t.Fatalf("k=%d: open after the cut: %v", k, err)
	}
	return db
}
