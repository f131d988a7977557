package compile

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// The v1alpha1 kinds are enforced in the tiers of ClusterNetworkPolicy,
// as network-policy-api v0.1.x describes them:
//
//   - AdminNetworkPolicy rules come before NetworkPolicy, lower priority
//     numbers first; Allow ends the direction as allowed, Deny as denied,
//     Pass goes on to NetworkPolicy.
//   - The BaselineAdminNetworkPolicy comes after NetworkPolicy, for pods it
//     selects that no NetworkPolicy isolates; it has no priority, and goes
//     after every Baseline ClusterNetworkPolicy (at the largest priority,
//     1000), since v0.1.x knows nothing else in that tier.
//   - A port entry is a protocol and port, a protocol and range (TCP when
//     the protocol is left out, as the CRD defaults it), or a named port.
//
// They are rewritten here as ClusterNetworkPolicies named "anp/NAME" and
// "banp/NAME", so the drop log and metrics tell the kinds apart.

// baselineAdminPriority is where the BaselineAdminNetworkPolicy sits in
// the Baseline tier: after every ClusterNetworkPolicy there.
const baselineAdminPriority = 1000

// tieredPolicies are the input's ClusterNetworkPolicies and its v1alpha1
// policies in their form.
func tieredPolicies(in Input) []*npav1alpha2.ClusterNetworkPolicy {
	if len(in.AdminPolicies)+len(in.BaselinePolicies) == 0 {
		return in.ClusterPolicies
	}
	out := append([]*npav1alpha2.ClusterNetworkPolicy{}, in.ClusterPolicies...)
	for _, anp := range in.AdminPolicies {
		if anp != nil {
			out = append(out, fromAdmin(anp))
		}
	}
	for _, banp := range in.BaselinePolicies {
		if banp != nil {
			out = append(out, fromBaseline(banp))
		}
	}
	return out
}

var adminActions = map[npav1alpha1.AdminNetworkPolicyRuleAction]npav1alpha2.ClusterNetworkPolicyRuleAction{
	npav1alpha1.AdminNetworkPolicyRuleActionAllow: npav1alpha2.ClusterNetworkPolicyRuleActionAccept,
	npav1alpha1.AdminNetworkPolicyRuleActionDeny:  npav1alpha2.ClusterNetworkPolicyRuleActionDeny,
	npav1alpha1.AdminNetworkPolicyRuleActionPass:  npav1alpha2.ClusterNetworkPolicyRuleActionPass,
}

var baselineActions = map[npav1alpha1.BaselineAdminNetworkPolicyRuleAction]npav1alpha2.ClusterNetworkPolicyRuleAction{
	npav1alpha1.BaselineAdminNetworkPolicyRuleActionAllow: npav1alpha2.ClusterNetworkPolicyRuleActionAccept,
	npav1alpha1.BaselineAdminNetworkPolicyRuleActionDeny:  npav1alpha2.ClusterNetworkPolicyRuleActionDeny,
}

// action maps a v1alpha1 action; one this enforcer does not know stays as
// written, which compileClusterRule refuses, as for any unknown action.
func action[A ~string](known map[A]npav1alpha2.ClusterNetworkPolicyRuleAction, a A) npav1alpha2.ClusterNetworkPolicyRuleAction {
	if mapped, ok := known[a]; ok {
		return mapped
	}
	return npav1alpha2.ClusterNetworkPolicyRuleAction(a)
}

func fromAdmin(anp *npav1alpha1.AdminNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy {
	out := &npav1alpha2.ClusterNetworkPolicy{}
	out.Name = "anp/" + anp.Name
	out.Spec = npav1alpha2.ClusterNetworkPolicySpec{Tier: npav1alpha2.AdminTier, Priority: anp.Spec.Priority, Subject: fromSubject(anp.Spec.Subject)}
	for _, r := range anp.Spec.Ingress {
		out.Spec.Ingress = append(out.Spec.Ingress, npav1alpha2.ClusterNetworkPolicyIngressRule{
			Name: r.Name, Action: action(adminActions, r.Action), From: fromIngressPeers(r.From), Protocols: fromPorts(r.Ports),
		})
	}
	for _, r := range anp.Spec.Egress {
		to := make([]npav1alpha2.ClusterNetworkPolicyEgressPeer, 0, len(r.To))
		for _, peer := range r.To {
			to = append(to, fromEgressPeer(peer.Namespaces, peer.Pods, peer.Nodes, peer.Networks, peer.DomainNames))
		}
		out.Spec.Egress = append(out.Spec.Egress, npav1alpha2.ClusterNetworkPolicyEgressRule{
			Name: r.Name, Action: action(adminActions, r.Action), To: to, Protocols: fromPorts(r.Ports),
		})
	}
	return out
}

func fromBaseline(banp *npav1alpha1.BaselineAdminNetworkPolicy) *npav1alpha2.ClusterNetworkPolicy {
	out := &npav1alpha2.ClusterNetworkPolicy{}
	out.Name = "banp/" + banp.Name
	out.Spec = npav1alpha2.ClusterNetworkPolicySpec{Tier: npav1alpha2.BaselineTier, Priority: baselineAdminPriority, Subject: fromSubject(banp.Spec.Subject)}
	for _, r := range banp.Spec.Ingress {
		out.Spec.Ingress = append(out.Spec.Ingress, npav1alpha2.ClusterNetworkPolicyIngressRule{
			Name: r.Name, Action: action(baselineActions, r.Action), From: fromIngressPeers(r.From), Protocols: fromPorts(r.Ports),
		})
	}
	for _, r := range banp.Spec.Egress {
		to := make([]npav1alpha2.ClusterNetworkPolicyEgressPeer, 0, len(r.To))
		for _, peer := range r.To {
			to = append(to, fromEgressPeer(peer.Namespaces, peer.Pods, peer.Nodes, peer.Networks, nil))
		}
		out.Spec.Egress = append(out.Spec.Egress, npav1alpha2.ClusterNetworkPolicyEgressRule{
			Name: r.Name, Action: action(baselineActions, r.Action), To: to, Protocols: fromPorts(r.Ports),
		})
	}
	return out
}

func fromSubject(s npav1alpha1.AdminNetworkPolicySubject) npav1alpha2.ClusterNetworkPolicySubject {
	return npav1alpha2.ClusterNetworkPolicySubject{Namespaces: s.Namespaces, Pods: fromPods(s.Pods)}
}

func fromPods(p *npav1alpha1.NamespacedPod) *npav1alpha2.NamespacedPod {
	if p == nil {
		return nil
	}
	return &npav1alpha2.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

func fromIngressPeers(peers []npav1alpha1.AdminNetworkPolicyIngressPeer) []npav1alpha2.ClusterNetworkPolicyIngressPeer {
	out := make([]npav1alpha2.ClusterNetworkPolicyIngressPeer, 0, len(peers))
	for _, p := range peers {
		out = append(out, npav1alpha2.ClusterNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: fromPods(p.Pods)})
	}
	return out
}

func fromEgressPeer(namespaces *metav1.LabelSelector, pods *npav1alpha1.NamespacedPod, nodes *metav1.LabelSelector, networks []npav1alpha1.CIDR, domains []npav1alpha1.DomainName) npav1alpha2.ClusterNetworkPolicyEgressPeer {
	peer := npav1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: namespaces, Pods: fromPods(pods), Nodes: nodes}
	for _, n := range networks {
		peer.Networks = append(peer.Networks, npav1alpha2.CIDR(n))
	}
	for _, d := range domains {
		peer.DomainNames = append(peer.DomainNames, npav1alpha2.DomainName(d))
	}
	return peer
}

// fromPorts rewrites a ports list as protocols. Absent ports match every
// port, as absent protocols do.
func fromPorts(ports *[]npav1alpha1.AdminNetworkPolicyPort) []npav1alpha2.ClusterNetworkPolicyProtocol {
	if ports == nil {
		return nil
	}
	out := make([]npav1alpha2.ClusterNetworkPolicyProtocol, 0, len(*ports))
	for _, p := range *ports {
		switch {
		case p.PortNumber != nil:
			out = append(out, onProtocol(p.PortNumber.Protocol, &npav1alpha2.Port{Number: p.PortNumber.Port}))
		case p.PortRange != nil:
			out = append(out, onProtocol(p.PortRange.Protocol, &npav1alpha2.Port{Range: &npav1alpha2.PortRange{Start: p.PortRange.Start, End: p.PortRange.End}}))
		case p.NamedPort != nil:
			out = append(out, npav1alpha2.ClusterNetworkPolicyProtocol{DestinationNamedPort: *p.NamedPort})
		default:
			// No field set: an entry from a newer CRD, which matches nothing
			// this enforcer can name; an empty protocol entry is refused by
			// the compiler, as the API asks of unknown fields.
			out = append(out, npav1alpha2.ClusterNetworkPolicyProtocol{})
		}
	}
	return out
}

func onProtocol(protocol corev1.Protocol, port *npav1alpha2.Port) npav1alpha2.ClusterNetworkPolicyProtocol {
	switch protocol {
	case corev1.ProtocolUDP:
		return npav1alpha2.ClusterNetworkPolicyProtocol{UDP: &npav1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}}
	case corev1.ProtocolSCTP:
		return npav1alpha2.ClusterNetworkPolicyProtocol{SCTP: &npav1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}}
	}
	return npav1alpha2.ClusterNetworkPolicyProtocol{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}}
}
