package local

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

// ledger records the objects a cluster holds. Label and policy changes do
// nothing to the network here, yet an enforcer, a report or a test may need
// the state they leave behind; the ledger is that state.
type ledger struct {
	w scenarios.World
}

// newLedger checks a world a local cluster can build and copies it, so the
// caller's world stays the caller's. Policies are left out: Setup creates none.
func newLedger(w *scenarios.World) (*ledger, error) {
	l := &ledger{}
	for _, ns := range w.Namespaces {
		if err := l.check(scenarios.Change{Kind: scenarios.AddNamespace, Namespace: &ns}); err != nil {
			return nil, err
		}
		l.apply(scenarios.Change{Kind: scenarios.AddNamespace, Namespace: &ns})
	}
	for _, h := range w.ExternalHosts {
		if err := l.checkExternalHost(h); err != nil {
			return nil, err
		}
		l.w.ExternalHosts = append(l.w.ExternalHosts, scenarios.ExternalHost{Name: h.Name, IP: h.IP, Ports: slices.Clone(h.Ports)})
	}
	for _, p := range w.Pods {
		if err := l.check(scenarios.Change{Kind: scenarios.AddPod, Pod: &p}); err != nil {
			return nil, err
		}
		l.apply(scenarios.Change{Kind: scenarios.AddPod, Pod: &p})
	}
	return l, nil
}

// apply records a change that check accepted.
func (l *ledger) apply(c scenarios.Change) {
	switch c.Kind {
	case scenarios.AddNamespace:
		l.w.Namespaces = append(l.w.Namespaces, scenarios.Namespace{Name: c.Namespace.Name, Labels: maps.Clone(c.Namespace.Labels)})
	case scenarios.LabelNamespace:
		l.w.Namespaces[l.namespace(c.Namespace.Name)].Labels = maps.Clone(c.Namespace.Labels)
	case scenarios.RemoveNamespace:
		name := c.Namespace.Name
		l.w.Namespaces = slices.DeleteFunc(l.w.Namespaces, func(n scenarios.Namespace) bool { return n.Name == name })
		l.w.Pods = slices.DeleteFunc(l.w.Pods, func(p scenarios.Pod) bool { return p.Namespace == name })
		l.w.Policies = slices.DeleteFunc(l.w.Policies, func(p *networkingv1.NetworkPolicy) bool { return p.Namespace == name })
	case scenarios.AddPod:
		p := *c.Pod
		p.Labels = maps.Clone(p.Labels)
		p.Ports = slices.Clone(p.Ports)
		l.w.Pods = append(l.w.Pods, p)
	case scenarios.LabelPod:
		l.w.Pods[l.pod(c.Pod.ID())].Labels = maps.Clone(c.Pod.Labels)
	case scenarios.RemovePod:
		l.w.Pods = slices.Delete(l.w.Pods, l.pod(c.Pod.ID()), l.pod(c.Pod.ID())+1)
	case scenarios.ApplyPolicy:
		p := c.Policy.DeepCopy()
		if i := l.policy(p.Namespace + "/" + p.Name); i >= 0 {
			l.w.Policies[i] = p
			return
		}
		l.w.Policies = append(l.w.Policies, p)
		slices.SortFunc(l.w.Policies, func(a, b *networkingv1.NetworkPolicy) int {
			return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
		})
	case scenarios.DeletePolicy:
		i := l.policy(c.PolicyKey)
		l.w.Policies = slices.Delete(l.w.Policies, i, i+1)
	case scenarios.ApplyClusterPolicy:
		p := c.ClusterPolicy.DeepCopy()
		if i := l.clusterPolicy(clusterPolicyKey(p)); i >= 0 {
			l.w.ClusterPolicies[i] = p
			return
		}
		l.w.ClusterPolicies = append(l.w.ClusterPolicies, p)
	case scenarios.DeleteClusterPolicy:
		i := l.clusterPolicy(c.PolicyKey)
		l.w.ClusterPolicies = slices.Delete(l.w.ClusterPolicies, i, i+1)
	}
}

// clusterPolicyKey is "Kind/name" of a cluster policy in its tiered form,
// which keeps the kind it came from.
func clusterPolicyKey(p *npav1alpha2.ClusterNetworkPolicy) string {
	return scenarios.ClusterPolicyKey(scenarios.TieredKind(p), p.Name)
}

func (l *ledger) clusterPolicy(key string) int {
	return slices.IndexFunc(l.w.ClusterPolicies, func(p *npav1alpha2.ClusterNetworkPolicy) bool { return clusterPolicyKey(p) == key })
}

// snapshot returns a copy of the recorded world that the caller may keep.
func (l *ledger) snapshot() scenarios.World {
	w := scenarios.World{
		Namespaces:    make([]scenarios.Namespace, 0, len(l.w.Namespaces)),
		Pods:          make([]scenarios.Pod, 0, len(l.w.Pods)),
		ExternalHosts: make([]scenarios.ExternalHost, 0, len(l.w.ExternalHosts)),
		Policies:      make([]*networkingv1.NetworkPolicy, 0, len(l.w.Policies)),
	}
	for _, n := range l.w.Namespaces {
		w.Namespaces = append(w.Namespaces, scenarios.Namespace{Name: n.Name, Labels: maps.Clone(n.Labels)})
	}
	for _, p := range l.w.Pods {
		p.Labels = maps.Clone(p.Labels)
		p.Ports = slices.Clone(p.Ports)
		w.Pods = append(w.Pods, p)
	}
	for _, h := range l.w.ExternalHosts {
		h.Ports = slices.Clone(h.Ports)
		w.ExternalHosts = append(w.ExternalHosts, h)
	}
	for _, p := range l.w.Policies {
		w.Policies = append(w.Policies, p.DeepCopy())
	}
	for _, p := range l.w.ClusterPolicies {
		w.ClusterPolicies = append(w.ClusterPolicies, p.DeepCopy())
	}
	return w
}

// podsIn returns the IDs of the pods in a namespace, in model order.
func (l *ledger) podsIn(namespace string) []string {
	var ids []string
	for _, p := range l.w.Pods {
		if p.Namespace == namespace {
			ids = append(ids, p.ID())
		}
	}
	return ids
}

func (l *ledger) namespace(name string) int {
	return slices.IndexFunc(l.w.Namespaces, func(n scenarios.Namespace) bool { return n.Name == name })
}

func (l *ledger) pod(id string) int {
	return slices.IndexFunc(l.w.Pods, func(p scenarios.Pod) bool { return p.ID() == id })
}

func (l *ledger) policy(key string) int {
	return slices.IndexFunc(l.w.Policies, func(p *networkingv1.NetworkPolicy) bool { return p.Namespace+"/"+p.Name == key })
}
