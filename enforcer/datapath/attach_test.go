package datapath

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netns"
)

// programsOn counts the TCX programs on each hook of a device of the node.
func programsOn(tb testing.TB, node *testNode, ifindex int) map[ebpf.AttachType]int {
	tb.Helper()
	out := map[ebpf.AttachType]int{}
	for _, attach := range []ebpf.AttachType{ebpf.AttachTCXIngress, ebpf.AttachTCXEgress} {
		err := inNetNS(node.path(), func() error {
			res, err := link.QueryPrograms(link.QueryOptions{Target: ifindex, Attach: attach})
			if err == nil {
				out[attach] = len(res.Programs)
			}
			return err
		})
		if err != nil {
			tb.Fatalf("query programs on device %d: %v", ifindex, err)
		}
	}
	return out
}

func TestIntegrationAttachCompletesHalfAttachedDevice(t *testing.T) {
	requireKernel(t)
	node := newTestNode(t)
	pod := node.addPod(t, "a", netip.MustParseAddr("192.168.78.1"), netip.MustParsePrefix("192.168.78.0/24"))
	root := testPinRoot(t)
	d, err := Open("half", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed && d != nil {
			d.Close() // best effort after a failure; the bpffs unmount drops the rest
		}
	})
	if err := d.Attach(pod.ifindex); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if err := d.Attach(pod.ifindex); err != nil {
		t.Fatalf("second Attach: %v", err)
	}
	both := map[ebpf.AttachType]int{ebpf.AttachTCXIngress: 1, ebpf.AttachTCXEgress: 1}
	if got := programsOn(t, node, pod.ifindex); got[ebpf.AttachTCXIngress] != 1 || got[ebpf.AttachTCXEgress] != 1 {
		t.Fatalf("after Attach twice: %v, want %v", got, both)
	}

	// Leave the device as a crash between the two pins would: one link only.
	egress := d.links[pod.ifindex].links[tcxEgress]
	if err := egress.Unpin(); err != nil {
		t.Fatalf("unpin: %v", err)
	}
	if err := egress.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	delete(d.links[pod.ifindex].links, tcxEgress)
	if err := d.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}

	d, err = Open("half", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	if got := d.Attached(); len(got) != 1 || got[0] != pod.ifindex {
		t.Fatalf("Attached() = %v, want [%d]", got, pod.ifindex)
	}
	if got := programsOn(t, node, pod.ifindex); got[ebpf.AttachTCXIngress] != 1 || got[ebpf.AttachTCXEgress] != 0 {
		t.Fatalf("half-attached device: %v, want one program at ingress only", got)
	}
	if err := d.Attach(pod.ifindex); err != nil {
		t.Fatalf("Attach on a half-attached device: %v", err)
	}
	if got := programsOn(t, node, pod.ifindex); got[ebpf.AttachTCXIngress] != 1 || got[ebpf.AttachTCXEgress] != 1 {
		t.Fatalf("after completing: %v, want %v", got, both)
	}

	if err := d.Detach(pod.ifindex); err != nil {
		t.Fatalf("Detach: %v", err)
	}
	if err := d.Detach(pod.ifindex); err != nil {
		t.Fatalf("second Detach: %v", err)
	}
	if got := programsOn(t, node, pod.ifindex); got[ebpf.AttachTCXIngress] != 0 || got[ebpf.AttachTCXEgress] != 0 {
		t.Fatalf("after Detach: %v, want none", got)
	}
	closed = true
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// CheckAttached names a program detached from a live device, and lets a
// device that is gone (its pod deleted, the controller not caught up) pass.
func TestIntegrationCheckAttached(t *testing.T) {
	requireKernel(t)
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.79.1"), netip.MustParsePrefix("192.168.79.0/24"))
	b := node.addPod(t, "b", netip.MustParseAddr("192.168.79.2"), netip.MustParsePrefix("192.168.79.0/24"))
	d, err := Open("check", WithPinRoot(testPinRoot(t)), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	for _, p := range []*testPod{a, b} {
		if err := d.Attach(p.ifindex); err != nil {
			t.Fatalf("Attach: %v", err)
		}
	}
	if err := d.CheckAttached(d.Attached()); err != nil {
		t.Fatalf("freshly attached: %v", err)
	}
	// b's device goes away with its namespace: nothing left to enforce there.
	if err := netns.DeleteNamed(b.netns); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for programsGone(node, b.ifindex) == false && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := d.CheckAttached(d.Attached()); err != nil {
		t.Fatalf("after b's device went away: %v", err)
	}
	// a's ingress program is detached behind the datapath's back.
	if err := d.links[a.ifindex].links[tcxIngress].Detach(); err != nil {
		t.Fatal(err)
	}
	err = d.CheckAttached(d.Attached())
	if want := fmt.Sprintf("programs not attached: device %d: tcx_ingress program detached", a.ifindex); err == nil || err.Error() != want {
		t.Errorf("after detaching a's ingress program: %v, want %q", err, want)
	}
	// Attaching the device again replaces the dead link instead of taking it
	// as done (a device index can come back with a new pod's veth).
	if err := d.Attach(a.ifindex); err != nil {
		t.Fatalf("Attach again: %v", err)
	}
	if err := d.CheckAttached(d.Attached()); err != nil {
		t.Errorf("after attaching again: %v", err)
	}
	if got := programsOn(t, node, a.ifindex); got[ebpf.AttachTCXIngress] != 1 || got[ebpf.AttachTCXEgress] != 1 {
		t.Errorf("programs after attaching again: %v, want one on each hook", got)
	}
}

// programsGone tells whether a device no longer exists in the node.
func programsGone(node *testNode, ifindex int) bool {
	return inNetNS(node.path(), func() error {
		_, err := net.InterfaceByIndex(ifindex)
		return err
	}) != nil
}
