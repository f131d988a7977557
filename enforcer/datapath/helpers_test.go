package datapath

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netpolcheck/netpolcheck/enforcer/bpf"
	"github.com/netpolcheck/netpolcheck/enforcer/compile"
	"github.com/netpolcheck/netpolcheck/enforcer/internal/testpacket"
	"github.com/netpolcheck/netpolcheck/internal/testenv"
)

func requireKernel(tb testing.TB) {
	tb.Helper()
	testenv.NeedRoot(tb, "loads eBPF programs and mounts a bpffs")
}

// testPinRoot is the pin root in a private BPF filesystem, so that tests
// never touch /sys/fs/bpf.
func testPinRoot(tb testing.TB) string {
	tb.Helper()
	requireKernel(tb)
	return filepath.Join(testenv.BPFFS(tb), "netpolcheck")
}

// openTest opens a datapath pinned in a private bpffs and closes it when
// the test ends, checking that Close left no pin behind.
func openTest(tb testing.TB, opts ...Option) *Datapath {
	tb.Helper()
	root := testPinRoot(tb)
	d, err := Open("test", append([]Option{WithPinRoot(root)}, opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		if _, err := os.Stat(filepath.Join(root, "test")); !errors.Is(err, os.ErrNotExist) {
			tb.Errorf("instance directory still there after Close: %v", err)
		}
	})
	return d
}

// The hooks a test packet is run at.
const (
	atEgress  = "egress"  // PREROUTING, from the source pod's veth: its egress policy
	atIngress = "ingress" // POSTROUTING, to the destination pod's veth: its ingress policy
)

func runAt(tb testing.TB, d *Datapath, hook string, frame []byte) int32 {
	tb.Helper()
	prog, state := d.objs.IngressPolicy, bpf.HookState(bpf.HookPostRouting)
	if hook == atEgress {
		prog, state = d.objs.EgressPolicy, bpf.HookState(bpf.HookPreRouting)
	}
	ret, err := prog.Run(&ebpf.RunOptions{Data: frame, Context: state})
	if err != nil {
		tb.Fatalf("run %s program: %v", hook, err)
	}
	return int32(ret)
}

func verdictName(v int32) string {
	switch v {
	case bpf.VerdictAccept:
		return "allow"
	case bpf.VerdictDrop:
		return "drop"
	}
	return "unknown"
}

// The test cluster: namespaces x (team red) and y (team blue); x/a, x/b and
// y/a are on this node. x/b serves "http" on 80/TCP and "dns" on 53/UDP,
// y/a serves "http" on 8080/TCP. 10.9.9.9 is a host outside the cluster.
var (
	xa       = netip.MustParseAddr("192.168.0.1")
	xb       = netip.MustParseAddr("192.168.0.2")
	ya       = netip.MustParseAddr("192.168.1.1")
	outside  = netip.MustParseAddr("10.1.1.1")
	excepted = netip.MustParseAddr("10.9.9.9")
)

func testInput(policies ...*networkingv1.NetworkPolicy) compile.Input {
	ns := func(name, team string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"team": team}}}
	}
	pod := func(namespace, name, ip, app string, ports ...corev1.ContainerPort) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app": app}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: ports}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
		}
	}
	return compile.Input{
		Namespaces: []*corev1.Namespace{ns("x", "red"), ns("y", "blue")},
		Pods: []*corev1.Pod{
			pod("x", "a", "192.168.0.1", "a"),
			pod("x", "b", "192.168.0.2", "b",
				corev1.ContainerPort{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
				corev1.ContainerPort{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}),
			pod("y", "a", "192.168.1.1", "a", corev1.ContainerPort{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}),
		},
		Policies: policies,
		// Devices that do not exist: test runs arrive on the loopback device,
		// which no endpoint owns, so the address check stays out of the way.
		Local: map[string]int{"x/a": 101, "x/b": 102, "y/a": 103},
	}
}

// applyPolicies compiles the policies against the test cluster and applies them.
func applyPolicies(tb testing.TB, d *Datapath, in compile.Input) uint32 {
	tb.Helper()
	gen, err := d.Apply(compileOrFail(tb, in))
	if err != nil {
		tb.Fatalf("Apply: %v", err)
	}
	return gen
}

func compileOrFail(tb testing.TB, in compile.Input) *compile.Tables {
	tb.Helper()
	tables, err := compile.Compile(in)
	if err != nil {
		tb.Fatalf("Compile: %v", err)
	}
	return tables
}

type policyTweak func(*networkingv1.NetworkPolicy)

func policy(namespace, name string, app string, tweaks ...policyTweak) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if app != "" {
		np.Spec.PodSelector.MatchLabels = map[string]string{"app": app}
	}
	for _, tweak := range tweaks {
		tweak(np)
	}
	return np
}

func types(t ...networkingv1.PolicyType) policyTweak {
	return func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = t }
}

func ingressFrom(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) policyTweak {
	return func(np *networkingv1.NetworkPolicy) {
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
	}
}

func egressTo(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) policyTweak {
	return func(np *networkingv1.NetworkPolicy) {
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
	}
}

func podsWithApp(app string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}}}
}

func namespacesOfTeam(team string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": team}}}}
}

func block(cidr string, except ...string) []networkingv1.NetworkPolicyPeer {
	return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}}
}

func ports(protocol corev1.Protocol, from, to int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(from)
	np := networkingv1.NetworkPolicyPort{Protocol: &protocol, Port: &p}
	if to != from {
		np.EndPort = &to
	}
	return np
}

func named(protocol corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: &protocol, Port: &p}
}

func tcp(src, dst netip.Addr, sport, dport uint16) testpacket.Flow {
	return testpacket.Flow{Src: src, Dst: dst, Protocol: testpacket.TCP, SrcPort: sport, DstPort: dport}
}

func udp(src, dst netip.Addr, sport, dport uint16) testpacket.Flow {
	return testpacket.Flow{Src: src, Dst: dst, Protocol: testpacket.UDP, SrcPort: sport, DstPort: dport}
}

func sctp(src, dst netip.Addr, sport, dport uint16) testpacket.Flow {
	return testpacket.Flow{Src: src, Dst: dst, Protocol: testpacket.SCTP, SrcPort: sport, DstPort: dport}
}

func icmp(src, dst netip.Addr) testpacket.Flow {
	return testpacket.Flow{Src: src, Dst: dst, Protocol: testpacket.ICMP}
}

// runningPod is a running pod of namespace x labelled app=name, at ip.
func runningPod(name string, ip netip.Addr) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Labels: map[string]string{"app": name}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip.String()},
	}
}
