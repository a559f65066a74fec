package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/vfs"
)

// writeFS replaces the file name of fs with data.
// restoreKeptDef is the second half of the tests of a crash-safe table t
// whose definition file is damaged or missing while the WAL keeps its row
// 4: a commit to u and a Sync (which would checkpoint) must not let go of
// t's change; after db is closed and t's definition put back (good, at
// defPath), the open replays it. It returns the database so opened.
func restoreKeptDef(t *testing.T, db *DB, fs vfs.FS, dir string, o Options, defPath string, good []byte) *DB {
	t.Helper()
	insert(t, db, "u", Row{int64(5), "u5", int64(5), nil})
	if err := db.Sync(); err != nil { // would checkpoint
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeFS(t, fs, defPath, good)
	db = mustOpen(t, dir, o)
	if got := ids(t, db, "t", Scan{}); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("t after its definition was restored: %v, want rows 1-4 (4 committed before the crash)", got)
	}
	if got := ids(t, db, "u", Scan{}); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("u: %v", got)
	}
	return db
}

func writeFS(t *testing.T, fs vfs.FS, name string, data []byte) {
	t.Helper()
	if err := vfs.WriteFileAtomic(fs, name, data); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedDefinitionKeepsWAL: the definition file of a crash-safe table
// is damaged while the WAL still holds committed changes of the table (a
// crash before their checkpoint). The open, the checkpoints that follow
// and a clean close keep those changes: the WAL is kept as for a crashed
// crash-safe table, the table's error says so, and once the definition
// file is restored the next open brings every committed row back. DROP
// TABLE then releases the WAL without bringing the rows into a new table
// of that name.
func TestDamagedDefinitionKeepsWAL(t *testing.T) {
	dir := t.TempDir()
	fs := crashedDB(t, dir) // t, u, v crash-safe: row 4 is only in the WAL
	defPath := filepath.Join(dir, "t"+defSuffix)
	good, err := vfs.ReadFile(fs, defPath)
	if err != nil {
		t.Fatal(err)
	}
	writeFS(t, fs, defPath, []byte("garbage"))

	o := Options{FS: fs, AutoRecover: true, WALSegmentBytes: walSeg}
	db := mustOpen(t, dir, o)
	err = readOne(db, "t")
	if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "the WAL keeps 1 of its committed changes") {
		t.Errorf("t with a damaged definition: %v, want 1194 saying the WAL keeps its change", err)
	}
	if _, err := db.Repair(bg, "t", false); sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "restore t.def from a backup") {
		t.Errorf("REPAIR of a damaged definition: %v, want 1194 saying to restore t.def", err)
	}
	if got := ids(t, db, "u", Scan{}); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("u after recovery: %v", got)
	}
	// A rebuild of another crash-safe table waits for the WAL, naming
	// the table that holds it.
	nd := accountsDef("u", true)
	nd.Columns[3].Comment = "rebuilt"
	nd.Columns = append(nd.Columns, Column{Name: "extra", Type: TypeBigInt})
	if err := db.AlterColumns(bg, "u", nd, []int{0, 1, 2, 3, -1}); err == nil || !strings.Contains(err.Error(), "their WAL must be kept): t") {
		t.Errorf("ALTER of u while t's damaged definition holds the WAL: %v", err)
	}
	db = restoreKeptDef(t, db, fs, dir, o, defPath, good)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Damaged again, then dropped: the WAL is released, and a new table
	// of the name does not get the old rows.
	writeFS(t, fs, defPath, []byte("garbage"))
	db = mustOpen(t, dir, o)
	insert(t, db, "v", Row{int64(9), "v9", int64(9), nil})
	if err := db.DropTable(bg, "t"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, accountsDef("t", true)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, dir, o)
	if got := ids(t, db, "t", Scan{}); len(got) != 0 {
		t.Fatalf("new t holds %v", got)
	}
	if got := ids(t, db, "v", Scan{}); !slices.Equal(got, []int64{1, 2, 3, 4, 9}) {
		t.Fatalf("v: %v", got)
	}
}

// TestUnreadableDefinition: a definition file that cannot be read at all
// (permission denied, a directory in its place) leaves that table
// answering 1194 with the reason, and the rest of the database usable, as
// a definition that does not decode does.
func TestUnreadableDefinition(t *testing.T) {
	for _, how := range []string{"permission", "directory"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			db := mustOpen(t, dir, Options{})
			for _, name := range []string{"t", "u"} {
				if err := db.CreateTable(bg, accountsDef(name, name == "u")); err != nil {
					t.Fatal(err)
				}
				insert(t, db, name, Row{int64(1), name + "1", int64(1), nil})
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			defPath := filepath.Join(dir, "t"+defSuffix)
			var fs vfs.FS = vfs.Default
			want := ""
			switch how {
			case "permission":
				efs := vfs.NewErrorFS(vfs.Default)
				efs.SetError(&os.PathError{Op: "open", Path: defPath, Err: syscall.EACCES})
				efs.Only(func(name string) bool { return name == defPath })
				efs.FailAfter(1, vfs.OpOpen, true)
				fs, want = efs, "permission denied"
			case "directory":
				if err := vfs.Default.Remove(defPath); err != nil {
					t.Fatal(err)
				}
				if err := vfs.Default.MkdirAll(defPath, 0o755); err != nil {
					t.Fatal(err)
				}
				want = "is a directory"
			}
			db, err := Open(dir, Options{FS: fs})
			if err != nil {
				t.Fatalf("open with t.def unreadable: %v, want the database open and t unusable", err)
			}
			defer db.Close()
			err = readOne(db, "t")
			if sqlerr.Code(err) != sqlerr.ErrCrashedTable || !strings.Contains(err.Error(), "its definition file cannot be read") || !strings.Contains(err.Error(), want) {
				t.Fatalf("t: %v, want 1194 saying its definition cannot be read (%s)", err, want)
			}
			if err := readOne(db, "u"); err != nil {
				t.Fatalf("u: %v", err)
			}
			if got := db.DamagedTables(); !slices.Equal(got, []string{"t"}) {
				t.Fatalf("DamagedTables: %v", got)
			}
		})
	}
}

// notWritableFS is an FS whose directories the process may not write.
type notWritableFS struct{ vfs.FS }

func (notWritableFS) CheckWritable(dir string) error {
	return &os.PathError{Op: "access", Path: dir, Err: syscall.EACCES}
}

// TestOpenDirNotWritable: a database directory the process may not write
// (mode 0555 for its user, a read-only mount) is refused at Open with an
// error naming it and saying why, and nothing in it changes. (A session in
// it used to read, take a write, and leave its tables marked crashed
// because the index stamps of its close could not be written.)
func TestOpenDirNotWritable(t *testing.T) {
	dir := t.TempDir()
	db := mustOpen(t, dir, Options{})
	if err := db.CreateTable(bg, accountsDef("t", false)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "t", Row{int64(1), "t1", int64(1), nil})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := vfs.Default.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{FS: notWritableFS{vfs.Default}})
	if err == nil || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "database directory "+dir+" is not writable") {
		t.Fatalf("Open of a directory it may not write: %v", err)
	}
	after, err := vfs.Default.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Fatalf("the refused open changed the directory: %v, was %v", after, before)
	}
	db = mustOpen(t, dir, Options{})
	if got := ids(t, db, "t", Scan{}); !slices.Equal(got, []int64{1}) {
		t.Fatalf("t: %v", got)
	}
}

// defChecksumLine matches the "crc32c" member of a definition file,
// indented or compact.
var defChecksumLine = regexp.MustCompile(`,\s*"crc32c":\s*"[0-9a-f]{8}"`)

// unsummed returns the definition file b without its "crc32c" member, as
// a writer before checksums (or a hand edit that follows the error's
// advice) leaves it: for tests that forge older or odd files from new ones.
func unsummed(b []byte) []byte {
	return defChecksumLine.ReplaceAll(b, nil)
}

// TestDefinitionChecksum: every single-bit flip anywhere in a definition
// file either fails to decode, naming the file as damaged, or decodes to
// exactly the definition written (a flip in the name of the "crc32c" key
// leaves the value to check). Without the checksum, flips in key names and
// string values decoded silently to another table: "crash_safe" dropped,
// a column renamed, an index no longer unique. A file written before
// checksums still reads, and so does the compacted copy a DDL record of
// the update log carries.
func TestDefinitionChecksum(t *testing.T) {
	d := accountsDef("t", true)
	d.Indexes = append(d.Indexes, IndexDef{Name: "u", Columns: []string{"note"}, Unique: true})
	d.Comment = "accounts"
	b, err := encodeDef(d, 7, 8, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !defChecksumLine.Match(b) {
		t.Errorf("no checksum written:\n%s", b)
	}
	same := func(got *TableDef, ctr defCounters) bool {
		return sameDef(got, d) && got.CrashSafe && ctr == (defCounters{autoNext: 7, autoRes: 8, rowRes: 9})
	}
	for name, file := range map[string][]byte{"as written": b, "without checksum": unsummed(b), "compacted": compact(t, b)} {
		got, ctr, err := decodeDef(file, "t.def")
		if err != nil || !same(got, ctr) {
			t.Fatalf("%s: %+v %+v %v", name, got, ctr, err)
		}
	}
	caught := 0
	for i := range b {
		for bit := range 8 {
			f := slices.Clone(b)
			f[i] ^= 1 << bit
			got, ctr, err := decodeDef(f, "t.def")
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), "table definition t.def is damaged") && !strings.Contains(err.Error(), "t.def") {
					t.Fatalf("byte %d bit %d: error does not name the file: %v", i, bit, err)
				}
				caught++
			case !same(got, ctr):
				t.Fatalf("byte %d (%q) bit %d: decoded silently to another definition: %+v %+v", i, b[i], bit, got, ctr)
			}
		}
	}
	t.Logf("%d of %d single-bit flips refused, the rest decode to the same definition", caught, 8*len(b))
}

// compact returns b in encoding/json's compact form.
func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		t.Fatal(err)
	}
	return c.Bytes()
}

// TestViewChecksum: as TestDefinitionChecksum for a view file. Without the
// checksum a flip in the key "algorithm" left SHOW CREATE VIEW printing
// "ALGORITHM= ", and one in the query text changed what the view selects.
func TestViewChecksum(t *testing.T) {
	v := &ViewDef{Name: "v", Columns: []string{"id", "n"}, Query: "select `t`.`id` AS `id`,`t`.`n` AS `n` from `t` where `t`.`id` > 10",
		Source: "SELECT id, n FROM t WHERE id > 10", Algorithm: "UNDEFINED", Definer: "`root`@`localhost`", Security: "DEFINER",
		Charset: "utf8mb4", Collation: "utf8mb4_bin"}
	b, err := encodeView(v)
	if err != nil {
		t.Fatal(err)
	}
	if !defChecksumLine.Match(b) {
		t.Errorf("no checksum written:\n%s", b)
	}
	for name, file := range map[string][]byte{"as written": b, "without checksum": unsummed(b)} {
		if got, err := decodeView(file, "v.view"); err != nil || !reflect.DeepEqual(got, v) {
			t.Fatalf("%s: %+v %v", name, got, err)
		}
	}
	for i := range b {
		for bit := range 8 {
			f := slices.Clone(b)
			f[i] ^= 1 << bit
			got, err := decodeView(f, "v.view")
			switch {
			case err != nil:
				if !strings.Contains(err.Error(), "v.view") {
					t.Fatalf("byte %d bit %d: error does not name the file: %v", i, bit, err)
				}
			case !reflect.DeepEqual(got, v):
				t.Fatalf("byte %d (%q) bit %d: decoded silently to another view: %+v", i, b[i], bit, got)
			}
		}
	}
}

// TestBackupManifestChecksum: one flipped bit in BACKUP.json that still
// decodes (here a digit of ulog_seq, which would make the restore replay
// the update log from the wrong record: records skipped or applied twice)
// makes Restore refuse the backup, naming the manifest; a manifest written
// before checksums is still restored.
func TestBackupManifestChecksum(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	if err := db.CreateTable(bg, accountsDef("t", false)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "t", Row{int64(1), "t1", int64(1), nil})
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "t", Row{int64(2), "t2", int64(2), nil})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dest, BackupManifest)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(good, []byte(`"ulog_seq": `))
	if i < 0 {
		t.Fatalf("no ulog_seq in\n%s", good)
	}
	bad := slices.Clone(good)
	bad[i+len(`"ulog_seq": `)] ^= 1 // 2 -> 3, say: still a number
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(filepath.Join(root, "r1"), dest, RestoreOptions{ULogDir: ulogDir}); err == nil ||
		!strings.Contains(err.Error(), "backup manifest "+path+" is damaged: checksum mismatch") {
		t.Fatalf("restore with a flipped ulog_seq: %v", err)
	}
	if err := os.WriteFile(path, unsummed(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(filepath.Join(root, "r2"), dest, RestoreOptions{ULogDir: ulogDir}); err != nil {
		t.Fatalf("restore of a manifest without checksum: %v", err)
	}
	rdb := mustOpen(t, filepath.Join(root, "r2"), Options{})
	if got := ids(t, rdb, "t", Scan{}); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("restored t: %v", got)
	}
}
