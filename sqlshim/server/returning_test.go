package server

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

// INSERT/DELETE ... RETURNING answers with a result set in both protocols:
// a driver reads the generated ids through Query, as it does from MariaDB.
func TestReturningThroughDriver(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "ret_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(10) NOT NULL)")
		scan := func(q string, args ...any) (ids []int64, names []string) {
			t.Helper()
			rows, err := db.Query(q, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					t.Fatalf("%s: scan: %v", q, err)
				}
				ids, names = append(ids, id), append(names, name)
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return ids, names
		}
		ids, names := scan("INSERT INTO "+tbl+" (name) VALUES (?), (?) RETURNING id, UPPER(name)", "a", "b")
		if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 || names[0] != "A" || names[1] != "B" {
			t.Fatalf("INSERT RETURNING: ids %v names %v, want [1 2] [A B]", ids, names)
		}
		ids, names = scan("DELETE FROM "+tbl+" WHERE id = ? RETURNING id, name", 2)
		if len(ids) != 1 || ids[0] != 2 || names[0] != "b" {
			t.Fatalf("DELETE RETURNING: ids %v names %v, want [2] [b]", ids, names)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(&n); err != nil || n != 1 {
			t.Fatalf("rows left: %d, %v; want 1", n, err)
		}
	})
}

// Statements vitess's parser cannot read prepare all the same (prepare.go),
// a prepare right behind the client's COM_STMT_CLOSE of the one before
// included, and a text of several read buffers; the processlist shows the
// client's text, not the stand-in.
func TestPrepareWhatVitessCannotParse(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	db.SetMaxOpenConns(1)
	mustExecS(t, db, "CREATE TABLE pv (id INT PRIMARY KEY, v VARCHAR(10)) CRASH_SAFE")
	for i, q := range []string{
		"INSERT INTO pv VALUES (?, 'a') RETURNING id",
		"DELETE FROM pv WHERE id = ? RETURNING v",
		"SELECT REGEXP_SUBSTR('abc123', '[0-9]+'), ? FROM pv",
	} {
		rows, err := db.Query(q, i)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		rows.Close()
	}
	st, err := db.Prepare("CHECK TABLE pv")
	if err != nil {
		t.Fatalf("prepare CHECK TABLE: %v", err)
	}
	var tbl, op, typ, text string
	if err := st.QueryRow().Scan(&tbl, &op, &typ, &text); err != nil || text != "OK" {
		t.Fatalf("CHECK TABLE prepared: %q %v", text, err)
	}
	st.Close()
	long := "SELECT ? + 0 AS x FROM pv WHERE v <> '" + strings.Repeat("z", 200000) + "'"
	var x sql.NullInt64
	if err := db.QueryRow(long, 5).Scan(&x); err != nil && err != sql.ErrNoRows {
		t.Fatalf("long prepared statement: %v", err)
	}
	// The processlist, read on another connection while a prepared
	// statement runs, shows the client's text.
	done := make(chan error, 1)
	go func() {
		var v sql.NullFloat64
		done <- db.QueryRow("SELECT SLEEP(1) + ? AS slept", 0).Scan(&v)
	}()
	other := sqlshimDB(t, s, "")
	var infos []string
	for try := 0; try < 40 && len(infos) == 0; try++ {
		time.Sleep(25 * time.Millisecond)
		rows, err := other.Query("SHOW FULL PROCESSLIST")
		if err != nil {
			t.Fatalf("SHOW FULL PROCESSLIST: %v", err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			for i := range vals {
				vals[i] = new(sql.NullString)
			}
			if err := rows.Scan(vals...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if v := vals[i].(*sql.NullString).String; c == "Info" && strings.Contains(v, "SLEEP") {
					infos = append(infos, v)
				}
			}
		}
		rows.Close()
	}
	if err := <-done; err != nil {
		t.Fatalf("prepared SLEEP: %v", err)
	}
	if len(infos) == 0 || infos[0] != "SELECT SLEEP(1) + ? AS slept" {
		t.Fatalf("processlist Info %q, want the client's text", infos)
	}
}
