package datapath

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// The node's own traffic to its pods is always allowed ("traffic to and
// from the node where a Pod is running is always allowed", the NetworkPolicy
// concept documentation): the kubelet's probes of an isolated pod must get
// through. Pods, even on the same node, stay isolated. The behaviour probes
// found the enforcer blocking it on kind.
func TestIntegrationNodeReachesItsIsolatedPods(t *testing.T) {
	requireKernel(t)
	podCIDR := netip.MustParsePrefix("192.168.82.0/24")
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.82.1"), podCIDR)
	b := node.addPod(t, "b", netip.MustParseAddr("192.168.82.2"), podCIDR)
	a.ServeTCP(t, 8080)
	b.ServeTCP(t, 8080)

	d := openTest(t, WithNetNS(node.path()))
	for _, p := range []*testPod{a, b} {
		if err := d.Attach(p.HostIndex); err != nil {
			t.Fatalf("Attach: %v", err)
		}
	}
	applyPolicies(t, d, compile.Input{
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
		Pods:       []*corev1.Pod{runningPod("a", a.IP), runningPod("b", b.IP)},
		Local:      map[string]int{"x/a": a.HostIndex, "x/b": b.HostIndex},
		Policies:   []*networkingv1.NetworkPolicy{policy("x", "deny-b", "b", types(networkingv1.PolicyTypeIngress))},
	})

	fromNode := &testPod{NetNS: node.Name}
	for _, p := range []struct {
		name string
		from *testPod
		to   netip.AddrPort
		want bool
	}{
		{"the node to isolated b", fromNode, netip.AddrPortFrom(b.IP, 8080), true},
		{"the node to a, which nothing isolates", fromNode, netip.AddrPortFrom(a.IP, 8080), true},
		{"pod a to isolated b", a, netip.AddrPortFrom(b.IP, 8080), false},
	} {
		if got := connects(t, p.from, "tcp", p.to); got != p.want {
			t.Errorf("%s: connected %v, want %v", p.name, got, p.want)
		}
	}
}
