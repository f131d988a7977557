package compile

import (
	"fmt"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// randomWorld is a small cluster that seeded random changes rework step by
// step: few names, labels, addresses and ports, so that selectors keep
// matching, addresses collide and named ports resolve differently as it
// goes. Changes replace objects or edit them in place, as a careless
// caller might, and now and then make a policy the API would reject.
type randomWorld struct {
	rng        *rand.Rand
	namespaces []*corev1.Namespace
	pods       []*corev1.Pod
	policies   []*networkingv1.NetworkPolicy
	local      map[string]int
	serial     int
}

func newRandomWorld(seed uint64) *randomWorld {
	w := &randomWorld{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), local: map[string]int{}}
	for _, name := range []string{"x", "y", "z"} {
		w.namespaces = append(w.namespaces, w.namespace(name))
	}
	for range 8 {
		w.addPod()
	}
	for range 5 {
		w.policies = append(w.policies, w.policy())
	}
	return w
}

// input lists the world in a shuffled order, sharing its objects.
func (w *randomWorld) input() Input {
	in := Input{
		Namespaces: slices.Clone(w.namespaces),
		Pods:       slices.Clone(w.pods),
		Policies:   slices.Clone(w.policies),
		Local:      map[string]int{},
	}
	w.rng.Shuffle(len(in.Pods), func(i, j int) { in.Pods[i], in.Pods[j] = in.Pods[j], in.Pods[i] })
	w.rng.Shuffle(len(in.Policies), func(i, j int) { in.Policies[i], in.Policies[j] = in.Policies[j], in.Policies[i] })
	for k, v := range w.local {
		in.Local[k] = v
	}
	return in
}

// change makes one random change and says which.
func (w *randomWorld) change() string {
	switch w.rng.IntN(17) {
	case 0:
		w.policies = append(w.policies, w.policy())
		return "add policy"
	case 1:
		if len(w.policies) > 0 {
			i := w.rng.IntN(len(w.policies))
			w.policies = slices.Delete(w.policies, i, i+1)
		}
		return "delete policy"
	case 2:
		if len(w.policies) > 0 {
			i := w.rng.IntN(len(w.policies))
			np := w.policy()
			np.Namespace, np.Name = w.policies[i].Namespace, w.policies[i].Name
			w.policies[i] = np
		}
		return "replace policy"
	case 3:
		if len(w.policies) > 0 {
			np := w.policies[w.rng.IntN(len(w.policies))]
			np.Spec.PodSelector = w.selector()
		}
		return "edit policy selector in place"
	case 4:
		if len(w.policies) > 0 {
			np := w.policies[w.rng.IntN(len(w.policies))]
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: w.peers(), Ports: w.ports()})
		}
		return "add rule in place"
	case 5:
		if len(w.policies) > 0 {
			np := w.policies[w.rng.IntN(len(w.policies))]
			np.Namespace = w.pick("x", "y", "z")
		}
		return "move policy in place"
	case 6:
		w.addPod()
		return "add pod"
	case 7:
		if len(w.pods) > 0 {
			i := w.rng.IntN(len(w.pods))
			delete(w.local, w.pods[i].Namespace+"/"+w.pods[i].Name)
			w.pods = slices.Delete(w.pods, i, i+1)
		}
		return "delete pod"
	case 8:
		if len(w.pods) > 0 {
			w.pods[w.rng.IntN(len(w.pods))].Labels = w.podLabels()
		}
		return "relabel pod in place"
	case 9:
		if len(w.pods) > 0 {
			p := w.pods[w.rng.IntN(len(w.pods))]
			if p.Labels == nil {
				p.Labels = map[string]string{}
			}
			p.Labels["tier"] = w.pick("web", "db")
		}
		return "edit pod label map in place"
	case 10:
		if len(w.pods) > 0 {
			i := w.rng.IntN(len(w.pods))
			p := w.pods[i].DeepCopy()
			p.Status.PodIP = w.podIP()
			w.pods[i] = p
		}
		return "replace pod with another address"
	case 11:
		if len(w.pods) > 0 {
			p := w.pods[w.rng.IntN(len(w.pods))]
			p.Spec.Containers[0].Ports = w.containerPorts()
		}
		return "change pod ports in place"
	case 12:
		if len(w.pods) > 0 {
			p := w.pods[w.rng.IntN(len(w.pods))]
			p.Status.Phase = corev1.PodPhase(w.pick(string(corev1.PodRunning), string(corev1.PodRunning), string(corev1.PodSucceeded)))
			p.Spec.HostNetwork = w.rng.IntN(6) == 0
		}
		return "change pod phase in place"
	case 13:
		if len(w.namespaces) > 0 {
			ns := w.namespaces[w.rng.IntN(len(w.namespaces))]
			ns.Labels = w.namespace(ns.Name).Labels
		}
		return "relabel namespace in place"
	case 14:
		if len(w.namespaces) == 0 {
			return "delete no namespace"
		}
		i := w.rng.IntN(len(w.namespaces))
		if w.rng.IntN(3) == 0 {
			// Its pods stay: a namespace informer lagging behind.
			w.namespaces = slices.Delete(w.namespaces, i, i+1)
			return "delete namespace"
		}
		w.namespaces[i] = w.namespace(w.namespaces[i].Name)
		return "replace namespace"
	case 15:
		for _, name := range []string{"x", "y", "z"} {
			if !slices.ContainsFunc(w.namespaces, func(ns *corev1.Namespace) bool { return ns.Name == name }) {
				w.namespaces = append(w.namespaces, w.namespace(name))
			}
		}
		return "restore namespaces"
	default:
		if len(w.pods) > 0 {
			p := w.pods[w.rng.IntN(len(w.pods))]
			key := p.Namespace + "/" + p.Name
			if _, ok := w.local[key]; ok && w.rng.IntN(2) == 0 {
				delete(w.local, key)
			} else {
				w.local[key] = 1 + w.rng.IntN(40)
			}
		}
		return "move pod on or off the node"
	}
}

func (w *randomWorld) pick(choices ...string) string { return choices[w.rng.IntN(len(choices))] }

func (w *randomWorld) namespace(name string) *corev1.Namespace {
	labels := map[string]string{"team": w.pick("red", "blue", "green")}
	if w.rng.IntN(2) == 0 {
		labels["env"] = w.pick("prod", "dev")
	}
	if w.rng.IntN(4) == 0 {
		labels["kubernetes.io/metadata.name"] = name
	}
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func (w *randomWorld) addPod() {
	w.serial++
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.pick("x", "y", "z"), Name: fmt.Sprintf("p%d", w.serial), Labels: w.podLabels()},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: w.containerPorts()}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: w.podIP()},
	}
	w.pods = append(w.pods, p)
	if w.rng.IntN(3) > 0 {
		w.local[p.Namespace+"/"+p.Name] = 1 + w.rng.IntN(40)
	}
}

func (w *randomWorld) podLabels() map[string]string {
	labels := map[string]string{"app": w.pick("a", "b", "c")}
	if w.rng.IntN(2) == 0 {
		labels["tier"] = w.pick("web", "db")
	}
	return labels
}

// podIP is mostly one of twelve addresses, so that pods now and then share
// one; sometimes none yet, or IPv6 only.
func (w *randomWorld) podIP() string {
	switch w.rng.IntN(12) {
	case 0:
		return ""
	case 1:
		return "fd00::7"
	}
	return fmt.Sprintf("192.168.0.%d", 1+w.rng.IntN(12))
}

func (w *randomWorld) containerPorts() []corev1.ContainerPort {
	all := []corev1.ContainerPort{
		{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
		{Name: "http", ContainerPort: 8080},
		{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
		{Name: "dns", ContainerPort: 5353, Protocol: corev1.ProtocolUDP},
		{Name: "assoc", ContainerPort: 9, Protocol: corev1.ProtocolSCTP},
	}
	var out []corev1.ContainerPort
	for _, p := range all {
		if w.rng.IntN(3) == 0 {
			out = append(out, p)
		}
	}
	return out
}

func (w *randomWorld) policy() *networkingv1.NetworkPolicy {
	w.serial++
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.pick("x", "y", "z"), Name: fmt.Sprintf("q%d", w.serial)},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: w.selector()},
	}
	switch w.rng.IntN(4) {
	case 1:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	case 2:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	case 3:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	for range w.rng.IntN(3) {
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: w.peers(), Ports: w.ports()})
	}
	for range w.rng.IntN(3) {
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: w.peers(), Ports: w.ports()})
	}
	return np
}

func (w *randomWorld) selector() metav1.LabelSelector {
	var s metav1.LabelSelector
	switch w.rng.IntN(6) {
	case 0:
	case 1:
		s.MatchLabels = map[string]string{"app": w.pick("a", "b", "c")}
	case 2:
		s.MatchLabels = map[string]string{"app": w.pick("a", "b"), "tier": w.pick("web", "db")}
	case 3:
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "db"}}}
	case 4:
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{w.pick("a", "b")}}}
	default:
		op := metav1.LabelSelectorOperator(w.pick(string(metav1.LabelSelectorOpExists), string(metav1.LabelSelectorOpDoesNotExist)))
		s.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: w.pick("tier", "env", "team"), Operator: op}}
	}
	if w.rng.IntN(250) == 0 {
		s.MatchLabels = map[string]string{"bad key!": "a"}
	}
	return s
}

func (w *randomWorld) nsSelector() *metav1.LabelSelector {
	switch w.rng.IntN(4) {
	case 0:
		return &metav1.LabelSelector{}
	case 1:
		return &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": w.pick("x", "y", "z")}}
	case 2:
		return &metav1.LabelSelector{MatchLabels: map[string]string{"team": w.pick("red", "blue", "green")}}
	}
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpExists}}}
}

func (w *randomWorld) peers() []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for range w.rng.IntN(3) {
		var p networkingv1.NetworkPolicyPeer
		switch w.rng.IntN(5) {
		case 0:
			sel := w.selector()
			p.PodSelector = &sel
		case 1:
			p.NamespaceSelector = w.nsSelector()
		case 2:
			sel := w.selector()
			p.PodSelector, p.NamespaceSelector = &sel, w.nsSelector()
		default:
			p.IPBlock = &networkingv1.IPBlock{CIDR: w.pick("192.168.0.0/24", "192.168.0.0/29", "10.0.0.0/8", "0.0.0.0/0", "fd00::/64")}
			for range w.rng.IntN(3) {
				p.IPBlock.Except = append(p.IPBlock.Except, w.pick("192.168.0.2/32", "192.168.0.4/30", "10.1.0.0/16", "fd00::7/128"))
			}
			if w.rng.IntN(250) == 0 {
				p.IPBlock.CIDR = "300.0.0.0/8"
			}
		}
		out = append(out, p)
	}
	return out
}

func (w *randomWorld) ports() []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for range w.rng.IntN(3) {
		protocols := []corev1.Protocol{"", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
		protocol := protocols[w.rng.IntN(len(protocols))]
		if w.rng.IntN(250) == 0 {
			protocol = "ICMP"
		}
		switch w.rng.IntN(4) {
		case 0:
			out = append(out, port(protocol, []int32{53, 80, 8080}[w.rng.IntN(3)]))
		case 1:
			out = append(out, policyPortRange(protocol, 75, []int32{80, 90, 65535}[w.rng.IntN(3)]))
		case 2:
			out = append(out, policyNamedPort(protocol, w.pick("http", "dns", "assoc", "none")))
		default:
			if protocol == "" {
				protocol = corev1.ProtocolUDP
			}
			out = append(out, protocolOnly(protocol))
		}
	}
	return out
}
