package datafile

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// envKillRebuild names, in a child process of TestKillDuringRebuild, the
// data file to work on; envKillRebuildStep says what to do with it.
const (
	envKillRebuild     = "BLITZ_DATAFILE_KILL_REBUILD"
	envKillRebuildStep = "BLITZ_DATAFILE_KILL_REBUILD_STEP"
)

const killRebuildBuckets = 1 << 20 // an 8 MiB bucket array: its rewrite takes a while

// killRebuildChild is the child: "make" writes a file and dies without
// closing it (its open flag set); "reopen" opens it for writing (the
// rebuild of a file found open), closes it and marks it open again by
// dying after a write, so that every reopen rebuilds.
func killRebuildChild(path, step string) {
	df, err := Open(path, Options{Buckets: killRebuildBuckets})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	if step == "make" {
		for i := 0; i < 500; i++ {
			if err := df.Put([]byte(fmt.Sprintf("key%04d", i)), []byte(fmt.Sprintf("value %d", i))); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
		}
	}
	os.Exit(0) // no Close: the open flag stays set
}

// A writer's open of a file whose last writer died rebuilds its chains,
// rewriting in place the bucket array its header names. A kill -9 at any
// moment of that must leave a file whose header's bucket array verifies
// (a read-only open, as the engine's first look at a table's data file,
// succeeds), whose next writer's open rebuilds it without calling it
// damaged, and which holds every record. The rewrite used to zero the
// block header first: a kill then made the next open call the file
// corrupt ("bucket array block does not verify"), and the engine
// salvaged it (found by autorecover's TestKill9DDLTorture).
func TestKillDuringRebuild(t *testing.T) {
	if path := os.Getenv(envKillRebuild); path != "" {
		killRebuildChild(path, os.Getenv(envKillRebuildStep))
		return
	}
	if testing.Short() {
		t.Skip("kills child processes")
	}
	path := filepath.Join(t.TempDir(), "t.bdf")
	run := func(step string, killAfter time.Duration) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringRebuild$")
		cmd.Env = append(os.Environ(), envKillRebuild+"="+path, envKillRebuildStep+"="+step)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if killAfter >= 0 {
			select {
			case <-done:
				return
			case <-time.After(killAfter):
				cmd.Process.Kill()
			}
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("child %s did not end", step)
		}
	}
	run("make", -1)
	// How long a reopen takes, to spread the kills over it.
	start := time.Now()
	run("reopen", -1)
	took := time.Since(start)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; i < 30; i++ {
		run("reopen", time.Duration(rng.Int63n(int64(took)+1)))
		ro, err := Open(path, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("kill %d: read-only open after a reopen was killed: %v", i, err)
		}
		ro.Close()
	}
	df, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	if df.FoundFlags()&FlagFatal != 0 {
		t.Fatal("the file is marked fatal after killed reopens")
	}
	for i := 0; i < 500; i++ {
		if v, err := df.Get([]byte(fmt.Sprintf("key%04d", i))); err != nil || string(v) != fmt.Sprintf("value %d", i) {
			t.Fatalf("key%04d: %q, %v", i, v, err)
		}
	}
}
