package app

import (
	"context"
	"fmt"
	"io"
	osexec "os/exec"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/clusters/backends"
	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
	"github.com/netpolcheck/netpolcheck/probes"
)

// kubeFlags reach a cluster by kubeconfig, for run --cluster kube and certify.
type kubeFlags struct {
	kubeconfig    string
	context       string
	probeImage    string
	target        []string
	sctp          string
	externalHosts []string
	readyTimeout  time.Duration
	// behaviour runs the behaviour probes after the scenarios.
	behaviour bool
	// enforcerPods is --enforcer-pods, NAMESPACE/SELECTOR.
	enforcerPods string
	// kindEnforcer is the enforcer of a kind cluster netpolcheck made, found
	// by backend; "" for any other cluster.
	kindEnforcer string
	// flags is the command's flag set, to tell flags given from defaults.
	flags *pflag.FlagSet
}

// bind adds the flags; behaviour is --behaviour's default, on for certify.
func (f *kubeFlags) bind(fs *pflag.FlagSet, behaviour bool) {
	f.flags = fs
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file of the cluster (kube); $KUBECONFIG or ~/.kube/config when empty")
	fs.StringVar(&f.context, "context", "", "kubeconfig context to use (kube); the current context when empty")
	fs.StringVar(&f.probeImage, "probe-image", kube.ProbeImage(version()), "image of the probe pods (kube)")
	fs.StringSliceVar(&f.target, "target", []string{string(probes.TargetPod), string(probes.TargetService)}, "how probes dial destination pods, each pod-to-pod cell once per target: pod (pod IPs), service (a ClusterIP Service per pod, as applications connect; on the local cluster translated in its node namespace), dns (that Service's name, resolved from the source through the model's kube-dns pod first: the query is traffic under policy too); repeatable or comma-separated")
	fs.StringVar(&f.sctp, "sctp", string(kube.SCTPOff), "probe SCTP cells (kube): off (skip them), on, or auto (on if one SCTP probe between two pods works)")
	fs.StringArrayVar(&f.externalHosts, "external-host", nil, "NAME=IP: a probe server (probe serve --identity NAME) pods reach at IP, standing in for scenario external hosts at that address (kube; repeatable); none: no external hosts at all, not even a kind cluster's own (their cells are skipped)")
	fs.DurationVar(&f.readyTimeout, "ready-timeout", kube.DefaultReadyTimeout, "how long probe pods may take to become ready (kube)")
	fs.BoolVar(&f.behaviour, "behaviour", behaviour, "after the scenarios, measure what the API leaves to the CNI with probes of its own: established connections under a new deny, and (with the enforcer's pods known) a restart of the enforcer (kube, kind)")
	fs.StringVar(&f.enforcerPods, "enforcer-pods", "", "NAMESPACE/SELECTOR of the enforcer's pods, e.g. kube-system/k8s-app=cilium: --behaviour deletes those on two nodes to see whether policies hold while they restart (kube; found on kind clusters netpolcheck made)")
}

// targets reads --target: each target once, in the order given.
func (f *kubeFlags) targets() ([]probes.Target, error) {
	if len(f.target) == 0 {
		return nil, badInput("--target: give at least one of pod, service")
	}
	targets, err := probes.ParseTargets(f.target)
	if err != nil {
		return nil, badInput("--target %v", err)
	}
	return targets, nil
}

// targetList is the targets as results record them: "pod,service".
func (f *kubeFlags) targetList() string {
	targets, _ := f.targets() // validated when the backend was made
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = string(t)
	}
	return strings.Join(names, ",")
}

// noExternalHosts is --external-host none: a kind cluster's hosts are not
// used either. Scenarios sharing a host address run one at a time on kind, so
// this trades those cells for time (the kind e2e's ClusterNetworkPolicy step).
func (f *kubeFlags) noExternalHosts() bool {
	return slices.Contains(f.externalHosts, "none")
}

// kubectlArgs repeat the flags that chose the cluster, for reproduce commands.
func (f *kubeFlags) kubectlArgs() []string {
	var args []string
	if f.kubeconfig != "" {
		args = append(args, "--kubeconfig", f.kubeconfig)
	}
	if f.context != "" {
		args = append(args, "--context", f.context)
	}
	return args
}

// options turn the flags into backend options; probeConcurrency is
// --probe-concurrency, the probes in flight inside each exec.
func (f *kubeFlags) options(probeConcurrency int) (kube.Options, error) {
	opts := kube.Options{
		Sessions:         true,
		ProbeImage:       f.probeImage,
		SCTP:             kube.SCTPMode(f.sctp),
		ReadyTimeout:     f.readyTimeout,
		ProbeConcurrency: probeConcurrency,
		KubectlArgs:      f.kubectlArgs(),
	}
	targets, err := f.targets()
	if err != nil {
		return opts, err
	}
	opts.Targets = targets
	switch opts.SCTP {
	case kube.SCTPOff, kube.SCTPOn, kube.SCTPAuto:
	default:
		return opts, badInput("--sctp %q: not one of off, on, auto", f.sctp)
	}
	if f.readyTimeout <= 0 {
		return opts, badInput("--ready-timeout must be positive")
	}
	if probeConcurrency < 1 {
		return opts, badInput("--probe-concurrency %d: must be at least 1", probeConcurrency)
	}
	if f.enforcerPods != "" {
		pods, err := kube.ParsePodSelection(f.enforcerPods)
		if err != nil {
			return opts, badInput("--enforcer-pods: %v", err)
		}
		opts.EnforcerPods = &pods
	}
	if f.noExternalHosts() {
		if len(f.externalHosts) > 1 {
			return opts, badInput("--external-host none means no external hosts; it cannot go with others")
		}
		return opts, nil
	}
	for _, h := range f.externalHosts {
		host, err := kube.ParseStaticHost(h)
		if err != nil {
			return opts, badInput("--external-host: %v", err)
		}
		opts.StaticHosts = append(opts.StaticHosts, host)
	}
	return opts, nil
}

// backend connects to the cluster and makes the kube backend.
func (f *kubeFlags) backend(ctx context.Context, probeConcurrency int, log io.Writer) (*kube.Backend, error) {
	opts, err := f.options(probeConcurrency)
	if err != nil {
		return nil, err
	}
	cfg, err := kube.LoadConfig(f.kubeconfig, f.context)
	if err != nil {
		return nil, badInput("%v", err)
	}
	return backends.Kube(ctx, cfg, opts, func(client kubernetes.Interface, opts *kube.Options) error {
		if len(opts.StaticHosts) > 0 {
			return nil
		}
		if c := netpolcheckKindCluster(ctx, client, opts.ProbeImage); c != nil {
			hosts := "its external hosts serve the external-host cells"
			if f.noExternalHosts() {
				hosts = "its external hosts are not used (--external-host none)"
			} else {
				opts.ExternalHosts = c.ExternalHosts()
			}
			// Results then name the enforcer certified, as run --cluster kind's do.
			var err error
			if f.kindEnforcer, err = c.RunningEnforcer(ctx); err != nil {
				return err
			}
			if opts.EnforcerPods == nil {
				if opts.EnforcerPods, err = c.EnforcerPods(ctx); err != nil {
					return err
				}
			}
			if log != nil {
				fmt.Fprintf(log, "kind cluster %s was made by netpolcheck (enforcer %s): %s\n", c.Name(), f.kindEnforcer, hosts)
			}
		}
		return nil
	})
}

// kubeOnly are the flags that mean nothing to other clusters.
var kubeOnly = []string{"kubeconfig", "context", "probe-image", "target", "sctp", "external-host", "ready-timeout", "behaviour", "enforcer-pods"}

// refuseKubeFlags rejects kube flags given for another cluster, rather than
// silently ignore them; --target means something to every cluster.
func (f *kubeFlags) refuseKubeFlags(cluster string) error {
	for _, name := range kubeOnly {
		if name == "target" {
			continue
		}
		if f.flags.Changed(name) {
			return badInput("--%s applies to --cluster kube, not %s", name, cluster)
		}
	}
	return nil
}

// netpolcheckKindCluster finds out whether the cluster is a kind cluster
// that netpolcheck made (kind up): its control plane node is named
// NAME-control-plane and docker has kind cluster NAME on netpolcheck's own
// network. Then its external hosts are the kind backend's, as run --cluster
// kind has them, and no external-host cell is skipped. Otherwise (any other
// cluster, no docker) it returns nil and the cells are skipped.
func netpolcheckKindCluster(ctx context.Context, client kubernetes.Interface, probeImage string) *kind.Cluster {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
	if err != nil || len(nodes.Items) != 1 {
		return nil
	}
	name, ok := strings.CutSuffix(nodes.Items[0].Name, "-control-plane")
	if !ok {
		return nil
	}
	if _, err := osexec.LookPath("docker"); err != nil {
		return nil
	}
	p := kind.NewProvider(kind.WithProbeImage(probeImage))
	if exists, err := p.Exists(name); err != nil || !exists {
		return nil
	}
	c, err := p.Get(ctx, name)
	if err != nil {
		// A kind cluster, but not on netpolcheck's network: not ours.
		return nil
	}
	return c
}
