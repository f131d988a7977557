package datapath

import (
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// inNamespace runs a command in a named network namespace, as kube-proxy's
// rules would be written in a node's.
func inNamespace(tb testing.TB, netns, stdin string, args ...string) {
	tb.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", netns}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s in %s: %v: %s (make deps installs nftables and iproute2)", strings.Join(args, " "), netns, err, out)
	}
}

// Traffic to a ClusterIP is judged against the backend pod it is translated
// to, in both directions, and replies pass on the backend's address: the
// programs run after DNAT and before SNAT (docs/design.md). A datapath that
// judged egress before DNAT fails every line of this test.
func TestIntegrationServiceTranslation(t *testing.T) {
	requireKernel(t)
	podCIDR := netip.MustParsePrefix("192.168.76.0/24")
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.76.1"), podCIDR)
	b := node.addPod(t, "b", netip.MustParseAddr("192.168.76.2"), podCIDR)
	c := node.addPod(t, "c", netip.MustParseAddr("192.168.76.3"), podCIDR)
	b.ServeTCP(t, 8080)
	c.ServeTCP(t, 8080)
	// Two Services on port 80, one per backend, translated in the node
	// namespace as kube-proxy's nftables mode does; the client routes the
	// Service range through its gateway.
	svcB, svcC := netip.MustParseAddr("10.96.0.10"), netip.MustParseAddr("10.96.0.11")
	inNamespace(t, node.Name, `
table ip services {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		ip daddr 10.96.0.10 tcp dport 80 dnat to 192.168.76.2:8080
		ip daddr 10.96.0.11 tcp dport 80 dnat to 192.168.76.3:8080
	}
}
`, "nft", "-f", "-")
	inNamespace(t, a.NetNS, "", "ip", "route", "add", "10.96.0.0/24", "via", gateway.String(), "dev", "eth0")

	d := openTest(t, WithNetNS(node.path()))
	for _, p := range []*testPod{a, b, c} {
		if err := d.Attach(p.HostIndex); err != nil {
			t.Fatalf("Attach: %v", err)
		}
	}
	// a may reach b on 8080 and nothing else, and accepts no connection:
	// the answers it gets pass only as replies to its approved egress.
	// b accepts a on 8080; c accepts everyone.
	in := compile.Input{
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
		Pods:       []*corev1.Pod{runningPod("a", a.IP), runningPod("b", b.IP), runningPod("c", c.IP)},
		Local:      map[string]int{"x/a": a.HostIndex, "x/b": b.HostIndex, "x/c": c.HostIndex},
		Policies: []*networkingv1.NetworkPolicy{
			policy("x", "a", "a", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress),
				egressTo(podsWithApp("b"), ports(corev1.ProtocolTCP, 8080, 8080))),
			policy("x", "b", "b", ingressFrom(podsWithApp("a"), ports(corev1.ProtocolTCP, 8080, 8080))),
		},
	}
	applyPolicies(t, d, in)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		dropsMu sync.Mutex
		drops   []Drop
	)
	go d.WatchDrops(ctx, func(dr Drop) {
		dropsMu.Lock()
		drops = append(drops, dr)
		dropsMu.Unlock()
	})

	for _, p := range []struct {
		name string
		to   netip.AddrPort
		want bool
	}{
		{"a to b's Service (translated to b:8080, which a's egress admits)", netip.AddrPortFrom(svcB, 80), true},
		{"a to b by pod IP", netip.AddrPortFrom(b.IP, 8080), true},
		{"a to c's Service (translated to c:8080, which a's egress does not admit)", netip.AddrPortFrom(svcC, 80), false},
	} {
		if got := connects(t, a, "tcp", p.to); got != p.want {
			t.Errorf("%s: connected %v, want %v", p.name, got, p.want)
		}
	}

	// The drop names the backend, not the ClusterIP.
	want := Drop{Source: a.IP, Destination: c.IP, DestinationPort: 8080, Protocol: 6, Direction: bpf.Egress,
		Reason: bpf.ReasonPeer, Endpoint: "x/a", Generation: 1, Ifindex: uint32(a.HostIndex)}
	deadline := time.Now().Add(2 * time.Second)
	for {
		dropsMu.Lock()
		var found, wrong []Drop
		for _, dr := range drops {
			dr.SourcePort, dr.Identity, dr.Monotonic = 0, 0, 0 // ephemeral; numbering is the compiler's; when
			if dr == want {
				found = append(found, dr)
			} else {
				wrong = append(wrong, dr)
			}
		}
		dropsMu.Unlock()
		if len(wrong) > 0 {
			t.Fatalf("unexpected drops %v (want only %v)", wrong, want)
		}
		if len(found) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drop record %v", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
