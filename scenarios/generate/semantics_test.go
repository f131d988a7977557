package generate

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// tablesOf simulates a combo's case and returns its truth table after each step.
func tablesOf(t *testing.T, c combo) []*truth.TruthTable {
	t.Helper()
	if r := invalidReason(c); r != "" {
		t.Fatalf("combo %s is invalid: %s", caseName(c), r)
	}
	var out []*truth.TruthTable
	if err := simulate(newCase(c), func(tt *truth.TruthTable) { out = append(out, tt) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCasesMeanWhatTheirNamesSay checks, through the oracle, a few cells of
// cases of every peer kind and step kind: the policy a name promises is the
// policy the case applies.
func TestCasesMeanWhatTheirNamesSay(t *testing.T) {
	type cell struct {
		step     int
		from, to string
		port     int32
		proto    scenarios.Protocol
		allowed  bool
	}
	tcp, udp, sctp := scenarios.TCP, scenarios.UDP, scenarios.SCTP
	tests := []struct {
		c     combo
		cells []cell
	}{
		{combo{DirectionIngress, TargetAll, PeerIPBlock, NamespaceAll, PortNumeric, ProtocolTCP, StepCreate}, []cell{
			{0, "ext-in", "x/a", 80, tcp, true},
			{0, "ext-out", "x/a", 80, tcp, false},
			{0, "y/b", "x/a", 80, tcp, true},
			{0, "y/b", "x/a", 81, tcp, false},
			{0, "y/b", "x/a", 80, udp, false},
		}},
		{combo{DirectionIngress, TargetAll, PeerIPBlockExcept, NamespaceSame, PortNone, ProtocolTCP, StepCreate}, []cell{
			{0, "x/b", "x/c", 80, tcp, false},
			{0, "x/a", "x/c", 81, sctp, true},
			{0, "y/a", "x/c", 80, tcp, false},
			{0, "x/a", "y/c", 80, tcp, true},
		}},
		{combo{DirectionEgress, TargetPodSelector, PeerPodAndNamespace, NamespaceOther, PortNamed, ProtocolUDP, StepCreate}, []cell{
			{0, "x/a", "y/b", 80, udp, true},
			{0, "x/a", "y/b", 81, udp, false},
			{0, "x/a", "x/b", 80, udp, false},
			{0, "x/a", "y/a", 80, udp, false},
			{0, "x/b", "y/a", 80, udp, true},
			{0, "x/a", "ext-out", 80, udp, false},
		}},
		{combo{DirectionIngress, TargetAll, PeerTwoPeers, NamespaceSame, PortNone, ProtocolTCP, StepCreate}, []cell{
			{0, "x/c", "x/a", 80, tcp, true},
			{0, "x/b", "x/a", 80, tcp, true},
			{0, "x/a", "x/b", 80, tcp, false},
			{0, "y/b", "x/a", 80, tcp, false},
		}},
		{combo{DirectionIngress, TargetAll, PeerNamespaceSelector, NamespaceRelabel, PortNumeric, ProtocolTCP, StepRelabelNamespace}, []cell{
			{0, "y/a", "x/a", 80, tcp, false},
			{1, "y/a", "x/a", 80, tcp, true},
			{1, "z/a", "x/a", 80, tcp, false},
		}},
		{combo{DirectionIngress, TargetPodSelector, PeerNoRule, NamespaceSame, PortNone, ProtocolTCP, StepRelabelPod}, []cell{
			{0, "y/a", "x/c", 80, tcp, true},
			{1, "y/a", "x/c", 80, tcp, false},
			{0, "x/b", "x/a", 80, tcp, false},
			{1, "x/b", "x/a", 80, tcp, false},
		}},
		{combo{DirectionIngress, TargetAll, PeerPodSelector, NamespaceSame, PortNumeric, ProtocolTCP, StepRelabelPod}, []cell{
			{0, "x/a", "x/c", 80, tcp, false},
			{1, "x/a", "x/c", 80, tcp, true},
		}},
		{combo{DirectionIngress, TargetAll, PeerEmpty, NamespaceAll, PortEndPort, ProtocolTCP, StepUpdate}, []cell{
			{0, "ext-out", "x/a", 81, tcp, true},
			{0, "ext-out", "x/a", 80, tcp, false},
			{1, "ext-out", "x/a", 80, tcp, true},
			{1, "ext-out", "x/a", 81, tcp, false},
		}},
		{combo{DirectionEgress, TargetAll, PeerNoRule, NamespaceSame, PortNone, ProtocolTCP, StepDelete}, []cell{
			{0, "x/a", "y/a", 80, tcp, false},
			{1, "x/a", "y/a", 80, tcp, true},
		}},
		{combo{DirectionIngress, TargetAll, PeerNoRule, NamespaceSame, PortNone, ProtocolTCP, StepUpdate}, []cell{
			{0, "ext-out", "x/a", 81, tcp, false},
			{1, "ext-out", "x/a", 81, tcp, true},
			{1, "ext-out", "x/a", 80, tcp, false},
			{1, "ext-out", "x/a", 81, udp, false},
		}},
		{combo{DirectionIngress, TargetAll, PeerEmpty, NamespaceAll, PortSeveral, ProtocolSCTP, StepCreate}, []cell{
			{0, "z/c", "x/b", 80, sctp, true},
			{0, "z/c", "x/b", 81, sctp, true},
			{0, "z/c", "x/b", 80, tcp, false},
		}},
		{combo{DirectionBoth, TargetMatchExpressions, PeerNamespaceSelector, NamespaceOther, PortNone, ProtocolTCP, StepCreate}, []cell{
			{0, "y/c", "x/b", 80, tcp, true},
			{0, "x/b", "y/c", 80, tcp, true},
			{0, "z/c", "x/b", 80, tcp, false},
			{0, "x/b", "z/c", 80, tcp, false},
			{0, "z/c", "x/c", 80, tcp, true},
		}},
	}
	for _, tt := range tests {
		t.Run(caseName(tt.c), func(t *testing.T) {
			tables := tablesOf(t, tt.c)
			if len(tables) != stepCount(tt.c) {
				t.Fatalf("%d tables, want %d", len(tables), stepCount(tt.c))
			}
			for _, c := range tt.cells {
				got, found := tables[c.step].Lookup(c.from, c.to, c.port, c.proto)
				if !found || got != c.allowed {
					t.Errorf("step %d: %s -> %s %d/%s: allowed=%v found=%v, want allowed=%v",
						c.step, c.from, c.to, c.port, c.proto, got, found, c.allowed)
				}
			}
		})
	}
}

// TestModelAddressesAndBlocks checks the addresses the ipBlocks were chosen
// for: pods at 192.168.<namespace>.<10+pod>, the blocks expanded to the
// namespaces' /24s and the /16 that holds ext-in.
func TestModelAddressesAndBlocks(t *testing.T) {
	tests := []struct {
		namespace    string
		cidr, except string
	}{
		{NamespaceSame, "192.168.0.0/24", "192.168.0.11/32"},
		{NamespaceOther, "192.168.1.0/24", "192.168.1.11/32"},
		{NamespaceAll, "192.168.0.0/16", "192.168.1.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.namespace, func(t *testing.T) {
			c := combo{DirectionIngress, TargetAll, PeerIPBlockExcept, tt.namespace, PortNumeric, ProtocolTCP, StepCreate}
			s := newCase(c)
			st, err := scenarios.NewState(s)
			if err != nil {
				t.Fatal(err)
			}
			change, err := st.Resolve(s.Steps[0].Actions[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Commit(change); err != nil {
				t.Fatal(err)
			}
			w := st.World()
			ips := map[string]string{}
			for _, p := range w.Pods {
				ips[p.ID()] = p.IP
			}
			wantIPs := map[string]string{"x/a": "192.168.0.10", "x/b": "192.168.0.11", "y/a": "192.168.1.10", "z/c": "192.168.2.12"}
			for id, ip := range wantIPs {
				if ips[id] != ip {
					t.Errorf("pod %s has IP %q, want %q", id, ips[id], ip)
				}
			}
			if len(w.Policies) != 1 {
				t.Fatalf("%d policies, want 1", len(w.Policies))
			}
			block := w.Policies[0].Spec.Ingress[0].From[0].IPBlock
			if block.CIDR != tt.cidr || len(block.Except) != 1 || block.Except[0] != tt.except {
				t.Errorf("ipBlock = %s except %v, want %s except [%s]", block.CIDR, block.Except, tt.cidr, tt.except)
			}
		})
	}
}
