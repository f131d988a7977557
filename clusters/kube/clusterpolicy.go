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
	"k8s.io/client-go/rest"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npaversioned "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"

	"github.com/netpolcheck/netpolcheck/enforcer/controller"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// ClusterLabel marks each namespace and cluster policy one scenario's
// cluster creates with "<run>-<cluster>". Cluster policies are cluster
// wide, so the backend narrows their subjects to namespaces carrying it:
// scenarios running side by side never select each other's pods.
const ClusterLabel = "netpolcheck.io/cluster"

// ConnectPolicyAPI makes the network-policy-api client of the cluster.
func ConnectPolicyAPI(cfg *rest.Config) (npaversioned.Interface, error) {
	cfg = withRateLimits(cfg)
	cfg.WarningHandler = prunedFieldWarnings{}
	client, err := npaversioned.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("network-policy-api client: %w", err)
	}
	return client, nil
}

// prunedFieldWarnings drops the API server's warnings of unknown fields,
// which a standard-channel CRD gives for the channel checks' dry runs
// (their whole point) and for experimental fields, whose scenarios are
// skipped, saying so, before anything is created. Other warnings are
// logged as client-go logs them.
type prunedFieldWarnings struct{}

func (prunedFieldWarnings) HandleWarningHeader(code int, agent, text string) {
	if strings.HasPrefix(text, "unknown field ") {
		return
	}
	rest.WarningLogger{}.HandleWarningHeader(code, agent, text)
}

// ServesClusterPolicies tells whether the API server serves
// ClusterNetworkPolicy, and if not, says so in words a user can act on.
func ServesClusterPolicies(d discovery.DiscoveryInterface) (bool, string, error) {
	return controller.ServesClusterPolicies(d)
}

// acceptsExperimental tells whether the cluster's CRD is the experimental
// channel, by a server-side dry run of a policy with a domainNames peer:
// the standard CRD prunes the field and refuses the empty peer left. A dry
// run creates nothing, and needs no right to read CRDs.
func acceptsExperimental(ctx context.Context, policyAPI npaversioned.Interface, run string) (bool, error) {
	probe := &npav1alpha2.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: namePrefix + run + "-channel-check"},
		Spec: npav1alpha2.ClusterNetworkPolicySpec{
			Tier: npav1alpha2.BaselineTier, Priority: 1000,
			Subject: npav1alpha2.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{MatchLabels: map[string]string{ClusterLabel: "none"}}},
			Egress: []npav1alpha2.ClusterNetworkPolicyEgressRule{{
				Action: npav1alpha2.ClusterNetworkPolicyRuleActionAccept,
				To:     []npav1alpha2.ClusterNetworkPolicyEgressPeer{{DomainNames: []npav1alpha2.DomainName{"example.com"}}},
			}},
		},
	}
	got, err := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	switch {
	case apierrors.IsInvalid(err):
		return false, nil
	case apierrors.IsForbidden(err):
		return false, errMayNotCreate{err}
	case err != nil:
		return false, fmt.Errorf("check the ClusterNetworkPolicy CRD's channel (dry run): %w", err)
	}
	return len(got.Spec.Egress) == 1 && len(got.Spec.Egress[0].To) == 1 && len(got.Spec.Egress[0].To[0].DomainNames) == 1, nil
}

// errMayNotCreate says the kubeconfig's user may not create cluster
// policies: scenarios with them cannot run, the others can.
type errMayNotCreate struct{ err error }

func (e errMayNotCreate) Error() string {
	return "the kubeconfig's user may not create ClusterNetworkPolicies: " + e.err.Error()
}

// clusterID is the ClusterLabel value of this map's cluster.
func (m *namespaceNames) clusterID() string {
	return strings.TrimSuffix(strings.TrimPrefix(m.prefix, namePrefix), "-")
}

// clusterPolicyName is the real name of a scenario's cluster policy:
// prefixed like its namespaces, since the name is cluster wide.
func (m *namespaceNames) clusterPolicyName(name string) string { return m.prefix + name }

// clusterPolicy returns p as the cluster must hold it: named and labelled
// as the run's, its subject narrowed to this cluster's namespaces, and
// every namespace selector's name terms naming the real namespaces.
func (m *namespaceNames) clusterPolicy(p *npav1alpha2.ClusterNetworkPolicy, run string) *npav1alpha2.ClusterNetworkPolicy {
	out := &npav1alpha2.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name:        m.clusterPolicyName(p.Name),
			Labels:      maps.Clone(p.Labels),
			Annotations: maps.Clone(p.Annotations),
		},
		Spec: *p.Spec.DeepCopy(),
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	out.Labels[RunLabel] = run
	out.Labels[ClusterLabel] = m.clusterID()
	own := func(s *metav1.LabelSelector) {
		if s.MatchLabels == nil {
			s.MatchLabels = map[string]string{}
		}
		s.MatchLabels[ClusterLabel] = m.clusterID()
	}
	if s := out.Spec.Subject.Namespaces; s != nil {
		m.namespaceSelector(s)
		own(s)
	}
	if s := out.Spec.Subject.Pods; s != nil {
		m.namespaceSelector(&s.NamespaceSelector)
		own(&s.NamespaceSelector)
	}
	for i := range out.Spec.Ingress {
		for j := range out.Spec.Ingress[i].From {
			m.peerSelectors(out.Spec.Ingress[i].From[j].Namespaces, out.Spec.Ingress[i].From[j].Pods)
		}
	}
	for i := range out.Spec.Egress {
		for j := range out.Spec.Egress[i].To {
			m.peerSelectors(out.Spec.Egress[i].To[j].Namespaces, out.Spec.Egress[i].To[j].Pods)
		}
	}
	return out
}

func (m *namespaceNames) peerSelectors(namespaces *metav1.LabelSelector, pods *npav1alpha2.NamespacedPod) {
	m.namespaceSelector(namespaces)
	if pods != nil {
		m.namespaceSelector(&pods.NamespaceSelector)
	}
}

// applyClusterPolicy creates or replaces a ClusterNetworkPolicy. A
// v1alpha1 policy comes with its object (applyAdminPolicy); without it
// (a change built in code) it cannot be written back.
func (c *Cluster) applyClusterPolicy(ctx context.Context, p *npav1alpha2.ClusterNetworkPolicy) error {
	if kind := scenarios.TieredKind(p); kind != scenarios.ClusterNetworkPolicyKind {
		return fmt.Errorf("apply %s %s: the change carries no %s object to apply", kind, p.Name, kind)
	}
	if c.b.opts.PolicyAPI == nil || !c.b.caps.ClusterNetworkPolicy {
		return fmt.Errorf("apply ClusterNetworkPolicy %s: %s", p.Name, c.b.caps.ClusterNetworkPolicyReason)
	}
	if err := checkLabels("ClusterNetworkPolicy "+p.Name, p.Labels); err != nil {
		return err
	}
	want := c.names.clusterPolicy(p, c.b.runID)
	policies := c.b.opts.PolicyAPI.PolicyV1alpha2().ClusterNetworkPolicies()
	current, err := policies.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = policies.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		want.ResourceVersion = current.ResourceVersion
		_, err = policies.Update(ctx, want, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("apply ClusterNetworkPolicy %s (%s): %w", p.Name, want.Name, err)
	}
	return nil
}

// deleteClusterPolicy deletes the cluster policy "Kind/name".
func (c *Cluster) deleteClusterPolicy(ctx context.Context, key string) error {
	kind, name, ok := strings.Cut(key, "/")
	if ok && name != "" && c.b.opts.PolicyAPI != nil && c.b.caps.AdminNetworkPolicy &&
		(kind == scenarios.AdminNetworkPolicyKind || kind == scenarios.BaselineAdminNetworkPolicyKind) {
		return c.deleteAdminPolicy(ctx, kind, name)
	}
	if !ok || kind != scenarios.ClusterNetworkPolicyKind || name == "" || c.b.opts.PolicyAPI == nil {
		return fmt.Errorf("delete cluster policy %q: not ClusterNetworkPolicy/name on a cluster that serves it", key)
	}
	real := c.names.clusterPolicyName(name)
	if err := c.b.opts.PolicyAPI.PolicyV1alpha2().ClusterNetworkPolicies().Delete(ctx, real, metav1.DeleteOptions{}); err != nil {
		return fmt.Errorf("delete %s (%s): %w", key, real, err)
	}
	return nil
}

// deleteClusterPolicies deletes every cluster policy of this cluster.
func (c *Cluster) deleteClusterPolicies(ctx context.Context) error {
	if c.b.opts.PolicyAPI == nil || !c.b.caps.ClusterNetworkPolicy {
		return nil
	}
	policies := c.b.opts.PolicyAPI.PolicyV1alpha2().ClusterNetworkPolicies()
	selector := RunLabel + "=" + c.b.runID + "," + ClusterLabel + "=" + c.names.clusterID()
	list, err := policies.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("list the cluster policies of %s: %w", c.scenario, err)
	}
	var errs []error
	for _, p := range list.Items {
		if !strings.HasPrefix(p.Name, c.names.prefix) {
			continue // not this cluster's, whatever the server answered
		}
		if err := policies.Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete ClusterNetworkPolicy %s: %w", p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// cleanClusterPolicies deletes the cluster policies of runs not in live
// (they crashed, or clean removed their namespaces), or with all every
// run's. It returns their names.
func cleanClusterPolicies(ctx context.Context, d discovery.DiscoveryInterface, policyAPI npaversioned.Interface, live map[string]bool, all bool) ([]string, error) {
	if served, _, err := ServesClusterPolicies(d); err != nil || !served {
		return nil, err
	}
	list, err := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().List(ctx, metav1.ListOptions{LabelSelector: RunLabel})
	if err != nil {
		return nil, fmt.Errorf("list cluster network policies: %w", err)
	}
	var removed []string
	var errs []error
	for _, p := range list.Items {
		run := p.Labels[RunLabel]
		if run == "" || !strings.HasPrefix(p.Name, namePrefix+run+"-") {
			continue // not ours, whatever the server answered
		}
		if !all && live[run] {
			continue
		}
		err := policyAPI.PolicyV1alpha2().ClusterNetworkPolicies().Delete(ctx, p.Name, metav1.DeleteOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("delete ClusterNetworkPolicy %s: %w", p.Name, err))
		default:
			removed = append(removed, "ClusterNetworkPolicy/"+p.Name)
		}
	}
	return removed, errors.Join(errs...)
}

// noPolicyAPI is the reason cluster policies are skipped without
// Options.PolicyAPI.
const noPolicyAPI = "no network-policy-api client was given to the backend"
