package local

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/netpolcheck/netpolcheck/clusters"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestIntegrationApply walks a cluster through every kind of change and
// checks the network, the Node and the recorded world after each.
func TestIntegrationApply(t *testing.T) {
	needRoot(t)
	b := newTestBackend(t, Options{})
	c := setUp(t, b, testWorld([]string{"x"}, 2, 1))
	ctx := context.Background()
	probe := func(jobs ...probes.Job) []string {
		t.Helper()
		res, err := c.Probe(ctx, jobs)
		if err != nil {
			t.Fatal(err)
		}
		return outcomes(res)
	}
	apply := func(ch scenarios.Change) clusters.Addresses {
		t.Helper()
		addrs, err := c.Apply(ctx, ch)
		if err != nil {
			t.Fatalf("Apply %s: %v", ch.Kind, err)
		}
		return addrs
	}
	routesOf := func(name string) []string {
		var got []string
		inside(t, c.endpoints[name].path, func(h *netlink.Handle) { got = gatewayRouteSet(t, h) })
		return got
	}

	// A pod outside the pod CIDR gets a route to its /24 in every endpoint.
	outside := &scenarios.Pod{Namespace: "x", Name: "far", IP: "10.9.0.5", Ports: testPorts}
	if got := apply(scenarios.Change{Kind: scenarios.AddPod, Pod: outside}); !maps.Equal(got, clusters.Addresses{"x/far": "10.9.0.5"}) {
		t.Errorf("AddPod addresses = %v", got)
	}
	got := probe(job("x/a", "x/far", "10.9.0.5", 80, scenarios.TCP), job("ext-1", "x/far", "10.9.0.5", 81, scenarios.UDP),
		job("x/far", "x/b", "192.168.1.2", 80, scenarios.TCP), job("x/far", "ext-1", "203.0.113.10", 80, scenarios.TCP))
	want := []string{"x/a->x/far:80/TCP=allowed", "ext-1->x/far:81/UDP=allowed", "x/far->x/b:80/TCP=allowed", "x/far->ext-1:80/TCP=allowed"}
	if !slices.Equal(got, want) {
		t.Errorf("probes with x/far = %v, want %v", got, want)
	}
	if r, w := routesOf("ext-1"), []string{"10.9.0.0/24 via 169.254.1.1", "169.254.1.1/32 link", "192.168.0.0/16 via 169.254.1.1"}; !slices.Equal(r, w) {
		t.Errorf("ext-1 routes with x/far = %v, want %v", r, w)
	}
	link, ok := c.Node().Pod("x/far")
	if !ok || link.Interface != "p3" || link.IP != "10.9.0.5" || link.Index != c.endpoints["x/far"].hostIndex || link.Index == 0 {
		t.Errorf("Node link of x/far = %+v, %v; want p3 with its ifindex", link, ok)
	}
	farPath := c.endpoints["x/far"].path

	// Removing it takes its namespace, veth and routes.
	apply(scenarios.Change{Kind: scenarios.RemovePod, Pod: &scenarios.Pod{Namespace: "x", Name: "far"}})
	if r, w := routesOf("ext-1"), []string{"169.254.1.1/32 link", "192.168.0.0/16 via 169.254.1.1"}; !slices.Equal(r, w) {
		t.Errorf("ext-1 routes after removing x/far = %v, want %v", r, w)
	}
	if _, err := os.Stat(farPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("x/far's namespace still pinned: %v", err)
	}
	if _, ok := c.Node().Pod("x/far"); ok {
		t.Error("Node still lists x/far")
	}
	inside(t, c.node.Path, func(h *netlink.Handle) {
		if _, err := h.LinkByName("p3"); err == nil {
			t.Error("veth p3 of x/far still in the node")
		}
	})
	got = probe(job("x/a", "x/far", "10.9.0.5", 80, scenarios.TCP), job("x/far", "x/a", "192.168.1.1", 80, scenarios.TCP))
	want = []string{"x/a->x/far:80/TCP=error", "x/far->x/a:80/TCP=error"}
	if !slices.Equal(got, want) {
		t.Errorf("probes after removing x/far = %v, want %v", got, want)
	}

	// Labels and policies are recorded and change nothing in the network.
	apply(scenarios.Change{Kind: scenarios.LabelPod, Pod: &scenarios.Pod{Namespace: "x", Name: "a", Labels: map[string]string{"role": "db"}}})
	apply(scenarios.Change{Kind: scenarios.LabelNamespace, Namespace: &scenarios.Namespace{Name: "x", Labels: map[string]string{"team": "t"}}})
	apply(scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: policy("x", "deny-all")})

	// A namespace comes with a pod and goes with it.
	apply(scenarios.Change{Kind: scenarios.AddNamespace, Namespace: &scenarios.Namespace{Name: "y"}})
	apply(scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "y", Name: "a", IP: "192.168.2.1", Ports: testPorts}})
	got = probe(job("x/a", "y/a", "192.168.2.1", 80, scenarios.TCP), job("y/a", "x/b", "192.168.1.2", 81, scenarios.UDP))
	want = []string{"x/a->y/a:80/TCP=allowed", "y/a->x/b:81/UDP=allowed"}
	if !slices.Equal(got, want) {
		t.Errorf("probes with y/a = %v, want %v", got, want)
	}
	yPath := c.endpoints["y/a"].path
	apply(scenarios.Change{Kind: scenarios.RemoveNamespace, Namespace: &scenarios.Namespace{Name: "y"}})
	if _, err := os.Stat(yPath); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("y/a's namespace still pinned after removing y: %v", err)
	}
	apply(scenarios.Change{Kind: scenarios.DeletePolicy, PolicyKey: "x/deny-all"})
	apply(scenarios.Change{Kind: scenarios.ApplyPolicy, Policy: policy("x", "allow")})

	if r, w := render(c.World()), "ns x map[team:t]; pod x/a 192.168.1.1 map[role:db]; pod x/b 192.168.1.2 map[pod:b]; policy x/allow; "; r != w {
		t.Errorf("world = %s, want %s", r, w)
	}
	if links := c.Node().Pods(); len(links) != 2 || links[0].Pod != "x/a" || links[1].Pod != "x/b" {
		t.Errorf("Node pods = %+v, want x/a and x/b", links)
	}
	got = probe(job("x/a", "x/b", "192.168.1.2", 80, scenarios.TCP), job("x/b", "x/a", "192.168.1.1", 81, scenarios.UDP))
	want = []string{"x/a->x/b:80/TCP=allowed", "x/b->x/a:81/UDP=allowed"}
	if !slices.Equal(got, want) {
		t.Errorf("probes after relabelling = %v, want %v", got, want)
	}
	if run := b.RunID(); !slices.Equal(runNetns(t, run), []string{"npc-" + run + "-0-0", "npc-" + run + "-0-1", "npc-" + run + "-0-2", "npc-" + run + "-0-node"}) {
		t.Errorf("namespaces = %v, want the node, x/a, x/b and ext-1", runNetns(t, run))
	}
}

// TestIntegrationApplyRejects proves bad changes fail without touching the cluster.
func TestIntegrationApplyRejects(t *testing.T) {
	needRoot(t)
	b := newTestBackend(t, Options{})
	c := setUp(t, b, testWorld([]string{"x"}, 1, 0))
	tests := []struct {
		change scenarios.Change
		want   string
	}{
		{scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "b", IP: "192.168.1.1"}},
			"apply to local cluster TestIntegrationApplyRejects: pod x/b: IP 192.168.1.1 is taken by pod x/a"},
		{scenarios.Change{Kind: scenarios.RemovePod},
			"apply to local cluster TestIntegrationApplyRejects: removePod: no pod"},
		{scenarios.Change{Kind: scenarios.AddPod, Pod: &scenarios.Pod{Namespace: "x", Name: "bad name", IP: "192.168.1.9", Ports: testPorts}},
			"apply addPod to local cluster TestIntegrationApplyRejects: set up x/bad name: serve: identity \"x/bad name\" holds a space or control character"},
	}
	for _, tt := range tests {
		if _, err := c.Apply(context.Background(), tt.change); err == nil || err.Error() != tt.want {
			t.Errorf("Apply error = %v, want %q", err, tt.want)
		}
	}
	if r, w := render(c.World()), "ns x map[kubernetes.io/metadata.name:x]; pod x/a 192.168.1.1 map[pod:a]; "; r != w {
		t.Errorf("world = %s, want %s", r, w)
	}
	if run := b.RunID(); !slices.Equal(runNetns(t, run), []string{"npc-" + run + "-0-0", "npc-" + run + "-0-node"}) {
		t.Errorf("namespaces = %v, want the node and x/a", runNetns(t, run))
	}
}
