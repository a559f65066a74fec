//go:build !race

package vfs

// RaceEnabled reports whether the race detector is on (see race.go).
const RaceEnabled = false
