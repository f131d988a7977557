package generate

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// relabelKey and relabelValue form the namespace label that a
// namespace=relabel selector waits for and the relabel-namespace step adds.
const (
	relabelKey   = "selected"
	relabelValue = "true"
)

// rule is what one generated rule admits, whatever its direction.
type rule struct {
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

// firstPolicy is the policy a case's first step applies.
func firstPolicy(c combo) *networkingv1.NetworkPolicy {
	var rules []rule
	if c.peer != PeerNoRule {
		rules = []rule{{peers: peers(c), ports: firstPorts(c.port, c.protocol)}}
	}
	return policy(c.direction, c.target, rules)
}

// updatedPolicy is the policy an update step applies: the same policy with
// other ports, or, for an empty rule list, one rule that admits everyone on
// 81/TCP, so that the update always changes what the policy admits.
func updatedPolicy(c combo) *networkingv1.NetworkPolicy {
	rules := []rule{{ports: updatedPorts(c.port, c.protocol)}}
	if c.peer != PeerNoRule {
		rules[0].peers = peers(c)
	}
	return policy(c.direction, c.target, rules)
}

// policy assembles a policy in namespace x with the rules in every direction
// the combo names. policyTypes is always explicit: the API's default would
// drop an egress list that happens to be empty.
func policy(direction, target string, rules []rule) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Namespace: policyNamespace, Name: policyName},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: targetSelector(target)},
	}
	if direction != DirectionEgress {
		p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		for _, r := range rules {
			p.Spec.Ingress = append(p.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: r.peers, Ports: r.ports})
		}
	}
	if direction != DirectionIngress {
		p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		for _, r := range rules {
			p.Spec.Egress = append(p.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: r.peers, Ports: r.ports})
		}
	}
	return p
}

// targetSelector selects the policy's pods in namespace x: all of them, x/a
// by label, or x/a and x/b by expression.
func targetSelector(target string) metav1.LabelSelector {
	switch target {
	case TargetPodSelector:
		return metav1.LabelSelector{MatchLabels: map[string]string{"pod": "a"}}
	case TargetMatchExpressions:
		return metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "pod", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}},
		}}
	}
	return metav1.LabelSelector{}
}

// peers is the from/to list of a combo's rule; nil for the empty peer,
// which admits everyone.
func peers(c combo) []networkingv1.NetworkPolicyPeer {
	podB := &metav1.LabelSelector{MatchLabels: map[string]string{"pod": "b"}}
	switch c.peer {
	case PeerPodSelector:
		return []networkingv1.NetworkPolicyPeer{{PodSelector: podB}}
	case PeerNamespaceSelector:
		return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: namespaceSelector(c.namespace)}}
	case PeerPodAndNamespace:
		return []networkingv1.NetworkPolicyPeer{{PodSelector: podB, NamespaceSelector: namespaceSelector(c.namespace)}}
	case PeerTwoPeers:
		// x/c OR (pod b in the selected namespaces): an enforcer that ANDs
		// peers, or keeps only one, gets one of the two halves wrong.
		podC := &metav1.LabelSelector{MatchLabels: map[string]string{"pod": "c"}}
		return []networkingv1.NetworkPolicyPeer{
			{PodSelector: podC},
			{PodSelector: podB, NamespaceSelector: namespaceSelector(c.namespace)},
		}
	case PeerIPBlock:
		return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: blockCIDR(c.namespace)}}}
	case PeerIPBlockExcept:
		return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{
			CIDR: exceptBlockCIDR(c.namespace), Except: []string{blockExcept(c.namespace)},
		}}}
	}
	return nil
}

// namespaceSelector reaches x, y, every namespace, or the namespaces that
// carry the relabel label (none until the relabel step adds it to y).
func namespaceSelector(namespace string) *metav1.LabelSelector {
	switch namespace {
	case NamespaceSame:
		return &metav1.LabelSelector{MatchLabels: map[string]string{"ns": "x"}}
	case NamespaceOther:
		return &metav1.LabelSelector{MatchLabels: map[string]string{"ns": "y"}}
	case NamespaceRelabel:
		return &metav1.LabelSelector{MatchLabels: map[string]string{relabelKey: relabelValue}}
	}
	return &metav1.LabelSelector{}
}

// blockCIDR is the ipBlock for a namespace relation. Placeholders keep the
// blocks right wherever the backend puts pods: the /24 around a namespace's
// first pod stands for the namespace, the /16 around x/a for the pod range
// (which holds ext-in and not ext-out).
func blockCIDR(namespace string) string {
	switch namespace {
	case NamespaceSame:
		return `{{ cidr "x/a" 24 }}`
	case NamespaceOther:
		return `{{ cidr "y/a" 24 }}`
	}
	return `{{ cidr "x/a" 16 }}`
}

// exceptBlockCIDR is the block an except carves from. The API server wants
// the except strictly inside it, and on a real cluster two pods of one
// namespace may sit in different nodes' /24s (kind gives each node one), so
// a namespace's block is taken around the very pod the except names.
func exceptBlockCIDR(namespace string) string {
	switch namespace {
	case NamespaceSame:
		return `{{ cidr "x/b" 24 }}`
	case NamespaceOther:
		return `{{ cidr "y/b" 24 }}`
	}
	return blockCIDR(namespace)
}

// blockExcept carves one pod (b of the block's namespace) out of a namespace
// block, and namespace y out of the pod range.
func blockExcept(namespace string) string {
	switch namespace {
	case NamespaceSame:
		return `{{ cidr "x/b" 32 }}`
	case NamespaceOther:
		return `{{ cidr "y/b" 32 }}`
	}
	return `{{ cidr "y/a" 24 }}`
}
