package local

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

// Probe runs each job from inside its source's namespace, at most
// Options.Concurrency in flight at a time, and returns the results in the
// jobs' order. A job whose source is neither a pod nor an external host of
// the cluster gets an Error result.
//
// Only socket creation needs the source's namespace: a thread enters it once
// per source to start that source's probes, and the waiting happens on
// ordinary goroutines, so no OS thread stays locked while probes time out.
func (c *Cluster) Probe(ctx context.Context, jobs []probes.Job) ([]probes.Result, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.phase != phaseReady {
		return nil, fmt.Errorf("probe local cluster %s: not set up", c.scenario)
	}
	results := make([]probes.Result, len(jobs))
	// Jobs from unknown sources are answered here, so that their detail
	// names the source plainly; the others go to the batch.
	var known []probes.Job
	var at []int
	for i, job := range jobs {
		if _, ok := c.endpoints[job.From]; !ok {
			results[i] = probes.Result{Job: job, Outcome: probes.Error, Detail: fmt.Sprintf("unknown source %q", job.From)}
			continue
		}
		sent, skip := c.serviceJob(job)
		if skip != "" {
			results[i] = probes.Result{Job: job, Outcome: probes.Skipped, Detail: skip}
			continue
		}
		known = append(known, sent)
		at = append(at, i)
	}
	// Probes by DNS name resolve first, from their sources.
	known, at = c.resolveNames(ctx, known, at, results)
	for k, r := range probes.RunBatchIn(ctx, known, c.b.opts.Concurrency, c.enterSource, c.dropWatch()) {
		r.Job = jobs[at[k]] // the runner's job, whatever address was dialled
		results[at[k]] = r
	}
	return results, nil
}

// enterSource runs start on a thread inside the namespace of the endpoint
// named from, so that the sockets start creates are routed by its routes.
func (c *Cluster) enterSource(from string, start func()) error {
	ep, ok := c.endpoints[from]
	if !ok {
		return fmt.Errorf("unknown source %q", from)
	}
	return inNetns(ep.ns, func() error {
		start()
		return nil
	})
}

// dropWatch lets probes the enforcer drops end as soon as it logs the drop,
// when it can tell (a DropWatcher); nil otherwise. A probe dialled through
// a Service is watched at its destination pod's address, which is what the
// enforcer sees once the node has translated it.
func (c *Cluster) dropWatch() probes.DropWatch {
	w, ok := c.enforcer.(DropWatcher)
	if !ok {
		return nil
	}
	return func(job probes.Job, from netip.AddrPort, started time.Duration, dropped func()) func() {
		ep, known := c.endpoints[job.To]
		if !known || job.Port <= 0 || job.Port > 65535 {
			return func() {} // nothing to match its drops by: it waits out its timeout
		}
		to, ok := netip.AddrFromSlice(ep.ip.To4())
		if !ok {
			return func() {}
		}
		f := Flow{Source: from, Destination: netip.AddrPortFrom(to, uint16(job.Port)), Protocol: job.Protocol, Started: started}
		return w.WatchDrop(f, dropped)
	}
}
