package sqlshim

import (
	"context"
	"testing"
)

// BenchmarkPreparedPointSelect is what blitz serve does for each point
// SELECT of bench/serve: a prepared SELECT v FROM sel WHERE id = ?
// executed with a new key each time, in autocommit.
func BenchmarkPreparedPointSelect(b *testing.B) {
	s := newTestSession(b)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Exec(ctx, "CREATE TABLE sel (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	const rows = 10000
	ins, err := s.Prepare("INSERT INTO sel VALUES (?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Exec(ctx, "BEGIN"); err != nil {
		b.Fatal(err)
	}
	for i := range rows {
		if _, err := s.ExecPrepared(ctx, ins, []any{int64(i), "value of the row"}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Exec(ctx, "COMMIT"); err != nil {
		b.Fatal(err)
	}
	p, err := s.Prepare("SELECT v FROM sel WHERE id = ?")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r, err := s.ExecPrepared(ctx, p, []any{int64(i % rows)})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Rows) != 1 {
			b.Fatalf("%d rows for id %d", len(r.Rows), i%rows)
		}
	}
}
