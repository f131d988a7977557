package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPeers(t *testing.T) {
	ingressFrom := func(ps ...networkingv1.NetworkPolicyPeer) worldTweak {
		return withPolicies(makePolicy("y", "allow", selecting(labels("app", "b")), withIngress(from(ps))))
	}
	egressTo := func(ps ...networkingv1.NetworkPolicyPeer) worldTweak {
		return withPolicies(makePolicy("x", "allow", selecting(labels("app", "a")), withTypes(networkingv1.PolicyTypeEgress), withEgress(to(ps))))
	}
	tests := []struct {
		name  string
		world []worldTweak
		cells []expectCell
	}{
		{
			name:  "podSelector alone means pods of the policy's namespace",
			world: []worldTweak{ingressFrom(podPeer(labels("app", "a")))},
			cells: []expectCell{allow("y/a", "y/b", 80, tcp), deny("x/a", "y/b", 80, tcp), deny("x/b", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "an empty podSelector means every pod of the policy's namespace",
			world: []worldTweak{ingressFrom(podPeer(all()))},
			cells: []expectCell{allow("y/a", "y/b", 80, tcp), allow("y/b", "y/b", 80, tcp), deny("x/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "namespaceSelector alone means every pod of the matching namespaces",
			world: []worldTweak{ingressFrom(nsPeer(labels("ns", "x")))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/b", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "an empty namespaceSelector means every pod but no external host",
			world: []worldTweak{ingressFrom(nsPeer(all()))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("y/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "namespaceSelector matches the kubernetes.io/metadata.name label",
			world: []worldTweak{ingressFrom(nsPeer(expr("kubernetes.io/metadata.name", metav1.LabelSelectorOpIn, "x")))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name: "namespaceSelector NotIn matches a namespace without the key",
			world: []worldTweak{
				withNamespaceLabels("x", map[string]string{"kubernetes.io/metadata.name": "x"}),
				ingressFrom(nsPeer(expr("ns", metav1.LabelSelectorOpNotIn, "y"))),
			},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "podSelector and namespaceSelector in one peer are ANDed",
			world: []worldTweak{ingressFrom(podInNsPeer(labels("app", "a"), labels("ns", "x")))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/b", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "several peers are ORed",
			world: []worldTweak{ingressFrom(nsPeer(labels("ns", "x")), podPeer(labels("app", "a")))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/b", "y/b", 80, tcp), allow("y/a", "y/b", 80, tcp), deny("y/b", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "nil from admits every pod and every external host",
			world: []worldTweak{withPolicies(makePolicy("y", "allow-all", withIngress(from(nil))))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("ext", "y/b", 53, udp), allow("y/a", "y/a", 9000, sctp)},
		},
		{
			name:  "zero-length from admits every pod and every external host",
			world: []worldTweak{withPolicies(makePolicy("y", "allow-all", withIngress(from([]networkingv1.NetworkPolicyPeer{}))))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("ext", "y/b", 53, udp)},
		},
		{
			name:  "a rule {} allows everything; an empty rule list allows nothing",
			world: []worldTweak{withPolicies(makePolicy("y", "open", selecting(labels("app", "a")), withIngress(networkingv1.NetworkPolicyIngressRule{})), makePolicy("y", "closed", selecting(labels("app", "b"))))},
			cells: []expectCell{allow("ext", "y/a", 9000, sctp), allow("x/b", "y/a", 53, udp), deny("x/b", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "ipBlock matches pod addresses",
			world: []worldTweak{ingressFrom(ipPeer("192.168.0.2/32"))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/b", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "ipBlock except carves addresses out",
			world: []worldTweak{ingressFrom(ipPeer("192.168.0.0/16", "192.168.0.2/32", "192.168.1.0/24"))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), allow("x/b", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "ipBlock with host bits set still means its network",
			world: []worldTweak{ingressFrom(ipPeer("192.168.0.77/24"))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/b", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "ipBlock matches external hosts",
			world: []worldTweak{ingressFrom(ipPeer("203.0.113.0/24"))},
			cells: []expectCell{allow("ext", "y/b", 80, tcp), deny("x/a", "y/b", 80, tcp)},
		},
		{
			name:  "everything but the pod range admits only external hosts",
			world: []worldTweak{ingressFrom(ipPeer("0.0.0.0/0", "192.168.0.0/16"))},
			cells: []expectCell{allow("ext", "y/b", 80, tcp), deny("x/a", "y/b", 80, tcp), deny("y/b", "y/b", 80, tcp)},
		},
		{
			name:  "a pod without an address is matched by no ipBlock",
			world: []worldTweak{withPodIP("x/a", ""), ingressFrom(ipPeer("0.0.0.0/0"))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), allow("x/b", "y/b", 80, tcp)},
		},
		{
			name:  "an invalid cidr matches nothing",
			world: []worldTweak{ingressFrom(ipPeer("192.168.0.0/33"), ipPeer("nonsense"))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "an invalid except makes the whole block match nothing",
			world: []worldTweak{ingressFrom(ipPeer("0.0.0.0/0", "192.168.0.2/32", "bad"))},
			cells: []expectCell{deny("x/b", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name: "a peer mixing ipBlock with a selector matches nothing",
			world: []worldTweak{ingressFrom(networkingv1.NetworkPolicyPeer{
				IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}, NamespaceSelector: all(),
			})},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "a peer with nothing set matches nothing",
			world: []worldTweak{ingressFrom(networkingv1.NetworkPolicyPeer{})},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name:  "egress podSelector means destinations in the policy's namespace",
			world: []worldTweak{egressTo(podPeer(labels("app", "b")))},
			cells: []expectCell{allow("x/a", "x/b", 80, tcp), deny("x/a", "y/b", 80, tcp), deny("x/a", "ext", 80, tcp), allow("x/b", "y/b", 80, tcp)},
		},
		{
			name:  "egress namespaceSelector and podSelector are ANDed",
			world: []worldTweak{egressTo(podInNsPeer(labels("app", "b"), labels("ns", "y")))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/a", "x/b", 80, tcp), deny("x/a", "y/a", 80, tcp)},
		},
		{
			name:  "egress ipBlock reaches external hosts",
			world: []worldTweak{egressTo(ipPeer("203.0.113.10/32"))},
			cells: []expectCell{allow("x/a", "ext", 80, tcp), allow("x/a", "ext", 53, udp), deny("x/a", "x/b", 80, tcp)},
		},
		{
			name:  "egress ipBlock matches pod addresses",
			world: []worldTweak{egressTo(ipPeer("192.168.1.0/24", "192.168.1.2/32"))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/a", "y/a", 80, tcp), deny("x/a", "ext", 80, tcp)},
		},
		{
			name:  "egress nil to admits every destination",
			world: []worldTweak{withPolicies(makePolicy("x", "egress-all", withTypes(networkingv1.PolicyTypeEgress), withEgress(to(nil))))},
			cells: []expectCell{allow("x/a", "ext", 53, udp), allow("x/a", "y/b", 9000, sctp), allow("x/a", "x/a", 80, tcp)},
		},
		{
			name: "a pod of a namespace the World does not list has no namespace labels",
			world: []worldTweak{
				func(w *scenarios.World) { w.Pods[0].Namespace = "z" },
				ingressFrom(nsPeer(expr("ns", metav1.LabelSelectorOpDoesNotExist))),
			},
			cells: []expectCell{allow("z/a", "y/b", 80, tcp), deny("x/b", "y/b", 80, tcp)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCells(t, makeWorld(tt.world...), tt.cells) })
	}
}
