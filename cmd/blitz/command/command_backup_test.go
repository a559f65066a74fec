package command

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/ulog"
)

// TestBackupRestoreClosed: blitz backup of a closed database, blitz restore
// with and without the update log, point in time, and bad input.
func TestBackupRestoreClosed(t *testing.T) {
	root := t.TempDir()
	dir, ulogDir, bk := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "bk")
	sqlRun := sqlRunner(t)
	withLog := []string{"--ulog", ulogDir, "--ulog-limit", "4096"}
	sqlRun(dir, withLog, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE = BLITZDB, CRASH_SAFE",
		"INSERT INTO t VALUES (1, 'one'), (2, 'two')")

	code, out, errs := run(t, "", "backup", "-d", dir, "--to", bk, "--ulog", ulogDir)
	if code != ExitOK || !strings.Contains(out, "ulog seq: 2") {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(bk, "BACKUP.json")); err != nil {
		t.Fatal(err)
	}
	sqlRun(dir, withLog, "INSERT INTO t VALUES (3, 'three')")
	time.Sleep(1100 * time.Millisecond)
	cut := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(10 * time.Millisecond)
	sqlRun(dir, withLog, "DELETE FROM t WHERE id = 1")

	// Without the log: the backup's rows.
	r1 := filepath.Join(root, "r1")
	if code, out, errs := run(t, "", "restore", "-d", r1, "--from", bk); code != ExitOK {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
	}
	if got := sqlRun(r1, nil, "SELECT id FROM t ORDER BY id"); got != "id\n1\n2\n" {
		t.Fatalf("restored rows %q", got)
	}
	// With the log, up to a time between the two later writes.
	r2 := filepath.Join(root, "r2")
	code, out, errs = run(t, "", "restore", "-d", r2, "--from", bk, "--ulog", ulogDir, "--until", cut)
	if code != ExitOK || !strings.Contains(out, "replayed: 1 records") {
		t.Fatalf("restore --until: exit %d\n%s%s", code, out, errs)
	}
	if got := sqlRun(r2, nil, "SELECT id FROM t ORDER BY id"); got != "id\n1\n2\n3\n" {
		t.Fatalf("restored rows at %s: %q", cut, got)
	}
	// All of it; twice.
	r3 := filepath.Join(root, "r3")
	for i := 0; i < 2; i++ {
		if code, out, errs := run(t, "", "restore", "-d", r3, "--from", bk, "--ulog", ulogDir); code != ExitOK {
			t.Fatalf("restore %d: exit %d\n%s%s", i, code, out, errs)
		}
		if got := sqlRun(r3, nil, "SELECT id FROM t ORDER BY id", "CHECK TABLE t"); !strings.HasPrefix(got, "id\n2\n3\n") || !strings.Contains(got, "status\tOK") {
			t.Fatalf("restore %d: %q", i, got)
		}
	}

	// Bad input.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"backup", "-d", dir}, ExitUsage, "required"},
		{[]string{"backup", "-d", dir, "--to", bk}, ExitFailed, "not empty"},
		{[]string{"backup", "-d", filepath.Join(root, "nodb"), "--to", filepath.Join(root, "x")}, ExitFailed, "nodb does not exist"},
		{[]string{"restore", "-d", filepath.Join(root, "r4"), "--from", filepath.Join(root, "nobackup")}, ExitFailed, "does not exist"},
		{[]string{"restore", "-d", filepath.Join(root, "r4"), "--from", dir}, ExitFailed, "not a backup"},
		{[]string{"restore", "-d", r1, "--from", bk, "--until", "yesterday", "--ulog", ulogDir}, ExitUsage, "--until"},
		{[]string{"restore", "-d", dir, "--from", bk}, ExitFailed, "not empty"},
	} {
		code, out, errs := run(t, "", c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q (stdout %q); want %d and %q", c.args, code, errs, out, c.code, c.want)
		}
	}
	garbage := filepath.Join(root, "garbage")
	os.MkdirAll(garbage, 0o755)
	os.WriteFile(filepath.Join(garbage, "BACKUP.json"), []byte("]]"), 0o644)
	if code, _, errs := run(t, "", "restore", "-d", filepath.Join(root, "r5"), "--from", garbage); code != ExitFailed || !strings.Contains(errs, "damaged") {
		t.Errorf("garbage BACKUP.json: exit %d, %q", code, errs)
	}
	// A damaged log stops the replay, naming the segment; --skip-damaged goes on.
	segs, _ := filepath.Glob(filepath.Join(ulogDir, "*.ulog"))
	data, _ := os.ReadFile(segs[0])
	data[ulog.HeaderSize+ulog.FrameHeaderSize+2] ^= 0xff // the first frame
	os.WriteFile(segs[0], data, 0o644)
	code, _, errs = run(t, "", "restore", "-d", filepath.Join(root, "r6"), "--from", bk, "--ulog", ulogDir)
	if code != ExitFailed || !strings.Contains(errs, filepath.Base(segs[0])) || !strings.Contains(errs, "offset") {
		t.Errorf("damaged log: exit %d, %q", code, errs)
	}
	code, out, errs = run(t, "", "restore", "-d", filepath.Join(root, "r7"), "--from", bk, "--ulog", ulogDir, "--skip-damaged")
	if code != ExitOK || !strings.Contains(out, "skipped damage") {
		t.Errorf("--skip-damaged: exit %d\n%s%s", code, out, errs)
	}
}

// TestBackupThroughServer: blitz backup of a database a running blitz serve
// holds goes through the server (DIR/SERVING).
func TestBackupThroughServer(t *testing.T) {
	root := t.TempDir()
	dir, ulogDir, bk := filepath.Join(root, "shop"), filepath.Join(root, "ulog"), filepath.Join(root, "bk")
	p := startServe(t, dir, "--ulog", ulogDir)
	db := p.open(t, "shop")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE = BLITZDB, CRASH_SAFE")
	mustExec(t, db, "CREATE TABLE p (id INT PRIMARY KEY, v VARCHAR(20))")
	mustExec(t, db, "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	mustExec(t, db, "INSERT INTO p VALUES (1, 'a')")
	if _, err := os.Stat(filepath.Join(dir, servingFile)); err != nil {
		t.Fatalf("no SERVING file: %v", err)
	}
	code, out, errs := run(t, "", "backup", "-d", dir, "--to", bk)
	if code != ExitOK || !strings.Contains(out, "via server") || !strings.Contains(out, "ulog seq: 4") {
		t.Fatalf("backup through server: exit %d\n%s%s\n%s", code, out, errs, p.errText())
	}
	// The SQL statement itself, and its errors.
	var d, ts string
	var seq, files, bytes, pause int64
	if err := db.QueryRow("BACKUP DATABASE * TO '"+filepath.Join(root, "bk2")+"'").Scan(&d, &ts, &seq, &files, &bytes, &pause); err != nil || seq != 4 || bytes == 0 {
		t.Fatalf("BACKUP DATABASE: %v seq %d bytes %d", err, seq, bytes)
	}
	if _, err := db.Exec("BACKUP DATABASE * TO '" + bk + "'"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("BACKUP into a non-empty dir: %v", err)
	}
	mustExec(t, db, "INSERT INTO t VALUES (3, 'c')")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, servingFile)); err == nil {
		t.Fatal("SERVING left behind after a clean shutdown")
	}
	r := filepath.Join(root, "r")
	if code, out, errs := run(t, "", "restore", "-d", r, "--from", bk, "--ulog", ulogDir); code != ExitOK || !strings.Contains(out, "replayed: 1 records") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "", "sql", "-d", r, "-e", "SELECT COUNT(*) FROM t", "-e", "SELECT COUNT(*) FROM p")
	if code != ExitOK || out != "COUNT(*)\n3\nCOUNT(*)\n1\n" {
		t.Fatalf("restored: exit %d %q %s", code, out, errs)
	}
}

// TestIncrementalBackupRecover: blitz backup --incremental twice into a
// file:// store (the second sends less: the unchanged table's files are
// not sent again), a push that the store refuses, and blitz recover of the
// newest backup plus the update log into a fresh directory.
func TestIncrementalBackupRecover(t *testing.T) {
	root := t.TempDir()
	dir, ulogDir := filepath.Join(root, "db"), filepath.Join(root, "ulog")
	store := "file://" + filepath.Join(root, "store")
	withLog := []string{"--ulog", ulogDir}
	sqlRun := sqlRunner(t)
	sqlRun(dir, withLog, "CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(200), KEY kv (v))",
		"CREATE TABLE small (id INT PRIMARY KEY, v INT) ENGINE = BLITZDB, CRASH_SAFE")
	var ins []string
	for i := 0; i < 200; i++ {
		ins = append(ins, "INSERT INTO big VALUES ("+itoa(i)+", REPEAT('x', 150))")
	}
	sqlRun(dir, withLog, ins...)
	sqlRun(dir, withLog, "INSERT INTO small VALUES (1, 1)")
	sent := func(out string) int64 {
		for _, l := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(l, "sent: "); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(v, " bytes"), 10, 64)
				return n
			}
		}
		t.Fatalf("no sent: line in %q", out)
		return 0
	}
	code, out1, errs := run(t, "", "backup", "-d", dir, "--to", store, "--incremental", "--ulog", ulogDir)
	if code != ExitOK {
		t.Fatalf("first incremental backup: exit %d\n%s%s", code, out1, errs)
	}
	sqlRun(dir, withLog, "UPDATE small SET v = 2 WHERE id = 1")
	code, out2, errs := run(t, "", "backup", "-d", dir, "--to", store, "--incremental", "--ulog", ulogDir)
	if code != ExitOK {
		t.Fatalf("second incremental backup: exit %d\n%s%s", code, out2, errs)
	}
	if s1, s2 := sent(out1), sent(out2); s2*2 >= s1 {
		t.Fatalf("the second backup sent %d bytes, the first %d: the unchanged table was sent again?\n%s", s2, s1, out2)
	}
	// Writes after the last backup reach the store only in the update log.
	sqlRun(dir, withLog, "INSERT INTO small VALUES (2, 20)", "DELETE FROM big WHERE id < 10")
	code, out3, errs := run(t, "", "store", "push", "--to", store, "--backup", mustLatestBackup(t, root, store), "--ulog", ulogDir)
	if code != ExitOK {
		t.Fatalf("store push of the log tail: exit %d\n%s%s", code, out3, errs)
	}

	rec := filepath.Join(root, "recovered")
	code, out, errs := run(t, "", "recover", "--from", store, "-d", rec)
	if code != ExitOK {
		t.Fatalf("recover: exit %d\n%s%s", code, out, errs)
	}
	want := sqlRun(dir, nil, "SELECT id, v FROM small ORDER BY id", "SELECT COUNT(*), MIN(id) FROM big")
	if got := sqlRun(rec, nil, "SELECT id, v FROM small ORDER BY id", "SELECT COUNT(*), MIN(id) FROM big"); got != want {
		t.Fatalf("recovered database:\n%s\nsource:\n%s", got, want)
	}
	if got := sqlRun(rec, nil, "CHECK TABLE big, small"); strings.Count(got, "status\tOK") != 2 {
		t.Fatalf("CHECK after recover: %q", got)
	}
	// Bad input: no store there, a directory that is not empty.
	if code, _, errs := run(t, "", "recover", "--from", "file://"+filepath.Join(root, "nostore"), "-d", filepath.Join(root, "r2")); code == ExitOK || !strings.Contains(errs, "nostore") {
		t.Fatalf("recover from a missing store: exit %d %s", code, errs)
	}
	if code, _, errs := run(t, "", "recover", "--from", store, "-d", dir); code == ExitOK {
		t.Fatalf("recover over a live database directory succeeded: %s", errs)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// mustLatestBackup fetches the newest backup of the store into a directory
// under root, for a push that only extends the log.
func mustLatestBackup(t *testing.T, root, store string) string {
	t.Helper()
	d := filepath.Join(root, "latest")
	if code, out, errs := run(t, "", "store", "fetch", "--from", store, "--to", d); code != ExitOK {
		t.Fatalf("store fetch: exit %d\n%s%s", code, out, errs)
	}
	return d
}

// TestBackupSeedScenario runs testdata/backup/scenario.sh, the backup
// issue's seed scenario (serve with an update log, write, back up through
// the server, write more, kill -9, delete the database, restore from the
// backup plus the log, every write back), with this test binary as blitz.
func TestBackupSeedScenario(t *testing.T) {
	if _, err := exec.LookPath("mariadb"); err != nil {
		t.Skipf("mariadb is not installed (CI installs Debian's mariadb-client): %v", err)
	}
	dir := t.TempDir()
	wrapper := filepath.Join(dir, "blitz")
	script := "#!/bin/sh\nBLITZ_SERVE_HELPER=1 exec '" + os.Args[0] + "' -test.run='^TestServeHelperProcess$' -- \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../../../testdata/backup/scenario.sh", filepath.Join(dir, "work"))
	cmd.Env = append(os.Environ(), "BLITZ="+wrapper)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "scenario: every write is back") {
		t.Fatalf("scenario.sh: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(string(out)))
}

// sqlRunner returns a function that runs statements with blitz sql -d DIR
// (extra flags before them) and returns what it printed, failing the test
// on a non-zero exit.
func sqlRunner(t *testing.T) func(dir string, extra []string, stmts ...string) string {
	return func(dir string, extra []string, stmts ...string) string {
		t.Helper()
		args := append([]string{"sql", "-d", dir}, extra...)
		for _, s := range stmts {
			args = append(args, "-e", s)
		}
		code, out, errs := run(t, "", args...)
		if code != ExitOK {
			t.Fatalf("sql %v: exit %d: %s", stmts, code, errs)
		}
		return out
	}
}

// TestRestoreRefusedPrintsNoSummary: a restore refused before it copies
// anything (no such backup, a file, a directory that is not a backup)
// prints only the error, naming the path, exits 1 and creates nothing.
func TestRestoreRefusedPrintsNoSummary(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	notBackup := filepath.Join(root, "empty")
	os.Mkdir(notBackup, 0o755)
	for _, c := range []struct {
		from  string
		extra []string
		want  string
	}{
		{filepath.Join(root, "nonexistent"), nil, filepath.Join(root, "nonexistent") + " does not exist"},
		{file, nil, file + " is a file, not a directory"},
		{notBackup, nil, notBackup + " is not a backup"},
		{notBackup, []string{"--ulog", filepath.Join(root, "nolog")}, "--ulog: " + filepath.Join(root, "nolog") + " does not exist"},
		{notBackup, []string{"--ulog", file}, "--ulog: " + file + " is a file"},
	} {
		dest := filepath.Join(root, "dest")
		code, out, errs := run(t, "", append([]string{"restore", "-d", dest, "--from", c.from}, c.extra...)...)
		if code != ExitFailed || out != "" || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("restore --from %s: exit %d, stdout %q, stderr %q; want exit 1, no output, one line with %q", c.from, code, out, errs, c.want)
		}
		if _, err := os.Stat(dest); !os.IsNotExist(err) {
			t.Errorf("restore --from %s created %s (%v)", c.from, dest, err)
		}
	}
	// A real backup with a wrong --ulog: nothing is copied.
	db, bk := filepath.Join(root, "db"), filepath.Join(root, "bk")
	sqlRunner(t)(db, nil, "CREATE TABLE t (id INT PRIMARY KEY)")
	if code, _, errs := run(t, "", "backup", "-d", db, "--to", bk); code != ExitOK {
		t.Fatalf("backup: %s", errs)
	}
	dest := filepath.Join(root, "dest")
	code, out, errs := run(t, "", "restore", "-d", dest, "--from", bk, "--ulog", filepath.Join(root, "nolog"))
	if code != ExitFailed || out != "" || !strings.Contains(errs, "nolog does not exist") {
		t.Errorf("restore --ulog NONEXISTENT: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("restore with a wrong --ulog created %s (%v)", dest, err)
	}
	code, out, errs = run(t, "", "restore", "-d", file, "--from", notBackup)
	if code != ExitFailed || out != "" || !strings.Contains(errs, file+" is a file, not a directory to restore into") {
		t.Errorf("restore -d FILE: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestBackupNamesCrashedTables: a backup of a database with crashed tables
// makes no backup and says which tables and how to repair them; after the
// repair the backup is made.
func TestBackupNamesCrashedTables(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	p := startServe(t, dir)
	db := p.open(t, "db")
	for _, q := range []string{
		"CREATE TABLE a (id INT PRIMARY KEY) ENGINE = BLITZDB",
		"CREATE TABLE b (id INT PRIMARY KEY) ENGINE = BLITZDB",
		"CREATE TABLE c (id INT PRIMARY KEY) ENGINE = BLITZDB",
		"INSERT INTO a VALUES (1)",
		"INSERT INTO c VALUES (1)",
	} {
		mustExec(t, db, q)
	}
	p.cmd.Process.Kill()
	p.wait(t, 10*time.Second)
	db.Close()

	dest := filepath.Join(t.TempDir(), "bk")
	code, out, errs := run(t, "", "backup", "-d", dir, "--to", dest)
	want := "tables a, c are marked as crashed"
	if code != ExitFailed || !strings.Contains(errs, want) || !strings.Contains(errs, "blitz repair -d "+dir+" a c") ||
		!strings.Contains(errs, "no backup made") {
		t.Fatalf("backup with crashed tables: exit %d, stderr %q; want %q and the repair command", code, errs, want)
	}
	if _, err := os.Stat(filepath.Join(dest, "BACKUP.json")); err == nil {
		t.Fatal("a backup was made")
	}
	if code, out, errs = run(t, "", "repair", "-d", dir, "a", "c"); code != ExitOK {
		t.Fatalf("repair: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs = run(t, "", "backup", "-d", dir, "--to", dest); code != ExitOK {
		t.Fatalf("backup after repair: exit %d\n%s%s", code, out, errs)
	}
}
