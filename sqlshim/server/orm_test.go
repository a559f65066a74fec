package server

import (
	"context"
	"database/sql"
	"testing"
)

// The tests in this file drive the server as the Node ORMs and drivers
// (mysql2, knex, Sequelize, TypeORM) do on an application's first run,
// through go-sql-driver: each checks a protocol answer one of them
// relies on, found wrong by running them against blitz serve.

// TestORMSetTransactionIsolation: go-sql-driver's BeginTx with an
// isolation level, TypeORM's transaction("READ COMMITTED") and
// Sequelize's isolationLevel send SET TRANSACTION ISOLATION LEVEL before
// BEGIN; the server answered 1193 "Unknown system variable
// 'tx_isolation_one_shot'" (the name TiDB's parser gives it).
func TestORMSetTransactionIsolation(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE t (a INT PRIMARY KEY) ENGINE=InnoDB")
	ctx := context.Background()
	for _, level := range []sql.IsolationLevel{sql.LevelReadCommitted, sql.LevelRepeatableRead, sql.LevelSerializable} {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: level})
		if err != nil {
			t.Fatalf("BeginTx(%v): %v", level, err)
		}
		if _, err := tx.Exec("INSERT INTO t VALUES (?)", int(level)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("COUNT(*) = %d, %v; want 3 committed rows", n, err)
	}
	// Inside an open transaction it is MariaDB's 1568.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
	if errNumber(err) != 1568 {
		t.Errorf("SET TRANSACTION in a transaction: %v, want error 1568", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}

// TestORMUpsertInsertID: after INSERT ... ON DUPLICATE KEY UPDATE changed
// an existing row, the OK packet's insert id is that row's AUTO_INCREMENT
// value, and after an INSERT of explicit ids the last one, as MariaDB
// answers (knex's onConflict().merge() and TypeORM read it as the row's
// id); blitz sent 0. LAST_INSERT_ID() is not changed by either. With
// CLIENT_FOUND_ROWS (mysql2's default), a row found and left unchanged
// counts 1 affected row, as in MariaDB; blitz said 0.
func TestORMUpsertInsertID(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "u_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(20) UNIQUE, n VARCHAR(10)) ENGINE=InnoDB")
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		exec := func(q string, args ...any) (affected, id int64) {
			t.Helper()
			res, err := conn.ExecContext(context.Background(), q, args...)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			affected, _ = res.RowsAffected()
			id, _ = res.LastInsertId()
			return affected, id
		}
		if _, id := exec("INSERT INTO " + tbl + " (email, n) VALUES ('a', 'x'), ('b', 'x'), ('c', 'x')"); id != 1 {
			t.Errorf("first generated id = %d, want 1", id)
		}
		upsert := "INSERT INTO " + tbl + " (email, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n)"
		if aff, id := exec(upsert, "b", "y"); aff != 2 || id != 2 {
			t.Errorf("upsert changing row 2: affected %d, id %d; want 2, 2", aff, id)
		}
		if aff, id := exec(upsert, "b", "y"); aff != 0 || id != 0 {
			t.Errorf("upsert leaving row 2 as it was: affected %d, id %d; want 0, 0", aff, id)
		}
		if aff, id := exec(upsert, "d", "y"); aff != 1 || id != 6 {
			t.Errorf("upsert inserting: affected %d, id %d; want 1, 6 (4 and 5 went to the duplicates, as in MariaDB)", aff, id)
		}
		if aff, id := exec("INSERT INTO " + tbl + " (email, n) VALUES ('a', 'z'), ('c', 'z') ON DUPLICATE KEY UPDATE n = VALUES(n)"); aff != 4 || id != 3 {
			t.Errorf("upsert changing rows 1 and 3: affected %d, id %d; want 4, 3 (the last row)", aff, id)
		}
		if _, id := exec("INSERT INTO " + tbl + " (id, email) VALUES (50, 'e'), (40, 'f')"); id != 40 {
			t.Errorf("explicit ids: insert id %d, want 40 (the last row's)", id)
		}
		if _, id := exec("INSERT IGNORE INTO " + tbl + " (email) VALUES ('a')"); id != 0 {
			t.Errorf("ignored duplicate: insert id %d, want 0", id)
		}
		var last int64
		if err := conn.QueryRowContext(context.Background(), "SELECT LAST_INSERT_ID()").Scan(&last); err != nil || last != 6 {
			t.Errorf("LAST_INSERT_ID() = %d, %v; want 6 (the last generated value)", last, err)
		}
	})
	// A client with CLIENT_FOUND_ROWS counts the row found unchanged.
	db := sqlshimDB(t, s, "clientFoundRows=true")
	res, err := db.Exec("INSERT INTO u_text (email, n) VALUES ('b', 'y') ON DUPLICATE KEY UPDATE n = VALUES(n)")
	if err != nil {
		t.Fatal(err)
	}
	if aff, _ := res.RowsAffected(); aff != 1 {
		t.Errorf("CLIENT_FOUND_ROWS, upsert finding row 2 unchanged: affected %d, want 1", aff)
	}
	res, err = db.Exec("INSERT INTO u_text (email, n) VALUES ('b', 'w'), ('g', 'w'), ('a', 'z') ON DUPLICATE KEY UPDATE n = VALUES(n)")
	if err != nil {
		t.Fatal(err)
	}
	if aff, _ := res.RowsAffected(); aff != 4 {
		t.Errorf("CLIENT_FOUND_ROWS, upsert changing, inserting, finding unchanged: affected %d, want 2+1+1", aff)
	}
}

// TestORMIntExpressionTypes: integer literals, comparisons, predicates
// and INT functions are INT columns, as MariaDB types them; blitz sent
// every integer expression as BIGINT, which mysql2 with bigNumberStrings
// (TypeORM's default) hands to JavaScript as a string: SELECT EXISTS(...)
// AS e read "1" instead of 1.
func TestORMIntExpressionTypes(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "x_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT PRIMARY KEY, name VARCHAR(10))")
		mustExecS(t, db, "INSERT INTO "+tbl+" VALUES (1, 'ab')")
		rows, err := db.Query("SELECT 1 AS one, id = ? AS eq, EXISTS (SELECT 1 FROM "+tbl+" WHERE id = ?) AS ex, name LIKE 'a%' AS l, "+
			"LENGTH(name) AS len, 1234567890 AS ten, COUNT(*) AS n, id AS id FROM "+tbl, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cts, err := rows.ColumnTypes()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"INT", "INT", "INT", "INT", "INT", "BIGINT", "BIGINT", "INT"}
		for i, ct := range cts {
			if got := ct.DatabaseTypeName(); got != want[i] {
				t.Errorf("column %s: type %s, want %s", ct.Name(), got, want[i])
			}
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestORMLastInsertIDExpr: a statement that calls LAST_INSERT_ID(expr)
// reports that value as its insert id when it generated none, as MariaDB
// does: the idiom INSERT ... ON DUPLICATE KEY UPDATE id =
// LAST_INSERT_ID(id) (the upserted row's id, changed or not) and the
// sequence table's UPDATE seq SET n = LAST_INSERT_ID(n + 1).
func TestORMLastInsertIDExpr(t *testing.T) {
	s := startSQLShim(t, Options{})
	bothProtocols(t, s, "", func(t *testing.T, db *sql.DB, proto string) {
		tbl := "l_" + proto
		mustExecS(t, db, "CREATE TABLE "+tbl+" (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(9) UNIQUE, n INT)")
		mustExecS(t, db, "INSERT INTO "+tbl+" (email, n) VALUES ('a', 1), ('b', 1)")
		cases := []struct {
			q    string
			args []any
			id   int64
		}{
			{"UPDATE " + tbl + " SET n = LAST_INSERT_ID(n + 10) WHERE id = ?", []any{1}, 11},
			{"UPDATE " + tbl + " SET n = n + 1 WHERE id = ?", []any{2}, 0},
			{"INSERT INTO " + tbl + " (email, n) VALUES (?, 5) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)", []any{"a"}, 1},
			{"INSERT INTO " + tbl + " (email, n) VALUES (?, 5) ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id), n = 7", []any{"b"}, 2},
			// A generated value wins, as in MariaDB.
			{"INSERT INTO " + tbl + " (email, n) VALUES (?, LAST_INSERT_ID(42))", []any{"c"}, 5},
			{"INSERT INTO " + tbl + " (id, email, n) VALUES (100, ?, LAST_INSERT_ID(43))", []any{"d"}, 43},
		}
		for _, c := range cases {
			res, err := db.Exec(c.q, c.args...)
			if err != nil {
				t.Fatalf("%s: %v", c.q, err)
			}
			if id, _ := res.LastInsertId(); id != c.id {
				t.Errorf("%s: insert id %d, want %d", c.q, id, c.id)
			}
		}
	})
}
