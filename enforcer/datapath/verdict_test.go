package datapath

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
)

// packet is one test packet: the hook it is run at, the frame, and the verdict wanted.
type packet struct {
	hook  string
	frame []byte
	want  int32
}

func allowed(hook string, f testpacket.Flow) packet {
	return packet{hook, testpacket.IPv4(f), bpf.VerdictAccept}
}

func dropped(hook string, f testpacket.Flow) packet {
	return packet{hook, testpacket.IPv4(f), bpf.VerdictDrop}
}

// TestIntegrationVerdict runs the programs on crafted packets with nothing
// attached, one fresh datapath per case, packets in order (conntrack state
// carries over from one packet of a case to the next).
func TestIntegrationVerdict(t *testing.T) {
	tcpOnly := corev1.ProtocolTCP
	udpOnly := corev1.ProtocolUDP
	sctpOnly := corev1.ProtocolSCTP
	tests := []struct {
		name     string
		policies []*networkingv1.NetworkPolicy
		packets  []packet
	}{
		{
			name:     "pod selector admits the selected pods only",
			policies: []*networkingv1.NetworkPolicy{policy("x", "from-a", "b", ingressFrom(podsWithApp("a")))},
			packets: []packet{
				allowed(atIngress, tcp(xa, xb, 40000, 80)),
				dropped(atIngress, tcp(ya, xb, 40000, 80)), // y/a has app=a but another namespace
				dropped(atIngress, tcp(outside, xb, 40000, 80)),
			},
		},
		{
			name:     "namespace selector admits the namespace's pods",
			policies: []*networkingv1.NetworkPolicy{policy("x", "from-blue", "b", ingressFrom(namespacesOfTeam("blue")))},
			packets: []packet{
				allowed(atIngress, tcp(ya, xb, 40000, 80)),
				dropped(atIngress, tcp(xa, xb, 40000, 80)),
			},
		},
		{
			name:     "ipBlock admits the block but not its except",
			policies: []*networkingv1.NetworkPolicy{policy("x", "block", "b", ingressFrom(block("10.0.0.0/8", "10.9.0.0/16"), ports(tcpOnly, 80, 80)))},
			packets: []packet{
				allowed(atIngress, tcp(outside, xb, 40000, 80)),
				dropped(atIngress, tcp(excepted, xb, 40000, 80)),
				dropped(atIngress, tcp(outside, xb, 40000, 81)),
				dropped(atIngress, tcp(xa, xb, 40000, 80)),
			},
		},
		{
			name:     "endPort range includes both edges and nothing past them",
			policies: []*networkingv1.NetworkPolicy{policy("x", "range", "b", ingressFrom(nil, ports(tcpOnly, 1000, 2000)))},
			packets: []packet{
				dropped(atIngress, tcp(xa, xb, 40000, 999)),
				allowed(atIngress, tcp(xa, xb, 40001, 1000)),
				allowed(atIngress, tcp(xa, xb, 40002, 2000)),
				dropped(atIngress, tcp(xa, xb, 40003, 2001)),
			},
		},
		{
			name: "named ports are the destination's own",
			policies: []*networkingv1.NetworkPolicy{
				policy("x", "http-in", "b", ingressFrom(nil, named(tcpOnly, "http"))),
				policy("x", "http-out", "b", types(networkingv1.PolicyTypeEgress), egressTo(namespacesOfTeam("blue"), named(tcpOnly, "http"))),
			},
			packets: []packet{
				allowed(atIngress, tcp(xa, xb, 40000, 80)),
				dropped(atIngress, tcp(xa, xb, 40000, 8080)),
				allowed(atEgress, tcp(xb, ya, 40000, 8080)),
				dropped(atEgress, tcp(xb, ya, 40001, 80)),
			},
		},
		{
			name:     "a rule without ports admits every protocol and port",
			policies: []*networkingv1.NetworkPolicy{policy("x", "from-a", "b", ingressFrom(podsWithApp("a")))},
			packets: []packet{
				allowed(atIngress, tcp(xa, xb, 40000, 1)),
				allowed(atIngress, udp(xa, xb, 40000, 65535)),
				allowed(atIngress, sctp(xa, xb, 40000, 9)),
				allowed(atIngress, icmp(xa, xb)),
				{atIngress, testpacket.Fragment(testpacket.IPv4(tcp(xa, xb, 40001, 80))), bpf.VerdictAccept},
			},
		},
		{
			name:     "the protocol must match as well as the port",
			policies: []*networkingv1.NetworkPolicy{policy("x", "dns", "b", ingressFrom(nil, ports(udpOnly, 53, 53), ports(sctpOnly, 9, 9)))},
			packets: []packet{
				allowed(atIngress, udp(xa, xb, 40000, 53)),
				dropped(atIngress, tcp(xa, xb, 40000, 53)),
				dropped(atIngress, sctp(xa, xb, 40000, 53)),
				allowed(atIngress, sctp(xa, xb, 40000, 9)),
				dropped(atIngress, icmp(xa, xb)),
				// A fragment carries no ports, so only a rule for every port admits it.
				{atIngress, testpacket.Fragment(testpacket.IPv4(udp(xa, xb, 40001, 53))), bpf.VerdictDrop},
			},
		},
		{
			name:     "pods no policy selects are open both ways",
			policies: []*networkingv1.NetworkPolicy{policy("x", "deny-b", "b")},
			packets: []packet{
				allowed(atIngress, tcp(xb, xa, 40000, 80)),
				allowed(atEgress, tcp(xa, excepted, 40000, 443)),
				allowed(atEgress, udp(xb, ya, 40000, 53)), // x/b is isolated for ingress only
				dropped(atIngress, udp(xa, xb, 40000, 53)),
				allowed(atIngress, tcp(outside, netip.MustParseAddr("192.168.7.7"), 40000, 80)), // not an endpoint of ours
			},
		},
		{
			name: "replies of an allowed connection pass both hooks",
			policies: []*networkingv1.NetworkPolicy{
				policy("x", "b-from-a", "b", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress), ingressFrom(podsWithApp("a"), ports(tcpOnly, 80, 80))),
				policy("x", "a-closed", "a", types(networkingv1.PolicyTypeIngress)),
			},
			packets: []packet{
				allowed(atEgress, tcp(xa, xb, 40000, 80)),  // x/a's egress is open
				allowed(atIngress, tcp(xa, xb, 40000, 80)), // x/b's ingress admits it
				allowed(atEgress, tcp(xb, xa, 80, 40000)),  // x/b's egress is closed, but this is a reply
				allowed(atIngress, tcp(xb, xa, 80, 40000)), // x/a's ingress is closed, but this is a reply
				dropped(atEgress, tcp(xb, xa, 80, 40001)),  // no connection has this tuple
				dropped(atIngress, tcp(xb, xa, 40000, 80)), // a new flow the other way
			},
		},
		{
			name: "one hook's approval never stands in for the other's",
			policies: []*networkingv1.NetworkPolicy{
				policy("x", "b-closed", "b", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress)),
			},
			packets: []packet{
				allowed(atEgress, tcp(xa, xb, 40000, 80)),  // the source approves
				dropped(atIngress, tcp(xa, xb, 40000, 80)), // the destination does not
				dropped(atIngress, tcp(xa, xb, 40000, 80)), // nor on a retransmission
				dropped(atEgress, tcp(xb, xa, 80, 40000)),  // so x/b cannot answer either
				allowed(atEgress, udp(xa, xb, 40000, 53)),
				dropped(atIngress, udp(xa, xb, 40000, 53)),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := openTest(t)
			applyPolicies(t, d, testInput(tt.policies...))
			for i, p := range tt.packets {
				if got := runAt(t, d, p.hook, p.frame); got != p.want {
					t.Fatalf("packet %d at %s hook: verdict %s, want %s", i, p.hook, verdictName(got), verdictName(p.want))
				}
			}
		})
	}
}
