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
	// Hide *os.File's WriteTo, which would ignore the buffer and read in
	// 32 KiB calls.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, 1<<20))
	return n, h.Sum32(), err
}

// crcShift returns the CRC32C of A‖B given crcA = CRC32C(A), crcB =
// CRC32C(B) and lenB = len(B), without B's bytes. Build checksums each index
// file's pages as it writes them, but writes the two meta pages at the front
// last (they name the root, known only at the end); this joins the two
// checksums so the file is never read back.
//
// Why it works: for the reflected CRC with its pre- and post-inversion,
// CRC(A‖B) = Z(CRC(A), len B) xor CRC(B), where Z(c, n) is the CRC
// register c after n zero bytes with no inversion. Z is linear over GF(2),
// so it is a 32x32 bit matrix; the matrix for n zero bytes is built by
// squaring the one for a single zero bit, which takes O(log n) products.
func crcJoin(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	// op: one zero bit through the reflected register.
	var op gf2Matrix
	op[0] = crc32.Castagnoli // bit 0 set: shift out and xor the polynomial
	for i := 1; i < 32; i++ {
		op[i] = 1 << (i - 1)
	}
	// Square up to one zero byte (8 bits).
	op = op.square().square().square()
	c := crcA
	for n := lenB; n > 0; n >>= 1 {
		if n&1 != 0 {
			c = op.apply(c)
		}
		op = op.square()
	}
	return c ^ crcB
}

// gf2Matrix is a 32x32 bit matrix: column i is the image of bit i.
type gf2Matrix [32]uint32

func (m *gf2Matrix) apply(v uint32) uint32 {
	var r uint32
	for i := 0; v != 0; i, v = i+1, v>>1 {
		if v&1 != 0 {
			r ^= m[i]
		}
	}
	return r
}

func (m gf2Matrix) square() gf2Matrix {
	var r gf2Matrix
	for i := range r {
		r[i] = m.apply(m[i])
	}
	return r
}

// writeSum writes path's sidecar durably (temp file, fsync, rename, fsync
// of the directory).
func writeSum(path string) error {
	size, crc, err := fileCRC(path)
	if err != nil {
		return fmt.Errorf("checksum %s: %w", path, err)
	}
	if err := writeSumOf(path, size, crc); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeSumOf writes path's sidecar for a file of size bytes with CRC32C crc
// (temp file, fsync, rename), leaving the fsync of the directory to the
// caller: Build syncs the directory once for all the files it renamed.
func writeSumOf(path string, size int64, crc uint32) error {
	tmp, err := writeSumTmp(path, size, crc)
	if err != nil {
		return err
	}
	return os.Rename(tmp, SumPath(path))
}

// writeSumTmp writes, durably, the sidecar that path will need once it is
// a file of size bytes with CRC32C crc, beside it under a temporary name
// that it returns, for the caller to rename over SumPath(path).
func writeSumTmp(path string, size int64, crc uint32) (string, error) {
	var b [sumSize]byte
	copy(b[:8], sumMagic)
	binary.LittleEndian.PutUint64(b[8:], uint64(size))
	binary.LittleEndian.PutUint32(b[16:], crc)
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:20], castagnoli))
	tmp := SumPath(path) + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	_, err = f.Write(b[:])
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
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
