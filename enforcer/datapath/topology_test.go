package datapath

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// gateway is the address every host-side veth carries: pods route through
// it, as the CNI ptp plugin sets them up.
var gateway = netip.MustParseAddr("169.254.1.1")

// testNode is a node network namespace with pods behind veths, built for one
// test and removed when it ends. Nothing in it routes anywhere else.
type testNode struct {
	prefix string
	name   string
	pods   map[string]*testPod
}

type testPod struct {
	netns   string
	ip      netip.Addr
	ifindex int // host side, in the node namespace
}

func netnsPath(name string) string { return filepath.Join("/run/netns", name) }

// newNamedNetNS creates a named network namespace without moving the
// caller's thread into it, and deletes it when the test ends.
func newNamedNetNS(tb testing.TB, name string) {
	tb.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer origin.Close()
		created, err := netns.NewNamed(name)
		if err != nil {
			errc <- err
			return
		}
		created.Close()
		if err := netns.Set(origin); err != nil {
			errc <- err // the thread stays locked and is retired
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		tb.Fatalf("create network namespace %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			tb.Errorf("delete network namespace %s: %v", name, err)
		}
	})
}

func newTestNode(tb testing.TB) *testNode {
	tb.Helper()
	prefix := "npcdp" + strconv.Itoa(os.Getpid()%100000)
	n := &testNode{prefix: prefix, name: prefix + "-node", pods: map[string]*testPod{}}
	// Registered first, so it runs last: every namespace must be gone.
	tb.Cleanup(func() {
		left, err := filepath.Glob(netnsPath(prefix + "-*"))
		if err != nil || len(left) != 0 {
			tb.Errorf("network namespaces left behind: %v %v", left, err)
		}
	})
	newNamedNetNS(tb, n.name)
	err := inNetNS(netnsPath(n.name), func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
	})
	if err != nil {
		tb.Fatalf("enable forwarding in %s: %v", n.name, err)
	}
	return n
}

func (n *testNode) path() string { return netnsPath(n.name) }

// addPod makes a pod namespace with eth0 holding ip/32, its veth peer in the
// node namespace with a /32 route to it, and a route in the pod to the
// other pods of podCIDR through the gateway.
func (n *testNode) addPod(tb testing.TB, name string, ip netip.Addr, podCIDR netip.Prefix) *testPod {
	tb.Helper()
	p := &testPod{netns: n.prefix + "-" + name, ip: ip}
	newNamedNetNS(tb, p.netns)
	if err := n.wirePod(p, name, podCIDR); err != nil {
		tb.Fatalf("wire pod %s: %v", name, err)
	}
	n.pods[name] = p
	return p
}

func (n *testNode) wirePod(p *testPod, name string, podCIDR netip.Prefix) error {
	nodeNS, err := netns.GetFromPath(n.path())
	if err != nil {
		return err
	}
	defer nodeNS.Close()
	podNS, err := netns.GetFromPath(netnsPath(p.netns))
	if err != nil {
		return err
	}
	defer podNS.Close()
	node, err := netlink.NewHandleAt(nodeNS)
	if err != nil {
		return err
	}
	defer node.Close()
	pod, err := netlink.NewHandleAt(podNS)
	if err != nil {
		return err
	}
	defer pod.Close()

	hostName := "hv-" + name
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostName}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(podNS))}
	if err := node.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth: %w", err)
	}
	host, err := node.LinkByName(hostName)
	if err != nil {
		return err
	}
	p.ifindex = host.Attrs().Index
	if err := node.AddrAdd(host, &netlink.Addr{IPNet: hostNet(gateway)}); err != nil {
		return fmt.Errorf("address host side: %w", err)
	}
	if err := node.LinkSetUp(host); err != nil {
		return err
	}
	if err := node.RouteAdd(&netlink.Route{LinkIndex: p.ifindex, Dst: hostNet(p.ip), Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to pod: %w", err)
	}

	eth0, err := pod.LinkByName("eth0")
	if err != nil {
		return err
	}
	lo, err := pod.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := pod.AddrAdd(eth0, &netlink.Addr{IPNet: hostNet(p.ip)}); err != nil {
		return fmt.Errorf("address pod: %w", err)
	}
	for _, l := range []netlink.Link{lo, eth0} {
		if err := pod.LinkSetUp(l); err != nil {
			return err
		}
	}
	if err := pod.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: hostNet(gateway), Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to gateway: %w", err)
	}
	cidr := &net.IPNet{IP: podCIDR.Addr().AsSlice(), Mask: net.CIDRMask(podCIDR.Bits(), 32)}
	if err := pod.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: cidr, Gw: gateway.AsSlice()}); err != nil {
		return fmt.Errorf("route to pods: %w", err)
	}
	return nil
}

func hostNet(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(32, 32)}
}
