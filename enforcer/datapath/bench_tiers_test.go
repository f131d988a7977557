package datapath

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
)

// benchEgressPolicies makes n NetworkPolicies selecting x/b's egress, each
// admitting its own /24 of 10.0.0.0/9 less the upper half on its own
// 11-port range: BenchmarkVerdict's policies, the other way.
func benchEgressPolicies(n int) []*networkingv1.NetworkPolicy {
	return benchPoliciesOf(n, func(peers []networkingv1.NetworkPolicyPeer, port networkingv1.NetworkPolicyPort) []policyTweak {
		return []policyTweak{types(networkingv1.PolicyTypeEgress), egressTo(peers, port)}
	})
}

// benchClusterPolicies makes n Admin ClusterNetworkPolicies whose subject
// is x/b, each denying its own /24 of 10.128.0.0/9 on an 11-port range and
// passing the rest of that /24, at priorities spread over 0-999 so that
// every one takes part in the order.
func benchClusterPolicies(n int) []*npav1alpha2.ClusterNetworkPolicy {
	out := make([]*npav1alpha2.ClusterNetworkPolicy, 0, n)
	for i := range n {
		cidr := npav1alpha2.CIDR(fmt.Sprintf("10.%d.%d.0/24", 128+i>>8, i&0xff))
		lo := int32(1000 + i%50)
		to := []npav1alpha2.ClusterNetworkPolicyEgressPeer{{Networks: []npav1alpha2.CIDR{cidr}}}
		out = append(out, &npav1alpha2.ClusterNetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cnp%05d", i)},
			Spec: npav1alpha2.ClusterNetworkPolicySpec{
				Tier: npav1alpha2.AdminTier, Priority: int32(i % 1000),
				Subject: npav1alpha2.ClusterNetworkPolicySubject{Pods: &npav1alpha2.NamespacedPod{
					NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": "red"}},
					PodSelector:       metav1.LabelSelector{MatchLabels: map[string]string{"app": "b"}},
				}},
				Egress: []npav1alpha2.ClusterNetworkPolicyEgressRule{
					{Action: npav1alpha2.ClusterNetworkPolicyRuleActionDeny, To: to, Protocols: []npav1alpha2.ClusterNetworkPolicyProtocol{
						{TCP: &npav1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: &npav1alpha2.Port{Range: &npav1alpha2.PortRange{Start: lo, End: lo + 10}}}},
					}},
					{Action: npav1alpha2.ClusterNetworkPolicyRuleActionPass, To: to},
				},
			},
		})
	}
	return out
}

// BenchmarkVerdictTiers measures the egress verdict with ClusterNetworkPolicy
// tiers beside NetworkPolicy: 1,000 NetworkPolicies alone (the baseline),
// then the same with 1,000 Admin ClusterNetworkPolicies flattened into the
// rule set. "denied by NetworkPolicy" goes through the Admin tier's Pass to
// NetworkPolicy isolation; "denied by an Admin rule" is decided in the
// Admin tier. Both are the full decision on every run, as in BenchmarkVerdict.
//
//	go test -run '^$' -bench BenchmarkVerdictTiers -benchtime 1000000x ./enforcer/datapath/
func BenchmarkVerdictTiers(b *testing.B) {
	cases := []struct {
		name string
		cnps int
		dst  netip.Addr
		port uint16
	}{
		{"networkpolicies=1000/denied", 0, netip.MustParseAddr("10.0.0.5"), 80},
		{"networkpolicies=1000+cnps=1000/denied-by-networkpolicy", 1000, netip.MustParseAddr("10.128.0.5"), 80},
		{"networkpolicies=1000+cnps=1000/denied-by-admin-rule", 1000, netip.MustParseAddr("10.128.0.5"), 1005},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			d := openTest(b)
			in := testInput(benchEgressPolicies(1000)...)
			in.ClusterPolicies = benchClusterPolicies(c.cnps)
			start := time.Now()
			tables := compileOrFail(b, in)
			compiled := time.Since(start)
			if _, err := d.Apply(tables); err != nil {
				b.Fatalf("Apply: %v", err)
			}
			frame := testpacket.IPv4(tcp(xb, c.dst, 40000, c.port))
			if got := runAt(b, d, atEgress, frame); got != bpf.VerdictDrop {
				b.Fatalf("verdict %s, want drop", verdictName(got))
			}
			b.ResetTimer()
			start = time.Now()
			ret, err := d.objs.EgressPolicy.Run(&ebpf.RunOptions{Data: frame, Context: bpf.HookState(bpf.HookPreRouting), Repeat: uint32(b.N)})
			elapsed := time.Since(start)
			b.StopTimer()
			if err != nil {
				b.Fatalf("run: %v", err)
			}
			if int32(ret) != bpf.VerdictDrop {
				b.Fatalf("verdict %s after %d runs, want drop", verdictName(int32(ret)), b.N)
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N), "ns/verdict")
			b.ReportMetric(float64(len(tables.Peers)), "peer-entries")
			b.ReportMetric(float64(len(tables.Ports)), "port-entries")
			b.ReportMetric(compiled.Seconds()*1000, "compile-ms")
		})
	}
}
