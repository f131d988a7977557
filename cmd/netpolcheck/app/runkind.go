package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/backends"
	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/clusters/runner"
	"github.com/netpolcheck/netpolcheck/reports"
)

// kindName is the backend's name in results.
const kindName = "kind"

// kindConverge is the kind backend's convergence bound unless --converge: the
// enforcer programs a policy a moment after the API server has it, and on a
// loaded machine one probe round of a large step alone can take over 10 s
// (measured: 12.5 s for 198 cells at load average 38, and 21 s for 324
// cells while every probe pod ran an exec readiness probe each second),
// which would leave no time to probe a lagging cell again. A longer bound
// costs nothing on steps that pass.
//
// 60 s: at load averages of 55-75 on this 2-core machine (three kind nodes,
// four scenarios at once) a first probe round of a namespace-deletion step
// took 31 s, leaving no time for a second round within 30 s.
const kindConverge = 60 * time.Second

// kindRefused are the kube flags that --cluster kind decides itself: the
// cluster, the probe image it loads, and its own external hosts.
var kindRefused = []string{"kubeconfig", "context", "probe-image", "external-host", "enforcer-pods"}

// kindBackend is --cluster kind: the kube backend on a kind cluster, with the
// cluster's own external hosts in both directions. When the cluster --name
// exists (kind up --retain made it), it is used as it is and kept; only the
// probe image of this version is loaded into it. Otherwise the run makes it
// as kind up does and deletes it afterwards unless --retain. Either way f.finish
// then exports the cluster's logs when anything failed.
func (f *runFlags) kindBackend(ctx context.Context, log io.Writer) (clusters.Backend, string, error) {
	for _, name := range kindRefused {
		if f.kube.flags.Changed(name) {
			return nil, "", badInput("--%s applies to --cluster kube; --cluster kind decides it", name)
		}
	}
	cni, err := f.kind.cniOf(f.enforcer, f.kube.flags.Changed("enforcer"))
	if err != nil {
		return nil, "", err
	}
	if err := checkUpFlags(&f.kind, cni); err != nil {
		return nil, "", err
	}
	f.enforcer = cni
	if _, err := f.kube.options(f.concurrency); err != nil {
		return nil, "", err
	}
	logDir := f.kindLogDir()
	p := kind.NewProvider(kind.WithLog(log))
	exists, err := p.Exists(f.kind.name)
	if err != nil {
		return nil, "", err
	}
	var c *kind.Cluster
	var probe string
	created := !exists
	if exists {
		c, probe, err = f.reuseKind(ctx, log)
	} else {
		c, probe, err = upCluster(ctx, log, &f.kind, f.enforcer, logDir)
	}
	if err != nil {
		return nil, "", err
	}
	b, err := f.kindKube(ctx, c, probe)
	if err != nil {
		if created {
			err = errors.Join(err, c.Abandon(logDir, f.kind.retain))
		}
		return nil, "", err
	}
	f.finish = func(ctx context.Context, res *reports.Results) error {
		failed := runner.ExitCode(res) != 0 || ctx.Err() != nil
		ctx = context.WithoutCancel(ctx)
		printExecStats(log, "kind cluster "+c.Name(), b)
		switch {
		case failed && !created:
			// A cluster made earlier stays: only its logs are taken.
			if err := c.CollectLogs(ctx, logDir); err != nil {
				return err
			}
			fmt.Fprintf(log, "kind cluster %s: logs in %s\n", c.Name(), logDir)
			return nil
		case failed:
			return c.Abandon(logDir, f.kind.retain)
		case created && f.kind.retain:
			fmt.Fprintf(log, "kind cluster %s: kept (--retain); netpolcheck kind down --name %s deletes it\n", c.Name(), c.Name())
			return nil
		case created:
			return c.Down(ctx)
		}
		return nil
	}
	return b, f.enforcer, nil
}

// kindLogDir is where a failed run's cluster logs go: kind-logs beside the
// reports, or a new temporary directory without --report-dir.
func (f *runFlags) kindLogDir() string {
	if f.reportDir != "" {
		return filepath.Join(f.reportDir, "kind-logs")
	}
	return filepath.Join(os.TempDir(), "netpolcheck-kind-logs-"+f.kind.name)
}

// reuseKind attaches to the existing cluster --name, which keeps its nodes
// and enforcer: flags that would change them are refused, and the enforcer
// recorded in the results is the one it runs.
func (f *runFlags) reuseKind(ctx context.Context, log io.Writer) (*kind.Cluster, string, error) {
	for _, name := range []string{"nodes", "node-image", "cgroup-driver", "npa-channel", "knp-manifest"} {
		if f.kind.flags.Changed(name) {
			return nil, "", badInput("--%s: kind cluster %s exists and is used as it is (netpolcheck kind down --name %s deletes it)", name, f.kind.name, f.kind.name)
		}
	}
	probe := kube.ProbeImage(version())
	c, err := kind.NewProvider(kind.WithLog(log), kind.WithProbeImage(probe)).Get(ctx, f.kind.name)
	if err != nil {
		return nil, "", err
	}
	running, err := c.RunningEnforcer(ctx)
	if err != nil {
		return nil, "", err
	}
	if (f.kube.flags.Changed("enforcer") || f.kind.flags.Changed("cni")) && f.enforcer != running {
		return nil, "", badInput("--cni %s: kind cluster %s runs enforcer %s", f.enforcer, f.kind.name, running)
	}
	f.enforcer = running
	s, err := f.kind.spec(log, running, "")
	if err != nil {
		return nil, "", err
	}
	if probe, err = kind.LoadProbeImage(ctx, c, s); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(log, "kind cluster %s exists: running on it (enforcer %s) and keeping it\n", c.Name(), running)
	return c, probe, nil
}

// kindKube is the kube backend on the kind cluster.
func (f *runFlags) kindKube(ctx context.Context, c *kind.Cluster, probe string) (*kube.Backend, error) {
	opts, err := f.kube.options(f.concurrency)
	if err != nil {
		return nil, err
	}
	opts.Name = kindName
	opts.Converge = kindConverge
	opts.ProbeImage = probe
	opts.ExternalHosts = c.ExternalHosts()
	opts.KubectlArgs = []string{"--kubeconfig", c.Kubeconfig()}
	if opts.EnforcerPods, err = c.EnforcerPods(ctx); err != nil {
		return nil, err
	}
	b, err := backends.Kube(ctx, c.RESTConfig(), opts, nil)
	if err != nil {
		return nil, fmt.Errorf("kind cluster %s: %w", c.Name(), err)
	}
	return b, nil
}
