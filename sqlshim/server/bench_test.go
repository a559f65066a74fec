package server

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
)

// BenchmarkServerStatements measures statements through the server and
// go-sql-driver in one process (client and server allocations both
// count): a point SELECT, and UPDATEs whose OK packets carry an info
// text (okinfo.go), in the text protocol and prepared.
func BenchmarkServerStatements(b *testing.B) {
	edb, err := engine.Open(filepath.Join(b.TempDir(), "e2e"), engine.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(NewSQLShimBackend(edb), Options{Listen: "127.0.0.1:0", Database: "e2e", ShutdownTimeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}()
	for _, proto := range []string{"text", "prepared"} {
		params := ""
		if proto == "text" {
			params = "&interpolateParams=true"
		}
		db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/e2e?timeout=5s%s", s.Addr(), params))
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		for _, q := range []string{"CREATE TABLE IF NOT EXISTS bt (a INT PRIMARY KEY, b INT)", "REPLACE INTO bt VALUES (1, 0), (2, 0)"} {
			if _, err := db.Exec(q); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(proto+"/select", func(b *testing.B) {
			b.ReportAllocs()
			var v int
			for i := 0; i < b.N; i++ {
				if err := db.QueryRow("SELECT b FROM bt WHERE a = ?", 2).Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(proto+"/update", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := db.Exec("UPDATE bt SET b = b + 1 WHERE a = ?", 1); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var v int
			if err := db.QueryRow("SELECT b FROM bt WHERE a = 1").Scan(&v); err != nil || v < b.N {
				b.Fatalf("b = %d after %d updates (%v)", v, b.N, err)
			}
		})
		db.Close()
	}
}
