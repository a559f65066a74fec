package command

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/blitzdb/blitz/internal/vfs"
	"github.com/blitzdb/blitz/txn"
)

// newDir remembers whether a command is about to create its database
// directory, so that a start that fails (the port taken, no space for the
// WAL) can take back what it made instead of leaving an empty database
// behind (LOCK and wal/) that looks like a real one to the next command.
type newDir struct {
	created []string // directories missing at start, deepest first
}

// noteNewDir records which of dir and its parents do not exist yet.
func noteNewDir(dir string) *newDir {
	return &newDir{created: vfs.MissingDirs(os.Lstat, dir)}
}

// undo removes what opening an empty database creates (LOCK, the WAL's
// segment files, its NEWEST file and wal/) in the directories that did not exist at
// noteNewDir, then those directories, deepest first. It removes only those
// names and only empty directories, never anything else: a directory that
// gained other files is left as it is. Call it after the database is
// closed. Errors are ignored: this is a best-effort tidy-up after a failure
// already reported.
func (nd *newDir) undo() {
	if len(nd.created) == 0 {
		return
	}
	db := nd.created[0]
	wal := filepath.Join(db, "wal")
	if ents, err := os.ReadDir(wal); err == nil {
		for _, e := range ents {
			if n := e.Name(); e.Type().IsRegular() && (strings.HasSuffix(n, txn.SegmentSuffix) || strings.HasSuffix(n, txn.FreeSuffix) || n == txn.NewestName || n == txn.NewestName+".tmp") {
				os.Remove(filepath.Join(wal, n))
			}
		}
	}
	os.Remove(wal)
	os.Remove(filepath.Join(db, "LOCK"))
	for _, d := range nd.created {
		if os.Remove(d) != nil {
			return
		}
	}
}
