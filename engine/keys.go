package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/blitzdb/blitz/internal/keyenc"
)

var jsonUnmarshal = json.Unmarshal

// appendKeyValue appends the memcomparable encoding of one value.
func appendKeyValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return keyenc.AppendNull(b)
	case int64:
		return keyenc.AppendInt(b, x)
	case uint64:
		return keyenc.AppendUint(b, x)
	case float64:
		return keyenc.AppendFloat(b, x)
	case decimal.Decimal:
		return keyenc.AppendDecimal(b, x)
	case string:
		return keyenc.AppendBytes(b, []byte(x))
	case []byte:
		return keyenc.AppendBytes(b, x)
	case time.Time:
		return keyenc.AppendInt(b, x.UnixMicro())
	}
	return keyenc.AppendBytes(b, []byte(fmt.Sprint(v)))
}

// colPositions maps column names to positions in d.
func colPositions(d *TableDef, names []string) []int {
	p := make([]int, len(names))
	for i, n := range names {
		p[i] = d.ColumnIndex(n)
	}
	return p
}

// encodeCols encodes the values of the columns at pos.
func encodeCols(b []byte, r Row, pos []int) []byte {
	for _, p := range pos {
		b = appendKeyValue(b, r[p])
	}
	return b
}

// showValues renders values as MySQL's duplicate-entry message does: joined
// with '-'.
func showValues(r Row, pos []int) string {
	parts := make([]string, len(pos))
	for i, p := range pos {
		parts[i] = valueText(r[p])
	}
	return strings.Join(parts, "-")
}
