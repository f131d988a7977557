package truth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/netpolcheck/netpolcheck/scenarios"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// GenerateWorldWithClusterPolicies is GenerateWorld with clusterPolicies
// ClusterNetworkPolicies added: both tiers, all three actions, priorities
// from a small set so that equal priorities (and undefined cells) are
// common, namespace and pod subjects, namespace, pod, network, node and
// domain-name peers, and port numbers, ranges and named ports.
func GenerateWorldWithClusterPolicies(seed int64, pods, namespaces, policies, clusterPolicies int) *scenarios.World {
	r := rand.New(rand.NewPCG(uint64(seed), 0x636e70))
	g := worldGenerator{pick: r.IntN}
	w := g.world(pods, namespaces, policies)
	g.addClusterPolicies(w, clusterPolicies)
	return w
}

func (g *worldGenerator) addClusterPolicies(w *scenarios.World, n int) {
	for i := range n {
		w.ClusterPolicies = append(w.ClusterPolicies, g.clusterPolicy(w, fmt.Sprintf("cnp%02d", i)))
	}
}

var (
	clusterActions = []npav1alpha2.ClusterNetworkPolicyRuleAction{
		npav1alpha2.ClusterNetworkPolicyRuleActionAccept, npav1alpha2.ClusterNetworkPolicyRuleActionDeny, npav1alpha2.ClusterNetworkPolicyRuleActionPass,
	}
	clusterPriorities = []int32{0, 5, 5, 10, 10, 1000}
)

func (g *worldGenerator) clusterPolicy(w *scenarios.World, name string) *npav1alpha2.ClusterNetworkPolicy {
	p := &npav1alpha2.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}
	p.Spec.Tier = npav1alpha2.AdminTier
	if g.chance(40) {
		p.Spec.Tier = npav1alpha2.BaselineTier
	}
	p.Spec.Priority = clusterPriorities[g.pick(len(clusterPriorities))]
	switch {
	case g.wild && g.chance(5):
		// No subject at all: selects nothing.
	case g.chance(25):
		p.Spec.Subject.Namespaces = &metav1.LabelSelector{} // every pod, as administrators often write
	case g.chance(50):
		p.Spec.Subject.Namespaces = g.namespaceSelector(w)
	default:
		p.Spec.Subject.Pods = g.namespacedPod(w)
	}
	for range g.pick(4) {
		r := npav1alpha2.ClusterNetworkPolicyIngressRule{Action: g.clusterAction(), Protocols: g.clusterProtocols()}
		for range 1 + g.pick(2) {
			var peer npav1alpha2.ClusterNetworkPolicyIngressPeer
			switch {
			case g.wild && g.chance(10):
				// An empty peer: fails closed.
			case g.chance(25):
				peer.Namespaces = &metav1.LabelSelector{}
			case g.chance(50):
				peer.Namespaces = g.namespaceSelector(w)
			default:
				peer.Pods = g.namespacedPod(w)
			}
			r.From = append(r.From, peer)
		}
		p.Spec.Ingress = append(p.Spec.Ingress, r)
	}
	for range g.pick(4) {
		r := npav1alpha2.ClusterNetworkPolicyEgressRule{Action: g.clusterAction(), Protocols: g.clusterProtocols()}
		for range 1 + g.pick(2) {
			var peer npav1alpha2.ClusterNetworkPolicyEgressPeer
			switch g.pick(10) {
			case 9:
				peer.Namespaces = &metav1.LabelSelector{}
			case 0, 1:
				peer.Namespaces = g.namespaceSelector(w)
			case 2, 3:
				peer.Pods = g.namespacedPod(w)
			case 4, 5, 6:
				for range 1 + g.pick(2) {
					peer.Networks = append(peer.Networks, g.network(w))
				}
			case 7:
				peer.Nodes = g.selectorOrAll(nsLabelKeys, nsLabelValues)
			default:
				peer.DomainNames = []npav1alpha2.DomainName{"example.com"}
			}
			if g.wild && g.chance(10) {
				if g.chance(50) {
					peer = npav1alpha2.ClusterNetworkPolicyEgressPeer{} // empty: fails closed
				} else {
					peer.Namespaces = &metav1.LabelSelector{} // a second field: fails closed too
					peer.Networks = []npav1alpha2.CIDR{"0.0.0.0/0"}
				}
			}
			r.To = append(r.To, peer)
		}
		if !g.wild {
			r.Protocols = withoutNamedPortsForAddresses(r)
		}
		p.Spec.Egress = append(p.Spec.Egress, r)
	}
	return p
}

func (g *worldGenerator) clusterAction() npav1alpha2.ClusterNetworkPolicyRuleAction {
	return clusterActions[g.pick(len(clusterActions))]
}

func (g *worldGenerator) namespacedPod(w *scenarios.World) *npav1alpha2.NamespacedPod {
	p := &npav1alpha2.NamespacedPod{PodSelector: *g.selectorOrAll(podLabelKeys, podLabelValues)}
	if g.chance(70) {
		p.NamespaceSelector = *g.namespaceSelector(w)
	}
	return p
}

// network draws a CIDR around some endpoint's address, or 0.0.0.0/0.
func (g *worldGenerator) network(w *scenarios.World) npav1alpha2.CIDR {
	if g.wild && g.chance(5) {
		return "not-a-cidr"
	}
	if g.chance(15) {
		return "0.0.0.0/0"
	}
	bits := []int{16, 24, 28, 30, 32}[g.pick(5)]
	return npav1alpha2.CIDR(netip.PrefixFrom(g.endpointAddr(w), bits).Masked().String())
}

func (g *worldGenerator) clusterProtocols() []npav1alpha2.ClusterNetworkPolicyProtocol {
	if g.chance(30) {
		return nil // every port and protocol
	}
	var out []npav1alpha2.ClusterNetworkPolicyProtocol
	for range 1 + g.pick(2) {
		var p npav1alpha2.ClusterNetworkPolicyProtocol
		if g.chance(20) {
			p.DestinationNamedPort = portNames[g.pick(len(portNames))]
			out = append(out, p)
			continue
		}
		var port *npav1alpha2.Port // nil, which the schema refuses, means every port
		choices := 2
		if g.wild {
			choices = 3
		}
		switch g.pick(choices) {
		case 0:
			port = &npav1alpha2.Port{Number: policyPorts[g.pick(len(policyPorts))]}
		case 1:
			start := policyPorts[g.pick(len(policyPorts))]
			end := start + []int32{1, 10, 1000}[g.pick(3)]
			if g.wild && g.chance(20) {
				end = start - 1 // a reversed range matches nothing
			}
			port = &npav1alpha2.Port{Range: &npav1alpha2.PortRange{Start: start, End: end}}
		}
		switch g.pick(3) {
		case 0:
			p.TCP = &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}
		case 1:
			p.UDP = &npav1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}
		default:
			p.SCTP = &npav1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}
		}
		out = append(out, p)
	}
	return out
}

// withoutNamedPortsForAddresses drops named ports from a rule whose peers
// include networks, nodes or domain names, as the CRD's CEL rule requires.
func withoutNamedPortsForAddresses(r npav1alpha2.ClusterNetworkPolicyEgressRule) []npav1alpha2.ClusterNetworkPolicyProtocol {
	addresses := false
	for _, peer := range r.To {
		addresses = addresses || peer.Networks != nil || peer.Nodes != nil || peer.DomainNames != nil
	}
	if !addresses {
		return r.Protocols
	}
	var out []npav1alpha2.ClusterNetworkPolicyProtocol
	for _, p := range r.Protocols {
		if p.DestinationNamedPort == "" {
			out = append(out, p)
		}
	}
	return out
}
