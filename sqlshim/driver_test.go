package sqlshim_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/blitzdb/blitz/sqlshim" // registers the "blitz" driver
)

// These tests use database/sql alone, as an application would.

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("blitz", filepath.Join(t.TempDir(), "db")+"?sync=off&auto_recover=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) sql.Result {
	t.Helper()
	r, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return r
}

func TestDriverExecQueryTypes(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, `CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL,
		price DECIMAL(8,2), ratio DOUBLE, raw VARBINARY(8), day DATE, at DATETIME, big BIGINT UNSIGNED, ok BOOLEAN)`)
	r := mustExec(t, db, "INSERT INTO t (name, price, ratio, raw, day, at, big, ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		"apple", "1.25", 0.5, []byte{1, 2}, "2024-03-01", time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC), uint64(1<<63+5), true)
	if id, _ := r.LastInsertId(); id != 1 {
		t.Fatalf("LastInsertId = %d", id)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		t.Fatalf("RowsAffected = %d", n)
	}
	mustExec(t, db, "INSERT INTO t (name) VALUES (?)", "pear")

	var (
		id    int64
		name  string
		price string
		ratio float64
		raw   []byte
		day   time.Time
		at    time.Time
		big   uint64
		ok    bool
	)
	err := db.QueryRow("SELECT id, name, price, ratio, raw, day, at, big, ok FROM t WHERE id = ?", 1).
		Scan(&id, &name, &price, &ratio, &raw, &day, &at, &big, &ok)
	if err != nil {
		t.Fatal(err)
	}
	if id != 1 || name != "apple" || price != "1.25" || ratio != 0.5 || string(raw) != "\x01\x02" ||
		!day.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) || !at.Equal(time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC)) ||
		big != 1<<63+5 || !ok {
		t.Fatalf("scanned %v %q %q %v %v %v %v %v %v", id, name, price, ratio, raw, day, at, big, ok)
	}
	var np sql.NullString
	if err := db.QueryRow("SELECT price FROM t WHERE name = ?", "pear").Scan(&np); err != nil || np.Valid {
		t.Fatalf("NULL price: %v %v", np, err)
	}
	rows, err := db.Query("SELECT name FROM t ORDER BY id DESC")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(names) != 2 || names[0] != "pear" {
		t.Fatalf("names %v", names)
	}
}

func TestDriverPreparedStatement(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE kv (k INT PRIMARY KEY, v VARCHAR(10))")
	ins, err := db.Prepare("INSERT INTO kv VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := ins.Exec(i, "v"); err != nil {
			t.Fatal(err)
		}
	}
	ins.Close()
	sel, err := db.Prepare("SELECT COUNT(*) FROM kv WHERE k >= ? AND k < ?")
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	var n int
	if err := sel.QueryRow(10, 20).Scan(&n); err != nil || n != 10 {
		t.Fatalf("count = %d, %v", n, err)
	}
	if _, err := sel.Query(1); err == nil {
		t.Fatal("wrong argument count accepted")
	}
}

func TestDriverTransactions(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE a (id INT PRIMARY KEY, n INT)")
	mustExec(t, db, "INSERT INTO a VALUES (1, 10)")

	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("UPDATE a SET n = 20 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	// A failing statement inside the transaction undoes only itself.
	if _, err := tx.Exec("INSERT INTO a VALUES (2, 1), (1, 1)"); err == nil {
		t.Fatal("duplicate accepted")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT n FROM a WHERE id = 1").Scan(&n); err != nil || n != 10 {
		t.Fatalf("after rollback n = %d, %v", n, err)
	}

	tx, err = db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("INSERT INTO a VALUES (2, 1), (1, 1)"); err == nil {
		t.Fatal("duplicate accepted")
	}
	if _, err := tx.Exec("INSERT INTO a VALUES (3, 30)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var count int
	if err := db.QueryRow("SELECT COUNT(*) FROM a").Scan(&count); err != nil || count != 2 {
		t.Fatalf("after commit count = %d, %v", count, err)
	}
	if _, err := db.BeginTx(context.Background(), &sql.TxOptions{Isolation: sql.LevelSerializable}); err == nil {
		t.Fatal("serializable accepted")
	}
}

func TestDriverErrorsAndContext(t *testing.T) {
	db := openDB(t)
	_, err := db.Exec("SELECT * FROM nosuch")
	var coded interface{ Error() string }
	if err == nil || !errors.As(err, &coded) || err.Error() != "ERROR 1146 (42S02): Table 'db.nosuch' doesn't exist" {
		t.Fatalf("error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.ExecContext(ctx, "SELECT 1"); err == nil {
		t.Fatal("cancelled context accepted")
	}
	if _, err := sql.Open("blitz", "/tmp/x?nosuch=1"); err == nil {
		t.Fatal("unknown DSN option accepted")
	}
}

// TestDriverMemoryBudget opens connections with the DSN option
// memory_budget, sorts past it, closes the rows half read, and checks the
// sort spilled and left no file.
func TestDriverMemoryBudget(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, bad := range []string{"abc", "-1", "12Q", "1.5M"} {
		if _, err := sql.Open("blitz", filepath.Join(tmp, "x")+"?memory_budget="+bad); err == nil {
			t.Errorf("memory_budget=%s accepted", bad)
		}
	}
	db, err := sql.Open("blitz", filepath.Join(t.TempDir(), "db")+"?sync=off&memory_budget=64K")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var budget int64
	if err := db.QueryRow("SELECT @@blitz_memory_budget").Scan(&budget); err != nil || budget != 64<<10 {
		t.Fatalf("@@blitz_memory_budget = %d, %v", budget, err)
	}
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(40))")
	var vals []string
	for i := 0; i < 3000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 'row %d of the table')", i, (i*7919)%3000))
	}
	mustExec(t, db, "INSERT INTO t VALUES "+strings.Join(vals, ","))
	spills := func() (n int64) {
		var name string
		if err := db.QueryRow("SHOW STATUS LIKE 'Blitz_sort_spills'").Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := spills()
	rows, err := db.Query("SELECT id, s FROM t ORDER BY s DESC")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3 && rows.Next(); i++ {
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if spills() == before {
		t.Error("the sort did not spill with memory_budget=64K")
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf("left in TMPDIR: %v", ents)
	}
}

// TestDriverWALSegmentSize: the DSN option wal_segment_size sets the size of
// the WAL's segment files; a bad size is refused.
func TestDriverWALSegmentSize(t *testing.T) {
	for _, bad := range []string{"abc", "1K", "-1"} {
		if _, err := sql.Open("blitz", filepath.Join(t.TempDir(), "x")+"?wal_segment_size="+bad); err == nil {
			t.Errorf("wal_segment_size=%s accepted", bad)
		}
	}
	dir := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("blitz", dir+"?wal_segment_size=128K")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY) ENGINE = BLITZDB, CRASH_SAFE")
	mustExec(t, db, "INSERT INTO t VALUES (1)")
	segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment")
	}
	fi, err := os.Stat(segs[len(segs)-1])
	if err != nil || fi.Size() != 128<<10 {
		t.Fatalf("segment %s: %v bytes (%v), want 128K", segs[len(segs)-1], fi.Size(), err)
	}
}

// TestDriverBit: a BIT(M) column scans as its (M+7)/8 big-endian bytes,
// as it does through a MySQL driver, with the type name BIT; b + 0 is
// its number.
func TestDriverBit(t *testing.T) {
	db := openDB(t)
	mustExec(t, db, "CREATE TABLE b (id INT PRIMARY KEY, f BIT(1) NOT NULL DEFAULT b'0', w BIT(12))")
	mustExec(t, db, "INSERT INTO b VALUES (?, ?, ?), (2, DEFAULT, b'101')", 1, 1, 0xABC)
	rows, err := db.Query("SELECT f, w, w + 0 FROM b ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, _ := rows.ColumnTypes()
	if n := cts[1].DatabaseTypeName(); n != "BIT" {
		t.Errorf("type name %q, want BIT", n)
	}
	var got []string
	for rows.Next() {
		var f, w []byte
		var n int64
		if err := rows.Scan(&f, &w, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%x %x %d", f, w, n))
	}
	if want := "01 0abc 2748|00 0005 5"; strings.Join(got, "|") != want {
		t.Errorf("rows %q, want %q", strings.Join(got, "|"), want)
	}
}
