package sqlshim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// This file prints results as the mysql client does: WriteBatch is
// `mysql --batch` (tab-separated, escaped, no decoration), WriteTable is
// the interactive boxed table. One difference: the boxed table and the
// vertical (\G) form show a BIT column's value as a b'...' literal of
// its binary digits (b'1', b'1010'), where the mysql client writes its
// raw bytes, which are mostly unprintable and break the box; batch
// output keeps the bytes, as the mysql client's, for scripts.

// escapeBatch escapes a value as mysql --batch does: backslash, tab,
// newline and NUL become \\, \t, \n and \0.
func escapeBatch(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\x00") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// WriteBatch writes r like `mysql --batch`: a header line of column names
// and one line per row, tab-separated, NULL as NULL. A statement without a
// result set prints nothing; an empty result set prints nothing either,
// as mysql does.
func WriteBatch(w io.Writer, r *Result) error { return writeBatch(w, r, true) }

// writeBatch is WriteBatch, with the line of column names when names is
// set (the mariadb client's -N leaves it out).
func writeBatch(w io.Writer, r *Result, names bool) error {
	if !r.HasResultSet() || len(r.Rows) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	for i, c := range r.Columns {
		if !names {
			break
		}
		if i > 0 {
			bw.WriteByte('\t')
		}
		bw.WriteString(c.Name)
	}
	if names {
		bw.WriteByte('\n')
	}
	for _, row := range r.Rows {
		for i, v := range row {
			if i > 0 {
				bw.WriteByte('\t')
			}
			s, ok := FormatValue(r.Columns[i], v)
			if !ok {
				bw.WriteString("NULL")
			} else {
				bw.WriteString(escapeBatch(s))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteVertical writes r as the mysql client does for a statement ended
// with \G: each row under a line of stars and its number, one "name:
// value" line per column, the names right-aligned. A statement without
// rows prints nothing.
func WriteVertical(w io.Writer, r *Result) error { return writeVertical(w, r, true) }

// writeVertical is WriteVertical; without names each line holds the value
// alone, as the mariadb client's -N prints it.
func writeVertical(w io.Writer, r *Result, names bool) error {
	if !r.HasResultSet() || len(r.Rows) == 0 {
		return nil
	}
	width := 0
	for _, c := range r.Columns {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	bw := bufio.NewWriter(w)
	for n, row := range r.Rows {
		fmt.Fprintf(bw, "*************************** %d. row ***************************\n", n+1)
		for i, v := range row {
			s, ok := displayValue(r.Columns[i], v)
			if !ok {
				s = "NULL"
			}
			if !names {
				fmt.Fprintf(bw, "%s\n", s)
				continue
			}
			name := r.Columns[i].Name
			fmt.Fprintf(bw, "%s%s: %s\n", strings.Repeat(" ", width-utf8.RuneCountInString(name)), name, s)
		}
	}
	return bw.Flush()
}

// displayValue is FormatValue for the boxed table and the vertical form:
// a BIT value is its b'...' literal (see above).
func displayValue(c Column, v any) (string, bool) {
	if x, ok := v.(uint64); ok && c.Type == mysql.TypeBit {
		return "b'" + strconv.FormatUint(x, 2) + "'", true
	}
	return FormatValue(c, v)
}

// rightAligned reports whether a column's values are numbers, which the
// boxed table aligns to the right.
func rightAligned(c Column) bool {
	switch c.Type {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong,
		mysql.TypeFloat, mysql.TypeDouble, mysql.TypeNewDecimal:
		return true
	}
	return false
}

// WriteTable writes r as the interactive mysql client does: a boxed table
// and "N rows in set", or "Query OK, N rows affected".
func WriteTable(w io.Writer, r *Result, elapsed time.Duration) error {
	return writeTable(w, r, elapsed, true)
}

// writeTable is WriteTable; without names the box has no header, and its
// columns are as wide as their values (the mariadb client's -N).
func writeTable(w io.Writer, r *Result, elapsed time.Duration, names bool) error {
	bw := bufio.NewWriter(w)
	secs := fmt.Sprintf("(%.2f sec)", elapsed.Seconds())
	if !r.HasResultSet() {
		plural := "rows"
		if r.AffectedRows == 1 {
			plural = "row"
		}
		fmt.Fprintf(bw, "Query OK, %d %s affected %s\n", r.AffectedRows, plural, secs)
		if r.Info != "" {
			fmt.Fprintf(bw, "%s\n", r.Info)
		} else if r.Matched > 0 || r.AffectedRows > 0 && len(r.Warnings) > 0 {
			fmt.Fprintf(bw, "Rows matched: %d  Changed: %d  Warnings: %d\n", r.Matched, r.AffectedRows, len(r.Warnings))
		}
		bw.WriteString("\n")
		return bw.Flush()
	}
	if len(r.Rows) == 0 {
		fmt.Fprintf(bw, "Empty set %s\n\n", secs)
		return bw.Flush()
	}
	cells := make([][]string, len(r.Rows))
	widths := make([]int, len(r.Columns))
	for i, c := range r.Columns {
		if names {
			widths[i] = utf8.RuneCountInString(c.Name)
		}
	}
	for j, row := range r.Rows {
		cells[j] = make([]string, len(row))
		for i, v := range row {
			s, ok := displayValue(r.Columns[i], v)
			if !ok {
				s = "NULL"
			}
			cells[j][i] = s
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	sep := func() {
		bw.WriteByte('+')
		for _, wd := range widths {
			bw.WriteString(strings.Repeat("-", wd+2))
			bw.WriteByte('+')
		}
		bw.WriteByte('\n')
	}
	line := func(vals []string, align bool) {
		bw.WriteByte('|')
		for i, s := range vals {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s))
			if align && rightAligned(r.Columns[i]) {
				bw.WriteString(" " + pad + s + " |")
			} else {
				bw.WriteString(" " + s + pad + " |")
			}
		}
		bw.WriteByte('\n')
	}
	sep()
	if names {
		head := make([]string, len(r.Columns))
		for i, c := range r.Columns {
			head[i] = c.Name
		}
		line(head, false)
		sep()
	}
	for _, row := range cells {
		line(row, true)
	}
	sep()
	plural := "rows"
	if len(r.Rows) == 1 {
		plural = "row"
	}
	fmt.Fprintf(bw, "%d %s in set %s\n\n", len(r.Rows), plural, secs)
	return bw.Flush()
}
