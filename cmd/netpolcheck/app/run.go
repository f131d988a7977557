package app

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/backends"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/clusters/local"
	"github.com/netpolcheck/netpolcheck/reports"
)

type runFlags struct {
	selectionFlags
	outputFlags
	timingFlags
	cluster     string
	enforcer    string
	concurrency int
	kube        kubeFlags
	kind        kindFlags
	// log receives kind's progress: stderr, or nothing with --quiet.
	log io.Writer
	// finish, when a backend sets it, runs after the backend is closed, with
	// the results: kind exports logs and deletes its cluster there.
	finish func(ctx context.Context, res *reports.Results) error
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
this host, and no packet leaves the machine.

--cluster kube runs on any cluster reached by --kubeconfig and --context, and
tests its own CNI: each scenario gets namespaces npc-<run>-<n>-<name> holding
one unprivileged probe pod per model pod, driven through exec. See
docs/certify.md, and netpolcheck certify for the conformance run.

--cluster kind runs the same way on a kind cluster with the reference
enforcer (or --enforcer none) and external hosts of its own: the cluster
--name when it exists (netpolcheck kind up), kept afterwards, or else one
made for the run and deleted after it unless --retain. See docs/kind.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			if err := f.checkTiming(cmd.Flags()); err != nil {
				return err
			}
			f.denyMustDropFor(cmd.Flags(), f.profile)
			scns, err := f.load(s.Err)
			if err != nil {
				return err
			}
			// SIGINT and SIGTERM cancel the run; clusters are still torn down.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			f.log = s.Err
			if f.quiet {
				f.log = io.Discard
			}
			backend, enforcer, err := f.backend(ctx)
			if err != nil {
				return err
			}
			var progress io.Writer = s.Err
			if f.quiet {
				progress = nil
			}
			return runAndReport(ctx, s, backend, scns, f.runnerOptions(progress, f.kube.behaviour), &f.outputFlags, func(res *reports.Results) error {
				res.Enforcer = enforcer
				res.Target = f.kube.targetList()
				if f.finish != nil {
					return f.finish(ctx, res)
				}
				return nil
			})
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	f.outputFlags.bind(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&f.cluster, "cluster", "local", "where to run: local (network namespaces on this host), kube (any cluster by kubeconfig, its own CNI enforcing) or kind (a kind cluster with this project's enforcer)")
	fl.StringVar(&f.enforcer, "enforcer", "reference", "policy enforcer for the local and kind clusters: reference (the eBPF enforcer of this project) or none (every probe is allowed)")
	f.timingFlags.bind(fl, "(default: the cluster's, 10s locally, 60s on kind, 20s on kube)", "(default: the cluster's, 250ms locally, 1s on others)")
	fl.IntVar(&f.concurrency, "probe-concurrency", local.DefaultConcurrency, "probes in flight at once per scenario")
	f.kube.bind(fl, false)
	f.kind.bind(fl, "keep the kind cluster after the run, also when it failed (kind)")
	return cmd
}

// backend makes the cluster backend the flags ask for.
func (f *runFlags) backend(ctx context.Context) (clusters.Backend, string, error) {
	if f.cluster != kindName {
		if err := f.kind.refuse(f.cluster); err != nil {
			return nil, "", err
		}
	}
	switch f.cluster {
	case kube.Name:
		return f.kubeBackend(ctx)
	case kindName:
		return f.kindBackend(ctx, f.log)
	case "local":
		if err := f.kube.refuseKubeFlags(f.cluster); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", badInput("--cluster %q: not one of local, kube, kind", f.cluster)
	}
	targets, err := f.kube.targets()
	if err != nil {
		return nil, "", err
	}
	if err := backends.CheckEnforcer(f.enforcer); err != nil {
		return nil, "", badInput("%v", err)
	}
	// What runs that died (killed outright, a reboot) left goes first, as
	// `netpolcheck clean` would remove it; live runs are never touched.
	if removed, err := local.Clean(ctx, false); err != nil {
		fmt.Fprintf(f.log, "warning: removing what earlier runs left: %v\n", err)
	} else if len(removed) > 0 {
		fmt.Fprintf(f.log, "removed %d objects that runs which died left behind (netpolcheck clean)\n", len(removed))
	}
	b, err := backends.Local(f.enforcer, local.Options{Concurrency: f.concurrency, Targets: targets})
	if err != nil {
		return nil, "", err
	}
	return b, f.enforcer, nil
}

// kubeBackend is --cluster kube: the cluster of --kubeconfig, enforcing with
// its own CNI, so --enforcer has no say; an enforcer is recorded only for a
// kind cluster netpolcheck made.
func (f *runFlags) kubeBackend(ctx context.Context) (clusters.Backend, string, error) {
	if f.kube.flags.Changed("enforcer") {
		return nil, "", badInput("--enforcer applies to the local and kind clusters; a kube cluster enforces with its own CNI")
	}
	b, err := f.kube.backend(ctx, f.concurrency, f.log)
	if err != nil {
		return nil, "", err
	}
	// Empty unless netpolcheck made the cluster and knows its enforcer.
	return b, f.kube.kindEnforcer, nil
}
