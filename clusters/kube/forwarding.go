package kube

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

// waitServicesAnswer waits until every node that runs a probe pod of this
// cluster forwards each new Service: one probe pod per node dials every
// Service's ClusterIP until all answer. An EndpointSlice listing the pod as
// ready says only that the API knows; kube-proxy programs each node a moment
// later, and until then a ClusterIP is refused (kube-proxy's rule for a
// Service without endpoints) or unanswered. A cell probed then would read as
// blocked by policy: on a cluster without enforcer, CI saw 15 cells of one
// step refused so, which is how a CNI that fails to block Service traffic
// could pass a step. Setup runs before any policy, so every dial must answer.
func (c *Cluster) waitServicesAnswer(ctx context.Context, created []*livePod) error {
	var targets []*livePod
	for _, lp := range created {
		if lp.serviceIP != "" && lp.answer != nil {
			targets = append(targets, lp)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	sources := onePerNode(c.pods)
	pending := map[[2]string]probes.Job{} // (source id, target id)
	for _, src := range sources {
		for _, dst := range targets {
			if dst == src {
				// Hairpin through its own Service is the network's
				// choice (kind's none cluster drops it), not forwarding.
				continue
			}
			pending[[2]string{src.id, dst.id}] = probes.Job{
				From: src.id, To: dst.id, Host: dst.serviceIP, Port: dst.answer.Port,
				Protocol: string(dst.answer.Protocol), Expect: dst.id, Timeout: probes.DefaultTimeout,
			}
		}
	}
	deadline := time.Now().Add(c.b.opts.ReadyTimeout)
	last := map[[2]string]string{}
	for len(pending) > 0 {
		for _, src := range sources {
			var keys [][2]string
			var jobs []probes.Job
			for key, job := range pending {
				if key[0] == src.id {
					keys = append(keys, key)
					jobs = append(jobs, job)
				}
			}
			if len(jobs) == 0 {
				continue
			}
			results, err := c.execBatch(ctx, src, jobs)
			if err != nil {
				return fmt.Errorf("check that node %s forwards the Services: %w", src.node, err)
			}
			for i, r := range results {
				if r.Outcome == probes.Allowed {
					delete(pending, keys[i])
				} else {
					last[keys[i]] = fmt.Sprintf("%s (%s)", r.Outcome, r.Detail)
				}
			}
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return c.notForwarded(pending, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("check that every node forwards the Services: %w", ctx.Err())
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// onePerNode picks a probe pod on each node, the first by identity.
func onePerNode(pods map[string]*livePod) []*livePod {
	all := make([]*livePod, 0, len(pods))
	for _, lp := range pods {
		if lp.node != "" && lp.ip != "" {
			all = append(all, lp)
		}
	}
	slices.SortFunc(all, func(a, b *livePod) int { return cmp.Compare(a.id, b.id) })
	seen := map[string]bool{}
	var out []*livePod
	for _, lp := range all {
		if !seen[lp.node] {
			seen[lp.node] = true
			out = append(out, lp)
		}
	}
	return out
}

// notForwarded names the Services some node still does not forward.
func (c *Cluster) notForwarded(pending map[[2]string]probes.Job, last map[[2]string]string) error {
	var lines []string
	for key, job := range pending {
		src := c.pods[key[0]]
		lines = append(lines, fmt.Sprintf("%s (%s:%d) from node %s: %s", job.To, job.Host, job.Port, src.node, last[key]))
	}
	slices.Sort(lines)
	return fmt.Errorf("not every node forwards the Services after %s (kube-proxy or its replacement has not programmed them; no policy is in force yet): %s",
		c.b.opts.ReadyTimeout, strings.Join(lines, "; "))
}
