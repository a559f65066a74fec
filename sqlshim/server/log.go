package server

import (
	"fmt"
	"log/slog"
	"sync/atomic"

	vtlog "github.com/dolthub/vitess/go/vt/log"
)

// protocolLog receives the protocol library's own messages (a failed
// handshake, a client gone mid-packet), which it would otherwise print to
// the standard logger. They are per-connection noise, so they go out at
// Debug level on the logger of the last Server created (the library's log
// is process-wide).
var protocolLog atomic.Pointer[slog.Logger]

func init() {
	protocolLog.Store(slog.New(slog.DiscardHandler))
	printf := func(format string, args ...any) {
		protocolLog.Load().Debug(fmt.Sprintf(format, args...), "from", "mysql protocol")
	}
	print := func(args ...any) {
		protocolLog.Load().Debug(fmt.Sprint(args...), "from", "mysql protocol")
	}
	vtlog.Info, vtlog.Warning, vtlog.Error = print, print, print
	vtlog.Infof, vtlog.Warningf, vtlog.Errorf = printf, printf, printf
}
