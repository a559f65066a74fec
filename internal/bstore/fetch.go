package bstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Fetch downloads backup id ("" for the most recent complete one) from the
// store at url into destBackupDir, and, unless destULogDir is "", every
// update-log segment the store holds (up to the newest push, which may be
// newer than the backup) into destULogDir; each directory must be missing
// or empty. Every file and piece is checked against its SHA-256. The
// returned manifest is the backup's, with its ULog fields those of the
// update log fetched (the newest manifest's). On error nothing fetched is
// left behind.
func Fetch(ctx context.Context, url, id string, destBackupDir, destULogDir string) (Manifest, error) {
	if destBackupDir == "" {
		return Manifest{}, errors.New("bstore: fetch: no destination directory given")
	}
	if destULogDir != "" && filepath.Clean(destULogDir) == filepath.Clean(destBackupDir) {
		return Manifest{}, errors.New("bstore: fetch: the backup and the update log need two different directories")
	}
	if id != "" && !validID(id) {
		return Manifest{}, fmt.Errorf("bstore: %q is not a backup ID (they look like 20261123T105408.000000000Z)", id)
	}
	b, err := openStore(ctx, url, false)
	if err != nil {
		return Manifest{}, err
	}
	defer b.Close()
	marked, err := checkMarker(ctx, b, url)
	if err != nil {
		return Manifest{}, err
	}
	ids, err := listIDs(ctx, b, url)
	if err != nil {
		return Manifest{}, err
	}
	if len(ids) == 0 {
		if marked {
			return Manifest{}, fmt.Errorf("bstore: store %s holds no complete backup", url)
		}
		return Manifest{}, fmt.Errorf("bstore: store %s is empty (no blitz backups in it)", url)
	}
	newestID := ids[len(ids)-1]
	if id == "" {
		id = newestID
	}
	m, err := readManifest(ctx, b, url, id)
	if err != nil {
		return Manifest{}, err
	}
	newest := m
	if id != newestID {
		if newest, err = readManifest(ctx, b, url, newestID); err != nil {
			return Manifest{}, err
		}
	}
	m.ULog, m.ULogFirstSeq, m.ULogLastSeq = newest.ULog, newest.ULogFirstSeq, newest.ULogLastSeq

	f := &fetcher{ctx: ctx, b: b, url: url}
	defer f.cleanup()
	if err := f.prepare(destBackupDir); err != nil {
		return Manifest{}, err
	}
	if destULogDir != "" {
		if err := f.prepare(destULogDir); err != nil {
			return Manifest{}, err
		}
	}
	// BACKUP.json last: it is what makes the directory a complete backup.
	var metaFile *File
	for i := range m.Files {
		file := &m.Files[i]
		if file.Path == backupMetaFile {
			metaFile = file
			continue
		}
		if err := f.fetchFile(destBackupDir, file); err != nil {
			return Manifest{}, err
		}
	}
	if err := f.fetchFile(destBackupDir, metaFile); err != nil {
		return Manifest{}, err
	}
	if destULogDir != "" {
		for _, s := range m.ULog {
			if err := f.fetchSegment(destULogDir, s); err != nil {
				return Manifest{}, err
			}
		}
	}
	for _, d := range []string{destBackupDir, destULogDir} {
		if d == "" {
			continue
		}
		if err := syncDir(d); err != nil {
			return Manifest{}, fmt.Errorf("bstore: fetch: sync %s: %w", d, err)
		}
	}
	f.done = true
	return *m, nil
}

// syncDir makes the renames into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type fetcher struct {
	ctx     context.Context
	b       *blob.Bucket
	url     string
	created []string // files and directories made, removed in reverse on failure
	done    bool
}

func (f *fetcher) cleanup() {
	if f.done {
		return
	}
	for i := len(f.created) - 1; i >= 0; i-- {
		os.Remove(f.created[i])
	}
}

// prepare makes sure dir exists and is empty.
func (f *fetcher) prepare(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Create the missing directories, remembering each for cleanup.
		var missing []string
		for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				break
			}
			missing = append(missing, d)
			if filepath.Dir(d) == d {
				break
			}
		}
		for i := len(missing) - 1; i >= 0; i-- {
			if err := os.Mkdir(missing[i], 0o755); err != nil {
				return fmt.Errorf("bstore: fetch: %w", err)
			}
			f.created = append(f.created, missing[i])
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("bstore: fetch: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("bstore: fetch: %s is not empty (fetch writes into a new or empty directory)", dir)
	}
	return nil
}

// fetchFile downloads one backup file into dir, checking it.
func (f *fetcher) fetchFile(dir string, file *File) error {
	path := filepath.Join(dir, filepath.FromSlash(file.Path))
	if parent := filepath.Dir(path); parent != filepath.Clean(dir) {
		if err := f.prepareParent(dir, parent); err != nil {
			return err
		}
	}
	key := objectKey(file.SHA256)
	tmp := path + tmpSuffix
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("bstore: fetch %s: %w", file.Path, err)
	}
	f.created = append(f.created, tmp)
	err = f.download(out, key, file.Size, file.SHA256)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bstore: fetch %s (object %s of store %s): %w", file.Path, key, f.url, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bstore: fetch %s: %w", file.Path, err)
	}
	f.created[len(f.created)-1] = path
	return nil
}

// prepareParent creates the subdirectories of a file's path under dir.
func (f *fetcher) prepareParent(dir, parent string) error {
	rel, err := filepath.Rel(dir, parent)
	if err != nil {
		return fmt.Errorf("bstore: fetch: %w", err)
	}
	d := filepath.Clean(dir)
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		d = filepath.Join(d, part)
		if err := os.Mkdir(d, 0o755); err == nil {
			f.created = append(f.created, d)
		} else if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("bstore: fetch: %w", err)
		}
	}
	return nil
}

// download copies the object at key to w, checking its size and SHA-256.
func (f *fetcher) download(w io.Writer, key string, size int64, sum string) error {
	r, err := f.b.NewReader(f.ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return errors.New("object missing from the store")
	}
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	// Read one byte more than expected, to notice an object that is too long.
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, size+1))
	if err != nil {
		return err
	}
	if n < size {
		return fmt.Errorf("object holds %d bytes, the manifest says %d: the store is damaged", n, size)
	}
	if n > size {
		return fmt.Errorf("object holds more than the %d bytes the manifest says: the store is damaged", size)
	}
	if got := sumHex(h); got != sum {
		return fmt.Errorf("checksum mismatch (SHA-256 %s, the manifest says %s): the store is damaged", got, sum)
	}
	return nil
}

// fetchSegment rebuilds one update-log segment from its pieces.
func (f *fetcher) fetchSegment(dir string, s Segment) error {
	path := filepath.Join(dir, s.Name)
	tmp := path + tmpSuffix
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("bstore: fetch update-log segment %s: %w", s.Name, err)
	}
	f.created = append(f.created, tmp)
	for _, p := range s.Pieces {
		key := pieceKey(s.Name, p)
		if err = f.download(out, key, p.Size, p.SHA256); err != nil {
			err = fmt.Errorf("bstore: fetch update-log segment %s, bytes %d..%d (object %s of store %s): %w",
				s.Name, p.Offset, p.Offset+p.Size, key, f.url, err)
			break
		}
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("bstore: fetch update-log segment %s: %w", s.Name, err)
	}
	f.created[len(f.created)-1] = path
	return nil
}
