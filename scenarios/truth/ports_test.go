package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestPorts(t *testing.T) {
	// Ingress to y/b from x, on the given ports only.
	ingressOn := func(ports ...networkingv1.NetworkPolicyPort) worldTweak {
		return withPolicies(makePolicy("y", "allow", selecting(labels("app", "b")),
			withIngress(from(peers(nsPeer(labels("ns", "x"))), ports...))))
	}
	// Egress from x/a to anything, on the given ports only.
	egressOn := func(ports ...networkingv1.NetworkPolicyPort) worldTweak {
		return withPolicies(makePolicy("x", "allow", selecting(labels("app", "a")), withTypes(networkingv1.PolicyTypeEgress),
			withEgress(to(nil, ports...))))
	}
	tests := []struct {
		name  string
		world []worldTweak
		cells []expectCell
	}{
		{
			name:  "numeric port with TCP",
			world: []worldTweak{ingressOn(port("TCP", 80))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 81, tcp), deny("x/a", "y/b", 53, udp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "an omitted protocol means TCP",
			world: []worldTweak{ingressOn(tcpDefault(53))},
			cells: []expectCell{allow("x/a", "y/b", 53, tcp), deny("x/a", "y/b", 53, udp)},
		},
		{
			name:  "UDP",
			world: []worldTweak{ingressOn(port("UDP", 53))},
			cells: []expectCell{allow("x/a", "y/b", 53, udp), deny("x/a", "y/b", 53, tcp)},
		},
		{
			name:  "SCTP",
			world: []worldTweak{ingressOn(port("SCTP", 9000))},
			cells: []expectCell{allow("x/a", "y/b", 9000, sctp), deny("x/a", "y/b", 80, tcp)},
		},
		{
			name:  "no port means every port of the protocol",
			world: []worldTweak{ingressOn(anyPort("UDP"))},
			cells: []expectCell{allow("x/a", "y/b", 53, udp), deny("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 9000, sctp)},
		},
		{
			name:  "no port and no protocol means every TCP port",
			world: []worldTweak{ingressOn(networkingv1.NetworkPolicyPort{})},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "y/b", 53, tcp), deny("x/a", "y/b", 53, udp), deny("x/a", "y/b", 9000, sctp)},
		},
		{
			name:  "a rule without ports allows every port and protocol",
			world: []worldTweak{ingressOn()},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "y/b", 53, udp), allow("x/a", "y/b", 9000, sctp), deny("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "several ports are ORed",
			world: []worldTweak{ingressOn(port("TCP", 81), port("UDP", 53))},
			cells: []expectCell{allow("x/a", "y/b", 81, tcp), allow("x/a", "y/b", 53, udp), deny("x/a", "y/b", 80, tcp)},
		},
		{
			name:  "endPort range is inclusive",
			world: []worldTweak{ingressOn(portRange("TCP", 53, 80))},
			cells: []expectCell{allow("x/a", "y/b", 53, tcp), allow("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 81, tcp), deny("x/a", "y/b", 53, udp)},
		},
		{
			name:  "endPort below port matches nothing",
			world: []worldTweak{ingressOn(portRange("TCP", 81, 80))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 81, tcp)},
		},
		{
			name:  "endPort without port is ignored",
			world: []worldTweak{ingressOn(networkingv1.NetworkPolicyPort{Protocol: protocol("TCP"), EndPort: new(int32(1))})},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "y/b", 81, tcp), deny("x/a", "y/b", 53, udp)},
		},
		{
			name:  "a named port resolves on the destination pod",
			world: []worldTweak{ingressOn(named(nil, "http"))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 81, tcp)},
		},
		{
			name: "a named port follows the name to another number",
			world: []worldTweak{
				withPodPorts("y/b", scenarios.Port{Name: "http", Port: 8080, Protocol: tcp}, scenarios.Port{Port: 80, Protocol: tcp}),
				ingressOn(named(nil, "http")),
			},
			cells: []expectCell{allow("x/a", "y/b", 8080, tcp), deny("x/a", "y/b", 80, tcp)},
		},
		{
			name:  "a named port needs the same protocol",
			world: []worldTweak{ingressOn(named(nil, "dns"), named(protocol("UDP"), "dns-tcp"))},
			cells: []expectCell{deny("x/a", "y/b", 53, udp), deny("x/a", "y/b", 53, tcp)},
		},
		{
			name:  "a named UDP port",
			world: []worldTweak{ingressOn(named(protocol("UDP"), "dns"))},
			cells: []expectCell{allow("x/a", "y/b", 53, udp), deny("x/a", "y/b", 53, tcp)},
		},
		{
			name:  "a named port with endPort uses the name only",
			world: []worldTweak{ingressOn(networkingv1.NetworkPolicyPort{Port: new(intstr.FromString("http")), EndPort: new(int32(81))})},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 81, tcp)},
		},
		{
			name:  "an empty port name matches no unnamed port",
			world: []worldTweak{ingressOn(named(nil, ""))},
			cells: []expectCell{deny("x/a", "y/b", 81, tcp), deny("x/a", "y/b", 80, tcp)},
		},
		{
			name:  "egress numeric port applies to pods and external hosts",
			world: []worldTweak{egressOn(port("TCP", 80))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "ext", 80, tcp), deny("x/a", "ext", 53, udp), deny("x/a", "y/b", 81, tcp)},
		},
		{
			name: "egress named port resolves on each destination pod",
			world: []worldTweak{
				withPodPorts("y/a", scenarios.Port{Name: "http", Port: 8080, Protocol: tcp}, scenarios.Port{Port: 80, Protocol: tcp}),
				egressOn(named(nil, "http")),
			},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "y/a", 8080, tcp), deny("x/a", "y/a", 80, tcp)},
		},
		{
			name:  "a named port never matches an external host, even one naming its port",
			world: []worldTweak{egressOn(named(nil, "http"))},
			cells: []expectCell{deny("x/a", "ext", 80, tcp), allow("x/a", "x/b", 80, tcp)},
		},
		{
			name:  "egress endPort range",
			world: []worldTweak{egressOn(portRange("UDP", 50, 60))},
			cells: []expectCell{allow("x/a", "ext", 53, udp), allow("x/a", "y/a", 53, udp), deny("x/a", "y/a", 53, tcp)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCells(t, makeWorld(tt.world...), tt.cells) })
	}
}
