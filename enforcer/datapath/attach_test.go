package datapath

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// hookPrograms counts, per hook, the netfilter links in the kernel that run
// one of d's programs, asking the kernel rather than d.
func hookPrograms(tb testing.TB, d *Datapath) map[string]int {
	tb.Helper()
	return hookProgramsOf(tb, programIDs(tb, d))
}

// programIDs are the kernel's IDs of d's two programs, to look for links
// running them once d is closed.
func programIDs(tb testing.TB, d *Datapath) map[ebpf.ProgramID]bool {
	tb.Helper()
	ids := map[ebpf.ProgramID]bool{}
	for _, p := range []*ebpf.Program{d.objs.EgressPolicy, d.objs.IngressPolicy} {
		info, err := p.Info()
		if err != nil {
			tb.Fatalf("program info: %v", err)
		}
		id, _ := info.ID()
		ids[id] = true
	}
	return ids
}

// hookProgramsOf counts, per hook, the netfilter links running a program
// with one of these IDs.
func hookProgramsOf(tb testing.TB, ids map[ebpf.ProgramID]bool) map[string]int {
	tb.Helper()
	out := map[string]int{}
	var it link.Iterator
	defer it.Close()
	for it.Next() {
		info, err := it.Link.Info()
		if err != nil || !ids[info.Program] {
			continue
		}
		if nf := info.Netfilter(); nf != nil {
			for _, h := range hooks {
				if nf.Hook == h.hook && slices.Contains(h.priorities[:], nf.Priority) {
					out[h.name]++
				}
			}
		}
	}
	if err := it.Err(); err != nil {
		tb.Fatalf("iterate links: %v", err)
	}
	return out
}

func TestIntegrationAttachHooksOnceAndCompleteAfterACrash(t *testing.T) {
	requireKernel(t)
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.78.1"), netip.MustParsePrefix("192.168.78.0/24"))
	b := node.addPod(t, "b", netip.MustParseAddr("192.168.78.2"), netip.MustParsePrefix("192.168.78.0/24"))
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
	if got := hookPrograms(t, d); len(got) != 0 {
		t.Fatalf("before any Attach: %v, want no links", got)
	}
	for _, ifindex := range []int{a.HostIndex, a.HostIndex, b.HostIndex} {
		if err := d.Attach(ifindex); err != nil {
			t.Fatalf("Attach %d: %v", ifindex, err)
		}
	}
	once := map[string]int{"nf_prerouting": 1, "nf_postrouting": 1}
	if got := hookPrograms(t, d); fmt.Sprint(got) != fmt.Sprint(once) {
		t.Fatalf("after attaching a twice and b: %v, want %v", got, once)
	}
	if got := d.Attached(); len(got) != 2 {
		t.Fatalf("Attached() = %v, want both devices", got)
	}

	// Leave the hooks as a crash between the two pins would: one link only.
	post := d.hookLinks[postRouting]
	if err := post.Unpin(); err != nil {
		t.Fatalf("unpin: %v", err)
	}
	if err := post.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	delete(d.hookLinks, postRouting)
	if err := d.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	d, err = Open("half", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	if got := hookPrograms(t, d); fmt.Sprint(got) != fmt.Sprint(map[string]int{"nf_prerouting": 1}) {
		t.Fatalf("after reopening: %v, want the prerouting link only, now running this process's program", got)
	}
	if err := d.CheckAttached([]int{a.HostIndex}); err == nil {
		t.Fatalf("CheckAttached with a hook missing: no error")
	}
	// No tables were applied, so no device is in force yet: the
	// controller's next sync attaches its pods again.
	if got := d.Attached(); len(got) != 0 {
		t.Fatalf("Attached() after reopening without tables = %v, want none", got)
	}
	for _, ifindex := range []int{a.HostIndex, b.HostIndex} {
		if err := d.Attach(ifindex); err != nil {
			t.Fatalf("Attach with a hook missing: %v", err)
		}
	}
	if got := hookPrograms(t, d); fmt.Sprint(got) != fmt.Sprint(once) {
		t.Fatalf("after completing: %v, want %v", got, once)
	}
	if err := d.CheckAttached(d.Attached()); err != nil {
		t.Fatalf("CheckAttached after completing: %v", err)
	}

	// A hook program detached behind the datapath's back (bpftool link
	// detach) is found, named and attached again.
	post = d.hookLinks[postRouting]
	postInfo, err := post.Info()
	if err != nil {
		t.Fatal(err)
	}
	if err := post.Detach(); err != nil {
		t.Fatal(err)
	}
	err = d.CheckAttached(d.Attached())
	if want := fmt.Sprintf("programs not attached: nf_postrouting program detached (link %d); attached again", postInfo.ID); err == nil || err.Error() != want {
		t.Fatalf("CheckAttached after a detach: %v, want %q", err, want)
	}
	if err := d.CheckAttached(d.Attached()); err != nil {
		t.Fatalf("CheckAttached after attaching again: %v", err)
	}
	if got := hookPrograms(t, d); fmt.Sprint(got) != fmt.Sprint(once) {
		t.Fatalf("after attaching again: %v, want %v", got, once)
	}

	for range 2 {
		if err := d.Detach(a.HostIndex); err != nil {
			t.Fatalf("Detach: %v", err)
		}
	}
	if got := d.Attached(); len(got) != 1 || got[0] != b.HostIndex {
		t.Fatalf("Attached() after detaching a = %v, want [%d]", got, b.HostIndex)
	}
	err = d.CheckAttached([]int{a.HostIndex, b.HostIndex})
	if want := fmt.Sprintf("programs not attached: device %d: never attached", a.HostIndex); err == nil || err.Error() != want {
		t.Fatalf("CheckAttached of a detached device: %v, want %q", err, want)
	}
	if err := d.Detach(b.HostIndex); err != nil {
		t.Fatalf("Detach the last device: %v", err)
	}
	if got := hookPrograms(t, d); len(got) != 0 {
		t.Fatalf("after detaching the last device: %v, want no links", got)
	}
	if err := d.Attach(b.HostIndex); err != nil {
		t.Fatalf("Attach after the last Detach: %v", err)
	}
	if got := hookPrograms(t, d); fmt.Sprint(got) != fmt.Sprint(once) {
		t.Fatalf("after attaching again: %v, want %v", got, once)
	}
	ids := programIDs(t, d)
	closed = true
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := hookProgramsOf(t, ids); len(got) != 0 {
		t.Fatalf("after Close: %v, want no links", got)
	}
}

// A pin directory left by a build that attached TCX links to each device
// is taken over: those links go, the hooks replace them.
func TestIntegrationOpenDropsTCXLinksOfEarlierBuilds(t *testing.T) {
	requireKernel(t)
	node := newTestNode(t)
	a := node.addPod(t, "a", netip.MustParseAddr("192.168.77.1"), netip.MustParsePrefix("192.168.77.0/24"))
	root := testPinRoot(t)
	d, err := Open("test", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// A TCX program of the kind earlier builds attached, pinned as they did.
	spec := &ebpf.ProgramSpec{Type: ebpf.SchedCLS, License: "MIT", Instructions: asm.Instructions{
		asm.LoadImm(asm.R0, -1, asm.DWord), // TCX_NEXT
		asm.Return(),
	}}
	prog, err := ebpf.NewProgram(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer prog.Close()
	var tcx link.Link
	if err := inNetNS(node.path(), func() error {
		var err error
		tcx, err = link.AttachTCX(link.TCXOptions{Interface: a.HostIndex, Program: prog, Attach: ebpf.AttachTCXIngress})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pin := d.pins.linkPath(fmt.Sprintf("%d_tcx_ingress", a.HostIndex))
	if err := tcx.Pin(pin); err != nil {
		t.Fatal(err)
	}
	info, err := tcx.Info()
	if err != nil {
		t.Fatal(err)
	}
	tcx.Close()
	if err := d.Release(); err != nil {
		t.Fatal(err)
	}
	d2, err := Open("test", WithPinRoot(root), WithNetNS(node.path()))
	if err != nil {
		t.Fatalf("Open over a TCX pin: %v", err)
	}
	t.Cleanup(func() {
		if err := d2.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if l, err := link.NewFromID(info.ID); err == nil {
		l.Close()
		t.Fatalf("the earlier build's TCX link %d is still there", info.ID)
	}
}
