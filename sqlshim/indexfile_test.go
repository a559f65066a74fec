package sqlshim_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexFileNames: every index of every table has a file of its own
// (engine.IndexFileName), whatever '.' or '@' its table and index names
// hold and however long they are. Before, table "x"'s index "y.k" and
// table "x.y"'s index "k" were both x.y.k.bix: the second CREATE TABLE
// replaced the first table's index, and the database no longer opened
// ("in use by another process"); an index named like its 64-character
// table of two-byte letters had a file name over 255 bytes, and CREATE
// TABLE failed with error 1105. MariaDB takes all of these.
func TestIndexFileNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	long := strings.Repeat("é", 64)
	tables := []struct{ create, name, index string }{
		{"CREATE TABLE `x.y` (id INT PRIMARY KEY, v INT, KEY k (v))", "x.y", "k"},
		{"CREATE TABLE x (id INT PRIMARY KEY, v INT, KEY `y.k` (v))", "x", "y.k"},
		{"CREATE TABLE `x@` (id INT PRIMARY KEY, v INT, KEY `a.b` (v), KEY `a@002eb` (v))", "x@", "a.b"},
		{"CREATE TABLE `" + long + "` (id INT PRIMARY KEY, v INT, KEY `" + long + "` (v), KEY `" + long[:126] + "x` (v))", long, long},
	}
	open := func() *sql.DB {
		db, err := sql.Open("blitz", dir) // no auto_recover: nothing may be crashed
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		return db
	}
	db := open()
	for i, tb := range tables {
		mustExec(t, db, tb.create)
		for j := range 3 {
			mustExec(t, db, fmt.Sprintf("INSERT INTO `%s` VALUES (%d, %d)", tb.name, j, 100*i+j))
		}
	}
	check := func(when string) {
		t.Helper()
		for i, tb := range tables {
			var id, v int
			q := fmt.Sprintf("SELECT id, v FROM `%s` FORCE INDEX (`%s`) WHERE v = %d", tb.name, tb.index, 100*i+2)
			if err := db.QueryRow(q).Scan(&id, &v); err != nil || id != 2 {
				t.Errorf("%s: %s: id %d, %v; want id 2", when, q, id, err)
			}
			var n int
			q = fmt.Sprintf("SELECT COUNT(*) FROM `%s` FORCE INDEX (`%s`) WHERE v >= %d", tb.name, tb.index, 100*i)
			if err := db.QueryRow(q).Scan(&n); err != nil || n != 3 {
				t.Errorf("%s: %s: %d, %v; want 3", when, q, n, err)
			}
			var tbl, op, typ, msg string
			if err := db.QueryRow("CHECK TABLE `"+tb.name+"`").Scan(&tbl, &op, &typ, &msg); err != nil || msg != "OK" {
				t.Errorf("%s: CHECK TABLE %s: %s %s, %v", when, tb.name, typ, msg, err)
			}
		}
	}
	check("before reopening")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open()
	defer db.Close()
	check("after reopening")
	files := map[string]bool{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".bix") {
			if len(e.Name()) > 215 {
				t.Errorf("index file name of %d bytes: %s", len(e.Name()), e.Name())
			}
			files[e.Name()] = true
		}
	}
	if len(files) != 6 {
		t.Errorf("%d index files, want 6 (one for each index): %v", len(files), files)
	}
	// A rename carries the files along (and a long name stays short).
	mustExec(t, db, "RENAME TABLE `x.y` TO `"+long[:120]+".y`, x TO `"+long[:126]+"`")
	tables[0].name, tables[1].name = long[:120]+".y", long[:126]
	check("after RENAME TABLE")
}
