package sqlshim

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// Shell runs SQL scripts on a session and prints what the mysql client
// prints: results on Out (batch or boxed), errors on Err as
// "ERROR 1062 (23000) at line 3: ...". It is what `blitz sql` runs, and
// what the SQL corpus tests run.
type Shell struct {
	Session *Session
	Out     io.Writer
	Err     io.Writer
	Table   bool // boxed tables (a terminal) instead of batch output
	Force   bool // go on after an error
	// SkipColumnNames leaves the column names out of results, as the
	// mariadb client's -N (--skip-column-names) does.
	SkipColumnNames bool
	// LineOffset is added to reported line numbers (for -e strings).
	LineOffset int
}

// Run reads statements from r and runs each one as soon as its
// terminating semicolon has been read, writing its output before reading
// on. It returns the number of statements that failed; it stops at the
// first one unless Force is set. Once ctx is done (Ctrl-C) it runs no
// further statement and returns ctx.Err(); the statement running then
// stops (most fail with 1317). Otherwise err is set only when reading or
// writing fails.
func (sh *Shell) Run(ctx context.Context, r io.Reader) (failed int, err error) {
	sp := NewSplitter(r)
	sp.ClientCommands = true
	for {
		text, line, rerr := sp.Next()
		if rerr == io.EOF {
			return failed, nil
		}
		if rerr != nil {
			return failed, rerr
		}
		if err := ctx.Err(); err != nil {
			return failed, err
		}
		start := time.Now()
		res, xerr := sh.Session.ExecOne(ctx, text, nil)
		if xerr != nil {
			failed++
			e := sqlerr.As(xerr)
			if _, werr := fmt.Fprintf(sh.Err, "ERROR %d (%s) at line %d: %s\n", e.Code, e.State, line+sh.LineOffset, e.Message); werr != nil {
				return failed, werr
			}
			if err := ctx.Err(); err != nil {
				return failed, err
			}
			if !sh.Force {
				return failed, nil
			}
			continue
		}
		switch {
		case sp.Vertical:
			err = writeVertical(sh.Out, &res, !sh.SkipColumnNames)
		case sh.Table:
			err = writeTable(sh.Out, &res, time.Since(start), !sh.SkipColumnNames)
		default:
			err = writeBatch(sh.Out, &res, !sh.SkipColumnNames)
		}
		if err != nil {
			return failed, err
		}
		if f, ok := sh.Out.(interface{ Flush() error }); ok {
			if err := f.Flush(); err != nil {
				return failed, err
			}
		}
	}
}
