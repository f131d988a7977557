package local

import (
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// DefaultProbeTimeout is the local cluster's probe timeout. A connection
// between namespaces of this host answers within milliseconds, while every
// blocked cell waits the whole timeout, so a short one makes runs faster. It
// is safe: the runner probes again any cell that looks blocked but should be
// allowed, and with the reference enforcer a blocked probe only counts when
// the enforcer logged its drop.
const DefaultProbeTimeout = 250 * time.Millisecond

// DefaultConverge bounds how long a local step may take to match.
const DefaultConverge = 10 * time.Second

// DefaultConcurrency bounds how many probes are in flight at once when
// Options leaves it zero. A probe holds no thread while it waits (see
// Probe), so this bounds open sockets only, and a round takes about
// ceil(blocked jobs / concurrency) probe timeouts. The rounds of the
// generated profiles are 468 jobs (9 pods and 2 external hosts give 117
// source and destination pairs, × 2 ports × TCP and UDP): 512 starts such a
// round in one wave, so that it takes about one timeout. With --parallel 8
// that is at most 4,096 probe sockets; Go lifts the soft open-file limit to
// the hard one at start, and common hard limits are far higher.
const DefaultConcurrency = 512

// Options configure a Backend. The zero value is ready to use.
type Options struct {
	// Enforcer, when set, starts a policy enforcer for each cluster; without
	// one every probe is allowed, which is what an empty cluster would do.
	Enforcer EnforcerFactory
	// Concurrency bounds concurrent probes per Probe call; DefaultConcurrency when zero.
	Concurrency int
	// RunID names this run's namespaces (npc-<run>-...); six random hex
	// characters when empty. It must be 1 to 12 lower-case letters or digits,
	// because Clean reads it back from namespace names up to the first dash.
	RunID string
	// PodCIDR is routed to the node from every pod and external host;
	// scenarios.DefaultPodCIDR when empty. Pods outside it get a /32 route each.
	PodCIDR string
	// Targets are how probes dial a destination pod, each pod-to-pod cell
	// once per target; by pod IP alone when empty. With
	// probes.TargetService every pod gets a ClusterIP in ServiceCIDR,
	// translated to the pod in the node namespace as kube-proxy does.
	Targets []probes.Target
}

// services tells whether pods get ClusterIPs.
func (o Options) services() bool {
	return slices.Contains(o.Targets, probes.TargetService) || slices.Contains(o.Targets, probes.TargetDNS)
}

// withDefaults fills the zero fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.Concurrency < 0 {
		return o, fmt.Errorf("concurrency %d is negative", o.Concurrency)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if len(o.Targets) == 0 {
		o.Targets = []probes.Target{probes.TargetPod}
	}
	if err := probes.CheckTargets(o.Targets); err != nil {
		return o, fmt.Errorf("target %w", err)
	}
	if o.PodCIDR == "" {
		o.PodCIDR = scenarios.DefaultPodCIDR
	}
	if _, err := parsePodCIDR(o.PodCIDR); err != nil {
		return o, err
	}
	if o.RunID != "" {
		if err := clusters.ValidateRunID(o.RunID); err != nil {
			return o, err
		}
	}
	return o, nil
}

// parsePodCIDR accepts an IPv4 prefix only: the gateway and routes are IPv4.
func parsePodCIDR(s string) (*net.IPNet, error) {
	ip, cidr, err := net.ParseCIDR(s)
	if err != nil {
		return nil, fmt.Errorf("pod CIDR: %w", err)
	}
	if ip.To4() == nil {
		return nil, fmt.Errorf("pod CIDR %s is not IPv4", s)
	}
	if ones, _ := cidr.Mask.Size(); ones == 0 {
		// A /0 would be a default route, which could lead a probe off the machine.
		return nil, fmt.Errorf("pod CIDR %s would be a default route", s)
	}
	return cidr, nil
}
