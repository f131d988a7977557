package app

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/clusters/runner"
)

type runFlags struct {
	selectionFlags
	outputFlags
	cluster      string
	enforcer     string
	parallel     int
	converge     time.Duration
	probeTimeout time.Duration
	concurrency  int
}

func newRunCommand(s streams) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [--cluster local] [-f FILE|DIR ...]",
		Short: "Run the scenarios with real packets on a cluster and compare what the network did with the truth table",
		Long: `run sets up each selected scenario's model on a cluster, applies its steps,
probes every (source, destination, port, protocol) cell with real packets, and
compares the observed matrix with the truth oracle's. Mismatching cells are
re-probed with backoff until they match or --converge passes.

The local cluster (the default) needs root: each pod is a network namespace on
this host, and no packet leaves the machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			if f.parallel < 1 {
				return badInput("--parallel %d: must be at least 1", f.parallel)
			}
			if f.converge <= 0 || f.probeTimeout <= 0 {
				return badInput("--converge and --probe-timeout must be positive")
			}
			scns, err := f.load()
			if err != nil {
				return err
			}
			// SIGINT and SIGTERM cancel the run; clusters are still torn down.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			backend, enforcer, err := f.backend()
			if err != nil {
				return err
			}
			var progress io.Writer = s.Err
			if f.quiet {
				progress = nil
			}
			res := runner.Run(ctx, scns, runner.Options{
				Backend: backend, Parallel: f.parallel, Converge: f.converge,
				ProbeTimeout: f.probeTimeout, Progress: progress,
			})
			res.Enforcer = enforcer
			res.Version = version()
			closeErr := backend.Close(context.WithoutCancel(ctx))
			if err := f.emit(s, res); err != nil {
				return err
			}
			if closeErr != nil {
				return fmt.Errorf("tear down %s cluster: %w", backend.Name(), closeErr)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted: %w", ctx.Err())
			}
			if runner.ExitCode(res) != 0 {
				return failed
			}
			return nil
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	f.outputFlags.bind(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&f.cluster, "cluster", "local", "where to run: local (network namespaces on this host)")
	fl.StringVar(&f.enforcer, "enforcer", "none", "policy enforcer for the local cluster: none")
	fl.IntVar(&f.parallel, "parallel", 4, "scenarios run at once, each on its own namespaces")
	fl.DurationVar(&f.converge, "converge", 10*time.Second, "how long a step may take to match the truth table")
	fl.DurationVar(&f.probeTimeout, "probe-timeout", time.Second, "timeout of one probe; a timed-out probe counts as blocked")
	fl.IntVar(&f.concurrency, "probe-concurrency", local.DefaultConcurrency, "probes in flight at once per scenario")
	return cmd
}

// backend makes the cluster backend the flags ask for.
func (f *runFlags) backend() (clusters.Backend, string, error) {
	switch f.cluster {
	case "local":
	default:
		return nil, "", badInput("--cluster %q: not one of local", f.cluster)
	}
	opts := local.Options{Concurrency: f.concurrency}
	switch f.enforcer {
	case "none":
	default:
		return nil, "", badInput("--enforcer %q: not one of none", f.enforcer)
	}
	b, err := local.New(opts)
	if err != nil {
		return nil, "", fmt.Errorf("local cluster: %w", err)
	}
	return b, f.enforcer, nil
}
