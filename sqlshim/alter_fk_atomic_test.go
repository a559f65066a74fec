package sqlshim

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/engine"
)

// TestAlterCrossTableAtomic is TestAlterMixedChangesAtomic for the ALTER
// TABLE forms whose effect reaches past one definition write: ADD FOREIGN
// KEY (its index, the key, the rows checked), RENAME TO with an
// AUTO_INCREMENT or with computed columns, a CHECK added with a computed
// column, a column rename that other tables' foreign keys follow, and
// FORCE with other changes. The power is cut at every sync point; after
// recovery the whole database (every table's SHOW CREATE TABLE and rows,
// under whichever name) is as before the ALTER or as after it, and the
// AUTO_INCREMENT an ALTER sets is there exactly when its other changes
// are. Each of these used to be several engine steps, and a kill -9
// between them left e.g. the index without the key, t2 with the old
// counter, the child still referencing a column that is gone.
func TestAlterCrossTableAtomic(t *testing.T) {
	ctx := context.Background()
	counter := regexp.MustCompile(` AUTO_INCREMENT=([0-9]+)`)
	noCounter := func(s string) string { return counter.ReplaceAllString(s, "") }
	// A restart resumes a counter at its reservation (4096 above the
	// last one written), with or without an ALTER: an ALTER's
	// AUTO_INCREMENT (above that) must be reached after it exactly when
	// its other changes are (see TestAlterMixedChangesAtomic).
	num := func(n string) int {
		v := 0
		fmt.Sscan(n, &v)
		return v
	}
	// The tables, created before each ALTER as it needs them.
	tables := map[string]string{
		"p": `CREATE TABLE p (id INT PRIMARY KEY, k INT NOT NULL, UNIQUE KEY uk (k)) CRASH_SAFE;
			INSERT INTO p VALUES (1, 10), (2, 20), (3, 30)`,
		"c": `CREATE TABLE c (id INT PRIMARY KEY, pk INT, CONSTRAINT fc FOREIGN KEY (pk) REFERENCES p (k)) CRASH_SAFE;
			INSERT INTO c VALUES (1, 10), (2, 30), (3, NULL)`,
		"t": `CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, g INT NOT NULL, v VARCHAR(40) NOT NULL, w INT) CRASH_SAFE;
			INSERT INTO t VALUES (1, 1, 'a', 1), (2, 1, 'b', NULL), (3, 2, 'c', 3)`,
		"gt": `CREATE TABLE gt (id INT PRIMARY KEY, g INT NOT NULL, gg INT AS (g * 2) STORED) CRASH_SAFE;
			INSERT INTO gt (id, g) VALUES (1, 1), (2, 5)`,
	}
	for _, c := range []struct{ alter, tables string }{
		// 1: ADD FOREIGN KEY, alone and with the column it is on.
		{"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (w) REFERENCES p (id)", "p t"},
		{"ALTER TABLE t ADD COLUMN x INT, ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES p (id)", "p t"},
		// 2: RENAME TO with AUTO_INCREMENT (above the 4096 reservation).
		{"ALTER TABLE t RENAME TO t2, AUTO_INCREMENT = 10000", "t"},
		{"ALTER TABLE t RENAME TO t2, ADD COLUMN x INT, AUTO_INCREMENT = 10000", "t"},
		// 3: RENAME TO of a table with computed columns.
		{"ALTER TABLE gt RENAME TO gt2, ADD COLUMN y INT DEFAULT 5", "gt"},
		{"ALTER TABLE t RENAME TO t2, ADD COLUMN d INT DEFAULT (g * 2)", "t"},
		// 4: a CHECK with a computed column.
		{"ALTER TABLE t ADD COLUMN gg INT AS (g + 1) STORED, ADD CONSTRAINT ck CHECK (gg > 0)", "t"},
		{"ALTER TABLE gt ADD COLUMN h INT AS (g - 1) VIRTUAL, ADD CONSTRAINT ck CHECK (h >= 0)", "gt"},
		// 5: a referenced column renamed: the child's key follows.
		{"ALTER TABLE p RENAME COLUMN k TO kk", "p c"},
		{"ALTER TABLE p CHANGE k kk INT NOT NULL, COMMENT = 'renamed'", "p c"},
		{"ALTER TABLE p RENAME COLUMN k TO kk, RENAME TO p2", "p c"},
		// 6: FORCE with other changes.
		{"ALTER TABLE t FORCE, COMMENT = 'forced'", "t"},
		{"ALTER TABLE t ADD COLUMN x INT, FORCE", "t"},
	} {
		alter := c.alter
		var setup []string
		for _, name := range strings.Fields(c.tables) {
			setup = append(setup, tables[name])
		}
		t.Run(alter, func(t *testing.T) {
			// state is every table of the database: its SHOW CREATE
			// TABLE (without AUTO_INCREMENT = N) and its rows; counters
			// holds each table's AUTO_INCREMENT = N.
			state := func(db *engine.DB) (string, map[string]string) {
				s := NewSession(db)
				defer s.Close()
				names := db.Tables()
				slices.Sort(names)
				var b strings.Builder
				counters := map[string]string{}
				for _, name := range names {
					res, err := s.ExecOne(ctx, "SHOW CREATE TABLE "+name, nil)
					if err != nil {
						t.Fatal(err)
					}
					def := fmt.Sprint(res.Rows[0][1])
					if m := counter.FindStringSubmatch(def); m != nil {
						counters[name] = m[1]
					}
					rows, err := s.ExecOne(ctx, "SELECT * FROM "+name+" ORDER BY 1", nil)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					fmt.Fprintf(&b, "%s\n%v\n", noCounter(def), rows.Rows)
				}
				return b.String(), counters
			}
			var before, after string
			var afterCounters map[string]string
			step := 1
			if testing.Short() {
				step = 3 // every third sync point
			}
			cuts, afterCuts := alterCutLoop(t, strings.Join(setup, ";\n"), alter, 300, step,
				func(db *engine.DB, s *Session) {
					before, _ = state(db)
					if _, err := s.ExecOne(ctx, alter, nil); err != nil {
						t.Fatal(err)
					}
					after, afterCounters = state(db)
					if after == before {
						t.Fatal("the ALTER changed nothing")
					}
				},
				func(k int, db *engine.DB) bool {
					// A statement first, so that an ALTER the cut left to
					// finish (TableDef.Fill) is finished.
					s := NewSession(db)
					defer s.Close()
					if _, err := s.ExecOne(ctx, "SELECT 1", nil); err != nil {
						t.Fatal(err)
					}
					got, counters := state(db)
					switch got {
					case after:
						for name, want := range afterCounters {
							if num(want) > 4096 && num(counters[name]) < num(want) {
								t.Errorf("k=%d: after the cut %s has the ALTER's changes but AUTO_INCREMENT=%s, below %s", k, name, counters[name], want)
							}
						}
					case before:
						for name, want := range afterCounters {
							if num(want) > 4096 && num(counters[name]) >= num(want) {
								t.Errorf("k=%d: after the cut %s has the ALTER's AUTO_INCREMENT=%s but not its other changes", k, name, want)
							}
						}
					default:
						t.Errorf("k=%d: after the cut the database is neither as before nor as after the ALTER:\n%s\nbefore:\n%s\nafter:\n%s", k, got, before, after)
					}
					for _, name := range db.Tables() {
						if res, err := s.ExecOne(ctx, "CHECK TABLE "+name, nil); err != nil || fmt.Sprint(res.Rows[len(res.Rows)-1][3]) != "OK" {
							t.Errorf("k=%d: CHECK TABLE %s: %v, %v", k, name, res, err)
						}
					}
					return got == after
				})
			if afterCuts == 0 || afterCuts == cuts && before != after {
				t.Errorf("%d cuts, %d of them after the ALTER took effect: the cuts do not straddle it", cuts, afterCuts)
			}
			t.Logf("%d cuts, %d after", cuts, afterCuts)
		})
	}
}
