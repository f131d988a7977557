package datapath

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

// oracleWorlds is how many random worlds the differential test runs. Their
// sizes vary with the seed, from 8 pods and 4 policies up to 71 pods and 59
// policies, so that rules overlap (several policies selecting a pod, peers
// in several namespaces, ipBlocks over pod addresses, named ports on
// different numbers per pod) and small worlds have few enough policies that
// not everything is isolated.
const oracleWorlds = 100

// TestIntegrationDatapathAgreesWithOracle is the differential test of the two
// implementations of NetworkPolicy: for random worlds, every cell of the
// truth oracle's table (scenarios/truth) is sent as a packet through the
// enforcer's compiled tables and eBPF programs, and each side's verdict must
// be the oracle's for that side: the egress program at the source, the
// ingress program at the destination. The two share no matching code, so a
// disagreement is a bug in one of them; the failure names the world's seed,
// the cell and the oracle's account of it. In every other world the pods of
// odd index are on another node: the enforcer knows them only as peers, and
// their own sides are not checked here.
func TestIntegrationDatapathAgreesWithOracle(t *testing.T) {
	requireKernel(t)
	var total oracleCounts
	for seed := int64(1); seed <= oracleWorlds; seed++ {
		w := truth.GenerateWorld(seed, 8+int(seed*7%64), 1+int(seed%5), 4+int(seed*13%56))
		// A subtest per world, so that each world's datapath and bpffs
		// are gone before the next.
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			in := inputOf(w, seed%2 == 0)
			d := openTest(t)
			applyPolicies(t, d, in)
			counts, wrong := compareWithOracle(t, d, w, in.Local)
			if len(wrong) > 0 {
				t.Fatalf("%d of %d sides disagree; the first:\n%s", len(wrong), counts.sides, wrong[0])
			}
			total.add(counts)
		})
	}
	if total.allowed == 0 || total.allowed == total.sides {
		t.Fatalf("%+v: the worlds exercise nothing", total)
	}
	t.Logf("%d worlds, %d cells, %d sides checked (%d allowed): the enforcer agrees with the oracle on every one",
		oracleWorlds, total.cells, total.sides, total.allowed)
}

// clusterPolicyWorlds is how many random worlds with ClusterNetworkPolicies
// the differential test of the tiers runs.
const clusterPolicyWorlds = 60

// TestIntegrationDatapathAgreesWithOracleOnTiers is the differential test
// with ClusterNetworkPolicies of both tiers beside the NetworkPolicies: the
// compiler flattens the tiers into its rule sets, the oracle evaluates them
// rule by rule, and every side of every cell must agree. Cells the API
// leaves undefined (equal priorities whose rules disagree) are not compared.
func TestIntegrationDatapathAgreesWithOracleOnTiers(t *testing.T) {
	requireKernel(t)
	var total oracleCounts
	denied := 0
	for seed := int64(1); seed <= clusterPolicyWorlds; seed++ {
		w := truth.GenerateWorldWithClusterPolicies(seed, 8+int(seed*7%40), 1+int(seed%5), int(seed%9), 1+int(seed*5%12))
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			in := inputOf(w, seed%2 == 0)
			d := openTest(t)
			tables := compileOrFail(t, in)
			if _, err := d.Apply(tables); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			for _, p := range tables.Ports {
				if p.Deny && p.Rule != 0 {
					denied++
				}
			}
			counts, wrong := compareWithOracle(t, d, w, in.Local)
			if len(wrong) > 0 {
				t.Fatalf("%d of %d sides disagree; the first:\n%s", len(wrong), counts.sides, wrong[0])
			}
			total.add(counts)
		})
	}
	if total.allowed == 0 || total.allowed == total.sides || denied == 0 || total.undefined > total.cells/2 {
		t.Fatalf("%+v, %d entries denying by a rule: the worlds exercise nothing", total, denied)
	}
	t.Logf("%d worlds, %d cells, %d sides checked (%d allowed), %d undefined cells left out: the enforcer agrees with the oracle on every one",
		clusterPolicyWorlds, total.cells, total.sides, total.allowed, total.undefined)
}

// TestIntegrationDatapathAgreesWithOracleOnV1alpha1 is the differential
// test of the v1alpha1 kinds: each random world's ClusterNetworkPolicies
// written as AdminNetworkPolicies and a BaselineAdminNetworkPolicy. The
// enforcer reads those objects through its own mapping onto the tiers, the
// oracle through the scenario loader's, and every side of every cell must
// agree. Worlds v1alpha1 cannot express (more than one Baseline policy, a
// Baseline Pass) are left out.
func TestIntegrationDatapathAgreesWithOracleOnV1alpha1(t *testing.T) {
	requireKernel(t)
	var total oracleCounts
	worlds := 0
	// About one random world in five can be written in v1alpha1.
	for seed := int64(1); seed <= 8*clusterPolicyWorlds && worlds < clusterPolicyWorlds/2; seed++ {
		w := truth.GenerateWorldWithClusterPolicies(seed, 8+int(seed*7%40), 1+int(seed%5), int(seed%9), 1+int(seed*5%12))
		twin, ok := v1alpha1World(w)
		if !ok {
			continue
		}
		worlds++
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			in := inputOf(twin.world, seed%2 == 0)
			in.ClusterPolicies, in.AdminPolicies, in.BaselinePolicies = nil, twin.admins, twin.baselines
			d := openTest(t)
			applyPolicies(t, d, in)
			counts, wrong := compareWithOracle(t, d, twin.world, in.Local)
			if len(wrong) > 0 {
				t.Fatalf("%d of %d sides disagree; the first:\n%s", len(wrong), counts.sides, wrong[0])
			}
			total.add(counts)
		})
	}
	if worlds < clusterPolicyWorlds/2 || total.allowed == 0 || total.allowed == total.sides {
		t.Fatalf("%d worlds, %+v: the worlds exercise nothing", worlds, total)
	}
	t.Logf("%d worlds, %d cells, %d sides checked (%d allowed): the enforcer agrees with the oracle on every one", worlds, total.cells, total.sides, total.allowed)
}

// v1alpha1Twin is a world whose cluster policies came from v1alpha1
// objects: the oracle sees their tiered forms, the enforcer the objects.
type v1alpha1Twin struct {
	world     *scenarios.World
	admins    []*npav1alpha1.AdminNetworkPolicy
	baselines []*npav1alpha1.BaselineAdminNetworkPolicy
}

func v1alpha1World(w *scenarios.World) (v1alpha1Twin, bool) {
	out := v1alpha1Twin{world: &scenarios.World{Namespaces: w.Namespaces, Pods: w.Pods, Policies: w.Policies, ExternalHosts: w.ExternalHosts}}
	for _, p := range w.ClusterPolicies {
		twin, ok, _ := scenarios.V1alpha1TwinPolicy(p)
		if !ok || (twin.BaselineAdminNetworkPolicy != nil && len(out.baselines) > 0) {
			return v1alpha1Twin{}, false
		}
		if twin.AdminNetworkPolicy != nil {
			out.admins = append(out.admins, twin.AdminNetworkPolicy)
		} else {
			out.baselines = append(out.baselines, twin.BaselineAdminNetworkPolicy)
		}
		out.world.ClusterPolicies = append(out.world.ClusterPolicies, twin.Tiered())
	}
	return out, len(w.ClusterPolicies) > 0
}

// The comparison can fail with tiers too: an enforcer that took one Deny
// rule for Accept disagrees.
func TestIntegrationDatapathOracleComparisonCatchesAWrongAction(t *testing.T) {
	requireKernel(t)
	for seed := int64(1); seed <= 40; seed++ {
		w := truth.GenerateWorldWithClusterPolicies(seed, 30, 3, 2, 6)
		in := inputOf(w, false)
		mutated := false
		for i, p := range in.ClusterPolicies {
			for j, r := range p.Spec.Egress {
				if r.Action == npav1alpha2.ClusterNetworkPolicyRuleActionDeny && !mutated {
					q := p.DeepCopy()
					q.Spec.Egress[j].Action = npav1alpha2.ClusterNetworkPolicyRuleActionAccept
					in.ClusterPolicies = append(slices.Clone(in.ClusterPolicies[:i]), append([]*npav1alpha2.ClusterNetworkPolicy{q}, in.ClusterPolicies[i+1:]...)...)
					mutated = true
				}
			}
		}
		if !mutated {
			continue
		}
		d := openTest(t)
		applyPolicies(t, d, in)
		if _, wrong := compareWithOracle(t, d, w, in.Local); len(wrong) > 0 {
			return
		}
	}
	t.Fatal("no world told a Deny rule taken for Accept from the oracle")
}

// The comparison can fail: an enforcer that lost one policy disagrees.
func TestIntegrationDatapathOracleComparisonCatchesALostPolicy(t *testing.T) {
	requireKernel(t)
	w := truth.GenerateWorld(3, 30, 3, 12)
	in := inputOf(w, false)
	in.Policies = in.Policies[:len(in.Policies)-1]
	d := openTest(t)
	applyPolicies(t, d, in)
	if _, wrong := compareWithOracle(t, d, w, in.Local); len(wrong) == 0 {
		t.Fatal("an enforcer missing a policy agreed with the oracle on every cell")
	}
}

// oracleCounts are what a comparison covered: cells, the sides of them
// checked (a local pod's egress or ingress), and the sides allowed.
type oracleCounts struct{ cells, sides, allowed, undefined int }

func (c *oracleCounts) add(o oracleCounts) {
	c.cells, c.sides, c.allowed, c.undefined = c.cells+o.cells, c.sides+o.sides, c.allowed+o.allowed, c.undefined+o.undefined
}

// compareWithOracle sends every cell of w's truth table through d and
// compares each local pod's side with the oracle's verdict for that side,
// read from the tables of w with only egress, or only ingress, policies.
func compareWithOracle(t *testing.T, d *Datapath, w *scenarios.World, local map[string]int) (oracleCounts, []string) {
	t.Helper()
	table := truth.Compute(w)
	egress := truth.Compute(oneDirection(w, networkingv1.PolicyTypeEgress))
	ingress := truth.Compute(oneDirection(w, networkingv1.PolicyTypeIngress))
	var counts oracleCounts
	var wrong []string
	sport := uint16(20000) // above every policy port, unique per cell: no flow meets another's conntrack entry
	for c := range table.Cells() {
		if c.Loopback {
			continue // never crosses a veth
		}
		src, dst := table.Endpoints[c.Source], table.Endpoints[table.Targets[c.Target].Endpoint]
		port := table.Targets[c.Target].Port
		egressAllowed := egress.Allowed(c.Source, c.Target)
		ingressAllowed := ingress.Allowed(c.Source, c.Target)
		if c.Undefined || egress.Undefined(c.Source, c.Target) || ingress.Undefined(c.Source, c.Target) {
			counts.undefined++
			continue // the API gives no verdict to agree with
		}
		if c.Allowed != (egressAllowed && ingressAllowed) {
			t.Fatalf("%s -> %s %d/%s: the oracle allows %v, its sides %v and %v", src.ID, dst.ID, port.Port, port.Protocol, c.Allowed, egressAllowed, ingressAllowed)
		}
		if sport == 0 {
			t.Fatal("more cells than source ports")
		}
		frame := testpacket.IPv4(testpacket.Flow{
			Src: netip.MustParseAddr(src.IP), Dst: netip.MustParseAddr(dst.IP),
			Protocol: packetProtocol(t, port.Protocol), SrcPort: sport, DstPort: uint16(port.Port),
		})
		sport++
		counts.cells++
		for _, side := range []struct {
			hook string
			end  truth.Endpoint
			want bool
		}{{atEgress, src, egressAllowed}, {atIngress, dst, ingressAllowed}} {
			if side.end.Pod == nil {
				continue // an external host: no policy selects it
			}
			if _, ok := local[side.end.ID]; !ok {
				continue // another node enforces it
			}
			got := runAt(t, d, side.hook, frame) == bpf.VerdictAccept
			counts.sides++
			if got {
				counts.allowed++
			}
			if got != side.want {
				exp, _ := truth.Explain(w, src.ID, dst.ID, port.Port, port.Protocol)
				wrong = append(wrong, fmt.Sprintf("%s -> %s %d/%s at the %s hook: enforcer allowed=%v, oracle allowed=%v\noracle: %s",
					src.ID, dst.ID, port.Port, port.Protocol, side.hook, got, side.want, exp))
			}
		}
	}
	return counts, wrong
}

// oneDirection is w with only the policies' isolation of one direction: a
// policy that isolates for it keeps those rules alone, the others go. Its
// truth table is the oracle's verdict for that side of every cell.
func oneDirection(w *scenarios.World, keep networkingv1.PolicyType) *scenarios.World {
	out := *w
	out.Policies = nil
	for _, p := range w.Policies {
		types := p.Spec.PolicyTypes
		if len(types) == 0 {
			// The API server's defaulting: Ingress, and Egress with egress rules.
			types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
			if len(p.Spec.Egress) > 0 {
				types = append(types, networkingv1.PolicyTypeEgress)
			}
		}
		if !slices.Contains(types, keep) {
			continue
		}
		q := p.DeepCopy()
		q.Spec.PolicyTypes = []networkingv1.PolicyType{keep}
		if keep == networkingv1.PolicyTypeEgress {
			q.Spec.Ingress = nil
		} else {
			q.Spec.Egress = nil
		}
		out.Policies = append(out.Policies, q)
	}
	out.ClusterPolicies = nil
	for _, p := range w.ClusterPolicies {
		q := p.DeepCopy()
		if keep == networkingv1.PolicyTypeEgress {
			q.Spec.Ingress = nil
		} else {
			q.Spec.Egress = nil
		}
		out.ClusterPolicies = append(out.ClusterPolicies, q)
	}
	return &out
}

// inputOf is what a node would give the compiler for w: every pod is
// local, or with halfRemote only those of even index.
func inputOf(w *scenarios.World, halfRemote bool) compile.Input {
	in := compile.Input{Policies: w.Policies, ClusterPolicies: w.ClusterPolicies, Local: map[string]int{}}
	for _, ns := range w.Namespaces {
		in.Namespaces = append(in.Namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: ns.Labels}})
	}
	for i, p := range w.Pods {
		var ports []corev1.ContainerPort
		for _, port := range p.Ports {
			ports = append(ports, corev1.ContainerPort{Name: port.Name, ContainerPort: port.Port, Protocol: corev1.Protocol(port.Protocol)})
		}
		in.Pods = append(in.Pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: p.IP},
		})
		// Devices that do not exist, as in testInput: test runs arrive on
		// the loopback device, which no endpoint owns.
		if !halfRemote || i%2 == 0 {
			in.Local[p.Namespace+"/"+p.Name] = 1000 + i
		}
	}
	return in
}

func packetProtocol(t *testing.T, p scenarios.Protocol) uint8 {
	switch p {
	case scenarios.TCP:
		return testpacket.TCP
	case scenarios.UDP:
		return testpacket.UDP
	case scenarios.SCTP:
		return testpacket.SCTP
	}
	t.Fatalf("protocol %q", p)
	return 0
}
