package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/netpolcheck/netpolcheck/probes"
)

// waitAnswers waits until every new pod answers by its IP, and every node
// that runs a probe pod of this cluster forwards each new Service. One probe
// pod per node dials, by pod IP, the new pods of its node (itself too), and
// every Service's ClusterIP until all answer.
//
// The pods have no startup probe (createPod), so this is what says their
// servers listen. An EndpointSlice listing a pod as ready says only that the
// API knows; kube-proxy programs each node a moment later, and until then a
// ClusterIP is refused (kube-proxy's rule for a Service without endpoints)
// or unanswered. A cell probed then would read as blocked by policy: on a
// cluster without enforcer, CI saw 15 cells of one step refused so, which is
// how a CNI that fails to block Service traffic could pass a step. Setup
// runs before any policy, so every dial must answer.
func (c *Cluster) waitAnswers(ctx context.Context, created []*livePod) error {
	sources := onePerNode(c.pods)
	pending := map[answerKey]probes.Job{}
	for _, src := range sources {
		for _, dst := range created {
			if dst.node == src.node && dst.ip != "" {
				pending[answerKey{src.id, dst.id, probes.TargetPod}] = probes.Job{
					From: src.id, To: dst.id, Host: dst.ip, Port: dst.serves.Port,
					Protocol: string(dst.serves.Protocol), Expect: dst.id, Timeout: probes.DefaultTimeout,
				}
			}
			if dst.serviceIP == "" || dst.answer == nil || dst == src {
				// Hairpin through its own Service is the network's
				// choice (kind's none cluster drops it), not forwarding.
				continue
			}
			pending[answerKey{src.id, dst.id, probes.TargetService}] = probes.Job{
				From: src.id, To: dst.id, Host: dst.serviceIP, Port: dst.answer.Port,
				Protocol: string(dst.answer.Protocol), Expect: dst.id, Timeout: probes.DefaultTimeout,
			}
		}
	}
	deadline := time.Now().Add(c.b.opts.ReadyTimeout)
	last := map[answerKey]string{}
	for len(pending) > 0 {
		// The nodes are asked at once: each batch waits out a probe timeout
		// for every Service its node does not forward yet.
		type batch struct {
			keys    []answerKey
			jobs    []probes.Job
			results []probes.Result
			err     error
		}
		batches := make([]batch, len(sources))
		var wg sync.WaitGroup
		for i, src := range sources {
			b := &batches[i]
			for key, job := range pending {
				if key.from == src.id {
					b.keys = append(b.keys, key)
					b.jobs = append(b.jobs, job)
				}
			}
			if len(b.jobs) > 0 {
				wg.Go(func() { b.results, b.err = c.execBatch(ctx, src, b.jobs) })
			}
		}
		wg.Wait()
		for i, b := range batches {
			if b.err != nil {
				return fmt.Errorf("check that the pods on node %s answer and it forwards the Services: %w", sources[i].node, b.err)
			}
			for k, r := range b.results {
				if r.Outcome == probes.Allowed {
					delete(pending, b.keys[k])
				} else {
					last[b.keys[k]] = fmt.Sprintf("%s (%s)", r.Outcome, r.Detail)
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
			return fmt.Errorf("check that every pod answers and every node forwards the Services: %w", ctx.Err())
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// onePerNode picks a probe pod on each node, the first by identity.
func onePerNode(pods map[string]*livePod) []*livePod {
	seen := map[string]bool{}
	var out []*livePod
	for _, lp := range sortedPods(pods) {
		if lp.node != "" && lp.ip != "" && !seen[lp.node] {
			seen[lp.node] = true
			out = append(out, lp)
		}
	}
	return out
}

// answerKey is one dial of waitAnswers: from a source pod to a new pod, by
// its IP or through its Service.
type answerKey struct {
	from, to string
	via      probes.Target
}

// notForwarded names the pods that do not answer and the Services some node
// still does not forward.
func (c *Cluster) notForwarded(pending map[answerKey]probes.Job, last map[answerKey]string) error {
	var silent, unforwarded []string
	for key, job := range pending {
		src := c.pods[key.from]
		line := fmt.Sprintf("%s (%s:%d) from node %s: %s", job.To, job.Host, job.Port, src.node, last[key])
		if key.via == probes.TargetPod {
			silent = append(silent, line)
		} else {
			unforwarded = append(unforwarded, line)
		}
	}
	slices.Sort(silent)
	slices.Sort(unforwarded)
	var parts []string
	if len(silent) > 0 {
		parts = append(parts, fmt.Sprintf("probe pods running but not answering on their own node after %s (no policy is in force yet): %s",
			c.b.opts.ReadyTimeout, strings.Join(silent, "; ")))
	}
	if len(unforwarded) > 0 {
		parts = append(parts, fmt.Sprintf("not every node forwards the Services after %s (kube-proxy or its replacement has not programmed them; no policy is in force yet): %s",
			c.b.opts.ReadyTimeout, strings.Join(unforwarded, "; ")))
	}
	return errors.New(strings.Join(parts, "; "))
}

// triesPerNode bounds the sources waitNewServiceAnswers tries on one node
// when policies block them from the new pod.
const triesPerNode = 3

// waitNewServiceAnswers is waitAnswers for a pod added after policies
// may be in force, so a dial that fails may be the policy's doing. From a
// probe pod on each node it dials the new pod's Service and its pod IP on
// the same port. The Service answering settles the node. The pod IP
// answering while the Service does not means the node does not forward it
// yet: wait. Neither answering means policy blocks that source, so another
// pod of the node is tried; a node where every try is blocked cannot tell,
// and is left to the probes (the cells of a pod policy blocks from all of
// them are expected blocked either way).
func (c *Cluster) waitNewServiceAnswers(ctx context.Context, added *livePod) error {
	if added.serviceIP == "" || added.answer == nil {
		return nil
	}
	byNode := map[string][]*livePod{}
	var nodes []string
	for _, lp := range sortedPods(c.pods) {
		if lp == added || lp.node == "" || lp.ip == "" || len(byNode[lp.node]) == triesPerNode {
			continue
		}
		if byNode[lp.node] == nil {
			nodes = append(nodes, lp.node)
		}
		byNode[lp.node] = append(byNode[lp.node], lp)
	}
	job := func(src *livePod, host string) probes.Job {
		return probes.Job{From: src.id, To: added.id, Host: host, Port: added.answer.Port,
			Protocol: string(added.answer.Protocol), Expect: added.id, Timeout: probes.DefaultTimeout}
	}
	deadline := time.Now().Add(c.b.opts.ReadyTimeout)
	last := map[string]string{}
	for len(nodes) > 0 {
		var waiting []string
		for _, node := range nodes {
			src := byNode[node][0]
			results, err := c.execBatch(ctx, src, []probes.Job{job(src, added.serviceIP), job(src, added.ip)})
			if err != nil {
				return fmt.Errorf("check that node %s forwards the Service of %s: %w", node, added.id, err)
			}
			service, pod := results[0], results[1]
			switch {
			case service.Outcome == probes.Allowed:
			case pod.Outcome == probes.Allowed:
				last[node] = fmt.Sprintf("from %s the pod IP answers, the Service %s:%d does not: %s (%s)", src.id, added.serviceIP, added.answer.Port, service.Outcome, service.Detail)
				waiting = append(waiting, node)
			case len(byNode[node]) > 1:
				byNode[node] = byNode[node][1:]
				waiting = append(waiting, node)
			}
		}
		nodes = waiting
		if len(nodes) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var lines []string
			for _, node := range nodes {
				lines = append(lines, "node "+node+": "+cmp.Or(last[node], "no source could tell"))
			}
			return fmt.Errorf("the Service of %s is not forwarded everywhere after %s (kube-proxy or its replacement has not programmed it): %s",
				added.id, c.b.opts.ReadyTimeout, strings.Join(lines, "; "))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("check that every node forwards the Service of %s: %w", added.id, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// sortedPods are the pods by identity.
func sortedPods(pods map[string]*livePod) []*livePod {
	all := make([]*livePod, 0, len(pods))
	for _, lp := range pods {
		all = append(all, lp)
	}
	slices.SortFunc(all, func(a, b *livePod) int { return cmp.Compare(a.id, b.id) })
	return all
}
