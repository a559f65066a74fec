package sqlshim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser"
)

// BenchmarkParseOne: parsing a statement's text (the per-query path of a
// statement run by its text): a 100-row INSERT and a SELECT.
func BenchmarkParseOne(b *testing.B) {
	var ins strings.Builder
	ins.WriteString("INSERT INTO t (id, s, n) VALUES ")
	for i := 0; i < 100; i++ {
		if i > 0 {
			ins.WriteByte(',')
		}
		fmt.Fprintf(&ins, "(%d, 'row %d', %d)", i, i, i%7)
	}
	for name, q := range map[string]string{
		"insert100": ins.String(),
		"select":    "SELECT id, s FROM t WHERE n = 3 AND s LIKE 'row%' ORDER BY id DESC LIMIT 10",
	} {
		b.Run(name, func(b *testing.B) {
			p := parser.New()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseOne(p, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
