package sqlshim

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkFKCascadeDeleteSQL is DELETE FROM p WHERE id > n/4 over n
// parents with two rows each in an ON DELETE CASCADE and an ON DELETE SET
// NULL child table (each key column indexed), the reported slow case.
// ns/row is per cascaded child row: it should stay flat as n grows.
func BenchmarkFKCascadeDeleteSQL(b *testing.B) {
	ctx := context.Background()
	for _, opt := range []string{"", ", CRASH_SAFE"} {
		for _, n := range []int{1000, 2000, 4000, 8000} {
			b.Run(fmt.Sprintf("crashsafe=%v/parents=%d", opt != "", n), func(b *testing.B) {
				var rows int64
				for b.Loop() {
					b.StopTimer()
					s := newTestSession(b)
					for _, q := range []string{
						"SET max_recursive_iterations = 100000",
						"CREATE TABLE p (id INT PRIMARY KEY) ENGINE = BLITZDB" + opt,
						"CREATE TABLE cc (id INT PRIMARY KEY, pid INT, KEY (pid), FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE) ENGINE = BLITZDB" + opt,
						"CREATE TABLE cn (id INT PRIMARY KEY, pid INT, KEY (pid), FOREIGN KEY (pid) REFERENCES p (id) ON DELETE SET NULL) ENGINE = BLITZDB" + opt,
						fmt.Sprintf("INSERT INTO p WITH RECURSIVE s (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i FROM s", n),
						"INSERT INTO cc SELECT id, id FROM p",
						fmt.Sprintf("INSERT INTO cc SELECT id + %d, id FROM p", n),
						"INSERT INTO cn SELECT * FROM cc",
					} {
						if _, err := s.Exec(ctx, q); err != nil {
							b.Fatalf("%s: %v", q, err)
						}
					}
					b.StartTimer()
					r, err := s.ExecOne(ctx, fmt.Sprintf("DELETE FROM p WHERE id > %d", n/4), nil)
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					rows += 4 * int64(r.AffectedRows)
					s.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
			})
		}
	}
}
