package datapath

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
)

// benchPolicies makes n policies that all select x/b, each admitting its
// own /24 of 10.0.0.0/8 (less the upper half) on its own port range, so
// that the tables grow with n: n peer prefixes and 50 port classes.
func benchPolicies(n int) []*networkingv1.NetworkPolicy {
	return benchPoliciesOf(n, func(peers []networkingv1.NetworkPolicyPeer, port networkingv1.NetworkPolicyPort) []policyTweak {
		return []policyTweak{ingressFrom(peers, port)}
	})
}

// benchPoliciesOf makes the n policies with rule making each one's rule
// (and policy types) from its peers and ports.
func benchPoliciesOf(n int, rule func([]networkingv1.NetworkPolicyPeer, networkingv1.NetworkPolicyPort) []policyTweak) []*networkingv1.NetworkPolicy {
	out := make([]*networkingv1.NetworkPolicy, 0, n)
	for i := range n {
		cidr := fmt.Sprintf("10.%d.%d.0/24", i>>8, i&0xff)
		except := fmt.Sprintf("10.%d.%d.128/25", i>>8, i&0xff)
		lo := int32(1000 + i%50)
		out = append(out, policy("x", fmt.Sprintf("p%05d", i), "b", rule(block(cidr, except), ports(corev1.ProtocolTCP, lo, lo+10))...))
	}
	return out
}

// BenchmarkVerdict measures one verdict with BPF_PROG_TEST_RUN (one run with
// repeat b.N, at the POSTROUTING hook the ingress program runs at) for 10, 1,000
// and 10,000 policies selecting the destination. "denied" is the full
// decision on every run (endpoint, two conntrack misses, two LPM lookups and
// a drop record); "established" is a packet of an admitted connection,
// decided by conntrack.
//
//	go test -run '^$' -bench BenchmarkVerdict -benchtime 2000000x ./enforcer/datapath/
func BenchmarkVerdict(b *testing.B) {
	src := netip.MustParseAddr("10.0.0.5") // inside the first policy's block
	cases := []struct {
		name string
		flow testpacket.Flow
		want int32
	}{
		{"denied", tcp(src, xb, 40000, 80), bpf.VerdictDrop},
		{"established", tcp(src, xb, 40000, 1005), bpf.VerdictAccept},
	}
	for _, n := range []int{10, 1000, 10000} {
		for _, c := range cases {
			b.Run(fmt.Sprintf("policies=%d/%s", n, c.name), func(b *testing.B) {
				d := openTest(b)
				if prefixes := applyBenchPolicies(b, d, n); len(prefixes) != n {
					b.Fatalf("%d peer prefixes, want %d", len(prefixes), n)
				}
				frame := testpacket.IPv4(c.flow)
				if got := runAt(b, d, atIngress, frame); got != c.want {
					b.Fatalf("verdict %s, want %s", verdictName(got), verdictName(c.want))
				}
				b.ResetTimer()
				// One BPF_PROG_TEST_RUN with repeat b.N: one syscall for
				// all runs, so the time per verdict is the program's.
				// (Program.Benchmark reports the kernel's own per-run time,
				// but it cannot pass the hook state a netfilter program
				// needs.)
				start := time.Now()
				ret, err := d.objs.IngressPolicy.Run(&ebpf.RunOptions{Data: frame, Context: bpf.HookState(bpf.HookPostRouting), Repeat: uint32(b.N)})
				elapsed := time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatalf("run: %v", err)
				}
				if int32(ret) != c.want {
					b.Fatalf("verdict %s after %d runs, want %s", verdictName(int32(ret)), b.N, verdictName(c.want))
				}
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/verdict")
			})
		}
	}
}

// applyBenchPolicies applies n benchmark policies and returns the peer
// prefixes compiled, to check the tables did grow with n.
func applyBenchPolicies(b *testing.B, d *Datapath, n int) []netip.Prefix {
	b.Helper()
	in := testInput(benchPolicies(n)...)
	tables := compileOrFail(b, in)
	if _, err := d.Apply(tables); err != nil {
		b.Fatalf("Apply: %v", err)
	}
	var prefixes []netip.Prefix
	for _, p := range tables.Peers {
		prefixes = append(prefixes, p.Prefix)
	}
	return prefixes
}
