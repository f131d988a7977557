package datapath

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// benchWorld is the cluster of the end-to-end benchmarks: x/a and x/b are
// real pods behind veths of the test node; the other pods are spread over
// 20 namespaces, the first `local` of them on this node behind devices
// that do not exist (their entries fill the maps, no packet ever uses
// them). Policies are those of policyWorld.
type benchWorld struct {
	pods, local int
}

// benchNamespaces is how many namespaces the filler pods spread over.
const benchNamespaces = 20

// fillerIfindexBase keeps the filler pods' devices clear of the node's
// real ones, which the kernel numbers from 1.
const fillerIfindexBase = 100000

func benchNamespace(i int) string { return fmt.Sprintf("ns%02d", i%benchNamespaces) }

// input builds the world with these policies, a and b in namespace x.
func (w benchWorld) input(a, b *testPod, policies []*networkingv1.NetworkPolicy) compile.Input {
	in := compile.Input{Policies: policies, Local: map[string]int{"x/a": a.HostIndex, "x/b": b.HostIndex}}
	in.Namespaces = append(in.Namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"team": "x"}}})
	for i := range benchNamespaces {
		in.Namespaces = append(in.Namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: benchNamespace(i), Labels: map[string]string{"team": fmt.Sprintf("t%d", i%5)},
		}})
	}
	pod := func(namespace, name, ip string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
			}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
		}
	}
	in.Pods = append(in.Pods,
		pod("x", "a", a.IP.String(), map[string]string{"app": "a"}),
		pod("x", "b", b.IP.String(), map[string]string{"app": "b"}))
	for j := range w.pods - 2 {
		ns, name := benchNamespace(j), fmt.Sprintf("p%04d", j)
		ip := netip.AddrFrom4([4]byte{172, 20, byte(j >> 8), byte(j)})
		in.Pods = append(in.Pods, pod(ns, name, ip.String(), map[string]string{
			"app": fmt.Sprintf("app%d", j/benchNamespaces%10), "tier": fmt.Sprintf("tier%d", j/7%3),
		}))
		if j < w.local-2 {
			in.Local[ns+"/"+name] = fillerIfindexBase + j
		}
	}
	return in
}

// policyWorld makes n policies: two in x that admit a to b on port 80 and
// keep b isolated without that rule, a tenth that select b with an ipBlock
// of their own (so b's table grows with n), and the rest spread over the
// filler namespaces in four shapes real clusters use: a pod selector, a
// namespace by name, an egress ipBlock with an exception, and a named port.
func policyWorld(n int) []*networkingv1.NetworkPolicy {
	out := []*networkingv1.NetworkPolicy{bFromA(), policy("x", "b-isolated", "b",
		ingressFrom(namespacesOfTeam("t0"), ports(corev1.ProtocolTCP, 9000, 9000)))}
	for i := range max(n-2, 0) {
		name, ns, app := fmt.Sprintf("p%05d", i), benchNamespace(i), fmt.Sprintf("app%d", i%10)
		cidr := fmt.Sprintf("10.%d.%d.0/24", (i>>8)&0xff, i&0xff)
		except := fmt.Sprintf("10.%d.%d.128/25", (i>>8)&0xff, i&0xff)
		lo := int32(1000 + i%50)
		switch {
		case i%10 == 9:
			out = append(out, policy("x", name, "b", ingressFrom(block(cidr, except), ports(corev1.ProtocolTCP, lo, lo+10))))
		case i%4 == 0:
			tier := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"tier": fmt.Sprintf("tier%d", i%3)}}}}
			out = append(out, policy(ns, name, app, ingressFrom(tier, ports(corev1.ProtocolTCP, lo, lo+10))))
		case i%4 == 1:
			byName := []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": benchNamespace(i + 1)}}}}
			out = append(out, policy(ns, name, app, ingressFrom(byName, ports(corev1.ProtocolUDP, 53, 53))))
		case i%4 == 2:
			out = append(out, policy(ns, name, app, types(networkingv1.PolicyTypeEgress),
				egressTo(block(cidr, except), ports(corev1.ProtocolTCP, 443, 443))))
		default:
			out = append(out, policy(ns, name, app, types(networkingv1.PolicyTypeEgress),
				egressTo(podsWithApp(fmt.Sprintf("app%d", (i+1)%10)), named(corev1.ProtocolTCP, "http"))))
		}
	}
	return out
}

// bFromA is the policy that admits a to b on 80, TCP and UDP.
func bFromA() *networkingv1.NetworkPolicy {
	return policy("x", "b-from-a", "b", ingressFrom(podsWithApp("a"),
		ports(corev1.ProtocolTCP, 80, 80), ports(corev1.ProtocolUDP, 80, 80)))
}
