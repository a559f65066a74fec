package bstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/blitzdb/blitz/internal/ulog"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// at returns a PushOptions whose backup time is t0 plus n minutes.
func at(n int) PushOptions {
	return PushOptions{Now: func() time.Time { return t0.Add(time.Duration(n) * time.Minute) }}
}

// writeBackup makes a fake backup directory: the given files plus a
// BACKUP.json naming seq.
func writeBackup(t *testing.T, dir string, seq uint64, files map[string][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	meta := fmt.Sprintf(`{"format":1,"time":"%s","ulog_seq":%d}`, t0.Format(time.RFC3339), seq)
	if err := os.WriteFile(filepath.Join(dir, "BACKUP.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendULog appends n records to the update log in dir, rotating
// segments past segBytes, and returns the last sequence number.
func appendULog(t *testing.T, dir string, n int, segBytes int64) uint64 {
	t.Helper()
	l, err := ulog.Open(dir, ulog.Options{SegmentBytes: segBytes})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	for i := 0; i < n; i++ {
		k := fmt.Sprint(l.LastSeq() + 1)
		seq, err = l.Append([]ulog.Op{{Kind: ulog.OpPut, Table: "t", Key: []byte(k), Value: []byte("value of " + k)}}, t0.Add(time.Duration(seq)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return seq
}

func tableFiles(bdf string) map[string][]byte {
	return map[string][]byte{
		"t.bdf":     bytes.Repeat([]byte(bdf), 500),
		"t.def":     []byte(`{"name":"t","columns":["id","v"]}`),
		"t.byv.bix": bytes.Repeat([]byte("index page "), 300),
		"t.byv.sum": []byte("sum 1234"),
	}
}

// dirFiles reads every file of dir (recursively) into a map.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameDirs(t *testing.T, what, want, got string) {
	t.Helper()
	w, g := dirFiles(t, want), dirFiles(t, got)
	if len(w) != len(g) {
		t.Fatalf("%s: fetched %d files, want %d: %v", what, len(g), len(w), keys(g))
	}
	for name, data := range w {
		if g[name] != data {
			t.Fatalf("%s: %s differs after the round trip (%d bytes, want %d)", what, name, len(g[name]), len(data))
		}
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	for _, data := range dirFiles(t, dir) {
		n += int64(len(data))
	}
	return n
}

func storeURL(dir string) string { return "file://" + dir }

func readAllULog(t *testing.T, dir string) []uint64 {
	t.Helper()
	var seqs []uint64
	rep, err := ulog.Read(dir, ulog.ReadOptions{}, func(r *ulog.Record) error {
		seqs = append(seqs, r.Seq)
		return nil
	})
	if err != nil || len(rep.Damage) > 0 || rep.TornTail {
		t.Fatalf("read fetched update log: %v %+v", err, rep)
	}
	return seqs
}

func TestPushFetchRoundTrip(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir, store := filepath.Join(root, "backup"), filepath.Join(root, "ulog"), filepath.Join(root, "store")
	writeBackup(t, bdir, 40, tableFiles("row"))
	last := appendULog(t, udir, 40, 512) // several segments
	m, rep, err := Push(ctx, storeURL(store), bdir, udir, at(0))
	if err != nil {
		t.Fatal(err)
	}
	if rep.FilesSent != 5 || rep.FilesSkipped != 0 || rep.FileBytesSent != dirBytes(t, bdir) || rep.ULogBytesSent != dirBytes(t, udir) {
		t.Fatalf("first push report %+v (backup %d bytes, ulog %d bytes)", rep, dirBytes(t, bdir), dirBytes(t, udir))
	}
	if m.BackupULogSeq != 40 || !m.BackupTime.Equal(t0) || m.ULogGap() {
		t.Fatalf("manifest: backup at record %d, time %v, gap %v", m.BackupULogSeq, m.BackupTime, m.ULogGap())
	}
	if m.ID != "20261123T100000.000000000Z" || m.ULogFirstSeq != 1 || m.ULogLastSeq != last || len(m.ULog) < 3 {
		t.Fatalf("manifest %s, ulog %d..%d over %d segments", m.ID, m.ULogFirstSeq, m.ULogLastSeq, len(m.ULog))
	}
	list, err := List(ctx, storeURL(store))
	var meta bytes.Buffer
	if err == nil && len(list) == 1 {
		err = json.Compact(&meta, list[0].Backup)
	}
	if err != nil || len(list) != 1 || list[0].ID != m.ID || !strings.Contains(meta.String(), `"ulog_seq":40`) {
		t.Fatalf("List: %v %+v", err, list)
	}

	fb, fu := filepath.Join(root, "fetched"), filepath.Join(root, "fetched-ulog")
	got, err := Fetch(ctx, storeURL(store), "", fb, fu)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID {
		t.Fatalf("fetched %s, want %s", got.ID, m.ID)
	}
	sameDirs(t, "backup", bdir, fb)
	sameDirs(t, "update log", udir, fu)
	if seqs := readAllULog(t, fu); len(seqs) != 40 {
		t.Fatalf("fetched update log holds %d records", len(seqs))
	}
	// Fetching by ID gives the same; without an update-log directory only the backup.
	fb2 := filepath.Join(root, "fetched2")
	if _, err := Fetch(ctx, storeURL(store), m.ID, fb2, ""); err != nil {
		t.Fatal(err)
	}
	sameDirs(t, "backup by ID", bdir, fb2)
}

// storeBytes is the size of every object in a file:// store.
func storeObjects(t *testing.T, store string) map[string]string { return dirFiles(t, store) }

func TestIncrementalPushSendsOnlyChanges(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir, store := filepath.Join(root, "backup"), filepath.Join(root, "ulog"), filepath.Join(root, "store")
	url := storeURL(store)
	writeBackup(t, bdir, 30, tableFiles("row"))
	appendULog(t, udir, 30, 1024)
	m1, _, err := Push(ctx, url, bdir, udir, at(0))
	if err != nil {
		t.Fatal(err)
	}
	ulogBefore := dirBytes(t, udir)
	before := storeObjects(t, store)

	// A small change: one table file and BACKUP.json change, the log grows
	// (extending the newest segment and rotating to new ones).
	newBDF := bytes.Repeat([]byte("ROW"), 500)
	if err := os.WriteFile(filepath.Join(bdir, "t.bdf"), newBDF, 0o644); err != nil {
		t.Fatal(err)
	}
	writeBackup(t, bdir, 60, nil)
	meta, _ := os.ReadFile(filepath.Join(bdir, "BACKUP.json"))
	last := appendULog(t, udir, 30, 1024)
	m2, rep, err := Push(ctx, url, bdir, udir, at(1))
	if err != nil {
		t.Fatal(err)
	}
	ulogGrowth := dirBytes(t, udir) - ulogBefore
	after := storeObjects(t, store)
	manifestBytes := int64(len(after["backups/"+m2.ID+"/manifest.json"]))
	if rep.FilesSent != 2 || rep.FilesSkipped != 3 ||
		rep.FileBytesSent != int64(len(newBDF)+len(meta)) ||
		rep.ULogBytesSent != ulogGrowth ||
		rep.MetaBytesSent != manifestBytes || manifestBytes == 0 ||
		rep.BytesSent != int64(len(newBDF)+len(meta))+ulogGrowth+manifestBytes {
		t.Fatalf("second push report %+v; want 2 files of %d bytes, %d bytes of update log, manifest %d bytes",
			rep, len(newBDF)+len(meta), ulogGrowth, manifestBytes)
	}
	// What reached the store is exactly what the report says.
	var added int64
	for k, v := range after {
		if _, ok := before[k]; !ok {
			added += int64(len(v))
		} else if before[k] != v {
			t.Fatalf("object %s changed", k)
		}
	}
	if added != rep.BytesSent {
		t.Fatalf("store grew by %d bytes, report says %d sent", added, rep.BytesSent)
	}
	// The segment that grew was extended by a piece, not re-sent whole.
	oldSegs := map[string]Segment{}
	for _, s := range m1.ULog {
		oldSegs[s.Name] = s
	}
	extended := 0
	for _, s := range m2.ULog {
		if o, ok := oldSegs[s.Name]; ok && s.Size > o.Size {
			extended++
			if len(s.Pieces) != len(o.Pieces)+1 || s.Pieces[len(o.Pieces)].Offset != o.Size {
				t.Fatalf("segment %s: pieces %+v after %+v", s.Name, s.Pieces, o.Pieces)
			}
		}
	}
	if extended != 1 || len(m2.ULog) <= len(m1.ULog) || m2.ULogLastSeq != last {
		t.Fatalf("%d segments extended; %d -> %d segments; last seq %d want %d", extended, len(m1.ULog), len(m2.ULog), m2.ULogLastSeq, last)
	}

	// Nothing changed: nothing but a manifest is sent.
	_, rep3, err := Push(ctx, url, bdir, udir, at(2))
	if err != nil {
		t.Fatal(err)
	}
	if rep3.FilesSent != 0 || rep3.FilesSkipped != 5 || rep3.ULogBytesSent != 0 || rep3.BytesSent != rep3.MetaBytesSent {
		t.Fatalf("unchanged push report %+v", rep3)
	}

	// The first backup fetches as it was, with the update log up to the
	// newest push.
	fb, fu := filepath.Join(root, "f1"), filepath.Join(root, "f1u")
	got, err := Fetch(ctx, url, m1.ID, fb, fu)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m1.ID || got.ULogLastSeq != last {
		t.Fatalf("fetched %s with update log to %d", got.ID, got.ULogLastSeq)
	}
	if data, _ := os.ReadFile(filepath.Join(fb, "t.bdf")); !bytes.Equal(data, tableFiles("row")["t.bdf"]) {
		t.Fatal("first backup's t.bdf not as it was")
	}
	sameDirs(t, "update log", udir, fu)
	if seqs := readAllULog(t, fu); uint64(len(seqs)) != last {
		t.Fatalf("fetched update log holds %d records, want %d", len(seqs), last)
	}
}

func TestULogTailBeingWrittenIsNotSent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir, store := filepath.Join(root, "backup"), filepath.Join(root, "ulog"), filepath.Join(root, "store")
	url := storeURL(store)
	writeBackup(t, bdir, 10, tableFiles("row"))
	appendULog(t, udir, 10, 0)
	seg := filepath.Join(udir, "00000000000000000001.ulog")
	whole, _ := os.ReadFile(seg)
	// Half a frame at the end: a commit being appended, or a torn tail.
	f, _ := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(whole[ulog.HeaderSize : ulog.HeaderSize+20])
	f.Close()
	_, rep, err := Push(ctx, url, bdir, udir, at(0))
	if err != nil {
		t.Fatal(err)
	}
	if rep.ULogBytesSent != int64(len(whole)) {
		t.Fatalf("sent %d bytes of update log, want the %d of whole frames", rep.ULogBytesSent, len(whole))
	}
	// The log is reopened (cutting the torn tail) and grows; the next push
	// sends exactly the new frames.
	appendULog(t, udir, 5, 0)
	grown, _ := os.ReadFile(seg)
	_, rep, err = Push(ctx, url, bdir, udir, at(1))
	if err != nil {
		t.Fatal(err)
	}
	if rep.ULogBytesSent != int64(len(grown)-len(whole)) || rep.ULogPiecesSent != 1 {
		t.Fatalf("sent %d bytes in %d pieces, want %d in 1", rep.ULogBytesSent, rep.ULogPiecesSent, len(grown)-len(whole))
	}
	fu := filepath.Join(root, "fu")
	if _, err := Fetch(ctx, url, "", filepath.Join(root, "fb"), fu); err != nil {
		t.Fatal(err)
	}
	sameDirs(t, "update log", udir, fu)
	if seqs := readAllULog(t, fu); len(seqs) != 15 {
		t.Fatalf("fetched %d records", len(seqs))
	}
}

func TestInterruptedPushKeepsPreviousBackup(t *testing.T) {
	ctx := context.Background()
	// Count the writes of a successful second push, then interrupt one
	// after each k of them.
	setup := func(t *testing.T) (root, bdir, udir, url string) {
		root = t.TempDir()
		bdir, udir = filepath.Join(root, "backup"), filepath.Join(root, "ulog")
		url = storeURL(filepath.Join(root, "store"))
		writeBackup(t, bdir, 20, tableFiles("row"))
		appendULog(t, udir, 20, 600)
		if _, _, err := Push(ctx, url, bdir, udir, at(0)); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(bdir, "t.bdf"), []byte("changed"), 0o644)
		os.WriteFile(filepath.Join(bdir, "t.new.bix"), []byte("new index"), 0o644)
		writeBackup(t, bdir, 30, nil)
		appendULog(t, udir, 10, 600)
		return
	}
	_, bdir, udir, url := setup(t)
	var writes []string
	o := at(1)
	o.BeforeWrite = func(key string) error { writes = append(writes, key); return nil }
	_, full, err := Push(ctx, url, bdir, udir, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(writes) < 5 || !strings.HasSuffix(writes[len(writes)-1], "/manifest.json") {
		t.Fatalf("writes of a push: %v", writes)
	}
	injected := errors.New("injected failure")
	for k := 0; k < len(writes); k++ {
		t.Run(fmt.Sprint("fail-after-", k), func(t *testing.T) {
			root, bdir, udir, url := setup(t)
			n := 0
			o := at(1)
			o.BeforeWrite = func(key string) error {
				if n == k {
					return injected
				}
				n++
				return nil
			}
			_, _, err := Push(ctx, url, bdir, udir, o)
			if !errors.Is(err, injected) {
				t.Fatalf("interrupted push: %v", err)
			}
			list, err := List(ctx, url)
			if err != nil || len(list) != 1 || list[0].ID != newID(t0) {
				t.Fatalf("after an interrupted push List = %v, %v", list, err)
			}
			fb := filepath.Join(root, "fb")
			m, err := Fetch(ctx, url, "", fb, filepath.Join(root, "fu"))
			if err != nil || m.ID != newID(t0) {
				t.Fatalf("Fetch after an interrupted push: %s %v", m.ID, err)
			}
			if data, _ := os.ReadFile(filepath.Join(fb, "t.bdf")); !bytes.Equal(data, tableFiles("row")["t.bdf"]) {
				t.Fatal("fetched t.bdf is not the previous backup's")
			}
			if _, err := os.Stat(filepath.Join(fb, "t.new.bix")); err == nil {
				t.Fatal("fetched a file of the interrupted backup")
			}
			// Pushing again completes the backup, reusing what was sent.
			_, rep, err := Push(ctx, url, bdir, udir, at(2))
			if err != nil {
				t.Fatal(err)
			}
			// Every write before the manifest is a data object; those the
			// interrupted push made are not made again.
			if rep.FilesSent+rep.ULogPiecesSent != full.FilesSent+full.ULogPiecesSent-k {
				t.Fatalf("retry after %d writes sent %+v; the whole push sent %+v", k, rep, full)
			}
			fb2, fu2 := filepath.Join(root, "fb2"), filepath.Join(root, "fu2")
			if _, err := Fetch(ctx, url, "", fb2, fu2); err != nil {
				t.Fatal(err)
			}
			sameDirs(t, "backup after retry", bdir, fb2)
			sameDirs(t, "update log after retry", udir, fu2)
		})
	}
}

func TestCorruptStoreFailsFetch(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir, store := filepath.Join(root, "backup"), filepath.Join(root, "ulog"), filepath.Join(root, "store")
	url := storeURL(store)
	writeBackup(t, bdir, 10, tableFiles("row"))
	appendULog(t, udir, 10, 0)
	if _, _, err := Push(ctx, url, bdir, udir, at(0)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tableFiles("row")["t.def"])
	obj := filepath.Join(store, "objects", fmt.Sprintf("%x", sum))
	good, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[3] ^= 1
	pieces, _ := filepath.Glob(filepath.Join(store, "ulog", "00000000000000000001.ulog", "*"))
	if len(pieces) != 1 {
		t.Fatalf("pieces %v", pieces)
	}
	goodPiece, _ := os.ReadFile(pieces[0])
	for _, c := range []struct {
		name, want string
		damage     func()
	}{
		{"flipped byte", "t.def", func() { os.WriteFile(obj, bad, 0o644) }},
		{"truncated", "t.def", func() { os.WriteFile(obj, good[:len(good)-1], 0o644) }},
		{"too long", "t.def", func() { os.WriteFile(obj, append(bytes.Clone(good), 'x'), 0o644) }},
		{"missing", "t.def", func() { os.Remove(obj) }},
		{"update-log piece", "00000000000000000001.ulog", func() {
			p := bytes.Clone(goodPiece)
			p[len(p)-1] ^= 0x80
			os.WriteFile(pieces[0], p, 0o644)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.damage()
			defer os.WriteFile(obj, good, 0o644)
			defer os.WriteFile(pieces[0], goodPiece, 0o644)
			fb, fu := filepath.Join(root, "fb"), filepath.Join(root, "fu")
			_, err := Fetch(ctx, url, "", fb, fu)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Fetch of a damaged store: %v (want an error naming %s)", err, c.want)
			}
			t.Log(err)
			for _, d := range []string{fb, fu} {
				if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("failed fetch left %s behind", d)
				}
			}
		})
	}
	// A damaged manifest is named too.
	mf := filepath.Join(store, "backups", newID(t0), "manifest.json")
	os.WriteFile(mf, []byte("{not json"), 0o644)
	if _, err := Fetch(ctx, url, "", filepath.Join(root, "fb"), ""); err == nil || !strings.Contains(err.Error(), "manifest.json") {
		t.Fatalf("Fetch with a damaged manifest: %v", err)
	}
}

func TestBadStoresAndArguments(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir := filepath.Join(root, "backup")
	writeBackup(t, bdir, 1, tableFiles("row"))
	empty := t.TempDir()
	dest := func() string { return filepath.Join(t.TempDir(), "dest") }
	for _, c := range []struct {
		url, want string
	}{
		{"", "no store URL"},
		{"nosuch://bucket", `scheme "nosuch" is not supported`},
		{"relative/dir", "has no scheme"},
		{"%zz", "bad store URL"},
		{"file://" + filepath.Join(root, "missing"), "does not exist"},
		{"file://" + filepath.Join(bdir, "t.def"), "not a directory"},
		{"file://" + empty, "is empty"},
		{"file://relative/dir", "read as a host name"},
	} {
		_, err := Fetch(ctx, c.url, "", dest(), "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Fetch from %q: %v (want %q)", c.url, err, c.want)
		}
	}
	if _, err := List(ctx, "file://"+filepath.Join(root, "missing")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("List of a missing store: %v", err)
	}
	if l, err := List(ctx, "file://"+empty); err != nil || len(l) != 0 {
		t.Errorf("List of an empty store: %v %v", l, err)
	}
	if _, _, err := Push(ctx, "nosuch://b", bdir, "", at(0)); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("Push to a bad URL: %v", err)
	}

	url := storeURL(filepath.Join(root, "store")) // Push creates a missing file:// store
	if _, _, err := Push(ctx, url, root, "", at(0)); err == nil || !strings.Contains(err.Error(), "no BACKUP.json") {
		t.Errorf("Push of a directory without BACKUP.json: %v", err)
	}
	if _, _, err := Push(ctx, url, bdir, filepath.Join(root, "nolog"), at(0)); err == nil || !strings.Contains(err.Error(), "nolog") {
		t.Errorf("Push with a missing update log: %v", err)
	}
	if _, _, err := Push(ctx, url, bdir, "", at(5)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Push(ctx, url, bdir, "", at(4)); err == nil || !strings.Contains(err.Error(), "not after") {
		t.Errorf("Push with a clock stepped back: %v", err)
	}
	if _, err := Fetch(ctx, url, "20200101T000000.000000000Z", dest(), ""); err == nil || !strings.Contains(err.Error(), "no backup") {
		t.Errorf("Fetch of an unknown ID: %v", err)
	}
	if _, err := Fetch(ctx, url, "latest", dest(), ""); err == nil || !strings.Contains(err.Error(), "not a backup ID") {
		t.Errorf("Fetch of a bad ID: %v", err)
	}
	if d := dest(); true {
		if _, err := Fetch(ctx, url, "", d, d+"/"); err == nil || !strings.Contains(err.Error(), "two different directories") {
			t.Errorf("Fetch of backup and update log into one directory: %v", err)
		}
	}
	if _, err := Fetch(ctx, url, "", bdir, ""); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Fetch into a non-empty directory: %v", err)
	}
}

func TestReplacedULogRefused(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir := filepath.Join(root, "backup"), filepath.Join(root, "ulog")
	url := storeURL(filepath.Join(root, "store"))
	writeBackup(t, bdir, 5, tableFiles("row"))
	appendULog(t, udir, 5, 0)
	if _, _, err := Push(ctx, url, bdir, udir, at(0)); err != nil {
		t.Fatal(err)
	}
	// Another log with the same segment names but other records.
	other := filepath.Join(root, "other")
	l, _ := ulog.Open(other, ulog.Options{})
	for i := 0; i < 8; i++ {
		l.Append([]ulog.Op{{Kind: ulog.OpDelete, Table: "x", Key: []byte{byte(i)}}}, t0)
	}
	l.Close()
	_, _, err := Push(ctx, url, bdir, other, at(1))
	if err == nil || !strings.Contains(err.Error(), "00000000000000000001.ulog") {
		t.Fatalf("Push of a different update log: %v", err)
	}
	if l, _ := List(ctx, url); len(l) != 1 {
		t.Fatalf("%d backups after a refused push", len(l))
	}
}

func TestBackupMetaChecked(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir := filepath.Join(root, "backup"), filepath.Join(root, "ulog")
	url := storeURL(filepath.Join(root, "store"))
	writeBackup(t, bdir, 0, map[string][]byte{"t.bdf": []byte("12345")})
	for _, c := range []struct{ files, want string }{
		{`[{"name":"t.bdf","size":5},{"name":"t.def","size":3}]`, "t.def, which is missing"},
		{`[{"name":"t.bdf","size":6}]`, "t.bdf holds 5 bytes"},
	} {
		meta := `{"format":1,"ulog_seq":0,"files":` + c.files + `}`
		os.WriteFile(filepath.Join(bdir, "BACKUP.json"), []byte(meta), 0o644)
		if _, _, err := Push(ctx, url, bdir, "", at(0)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Push with BACKUP.json files %s: %v (want %q)", c.files, err, c.want)
		}
	}
	// A log whose first segment was removed before the first push cannot
	// bring a backup at record 0 forward: the manifest says so.
	os.WriteFile(filepath.Join(bdir, "BACKUP.json"), []byte(`{"format":1,"ulog_seq":0,"files":[{"name":"t.bdf","size":5}]}`), 0o644)
	appendULog(t, udir, 20, 400)
	os.Remove(filepath.Join(udir, "00000000000000000001.ulog"))
	m, _, err := Push(ctx, url, bdir, udir, at(0))
	if err != nil || !m.ULogGap() || m.ULogFirstSeq <= 1 {
		t.Fatalf("Push: %v; update log %d..%d, gap %v", err, m.ULogFirstSeq, m.ULogLastSeq, m.ULogGap())
	}
}

func TestRelativeFileURL(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	t.Chdir(root)
	writeBackup(t, "backup", 1, tableFiles("row"))
	if _, _, err := Push(ctx, "file://./stores/s1", "backup", "", at(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "stores", "s1", "backups", newID(t0), "manifest.json")); err != nil {
		t.Fatalf("relative store not where expected: %v", err)
	}
	if l, err := List(ctx, "file://./stores/s1"); err != nil || len(l) != 1 {
		t.Fatalf("List: %v %v", l, err)
	}
}

// tmpFiles lists files in a store that are not objects of its layout.
func strayFiles(t *testing.T, store string) []string {
	var out []string
	for name := range dirFiles(t, store) {
		if strings.HasSuffix(name, ".tmp") || strings.Contains(name, tmpSuffix) {
			out = append(out, name)
		}
	}
	return out
}

func TestAbandonedWritesLeaveNothing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, store := filepath.Join(root, "backup"), filepath.Join(root, "store")
	url := storeURL(store)
	writeBackup(t, bdir, 1, tableFiles("row"))

	// A file that changes between its checksum and its upload is refused
	// (the bytes sent would not be the bytes named), and the abandoned write
	// leaves neither the object nor a temporary file.
	o := at(0)
	o.BeforeWrite = func(key string) error {
		if strings.HasPrefix(key, "objects/") {
			os.WriteFile(filepath.Join(bdir, "t.def"), []byte("changed under the push"), 0o644)
			os.WriteFile(filepath.Join(bdir, "t.byv.sum"), []byte("changed under the push"), 0o644)
		}
		return nil
	}
	_, rep, err := Push(ctx, url, bdir, "", o)
	if err == nil || !strings.Contains(err.Error(), "during the push") {
		t.Fatalf("Push of a changing file: %v", err)
	}
	if s := strayFiles(t, store); len(s) > 0 {
		t.Fatalf("abandoned write left %v", s)
	}
	if n := len(dirFiles(t, filepath.Join(store, "objects"))); n != rep.FilesSent {
		t.Fatalf("%d objects in the store, %d reported sent", n, rep.FilesSent)
	}

	// A push cancelled midway stops with the context's error, writes no
	// manifest and leaves no temporary file.
	writeBackup(t, bdir, 1, tableFiles("other rows"))
	cctx, cancel := context.WithCancel(ctx)
	n := 0
	o.BeforeWrite = func(string) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	}
	if _, _, err := Push(cctx, url, bdir, "", o); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Push: %v", err)
	}
	if s := strayFiles(t, store); len(s) > 0 {
		t.Fatalf("cancelled push left %v", s)
	}
	if l, err := List(ctx, url); err != nil || len(l) != 0 {
		t.Fatalf("after failed pushes List = %v, %v", l, err)
	}

	// A failed fetch into an existing empty directory leaves it empty.
	if _, _, err := Push(ctx, url, bdir, "", at(1)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(`{"name":"t","columns":["id","v"]}`))
	os.WriteFile(filepath.Join(store, "objects", fmt.Sprintf("%x", sum)), []byte("rot"), 0o644)
	dest := t.TempDir()
	if _, err := Fetch(ctx, url, "", dest, ""); err == nil || !strings.Contains(err.Error(), "t.def") {
		t.Fatalf("Fetch of a damaged object: %v", err)
	}
	if left := dirFiles(t, dest); len(left) != 0 {
		t.Fatalf("failed fetch left %v", keys(left))
	}
}

func TestULogSequenceJumpRefused(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	bdir, udir := filepath.Join(root, "backup"), filepath.Join(root, "ulog")
	url := storeURL(filepath.Join(root, "store"))
	writeBackup(t, bdir, 5, tableFiles("row"))
	appendULog(t, udir, 5, 0)
	if _, _, err := Push(ctx, url, bdir, udir, at(0)); err != nil {
		t.Fatal(err)
	}
	// A frame that verifies but skips records 6..9.
	frame, err := ulog.AppendFrame(nil, &ulog.Record{Seq: 10, Time: t0.UnixNano(), Ops: []ulog.Op{{Kind: ulog.OpDelete, Table: "t", Key: []byte("k")}}})
	if err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(udir, "00000000000000000001.ulog")
	f, _ := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(frame)
	f.Close()
	_, rep, err := Push(ctx, url, bdir, udir, at(1))
	if err == nil || !strings.Contains(err.Error(), "record 10") || rep.ULogBytesSent != 0 {
		t.Fatalf("Push of a log skipping records: %v, %+v", err, rep)
	}
}
