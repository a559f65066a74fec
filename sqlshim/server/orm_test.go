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
