package sqlshim

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestDefaultCurrentTimestamp: DEFAULT CURRENT_TIMESTAMP fills rows
// inserted without the column with the statement's time (cut to the
// column's fractional digits), ON UPDATE CURRENT_TIMESTAMP moves only when
// an UPDATE changes the row and does not set the column, ALTER TABLE ADD
// COLUMN gives existing rows the ALTER's time, the flags survive a reopen
// and SHOW CREATE TABLE reads back through CREATE TABLE, and misuse is
// refused with MySQL's errors.
func TestDefaultCurrentTimestamp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test")
	db, err := engine.Open(dir, engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(db)
	mustRun(t, s, "CREATE TABLE p (id INT PRIMARY KEY, x INT, created TIMESTAMP DEFAULT CURRENT_TIMESTAMP, "+
		"upd DATETIME(3) NOT NULL DEFAULT NOW(3) ON UPDATE CURRENT_TIMESTAMP(3))")
	before := time.Now().UTC().Truncate(time.Second)
	mustRun(t, s, "INSERT INTO p (id, x) VALUES (1, 1), (2, 2)")
	mustRun(t, s, "INSERT INTO p VALUES (3, 3, '2001-02-03 04:05:06', '2001-02-03 04:05:06.789')")
	after := time.Now().UTC()
	get := func(id int) (created, upd time.Time) {
		t.Helper()
		r := mustRun(t, s, "SELECT created, upd FROM p WHERE id = ?", id)
		return r.Rows[0][0].(time.Time), r.Rows[0][1].(time.Time)
	}
	c1, u1 := get(1)
	if c1.Before(before) || c1.After(after) || c1.Nanosecond() != 0 {
		t.Errorf("created = %v, want a whole second in [%v, %v]", c1, before, after)
	}
	if u1.Before(before) || u1.After(after) || u1.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("upd = %v, want milliseconds in [%v, %v]", u1, before, after)
	}
	if c3, u3 := get(3); c3.Year() != 2001 || u3.Nanosecond() != 789000000 {
		t.Errorf("given values: %v %v", c3, u3)
	}
	time.Sleep(5 * time.Millisecond)
	mustRun(t, s, "UPDATE p SET x = x WHERE id = 1")                      // no change
	mustRun(t, s, "UPDATE p SET x = 20 WHERE id = 2")                     // change
	mustRun(t, s, "UPDATE p SET x = 30, upd = '1999-01-01' WHERE id = 3") // explicit
	if _, u := get(1); !u.Equal(u1) {
		t.Errorf("an UPDATE that changed nothing moved upd: %v -> %v", u1, u)
	}
	if c, u := get(2); !u.After(u1) || c.After(u) {
		t.Errorf("an UPDATE that changed the row left upd at %v (created %v)", u, c)
	}
	if _, u := get(3); u.Year() != 1999 {
		t.Errorf("an UPDATE that set upd: %v", u)
	}
	mustRun(t, s, "INSERT INTO p (id, x) VALUES (2, 0) ON DUPLICATE KEY UPDATE x = 21")
	if _, u := get(2); !u.After(u1) {
		t.Errorf("ON DUPLICATE KEY UPDATE left upd at %v", u)
	}
	r := mustRun(t, s, "SELECT DEFAULT(created) >= ? FROM p WHERE id = 3", before)
	if toInt(r.Rows[0][0]) != 1 {
		t.Errorf("DEFAULT(created) = %v", r.Rows[0][0])
	}
	mustRun(t, s, "ALTER TABLE p ADD COLUMN added DATETIME DEFAULT CURRENT_TIMESTAMP")
	r = mustRun(t, s, "SELECT COUNT(*) FROM p WHERE added >= ?", before)
	if toInt(r.Rows[0][0]) != 3 {
		t.Errorf("rows older than the added column: %d with the ALTER's time, want 3", toInt(r.Rows[0][0]))
	}

	show := toString(mustRun(t, s, "SHOW CREATE TABLE p").Rows[0][1])
	for _, want := range []string{"`created` timestamp NULL DEFAULT current_timestamp()",
		"`upd` datetime(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3)"} {
		if !strings.Contains(show, want) {
			t.Errorf("SHOW CREATE TABLE lacks %q:\n%s", want, show)
		}
	}
	mustRun(t, s, strings.Replace(show, "CREATE TABLE `p`", "CREATE TABLE `p2`", 1))
	d := mustRun(t, s, "DESCRIBE p2")
	if got := toString(d.Rows[3][4]) + " | " + toString(d.Rows[3][5]); got != "current_timestamp(3) | on update current_timestamp(3)" {
		t.Errorf("DESCRIBE upd: %s", got)
	}

	db.Close()
	db, err = engine.Open(dir, engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s = NewSession(db)
	mustRun(t, s, "INSERT INTO p (id) VALUES (4)")
	if c, u := get(4); c.Before(before) || u.Before(before) {
		t.Errorf("after reopening: created %v, upd %v", c, u)
	}

	for _, c := range []struct {
		q    string
		code int
	}{
		{"CREATE TABLE bad (d INT DEFAULT NOW())", sqlerr.ErrInvalidDefault}, // MariaDB takes it (any expression), blitz does not
		{"CREATE TABLE bad (d DATE ON UPDATE CURRENT_TIMESTAMP)", sqlerr.ErrInvalidOnUpdate},
		{"CREATE TABLE bad (d INT ON UPDATE CURRENT_TIMESTAMP)", sqlerr.ErrInvalidOnUpdate},
	} {
		_, err := s.ExecOne(context.Background(), c.q, nil)
		if e := sqlerr.As(err); err == nil || e.Code != c.code {
			t.Errorf("%s: %v, want error %d", c.q, err, c.code)
		}
	}
}
