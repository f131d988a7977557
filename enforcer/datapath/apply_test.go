package datapath

import (
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	corev1 "k8s.io/api/core/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
)

// generations lists the generation of every entry of the four policy maps.
func generations(tb testing.TB, d *Datapath) map[string][]uint32 {
	tb.Helper()
	out := map[string][]uint32{}
	collect := func(name string, m *ebpf.Map, keySize int, gen func([]byte) uint32) {
		key := make([]byte, keySize)
		var value []byte
		iter := m.Iterate()
		for iter.Next(&key, &value) {
			out[name] = append(out[name], gen(key))
		}
		if err := iter.Err(); err != nil {
			tb.Fatalf("walk %s: %v", name, err)
		}
	}
	at := func(off int) func([]byte) uint32 {
		return func(b []byte) uint32 { return binary.NativeEndian.Uint32(b[off:]) }
	}
	// The generation leads endpoint and device keys and follows the prefix
	// length in LPM keys.
	collect("endpoints", d.objs.Endpoints, 8, at(0))
	collect("devices", d.objs.Devices, 8, at(0))
	collect("peers", d.objs.Peers, 16, at(4))
	collect("ports", d.objs.Ports, 16, at(4))
	return out
}

func TestIntegrationGenerationSwitch(t *testing.T) {
	d := openTest(t)
	allowFromA := policy("x", "from-a", "b", ingressFrom(podsWithApp("a"), ports(corev1.ProtocolTCP, 80, 80)))
	denyAll := policy("x", "deny", "b")
	first := testpacket.IPv4(tcp(xa, xb, 40000, 80))

	if gen := d.Generation(); gen != 0 {
		t.Fatalf("generation before Apply = %d, want 0", gen)
	}
	if gen := applyPolicies(t, d, testInput(allowFromA)); gen != 1 {
		t.Fatalf("first Apply = generation %d, want 1", gen)
	}
	if got := runAt(t, d, atIngress, first); got != bpf.VerdictAccept {
		t.Fatalf("generation 1: %s, want allow", verdictName(got))
	}
	want := map[string][]uint32{"endpoints": {1, 1, 1}, "devices": {1, 1, 1}, "peers": {1}, "ports": {1}}
	if got := generations(t, d); !equalGenerations(got, want) {
		t.Fatalf("entries after generation 1: %v, want %v", got, want)
	}

	if gen := applyPolicies(t, d, testInput(denyAll)); gen != 2 {
		t.Fatalf("second Apply = generation %d, want 2", gen)
	}
	// The connection admitted under generation 1 is checked again, and the
	// old generation's entries are gone.
	if got := runAt(t, d, atIngress, first); got != bpf.VerdictDrop {
		t.Fatalf("generation 2, established flow: %s, want drop", verdictName(got))
	}
	if got := runAt(t, d, atIngress, testpacket.IPv4(tcp(xa, xb, 40001, 80))); got != bpf.VerdictDrop {
		t.Fatalf("generation 2, new flow: %s, want drop", verdictName(got))
	}
	want = map[string][]uint32{"endpoints": {2, 2, 2}, "devices": {2, 2, 2}}
	if got := generations(t, d); !equalGenerations(got, want) {
		t.Fatalf("entries after generation 2: %v, want %v", got, want)
	}

	if gen := applyPolicies(t, d, testInput(allowFromA)); gen != 3 {
		t.Fatalf("third Apply = generation %d, want 3", gen)
	}
	if got := runAt(t, d, atIngress, first); got != bpf.VerdictAccept {
		t.Fatalf("generation 3: %s, want allow", verdictName(got))
	}
}

func equalGenerations(got, want map[string][]uint32) bool {
	for _, name := range []string{"endpoints", "devices", "peers", "ports"} {
		g, w := got[name], want[name]
		if len(g) != len(w) {
			return false
		}
		for i := range g {
			if g[i] != w[i] {
				return false
			}
		}
	}
	return true
}

// applyFailsKeepingGeneration1 applies tables that must fail with the
// error want, and checks that generation 1 (testInput's three pods) stays
// in force with nothing of the failed generation left in the maps.
func applyFailsKeepingGeneration1(t *testing.T, d *Datapath, tables *compile.Tables, want string) {
	t.Helper()
	if _, err := d.Apply(tables); err == nil || err.Error() != want {
		t.Fatalf("Apply error = %v, want %q", err, want)
	}
	if gen := d.Generation(); gen != 1 {
		t.Fatalf("generation after a failed Apply = %d, want 1", gen)
	}
	wantGens := map[string][]uint32{"endpoints": {1, 1, 1}, "devices": {1, 1, 1}}
	if got := generations(t, d); !equalGenerations(got, wantGens) {
		t.Fatalf("entries after a failed Apply: %v, want %v", got, wantGens)
	}
}

func TestIntegrationApplyRejectsBadTables(t *testing.T) {
	d := openTest(t)
	applyPolicies(t, d, testInput())
	tests := []struct {
		name   string
		tables compile.Tables
		want   string
	}{
		{"IPv6 endpoint", compile.Tables{Endpoints: []compile.Endpoint{{Pod: "x/a", IP: netip.MustParseAddr("fd00::1"), Ifindex: 5, Identity: 1}}},
			"apply generation 2: endpoint x/a: address fd00::1 is not IPv4"},
		{"zero class", compile.Tables{Peers: []compile.Peer{{RuleSet: 1, Prefix: netip.MustParsePrefix("10.0.0.0/8")}}},
			"apply generation 2: rule set 1: prefix 10.0.0.0/8: rule set and class must not be 0"},
		{"port prefix too long", compile.Tables{Ports: []compile.PortPrefix{{Class: 1, Protocol: compile.TCP, Port: 80, Bits: 17}}},
			"apply generation 2: class 1: port prefix length 17 over 16"},
		{"two endpoints on one address", compile.Tables{Endpoints: []compile.Endpoint{
			{Pod: "x/a", IP: xa, Ifindex: 5, Identity: 1}, {Pod: "x/b", IP: xa, Ifindex: 6, Identity: 2}}},
			"apply generation 2: endpoint x/b: address 192.168.0.1 also belongs to endpoint x/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			applyFailsKeepingGeneration1(t, d, &tt.tables, tt.want)
		})
	}
}

// A process that stops without Close leaves the maps enforcing; the next
// Open finds the generation in force and sweeps what a crash mid-Apply left.
func TestIntegrationReopenKeepsPolicy(t *testing.T) {
	root := testPinRoot(t)
	d, err := Open("restart", WithPinRoot(root))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	applyPolicies(t, d, testInput(policy("x", "deny", "b")))
	// A half-written next generation, as a crash during Apply leaves it.
	crashed := bpf.PolicyEndpointKey{Generation: 2, Addr: networkAddr(xa)}
	if err := d.objs.Endpoints.Put(&crashed, &bpf.PolicyEndpointValue{Identity: 9}); err != nil {
		t.Fatalf("write stale entry: %v", err)
	}
	if err := d.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}

	again, err := Open("restart", WithPinRoot(root))
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	t.Cleanup(func() {
		if err := again.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if gen := again.Generation(); gen != 1 {
		t.Fatalf("generation after reopening = %d, want 1", gen)
	}
	want := map[string][]uint32{"endpoints": {1, 1, 1}, "devices": {1, 1, 1}}
	if got := generations(t, again); !equalGenerations(got, want) {
		t.Fatalf("entries after reopening: %v, want %v", got, want)
	}
	if got := runAt(t, again, atIngress, testpacket.IPv4(tcp(xa, xb, 40000, 80))); got != bpf.VerdictDrop {
		t.Fatalf("after reopening: %s, want drop", verdictName(got))
	}
	if gen := applyPolicies(t, again, testInput()); gen != 2 {
		t.Fatalf("Apply after reopening = generation %d, want 2", gen)
	}
	want = map[string][]uint32{"endpoints": {2, 2, 2}, "devices": {2, 2, 2}}
	if got := generations(t, again); !equalGenerations(got, want) {
		t.Fatalf("entries after Apply on a reopened instance: %v, want %v", got, want)
	}
}

func TestIntegrationOpenRejectsBadInstance(t *testing.T) {
	root := testPinRoot(t)
	_, err := Open("../escape", WithPinRoot(root))
	want := `open datapath ../escape: instance name "../escape": want letters, digits, '.', '_' or '-', at most 128`
	if err == nil || err.Error() != want {
		t.Fatalf("Open error = %v, want %q", err, want)
	}
	plain := t.TempDir()
	_, err = Open("plain", WithPinRoot(plain))
	want = "open datapath plain: " + plain + "/plain is not on a BPF filesystem (mount -t bpf bpf " + filepath.Dir(plain) + ")"
	if err == nil || err.Error() != want {
		t.Fatalf("Open error = %v, want %q", err, want)
	}
}
