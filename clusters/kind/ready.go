package kind

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// pollInterval is how often the waits below ask the API server again.
const pollInterval = time.Second

// waitNodes polls the nodes until done accepts them all or the timeout ends;
// the error then says which nodes were still waited for.
func waitNodes(ctx context.Context, client kubernetes.Interface, want int, timeout time.Duration, what string, done func(corev1.Node) bool) ([]corev1.Node, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pending := []string{"(no nodes listed yet)"}
	for {
		list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err == nil {
			pending = pending[:0]
			for _, n := range list.Items {
				if !done(n) {
					pending = append(pending, n.Name)
				}
			}
			if len(list.Items) < want {
				pending = append(pending, fmt.Sprintf("(%d of %d nodes registered)", len(list.Items), want))
			}
			if len(pending) == 0 {
				sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
				return list.Items, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("nodes not %s after %s: %s", what, timeout, strings.Join(pending, ", "))
		case <-time.After(pollInterval):
		}
	}
}

// hasPodCIDR is true once kube-controller-manager gave the node its pod range,
// a few seconds after kind returns.
func hasPodCIDR(n corev1.Node) bool { return n.Spec.PodCIDR != "" }

// isReady is true for a node whose kubelet reports Ready; without a pod
// network config no node ever is.
func isReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// connect builds the clients from the kubeconfig kind wrote.
func connect(ctx context.Context, c *Cluster) error {
	raw, err := c.kind.KubeConfig(c.name, false)
	if err != nil {
		return err
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	c.rest, c.client = rc, client
	return nil
}

// waitPodCIDRs waits for every node's pod range and records the nodes.
func waitPodCIDRs(ctx context.Context, c *Cluster) error {
	kindNodes, err := c.kind.ListNodes(c.name)
	if err != nil {
		return err
	}
	apiNodes, err := waitNodes(ctx, c.client, len(kindNodes), c.opts.ReadyTimeout, "given a pod CIDR", hasPodCIDR)
	if err != nil {
		return err
	}
	return c.recordNodes(apiNodes)
}

// waitReady waits until every node reports Ready.
func waitReady(ctx context.Context, c *Cluster) error {
	_, err := waitNodes(ctx, c.client, len(c.nodes), c.opts.ReadyTimeout, "Ready", isReady)
	return err
}

// recordNodes pairs kind's node handles with their address and pod range.
func (c *Cluster) recordNodes(apiNodes []corev1.Node) error {
	kindNodes, err := c.kind.ListNodes(c.name)
	if err != nil {
		return err
	}
	cidrs := map[string]string{}
	for _, n := range apiNodes {
		cidrs[n.Name] = n.Spec.PodCIDR
	}
	c.nodes = c.nodes[:0]
	for _, n := range kindNodes {
		ip, _, err := n.IP()
		if err != nil {
			return fmt.Errorf("address of %s: %w", n, err)
		}
		cidr, ok := cidrs[n.String()]
		if !ok {
			return fmt.Errorf("node %s is not registered with the API server", n)
		}
		c.nodes = append(c.nodes, podNetworkNode{node: n, ip: ip, podCIDR: cidr})
	}
	sortNodes(c.nodes)
	return nil
}
