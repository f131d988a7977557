package truth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/netpolcheck/netpolcheck/scenarios"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// GenerateWorld builds a random but reproducible World for tests and
// benchmarks: pods spread over namespaces with overlapping labels, four
// ports each (named and unnamed, TCP, UDP and SCTP), a few external hosts,
// and policies mixing pod and namespace selectors, matchExpressions, ipBlocks
// with except, named ports, port ranges, ingress and egress. The same seed
// and sizes always give the same World, and every object is one the API
// server would accept.
func GenerateWorld(seed int64, pods, namespaces, policies int) *scenarios.World {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6e6574706f6c))
	g := worldGenerator{pick: r.IntN}
	return g.world(pods, namespaces, policies)
}

// worldGenerator draws every choice from pick, so that the fuzz target can
// drive it from bytes. wild lets it produce what the API server would reject
// (empty In values, unknown operators, bad CIDRs, reversed ranges, pods of an
// unlisted namespace), to check that Compute and Explain agree on those too.
type worldGenerator struct {
	pick func(n int) int
	wild bool
}

var (
	podLabelValues = map[string][]string{"app": {"web", "api", "db", "cache"}, "tier": {"front", "back"}, "version": {"v1", "v2"}}
	nsLabelValues  = map[string][]string{"team": {"red", "blue", "green"}, "env": {"prod", "dev"}}
	podLabelKeys   = []string{"app", "tier", "version"}
	nsLabelKeys    = []string{"team", "env"}
	policyPorts    = []int32{53, 80, 81, 443, 5353, 8080, 9000, 9001, 9090}
	portNames      = []string{"http", "dns", "metrics", "sctp", "alt", "absent"}
	protocols      = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
)

func (g *worldGenerator) chance(percent int) bool { return g.pick(100) < percent }

func (g *worldGenerator) world(pods, namespaces, policies int) *scenarios.World {
	w := &scenarios.World{}
	namespaces = max(namespaces, 1)
	for i := range namespaces {
		name := fmt.Sprintf("ns%02d", i)
		labels := map[string]string{"kubernetes.io/metadata.name": name}
		g.addLabels(labels, nsLabelKeys, nsLabelValues)
		w.Namespaces = append(w.Namespaces, scenarios.Namespace{Name: name, Labels: labels})
	}
	if g.wild && g.chance(20) {
		// Only the first of two namespaces of one name counts.
		w.Namespaces = append(w.Namespaces, scenarios.Namespace{Name: w.Namespaces[0].Name, Labels: map[string]string{"team": "red"}})
	}
	for i := range pods {
		ns := w.Namespaces[i%namespaces].Name
		if g.wild && g.chance(10) {
			ns = "unlisted"
		}
		ip := podAddr(i)
		if g.wild && g.chance(5) {
			ip = ""
		}
		labels := map[string]string{}
		g.addLabels(labels, podLabelKeys, podLabelValues)
		w.Pods = append(w.Pods, scenarios.Pod{Namespace: ns, Name: fmt.Sprintf("pod%d", i), Labels: labels, Ports: g.podPorts(), IP: ip})
	}
	for i := range 1 + pods/250 {
		w.ExternalHosts = append(w.ExternalHosts, scenarios.ExternalHost{
			Name: fmt.Sprintf("ext%d", i),
			IP:   addrAt(0xCB007100+10, i), // 203.0.113.10 onwards
			// A named port on an external host, which named port rules must still never match.
			Ports: []scenarios.Port{{Name: "http", Port: 80, Protocol: scenarios.TCP}, {Port: 53, Protocol: scenarios.UDP}},
		})
	}
	for i := range policies {
		w.Policies = append(w.Policies, g.policy(w, fmt.Sprintf("pol%d", i)))
	}
	return w
}

// podAddr is pod i's address in DefaultPodCIDR, skipping 192.168.0.0 and .1.
func podAddr(i int) string { return addrAt(0xC0A80000+2, i) }

// addrAt is the i-th IPv4 address from base.
func addrAt(base uint32, i int) string {
	v := base + uint32(i)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

func (g *worldGenerator) addLabels(labels map[string]string, keys []string, values map[string][]string) {
	for _, k := range keys {
		if g.chance(75) {
			vs := values[k]
			labels[k] = vs[g.pick(len(vs))]
		}
	}
}

// podPorts gives a pod four ports; the same names sit on different numbers
// across pods so that named ports resolve per destination.
func (g *worldGenerator) podPorts() []scenarios.Port {
	slots := [][2]scenarios.Port{
		{{Name: "http", Port: 80, Protocol: scenarios.TCP}, {Name: "http", Port: 8080, Protocol: scenarios.TCP}},
		{{Port: 81, Protocol: scenarios.TCP}, {Name: "metrics", Port: 9090, Protocol: scenarios.TCP}},
		{{Name: "dns", Port: 53, Protocol: scenarios.UDP}, {Port: 5353, Protocol: scenarios.UDP}},
		{{Name: "sctp", Port: 9000, Protocol: scenarios.SCTP}, {Name: "alt", Port: 9001, Protocol: scenarios.TCP}},
	}
	ports := make([]scenarios.Port, 0, len(slots))
	for _, s := range slots {
		p := s[g.pick(2)]
		if g.wild && p.Protocol == scenarios.TCP && g.chance(20) {
			p.Protocol = "" // an omitted protocol means TCP
		}
		ports = append(ports, p)
	}
	return ports
}

func (g *worldGenerator) policy(w *scenarios.World, name string) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespaces[g.pick(len(w.Namespaces))].Name, Name: name},
	}
	if g.chance(10) {
		p.Spec.PodSelector = metav1.LabelSelector{}
	} else {
		p.Spec.PodSelector = *g.selector(podLabelKeys, podLabelValues)
	}
	switch g.pick(4) {
	case 1:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 2:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 3:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	for range g.pick(4) {
		p.Spec.Ingress = append(p.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: g.peers(w), Ports: g.ports()})
	}
	for range g.pick(4) {
		p.Spec.Egress = append(p.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: g.peers(w), Ports: g.ports()})
	}
	return p
}

func (g *worldGenerator) selector(keys []string, values map[string][]string) *metav1.LabelSelector {
	sel := &metav1.LabelSelector{}
	for range 1 + g.pick(2) {
		k := keys[g.pick(len(keys))]
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels[k] = values[k][g.pick(len(values[k]))]
	}
	ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
	for range g.pick(2) {
		k := keys[g.pick(len(keys))]
		req := metav1.LabelSelectorRequirement{Key: k, Operator: ops[g.pick(len(ops))]}
		if req.Operator == metav1.LabelSelectorOpIn || req.Operator == metav1.LabelSelectorOpNotIn {
			for range 1 + g.pick(2) {
				req.Values = append(req.Values, values[k][g.pick(len(values[k]))])
			}
		}
		if g.wild && g.chance(10) {
			// Each of these makes the selector invalid.
			switch g.pick(3) {
			case 0:
				req.Values = nil
				req.Operator = metav1.LabelSelectorOpIn
			case 1:
				req.Values = []string{"x"}
				req.Operator = metav1.LabelSelectorOpExists
			default:
				req.Operator = "Near"
			}
		}
		sel.MatchExpressions = append(sel.MatchExpressions, req)
	}
	return sel
}

func (g *worldGenerator) peers(w *scenarios.World) []networkingv1.NetworkPolicyPeer {
	if g.chance(10) {
		return nil // everyone
	}
	var peers []networkingv1.NetworkPolicyPeer
	for range 1 + g.pick(2) {
		var p networkingv1.NetworkPolicyPeer
		switch g.pick(7) {
		case 0, 1:
			p.PodSelector = g.selectorOrAll(podLabelKeys, podLabelValues)
		case 2:
			p.NamespaceSelector = g.namespaceSelector(w)
		case 3, 4:
			p.PodSelector = g.selectorOrAll(podLabelKeys, podLabelValues)
			p.NamespaceSelector = g.namespaceSelector(w)
		default:
			p.IPBlock = g.ipBlock(w)
			if g.wild && g.chance(10) {
				p.PodSelector = &metav1.LabelSelector{}
			}
		}
		peers = append(peers, p)
	}
	return peers
}

func (g *worldGenerator) selectorOrAll(keys []string, values map[string][]string) *metav1.LabelSelector {
	if g.chance(10) {
		return &metav1.LabelSelector{}
	}
	return g.selector(keys, values)
}

func (g *worldGenerator) namespaceSelector(w *scenarios.World) *metav1.LabelSelector {
	if g.chance(30) {
		ns := w.Namespaces[g.pick(len(w.Namespaces))].Name
		return &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	}
	return g.selectorOrAll(nsLabelKeys, nsLabelValues)
}

// ipBlock draws a block around some endpoint's address, with except entries
// carved out of it, or the classic "everything but the pod range".
func (g *worldGenerator) ipBlock(w *scenarios.World) *networkingv1.IPBlock {
	if g.wild && g.chance(5) {
		return &networkingv1.IPBlock{CIDR: "not-a-cidr"}
	}
	if g.chance(10) {
		return &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{scenarios.DefaultPodCIDR}}
	}
	addr := g.endpointAddr(w)
	bits := []int{20, 24, 26, 28, 30, 32}[g.pick(6)]
	cidr := netip.PrefixFrom(addr, bits).Masked()
	b := &networkingv1.IPBlock{CIDR: cidr.String()}
	for range g.pick(3) {
		if bits == 32 {
			break // an except must be narrower than its cidr
		}
		inner := g.endpointAddr(w)
		if !cidr.Contains(inner) {
			inner = addr
		}
		exceptBits := bits + 1 + g.pick(32-bits)
		b.Except = append(b.Except, netip.PrefixFrom(inner, exceptBits).Masked().String())
	}
	if g.wild && g.chance(5) {
		b.Except = append(b.Except, "300.1.2.3/8")
	}
	return b
}

func (g *worldGenerator) endpointAddr(w *scenarios.World) netip.Addr {
	i := g.pick(len(w.Pods) + len(w.ExternalHosts))
	ip := ""
	if i < len(w.Pods) {
		ip = w.Pods[i].IP
	} else {
		ip = w.ExternalHosts[i-len(w.Pods)].IP
	}
	if a, err := netip.ParseAddr(ip); err == nil {
		return a
	}
	return netip.MustParseAddr("192.168.0.1")
}

func (g *worldGenerator) ports() []networkingv1.NetworkPolicyPort {
	if g.chance(15) {
		return nil // every port and protocol
	}
	var ports []networkingv1.NetworkPolicyPort
	for range 1 + g.pick(2) {
		var p networkingv1.NetworkPolicyPort
		if g.chance(60) {
			proto := protocols[g.pick(len(protocols))]
			p.Protocol = &proto
		}
		switch g.pick(5) {
		case 0:
			// every port of the protocol
		case 1, 2:
			port := intstr.FromInt32(policyPorts[g.pick(len(policyPorts))])
			p.Port = &port
		case 3:
			port := intstr.FromString(portNames[g.pick(len(portNames))])
			p.Port = &port
		default:
			start := policyPorts[g.pick(len(policyPorts))]
			end := start + []int32{0, 10, 1000}[g.pick(3)]
			if g.wild && g.chance(20) {
				end = start - 1
			}
			port := intstr.FromInt32(start)
			p.Port, p.EndPort = &port, &end
		}
		ports = append(ports, p)
	}
	return ports
}
