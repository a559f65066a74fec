package sqlshim

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPreparedPointSelect is what blitz serve does for each point
// SELECT of bench/serve: a prepared SELECT v FROM sel WHERE id = ?
// executed with a new key each time, in autocommit; with a BIGINT key
// (the point-lookup path, pointselect.go) and a VARCHAR utf8mb4_bin one
// (the planner's), each under the connection collation blitz sql has
// (utf8mb4_bin) and the one go-sql-driver's handshake gives
// (utf8mb4_general_ci), which the key column's own collation overrides.
func BenchmarkPreparedPointSelect(b *testing.B) {
	for _, key := range []string{"bigint", "varchar"} {
		for _, conn := range []string{"utf8mb4_bin", "utf8mb4_general_ci"} {
			b.Run("key="+key+"/conn="+conn, func(b *testing.B) {
				benchPointSelect(b, key, conn)
			})
		}
	}
}

func benchPointSelect(b *testing.B, key, conn string) {
	s := newTestSession(b)
	defer s.Close()
	ctx := context.Background()
	typ := "BIGINT"
	if key == "varchar" {
		typ = "VARCHAR(20) COLLATE utf8mb4_bin"
	}
	keyOf := func(i int) any {
		if key == "varchar" {
			return fmt.Sprintf("key%07d", i)
		}
		return int64(i)
	}
	if _, err := s.Exec(ctx, "CREATE TABLE sel (id "+typ+" PRIMARY KEY, v VARCHAR(64) NOT NULL)"); err != nil {
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
	keys := make([]any, rows)
	for i := range rows {
		keys[i] = keyOf(i)
		if _, err := s.ExecPrepared(ctx, ins, []any{keys[i], "value of the row"}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Exec(ctx, "COMMIT"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Exec(ctx, "SET NAMES utf8mb4 COLLATE "+conn); err != nil {
		b.Fatal(err)
	}
	p, err := s.Prepare("SELECT v FROM sel WHERE id = ?")
	if err != nil {
		b.Fatal(err)
	}
	args := make([]any, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		args[0] = keys[i%rows]
		r, err := s.ExecPrepared(ctx, p, args)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Rows) != 1 {
			b.Fatalf("%d rows for id %v", len(r.Rows), args[0])
		}
	}
}
