package datapath

import (
	"net/netip"
	"testing"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// gateway is the address every host-side veth carries: pods route through
// it, as the CNI ptp plugin sets them up.
var gateway = testenv.Gateway

// testNode is a node network namespace with pods behind veths, built for one
// test and removed when it ends. Nothing in it routes anywhere else.
type testNode struct {
	*testenv.Node
	pods map[string]*testPod
}

type testPod = testenv.Pod

var (
	netnsPath = testenv.NetNSPath
	hostNet   = testenv.Slash32
)

func newTestNode(tb testing.TB) *testNode {
	tb.Helper()
	return &testNode{Node: testenv.NewNode(tb, "npcdp"), pods: map[string]*testPod{}}
}

func (n *testNode) path() string { return n.Path() }

// addPod makes a pod holding ip, wired to the node, routing to podCIDR.
func (n *testNode) addPod(tb testing.TB, name string, ip netip.Addr, podCIDR netip.Prefix) *testPod {
	tb.Helper()
	p := n.AddPod(tb, name, ip, podCIDR)
	n.pods[name] = p
	return p
}
