package command

import (
	"fmt"
	"github.com/blitzdb/blitz/internal/buildinfo"

	"github.com/spf13/cobra"
)

// Version is the blitz release this binary was built from.
const Version = buildinfo.Version

func init() {
	register(func(env *Env) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the blitz version",
			Args:  exactArgs(0),
			RunE: func(cmd *cobra.Command, args []string) error {
				_, err := fmt.Fprintf(env.Stdout, "blitz %s\n", Version)
				return err
			},
		}
	})
}
