package controller

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// requireKernel skips tests that load eBPF programs and make namespaces.
func requireKernel(tb testing.TB) {
	tb.Helper()
	testenv.NeedRoot(tb, "creates network namespaces, loads eBPF programs and mounts a bpffs")
}

// privatePinRoot is a BPF filesystem of the test's own.
var privatePinRoot = testenv.BPFFS

// testTopology is a node namespace with pods behind veths, removed when the
// test ends. Pods route only to the pod CIDR, through the node.
type testTopology struct {
	*testenv.Node
	podCIDR netip.Prefix
}

var (
	netnsPath = testenv.NetNSPath
	inNetNS   = testenv.InNetNS
	handleIn  = testenv.HandleIn
)

func newTopology(tb testing.TB) *testTopology {
	tb.Helper()
	return &testTopology{Node: testenv.NewNode(tb, "npcctl"), podCIDR: netip.MustParsePrefix("192.168.0.0/16")}
}

func (topo *testTopology) nodePath() string { return topo.Path() }

// addPod makes a pod holding ip, wired to the node, that serves TCP port 80
// answering "ok"; it returns the pod's namespace.
func (topo *testTopology) addPod(tb testing.TB, name string, ip netip.Addr) string {
	tb.Helper()
	pod := topo.AddPod(tb, name, ip, topo.podCIDR)
	pod.ServeTCP(tb, 80)
	podNS := pod.NetNS
	return podNS
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
