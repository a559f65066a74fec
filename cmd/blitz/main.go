// Command blitz is the command-line tool of the blitz storage engine: a SQL
// shell, a MySQL-protocol server, data-file tools, check/repair, backup and
// restore, and benchmarks. Run "blitz help" for the list.
//
// BLITZ_CPUPROFILE=FILE writes a CPU profile of the whole run to FILE (for
// blitz serve: until it stops on SIGTERM), for `go tool pprof`.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/blitzdb/blitz/cmd/blitz/command"
)

func main() {
	if p := os.Getenv("BLITZ_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "blitz: BLITZ_CPUPROFILE: %v\n", err)
			os.Exit(2)
		}
		code := command.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(command.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
