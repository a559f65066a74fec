package sqlshim

import (
	"strings"
	"time"

	"github.com/blitzdb/blitz/internal/sqlerr"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// backup runs BACKUP DATABASE * TO 'DEST' (TiDB's BRIE statement): a hot
// backup of every table into the directory DEST on the server's
// filesystem (engine.(*DB).Backup), answered with one row: the
// destination, the backup's moment, its update-log sequence number, the
// files and bytes written and the longest pause a writer saw.
func (x *execCtx) backup(n *ast.BRIEStmt) (Result, error) {
	if n.Kind != ast.BRIEKindBackup {
		return Result{}, errNotSupported("RESTORE statements (use blitz restore)")
	}
	if len(n.Tables) > 0 {
		return Result{}, errNotSupported("BACKUP TABLE (back up the whole database: BACKUP DATABASE * TO ...)")
	}
	for _, s := range n.Schemas {
		if !strings.EqualFold(s, x.s.DBName) {
			return Result{}, errUnknownDB(s)
		}
	}
	if len(n.Options) > 0 {
		return Result{}, errNotSupported("BACKUP options")
	}
	dest := n.Storage
	for _, p := range []string{"local://", "file://"} {
		dest = strings.TrimPrefix(dest, p)
	}
	if dest == "" {
		return Result{}, errf(sqlerr.ErrNotSupported, "BACKUP needs a destination directory: BACKUP DATABASE * TO '/path'")
	}
	info, err := x.s.db.Backup(x.ctx, dest)
	if err != nil {
		return Result{}, err
	}
	cols := textColumns("Destination", "Time", "ULog_seq", "Files", "Bytes", "Max_pause_ms")
	intColumn(cols, "ULog_seq", "Files", "Bytes", "Max_pause_ms")
	return Result{Columns: cols, Rows: [][]any{{dest, info.Time.Format(time.RFC3339Nano), info.ULogSeq,
		uint64(info.Files), uint64(info.Bytes), uint64(info.MaxPause.Milliseconds())}}}, nil
}
