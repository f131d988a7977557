package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/netpolcheck/netpolcheck/clusters"
)

// restartPoll is how often RestartEnforcer looks for the replacements.
const restartPoll = 250 * time.Millisecond

// RestartEnforcer deletes the pods of Options.EnforcerPods on the nodes of
// the named probe pods, with their normal grace period, as a rolling update
// or a node drain would, and reports when their replacements are Ready.
func (c *Cluster) RestartEnforcer(ctx context.Context, near []string) (<-chan error, error) {
	sel := c.b.opts.EnforcerPods
	if sel == nil {
		return nil, errors.New("the enforcer's pods are not known (--enforcer-pods)")
	}
	c.mu.RLock()
	var probePods []*livePod
	for _, id := range near {
		lp, ok := c.pods[id]
		if !ok {
			c.mu.RUnlock()
			return nil, fmt.Errorf("restart enforcer: %s is not a probe pod of this cluster", id)
		}
		probePods = append(probePods, lp)
	}
	c.mu.RUnlock()
	var nodes []string
	for _, lp := range probePods {
		p, err := c.b.client.CoreV1().Pods(lp.namespace).Get(ctx, lp.name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("restart enforcer: node of %s: %w", lp.id, err)
		}
		if p.Spec.NodeName != "" && !slices.Contains(nodes, p.Spec.NodeName) {
			nodes = append(nodes, p.Spec.NodeName)
		}
	}
	list, err := c.b.client.CoreV1().Pods(sel.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.Selector})
	if err != nil {
		return nil, fmt.Errorf("restart enforcer: list %s: %w", sel, err)
	}
	old := map[types.UID]bool{}
	for _, p := range list.Items {
		if !slices.Contains(nodes, p.Spec.NodeName) || p.DeletionTimestamp != nil {
			continue
		}
		if err := c.b.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &p.UID},
		}); err != nil {
			return nil, fmt.Errorf("restart enforcer: delete %s/%s: %w", p.Namespace, p.Name, err)
		}
		old[p.UID] = true
	}
	if len(old) == 0 {
		return nil, fmt.Errorf("restart enforcer: no pod of %s runs on %s", sel, strings.Join(nodes, ", "))
	}
	done := make(chan error, 1)
	go func() { done <- c.waitReplaced(ctx, *sel, nodes, old) }()
	return done, nil
}

// waitReplaced waits until each node runs a Ready enforcer pod that is not
// one of the old ones.
func (c *Cluster) waitReplaced(ctx context.Context, sel PodSelection, nodes []string, old map[types.UID]bool) error {
	tick := time.NewTicker(restartPoll)
	defer tick.Stop()
	for {
		list, err := c.b.client.CoreV1().Pods(sel.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.Selector})
		if err == nil {
			var waiting []string
			for _, node := range nodes {
				if !slices.ContainsFunc(list.Items, func(p corev1.Pod) bool {
					return p.Spec.NodeName == node && !old[p.UID] && p.DeletionTimestamp == nil && podReady(&p)
				}) {
					waiting = append(waiting, node)
				}
			}
			if len(waiting) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("enforcer pods %s not back on every node: %w", sel, ctx.Err())
		case <-tick.C:
		}
	}
}

var _ clusters.EnforcerRestarter = (*Cluster)(nil)
