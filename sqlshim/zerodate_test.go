package sqlshim

import (
	"fmt"
	"strings"
	"testing"
)

// TestZeroDateSpill sorts and hash-joins zero dates past the memory
// budget: the runs on disk keep them (DATE and DATETIME alike), in the
// order an in-memory sort gives.
func TestZeroDateSpill(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := newTestSession(t)
	mustExec(t, s, "CREATE TABLE z (id INT PRIMARY KEY, d DATE, dt DATETIME(6), pad VARCHAR(40))")
	var rows []string
	for i := 1; i <= 3000; i++ {
		m, day := i%13, i%32 // months 0 to 12, days 0 to 31: zero dates, real ones, and invalid ones made zero
		d := fmt.Sprintf("'%04d-%02d-%02d'", 2000+i%7, m, day)
		if m != 0 && day != 0 && day > 28 {
			d = "'0000-00-00'"
		}
		rows = append(rows, fmt.Sprintf("(%d, %s, %s, 'padding padding padding')", i, d, strings.TrimSuffix(d, "'")+" 10:11:12.5'"))
	}
	mustExec(t, s, "INSERT INTO z VALUES "+strings.Join(rows, ","))
	checkSpills(t, s, tmp, []string{
		"SELECT * FROM z ORDER BY d, id",
		"SELECT id, dt, pad FROM z ORDER BY dt DESC, id",
	}, 3000)
	r := mustExec(t, s, "SELECT COUNT(*) FROM z x JOIN z y ON x.d = y.d WHERE x.id < 200")
	if got := fmt.Sprint(r.Rows); got == "[[0]]" {
		t.Errorf("self-join on d found nothing: %s", got)
	}
}
