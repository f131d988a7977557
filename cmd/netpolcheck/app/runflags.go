package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// timingFlags are how run and certify pace a run. Converge and the probe
// timeout are zero unless given: the backend then chooses
// (clusters.Defaults), so the default of each cluster lives with it.
type timingFlags struct {
	parallel     int
	fresh        bool
	converge     time.Duration
	probeTimeout time.Duration
	denyMustDrop bool
}

func (f *timingFlags) bind(fs *pflag.FlagSet, convergeDefault, timeoutDefault string) {
	fs.IntVar(&f.parallel, "parallel", 4, "scenarios run at once, each on its own namespaces")
	fs.BoolVar(&f.fresh, "fresh-clusters", false, "set up every scenario's namespaces and pods anew, instead of handing them to the next scenario with the same model once its policies are deleted and labels restored")
	fs.DurationVar(&f.converge, "converge", 0, "how long a step may take to match the truth table "+convergeDefault)
	fs.DurationVar(&f.probeTimeout, "probe-timeout", 0, "timeout of one probe; a timed-out probe counts as blocked "+timeoutDefault)
	fs.BoolVar(&f.denyMustDrop, "deny-must-drop", false, "fail a cell a ClusterNetworkPolicy Deny blocks when the connection was refused rather than dropped, as the network-policy-api conformance suite does (on with --profile cnp unless given)")
}

// denyMustDropFor turns --deny-must-drop on for the cnp profile, unless
// the flag was given.
func (f *timingFlags) denyMustDropFor(fs *pflag.FlagSet, profile string) {
	if profile == cnpProfile && !fs.Changed("deny-must-drop") {
		f.denyMustDrop = true
	}
}

// checkTiming refuses values no run can use; a zero duration given on the
// command line is refused too, since it reads as "none", not "default".
func (f *timingFlags) checkTiming(fs *pflag.FlagSet) error {
	if f.parallel < 1 {
		return badInput("--parallel %d: must be at least 1", f.parallel)
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"converge", f.converge}, {"probe-timeout", f.probeTimeout}} {
		if d.value < 0 || (d.value == 0 && fs.Changed(d.name)) {
			return badInput("--%s %s: must be positive", d.name, d.value)
		}
	}
	return nil
}

func (f *timingFlags) runnerOptions(progress io.Writer, behaviour bool) runner.Options {
	return runner.Options{Parallel: f.parallel, FreshClusters: f.fresh, Converge: f.converge, ProbeTimeout: f.probeTimeout, Progress: progress, DenyMustDrop: f.denyMustDrop, Behaviour: behaviour}
}

// runAndReport is the end every real-packet command shares: run the
// scenarios on the backend, close it, let finish add to the results (kind
// exports logs and deletes its cluster), write the reports, and turn the
// outcome into the command's error.
func runAndReport(ctx context.Context, s streams, backend clusters.Backend, scns []*scenarios.Scenario,
	opts runner.Options, out *outputFlags, finish func(*reports.Results) error) error {
	opts.Backend = backend
	opts.Cells = runner.CellDetail(out.cells)
	res := runner.Run(ctx, scns, opts)
	res.Version = version()
	closeErr := backend.Close(context.WithoutCancel(ctx))
	if finish != nil {
		closeErr = errors.Join(closeErr, finish(res))
	}
	if err := out.emit(s, res); err != nil {
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
}
