package datafile

import (
	"errors"
	"fmt"
	"os"

	"github.com/blitzdb/blitz/internal/vfs"
)

// errHolds stops the scan of HoldsRecords at the first record.
var errHolds = errors.New("holds a record")

// HoldsRecords reports whether the data file at path holds a record that
// verifies, looking as the reopen after a crash does: at every block of
// the whole file, whatever its header says (a file not closed cleanly may
// hold records past the tail its header gives). A file created and never
// written (as a CREATE TABLE cut short by a crash leaves it) holds none.
// Nor does a file of zero bytes only (a creation a crash cut short before
// its header reached the disk). It takes no lock, reads the file and
// changes nothing. A file that is no
// data file of this format (too short, no header that verifies, another
// version) is reported as holding records, with the reason as the error:
// such a file must not be taken for an empty one.
func HoldsRecords(path string, o Options) (bool, error) {
	fsys := o.FS
	if fsys == nil {
		fsys = vfs.Default
	}
	if fi, err := fsys.Stat(path); err != nil {
		return true, fmt.Errorf("blitz/datafile: %w", err)
	} else if !fi.Mode().IsRegular() {
		return true, fmt.Errorf("blitz/datafile: %s: %w (%s)", path, ErrNotRegular, fi.Mode().Type())
	}
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return true, fmt.Errorf("blitz/datafile: %w", err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return true, fmt.Errorf("blitz/datafile: size of %s: %w", path, err)
	}
	m, err := f.Map(int(size), false)
	if err != nil {
		return true, fmt.Errorf("blitz/datafile: map %s: %w", path, err)
	}
	defer f.Unmap(m)
	if allZero(m) {
		// Created, and cut short by a crash before its header reached
		// the disk: it never held anything.
		return false, nil
	}
	if size < headerPage {
		return true, &CorruptionError{File: path, Offset: size, Reason: "file shorter than its header page"}
	}
	h, ok, _ := bestHeader(m[:headerPage])
	if !ok {
		return true, &CorruptionError{File: path, Offset: 0, Reason: "no valid header (not a blitz data file, or its header is destroyed)"}
	}
	if h.version != formatVersion {
		return true, fmt.Errorf("open %s: %w %d", path, ErrVersion, h.version)
	}
	_, _, err = scanBlocks(m, func(_ int64, bh *blockHdr, _, _, _ int64) error {
		if bh.kind == kindRecord {
			return errHolds
		}
		return nil
	})
	if errors.Is(err, errHolds) {
		return true, nil
	}
	return false, err
}
