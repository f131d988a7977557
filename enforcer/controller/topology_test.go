package controller

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// requireKernel skips tests that load eBPF programs and make namespaces.
func requireKernel(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("creates network namespaces and loads eBPF programs; skipped under -short")
	}
	if os.Geteuid() != 0 {
		tb.Skip("network namespaces, eBPF programs and a bpffs mount need root")
	}
}

// privatePinRoot mounts a BPF filesystem for one test, so that the test
// never touches /sys/fs/bpf.
func privatePinRoot(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		tb.Fatalf("mount bpffs on %s: %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			tb.Errorf("unmount bpffs %s: %v", dir, err)
		}
	})
	return dir
}

// gatewayIP is what every host-side veth carries, as with the ptp CNI plugin.
var gatewayIP = netip.MustParseAddr("169.254.1.1")

// testTopology is a node namespace with pods behind veths, removed when the
// test ends. Pods route only to the pod CIDR, through the node.
type testTopology struct {
	prefix  string
	node    string
	podCIDR netip.Prefix
}

func netnsPath(name string) string { return filepath.Join("/run/netns", name) }

func newTopology(tb testing.TB) *testTopology {
	tb.Helper()
	prefix := "npcctl" + strconv.Itoa(os.Getpid()%100000)
	topo := &testTopology{prefix: prefix, node: prefix + "-node", podCIDR: netip.MustParsePrefix("192.168.0.0/16")}
	// Registered first so that it runs last, when every namespace must be gone.
	tb.Cleanup(func() {
		if left, err := filepath.Glob(netnsPath(prefix + "-*")); err != nil || len(left) != 0 {
			tb.Errorf("network namespaces left behind: %v %v", left, err)
		}
	})
	makeNetNS(tb, topo.node)
	err := inNetNS(netnsPath(topo.node), func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
	})
	if err != nil {
		tb.Fatalf("enable forwarding: %v", err)
	}
	return topo
}

func (topo *testTopology) nodePath() string { return netnsPath(topo.node) }

// inNetNS runs fn on a locked thread inside the namespace at path. Should
// returning fail, the goroutine ends with the thread locked, and Go retires it.
func inNetNS(path string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			done <- err
			return
		}
		defer origin.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		result := fn()
		if err := netns.Set(origin); err != nil {
			done <- err
			return
		}
		runtime.UnlockOSThread()
		done <- result
	}()
	return <-done
}

// makeNetNS creates a named namespace, deleted when the test ends.
func makeNetNS(tb testing.TB, name string) {
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
			errc <- err
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

// addPod makes a pod namespace holding ip/32 on eth0, its veth peer hv-<name>
// in the node with a /32 route to it, and serves TCP port 80 answering "ok".
func (topo *testTopology) addPod(tb testing.TB, name string, ip netip.Addr) string {
	tb.Helper()
	podNS := topo.prefix + "-" + name
	makeNetNS(tb, podNS)
	if err := topo.wire(podNS, "hv-"+name, ip); err != nil {
		tb.Fatalf("wire pod %s: %v", name, err)
	}
	var ln net.Listener
	err := inNetNS(netnsPath(podNS), func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(ip, 80).String())
		return err
	})
	if err != nil {
		tb.Fatalf("listen in %s: %v", podNS, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write([]byte("ok"))
			conn.Close()
		}
	}()
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	return podNS
}

func (topo *testTopology) wire(podNS, hostName string, ip netip.Addr) error {
	nodeHandle, err := handleIn(topo.nodePath())
	if err != nil {
		return err
	}
	defer nodeHandle.Close()
	podHandle, err := handleIn(netnsPath(podNS))
	if err != nil {
		return err
	}
	defer podHandle.Close()
	podFd, err := netns.GetFromPath(netnsPath(podNS))
	if err != nil {
		return err
	}
	defer podFd.Close()

	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostName}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(podFd))}
	if err := nodeHandle.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth: %w", err)
	}
	host, err := nodeHandle.LinkByName(hostName)
	if err != nil {
		return err
	}
	if err := nodeHandle.AddrAdd(host, &netlink.Addr{IPNet: slash32(gatewayIP)}); err != nil {
		return fmt.Errorf("address host side: %w", err)
	}
	if err := nodeHandle.LinkSetUp(host); err != nil {
		return err
	}
	if err := nodeHandle.RouteAdd(&netlink.Route{LinkIndex: host.Attrs().Index, Dst: slash32(ip), Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to pod: %w", err)
	}
	eth0, err := podHandle.LinkByName("eth0")
	if err != nil {
		return err
	}
	lo, err := podHandle.LinkByName("lo")
	if err != nil {
		return err
	}
	if err := podHandle.AddrAdd(eth0, &netlink.Addr{IPNet: slash32(ip)}); err != nil {
		return fmt.Errorf("address pod: %w", err)
	}
	for _, l := range []netlink.Link{lo, eth0} {
		if err := podHandle.LinkSetUp(l); err != nil {
			return err
		}
	}
	if err := podHandle.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: slash32(gatewayIP), Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to gateway: %w", err)
	}
	cidr := &net.IPNet{IP: topo.podCIDR.Addr().AsSlice(), Mask: net.CIDRMask(topo.podCIDR.Bits(), 32)}
	if err := podHandle.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Dst: cidr, Gw: gatewayIP.AsSlice()}); err != nil {
		return fmt.Errorf("route to pods: %w", err)
	}
	return waitOperUp(nodeHandle, hostName)
}

// waitOperUp waits for the kernel to finish bringing the veth up, so that
// the first probe is not lost to a link still coming up.
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

func handleIn(path string) (*netlink.Handle, error) {
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

func slash32(a netip.Addr) *net.IPNet {
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(32, 32)}
}

// reach dials ip:80 from inside podNS: "allowed" when the server answered,
// "blocked" when the attempt timed out.
func reach(tb testing.TB, podNS string, ip netip.Addr) string {
	tb.Helper()
	verdict := ""
	err := inNetNS(netnsPath(podNS), func() error {
		conn, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, 80).String(), 300*time.Millisecond)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			verdict = "blocked"
			return nil
		}
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 2)
		if _, err := conn.Read(buf); err != nil {
			return err
		}
		verdict = "allowed"
		return nil
	})
	if err != nil {
		tb.Fatalf("probe %s from %s: %v", ip, podNS, err)
	}
	return verdict
}
