package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// streams are the command's standard streams, passed in so tests can run it.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

const usage = `usage: probe <command> [flags]

commands:
  serve    --identity ns/pod --ports 80/TCP,81/UDP,...   answer probes until SIGTERM
  connect  --batch [--concurrency N] < jobs.json        run a batch of jobs, results as JSON
  connect  --to HOST --port N [--protocol TCP] [--expect ns/pod] [--from NAME] [--timeout 1s]
           run one job; exit 0 allowed, 1 blocked, 3 error
  session  [--concurrency N]   batches as JSON lines {"seq":N,"jobs":[...]} on stdin,
           results as {"seq":N,"results":[...]} lines, until stdin ends
  hold     --to HOST --port N [--expect ns/pod] [--from NAME] [--timeout 1s]
           hold a TCP connection; stdin "exchange N" or "dial N", JSON lines out
  wait     do nothing until SIGTERM (a pod that is only exec'd into)
  dns-records --file PATH NAME=ADDRESS...
           replace the records a server run with serve --dns-records PATH answers
  version  print the version

exit status 2 means bad flags; 3 a failure or a probe error.
`

// run is the real entry point; main only turns its error into an exit status.
func run(ctx context.Context, args []string, s streams) error {
	if len(args) == 0 {
		fmt.Fprint(s.err, usage)
		return usageErrorf("no command given")
	}
	command, rest := args[0], args[1:]
	switch command {
	case "serve":
		return runServe(ctx, rest, s)
	case "connect":
		return runConnect(ctx, rest, s)
	case "session":
		return runSession(ctx, rest, s)
	case "hold":
		return runHold(ctx, rest, s)
	case "wait":
		return runWait(ctx, rest, s)
	case "dns-records":
		return runDNSRecords(rest, s)
	case "version":
		return runVersion(rest, s)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(s.out, usage)
		return nil
	default:
		fmt.Fprint(s.err, usage)
		return usageErrorf("unknown command %q", command)
	}
}

// parseFlags parses a subcommand's flags; flag prints the problem and the
// flag list itself, so the error only needs its exit status.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// newFlagSet makes a subcommand's flag set, reporting to stderr and returning
// errors instead of exiting.
func newFlagSet(name string, s streams) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	return fs
}

// parseFlagsAndArgs parses a subcommand's flags and leaves the arguments
// after them in fs.Args.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitCodeError{code: exitUsage}
	}
	return nil
}
