package controller

import (
	"context"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/datapath"
)

var podIPs = map[string]netip.Addr{
	"a": netip.MustParseAddr("192.168.0.1"),
	"b": netip.MustParseAddr("192.168.0.2"),
	"c": netip.MustParseAddr("192.168.0.3"),
}

// hostIndexes maps each pod to its host-side ifindex in the node.
func hostIndexes(tb testing.TB, topo *testTopology) map[string]int {
	tb.Helper()
	h, err := handleIn(topo.nodePath())
	if err != nil {
		tb.Fatal(err)
	}
	defer h.Close()
	out := map[string]int{}
	for name := range podIPs {
		l, err := h.LinkByName("hv-" + name)
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = l.Attrs().Index
	}
	return out
}

func TestIntegrationNodeRoutes(t *testing.T) {
	requireKernel(t)
	topo := newTopology(t)
	for name, ip := range podIPs {
		topo.addPod(t, name, ip)
	}
	routes, err := NewNodeRoutes(topo.nodePath())
	if err != nil {
		t.Fatal(err)
	}
	defer routes.Close()
	got, err := routes.HostRoutes()
	if err != nil {
		t.Fatal(err)
	}
	index := hostIndexes(t, topo)
	want := map[netip.Addr]int{}
	for name, ip := range podIPs {
		want[ip] = index[name]
	}
	if !maps.Equal(got, want) {
		t.Errorf("HostRoutes = %v, want %v", got, want)
	}
	if _, err := NewNodeRoutes(netnsPath(topo.Prefix + "-missing")); err == nil {
		t.Error("NewNodeRoutes of a missing namespace succeeded")
	}
}

// TestIntegrationControllerEnforcesPolicies creates, updates and deletes
// policies and labels through the clientset and checks real connections.
func TestIntegrationControllerEnforcesPolicies(t *testing.T) {
	requireKernel(t)
	topo := newTopology(t)
	podNS := map[string]string{}
	for name, ip := range podIPs {
		podNS[name] = topo.addPod(t, name, ip)
	}
	root := privatePinRoot(t)
	dp, err := datapath.Open("controller", datapath.WithPinRoot(filepath.Join(root, "netpolcheck")), datapath.WithNetNS(topo.nodePath()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dp.Close(); err != nil {
			t.Errorf("close datapath: %v", err)
		}
	})
	routes, err := NewNodeRoutes(topo.nodePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { routes.Close() })

	client := newClient(makeNamespace("x"),
		makePod("x", "a", podIPs["a"].String()),
		makePod("x", "b", podIPs["b"].String()),
		makePod("x", "c", podIPs["c"].String()))
	var (
		dropsMu sync.Mutex
		drops   []datapath.Drop
	)
	c := startController(t, client, Options{NodeName: testNode, Datapath: dp, Routes: routes, OnDrop: func(d datapath.Drop) {
		dropsMu.Lock()
		defer dropsMu.Unlock()
		drops = append(drops, d)
	}})

	check := func(marker uint64, step string, want map[string]string) {
		t.Helper()
		syncTo(t, c, client, marker)
		for _, pair := range slices.Sorted(maps.Keys(want)) {
			from, to := pair[:1], pair[len(pair)-1:]
			if got := reach(t, podNS[from], podIPs[to]); got != want[pair] {
				t.Errorf("%s: %s is %s, want %s", step, pair, got, want[pair])
			}
		}
	}
	ctx := context.Background()
	policies := client.NetworkingV1().NetworkPolicies("x")

	check(1, "no policy", map[string]string{"a->b": "allowed", "c->b": "allowed", "b->a": "allowed"})
	index := hostIndexes(t, topo)
	if got, want := dp.Attached(), slices.Sorted(maps.Values(index)); !slices.Equal(got, want) {
		t.Errorf("attached %v, want the pods' devices %v", got, want)
	}

	if _, err := policies.Create(ctx, denyIngress("x", "b", "b"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	check(2, "deny all to b", map[string]string{"a->b": "blocked", "c->b": "blocked", "b->a": "allowed"})

	if _, err := policies.Update(ctx, allowIngressFrom("x", "b", "b", "a"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	check(3, "allow a to b", map[string]string{"a->b": "allowed", "c->b": "blocked", "b->a": "allowed"})

	pod, _ := client.CoreV1().Pods("x").Get(ctx, "c", metav1.GetOptions{})
	pod.Labels["pod"] = "a"
	if _, err := client.CoreV1().Pods("x").Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	check(4, "c relabelled as a", map[string]string{"a->b": "allowed", "c->b": "allowed"})

	if err := policies.Delete(ctx, "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	check(5, "policy deleted", map[string]string{"a->b": "allowed", "c->b": "allowed", "b->a": "allowed"})

	dropsMu.Lock()
	var toB []datapath.Drop
	for _, d := range drops {
		if d.Destination == podIPs["b"] {
			toB = append(toB, d)
		}
	}
	dropsMu.Unlock()
	if len(toB) == 0 {
		t.Fatal("no drop record for the blocked connections to b")
	}
	if d := toB[0]; d.Source != podIPs["a"] && d.Source != podIPs["c"] || d.DestinationPort != 80 || d.Protocol != 6 ||
		d.Direction != bpf.Ingress || d.Reason != bpf.ReasonPeer || d.Endpoint != "x/b" {
		t.Errorf("drop record = %+v (%s)", d, d)
	}
	m, err := c.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if m.Drops < uint64(len(toB)) || m.Verdicts.IngressDenied < uint64(len(toB)) || m.Endpoints != 3 {
		t.Errorf("metrics = %+v after %d drops to b", m, len(toB))
	}
}
