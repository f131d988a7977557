package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// needRoot skips kernel tests where they cannot run.
func needRoot(t testing.TB) {
	t.Helper()
	testenv.NeedRoot(t, "creates network namespaces")
}

// testPorts are served by every pod and external host of test worlds.
var testPorts = []scenarios.Port{
	{Name: "http", Port: 80, Protocol: scenarios.TCP},
	{Name: "dns", Port: 81, Protocol: scenarios.UDP},
	{Name: "sctp", Port: 82, Protocol: scenarios.SCTP},
}

// testWorld returns namespaces × pods named after nsNames and a, b, c...,
// pod i of namespace n at 192.168.<n+1>.<i+1>, and external hosts ext-1,
// ext-2... at 203.0.113.<10+i>.
func testWorld(nsNames []string, podsPerNS, externals int) *scenarios.World {
	w := &scenarios.World{}
	for n, ns := range nsNames {
		w.Namespaces = append(w.Namespaces, scenarios.Namespace{
			Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns},
		})
		for i := range podsPerNS {
			name := string(rune('a' + i))
			w.Pods = append(w.Pods, scenarios.Pod{
				Namespace: ns, Name: name, Labels: map[string]string{"pod": name},
				Ports: testPorts, IP: fmt.Sprintf("192.168.%d.%d", n+1, i+1),
			})
		}
	}
	for i := range externals {
		w.ExternalHosts = append(w.ExternalHosts, scenarios.ExternalHost{
			Name: fmt.Sprintf("ext-%d", i+1), IP: fmt.Sprintf("203.0.113.%d", 10+i), Ports: testPorts,
		})
	}
	return w
}

// newTestBackend makes a backend on the host's paths, closed at cleanup.
func newTestBackend(t testing.TB, opts Options) *Backend {
	t.Helper()
	b, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// tempPaths returns private paths for a run, so that a test can look at
// every trace without seeing other runs'. Namespaces left in it are deleted
// at cleanup, or the temporary directory could not be removed.
func tempPaths(t testing.TB) paths {
	t.Helper()
	root := t.TempDir()
	p := paths{NetnsDir: filepath.Join(root, "netns"), RegistryDir: filepath.Join(root, "reg"), PinRoot: filepath.Join(root, "pins")}
	if err := os.MkdirAll(p.NetnsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		names, _ := listDir(p.NetnsDir)
		for _, n := range names {
			_ = deleteNetns(p.netns(n))
		}
	})
	return p
}

// setUp makes a cluster of b and sets it up with w.
func setUp(t testing.TB, b *Backend, w *scenarios.World) *Cluster {
	t.Helper()
	c, err := b.NewCluster(context.Background(), t.Name())
	if err != nil {
		t.Fatalf("NewCluster: %v", err)
	}
	if _, err := c.Setup(context.Background(), w); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return c.(*Cluster)
}

// job probes the endpoint named to at ip, expecting its identity.
func job(from, to, ip string, port int32, protocol scenarios.Protocol) probes.Job {
	return probes.Job{From: from, To: to, Host: ip, Port: port, Protocol: string(protocol), Expect: to}
}

// runNetns lists the namespaces of run in the host's netns directory.
func runNetns(t testing.TB, run string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(hostPaths.NetnsDir, namePrefix+run+"-*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

// rootNetwork renders the links and routes of the test's own namespace,
// which must be the same before and after a cluster's life. Docker's own
// links (veth*, br-*, docker*) and their routes, and IPv6 link-local and
// multicast routes, are left out: containers started by other tests or
// runs on this machine change them at any moment, and a local cluster never
// makes links with those names.
func rootNetwork(t testing.TB) []string {
	t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatalf("list links: %v", err)
	}
	var out []string
	foreign := map[int]bool{}
	for _, l := range links {
		name := l.Attrs().Name
		if strings.HasPrefix(name, "veth") || strings.HasPrefix(name, "br-") || strings.HasPrefix(name, "docker") {
			foreign[l.Attrs().Index] = true
			continue
		}
		out = append(out, "link "+name)
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatalf("list routes: %v", err)
	}
	for _, r := range routes {
		if foreign[r.LinkIndex] || (r.Dst != nil && r.Dst.IP.To4() == nil && (r.Dst.IP.IsLinkLocalUnicast() || r.Dst.IP.IsMulticast())) {
			continue
		}
		out = append(out, "route "+r.String())
	}
	slices.Sort(out)
	return out
}

// inside runs fn with a netlink handle in the namespace at path.
func inside(t testing.TB, path string, fn func(h *netlink.Handle)) {
	t.Helper()
	ns, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatalf("netlink in %s: %v", path, err)
	}
	defer h.Close()
	fn(h)
}

// gatewayRouteSet renders the IPv4 routes of a namespace as "dst via gw" or "dst link".
func gatewayRouteSet(t testing.TB, h *netlink.Handle) []string {
	t.Helper()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatalf("list routes: %v", err)
	}
	var out []string
	for _, r := range routes {
		dst := "default"
		if r.Dst != nil {
			dst = r.Dst.String()
		}
		if r.Gw != nil {
			out = append(out, dst+" via "+r.Gw.String())
		} else {
			out = append(out, dst+" link")
		}
	}
	slices.Sort(out)
	return out
}

// outcomes renders results as "from->to:port/proto=outcome" for compact comparison.
func outcomes(results []probes.Result) []string {
	out := make([]string, len(results))
	for i, r := range results {
		out[i] = fmt.Sprintf("%s->%s:%d/%s=%s", r.Job.From, r.Job.To, r.Job.Port, r.Job.Protocol, r.Outcome)
	}
	return out
}

// notOutcome returns the results whose outcome differs from want, rendered.
func notOutcome(results []probes.Result, want probes.Outcome) []string {
	var bad []string
	for _, r := range results {
		if r.Outcome != want {
			bad = append(bad, fmt.Sprintf("%s->%s %s:%d/%s=%s (%s)", r.Job.From, r.Job.To, r.Job.Host, r.Job.Port, r.Job.Protocol, r.Outcome, r.Detail))
		}
	}
	return bad
}
