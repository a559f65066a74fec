package sqlshim

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
)

// fillOutfileTable creates table name (id INT PRIMARY KEY, s VARCHAR(40),
// d DECIMAL(10,2), f DOUBLE, g INT, n INT) with rows rows: text with a
// tab and a quote to escape, NULLs in n.
func fillOutfileTable(t *testing.T, s *Session, name string, rows int) {
	t.Helper()
	mustRun(t, s, "CREATE TABLE "+name+" (id INT PRIMARY KEY, s VARCHAR(40), d DECIMAL(10,2), f DOUBLE, g INT, n INT)")
	var b strings.Builder
	for i := 0; i < rows; {
		b.Reset()
		b.WriteString("INSERT INTO " + name + " VALUES ")
		for j := 0; j < 2000 && i < rows; j, i = j+1, i+1 {
			if j > 0 {
				b.WriteByte(',')
			}
			n := "NULL"
			if i%7 != 0 {
				n = fmt.Sprint(i % 100)
			}
			fmt.Fprintf(&b, "(%d, 'row %d\\tit''s', %d.%02d, %g, %d, %s)", i, i, i%10000, i%100, float64(i)/8, i%13, n)
		}
		mustRun(t, s, b.String())
	}
}

// exportBytes is what the format code writes for r in format f: the
// expectation an INTO OUTFILE that streams must meet.
func exportBytes(t *testing.T, f *intoFile, r Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, row := range r.Rows {
		var err error
		if f.dump {
			err = dumpRow(w, r.Columns, row)
		} else {
			err = f.exportRow(w, r.Columns, row)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// heapObjects is the bytes of heap objects, live or not yet swept
// (runtime/metrics reads it without stopping the world).
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestIntoOutfileStreams: SELECT ... INTO OUTFILE of a 200,000-row table
// writes the rows as the scan reads them: the heap grows during the export
// by far less than the file's size (the whole result held in memory, as
// before, grew it by several times the file's size), and the file holds
// what the format code writes for the same SELECT's result, which LOAD
// DATA reads back into an identical table (CHECKSUM TABLE).
func TestIntoOutfileStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 rows")
	}
	s := newTestSession(t)
	const rows = 200_000
	fillOutfileTable(t, s, "big", rows)
	path := filepath.Join(t.TempDir(), "big.txt")

	// The heap's peak during the export, sampled every 200µs, with the
	// collector run often so that garbage does not hide what is kept.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	base := heapObjects()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			peak = max(peak, heapObjects())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	r := mustRun(t, s, "SELECT * FROM big INTO OUTFILE '"+path+"'")
	close(stop)
	wg.Wait()
	debug.SetGCPercent(100)

	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	growth := int64(peak) - int64(base)
	t.Logf("file %d bytes, heap %d before, peak growth %d bytes", st.Size(), base, growth)
	if r.AffectedRows != rows {
		t.Errorf("%d rows affected, want %d", r.AffectedRows, rows)
	}
	if st.Size() < 8<<20 {
		t.Fatalf("the file is %d bytes: too small for the test to tell", st.Size())
	}
	if growth > st.Size()/8 {
		t.Errorf("the heap grew by %d bytes during an export of %d: the rows were held", growth, st.Size())
	}

	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := exportBytes(t, &intoFile{term: "\t", esc: "\\", lineTerm: "\n"}, mustRun(t, s, "SELECT * FROM big"))
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("the file (%d bytes) differs from the formatted result (%d bytes) at byte %d: %q vs %q",
			len(got), len(want), i, got[i:min(i+40, len(got))], want[i:min(i+40, len(want))])
	}
	mustRun(t, s, "CREATE TABLE back LIKE big")
	if r := mustRun(t, s, "LOAD DATA INFILE '"+path+"' INTO TABLE back"); r.AffectedRows != rows {
		t.Errorf("LOAD DATA read %d rows, want %d", r.AffectedRows, rows)
	}
	c1 := mustRun(t, s, "CHECKSUM TABLE big").Rows[0][1]
	c2 := mustRun(t, s, "CHECKSUM TABLE back").Rows[0][1]
	if c1 != c2 || c1 == nil {
		t.Errorf("CHECKSUM TABLE big = %v, back = %v", c1, c2)
	}
}

// TestIntoOutfileShapes: for SELECTs of every shape (a scan, a filter,
// sorts that spill, top-N, GROUP BY, DISTINCT, LIMIT and OFFSET, a join,
// a window function, a CTE, a view, a UNION, and expressions whose type
// only a later row shows), INTO OUTFILE writes what the format code
// writes for the SELECT's result, and reports its number of rows.
func TestIntoOutfileShapes(t *testing.T) {
	s := newTestSession(t)
	fillOutfileTable(t, s, "e", 3000)
	mustRun(t, s, "CREATE TABLE u (id INT PRIMARY KEY, name VARCHAR(10), at DATETIME)")
	mustRun(t, s, "INSERT INTO u VALUES (0, 'zero', NULL), (1, 'one', '2024-01-02 03:04:05'), (2, 'two,\"q\"', '1999-12-31 00:00:00'), (5, NULL, NULL)")
	mustRun(t, s, "CREATE VIEW v AS SELECT id, s, g FROM e WHERE g < 4")
	if err := s.SetMemoryBudget(MinMemoryBudget); err != nil { // sorts spill
		t.Fatal(err)
	}
	dir := t.TempDir()
	csv := &intoFile{term: ",", encl: "\"", optEnclosed: true, esc: "\\", lineTerm: "\r\n"}
	const csvOpts = ` FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' LINES TERMINATED BY '\r\n'`
	for i, q := range []string{
		"SELECT * FROM e",
		"SELECT id, s, n FROM e WHERE id % 3 = 0 AND n IS NOT NULL",
		"SELECT id, s FROM e ORDER BY s DESC, id",
		"SELECT * FROM e ORDER BY f DESC LIMIT 7",
		"SELECT * FROM e LIMIT 10 OFFSET 5",
		"SELECT g, COUNT(*), SUM(d), MAX(s) FROM e GROUP BY g",
		"SELECT g, COUNT(*) FROM e GROUP BY g WITH ROLLUP",
		"SELECT DISTINCT g, n IS NULL FROM e",
		"SELECT DISTINCT g FROM e ORDER BY g DESC LIMIT 3",
		"SELECT e.id, u.name, u.at FROM e JOIN u ON u.id = e.g WHERE e.id < 100",
		"SELECT e.id, u.name FROM e LEFT JOIN u ON u.id = e.g ORDER BY e.id DESC LIMIT 50",
		"SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) AS r FROM e WHERE id < 30",
		"WITH c AS (SELECT id, s FROM e WHERE id < 20) SELECT * FROM c",
		"SELECT * FROM v",
		"SELECT id FROM e WHERE id < 5 UNION SELECT g FROM e",
		"SELECT IF(id > 2, u.at, NULL) AS a, IF(id > 1, id / 3, NULL) AS b, IF(id > 0, 1.5e0 * id, NULL) AS c FROM u ORDER BY id",
		"SELECT id, (SELECT name FROM u WHERE u.id = e.g) AS name FROM e WHERE id < 40",
		"SELECT * FROM e WHERE id < 0",
		"SELECT 1, 'a', NULL",
	} {
		want := mustRun(t, s, q)
		path := filepath.Join(dir, fmt.Sprint(i))
		r, err := s.ExecOne(context.Background(), q+" INTO OUTFILE '"+path+"'"+csvOpts, nil)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if r.AffectedRows != uint64(len(want.Rows)) {
			t.Errorf("%s: %d rows affected, want %d", q, r.AffectedRows, len(want.Rows))
		}
		got, _ := os.ReadFile(path)
		if exp := exportBytes(t, csv, want); !bytes.Equal(got, exp) {
			t.Errorf("%s:\n got %.300q\nwant %.300q", q, got, exp)
		}
	}
}

// failingWriter is a file on a disk that fills after limit bytes: a
// write past it writes what fits and fails with ENOSPC, as write(2) does.
type failingWriter struct {
	f     *os.File
	limit int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.limit {
		n, err := w.f.Write(p)
		w.limit -= n
		return n, err
	}
	n, _ := w.f.Write(p[:w.limit])
	w.limit -= n
	return n, &os.PathError{Op: "write", Path: w.f.Name(), Err: syscall.ENOSPC}
}

func (w *failingWriter) Close() error { return w.f.Close() }

// TestIntoOutfileFailures: what a failed INTO OUTFILE | DUMPFILE answers
// and leaves, as MariaDB 10.11 does: a full disk is error 3 naming the
// file and the file keeps what was written; INTO DUMPFILE writes two rows
// and fails at the third (1172), keeping them; an error in the middle of
// the rows keeps those written before; an error before any row (unknown
// column or table) leaves no file.
func TestIntoOutfileFailures(t *testing.T) {
	s := newTestSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	fillOutfileTable(t, s, "e", 5000)
	mustRun(t, s, "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(5))")
	mustRun(t, s, "INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z')")

	full := mustRun(t, s, "SELECT * FROM e")
	whole := exportBytes(t, &intoFile{term: "\t", esc: "\\", lineTerm: "\n"}, full)
	const limit = 100_000
	defer func(old func(string) (io.WriteCloser, error)) { createOutfile = old }(createOutfile)
	createOutfile = func(path string) (io.WriteCloser, error) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		return &failingWriter{f: f, limit: limit}, nil
	}
	path := filepath.Join(dir, "full")
	_, err := s.ExecOne(ctx, "SELECT * FROM e INTO OUTFILE '"+path+"'", nil)
	wantMsg := "Error writing file '" + path + "' (Errcode: 28 \"No space left on device\")"
	if e := sqlerr.As(err); e.Code != errFileWrite || !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("a full disk: %v, want error 3 %s", err, wantMsg)
	}
	if got, _ := os.ReadFile(path); len(got) != limit || !bytes.HasPrefix(whole, got) {
		t.Errorf("a full disk left %d bytes, want the first %d of the export", len(got), limit)
	}
	createOutfile = func(path string) (io.WriteCloser, error) {
		return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}

	for _, c := range []struct {
		q    string
		code int // 0: none
		left string
	}{
		{"SELECT a, b FROM t WHERE a < 3 INTO DUMPFILE 'F'", 0, "1x2y"},
		{"SELECT a, b FROM t INTO DUMPFILE 'F'", errTooManyRows, "1x2y"},
		{"SELECT a, (SELECT 1 UNION SELECT 2 FROM DUAL WHERE t.a > 1) FROM t INTO OUTFILE 'F'", sqlerr.ErrSubqueryNo1Row, "1\t1\n"},
		{"SELECT nosuch FROM t INTO OUTFILE 'F'", sqlerr.ErrBadField, "-"},
		{"SELECT * FROM nosuch INTO OUTFILE 'F'", sqlerr.ErrNoSuchTable, "-"},
	} {
		path := filepath.Join(dir, "f")
		os.Remove(path)
		r, err := s.ExecOne(ctx, strings.Replace(c.q, "'F'", "'"+path+"'", 1), nil)
		if c.code == 0 && err != nil || c.code != 0 && sqlerr.As(err).Code != c.code {
			t.Errorf("%s: %v, want error %d", c.q, err, c.code)
		}
		if c.code == 0 && r.AffectedRows != 2 {
			t.Errorf("%s: %d rows affected, want 2", c.q, r.AffectedRows)
		}
		got, err := os.ReadFile(path)
		if c.left == "-" {
			if err == nil {
				t.Errorf("%s left a file holding %q", c.q, got)
			}
		} else if string(got) != c.left {
			t.Errorf("%s left %q (%v), want %q", c.q, got, err, c.left)
		}
	}
}
