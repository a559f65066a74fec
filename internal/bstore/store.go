package bstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// stores are always available
	"gocloud.dev/gcerrors"
)

// FormatVersion is the version of the store layout and manifest format
// written by this package (see the package documentation).
const FormatVersion = 1

// Keys and names of the store layout.
const (
	markerKey      = "bstore.json"
	objectsPrefix  = "objects/"
	ulogPrefix     = "ulog/"
	backupsPrefix  = "backups/"
	manifestName   = "manifest.json"
	backupMetaFile = "BACKUP.json"
	idLayout       = "20060102T150405.000000000Z"
)

// Manifest describes one complete backup in a store.
type Manifest struct {
	Format  int       `json:"format"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Backup is the content of the backup directory's BACKUP.json.
	Backup json.RawMessage `json:"backup"`
	// BackupTime and BackupULogSeq are the "time" and "ulog_seq" of
	// BACKUP.json (zero if it has none): the moment of the backup and the
	// last update-log record it holds.
	BackupTime    time.Time `json:"backup_time"`
	BackupULogSeq uint64    `json:"backup_ulog_seq"`
	Files         []File    `json:"files"`
	// ULog is every update-log segment the store held when this backup was
	// pushed, oldest first.
	ULog         []Segment `json:"ulog"`
	ULogFirstSeq uint64    `json:"ulog_first_seq"`
	ULogLastSeq  uint64    `json:"ulog_last_seq"`
}

// File is one file of a backup directory.
type File struct {
	Path   string `json:"path"` // relative to the backup directory, slash-separated
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex; the object is objects/<SHA256>
}

// Segment is the stored part of one update-log segment.
type Segment struct {
	Name     string  `json:"name"` // file name, "00000000000000000001.ulog"
	Size     int64   `json:"size"` // bytes stored: the sum of the pieces
	FirstSeq uint64  `json:"first_seq"`
	LastSeq  uint64  `json:"last_seq"`
	Pieces   []Piece `json:"pieces"`
}

// Piece is a run of bytes of a segment.
type Piece struct {
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ULogGap reports whether the update log in the store starts after the
// record following the backup, so that it cannot bring a restore of this
// backup forward (the log's older segments were gone before its first push).
func (m *Manifest) ULogGap() bool {
	return m.ULogLastSeq > m.BackupULogSeq && m.ULogFirstSeq > m.BackupULogSeq+1
}

// Bytes returns the total size of the backup's files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// ULogBytes returns the total size of the stored update-log segments.
func (m *Manifest) ULogBytes() int64 {
	var n int64
	for _, s := range m.ULog {
		n += s.Size
	}
	return n
}

func objectKey(sum string) string  { return objectsPrefix + sum }
func manifestKey(id string) string { return backupsPrefix + id + "/" + manifestName }
func pieceKey(seg string, p Piece) string {
	return fmt.Sprintf("%s%s/%020d-%s", ulogPrefix, seg, p.Offset, p.SHA256)
}
func newID(t time.Time) string                        { return t.UTC().Format(idLayout) }
func sumHex(h interface{ Sum([]byte) []byte }) string { return hex.EncodeToString(h.Sum(nil)) }

var (
	segmentNameRE = regexp.MustCompile(`^[0-9]{20}\.ulog$`)
	sha256RE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// validID reports whether id is a backup ID.
func validID(id string) bool {
	t, err := time.Parse(idLayout, id)
	return err == nil && newID(t) == id
}

// openStore opens the bucket named by rawURL. create makes a missing file://
// directory (Push); otherwise a missing one is an error naming it.
func openStore(ctx context.Context, rawURL string, create bool) (*blob.Bucket, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, errors.New("bstore: no store URL given")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bstore: bad store URL %q: %v", rawURL, err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("bstore: store URL %q has no scheme (a local directory is file:///absolute/path)", rawURL)
	}
	if !blob.DefaultURLMux().ValidBucketScheme(u.Scheme) {
		return nil, fmt.Errorf("bstore: store URL %q: scheme %q is not supported by this program (it supports: %s)",
			rawURL, u.Scheme, strings.Join(blob.DefaultURLMux().BucketSchemes(), ", "))
	}
	if u.Scheme == "file" {
		dir := u.Path
		switch u.Host {
		case "", "localhost":
		case ".":
			dir = "." + dir
		default:
			return nil, fmt.Errorf("bstore: store URL %q: %q is read as a host name, not a directory (an absolute path is file:///path, a relative one file://./path)", rawURL, u.Host)
		}
		if dir == "" {
			return nil, fmt.Errorf("bstore: store URL %q names no directory", rawURL)
		}
		q := u.Query()
		for k, v := range map[string]string{"no_tmp_dir": "1", "metadata": "skip"} {
			if !q.Has(k) {
				q.Set(k, v)
			}
		}
		st, err := os.Stat(dir)
		switch {
		case err == nil && !st.IsDir():
			return nil, fmt.Errorf("bstore: store %s: %s is not a directory", rawURL, dir)
		case errors.Is(err, os.ErrNotExist) && create:
			q.Set("create_dir", "1")
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("bstore: store %s: directory %s does not exist", rawURL, dir)
		case err != nil:
			return nil, fmt.Errorf("bstore: store %s: %w", rawURL, err)
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.DefaultURLMux().OpenBucketURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("bstore: open store %s: %w", rawURL, err)
	}
	return b, nil
}

// checkMarker reads the store's format marker. It returns false when the
// store has none.
func checkMarker(ctx context.Context, b *blob.Bucket, storeURL string) (bool, error) {
	data, err := b.ReadAll(ctx, markerKey)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("bstore: store %s: read %s: %w", storeURL, markerKey, err)
	}
	var m struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Format < 1 {
		return false, fmt.Errorf("bstore: store %s: %s is not a blitz store marker", storeURL, markerKey)
	}
	if m.Format > FormatVersion {
		return false, fmt.Errorf("bstore: store %s has format version %d; this program reads up to %d", storeURL, m.Format, FormatVersion)
	}
	return true, nil
}

// listIDs returns the IDs of the complete backups (those with a manifest),
// oldest first.
func listIDs(ctx context.Context, b *blob.Bucket, storeURL string) ([]string, error) {
	var ids []string
	it := b.List(&blob.ListOptions{Prefix: backupsPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bstore: store %s: list %s: %w", storeURL, backupsPrefix, err)
		}
		rest := strings.TrimPrefix(obj.Key, backupsPrefix)
		id, name, ok := strings.Cut(rest, "/")
		if ok && name == manifestName && validID(id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// readManifest reads and checks the manifest of backup id.
func readManifest(ctx context.Context, b *blob.Bucket, storeURL, id string) (*Manifest, error) {
	key := manifestKey(id)
	data, err := b.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("bstore: store %s has no backup %q", storeURL, id)
	}
	if err != nil {
		return nil, fmt.Errorf("bstore: store %s: read %s: %w", storeURL, key, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("bstore: store %s: %s is damaged: %v", storeURL, key, err)
	}
	if err := m.check(id); err != nil {
		return nil, fmt.Errorf("bstore: store %s: %s: %v", storeURL, key, err)
	}
	return &m, nil
}

// check validates a manifest read from a store, so that nothing in it can
// make Fetch write outside its directories or loop.
func (m *Manifest) check(id string) error {
	if m.Format < 1 || m.Format > FormatVersion {
		return fmt.Errorf("manifest format version %d (this program reads 1 to %d)", m.Format, FormatVersion)
	}
	if m.ID != id {
		return fmt.Errorf("manifest names backup %q", m.ID)
	}
	seen := map[string]bool{}
	meta := false
	for _, f := range m.Files {
		p := filepath.FromSlash(f.Path)
		if f.Path == "" || !filepath.IsLocal(p) || filepath.ToSlash(filepath.Clean(p)) != f.Path || strings.HasSuffix(f.Path, tmpSuffix) {
			return fmt.Errorf("bad file path %q", f.Path)
		}
		if seen[f.Path] {
			return fmt.Errorf("file %q listed twice", f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 || !sha256RE.MatchString(f.SHA256) {
			return fmt.Errorf("file %q: bad size or checksum", f.Path)
		}
		meta = meta || f.Path == backupMetaFile
	}
	if !meta {
		return fmt.Errorf("no %s listed", backupMetaFile)
	}
	for i, s := range m.ULog {
		if !segmentNameRE.MatchString(s.Name) || (i > 0 && s.Name <= m.ULog[i-1].Name) {
			return fmt.Errorf("bad or out-of-order update-log segment name %q", s.Name)
		}
		var off int64
		for _, p := range s.Pieces {
			if p.Offset != off || p.Size <= 0 || !sha256RE.MatchString(p.SHA256) {
				return fmt.Errorf("segment %s: bad piece at offset %d", s.Name, p.Offset)
			}
			off += p.Size
		}
		if off != s.Size {
			return fmt.Errorf("segment %s: pieces hold %d bytes, size says %d", s.Name, off, s.Size)
		}
	}
	return nil
}

// List returns the complete backups of the store at url, oldest first. An
// empty store (or one that holds no complete backup yet) gives none and no
// error; a missing file:// directory, an unreadable store or a damaged
// manifest is an error.
func List(ctx context.Context, url string) ([]Manifest, error) {
	b, err := openStore(ctx, url, false)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if _, err := checkMarker(ctx, b, url); err != nil {
		return nil, err
	}
	ids, err := listIDs(ctx, b, url)
	if err != nil {
		return nil, err
	}
	out := make([]Manifest, 0, len(ids))
	for _, id := range ids {
		m, err := readManifest(ctx, b, url, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, nil
}

const tmpSuffix = ".bstore-tmp"

// hashFile returns the size and SHA-256 of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, sumHex(h), nil
}
