package datapath

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

const probeTimeout = 700 * time.Millisecond

// connects tells whether a connection from the pod to the server succeeds:
// dialled inside the pod's namespace, to an address in our own namespaces.
func connects(tb testing.TB, from *testPod, protocol string, to netip.AddrPort) bool {
	tb.Helper()
	var conn net.Conn
	err := inNetNS(netnsPath(from.NetNS), func() (err error) {
		conn, err = net.DialTimeout(protocol, to.String(), probeTimeout)
		return err
	})
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return false
	}
	if err != nil {
		tb.Fatalf("dial %s %s from %s: %v", protocol, to, from.NetNS, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(probeTimeout))
	if protocol == "udp" {
		if _, err := conn.Write([]byte("ok")); err != nil {
			tb.Fatalf("send to %s: %v", to, err)
		}
	}
	reply := make([]byte, 2)
	if _, err := io.ReadFull(conn, reply); err != nil {
		if errors.As(err, &netErr) && netErr.Timeout() {
			return false
		}
		tb.Fatalf("read from %s %s: %v", protocol, to, err)
	}
	return string(reply) == "ok"
}

func TestIntegrationNamespaces(t *testing.T) {
	requireKernel(t)
	podCIDR := netip.MustParsePrefix("192.168.77.0/24")
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.77.1"), podCIDR)
	b := node.addPod(t, "b", netip.MustParseAddr("192.168.77.2"), podCIDR)
	a.ServeTCP(t, 80)
	b.ServeTCP(t, 80)
	b.ServeTCP(t, 81)
	b.ServeUDP(t, 53)
	b.ServeUDP(t, 54)

	root := testPinRoot(t)
	d, err := Open("it", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed && d != nil {
			// The test failed half-way: Close is best effort here, and
			// unmounting the private bpffs drops whatever pin it leaves.
			d.Close()
		}
	})
	for _, p := range []*testPod{a, b} {
		if err := d.Attach(p.HostIndex); err != nil {
			t.Fatalf("Attach: %v", err)
		}
	}

	pod := func(name, ip string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Labels: map[string]string{"app": name}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
		}
	}
	in := compile.Input{
		Namespaces: []*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "x"}}},
		Pods:       []*corev1.Pod{pod("a", a.IP.String()), pod("b", b.IP.String())},
		Local:      map[string]int{"x/a": a.HostIndex, "x/b": b.HostIndex},
	}
	// b admits a on 80/TCP and 53/UDP and may start nothing itself: its
	// answers pass only through connection tracking.
	bPolicy := policy("x", "b", "b", types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress),
		ingressFrom(podsWithApp("a"), ports(corev1.ProtocolTCP, 80, 80), ports(corev1.ProtocolUDP, 53, 53)))
	in.Policies = []*networkingv1.NetworkPolicy{bPolicy}
	applyPolicies(t, d, in)

	ctx, cancel := context.WithCancel(context.Background())
	var drops []Drop
	var dropsMu sync.Mutex
	watched := make(chan error, 1)
	go func() {
		watched <- d.WatchDrops(ctx, func(dr Drop) {
			dropsMu.Lock()
			drops = append(drops, dr)
			dropsMu.Unlock()
		})
	}()

	probes := []struct {
		name     string
		from     *testPod
		protocol string
		to       netip.AddrPort
		want     bool
	}{
		{"a to b 80/TCP", a, "tcp", netip.AddrPortFrom(b.IP, 80), true},
		{"a to b 81/TCP", a, "tcp", netip.AddrPortFrom(b.IP, 81), false},
		{"a to b 53/UDP", a, "udp", netip.AddrPortFrom(b.IP, 53), true},
		{"a to b 54/UDP", a, "udp", netip.AddrPortFrom(b.IP, 54), false},
		{"b to a 80/TCP", b, "tcp", netip.AddrPortFrom(a.IP, 80), false},
	}
	for _, p := range probes {
		if got := connects(t, p.from, p.protocol, p.to); got != p.want {
			t.Errorf("generation 1, %s: connected %v, want %v", p.name, got, p.want)
		}
	}

	cancel()
	if err := <-watched; err != nil {
		t.Fatalf("WatchDrops: %v", err)
	}
	dropsMu.Lock()
	wantDrop := Drop{Source: a.IP, Destination: b.IP, DestinationPort: 81, Protocol: 6, Direction: bpf.Ingress,
		Reason: bpf.ReasonPort, Identity: 2, Endpoint: "x/b", Generation: 1, Ifindex: uint32(b.HostIndex)}
	found := false
	for _, dr := range drops {
		dr.SourcePort, dr.Monotonic = 0, 0 // ephemeral; when
		found = found || dr == wantDrop
	}
	dropsMu.Unlock()
	if !found {
		t.Errorf("no drop record %v among %v", wantDrop, drops)
	}

	// The enforcer stops without Close: the pinned links and maps go on
	// enforcing generation 1 while no process holds them.
	if err := d.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if connects(t, a, "tcp", netip.AddrPortFrom(b.IP, 81)) || !connects(t, a, "tcp", netip.AddrPortFrom(b.IP, 80)) {
		t.Errorf("while released: generation 1 no longer enforced")
	}
	d, err = Open("it", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open after Release: %v", err)
	}
	want := []int{min(a.HostIndex, b.HostIndex), max(a.HostIndex, b.HostIndex)}
	if got := d.Attached(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Attached() after reopening = %v, want %v", got, want)
	}
	if gen := d.Generation(); gen != 1 {
		t.Fatalf("Generation() after reopening = %d, want 1", gen)
	}

	// Widen b's policy to 81/TCP: the next generation admits it.
	bPolicy.Spec.Ingress[0].Ports = append(bPolicy.Spec.Ingress[0].Ports, ports(corev1.ProtocolTCP, 81, 81))
	if gen := applyPolicies(t, d, in); gen != 2 {
		t.Fatalf("second Apply = generation %d, want 2", gen)
	}
	if !connects(t, a, "tcp", netip.AddrPortFrom(b.IP, 81)) {
		t.Errorf("generation 2, a to b 81/TCP: blocked, want connected")
	}
	if connects(t, a, "udp", netip.AddrPortFrom(b.IP, 54)) {
		t.Errorf("generation 2, a to b 54/UDP: connected, want blocked")
	}

	// Close detaches everything: no program is left on either device and
	// no pin is left under the root.
	ids := programIDs(t, d)
	closed = true
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := hookProgramsOf(t, ids); len(got) != 0 {
		t.Errorf("hook links left after Close: %v", got)
	}
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read pin root: %v", err)
	}
	if len(entries) != 0 {
		t.Errorf("pins left under %s: %v", filepath.Base(root), entries)
	}
}
