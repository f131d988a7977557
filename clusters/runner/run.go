package runner

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/clusters/behaviour"
	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Run runs every scenario, at most opts.Parallel at once, in the order
// schedule gives, and returns their results in the scenarios' order. A scenario that fails or errors is
// recorded in the results; Run itself does not fail.
func Run(ctx context.Context, scns []*scenarios.Scenario, opts Options) *reports.Results {
	opts = opts.withDefaults()
	res := &reports.Results{Mode: "simulate", Started: time.Now().UTC(), Scenarios: make([]reports.ScenarioResult, len(scns))}
	if opts.Backend != nil {
		res.Mode = "run"
		res.Cluster = opts.Backend.Name()
	}
	progress := newProgress(opts.Progress, len(scns))
	keepPassing := opts.keepPassingCells(scns)
	var pool *clusterPool
	plans := make([]modelPlan, len(scns))
	if opts.Backend != nil && !opts.FreshClusters {
		pool = newClusterPool(2 * opts.Parallel)
		caps := opts.Backend.Capabilities()
		plans = planModels(scns, func(s *scenarios.Scenario, w *scenarios.World) bool { return parkable(caps, s, w) }, caps.ExternalHostsExclusive)
		for _, p := range plans {
			pool.expect(p.key)
		}
	}
	exclusiveHosts := opts.Backend != nil && opts.Backend.Capabilities().ExternalHostsExclusive
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	var closing teardowns
	for _, unit := range schedule(scns, plans, exclusiveHosts) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, i := range unit {
				if ctx.Err() != nil {
					// Interrupted: what never started is reported as not run, not as errored.
					res.Scenarios[i] = notRun(scns[i], "not run: the run was interrupted before it started")
					continue
				}
				res.Scenarios[i] = runScenario(ctx, scns[i], opts, keepPassing, progress, pool, plans[i].served, closing.later(i))
				progress.scenarioDone(res.Scenarios[i])
			}
		})
	}
	wg.Wait()
	closing.wait(res.Scenarios)
	if pool != nil {
		if err := teardownAll(ctx, pool.drain()); err != nil {
			// No scenario owns these clusters any more; say it where the run is watched.
			fmt.Fprintf(opts.Progress, "error: %v\n", err)
		}
	}
	if opts.Behaviour && opts.Backend != nil && ctx.Err() == nil {
		// After the scenarios, so that deleting the enforcer's pods
		// disturbs none of them.
		res.Probed = behaviour.Measure(ctx, opts.Backend, behaviour.Options{
			ProbeTimeout: opts.ProbeTimeout, Converge: opts.Converge, Restart: behaviourRestartBound, Progress: opts.Progress,
		})
	}
	res.Duration = reports.Seconds(time.Since(res.Started).Seconds())
	progress.summary(res)
	return res
}

// behaviourRestartBound bounds waiting for the enforcer's pods to come back
// in the behaviour probes; a DaemonSet replaces a pod in seconds.
const behaviourRestartBound = 2 * time.Minute

// ExitCode is the process exit code for results: 0 when every scenario passed
// or was skipped, 1 when an expectation failed or a scenario errored.
func ExitCode(r *reports.Results) int {
	for _, s := range r.Scenarios {
		if s.Status == reports.Fail || s.Status == reports.Error {
			return 1
		}
	}
	return 0
}

// teardowns are the scenarios' cluster teardowns that run in the background
// while their lanes go on; wait puts each one's time and error into its
// scenario's result.
type teardowns struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	finished []teardownDone
}

type teardownDone struct {
	scenario int
	took     reports.Seconds
	err      error
}

// later returns the function runScenario hands scenario i's teardown to.
func (t *teardowns) later(i int) func(func() error) {
	return func(teardown func() error) {
		t.wg.Go(func() {
			began := time.Now()
			err := teardown()
			t.mu.Lock()
			defer t.mu.Unlock()
			t.finished = append(t.finished, teardownDone{scenario: i, took: since(began), err: err})
		})
	}
}

func (t *teardowns) wait(results []reports.ScenarioResult) {
	t.wg.Wait()
	for _, d := range t.finished {
		r := &results[d.scenario]
		r.Teardown = d.took
		if d.err != nil && r.Error == "" {
			r.Status, r.Error = reports.Error, d.err.Error()
		}
	}
}

// runScenario runs one scenario and hands its cluster's teardown to later.
func runScenario(ctx context.Context, s *scenarios.Scenario, opts Options, keepPassing bool, progress *progress, pool *clusterPool, served *sharedModel, later func(func() error)) (res reports.ScenarioResult) {
	began := time.Now()
	res = reports.ScenarioResult{
		Name: s.Name, Description: s.Description, Source: s.Source, Seed: s.Seed,
		Tags: withTargets(s.Tags, opts.Backend), File: s.File, Status: reports.Pass,
	}
	defer func() { res.Duration = reports.Seconds(time.Since(began).Seconds()) }()
	if opts.Backend != nil {
		if reason := opts.Backend.Capabilities().ClusterPolicySkip(s); reason != "" {
			return notRun(s, reason)
		}
	}

	setupBegan := time.Now()
	sc, err := start(ctx, s, opts, keepPassing, progress, pool, served)
	if opts.Backend != nil {
		res.Setup = reports.Seconds(time.Since(setupBegan).Seconds())
	}
	if err != nil {
		res.Status, res.Error = reports.Error, err.Error()
		return res
	}
	defer func() {
		finish, freesHosts := sc.detach(ctx)
		switch {
		case finish == nil:
			return
		case !freesHosts:
			later(finish)
			return
		}
		closing := time.Now()
		if err := finish(); err != nil && res.Error == "" {
			res.Status, res.Error = reports.Error, err.Error()
		}
		res.Teardown = since(closing)
	}()
	skipped := 0
	for i := range s.Steps {
		step, err := sc.Step(ctx, i)
		res.Steps = append(res.Steps, step)
		res.Status = worse(res.Status, step.Status)
		if step.Status == reports.Skipped {
			skipped++
		}
		if err != nil {
			// Later steps would start from an unknown state.
			res.Error = err.Error()
			return res
		}
		if ctx.Err() != nil {
			res.Status, res.Error = reports.Error, ctx.Err().Error()
			return res
		}
	}
	sc.complete = true
	if skipped == len(s.Steps) && len(s.Steps) > 0 {
		res.Status = reports.Skipped
	}
	return res
}

// worse orders statuses by how much attention they need.
func worse(a, b reports.Status) reports.Status {
	rank := map[reports.Status]int{reports.Skipped: 0, reports.Pass: 1, reports.Error: 2, reports.Fail: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// withTargets adds a "target=" dimension tag per target to the tags of a
// run that dials pods more than one way, so that the dimension table shows a
// CNI that breaks only traffic through Services.
func withTargets(tags []string, b clusters.Backend) []string {
	if b == nil || len(b.Capabilities().ProbeTargets()) < 2 {
		return tags
	}
	out := slices.Clone(tags)
	for _, t := range b.Capabilities().ProbeTargets() {
		out = append(out, reports.TargetDimension+"="+string(t))
	}
	return out
}

// notRun is the result of a scenario that was never started.
func notRun(s *scenarios.Scenario, reason string) reports.ScenarioResult {
	return reports.ScenarioResult{
		Name: s.Name, Description: s.Description, Source: s.Source, Seed: s.Seed,
		Tags: s.Tags, File: s.File, Status: reports.Skipped, Error: reason,
	}
}
