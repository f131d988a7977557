package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// A scenario's cluster outlives it when the next scenario has the same
// model: the upstream suite likewise keeps its x/y/z pods across tests and
// only removes the policies in between. Setting up a model (namespaces,
// pods, an enforcer attaching to each) costs far more than a step: on kind,
// pods start in seconds. Reusing also tests what a cluster must do anyway,
// forget deleted policies and follow relabelled pods.

// parked is a cluster left by a scenario that ran to its end, with the state
// it was left in: every namespace and pod it holds, with their labels and
// addresses, and the policies in force.
type parked struct {
	cluster clusters.Cluster
	world   *scenarios.World
	addrs   clusters.Addresses
	key     string
}

// clusterPool holds parked clusters, at most limit of them: a run with many
// models would otherwise keep one cluster per model to the end. Run allows
// two per scenario in flight, so that scenarios alternating between two
// models still find theirs.
type clusterPool struct {
	mu       sync.Mutex
	limit    int
	clusters []*parked      // oldest first
	claimed  map[string]int // external host address -> scenarios setting up with it
	// inUse counts, per model key, the clusters holding exclusive external
	// hosts that scenarios are using; changed is closed when one is parked
	// or gone.
	inUse   map[string]int
	changed chan struct{}
	// remaining counts, per model key, the scenarios yet to start; once a
	// run has planned them all (planned), a cluster whose model no scenario
	// awaits is torn down when parked, rather than at the end of the run:
	// namespaces then terminate while the run goes on, not after it.
	remaining map[string]int
	planned   bool
}

func newClusterPool(limit int) *clusterPool {
	return &clusterPool{limit: max(limit, 1), claimed: map[string]int{}, inUse: map[string]int{}, changed: make(chan struct{}), remaining: map[string]int{}}
}

// expect records a scenario of the run that will want a cluster of key ("":
// one that is never parked).
func (p *clusterPool) expect(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.planned = true
	if key != "" {
		p.remaining[key]++
	}
}

// started records that a scenario expected with key has its cluster.
func (p *clusterPool) started(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remaining[key]--
}

// take removes and returns a parked cluster whose model has key, or nil.
func (p *clusterPool) take(key string) *parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.takeLocked(key)
}

func (p *clusterPool) takeLocked(key string) *parked {
	for i, c := range p.clusters {
		if c.key == key {
			p.clusters = slices.Delete(p.clusters, i, i+1)
			return c
		}
	}
	return nil
}

// takeExclusive is take for a model with exclusive external hosts: while
// another scenario uses a cluster of that model, it waits for that cluster
// to be parked rather than set one up, since the new cluster would wait for
// the host addresses anyway. It returns nil when the caller is to set up
// its own. Either way the caller then uses a cluster of key, and must
// release it.
func (p *clusterPool) takeExclusive(ctx context.Context, key string) (*parked, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if c := p.takeLocked(key); c != nil || p.inUse[key] == 0 {
			p.inUse[key]++
			return c, nil
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			p.mu.Lock()
			return nil, ctx.Err()
		case <-changed:
		}
		p.mu.Lock()
	}
}

// release ends a takeExclusive, once its cluster is parked or torn down.
func (p *clusterPool) release(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inUse[key]--; p.inUse[key] <= 0 {
		delete(p.inUse, key)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// claimHosts records that a scenario is about to set up w, and removes and
// returns the parked clusters holding one of w's external host addresses,
// for the caller to tear down. One address answers with one identity, so
// backends give an address to one cluster at a time (kind's external hosts
// are containers): a parked cluster keeping it would make the scenario wait
// for ever. Until unclaimHosts, park refuses clusters holding those
// addresses too, for a scenario already waiting for one.
func (p *clusterPool) claimHosts(w *scenarios.World) []*parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range w.ExternalHosts {
		p.claimed[h.IP]++
	}
	var out []*parked
	p.clusters = slices.DeleteFunc(p.clusters, func(c *parked) bool {
		if p.holdsClaimed(c) {
			out = append(out, c)
			return true
		}
		return false
	})
	return out
}

// unclaimHosts ends a claimHosts once the scenario's setup has returned.
func (p *clusterPool) unclaimHosts(w *scenarios.World) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range w.ExternalHosts {
		if p.claimed[h.IP]--; p.claimed[h.IP] <= 0 {
			delete(p.claimed, h.IP)
		}
	}
}

func (p *clusterPool) holdsClaimed(c *parked) bool {
	for _, h := range c.world.ExternalHosts {
		if p.claimed[h.IP] > 0 {
			return true
		}
	}
	return false
}

// park keeps c and returns the clusters that no longer fit, oldest first,
// for the caller to tear down; c itself when a scenario waits for one of
// its external host addresses, or when no scenario to come has its model.
func (p *clusterPool) park(c *parked) []*parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.holdsClaimed(c) || (p.planned && p.remaining[c.key] <= 0) {
		return []*parked{c}
	}
	p.clusters = append(p.clusters, c)
	var evicted []*parked
	for len(p.clusters) > p.limit {
		evicted = append(evicted, p.clusters[0])
		p.clusters = p.clusters[1:]
	}
	return evicted
}

// drain empties the pool.
func (p *clusterPool) drain() []*parked {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.clusters
	p.clusters = nil
	return out
}

// modelKey identifies what a cluster's setup created: namespaces, pods with
// their ports and planned addresses, and external hosts. Labels and policies
// are left out: a reset changes those.
func modelKey(w *scenarios.World) string { return worldKey(w, true) }

// layoutKey is modelKey without ports.
func layoutKey(w *scenarios.World) string { return worldKey(w, false) }

// podLayoutKey is layoutKey without external hosts.
func podLayoutKey(w *scenarios.World) string {
	return worldKey(&scenarios.World{Namespaces: w.Namespaces, Pods: w.Pods}, false)
}

func worldKey(w *scenarios.World, ports bool) string {
	var b strings.Builder
	endpoint := func(kind, name, ip string, served []scenarios.Port) {
		fmt.Fprintf(&b, "%s %s %s", kind, name, ip)
		for _, port := range served {
			if ports {
				fmt.Fprintf(&b, " %s:%s", port.Name, port)
			}
		}
		b.WriteByte('\n')
	}
	for _, ns := range w.Namespaces {
		fmt.Fprintf(&b, "ns %s\n", ns.Name)
	}
	for _, p := range w.Pods {
		endpoint("pod", p.ID(), p.IP, p.Ports)
	}
	for _, h := range w.ExternalHosts {
		endpoint("host", h.Name, h.IP, h.Ports)
	}
	return b.String()
}

// resetChanges turns a parked cluster's world into a scenario's initial
// one, whose pods and namespaces the cluster holds (perhaps among others):
// every policy and cluster policy deleted, then the labels of the
// scenario's namespaces and pods restored.
func resetChanges(from, to *scenarios.World) []scenarios.Change {
	var changes []scenarios.Change
	for _, p := range from.Policies {
		changes = append(changes, scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: p.Namespace + "/" + p.Name})
	}
	for _, p := range from.ClusterPolicies {
		changes = append(changes, scenarios.Change{Kind: scenarios.DeleteClusterPolicy, PolicyKey: scenarios.ClusterPolicyKey(scenarios.TieredKind(p), p.Name)})
	}
	for i, ns := range to.Namespaces {
		j := slices.IndexFunc(from.Namespaces, func(n scenarios.Namespace) bool { return n.Name == ns.Name })
		if j < 0 || !maps.Equal(ns.Labels, from.Namespaces[j].Labels) {
			changes = append(changes, scenarios.Change{Kind: scenarios.LabelNamespace, Namespace: &to.Namespaces[i]})
		}
	}
	for i, pod := range to.Pods {
		j := slices.IndexFunc(from.Pods, func(p scenarios.Pod) bool { return p.ID() == pod.ID() })
		if j < 0 || !maps.Equal(pod.Labels, from.Pods[j].Labels) {
			changes = append(changes, scenarios.Change{Kind: scenarios.LabelPod, Pod: &to.Pods[i]})
		}
	}
	return changes
}

// reuse resets a parked cluster to w, the initial world of the scenario
// about to run, and waits until its enforcer, if it reports, has the reset
// in force.
func reuse(ctx context.Context, c *parked, w *scenarios.World) error {
	for _, change := range resetChanges(c.world, w) {
		if _, err := c.cluster.Apply(ctx, change); err != nil {
			return fmt.Errorf("reset %s: %w", change.Kind, err)
		}
	}
	if s, ok := c.cluster.(clusters.Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			return fmt.Errorf("reset: wait for enforcement: %w", err)
		}
	}
	return nil
}

// teardownAll tears parked clusters down at once, also when ctx is
// cancelled: a kind namespace takes tens of seconds to go.
func teardownAll(ctx context.Context, cs []*parked) error {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			if err := c.cluster.Teardown(context.WithoutCancel(ctx)); err != nil {
				errs[i] = fmt.Errorf("teardown of a parked cluster: %w", err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
