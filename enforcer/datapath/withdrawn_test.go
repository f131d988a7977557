package datapath

import (
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// TestIntegrationWithdrawnFlowStaysWithdrawn: when a policy change
// withdraws the approval of a flow, a reply already in flight must not
// turn the flow around. BenchmarkPolicyChange found this: b's echo of a
// datagram sent just before the change was recorded as a new flow of b's
// (whose egress is open), after which a's datagrams passed as replies to
// it and the denied cell stayed open for as long as the stream ran.
func TestIntegrationWithdrawnFlowStaysWithdrawn(t *testing.T) {
	tests := []struct {
		name  string
		flow  func(src, dst uint16) packet
		reply func(src, dst uint16) packet
	}{
		{"udp",
			func(s, d uint16) packet { return allowed(atIngress, udp(xa, xb, s, d)) },
			func(s, d uint16) packet { return allowed(atEgress, udp(xb, xa, s, d)) }},
		{"tcp",
			func(s, d uint16) packet { return allowed(atIngress, tcp(xa, xb, s, d)) },
			func(s, d uint16) packet { return allowed(atEgress, tcp(xb, xa, s, d)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := openTest(t)
			open := testInput(policy("x", "b-from-a", "b", ingressFrom(podsWithApp("a"),
				ports(corev1.ProtocolTCP, 80, 80), ports(corev1.ProtocolUDP, 80, 80))))
			closed := testInput(policy("x", "b-isolated", "b"))
			apply := func(in compile.Input) { applyPolicies(t, d, in) }

			apply(open)
			run(t, d, tt.flow(40000, 80), "a to b under the open policy")
			run(t, d, tt.reply(80, 40000), "b's reply under the open policy")
			apply(closed)
			// A reply sent before the change crosses b's egress after it:
			// b may send to a, so it passes...
			run(t, d, tt.reply(80, 40000), "b's reply in flight across the change")
			// ...but a's next packet is no reply to anything b started.
			next := tt.flow(40000, 80)
			next.want = bpf.VerdictDrop
			run(t, d, next, "a to b after the change")
			run(t, d, next, "a to b again after the change")
		})
	}
}

func run(tb testing.TB, d *Datapath, p packet, what string) {
	tb.Helper()
	if got := runAt(tb, d, p.hook, p.frame); got != p.want {
		tb.Errorf("%s: %s, want %s", what, verdictName(got), verdictName(p.want))
	}
}

// TestIntegrationConntrackStampFromAnotherCPU: a packet reads the clock,
// then finds its flow stamped later by another CPU. The approval is fresh;
// taking it for 2^64 ns old made replies pass as new flows of the other
// side (BenchmarkPolicyChange found this too).
func TestIntegrationConntrackStampFromAnotherCPU(t *testing.T) {
	d := openTest(t)
	// b admits a on 80 and may start nothing: its replies pass only
	// through conntrack.
	applyPolicies(t, d, testInput(policy("x", "b", "b",
		types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress),
		ingressFrom(podsWithApp("a"), ports(corev1.ProtocolUDP, 80, 80)))))
	run(t, d, allowed(atIngress, udp(xa, xb, 40000, 80)), "a to b")

	key := bpf.PolicyCtKey{Saddr: networkAddr(xa), Daddr: networkAddr(xb), Sport: networkPort(40000), Dport: networkPort(80),
		Protocol: 17, Direction: uint8(bpf.Ingress)}
	var approval bpf.PolicyCtValue
	if err := d.objs.Conntrack.Lookup(&key, &approval); err != nil {
		t.Fatalf("conntrack entry of a to b: %v", err)
	}
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &now); err != nil {
		t.Fatalf("clock: %v", err)
	}
	approval.LastSeen = uint64(now.Nano()) + uint64(10*time.Second)
	if err := d.objs.Conntrack.Update(&key, &approval, ebpf.UpdateExist); err != nil {
		t.Fatalf("stamp conntrack entry: %v", err)
	}
	run(t, d, allowed(atEgress, udp(xb, xa, 80, 40000)), "b's reply to an approval stamped ahead of the packet's clock")
}
