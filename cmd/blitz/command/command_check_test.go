package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blitzdb/blitz/txn"
)

// checkDB creates a database with an indexed table and a crash-safe one,
// closed cleanly.
func checkDB(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	code, _, errs := run(t, "", "sql", "-d", dir,
		"-e", "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), KEY by_name (name)) ENGINE = BLITZDB",
		"-e", "CREATE TABLE log (id INT PRIMARY KEY, v INT) ENGINE = BLITZDB, CRASH_SAFE",
		"-e", "INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'damaged-row-marker'), (4, 'fig')",
		"-e", "INSERT INTO log VALUES (1, 10), (2, 20)")
	if code != ExitOK {
		t.Fatalf("creating the database: exit %d: %s", code, errs)
	}
	return dir
}

func TestCheckClean(t *testing.T) {
	dir := checkDB(t)
	code, out, errs := run(t, "", "check", "-d", dir)
	if code != ExitOK || out != "items: OK\nlog: OK\n" || errs != "" {
		t.Fatalf("clean database: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = run(t, "", "check", "-d", dir, "--auto-recover", "log")
	if code != ExitOK || out != "log: OK\n" {
		t.Fatalf("check log: exit %d, stdout %q", code, out)
	}
	code, out, _ = run(t, "", "check", "-d", dir, "nosuch")
	if code != ExitFailed || !strings.Contains(out, "nosuch: FAILED") || !strings.Contains(out, "doesn't exist") {
		t.Fatalf("unknown table: exit %d, stdout %q", code, out)
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"repair", "-d", t.TempDir()},
		{"repair", "items"},
	} {
		if code, _, errs := run(t, "", args...); code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want %d and a message", args, code, errs, ExitUsage)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if code, _, _ := run(t, "", "check", "-d", missing); code != ExitFailed {
		t.Errorf("check of a missing directory: exit %d, want %d", code, ExitFailed)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("check created the missing database directory")
	}
}

// TestCheckMissingIndex: an index file deleted behind the engine's back is
// reported (the open rebuilds it), and the next check is clean.
func TestCheckMissingIndex(t *testing.T) {
	dir := checkDB(t)
	if err := os.Remove(filepath.Join(dir, "items.by_name.bix")); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "items: FAILED") || !strings.Contains(out, "index=by_name") || !strings.Contains(out, "log: OK") {
		t.Fatalf("missing index: exit %d, stdout %q", code, out)
	}
	code, out, _ = run(t, "", "repair", "-d", dir, "--quick", "items")
	if code != ExitOK || !strings.Contains(out, "items: indexes rebuilt\n") || !strings.HasSuffix(out, "items: OK\n") {
		t.Fatalf("repair --quick: exit %d, stdout %q", code, out)
	}
	if code, out, _ = run(t, "", "check", "-d", dir); code != ExitOK || out != "items: OK\nlog: OK\n" {
		t.Fatalf("after repair: exit %d, stdout %q", code, out)
	}
}

// TestCheckCorruptIndex: garbage written over an index file.
func TestCheckCorruptIndex(t *testing.T) {
	dir := checkDB(t)
	path := filepath.Join(dir, "items.by_name.bix")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(b) && i < 64<<10; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "check", "-d", dir, "items")
	if code != ExitFailed || !strings.Contains(out, "items: FAILED") || !strings.Contains(out, "by_name") {
		t.Fatalf("corrupt index: exit %d, stdout %q", code, out)
	}
	if code, out, _ = run(t, "", "check", "-d", dir); code != ExitOK {
		t.Fatalf("second check: exit %d, stdout %q", code, out)
	}
}

// TestCheckCorruptDataFile: a byte flipped inside a record of the .bdf
// makes check fail naming the data file; repair salvages it (keeping the
// damaged original) and check is clean again.
func TestCheckCorruptDataFile(t *testing.T) {
	dir := checkDB(t)
	path := filepath.Join(dir, "items.bdf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("damaged-row-marker"))
	if i < 0 {
		t.Fatal("marker row not found in the data file")
	}
	b[i+3] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "items: FAILED\n") || !strings.Contains(out, "data file: offset") ||
		!strings.Contains(out, "checksum mismatch") || !strings.Contains(out, "log: OK") {
		t.Fatalf("corrupt data file: exit %d, stdout %q", code, out)
	}
	code, out, _ = run(t, "", "repair", "-d", dir, "items")
	if code != ExitOK || !strings.Contains(out, "items: data file salvaged") || !strings.HasSuffix(out, "items: OK\n") {
		t.Fatalf("repair: exit %d, stdout %q", code, out)
	}
	// The kept original is noted (not a warning), with what to do.
	if code, out, _ = run(t, "", "check", "-d", dir); code != ExitOK || !strings.HasPrefix(out, "items: OK\nlog: OK\nnote: items.bdf.crashed-") ||
		!strings.HasSuffix(out, "is the damaged original of items.bdf that a salvage kept as evidence: delete it when you no longer need it\n") {
		t.Fatalf("after repair: exit %d, stdout %q", code, out)
	}
	if kept, _ := filepath.Glob(path + ".crashed-*"); len(kept) != 1 {
		t.Fatalf("damaged original not kept: %v", kept)
	}
	code, out, _ = run(t, "", "sql", "-d", dir, "-e", "SELECT id FROM items ORDER BY id")
	if code != ExitOK || !strings.HasPrefix(out, "id\n1\n2\n") {
		t.Fatalf("rows after repair: exit %d, stdout %q", code, out)
	}
}

// TestCheckAfterKill9: tables a killed `blitz serve` left open are reported
// as crashed; repair (or opening with --auto-recover) brings them back.
func TestCheckAfterKill9(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	p := startServe(t, dir)
	db := p.open(t, "db")
	mustExec(t, db, "CREATE TABLE plain (id INT PRIMARY KEY, v INT) ENGINE = BLITZDB")
	mustExec(t, db, "CREATE TABLE safe (id INT PRIMARY KEY, v INT) ENGINE = BLITZDB, CRASH_SAFE")
	for i := 1; i <= 300; i++ { // enough for stale bucket chains after the kill
		mustExec(t, db, "INSERT INTO plain VALUES (?, ?)", i, i)
		mustExec(t, db, "INSERT INTO safe VALUES (?, ?)", i, i)
	}
	p.cmd.Process.Kill()
	p.wait(t, 30*time.Second)
	db.Close()

	code, out, _ := run(t, "", "check", "-d", dir)
	// Opening replays the WAL, so the crash-safe table is recovered by this
	// very open (and reported); the plain one stays crashed until repaired.
	if code != ExitFailed || !strings.Contains(out, "plain: FAILED\n  table is marked as crashed") ||
		!strings.Contains(out, "safe: FAILED\n  when opened: table recovered from an unclean shutdown") {
		t.Fatalf("check after kill -9: exit %d, stdout %q", code, out)
	}
	// What a crash leaves (stale chains, header) is not listed as damage.
	if !strings.Contains(out, "not closed cleanly, no damage found") || strings.Contains(out, "chain") {
		t.Fatalf("check after kill -9 of an undamaged table: stdout %q", out)
	}
	code, out, _ = run(t, "", "repair", "-d", dir, "plain")
	if code != ExitOK || !strings.HasSuffix(out, "plain: OK\n") {
		t.Fatalf("repair plain: exit %d, stdout %q", code, out)
	}
	code, out, _ = run(t, "", "check", "-d", dir, "--auto-recover")
	if code != ExitOK || out != "plain: OK\nsafe: OK\n" {
		t.Fatalf("check --auto-recover: exit %d, stdout %q", code, out)
	}
	if code, out, _ = run(t, "", "check", "-d", dir); code != ExitOK || out != "plain: OK\nsafe: OK\n" {
		t.Fatalf("final check: exit %d, stdout %q", code, out)
	}
	code, out, _ = run(t, "", "sql", "-d", dir, "-e", "SELECT COUNT(*) FROM safe")
	if code != ExitOK || out != "COUNT(*)\n300\n" {
		t.Fatalf("crash-safe rows: exit %d, stdout %q", code, out)
	}
	// kill -9 is not a power cut: the plain table's writes were in the page
	// cache, and the salvage keeps them.
	code, out, _ = run(t, "", "sql", "-d", dir, "-e", "SELECT COUNT(*) FROM plain")
	if code != ExitOK || out != "COUNT(*)\n300\n" {
		t.Fatalf("plain rows: exit %d, stdout %q", code, out)
	}
}

// TestRepairAfterKill9CrashSafe: a crash-safe table with a secondary index,
// left by a killed `blitz serve`, repairs OK at once, both through `blitz
// repair` (whose open replays the WAL and asks for the checkpoint that
// writes it into the data file; the repair runs beside that checkpoint)
// and through REPAIR TABLE and CHECK TABLE on a `serve --auto-recover`
// restarted from the kill. Either used to fail now and then with "index
// file is stale: stamped N, want N+1", leaving the table crashed.
func TestRepairAfterKill9CrashSafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	fill := func(p *serveProc, from int) {
		t.Helper()
		db := p.open(t, "db")
		for i := from; i < from+300; i++ {
			mustExec(t, db, "INSERT INTO t VALUES (?, ?)", i, i%7)
		}
		p.cmd.Process.Kill()
		p.wait(t, 30*time.Second)
		db.Close()
	}
	p := startServe(t, dir)
	db := p.open(t, "db")
	mustExec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, w INT, KEY by_w (w)) ENGINE = BLITZDB, CRASH_SAFE")
	fill(p, 0)

	code, out, errs := run(t, "", "repair", "-d", dir, "t")
	if code != ExitOK || !strings.HasSuffix(out, "t: indexes rebuilt\nt: OK\n") {
		t.Fatalf("blitz repair after kill -9: exit %d, stdout %q, stderr %q", code, out, errs)
	}

	fill(startServe(t, dir, "--auto-recover"), 300)
	p = startServe(t, dir, "--auto-recover")
	db = p.open(t, "db")
	for _, q := range []string{"REPAIR TABLE t", "CHECK TABLE t"} {
		var tbl, op, msgType, msgText string
		if err := db.QueryRow(q).Scan(&tbl, &op, &msgType, &msgText); err != nil || msgType != "status" || msgText != "OK" {
			t.Fatalf("%s after kill -9 and --auto-recover: %q %q %q %q, %v\n%s", q, tbl, op, msgType, msgText, err, p.errText())
		}
	}
	var n, nw int
	if err := db.QueryRow("SELECT COUNT(*), COUNT(w) FROM t FORCE INDEX (by_w) WHERE w >= 0").Scan(&n, &nw); err != nil || n != 600 || nw != 600 {
		t.Fatalf("rows through by_w after repair: %d %d, %v", n, nw, err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, p.errText())
	}
	if code, out, _ := run(t, "", "check", "-d", dir); code != ExitOK || out != "t: OK\n" {
		t.Fatalf("final check: exit %d, stdout %q", code, out)
	}
}

// TestCheckStrayFiles: files of no table (a data file without its
// definition that holds no rows, index files of no table or index, a
// temporary file) are listed as warnings that say what to do, and left
// untouched; a data file with rows whose definition is missing fails as
// its table (and its files are no strays); a definition without its data
// file fails its table.
func TestCheckStrayFiles(t *testing.T) {
	dir := checkDB(t)
	if code, _, errs := run(t, "", "sql", "-d", dir, "-e", "CREATE TABLE dropped (a INT)", "-e", "CREATE TABLE lost (a INT PRIMARY KEY, b INT, KEY bi (b))",
		"-e", "INSERT INTO lost VALUES (1, 1)"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// dropped.bdf as a CREATE TABLE cut short leaves it (empty), lost.bdf
	// as a deleted definition leaves it (rows).
	for _, n := range []string{"dropped.def", "lost.def"} {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	copyTo := func(src, dst string) {
		b, err := os.ReadFile(filepath.Join(dir, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyTo("items.by_name.bix", "gone.by_name.bix")
	copyTo("items.by_name.bix", "items.old_key.bix")
	copyTo("items.by_name.bix.sum", "items.old_key.bix.sum")
	copyTo("items.def", "items.def.tmp")
	stray := []string{"dropped.bdf", "gone.by_name.bix", "items.old_key.bix", "items.old_key.bix.sum", "items.def.tmp", "lost.bdf"}
	before := map[string][]byte{}
	for _, n := range stray {
		before[n], _ = os.ReadFile(filepath.Join(dir, n))
	}
	code, out, errs := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.HasPrefix(out, "items: OK\nlog: OK\nlost: FAILED\n") {
		t.Fatalf("check: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"warning: dropped.bdf is a data file without a table definition (dropped.def) that holds no rows",
		"CREATE TABLE dropped replaces it, or delete it",
		"lost.def is missing (its data file lost.bdf is still there): restore lost.def from a backup",
		"warning: gone.by_name.bix is an index file of no table",
		"warning: items.old_key.bix is an index file of no index of table items",
		"warning: items.old_key.bix.sum is an index file of no index of table items",
		"warning: items.def.tmp is a temporary file",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "warning: lost.") {
		t.Errorf("the files of lost, a table whose definition is missing, are listed as strays:\n%s", out)
	}
	for _, n := range stray {
		if b, err := os.ReadFile(filepath.Join(dir, n)); err != nil || !bytes.Equal(b, before[n]) {
			t.Errorf("check changed %s (%v)", n, err)
		}
	}
	if code, _, errs := run(t, "", "sql", "-d", dir, "-e", "DROP TABLE lost"); code != ExitOK {
		t.Fatalf("DROP TABLE lost: exit %d: %s", code, errs)
	}

	// A definition without its data file: the table fails, saying so.
	os.Remove(filepath.Join(dir, "log.bdf"))
	code, out, _ = run(t, "", "check", "-d", dir, "log")
	if code != ExitFailed || !strings.Contains(out, "log: FAILED\n  when opened: data file missing") || !strings.Contains(out, "restore it from a backup") {
		t.Fatalf("check of a table without its data file: exit %d\n%s", code, out)
	}
}

// TestCheckDamagedHeaderSlot: a table's data file with a header slot that
// does not verify fails check, which says the open rewrote it; the next
// check is clean.
func TestCheckDamagedHeaderSlot(t *testing.T) {
	dir := checkDB(t)
	off := damageOlderHeaderSlot(t, filepath.Join(dir, "items.bdf"))
	code, out, _ := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "items: FAILED\n  when opened: data file header slot rewritten") ||
		!strings.Contains(out, "offset="+itoa(int(off))) || !strings.Contains(out, "log: OK") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "", "check", "-d", dir); code != ExitOK || out != "items: OK\nlog: OK\n" {
		t.Fatalf("second check: exit %d\n%s", code, out)
	}
}

// TestAdminRefusesNonDatabase: check, repair and backup given a directory
// that is not a database (empty, or holding other files) or a file refuse
// it, naming it, and create nothing in it (opening it would have made it
// a new, empty database and reported nothing wrong); an empty database
// says it has no tables.
func TestAdminRefusesNonDatabase(t *testing.T) {
	root := t.TempDir()
	empty, other, file := filepath.Join(root, "empty"), filepath.Join(root, "other"), filepath.Join(root, "file")
	os.Mkdir(empty, 0o755)
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o644)
	os.WriteFile(file, []byte("x"), 0o644)
	for _, c := range []struct{ dir, want string }{
		{empty, empty + " is empty: not a blitz database"},
		{other, other + " is not a blitz database"},
		{file, file + " is a file, not a database directory"},
	} {
		for _, args := range [][]string{
			{"check", "-d", c.dir},
			{"repair", "-d", c.dir, "t"},
			{"backup", "-d", c.dir, "--to", filepath.Join(root, "bk")},
			{"backup", "-d", c.dir, "--to", "file://" + filepath.Join(root, "store"), "--incremental"},
		} {
			code, out, errs := run(t, "", args...)
			if code != ExitFailed || out != "" || !strings.Contains(errs, c.want) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errs, c.want)
			}
		}
	}
	for _, d := range []string{empty, other} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if e.Name() != "notes.txt" {
				t.Errorf("%s: %s created", d, e.Name())
			}
		}
	}
	db := filepath.Join(root, "db")
	run(t, "", "sql", "-d", db, "-e", "SELECT 1")
	if code, out, _ := run(t, "", "check", "-d", db); code != ExitOK || out != "no tables in "+db+"\n" {
		t.Errorf("check of an empty database: exit %d, stdout %q", code, out)
	}
}

// TestCheckViews: check lists the views after the tables, names a view
// given as an argument, fails on a damaged view file, and leaves the view
// files as they were.
func TestCheckViews(t *testing.T) {
	dir := checkDB(t)
	code, _, errs := run(t, "", "sql", "-d", dir,
		"-e", "CREATE VIEW cheap AS SELECT id, name FROM items WHERE id < 3",
		"-e", "CREATE VIEW names AS SELECT name FROM cheap")
	if code != ExitOK {
		t.Fatalf("creating views: exit %d: %s", code, errs)
	}
	before := dirState(t, dir)
	code, out, errs := run(t, "", "check", "-d", dir)
	if code != ExitOK || out != "items: OK\nlog: OK\ncheap: view OK\nnames: view OK\n" || errs != "" {
		t.Fatalf("database with views: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if after := dirState(t, dir); after != before {
		t.Fatalf("check changed the files:\n%s\nwas\n%s", after, before)
	}
	code, out, _ = run(t, "", "check", "-d", dir, "names")
	if code != ExitOK || out != "names: view OK\n" {
		t.Fatalf("check names: exit %d, stdout %q", code, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "names.view"), []byte(`{"format": 1, "vi`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "names: FAILED\n  view definition: ") || !strings.Contains(out, "does not decode") {
		t.Fatalf("damaged view file: exit %d, stdout %q", code, out)
	}
}

// dirState lists dir's view files with a hash of their contents (the
// data files' headers change at every open and clean close).
func dirState(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".view") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %x\n", e.Name(), sha256.Sum256(data))
	}
	return b.String()
}

// TestCheckDamagedWAL: a byte flipped in a committed frame of the newest
// WAL segment, with later group writes after it, is not taken for a torn
// tail. While no completed checkpoint covers the frame (a crash before
// the checkpoint, forged here by zeroing the checkpoint frames the clean
// close wrote), check, repair and sql refuse to open the database with an
// error naming the segment, the offset and the LSN, and leave the segment
// as it is (cutting the log there would drop committed transactions). Once
// a checkpoint covers it (the log as the clean close left it), the frame is
// not needed: check opens the database and finds it fine, and the row is
// there.
func TestCheckDamagedWAL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	code, _, errs := run(t, "", "sql", "-d", dir,
		"-e", "CREATE TABLE log (id INT PRIMARY KEY, v VARCHAR(40)) ENGINE = BLITZDB, CRASH_SAFE",
		"-e", "INSERT INTO log VALUES (1, 'first')",
		"-e", "INSERT INTO log VALUES (2, 'needle-in-the-wal')",
		"-e", "INSERT INTO log VALUES (3, 'third')")
	if code != ExitOK {
		t.Fatalf("creating the database: exit %d: %s", code, errs)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
	if len(segs) != 1 {
		t.Fatalf("WAL segments %v, want one", segs)
	}
	seg := segs[0]
	clean, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(clean, []byte("needle-in-the-wal"))
	if i < 0 {
		t.Fatalf("the row is not in %s", seg)
	}
	damaged := bytes.Clone(clean)
	damaged[i+3] ^= 0x20
	// The frames from the checkpoint-begin frame after the row on (with
	// the group frame that opens its write) zeroed: a zeroed frame
	// header is the end of the log.
	b := bytes.Clone(damaged)
	ckpt := -1
	for off, group := txn.SegmentHeaderSize, -1; off+txn.FrameHeaderSize <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n == 0 {
			break
		}
		switch typ := b[off+8]; {
		case typ == 4:
			group = off
		case typ == 2 && off > i:
			ckpt = off
			if group >= 0 && group+txn.FrameHeaderSize+8 == off {
				ckpt = group
			}
		default:
			group = -1
		}
		if ckpt >= 0 {
			break
		}
		off += txn.FrameHeaderSize + n
	}
	if ckpt < 0 {
		t.Fatalf("no checkpoint frame after the row in %s", seg)
	}
	clear(b[ckpt:])
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "-d", dir},
		{"repair", "-d", dir, "log"},
		{"sql", "-d", dir, "-e", "SELECT * FROM log"},
	} {
		code, out, errs := run(t, "", args...)
		if code != ExitFailed || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
		for _, want := range []string{"corrupt WAL: " + seg + " at offset ", "(frame of LSN 2)", "not a torn write", "nothing in it was changed", "blitz restore"} {
			if !strings.Contains(errs, want) {
				t.Errorf("%v: stderr %q does not say %q", args, errs, want)
			}
		}
		if after, err := os.ReadFile(seg); err != nil || !bytes.Equal(after, b) {
			t.Fatalf("%v changed the damaged segment: %v", args, err)
		}
	}

	// The same damage with the checkpoint frames in place.
	if err := os.WriteFile(seg, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "", "check", "-d", dir); code != ExitOK {
		t.Fatalf("check with damage in a checkpointed WAL frame: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs := run(t, "", "sql", "-d", dir, "-e", "SELECT v FROM log WHERE id = 2")
	if code != ExitOK || !strings.Contains(out, "needle-in-the-wal") {
		t.Fatalf("the row after damage in its checkpointed WAL frame: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestCheckUnreadableDefinition: a table definition that cannot be read (a
// directory in its place here; permission denied behaves alike) fails that
// table only: check reports it naming the file and still checks the
// others, repair says why it cannot help and what to do, and sql reaches
// the other tables.
func TestCheckUnreadableDefinition(t *testing.T) {
	dir := checkDB(t)
	def := filepath.Join(dir, "items.def")
	if err := os.Remove(def); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(def, 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "items: FAILED\n") || !strings.Contains(out, "its definition file cannot be read") ||
		!strings.Contains(out, def+": is a directory") || !strings.Contains(out, "log: OK") {
		t.Fatalf("check: exit %d, stdout %q", code, out)
	}
	code, out, _ = run(t, "", "repair", "-d", dir, "items")
	if code != ExitFailed || !strings.Contains(out, "items: repair failed") || !strings.Contains(out, "restore items.def from a backup") {
		t.Fatalf("repair: exit %d, stdout %q", code, out)
	}
	code, out, errs := run(t, "", "sql", "-d", dir, "-e", "SELECT v FROM log WHERE id = 2")
	if code != ExitOK || out != "v\n20\n" {
		t.Fatalf("sql on the other table: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = run(t, "", "backup", "-d", dir, "--to", filepath.Join(t.TempDir(), "bk"))
	if code != ExitFailed || !strings.Contains(errs, "no backup made: the definition file of table or view items is damaged, missing or cannot be read") ||
		!strings.Contains(errs, "restore the file from an earlier backup, or DROP it") {
		t.Fatalf("backup: exit %d, stderr %q", code, errs)
	}
}

// TestCheckDefinitionBitFlip: one flipped bit in a table definition that
// still decodes (here in the key "crash_safe", which made the crash-safe
// table a plain one without a word) is found by the definition's checksum:
// check fails that table naming the file, the other table is fine.
func TestCheckDefinitionBitFlip(t *testing.T) {
	dir := checkDB(t)
	path := filepath.Join(dir, "log.def")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(`"crash_safe"`))
	if i < 0 {
		t.Fatalf("no crash_safe in %s", b)
	}
	b[i+3] ^= 1 // "cr`sh_safe"
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "check", "-d", dir)
	if code != ExitFailed || !strings.Contains(out, "log: FAILED\n") || !strings.Contains(out, path+" is damaged: checksum mismatch") ||
		!strings.Contains(out, "items: OK") {
		t.Fatalf("check: exit %d, stdout %q", code, out)
	}
}

// TestDataFileIsDirectory: a directory in the place of a table's data file
// is named as such by check, repair and sql (error 1016), not as damage to
// repair ("marked as crashed") nor as "mmap: no such device"; the other
// table is fine.
func TestDataFileIsDirectory(t *testing.T) {
	dir := checkDB(t)
	bdf := filepath.Join(dir, "items.bdf")
	if err := os.Remove(bdf); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(bdf, 0o755); err != nil {
		t.Fatal(err)
	}
	named := bdf + " is a directory, not a data file"
	for _, auto := range []string{"--auto-recover=false", "--auto-recover"} {
		code, out, _ := run(t, "", "check", "-d", dir, auto)
		if code != ExitFailed || !strings.Contains(out, "items: FAILED\n  data file cannot be used: "+named) || !strings.Contains(out, "log: OK") {
			t.Fatalf("check %s: exit %d, stdout %q", auto, code, out)
		}
	}
	code, out, _ := run(t, "", "repair", "-d", dir, "items")
	if code != ExitFailed || !strings.Contains(out, "items: repair failed: ERROR 1016") || !strings.Contains(out, named) || strings.Contains(out, "no such device") {
		t.Fatalf("repair: exit %d, stdout %q", code, out)
	}
	code, _, errs := run(t, "", "sql", "-d", dir, "-e", "SELECT * FROM items")
	if code == ExitOK || !strings.Contains(errs, "ERROR 1016") || !strings.Contains(errs, named) {
		t.Fatalf("sql on the table: exit %d, stderr %q", code, errs)
	}
	if code, out, _ := run(t, "", "sql", "-d", dir, "-e", "SELECT v FROM log WHERE id = 2"); code != ExitOK || out != "v\n20\n" {
		t.Fatalf("sql on the other table: exit %d, stdout %q", code, out)
	}
}
