package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
)

// Name is the backend's name as --cluster spells it.
const Name = "local"

// Backend makes clusters out of network namespaces on this host. Every
// namespace it creates is named npc-<run>-..., and the run is registered in
// /run/netpolcheck/<run>.json until Close, so that Clean can remove what a
// crashed run left.
type Backend struct {
	opts     Options
	paths    paths
	runID    string
	registry *registry
	caps     clusters.Capabilities
	podCIDR  *net.IPNet

	// clusters are the clusters made and not yet torn down.
	clusters clusters.LiveSet[*Cluster]
}

var _ clusters.Backend = (*Backend)(nil)

// New registers a run and returns its backend. It needs root: it writes
// under /run and creates network namespaces.
func New(opts Options) (*Backend, error) {
	return newBackend(opts, hostPaths)
}

func newBackend(opts Options, p paths) (*Backend, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	podCIDR, err := parsePodCIDR(opts.PodCIDR)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	reg, run, err := claimRun(p, opts.RunID)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	sctp, reason := probes.SCTPAvailable()
	return &Backend{
		opts:     opts,
		paths:    p,
		runID:    run,
		registry: reg,
		podCIDR:  podCIDR,
		caps: clusters.Capabilities{SCTP: sctp, SCTPReason: reason, ExternalHosts: true, ClusterNetworkPolicy: true, ClusterNetworkPolicyExperimental: true,
			AdminNetworkPolicy: true, AdminNetworkPolicyExperimental: true, Targets: opts.Targets},
	}, nil
}

// errRunTaken says a run ID already has a registration or namespaces.
var errRunTaken = errors.New("run ID is taken")

// claimRun registers the given run ID, or a fresh random one when it is empty.
func claimRun(p paths, run string) (*registry, string, error) {
	if run != "" {
		reg, err := claimID(p, run)
		return reg, run, err
	}
	// Six hex characters give 16 million IDs; a few tries step over the rare taken one.
	for range 8 {
		id, err := clusters.RandomRunID()
		if err != nil {
			return nil, "", err
		}
		reg, err := claimID(p, id)
		if errors.Is(err, errRunTaken) {
			continue
		}
		return reg, id, err
	}
	return nil, "", fmt.Errorf("no free run ID after 8 tries")
}

// claimID registers run unless it is registered or has namespaces left over.
func claimID(p paths, run string) (*registry, error) {
	left, err := filepath.Glob(p.netns(namePrefix + run + "-*"))
	if err != nil {
		return nil, fmt.Errorf("claim run %s: %w", run, err)
	}
	if len(left) > 0 {
		return nil, fmt.Errorf("claim run %s: %w: %d namespaces left over (netpolcheck clean removes them)", run, errRunTaken, len(left))
	}
	reg, err := register(p, run)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("claim run %s: %w: already registered", run, errRunTaken)
	}
	return reg, err
}

// Name returns "local".
func (b *Backend) Name() string { return Name }

// RunID returns the run's ID, the <run> in every namespace name.
func (b *Backend) RunID() string { return b.runID }

// Capabilities reports SCTP as the kernel allows, and external hosts and
// ClusterNetworkPolicy as always available: the reference enforcer
// enforces cluster policies, and without an enforcer nothing is enforced
// whatever the kind.
func (b *Backend) Capabilities() clusters.Capabilities { return b.caps }

// Defaults are the local cluster's: packets cross one host's namespaces, so
// a probe times out after DefaultProbeTimeout, and the reference enforcer
// confirms each step, so convergence rarely takes a second round.
func (b *Backend) Defaults() clusters.Defaults {
	return clusters.Defaults{ProbeTimeout: DefaultProbeTimeout, Converge: DefaultConverge}
}

// NewCluster prepares an empty cluster with its own node namespace, so that
// clusters never see each other, even with the same pod addresses.
func (b *Backend) NewCluster(ctx context.Context, scenario string) (clusters.Cluster, error) {
	c, err := b.clusters.Add(func(n int) (*Cluster, error) { return b.newCluster(scenario, n), nil })
	if err != nil {
		return nil, fmt.Errorf("new local cluster %s: %w", scenario, err)
	}
	return c, nil
}

// newCluster is cluster n of the run, with nothing in it yet.
func (b *Backend) newCluster(scenario string, n int) *Cluster {
	prefix := clusterPrefix(b.runID, n)
	serveCtx, stop := context.WithCancel(context.Background())
	c := &Cluster{
		b:         b,
		scenario:  scenario,
		prefix:    prefix,
		node:      &Node{Name: prefix + "-node", Path: b.paths.netns(prefix + "-node"), PinDir: b.paths.clusterPinDir(b.runID, n)},
		podCIDR:   b.podCIDR,
		endpoints: map[string]*endpoint{},
		serveCtx:  serveCtx,
		stopServe: stop,
	}
	if b.opts.services() {
		c.services = newServices()
	}
	return c
}

// forget drops a torn-down cluster from the live set.
func (b *Backend) forget(c *Cluster) { b.clusters.Forget(c) }

// Close tears down every cluster still alive, removes the run's BPF pin
// directory and unregisters the run. It goes on past errors and returns them
// all; a second call does nothing.
func (b *Backend) Close(ctx context.Context) error {
	live, first := b.clusters.Close()
	if !first {
		return nil
	}
	var errs []error
	for _, c := range live {
		errs = append(errs, c.Teardown(ctx))
	}
	if err := os.RemoveAll(b.paths.pinDir(b.runID)); err != nil {
		errs = append(errs, fmt.Errorf("remove BPF pins: %w", err))
	}
	errs = append(errs, b.registry.unregister())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close local backend %s: %w", b.runID, err)
	}
	return nil
}
