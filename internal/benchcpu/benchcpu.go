// Package benchcpu lets a benchmark report the process's CPU time per
// operation (cpu-ns/op), user and system: on a machine shared with other
// work it varies much less than the wall time, and it counts what a
// server pays for each operation, its background work (checkpoints, the
// WAL's goroutines) included.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Now returns the CPU time the process has used so far.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report reports the CPU time used since start (a value of Now) per
// operation of b, as cpu-ns/op.
func Report(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(Now()-start)/float64(b.N), "cpu-ns/op")
}
