package bstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/blitzdb/blitz/internal/ulog"
)

// PushOptions tune Push. The zero value is usable.
type PushOptions struct {
	// Now gives the backup's time, hence its ID; nil means time.Now.
	Now func() time.Time
	// BeforeWrite, when set, is called with each object's key before it is
	// written (the manifest last); an error stops the push there, as a
	// failed write would. Tests inject failures with it.
	BeforeWrite func(key string) error
}

// PushReport says what Push sent.
type PushReport struct {
	BytesSent      int64 // every byte written to the store: files, update log, manifest and marker
	FilesSent      int   // backup files uploaded
	FilesSkipped   int   // backup files the store already held (same SHA-256)
	FileBytesSent  int64 // bytes of the files uploaded
	ULogPiecesSent int   // update-log pieces uploaded
	ULogBytesSent  int64 // bytes of update log uploaded
	MetaBytesSent  int64 // bytes of the manifest and, on the first push, the store marker
}

// Push uploads the backup in backupDir (a directory holding BACKUP.json) and
// the update log in ulogDir ("" for none) to the store at url, sending only
// what the store does not hold yet, and returns the new backup's manifest.
// The manifest is written last: until Push returns without error the
// backup is not in the store, and the previous one stays the most recent.
func Push(ctx context.Context, url string, backupDir, ulogDir string, o PushOptions) (_ Manifest, rep PushReport, _ error) {
	// Even a failed push reports what it sent.
	defer func() { rep.BytesSent = rep.FileBytesSent + rep.ULogBytesSent + rep.MetaBytesSent }()
	if o.Now == nil {
		o.Now = time.Now
	}
	created := o.Now().UTC()
	m := Manifest{Format: FormatVersion, ID: newID(created), Created: created}

	// Read the local side first: a bad backup directory is reported without
	// touching the store.
	meta, err := os.ReadFile(filepath.Join(backupDir, backupMetaFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, rep, fmt.Errorf("bstore: %s is not a complete backup: it has no %s", backupDir, backupMetaFile)
		}
		return m, rep, fmt.Errorf("bstore: read backup: %w", err)
	}
	if !json.Valid(meta) {
		return m, rep, fmt.Errorf("bstore: %s is damaged: not JSON", filepath.Join(backupDir, backupMetaFile))
	}
	m.Backup = json.RawMessage(bytes.TrimSpace(meta))
	if m.Files, err = scanBackup(backupDir); err != nil {
		return m, rep, err
	}
	if err := checkBackupMeta(&m, backupDir, meta); err != nil {
		return m, rep, err
	}
	if ulogDir != "" {
		if st, err := os.Stat(ulogDir); err != nil || !st.IsDir() {
			return m, rep, fmt.Errorf("bstore: update log %s: not a directory (%v)", ulogDir, err)
		}
	}

	b, err := openStore(ctx, url, true)
	if err != nil {
		return m, rep, err
	}
	defer b.Close()
	p := &pusher{ctx: ctx, b: b, url: url, o: o, rep: &rep}

	marked, err := checkMarker(ctx, b, url)
	if err != nil {
		return m, rep, err
	}
	ids, err := listIDs(ctx, b, url)
	if err != nil {
		return m, rep, err
	}
	var prev *Manifest
	if len(ids) > 0 {
		last := ids[len(ids)-1]
		if m.ID <= last {
			return m, rep, fmt.Errorf("bstore: store %s: new backup ID %s is not after the most recent backup %s (did the clock step back?)", url, m.ID, last)
		}
		if prev, err = readManifest(ctx, b, url, last); err != nil {
			return m, rep, err
		}
	}
	if !marked {
		data := []byte(fmt.Sprintf("{\"format\": %d}\n", FormatVersion))
		if err := p.write(markerKey, bytes.NewReader(data), int64(len(data)), ""); err != nil {
			return m, rep, err
		}
		rep.MetaBytesSent += int64(len(data))
	}

	// Files: content-addressed, so one the store holds is not sent again.
	for _, f := range m.Files {
		key := objectKey(f.SHA256)
		held, err := p.holds(key, f.Size)
		if err != nil {
			return m, rep, err
		}
		if held {
			rep.FilesSkipped++
			continue
		}
		path := filepath.Join(backupDir, filepath.FromSlash(f.Path))
		if err := p.writeFile(key, path, f.Size, f.SHA256); err != nil {
			return m, rep, err
		}
		rep.FilesSent++
		rep.FileBytesSent += f.Size
	}

	// The update log: the tail of every segment past what the store holds.
	if prev != nil {
		m.ULog = prev.ULog
	}
	if ulogDir != "" {
		if m.ULog, err = p.pushULog(ulogDir, m.ULog); err != nil {
			return m, rep, err
		}
	}
	for _, s := range m.ULog {
		if s.FirstSeq == 0 {
			continue // a segment with only its header
		}
		if m.ULogFirstSeq == 0 {
			m.ULogFirstSeq = s.FirstSeq
		}
		m.ULogLastSeq = s.LastSeq
	}

	// The manifest, last: now the backup exists.
	data, err := json.MarshalIndent(&m, "", "  ")
	if err != nil {
		return m, rep, fmt.Errorf("bstore: encode manifest: %w", err)
	}
	data = append(data, '\n')
	if err := p.write(manifestKey(m.ID), bytes.NewReader(data), int64(len(data)), ""); err != nil {
		return m, rep, err
	}
	rep.MetaBytesSent += int64(len(data))
	return m, rep, nil
}

// checkBackupMeta takes the time and update-log position of the backup from
// BACKUP.json and, when it lists the backup's files (as engine.Backup
// writes it: "files": [{"name", "size"}]), checks that each is there with
// that size, so an incomplete or damaged backup directory is refused.
func checkBackupMeta(m *Manifest, dir string, meta []byte) error {
	var bm struct {
		Time    time.Time `json:"time"`
		ULogSeq uint64    `json:"ulog_seq"`
		Files   []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	if err := json.Unmarshal(meta, &bm); err != nil {
		return nil // another layout: pushed as it is
	}
	m.BackupTime, m.BackupULogSeq = bm.Time.UTC(), bm.ULogSeq
	have := map[string]int64{}
	for _, f := range m.Files {
		have[f.Path] = f.Size
	}
	for _, f := range bm.Files {
		size, ok := have[f.Name]
		switch {
		case !ok:
			return fmt.Errorf("bstore: backup %s is incomplete: %s lists %s, which is missing", dir, backupMetaFile, f.Name)
		case size != f.Size:
			return fmt.Errorf("bstore: backup %s is damaged: %s holds %d bytes, %s says %d", dir, f.Name, size, backupMetaFile, f.Size)
		}
	}
	return nil
}

// scanBackup lists and checksums every regular file under dir.
func scanBackup(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		if strings.HasSuffix(rel, tmpSuffix) {
			return fmt.Errorf("%s is a temporary file of an unfinished fetch", path)
		}
		size, sum, err := hashFile(path)
		if err != nil {
			return err
		}
		files = append(files, File{Path: filepath.ToSlash(rel), Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bstore: read backup %s: %w", dir, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

type pusher struct {
	ctx context.Context
	b   *blob.Bucket
	url string
	o   PushOptions
	rep *PushReport
}

// holds reports whether the store has an object at key of the given size.
func (p *pusher) holds(key string, size int64) (bool, error) {
	a, err := p.b.Attributes(p.ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("bstore: store %s: %s: %w", p.url, key, err)
	}
	return a.Size == size, nil
}

// write stores size bytes of r at key in one write. If sum is not empty the
// bytes must have that SHA-256, or the write is abandoned (a file that
// changed while it was being pushed). A failed write leaves nothing at key.
func (p *pusher) write(key string, r io.Reader, size int64, sum string) error {
	if p.o.BeforeWrite != nil {
		if err := p.o.BeforeWrite(key); err != nil {
			return fmt.Errorf("bstore: store %s: write %s: %w", p.url, key, err)
		}
	}
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	w, err := p.b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("bstore: store %s: write %s: %w", p.url, key, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err == nil && n != size {
		err = fmt.Errorf("%d bytes where %d were expected (did the file change during the push?)", n, size)
	}
	if err == nil && sum != "" && sumHex(h) != sum {
		err = errors.New("content changed during the push (checksum differs)")
	}
	if err != nil {
		cancel() // abandons the write
		w.Close()
		return fmt.Errorf("bstore: store %s: write %s: %w", p.url, key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("bstore: store %s: write %s: %w", p.url, key, err)
	}
	return nil
}

func (p *pusher) writeFile(key, path string, size int64, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bstore: %w", err)
	}
	defer f.Close()
	if err := p.write(key, f, size, sum); err != nil {
		return fmt.Errorf("%w (file %s)", err, path)
	}
	return nil
}

// pushULog sends what the store lacks of the update log in dir and returns
// the new segment list (stored is the list of the most recent manifest).
func (p *pusher) pushULog(dir string, stored []Segment) ([]Segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bstore: update log %s: %w", dir, err)
	}
	var local []string
	for _, e := range entries {
		if segmentNameRE.MatchString(e.Name()) && e.Type().IsRegular() {
			local = append(local, e.Name()) // ReadDir sorts: fixed-width names sort in log order
		}
	}
	byName := map[string]Segment{}
	var names []string
	for _, s := range stored {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	for _, n := range local {
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	isLocal := map[string]bool{}
	for _, n := range local {
		isLocal[n] = true
	}
	newest := ""
	if len(local) > 0 {
		newest = local[len(local)-1]
	}
	var out []Segment
	for _, name := range names {
		s := byName[name]
		s.Name = name
		s.Pieces = append([]Piece(nil), s.Pieces...)
		if isLocal[name] {
			if err := p.extendSegment(filepath.Join(dir, name), &s, name == newest); err != nil {
				return nil, err
			}
		}
		if s.Size > 0 {
			out = append(out, s)
		}
	}
	// The stored log must be one unbroken run of records.
	var last uint64
	for _, s := range out {
		if s.FirstSeq == 0 {
			continue
		}
		if want, _ := strconv.ParseUint(strings.TrimSuffix(s.Name, ulog.SegmentSuffix), 10, 64); s.FirstSeq != want {
			return nil, fmt.Errorf("bstore: update log %s: segment %s starts with record %d", dir, s.Name, s.FirstSeq)
		}
		if last != 0 && s.FirstSeq != last+1 {
			return nil, fmt.Errorf("bstore: update log %s: segment %s starts at record %d, expected %d (a segment is missing)", dir, s.Name, s.FirstSeq, last+1)
		}
		last = s.LastSeq
	}
	return out, nil
}

// extendSegment checks that the local segment at path starts with the
// stored pieces of s, then sends its complete frames past them as a new
// piece and updates s.
func (p *pusher) extendSegment(path string, s *Segment, newest bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bstore: update log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("bstore: update log: %w", err)
	}
	if st.Size() < s.Size {
		return fmt.Errorf("bstore: update log segment %s holds %d bytes, fewer than the %d the store %s holds: the update log was replaced or cut; push it to a new store", path, st.Size(), s.Size, p.url)
	}
	for _, pc := range s.Pieces {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, pc.Offset, pc.Size)); err != nil {
			return fmt.Errorf("bstore: read %s: %w", path, err)
		}
		if sumHex(h) != pc.SHA256 {
			return fmt.Errorf("bstore: update log segment %s differs from the one in store %s at bytes %d..%d: the update log was replaced or damaged; push it to a new store", path, p.url, pc.Offset, pc.Offset+pc.Size)
		}
	}
	tail := make([]byte, st.Size()-s.Size)
	if _, err := io.ReadFull(io.NewSectionReader(f, s.Size, int64(len(tail))), tail); err != nil {
		return fmt.Errorf("bstore: read %s: %w", path, err)
	}
	// Scan the tail's frames behind the segment's header.
	scan := tail
	if s.Size > 0 {
		hdr := make([]byte, ulog.HeaderSize)
		if _, err := f.ReadAt(hdr, 0); err != nil {
			return fmt.Errorf("bstore: read %s: %w", path, err)
		}
		scan = append(hdr, tail...)
	}
	n, first, last, err := ulog.CompleteLength(scan)
	if err != nil {
		return fmt.Errorf("bstore: update log segment %s: %v", path, err)
	}
	if s.Size > 0 {
		n -= ulog.HeaderSize
	}
	if first != 0 && s.LastSeq != 0 && first != s.LastSeq+1 {
		return fmt.Errorf("bstore: update log segment %s: record %d at offset %d does not follow record %d stored before it (see blitz ulog verify)", path, first, s.Size, s.LastSeq)
	}
	if n < int64(len(tail)) && !newest {
		return fmt.Errorf("bstore: update log segment %s is damaged at offset %d (see blitz ulog verify)", path, s.Size+n)
	}
	if n == 0 {
		return nil
	}
	sum := sha256.Sum256(tail[:n])
	pc := Piece{Offset: s.Size, Size: n, SHA256: fmt.Sprintf("%x", sum)}
	key := pieceKey(s.Name, pc)
	held, err := p.holds(key, n)
	if err != nil {
		return err
	}
	if !held {
		if err := p.write(key, bytes.NewReader(tail[:n]), n, pc.SHA256); err != nil {
			return err
		}
		p.rep.ULogPiecesSent++
		p.rep.ULogBytesSent += n
	}
	s.Pieces = append(s.Pieces, pc)
	s.Size += n
	if s.FirstSeq == 0 {
		s.FirstSeq = first
	}
	if last != 0 {
		s.LastSeq = last
	}
	return nil
}
