package kube

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

var _ clusters.HostProber = (*Cluster)(nil)

// ProbeFromHost starts a host-network probe pod on the chosen node, in the
// namespace of near, and runs the jobs in it with one exec. The pod runs
// probe wait, so it binds no port on the node; it goes with its namespace.
// A cluster whose Pod Security forbids host networking refuses the pod,
// and the error says so.
func (c *Cluster) ProbeFromHost(ctx context.Context, jobs []probes.Job, near string, sameNode bool) ([]probes.Result, error) {
	c.mu.RLock()
	lp, ok := c.pods[near]
	c.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("probe from host: %s is not a probe pod of this cluster", near)
	}
	pod, err := c.b.client.CoreV1().Pods(lp.namespace).Get(ctx, lp.name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("probe from host: node of %s: %w", near, err)
	}
	node := pod.Spec.NodeName
	name := "host-same-node"
	if !sameNode {
		if node, err = c.otherNode(ctx, node); err != nil {
			return nil, err
		}
		name = "host-other-node"
	}
	host := c.template.pod(lp.namespace, scenarios.Pod{Namespace: lp.namespace, Name: name})
	host.Annotations = nil
	spec := &host.Spec
	spec.HostNetwork, spec.NodeName = true, node
	// Namespaced net sysctls are refused for pods on the host network.
	spec.SecurityContext.Sysctls = nil
	ctr := &spec.Containers[0]
	ctr.Command = []string{probeBinary, "wait"}
	ctr.Ports, ctr.StartupProbe = nil, nil
	if _, err := c.b.client.CoreV1().Pods(lp.namespace).Create(ctx, host, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("probe from host: create a host-network pod on %s: %w", node, err)
	}
	if err := c.waitRunning(ctx, lp.namespace, name); err != nil {
		return nil, fmt.Errorf("probe from host: %w", err)
	}
	id := "host network of " + node
	return c.execBatch(ctx, &livePod{id: id, namespace: lp.namespace, name: name}, jobs)
}

// otherNode picks a schedulable node other than node.
func (c *Cluster) otherNode(ctx context.Context, node string) (string, error) {
	list, err := c.b.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("probe from host: list nodes: %w", err)
	}
	var names []string
	for _, n := range list.Items {
		if n.Name != node && !n.Spec.Unschedulable && !slices.ContainsFunc(n.Spec.Taints, func(t corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoSchedule }) {
			names = append(names, n.Name)
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("probe from host: no schedulable node besides %s", node)
	}
	slices.Sort(names)
	return names[0], nil
}

// waitRunning waits, within the ready timeout, for the pod to run: it has no
// readiness probe, since its one container does nothing but wait.
func (c *Cluster) waitRunning(ctx context.Context, namespace, name string) error {
	ctx, cancel := context.WithTimeout(ctx, c.b.opts.ReadyTimeout)
	defer cancel()
	for {
		p, err := c.b.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			return nil
		}
		select {
		case <-ctx.Done():
			// The caller's ctx may be done too: describe it with one of its own.
			state := c.describePod(context.WithoutCancel(ctx), &livePod{id: name, namespace: namespace, name: name})
			return fmt.Errorf("host-network pod %s/%s not running after %s: %s", namespace, name, c.b.opts.ReadyTimeout, state)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
