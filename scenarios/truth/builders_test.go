package truth

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The tiny worlds of the table tests: namespaces x and y, pods a and b in
// each (labelled app=a and app=b), every pod serving the same five ports,
// and one external host. Tweaks change what a case needs.

var basePorts = []scenarios.Port{
	{Name: "http", Port: 80, Protocol: scenarios.TCP},
	{Port: 81, Protocol: scenarios.TCP},
	{Name: "dns", Port: 53, Protocol: scenarios.UDP},
	{Name: "dns-tcp", Port: 53, Protocol: scenarios.TCP},
	{Name: "sctp", Port: 9000, Protocol: scenarios.SCTP},
}

type worldTweak func(*scenarios.World)

func makeWorld(tweaks ...worldTweak) *scenarios.World {
	ns := func(name string) scenarios.Namespace {
		return scenarios.Namespace{Name: name, Labels: map[string]string{"kubernetes.io/metadata.name": name, "ns": name}}
	}
	pod := func(ns, name, ip string) scenarios.Pod {
		return scenarios.Pod{Namespace: ns, Name: name, Labels: map[string]string{"app": name}, Ports: append([]scenarios.Port(nil), basePorts...), IP: ip}
	}
	w := &scenarios.World{
		Namespaces: []scenarios.Namespace{ns("x"), ns("y")},
		Pods: []scenarios.Pod{
			pod("x", "a", "192.168.0.2"), pod("x", "b", "192.168.0.3"),
			pod("y", "a", "192.168.1.2"), pod("y", "b", "192.168.1.3"),
		},
		ExternalHosts: []scenarios.ExternalHost{{
			Name: "ext", IP: "203.0.113.10",
			Ports: []scenarios.Port{{Name: "http", Port: 80, Protocol: scenarios.TCP}, {Port: 53, Protocol: scenarios.UDP}},
		}},
	}
	for _, tweak := range tweaks {
		tweak(w)
	}
	return w
}

func withPolicies(ps ...*networkingv1.NetworkPolicy) worldTweak {
	return func(w *scenarios.World) { w.Policies = append(w.Policies, ps...) }
}

func withPodLabels(id string, labels map[string]string) worldTweak {
	return func(w *scenarios.World) {
		for i := range w.Pods {
			if w.Pods[i].ID() == id {
				w.Pods[i].Labels = labels
			}
		}
	}
}

func withPodPorts(id string, ports ...scenarios.Port) worldTweak {
	return func(w *scenarios.World) {
		for i := range w.Pods {
			if w.Pods[i].ID() == id {
				w.Pods[i].Ports = ports
			}
		}
	}
}

func withPodIP(id, ip string) worldTweak {
	return func(w *scenarios.World) {
		for i := range w.Pods {
			if w.Pods[i].ID() == id {
				w.Pods[i].IP = ip
			}
		}
	}
}

func withNamespaceLabels(name string, labels map[string]string) worldTweak {
	return func(w *scenarios.World) {
		for i := range w.Namespaces {
			if w.Namespaces[i].Name == name {
				w.Namespaces[i].Labels = labels
			}
		}
	}
}

type policyTweak func(*networkingv1.NetworkPolicy)

// makePolicy is a policy selecting every pod of ns, with defaulted policyTypes.
func makePolicy(ns, name string, tweaks ...policyTweak) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, tweak := range tweaks {
		tweak(p)
	}
	return p
}

func selecting(sel *metav1.LabelSelector) policyTweak {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.PodSelector = *sel }
}

func withTypes(types ...networkingv1.PolicyType) policyTweak {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.PolicyTypes = types }
}

func withIngress(rules ...networkingv1.NetworkPolicyIngressRule) policyTweak {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.Ingress = append(p.Spec.Ingress, rules...) }
}

func withEgress(rules ...networkingv1.NetworkPolicyEgressRule) policyTweak {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.Egress = append(p.Spec.Egress, rules...) }
}

func from(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports}
}

func to(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports}
}

func peers(ps ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return ps }

func podPeer(sel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: sel}
}

func nsPeer(sel *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: sel}
}

func podInNsPeer(pod, ns *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: pod, NamespaceSelector: ns}
}

func ipPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func labels(kv ...string) *metav1.LabelSelector {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		sel.MatchLabels[kv[i]] = kv[i+1]
	}
	return sel
}

func expr(key string, op metav1.LabelSelectorOperator, values ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

func all() *metav1.LabelSelector { return &metav1.LabelSelector{} }

func port(proto corev1.Protocol, n int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

// tcpDefault is a numeric port with the protocol omitted.
func tcpDefault(n int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Port: &p}
}

func named(proto *corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: proto, Port: &p}
}

func portRange(proto corev1.Protocol, start, end int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(start)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p, EndPort: &end}
}

func anyPort(proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &proto}
}

func protocol(p corev1.Protocol) *corev1.Protocol { return &p }

// expectCell is one cell of a table test and its exact verdict.
type expectCell struct {
	from, to string
	port     int32
	proto    scenarios.Protocol
	allowed  bool
}

func allow(from, to string, port int32, proto scenarios.Protocol) expectCell {
	return expectCell{from: from, to: to, port: port, proto: proto, allowed: true}
}

func deny(from, to string, port int32, proto scenarios.Protocol) expectCell {
	return expectCell{from: from, to: to, port: port, proto: proto}
}

// checkCells asserts every expected verdict through both Compute and Explain.
func checkCells(t *testing.T, w *scenarios.World, cells []expectCell) {
	t.Helper()
	table := Compute(w)
	for _, c := range cells {
		got, ok := table.Lookup(c.from, c.to, c.port, c.proto)
		if !ok {
			t.Errorf("Lookup(%s, %s, %d/%s): cell does not exist", c.from, c.to, c.port, c.proto)
			continue
		}
		if got != c.allowed {
			t.Errorf("Compute %s -> %s %d/%s: allowed = %v, want %v", c.from, c.to, c.port, c.proto, got, c.allowed)
		}
		e, err := Explain(w, c.from, c.to, c.port, c.proto)
		if err != nil {
			t.Errorf("Explain(%s, %s, %d/%s): %v", c.from, c.to, c.port, c.proto, err)
			continue
		}
		if e.Allowed != c.allowed {
			t.Errorf("Explain %s -> %s %d/%s: allowed = %v, want %v (%s)", c.from, c.to, c.port, c.proto, e.Allowed, c.allowed, e)
		}
	}
}

const (
	tcp  = scenarios.TCP
	udp  = scenarios.UDP
	sctp = scenarios.SCTP
)
