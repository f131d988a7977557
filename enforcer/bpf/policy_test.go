package bpf

import (
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"

	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

// loadObjects loads the programs and maps into the kernel, unpinned, and
// closes them when the test ends.
func loadObjects(tb testing.TB) *PolicyObjects {
	tb.Helper()
	testenv.NeedRoot(tb, "loads eBPF programs into the kernel")
	if err := rlimit.RemoveMemlock(); err != nil {
		tb.Fatalf("remove memlock limit: %v", err)
	}
	var objs PolicyObjects
	if err := LoadPolicyObjects(&objs, nil); err != nil {
		tb.Fatalf("load policy objects: %v", err)
	}
	tb.Cleanup(func() { objs.Close() })
	return &objs
}

// run runs prog on frame at the hook it is attached to: PREROUTING for the
// egress program, POSTROUTING for the ingress one.
func run(tb testing.TB, objs *PolicyObjects, prog *ebpf.Program, frame []byte) int32 {
	tb.Helper()
	state := HookState(HookPostRouting)
	if prog == objs.EgressPolicy {
		state = HookState(HookPreRouting)
	}
	ret, err := prog.Run(&ebpf.RunOptions{Data: frame, Context: state})
	if err != nil {
		tb.Fatalf("run program: %v", err)
	}
	return int32(ret)
}

func counters(tb testing.TB, m *ebpf.Map) [CounterSlots]uint64 {
	tb.Helper()
	var sums [CounterSlots]uint64
	for slot := range uint32(CounterSlots) {
		var perCPU []uint64
		if err := m.Lookup(slot, &perCPU); err != nil {
			tb.Fatalf("read counter %d: %v", slot, err)
		}
		for _, n := range perCPU {
			sums[slot] += n
		}
	}
	return sums
}

// With no policy applied (generation zero) every endpoint is unknown, so
// both programs let everything through; packets that are not IPv4 are not
// even counted (the IPv4 hooks never see ARP or IPv6 frames; a truncated IP
// header stands for them).
func TestIntegrationProgramsWithoutPolicy(t *testing.T) {
	objs := loadObjects(t)
	a, b := netip.MustParseAddr("192.168.9.1"), netip.MustParseAddr("192.168.9.2")
	tests := []struct {
		name  string
		prog  *ebpf.Program
		frame []byte
		want  [CounterSlots]uint64
	}{
		{"bad IP version at egress hook", objs.EgressPolicy, notIPv4(testpacket.IPv4(testpacket.Flow{Src: a, Dst: b, Protocol: testpacket.TCP, SrcPort: 40000, DstPort: 80})), [CounterSlots]uint64{}},
		{"bad IP version at ingress hook", objs.IngressPolicy, notIPv4(testpacket.IPv4(testpacket.Flow{Src: a, Dst: b, Protocol: testpacket.UDP, SrcPort: 40000, DstPort: 53})), [CounterSlots]uint64{}},
		{"tcp at egress hook", objs.EgressPolicy, testpacket.IPv4(testpacket.Flow{Src: a, Dst: b, Protocol: testpacket.TCP, SrcPort: 40000, DstPort: 80}), [CounterSlots]uint64{CounterEgressAllowed: 1}},
		{"udp at ingress hook", objs.IngressPolicy, testpacket.IPv4(testpacket.Flow{Src: a, Dst: b, Protocol: testpacket.UDP, SrcPort: 40000, DstPort: 53}), [CounterSlots]uint64{CounterIngressAllowed: 1}},
		{"ipv4 without transport header", objs.IngressPolicy, testpacket.IPv4(testpacket.Flow{Src: a, Dst: b, Protocol: testpacket.TCP})[:34], [CounterSlots]uint64{CounterIngressAllowed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each row counts what its own frame adds, so that a row run
			// alone (-run) passes as in the whole table.
			before := counters(t, objs.Counters)
			if got := run(t, objs, tt.prog, tt.frame); got != VerdictAccept {
				t.Fatalf("verdict = %d, want %d (next)", got, VerdictAccept)
			}
			after := counters(t, objs.Counters)
			var added [CounterSlots]uint64
			for i := range added {
				added[i] = after[i] - before[i]
			}
			if added != tt.want {
				t.Fatalf("counters added = %v, want %v", added, tt.want)
			}
		})
	}
}

// notIPv4 marks an IPv4 frame's header as another version, which the
// programs must pass without judging.
func notIPv4(frame []byte) []byte {
	frame[14] = 0x65 // version 6, header length 5
	return frame
}

func TestDirectionAndReasonNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Ingress.String(), "Ingress"},
		{Egress.String(), "Egress"},
		{Direction(7).String(), "Direction(7)"},
		{ReasonPeer.String(), "no-peer"},
		{ReasonPort.String(), "no-port"},
		{ReasonAddress.String(), "wrong-address"},
		{ReasonGeneration.String(), "generation-switch"},
		{Reason(9).String(), "Reason(9)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// The conntrack map evicts per CPU: the common LRU list gave a full map's
// free entries away from other CPUs' lists of entries just added, so a
// connection's approval could vanish before its reply (docs/design.md).
func TestConntrackEvictsPerCPU(t *testing.T) {
	spec, err := LoadPolicy()
	if err != nil {
		t.Fatal(err)
	}
	ct := spec.Maps["conntrack"]
	if ct == nil || ct.Type != ebpf.LRUHash || ct.Flags&2 == 0 {
		t.Fatalf("conntrack map %+v: want an LRU hash with BPF_F_NO_COMMON_LRU (2)", ct)
	}
	if ct.MaxEntries < 65536 {
		t.Errorf("conntrack holds %d approvals, want at least 65536", ct.MaxEntries)
	}
}
