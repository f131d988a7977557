package datapath

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
// enforcer's compiled tables and eBPF programs, egress at the source and
// ingress at the destination, and the verdicts must agree. The two share no
// matching code, so a disagreement is a bug in one of them; the failure
// names the world's seed, the cell and the oracle's account of it.
func TestIntegrationDatapathAgreesWithOracle(t *testing.T) {
	requireKernel(t)
	var cells, allowed int
	for seed := int64(1); seed <= oracleWorlds; seed++ {
		w := truth.GenerateWorld(seed, 8+int(seed*7%64), 1+int(seed%5), 4+int(seed*13%56))
		// A subtest per world, so that each world's datapath and bpffs
		// are gone before the next.
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			d := openTest(t)
			applyPolicies(t, d, inputOf(w))
			n, a, wrong := compareWithOracle(t, d, w)
			if len(wrong) > 0 {
				t.Fatalf("%d of %d cells disagree; the first:\n%s", len(wrong), n, wrong[0])
			}
			cells, allowed = cells+n, allowed+a
		})
	}
	if allowed == 0 || allowed == cells {
		t.Fatalf("%d cells, %d allowed: the worlds exercise nothing", cells, allowed)
	}
	t.Logf("%d worlds, %d cells, %d allowed: the enforcer agrees with the oracle on every one", oracleWorlds, cells, allowed)
}

// The comparison can fail: an enforcer that lost one policy disagrees.
func TestIntegrationDatapathOracleComparisonCatchesALostPolicy(t *testing.T) {
	requireKernel(t)
	w := truth.GenerateWorld(3, 30, 3, 12)
	in := inputOf(w)
	in.Policies = in.Policies[:len(in.Policies)-1]
	d := openTest(t)
	applyPolicies(t, d, in)
	if _, _, wrong := compareWithOracle(t, d, w); len(wrong) == 0 {
		t.Fatal("an enforcer missing a policy agreed with the oracle on every cell")
	}
}

// compareWithOracle sends every cell of w's truth table through d: counts
// the cells compared and allowed, and describes those where d disagrees.
func compareWithOracle(t *testing.T, d *Datapath, w *scenarios.World) (cells, allowed int, wrong []string) {
	t.Helper()
	table := truth.Compute(w)
	sport := uint16(20000) // above every policy port, unique per cell: no flow meets another's conntrack entry
	for c := range table.Cells() {
		if c.Loopback {
			continue // never crosses a veth
		}
		src, dst := table.Endpoints[c.Source], table.Endpoints[table.Targets[c.Target].Endpoint]
		port := table.Targets[c.Target].Port
		if sport == 0 {
			t.Fatal("more cells than source ports")
		}
		frame := testpacket.IPv4(testpacket.Flow{
			Src: netip.MustParseAddr(src.IP), Dst: netip.MustParseAddr(dst.IP),
			Protocol: packetProtocol(t, port.Protocol), SrcPort: sport, DstPort: uint16(port.Port),
		})
		sport++
		got := true
		if src.Pod != nil {
			got = runAt(t, d, atEgress, frame) == bpf.VerdictNext
		}
		if got && dst.Pod != nil {
			got = runAt(t, d, atIngress, frame) == bpf.VerdictNext
		}
		cells++
		if got {
			allowed++
		}
		if got != c.Allowed {
			exp, _ := truth.Explain(w, src.ID, dst.ID, port.Port, port.Protocol)
			wrong = append(wrong, fmt.Sprintf("%s -> %s %d/%s: enforcer allowed=%v, oracle allowed=%v\noracle: %s",
				src.ID, dst.ID, port.Port, port.Protocol, got, c.Allowed, exp))
		}
	}
	return cells, allowed, wrong
}

// inputOf is what a node running every pod of w would give the compiler:
// every pod is local, so that both sides of each cell are enforced here.
func inputOf(w *scenarios.World) compile.Input {
	in := compile.Input{Policies: w.Policies, Local: map[string]int{}}
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
		in.Local[p.Namespace+"/"+p.Name] = 1000 + i
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
