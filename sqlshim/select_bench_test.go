package sqlshim

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSelectRange: a SELECT that is no point read (a range of 20 rows
// by primary key, and a filtered scan of 2,000), the per-query path of
// selectStmt.
func BenchmarkSelectRange(b *testing.B) {
	s := newTestSession(b)
	ctx := context.Background()
	if _, err := s.ExecOne(ctx, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20), n INT)", nil); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		if _, err := s.ExecOne(ctx, fmt.Sprintf("INSERT INTO t VALUES (%d, 'row %d', %d)", i, i, i%10), nil); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{
		"SELECT * FROM t WHERE id BETWEEN 100 AND 119",
		"SELECT id, s FROM t WHERE n = 3",
	} {
		p, err := s.Prepare(q)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ExecPrepared(ctx, p, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
