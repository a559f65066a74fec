package sqlshim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// TestIntoOutfileMatchesMariaDB: an embedded session writes, for each
// SELECT ... INTO OUTFILE | DUMPFILE of testdata/outfile/export.sql, the
// same bytes as MariaDB 10.11 wrote (testdata/outfile/regen.sh), and the
// same files.
func TestIntoOutfileMatchesMariaDB(t *testing.T) {
	script, err := os.ReadFile("../testdata/outfile/export.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	db, err := engine.Open(filepath.Join(t.TempDir(), "test"), engine.Options{Sync: engine.SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var msgs bytes.Buffer
	sh := &Shell{Session: NewSession(db), Out: &msgs, Err: &msgs}
	if _, err := sh.Run(context.Background(), strings.NewReader(strings.ReplaceAll(string(script), "DIR", out))); err != nil {
		t.Fatalf("%v\n%s", err, msgs.String())
	}
	if msgs.Len() != 0 {
		t.Fatalf("the script printed:\n%s", msgs.String())
	}
	want, _ := filepath.Glob("../testdata/outfile/*.expected")
	got, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("wrote %d files, MariaDB %d", len(got), len(want))
	}
	sort.Strings(want)
	for _, w := range want {
		name := strings.TrimSuffix(filepath.Base(w), ".expected")
		exp, _ := os.ReadFile(w)
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(b, exp) {
			t.Errorf("%s:\n got %q\nwant %q", name, b, exp)
		}
	}
}

// TestIntoOutfileRefusals: the files SELECT ... INTO OUTFILE | DUMPFILE
// does not write, and what it answers; a refused statement leaves no
// file.
func TestIntoOutfileRefusals(t *testing.T) {
	s := newTestSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	mustRun(t, s, "CREATE TABLE t (a INT PRIMARY KEY, b VARCHAR(5))")
	mustRun(t, s, "INSERT INTO t VALUES (1, 'x'), (2, NULL)")
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for q, code := range map[string]int{
		"SELECT * FROM t INTO OUTFILE '" + existing + "'":                                                               errFileExists,
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(dir, "no/such") + "'":                                          sqlerr.ErrOptionPrevents,
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(s.db.Dir(), "x.def") + "'":                                     sqlerr.ErrOptionPrevents,
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(s.db.Dir(), "wal/x") + "'":                                     sqlerr.ErrOptionPrevents,
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(dir, "a") + "' INTO OUTFILE '" + filepath.Join(dir, "b") + "'": sqlerr.ErrParse,
		"SELECT (SELECT 1 INTO OUTFILE '" + filepath.Join(dir, "c") + "')":                                              sqlerr.ErrParse,
		"SELECT 1 INTO DUMPFILE '" + filepath.Join(dir, "d") + "' FIELDS TERMINATED BY ','":                             sqlerr.ErrParse,
		"SELECT 1 INTO OUTFILE '" + filepath.Join(dir, "e") + "' CHARACTER SET latin1":                                  sqlerr.ErrNotSupported,
	} {
		if _, err := s.ExecOne(ctx, q, nil); sqlerr.As(err).Code != code {
			t.Errorf("%s: %v, want error %d", q, err, code)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Errorf("the existing file now holds %q", b)
	}
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Errorf("files left: %v, want only %s", names, existing)
	}
	if _, err := os.Stat(filepath.Join(s.db.Dir(), "x.def")); err == nil {
		t.Errorf("x.def was written into the database's directory")
	}
	// A relative name is relative to the working directory.
	t.Chdir(dir)
	r := mustRun(t, s, "SELECT * FROM t ORDER BY a INTO OUTFILE 'rel'")
	if r.AffectedRows != 2 || r.HasResultSet() {
		t.Errorf("INTO OUTFILE answered %+v, want 2 rows affected and no result set", r)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rel")); string(b) != "1\tx\n2\t\\N\n" {
		t.Errorf("rel holds %q", b)
	}
}

// TestServerFilesRefused: a session that may not touch the server's files
// (SetInfile with serverFiles false: blitz serve) refuses INTO OUTFILE,
// INTO DUMPFILE and LOAD DATA INFILE with MariaDB's 1290, writes nothing,
// and reports @@secure_file_priv as NULL ("" while it may write).
func TestServerFilesRefused(t *testing.T) {
	s := newTestSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	mustRun(t, s, "CREATE TABLE t (a INT)")
	if r := mustRun(t, s, "SELECT @@secure_file_priv"); r.Rows[0][0] != "" {
		t.Errorf("embedded @@secure_file_priv = %v, want ''", r.Rows[0][0])
	}
	s.SetInfile(nil, false)
	if r := mustRun(t, s, "SELECT @@secure_file_priv"); r.Rows[0][0] != nil {
		t.Errorf("@@secure_file_priv = %v, want NULL", r.Rows[0][0])
	}
	for _, q := range []string{
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(dir, "f") + "'",
		"SELECT * INTO DUMPFILE '" + filepath.Join(dir, "g") + "' FROM t",
		"LOAD DATA INFILE '" + filepath.Join(dir, "f") + "' INTO TABLE t",
	} {
		if _, err := s.ExecOne(ctx, q, nil); sqlerr.As(err).Code != sqlerr.ErrOptionPrevents {
			t.Errorf("%s: %v, want error 1290", q, err)
		}
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Errorf("files written: %v", names)
	}
}

// TestServerFileDir: a session that may touch the server's files in one
// directory only (SetServerFileDir: blitz serve --secure-file-priv)
// writes INTO OUTFILE and reads LOAD DATA INFILE there, a relative name
// being relative to it, and refuses with 1290 a file elsewhere, one
// reached through a symbolic link out of the directory, and one in a
// directory that does not exist; @@secure_file_priv is the directory.
func TestServerFileDir(t *testing.T) {
	s := newTestSession(t)
	ctx := context.Background()
	dir, other := t.TempDir(), t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(other, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "secret"), []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "secret"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	mustRun(t, s, "CREATE TABLE t (a INT)")
	mustRun(t, s, "INSERT INTO t VALUES (1), (2)")
	s.SetInfile(nil, false)
	s.SetServerFileDir(dir)
	if r := mustRun(t, s, "SELECT @@secure_file_priv"); r.Rows[0][0] != dir+"/" {
		t.Errorf("@@secure_file_priv = %v, want %s/", r.Rows[0][0], dir)
	}
	mustRun(t, s, "SELECT * FROM t INTO OUTFILE '"+filepath.Join(dir, "sub", "f")+"'")
	mustRun(t, s, "SELECT * FROM t WHERE a = 2 INTO OUTFILE 'rel'")
	if b, err := os.ReadFile(filepath.Join(dir, "sub", "f")); err != nil || string(b) != "1\n2\n" {
		t.Errorf("sub/f: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "rel")); err != nil || string(b) != "2\n" {
		t.Errorf("rel (relative to the directory): %q, %v", b, err)
	}
	mustRun(t, s, "LOAD DATA INFILE '"+filepath.Join(dir, "sub", "f")+"' INTO TABLE t")
	mustRun(t, s, "LOAD DATA INFILE 'rel' INTO TABLE t")
	if r := mustRun(t, s, "SELECT COUNT(*), SUM(a) FROM t"); toString(r.Rows[0][0]) != "5" || toString(r.Rows[0][1]) != "8" {
		t.Errorf("after LOAD DATA INFILE: %v", r.Rows[0])
	}
	for _, q := range []string{
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(other, "f") + "'",
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(dir, "out", "f") + "'",
		"SELECT * FROM t INTO OUTFILE '../f'",
		"SELECT * FROM t INTO OUTFILE '" + filepath.Join(dir, "nosuch", "f") + "'",
		"SELECT * INTO DUMPFILE '" + filepath.Join(other, "g") + "' FROM t LIMIT 1",
		"LOAD DATA INFILE '" + filepath.Join(other, "secret") + "' INTO TABLE t",
		"LOAD DATA INFILE '" + filepath.Join(dir, "link") + "' INTO TABLE t",
		"LOAD DATA INFILE 'out/secret' INTO TABLE t",
	} {
		if _, err := s.ExecOne(ctx, q, nil); sqlerr.As(err).Code != sqlerr.ErrOptionPrevents {
			t.Errorf("%s: %v, want error 1290", q, err)
		}
	}
	if names, _ := os.ReadDir(other); len(names) != 1 {
		t.Errorf("files written outside the directory: %v", names)
	}
	// A missing file in the directory is MariaDB's "not found" (1017
	// here as there: File '...' not found).
	if _, err := s.ExecOne(ctx, "LOAD DATA INFILE 'nosuch' INTO TABLE t", nil); err == nil || sqlerr.As(err).Code == sqlerr.ErrOptionPrevents {
		t.Errorf("LOAD DATA of a missing file in the directory: %v, want not found", err)
	}
}
