package local

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// TestIntegrationNothingLeaves proves a probe to an address outside the model
// fails inside the pod, and that no namespace has a way out.
func TestIntegrationNothingLeaves(t *testing.T) {
	needRoot(t)
	b := newTestBackend(t, Options{})
	c := setUp(t, b, testWorld([]string{"x", "y"}, 2, 2))

	results, err := c.Probe(context.Background(), []probes.Job{
		job("x/a", "outside", "198.51.100.77", 80, scenarios.TCP),
		job("x/a", "outside", "198.51.100.77", 81, scenarios.UDP),
		job("ext-1", "outside", "198.51.100.77", 80, scenarios.TCP),
		job("ext-1", "ext-2", "203.0.113.11", 80, scenarios.TCP),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Outcome != probes.Error || !strings.Contains(r.Detail, "network is unreachable") {
			t.Errorf("%s -> %s:%d/%s = %s (%s), want error: network is unreachable",
				r.Job.From, r.Job.Host, r.Job.Port, r.Job.Protocol, r.Outcome, r.Detail)
		}
	}

	wantRoutes := map[string][]string{
		"x/a":   {"169.254.1.1/32 link", "192.168.0.0/16 via 169.254.1.1", "203.0.113.10/32 via 169.254.1.1", "203.0.113.11/32 via 169.254.1.1"},
		"ext-1": {"169.254.1.1/32 link", "192.168.0.0/16 via 169.254.1.1"},
	}
	for name, want := range wantRoutes {
		inside(t, c.endpoints[name].path, func(h *netlink.Handle) {
			if got := gatewayRouteSet(t, h); !slices.Equal(got, want) {
				t.Errorf("routes of %s = %v, want %v (and never a default route)", name, got, want)
			}
		})
	}

	inside(t, c.node.Path, func(h *netlink.Handle) {
		links, err := h.LinkList()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range links {
			names = append(names, l.Attrs().Name)
			if l.Attrs().Name != "lo" && l.Type() != "veth" {
				t.Errorf("node link %s is a %s, want only veths", l.Attrs().Name, l.Type())
			}
		}
		slices.Sort(names)
		if want := []string{"lo", "p0", "p1", "p2", "p3", "x4", "x5"}; !slices.Equal(names, want) {
			t.Errorf("node links = %v, want %v", names, want)
		}
		routes := gatewayRouteSet(t, h)
		if want := []string{"192.168.1.1/32 link", "192.168.1.2/32 link", "192.168.2.1/32 link",
			"192.168.2.2/32 link", "203.0.113.10/32 link", "203.0.113.11/32 link"}; !slices.Equal(routes, want) {
			t.Errorf("node routes = %v, want %v", routes, want)
		}
	})
}
