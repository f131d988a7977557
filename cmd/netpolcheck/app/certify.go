package app

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

// defaultCertifyDir is where certify writes its reports unless told otherwise:
// a certification is worth keeping.
const defaultCertifyDir = "netpolcheck-certify"

type certifyFlags struct {
	selectionFlags
	outputFlags
	kube         kubeFlags
	parallel     int
	fresh        bool
	converge     time.Duration
	probeTimeout time.Duration
	concurrency  int
}

func newCertifyCommand(s streams) *cobra.Command {
	f := &certifyFlags{}
	cmd := &cobra.Command{
		Use:   "certify [--kubeconfig FILE] [--context NAME] [--tags ...] [--profile quick|full] [--report-dir DIR]",
		Short: "Run the conformance scenarios against a cluster's own CNI and report which NetworkPolicy features it enforces",
		Long: `certify runs the built-in library (plus the generated cases of --profile, or
the scenarios of -f) on the cluster of --kubeconfig and --context, enforcing with
the cluster's own CNI. It deploys nothing but unprivileged probe pods, in
namespaces npc-<run>-<n>-<name> that it deletes afterwards, and drives every
probe through exec, never over the pod network.

The reports (results.json, junit.xml, report.html, in --report-dir) carry a
table of features (ingress, egress, ip-block, except, named-port, end-port, udp,
sctp, update, delete, relabel) saying which the CNI passes. SCTP is skipped
unless --sctp on or auto; external hosts unless --external-host gives them.
See docs/certify.md.`,
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
			if f.reportDir == "" && !cmd.Flags().Changed("report-dir") {
				f.reportDir = defaultCertifyDir
				if err := f.checkReportDir(); err != nil {
					return err
				}
			}
			if _, err := f.kube.options(f.concurrency); err != nil {
				return err
			}
			scns, err := f.loadCertified(s.Err)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			backend, err := f.kube.backend(ctx, f.concurrency)
			if err != nil {
				return err
			}
			var progress io.Writer = s.Err
			if f.quiet {
				progress = nil
			}
			if caps := backend.Capabilities(); progress != nil {
				// Said up front, so nobody waits for a run whose skips they did not expect.
				if !caps.SCTP {
					fmt.Fprintf(progress, "certify: SCTP cells are skipped: %s\n", caps.SCTPReason)
				}
				if !caps.ExternalHosts {
					fmt.Fprintf(progress, "certify: external host cells are skipped: %s\n", caps.ExternalHostsReason)
				}
			}
			res := runner.Run(ctx, scns, runner.Options{
				Backend: backend, Parallel: f.parallel, Converge: f.converge,
				ProbeTimeout: f.probeTimeout, Progress: progress, Cells: runner.CellDetail(f.cells),
				FreshClusters: f.fresh,
			})
			res.Version = version()
			closeErr := backend.Close(context.WithoutCancel(ctx))
			if err := f.emit(s, res); err != nil {
				return err
			}
			if closeErr != nil {
				return fmt.Errorf("tear down kube cluster: %w", closeErr)
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
	fl.Lookup("profile").Usage = "also run the generated cases of this profile: quick (pairwise) or full"
	fl.Lookup("report-dir").Usage = "write results.json, junit.xml and report.html into this directory (" + defaultCertifyDir + " unless given)"
	fl.IntVar(&f.parallel, "parallel", 4, "scenarios run at once, each on its own namespaces")
	fl.BoolVar(&f.fresh, "fresh-clusters", false, "set up every scenario's namespaces and pods anew, instead of handing them to the next scenario with the same model once its policies are deleted and labels restored")
	fl.DurationVar(&f.converge, "converge", 20*time.Second, "how long a step may take to match the truth table; CNIs program policies asynchronously")
	fl.DurationVar(&f.probeTimeout, "probe-timeout", time.Second, "timeout of one probe; a timed-out probe counts as blocked")
	fl.IntVar(&f.concurrency, "probe-concurrency", probes.DefaultConcurrency, "probes in flight at once inside each probe pod")
	f.kube.bind(fl)
	return cmd
}

// loadCertified selects from the built-in library plus the generated cases
// of --profile; -f replaces the library, as in run.
func (f *certifyFlags) loadCertified(notes io.Writer) ([]*scenarios.Scenario, error) {
	all, err := f.sources(notes)
	if err != nil {
		return nil, err
	}
	if len(f.files) == 0 && f.profile != "" {
		builtin, err := library.Builtin()
		if err != nil {
			return nil, fmt.Errorf("built-in library: %w", err)
		}
		all = append(builtin, all...)
	}
	selected, err := f.Select(all)
	if err != nil {
		return nil, err
	}
	if len(selected) == 0 {
		return nil, badInput("no scenario matches the selection (%d scenarios before --focus/--skip/--tags/--exclude-tags)", len(all))
	}
	return selected, nil
}
