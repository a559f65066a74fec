package sqlshim

import (
	"strings"
	"testing"

	cs "github.com/blitzdb/blitz/internal/charset"
)

// TestCharsetShowCreateReloads checks, for every character set blitz
// accepts, that what SHOW CREATE TABLE prints for a column and a table in
// it creates the same table again (a dump's reload) and names the set
// itself, not utf8mb4: the set's default collation, and <set>_bin where
// blitz has it.
func TestCharsetShowCreateReloads(t *testing.T) {
	s := newTestSession(t)
	showCreate := func(table string) string {
		t.Helper()
		r := mustRun(t, s, "SHOW CREATE TABLE "+table)
		return r.Rows[0][1].(string)
	}
	for _, name := range cs.Supported() {
		set, err := cs.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if set.Identity() {
			continue // utf8mb4 and its like: other tests
		}
		ddls := []string{
			"CREATE TABLE t (a VARCHAR(5) CHARACTER SET " + name + ", b TEXT, c CHAR(2) CHARACTER SET " + name + " COLLATE " + set.Collation + ")",
			"CREATE TABLE t (a VARCHAR(5), b TEXT CHARACTER SET utf8mb4) DEFAULT CHARSET=" + name,
		}
		if _, err := s.ExecOne(t.Context(), "CREATE TABLE probe (a CHAR(1) CHARACTER SET "+name+" COLLATE "+name+"_bin)", nil); err == nil {
			mustRun(t, s, "DROP TABLE probe")
			ddls = append(ddls, "CREATE TABLE t (a VARCHAR(5) CHARACTER SET "+name+" COLLATE "+name+"_bin, b VARCHAR(5)) DEFAULT CHARSET="+name)
		}
		for _, ddl := range ddls {
			mustRun(t, s, ddl)
			first := showCreate("t")
			if !strings.Contains(first, "CHARACTER SET "+name+" COLLATE "+name+"_") && !strings.Contains(first, "DEFAULT CHARSET="+name+" COLLATE="+name+"_") {
				t.Errorf("%s: SHOW CREATE TABLE does not name %s:\n%s", ddl, name, first)
			}
			mustRun(t, s, "DROP TABLE t")
			if _, err := s.ExecOne(t.Context(), first, nil); err != nil {
				t.Fatalf("%s: reloading SHOW CREATE TABLE's\n%s\n%v", ddl, first, err)
			}
			if again := showCreate("t"); again != first {
				t.Errorf("%s: reloaded, SHOW CREATE TABLE says\n%s\nwas\n%s", ddl, again, first)
			}
			mustRun(t, s, "DROP TABLE t")
		}
	}
}

// TestConvertedTextLength checks the TEXT type CONVERT TO CHARACTER SET
// gives, as MariaDB does (charset_ddl.test has the SQL).
func TestConvertedTextLength(t *testing.T) {
	latin1, _ := cs.Lookup("latin1")
	for _, c := range []struct {
		n        int
		from, to *cs.Charset
		want     int
	}{
		{65535, latin1, nil, 16777215},        // TEXT -> MEDIUMTEXT
		{255, latin1, nil, 65535},             // TINYTEXT -> TEXT
		{16777215, latin1, nil, 4294967295},   // MEDIUMTEXT -> LONGTEXT
		{4294967295, latin1, nil, 4294967295}, // LONGTEXT stays
		{65535, nil, latin1, 65535},           // never smaller
		{255, nil, latin1, 255},
		{16777215, nil, latin1, 16777215},
		{0, latin1, latin1, 65535}, // TEXT of no recorded length
	} {
		if got := convertedTextLength(c.n, c.from, c.to); got != c.want {
			t.Errorf("convertedTextLength(%d, %s, %s) = %d, want %d", c.n, setName(c.from), setName(c.to), got, c.want)
		}
	}
}
