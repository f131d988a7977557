package runner

import (
	"context"
	"fmt"
	"slices"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// ScenarioRun is one scenario in flight: its state and, unless it is only
// simulated, its cluster. Run drives it step after step; the Ginkgo suite
// drives it one spec per step.
type ScenarioRun struct {
	scenario *scenarios.Scenario
	state    *scenarios.State
	cluster  clusters.Cluster
	caps     clusters.Capabilities
	opts     Options
	progress *progress
	// keepPassing keeps the cells of steps that pass (see Options.Cells).
	keepPassing bool
	// stepIndex is the step being run, for reproduce commands.
	stepIndex int
	// prevShape is the last step's policies and endpoints, which the next
	// step's update, delete and relabel features are measured against.
	prevShape *stepShape
	// pool, when set, takes the cluster at Close if the scenario ran to its
	// end without reshaping its model (modelKey is the key it came under).
	pool     *clusterPool
	modelKey string
	// exclusive: the pool counts this scenario's cluster as in use (see
	// clusterPool.takeExclusive) until Close releases it.
	exclusive bool
	// held is what the cluster holds: the scenario's model, its endpoints
	// perhaps serving more ports (see sharedModel); addrs are its pods'
	// addresses. The cluster is parked with both.
	held     *scenarios.World
	addrs    clusters.Addresses
	complete bool
	// reshaped: a step created or deleted pods or namespaces; removedModel:
	// some of them were the model's (held), which restoreShape cannot undo.
	reshaped, removedModel bool
}

// Start prepares a scenario: its state and, with opts.Backend, a cluster set
// up with the scenario's model. Close it when done.
func Start(ctx context.Context, s *scenarios.Scenario, opts Options) (*ScenarioRun, error) {
	opts = opts.withDefaults()
	return start(ctx, s, opts, opts.keepPassingCells([]*scenarios.Scenario{s}), newProgress(opts.Progress, 1), nil, nil)
}

// parkable tells whether a scenario's cluster may come from, and go back
// to, the run's pool: its initial world has no policies (a reset deletes
// them; Setup would otherwise have to), and the backend runs it.
func parkable(caps clusters.Capabilities, s *scenarios.Scenario, initial *scenarios.World) bool {
	if caps.ClusterPolicySkip(s) != "" {
		return false
	}
	return len(initial.Policies) == 0
}

func start(ctx context.Context, s *scenarios.Scenario, opts Options, keepPassing bool, progress *progress, pool *clusterPool, served *sharedModel) (_ *ScenarioRun, err error) {
	st, err := scenarios.NewState(s)
	if err != nil {
		return nil, err
	}
	sc := &ScenarioRun{scenario: s, state: st, opts: opts, keepPassing: keepPassing, progress: progress}
	if opts.Backend == nil {
		return sc, nil
	}
	sc.caps = opts.Backend.Capabilities()
	initial := st.World()
	setup := initial
	if pool != nil && parkable(sc.caps, s, initial) {
		setup = served.serving(initial)
		sc.pool, sc.modelKey = pool, modelKey(setup)
		var c *parked
		if sc.caps.ExternalHostsExclusive && len(initial.ExternalHosts) > 0 {
			if c, err = pool.takeExclusive(ctx, sc.modelKey); err != nil {
				return nil, fmt.Errorf("wait for the cluster of an earlier scenario with this model: %w", err)
			}
			sc.exclusive = true
			defer func() {
				if err != nil {
					pool.release(sc.modelKey)
				}
			}()
		} else {
			c = pool.take(sc.modelKey)
		}
		pool.started(sc.modelKey)
		if c != nil {
			if err := reuse(ctx, c, initial); err != nil {
				if terr := c.cluster.Teardown(context.WithoutCancel(ctx)); terr != nil {
					err = fmt.Errorf("%w (teardown: %v)", err, terr)
				}
				return nil, fmt.Errorf("reuse the cluster of an earlier scenario with this model: %w", err)
			}
			st.SetAddresses(c.addrs)
			sc.cluster, sc.held, sc.addrs = c.cluster, withLabelsOf(c.world, initial), c.addrs
			return sc, nil
		}
		if sc.caps.ExternalHostsExclusive {
			conflicting := pool.claimHosts(initial)
			defer pool.unclaimHosts(initial)
			if err := teardownAll(ctx, conflicting); err != nil {
				return nil, err
			}
		}
	}
	cl, err := opts.Backend.NewCluster(ctx, s.Name)
	if err != nil {
		return nil, fmt.Errorf("create cluster: %w", err)
	}
	addrs, err := cl.Setup(ctx, setup)
	if err != nil {
		// Teardown must run even when the run is being cancelled.
		if terr := cl.Teardown(context.WithoutCancel(ctx)); terr != nil {
			err = fmt.Errorf("%w (teardown: %v)", err, terr)
		}
		return nil, fmt.Errorf("set up model: %w", err)
	}
	st.SetAddresses(addrs)
	sc.cluster, sc.held, sc.addrs = cl, setup, addrs
	return sc, nil
}

// Step runs step i; steps must run in order. The error says the step could
// not be applied, so later steps must not run; a step that ran and failed is
// only a result.
func (sc *ScenarioRun) Step(ctx context.Context, i int) (reports.StepResult, error) {
	res, applied := sc.runStep(ctx, i)
	if !applied {
		return res, fmt.Errorf("step %q: %s", res.Name, res.Error)
	}
	return res, nil
}

// holds tells whether a RemovePod or RemoveNamespace change removes what
// the cluster was set up with.
func (sc *ScenarioRun) holds(change scenarios.Change) bool {
	if sc.held == nil {
		return false
	}
	if change.Kind == scenarios.RemovePod {
		return slices.ContainsFunc(sc.held.Pods, func(p scenarios.Pod) bool { return p.ID() == change.Pod.ID() })
	}
	return slices.ContainsFunc(sc.held.Namespaces, func(n scenarios.Namespace) bool { return n.Name == change.Namespace.Name })
}

// restoreShape deletes the pods and namespaces that the scenario's steps
// created and left, so that its cluster holds its model again and can be
// parked. Upstream's pod and namespace create-delete cases start first (they
// are the longest), and each threw away a fresh cluster of the model that
// most of the family shares. A scenario that deleted some of the model is
// not restored: making the pods again is most of a set-up.
func (sc *ScenarioRun) restoreShape(ctx context.Context) bool {
	if sc.removedModel || sc.held == nil {
		return false
	}
	inModel := func(ns string) bool {
		return slices.ContainsFunc(sc.held.Namespaces, func(n scenarios.Namespace) bool { return n.Name == ns })
	}
	w := sc.state.World()
	var undo []scenarios.Change
	for i, ns := range w.Namespaces {
		if !inModel(ns.Name) {
			undo = append(undo, scenarios.Change{Kind: scenarios.RemoveNamespace, Namespace: &w.Namespaces[i]})
		}
	}
	for i, p := range w.Pods {
		if inModel(p.Namespace) && !slices.ContainsFunc(sc.held.Pods, func(h scenarios.Pod) bool { return h.ID() == p.ID() }) {
			undo = append(undo, scenarios.Change{Kind: scenarios.RemovePod, Pod: &w.Pods[i]})
		}
	}
	for _, change := range undo {
		if _, err := sc.cluster.Apply(ctx, change); err != nil {
			return false
		}
		if err := sc.state.Commit(change); err != nil {
			return false
		}
	}
	return true
}

// Close tears the scenario's cluster down, also when ctx is cancelled. In a
// run that reuses clusters, a scenario that ran to its end parks its cluster
// for the next scenario with the same model instead.
func (sc *ScenarioRun) Close(ctx context.Context) error {
	finish, _ := sc.detach(ctx)
	if finish == nil {
		return nil
	}
	return finish()
}

// detach parks the scenario's cluster, or takes it from the scenario to be
// torn down, and returns what is left to do: the teardown of that cluster,
// or of the parked ones that parking evicted. Run does it in the background,
// so that the lane starts its next scenario at once (a kind teardown takes
// seconds: deleting pods, Services and namespaces), unless it frees external
// host addresses that belong to one cluster at a time (freesHosts), which
// the lane's next scenario most likely waits for: its chain shares them
// (schedule). With no cluster (a simulation, or one already detached)
// finish is nil.
func (sc *ScenarioRun) detach(ctx context.Context) (finish func() error, freesHosts bool) {
	if sc.cluster == nil {
		return nil, false
	}
	release := func() {}
	if sc.exclusive {
		// After the cluster is parked or gone: a scenario waiting for it
		// then finds it, or sets up its own.
		release = func() { sc.pool.release(sc.modelKey) }
	}
	if sc.pool != nil && sc.complete && ctx.Err() == nil && (!sc.reshaped || sc.restoreShape(ctx)) {
		evicted := sc.pool.park(&parked{cluster: sc.cluster, world: withLabelsOf(sc.held, sc.state.World()), addrs: sc.addrs, key: sc.modelKey})
		sc.cluster = nil
		return func() error {
			defer release()
			return teardownAll(ctx, evicted)
		}, sc.caps.ExternalHostsExclusive && slices.ContainsFunc(evicted, func(c *parked) bool { return len(c.world.ExternalHosts) > 0 })
	}
	cl := sc.cluster
	sc.cluster = nil
	return func() error {
		defer release()
		if err := cl.Teardown(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("teardown: %w", err)
		}
		return nil
	}, sc.caps.ExternalHostsExclusive && (sc.held == nil || len(sc.held.ExternalHosts) > 0)
}
