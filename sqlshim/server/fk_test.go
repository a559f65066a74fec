package server

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestORMForeignKeys runs, through go-sql-driver, what knex, Sequelize and
// TypeORM send to add, inspect and drop foreign keys. Blitz used to keep
// only the key's index: knex's dropForeign and Sequelize's
// removeConstraint failed with 1091, Sequelize's
// getForeignKeyReferencesForTable found nothing, and TypeORM's
// synchronize dropped and re-added the key's index on every start.
func TestORMForeignKeys(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE `users` (`id` int unsigned not null auto_increment primary key, `name` varchar(255)) ENGINE=InnoDB")
	mustExecS(t, db, "CREATE TABLE `posts` (`id` int unsigned not null auto_increment primary key, `user_id` int unsigned, `title` varchar(255)) ENGINE=InnoDB")
	// knex: table.foreign('user_id').references('users.id').onDelete('CASCADE')
	mustExecS(t, db, "alter table `posts` add constraint `posts_user_id_foreign` foreign key (`user_id`) references `users` (`id`) on delete CASCADE")

	// Sequelize's getForeignKeyReferencesForTable.
	rows, err := db.Query("SELECT CONSTRAINT_NAME as constraint_name,CONSTRAINT_NAME as constraintName,CONSTRAINT_SCHEMA as constraintSchema," +
		"TABLE_NAME as tableName,COLUMN_NAME as columnName,REFERENCED_TABLE_SCHEMA as referencedTableSchema," +
		"REFERENCED_TABLE_NAME as referencedTableName,REFERENCED_COLUMN_NAME as referencedColumnName " +
		"FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE where TABLE_NAME = 'posts' AND CONSTRAINT_NAME!='PRIMARY' " +
		"AND CONSTRAINT_SCHEMA='e2e' AND REFERENCED_TABLE_NAME IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var a, b, c, d, e, f, g, h string
		if err := rows.Scan(&a, &b, &c, &d, &e, &f, &g, &h); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{a, c, d, e, f, g, h}, " "))
	}
	rows.Close()
	if want := "posts_user_id_foreign e2e posts user_id e2e users id"; len(got) != 1 || got[0] != want {
		t.Errorf("foreign key references = %q, want [%q]", got, want)
	}

	// TypeORM's loadTables: the keys with their rules.
	var name, col, refTable, refCol, onDelete, onUpdate string
	err = db.QueryRow("SELECT `kcu`.`CONSTRAINT_NAME`, `kcu`.`COLUMN_NAME`, `kcu`.`REFERENCED_TABLE_NAME`, `kcu`.`REFERENCED_COLUMN_NAME`, "+
		"`rc`.`DELETE_RULE` `ON_DELETE`, `rc`.`UPDATE_RULE` `ON_UPDATE` FROM `INFORMATION_SCHEMA`.`KEY_COLUMN_USAGE` `kcu` "+
		"INNER JOIN `INFORMATION_SCHEMA`.`REFERENTIAL_CONSTRAINTS` `rc` ON `rc`.`constraint_name` = `kcu`.`constraint_name` "+
		"WHERE `kcu`.`TABLE_SCHEMA` = 'e2e' AND `kcu`.`TABLE_NAME` = 'posts'").Scan(&name, &col, &refTable, &refCol, &onDelete, &onUpdate)
	if err != nil {
		t.Fatal(err)
	}
	if name != "posts_user_id_foreign" || col != "user_id" || refTable != "users" || refCol != "id" || onDelete != "CASCADE" || onUpdate != "RESTRICT" {
		t.Errorf("TypeORM's foreign key row = %s %s %s %s %s %s", name, col, refTable, refCol, onDelete, onUpdate)
	}
	// Sequelize's removeConstraint looks the constraint's type up first.
	var typ string
	if err := db.QueryRow("SELECT CONSTRAINT_TYPE FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS WHERE TABLE_NAME='posts' AND CONSTRAINT_NAME = 'posts_user_id_foreign' AND TABLE_SCHEMA = 'e2e'").Scan(&typ); err != nil || typ != "FOREIGN KEY" {
		t.Errorf("constraint type = %q, %v; want FOREIGN KEY", typ, err)
	}

	// The key holds over the wire: 1452, 1451 and the cascade.
	mustExecS(t, db, "INSERT INTO users (name) VALUES ('ann'), ('bob')")
	mustExecS(t, db, "INSERT INTO posts (user_id, title) VALUES (1, 'a'), (1, 'b'), (2, 'c')")
	if _, err := db.Exec("INSERT INTO posts (user_id, title) VALUES (?, 'x')", 9); errNumber(err) != 1452 ||
		!strings.Contains(err.Error(), "(`e2e`.`posts`, CONSTRAINT `posts_user_id_foreign` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE)") {
		t.Errorf("orphan insert: %v, want 1452 naming the key", err)
	}
	if _, err := db.Exec("UPDATE users SET id = 5 WHERE id = 2"); errNumber(err) != 1451 {
		t.Errorf("update of a referenced key: %v, want 1451", err)
	}
	mustExecS(t, db, "DELETE FROM users WHERE id = 1")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM posts").Scan(&n); err != nil || n != 1 {
		t.Errorf("posts after the cascade = %d, %v; want 1", n, err)
	}

	// knex's dropForeign, then dropIndex; Sequelize's removeConstraint
	// of a key already gone is 1091.
	mustExecS(t, db, "alter table `posts` drop foreign key `posts_user_id_foreign`")
	mustExecS(t, db, "alter table `posts` drop index `posts_user_id_foreign`")
	if _, err := db.Exec("ALTER TABLE `posts` DROP FOREIGN KEY `posts_user_id_foreign`;"); errNumber(err) != 1091 {
		t.Errorf("second drop: %v, want 1091", err)
	}
	mustExecS(t, db, "INSERT INTO posts (user_id, title) VALUES (9, 'x')") // no key now
}

// TestForeignKeyRace: a child insert and a parent delete on two
// connections cannot both commit. The insert locks the parent table while
// it looks its row up (engine/foreignkey.go), so the delete waits for the
// insert's transaction and then sees its child row: 1451, no orphan.
func TestForeignKeyRace(t *testing.T) {
	s := startSQLShim(t, Options{})
	db := sqlshimDB(t, s, "")
	mustExecS(t, db, "CREATE TABLE p (id INT PRIMARY KEY) ENGINE=InnoDB")
	mustExecS(t, db, "CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id)) ENGINE=InnoDB")
	mustExecS(t, db, "INSERT INTO p VALUES (1)")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, q := range []string{"BEGIN", "INSERT INTO c VALUES (1, 1)"} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.ExecContext(ctx, "DELETE FROM p WHERE id = 1")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the parent delete did not wait for the child insert's transaction: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := a.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; errNumber(err) != 1451 {
		t.Fatalf("parent delete after the child committed: %v, want 1451", err)
	}
	var orphans int
	if err := db.QueryRow("SELECT COUNT(*) FROM c LEFT JOIN p ON p.id = c.pid WHERE p.id IS NULL").Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("orphans = %d, %v", orphans, err)
	}

	// The other order: the parent row deleted first, the child insert
	// waits for that transaction and then finds no parent: 1452.
	mustExecS(t, db, "INSERT INTO p VALUES (2)")
	for _, q := range []string{"BEGIN", "DELETE FROM p WHERE id = 2"} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	go func() {
		_, err := b.ExecContext(ctx, "INSERT INTO c VALUES (2, 2)")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the child insert did not wait for the parent delete's transaction: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := a.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; errNumber(err) != 1452 {
		t.Fatalf("child insert after the parent delete committed: %v, want 1452", err)
	}
}
