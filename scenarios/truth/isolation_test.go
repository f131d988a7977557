package truth

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestIsolation(t *testing.T) {
	ingress, egress := networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress
	tests := []struct {
		name  string
		world []worldTweak
		cells []expectCell
	}{
		{
			name: "no policies allow everything",
			cells: []expectCell{
				allow("x/a", "y/b", 80, tcp), allow("y/b", "x/a", 53, udp), allow("ext", "x/a", 9000, sctp),
				allow("x/a", "ext", 80, tcp), allow("x/a", "x/a", 81, tcp),
			},
		},
		{
			name:  "deny-all ingress isolates every pod of its namespace and nothing else",
			world: []worldTweak{withPolicies(makePolicy("y", "deny-all"))},
			cells: []expectCell{
				deny("x/a", "y/b", 80, tcp), deny("y/a", "y/b", 80, tcp), deny("ext", "y/a", 80, tcp), deny("y/b", "y/b", 80, tcp),
				allow("y/b", "x/a", 80, tcp), allow("y/b", "ext", 53, udp), allow("x/b", "x/a", 81, tcp),
			},
		},
		{
			name:  "a policy isolates only the pods its podSelector selects",
			world: []worldTweak{withPolicies(makePolicy("x", "deny-a", selecting(labels("app", "a"))))},
			cells: []expectCell{deny("y/b", "x/a", 80, tcp), allow("y/b", "x/b", 80, tcp)},
		},
		{
			name:  "a policy never selects pods of another namespace",
			world: []worldTweak{withPolicies(makePolicy("y", "deny-a", selecting(labels("app", "a"))))},
			cells: []expectCell{allow("x/b", "x/a", 80, tcp), deny("x/b", "y/a", 80, tcp), allow("x/b", "y/b", 80, tcp)},
		},
		{
			name: "omitted policyTypes with egress rules isolate both ways",
			world: []worldTweak{withPolicies(makePolicy("x", "egress-to-b",
				withEgress(to(peers(nsPeer(labels("ns", "y"))), port("TCP", 80)))))},
			cells: []expectCell{
				allow("x/a", "y/b", 80, tcp), deny("x/a", "y/b", 81, tcp), deny("x/a", "x/b", 80, tcp), deny("x/a", "ext", 80, tcp),
				deny("y/a", "x/a", 80, tcp),
			},
		},
		{
			name:  "omitted policyTypes without egress rules leave egress open",
			world: []worldTweak{withPolicies(makePolicy("x", "ingress-only", withIngress(from(peers(podPeer(all()))))))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "ext", 53, udp), allow("x/b", "x/a", 80, tcp), deny("y/b", "x/a", 80, tcp)},
		},
		{
			name:  "Egress type alone isolates egress and leaves ingress open",
			world: []worldTweak{withPolicies(makePolicy("x", "deny-egress", withTypes(egress)))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), deny("x/a", "ext", 80, tcp), deny("x/a", "x/b", 80, tcp), allow("y/b", "x/a", 80, tcp), allow("ext", "x/a", 80, tcp)},
		},
		{
			name: "Ingress type alone ignores the policy's egress rules",
			world: []worldTweak{withPolicies(makePolicy("x", "ingress-typed", withTypes(ingress),
				withEgress(to(peers(podPeer(all())))), withIngress(from(peers(podPeer(all()))))))},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/a", "ext", 80, tcp), allow("x/b", "x/a", 80, tcp), deny("y/a", "x/a", 80, tcp)},
		},
		{
			name:  "both types with no rules deny both ways",
			world: []worldTweak{withPolicies(makePolicy("x", "deny-both", withTypes(ingress, egress)))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), deny("y/b", "x/a", 80, tcp), deny("x/a", "x/a", 80, tcp), allow("y/a", "y/b", 80, tcp)},
		},
		{
			name:  "an unknown policy type isolates nothing",
			world: []worldTweak{withPolicies(makePolicy("x", "sideways", withTypes("Sideways")))},
			cells: []expectCell{allow("y/b", "x/a", 80, tcp), allow("x/a", "y/b", 80, tcp)},
		},
		{
			name:  "external hosts are never isolated",
			world: []worldTweak{withPolicies(makePolicy("x", "deny-both", withTypes(ingress, egress)))},
			cells: []expectCell{allow("ext", "y/a", 80, tcp), allow("y/a", "ext", 80, tcp), deny("ext", "x/a", 80, tcp)},
		},
		{
			name: "policies are additive: an allow beside a deny-all wins",
			world: []worldTweak{withPolicies(
				makePolicy("y", "deny-all"),
				makePolicy("y", "allow-from-x", withIngress(from(peers(nsPeer(labels("ns", "x")))))),
			)},
			cells: []expectCell{allow("x/a", "y/b", 80, tcp), allow("x/b", "y/a", 53, udp), deny("y/a", "y/b", 80, tcp), deny("ext", "y/b", 80, tcp)},
		},
		{
			name: "traffic needs both the source's egress and the destination's ingress",
			world: []worldTweak{withPolicies(
				makePolicy("x", "egress-to-y", withTypes(egress), withEgress(to(peers(nsPeer(labels("ns", "y")))))),
				makePolicy("y", "ingress-from-b", selecting(labels("app", "a")), withIngress(from(peers(nsPeer(all()), podPeer(labels("app", "b")))))),
			)},
			cells: []expectCell{allow("x/a", "y/a", 80, tcp), allow("x/a", "y/b", 80, tcp), deny("x/a", "x/b", 80, tcp), allow("y/b", "y/a", 80, tcp), deny("ext", "y/a", 80, tcp), allow("ext", "y/b", 80, tcp)},
		},
		{
			name:  "a nil policy in the list is skipped",
			world: []worldTweak{withPolicies(nil, makePolicy("y", "deny-all"))},
			cells: []expectCell{deny("x/a", "y/b", 80, tcp), allow("y/a", "x/b", 80, tcp)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkCells(t, makeWorld(tt.world...), tt.cells) })
	}
}

func TestDirections(t *testing.T) {
	ingress, egress := networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress
	tests := []struct {
		name                string
		policy              *networkingv1.NetworkPolicy
		wantIngress, wantEg bool
	}{
		{"omitted, no rules", makePolicy("x", "p"), true, false},
		{"omitted, ingress rules", makePolicy("x", "p", withIngress(from(nil))), true, false},
		{"omitted, egress rules", makePolicy("x", "p", withEgress(to(nil))), true, true},
		{"Ingress", makePolicy("x", "p", withTypes(ingress), withEgress(to(nil))), true, false},
		{"Egress", makePolicy("x", "p", withTypes(egress)), false, true},
		{"both", makePolicy("x", "p", withTypes(egress, ingress)), true, true},
		{"unknown only", makePolicy("x", "p", withTypes("Other")), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, eg := directions(tt.policy)
			if in != tt.wantIngress || eg != tt.wantEg {
				t.Errorf("directions = (%v, %v), want (%v, %v)", in, eg, tt.wantIngress, tt.wantEg)
			}
		})
	}
}
