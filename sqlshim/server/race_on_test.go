//go:build race

package server

// raceEnabled reports whether the race detector is on: tests that time
// work on large tables skip under it (it slows them tenfold).
const raceEnabled = true
