package local

import (
	"context"
	"fmt"

	"github.com/netpolcheck/netpolcheck/probes"
)

// Probe runs each job from inside its source's namespace, at most
// Options.Concurrency at a time, and returns the results in the jobs' order.
// A job whose source is neither a pod nor an external host of the cluster
// gets an Error result.
func (c *Cluster) Probe(ctx context.Context, jobs []probes.Job) ([]probes.Result, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.phase != phaseReady {
		return nil, fmt.Errorf("probe local cluster %s: not set up", c.scenario)
	}
	return probes.RunBatch(ctx, jobs, c.b.opts.Concurrency, c.probeOne), nil
}

// probeOne runs a job on a thread inside the source's namespace, so that the
// probe's socket is created there and routed by the source's routes.
func (c *Cluster) probeOne(ctx context.Context, job probes.Job) probes.Result {
	ep, ok := c.endpoints[job.From]
	if !ok {
		return probes.Result{Job: job, Outcome: probes.Error, Detail: fmt.Sprintf("unknown source %q", job.From)}
	}
	var res probes.Result
	err := inNetns(ep.ns, func() error {
		res = probes.Run(ctx, job)
		return nil
	})
	if err != nil {
		return probes.Result{Job: job, Outcome: probes.Error, Detail: fmt.Sprintf("enter netns of %s: %v", job.From, err)}
	}
	return res
}
