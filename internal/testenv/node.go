package testenv

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Gateway is the address every host-side veth carries: pods route through
// it, as with the ptp CNI plugin.
var Gateway = netip.MustParseAddr("169.254.1.1")

// Node is a node network namespace, forwarding, with pods behind veths,
// made for one test and removed when it ends.
type Node struct {
	// Prefix starts the name of every namespace of the node.
	Prefix string
	// Name is the node's own namespace.
	Name string
}

// Pod is one pod namespace wired to a Node.
type Pod struct {
	NetNS string
	IP    netip.Addr
	// HostName and HostIndex are the host side of its veth, in the node.
	HostName  string
	HostIndex int
}

// NewNode makes a node namespace named after tag and this process, so that
// two packages testing at once never share one. When the test ends it
// fails if any namespace of the node is left.
func NewNode(tb testing.TB, tag string) *Node {
	tb.Helper()
	prefix := tag + strconv.Itoa(os.Getpid()%100000)
	n := &Node{Prefix: prefix, Name: prefix + "-node"}
	// Registered first so that it runs last, when every namespace must be gone.
	tb.Cleanup(func() {
		if left, err := filepath.Glob(NetNSPath(prefix + "-*")); err != nil || len(left) != 0 {
			tb.Errorf("network namespaces left behind: %v %v", left, err)
		}
	})
	NewNetNS(tb, n.Name)
	err := InNetNS(n.Path(), func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
	})
	if err != nil {
		tb.Fatalf("enable forwarding in %s: %v", n.Name, err)
	}
	return n
}

// Path is the node namespace's path.
func (n *Node) Path() string { return NetNSPath(n.Name) }

// AddPod makes a pod namespace whose eth0 holds ip/32, its veth peer
// hv-<name> in the node holding Gateway with a /32 route to the pod, and
// routes in the pod to Gateway and, through it, to podCIDR. It waits until
// the host side is up, so that no first packet is lost to a link still
// coming up.
func (n *Node) AddPod(tb testing.TB, name string, ip netip.Addr, podCIDR netip.Prefix) *Pod {
	tb.Helper()
	p := &Pod{NetNS: n.Prefix + "-" + name, IP: ip, HostName: "hv-" + name}
	NewNetNS(tb, p.NetNS)
	if err := n.wire(p, podCIDR); err != nil {
		tb.Fatalf("wire pod %s: %v", name, err)
	}
	return p
}

func (n *Node) wire(p *Pod, podCIDR netip.Prefix) error {
	node, err := HandleIn(n.Path())
	if err != nil {
		return err
	}
	defer node.Close()
	pod, err := HandleIn(NetNSPath(p.NetNS))
	if err != nil {
		return err
	}
	defer pod.Close()
	podNS, err := netns.GetFromPath(NetNSPath(p.NetNS))
	if err != nil {
		return err
	}
	defer podNS.Close()

	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: p.HostName}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(podNS))}
	if err := node.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth: %w", err)
	}
	host, err := node.LinkByName(p.HostName)
	if err != nil {
		return err
	}
	p.HostIndex = host.Attrs().Index
	if err := node.AddrAdd(host, &netlink.Addr{IPNet: Slash32(Gateway)}); err != nil {
		return fmt.Errorf("address host side: %w", err)
	}
	if err := node.LinkSetUp(host); err != nil {
		return err
	}
	if err := node.RouteAdd(&netlink.Route{LinkIndex: p.HostIndex, Dst: Slash32(p.IP), Scope: netlink.SCOPE_LINK}); err != nil {
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
	if err := pod.AddrAdd(eth0, &netlink.Addr{IPNet: Slash32(p.IP)}); err != nil {
		return fmt.Errorf("address pod: %w", err)
	}
	for _, l := range []netlink.Link{lo, eth0} {
		if err := pod.LinkSetUp(l); err != nil {
			return err
		}
	}
	if err := pod.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: Slash32(Gateway), Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to gateway: %w", err)
	}
	cidr := &net.IPNet{IP: podCIDR.Addr().AsSlice(), Mask: net.CIDRMask(podCIDR.Bits(), 32)}
	if err := pod.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: cidr, Gw: Gateway.AsSlice()}); err != nil {
		return fmt.Errorf("route to pods: %w", err)
	}
	return waitOperUp(node, p.HostName)
}

// waitOperUp waits for the kernel to finish bringing a veth up.
func waitOperUp(h *netlink.Handle, name string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := h.LinkByName(name)
		if err != nil {
			return err
		}
		if l.Attrs().OperState == netlink.OperUp {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not up: %v", name, l.Attrs().OperState)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Slash32 is a's host prefix.
func Slash32(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(32, 32)}
}
