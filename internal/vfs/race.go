//go:build race

package vfs

// RaceEnabled reports whether the race detector is on. A CrashFS power cut
// reads files that other goroutines may be writing through a mapping, which
// the race detector reports by construction; tests that cut the power under
// concurrent mapped writes skip themselves when it is on.
const RaceEnabled = true
