package sqlshim

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/benchcpu"
)

// BenchmarkPreparedInsert is what blitz serve does for each INSERT of
// bench/serve's insert load: a prepared INSERT INTO ins VALUES (?, ?)
// executed in autocommit with a new key each time, into a CRASH_SAFE
// table (the WAL without fsync, so that the statement's CPU shows).
func BenchmarkPreparedInsert(b *testing.B) {
	for _, tc := range []struct{ name, sql string }{
		{"values", "INSERT INTO ins VALUES (?, ?)"},
		{"columns", "INSERT INTO ins (id, v) VALUES (?, ?)"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := newTestSession(b)
			defer s.Close()
			ctx := context.Background()
			if _, err := s.Exec(ctx, "CREATE TABLE ins (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL) ENGINE = BLITZDB, CRASH_SAFE"); err != nil {
				b.Fatal(err)
			}
			p, err := s.Prepare(tc.sql)
			if err != nil {
				b.Fatal(err)
			}
			args := make([]any, 2)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchcpu.Now()
			for i := range b.N {
				args[0], args[1] = int64(i), "payload"
				r, err := s.ExecPrepared(ctx, p, args)
				if err != nil {
					b.Fatal(err)
				}
				if r.AffectedRows != 1 {
					b.Fatalf("%d rows affected", r.AffectedRows)
				}
			}
			b.StopTimer()
			benchcpu.Report(b, cpu)
			r, err := s.ExecOne(ctx, "SELECT COUNT(*) FROM ins", nil)
			if err != nil || r.Rows[0][0] != int64(b.N) {
				b.Fatalf("%v rows (%v), want %d", r.Rows, err, b.N)
			}
		})
	}
}

// BenchmarkPreparedInsertParallel is BenchmarkPreparedInsert from 16
// sessions at once, as bench/serve's 16 connections: their commits share
// WAL groups, and the locks they share show. With sync=full each group
// waits for its fdatasync, so that groups of about 16 commits form, as in
// bench/serve, and cpu-ns/op is mostly the statement's own CPU.
func BenchmarkPreparedInsertParallel(b *testing.B) {
	for _, mode := range []struct {
		name string
		sync engine.SyncMode
	}{{"sync=off", engine.SyncOff}, {"sync=full", engine.SyncFull}} {
		b.Run(mode.name, func(b *testing.B) { benchParallelInsert(b, mode.sync) })
	}
}

func benchParallelInsert(b *testing.B, sync engine.SyncMode) {
	db, err := engine.Open(filepath.Join(b.TempDir(), "db"), engine.Options{Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	setup := NewSession(db)
	defer setup.Close()
	if _, err := setup.Exec(ctx, "CREATE TABLE ins (id BIGINT PRIMARY KEY, v VARCHAR(64) NOT NULL) ENGINE = BLITZDB, CRASH_SAFE"); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(8) // 16 goroutines on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Now()
	b.RunParallel(func(pb *testing.PB) {
		s := NewSession(db)
		defer s.Close()
		p, err := s.Prepare("INSERT INTO ins VALUES (?, ?)")
		if err != nil {
			b.Error(err)
			return
		}
		args := make([]any, 2)
		for pb.Next() {
			args[0], args[1] = next.Add(1), "payload"
			if _, err := s.ExecPrepared(ctx, p, args); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	benchcpu.Report(b, cpu)
	r, err := setup.ExecOne(ctx, "SELECT COUNT(*) FROM ins", nil)
	if err != nil || r.Rows[0][0] != next.Load() {
		b.Fatalf("%v rows (%v), want %d", r.Rows, err, next.Load())
	}
}
