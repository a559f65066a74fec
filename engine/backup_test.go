package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/blitzdb/blitz/internal/ulog"
	"github.com/blitzdb/blitz/internal/vfs"
)

func itemsDef(name string, crashSafe bool) *TableDef {
	return &TableDef{
		Name: name,
		Columns: []Column{
			{Name: "id", Type: TypeBigInt, NotNull: true, AutoIncrement: true},
			{Name: "v", Type: TypeBigInt, NotNull: true},
			{Name: "note", Type: TypeText},
		},
		PrimaryKey: []string{"id"},
		Indexes:    []IndexDef{{Name: "by_v", Columns: []string{"v"}}},
		CrashSafe:  crashSafe,
	}
}

func heapDef(name string) *TableDef { // no primary key: hidden row ids
	return &TableDef{Name: name, Columns: []Column{{Name: "a", Type: TypeBigInt}, {Name: "b", Type: TypeVarChar, Length: 20}}}
}

// dumpDB returns every table's definition and committed rows, as text, for
// comparisons.
func dumpDB(t *testing.T, db *DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range db.sortedTables() {
		var lines []string
		if err := tb.scanMerged(func(k, v []byte) error {
			lines = append(lines, fmt.Sprintf("%x=%x", k, v))
			return nil
		}); err != nil {
			t.Fatalf("scan %s: %v", tb.name, err)
		}
		sort.Strings(lines)
		def := tb.definition()
		b, _ := encodeDef(def, 0, 0, 0)
		b = bytes.ReplaceAll(b, []byte(`"written"`), []byte(`"x"`))
		var defText []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.Contains(l, `"x":`) && !strings.Contains(l, `"crc32c":`) { // both change with the time
				defText = append(defText, l)
			}
		}
		out[strings.ToLower(tb.name)] = strings.Join(defText, "\n") + "\n" + strings.Join(lines, "\n")
	}
	return out
}

func compareDumps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d tables, want %d (%v vs %v)", what, len(got), len(want), keysOf(got), keysOf(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: table %s missing", what, name)
			continue
		}
		if g != w {
			gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
			t.Errorf("%s: table %s differs (%d lines, want %d)", what, name, len(gl), len(wl))
			for i := 0; i < len(gl) || i < len(wl); i++ {
				var a, b string
				if i < len(gl) {
					a = gl[i]
				}
				if i < len(wl) {
					b = wl[i]
				}
				if a != b {
					t.Errorf("  first difference at line %d:\n  got  %s\n  want %s", i, a, b)
					break
				}
			}
		}
	}
}

func keysOf(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// replayInto opens an empty database in dir and replays the update log's
// records up to and including seq through.
func replayInto(t *testing.T, dir, ulogDir string, through uint64) *DB {
	t.Helper()
	db := mustOpen(t, dir, Options{})
	stop := errors.New("stop")
	_, err := ulog.Read(ulogDir, ulog.ReadOptions{}, func(r *ulog.Record) error {
		if r.Seq > through {
			return stop
		}
		return db.replayRecord(bg, r)
	})
	if err != nil && err != stop {
		t.Fatalf("replay: %v", err)
	}
	return db
}

// logBuffer captures log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// writeLoad runs n writers on the tables until stop is closed: inserts,
// updates and deletes, some transactions across tables.
func writeLoad(t *testing.T, db *DB, n int, stop chan struct{}, tables []string) (*sync.WaitGroup, *atomic.Int64) {
	var wg sync.WaitGroup
	var commits atomic.Int64
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tx, err := db.Begin(bg)
				if err != nil {
					t.Error(err)
					return
				}
				// Tables in a fixed order within a transaction: two writers
				// locking them in opposite orders would wait for the lock
				// timeout.
				var pick []string
				for _, tb := range tables {
					if rng.Intn(2) == 0 {
						pick = append(pick, tb, tb)
					}
				}
				ok := true
				for _, tb := range pick {
					if !ok {
						break
					}
					if strings.HasPrefix(tb, "heap") {
						_, _, err = tx.Insert(tb, Row{int64(rng.Intn(1000)), fmt.Sprintf("w%d-%d", w, i)})
					} else {
						id := int64(1 + rng.Intn(300))
						if err = tx.LockForWrite(tb); err != nil {
							break
						}
						h, r, found, gerr := tx.Get(tb, []any{id})
						err = gerr
						switch {
						case err != nil:
						case !found:
							_, _, err = tx.Insert(tb, Row{id, int64(rng.Intn(50)), fmt.Sprintf("w%d-%d", w, i)})
						case rng.Intn(4) == 0:
							err = tx.Delete(tb, h)
						default:
							r[1] = r[1].(int64) + 1
							r[2] = fmt.Sprintf("u%d-%d", w, i)
							_, err = tx.Update(tb, h, r)
						}
					}
					if err != nil {
						ok = false
					}
				}
				if !ok {
					tx.Rollback()
					if c := sqlerr.Code(err); c != sqlerr.ErrLockWaitTimeout && c != sqlerr.ErrDupEntry {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					continue
				}
				if err := tx.Commit(); err != nil {
					t.Errorf("writer %d commit: %v", w, err)
					return
				}
				commits.Add(1)
			}
		}(w)
	}
	return &wg, &commits
}

func TestBackupUnderLoadAndRestore(t *testing.T) {
	// Plain tables copied through memory, and written under their locks.
	for _, mem := range []int64{backupMemBytes, 0} {
		t.Run(fmt.Sprintf("mem=%d", mem), func(t *testing.T) {
			defer func(old int64) { backupMemBytes = old }(backupMemBytes)
			backupMemBytes = mem
			testBackupUnderLoad(t)
		})
	}
}

func testBackupUnderLoad(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir, ULogLimit: 64 << 10, CheckpointBytes: 32 << 10})
	tables := []string{"plain", "safe", "heap"}
	for _, d := range []*TableDef{itemsDef("plain", false), itemsDef("safe", true), heapDef("heap")} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	wg, commits := writeLoad(t, db, 4, stop, tables)
	// DDL runs meanwhile too: it waits for the backup's copies, and its
	// update-log frames fall on one side of the backup's moment.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			name := fmt.Sprintf("extra%d", i)
			if err := db.CreateTable(bg, itemsDef(name, i%2 == 0)); err != nil {
				t.Error(err)
				return
			}
			tx, err := db.Begin(bg)
			if err == nil {
				if _, _, err = tx.Insert(name, Row{nil, int64(i), "x"}); err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
			}
			if err != nil {
				t.Error(err)
				return
			}
			if err := db.AddColumn(bg, name, Column{Name: "c", Type: TypeInt, HasDefault: true, Default: int64(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for commits.Load() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	info, err := db.Backup(bg, dest)
	if err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	at := commits.Load()
	for commits.Load() < at+300 {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if info.ULogSeq == 0 || info.Files == 0 || info.Bytes == 0 || info.Time.IsZero() {
		t.Fatalf("backup info %+v", info)
	}
	if db.ULogSeq() <= info.ULogSeq {
		t.Fatalf("no commits after the backup: log at %d, backup at %d", db.ULogSeq(), info.ULogSeq)
	}
	t.Logf("backup: %+v; log now at %d", info, db.ULogSeq())
	final := dumpDB(t, db)

	// The backup opens without recovery and checks clean (a copy of it:
	// opening a database writes to it).
	destCopy := filepath.Join(root, "backup-copy")
	if err := os.CopyFS(destCopy, os.DirFS(dest)); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	bdb := mustOpen(t, destCopy, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, name := range bdb.Tables() {
		rep, err := bdb.Check(bg, name)
		if err != nil || !rep.OK {
			t.Fatalf("Check %s of the backup: %v %v", name, err, rep.Problems)
		}
		if st, _ := bdb.Status(name); st.Crashed {
			t.Fatalf("table %s of the backup is crashed", name)
		}
	}
	if s := logs.String(); strings.Contains(s, "rebuilding") || strings.Contains(s, "recovered") || strings.Contains(s, "WAL replayed") {
		t.Fatalf("opening the backup needed recovery:\n%s", s)
	}
	backupDump := dumpDB(t, bdb)
	bdb.Close()

	// The backup is the state at its moment: the log replayed up to its seq.
	ref := replayInto(t, filepath.Join(root, "ref"), ulogDir, info.ULogSeq)
	compareDumps(t, "backup vs log replayed to its seq", backupDump, dumpDB(t, ref))

	// Restore without the log: the backup's state.
	r1 := filepath.Join(root, "r1")
	rep, err := Restore(r1, dest, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied == 0 || rep.Applied != 0 {
		t.Fatalf("report %+v", rep)
	}
	rdb := mustOpen(t, r1, Options{})
	compareDumps(t, "restore without log vs backup", dumpDB(t, rdb), backupDump)
	rdb.Close()

	// Restore with the log: the final state.
	r2 := filepath.Join(root, "r2")
	rep, err = Restore(r2, dest, RestoreOptions{ULogDir: ulogDir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Applied == 0 || rep.LastSeq != db.ULogSeq() {
		t.Fatalf("report %+v, log at %d", rep, db.ULogSeq())
	}
	check := func(what string) {
		t.Helper()
		rdb := mustOpen(t, r2, Options{})
		compareDumps(t, what, dumpDB(t, rdb), final)
		// New rows get fresh AUTO_INCREMENT values and row ids.
		tx, _ := rdb.Begin(bg)
		if _, _, err := tx.Insert("plain", Row{nil, int64(1), "after"}); err != nil {
			t.Fatalf("%s: insert after restore: %v", what, err)
		}
		if _, _, err := tx.Insert("heap", Row{int64(1), "after"}); err != nil {
			t.Fatalf("%s: insert after restore: %v", what, err)
		}
		tx.Rollback()
		rdb.Close()
	}
	check("restore with log vs source")

	// Running it again changes nothing; replaying every record again (as
	// after a crash before the progress file was written) neither.
	rep, err = Restore(r2, dest, RestoreOptions{ULogDir: ulogDir})
	if err != nil || !rep.Resumed || rep.Applied != 0 {
		t.Fatalf("second restore: %+v %v", rep, err)
	}
	check("second restore")
	st, err := readRestoreState(vfs.Default, r2)
	if err != nil {
		t.Fatal(err)
	}
	st.AppliedSeq = info.ULogSeq
	if err := writeRestoreState(vfs.Default, r2, st); err != nil {
		t.Fatal(err)
	}
	rep, err = Restore(r2, dest, RestoreOptions{ULogDir: ulogDir})
	if err != nil || rep.Applied == 0 {
		t.Fatalf("replay again: %+v %v", rep, err)
	}
	check("log replayed twice")
}

func TestRestorePointInTime(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	if err := db.CreateTable(bg, itemsDef("t", true)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "t", Row{int64(1), int64(10), "a"})
	time.Sleep(20 * time.Millisecond)
	insert(t, db, "t", Row{int64(2), int64(20), "b"})
	db.Close()
	var times []time.Time
	if _, err := ulog.Read(ulogDir, ulog.ReadOptions{}, func(r *ulog.Record) error {
		times = append(times, time.Unix(0, r.Time))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(times) != 3 { // create table, insert, insert
		t.Fatalf("%d records", len(times))
	}
	mid := times[1].Add(times[2].Sub(times[1]) / 2)
	r := filepath.Join(root, "r")
	rep, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir, Until: mid})
	if err != nil {
		t.Fatal(err)
	}
	if rep.LastSeq != 2 {
		t.Fatalf("report %+v", rep)
	}
	rdb := mustOpen(t, r, Options{})
	if got := ids(t, rdb, "t", Scan{Index: "PRIMARY"}); fmt.Sprint(got) != "[1]" {
		t.Fatalf("rows at %v: %v", mid, got)
	}
	rdb.Close()
	// Until before the backup is refused.
	if _, err := Restore(filepath.Join(root, "r0"), dest, RestoreOptions{ULogDir: ulogDir, Until: times[0].Add(-time.Hour)}); err == nil || !strings.Contains(err.Error(), "before the backup") {
		t.Fatalf("until before backup: %v", err)
	}
}

func TestRestoreDDLFromLog(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir})
	for _, d := range []*TableDef{itemsDef("keep", false), itemsDef("gone", true)} {
		if err := db.CreateTable(bg, d); err != nil {
			t.Fatal(err)
		}
	}
	insert(t, db, "gone", Row{nil, int64(1), "x"})
	if _, err := db.Backup(bg, dest); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateTable(bg, itemsDef("fresh", true)); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "fresh", Row{nil, int64(5), "f"}, Row{nil, int64(6), "g"})
	if err := db.AddColumn(bg, "fresh", Column{Name: "extra", Type: TypeInt, HasDefault: true, Default: int64(7)}); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "fresh", Row{nil, int64(8), "h", int64(9)})
	if err := db.CreateIndex(bg, "fresh", IndexDef{Name: "by_note", Columns: []string{"note"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DropIndex(bg, "keep", "by_v"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAutoIncrement(bg, "keep", 1000); err != nil {
		t.Fatal(err)
	}
	insert(t, db, "keep", Row{nil, int64(1), "k"})
	if err := db.RenameTable(bg, "fresh", "renamed"); err != nil {
		t.Fatal(err)
	}
	if err := db.DropTable(bg, "gone"); err != nil {
		t.Fatal(err)
	}
	want := dumpDB(t, db)
	db.Close()
	r := filepath.Join(root, "r")
	if _, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir}); err != nil {
		t.Fatal(err)
	}
	rdb := mustOpen(t, r, Options{})
	compareDumps(t, "ddl replay", dumpDB(t, rdb), want)
	if got := ids(t, rdb, "keep", Scan{Index: "PRIMARY"}); fmt.Sprint(got) != "[1000]" {
		t.Fatalf("keep ids %v", got)
	}
	rdb.Close()
	// A full replay from an empty database gives the same schema too.
	ref := replayInto(t, filepath.Join(root, "ref"), ulogDir, 1<<62)
	compareDumps(t, "ddl replay from scratch", dumpDB(t, ref), want)
}

func TestRestoreDamagedLog(t *testing.T) {
	root := t.TempDir()
	src, ulogDir, dest := filepath.Join(root, "db"), filepath.Join(root, "ulog"), filepath.Join(root, "backup")
	db := mustOpen(t, src, Options{ULogDir: ulogDir, ULogLimit: 4 << 10})
	if err := db.CreateTable(bg, itemsDef("t", false)); err != nil {
		t.Fatal(err)
	}
	info, err := db.Backup(bg, dest)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 300; i++ {
		insert(t, db, "t", Row{int64(i), int64(i), strings.Repeat("n", 40)})
	}
	db.Close()
	segs, _ := filepath.Glob(filepath.Join(ulogDir, "*.ulog"))
	if len(segs) < 4 {
		t.Fatalf("%d segments", len(segs))
	}
	victim := segs[len(segs)/2]
	clean := filepath.Join(root, "ulog-clean")
	os.CopyFS(clean, os.DirFS(ulogDir))

	for _, mode := range []string{"corrupt", "truncate"} {
		t.Run(mode, func(t *testing.T) {
			os.RemoveAll(ulogDir)
			if err := os.CopyFS(ulogDir, os.DirFS(clean)); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(victim)
			if mode == "corrupt" {
				data[ulog.HeaderSize+ulog.FrameHeaderSize+200] ^= 0xff
			} else {
				data = data[:len(data)/2]
			}
			os.WriteFile(victim, data, 0o644)

			r := filepath.Join(root, mode)
			rep, err := Restore(r, dest, RestoreOptions{ULogDir: ulogDir})
			if err == nil || !strings.Contains(err.Error(), filepath.Base(victim)) || !strings.Contains(err.Error(), "offset") || !strings.Contains(err.Error(), "after record") {
				t.Fatalf("damaged log: %v", err)
			}
			t.Logf("error: %v", err)
			if rep.LastSeq <= info.ULogSeq {
				t.Fatalf("nothing applied before the damage: %+v", rep)
			}
			rdb := mustOpen(t, r, Options{})
			got := ids(t, rdb, "t", Scan{Index: "PRIMARY"})
			rdb.Close()
			if len(got) != int(rep.LastSeq-info.ULogSeq) {
				t.Fatalf("%d rows, %d records applied", len(got), rep.LastSeq-info.ULogSeq)
			}

			rs := filepath.Join(root, mode+"-skip")
			rep, err = Restore(rs, dest, RestoreOptions{ULogDir: ulogDir, SkipDamaged: true})
			if err != nil || len(rep.Skipped) == 0 {
				t.Fatalf("skip damaged: %+v %v", rep, err)
			}
			rdb = mustOpen(t, rs, Options{})
			got = ids(t, rdb, "t", Scan{Index: "PRIMARY"})
			rdb.Close()
			if got[len(got)-1] != 300 || len(got) >= 300 {
				t.Fatalf("skip damaged: %d rows, last %d; report %+v", len(got), got[len(got)-1], rep)
			}
		})
	}
}

func TestBackupRestoreBadInput(t *testing.T) {
	root := t.TempDir()
	db := mustOpen(t, filepath.Join(root, "db"), Options{})
	if err := db.CreateTable(bg, itemsDef("t", false)); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(root, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644)
	if _, err := db.Backup(bg, full); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("non-empty dest: %v", err)
	}
	if _, err := db.Backup(context.Background(), filepath.Join(root, "db")); err == nil {
		t.Fatal("backup into the database directory")
	}
	good := filepath.Join(root, "good")
	if _, err := db.Backup(bg, good); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(filepath.Join(root, "r1"), filepath.Join(root, "missing"), RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing backup: %v", err)
	}
	if _, err := Restore(filepath.Join(root, "r2"), full, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "not a backup") {
		t.Fatalf("not a backup: %v", err)
	}
	garbage := filepath.Join(root, "garbage")
	os.MkdirAll(garbage, 0o755)
	os.WriteFile(filepath.Join(garbage, BackupManifest), []byte("{not json"), 0o644)
	if _, err := Restore(filepath.Join(root, "r3"), garbage, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("garbage manifest: %v", err)
	}
	if _, err := Restore(full, good, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into non-empty dir: %v", err)
	}
	// A backup file that lost bytes is refused.
	r4 := filepath.Join(root, "r4")
	os.Truncate(filepath.Join(good, "t.bdf"), 100)
	if _, err := Restore(r4, good, RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "t.bdf") {
		t.Fatalf("short backup file: %v", err)
	}
	if _, err := Restore(r4, good, RestoreOptions{ULogDir: filepath.Join(root, "nolog")}); err == nil {
		t.Fatal("missing ulog dir accepted")
	}
	// A cancelled backup leaves its destination empty, ready for a retry.
	cctx, cancel := context.WithCancel(bg)
	cancel()
	cdest := filepath.Join(root, "cancelled")
	if _, err := db.Backup(cctx, cdest); err == nil {
		t.Fatal("cancelled backup succeeded")
	}
	if names, _ := os.ReadDir(cdest); len(names) != 0 {
		t.Fatalf("cancelled backup left %d files", len(names))
	}
	if _, err := db.Backup(bg, cdest); err != nil {
		t.Fatalf("retry: %v", err)
	}
	// Another database's (shorter) update log is refused.
	ldb := mustOpen(t, filepath.Join(root, "logged"), Options{ULogDir: filepath.Join(root, "ulog1")})
	for i := 0; i < 3; i++ {
		if err := ldb.CreateTable(bg, itemsDef(fmt.Sprint("t", i), false)); err != nil {
			t.Fatal(err)
		}
	}
	lbk := filepath.Join(root, "lbk")
	if _, err := ldb.Backup(bg, lbk); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "ulog2"), 0o755)
	if _, err := Restore(filepath.Join(root, "r5"), lbk, RestoreOptions{ULogDir: filepath.Join(root, "ulog2")}); err == nil || !strings.Contains(err.Error(), "not this database's log") {
		t.Fatalf("wrong log: %v", err)
	}
}

// TestBackupCutShortIsRefused cuts the power at every sync point of a
// backup: Open of the destination afterwards either gives the whole
// backup (BACKUP.json there) or refuses it as a backup that did not
// finish. Before BACKUP.partial, a destination with some tables copied
// opened as a database with the others missing.
func TestBackupCutShortIsRefused(t *testing.T) {
	root := t.TempDir()
	base := vfs.NewCrash()
	src := filepath.Join(root, "db")
	os.MkdirAll(src, 0o755) // index files are bbolt's, on the OS
	if err := base.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(src, Options{FS: base})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		name := fmt.Sprint("t", i)
		if err := db.CreateTable(bg, itemsDef(name, i == 1)); err != nil {
			t.Fatal(err)
		}
		insert(t, db, name, Row{int64(1), int64(10), "one"}, Row{int64(2), int64(20), "two"})
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	whole, refused := 0, 0
	for k := 1; k <= 200; k++ {
		fs := base.Clone()
		db, err := Open(src, Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(root, fmt.Sprint("bk", k))
		os.MkdirAll(dest, 0o755)
		fs.CutPowerAtSync(k, int64(k))
		_, berr := db.Backup(bg, dest)
		db.closeAfterCut()
		if !fs.IsCut() {
			if berr != nil {
				t.Fatal(berr)
			}
			break
		}
		after := fs.AfterCut()
		if _, err := after.Stat(dest); err != nil {
			continue // cut before the destination was made
		}
		bdb, err := Open(dest, Options{FS: after})
		if err != nil {
			if !strings.Contains(err.Error(), "backup that did not finish") {
				t.Fatalf("k=%d: open of the cut backup: %v", k, err)
			}
			refused++
			continue
		}
		// Cut before the marker was durable: nothing was copied either.
		if got := fmt.Sprint(bdb.Tables()); got != "[t0 t1 t2]" && got != "[]" {
			t.Fatalf("k=%d: the cut backup opened with tables %s", k, got)
		} else if got != "[]" {
			whole++
		}
		bdb.Close()
	}
	if refused == 0 {
		t.Fatalf("no cut left a backup to refuse (%d whole)", whole)
	}
	t.Logf("%d cuts refused, %d whole", refused, whole)
}
