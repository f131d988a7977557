package truth

import (
	"slices"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// These are Explain's matchers: one endpoint at a time, straight from the
// API's wording. Compute answers the same questions with set algebra
// (labelIndex, worldIndex); keep the two apart so that each checks the other.

// selectorMatches tells whether a label selector selects a set of labels.
// An invalid selector selects nothing.
func selectorMatches(sel *metav1.LabelSelector, labels map[string]string) bool {
	for k, v := range sel.MatchLabels {
		if got, found := labels[k]; !found || got != v {
			return false
		}
	}
	for _, req := range sel.MatchExpressions {
		if !requirementMatches(req, labels) {
			return false
		}
	}
	return true
}

func requirementMatches(req metav1.LabelSelectorRequirement, labels map[string]string) bool {
	value, found := labels[req.Key]
	switch req.Operator {
	case metav1.LabelSelectorOpIn:
		return len(req.Values) > 0 && found && slices.Contains(req.Values, value)
	case metav1.LabelSelectorOpNotIn:
		// A pod without the key is not in the set, so it matches.
		return len(req.Values) > 0 && (!found || !slices.Contains(req.Values, value))
	case metav1.LabelSelectorOpExists:
		return len(req.Values) == 0 && found
	case metav1.LabelSelectorOpDoesNotExist:
		return len(req.Values) == 0 && !found
	default:
		return false
	}
}

// peerMatches tells whether one peer of a policy in namespace ns admits the
// endpoint e. Selectors match pods only; ipBlock matches any address.
func (x *Explainer) peerMatches(ns string, p *networkingv1.NetworkPolicyPeer, e cellEnd) bool {
	if p.IPBlock != nil {
		if p.PodSelector != nil || p.NamespaceSelector != nil {
			return false
		}
		b, seen := x.blocks[p.IPBlock]
		if !seen {
			b.r, b.ok = parseIPBlock(p.IPBlock)
			x.blocks[p.IPBlock] = b
		}
		return b.ok && b.r.contains(e.addr)
	}
	if e.pod == nil {
		return false
	}
	switch {
	case p.NamespaceSelector != nil:
		if !selectorMatches(p.NamespaceSelector, x.nsLabels[e.pod.Namespace]) {
			return false
		}
		return p.PodSelector == nil || selectorMatches(p.PodSelector, e.pod.Labels)
	case p.PodSelector != nil:
		return e.pod.Namespace == ns && selectorMatches(p.PodSelector, e.pod.Labels)
	default:
		return false
	}
}

// portMatches tells whether one port rule admits the destination's served
// port target. A named port is looked up on the destination pod itself, for
// ingress and egress alike.
func portMatches(p *networkingv1.NetworkPolicyPort, dst cellEnd, target scenarios.Port) bool {
	proto := scenarios.TCP
	if p.Protocol != nil {
		proto = protocolOrTCP(scenarios.Protocol(*p.Protocol))
	}
	if proto != protocolOrTCP(target.Protocol) {
		return false
	}
	if p.Port == nil {
		return true
	}
	if p.Port.Type == intstr.String {
		return dst.pod != nil && target.Name != "" && p.Port.StrVal == target.Name
	}
	if p.EndPort != nil {
		return target.Port >= p.Port.IntVal && target.Port <= *p.EndPort
	}
	return target.Port == p.Port.IntVal
}
