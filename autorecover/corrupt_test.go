package autorecover

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/engine"
	"github.com/blitzdb/blitz/internal/keyenc"
	"github.com/blitzdb/blitz/internal/sqlerr"
)

// stepTimeout bounds every engine call of the corruption tests: longer is
// a hang.
const stepTimeout = 60 * time.Second

// testSegBytes is the WAL segment size of the corruption tests: small, so
// that the logs rotate and copies are cheap.
const testSegBytes = 64 << 10

// call runs fn, turning a panic into a test failure and a hang (stepTimeout)
// into a fatal one.
func call(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
				return
			}
			done <- nil
		}()
		fn()
	}()
	select {
	case r := <-done:
		if r != nil {
			t.Fatalf("%s: %v", what, r)
		}
	case <-time.After(stepTimeout):
		t.Fatalf("%s: no answer after %v (hang)", what, stepTimeout)
	}
}

// template is a database directory closed cleanly, and what it holds.
type template struct {
	dir     string
	rows    map[string]map[int64]rowv    // table -> rows
	history map[string]map[int64][]*rowv // table -> id -> every version written (nil: a deletion)
	recs    map[string][]record          // table -> live records of its data file, by offset
}

// record is one live record block of a data file.
type record struct {
	off, size int64
	klen      int64
	vlen      int64
	id        int64
}

// crcRanges are the bytes of the record its checksum covers.
func (r record) crcRanges() [][2]int64 {
	return [][2]int64{{r.off + 4, r.off + 8}, {r.off + 16, r.off + 32 + r.klen + r.vlen}}
}

// parseRecords walks a cleanly closed data file's block area (format
// version 1, see package datafile) and returns its live records.
func parseRecords(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var recs []record
	for off := int64(4096); off+32 <= int64(len(b)); {
		kind := b[off+4]
		slack := int64(le.Uint16(b[off+6:]))
		klen, vlen := int64(le.Uint32(b[off+24:])), int64(le.Uint32(b[off+28:]))
		if kind != 0xB1 && kind != 0xF1 && kind != 0xB2 {
			break // past the tail
		}
		size := (32+klen+vlen+15)&^15 + 16*slack
		if kind == 0xB1 {
			vs, err := keyenc.DecodeAll(b[off+32 : off+32+klen])
			if err != nil || len(vs) != 1 || vs[0].Kind != keyenc.KindInt {
				t.Fatalf("%s: record at %d: key %x does not decode: %v", path, off, b[off+32:off+32+klen], err)
			}
			recs = append(recs, record{off: off, size: size, klen: klen, vlen: vlen, id: vs[0].I})
		}
		off += size
	}
	return recs
}

// buildTemplate creates the clean template: both torture tables, rows
// inserted, updated (in place and moved) and deleted, closed cleanly.
func buildTemplate(t *testing.T, seed int64, n int) *template {
	t.Helper()
	tp := &template{dir: filepath.Join(t.TempDir(), "template"), rows: map[string]map[int64]rowv{},
		history: map[string]map[int64][]*rowv{}, recs: map[string][]record{}}
	rng := rand.New(rand.NewSource(seed))
	db, err := engine.Open(tp.dir, engine.Options{CheckpointBytes: 64 << 10, WALSegmentBytes: testSegBytes})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{csTable, plTable} {
		if err := db.CreateTable(bg, tortureDef(name, name == csTable)); err != nil {
			t.Fatal(err)
		}
		rows, hist := map[int64]rowv{}, map[int64][]*rowv{}
		ver := 0
		mk := func(id int64) rowv {
			ver++
			r := rowv{G: int64(rng.Intn(16)), V: fmt.Sprintf("%d/%d/%s", id, ver, strings.Repeat("y", rng.Intn(200)))}
			if rng.Intn(10) != 0 {
				u := fmt.Sprintf("u%d.%d", id, ver)
				r.U = &u
			}
			return r
		}
		for i := 0; i < n; i += 20 {
			tx, _ := db.Begin(bg)
			for id := int64(i); id < int64(i+20) && id < int64(n); id++ {
				r := mk(id)
				if _, _, err := tx.Insert(name, r.row(id)); err != nil {
					t.Fatal(err)
				}
				rows[id] = r
				hist[id] = append(hist[id], &r)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		// Updates and deletes leave free blocks and moved records behind.
		for i := 0; i < n/2; i++ {
			id := int64(rng.Intn(n))
			if _, ok := rows[id]; !ok {
				continue
			}
			tx, _ := db.Begin(bg)
			h, _, ok, err := tx.Get(name, []any{id})
			if err != nil || !ok {
				t.Fatalf("get %d: %v %v", id, ok, err)
			}
			if rng.Intn(4) == 0 {
				err = tx.Delete(name, h)
				delete(rows, id)
				hist[id] = append(hist[id], nil)
			} else {
				r := mk(id)
				_, err = tx.Update(name, h, r.row(id))
				rows[id] = r
				hist[id] = append(hist[id], &r)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		tp.rows[name], tp.history[name] = rows, hist
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{csTable, plTable} {
		tp.recs[name] = parseRecords(t, filepath.Join(tp.dir, name+".bdf"))
		if len(tp.recs[name]) != len(tp.rows[name]) {
			t.Fatalf("%s: %d live records, %d rows", name, len(tp.recs[name]), len(tp.rows[name]))
		}
	}
	return tp
}

// copyDir copies a database directory (its files and wal/).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// damage is what was done to one file.
type damage struct {
	file    string
	kind    string
	desc    []string
	changed [][2]int64 // byte ranges whose content changed (or that are gone)
}

func (d damage) String() string {
	return fmt.Sprintf("%s %s: %s", filepath.Base(d.file), d.kind, strings.Join(d.desc, ", "))
}

// overlaps reports whether any changed byte lies in [lo, hi).
func (d damage) overlaps(lo, hi int64) bool {
	for _, c := range d.changed {
		if c[0] < hi && lo < c[1] {
			return true
		}
	}
	return false
}

// applyDamage flips, zeroes or truncates random regions of path: 1 to 3
// regions, aimed half of the time at the block area (from 4096 on) of the
// file.
func applyDamage(t *testing.T, rng *rand.Rand, path, kind string) damage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), b...)
	d := damage{file: path, kind: kind}
	size := int64(len(b))
	// Aim at the part of the file in use: index files are mostly zero
	// space bbolt has not used yet.
	used := size
	for used > 0 && b[used-1] == 0 {
		used--
	}
	used = max(used, 1)
	pick := func(maxLen int64) (int64, int64) {
		var off int64
		if used > 4096 && rng.Intn(2) == 0 {
			off = 4096 + rng.Int63n(used-4096)
		} else {
			off = rng.Int63n(used)
		}
		n := 1 + rng.Int63n(maxLen)
		return off, min(off+n, size)
	}
	switch kind {
	case "truncate":
		n := rng.Int63n(used)
		if rng.Intn(3) == 0 && used > 64 {
			n = used - 1 - rng.Int63n(min(used-1, 4096)) // just the end
		}
		b = b[:n]
		d.desc = append(d.desc, fmt.Sprintf("to %d of %d bytes", n, size))
		d.changed = append(d.changed, [2]int64{n, 1 << 62})
	default:
		for r := 0; r <= rng.Intn(3); r++ {
			maxLen := int64(64)
			if rng.Intn(4) == 0 {
				maxLen = 8192
			}
			lo, hi := pick(maxLen)
			for i := lo; i < hi; i++ {
				if kind == "flip" {
					b[i] ^= byte(1 + rng.Intn(255))
				} else {
					b[i] = 0
				}
			}
			d.desc = append(d.desc, fmt.Sprintf("[%d,%d)", lo, hi))
		}
		for i := int64(0); i < size; {
			if b[i] == orig[i] {
				i++
				continue
			}
			j := i
			for j < size && b[j] != orig[j] {
				j++
			}
			d.changed = append(d.changed, [2]int64{i, j})
			i = j
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

// corruptionSeeds is 4 per target and damage kind (BLITZ_CORRUPT=N for
// more; each case opens, checks, repairs and reopens the database twice).
func corruptionSeeds(t *testing.T) int { return envCount(t, "BLITZ_CORRUPT", 4, 1) }

// openDB opens dir (bounded, panics caught). The log goes to buf.
func openDB(t *testing.T, dir string, auto bool, buf *bytes.Buffer) (db *engine.DB, err error) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: buf}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	call(t, fmt.Sprintf("Open (AutoRecover %v)", auto), func() {
		db, err = engine.Open(dir, engine.Options{AutoRecover: auto, Logger: log, WALSegmentBytes: testSegBytes})
	})
	return db, err
}

// readRows reads a table by a full scan and through every index, bounded
// and with panics caught. It returns the full scan's rows, or the error of
// the first read that failed; a read that succeeds through an index must
// agree with the full scan.
func readRows(t *testing.T, db *engine.DB, name string) (rows map[int64]rowv, err error) {
	t.Helper()
	call(t, "read "+name, func() {
		rows, err = readTable(db, name, "")
		if err != nil {
			return
		}
		for _, ix := range []string{"PRIMARY", "u_idx", "g_idx"} {
			got, ierr := readTable(db, name, ix)
			if ierr != nil {
				rows, err = nil, fmt.Errorf("through %s: %w", ix, ierr)
				return
			}
			if !sameRows(rows, got) {
				t.Errorf("%s: the scan through %s disagrees with the full scan:\n%s", name, ix, diff(rows, got))
			}
		}
	})
	return rows, err
}

func check(t *testing.T, db *engine.DB, name string) (rep engine.CheckReport) {
	t.Helper()
	var err error
	call(t, "Check "+name, func() { rep, err = db.Check(bg, name) })
	if err != nil {
		t.Fatalf("Check %s: %v", name, err)
	}
	return rep
}

func repair(t *testing.T, db *engine.DB, name string, quick bool) engine.RepairReport {
	t.Helper()
	var rep engine.RepairReport
	var err error
	call(t, "Repair "+name, func() { rep, err = db.Repair(bg, name, quick) })
	if err != nil {
		t.Fatalf("Repair %s (quick %v): %v", name, quick, err)
	}
	return rep
}

// subset checks that got holds only original rows with their values, and
// every original row whose record the damage did not touch. touched (ids)
// may be nil: then every original row must be there.
func subset(t *testing.T, what string, orig, got map[int64]rowv, touched map[int64]bool) {
	t.Helper()
	for id, r := range got {
		o, ok := orig[id]
		if !ok || o.String() != r.String() {
			t.Errorf("%s: row %d = %.80s is not an original row (original: %v %.80s)", what, id, r, ok, o)
		}
	}
	lost := 0
	for id := range orig {
		if _, ok := got[id]; !ok {
			lost++
			if !touched[id] {
				t.Errorf("%s: row %d lost, its record was not damaged", what, id)
			}
		}
	}
	if lost > len(touched) {
		t.Errorf("%s: %d rows lost, the damage touched %d records", what, lost, len(touched))
	}
}

// TestCorruptDataFile damages the .bdf file of each table of a cleanly
// closed database, then opens it without and with AutoRecover: CHECK must
// name damage to bytes a record checksum covers, a table CHECK passes must
// read exactly its original rows, and after REPAIR (or auto-recovery)
// every row whose record is intact is there, with no other row.
func TestCorruptDataFile(t *testing.T) {
	seed := tortureSeed(t)
	tp := buildTemplate(t, seed, 1500)
	seeds := corruptionSeeds(t)
	var detected, undetectable, stats int
	for _, name := range []string{csTable, plTable} {
		for _, kind := range []string{"flip", "zero", "truncate"} {
			for s := 0; s < seeds; s++ {
				sd := seed + int64(s)*131 + int64(len(kind))
				t.Run(fmt.Sprintf("%s/%s/%d", name, kind, s), func(t *testing.T) {
					var d damage
					touched := map[int64]bool{}
					live := false
					for _, auto := range []bool{false, true} {
						dir := filepath.Join(t.TempDir(), "db")
						copyDir(t, tp.dir, dir)
						d = applyDamage(t, rand.New(rand.NewSource(sd)), filepath.Join(dir, name+".bdf"), kind)
						for _, r := range tp.recs[name] {
							if d.overlaps(r.off, r.off+r.size) {
								touched[r.id] = true
							}
							for _, c := range r.crcRanges() {
								live = live || d.overlaps(c[0], c[1])
							}
						}
						var logBuf bytes.Buffer
						db, err := openDB(t, dir, auto, &logBuf)
						if err != nil {
							t.Fatalf("%v: Open (AutoRecover %v) failed: %v", d, auto, err)
						}
						other := plTable
						if name == plTable {
							other = csTable
						}
						if rows, err := readRows(t, db, other); err != nil || !sameRows(rows, tp.rows[other]) {
							t.Fatalf("%v: the other table %s changed: %v", d, other, err)
						}
						rep := check(t, db, name)
						if !auto {
							stats++
							if live && rep.OK {
								t.Errorf("%v: CHECK passes though checksummed bytes of %d records changed", d, len(touched))
							}
							if !live {
								undetectable++
							} else if !rep.OK {
								detected++
							}
						}
						if rep.OK {
							rows, err := readRows(t, db, name)
							if err != nil {
								t.Fatalf("%v: CHECK passed, reading fails: %v", d, err)
							}
							if !sameRows(rows, tp.rows[name]) && !auto {
								t.Errorf("%v: CHECK passed, rows differ:\n%s", d, diff(tp.rows[name], rows))
							}
							subset(t, fmt.Sprintf("%v (AutoRecover %v, CHECK OK)", d, auto), tp.rows[name], rows, touched)
						} else if rows, err := readRows(t, db, name); err == nil {
							// Reads before REPAIR may fail (1194) but never return
							// anything else than original rows.
							for id, r := range rows {
								if o, ok := tp.rows[name][id]; !ok || o.String() != r.String() {
									t.Errorf("%v: before REPAIR, row %d reads as %.80s", d, id, r)
								}
							}
						} else if c := sqlerr.Code(err); c != sqlerr.ErrCrashedTable {
							t.Logf("%v: read before REPAIR: %v", d, err)
						}
						var rrep engine.RepairReport
						if !rep.OK {
							rrep = repair(t, db, name, false)
							if rep2 := check(t, db, name); !rep2.OK {
								t.Fatalf("%v: CHECK after REPAIR: %q", d, rep2.Problems)
							}
						}
						rows, err := readRows(t, db, name)
						if err != nil {
							t.Fatalf("%v: read after recovery: %v", d, err)
						}
						// A REPAIR that lost rows says so (REPAIR TABLE shows
						// its warnings): its "OK" must not hide a loss.
						if !rep.OK && len(rows) < len(tp.rows[name]) &&
							(len(rrep.Warnings) == 0 || !strings.Contains(strings.Join(rrep.Warnings, "; "), "salvaged")) {
							t.Errorf("%v: REPAIR lost %d of %d rows and warned of nothing: %q", d, len(tp.rows[name])-len(rows), len(tp.rows[name]), rrep.Actions)
						}
						subset(t, fmt.Sprintf("%v (AutoRecover %v)", d, auto), tp.rows[name], rows, touched)
						// More writes work, and a clean reopen keeps it all.
						tx, _ := db.Begin(bg)
						nr := rowv{G: 1, V: "after"}
						if _, _, err := tx.Insert(name, nr.row(1_000_000)); err != nil {
							t.Fatalf("%v: insert after recovery: %v", d, err)
						}
						if err := tx.Commit(); err != nil {
							t.Fatalf("%v: commit after recovery: %v", d, err)
						}
						call(t, "Close", func() { err = db.Close() })
						if err != nil {
							t.Fatalf("%v: Close: %v", d, err)
						}
						db, err = openDB(t, dir, false, &logBuf)
						if err != nil {
							t.Fatalf("%v: reopen: %v", d, err)
						}
						rows2, err := readRows(t, db, name)
						rows[1_000_000] = nr
						if err != nil || !sameRows(rows, rows2) {
							t.Fatalf("%v: after a clean reopen: %v\n%s", d, err, diff(rows, rows2))
						}
						if rep := check(t, db, name); !rep.OK {
							t.Fatalf("%v: CHECK after a clean reopen: %q", d, rep.Problems)
						}
						call(t, "Close", func() { db.Close() })
						if t.Failed() {
							t.Logf("log:\n%s", logBuf.String())
							return
						}
					}
				})
			}
		}
	}
	t.Logf("%d damaged data files opened without AutoRecover: %d with checksummed bytes changed, all named by CHECK (%d detected); %d changed only uncovered bytes",
		stats, stats-undetectable, detected, undetectable)
}

// TestCorruptIndexFile damages index files of a cleanly closed database:
// an index that CHECK passes must answer exactly as the full scan; one it
// fails must be fixed by REPAIR (quick without AutoRecover, full with).
//
// A damaged index file can take the whole process down (a panic in a
// goroutine bbolt starts, which no caller can recover), so the cases run in
// a child process: the parent restarts it after the case that killed it and
// reports that case as failed.
func TestCorruptIndexFile(t *testing.T) {
	if tpl := os.Getenv(envIndexTemplate); tpl != "" {
		from, _ := strconv.Atoi(os.Getenv(envIndexFrom))
		indexCases(t, loadTemplate(t, tpl), from, os.Getenv(envIndexMarks))
		return
	}
	seed := tortureSeed(t)
	tp := buildTemplate(t, seed, 1500)
	saveTemplate(t, tp)
	cases := indexCaseList(corruptionSeeds(t))
	marks := filepath.Join(t.TempDir(), "marks")
	var crashed []string
	for from, runs := 0, 0; from < len(cases) && runs < len(cases)+1; runs++ {
		os.Remove(marks)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCorruptIndexFile$", "-test.v")
		cmd.Env = append(os.Environ(), envIndexTemplate+"="+tp.dir, envIndexFrom+"="+strconv.Itoa(from),
			envIndexMarks+"="+marks, "BLITZ_SEED="+strconv.FormatInt(seed, 10))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- cmd.Wait() }()
		var err error
		select {
		case err = <-waited:
		case <-time.After(15 * time.Minute):
			cmd.Process.Kill()
			<-waited
			t.Fatalf("index cases from %d: no end after 15 minutes (hang)\n%s", from, tail(out.String(), 40))
		}
		if err == nil {
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, "corrupt_test.go") && strings.Contains(l, "damaged index files:") {
					t.Log(strings.TrimSpace(l))
				}
			}
			break
		}
		b, _ := os.ReadFile(marks)
		last := -1
		for _, l := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(l); err == nil {
				last = n
			}
		}
		text := out.String()
		if i := strings.Index(text, "panic: "); i >= 0 && last >= from {
			crashed = append(crashed, cases[last].name)
			t.Errorf("case %s killed the process: %s", cases[last].name, tail(text[i:], 12))
			from = last + 1
			continue
		}
		// An ordinary failure: the child reported it.
		t.Fatalf("index cases from %d failed:\n%s", from, failLines(text))
	}
	if len(crashed) > 0 {
		t.Errorf("%d of %d damaged index files crashed the process (a panic in a bbolt goroutine at index.Open): %s",
			len(crashed), len(cases), strings.Join(crashed, " "))
	}
}

// Environment of the child of TestCorruptIndexFile.
const (
	envIndexTemplate = "BLITZ_CORRUPT_INDEX_TEMPLATE" // set: run the cases in this process, on this template
	envIndexFrom     = "BLITZ_CORRUPT_INDEX_FROM"     // first case to run
	envIndexMarks    = "BLITZ_CORRUPT_INDEX_MARKS"    // file the child appends each case number to before running it
)

type indexCase struct {
	name, table, index, kind string
	seed                     int64
}

func indexCaseList(seeds int) []indexCase {
	var cs []indexCase
	for _, name := range []string{csTable, plTable} {
		for _, ix := range []string{"u_idx", "g_idx"} {
			for _, kind := range []string{"flip", "zero", "truncate"} {
				for s := 0; s < seeds; s++ {
					cs = append(cs, indexCase{name: fmt.Sprintf("%s/%s/%s/%d", name, ix, kind, s),
						table: name, index: ix, kind: kind, seed: int64(s)*977 + int64(len(kind)+len(ix))})
				}
			}
		}
	}
	return cs
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = ls[:lines]
	}
	return strings.Join(ls, "\n")
}

func failLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "FAIL") || strings.Contains(l, "_test.go:") {
			out = append(out, l)
		}
	}
	return tail(strings.Join(out, "\n"), 60)
}

// indexCases runs the index cases from from on (in the child).
func indexCases(t *testing.T, tp *template, from int, marks string) {
	seed := tortureSeed(t)
	cases := indexCaseList(corruptionSeeds(t))
	var atOpen, byCheck, harmless int
	mf, err := os.OpenFile(marks, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	for i := from; i < len(cases); i++ {
		c := cases[i]
		fmt.Fprintf(mf, "%d\n", i)
		mf.Sync()
		t.Run(c.name, func(t *testing.T) {
			for _, auto := range []bool{false, true} {
				dir := filepath.Join(t.TempDir(), "db")
				copyDir(t, tp.dir, dir)
				d := applyDamage(t, rand.New(rand.NewSource(seed+c.seed)), filepath.Join(dir, c.table+"."+c.index+".bix"), c.kind)
				var logBuf bytes.Buffer
				db, err := openDB(t, dir, auto, &logBuf)
				if err != nil {
					t.Fatalf("%v: Open (AutoRecover %v): %v", d, auto, err)
				}
				rebuilt := strings.Contains(logBuf.String(), "rebuilding")
				rep := check(t, db, c.table)
				if rep.OK {
					rows, err := readRows(t, db, c.table)
					if err != nil || !sameRows(rows, tp.rows[c.table]) {
						t.Fatalf("%v: CHECK passed, but reading gives %v\n%s", d, err, diff(tp.rows[c.table], rows))
					}
				} else {
					repair(t, db, c.table, !auto)
					if rep2 := check(t, db, c.table); !rep2.OK {
						t.Fatalf("%v: CHECK after REPAIR: %q", d, rep2.Problems)
					}
					rows, err := readRows(t, db, c.table)
					if err != nil || !sameRows(rows, tp.rows[c.table]) {
						t.Fatalf("%v: after REPAIR, reading gives %v\n%s", d, err, diff(tp.rows[c.table], rows))
					}
				}
				if !auto {
					switch {
					case rebuilt:
						atOpen++
					case !rep.OK:
						byCheck++
					default:
						harmless++
					}
				}
				call(t, "Close", func() { err = db.Close() })
				if err != nil {
					t.Fatalf("%v: Close: %v", d, err)
				}
				if t.Failed() {
					t.Logf("log:\n%s", logBuf.String())
					return
				}
			}
		})
	}
	t.Logf("damaged index files: %d found stale at open and rebuilt, %d named by CHECK, %d damaged nothing CHECK or a read could see (cases %d to %d)",
		atOpen, byCheck, harmless, from, len(cases)-1)
}

// saveTemplate writes what a template holds next to it, for a child.
func saveTemplate(t *testing.T, tp *template) {
	t.Helper()
	b, err := json.Marshal(struct {
		Rows    map[string]map[int64]rowv
		History map[string]map[int64][]*rowv
	}{tp.rows, tp.history})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tp.dir+".json", b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadTemplate(t *testing.T, dir string) *template {
	t.Helper()
	b, err := os.ReadFile(dir + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Rows    map[string]map[int64]rowv
		History map[string]map[int64][]*rowv
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	tp := &template{dir: dir, rows: v.Rows, history: v.History, recs: map[string][]record{}}
	for _, name := range []string{csTable, plTable} {
		tp.recs[name] = parseRecords(t, filepath.Join(dir, name+".bdf"))
	}
	return tp
}

// TestCorruptDefinitionFile damages a table's .def file: Open must not
// panic; the table then either works unchanged (the damage kept the JSON
// meaning) or answers an error naming the file; the other table is
// untouched.
func TestCorruptDefinitionFile(t *testing.T) {
	seed := tortureSeed(t)
	tp := buildTemplate(t, seed, 200)
	seeds := corruptionSeeds(t)
	var named, intact int
	for _, name := range []string{csTable, plTable} {
		for _, kind := range []string{"flip", "zero", "truncate"} {
			for s := 0; s < seeds; s++ {
				sd := seed + int64(s)*31 + int64(len(kind))
				t.Run(fmt.Sprintf("%s/%s/%d", name, kind, s), func(t *testing.T) {
					for _, auto := range []bool{false, true} {
						dir := filepath.Join(t.TempDir(), "db")
						copyDir(t, tp.dir, dir)
						defPath := filepath.Join(dir, name+".def")
						d := applyDamage(t, rand.New(rand.NewSource(sd)), defPath, kind)
						var logBuf bytes.Buffer
						db, err := openDB(t, dir, auto, &logBuf)
						if err != nil {
							if !strings.Contains(err.Error(), defPath) {
								t.Fatalf("%v: Open fails without naming %s: %v", d, defPath, err)
							}
							continue
						}
						other := plTable
						if name == plTable {
							other = csTable
						}
						if rows, err := readRows(t, db, other); err != nil || !sameRows(rows, tp.rows[other]) {
							t.Fatalf("%v: the other table %s changed: %v", d, other, err)
						}
						rows, err := readRows(t, db, name)
						switch {
						case err == nil:
							if !sameRows(rows, tp.rows[name]) {
								t.Errorf("%v: table %s reads differently:\n%s", d, name, diff(tp.rows[name], rows))
							}
							if rep := check(t, db, name); !rep.OK {
								t.Errorf("%v: CHECK %q", d, rep.Problems)
							}
							if !auto {
								intact++
							}
						case strings.Contains(err.Error(), defPath):
							if !auto {
								named++
							}
							var rerr error
							call(t, "Repair", func() { _, rerr = db.Repair(bg, name, false) })
							if rerr == nil || !strings.Contains(rerr.Error(), defPath) {
								t.Errorf("%v: Repair of a table whose definition is damaged: %v", d, rerr)
							}
						default:
							t.Errorf("%v: reading %s fails without naming %s: %v", d, name, defPath, err)
						}
						for _, tn := range db.Tables() {
							if tn != csTable && tn != plTable {
								t.Errorf("%v: a table %q appeared", d, tn)
							}
						}
						call(t, "Close", func() { err = db.Close() })
						if err != nil {
							t.Fatalf("%v: Close: %v", d, err)
						}
						if t.Failed() {
							t.Logf("log:\n%s", logBuf.String())
							return
						}
					}
				})
			}
		}
	}
	t.Logf("damaged definition files: %d named in the table's errors, %d still read as the same definition", named, intact)
}

// TestCorruptWAL damages the WAL segments of (a) a cleanly closed database
// and (b) one whose crash-safe commits live only in the WAL (a child killed
// without a checkpoint). Open fails with an error naming a WAL file, or
// succeeds; then (a) holds rows every one of which was written at some
// time, and (b) holds the state after some prefix of the acknowledged
// commits; both tables pass CHECK after auto-recovery.
func TestCorruptWAL(t *testing.T) {
	seed := tortureSeed(t)
	tp := buildTemplate(t, seed, 600)
	dirty, states := buildDirty(t, seed)
	seeds := corruptionSeeds(t)
	var openErrs, opened int
	for _, which := range []string{"clean", "dirty"} {
		src := tp.dir
		if which == "dirty" {
			src = dirty
		}
		segs, _ := filepath.Glob(filepath.Join(src, "wal", "*.wal"))
		if len(segs) == 0 {
			t.Fatalf("%s template has no WAL segment", which)
		}
		for _, kind := range []string{"flip", "zero", "truncate"} {
			for s := 0; s < seeds; s++ {
				sd := seed + int64(s)*53 + int64(len(kind)+len(which))
				t.Run(fmt.Sprintf("%s/%s/%d", which, kind, s), func(t *testing.T) {
					for _, auto := range []bool{false, true} {
						dir := filepath.Join(t.TempDir(), "db")
						copyDir(t, src, dir)
						rng := rand.New(rand.NewSource(sd))
						seg := filepath.Join(dir, "wal", filepath.Base(segs[rng.Intn(len(segs))]))
						d := applyDamage(t, rng, seg, kind)
						var logBuf bytes.Buffer
						db, err := openDB(t, dir, auto, &logBuf)
						if err != nil {
							if !strings.Contains(err.Error(), filepath.Join(dir, "wal")) {
								t.Fatalf("%v: Open fails without naming the WAL: %v", d, err)
							}
							if auto {
								openErrs++
							}
							continue
						}
						if auto {
							opened++
						}
						rows, err := readRows(t, db, csTable)
						if err != nil {
							if auto || sqlerr.Code(err) != sqlerr.ErrCrashedTable {
								t.Fatalf("%v: read %s (AutoRecover %v): %v", d, csTable, auto, err)
							}
						} else if which == "clean" {
							for id, r := range rows {
								ok := false
								for _, v := range tp.history[csTable][id] {
									ok = ok || (v != nil && v.String() == r.String())
								}
								if !ok {
									t.Errorf("%v: row %d = %.80s was never written", d, id, r)
								}
							}
							for id := range tp.rows[csTable] {
								if _, ok := rows[id]; ok {
									continue
								}
								del := false
								for _, v := range tp.history[csTable][id] {
									del = del || v == nil
								}
								if !del {
									t.Errorf("%v: row %d, never deleted, is gone", d, id)
								}
							}
						} else if _, ok := states[fingerprint(rows)]; !ok {
							t.Errorf("%v: the crash-safe table (%d rows) is not the state after any prefix of the acknowledged commits", d, len(rows))
						}
						if auto {
							for _, name := range []string{csTable, plTable} {
								if rep := check(t, db, name); !rep.OK {
									t.Errorf("%v: CHECK %s after AutoRecover: %q", d, name, rep.Problems)
								}
							}
							if which == "clean" {
								if rows, err := readRows(t, db, plTable); err != nil || !sameRows(rows, tp.rows[plTable]) {
									t.Errorf("%v: the plain table changed: %v", d, err)
								}
							}
						}
						call(t, "Close", func() { err = db.Close() })
						if err != nil {
							t.Fatalf("%v: Close: %v", d, err)
						}
						if t.Failed() {
							t.Logf("log:\n%s", logBuf.String())
							return
						}
					}
				})
			}
		}
	}
	t.Logf("damaged WAL segments, AutoRecover: %d opened, %d refused with an error naming the WAL", opened, openErrs)
}

// fingerprint is a canonical text of a table's rows.
func fingerprint(rows map[int64]rowv) string {
	ids := make([]int64, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "%d=%s;", id, rows[id])
	}
	return b.String()
}

// buildDirty runs a torture child with no checkpoint and SIGKILLs it after
// 150 acknowledged commits: the crash-safe rows live only in the WAL. It
// returns the directory and the fingerprints of the crash-safe table after
// each prefix of the commits.
func buildDirty(t *testing.T, seed int64) (string, map[string]int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dirty")
	c := startChild(t, dir, seed, 1<<40, testSegBytes, 20)
	var lines []string
	acks := 0
	timeout := time.After(30 * time.Second)
	for acks < 150 {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child ended early\n%s", c.stderr)
			}
			lines = append(lines, l)
			if strings.HasPrefix(l, "A ") {
				acks++
			}
		case <-timeout:
			c.kill(t)
			t.Fatalf("child: %d acks after 30 s\n%s", acks, c.stderr)
		}
	}
	lines = append(lines, c.kill(t)...)
	states := map[string]int{}
	model := csModel{}
	states[fingerprint(model)] = 0
	var last *intent
	n := 0
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "B "):
			var in intent
			if err := json.Unmarshal([]byte(l[2:]), &in); err != nil {
				t.Fatal(err)
			}
			last = &in
		case strings.HasPrefix(l, "A "):
			model = model.apply(*last)
			n++
			states[fingerprint(model)] = n
			last = nil
		}
	}
	if last != nil { // in flight: it may have reached the WAL
		states[fingerprint(model.apply(*last))] = n + 1
	}
	return dir, states
}
