// Command blitz is the command-line tool of the blitz storage engine: a SQL
// shell, a MySQL-protocol server, data-file tools, check/repair, backup and
// restore, and benchmarks. Run "blitz help" for the list.
package main

import (
	"os"

	"github.com/blitzdb/blitz/cmd/blitz/command"
)

func main() {
	os.Exit(command.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
