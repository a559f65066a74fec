package server

import (
	"strings"

	"github.com/dolthub/vitess/go/sqltypes"
)

// zeroDateFormatter is a date value that time.Time cannot hold
// (engine.ZeroDate: '0000-00-00', '2024-00-10'), which prints itself as
// a DATE or as a DATETIME with scale fractional digits.
type zeroDateFormatter interface {
	Format(dateOnly bool, scale int) string
}

// binaryZeroDates prepares r for the binary protocol: a DATE, DATETIME or
// TIMESTAMP that is all zeros goes out with length 0, as MariaDB sends
// the zero date (the protocol writer sends empty text so; it would
// otherwise send year, month and day 0, which drivers read as the day
// before 0001-01-01).
func binaryZeroDates(r *sqltypes.Result) {
	for j, f := range r.Fields {
		switch f.Type {
		case sqltypes.Date, sqltypes.Datetime, sqltypes.Timestamp:
		default:
			continue
		}
		for _, row := range r.Rows {
			v := row[j]
			if !v.IsNull() && len(v.Raw()) > 0 && strings.Trim(string(v.Raw()), "0-: .") == "" {
				row[j] = sqltypes.MakeTrusted(f.Type, []byte{})
			}
		}
	}
}
