package sqlshim

import (
	"context"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestSetNamesChecked: a session without a server's variables (embedded
// use, blitz sql) accepts SET NAMES and SET CHARACTER SET of the sets a
// connection may use, which change nothing for it (its text is Go's
// UTF-8), and refuses an unknown one with MariaDB's 1115, a collation of
// another set with 1253.
func TestSetNamesChecked(t *testing.T) {
	s := newTestSession(t)
	ctx := context.Background()
	for _, q := range []string{"SET NAMES latin1", "SET NAMES utf8mb4 COLLATE utf8mb4_bin", "SET CHARACTER SET utf8", "SET NAMES DEFAULT", "SET @a = 1, NAMES latin1"} {
		if _, err := s.ExecOne(ctx, q, nil); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	for q, code := range map[string]int{
		"SET NAMES nosuch":                     sqlerr.ErrUnknownCharset,
		"SET CHARACTER SET nosuch":             sqlerr.ErrUnknownCharset,
		"SET NAMES latin1 COLLATE utf8mb4_bin": sqlerr.ErrCollationCharset,
	} {
		if _, err := s.ExecOne(ctx, q, nil); sqlerr.As(err).Code != code {
			t.Errorf("%s: %v, want %d", q, err, code)
		}
	}
}
