package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/blitzdb/blitz/datafile"
)

// blitz file: tchmgr-style access to one hash data file.
func init() {
	register(func(env *Env) *cobra.Command {
		c := &cobra.Command{
			Use:   "file",
			Short: "Inspect and edit a hash data file (inform, check, repair, get, put, delete, list, optimize, salvage)",
		}
		c.AddCommand(
			fileInformCmd(env), fileCheckCmd(env), fileRepairCmd(env), fileGetCmd(env), filePutCmd(env),
			fileDeleteCmd(env), fileListCmd(env), fileOptimizeCmd(env), fileSalvageCmd(env),
		)
		return c
	})
}

// argsRange is cobra.RangeArgs with our usage exit code.
func argsRange(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s: wrong number of arguments (usage: %s)", cmd.Name(), cmd.UseLine())
		}
		return nil
	}
}

// dataFileArg returns an error naming path unless it can be a data file:
// not a directory and, if mustExist, there.
func dataFileArg(path string, mustExist bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if mustExist {
			return failf("%s does not exist", path)
		}
		return nil
	case err != nil:
		return failf("%v", err)
	case fi.IsDir():
		return failf("%s is a directory, not a data file", path)
	}
	return nil
}

// dataErr turns a datafile error into a command error: a missing key or a
// damaged file exits 1, like any failure.
func dataErr(path string, err error) error {
	if errors.Is(err, datafile.ErrNotFound) {
		return failf("%s: key not found", path)
	}
	return failf("%v", err)
}

func fileInformCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "inform PATH",
		Short: "Print the flags, bucket count, used buckets, record count, file size, free space and format version",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			df, err := datafile.Open(args[0], datafile.Options{ReadOnly: true})
			if err != nil {
				return dataErr(args[0], err)
			}
			defer df.Close()
			s := df.Stats()
			fmt.Fprintf(env.Stdout, "path: %s\nformat version: %d\nflags: %s\ngeneration: %d\nbuckets: %d\nused buckets: %d\nrecords: %d\nfile size: %d\nfree space: %d\n",
				args[0], s.FormatVersion, s.Flags, s.Generation, s.Buckets, s.UsedBuckets, s.Records, s.FileSize, s.FreeBytes)
			return nil
		},
	}
}

func fileCheckCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "check PATH",
		Short: "Verify every record checksum and chain without changing the file; exit 1 on any problem",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			r, err := datafile.Verify(args[0], datafile.Options{})
			for _, p := range r.Problems {
				fmt.Fprintf(env.Stdout, "problem: %s\n", p)
			}
			if err != nil {
				return dataErr(args[0], err)
			}
			fmt.Fprintf(env.Stdout, "records: %d\nbuckets: %d\nfree space: %d\n", r.Records, r.Buckets, r.FreeBytes)
			if !r.OK() {
				switch {
				case !r.NeedsSalvage():
					fmt.Fprintf(env.Stdout, "to repair: blitz file repair %s\n", args[0])
				case r.Flags&datafile.FlagOpen != 0:
					fmt.Fprintf(env.Stdout, "to repair: blitz file repair %s rebuilds what the writer's death left stale; if damage remains, blitz file salvage %s NEWPATH\n", args[0], args[0])
				default:
					fmt.Fprintf(env.Stdout, "to repair: blitz file salvage %s NEWPATH copies every record that verifies into a new file\n", args[0])
				}
				return silentExit(ExitFailed)
			}
			fmt.Fprintln(env.Stdout, "ok")
			return nil
		},
	}
}

func fileRepairCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "repair PATH",
		Short: "Rewrite a damaged header slot and rebuild what an unclean shutdown left stale; exit 1 if damage remains",
		Long: `repair opens the data file for writing and closes it cleanly, which is
what a writer does to a file it finds: a header slot that does not verify
is rewritten from the other one, and a file left open by a writer that died
gets its bucket chains, record count and free space rebuilt by a scan.
Records that do not verify are left as they are: it then checks the file
as 'blitz file check' does and, if damage remains, says so and exits 1
('blitz file salvage' copies every record that verifies into a new file).
A table's data file is repaired with 'blitz repair -d DIR TABLE' instead.`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if err := dataFileArg(path, true); err != nil {
				return err
			}
			df, err := datafile.Open(path, datafile.Options{})
			if err != nil {
				return dataErr(path, err)
			}
			did := false
			if off := df.DamagedHeaderSlot(); off >= 0 {
				fmt.Fprintf(env.Stdout, "rewrote the damaged header slot at offset %d\n", off)
				did = true
			}
			if df.FoundFlags()&datafile.FlagOpen != 0 {
				fmt.Fprintf(env.Stdout, "rebuilt after an unclean shutdown: %d records\n", df.Stats().Records)
				did = true
			}
			if err := df.Close(); err != nil {
				return dataErr(path, err)
			}
			if !did {
				fmt.Fprintln(env.Stdout, "nothing to rewrite")
			}
			r, err := datafile.Verify(path, datafile.Options{})
			for _, p := range r.Problems {
				fmt.Fprintf(env.Stdout, "problem: %s\n", p)
			}
			if err != nil {
				return dataErr(path, err)
			}
			if !r.OK() {
				fmt.Fprintf(env.Stdout, "damage remains: blitz file salvage %s NEWPATH copies every record that verifies into a new file\n", path)
				return silentExit(ExitFailed)
			}
			fmt.Fprintln(env.Stdout, "ok")
			return nil
		},
	}
}

func fileGetCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "get PATH KEY",
		Short: "Print the value stored under KEY (exit 1 if absent)",
		Args:  argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			df, err := datafile.Open(args[0], datafile.Options{ReadOnly: true})
			if err != nil {
				return dataErr(args[0], err)
			}
			defer df.Close()
			v, err := df.Get([]byte(args[1]))
			if err != nil {
				return dataErr(args[0], err)
			}
			fmt.Fprintf(env.Stdout, "%s\n", v)
			return nil
		},
	}
}

// withWriter opens path for writing, runs fn and closes the file cleanly.
func withWriter(path string, fn func(df *datafile.File) error) error {
	df, err := datafile.Open(path, datafile.Options{})
	if err != nil {
		return dataErr(path, err)
	}
	err = fn(df)
	if cerr := df.Close(); err == nil && cerr != nil {
		err = dataErr(path, cerr)
	}
	return err
}

func filePutCmd(env *Env) *cobra.Command {
	var keep bool
	c := &cobra.Command{
		Use:   "put PATH KEY VALUE",
		Short: "Store VALUE under KEY, creating the file if needed",
		Args:  argsRange(3, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], false); err != nil {
				return err
			}
			return withWriter(args[0], func(df *datafile.File) error {
				put := df.Put
				if keep {
					put = df.PutIfAbsent
				}
				if err := put([]byte(args[1]), []byte(args[2])); err != nil {
					return dataErr(args[0], err)
				}
				return nil
			})
		},
	}
	c.Flags().BoolVar(&keep, "keep", false, "keep an existing value (exit 1 if the key exists)")
	return c
}

func fileDeleteCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "delete PATH KEY",
		Short: "Remove KEY (exit 1 if absent)",
		Args:  argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			return withWriter(args[0], func(df *datafile.File) error {
				if err := df.Delete([]byte(args[1])); err != nil {
					return dataErr(args[0], err)
				}
				return nil
			})
		},
	}
}

func fileListCmd(env *Env) *cobra.Command {
	var values bool
	c := &cobra.Command{
		Use:   "list PATH",
		Short: "Print every key (with --values, key TAB value) in file order",
		Args:  argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			df, err := datafile.Open(args[0], datafile.Options{ReadOnly: true})
			if err != nil {
				return dataErr(args[0], err)
			}
			defer df.Close()
			err = df.Iterate(func(k, v []byte) error {
				var err error
				if values {
					_, err = fmt.Fprintf(env.Stdout, "%s\t%s\n", k, v)
				} else {
					_, err = fmt.Fprintf(env.Stdout, "%s\n", k)
				}
				return err
			})
			if err != nil {
				return dataErr(args[0], err)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&values, "values", false, "print values too")
	return c
}

func fileOptimizeCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "optimize PATH [BUCKETS]",
		Short: "Rewrite the file compactly, with BUCKETS buckets (default: twice the record count)",
		Args:  argsRange(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var nb int64
			if len(args) == 2 {
				n, err := strconv.ParseInt(args[1], 10, 64)
				if err != nil || n < 0 {
					return usagef("BUCKETS must be a non-negative integer, not %q", args[1])
				}
				nb = n
			}
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			if err := datafile.Optimize(args[0], nb, datafile.Options{}); err != nil {
				return dataErr(args[0], err)
			}
			return nil
		},
	}
}

func fileSalvageCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "salvage SRC DST",
		Short: "Copy every record of SRC that verifies into a new file DST (SRC is never modified)",
		Args:  argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := dataFileArg(args[0], true); err != nil {
				return err
			}
			if _, err := os.Lstat(args[1]); err == nil {
				return failf("%s exists: salvage writes a new file, never over another (remove it or name another DST)", args[1])
			}
			r, err := datafile.Salvage(args[0], args[1], datafile.Options{})
			if err != nil {
				return failf("%v", err)
			}
			fmt.Fprintf(env.Stdout, "header: %s\nscanned: %d bytes\nkept: %d\nsuperseded: %d\ndamaged regions: %d (%d bytes)\n",
				map[bool]string{true: "valid", false: "destroyed"}[r.HeaderValid], r.Scanned, r.Kept, r.Superseded, r.Damaged, r.DamagedSize)
			for _, d := range r.Drops {
				fmt.Fprintf(env.Stdout, "dropped: offset %d length %d: %s\n", d.Offset, d.Length, d.Reason)
			}
			return nil
		},
	}
}
