package kube

import (
	"context"
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// Apply carries out one change through the API server. AddPod returns once
// the new pod is ready, with its address; RemovePod and RemoveNamespace
// return once the objects are gone, so that a later step may re-create them.
func (c *Cluster) Apply(ctx context.Context, ch scenarios.Change) (clusters.Addresses, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := checkChange(ch); err != nil {
		return nil, err
	}
	switch ch.Kind {
	case scenarios.ApplyPolicy:
		return nil, c.applyPolicy(ctx, ch.Policy)
	case scenarios.DeletePolicy:
		return nil, c.deletePolicy(ctx, ch.PolicyKey)
	case scenarios.ApplyClusterPolicy:
		if obj := ch.ClusterPolicyObject; obj != nil && obj.Kind() != scenarios.ClusterNetworkPolicyKind {
			return nil, c.applyAdminPolicy(ctx, obj)
		}
		return nil, c.applyClusterPolicy(ctx, ch.ClusterPolicy)
	case scenarios.DeleteClusterPolicy:
		return nil, c.deleteClusterPolicy(ctx, ch.PolicyKey)
	case scenarios.LabelPod:
		return nil, c.labelPod(ctx, ch.Pod)
	case scenarios.LabelNamespace:
		return nil, c.labelNamespace(ctx, ch.Namespace)
	case scenarios.AddPod:
		return c.addPod(ctx, *ch.Pod)
	case scenarios.RemovePod:
		return nil, c.removePod(ctx, ch.Pod.ID())
	case scenarios.AddNamespace:
		return nil, c.createNamespace(ctx, *ch.Namespace)
	case scenarios.RemoveNamespace:
		return nil, c.removeNamespace(ctx, ch.Namespace.Name)
	}
	return nil, fmt.Errorf("unknown change kind %q", ch.Kind)
}

// checkChange wants the field each kind needs, so that a malformed change is
// an error rather than a nil dereference.
func checkChange(ch scenarios.Change) error {
	var missing string
	switch ch.Kind {
	case scenarios.ApplyPolicy:
		if ch.Policy == nil {
			missing = "policy"
		}
	case scenarios.DeletePolicy, scenarios.DeleteClusterPolicy:
		if ch.PolicyKey == "" {
			missing = "policy key"
		}
	case scenarios.ApplyClusterPolicy:
		if ch.ClusterPolicy == nil {
			missing = "cluster policy"
		}
	case scenarios.LabelPod, scenarios.AddPod, scenarios.RemovePod:
		if ch.Pod == nil {
			missing = "pod"
		}
	case scenarios.LabelNamespace, scenarios.AddNamespace, scenarios.RemoveNamespace:
		if ch.Namespace == nil {
			missing = "namespace"
		}
	}
	if missing != "" {
		return fmt.Errorf("%s change without a %s", ch.Kind, missing)
	}
	return nil
}

// applyPolicy creates the rewritten policy, or replaces the one of that name.
func (c *Cluster) applyPolicy(ctx context.Context, p *networkingv1.NetworkPolicy) error {
	want := c.names.policy(p)
	policies := c.b.client.NetworkingV1().NetworkPolicies(want.Namespace)
	_, err := policies.Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			have, err := policies.Get(ctx, want.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			have.Labels, have.Annotations, have.Spec = want.Labels, want.Annotations, want.Spec
			_, err = policies.Update(ctx, have, metav1.UpdateOptions{})
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("apply policy %s/%s (%s/%s): %w", p.Namespace, p.Name, want.Namespace, want.Name, err)
	}
	return nil
}

// deletePolicy deletes the policy "ns/name".
func (c *Cluster) deletePolicy(ctx context.Context, key string) error {
	ns, name, ok := strings.Cut(key, "/")
	if !ok || ns == "" || name == "" {
		return fmt.Errorf("delete policy %q: not ns/name", key)
	}
	real := c.names.real(ns)
	if err := c.b.client.NetworkingV1().NetworkPolicies(real).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete policy %s (%s/%s): %w", key, real, name, err)
	}
	return nil
}
