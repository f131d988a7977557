package compile

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The test cluster: namespaces x (team red) and y (team blue), each with pods
// a and b. x/b serves "http" on 80/TCP and "dns" on 53/UDP; y/a serves
// "http" on 8080/TCP and "dns" on 5353/UDP.
func testNamespaces() []*corev1.Namespace {
	return []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"team": "red"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "y", Labels: map[string]string{"team": "blue", "kubernetes.io/metadata.name": "y"}}},
	}
}

func testPods() []*corev1.Pod {
	return []*corev1.Pod{
		makePod("x", "a", "192.168.0.1", map[string]string{"app": "a"}),
		makePod("x", "b", "192.168.0.2", map[string]string{"app": "b", "tier": "web"},
			withPort("http", 80, corev1.ProtocolTCP), withPort("dns", 53, corev1.ProtocolUDP)),
		makePod("y", "a", "192.168.1.1", map[string]string{"app": "a", "tier": "db"},
			withPort("http", 8080, ""), withPort("dns", 5353, corev1.ProtocolUDP)),
		makePod("y", "b", "192.168.1.2", map[string]string{"app": "b"}),
	}
}

type podTweak func(*corev1.Pod)

func makePod(ns, name, ip string, labels map[string]string, tweaks ...podTweak) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
	for _, tweak := range tweaks {
		tweak(p)
	}
	return p
}

func withPort(name string, port int32, protocol corev1.Protocol) podTweak {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports,
			corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: protocol})
	}
}

type policyTweak func(*networkingv1.NetworkPolicy)

func makePolicy(ns, name string, selector map[string]string, tweaks ...policyTweak) *networkingv1.NetworkPolicy {
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: selector}},
	}
	for _, tweak := range tweaks {
		tweak(np)
	}
	return np
}

func withTypes(types ...networkingv1.PolicyType) policyTweak {
	return func(np *networkingv1.NetworkPolicy) { np.Spec.PolicyTypes = types }
}

func withIngress(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) policyTweak {
	return func(np *networkingv1.NetworkPolicy) {
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
	}
}

func withEgress(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) policyTweak {
	return func(np *networkingv1.NetworkPolicy) {
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
	}
}

func podPeer(labels map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: labels}}
}

func nsPeer(labels map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: labels}}
}

func nsPodPeer(nsLabels, podLabels map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: nsLabels},
		PodSelector:       &metav1.LabelSelector{MatchLabels: podLabels},
	}
}

func blockPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

func peers(p ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return p }

func port(protocol corev1.Protocol, number int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(number)
	np := networkingv1.NetworkPolicyPort{Port: &p}
	if protocol != "" {
		np.Protocol = &protocol
	}
	return np
}

func policyPortRange(protocol corev1.Protocol, from, to int32) networkingv1.NetworkPolicyPort {
	np := port(protocol, from)
	np.EndPort = &to
	return np
}

func policyNamedPort(protocol corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	np := networkingv1.NetworkPolicyPort{Port: &p}
	if protocol != "" {
		np.Protocol = &protocol
	}
	return np
}

func protocolOnly(protocol corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &protocol}
}

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// pp is an allowing port entry.
func pp(class Class, protocol Protocol, port uint16, bits uint8) PortPrefix {
	return PortPrefix{Class: class, Protocol: protocol, Port: port, Bits: bits}
}
