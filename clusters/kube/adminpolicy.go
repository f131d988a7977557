package kube

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// The v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy, which
// network-policy-api v0.1.x installs and OVN-Kubernetes and
// kube-network-policies v0.8.0 implement. They are applied as the
// scenario writes them, like ClusterNetworkPolicies: an AdminNetworkPolicy
// under the cluster's prefixed name, its subject narrowed to the cluster's
// namespaces. The BaselineAdminNetworkPolicy is a singleton that must be
// named "default", so one cluster at a time may hold it (baselineToken).

// baselineName is the one name the CRD allows a BaselineAdminNetworkPolicy.
const baselineName = "default"

// ServesAdminPolicies tells whether the API server serves both v1alpha1
// kinds, and if not, says so in words a user can act on.
func ServesAdminPolicies(d discovery.DiscoveryInterface) (bool, string, error) {
	return controller.ServesAdminPolicies(d)
}

// adminPolicyCaps fills the v1alpha1 capabilities: served, may be
// created, and which channel the CRDs are.
func (b *Backend) adminPolicyCaps(ctx context.Context) error {
	served, reason, err := ServesAdminPolicies(b.client.Discovery())
	if err != nil {
		return err
	}
	b.caps.AdminNetworkPolicy, b.caps.AdminNetworkPolicyReason = served, reason
	if !served {
		return nil
	}
	b.caps.AdminNetworkPolicyExperimental, err = adminAcceptsExperimental(ctx, b.opts.PolicyAPI, b.runID)
	var forbidden errMayNotCreate
	if errors.As(err, &forbidden) {
		b.caps.AdminNetworkPolicy, b.caps.AdminNetworkPolicyReason = false, forbidden.Error()
		return nil
	}
	return err
}

// adminAcceptsExperimental tells whether the v1alpha1 CRDs are the
// experimental channel, by a server-side dry run of an AdminNetworkPolicy
// with a networks peer, which the standard channel prunes, refusing the
// empty peer left.
func adminAcceptsExperimental(ctx context.Context, policyAPI npaversioned.Interface, run string) (bool, error) {
	probe := &npav1alpha1.AdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: namePrefix + run + "-channel-check"},
		Spec: npav1alpha1.AdminNetworkPolicySpec{
			Priority: 1000,
			Subject:  npav1alpha1.AdminNetworkPolicySubject{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{ClusterLabel: "none"}}},
			Egress: []npav1alpha1.AdminNetworkPolicyEgressRule{{
				Action: npav1alpha1.AdminNetworkPolicyRuleActionDeny,
				To:     []npav1alpha1.AdminNetworkPolicyEgressPeer{{Networks: []npav1alpha1.CIDR{"192.0.2.0/24"}}},
			}},
		},
	}
	got, err := policyAPI.PolicyV1alpha1().AdminNetworkPolicies().Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	switch {
	case apierrors.IsInvalid(err):
		return false, nil
	case apierrors.IsForbidden(err):
		return false, errMayNotCreate{fmt.Errorf("AdminNetworkPolicy: %w", err)}
	case err != nil:
		return false, fmt.Errorf("check the AdminNetworkPolicy CRD's channel (dry run): %w", err)
	}
	return len(got.Spec.Egress) == 1 && len(got.Spec.Egress[0].To) == 1 && len(got.Spec.Egress[0].To[0].Networks) == 1, nil
}

// owned labels a v1alpha1 object as this run's and cluster's.
func (m *namespaceNames) ownedLabels(labels map[string]string, run string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	out[RunLabel] = run
	out[ClusterLabel] = m.clusterID()
	return out
}

// adminSubject narrows a v1alpha1 subject to this cluster's namespaces and
// names the real ones.
func (m *namespaceNames) adminSubject(s *npav1alpha1.AdminNetworkPolicySubject) {
	own := func(sel *metav1.LabelSelector) {
		m.namespaceSelector(sel)
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels[ClusterLabel] = m.clusterID()
	}
	if s.Namespaces != nil {
		own(s.Namespaces)
	}
	if s.Pods != nil {
		own(&s.Pods.NamespaceSelector)
	}
}

func (m *namespaceNames) adminPeer(namespaces *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod) {
	m.namespaceSelector(namespaces)
	if pods != nil {
		m.namespaceSelector(&pods.NamespaceSelector)
	}
}

// adminPolicy returns p as the cluster must hold it (see clusterPolicy).
func (m *namespaceNames) adminPolicy(p *npav1alpha1.AdminNetworkPolicy, run string) *npav1alpha1.AdminNetworkPolicy {
	out := &npav1alpha1.AdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: m.clusterPolicyName(p.Name), Labels: m.ownedLabels(p.Labels, run), Annotations: maps.Clone(p.Annotations)},
		Spec:       *p.Spec.DeepCopy(),
	}
	m.adminSubject(&out.Spec.Subject)
	for i := range out.Spec.Ingress {
		for j := range out.Spec.Ingress[i].From {
			m.adminPeer(out.Spec.Ingress[i].From[j].Namespaces, out.Spec.Ingress[i].From[j].Pods)
		}
	}
	for i := range out.Spec.Egress {
		for j := range out.Spec.Egress[i].To {
			m.adminPeer(out.Spec.Egress[i].To[j].Namespaces, out.Spec.Egress[i].To[j].Pods)
		}
	}
	return out
}

// baselinePolicy returns p as the cluster must hold it: named "default",
// as it must be, and otherwise as adminPolicy does.
func (m *namespaceNames) baselinePolicy(p *npav1alpha1.BaselineAdminNetworkPolicy, run string) *npav1alpha1.BaselineAdminNetworkPolicy {
	out := &npav1alpha1.BaselineAdminNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: baselineName, Labels: m.ownedLabels(p.Labels, run), Annotations: maps.Clone(p.Annotations)},
		Spec:       *p.Spec.DeepCopy(),
	}
	m.adminSubject(&out.Spec.Subject)
	for i := range out.Spec.Ingress {
		for j := range out.Spec.Ingress[i].From {
			m.adminPeer(out.Spec.Ingress[i].From[j].Namespaces, out.Spec.Ingress[i].From[j].Pods)
		}
	}
	for i := range out.Spec.Egress {
		for j := range out.Spec.Egress[i].To {
			m.adminPeer(out.Spec.Egress[i].To[j].Namespaces, out.Spec.Egress[i].To[j].Pods)
		}
	}
	return out
}

// applyAdminPolicy creates or replaces a v1alpha1 policy.
func (c *Cluster) applyAdminPolicy(ctx context.Context, p *scenarios.ClusterPolicy) error {
	if c.b.opts.PolicyAPI == nil || !c.b.caps.AdminNetworkPolicy {
		return fmt.Errorf("apply %s: %s", p.Key(), c.b.caps.AdminNetworkPolicyReason)
	}
	api := c.b.opts.PolicyAPI.PolicyV1alpha1()
	switch {
	case p.AdminNetworkPolicy != nil:
		if err := checkLabels(p.Key(), p.AdminNetworkPolicy.Labels); err != nil {
			return err
		}
		want := c.names.adminPolicy(p.AdminNetworkPolicy, c.b.runID)
		policies := api.AdminNetworkPolicies()
		current, err := policies.Get(ctx, want.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = policies.Create(ctx, want, metav1.CreateOptions{})
		case err == nil:
			want.ResourceVersion = current.ResourceVersion
			_, err = policies.Update(ctx, want, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("apply %s (%s): %w", p.Key(), want.Name, err)
		}
		return nil
	case p.BaselineAdminNetworkPolicy != nil:
		if err := checkLabels(p.Key(), p.BaselineAdminNetworkPolicy.Labels); err != nil {
			return err
		}
		if err := c.holdBaseline(ctx); err != nil {
			return fmt.Errorf("apply %s: %w", p.Key(), err)
		}
		want := c.names.baselinePolicy(p.BaselineAdminNetworkPolicy, c.b.runID)
		policies := api.BaselineAdminNetworkPolicies()
		current, err := policies.Get(ctx, baselineName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			_, err = policies.Create(ctx, want, metav1.CreateOptions{})
		case err == nil && !c.ownsBaseline(current):
			err = foreignBaseline(current)
		case err == nil:
			want.ResourceVersion = current.ResourceVersion
			_, err = policies.Update(ctx, want, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("apply %s: %w", p.Key(), err)
		}
		return nil
	}
	return fmt.Errorf("apply %s: not a v1alpha1 policy", p.Key())
}

// ownsBaseline tells whether the cluster's BaselineAdminNetworkPolicy is
// this cluster's.
func (c *Cluster) ownsBaseline(p *npav1alpha1.BaselineAdminNetworkPolicy) bool {
	return p.Labels[RunLabel] == c.b.runID && p.Labels[ClusterLabel] == c.names.clusterID()
}

// foreignBaseline is the error of a BaselineAdminNetworkPolicy that is not
// this cluster's: the cluster's own, or a crashed run's.
func foreignBaseline(p *npav1alpha1.BaselineAdminNetworkPolicy) error {
	if run := p.Labels[RunLabel]; run != "" {
		return fmt.Errorf("the cluster's BaselineAdminNetworkPolicy %s is run %s's (netpolcheck clean removes a finished run's)", baselineName, run)
	}
	return fmt.Errorf("the cluster has a BaselineAdminNetworkPolicy %s of its own, and there can be only one: a scenario with one cannot run here without replacing it", baselineName)
}

// holdBaseline waits until this cluster holds the backend's one
// BaselineAdminNetworkPolicy, unless it does already. Another cluster
// holds it until it deletes its policy or is torn down.
func (c *Cluster) holdBaseline(ctx context.Context) error {
	if c.holdsBaseline {
		return nil
	}
	select {
	case c.b.baselineToken <- struct{}{}:
		c.holdsBaseline = true
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for another scenario's BaselineAdminNetworkPolicy to go: %w", ctx.Err())
	}
}

// releaseBaseline lets another cluster hold the BaselineAdminNetworkPolicy.
func (c *Cluster) releaseBaseline() {
	if c.holdsBaseline {
		<-c.b.baselineToken
		c.holdsBaseline = false
	}
}

// deleteAdminPolicy deletes the v1alpha1 policy of "Kind/name".
func (c *Cluster) deleteAdminPolicy(ctx context.Context, kind, name string) error {
	api := c.b.opts.PolicyAPI.PolicyV1alpha1()
	key := scenarios.ClusterPolicyKey(kind, name)
	if kind == scenarios.AdminNetworkPolicyKind {
		real := c.names.clusterPolicyName(name)
		if err := api.AdminNetworkPolicies().Delete(ctx, real, metav1.DeleteOptions{}); err != nil {
			return fmt.Errorf("delete %s (%s): %w", key, real, err)
		}
		return nil
	}
	if !c.holdsBaseline {
		return fmt.Errorf("delete %s: this cluster applied none", key)
	}
	if err := api.BaselineAdminNetworkPolicies().Delete(ctx, baselineName, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	c.releaseBaseline()
	return nil
}

// deleteAdminPolicies deletes every v1alpha1 policy of this cluster.
func (c *Cluster) deleteAdminPolicies(ctx context.Context) error {
	if c.b.opts.PolicyAPI == nil || !c.b.caps.AdminNetworkPolicy {
		return nil
	}
	api := c.b.opts.PolicyAPI.PolicyV1alpha1()
	selector := RunLabel + "=" + c.b.runID + "," + ClusterLabel + "=" + c.names.clusterID()
	list, err := api.AdminNetworkPolicies().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("list the AdminNetworkPolicies of %s: %w", c.scenario, err)
	}
	var errs []error
	for _, p := range list.Items {
		if !strings.HasPrefix(p.Name, c.names.prefix) {
			continue // not this cluster's, whatever the server answered
		}
		if err := api.AdminNetworkPolicies().Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete AdminNetworkPolicy %s: %w", p.Name, err))
		}
	}
	if c.holdsBaseline {
		current, err := api.BaselineAdminNetworkPolicies().Get(ctx, baselineName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			c.releaseBaseline()
		case err != nil:
			errs = append(errs, fmt.Errorf("get BaselineAdminNetworkPolicy %s: %w", baselineName, err))
		case !c.ownsBaseline(current):
			c.releaseBaseline() // replaced by someone else: not ours to delete
		default:
			err := api.BaselineAdminNetworkPolicies().Delete(ctx, baselineName, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("delete BaselineAdminNetworkPolicy %s: %w", baselineName, err))
			} else {
				c.releaseBaseline()
			}
		}
	}
	return errors.Join(errs...)
}

// cleanAdminPolicies deletes the v1alpha1 policies of runs not in live, or
// with all every run's, and returns their keys.
func cleanAdminPolicies(ctx context.Context, d discovery.DiscoveryInterface, policyAPI npaversioned.Interface, live map[string]bool, all bool) ([]string, error) {
	if served, _, err := ServesAdminPolicies(d); err != nil || !served {
		return nil, err
	}
	api := policyAPI.PolicyV1alpha1()
	stale := func(labels map[string]string) bool {
		run := labels[RunLabel]
		return run != "" && (all || !live[run])
	}
	var removed []string
	var errs []error
	admins, err := api.AdminNetworkPolicies().List(ctx, metav1.ListOptions{LabelSelector: RunLabel})
	if err != nil {
		return nil, fmt.Errorf("list AdminNetworkPolicies: %w", err)
	}
	for _, p := range admins.Items {
		if !stale(p.Labels) || !strings.HasPrefix(p.Name, namePrefix+p.Labels[RunLabel]+"-") {
			continue
		}
		switch err := api.AdminNetworkPolicies().Delete(ctx, p.Name, metav1.DeleteOptions{}); {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("delete AdminNetworkPolicy %s: %w", p.Name, err))
		default:
			removed = append(removed, scenarios.ClusterPolicyKey(scenarios.AdminNetworkPolicyKind, p.Name))
		}
	}
	baseline, err := api.BaselineAdminNetworkPolicies().Get(ctx, baselineName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		errs = append(errs, fmt.Errorf("get BaselineAdminNetworkPolicy %s: %w", baselineName, err))
	case stale(baseline.Labels):
		switch err := api.BaselineAdminNetworkPolicies().Delete(ctx, baselineName, metav1.DeleteOptions{}); {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("delete BaselineAdminNetworkPolicy %s: %w", baselineName, err))
		default:
			removed = append(removed, scenarios.ClusterPolicyKey(scenarios.BaselineAdminNetworkPolicyKind, baselineName))
		}
	}
	return removed, errors.Join(errs...)
}
