package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// Checksum sidecar, format version 1. A clean Close and a Build write, beside
// the index file P, the file P.sum (24 bytes, little-endian):
//
//	0  8  magic "BLTZSUM1"
//	8  8  size of P in bytes
//	16 4  CRC32C (Castagnoli) of the whole of P
//	20 4  CRC32C of bytes 0..19
//
// Open reads P only if P.sum matches it. bbolt trusts its pages: opening a
// damaged file can panic in a goroutine bbolt starts (its free-page scan),
// which no recover can catch, so damage has to be found before bbolt sees
// the file. Open then clears the stamp, which changes P, so the sidecar
// vouches for nothing after an unclean shutdown.
const (
	sumMagic = "BLTZSUM1"
	sumSize  = 24
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SumPath returns the checksum sidecar of the index file path; callers that
// rename or remove index files move or remove it with them.
func SumPath(path string) string { return path + ".sum" }

// fileCRC returns the size and CRC32C of the file at path.
func fileCRC(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	return n, h.Sum32(), err
}

// writeSum writes path's sidecar durably (temp file, fsync, rename, fsync
// of the directory).
func writeSum(path string) error {
	size, crc, err := fileCRC(path)
	if err != nil {
		return fmt.Errorf("checksum %s: %w", path, err)
	}
	var b [sumSize]byte
	copy(b[:8], sumMagic)
	binary.LittleEndian.PutUint64(b[8:], uint64(size))
	binary.LittleEndian.PutUint32(b[16:], crc)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	tmp := SumPath(path) + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b[:]); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, SumPath(path)); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}

// verifySum reports why path does not match its sidecar, or nil if it does.
func verifySum(path string) error {
	b, err := os.ReadFile(SumPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("no checksum file (not closed cleanly)")
	}
	if err != nil {
		return err
	}
	if len(b) != sumSize || string(b[:8]) != sumMagic ||
		binary.LittleEndian.Uint32(b[20:]) != crc32.Checksum(b[:20], castagnoli) {
		return errors.New("checksum file damaged")
	}
	size, crc, err := fileCRC(path)
	if err != nil {
		return err
	}
	if uint64(size) != binary.LittleEndian.Uint64(b[8:]) || crc != binary.LittleEndian.Uint32(b[16:]) {
		return fmt.Errorf("file does not match its checksum (size %d, want %d): damaged or changed since its clean close",
			size, binary.LittleEndian.Uint64(b[8:]))
	}
	return nil
}
