package kube

import (
	"maps"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// policy returns p as the cluster must hold it: in the real namespace, and
// with every namespaceSelector term on kubernetes.io/metadata.name naming the
// real namespaces, because the API server sets that label to the real name.
// Everything else, pod selectors and ipBlocks included, is kept as given.
func (m *namespaceNames) policy(p *networkingv1.NetworkPolicy) *networkingv1.NetworkPolicy {
	out := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Name:        p.Name,
			Namespace:   m.real(p.Namespace),
			Labels:      maps.Clone(p.Labels),
			Annotations: maps.Clone(p.Annotations),
		},
		Spec: *p.Spec.DeepCopy(),
	}
	for i := range out.Spec.Ingress {
		for j := range out.Spec.Ingress[i].From {
			m.namespaceSelector(out.Spec.Ingress[i].From[j].NamespaceSelector)
		}
	}
	for i := range out.Spec.Egress {
		for j := range out.Spec.Egress[i].To {
			m.namespaceSelector(out.Spec.Egress[i].To[j].NamespaceSelector)
		}
	}
	return out
}

// namespaceSelector rewrites the name terms of s in place. Exists and
// DoesNotExist stay: every namespace has the label, in both worlds.
func (m *namespaceNames) namespaceSelector(s *metav1.LabelSelector) {
	if s == nil {
		return
	}
	if v, ok := s.MatchLabels[namespaceNameLabel]; ok {
		s.MatchLabels[namespaceNameLabel] = m.realValue(v)
	}
	for i := range s.MatchExpressions {
		e := &s.MatchExpressions[i]
		if e.Key != namespaceNameLabel {
			continue
		}
		if e.Operator != metav1.LabelSelectorOpIn && e.Operator != metav1.LabelSelectorOpNotIn {
			continue
		}
		for k, v := range e.Values {
			e.Values[k] = m.realValue(v)
		}
	}
}

// namespaceLabels are the labels of the real namespace standing for a
// scenario namespace: the scenario's as given, the name label as the API
// server sets it, the run's ownership label, and the cluster's label that
// its cluster policies' subjects are narrowed to.
func (m *namespaceNames) namespaceLabels(name string, labels map[string]string, run string) map[string]string {
	out := maps.Clone(labels)
	if out == nil {
		out = map[string]string{}
	}
	out[namespaceNameLabel] = m.real(name)
	out[RunLabel] = run
	out[ClusterLabel] = m.clusterID()
	return out
}
