package sqlshim

import (
	"context"
	"testing"
)

// TestConnectionCollation: a session compares string literals and
// parameters under the collation a server gives it
// (SetConnectionCollation), by MariaDB's names, with blitz's stand-ins
// for the collations it does not have; it starts with utf8mb4_bin, as
// blitz sql and the driver report it.
func TestConnectionCollation(t *testing.T) {
	s := newTestSession(t)
	ctx := context.Background()
	p, err := s.Prepare("SELECT @@collation_connection, 'a' = 'A', ? = 'A', 'a ' = 'a', 'é' = 'E'")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set, name       string
		ci, pad, accent int64
	}{
		{"-", "utf8mb4_bin", 0, 1, 0}, // a new session
		{"utf8mb3_general_ci", "utf8mb3_general_ci", 1, 1, 1},
		{"utf8mb4_unicode_520_ci", "utf8mb4_unicode_520_ci", 1, 1, 1},
		{"latin1_swedish_ci", "latin1_swedish_ci", 1, 1, 1}, // as utf8mb4_general_ci
		{"binary", "binary", 0, 0, 0},                       // bytes: trailing spaces count
		{"utf8mb4_nopad_bin", "utf8mb4_nopad_bin", 0, 0, 0},
		{"cp1251_general_ci", "cp1251_general_ci", 1, 1, 1}, // no stand-in: a _ci is utf8mb4_general_ci
		{"", "utf8mb4_bin", 0, 1, 0},
	} {
		if tc.set != "-" {
			s.SetConnectionCollation(tc.set)
		}
		r, err := s.ExecPrepared(ctx, p, []any{"a"})
		if err != nil {
			t.Fatal(err)
		}
		row := r.Rows[0]
		if row[0] != tc.name || row[1] != tc.ci || row[2] != tc.ci || row[3] != tc.pad || row[4] != tc.accent {
			t.Errorf("%s: got %v; want [%s %d %d %d %d]", tc.set, row, tc.name, tc.ci, tc.ci, tc.pad, tc.accent)
		}
	}
}
