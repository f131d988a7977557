package datapath

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	corev1 "k8s.io/api/core/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
)

// watchDrops collects drop records until the test ends.
func watchDrops(tb testing.TB, d *Datapath) <-chan Drop {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	drops := make(chan Drop, 64)
	done := make(chan error, 1)
	go func() { done <- d.WatchDrops(ctx, func(dr Drop) { drops <- dr }) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("WatchDrops: %v", err)
		}
	})
	return drops
}

func nextDrop(tb testing.TB, drops <-chan Drop) Drop {
	tb.Helper()
	select {
	case dr := <-drops:
		return dr
	case <-time.After(5 * time.Second):
		tb.Fatalf("no drop record within 5s")
	}
	return Drop{}
}

func TestIntegrationDropRecords(t *testing.T) {
	d := openTest(t)
	in := testInput(policy("x", "http", "b", ingressFrom(podsWithApp("a"), ports(corev1.ProtocolTCP, 80, 80))))
	// x/b sits behind the device test runs arrive on, so its address is checked.
	in.Local["x/b"] = 1
	gen := applyPolicies(t, d, in)
	drops := watchDrops(t, d)

	tests := []struct {
		name   string
		hook   string
		flow   testpacket.Flow
		want   Drop
		String string
	}{
		{
			name: "port not admitted", hook: atIngress, flow: tcp(xa, xb, 40000, 81),
			want: Drop{Source: xa, Destination: xb, SourcePort: 40000, DestinationPort: 81, Protocol: 6,
				Direction: bpf.Ingress, Reason: bpf.ReasonPort, Identity: 2, Endpoint: "x/b", Generation: gen, Ifindex: 1},
			String: "Ingress denied 192.168.0.1:40000 -> 192.168.0.2:81/TCP at x/b (no-port, generation 1)",
		},
		{
			name: "peer not admitted", hook: atIngress, flow: udp(outside, xb, 53, 5353),
			want: Drop{Source: outside, Destination: xb, SourcePort: 53, DestinationPort: 5353, Protocol: 17,
				Direction: bpf.Ingress, Reason: bpf.ReasonPeer, Identity: 2, Endpoint: "x/b", Generation: gen, Ifindex: 1},
			String: "Ingress denied 10.1.1.1:53 -> 192.168.0.2:5353/UDP at x/b (no-peer, generation 1)",
		},
		// Test runs cannot name the device a packet came in on (the kernel
		// sets only the outgoing one, whatever the hook), so the device
		// check is shown on the way out: a managed device carries its
		// pod's address only, either way.
		{
			name: "another address through a managed device", hook: atIngress, flow: tcp(ya, netip.MustParseAddr("192.168.0.99"), 40000, 80),
			want: Drop{Source: ya, Destination: netip.MustParseAddr("192.168.0.99"), SourcePort: 40000, DestinationPort: 80, Protocol: 6,
				Direction: bpf.Ingress, Reason: bpf.ReasonAddress, Identity: 2, Endpoint: "x/b", Generation: gen, Ifindex: 1},
			String: "Ingress denied 192.168.1.1:40000 -> 192.168.0.99:80/TCP at x/b (wrong-address, generation 1)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runAt(t, d, tt.hook, testpacket.IPv4(tt.flow)); got != bpf.VerdictDrop {
				t.Fatalf("verdict %s, want drop", verdictName(got))
			}
			before := monotonicNow(t)
			got := nextDrop(t, drops)
			if got.Monotonic <= 0 || got.Monotonic > before {
				t.Errorf("drop at %v on the monotonic clock, want a time before the record was read (%v)", got.Monotonic, before)
			}
			got.Monotonic = 0
			if got != tt.want {
				t.Fatalf("drop record = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.String {
				t.Fatalf("String() = %q, want %q", s, tt.String)
			}
		})
	}

	// x/b's own address passes the device check and its open ingress from a.
	if got := runAt(t, d, atIngress, testpacket.IPv4(tcp(xa, xb, 40000, 80))); got != bpf.VerdictAccept {
		t.Fatalf("x/b's own address: verdict %s, want allow", verdictName(got))
	}
	select {
	case dr := <-drops:
		t.Fatalf("unexpected drop record %v", dr)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestIntegrationCounters(t *testing.T) {
	d := openTest(t)
	applyPolicies(t, d, testInput(policy("x", "deny", "b", ingressFrom(podsWithApp("a"), ports(corev1.ProtocolUDP, 53, 53)))))
	packets := []struct {
		hook string
		flow testpacket.Flow
	}{
		{atIngress, udp(xa, xb, 40000, 53)}, // allowed
		{atIngress, udp(xa, xb, 40000, 54)}, // denied
		{atIngress, tcp(xa, xb, 40000, 53)}, // denied
		{atEgress, udp(xb, xa, 53, 40000)},  // reply, allowed
		{atEgress, tcp(xa, ya, 40000, 80)},  // open egress, allowed
		{atIngress, tcp(xb, ya, 40000, 80)}, // open ingress, allowed
	}
	for _, p := range packets {
		runAt(t, d, p.hook, testpacket.IPv4(p.flow))
	}
	got, err := d.Counters()
	if err != nil {
		t.Fatalf("Counters: %v", err)
	}
	want := Counters{IngressAllowed: 2, IngressDenied: 2, EgressAllowed: 2}
	if got != want {
		t.Fatalf("Counters() = %+v, want %+v", got, want)
	}
}

func TestDropString(t *testing.T) {
	tests := []struct {
		drop Drop
		want string
	}{
		{Drop{Source: xa, Destination: xb, Protocol: 1, Direction: bpf.Egress, Reason: bpf.ReasonGeneration, Identity: 7, Generation: 4},
			"Egress denied 192.168.0.1:0 -> 192.168.0.2:0/ICMP at identity 7 (generation-switch, generation 4)"},
		{Drop{Source: xa, Destination: xb, SourcePort: 1, DestinationPort: 2, Protocol: 132, Direction: bpf.Ingress, Reason: bpf.ReasonPeer, Endpoint: "x/b", Generation: 1},
			"Ingress denied 192.168.0.1:1 -> 192.168.0.2:2/SCTP at x/b (no-peer, generation 1)"},
		{Drop{Source: xa, Destination: xb, Protocol: 47, Direction: bpf.Ingress, Reason: bpf.ReasonPort, Endpoint: "x/b", Generation: 1},
			"Ingress denied 192.168.0.1:0 -> 192.168.0.2:0/47 at x/b (no-port, generation 1)"},
	}
	for _, tt := range tests {
		if got := tt.drop.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestDecodeDrop(t *testing.T) {
	raw := []byte{
		192, 168, 0, 1, // saddr
		192, 168, 0, 2, // daddr
		0x9c, 0x40, 0, 80, // sport 40000, dport 80
		6, 2, 1, 0, // TCP, egress, no-peer, pad
		3, 0, 0, 0, // identity
		9, 0, 0, 0, // generation
		4, 0, 0, 0, // ifindex
		0, 0, 0, 0, // rule
		0x10, 0x27, 0, 0, 0, 0, 0, 0, // ktime: 10,000 ns
	}
	got, err := decodeDrop(raw)
	if err != nil {
		t.Fatalf("decodeDrop: %v", err)
	}
	want := Drop{Source: xa, Destination: xb, SourcePort: 40000, DestinationPort: 80, Protocol: 6,
		Direction: bpf.Egress, Reason: bpf.ReasonPeer, Identity: 3, Generation: 9, Ifindex: 4, Monotonic: 10 * time.Microsecond}
	if got != want {
		t.Fatalf("decodeDrop = %+v, want %+v", got, want)
	}
	raw[14], raw[28] = 5, 2 // denied by tier, rule 2
	got, err = decodeDrop(raw)
	if err != nil {
		t.Fatalf("decodeDrop: %v", err)
	}
	if got.Reason != bpf.ReasonTier || got.RuleNumber != 2 {
		t.Fatalf("decodeDrop = %+v, want reason tier, rule 2", got)
	}
	if _, err := decodeDrop(raw[:10]); err == nil || err.Error() != "decode drop record of 10 bytes: unexpected EOF" {
		t.Fatalf("short record: error %v", err)
	}
}

func monotonicNow(t *testing.T) time.Duration {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}
